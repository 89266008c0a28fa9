package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/firstline-desk/firstline/bot"
)

// TicketsActiveOrUpdatedSince returns every ticket that changed at or after since and every ticket still
// active, each once, oldest first: exactly the tickets a report on a window starting at since can count
// (see the bbolt store's method of the same name). Both sets come from indexes (last change, status).
func (db *DB) TicketsActiveOrUpdatedSince(ctx context.Context, since time.Time) ([]*bot.Ticket, error) {
	var raw [][]byte
	var seqs []int64
	err := db.View(ctx, func(btx bot.Tx) error {
		raw, seqs = nil, nil
		return btx.(*tx).each(`SELECT seq, data FROM tickets WHERE changed >= $1
			UNION SELECT seq, data FROM tickets WHERE status <> $2 ORDER BY seq`,
			[]any{max(since.UnixNano(), 0), string(bot.StatusResolved)}, func(r pgx.Rows) error {
				var seq int64
				var data []byte
				if err := r.Scan(&seq, &data); err != nil {
					return err
				}
				raw, seqs = append(raw, data), append(seqs, seq)
				return nil
			})
	})
	if err != nil {
		return nil, fmt.Errorf("read the tickets active or changed since %s: %w", since.Format(time.DateOnly), err)
	}
	return decodeTickets(raw, seqs)
}

// decodeTickets decodes stored tickets on every core: decoding JSON, not finding the tickets, is what a
// large read costs (some 40 µs a ticket on one core).
func decodeTickets(raw [][]byte, seqs []int64) ([]*bot.Ticket, error) {
	out := make([]*bot.Ticket, len(raw))
	workers := max(min(runtime.GOMAXPROCS(0), len(raw)/500), 1) // below 500 tickets, one is as quick
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(raw); i += workers {
				tk := new(bot.Ticket)
				if err := json.Unmarshal(raw[i], tk); err != nil {
					errs[w] = fmt.Errorf("decode ticket %s: %w", bot.TicketID(uint64(seqs[i])), err)
					return
				}
				out[i] = tk
			}
		})
	}
	wg.Wait()
	return out, errors.Join(errs...)
}
