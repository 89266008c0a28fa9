package bot_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/bot/bottest"
)

// regroupingStore plays the part of a store that groups Updates into one commit (storage's group
// commit): when an Update fails, the Updates batched with it run again without it before its caller
// hears of the failure. Then is that other Update; FailEnqueue makes the next Update fail inside fn, at
// its first Enqueue.
type regroupingStore struct {
	bot.Store
	mu          sync.Mutex // the dispatcher calls Update from several goroutines
	FailEnqueue bool
	Then        func()
}

var errEnqueue = errors.New("enqueue refused")

type enqueueFails struct{ bot.Tx }

func (enqueueFails) Enqueue(*bot.Effect) error { return errEnqueue }

func (s *regroupingStore) Update(ctx context.Context, fn func(bot.Tx) error) error {
	s.mu.Lock()
	fail := s.FailEnqueue
	s.FailEnqueue = false
	s.mu.Unlock()
	err := s.Store.Update(ctx, func(tx bot.Tx) error {
		if fail {
			tx = enqueueFails{tx}
		}
		return fn(tx)
	})
	var then func()
	s.mu.Lock()
	if err != nil {
		then, s.Then = s.Then, nil
	}
	s.mu.Unlock()
	if then != nil {
		then()
	}
	return err
}

// TestAFailedEventLeavesNothingForItsBatch: an event whose transaction fails takes back what it noted in
// memory (the flood guard's count) before the store runs the events grouped with it again, so they are
// judged as if it had never come.
func TestAFailedEventLeavesNothingForItsBatch(t *testing.T) {
	db := openStore(t, "")
	store := &regroupingStore{Store: db}
	cfg := floodConfig()
	cfg.Flood.Messages = 1
	d := bottest.NewDesk(t, cfg, store, testLibrary())
	q := d.Say(alice, "help", "the printer eats paper") // escalated at once
	d.Clock.Advance(2 * cfg.Flood.Window)
	store.mu.Lock()
	store.FailEnqueue = true
	store.Then = func() { d.SayIn(alice, "help", q, "it says error 809") }
	store.mu.Unlock()
	failed := bot.Event{Kind: bot.EventMessage, ID: "msg:f1", Channel: "help", Thread: q, Message: "f1", User: alice, UserName: "alice", Text: "and it jams"}
	if err := d.Handle(failed); !errors.Is(err, errEnqueue) {
		t.Fatalf("the failing event: %v, want its transaction's error", err)
	}
	if n := count(d.Chat.Messages("help"), "faster than I can keep up"); n != 0 {
		t.Fatalf("one message committed in the window with a limit of one, and it was throttled (%d notices): the failed event was counted", n)
	}
	if relayed(d, "error 809") != 1 || relayed(d, "it jams") != 0 {
		t.Fatalf("the event grouped with a failed one did not reach the card's thread once, or the failed one did")
	}
}
