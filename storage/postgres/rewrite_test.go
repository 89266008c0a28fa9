package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/storage/dump"
)

// TestRewriteHoldsWritersAndLosesNothing rewrites a desk unchanged while a replica creates a ticket: the
// replica's transaction waits for the rewrite, then commits with a number of its own, so the desk ends
// with every ticket it had and the new one. A rewrite that fails leaves the desk as it was.
func TestRewriteHoldsWritersAndLosesNothing(t *testing.T) {
	ctx := context.Background()
	db := checkDesk(t) // three tickets
	newTicket := func() *bot.Ticket {
		at := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
		return &bot.Ticket{Version: bot.TicketVersion, Status: bot.StatusOpen, Tier: "tier2", Priority: "P3", Requester: "slack:U9",
			Conversation: bot.Conversation{Platform: "slack", Channel: "help"}, Subject: "VPN", CreatedAt: at, UpdatedAt: at}
	}
	thread := "9.1"
	create := func(tx bot.Tx) error {
		tk := newTicket()
		tk.Conversation.Thread = thread
		if err := tx.CreateTicket(tk); err != nil {
			return err
		}
		return tx.LinkConversation(tk.Conversation, tk.ID)
	}
	done := make(chan error, 1)
	err := db.Rewrite(ctx, func(export func(func(dump.Record) error) error, put func(dump.Record) error) error {
		var all []dump.Record
		if err := export(func(r dump.Record) error { all = append(all, r); return nil }); err != nil {
			return err
		}
		go func() { done <- db.Update(ctx, create) }()
		// The replica's write waits for the tables the rewrite holds.
		deadline := time.Now().Add(30 * time.Second)
		for {
			var waiting bool
			if err := db.Pool().QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE NOT granted AND relation = 'tickets'::regclass)").Scan(&waiting); err != nil {
				return err
			}
			if waiting {
				break
			}
			if time.Now().After(deadline) {
				return errors.New("the replica's write never waited for the rewrite")
			}
			time.Sleep(5 * time.Millisecond)
		}
		for _, r := range all {
			if err := put(r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("the replica's write: %v", err)
	}
	// The sequences were not set back under the replica's number: the next ticket is a new one.
	thread = "10.1"
	if err := db.Update(ctx, create); err != nil {
		t.Fatalf("a ticket after the rewrite: %v", err)
	}
	var ids []string
	if err := db.View(ctx, func(tx bot.Tx) error {
		list, err := tx.FindTickets(bot.TicketFilter{})
		for _, tk := range list {
			ids = append(ids, tk.ID)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(ids) != 5 {
		t.Fatalf("after the rewrite, the replica's write and one more: %v, want 5 tickets", ids)
	}
	r, err := db.CheckAll(ctx)
	if err != nil || len(r.Problems) > 0 {
		t.Fatalf("check after the rewrite: %v, %v", r.Problems, err)
	}

	boom := errors.New("boom")
	err = db.Rewrite(ctx, func(export func(func(dump.Record) error) error, put func(dump.Record) error) error {
		var all []dump.Record
		if err := export(func(r dump.Record) error { all = append(all, r); return nil }); err != nil {
			return err
		}
		for _, r := range all[:2] {
			if err := put(r); err != nil {
				return err
			}
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("a failed rewrite: %v", err)
	}
	if r, err := db.CheckAll(ctx); err != nil || r.Tickets != 5 || len(r.Problems) > 0 {
		t.Fatalf("after a failed rewrite: %+v, %v", r, err)
	}
}
