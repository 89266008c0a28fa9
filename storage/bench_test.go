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

// BenchmarkDueTickets is the SLA loop's read on a large desk: 100,000 tickets with a pending SLA event,
// 1% of them due. It must cost the due tickets, not the file: `go test -bench DueTickets ./storage`.
// (`firstline bench tickets` measures the whole tick on a realistic desk.)
func BenchmarkDueTickets(b *testing.B) {
	const n, due = 100000, 1000
	db, err := storage.Open(filepath.Join(b.TempDir(), "f.db"), storage.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for i := 0; i < n; i += 2000 {
		if err := db.Update(ctx, func(tx bot.Tx) error {
			for j := i; j < i+2000; j++ {
				tk := newTicket(fmt.Sprintf("test:u%d", j%5000))
				tk.CreatedAt, tk.UpdatedAt = now.Add(-time.Hour), now.Add(-time.Hour)
				// Every 100th ticket's warning fell due in the last minutes; the others' are ahead.
				warn := now.Add(time.Duration(j%97+1) * time.Hour)
				if j%(n/due) == 0 {
					warn = now.Add(-time.Duration(j%600) * time.Second)
				}
				dueAt, start := warn.Add(4*time.Hour), now.Add(-time.Hour)
				tk.SLA = &bot.SLA{Priority: "P3", Resolution: bot.SLAClock{Start: &start, Due: &dueAt, WarnAt: &warn}}
				if err := tx.CreateTicket(tk); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		var ids []string
		if err := db.View(ctx, func(tx bot.Tx) error {
			ids, err = tx.DueTickets(now, 0)
			return err
		}); err != nil {
			b.Fatal(err)
		}
		if len(ids) != due {
			b.Fatalf("%d tickets due, want %d", len(ids), due)
		}
	}
}
