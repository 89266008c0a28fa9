package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/firstline-desk/firstline/bot"
)

// dedupRetention is how long event ids are remembered; platforms stop redelivering within hours.
const dedupRetention = 7 * 24 * time.Hour

// housekeeping performs effects as they come (retries included), forgets old dedup keys, and deletes
// resolved tickets past [retention].
func (m *Main) housekeeping(ctx context.Context, engine *bot.Engine, db *store, logger *slog.Logger) {
	go func() {
		t := time.NewTicker(time.Hour)
		defer t.Stop()
		for {
			// Replicas sharing a database take turns: one of them prunes and purges each hour (the lease
			// loop:retention), the others' ticks find it held.
			if _, err := engine.Exclusive(ctx, "retention", func(ctx context.Context) error {
				if n, err := db.PruneDedupKeys(ctx, time.Now().Add(-dedupRetention)); err != nil && ctx.Err() == nil {
					logger.Warn("prune dedup keys", "err", err)
				} else if n > 0 {
					logger.Debug("pruned dedup keys", "count", n)
				}
				m.purgeResolved(ctx, db, logger) // [retention]
				return nil
			}); err != nil && ctx.Err() == nil {
				logger.Warn("retention", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	go func() {
		// The SLA loop: each tick reads only the tickets with a warning or breach due (an index), so a
		// short period is cheap even with a large data file.
		t := time.NewTicker(slaTick)
		defer t.Stop()
		for {
			n, err := engine.CheckSLAs(ctx, m.clock().Now())
			m.parts.sla.ran(m.clock().Now(), err)
			if err != nil && ctx.Err() == nil {
				logger.Warn("SLA check", "err", err)
			} else if n > 0 {
				logger.Debug("SLA check", "tickets", n)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	if err := engine.Run(ctx); err != nil {
		logger.Error("dispatcher stopped", "err", err)
	}
}

// slaTick is how often SLA warnings and breaches are looked for.
const slaTick = 30 * time.Second

// purgeBatch is how many tickets one retention transaction deletes: the desk's own writes wait for one
// batch at most.
const purgeBatch = 500

// purgeResolved deletes the resolved tickets older than [retention] closed_ticket_days, if set. The
// housekeeping loop calls it every hour.
func (m *Main) purgeResolved(ctx context.Context, db *store, logger *slog.Logger) {
	days := m.retention.ClosedTicketDays
	if days <= 0 {
		return
	}
	start := time.Now()
	res, err := db.purgeResolved(ctx, start.AddDate(0, 0, -days), purgeBatch)
	if err != nil && ctx.Err() == nil {
		logger.Warn("retention purge", "err", err, "tickets", res.Tickets)
		return
	}
	if res.Tickets > 0 {
		logger.Info("purged resolved tickets past retention", "tickets", res.Tickets, "links", res.Links,
			"effects", res.Effects, "closed_ticket_days", days, "took", time.Since(start).String())
	}
}
