package storage_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/storage"
)

func TestStats(t *testing.T) {
	db := mustOpen(t, filepath.Join(t.TempDir(), "f.db"))
	ctx := context.Background()

	st, err := db.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Outbox != 0 || !st.OldestEffect.IsZero() || st.Tickets[bot.StatusOpen] != 0 || st.Tickets[bot.StatusResolved] != 0 {
		t.Fatalf("empty file: %+v", st)
	}
	if _, ok := st.Tickets[bot.StatusPendingVendor]; !ok || len(st.Tickets) != 5 {
		t.Fatalf("empty file: want every status with a count, got %v", st.Tickets)
	}

	// 3 open, 2 escalated, 1 claimed, 1 pending_vendor, 4 resolved; then one open ticket is resolved
	// and one resolved ticket reopened, to see the counts follow the index.
	statuses := []bot.Status{bot.StatusOpen, bot.StatusOpen, bot.StatusOpen, bot.StatusEscalated, bot.StatusEscalated,
		bot.StatusClaimed, bot.StatusPendingVendor, bot.StatusResolved, bot.StatusResolved, bot.StatusResolved, bot.StatusResolved}
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	err = db.Update(ctx, func(tx bot.Tx) error {
		for i, s := range statuses {
			tk := newTicket(fmt.Sprintf("test:u%d", i))
			tk.Status = s
			if err := tx.CreateTicket(tk); err != nil {
				return err
			}
		}
		for i := range 3 {
			if err := tx.Enqueue(&bot.Effect{Kind: bot.EffectPost, Platform: "test", Lane: "l", CreatedAt: t0.Add(time.Duration(i) * time.Minute)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(ctx, func(tx bot.Tx) error {
		for id, s := range map[string]bot.Status{"T-000001": bot.StatusResolved, "T-000008": bot.StatusOpen} {
			tk, err := tx.Ticket(id)
			if err != nil {
				return err
			}
			tk.Status = s
			if err := tx.PutTicket(tk); err != nil {
				return err
			}
		}
		// The oldest effect done: the next one is now the oldest.
		return tx.DeleteEffect(1)
	})
	if err != nil {
		t.Fatal(err)
	}

	st, err = db.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[bot.Status]int{bot.StatusOpen: 3, bot.StatusEscalated: 2, bot.StatusClaimed: 1, bot.StatusPendingVendor: 1, bot.StatusResolved: 4}
	for s, n := range want {
		if st.Tickets[s] != n {
			t.Errorf("%s: %d tickets, want %d (all: %v)", s, st.Tickets[s], n, st.Tickets)
		}
	}
	if st.Outbox != 2 {
		t.Errorf("outbox: %d effects, want 2", st.Outbox)
	}
	if want := t0.Add(time.Minute); !st.OldestEffect.Equal(want) {
		t.Errorf("oldest effect caused at %v, want %v", st.OldestEffect, want)
	}
	if st.FileBytes <= 0 {
		t.Errorf("file size %d", st.FileBytes)
	}
}

func TestPing(t *testing.T) {
	dir := t.TempDir()
	db := mustOpen(t, filepath.Join(dir, "f.db"))
	if err := db.Ping(context.Background()); err != nil {
		t.Fatalf("ping a writable file: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := db.Ping(ctx); err == nil {
		t.Fatal("ping with a cancelled context succeeded")
	}

	// A file opened read-only does not take writes, and Ping says so.
	path := filepath.Join(dir, "ro.db")
	rw, err := storage.Open(path, storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	rw.Close()
	ro, err := storage.Open(path, storage.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if err := ro.Ping(context.Background()); err == nil {
		t.Fatal("ping of a read-only file succeeded")
	}
}

// BenchmarkStats is /metrics' read of the data file on a desk of 200,000 tickets, 2% of them active, with
// 100 effects waiting: `go test -bench Stats ./storage`. It must not decode tickets: it costs the active
// tickets, the outbox, and a walk over the status index's pages.
func BenchmarkStats(b *testing.B) {
	const n, active = 200000, 4000
	db, err := storage.Open(filepath.Join(b.TempDir(), "f.db"), storage.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	for i := 0; i < n; i += 2000 {
		if err := db.Update(ctx, func(tx bot.Tx) error {
			for j := i; j < i+2000; j++ {
				tk := newTicket(fmt.Sprintf("test:u%d", j%5000))
				if j%(n/active) != 0 {
					tk.Status = bot.StatusResolved
				}
				if err := tx.CreateTicket(tk); err != nil {
					return err
				}
			}
			if i == 0 {
				for range 100 {
					if err := tx.Enqueue(&bot.Effect{Kind: bot.EffectPost, Platform: "test", Lane: "l", CreatedAt: time.Now()}); err != nil {
						return err
					}
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		st, err := db.Stats(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if st.Tickets[bot.StatusOpen] != active || st.Tickets[bot.StatusResolved] != n-active || st.Outbox != 100 {
			b.Fatalf("stats %+v", st)
		}
	}
}
