package slack_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/adapters/slack"
	"github.com/firstline-desk/firstline/adapters/slack/fakeslack"
	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/kb"
	"github.com/firstline-desk/firstline/storage"
)

// desk is a whole desk on a fake Slack: the real engine, storage and knowledge base, the adapter on
// Socket Mode.
type desk struct {
	t       *testing.T
	fake    *fakeslack.Server
	db      *storage.DB
	engine  *bot.Engine
	adapter *slack.Adapter
	ts      int // for the timestamps of messages people write
}

var articles = []kb.Article{
	{ID: "vpn-connect", Title: "Connect to the company VPN", Tags: []string{"vpn"},
		Body: "Open **GlobalProtect** and connect to `vpn.example.com`. See [the guide](https://wiki.example.com/vpn?a=1&b=2). @channel"},
	{ID: "printer-add", Title: "Add a network printer", Body: "Settings > Printers > Add."},
}

func deskConfig() bot.Config {
	return bot.Config{
		Name:          "Firstline",
		CommandPrefix: "!",
		HelpChannels:  []string{"slack:CHELP"},
		Tiers: []bot.Tier{
			{ID: "tier2", Name: "Tier 2", Channel: "slack:CTIER2", Members: []string{"slack:UTOM"}},
			{ID: "tier3", Name: "Tier 3", Channel: "slack:CTIER3", Members: []string{"slack:USARA"}},
		},
		Reactions:       bot.DefaultReactions,
		MinConfidence:   kb.DefaultMinConfidence,
		ReopenWindow:    7 * 24 * time.Hour,
		DefaultPriority: "P3",
	}
}

func newDesk(t *testing.T) *desk { return newDeskWith(t, deskConfig(), nil) }

func newDeskWith(t *testing.T, cfg bot.Config, setup func(*fakeslack.Server)) *desk {
	t.Helper()
	fake := fakeslack.New(t)
	if setup != nil {
		setup(fake)
	}
	fake.AddUser("UALICE", "Alice Smith", "alice")
	fake.AddUser("UTOM", "Tom Jones", "tom")
	fake.AddUser("USARA", "Sara Lee", "")
	db, err := storage.Open(filepath.Join(t.TempDir(), "data.db"), storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	engine, err := bot.New(cfg, db, kb.NewLibrary(articles, kb.Options{}), bot.SystemClock{}, logger)
	if err != nil {
		t.Fatal(err)
	}
	adapter, err := slack.New(slack.Config{
		Mode: slack.ModeSocket, BotToken: "xoxb-test", AppToken: "xapp-test", APIURL: fake.APIURL(), CommandPrefix: "!",
	}, logger)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := adapter.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	engine.AddChat(adapter)
	done := make(chan struct{}, 3)
	go func() { _ = engine.Run(ctx); done <- struct{}{} }()
	go func() { _ = adapter.RunSocket(ctx, engine); done <- struct{}{} }()
	go func() { adapter.RunDirectory(ctx); done <- struct{}{} }()
	t.Cleanup(func() { cancel(); <-done; <-done; <-done })
	fake.WaitConnections(t, 1)
	return &desk{t: t, fake: fake, db: db, engine: engine, adapter: adapter, ts: 100}
}

// say sends a message event from user and waits for its envelope to be acknowledged; it returns the
// message's ts.
func (d *desk) say(user, channel, thread, text string) string {
	d.t.Helper()
	d.ts++
	ts := tsOf(d.ts)
	ev := map[string]any{"type": "message", "channel": channel, "user": user, "text": text, "ts": ts, "event_ts": ts,
		"channel_type": "channel"}
	if strings.HasPrefix(channel, "D") {
		ev["channel_type"] = "im"
	}
	if thread != "" {
		ev["thread_ts"] = thread
	}
	d.fake.WaitAck(d.t, d.fake.SendEnvelope(d.t, fakeslack.EventsAPI("Ev"+ts, ev, 0)))
	return ts
}

func (d *desk) react(user, channel, ts, name string) {
	d.t.Helper()
	d.ts++
	ev := map[string]any{"type": "reaction_added", "user": user, "reaction": name, "event_ts": tsOf(d.ts),
		"item": map[string]any{"type": "message", "channel": channel, "ts": ts}}
	d.fake.WaitAck(d.t, d.fake.SendEnvelope(d.t, fakeslack.EventsAPI("EvR"+tsOf(d.ts), ev, 0)))
}

func (d *desk) click(user string, m fakeslack.Message, thread, value string) {
	d.t.Helper()
	d.ts++
	payload := map[string]any{
		"type": "block_actions", "trigger_id": "trig" + tsOf(d.ts),
		"user":      map[string]any{"id": user, "name": strings.ToLower(user)},
		"channel":   map[string]any{"id": m.Channel},
		"container": map[string]any{"type": "message", "channel_id": m.Channel, "message_ts": m.TS, "thread_ts": thread},
		"message":   map[string]any{"ts": m.TS, "thread_ts": thread},
		"actions":   []any{map[string]any{"action_id": value, "block_id": "firstline_choices", "value": value, "type": "button", "action_ts": tsOf(d.ts)}},
	}
	d.fake.WaitAck(d.t, d.fake.SendEnvelope(d.t, fakeslack.Interactive(payload)))
}

// tsOf is the Slack timestamp of the nth message of a test.
func tsOf(n int) string { return fmt.Sprintf("1700000%03d.000100", n) }

// flush performs every effect due, so what the engine decided is posted before the test looks.
func (d *desk) flush() {
	d.t.Helper()
	if err := d.engine.Flush(context.Background()); err != nil {
		d.t.Fatal(err)
	}
}

func (d *desk) ticket(id string) *bot.Ticket {
	d.t.Helper()
	var t *bot.Ticket
	err := d.db.View(context.Background(), func(tx bot.Tx) error {
		var err error
		t, err = tx.Ticket(id)
		return err
	})
	if err != nil {
		d.t.Fatal(err)
	}
	return t
}

// find returns the last message posted in channel (and thread, when not "-") whose text or blocks contain
// want.
func (d *desk) find(channel, thread, want string) fakeslack.Message {
	d.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		posted := d.fake.Posted()
		for i := len(posted) - 1; i >= 0; i-- {
			m := posted[i]
			if m.Channel == channel && (thread == "-" || m.ThreadTS == thread) && (strings.Contains(m.Text, want) || strings.Contains(string(m.Blocks), want)) {
				return m
			}
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("no message in %s/%s containing %q; posted:\n%s", channel, thread, want, dump(posted))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func dump(ms []fakeslack.Message) string {
	var b strings.Builder
	for _, m := range ms {
		b.WriteString(m.Channel + " thread=" + m.ThreadTS + " ts=" + m.TS + ": " + m.Text + "\n  " + string(m.Blocks) + "\n")
	}
	return b.String()
}

// TestWholeStory runs the core story through Slack: a question in a help channel, the answer in its
// thread with buttons, "talk to a human", the card in the tier channel, a claim by reaction, relays both
// ways, resolve by reaction, and the rating buttons.
func TestWholeStory(t *testing.T) {
	d := newDesk(t)
	q := d.say("UALICE", "CHELP", "", "My VPN will not connect")
	d.flush()
	answer := d.find("CHELP", q, "Talk to a human")
	if !strings.Contains(string(answer.Blocks), "vpn-connect") || !strings.Contains(string(answer.Blocks), `"type":"actions"`) {
		t.Fatalf("answer lacks the article or the buttons: %s", answer.Blocks)
	}
	if strings.Contains(string(answer.Blocks), "<!channel>") || strings.Contains(string(answer.Blocks), "@channel") {
		t.Fatalf("an article's @channel reached Slack as a mention: %s", answer.Blocks)
	}
	tk := d.ticket("T-000001")
	if tk.Requester != "slack:UALICE" || tk.RequesterName != "alice" {
		t.Fatalf("ticket requester %q (%q)", tk.Requester, tk.RequesterName)
	}

	d.click("UALICE", answer, q, bot.FeedbackHuman)
	d.flush()
	card := d.find("CTIER2", "", "T-000001")
	if !strings.Contains(string(card.Blocks), `"type":"header"`) || !strings.Contains(string(card.Blocks), "unclaimed") {
		t.Fatalf("card: %s", card.Blocks)
	}

	d.react("UTOM", "CTIER2", card.TS, "raising_hand")
	d.flush()
	d.find("CHELP", q, "picked up")
	if up := d.fake.Updated(); len(up) == 0 || !strings.Contains(string(up[len(up)-1].Blocks), "tom") {
		t.Fatalf("the card was not updated with its owner: %v", up)
	}

	d.say("UTOM", "CTIER2", card.TS, "Which error do you see?")
	d.flush()
	d.find("CHELP", q, "Which error do you see?")
	d.say("UALICE", "CHELP", q, "It says error 809")
	d.flush()
	d.find("CTIER2", card.TS, "It says error 809")

	d.react("UTOM", "CTIER2", card.TS, "white_check_mark")
	d.flush()
	rate := d.find("CHELP", q, "csat-5")
	d.click("UALICE", rate, q, "csat-5")
	d.flush()
	tk = d.ticket("T-000001")
	if tk.Status != bot.StatusResolved || tk.CSAT == nil || tk.CSAT.Score != 5 {
		t.Fatalf("ticket status %s, csat %+v", tk.Status, tk.CSAT)
	}
}

// TestRedeliveryAndDoubleEvent checks that Slack's redelivery of an event, and the app_mention Slack
// sends alongside the message event for the same message, open one ticket and answer once.
func TestRedeliveryAndDoubleEvent(t *testing.T) {
	d := newDesk(t)
	ev := map[string]any{"type": "message", "channel": "CHELP", "channel_type": "channel", "user": "UALICE",
		"text": "<@UBOT> my vpn will not connect", "ts": "1700000500.000100"}
	d.fake.WaitAck(t, d.fake.SendEnvelope(t, fakeslack.EventsAPI("EvA", ev, 0)))
	d.fake.WaitAck(t, d.fake.SendEnvelope(t, fakeslack.EventsAPI("EvA", ev, 1)))
	mention := map[string]any{"type": "app_mention", "channel": "CHELP", "user": "UALICE",
		"text": "<@UBOT> my vpn will not connect", "ts": "1700000500.000100"}
	d.fake.WaitAck(t, d.fake.SendEnvelope(t, fakeslack.EventsAPI("EvB", mention, 0)))
	d.flush()
	d.find("CHELP", "1700000500.000100", "Talk to a human")
	time.Sleep(50 * time.Millisecond)
	d.flush()
	if n := len(d.fake.Calls("chat.postMessage")); n != 1 {
		t.Fatalf("%d posts, want one answer:\n%s", n, dump(d.fake.Posted()))
	}
	err := d.db.View(context.Background(), func(tx bot.Tx) error {
		if _, err := tx.Ticket("T-000002"); !bot.IsNotFound(err) {
			t.Errorf("a second ticket exists: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestRateLimited checks that a 429 on chat.postMessage delays the answer by Retry-After, not loses it.
func TestRateLimited(t *testing.T) {
	d := newDesk(t)
	d.fake.RateLimit("chat.postMessage", time.Second, 1)
	start := time.Now()
	q := d.say("UALICE", "CHELP", "", "My VPN will not connect")
	d.find("CHELP", q, "Talk to a human")
	if waited := time.Since(start); waited < 900*time.Millisecond {
		t.Fatalf("answered after %v, before Retry-After", waited)
	}
	if n := len(d.fake.Calls("chat.postMessage")); n != 2 {
		t.Fatalf("%d postMessage calls, want the refused one and the retry", n)
	}
}

// TestReconnect checks that a dropped socket and a disconnect request are survived: the adapter
// reconnects and the next event is handled.
func TestReconnect(t *testing.T) {
	d := newDesk(t)
	d.fake.Drop()
	d.fake.WaitConnections(t, 2)
	q := d.say("UALICE", "CHELP", "", "My VPN will not connect")
	d.flush()
	d.find("CHELP", q, "Talk to a human")

	d.fake.Disconnect("refresh_requested")
	d.fake.WaitConnections(t, 3)
	q = d.say("UALICE", "CHELP", "", "How do I add a printer?")
	d.flush()
	d.find("CHELP", q, "printer-add")
}

// TestConnectionState checks what /healthz reads: connected once the socket is up, and not connected,
// since the drop, while a lost connection cannot be replaced (here Slack rate-limits the reconnect for
// a minute).
func TestConnectionState(t *testing.T) {
	d := newDesk(t)
	waitConnection(t, d.adapter, true)
	_, up := d.adapter.Connection()

	d.fake.RateLimit("apps.connections.open", time.Minute, 1)
	d.fake.Drop()
	waitConnection(t, d.adapter, false)
	if _, down := d.adapter.Connection(); down.Before(up) {
		t.Fatalf("down since %v, before the connection came up at %v", down, up)
	}
}

func waitConnection(t *testing.T, a *slack.Adapter, want bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if got, _ := a.Connection(); got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the adapter's connection did not become connected=%v", want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestIgnored checks that the bot's own messages and reactions, other bots, edits and joins, and
// chatter in threads of a help channel that are not tickets, do nothing.
func TestIgnored(t *testing.T) {
	d := newDesk(t)
	for i, ev := range []map[string]any{
		{"type": "message", "channel": "CHELP", "user": "UBOT", "text": "my vpn", "ts": "1700000600.000100"},
		{"type": "message", "channel": "CHELP", "bot_id": "BOTHER", "user": "UOTHER", "text": "my vpn", "ts": "1700000601.000100"},
		{"type": "message", "subtype": "message_changed", "channel": "CHELP", "user": "UALICE", "text": "my vpn", "ts": "1700000602.000100"},
		{"type": "message", "subtype": "channel_join", "channel": "CHELP", "user": "UALICE", "text": "joined", "ts": "1700000603.000100"},
		{"type": "message", "channel": "CHELP", "user": "UALICE", "text": "my vpn", "ts": "1700000604.000100", "thread_ts": "1700000001.000100"},
		{"type": "message", "channel": "CRANDOM", "user": "UALICE", "text": "my vpn", "ts": "1700000605.000100"},
		{"type": "reaction_added", "user": "UBOT", "reaction": "raising_hand", "item": map[string]any{"type": "message", "channel": "CTIER2", "ts": "1.1"}},
	} {
		d.fake.WaitAck(t, d.fake.SendEnvelope(t, fakeslack.EventsAPI(fmt.Sprint("EvI", i), ev, 0)))
	}
	d.flush()
	if n := len(d.fake.Calls("chat.postMessage")); n != 0 {
		t.Fatalf("%d posts, want none:\n%s", n, dump(d.fake.Posted()))
	}
}

// TestDMAndSlashCommand checks a question in a DM and "/firstline status", which goes through the
// same parser as "!status" and is answered privately: without a response_url, as an ephemeral message.
func TestDMAndSlashCommand(t *testing.T) {
	d := newDesk(t)
	d.say("UALICE", "DUALICE", "", "My VPN will not connect")
	d.flush()
	d.find("DUALICE", "-", "Talk to a human")

	env := fakeslack.SlashCommand(map[string]string{"command": "/firstline", "text": "status", "user_id": "UALICE",
		"user_name": "alice", "channel_id": "CRANDOM", "trigger_id": "trigS1", "team_id": "T1"})
	d.fake.WaitAck(t, d.fake.SendEnvelope(t, env))
	d.flush()
	eph := d.fake.WaitCalls(t, "chat.postEphemeral", 1)
	if f := eph[0].Form; f.Get("channel") != "CRANDOM" || f.Get("user") != "UALICE" || !strings.Contains(f.Get("blocks"), "T-000001") {
		t.Fatalf("the answer to /firstline status: %+v", f)
	}
	for _, m := range d.fake.Posted() {
		if m.Channel == "CRANDOM" {
			t.Fatalf("the answer was posted in the channel: %+v", m)
		}
	}
}

// TestPostErrors checks how Web API failures reach the engine's dispatcher: a rate limit to wait out, a
// missing channel as permanent, an existing reaction as success.
func TestPostErrors(t *testing.T) {
	fake := fakeslack.New(t)
	a, err := slack.New(slack.Config{BotToken: "xoxb-t", AppToken: "xapp-t", APIURL: fake.APIURL()}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	fake.RateLimit("chat.postMessage", 3*time.Second, 1)
	_, err = a.Post(ctx, bot.Post{Channel: "C1", Text: "hi"})
	var rl *bot.RateLimitError
	if !asRateLimit(err, &rl) || rl.RetryAfter < 3*time.Second {
		t.Fatalf("429: %v", err)
	}
	fake.FailNext("chat.postMessage", "channel_not_found")
	if _, err = a.Post(ctx, bot.Post{Channel: "CGONE", Text: "hi"}); bot.ErrorCode(err) != bot.ENOTFOUND {
		t.Fatalf("channel_not_found: %v (code %q)", err, bot.ErrorCode(err))
	}
	ref, err := a.Post(ctx, bot.Post{DM: "slack:UALICE", Title: "Hello", Text: "**hi**"})
	if err != nil || ref.Channel != "DUALICE" || ref.ID == "" {
		t.Fatalf("DM post: %+v %v", ref, err)
	}
	for range 2 {
		if err := a.React(ctx, ref, "white_check_mark"); err != nil {
			t.Fatalf("react: %v", err)
		}
	}
	if err := a.Update(ctx, ref, bot.Post{Text: "edited"}); err != nil {
		t.Fatal(err)
	}
	if up := fake.Updated(); len(up) != 1 || up[0].TS != ref.ID {
		t.Fatalf("updates %+v", up)
	}
}

func asRateLimit(err error, target **bot.RateLimitError) bool {
	rl, ok := err.(*bot.RateLimitError)
	*target = rl
	return ok
}

// TestUnrecordedEventIsNotAcked checks that an event the engine could not record is left unacknowledged,
// so Slack delivers it again, and that the next delivery, once recorded, is acknowledged.
func TestUnrecordedEventIsNotAcked(t *testing.T) {
	fake := fakeslack.New(t)
	a, err := slack.New(slack.Config{BotToken: "xoxb-t", AppToken: "xapp-t", APIURL: fake.APIURL()}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := a.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{fail: bot.Errorf(bot.EUNAVAILABLE, "disk full")}
	done := make(chan struct{})
	go func() { _ = a.RunSocket(ctx, rec); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	fake.WaitConnections(t, 1)

	ev := map[string]any{"type": "message", "channel": "CHELP", "user": "UALICE", "text": "vpn", "ts": "1700000001.000100"}
	first := fake.SendEnvelope(t, fakeslack.EventsAPI("Ev1", ev, 0))
	time.Sleep(200 * time.Millisecond)
	if fake.Acked(first) {
		t.Fatal("an event the engine did not record was acknowledged")
	}
	rec.mu.Lock()
	rec.fail = nil
	rec.mu.Unlock()
	fake.WaitAck(t, fake.SendEnvelope(t, fakeslack.EventsAPI("Ev1", ev, 1)))
	if got := rec.got(); len(got) != 1 || got[0].ID != "msg:CHELP:1700000001.000100" {
		t.Fatalf("recorded %+v", got)
	}
}

// TestUserGroupAsTier checks that a tier can be a Slack user group: its members claim, others cannot.
func TestUserGroupAsTier(t *testing.T) {
	cfg := deskConfig()
	cfg.Tiers[0].Members = []string{"slack:subteam:SHELPDESK"}
	d := newDeskWith(t, cfg, func(f *fakeslack.Server) { f.AddUserGroup("SHELPDESK", "USARA") })
	q := d.say("UALICE", "CHELP", "", "My VPN will not connect")
	d.flush()
	answer := d.find("CHELP", q, "Talk to a human")
	d.click("UALICE", answer, q, bot.FeedbackHuman)
	d.flush()
	card := d.find("CTIER2", "", "T-000001")
	d.react("UTOM", "CTIER2", card.TS, "raising_hand") // not in the group any more
	d.flush()
	d.find("CTIER2", "-", "Only members of Tier 2")
	d.react("USARA", "CTIER2", card.TS, "raising_hand")
	d.flush()
	d.find("CHELP", q, "picked up")
}

// flushUntil flushes the engine until cond holds, for up to 10 s (a retry waits out its backoff).
func (d *desk) flushUntil(cond func() bool) {
	d.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			d.t.Fatal("waited 10 s for the desk")
		}
		d.flush()
		time.Sleep(10 * time.Millisecond)
	}
}

// outboxEmpty reports whether the engine has nothing left to do.
func (d *desk) outboxEmpty() bool {
	var n int
	_ = d.db.View(context.Background(), func(tx bot.Tx) error {
		effs, err := tx.Effects(0, 0)
		n = len(effs)
		return err
	})
	return n == 0
}
