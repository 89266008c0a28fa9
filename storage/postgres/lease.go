package postgres

// Leases (bot.Leaser): how replicas divide the work one of them must do at a time (an outbox lane, the
// SLA check, retention). A lease is a row: its owner, a fencing token, and when it expires by the
// database's clock, so replicas whose clocks differ agree on it. Each call is one statement, outside
// the desk's SERIALIZABLE transactions: INSERT ... ON CONFLICT DO UPDATE locks the row it changes, so
// of two replicas taking one free lease at once, one gets it and the other finds it held.

import (
	"context"
	"slices"
	"time"

	"github.com/firstline-desk/firstline/bot"
)

var _ bot.Leaser = (*DB)(nil)

// Lease takes or renews each of names for owner for ttl: a lease that is free, expired, or owner's
// already. The token changes only when the lease changes hands; TakenOver says the lease was another
// owner's and expired rather than being released.
func (db *DB) Lease(ctx context.Context, owner string, names []string, ttl time.Duration) ([]bot.LeaseGrant, error) {
	if len(names) == 0 {
		return nil, nil
	}
	// In one order, so that two replicas taking overlapping sets lock rows in the same order.
	names = slices.Clone(names)
	slices.Sort(names)
	names = slices.Compact(names)
	var out []bot.LeaseGrant
	err := db.retryDeadlock(ctx, func() error {
		out = out[:0]
		rows, err := db.pool.Query(ctx, `
INSERT INTO leases AS l (name, owner, token, expires)
	SELECT n, $1, nextval('lease_token'), clock_timestamp() + $3 * interval '1 microsecond'
	FROM unnest($2::text[]) AS n ORDER BY n
ON CONFLICT (name) DO UPDATE SET
	token = CASE WHEN l.owner = EXCLUDED.owner THEN l.token ELSE EXCLUDED.token END,
	taken_over = l.owner <> EXCLUDED.owner,
	owner = EXCLUDED.owner,
	expires = EXCLUDED.expires
WHERE l.owner = EXCLUDED.owner OR l.expires < clock_timestamp()
RETURNING name, token, taken_over`, owner, names, ttl.Microseconds())
		if err != nil {
			return err
		}
		for rows.Next() {
			var g bot.LeaseGrant
			if err := rows.Scan(&g.Name, &g.Token, &g.TakenOver); err != nil {
				rows.Close()
				return err
			}
			out = append(out, g)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, db.coordinationError("take leases", err)
	}
	return out, nil
}

// Release gives up owner's leases on names (deletes their rows) and, when it gave one up, notifies the
// replicas watching bot.TopicLeases in the same transaction.
func (db *DB) Release(ctx context.Context, owner string, names []string) error {
	if len(names) == 0 {
		return nil
	}
	err := db.retryDeadlock(ctx, func() error {
		_, err := db.pool.Exec(ctx, `
WITH gone AS (DELETE FROM leases WHERE owner = $1 AND name = ANY($2::text[]) RETURNING 1)
SELECT pg_notify($3, '') FROM (SELECT count(*) AS n FROM gone) AS g WHERE n > 0`, owner, names, db.channel(bot.TopicLeases))
		return err
	})
	if err != nil {
		return db.coordinationError("release leases", err)
	}
	return nil
}

// retryDeadlock runs fn again when PostgreSQL broke a deadlock by failing it.
func (db *DB) retryDeadlock(ctx context.Context, fn func() error) error {
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil || !retryable(err) || attempt == maxAttempts || ctx.Err() != nil {
			return err
		}
	}
}

// coordinationError is an error of a lease or a notification, which the desk logs and tries again:
// EUNAVAILABLE, as the server unreachable is.
func (db *DB) coordinationError(what string, err error) error {
	return bot.WrapError(err, bot.EUNAVAILABLE, "%s in PostgreSQL at %s: %v", what, db.where, redactDSN(err.Error()))
}
