// Package storetest is the conformance suite of bot.Store: what every store (bbolt in package storage,
// PostgreSQL in storage/postgres) must do, checked the same way on each. A store's own test calls Run
// with a Harness that opens a new, empty store per test:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, storetest.Harness{Open: func(t *testing.T) bot.Store { ... }})
//	}
//
// It covers every method of bot.Tx (each case names the methods it covers, and TestEveryTxMethodIsCovered
// fails when a method of bot.Tx is in no case), every index the methods read through (FindTickets and
// TicketRows against a model of the tickets, DueTickets, conversations, message links), transactions
// (a failed Update keeps nothing, View writes nothing, values are copies), and concurrency: exactly one
// of racing claims wins, one of two deliveries of an event is handled, a conversation gets one ticket,
// counters lose no update, a lane's effects stay in commit order. The concurrent cases are written as the
// engine writes: their transaction functions may run more than once (bot.Store's contract), so each run
// starts from nothing it set before.
//
// To extend it when bot.Tx gains a method: add a case to the list in cases.go, in the file of its concern
// (or a new file), naming the methods it covers; write it against bot.Store and bot.Tx only, with
// t.Helper-style checks that say what was wrong. Capabilities beyond bot.Store that every store offers
// (dedup pruning, adapters' state) are cases too, run when the store implements the small interface the
// case declares (capabilities.go). docs/testing.md says the same.
package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
)

// Harness is how the suite gets stores.
type Harness struct {
	// Open returns a new, empty store, which the harness closes when the test ends (t.Cleanup).
	Open func(t *testing.T) bot.Store
	// Reopen closes s and opens the same data again, as a restart does; nil when the store cannot (the
	// cases that need it are then skipped with a message).
	Reopen func(t *testing.T, s bot.Store) bot.Store
	// Adapter returns the named adapter's state in s (each store has its own type for it).
	Adapter func(s bot.Store, name string) AdapterState
	// PurgeResolved runs s's retention purge (each store has its own result type).
	PurgeResolved func(s bot.Store, cutoff time.Time, batch int) (PurgeResult, error)
}

// Run runs every case of the suite against stores from h, each case on a new store, in parallel.
func Run(t *testing.T, h Harness) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t, h)
		})
	}
}

// testCase is one case of the suite and the bot.Tx methods it covers.
type testCase struct {
	name   string
	covers []string
	run    func(t *testing.T, h Harness)
}

var ctx = context.Background()

// update runs fn in an Update and fails the test on an error.
func update(t *testing.T, s bot.Store, fn func(tx bot.Tx) error) {
	t.Helper()
	if err := s.Update(ctx, fn); err != nil {
		t.Fatalf("update: %v", err)
	}
}

// view runs fn in a View and fails the test on an error.
func view(t *testing.T, s bot.Store, fn func(tx bot.Tx) error) {
	t.Helper()
	if err := s.View(ctx, fn); err != nil {
		t.Fatalf("view: %v", err)
	}
}

// base is the suite's "now": whole seconds in UTC, as times read back compare equal.
var base = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func at(minutes int) time.Time { return base.Add(time.Duration(minutes) * time.Minute) }

func ptr[T any](v T) *T { return &v }

// newTicket is a ticket as the engine opens one.
func newTicket(requester, thread string) *bot.Ticket {
	created := base
	return &bot.Ticket{
		Version: bot.TicketVersion, Status: bot.StatusOpen, Tier: bot.LevelOne, Priority: "P3",
		Requester: requester, RequesterName: "Name of " + requester,
		Conversation: bot.Conversation{Platform: "slack", Channel: "help", Thread: thread},
		Subject:      "The printer on floor 2 jams", CreatedAt: created, UpdatedAt: created,
		Transcript: []bot.Entry{{At: created, Author: requester, Role: bot.RoleRequester, Text: "The printer on floor 2 jams"}},
	}
}

// createTicket stores tk in its own Update and returns its id.
func createTicket(t *testing.T, s bot.Store, tk *bot.Ticket) string {
	t.Helper()
	update(t, s, func(tx bot.Tx) error { return tx.CreateTicket(tk) })
	return tk.ID
}

// readTicket reads a ticket in a View.
func readTicket(t *testing.T, s bot.Store, id string) *bot.Ticket {
	t.Helper()
	var tk *bot.Ticket
	view(t, s, func(tx bot.Tx) error {
		var err error
		tk, err = tx.Ticket(id)
		return err
	})
	return tk
}

// sameJSON fails unless got and want encode to the same JSON: what a store keeps is the record itself.
func sameJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	g, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	w, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	if string(g) != string(w) {
		t.Fatalf("%s:\n got %s\nwant %s", what, g, w)
	}
}

// wantCode fails unless err carries code.
func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if bot.ErrorCode(err) != code {
		t.Fatalf("%s: err = %v, want %s", what, err, code)
	}
}

func ids(tks []*bot.Ticket) []string {
	out := []string{}
	for _, tk := range tks {
		out = append(out, tk.ID)
	}
	return out
}

func fmtIDs(v []string) string { return fmt.Sprint(v) }
