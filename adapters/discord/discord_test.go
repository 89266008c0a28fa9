package discord_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/adapters/discord"
	"github.com/firstline-desk/firstline/adapters/discord/fakediscord"
	"github.com/firstline-desk/firstline/adapters/slack"
	"github.com/firstline-desk/firstline/adapters/slack/fakeslack"
	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/kb"
	"github.com/firstline-desk/firstline/storage"
)

const (
	help  = "100000000000000001" // the help channel
	tier2 = "100000000000000002" // Tier 2's channel
	alice = "200000000000000001"
	tom   = "200000000000000002"
	techs = "300000000000000001" // the role of Tier 2
)

var articles = []kb.Article{
	{ID: "vpn-connect", Title: "Connect to the company VPN", Tags: []string{"vpn"},
		Body: "Open **GlobalProtect** and connect. @everyone <@&300000000000000001>"},
	{ID: "printer-add", Title: "Add a network printer", Body: "Settings > Printers > Add."},
}

// desk is a whole desk on a fake Discord, with the real engine, storage and knowledge base.
type desk struct {
	t       *testing.T
	fake    *fakediscord.Server
	db      *storage.DB
	engine  *bot.Engine
	adapter *discord.Adapter
	runErr  chan error
	cancel  context.CancelFunc
	nextID  atomic.Int64
}

func testConfig(tierChannel string) bot.Config {
	return bot.Config{
		Name:            "Firstline",
		CommandPrefix:   "!",
		HelpChannels:    []string{"discord:" + help},
		Tiers:           []bot.Tier{{ID: "tier2", Name: "Tier 2", Channel: tierChannel, Members: []string{"discord:role:" + techs, "slack:UTOM"}}},
		Reactions:       bot.DefaultReactions,
		MinConfidence:   kb.DefaultMinConfidence,
		ReopenWindow:    7 * 24 * time.Hour,
		DefaultPriority: "P3",
	}
}

func newEngine(t *testing.T, cfg bot.Config) (*bot.Engine, *storage.DB) {
	t.Helper()
	db, err := storage.Open(filepath.Join(t.TempDir(), "data.db"), storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	engine, err := bot.New(cfg, db, kb.NewLibrary(articles, kb.Options{}), bot.SystemClock{}, quiet())
	if err != nil {
		t.Fatal(err)
	}
	return engine, db
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newAdapter(t *testing.T, fake *fakediscord.Server) *discord.Adapter {
	t.Helper()
	a, err := discord.New(discord.Config{Token: "test-token", APIURL: fake.URL(), HelpChannels: []string{help}}, quiet())
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func newDesk(t *testing.T, cfg bot.Config) *desk {
	t.Helper()
	fake := fakediscord.New(t)
	fake.AddChannel(help, "", 0)
	fake.AddChannel(tier2, "", 0)
	engine, db := newEngine(t, cfg)
	a := newAdapter(t, fake)
	a.SetForms(engine)
	engine.AddChat(a)
	d := &desk{t: t, fake: fake, db: db, engine: engine, adapter: a, runErr: make(chan error, 1)}
	d.nextID.Store(500000000000000000)
	ctx, cancel := context.WithCancel(context.Background())
	d.cancel = cancel
	done := make(chan struct{})
	go func() { _ = engine.Run(ctx); close(done) }()
	go func() { d.runErr <- a.Run(ctx, engine) }()
	t.Cleanup(func() {
		cancel()
		<-done
		select {
		case <-d.runErr:
		case <-time.After(5 * time.Second):
		}
	})
	fake.WaitIdentifies(t, 1)
	fake.WaitHeartbeat(t)
	return d
}

func (d *desk) id() string { return fmt.Sprint(d.nextID.Add(1)) }

// say dispatches MESSAGE_CREATE from user in channel and returns the message id.
func (d *desk) say(user, channel, text string, roles ...string) string {
	d.t.Helper()
	id := d.id()
	m := map[string]any{"id": id, "channel_id": channel, "guild_id": fakediscord.GuildID, "content": text, "type": 0,
		"timestamp": time.Now().Format(time.RFC3339), "author": map[string]any{"id": user, "username": name(user)},
		"member": map[string]any{"roles": roles, "nick": ""}}
	d.fake.Dispatch(d.t, "MESSAGE_CREATE", m)
	return id
}

func name(user string) string {
	switch user {
	case alice:
		return "alice"
	case tom:
		return "tom"
	}
	return "someone"
}

func (d *desk) react(user, channel, message, emoji string, roles ...string) {
	d.t.Helper()
	d.fake.Dispatch(d.t, "MESSAGE_REACTION_ADD", map[string]any{"user_id": user, "channel_id": channel, "message_id": message,
		"guild_id": fakediscord.GuildID, "emoji": map[string]any{"name": emoji},
		"member": map[string]any{"roles": roles, "user": map[string]any{"id": user, "username": name(user)}}})
}

func (d *desk) click(user, channel, message, customID string, roles ...string) {
	d.t.Helper()
	id := d.id()
	d.fake.Dispatch(d.t, "INTERACTION_CREATE", map[string]any{"id": id, "application_id": fakediscord.AppID, "type": 3, "token": "tok" + id,
		"channel_id": channel, "guild_id": fakediscord.GuildID, "version": 1,
		"message": map[string]any{"id": message, "channel_id": channel},
		"member":  map[string]any{"roles": roles, "user": map[string]any{"id": user, "username": name(user)}},
		"data":    map[string]any{"custom_id": customID, "component_type": 2}})
}

// find waits for a message the bot sent in channel whose content, embeds or components contain want.
func (d *desk) find(channel, want string) fakediscord.Message {
	d.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := d.engine.Flush(context.Background()); err != nil {
			d.t.Fatal(err)
		}
		sent := d.fake.Sent()
		for i := len(sent) - 1; i >= 0; i-- {
			m := sent[i]
			if m.ChannelID == channel && (strings.Contains(m.Content, want) || strings.Contains(string(m.Embeds), want) || strings.Contains(string(m.Components), want)) {
				return m
			}
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("nothing sent in %s containing %q; sent:\n%s", channel, want, dump(sent))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func dump(ms []fakediscord.Message) string {
	var b strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&b, "%s in %s: %q embeds=%s components=%s\n", m.ID, m.ChannelID, m.Content, m.Embeds, m.Components)
	}
	return b.String()
}

func ticket(t *testing.T, db *storage.DB, id string) *bot.Ticket {
	t.Helper()
	var tk *bot.Ticket
	if err := db.View(context.Background(), func(tx bot.Tx) error {
		var err error
		tk, err = tx.Ticket(id)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return tk
}

// TestWholeStory runs the core story in Discord: a question in the help channel is answered in a new
// thread on it, with buttons; "talk to a human" sends an embed card to the tier channel; a member of
// the tier's role claims it by reaction and the card is edited; replies are relayed both ways; resolving
// asks for a rating with buttons, and the rating is stored.
func TestWholeStory(t *testing.T) {
	d := newDesk(t, testConfig("discord:"+tier2))
	q := d.say(alice, help, "My VPN will not connect")
	answer := d.find(q, "Talk to a human")
	if threads := d.fake.Threads(); len(threads) != 1 || threads[0].ID != q || threads[0].ParentID != help || !strings.Contains(threads[0].Name, "VPN") {
		t.Fatalf("threads %+v, want one on the question, named after it", threads)
	}
	if !strings.Contains(string(answer.AllowedMentions), `"parse":[]`) {
		t.Fatalf("allowed mentions %s", answer.AllowedMentions)
	}
	all := answer.Content + string(answer.Embeds)
	if strings.Contains(all, "@everyone") || strings.Contains(all, "<@&") {
		t.Fatalf("a mention reached Discord: %q", all)
	}

	d.click(alice, q, answer.ID, bot.FeedbackHuman)
	if r := d.fake.WaitInteractionResponses(t, 1); r[0].Type != 6 {
		t.Fatalf("interaction answered with type %d, want a deferred update", r[0].Type)
	}
	card := d.find(tier2, "T-000001")
	if len(card.Embeds) == 0 || !strings.Contains(string(card.Embeds), "unclaimed") {
		t.Fatalf("card: %q %s", card.Content, card.Embeds)
	}

	d.react(alice, tier2, card.ID, "🙋")       // not in the role
	d.find(card.ID, "Only members of Tier 2") // in the card's thread, started for the reply
	d.react(tom, tier2, card.ID, "🙋🏽‍♂️", techs)
	d.find(q, "picked up")
	if edits := d.fake.Edits(); len(edits) == 0 || !strings.Contains(string(edits[len(edits)-1].Embeds), "tom") {
		t.Fatalf("the card was not edited with its owner: %+v", edits)
	}

	// Tom answers by replying to the card (a Discord reply), then in the card's thread.
	reply := d.id()
	d.fake.Dispatch(t, "MESSAGE_CREATE", map[string]any{"id": reply, "channel_id": tier2, "guild_id": fakediscord.GuildID,
		"content": "Which error do you see?", "type": 19, "timestamp": time.Now().Format(time.RFC3339),
		"author": map[string]any{"id": tom, "username": "tom"}, "member": map[string]any{"roles": []string{techs}},
		"message_reference": map[string]any{"message_id": card.ID, "channel_id": tier2}})
	d.find(q, "Which error do you see?")
	d.say(alice, q, "It says error 809")
	d.find(card.ID, "It says error 809")

	d.react(tom, tier2, card.ID, "✅", techs)
	rate := d.find(q, "csat-5")
	d.click(alice, q, rate.ID, "csat-5")
	waitFor(t, "the rating of 5 on the resolved ticket", func() bool {
		_ = d.engine.Flush(context.Background())
		tk := ticket(t, d.db, "T-000001")
		return tk.Status == bot.StatusResolved && tk.CSAT != nil && tk.CSAT.Score == 5
	})
}

// TestDropResumesAndDuplicates checks that a dropped connection resumes with nothing missed, and that a
// duplicate dispatch of a message opens one ticket.
func TestDropResumesAndDuplicates(t *testing.T) {
	d := newDesk(t, testConfig("discord:"+tier2))
	d.fake.Drop()
	q := d.say(alice, help, "My VPN will not connect") // dispatched while down: replayed on RESUME
	d.fake.WaitResumes(t, 1)
	d.find(q, "Talk to a human")
	// The same message again.
	d.fake.Dispatch(t, "MESSAGE_CREATE", map[string]any{"id": q, "channel_id": help, "guild_id": fakediscord.GuildID,
		"content": "My VPN will not connect", "type": 0, "timestamp": time.Now().Format(time.RFC3339),
		"author": map[string]any{"id": alice, "username": "alice"}})
	q2 := d.say(alice, help, "How do I add a printer?")
	d.find(q2, "printer-add")
	if n := len(d.fake.Threads()); n != 2 {
		t.Fatalf("%d threads, want 2 (one per question)", n)
	}
	if d.fake.Identifies() != 1 {
		t.Fatalf("identified %d times; a drop should resume", d.fake.Identifies())
	}
}

// TestRefusedResumeCatchesUp checks that when Discord refuses to resume, the question asked in the gap,
// which the gateway will never dispatch, is fetched over REST and answered.
func TestRefusedResumeCatchesUp(t *testing.T) {
	d := newDesk(t, testConfig("discord:"+tier2))
	first := d.say(alice, help, "How do I add a printer?")
	d.find(first, "printer-add")
	d.fake.WaitHeartbeat(t)
	d.fake.RefuseNextResume()
	d.fake.Drop()
	q := d.say(alice, help, "My VPN will not connect") // lost by the gateway, kept in the channel's history
	d.fake.WaitIdentifies(t, 2)
	d.find(q, "Talk to a human")
}

// TestFatalCloseCode checks that a refused token ends Run with one clear error instead of a reconnect loop.
func TestFatalCloseCode(t *testing.T) {
	d := newDesk(t, testConfig("discord:"+tier2))
	d.fake.RejectIdentify(4004)
	d.fake.Close(4004)
	select {
	case err := <-d.runErr:
		if err == nil || !strings.Contains(err.Error(), "4004") || !strings.Contains(err.Error(), "discord.token") {
			t.Fatalf("Run = %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run kept reconnecting")
	}
	if n := d.fake.Connections(); n > 3 {
		t.Fatalf("%d connections: a loop", n)
	}
}

// TestRateLimited checks that a 429 on sending delays the answer, not loses it.
func TestRateLimited(t *testing.T) {
	d := newDesk(t, testConfig("discord:"+tier2))
	// The answer goes to the thread on the question, whose id is the question's.
	next := fmt.Sprint(d.nextID.Load() + 1)
	d.fake.RateLimit("/api/v9/channels/"+next+"/messages", time.Second, false, 1)
	start := time.Now()
	q := d.say(alice, help, "My VPN will not connect")
	d.find(q, "Talk to a human")
	if waited := time.Since(start); waited < 900*time.Millisecond {
		t.Fatalf("answered after %v, before the rate limit's end", waited)
	}
}

// TestCrossPlatform checks that a ticket opened on Discord is worked from a Slack tier channel: the card
// goes to Slack, a Slack technician claims it, and replies cross between the platforms.
func TestCrossPlatform(t *testing.T) {
	d := newDesk(t, testConfig("slack:CTIER2"))
	fs := fakeslack.New(t)
	fs.AddUser("UTOM", "Tom Jones", "tom")
	sl, err := slack.New(slack.Config{BotToken: "xoxb-t", AppToken: "xapp-t", APIURL: fs.APIURL(), CommandPrefix: "!"}, quiet())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := sl.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	d.engine.AddChat(sl)
	done := make(chan struct{})
	go func() { _ = sl.RunSocket(ctx, d.engine); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	fs.WaitConnections(t, 1)

	q := d.say(alice, help, "My VPN will not connect")
	answer := d.find(q, "Talk to a human")
	d.click(alice, q, answer.ID, bot.FeedbackHuman)
	_ = d.engine.Flush(context.Background())
	cards := fs.WaitPosted(t, 1)
	card := cards[0]
	if card.Channel != "CTIER2" || !strings.Contains(string(card.Blocks), "T-000001") {
		t.Fatalf("card on Slack: %+v", card)
	}
	// The dispatcher records where the card went right after Slack answers; a claim is matched by it.
	waitFor(t, "the card's reference", func() bool {
		tk := ticket(t, d.db, "T-000001")
		for _, c := range tk.Cards {
			var ref bot.MessageRef
			_ = d.db.View(context.Background(), func(tx bot.Tx) error {
				ref, _ = tx.PostRef(tk.ID, c.Key)
				return nil
			})
			if c.Current && ref.ID == card.TS {
				return true
			}
		}
		return false
	})
	fs.WaitAck(t, fs.SendEnvelope(t, fakeslack.EventsAPI("EvC", map[string]any{"type": "reaction_added", "user": "UTOM",
		"reaction": "raising_hand", "item": map[string]any{"type": "message", "channel": "CTIER2", "ts": card.TS}}, 0)))
	d.find(q, "picked up")
	fs.WaitAck(t, fs.SendEnvelope(t, fakeslack.EventsAPI("EvD", map[string]any{"type": "message", "channel": "CTIER2",
		"user": "UTOM", "text": "Which error do you see?", "ts": "1700000100.000100", "thread_ts": card.TS}, 0)))
	d.find(q, "Which error do you see?")
	d.say(alice, q, "It says error 809")
	_ = d.engine.Flush(context.Background())
	deadline := time.Now().Add(10 * time.Second)
	for {
		found := false
		for _, m := range fs.Posted() {
			if m.ThreadTS == card.TS && strings.Contains(m.Text+string(m.Blocks), "error 809") {
				found = true
			}
		}
		if found {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the reply did not reach Slack: %+v", fs.Posted())
		}
		_ = d.engine.Flush(context.Background())
		time.Sleep(20 * time.Millisecond)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestConnectionState checks what /healthz reads: not connected before Run, connected from READY, connected
// again (since later) after a drop and a resume, and not connected once Run has given up.
func TestConnectionState(t *testing.T) {
	if up, _ := newAdapter(t, fakediscord.New(t)).Connection(); up {
		t.Fatal("connected before Run")
	}
	d := newDesk(t, testConfig("discord:"+tier2))
	connected := func() bool { up, _ := d.adapter.Connection(); return up }
	waitFor(t, "the READY", connected)
	_, first := d.adapter.Connection()

	d.fake.Drop()
	d.fake.WaitResumes(t, 1)
	waitFor(t, "the RESUMED", func() bool { up, since := d.adapter.Connection(); return up && since.After(first) })

	d.fake.RejectIdentify(4004)
	d.fake.Close(4004)
	select {
	case err := <-d.runErr:
		d.runErr <- err
	case <-time.After(20 * time.Second):
		t.Fatal("Run kept reconnecting")
	}
	if up, since := d.adapter.Connection(); up || !since.After(first) {
		t.Fatalf("after Run gave up: connected %v since %v", up, since)
	}
}

// TestDMAndMention checks a question in a DM (answered in the DM, no thread) and a mention of the bot in
// a channel that is not a help channel (answered in a thread on it); chatter there without a mention,
// and the bot's own messages, do nothing.
func TestDMAndMention(t *testing.T) {
	d := newDesk(t, testConfig("discord:"+tier2))
	dm := "700000000000000001"
	d.fake.AddChannel(dm, "", 1)
	id := d.id()
	d.fake.Dispatch(t, "MESSAGE_CREATE", map[string]any{"id": id, "channel_id": dm, "content": "My VPN will not connect", "type": 0,
		"timestamp": time.Now().Format(time.RFC3339), "author": map[string]any{"id": alice, "username": "alice"}})
	d.find(dm, "Talk to a human")

	random := "100000000000000009"
	d.fake.AddChannel(random, "", 0)
	d.say(alice, random, "anyone know about printers?")
	d.say(fakediscord.BotID, random, "talking to myself")
	id = d.id()
	d.fake.Dispatch(t, "MESSAGE_CREATE", map[string]any{"id": id, "channel_id": random, "guild_id": fakediscord.GuildID,
		"content": "<@" + fakediscord.BotID + "> how do I add a printer?", "type": 0, "timestamp": time.Now().Format(time.RFC3339),
		"author":   map[string]any{"id": alice, "username": "alice"},
		"mentions": []any{map[string]any{"id": fakediscord.BotID, "username": "firstline", "bot": true}}})
	d.find(id, "printer-add")
	for _, th := range d.fake.Threads() {
		if th.ParentID == random && th.ID != id {
			t.Fatalf("a thread on a message without a mention: %+v", th)
		}
	}
	if tk := ticket(t, d.db, "T-000002"); tk.Subject != "how do I add a printer?" {
		t.Fatalf("the mention was not stripped: %q", tk.Subject)
	}
}
