package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/firstline-desk/firstline/bot"
)

// Stats reads the monitoring snapshot in one read transaction, without decoding a ticket: tickets by
// status from the status index, the outbox's size and its first effect's time. FileBytes is the
// database's size on disk (pg_database_size). Callers that are asked often (a scrape) cache it.
func (db *DB) Stats(ctx context.Context) (bot.StoreStats, error) {
	st := bot.StoreStats{Tickets: map[bot.Status]int{
		bot.StatusOpen: 0, bot.StatusEscalated: 0, bot.StatusClaimed: 0, bot.StatusPendingVendor: 0, bot.StatusResolved: 0,
	}}
	err := db.View(ctx, func(btx bot.Tx) error {
		t := btx.(*tx)
		if err := t.each("SELECT status, count(*) FROM tickets GROUP BY status", nil, func(r pgx.Rows) error {
			var status string
			var n int
			if err := r.Scan(&status, &n); err != nil {
				return err
			}
			st.Tickets[bot.Status(status)] = n
			return nil
		}); err != nil {
			return err
		}
		var oldest *int64
		if _, err := t.scanOne("SELECT count(*), (SELECT created FROM outbox ORDER BY seq LIMIT 1) FROM outbox", nil, &st.Outbox, &oldest); err != nil {
			return err
		}
		if oldest != nil {
			st.OldestEffect = fromNanos(*oldest)
		}
		_, err := t.scanOne("SELECT pg_database_size(current_database())", nil, &st.FileBytes)
		return err
	})
	if err != nil {
		return bot.StoreStats{}, fmt.Errorf("read the database's stats: %w", err)
	}
	return st, nil
}

// Ping checks that the database takes writes: it commits a tiny write transaction (the time, under
// "heartbeat" in firstline_meta). A caller that must answer quickly gives ctx a deadline.
func (db *DB) Ping(ctx context.Context) error {
	err := db.Update(ctx, func(btx bot.Tx) error {
		_, err := btx.(*tx).exec(`INSERT INTO firstline_meta (key, value) VALUES ('heartbeat', $1)
			ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`, time.Now().UTC().Format(time.RFC3339Nano))
		return err
	})
	if err != nil {
		return fmt.Errorf("write to the database %s: %w", db.where, err)
	}
	return nil
}
