package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/storage/postgres"
	"github.com/firstline-desk/firstline/storage/postgres/pgtest"
	"github.com/firstline-desk/firstline/storage/storetest"
)

// mustOpen opens a store on dsn, closed when the test ends.
func mustOpen(t *testing.T, dsn string) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), postgres.Options{DSN: dsn, MaxConns: 12})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestConformance holds the PostgreSQL store to the conformance suite every store passes, each case on a
// database of its own.
func TestConformance(t *testing.T) {
	var dsns sync.Map // *postgres.DB -> its DSN, to reopen it
	storetest.Run(t, storetest.Harness{
		Open: func(t *testing.T) bot.Store {
			dsn := pgtest.DSN(t)
			db := mustOpen(t, dsn)
			dsns.Store(db, dsn)
			return db
		},
		Reopen: func(t *testing.T, s bot.Store) bot.Store {
			dsn, _ := dsns.Load(s)
			s.(*postgres.DB).Close()
			return mustOpen(t, dsn.(string))
		},
		Adapter: func(s bot.Store, name string) storetest.AdapterState { return s.(*postgres.DB).Adapter(name) },
		PurgeResolved: func(s bot.Store, cutoff time.Time, batch int) (storetest.PurgeResult, error) {
			p, err := s.(*postgres.DB).PurgeResolved(context.Background(), cutoff, batch)
			return storetest.PurgeResult(p), err
		},
	})
}
