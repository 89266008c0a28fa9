// Package pgtest gives tests a PostgreSQL database of their own, on the server whose DSN is in
// FIRSTLINE_TEST_PG_DSN (`.ci/run` starts a throwaway cluster and sets it; scripts/pgcluster.sh does the
// same by hand). Each call to DSN creates a new, empty schema and gives a DSN whose search_path is that
// schema, dropped when the test ends, so tests and packages run side by side on one server (a schema
// takes milliseconds to make, a database about a second).
//
// Without the variable a test is skipped on a developer's machine, with a message that says how to run
// it, and fails in CI (CI set, as .ci/run sets it): the PostgreSQL tests must run there.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvDSN is the variable that holds the test server's DSN, with a database the tests may create
// databases from (postgres).
const EnvDSN = "FIRSTLINE_TEST_PG_DSN"

// DSN returns the DSN of a new, empty schema (the connection's search_path), dropped when tb ends.
func DSN(tb testing.TB) string {
	tb.Helper()
	admin := serverDSN(tb)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		tb.Fatalf("connect to the test server (%s): %v", EnvDSN, err)
	}
	defer conn.Close(ctx)
	name := newName()
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+name); err != nil {
		tb.Fatalf("create a test schema: %v", err)
	}
	tb.Cleanup(func() { drop(tb, admin, "DROP SCHEMA "+name+" CASCADE") })
	return withParam(tb, admin, "search_path", name)
}

// Database returns the DSN of a new, empty database, dropped when tb ends: for what a schema cannot
// show (a whole database's size, or its emptiness).
func Database(tb testing.TB) string {
	tb.Helper()
	admin := serverDSN(tb)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		tb.Fatalf("connect to the test server (%s): %v", EnvDSN, err)
	}
	defer conn.Close(ctx)
	name := newName()
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("create a test database: %v", err)
	}
	tb.Cleanup(func() { drop(tb, admin, "DROP DATABASE "+name+" WITH (FORCE)") })
	return withDatabase(tb, admin, name)
}

// serverDSN is the test server's DSN, or the test is skipped (failed in CI).
func serverDSN(tb testing.TB) string {
	tb.Helper()
	admin := os.Getenv(EnvDSN)
	if admin == "" {
		if os.Getenv("CI") != "" {
			tb.Fatalf("%s is not set: CI must run the PostgreSQL tests (.ci/run starts a cluster and sets it)", EnvDSN)
		}
		tb.Skipf("no PostgreSQL to test on: set %s (eval \"$(scripts/pgcluster.sh start /tmp/fl-pg)\" starts one)", EnvDSN)
	}
	return admin
}

func newName() string {
	b := make([]byte, 6)
	rand.Read(b)
	return "fltest_" + hex.EncodeToString(b)
}

// drop runs a DROP statement on the server when a test ends.
func drop(tb testing.TB, admin, stmt string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		tb.Errorf("%s: %v", stmt, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, stmt); err != nil {
		tb.Errorf("%s: %v", stmt, err)
	}
}

// withParam returns dsn with a run-time parameter set: a URL's query, or a key=value pair.
func withParam(tb testing.TB, dsn, key, value string) string {
	if strings.Contains(dsn, "://") {
		u, err := url.Parse(dsn)
		if err != nil {
			tb.Fatalf("%s is not a URL: %v", EnvDSN, err)
		}
		q := u.Query()
		q.Set(key, value)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " " + key + "=" + value
}

// withDatabase returns dsn with its database replaced by name: a URL's path, or a dbname pair.
func withDatabase(tb testing.TB, dsn, name string) string {
	if strings.Contains(dsn, "://") {
		u, err := url.Parse(dsn)
		if err != nil {
			tb.Fatalf("%s is not a URL: %v", EnvDSN, err)
		}
		u.Path = "/" + name
		return u.String()
	}
	return dsn + " dbname=" + name
}
