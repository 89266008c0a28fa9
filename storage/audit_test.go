package storage_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/storage"
)

// auditAt appends one entry per action, an hour apart from start, each in its own transaction as the bot
// does.
func auditAt(t *testing.T, db *storage.DB, start time.Time, actions ...string) {
	t.Helper()
	for i, a := range actions {
		e := bot.AuditEntry{At: start.Add(time.Duration(i) * time.Hour), Actor: "test:ada", Action: a, Target: "vpn"}
		if err := db.Update(context.Background(), func(tx bot.Tx) error { return tx.Audit(e) }); err != nil {
			t.Fatalf("audit %s: %v", a, err)
		}
	}
}

func actions(es []bot.AuditEntry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Action)
	}
	return out
}

func TestAuditEntriesOrderSinceAndLimit(t *testing.T) {
	db := mustOpen(t, filepath.Join(t.TempDir(), "f.db"))
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	auditAt(t, db, start, "kb.add", "kb.edit", "kb.publish", "ticket.claimed", "refused")
	tests := []struct {
		name  string
		since time.Time
		limit int
		want  []string
	}{
		{"all, oldest first", time.Time{}, 0, []string{"kb.add", "kb.edit", "kb.publish", "ticket.claimed", "refused"}},
		{"since is inclusive", start.Add(2 * time.Hour), 0, []string{"kb.publish", "ticket.claimed", "refused"}},
		{"between two entries", start.Add(90 * time.Minute), 0, []string{"kb.publish", "ticket.claimed", "refused"}},
		{"limit keeps the newest", time.Time{}, 2, []string{"ticket.claimed", "refused"}},
		{"after the last", start.Add(5 * time.Hour), 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := db.AuditEntries(context.Background(), tt.since, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			if a := actions(got); !slices.Equal(a, tt.want) {
				t.Fatalf("got %q, want %q", a, tt.want)
			}
		})
	}
	got, _ := db.AuditEntries(context.Background(), time.Time{}, 1)
	if want := (bot.AuditEntry{At: start.Add(4 * time.Hour), Actor: "test:ada", Action: "refused", Target: "vpn"}); len(got) != 1 || got[0] != want {
		t.Fatalf("round trip: got %+v, want %+v", got, want)
	}
}

func TestAuditRefusesAnEntryWithoutAction(t *testing.T) {
	db := mustOpen(t, filepath.Join(t.TempDir(), "f.db"))
	err := db.Update(context.Background(), func(tx bot.Tx) error {
		return tx.Audit(bot.AuditEntry{At: time.Now(), Actor: "test:ada", Target: "vpn"})
	})
	if bot.ErrorCode(err) != bot.EINVALID {
		t.Fatalf("err = %v, want EINVALID", err)
	}
	if got, _ := db.AuditEntries(context.Background(), time.Time{}, 0); len(got) != 0 {
		t.Fatalf("entries after a refused append: %+v", got)
	}
}

// TestAuditBucketIsOnlyAppended snapshots the raw bucket, does the ticket, outbox and link work a real desk
// does, and checks the bucket is byte for byte the same; a later entry takes the next key.
func TestAuditBucketIsOnlyAppended(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.db")
	ctx := context.Background()
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	// The raw bucket is read with bbolt directly, which needs the file closed: each step opens it anew.
	withDB(t, path, func(db *storage.DB) { auditAt(t, db, start, "kb.add", "ticket.opened") })
	before := auditBucket(t, path)
	withDB(t, path, func(db *storage.DB) {
		err := db.Update(ctx, func(tx bot.Tx) error {
			tk := newTicket("test:alice")
			if err := tx.CreateTicket(tk); err != nil {
				return err
			}
			if err := tx.LinkConversation(tk.Conversation, tk.ID); err != nil {
				return err
			}
			if err := tx.LinkMessage(bot.MessageRef{Platform: "test", Channel: "help", ID: "m1"}, bot.MessageLink{Ticket: tk.ID, Key: "card-1"}); err != nil {
				return err
			}
			if _, err := tx.RecordDedupKey("test:e1", start); err != nil {
				return err
			}
			tk.Status = bot.StatusEscalated
			if err := tx.PutTicket(tk); err != nil {
				return err
			}
			e := &bot.Effect{Kind: bot.EffectPost, Lane: "l", Post: bot.Post{Text: "hi"}}
			if err := tx.Enqueue(e); err != nil {
				return err
			}
			return tx.DeleteEffect(e.Seq)
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.PruneDedupKeys(ctx, start.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	})
	if after := auditBucket(t, path); !slices.EqualFunc(before, after, func(a, b [2][]byte) bool {
		return bytes.Equal(a[0], b[0]) && bytes.Equal(a[1], b[1])
	}) {
		t.Fatalf("the audit bucket changed without an append:\nbefore %q\nafter  %q", before, after)
	}
	withDB(t, path, func(db *storage.DB) { auditAt(t, db, start.Add(3*time.Hour), "kb.delete") })
	after := auditBucket(t, path)
	if len(before) != 2 || len(after) != 3 || binary.BigEndian.Uint64(after[2][0]) != 3 ||
		!bytes.Equal(after[0][1], before[0][1]) || !bytes.Equal(after[1][1], before[1][1]) {
		t.Fatalf("after a third append: %q", after)
	}
}

// withDB opens the file, runs fn, checks and closes it.
func withDB(t *testing.T, path string, fn func(*storage.DB)) {
	t.Helper()
	db, err := storage.Open(path, storage.Options{NoSync: true})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer db.Close()
	fn(db)
	if err := db.Check(); err != nil {
		t.Fatalf("check: %v", err)
	}
}

// auditBucket copies the raw keys and values of the audit bucket out of a closed file.
func auditBucket(t *testing.T, path string) [][2][]byte {
	t.Helper()
	b, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var kvs [][2][]byte
	if err := b.View(func(btx *bolt.Tx) error {
		return btx.Bucket([]byte("audit")).ForEach(func(k, v []byte) error {
			kvs = append(kvs, [2][]byte{bytes.Clone(k), bytes.Clone(v)})
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	return kvs
}

// TestMigrationToAuditLog writes a schema 2 file by hand, as the release before the audit log left it, and
// checks that opening it adds an empty audit log that takes entries, with the tickets untouched.
func TestMigrationToAuditLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.db")
	b, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = b.Update(func(btx *bolt.Tx) error {
		for _, name := range []string{"meta", "tickets", "tickets_by_conversation", "tickets_by_requester", "tickets_by_status",
			"messages", "dedup", "outbox", "articles", "article_versions", "adapters",
			"tickets_by_due", "due_by_ticket", "tickets_by_updated"} {
			if _, err := btx.CreateBucket([]byte(name)); err != nil {
				return err
			}
		}
		return btx.Bucket([]byte("meta")).Put([]byte("schema_version"), binary.BigEndian.AppendUint64(nil, 2))
	})
	b.Close()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := storage.Open(path, storage.Options{ReadOnly: true}); bot.ErrorCode(err) != bot.EINVALID || !strings.Contains(err.Error(), fmt.Sprintf("schema 2 to %d", storage.SchemaVersion())) {
		t.Fatalf("read-only open of a schema 2 file: %v", err)
	}
	db := mustOpen(t, path)
	if got, err := db.AuditEntries(context.Background(), time.Time{}, 0); err != nil || len(got) != 0 {
		t.Fatalf("migrated audit log = %+v, %v", got, err)
	}
	auditAt(t, db, time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), "kb.add")
	if got, err := db.AuditEntries(context.Background(), time.Time{}, 0); err != nil || !slices.Equal(actions(got), []string{"kb.add"}) {
		t.Fatalf("after one append = %+v, %v", got, err)
	}
}
