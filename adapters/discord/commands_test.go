package discord_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/adapters/discord"
	"github.com/firstline-desk/firstline/adapters/discord/fakediscord"
	"github.com/firstline-desk/firstline/bot"
)

// interact dispatches an INTERACTION_CREATE of type typ (2 command, 3 button, 4 autocomplete, 5 modal
// submission) by user in channel, and returns its id.
func (d *desk) interact(user, channel string, typ int, data map[string]any, roles ...string) string {
	d.t.Helper()
	id := d.id()
	if roles == nil {
		roles = []string{}
	}
	in := map[string]any{"id": id, "application_id": fakediscord.AppID, "type": typ, "token": "tok" + id,
		"channel_id": channel, "guild_id": fakediscord.GuildID, "version": 1, "data": data,
		"member": map[string]any{"roles": roles, "user": map[string]any{"id": user, "username": name(user)}}}
	if typ == 3 {
		// A button is on a message: here an ephemeral one, as the desk's buttons that open forms are.
		in["message"] = map[string]any{"id": d.id(), "channel_id": channel, "flags": 64}
	}
	d.fake.Dispatch(d.t, "INTERACTION_CREATE", in)
	return id
}

// response waits for the response to interaction id.
func (d *desk) response(id string) fakediscord.InteractionResponse {
	d.t.Helper()
	var out fakediscord.InteractionResponse
	d.waitFor("the response to interaction "+id, func() bool {
		for _, r := range d.fake.InteractionResponses() {
			if r.InteractionID == id {
				out = r
				return true
			}
		}
		return false
	})
	return out
}

// followup waits for a follow-up of interaction id whose content contains want.
func (d *desk) followup(id, want string) fakediscord.Followup {
	d.t.Helper()
	var out fakediscord.Followup
	d.waitFor("a follow-up of "+id+" saying "+want, func() bool {
		for _, f := range d.fake.Followups() {
			if f.InteractionID == id && strings.Contains(f.Content, want) {
				out = f
				return true
			}
		}
		return false
	})
	return out
}

// responseData decodes a response's data.
func responseData(t *testing.T, r fakediscord.InteractionResponse) map[string]any {
	t.Helper()
	var data map[string]any
	if err := json.Unmarshal(r.Data, &data); err != nil {
		t.Fatalf("response data %s: %v", r.Data, err)
	}
	return data
}

func ephemeralFlag(data map[string]any) bool {
	f, _ := data["flags"].(float64)
	return int(f)&64 != 0
}

// logLines collects the messages a logger writes, debug included.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) Enabled(context.Context, slog.Level) bool { return true }
func (l *logLines) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, r.Message)
	return nil
}
func (l *logLines) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logLines) WithGroup(string) slog.Handler      { return l }

func (l *logLines) has(msg string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, m := range l.lines {
		if m == msg {
			return true
		}
	}
	return false
}

// TestCommandsRegisteredOnce registers /ticket, /status, /help and "Create ticket" in the server when the
// desk connects; a desk started again finds them there and writes nothing (Discord counts command
// creations per day), and the commands keep their ids.
func TestCommandsRegisteredOnce(t *testing.T) {
	fake := fakediscord.New(t)
	engine, _ := newEngine(t, testConfig("discord:"+tier2))
	run := func() *logLines {
		logs := &logLines{}
		a, err := discord.New(discord.Config{Token: "test-token", APIURL: fake.URL(), HelpChannels: []string{help}}, slog.New(logs))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- a.Run(ctx, engine) }()
		deadline := time.Now().Add(10 * time.Second)
		for !logs.has("discord commands registered") && !logs.has("discord commands up to date") {
			if time.Now().After(deadline) {
				t.Fatalf("no registration; calls %+v", fake.Calls())
			}
			time.Sleep(10 * time.Millisecond)
		}
		fake.WaitHeartbeat(t)
		cancel()
		<-done
		return logs
	}
	if logs := run(); !logs.has("discord commands registered") {
		t.Fatal("the first start registered nothing")
	}
	first := fake.Commands(fakediscord.GuildID)
	var names []string
	for _, c := range first {
		names = append(names, c.Name)
	}
	if strings.Join(names, ",") != "ticket,status,help,Create ticket" || first[3].Type != 3 || fake.CommandWrites() != 1 {
		t.Fatalf("commands %+v after %d writes", first, fake.CommandWrites())
	}
	if logs := run(); !logs.has("discord commands up to date") || fake.CommandWrites() != 1 {
		t.Fatalf("the second start wrote the commands again (%d writes)", fake.CommandWrites())
	}
	for i, c := range fake.Commands(fakediscord.GuildID) {
		if c.ID != first[i].ID || c.Version != first[i].Version {
			t.Fatalf("command %s changed: %+v, was %+v", c.Name, c, first[i])
		}
	}
}

// TestCommandsRefused: a bot invited without the applications.commands scope is told so in the log, once,
// and the desk works on.
func TestCommandsRefused(t *testing.T) {
	fake := fakediscord.New(t)
	fake.RefuseCommands(true)
	fake.AddChannel(help, "", 0)
	engine, _ := newEngine(t, testConfig("discord:"+tier2))
	logs := &logLines{}
	a, err := discord.New(discord.Config{Token: "test-token", APIURL: fake.URL(), HelpChannels: []string{help}}, slog.New(logs))
	if err != nil {
		t.Fatal(err)
	}
	engine.AddChat(a)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() { _ = engine.Run(ctx); done <- struct{}{} }()
	go func() { _ = a.Run(ctx, engine); done <- struct{}{} }()
	t.Cleanup(func() { cancel(); <-done; <-done })
	deadline := time.Now().Add(10 * time.Second)
	for !logs.has("discord commands not registered: invite the bot again with the applications.commands scope (docs/discord.md)") {
		if time.Now().After(deadline) {
			t.Fatalf("no word of the missing scope: %v", logs.lines)
		}
		time.Sleep(10 * time.Millisecond)
	}
	fake.WaitHeartbeat(t)
}

// TestStatusAndHelpAreEphemeral: /status and /help are acknowledged with a deferred ephemeral answer once
// recorded, and the engine's reply replaces it: only the person who typed the command sees it, and
// nothing is posted in the channel.
func TestStatusAndHelpAreEphemeral(t *testing.T) {
	d := newDesk(t, testConfig("discord:"+tier2))
	q := d.say(alice, help, "My VPN will not connect")
	d.find(q, "Talk to a human")
	sent := len(d.fake.Sent())

	id := d.interact(alice, help, 2, map[string]any{"id": "1", "name": "status", "type": 1,
		"options": []any{map[string]any{"name": "ticket", "type": 3, "value": "T-000001"}}})
	r := d.response(id)
	if data := responseData(t, r); r.Type != 5 || !ephemeralFlag(data) {
		t.Fatalf("/status acknowledged with %d %s, want a deferred ephemeral answer", r.Type, r.Data)
	}
	f := d.followup(id, "T-000001")
	if !f.Original || !f.Ephemeral() || !strings.Contains(string(f.AllowedMentions), `"parse":[]`) {
		t.Fatalf("/status answered %+v, want the deferred answer replaced, ephemeral, mentioning nobody", f)
	}
	id = d.interact(alice, help, 2, map[string]any{"id": "2", "name": "help", "type": 1})
	if f := d.followup(id, "!status"); !f.Original || !f.Ephemeral() {
		t.Fatalf("/help answered %+v", f)
	}
	if got := d.fake.Sent(); len(got) != sent {
		t.Fatalf("commands posted in a channel: %s", dump(got[sent:]))
	}
	// The interaction arrives too late to be answered: the answer comes as a DM, never in the channel.
	d.fake.LateInteractions(true)
	d.interact(alice, help, 2, map[string]any{"id": "1", "name": "status", "type": 1})
	d.waitFor("a DM to alice", func() bool { return d.fake.DMChannel(alice) != "" })
	d.find(d.fake.DMChannel(alice), "T-000001")
}

// TestCreateTicketCommand: the message command "Create ticket" turns someone's message into a ticket,
// acknowledged privately at once; on a message that has a ticket it links to it, and on one deleted since
// it says so, privately.
func TestCreateTicketCommand(t *testing.T) {
	d := newDesk(t, testConfig("discord:"+tier2))
	d.fake.AddChannel(random, "", 0)
	m := d.say(alice, random, "The badge reader at the north door is dead")
	id := d.interact(tom, random, 2, map[string]any{"id": "3", "name": "Create ticket", "type": 3, "target_id": m}, techs)
	r := d.response(id)
	if data := responseData(t, r); r.Type != 4 || !ephemeralFlag(data) {
		t.Fatalf("Create ticket acknowledged %d %s", r.Type, r.Data)
	}
	d.find(m, "turned this message into **T-000001**")
	if tk := ticket(t, d.db, "T-000001"); tk.Requester != "discord:"+alice || tk.Intake == nil || tk.Intake.Via != bot.IntakeShortcut || tk.Intake.By != "discord:"+tom {
		t.Fatalf("ticket %+v intake %+v", tk, tk.Intake)
	}

	id = d.interact(alice, random, 2, map[string]any{"id": "3", "name": "Create ticket", "type": 3, "target_id": m})
	f := d.followup(id, "already has a ticket")
	if !f.Ephemeral() || !strings.Contains(f.Content, "https://discord.com/channels/"+fakediscord.GuildID+"/"+random+"/"+m) {
		t.Fatalf("the second Create ticket answered %+v", f)
	}

	gone := d.say(alice, random, "Never mind")
	d.fake.DeleteMessage(random, gone)
	id = d.interact(tom, random, 2, map[string]any{"id": "3", "name": "Create ticket", "type": 3, "target_id": gone}, techs)
	if f := d.followup(id, "That message is gone"); !f.Ephemeral() {
		t.Fatalf("a deleted message answered %+v", f)
	}
	if ids := tickets(t, d.db); len(ids) != 1 {
		t.Fatalf("tickets %v", ids)
	}
}
