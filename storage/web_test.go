package storage_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
)

func TestWebRecords(t *testing.T) {
	db := mustOpen(t, filepath.Join(t.TempDir(), "firstline.db"))
	ctx := context.Background()
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	if _, err := db.WebRecord(ctx, "session", "a"); !bot.IsNotFound(err) {
		t.Fatalf("before any: %v", err)
	}
	audit := bot.AuditEntry{At: now, Actor: "test:tom", Action: "web.signin", Target: "test:tom"}
	if err := db.AddWebRecord(ctx, "session", "a", "test:tom", now.Add(time.Hour), []byte("one"), audit); err != nil {
		t.Fatal(err)
	}
	if err := db.AddWebRecord(ctx, "session", "a", "test:tom", now.Add(time.Hour), []byte("two"), bot.AuditEntry{}); bot.ErrorCode(err) != bot.ECONFLICT {
		t.Fatalf("add twice: %v", err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(db.PutWebRecord(ctx, "session", "b", "test:tom", now.Add(2*time.Hour), []byte("b"), bot.AuditEntry{}))
	must(db.PutWebRecord(ctx, "session", "c", "test:sara", now.Add(3*time.Hour), []byte("c"), bot.AuditEntry{}))
	must(db.PutWebRecord(ctx, "spent", "a", "test:tom", now.Add(time.Minute), nil, bot.AuditEntry{}))
	must(db.PutWebRecord(ctx, "key", "k", "", time.Time{}, []byte("key"), bot.AuditEntry{}))
	// Replacing a record moves its expiry: the old one no longer prunes it.
	must(db.PutWebRecord(ctx, "session", "a", "test:tom", now.Add(5*time.Hour), []byte("one again"), bot.AuditEntry{}))
	if got, err := db.WebRecord(ctx, "session", "a"); err != nil || string(got) != "one again" {
		t.Fatalf("session a: %q, %v", got, err)
	}
	// Kinds are apart: tom's sessions go, his spent link and sara's session stay.
	n, err := db.DeleteUserWebRecords(ctx, "session", "test:tom", bot.AuditEntry{At: now, Actor: "test:tom", Action: "web.signout_all"})
	if err != nil || n != 2 {
		t.Fatalf("delete tom's sessions: %d, %v", n, err)
	}
	for _, k := range [][2]string{{"session", "a"}, {"session", "b"}} {
		if _, err := db.WebRecord(ctx, k[0], k[1]); !bot.IsNotFound(err) {
			t.Fatalf("%v after sign out everywhere: %v", k, err)
		}
	}
	for _, k := range [][2]string{{"session", "c"}, {"spent", "a"}, {"key", "k"}} {
		if _, err := db.WebRecord(ctx, k[0], k[1]); err != nil {
			t.Fatalf("%v: %v", k, err)
		}
	}
	// Pruning drops what expired, never what does not expire.
	n, err = db.PruneWebRecords(ctx, now.Add(4*time.Hour))
	if err != nil || n != 2 {
		t.Fatalf("prune: %d, %v", n, err)
	}
	if _, err := db.WebRecord(ctx, "key", "k"); err != nil {
		t.Fatalf("key after prune: %v", err)
	}
	if found, err := db.DeleteWebRecord(ctx, "key", "k", bot.AuditEntry{}); err != nil || !found {
		t.Fatalf("delete key: %v, %v", found, err)
	}
	if found, err := db.DeleteWebRecord(ctx, "key", "k", bot.AuditEntry{}); err != nil || found {
		t.Fatalf("delete key again: %v, %v", found, err)
	}
	entries, err := db.AuditEntries(ctx, time.Time{}, 0)
	if err != nil || len(entries) != 2 || entries[0].Action != "web.signin" || entries[1].Action != "web.signout_all" {
		t.Fatalf("audit: %+v, %v", entries, err)
	}
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
}

// Erasing a person signs them out: their sessions and spent links go with the rest of them.
func TestEraseUserDeletesWebRecords(t *testing.T) {
	db := mustOpen(t, filepath.Join(t.TempDir(), "firstline.db"))
	ctx := context.Background()
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	for _, r := range []struct{ kind, key, user string }{{"session", "a", "test:tom"}, {"spent", "n", "test:tom"}, {"session", "b", "test:sara"}} {
		if err := db.PutWebRecord(ctx, r.kind, r.key, r.user, now.Add(time.Hour), []byte("{}"), bot.AuditEntry{}); err != nil {
			t.Fatal(err)
		}
	}
	res, err := db.EraseUser(ctx, "test:tom", false)
	if err != nil || res.WebRecords != 2 {
		t.Fatalf("erase: %+v, %v", res, err)
	}
	if _, err := db.WebRecord(ctx, "session", "a"); !bot.IsNotFound(err) {
		t.Fatalf("tom's session after erasure: %v", err)
	}
	if _, err := db.WebRecord(ctx, "session", "b"); err != nil {
		t.Fatalf("sara's session after tom's erasure: %v", err)
	}
}
