package bot_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/bot/bottest"
)

func ticketsOf(t *testing.T, db bot.Store, user string) []*bot.Ticket {
	t.Helper()
	var out []*bot.Ticket
	if err := db.View(context.Background(), func(tx bot.Tx) error {
		var err error
		out, err = tx.FindTickets(bot.TicketFilter{Requester: user})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func floodConfig() bot.Config {
	cfg := testConfig()
	cfg.Flood = bot.FloodConfig{Messages: 8, Window: time.Minute, JoinWithin: 30 * time.Second}
	return cfg
}

func TestFloodGetsOneTicketAndOneNotice(t *testing.T) {
	db := openStore(t, "")
	d := bottest.NewDesk(t, floodConfig(), db, testLibrary())
	mallory := bottest.User("mallory")
	var aliceQ string
	for i := range 100 {
		d.Say(mallory, "help", fmt.Sprintf("HELP vpn message %d", i))
		if i == 50 {
			aliceQ = d.Say(alice, "help", "my vpn won't connect")
		}
		d.Clock.Advance(600 * time.Millisecond)
	}
	mine := ticketsOf(t, db, mallory)
	if len(mine) != 1 {
		t.Fatalf("mallory has %d tickets, want 1", len(mine))
	}
	// Nothing acknowledged is lost: every message is on the ticket.
	var said []string
	for _, e := range mine[0].Transcript {
		if e.Author == mallory {
			said = append(said, e.Text)
		}
	}
	if len(said) != 100 {
		t.Fatalf("the ticket holds %d of mallory's 100 messages", len(said))
	}
	notices, answers := 0, 0
	for _, m := range d.Chat.Messages("help") {
		switch {
		case strings.Contains(m.Text(), "faster than I can keep up"):
			notices++
		case strings.Contains(m.Text(), "Did this solve it?") && m.Ref.Thread != aliceQ:
			answers++
		}
	}
	if notices < 1 || notices > 2 {
		t.Errorf("%d throttle notices over 60 seconds, want 1 (2 if the flood spans two windows)", notices)
	}
	if answers > 9 {
		t.Errorf("%d answers went to the flood; the desk should stop answering over the limit", answers)
	}
	// The desk kept serving others in the middle of the flood.
	if th := d.Chat.Thread("help", aliceQ); len(th) == 0 || !strings.Contains(th[0].Text(), "Connect to the VPN") {
		t.Fatalf("alice was not answered during the flood: %+v", th)
	}
	// A minute of quiet later, mallory is served again.
	d.Clock.Advance(2 * time.Minute)
	q := d.Say(mallory, "help", "my password expired")
	if th := d.Chat.Thread("help", q); len(th) == 0 || !strings.Contains(th[0].Text(), "Reset your password") {
		t.Fatalf("mallory not served after slowing down: %+v", th)
	}
}

func TestQuickMessagesJoinOneTicket(t *testing.T) {
	db := openStore(t, "")
	d := bottest.NewDesk(t, floodConfig(), db, testLibrary())
	hi := d.Say(alice, "help", "hi")
	d.Clock.Advance(5 * time.Second)
	q := d.Say(alice, "help", "my vpn won't connect")
	if n := len(ticketsOf(t, db, alice)); n != 1 {
		t.Fatalf("%d tickets, want the second message to join the first", n)
	}
	mustContain(t, "join notice", d.Chat.Thread("help", q)[0].Text(), "added this to **T-000001**")
	// The detail reached the search: the VPN answer comes in the ticket's own thread.
	th := d.Chat.Thread("help", hi)
	if last := th[len(th)-1]; !strings.Contains(last.Text(), "Connect to the VPN") {
		t.Fatalf("no answer after the joined detail: %s", last.Text())
	}
	// Replies in the second thread belong to the same ticket.
	d.SayIn(alice, "help", q, "it's the Example VPN client")
	if n := len(ticketsOf(t, db, alice)); n != 1 {
		t.Fatalf("%d tickets after a reply in the joined thread", n)
	}
	// Later, a new question is a new ticket; and bob's question is never joined to alice's.
	d.Clock.Advance(time.Minute)
	d.Say(alice, "help", "my password expired")
	d.Say(bob, "help", "vpn slow")
	if n := len(ticketsOf(t, db, alice)); n != 2 {
		t.Fatalf("alice has %d tickets, want 2", n)
	}
	if n := len(ticketsOf(t, db, bob)); n != 1 {
		t.Fatalf("bob has %d tickets, want 1", n)
	}
}

func TestTechniciansAreNotThrottled(t *testing.T) {
	db := openStore(t, "")
	d := bottest.NewDesk(t, floodConfig(), db, testLibrary())
	d.Say(alice, "help", "the printer eats paper") // escalated at once
	card := d.Chat.Messages("tier2")[0]
	for i := range 20 {
		d.SayIn(tom, "tier2", card.Ref.ID, fmt.Sprintf("step %d: try this", i))
	}
	relayed := 0
	for _, m := range d.Chat.Messages("help") {
		if strings.Contains(m.Text(), "try this") {
			relayed++
		}
		if strings.Contains(m.Text(), "faster than I can") {
			t.Fatalf("a technician was throttled")
		}
	}
	if relayed != 20 {
		t.Fatalf("%d of 20 technician replies relayed", relayed)
	}
}

func TestGreetingTicketTakesTheProblemAsSubject(t *testing.T) {
	db := openStore(t, "")
	d := bottest.NewDesk(t, floodConfig(), db, testLibrary())
	q := d.Say(alice, "help", "hi")
	d.SayIn(alice, "help", q, "my vpn won't connect")
	if tk := ticket(t, db, "T-000001"); tk.Subject != "my vpn won't connect" {
		t.Fatalf("subject %q, want the problem rather than the greeting", tk.Subject)
	}
	d.Clock.Advance(time.Minute)
	d.Say(bob, "help", "hello")
	d.Clock.Advance(5 * time.Second)
	d.Say(bob, "help", "password expired")
	if tk := ticket(t, db, "T-000002"); tk.Subject != "password expired" {
		t.Fatalf("joined question: subject %q", tk.Subject)
	}
}

// relayed counts the messages of the card's thread (in tier2) that contain text.
func relayed(d *bottest.Desk, text string) int {
	card := d.Chat.Messages("tier2")[0]
	return count(d.Chat.Thread("tier2", card.Ref.ID), text)
}

// TestDuplicatesAreOneMessage: a message that arrives several times (a platform's redelivery, or the
// same message as two event types with one dedup key) is one message to the flood guard. Someone who
// writes six messages a minute, each delivered three times, is under a limit of eight: every one of them
// reaches the technician, once.
func TestDuplicatesAreOneMessage(t *testing.T) {
	db := openStore(t, "")
	d := bottest.NewDesk(t, floodConfig(), db, testLibrary())
	q := d.Say(alice, "help", "the printer eats paper") // escalated at once
	for i := range 5 {
		d.Clock.Advance(8 * time.Second)
		id := fmt.Sprintf("m%d", i)
		ev := bot.Event{Kind: bot.EventMessage, ID: "msg:" + id, Channel: "help", Thread: q, Message: id, User: alice, UserName: "alice",
			Text: fmt.Sprintf("detail %d", i)}
		for range 3 {
			if err := d.Handle(ev); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n := count(d.Chat.Messages("help"), "faster than I can keep up"); n != 0 {
		t.Fatalf("six messages in a minute, each delivered three times, got %d throttle notices", n)
	}
	for i := range 5 {
		if n := relayed(d, fmt.Sprintf("detail %d", i)); n != 1 {
			t.Fatalf("detail %d reached the card's thread %d times, want once", i, n)
		}
	}
}

// failingStore makes the next Fail transactions fail after their work ran (as a commit refused by a full
// disk), and runs the next Retry transactions twice, the first attempt rolled back (as a store that
// retries a serialization failure does).
type failingStore struct {
	bot.Store
	Fail, Retry int
}

var errCommit = errors.New("commit refused")

func (s *failingStore) Update(ctx context.Context, fn func(bot.Tx) error) error {
	if s.Retry > 0 {
		s.Retry--
		_ = s.Store.Update(ctx, func(tx bot.Tx) error {
			if err := fn(tx); err != nil {
				return err
			}
			return errCommit // rolled back: the store tries again
		})
		return s.Store.Update(ctx, fn)
	}
	if s.Fail > 0 {
		s.Fail--
		return s.Store.Update(ctx, func(tx bot.Tx) error {
			if err := fn(tx); err != nil {
				return err
			}
			return errCommit
		})
	}
	return s.Store.Update(ctx, fn)
}

// TestFailedTransactionsAreNotCounted: the flood guard counts a message once its transaction commits. A
// transaction that fails (the adapter does not ack, the platform redelivers) or that the store runs twice
// counts once.
func TestFailedTransactionsAreNotCounted(t *testing.T) {
	db := openStore(t, "")
	store := &failingStore{Store: db}
	cfg := floodConfig()
	cfg.Flood.Messages = 3
	d := bottest.NewDesk(t, cfg, store, testLibrary())
	q := d.Say(alice, "help", "the printer eats paper") // escalated at once
	ev := bot.Event{Kind: bot.EventMessage, ID: "msg:x1", Channel: "help", Thread: q, Message: "x1", User: alice, UserName: "alice", Text: "it says error 809"}
	store.Fail = 4
	for range 4 {
		if err := d.Handle(ev); !errors.Is(err, errCommit) {
			t.Fatalf("handle with a failing store: %v", err)
		}
	}
	if err := d.Handle(ev); err != nil { // the redelivery that commits
		t.Fatal(err)
	}
	store.Retry = 3
	d.SayIn(alice, "help", q, "on the home wifi")
	if n := count(d.Chat.Messages("help"), "faster than I can keep up"); n != 0 {
		t.Fatalf("three messages, one of them tried five times and one run twice, got %d throttle notices (limit 3)", n)
	}
	if relayed(d, "error 809") != 1 || relayed(d, "home wifi") != 1 {
		t.Fatalf("the messages under the limit did not reach the card's thread once each")
	}
	// The fourth is over the limit: the guard still counts what committed.
	d.SayIn(alice, "help", q, "and at the office")
	if n := count(d.Chat.Messages("help"), "faster than I can keep up"); n != 1 {
		t.Fatalf("%d throttle notices after four messages with a limit of three, want 1", n)
	}
}

// countingObserver counts the transitions the engine reports, for metrics.
type countingObserver struct {
	mu          sync.Mutex
	transitions map[string]int
}

func (o *countingObserver) EventHandled(string, bot.EventKind, time.Duration, error)        {}
func (o *countingObserver) EffectDone(string, bot.EffectKind, string, time.Duration, error) {}
func (o *countingObserver) Transition(typ bot.TransitionType, _, _ bot.Status, _, _ string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.transitions[string(typ)]++
}

// TestFailedTransactionsAreNotObserved: metrics hear of a transition once its transaction commits; a
// claim whose commit failed twice, and one the store ran twice, is one claim.
func TestFailedTransactionsAreNotObserved(t *testing.T) {
	db := openStore(t, "")
	store := &failingStore{Store: db}
	d := bottest.NewDesk(t, testConfig(), store, testLibrary())
	obs := &countingObserver{transitions: map[string]int{}}
	d.Engine.SetObserver(obs)
	_, card := escalated(t, d)
	claim := bot.Event{Kind: bot.EventReactionAdded, ID: "rx1", Channel: "tier2", Message: card.Ref.ID, User: tom, UserName: "tom", Reaction: "raising_hand"}
	store.Fail = 2
	for range 2 {
		if err := d.Handle(claim); !errors.Is(err, errCommit) {
			t.Fatalf("claim with a failing store: %v", err)
		}
	}
	store.Retry = 1
	if err := d.Handle(claim); err != nil {
		t.Fatal(err)
	}
	if n := obs.transitions["claimed"]; n != 1 {
		t.Fatalf("metrics counted %d claims, want 1", n)
	}
	if n := obs.transitions["escalated"]; n != 1 {
		t.Fatalf("metrics counted %d escalations, want 1", n)
	}
}

// TestOneMessageTwoEvents: a message that reaches the desk as two events with different ids (Slack's
// message and app_mention) is one message, whatever the adapter made of their ids.
func TestOneMessageTwoEvents(t *testing.T) {
	db := openStore(t, "")
	cfg := floodConfig()
	cfg.Flood.JoinWithin = 0
	d := bottest.NewDesk(t, cfg, db, testLibrary())
	for i := range 6 {
		id := fmt.Sprintf("m%d", i)
		for _, ev := range []bot.Event{
			{Kind: bot.EventMessage, ID: "message:" + id, Channel: "general", Message: id, User: alice, UserName: "alice", Text: "@firstline my vpn won't connect", Mention: true},
			{Kind: bot.EventMessage, ID: "app_mention:" + id, Channel: "general", Message: id, User: alice, UserName: "alice", Text: "@firstline my vpn won't connect", Mention: true},
		} {
			if err := d.Handle(ev); err != nil {
				t.Fatal(err)
			}
		}
		d.Clock.Advance(8 * time.Second)
	}
	if n := len(ticketsOf(t, db, alice)); n != 6 {
		t.Fatalf("%d tickets from six messages, each sent as two events, want 6", n)
	}
	if n := count(d.Chat.Messages("general"), "faster than I can keep up"); n != 0 {
		t.Fatalf("six messages a minute, each sent as two events, were throttled")
	}
}
