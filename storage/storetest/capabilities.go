package storetest

// What every store offers beyond bot.Store, for cmd/firstline's housekeeping and monitoring. Each is a
// small interface; a case runs when the store implements it, and fails when it does not (every store
// offers them all: a store without one cannot run a desk).

import (
	"context"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
)

// DedupPruner forgets dedup keys recorded before a cutoff (the desk's hourly housekeeping).
type DedupPruner interface {
	PruneDedupKeys(ctx context.Context, cutoff time.Time) (int, error)
}

// StatsReader reads the monitoring snapshot (/metrics).
type StatsReader interface {
	Stats(ctx context.Context) (bot.StoreStats, error)
}

// capability returns s as C, or fails the test.
func capability[C any](t *testing.T, s bot.Store) C {
	t.Helper()
	c, ok := s.(C)
	if !ok {
		var zero *C
		t.Fatalf("%T does not implement %T", s, zero)
	}
	return c
}

// testPruneDedupKeys: keys recorded before the cutoff are forgotten, the others kept.
func testPruneDedupKeys(t *testing.T, h Harness) {
	s := h.Open(t)
	p := capability[DedupPruner](t, s)
	old, recent := base.Add(-10*24*time.Hour), base
	update(t, s, func(tx bot.Tx) error {
		for i, at := range []time.Time{old, recent, old, old, recent} {
			if _, err := tx.RecordDedupKey(string(rune('a'+i)), at); err != nil {
				return err
			}
		}
		return nil
	})
	n, err := p.PruneDedupKeys(ctx, base.Add(-7*24*time.Hour))
	if err != nil || n != 3 {
		t.Fatalf("pruned %d, %v; want 3", n, err)
	}
	update(t, s, func(tx bot.Tx) error {
		for i, want := range []bool{false, true, false, false, true} {
			seen, err := tx.RecordDedupKey(string(rune('a'+i)), recent)
			if err != nil {
				return err
			}
			if seen != want {
				t.Errorf("key %c seen = %v after pruning, want %v", 'a'+i, seen, want)
			}
		}
		return nil
	})
}

// testStats: tickets by status (every status present), the outbox and its oldest effect.
func testStats(t *testing.T, h Harness) {
	s := h.Open(t)
	r := capability[StatsReader](t, s)
	st, err := r.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Tickets) != 5 || st.Outbox != 0 || !st.OldestEffect.IsZero() {
		t.Fatalf("an empty store's stats: %+v", st)
	}
	update(t, s, func(tx bot.Tx) error {
		for i, status := range []bot.Status{bot.StatusOpen, bot.StatusOpen, bot.StatusEscalated, bot.StatusResolved, bot.StatusPendingVendor} {
			tk := newTicket("slack:UALICE", "")
			tk.Status = status
			if err := tx.CreateTicket(tk); err != nil {
				return err
			}
			if err := tx.Enqueue(&bot.Effect{Kind: bot.EffectPost, Lane: "l", CreatedAt: at(10 - i)}); err != nil {
				return err
			}
		}
		return nil
	})
	st, err = r.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[bot.Status]int{bot.StatusOpen: 2, bot.StatusEscalated: 1, bot.StatusClaimed: 0, bot.StatusResolved: 1, bot.StatusPendingVendor: 1}
	for status, n := range want {
		if got, ok := st.Tickets[status]; !ok || got != n {
			t.Errorf("%s: %d (present %v), want %d", status, got, ok, n)
		}
	}
	// The oldest effect is the first in the outbox: effects are enqueued as they are caused.
	if st.Outbox != 5 || !st.OldestEffect.Equal(at(10)) {
		t.Errorf("outbox %d, oldest %v; want 5, %v", st.Outbox, st.OldestEffect, at(10))
	}
}
