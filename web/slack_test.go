package web_test

// A technician works a ticket from start to finish in the browser while its requester stays in Slack: the
// real Slack adapter (slack-go) on the fake Slack, the real engine and data file, the console in front of
// them, as cmd/firstline wires them.

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/adapters/slack"
	"github.com/firstline-desk/firstline/adapters/slack/fakeslack"
	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/kb"
	"github.com/firstline-desk/firstline/storage"
	"github.com/firstline-desk/firstline/web"
	"github.com/firstline-desk/firstline/web/webtest"
)

// slackDesk is a desk on Slack with the console: alice asks in #help (CHELP), tom works in Tier 2
// (CTIER2) and sara in Tier 3 (CTIER3).
type slackDesk struct {
	t      *testing.T
	fake   *fakeslack.Server
	engine *bot.Engine
	db     *storage.DB
	web    *webtest.Console
	mu     sync.Mutex
	ts     int
}

func newSlackDesk(t *testing.T) *slackDesk {
	t.Helper()
	db, err := storage.Open(filepath.Join(t.TempDir(), "firstline.db"), storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	fake := fakeslack.New(t)
	for id, name := range map[string]string{"UALICE": "alice", "UTOM": "tom", "USARA": "sara"} {
		fake.AddUser(id, name+" Smith", name)
	}
	cfg := bot.Config{
		Name: "Firstline", CommandPrefix: "!", HelpChannels: []string{"slack:CHELP"},
		Tiers: []bot.Tier{{ID: "tier2", Name: "Tier 2", Channel: "slack:CTIER2", Members: []string{"slack:UTOM"}},
			{ID: "tier3", Name: "Tier 3", Channel: "slack:CTIER3", Members: []string{"slack:USARA"}}},
		Reactions: bot.DefaultReactions, MinConfidence: kb.DefaultMinConfidence,
		ReopenWindow: 7 * 24 * time.Hour, DefaultPriority: "P3",
	}
	quiet := slog.New(slog.DiscardHandler)
	engine, err := bot.New(cfg, db, kb.NewLibrary(nil, kb.Options{}), bot.SystemClock{}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	a, err := slack.New(slack.Config{BotToken: "xoxb-t", AppToken: "xapp-t", APIURL: fake.APIURL(), CommandPrefix: "!"}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	engine.AddChat(a)
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); _ = a.RunSocket(ctx, engine) }()
	go func() { defer wg.Done(); a.RunDirectory(ctx) }()
	go func() { defer wg.Done(); _ = engine.Run(ctx) }()
	fake.WaitConnections(t, 1)

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
	return &slackDesk{t: t, fake: fake, engine: engine, db: db, ts: 100,
		web: &webtest.Console{T: t, DB: db, Server: srv, HTTP: hs, URL: base}}
}

// say writes text on Slack as user in channel (in thread when it is set), as Slack's Events API sends
// it, and returns the message's ts.
func (d *slackDesk) say(user, channel, thread, text string) string {
	d.mu.Lock()
	d.ts++
	ts := fmt.Sprintf("1700000%03d.000100", d.ts)
	d.mu.Unlock()
	ev := map[string]any{"type": "message", "channel": channel, "channel_type": "channel", "user": user, "text": text, "ts": ts}
	if thread != "" {
		ev["thread_ts"] = thread
	}
	d.fake.WaitAck(d.t, d.fake.SendEnvelope(d.t, fakeslack.EventsAPI("Ev"+ts, ev, 0)))
	return ts
}

// signIn signs user in to the console with a sign-in link, as a person does.
func (d *slackDesk) signIn(user string) *webtest.Client {
	d.t.Helper()
	link, _, err := d.web.Server.SignInLink(user, time.Now())
	if err != nil {
		d.t.Fatal(err)
	}
	b := d.web.Anonymous()
	path := strings.TrimPrefix(link, d.web.URL)
	if r := b.Post(path, nil); r.Status != http.StatusSeeOther {
		d.t.Fatalf("sign in as %s: %d %s", user, r.Status, clipBody(r.Body))
	}
	b.User = user
	return b
}

// act sends a ticket page's form and expects it done.
func (d *slackDesk) act(b *webtest.Client, id, action string, fields ...string) {
	d.t.Helper()
	r := b.Post("/tickets/"+id+"/"+action, form(append([]string{"event", web.NewEventID()}, fields...)...))
	if r.Status != http.StatusSeeOther || r.Location != "/tickets/"+id+"?done="+action {
		d.t.Fatalf("%s as %s: %d %s %s", action, b.User, r.Status, r.Location, clipBody(r.Body))
	}
}

// posted waits for the bot's message in channel, in thread ("" for a top-level one), whose text holds
// every one of want, and returns its text.
func (d *slackDesk) posted(channel, thread string, want ...string) string {
	d.t.Helper()
	var seen []string
	deadline := time.Now().Add(10 * time.Second)
	for {
		_ = d.engine.Flush(context.Background())
		seen = seen[:0]
		for _, m := range d.fake.Posted() {
			if m.Channel != channel || m.ThreadTS != thread {
				continue
			}
			text := slackShown(m)
			seen = append(seen, text)
			if containsAll(text, want) {
				return text
			}
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("no message in %s (thread %q) says %q; there are:\n%s", channel, thread, want, strings.Join(seen, "\n---\n"))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// none fails when a message the bot posted in channel and thread holds bad.
func (d *slackDesk) none(channel, thread, bad string) {
	d.t.Helper()
	_ = d.engine.Flush(context.Background())
	for _, m := range d.fake.Posted() {
		if m.Channel == channel && m.ThreadTS == thread && strings.Contains(slackShown(m), bad) {
			d.t.Fatalf("%s (thread %q) was sent %q: %s", channel, thread, bad, slackShown(m))
		}
	}
}

func containsAll(s string, want []string) bool {
	for _, w := range want {
		if !strings.Contains(s, w) {
			return false
		}
	}
	return true
}

// slackShown is what a Slack message shows: its text and its blocks' texts.
func slackShown(m fakeslack.Message) string {
	parts := []string{m.Text}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if s, ok := x["text"].(string); ok {
				parts = append(parts, s)
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	var blocks any
	_ = json.Unmarshal(m.Blocks, &blocks)
	walk(blocks)
	return strings.Join(parts, "\n")
}

// TestTicketWorkedInTheBrowserRequesterOnSlack: alice asks on Slack and stays there; tom and sara work
// her ticket from the console: claim (the card on Slack is edited, alice is told), reply (it reaches her
// Slack thread with tom's name), her answer on Slack shows on the ticket's page, a note (in the card's
// thread, never in hers), the priority, escalate (a card in Tier 3), and sara resolves it (alice is told
// and asked to rate). Each is audited as the same action from chat, by the person who took it.
func TestTicketWorkedInTheBrowserRequesterOnSlack(t *testing.T) {
	d := newSlackDesk(t)
	thread := d.say("UALICE", "CHELP", "", "my laptop shows a black screen after the update")
	d.posted("CHELP", thread) // the desk's first answer, in her thread
	d.say("UALICE", "CHELP", thread, "!escalate")
	card := ""
	deadline := time.Now().Add(10 * time.Second)
	for card == "" {
		_ = d.engine.Flush(context.Background())
		for _, m := range d.fake.Posted() {
			if m.Channel == "CTIER2" && m.ThreadTS == "" && strings.Contains(slackShown(m), "T-000001") {
				card = m.TS
			}
		}
		if card == "" && time.Now().After(deadline) {
			t.Fatal("no card for T-000001 in Tier 2's channel")
		}
		time.Sleep(5 * time.Millisecond)
	}

	tom, sara := d.signIn("slack:UTOM"), d.signIn("slack:USARA")
	mustContain(t, tom.Get("/tickets/T-000001"), "my laptop shows a black screen after the update", "Claim")

	// Claim: the card is edited to say who has it, and alice is told in her thread.
	updates := len(d.fake.Updated())
	d.act(tom, "T-000001", "claim")
	d.posted("CHELP", thread, "tom")
	_ = d.engine.Flush(context.Background())
	edited := false
	for _, m := range d.fake.Updated()[updates:] {
		if m.Channel == "CTIER2" && m.TS == card && strings.Contains(slackShown(m), "tom") {
			edited = true
		}
	}
	if !edited {
		t.Errorf("the claim did not edit the card on Slack to name tom: %d updates", len(d.fake.Updated())-updates)
	}

	// Reply: it reaches alice's thread on Slack, with tom's name and tier, and is copied to the card's.
	reply := "Hold the power button for ten seconds, then start it again."
	d.act(tom, "T-000001", "reply", "text", reply)
	got := d.posted("CHELP", thread, reply)
	if !strings.Contains(got, "tom") || !strings.Contains(got, "Tier 2") {
		t.Errorf("the reply in alice's Slack thread does not name tom of Tier 2: %q", got)
	}
	d.posted("CTIER2", card, reply)

	// Alice answers on Slack: the ticket's page shows it, as she wrote it.
	d.say("UALICE", "CHELP", thread, "That worked, the screen is back!")
	d.posted("CTIER2", card, "That worked, the screen is back!")
	mustContain(t, tom.Get("/tickets/T-000001"), reply, "That worked, the screen is back!")

	// A note: in the card's thread, never in alice's.
	d.act(tom, "T-000001", "note", "text", "driver rollback needed on the whole fleet")
	d.posted("CTIER2", card, "driver rollback needed on the whole fleet")
	d.none("CHELP", thread, "driver rollback")

	// Priority and escalate: Tier 3 gets a card.
	d.act(tom, "T-000001", "priority", "choice", "P2")
	d.act(tom, "T-000001", "escalate")
	d.posted("CTIER3", "", "T-000001")

	// Tom, no longer in the ticket's tier, may not resolve it; sara may.
	if r := tom.Post("/tickets/T-000001/resolve", form("event", web.NewEventID())); r.Status == http.StatusSeeOther {
		t.Fatalf("tom resolved a ticket of Tier 3: %d", r.Status)
	}
	d.act(sara, "T-000001", "claim")
	d.act(sara, "T-000001", "resolve")
	d.posted("CHELP", thread, "resolved", "T-000001")
	d.none("CHELP", thread, "driver rollback")

	page := sara.Get("/tickets/T-000001")
	mustContain(t, page, "Resolved", "Escalated to Tier 3", "Priority changed", "Internal note")

	// Audited as the same actions from chat, by who took them.
	entries, err := d.db.AuditEntries(context.Background(), time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"ticket.claimed": "slack:UTOM", "ticket.escalated": "slack:UTOM", "ticket.priority": "slack:UTOM", "ticket.resolved": "slack:USARA"}
	for _, e := range entries {
		if who, ok := want[e.Action]; ok && e.Actor == who && e.Target == "T-000001" {
			delete(want, e.Action)
		}
	}
	if len(want) > 0 {
		var have []string
		for _, e := range entries {
			have = append(have, e.Actor+" "+e.Action+" "+e.Target)
		}
		t.Errorf("not audited as taken from the web: %v\nthe audit log:\n%s", want, strings.Join(have, "\n"))
	}
}
