package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/storage"
	"github.com/firstline-desk/firstline/storage/dump"
	"github.com/firstline-desk/firstline/storage/postgres/pgtest"
	"github.com/jackc/pgx/v5"
)

// runWith runs the program in this process with env as its environment, and returns what it printed
// and its exit code.
func runWith(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut,
		Getenv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
	code = m.Run(context.Background(), args)
	return out.String(), errOut.String(), code
}

// pgConfig writes a config of the demo desk kept in the PostgreSQL database dsn.
func pgConfig(t *testing.T, dsn string) string {
	t.Helper()
	demo, err := demoFS.ReadFile("demo/firstline.toml")
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(t.TempDir(), "firstline.toml")
	if err := os.WriteFile(name, append(demo, strings.ReplaceAll(pgStorage, "${FIRSTLINE_PG_DSN}", dsn)...), 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}

// canonicalFile is the dump of the data file in dir, in dump.Canonical's form.
func canonicalFile(t *testing.T, dir string) []string {
	t.Helper()
	var records []dump.Record
	if err := storage.ExportFile(context.Background(), filepath.Join(dir, "firstline.db"), func(r dump.Record) error {
		records = append(records, r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	lines, err := dump.Canonical(records)
	if err != nil {
		t.Fatal(err)
	}
	return lines
}

// TestMigrateThereAndBack copies a desk that ran (the console demo: tickets, the KB, the audit log,
// the outbox, the console's own records) from its data file into PostgreSQL and back with the command,
// and checks at each step what an operator would: the read commands print the same from either store,
// the copy back holds the same records as the original, and each refusal (a target that holds
// anything, a running desk on the source, a data file already there) says what to do.
func TestMigrateThereAndBack(t *testing.T) {
	dsn := pgtest.DSN(t)
	env := map[string]string{"FIRSTLINE_PG_DSN": dsn}
	data := t.TempDir()
	before := runConsoleDesk(t, "", data, "My VPN will not connect from home\nThe printer on floor 3 jams\n")
	want := canonicalFile(t, data)

	out, errOut, code := runWith(t, env, "migrate", "-to", "postgres", "-dsn", dsn, "-data", data)
	if code != 0 || !strings.Contains(out, "verified") || !strings.Contains(out, "ticket ") {
		t.Fatalf("migrate -to postgres: exit %d\n%s%s", code, out, errOut)
	}
	cfg := pgConfig(t, dsn)
	for _, args := range [][]string{{"tickets", "list"}, {"tickets", "show", "T-000001", "-json"}, {"audit", "-since", "30d"}, {"kb", "search", "vpn"}} {
		fromFile, errOut, code := runWith(t, env, append(args, "-data", data)...)
		if code != 0 {
			t.Fatalf("%s on the data file: %s", args, errOut)
		}
		fromPG, errOut, code := runWith(t, env, append(args, "-config", cfg, "-data", t.TempDir())...)
		if code != 0 || fromPG != fromFile {
			t.Fatalf("%s: PostgreSQL (exit %d, %s) prints\n%s\nthe data file\n%s", args, code, errOut, fromPG, fromFile)
		}
	}

	// Nothing is copied over a desk: the database now holds one.
	_, errOut, code = runWith(t, env, "migrate", "-to", "postgres", "-config", cfg, "-data", data)
	if code != 1 || !strings.Contains(errOut, "not empty") {
		t.Fatalf("migrate into a database that holds a desk: exit %d, %s", code, errOut)
	}

	back := filepath.Join(t.TempDir(), "back")
	out, errOut, code = runWith(t, env, "migrate", "-to", "bbolt", "-config", cfg, "-data", back)
	if code != 0 || !strings.Contains(out, "verified") {
		t.Fatalf("migrate -to bbolt: exit %d\n%s%s", code, out, errOut)
	}
	if got := canonicalFile(t, back); !slices.Equal(got, want) {
		t.Fatalf("there and back: %d records, want %d; first difference:\n%s", len(got), len(want), firstDiff(got, want))
	}
	_, errOut, code = runWith(t, env, "migrate", "-to", "bbolt", "-dsn", dsn, "-data", back)
	if code != 1 || !strings.Contains(errOut, "exists") {
		t.Fatalf("migrate -to bbolt over a data file: exit %d, %s", code, errOut)
	}
	// -data may name the data file itself, either way.
	file := filepath.Join(t.TempDir(), "copy", "desk.db")
	if out, errOut, code := runWith(t, env, "migrate", "-to", "bbolt", "-dsn", dsn, "-data", file); code != 0 || !strings.Contains(out, file) {
		t.Fatalf("migrate -to bbolt -data FILE: exit %d\n%s%s", code, out, errOut)
	}
	if out, errOut, code := runWith(t, env, "migrate", "-to", "postgres", "-dsn", pgtest.DSN(t), "-data", file); code != 0 || !strings.Contains(out, "verified") {
		t.Fatalf("migrate -to postgres -data FILE: exit %d\n%s%s", code, out, errOut)
	}

	// check reads the database itself, and says what is wrong in it.
	out, errOut, code = runWith(t, env, "check", "-config", cfg)
	if code != 0 || !strings.Contains(out, "1 ticket, schema") || !strings.Contains(out, "no problems found") {
		t.Fatalf("check on PostgreSQL: exit %d\n%s%s", code, out, errOut)
	}
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), "DELETE FROM conversations WHERE ticket = 'T-000001'"); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = runWith(t, env, "check", "-config", cfg)
	if code != 1 || !strings.Contains(out, "T-000001: its conversation") || !strings.Contains(errOut, "1 problem in PostgreSQL at") {
		t.Fatalf("check of a broken database: exit %d\n%s%s", code, out, errOut)
	}

	// A running desk holds the source: stop it first.
	runningDesk(t, back)
	_, errOut, code = runWith(t, env, "migrate", "-to", "postgres", "-dsn", pgtest.DSN(t), "-data", back)
	if code != 1 || !strings.Contains(errOut, "in use by a running Firstline: stop it first") {
		t.Fatalf("migrate from a running desk: exit %d, %s", code, errOut)
	}

	// The console desk goes on on PostgreSQL where it stopped on the data file: its message numbers
	// (the adapter's sequence, copied) go on after the last one, and the next question is T-000002.
	last := regexp.MustCompile(`\bm(\d+)\b`).FindAllStringSubmatch(before, -1)
	out = runConsoleDesk(t, cfg, t.TempDir(), "My laptop fan is very loud\n")
	ids := regexp.MustCompile(`\[#help\] m(\d+) alice: My laptop fan`).FindStringSubmatch(out)
	if ids == nil || len(last) == 0 || atoi(t, ids[1]) <= atoi(t, last[len(last)-1][1]) {
		t.Fatalf("the console on PostgreSQL numbered the new message %v after %v:\n%s", ids, last[len(last)-1:], out)
	}
	if out, _, _ := runWith(t, nil, "tickets", "list", "-config", cfg); !strings.Contains(out, "T-000002") {
		t.Fatalf("no T-000002 after a question on PostgreSQL:\n%s", out)
	}
}

// TestMigrateUsage checks what migrate says when it is not told enough.
func TestMigrateUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"migrate"}, 2, "-to postgres"},
		{[]string{"migrate", "-to", "mysql", "-dsn", "postgres://x@y/z"}, 2, "-to postgres"},
		{[]string{"migrate", "-to", "postgres"}, 2, "needs the database"},
		{[]string{"migrate", "-to", "postgres", "-dsn", "postgres://u:s3cret@h:99999999/d"}, 2, "not a PostgreSQL connection string"},
		{[]string{"migrate", "-to", "postgres", "-dsn", "postgres://u@127.0.0.1:1/d", "-data", "/nonexistent"}, 1, "no data file"},
	} {
		_, errOut, code := runWith(t, nil, c.args...)
		if code != c.code || !strings.Contains(errOut, c.want) || strings.Contains(errOut, "s3cret") {
			t.Errorf("%q: exit %d, %q; want exit %d with %q", c.args, code, errOut, c.code, c.want)
		}
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// firstDiff is the first line where got and want differ.
func firstDiff(got, want []string) string {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return "got  " + got[i] + "\nwant " + want[i]
		}
	}
	return "one is a prefix of the other"
}

// TestEraseUserOnPostgres erases a person from a desk in PostgreSQL with the command, and from the same
// desk in a data file: both leave the same records, record for record (the database's erasure is the data
// file's, through a copy, written back in one transaction). A dry run changes nothing, and no word of the
// person is left in the database.
func TestEraseUserOnPostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	data := mustStoreData(t, storeTickets(time.Now())...)
	if _, errOut, code := runWith(t, nil, "migrate", "-to", "postgres", "-dsn", dsn, "-data", data); code != 0 {
		t.Fatalf("migrate: %s", errOut)
	}
	cfg := pgConfig(t, dsn)
	pgDump := func() []string {
		t.Helper()
		dir := t.TempDir()
		if _, errOut, code := runWith(t, nil, "migrate", "-to", "bbolt", "-dsn", dsn, "-data", dir); code != 0 {
			t.Fatalf("migrate -to bbolt: %s", errOut)
		}
		return canonicalFile(t, dir)
	}
	before := pgDump()
	if !strings.Contains(strings.Join(before, "\n"), erasedPhrase) {
		t.Fatalf("%s is not in the database before the erasure: the test would prove nothing", erasedPhrase)
	}

	out, errOut, code := runWith(t, nil, "erase-user", "-dry-run", "console:bob", "-config", cfg)
	if code != 0 || !strings.Contains(out, "A dry run, nothing changed") || !strings.Contains(out, "PostgreSQL at") {
		t.Fatalf("erase-user -dry-run on PostgreSQL: exit %d\n%s%s", code, out, errOut)
	}
	if got := pgDump(); !slices.Equal(got, before) {
		t.Fatalf("a dry run changed the database: %s", firstDiff(got, before))
	}

	fromFile, errOut, code := runWith(t, nil, "erase-user", "console:bob", "-data", data)
	if code != 0 {
		t.Fatalf("erase-user on the data file: %s", errOut)
	}
	fromPG, errOut, code := runWith(t, nil, "erase-user", "console:bob", "-config", cfg)
	if code != 0 || !strings.Contains(fromPG, "Erased console:bob from PostgreSQL at") {
		t.Fatalf("erase-user on PostgreSQL: exit %d\n%s%s", code, fromPG, errOut)
	}
	cut := func(s string) string { _, rest, _ := strings.Cut(s, ":\n"); return rest }
	if !strings.HasPrefix(cut(fromPG), strings.TrimSuffix(cut(fromFile), "The erased bytes stay in the file's free pages until you run `firstline compact`; backups made before still hold them.\n")) {
		t.Fatalf("the erasures differ:\nPostgreSQL:\n%s\ndata file:\n%s", fromPG, fromFile)
	}
	if got, want := pgDump(), canonicalFile(t, data); !slices.Equal(got, want) {
		t.Fatalf("PostgreSQL after erase-user is not the data file after it: %s", firstDiff(got, want))
	}
	if strings.Contains(strings.Join(pgDump(), "\n"), erasedPhrase) {
		t.Fatalf("%s is still in the database", erasedPhrase)
	}
}
