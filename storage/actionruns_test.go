package storage_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
)

// runIDs lists runs' ids.
func runIDs(runs []*bot.ActionRun) string {
	var ids []string
	for _, r := range runs {
		ids = append(ids, r.ID)
	}
	return strings.Join(ids, " ")
}

// TestRunsGoWithTheirTicket: the retention purge and erasure delete a ticket's runs with it, and
// erasure takes a person's id out of the runs on other people's tickets.
func TestRunsGoWithTheirTicket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.db")
	db := mustOpen(t, path)
	ctx := context.Background()
	old := time.Date(2026, 1, 2, 9, 0, 0, 0, time.UTC)
	err := db.Update(ctx, func(tx bot.Tx) error {
		for _, who := range []string{"test:alice", "test:bob", "test:carol"} {
			tk := newTicket(who)
			if who == "test:alice" {
				tk.Status, tk.ResolvedAt, tk.UpdatedAt = bot.StatusResolved, &old, old
			}
			if err := tx.CreateTicket(tk); err != nil {
				return err
			}
			if err := tx.LinkConversation(tk.Conversation, tk.ID); err != nil {
				return err
			}
			r := &bot.ActionRun{Action: "add", Ticket: tk.ID, For: who, RequestedBy: who, RequestedByName: who, State: bot.RunSucceeded, CreatedAt: old}
			if who == "test:carol" {
				r.Approvals = []bot.RunDecision{{By: "test:bob", Name: "Bob Builder", Approve: true}}
				r.Decision = &r.Approvals[0]
				r.History = []bot.RunStep{{State: bot.RunApproved, By: "test:bob", Detail: "approved by Bob Builder"}}
			}
			if err := tx.CreateActionRun(r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := db.PurgeResolved(ctx, old.Add(time.Hour), 10); err != nil || res.Tickets != 1 {
		t.Fatalf("purge: %+v %v", res, err)
	}
	if _, err := db.EraseUser(ctx, "test:bob", false); err != nil {
		t.Fatal(err)
	}
	err = db.View(ctx, func(tx bot.Tx) error {
		runs, err := tx.FindActionRuns(bot.ActionRunFilter{})
		if err != nil {
			return err
		}
		if got := runIDs(runs); got != "A-000003" {
			t.Errorf("runs left: %q, want carol's A-000003", got)
		}
		r := runs[0]
		if r.Approvals[0].By != "erased" || r.Decision.By != "erased" || r.History[0].By != "erased" ||
			strings.Contains(r.Approvals[0].Name+r.History[0].Detail, "Bob") {
			t.Errorf("carol's run still names bob: %+v / %+v", r.Approvals, r.History)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := db.CheckAll(ctx)
	if err != nil || len(rep.Problems) != 0 {
		t.Fatalf("check: %+v %v", rep, err)
	}
}
