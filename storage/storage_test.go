package storage_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/kb"
	"github.com/firstline-desk/firstline/storage"
)

func mustOpen(t *testing.T, path string) *storage.DB {
	t.Helper()
	db, err := storage.Open(path, storage.Options{NoSync: true})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Check(); err != nil {
			t.Errorf("check: %v", err)
		}
		db.Close()
	})
	return db
}

func newTicket(requester string) *bot.Ticket {
	return &bot.Ticket{Version: bot.TicketVersion, Status: bot.StatusOpen, Tier: bot.LevelOne, Priority: "P3", Requester: requester,
		Conversation: bot.Conversation{Platform: "test", Channel: "help", Thread: "m-" + requester}}
}

func TestTicketsIDsIndexesAndFilters(t *testing.T) {
	db := mustOpen(t, filepath.Join(t.TempDir(), "f.db"))
	ctx := context.Background()
	err := db.Update(ctx, func(tx bot.Tx) error {
		for _, r := range []string{"test:alice", "test:bob", "test:alice"} {
			tk := newTicket(r)
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
	err = db.Update(ctx, func(tx bot.Tx) error {
		tk, err := tx.Ticket("T-000003")
		if err != nil {
			return err
		}
		tk.Status = bot.StatusEscalated
		return tx.PutTicket(tk)
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		filter bot.TicketFilter
		want   string
	}{
		{"all", bot.TicketFilter{}, "T-000001 T-000002 T-000003"},
		{"requester", bot.TicketFilter{Requester: "test:alice"}, "T-000001 T-000003"},
		{"status moved with the ticket", bot.TicketFilter{Status: []bot.Status{bot.StatusOpen}}, "T-000001 T-000002"},
		{"requester and status", bot.TicketFilter{Requester: "test:alice", Status: []bot.Status{bot.StatusEscalated}}, "T-000003"},
		{"several statuses", bot.TicketFilter{Status: []bot.Status{bot.StatusEscalated, bot.StatusOpen}}, "T-000001 T-000002 T-000003"},
		{"limit", bot.TicketFilter{Limit: 2}, "T-000001 T-000002"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			if err := db.View(ctx, func(tx bot.Tx) error {
				tks, err := tx.FindTickets(tt.filter)
				for _, tk := range tks {
					got = append(got, tk.ID)
				}
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if g := strings.Join(got, " "); g != tt.want {
				t.Fatalf("got %s, want %s", g, tt.want)
			}
		})
	}
	err = db.View(ctx, func(tx bot.Tx) error {
		tk, err := tx.TicketByConversation(bot.Conversation{Platform: "test", Channel: "help", Thread: "m-test:bob"})
		if err != nil || tk.ID != "T-000002" {
			t.Fatalf("by conversation: %v %v", tk, err)
		}
		for _, id := range []string{"T-000009", "T-0", "X-000001", ""} {
			if _, err := tx.Ticket(id); !bot.IsNotFound(err) {
				t.Fatalf("Ticket(%q) err = %v, want not found", id, err)
			}
		}
		if _, err := tx.MessageLink(bot.MessageRef{Platform: "test", Channel: "c", ID: "x"}); !bot.IsNotFound(err) {
			t.Fatalf("unknown message link err = %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestFailedTransactionWritesNothing(t *testing.T) {
	db := mustOpen(t, filepath.Join(t.TempDir(), "f.db"))
	ctx := context.Background()
	err := db.Update(ctx, func(tx bot.Tx) error {
		if err := tx.CreateTicket(newTicket("test:alice")); err != nil {
			return err
		}
		if _, err := tx.RecordDedupKey("ev1", time.Now()); err != nil {
			return err
		}
		return bot.Errorf(bot.ECONFLICT, "changed my mind")
	})
	if bot.ErrorCode(err) != bot.ECONFLICT {
		t.Fatalf("err = %v", err)
	}
	_ = db.Update(ctx, func(tx bot.Tx) error {
		if seen, _ := tx.RecordDedupKey("ev1", time.Now()); seen {
			t.Fatal("a rolled-back dedup key was kept")
		}
		if tks, _ := tx.FindTickets(bot.TicketFilter{}); len(tks) != 0 {
			t.Fatal("a rolled-back ticket was kept")
		}
		return nil
	})
}

func TestOutboxOrderAndRewrite(t *testing.T) {
	db := mustOpen(t, filepath.Join(t.TempDir(), "f.db"))
	ctx := context.Background()
	_ = db.Update(ctx, func(tx bot.Tx) error {
		for _, text := range []string{"one", "two", "three"} {
			if err := tx.Enqueue(&bot.Effect{Kind: bot.EffectPost, Lane: "l", Post: bot.Post{Text: text}}); err != nil {
				t.Fatal(err)
			}
		}
		return nil
	})
	_ = db.Update(ctx, func(tx bot.Tx) error {
		effs, _ := tx.Effects(0, 10)
		if len(effs) != 3 || effs[0].Post.Text != "one" || effs[2].Post.Text != "three" || effs[0].Seq >= effs[1].Seq {
			t.Fatalf("effects out of order: %+v", effs)
		}
		effs[1].Attempts = 3
		if err := tx.PutEffect(effs[1]); err != nil {
			t.Fatal(err)
		}
		return tx.DeleteEffect(effs[0].Seq)
	})
	_ = db.View(ctx, func(tx bot.Tx) error {
		effs, _ := tx.Effects(0, 1)
		if len(effs) != 1 || effs[0].Post.Text != "two" || effs[0].Attempts != 3 {
			t.Fatalf("after rewrite: %+v", effs)
		}
		return nil
	})
}

func TestSecondOpenFailsFastWithASentence(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.db")
	mustOpen(t, path)
	// An open that waited for the lock without a timeout would never return: the error is the proof.
	_, err := storage.Open(path, storage.Options{LockTimeout: 100 * time.Millisecond})
	if bot.ErrorCode(err) != bot.EUNAVAILABLE || !strings.Contains(err.Error(), "in use by another Firstline process") {
		t.Fatalf("second open: %v", err)
	}
}

func TestSchemaVersionIsStoredAndNewerFilesRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.db")
	db, err := storage.Open(path, storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	b, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = b.Update(func(tx *bolt.Tx) error {
		v := tx.Bucket([]byte("meta")).Get([]byte("schema_version"))
		if got := binary.BigEndian.Uint64(v); got != uint64(storage.SchemaVersion()) {
			t.Fatalf("stored schema %d, want %d", got, storage.SchemaVersion())
		}
		return tx.Bucket([]byte("meta")).Put([]byte("schema_version"), binary.BigEndian.AppendUint64(nil, 99))
	})
	b.Close()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := storage.Open(path, storage.Options{}); bot.ErrorCode(err) != bot.EINVALID || !strings.Contains(err.Error(), "upgrade Firstline") {
		t.Fatalf("opening a newer file: %v", err)
	}
}

// TestArticleVersions checks the one way articles are stored (bot.Tx): each put is a new version from
// the version it was made from (another base is a conflict), a deletion is a version too, and every
// version is kept in order.
func TestArticleVersions(t *testing.T) {
	db := mustOpen(t, filepath.Join(t.TempDir(), "f.db"))
	ctx := context.Background()
	a := kb.Article{ID: "vpn", Title: "VPN", Tags: []string{"vpn"}, Body: "Connect."}
	b := a
	b.Body = "Connect again."
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	err := db.Update(ctx, func(tx bot.Tx) error {
		for i, step := range []struct {
			article kb.Article
			deleted bool
			base    int
		}{{a, false, 0}, {b, false, 1}, {b, true, 2}} {
			if v, err := tx.PutKBArticle(step.article, step.deleted, "console:ada", now, step.base); err != nil || v != i+1 {
				return fmt.Errorf("step %d: version %d, %v", i, v, err)
			}
		}
		if _, err := tx.PutKBArticle(a, false, "console:ada", now, 1); bot.ErrorCode(err) != bot.ECONFLICT {
			return fmt.Errorf("a put from an old version: %v, want ECONFLICT", err)
		}
		if _, err := tx.PutKBArticle(kb.Article{ID: "Bad Id"}, false, "x", now, 0); bot.ErrorCode(err) != bot.EINVALID {
			return fmt.Errorf("an invalid article: %v, want EINVALID", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(ctx, func(tx bot.Tx) error {
		cur, err := tx.KBArticle("vpn")
		if err != nil || cur.Version != 3 || !cur.Deleted || cur.Article.Body != "Connect again." {
			return fmt.Errorf("newest %+v, %v", cur, err)
		}
		vers, err := tx.KBVersions("vpn")
		if err != nil || len(vers) != 3 || vers[0].Article.Body != "Connect." || vers[1].Author != "console:ada" || vers[1].Deleted {
			return fmt.Errorf("versions %+v, %v", vers, err)
		}
		if _, err := tx.KBArticle("nope"); !bot.IsNotFound(err) {
			return fmt.Errorf("an unknown article: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if live, err := bot.LiveKBArticles(ctx, db); err != nil || len(live) != 0 {
		t.Fatalf("live articles after the deletion: %+v, %v", live, err)
	}
}

func TestAdapterStateAndPruning(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.db")
	db, err := storage.Open(path, storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st := db.Adapter("console")
	for want := uint64(1); want <= 3; want++ {
		if id, err := st.NextID(ctx); err != nil || id != want {
			t.Fatalf("NextID = %d, %v; want %d", id, err, want)
		}
	}
	if err := st.Put(ctx, "m1", []byte(`{"x":1}`)); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db = mustOpen(t, path)
	st = db.Adapter("console")
	if id, _ := st.NextID(ctx); id != 4 {
		t.Fatalf("NextID after reopen = %d, want 4", id)
	}
	if v, err := st.Get(ctx, "m1"); err != nil || string(v) != `{"x":1}` {
		t.Fatalf("Get = %s, %v", v, err)
	}
	if _, err := db.Adapter("slack").Get(ctx, "m1"); !bot.IsNotFound(err) {
		t.Fatalf("another adapter's state leaked: %v", err)
	}

	old, recent := time.Now().Add(-10*24*time.Hour), time.Now()
	_ = db.Update(ctx, func(tx bot.Tx) error {
		for i, at := range []time.Time{old, recent, old, old, recent} {
			if _, err := tx.RecordDedupKey(string(rune('a'+i)), at); err != nil {
				t.Fatal(err)
			}
		}
		return nil
	})
	n, err := db.PruneDedupKeys(ctx, time.Now().Add(-7*24*time.Hour))
	if err != nil || n != 3 {
		t.Fatalf("pruned %d, %v; want 3", n, err)
	}
	_ = db.Update(ctx, func(tx bot.Tx) error {
		for i, want := range []bool{false, true, false, false, true} {
			seen, _ := tx.RecordDedupKey(string(rune('a'+i)), recent)
			if seen != want {
				t.Fatalf("key %c seen = %v after pruning, want %v", 'a'+i, seen, want)
			}
		}
		return nil
	})
}

func TestConcurrentUpdatesAreSerialized(t *testing.T) {
	db := mustOpen(t, filepath.Join(t.TempDir(), "f.db"))
	ctx := context.Background()
	_ = db.Update(ctx, func(tx bot.Tx) error { return tx.CreateTicket(newTicket("test:alice")) })
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := db.Update(ctx, func(tx bot.Tx) error {
				tk, err := tx.Ticket("T-000001")
				if err != nil {
					return err
				}
				tk.NotHelpful++
				return tx.PutTicket(tk)
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	_ = db.View(ctx, func(tx bot.Tx) error {
		tk, _ := tx.Ticket("T-000001")
		if tk.NotHelpful != 20 {
			t.Fatalf("lost updates: %d, want 20", tk.NotHelpful)
		}
		return nil
	})
}
