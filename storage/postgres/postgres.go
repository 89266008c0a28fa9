// Package postgres keeps Firstline's data in PostgreSQL (15 or later), so that several Firstline
// processes can share one desk: a second implementation of bot.Store beside the bbolt file of package
// storage, holding the same records (tickets and their indexes, the outbox, dedup keys, the knowledge
// base, the audit log, adapters' state, vectors, the web console's sessions) in tables, and passing the
// same conformance suite (storage/storetest).
//
// Transactions. bbolt runs one writer at a time, which made every Update serializable for free.
// PostgreSQL runs them side by side, so Update runs at the SERIALIZABLE isolation level: the outcome of
// concurrent Updates is one some order of them, one at a time, would give. When PostgreSQL cannot
// promise that (two claims of one ticket, two deliveries of one event, two first messages of one
// conversation) it fails all but one with a serialization failure, and Update runs fn again, from the
// start, in a new transaction: that is why bot.Store says fn may run more than once. A ticket read in an
// Update is locked (SELECT ... FOR UPDATE), so a racing claim waits for the first instead of doing its
// work for nothing. View runs at REPEATABLE READ, READ ONLY: one snapshot, never retried.
//
// Numbers come from sequences (tickets, the outbox, the audit log), which PostgreSQL does not roll back:
// a failed or retried transaction leaves a gap (T-000007 then T-000009), and transactions that touch
// nothing in common may commit in another order than their numbers (see bot.Store).
package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/firstline-desk/firstline/bot"
)

// Options configure Open.
type Options struct {
	// DSN is the connection string (postgres://user:pass@host:5432/db?sslmode=verify-full, or key=value
	// pairs), as libpq reads it.
	DSN string
	// MaxConns bounds the pool's connections (default 10); MinConns are kept open (default 0).
	MaxConns, MinConns int32
	// MaxConnLifetime closes a connection after this long (default 1h), so a failover's new primary is
	// found; ConnectTimeout bounds each connection attempt (default 5s).
	MaxConnLifetime, ConnectTimeout time.Duration
	// ReadOnly opens the database only to read (read commands): the schema is not migrated, and a
	// database whose schema is older than this build's is refused.
	ReadOnly bool
	// Logger logs retries and migrations; nil logs nothing.
	Logger *slog.Logger
}

// DB is an open PostgreSQL desk: a pool of connections.
type DB struct {
	pool   *pgxpool.Pool
	where  string // host:port/database, for messages: never the password
	log    *slog.Logger
	counts counters
	// schema is the schema the connection's search_path puts first: notification channels are named
	// after it (notify.go).
	schema string
}

var _ bot.Store = (*DB)(nil)

// counters are what the DB has done since Open.
type counters struct {
	commits, retries atomic.Uint64
}

// Counts are what a DB has done since Open.
type Counts struct {
	// Commits counts the read-write transactions committed; Retries the Update runs that failed a
	// serialization check and were run again.
	Commits, Retries uint64
}

// Counts returns what the DB has done since Open. Safe from any goroutine.
func (db *DB) Counts() Counts {
	return Counts{Commits: db.counts.commits.Load(), Retries: db.counts.retries.Load()}
}

// Open connects to the database at opts.DSN and brings its schema up to date (see migrate): several
// processes may open one database at once, and one of them migrates it while the others wait. An
// unreachable server fails with EUNAVAILABLE, a schema newer than this build with EINVALID.
func Open(ctx context.Context, opts Options) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(opts.DSN)
	if err != nil {
		return nil, bot.WrapError(err, bot.EINVALID, "the PostgreSQL dsn cannot be read: %v", redactDSN(err.Error()))
	}
	cfg.MaxConns = 10
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	cfg.MinConns = max(opts.MinConns, 0)
	cfg.MaxConnLifetime = time.Hour
	if opts.MaxConnLifetime > 0 {
		cfg.MaxConnLifetime = opts.MaxConnLifetime
	}
	cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	if opts.ConnectTimeout > 0 {
		cfg.ConnConfig.ConnectTimeout = opts.ConnectTimeout
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	db := &DB{where: fmt.Sprintf("%s:%d/%s", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database), log: logger}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, db.unavailable(err)
	}
	db.pool = pool
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, db.unavailable(err)
	}
	if err := db.migrate(ctx, opts.ReadOnly); err != nil {
		pool.Close()
		return nil, err
	}
	if err := pool.QueryRow(ctx, "SELECT current_schema()").Scan(&db.schema); err != nil {
		pool.Close()
		return nil, db.unavailable(err)
	}
	return db, nil
}

// Close closes every connection.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// Where names the database (host:port/database) for messages; it holds no password.
func (db *DB) Where() string { return db.where }

// Pool is the connection pool, for what coordinates replicas through the database (leases, LISTEN):
// it is not a way around Update and View for the desk's records.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// unavailable turns an error reaching the server into the sentence the desk logs when it refuses an
// event.
func (db *DB) unavailable(err error) error {
	return bot.WrapError(err, bot.EUNAVAILABLE, "cannot reach PostgreSQL at %s: %v", db.where, redactDSN(err.Error()))
}

// redactDSN keeps a password that a driver error may quote out of a message.
func redactDSN(s string) string {
	if u, err := url.Parse(s); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
			return u.String()
		}
	}
	return s
}

// maxAttempts bounds the runs of one Update's fn when each fails a serialization check: a transaction
// that loses to others that many times in a row reports the conflict rather than retry forever.
const maxAttempts = 30

// Update runs fn in one SERIALIZABLE transaction, committed before it returns nil. When PostgreSQL fails
// the transaction because a concurrent one made its reads stale (a serialization failure or a
// deadlock), everything is rolled back and fn runs again in a new transaction: fn may therefore run more
// than once, and must leave nothing behind from a run but what it writes through its Tx. An error from
// fn rolls everything back and is returned.
func (db *DB) Update(ctx context.Context, fn func(bot.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := db.run(ctx, true, fn)
		if err == nil {
			db.counts.commits.Add(1)
			return nil
		}
		if !retryable(err) {
			return err
		}
		if attempt == maxAttempts {
			return bot.WrapError(err, bot.EUNAVAILABLE, "the database was too busy: a transaction conflicted with others %d times", attempt)
		}
		db.counts.retries.Add(1)
		// A short, random pause: transactions that collided should not collide again in step.
		pause := time.Duration(rand.Int64N(int64(time.Millisecond)<<min(attempt, 6))) + 100*time.Microsecond
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
	}
}

// View runs fn in one REPEATABLE READ, READ ONLY transaction: fn sees one snapshot; its writes fail.
func (db *DB) View(ctx context.Context, fn func(bot.Tx) error) error {
	return db.run(ctx, false, fn)
}

// run runs fn once in a transaction and commits it (write) or ends it.
func (db *DB) run(ctx context.Context, write bool, fn func(bot.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	opts := pgx.TxOptions{IsoLevel: pgx.Serializable}
	if !write {
		opts = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	}
	ptx, err := db.pool.BeginTx(ctx, opts)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return db.unavailable(err)
	}
	t := &tx{ctx: ctx, pg: ptx, write: write}
	err = fn(t)
	if err == nil {
		// A statement fn went past without failing itself (a "not found" it expected) may have aborted
		// the transaction: the first error stands.
		err = t.failed
	}
	if err != nil {
		ptx.Rollback(context.WithoutCancel(ctx))
		if t.failed != nil && retryable(t.failed) {
			return t.failed // whatever fn made of it, the transaction lost a race: run it again
		}
		return err
	}
	if !write {
		return ptx.Rollback(ctx)
	}
	if err := ptx.Commit(ctx); err != nil {
		if retryable(err) {
			return err
		}
		return bot.WrapError(err, bot.EUNAVAILABLE, "the commit to PostgreSQL at %s failed (what it did is not known): %v", db.where, err)
	}
	return nil
}

// retryable reports whether err is PostgreSQL failing a transaction for a concurrent one: running it
// again may succeed.
func retryable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "40001" || pe.Code == "40P01" // serialization_failure, deadlock_detected
	}
	return false
}
