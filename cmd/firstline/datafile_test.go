package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/internal/control"
	"github.com/firstline-desk/firstline/storage"
)

const erasedPhrase = "tangerine-walrus-5521"

// storeTickets are a small desk's tickets: one of bob's holding a phrase, one of alice's he answered in.
func storeTickets(now time.Time) []*bot.Ticket {
	old := now.Add(-90 * 24 * time.Hour)
	return []*bot.Ticket{
		{Version: bot.TicketVersion, Status: bot.StatusResolved, Tier: bot.LevelOne, Priority: "P3", Requester: "console:bob", RequesterName: "bob",
			Subject: "the " + erasedPhrase + " printer jams", Conversation: bot.Conversation{Platform: "console", Channel: "help", Thread: "m1"},
			Transcript: []bot.Entry{{At: old, Author: "console:bob", Name: "bob", Role: bot.RoleRequester, Text: "the " + erasedPhrase + " printer jams"}},
			CreatedAt:  old, UpdatedAt: old, ResolvedAt: &old},
		{Version: bot.TicketVersion, Status: bot.StatusOpen, Tier: bot.LevelOne, Priority: "P3", Requester: "console:alice", RequesterName: "alice",
			Subject: "vpn", Conversation: bot.Conversation{Platform: "console", Channel: "help", Thread: "m2"},
			Transcript: []bot.Entry{
				{At: now, Author: "console:alice", Name: "alice", Role: bot.RoleRequester, Text: "vpn"},
				{At: now, Author: "console:bob", Name: "bob", Role: bot.RoleTechnician, Text: "same as the " + erasedPhrase + " one, restart it"},
			},
			CreatedAt: now, UpdatedAt: now},
	}
}

// mustStoreData writes tickets into a new data directory, as the desk writes them, and returns it.
func mustStoreData(t *testing.T, tickets ...*bot.Ticket) string {
	t.Helper()
	dir := t.TempDir()
	db, err := storage.Open(filepath.Join(dir, "firstline.db"), storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(context.Background(), func(tx bot.Tx) error {
		for _, tk := range tickets {
			if err := tx.CreateTicket(tk); err != nil {
				return err
			}
			if err := tx.LinkConversation(tk.Conversation, tk.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func mustRun(t *testing.T, want string, args ...string) string {
	t.Helper()
	out, errOut, code := runMain(t, args...)
	if code != 0 || !strings.Contains(out, want) {
		t.Fatalf("firstline %s: exit %d, want 0 and %q\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, want, out, errOut)
	}
	return out
}

func mustFail(t *testing.T, code int, want string, args ...string) string {
	t.Helper()
	out, errOut, got := runMain(t, args...)
	if got != code || !strings.Contains(errOut, want) {
		t.Fatalf("firstline %s: exit %d, want %d and %q\nstdout: %s\nstderr: %s", strings.Join(args, " "), got, code, want, out, errOut)
	}
	return out
}

func TestBackupAndRestoreCommands(t *testing.T) {
	data := mustStoreData(t, storeTickets(time.Now())...)
	file := filepath.Join(t.TempDir(), "backup.db")

	mustRun(t, "2 tickets, schema", "backup", file, "-data", data)
	out := mustRun(t, "(Firstline is not running)", "backup", "-force", file, "-data", data)
	if !strings.Contains(out, "verified") {
		t.Fatalf("backup output does not say it was verified: %s", out)
	}
	mustFail(t, 2, "exists: pass -force to replace it", "backup", file, "-data", data)
	mustFail(t, 2, "backup needs one FILE", "backup", "-data", data)
	mustFail(t, 1, "there is no data file at", "backup", file, "-data", filepath.Join(data, "nowhere"))
	mustFail(t, 1, "is the data file itself", "backup", "-force", filepath.Join(data, "firstline.db"), "-data", data)

	db, err := storage.Open(filepath.Join(data, "firstline.db"), storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(context.Background(), func(tx bot.Tx) error {
		tk := &bot.Ticket{Requester: "console:carol", Status: bot.StatusOpen, Conversation: bot.Conversation{Platform: "console", Channel: "help", Thread: "m3"}}
		if err := tx.CreateTicket(tk); err != nil {
			return err
		}
		return tx.LinkConversation(tk.Conversation, tk.ID)
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	out = mustRun(t, "2 tickets", "restore", file, "-data", data)
	if !strings.Contains(out, "kept as "+filepath.Join(data, "firstline.db.before-restore-")) {
		t.Fatalf("restore does not say where the replaced file is: %s", out)
	}
	if out := mustRun(t, "T-000002", "tickets", "list", "-data", data); strings.Contains(out, "T-000003") {
		t.Fatalf("the restored file still has the ticket made after the backup:\n%s", out)
	}
	mustFail(t, 1, "there is no data file at", "restore", filepath.Join(data, "nothing.db"), "-data", data)
	mustFail(t, 2, "restore needs the backup FILE", "restore", "-data", data)
}

func TestCheckCommand(t *testing.T) {
	data := mustStoreData(t, storeTickets(time.Now())...)
	mustRun(t, "2 tickets, schema", "check", "-data", data)

	b, err := bolt.Open(filepath.Join(data, "firstline.db"), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = b.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket([]byte("tickets_by_conversation")).Delete([]byte("console\x1fhelp\x1fm2")); err != nil {
			return err
		}
		outbox := tx.Bucket([]byte("outbox"))
		if err := outbox.SetSequence(1); err != nil {
			return err
		}
		return outbox.Put([]byte{0, 0, 0, 0, 0, 0, 0, 1}, []byte(`{"seq":1,"kind":"post","platform":"console","ticket":"T-000042"}`))
	})
	b.Close()
	if err != nil {
		t.Fatal(err)
	}
	out := mustFail(t, 1, "2 problems in", "check", "-data", data)
	for _, want := range []string{
		"T-000002: its conversation (console/help/m2) links to no ticket",
		"outbox: effect 1 (post on console) is for T-000042, which does not exist",
	} {
		if !strings.Contains(out, want) {
			t.Fatalf("check output lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(strings.TrimSpace(out), "\n") + 1; n != 2 {
		t.Fatalf("check printed %d lines for 2 problems:\n%s", n, out)
	}
}

func TestEraseUserAndCompactCommands(t *testing.T) {
	data := mustStoreData(t, storeTickets(time.Now())...)
	path := filepath.Join(data, "firstline.db")
	raw := func() []byte {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	before := raw()

	out := mustRun(t, "A dry run, nothing changed", "erase-user", "-dry-run", "console:bob", "-data", data)
	if !strings.Contains(out, "1 ticket they requested deleted: T-000001") || !bytes.Equal(before, raw()) {
		t.Fatalf("dry run:\n%s", out)
	}
	mustFail(t, 2, "is not platform:id", "erase-user", "bob", "-data", data)
	mustRun(t, "Found nothing of console:nobody", "erase-user", "console:nobody", "-data", data)

	out = mustRun(t, "Erased console:bob", "erase-user", "console:bob", "-data", data)
	for _, want := range []string{"1 ticket they requested deleted: T-000001", "1 other ticket changed: T-000002", "1 of their messages replaced", "firstline compact"} {
		if !strings.Contains(out, want) {
			t.Fatalf("erase-user output lacks %q:\n%s", want, out)
		}
	}
	if !bytes.Contains(raw(), []byte(erasedPhrase)) {
		t.Fatal("the erased phrase left the file without a compaction: the check below would prove nothing")
	}
	mustRun(t, "Compacted", "compact", "-data", data)
	if bytes.Contains(raw(), []byte(erasedPhrase)) {
		t.Fatal("the erased phrase is still in the file after compact")
	}
	mustRun(t, "1 ticket, schema", "check", "-data", data)
	out = mustRun(t, "[erased]", "tickets", "show", "T-000002", "-data", data)
	if strings.Contains(out, "bob") {
		t.Fatalf("bob is still named in alice's ticket:\n%s", out)
	}
}

// runningDesk opens data as the desk does and listens on its control socket, until the test ends.
func runningDesk(t *testing.T, data string) *storage.DB {
	t.Helper()
	db, err := storage.Open(filepath.Join(data, "firstline.db"), storage.Options{LockTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	stop := control.Start(context.Background(), db, slog.New(slog.DiscardHandler))
	t.Cleanup(func() {
		stop()
		db.Close()
	})
	return db
}

func TestStoreCommandsWhileRunning(t *testing.T) {
	data := mustStoreData(t, storeTickets(time.Now())...)
	path := filepath.Join(data, "firstline.db")
	rawUpdate(t, path, func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("tickets_by_conversation")).Delete([]byte("console\x1fhelp\x1fm2"))
	})
	runningDesk(t, data)
	st, err := os.Stat(path + ".sock")
	if err != nil || st.Mode().Type() != os.ModeSocket || st.Mode().Perm() != 0o600 {
		t.Fatalf("control socket: %v, %v; want a socket with mode 0600", st.Mode(), err)
	}

	file := filepath.Join(t.TempDir(), "backup.db")
	mustRun(t, "from the running Firstline: ", "backup", file, "-data", data)
	if info, err := storage.VerifyFile(file, storage.Options{}); err != nil || info.Tickets != 2 {
		t.Fatalf("the backup made by the running desk: %+v %v", info, err)
	}
	out := mustFail(t, 1, "1 problem in "+path+" (checked by the running Firstline)", "check", "-data", data)
	if !strings.Contains(out, "T-000002: its conversation (console/help/m2) links to no ticket") {
		t.Fatalf("check through the socket:\n%s", out)
	}
	for _, args := range [][]string{
		{"restore", file},
		{"compact"},
		{"erase-user", "console:bob"},
	} {
		mustFail(t, 1, "the data file "+path+" is in use by a running Firstline: stop Firstline first", append(args, "-data", data)...)
	}
	if kept, _ := filepath.Glob(path + ".before-restore-*"); len(kept) > 0 {
		t.Fatal("a refused restore kept a file aside")
	}
}

func rawUpdate(t *testing.T, path string, fn func(*bolt.Tx) error) {
	t.Helper()
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Update(fn); err != nil {
		t.Fatal(err)
	}
}

func TestRetentionConfig(t *testing.T) {
	demo, err := demoFS.ReadFile("demo/firstline.toml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, toml string
		days       int
		problem    string
	}{
		{"off by default", "", 0, ""},
		{"a month", "[retention]\nclosed_ticket_days = 30\n", 30, ""},
		{"negative", "[retention]\nclosed_ticket_days = -1\n", 0, "retention.closed_ticket_days: -1 must be 0"},
		{"within the reopen window", "[retention]\nclosed_ticket_days = 3\n", 0, "shorter than desk.reopen_window (7 days)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ParseConfig("firstline.toml", append(append([]byte{}, demo...), "\n"+tt.toml...), noEnv)
			if tt.problem != "" {
				if err == nil || !strings.Contains(err.Error(), tt.problem) {
					t.Fatalf("got %v, want %q", err, tt.problem)
				}
				return
			}
			if err != nil || cfg.Retention.ClosedTicketDays != tt.days {
				t.Fatalf("got %+v, %v; want %d days", cfg.Retention, err, tt.days)
			}
		})
	}
}

// TestRetentionInHousekeeping runs the hourly purge as housekeeping does: the ticket resolved 90 days
// ago goes, with a log line that counts it; the active one stays.
func TestRetentionInHousekeeping(t *testing.T) {
	data := mustStoreData(t, storeTickets(time.Now())...)
	db, err := storage.Open(filepath.Join(data, "firstline.db"), storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st := &store{deskStore: db, file: db}
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	m := &Main{}
	m.purgeResolved(context.Background(), st, logger) // no [retention]: keeps everything
	m.retention.ClosedTicketDays = 100
	m.purgeResolved(context.Background(), st, logger)
	if logs.Len() > 0 {
		t.Fatalf("purged with nothing past retention: %s", logs.String())
	}
	m.retention.ClosedTicketDays = 30
	m.purgeResolved(context.Background(), st, logger)
	if !strings.Contains(logs.String(), "purged resolved tickets past retention") || !strings.Contains(logs.String(), "tickets=1 ") {
		t.Fatalf("logs: %s", logs.String())
	}
	err = db.View(context.Background(), func(tx bot.Tx) error {
		if _, err := tx.Ticket("T-000001"); !bot.IsNotFound(err) {
			t.Errorf("T-000001, resolved 90 days ago, is still there: %v", err)
		}
		_, err := tx.Ticket("T-000002")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestBackupAndCheckWithTheRealDesk runs the real binary's console and backs up and checks its data file
// from a second process while it runs; restore is refused until the desk stops, and the socket goes with it.
func TestBackupAndCheckWithTheRealDesk(t *testing.T) {
	data := t.TempDir()
	c := startConsole(t, data)
	c.send("my printer jams")
	file := filepath.Join(t.TempDir(), "backup.db")
	if out, err := runCLI(t, "backup", file, "-data", data); err != nil || !strings.Contains(out, "from the running Firstline") || !strings.Contains(out, "1 ticket,") {
		t.Fatalf("backup while the desk runs: %v\n%s", err, out)
	}
	if out, err := runCLI(t, "check", "-data", data); err != nil || !strings.Contains(out, "no problems found (checked by the running Firstline)") {
		t.Fatalf("check while the desk runs: %v\n%s", err, out)
	}
	if out, err := runCLI(t, "restore", file, "-data", data); err == nil || !strings.Contains(out, "stop Firstline first") {
		t.Fatalf("restore while the desk runs: %v\n%s", err, out)
	}
	c.close()
	if _, err := os.Lstat(filepath.Join(data, "firstline.db.sock")); !os.IsNotExist(err) {
		t.Fatalf("the control socket outlived the desk: %v", err)
	}
	if out, err := runCLI(t, "restore", file, "-data", data); err != nil || !strings.Contains(out, "Restored") {
		t.Fatalf("restore once the desk stopped: %v\n%s", err, out)
	}
	if out, err := runCLI(t, "check", "-data", data); err != nil || !strings.Contains(out, "no problems found.") {
		t.Fatalf("check after the restore: %v\n%s", err, out)
	}
}
