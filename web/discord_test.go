package web_test

// The Slack story's twin with the requester on Discord: the real Discord adapter (discordgo) on the fake
// Discord, the real engine and data file, the console in front of them.

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/adapters/discord"
	"github.com/firstline-desk/firstline/adapters/discord/fakediscord"
	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/kb"
	"github.com/firstline-desk/firstline/storage"
	"github.com/firstline-desk/firstline/web"
	"github.com/firstline-desk/firstline/web/webtest"
)

// The Discord desk's channels and people.
const (
	dcHelp  = "100000000000000001"
	dcTier2 = "100000000000000002"
	dcTier3 = "100000000000000003"
	dcAlice = "200000000000000001"
	dcTom   = "200000000000000002"
	dcSara  = "200000000000000003"
)

type discordDesk struct {
	t       *testing.T
	fake    *fakediscord.Server
	adapter *discord.Adapter
	engine  *bot.Engine
	db      *storage.DB
	web     *webtest.Console
	mu      sync.Mutex
	next    int64
}

func newDiscordDesk(t *testing.T) *discordDesk {
	t.Helper()
	db, err := storage.Open(filepath.Join(t.TempDir(), "firstline.db"), storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	fake := fakediscord.New(t)
	for _, ch := range []string{dcHelp, dcTier2, dcTier3} {
		fake.AddChannel(ch, "", 0)
	}
	for _, id := range []string{dcAlice, dcTom, dcSara} {
		fake.AddMember(id)
	}
	cfg := bot.Config{
		Name: "Firstline", CommandPrefix: "!", HelpChannels: []string{"discord:" + dcHelp},
		Tiers: []bot.Tier{{ID: "tier2", Name: "Tier 2", Channel: "discord:" + dcTier2, Members: []string{"discord:" + dcTom}},
			{ID: "tier3", Name: "Tier 3", Channel: "discord:" + dcTier3, Members: []string{"discord:" + dcSara}}},
		Reactions: bot.DefaultReactions, MinConfidence: kb.DefaultMinConfidence,
		ReopenWindow: 7 * 24 * time.Hour, DefaultPriority: "P3",
	}
	quiet := slog.New(slog.DiscardHandler)
	engine, err := bot.New(cfg, db, kb.NewLibrary(nil, kb.Options{}), bot.SystemClock{}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	a, err := discord.New(discord.Config{Token: "test-token", APIURL: fake.URL(), Guild: fakediscord.GuildID, HelpChannels: []string{dcHelp}}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	engine.AddChat(a)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = a.Run(ctx, engine) }()
	go func() { defer wg.Done(); _ = engine.Run(ctx) }()
	fake.WaitIdentifies(t, 1)
	fake.WaitHeartbeat(t)

	hs := httptest.NewUnstartedServer(nil)
	base := "http://" + hs.Listener.Addr().String()
	srv, err := web.New(ctx, web.Config{BaseURL: base, Desk: cfg, Store: db, Events: engine, Sessions: db, People: []web.People{a}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	engine.SetSignIn(srv)
	hs.Config.Handler = srv
	hs.Start()
	t.Cleanup(func() {
		hs.Close()
		cancel()
		wg.Wait()
		if err := db.Check(); err != nil {
			t.Errorf("data file check: %v", err)
		}
		db.Close()
	})
	return &discordDesk{t: t, fake: fake, adapter: a, engine: engine, db: db, next: 500000000000000000,
		web: &webtest.Console{T: t, DB: db, Server: srv, HTTP: hs, URL: base}}
}

// say writes text as user in channel (a thread's id for a thread), as Discord's gateway delivers it, and
// returns the message's id.
func (d *discordDesk) say(user, channel, text string) string {
	d.mu.Lock()
	d.next++
	id := fmt.Sprint(d.next)
	d.mu.Unlock()
	d.fake.Dispatch(d.t, "MESSAGE_CREATE", map[string]any{"id": id, "channel_id": channel, "guild_id": fakediscord.GuildID, "content": text,
		"type": 0, "timestamp": time.Now().Format(time.RFC3339), "author": map[string]any{"id": user, "username": "user" + user},
		"member": map[string]any{"roles": []string{}}})
	return id
}

// find waits for the bot's message in channel (a thread's id for a thread) that holds every one of want
// (in its text or its embeds), and returns it.
func (d *discordDesk) find(channel string, want ...string) fakediscord.Message {
	d.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_ = d.engine.Flush(context.Background())
		var seen []string
		for _, m := range d.fake.Sent() {
			if m.ChannelID != channel {
				continue
			}
			text := m.Content + "\n" + string(m.Embeds)
			seen = append(seen, text)
			if containsAll(text, want) {
				return m
			}
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("no message in %s says %q; there are:\n%s", channel, want, strings.Join(seen, "\n---\n"))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// none fails when a message the bot sent in channel holds bad.
func (d *discordDesk) none(channel, bad string) {
	d.t.Helper()
	_ = d.engine.Flush(context.Background())
	for _, m := range d.fake.Sent() {
		if m.ChannelID == channel && strings.Contains(m.Content+string(m.Embeds), bad) {
			d.t.Fatalf("%s was sent %q: %s", channel, bad, m.Content)
		}
	}
}

// signIn signs user in to the console, and waits until the adapter knows their name, as it does once
// their first page asked for it (a person who never wrote on Discord is fetched from the server).
func (d *discordDesk) signIn(user string) *webtest.Client {
	d.t.Helper()
	link, _, err := d.web.Server.SignInLink(user, time.Now())
	if err != nil {
		d.t.Fatal(err)
	}
	b := d.web.Anonymous()
	if r := b.Post(strings.TrimPrefix(link, d.web.URL), nil); r.Status != http.StatusSeeOther {
		d.t.Fatalf("sign in as %s: %d %s", user, r.Status, clipBody(r.Body))
	}
	b.User = user
	deadline := time.Now().Add(10 * time.Second)
	for d.adapter.UserName(user) == "" {
		if time.Now().After(deadline) {
			d.t.Fatalf("the Discord adapter never learned %s's name", user)
		}
		b.Get("/")
		time.Sleep(5 * time.Millisecond)
	}
	return b
}

// TestTicketWorkedInTheBrowserRequesterOnDiscord: the Slack story with alice on Discord: a claim tells
// her in her thread; a reply reaches it with tom's name and tier; her answer shows on the page; a note
// stays in the card's thread; escalate posts a card in Tier 3; sara resolves it from the console and
// alice is told. Each is audited as the chat action by who took it.
func TestTicketWorkedInTheBrowserRequesterOnDiscord(t *testing.T) {
	d := newDiscordDesk(t)
	thread := d.say(dcAlice, dcHelp, "my laptop shows a black screen after the update")
	d.find(thread) // the desk's first answer, in her thread
	d.say(dcAlice, thread, "!escalate")
	card := d.find(dcTier2, "T-000001").ID

	tom, sara := d.signIn("discord:"+dcTom), d.signIn("discord:"+dcSara)
	tomName := d.adapter.UserName("discord:" + dcTom)
	mustContain(t, tom.Get("/tickets/T-000001"), "my laptop shows a black screen after the update", "Claim")

	act := func(b *webtest.Client, action string, fields ...string) {
		t.Helper()
		r := b.Post("/tickets/T-000001/"+action, form(append([]string{"event", web.NewEventID()}, fields...)...))
		if r.Status != http.StatusSeeOther {
			t.Fatalf("%s as %s: %d %s", action, b.User, r.Status, clipBody(r.Body))
		}
	}
	act(tom, "claim")
	d.find(thread, tomName)
	reply := "Hold the power button for ten seconds, then start it again."
	act(tom, "reply", "text", reply)
	if got := d.find(thread, reply).Content; !strings.Contains(got, tomName) || !strings.Contains(got, "Tier 2") {
		t.Errorf("the reply in alice's Discord thread does not name %s of Tier 2: %q", tomName, got)
	}
	d.find(card, reply)

	d.say(dcAlice, thread, "That worked, the screen is back!")
	d.find(card, "That worked, the screen is back!")
	mustContain(t, tom.Get("/tickets/T-000001"), "That worked, the screen is back!")

	act(tom, "note", "text", "driver rollback needed on the whole fleet")
	d.find(card, "driver rollback needed on the whole fleet")
	d.none(thread, "driver rollback")

	act(tom, "escalate")
	d.find(dcTier3, "T-000001")
	act(sara, "claim")
	act(sara, "resolve")
	d.find(thread, "resolved", "T-000001")
	d.none(thread, "driver rollback")

	entries, err := d.db.AuditEntries(context.Background(), time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"ticket.claimed": "discord:" + dcTom, "ticket.escalated": "discord:" + dcTom, "ticket.resolved": "discord:" + dcSara}
	for _, e := range entries {
		if who, ok := want[e.Action]; ok && e.Actor == who && e.Target == "T-000001" {
			delete(want, e.Action)
		}
	}
	if len(want) > 0 {
		t.Errorf("not audited as taken from the web: %v", want)
	}
}
