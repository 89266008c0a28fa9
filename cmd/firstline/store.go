package main

// [storage]: where the desk keeps its records (the bbolt data file in -data, the default, or PostgreSQL,
// which several replicas share), and the store the desk and the commands open from it.

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/internal/control"
	"github.com/firstline-desk/firstline/storage"
	"github.com/firstline-desk/firstline/storage/dump"
	"github.com/firstline-desk/firstline/storage/postgres"
)

// The drivers of [storage] driver.
const (
	driverBolt     = "bbolt"
	driverPostgres = "postgres"
)

// StorageConfig is [storage]: which store holds the desk's records.
type StorageConfig struct {
	// Driver is "bbolt" (the data file DATA/firstline.db, one process; the default) or "postgres" (a
	// PostgreSQL database that several replicas share; docs/replicas.md).
	Driver   string         `toml:"driver"`
	Postgres PostgresConfig `toml:"postgres"`
}

// PostgresConfig is [storage.postgres]: the database and the pool of connections each replica keeps.
type PostgresConfig struct {
	// DSN is the connection string, "postgres://firstline@db.example.com:5432/firstline?sslmode=verify-full"
	// or key=value pairs, as libpq reads it. Keep the password out of the file: "${FIRSTLINE_PG_DSN}".
	DSN string `toml:"dsn"`
	// MaxConns bounds the connections of one replica (default 10): N replicas open up to N × max_conns,
	// which must stay under the server's max_connections. MinConns are kept open (default 0).
	MaxConns int `toml:"max_conns"`
	MinConns int `toml:"min_conns"`
	// MaxConnLifetime closes a connection after this long (default 1h), so a failover's new primary is
	// found; ConnectTimeout bounds each connection attempt (default 5s).
	MaxConnLifetime Duration `toml:"max_conn_lifetime"`
	ConnectTimeout  Duration `toml:"connect_timeout"`
}

// maxPoolConns bounds max_conns: PostgreSQL's own default max_connections is 100, and a pool far above
// that is a typo.
const maxPoolConns = 10000

// defaultStorage is [storage] when the file does not say.
func defaultStorage() StorageConfig {
	return StorageConfig{Driver: driverBolt, Postgres: PostgresConfig{
		MaxConns: 10, MaxConnLifetime: Duration(time.Hour), ConnectTimeout: Duration(5 * time.Second)}}
}

// postgresOn reports whether the desk keeps its records in PostgreSQL.
func (c Config) postgresOn() bool { return c.Storage.Driver == driverPostgres }

// storageProblems are what is wrong in [storage].
func (c Config) storageProblems(add func(format string, args ...any)) {
	s, p := c.Storage, c.Storage.Postgres
	switch s.Driver {
	case driverBolt:
		if p.DSN != "" {
			add("storage.postgres.dsn: set, but storage.driver is %q: set driver = \"postgres\" to keep the desk in PostgreSQL (after firstline migrate -to postgres), or remove the dsn", s.Driver)
		}
		return
	case driverPostgres:
	default:
		add("storage.driver: %q is not \"bbolt\" (the data file, the default) or \"postgres\"", s.Driver)
		return
	}
	if strings.TrimSpace(p.DSN) == "" {
		add("storage.postgres.dsn: required with storage.driver = \"postgres\": a connection string like \"postgres://firstline@db.example.com:5432/firstline\", best from the environment (\"${FIRSTLINE_PG_DSN}\")")
	} else if err := checkDSN(p.DSN); err != nil {
		add("storage.postgres.dsn: %v", err)
	}
	if p.MaxConns < 1 || p.MaxConns > maxPoolConns {
		add("storage.postgres.max_conns: %d must be between 1 and %d (each replica opens up to this many connections)", p.MaxConns, maxPoolConns)
	}
	if p.MinConns < 0 || p.MinConns > p.MaxConns {
		add("storage.postgres.min_conns: %d must be between 0 and max_conns (%d)", p.MinConns, p.MaxConns)
	}
	if p.MaxConnLifetime < 0 {
		add("storage.postgres.max_conn_lifetime: must not be negative (0 is the default, 1h)")
	}
	if p.ConnectTimeout < 0 {
		add("storage.postgres.connect_timeout: must not be negative (0 is the default, 5s)")
	}
}

// checkDSN says, without quoting its password, why dsn is no connection string.
func checkDSN(dsn string) error {
	if _, err := pgx.ParseConfig(dsn); err != nil {
		// pgconn's message quotes the string with its password masked; the cause is what helps.
		msg := err.Error()
		if i := strings.LastIndex(msg, "`: "); i >= 0 {
			msg = msg[i+3:]
		}
		return fmt.Errorf("not a PostgreSQL connection string (like \"postgres://firstline@db.example.com:5432/firstline\"): %s", redactURLs(msg))
	}
	return nil
}

// redactURLs masks a password in any URL s quotes.
func redactURLs(s string) string {
	words := strings.Fields(s)
	for i, w := range words {
		if u, err := url.Parse(strings.Trim(w, "`\"'()")); err == nil && u.User != nil {
			if _, ok := u.User.Password(); ok {
				words[i] = strings.Replace(w, u.User.String(), u.User.Username()+":xxxxx", 1)
			}
		}
	}
	return strings.Join(words, " ")
}

// poolOptions are [storage.postgres]'s pool settings as postgres.Open takes them.
func (p PostgresConfig) options(dsn string, readOnly bool, logger *slog.Logger) postgres.Options {
	return postgres.Options{DSN: dsn, MaxConns: int32(p.MaxConns), MinConns: int32(p.MinConns),
		MaxConnLifetime: time.Duration(p.MaxConnLifetime), ConnectTimeout: time.Duration(p.ConnectTimeout),
		ReadOnly: readOnly, Logger: logger}
}

// deskStore is the store the desk runs on, whichever the driver: the records (bot.Store) and what the
// desk's parts read and keep beside them (reports, the audit log, /healthz and /metrics, the web
// console's sessions, vectors, housekeeping). *storage.DB and *postgres.DB both are one.
type deskStore interface {
	bot.Store
	control.Source
	Close() error
	Ping(ctx context.Context) error
	Stats(ctx context.Context) (bot.StoreStats, error)
	PruneDedupKeys(ctx context.Context, cutoff time.Time) (int, error)
	Export(ctx context.Context, fn func(dump.Record) error) error
	// The web console's records (web.SessionStore).
	PutWebRecord(ctx context.Context, kind, key, user string, expires time.Time, rec []byte, audit bot.AuditEntry) error
	AddWebRecord(ctx context.Context, kind, key, user string, expires time.Time, rec []byte, audit bot.AuditEntry) error
	WebRecord(ctx context.Context, kind, key string) ([]byte, error)
	DeleteWebRecord(ctx context.Context, kind, key string, audit bot.AuditEntry) (bool, error)
	DeleteUserWebRecords(ctx context.Context, kind, user string, audit bot.AuditEntry) (int, error)
	PruneWebRecords(ctx context.Context, now time.Time) (int, error)
	// Vectors of hybrid search (kb.VectorStore and its pruning).
	Vectors(keys []string) (map[string][]float32, error)
	PutVectors(vecs map[string][]float32) error
	PruneVectors(keep map[string]bool) (int, error)
	CountVectors() (int, error)
}

var (
	_ deskStore = (*storage.DB)(nil)
	_ deskStore = (*postgres.DB)(nil)
)

// adapterState is an adapter's own records in the store (console.State, discord.State).
type adapterState interface {
	NextID(ctx context.Context) (uint64, error)
	Put(ctx context.Context, key string, value []byte) error
	Get(ctx context.Context, key string) ([]byte, error)
}

// store is the desk's open store: the records, with what differs between the drivers.
type store struct {
	deskStore
	// file is the bbolt data file, nil on PostgreSQL: its control socket serves backup and check.
	file *storage.DB
	// pg is the PostgreSQL database, nil on bbolt.
	pg *postgres.DB
}

// engineStore is the store as the engine takes it: the driver's own value, so that the engine finds the
// capabilities it looks for by type assertion (bot.Leaser and bot.Watcher on PostgreSQL: outbox lanes
// and the SLA loop leased across replicas), which *store, holding only deskStore's methods, hides.
func (s *store) engineStore() bot.Store { return s.deskStore }

// where names the store for messages: the data file's path, or host:port/database (never a password).
func (s *store) where() string {
	if s.pg != nil {
		return "PostgreSQL at " + s.pg.Where()
	}
	return s.file.Path()
}

// adapter is the records of the adapter called name.
func (s *store) adapter(name string) adapterState {
	if s.pg != nil {
		return s.pg.Adapter(name)
	}
	return s.file.Adapter(name)
}

// purgeResolved deletes up to batch tickets at a time resolved before cutoff (see [retention]).
func (s *store) purgeResolved(ctx context.Context, cutoff time.Time, batch int) (storage.Purge, error) {
	if s.pg != nil {
		p, err := s.pg.PurgeResolved(ctx, cutoff, batch)
		return storage.Purge{Tickets: p.Tickets, Links: p.Links, Effects: p.Effects}, err
	}
	return s.file.PurgeResolved(ctx, cutoff, batch)
}

// openStore opens the store of the config to run the desk: the data file (created when there is none,
// its lock held), or the PostgreSQL database, its schema migrated (replicas starting together migrate
// it once, under an advisory lock).
func (m *Main) openStore(ctx context.Context, cfg Config, logger *slog.Logger) (*store, error) {
	if !cfg.postgresOn() {
		db, err := m.openData()
		if err != nil {
			return nil, err
		}
		return &store{deskStore: db, file: db}, nil
	}
	pg, err := m.openPostgres(ctx, cfg, false, logger)
	if err != nil {
		return nil, err
	}
	return &store{deskStore: pg, pg: pg}, nil
}

// openPostgres connects to [storage.postgres]; readOnly leaves the schema as it is (read commands).
func (m *Main) openPostgres(ctx context.Context, cfg Config, readOnly bool, logger *slog.Logger) (*postgres.DB, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	pg, err := postgres.Open(ctx, cfg.Storage.Postgres.options(cfg.Storage.Postgres.DSN, readOnly, logger))
	if err != nil {
		return nil, storeError(err)
	}
	return pg, nil
}
