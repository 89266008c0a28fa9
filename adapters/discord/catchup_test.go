package discord_test

import (
	"context"
	"errors"
	"log/slog"
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
)

const (
	bob   = "200000000000000003"
	carol = "200000000000000004"
	dave  = "200000000000000005"
	erin  = "200000000000000006"
	dm    = "700000000000000001" // carol's DM with the bot
)

// logWatch is a slog.Handler that counts records by message, so a test waits for the adapter to report a
// catch-up round instead of sleeping.
type logWatch struct {
	mu      sync.Mutex
	counts  map[string]int
	lines   []string // every record, for a failing test's output
	changed chan struct{}
}

func newLogWatch() *logWatch {
	return &logWatch{counts: map[string]int{}, changed: make(chan struct{})}
}

func (w *logWatch) Enabled(context.Context, slog.Level) bool { return true }
func (w *logWatch) WithAttrs([]slog.Attr) slog.Handler       { return w }
func (w *logWatch) WithGroup(string) slog.Handler            { return w }

func (w *logWatch) Handle(_ context.Context, r slog.Record) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.counts[r.Message]++
	line := r.Time.Format("15:04:05.000") + " " + r.Level.String() + " " + r.Message
	r.Attrs(func(a slog.Attr) bool {
		line += " " + a.String()
		return true
	})
	w.lines = append(w.lines, line)
	close(w.changed)
	w.changed = make(chan struct{})
	return nil
}

// wait waits until msg was logged n times; it fails the test after 20 s.
func (w *logWatch) wait(t *testing.T, msg string, n int) {
	t.Helper()
	deadline := time.NewTimer(20 * time.Second)
	defer deadline.Stop()
	for {
		w.mu.Lock()
		got, changed := w.counts[msg], w.changed
		w.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("waited for %q logged %d times, have %d", msg, n, got)
		}
	}
}

const caughtUp = "discord catch-up done"

// place is a Discord server's state that outlives a desk: the fake and the data file.
type place struct {
	t    *testing.T
	fake *fakediscord.Server
	db   *storage.DB
	ids  int64 // the next message id a desk's say uses, carried over restarts
}

func newPlace(t *testing.T) *place {
	t.Helper()
	fake := fakediscord.New(t)
	fake.AddChannel(help, "", 0)
	fake.AddChannel(tier2, "", 0)
	fake.AddChannel(dm, "", 1)
	fake.AddMember(tom, techs)
	db, err := storage.Open(filepath.Join(t.TempDir(), "data.db"), storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &place{t: t, fake: fake, db: db, ids: 500000000000000000}
}

// start runs a desk (engine and adapter) on the place, as `firstline` started again would: the adapter's
// cursors in the data file unless memoryOnly, its handler wrapped by wrap when set. stop ends it.
func (p *place) start(memoryOnly bool, wrap func(bot.Handler) bot.Handler) (d *desk, logs *logWatch, stop func()) {
	t := p.t
	t.Helper()
	engine, err := bot.New(testConfig("discord:"+tier2), p.db, kb.NewLibrary(articles, kb.Options{}), bot.SystemClock{}, quiet())
	if err != nil {
		t.Fatal(err)
	}
	cfg := discord.Config{Token: "test-token", APIURL: p.fake.URL(), HelpChannels: []string{help}}
	if !memoryOnly {
		cfg.State = p.db.Adapter(discord.Platform)
	}
	logs = newLogWatch()
	a, err := discord.New(cfg, slog.New(logs))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			logs.mu.Lock()
			defer logs.mu.Unlock()
			t.Logf("the adapter's log:\n%s", strings.Join(logs.lines, "\n"))
		}
	})
	engine.AddChat(a)
	var h bot.Handler = engine
	if wrap != nil {
		h = wrap(engine)
	}
	d = &desk{t: t, fake: p.fake, db: p.db, engine: engine, adapter: a, runErr: make(chan error, 1)}
	d.nextID.Store(p.ids)
	ctx, cancel := context.WithCancel(context.Background())
	d.cancel = cancel
	done := make(chan struct{})
	go func() { _ = engine.Run(ctx); close(done) }()
	go func() { d.runErr <- a.Run(ctx, h) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			<-done
			<-d.runErr
			p.ids = d.nextID.Load()
		})
	}
	t.Cleanup(stop)
	return d, logs, stop
}

// written is a message as Discord's REST API lists it: no guild_id, no member.
func written(user, text string, at time.Time) map[string]any {
	return map[string]any{"type": 0, "content": text, "timestamp": at.Format(time.RFC3339),
		"author": map[string]any{"id": user, "username": name(user)}}
}

// sentIn counts the messages the bot sent in channel.
func sentIn(fake *fakediscord.Server, channel string) int {
	n := 0
	for _, m := range fake.Sent() {
		if m.ChannelID == channel {
			n++
		}
	}
	return n
}

// TestCatchUpAfterRestart stops the desk, writes on Discord while it is stopped, and starts it again on
// the same data file: a question in the help channel is answered; the requester's follow-up in their
// ticket's thread reaches the card's thread; the technician's replies, in the card's thread and as a
// Discord reply to the card (messages from history, without the member the gateway would add), reach the
// requester; a DM of an open ticket
// is handled; a question older than the 24-hour window is not answered; and nothing is answered twice,
// neither by that start nor by later ones, with or without the saved cursors.
func TestCatchUpAfterRestart(t *testing.T) {
	p := newPlace(t)
	d, logs, stop := p.start(false, nil)
	logs.wait(t, caughtUp, 1)

	q1 := d.say(alice, help, "How do I add a printer?")
	d.find(q1, "printer-add")
	q2 := d.say(bob, help, "My VPN will not connect")
	d.click(bob, q2, d.find(q2, "Talk to a human").ID, bot.FeedbackHuman)
	card := d.find(tier2, "T-000002")
	d.react(tom, tier2, card.ID, "🙋", techs)
	d.find(q2, "picked up")
	d.say(bob, q2, "It says error 809")
	d.find(card.ID, "It says error 809") // the card's thread exists now
	id := d.id()
	p.fake.Dispatch(t, "MESSAGE_CREATE", map[string]any{"id": id, "channel_id": dm, "content": "My VPN will not connect", "type": 0,
		"timestamp": time.Now().Format(time.RFC3339), "author": map[string]any{"id": carol, "username": "carol"}})
	d.find(dm, "Talk to a human")
	stop()
	answeredQ1, inDM := sentIn(p.fake, q1), sentIn(p.fake, dm)

	// While the desk is stopped.
	now := time.Now()
	old := p.fake.AddHistory(help, written(erin, "How do I add a printer? (yesterday)", now.Add(-25*time.Hour)))
	late := p.fake.AddHistory(help, written(dave, "How do I add a printer?", now))
	p.fake.AddHistory(q2, written(bob, "Now it says error 812", now))
	p.fake.AddHistory(card.ID, written(tom, "Reinstall the client, then try again", now))
	reply := written(tom, "Or use the web portal meanwhile", now) // a Discord reply to the card, in the tier channel
	reply["type"], reply["message_reference"] = 19, map[string]any{"message_id": card.ID, "channel_id": tier2}
	p.fake.AddHistory(tier2, reply)
	p.fake.AddHistory(dm, written(carol, "It did not help, I still cannot connect", now))

	d, logs, stop = p.start(false, nil)
	logs.wait(t, caughtUp, 1)
	d.find(late, "printer-add")
	d.find(card.ID, "Now it says error 812")
	d.find(q2, "Reinstall the client")
	d.find(q2, "Or use the web portal")
	if err := d.engine.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := sentIn(p.fake, dm); n <= inDM {
		t.Errorf("the DM written while the desk was stopped got no answer")
	}
	if tk := ticket(t, p.db, "T-000003"); !strings.Contains(transcript(tk), "still cannot connect") {
		t.Errorf("the DM is not in carol's ticket: %s", transcript(tk))
	}
	for _, th := range p.fake.Threads() {
		if th.ID == old {
			t.Errorf("a question older than the window was answered")
		}
	}
	if sentIn(p.fake, old) != 0 {
		t.Errorf("a question older than the window was answered")
	}
	if n := sentIn(p.fake, q1); n != answeredQ1 {
		t.Errorf("the question answered before the stop was answered again: %d messages, had %d", n, answeredQ1)
	}
	stop()
	total := len(p.fake.Sent())

	// Started again with nothing new: from the saved cursors, then as a desk that lost them (help
	// channels over the whole window, every message fetched again and recognised).
	for _, memoryOnly := range []bool{false, true} {
		d, logs, stop = p.start(memoryOnly, nil)
		logs.wait(t, caughtUp, 1)
		if err := d.engine.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		stop()
		if n := len(p.fake.Sent()); n != total {
			t.Fatalf("a start with nothing new (memory only %v) sent %d messages:\n%s", memoryOnly, n-total, dump(p.fake.Sent()[total:]))
		}
	}
}

func transcript(tk *bot.Ticket) string {
	var b strings.Builder
	for _, e := range tk.Transcript {
		b.WriteString(e.Text + "\n")
	}
	return b.String()
}

// failOnce makes the engine fail to record the first message whose text contains marker, as a full
// disk would, and records the rest.
type failOnce struct {
	bot.Handler
	marker string
	mu     sync.Mutex
	failed bool
}

func (f *failOnce) Handle(ctx context.Context, ev bot.Event) error {
	f.mu.Lock()
	fail := !f.failed && strings.Contains(ev.Text, f.marker)
	f.failed = f.failed || fail
	f.mu.Unlock()
	if fail {
		return errors.New("disk full")
	}
	return f.Handler.Handle(ctx, ev)
}

// TestCatchUpNeverSkipsUnrecorded checks that a saved cursor never passes a message the engine did not
// record: a question that failed to be recorded, followed by one that was, is still fetched and answered
// when the desk starts again.
func TestCatchUpNeverSkipsUnrecorded(t *testing.T) {
	p := newPlace(t)
	d, logs, stop := p.start(false, func(h bot.Handler) bot.Handler { return &failOnce{Handler: h, marker: "printer"} })
	logs.wait(t, caughtUp, 1)
	lost := d.say(bob, help, "How do I add a printer?")
	logs.wait(t, "discord event not recorded", 1)
	next := d.say(carol, help, "My VPN will not connect")
	d.find(next, "Talk to a human")
	if sentIn(p.fake, lost) != 0 {
		t.Fatal("the question that was not recorded was answered")
	}
	stop()

	d, logs, _ = p.start(false, nil)
	logs.wait(t, caughtUp, 1)
	d.find(lost, "printer-add")
	if n := sentIn(p.fake, next); n != 1 {
		t.Fatalf("the question recorded before the stop has %d answers, want 1", n)
	}
}

// TestCatchUpAfterZombieConnection checks that a message the gateway never delivered while a connection
// had stopped answering heartbeats is fetched once discordgo has given up on it and a new session
// starts.
func TestCatchUpAfterZombieConnection(t *testing.T) {
	p := newPlace(t)
	// discordgo gives up on a connection after five intervals without an ACK: 500 ms here.
	p.fake.SetHeartbeatInterval(100 * time.Millisecond)
	d, logs, _ := p.start(false, nil)
	logs.wait(t, caughtUp, 1)
	p.fake.WaitHeartbeat(t)
	// Written before the sessions are counted: on a loaded machine an ACK can come 500 ms late before the
	// test stops them, and discordgo gives up on a connection early. Every session identified after the
	// count then started after the message was written, so its catch-up fetches it.
	q := p.fake.AddHistory(help, written(bob, "How do I add a printer?", time.Now()))
	conns, idents := p.fake.Connections(), p.fake.Identifies()
	p.fake.AckHeartbeats(false)
	p.fake.SetHeartbeatInterval(time.Minute) // only the connection made zombie is meant to turn zombie
	p.fake.WaitConnections(t, conns+1)
	p.fake.AckHeartbeats(true)
	p.fake.WaitIdentifies(t, idents+1)
	d.find(q, "printer-add")
}

// TestCatchUpWaitsOutRateLimits checks that a 429 on reading a channel's history delays its catch-up
// rather than leaving the question for a later round.
func TestCatchUpWaitsOutRateLimits(t *testing.T) {
	p := newPlace(t)
	_, logs, stop := p.start(false, nil)
	logs.wait(t, caughtUp, 1)
	stop()
	q := p.fake.AddHistory(help, written(bob, "How do I add a printer?", time.Now()))
	p.fake.RateLimit("/api/v9/channels/"+help+"/messages", 300*time.Millisecond, false, 2)
	d, logs, _ := p.start(false, nil)
	logs.wait(t, caughtUp, 1)
	d.find(q, "printer-add")
}

// TestFirstStartAnswersNoPast checks that a desk watching a help channel for the first time does not
// turn the channel's past day into tickets: catch-up starts where the desk started.
func TestFirstStartAnswersNoPast(t *testing.T) {
	p := newPlace(t)
	before := p.fake.AddHistory(help, written(bob, "How do I add a printer?", time.Now().Add(-2*time.Hour)))
	d, logs, _ := p.start(false, nil)
	logs.wait(t, caughtUp, 1)
	if err := d.engine.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(p.fake.Sent()); n != 0 {
		t.Fatalf("a first start answered the channel's past: %s", dump(p.fake.Sent()))
	}
	q := d.say(carol, help, "How do I add a printer?")
	d.find(q, "printer-add")
	if sentIn(p.fake, before) != 0 {
		t.Fatal("a question from before the first start was answered")
	}
}

// TestCatchUpThreadsPeopleStarted checks that a thread a technician started on a card themselves (the desk
// has not posted in it) is caught up after a restart once the desk has handled a message there.
func TestCatchUpThreadsPeopleStarted(t *testing.T) {
	p := newPlace(t)
	d, logs, stop := p.start(false, nil)
	logs.wait(t, caughtUp, 1)
	q := d.say(bob, help, "My VPN will not connect")
	d.click(bob, q, d.find(q, "Talk to a human").ID, bot.FeedbackHuman)
	card := d.find(tier2, "T-000001")
	p.fake.AddChannel(card.ID, tier2, 11) // tom's thread on the card, named by him
	d.say(tom, card.ID, "Looking at it now", techs)
	d.find(q, "Looking at it now")
	stop()

	p.fake.AddHistory(card.ID, written(tom, "Found it: the gateway certificate expired", time.Now()))
	d, logs, _ = p.start(false, nil)
	logs.wait(t, caughtUp, 1)
	d.find(q, "gateway certificate expired")
}

// answerFirst performs the engine's effects of a DM before handing back that it was recorded, as a
// busy gateway goroutine lets the engine's dispatcher do: the desk posts its answer in the DM before the
// adapter notes the message it answers.
type answerFirst struct {
	*bot.Engine
}

func (a answerFirst) Handle(ctx context.Context, ev bot.Event) error {
	if err := a.Engine.Handle(ctx, ev); err != nil || !ev.DM {
		return err
	}
	return a.Flush(ctx)
}

// TestCatchUpDMAnsweredBeforeNoted checks that a DM channel stays a DM for catch-up whichever comes
// first, the desk's answer there or the note that the person's message was recorded: a DM written while
// the desk is stopped is answered when it starts again. The answer's post took the channel for a
// server's channel when it came first, and the DM was then fetched as a message outside every help
// channel and ignored.
func TestCatchUpDMAnsweredBeforeNoted(t *testing.T) {
	p := newPlace(t)
	d, logs, stop := p.start(false, func(h bot.Handler) bot.Handler { return answerFirst{h.(*bot.Engine)} })
	logs.wait(t, caughtUp, 1)
	p.fake.Dispatch(t, "MESSAGE_CREATE", map[string]any{"id": d.id(), "channel_id": dm, "content": "My VPN will not connect", "type": 0,
		"timestamp": time.Now().Format(time.RFC3339), "author": map[string]any{"id": carol, "username": "carol"}})
	d.find(dm, "Talk to a human")
	stop()
	inDM := sentIn(p.fake, dm)

	p.fake.AddHistory(dm, written(carol, "It did not help, I still cannot connect", time.Now()))
	d, logs, _ = p.start(false, nil)
	logs.wait(t, caughtUp, 1)
	if err := d.engine.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := sentIn(p.fake, dm); n <= inDM {
		t.Errorf("the DM written while the desk was stopped got no answer")
	}
	if tk := ticket(t, p.db, "T-000001"); !strings.Contains(transcript(tk), "still cannot connect") {
		t.Errorf("the DM is not in carol's ticket: %s", transcript(tk))
	}
}
