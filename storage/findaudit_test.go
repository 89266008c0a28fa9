package storage_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
)

// TestFindAudit reads the log newest first with each filter, and a search cut short by its budget goes on
// from where it stopped without missing or repeating an entry.
func TestFindAudit(t *testing.T) {
	db := mustOpen(t, filepath.Join(t.TempDir(), "f.db"))
	ctx := context.Background()
	base := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	if err := db.Update(ctx, func(tx bot.Tx) error {
		for i := range 100 {
			e := bot.AuditEntry{At: base.Add(time.Duration(i) * time.Minute), Actor: fmt.Sprintf("slack:U%d", i%3),
				Action: []string{"kb.edit", "ticket.claimed", "kb.add", "refused"}[i%4], Target: fmt.Sprintf("T-%06d", i%10)}
			if err := tx.Audit(e); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	find := func(f bot.AuditFilter) bot.AuditPage {
		t.Helper()
		var p bot.AuditPage
		if err := db.View(ctx, func(tx bot.Tx) error {
			var err error
			p, err = tx.FindAudit(f)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tt := range []struct {
		name string
		f    bot.AuditFilter
		want int
	}{
		{"all", bot.AuditFilter{Limit: 1000}, 100},
		{"actor", bot.AuditFilter{Actor: "slack:U1", Limit: 1000}, 33},
		{"action", bot.AuditFilter{Action: "kb.edit", Limit: 1000}, 25},
		{"action prefix", bot.AuditFilter{Action: "kb.", Limit: 1000}, 50},
		{"target", bot.AuditFilter{Target: "T-000001", Limit: 1000}, 10},
		{"window", bot.AuditFilter{From: base.Add(10 * time.Minute), To: base.Add(20 * time.Minute), Limit: 1000}, 10},
		{"all of them", bot.AuditFilter{Actor: "slack:U0", Action: "kb.edit", Target: "T-000000", Limit: 1000}, 2},
		{"nothing", bot.AuditFilter{Actor: "slack:nobody", Limit: 1000}, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := find(tt.f)
			if len(p.Entries) != tt.want {
				t.Fatalf("%d entries, want %d", len(p.Entries), tt.want)
			}
			for i := 1; i < len(p.Entries); i++ {
				if p.Entries[i].At.After(p.Entries[i-1].At) {
					t.Fatalf("entry %d is newer than the one before it", i)
				}
			}
		})
	}
	// Pages of 7 kb.edit entries with a budget of 9 entries read per call: every one, once, in order.
	var got []time.Time
	f := bot.AuditFilter{Action: "kb.edit", Limit: 7, Budget: 9}
	for calls := 0; ; calls++ {
		if calls > 100 {
			t.Fatal("the search does not end")
		}
		p := find(f)
		for _, e := range p.Entries {
			got = append(got, e.At)
		}
		if p.Next == 0 {
			break
		}
		f.Before = p.Next
	}
	if len(got) != 25 {
		t.Fatalf("read %d kb.edit entries in pages, want 25", len(got))
	}
	for i := 1; i < len(got); i++ {
		if !got[i].Before(got[i-1]) {
			t.Fatalf("entry %d is repeated or out of order", i)
		}
	}
}
