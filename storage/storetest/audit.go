package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
)

// auditLog appends 100 entries a minute apart: three actors, four actions, ten targets.
func auditLog(t *testing.T, s bot.Store) {
	t.Helper()
	update(t, s, func(tx bot.Tx) error {
		for i := range 100 {
			e := bot.AuditEntry{At: at(i), Actor: fmt.Sprintf("slack:U%d", i%3),
				Action: []string{"kb.edit", "ticket.claimed", "kb.add", "refused"}[i%4], Target: fmt.Sprintf("T-%06d", i%10),
				Detail: fmt.Sprintf("entry %d", i)}
			if err := tx.Audit(e); err != nil {
				return err
			}
		}
		return nil
	})
}

func findAudit(t *testing.T, s bot.Store, f bot.AuditFilter) bot.AuditPage {
	t.Helper()
	var p bot.AuditPage
	view(t, s, func(tx bot.Tx) error {
		var err error
		p, err = tx.FindAudit(f)
		return err
	})
	return p
}

// testAuditFilters: each filter, newest first, entries whole; an entry without an action is EINVALID and
// not appended.
func testAuditFilters(t *testing.T, h Harness) {
	s := h.Open(t)
	auditLog(t, s)
	err := s.Update(ctx, func(tx bot.Tx) error {
		return tx.Audit(bot.AuditEntry{At: at(200), Actor: "slack:ada", Target: "vpn"})
	})
	wantCode(t, "an entry without an action", err, bot.EINVALID)
	for _, tt := range []struct {
		name string
		f    bot.AuditFilter
		want int
	}{
		{"all", bot.AuditFilter{Limit: 1000}, 100},
		{"default limit", bot.AuditFilter{}, 50},
		{"actor", bot.AuditFilter{Actor: "slack:U1", Limit: 1000}, 33},
		{"action", bot.AuditFilter{Action: "kb.edit", Limit: 1000}, 25},
		{"action prefix", bot.AuditFilter{Action: "kb.", Limit: 1000}, 50},
		{"an action is not a prefix", bot.AuditFilter{Action: "kb", Limit: 1000}, 0},
		{"target", bot.AuditFilter{Target: "T-000001", Limit: 1000}, 10},
		{"window", bot.AuditFilter{From: at(10), To: at(20), Limit: 1000}, 10},
		{"all of them", bot.AuditFilter{Actor: "slack:U0", Action: "kb.edit", Target: "T-000000", Limit: 1000}, 2},
		{"nothing", bot.AuditFilter{Actor: "slack:nobody", Limit: 1000}, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := findAudit(t, s, tt.f)
			if len(p.Entries) != tt.want {
				t.Fatalf("%d entries, want %d", len(p.Entries), tt.want)
			}
			for i := 1; i < len(p.Entries); i++ {
				if !p.Entries[i].At.Before(p.Entries[i-1].At) {
					t.Fatalf("entry %d is not older than the one before it", i)
				}
			}
		})
	}
	p := findAudit(t, s, bot.AuditFilter{Limit: 1})
	sameJSON(t, "the newest entry", p.Entries, []bot.AuditEntry{{At: at(99), Actor: "slack:U0", Action: "refused", Target: "T-000009", Detail: "entry 99"}})
}

// testAuditPagesAndBudget: pages with a budget of entries read per call give every entry once, in order,
// and say how far back they read.
func testAuditPagesAndBudget(t *testing.T, h Harness) {
	s := h.Open(t)
	auditLog(t, s)
	var got []time.Time
	f := bot.AuditFilter{Action: "kb.edit", Limit: 7, Budget: 9}
	for calls := 0; ; calls++ {
		if calls > 100 {
			t.Fatal("the search does not end")
		}
		p := findAudit(t, s, f)
		for _, e := range p.Entries {
			got = append(got, e.At)
		}
		if p.Through.IsZero() || (len(p.Entries) > 0 && p.Through.After(p.Entries[len(p.Entries)-1].At)) {
			t.Fatalf("call %d: read through %v, with entries back to %v", calls, p.Through, p.Entries)
		}
		if p.Next == 0 {
			if !p.Through.Equal(at(0)) {
				t.Fatalf("the last page read through %v, not the first entry", p.Through)
			}
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
	// A budget that runs out before anything matched still says where to go on.
	p := findAudit(t, s, bot.AuditFilter{Actor: "slack:nobody", Budget: 10})
	if len(p.Entries) != 0 || p.Next == 0 {
		t.Fatalf("a search cut short: %d entries, next %d", len(p.Entries), p.Next)
	}
	if rest := findAudit(t, s, bot.AuditFilter{Before: p.Next, Limit: 1000}); len(rest.Entries) != 90 {
		t.Fatalf("going on from where a search was cut short: %d entries, want 90", len(rest.Entries))
	}
	// From stops the read at the first older entry.
	p = findAudit(t, s, bot.AuditFilter{From: at(95), Limit: 1000})
	if len(p.Entries) != 5 || p.Next != 0 {
		t.Fatalf("from 95: %d entries, next %d", len(p.Entries), p.Next)
	}
}
