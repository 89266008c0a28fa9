package postgres_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/storage/postgres"
	"github.com/firstline-desk/firstline/storage/postgres/pgtest"
)

// TestReplicasStartingTogetherMigrateOnce opens one new database from several processes' worth of
// pools at once: every one opens, and each migration ran once (the advisory lock made the others wait,
// and they found nothing left to do).
func TestReplicasStartingTogetherMigrateOnce(t *testing.T) {
	dsn := pgtest.DSN(t)
	ctx := context.Background()
	const replicas = 5
	dbs := make([]*postgres.DB, replicas)
	errs := make([]error, replicas)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range replicas {
		wg.Go(func() {
			<-start
			dbs[i], errs[i] = postgres.Open(ctx, postgres.Options{DSN: dsn})
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: %v", i, err)
		}
		defer dbs[i].Close()
	}
	var versions, distinct int
	if err := dbs[0].Pool().QueryRow(ctx, "SELECT count(*), count(DISTINCT version) FROM firstline_schema").Scan(&versions, &distinct); err != nil {
		t.Fatal(err)
	}
	if versions != postgres.SchemaVersion() || distinct != versions {
		t.Fatalf("%d migrations recorded (%d distinct), want %d", versions, distinct, postgres.SchemaVersion())
	}
	// Each replica writes through its own pool into the one schema.
	for i, db := range dbs {
		if err := db.Update(ctx, func(tx bot.Tx) error {
			return tx.CreateTicket(&bot.Ticket{Requester: "slack:U1", Status: bot.StatusOpen})
		}); err != nil {
			t.Fatalf("replica %d: %v", i, err)
		}
	}
}

// TestSchemaVersions: a database with a newer schema is refused, naming the upgrade; read-only opening
// refuses a database that needs migrating, and changes nothing.
func TestSchemaVersions(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	_, err := postgres.Open(ctx, postgres.Options{DSN: dsn, ReadOnly: true})
	if bot.ErrorCode(err) != bot.EINVALID {
		t.Fatalf("read-only opening of an empty database: %v, want EINVALID", err)
	}
	db := mustOpen(t, dsn)
	if _, err := db.Pool().Exec(ctx, "INSERT INTO firstline_schema (version) VALUES ($1)", postgres.SchemaVersion()+1); err != nil {
		t.Fatal(err)
	}
	_, err = postgres.Open(ctx, postgres.Options{DSN: dsn})
	if bot.ErrorCode(err) != bot.EINVALID {
		t.Fatalf("a newer schema: %v, want EINVALID", err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DELETE FROM firstline_schema WHERE version > $1", postgres.SchemaVersion()); err != nil {
		t.Fatal(err)
	}
	ro, err := postgres.Open(ctx, postgres.Options{DSN: dsn, ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only opening of a migrated database: %v", err)
	}
	ro.Close()
}

// TestUnreachableServer: a server that does not answer is EUNAVAILABLE, and the message names where it
// looked without the password.
func TestUnreachableServer(t *testing.T) {
	_, err := postgres.Open(context.Background(), postgres.Options{DSN: "postgres://firstline:s3cret@127.0.0.1:1/desk?connect_timeout=2"})
	if bot.ErrorCode(err) != bot.EUNAVAILABLE {
		t.Fatalf("an unreachable server: %v, want EUNAVAILABLE", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "127.0.0.1:1/desk") || strings.Contains(msg, "s3cret") {
		t.Fatalf("the message: %q", msg)
	}
}
