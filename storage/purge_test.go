package storage_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/kb"
)

// TestPurgeKBArticle: a purge keeps a live article's newest version and removes the rest; it removes a
// deleted article entirely, feedback counts included; an article that never was is ENOTFOUND. The file
// checks clean afterwards.
func TestPurgeKBArticle(t *testing.T) {
	db := mustOpen(t, filepath.Join(t.TempDir(), "data.db"))
	ctx := context.Background()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	a := kb.Article{ID: "vpn", Title: "VPN", Body: "one"}
	b := kb.Article{ID: "vpn-old", Title: "Old VPN", Body: "old"}
	err := db.Update(ctx, func(tx bot.Tx) error {
		for i, body := range []string{"one", "two", "three"} {
			a.Body = body
			if _, err := tx.PutKBArticle(a, false, "slack:UADA", at, i); err != nil {
				return err
			}
		}
		if _, err := tx.PutKBArticle(b, false, "slack:UADA", at, 0); err != nil {
			return err
		}
		if _, err := tx.PutKBArticle(b, true, "slack:UADA", at, 1); err != nil {
			return err
		}
		return tx.CountFeedback("vpn-old", "")
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(ctx, func(tx bot.Tx) error {
		if n, err := tx.PurgeKBArticle("vpn"); err != nil || n != 2 {
			t.Errorf("purge a live article: %d, %v; want 2 removed", n, err)
		}
		if n, err := tx.PurgeKBArticle("vpn-old"); err != nil || n != 2 {
			t.Errorf("purge a deleted article: %d, %v; want 2 removed", n, err)
		}
		if _, err := tx.PurgeKBArticle("never"); !bot.IsNotFound(err) {
			t.Errorf("purge of no article: %v, want ENOTFOUND", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(ctx, func(tx bot.Tx) error {
		vs, err := tx.KBVersions("vpn")
		if err != nil || len(vs) != 1 || vs[0].Version != 3 || vs[0].Article.Body != "three" {
			t.Errorf("versions of a purged live article: %+v, %v", vs, err)
		}
		if cur, err := tx.KBArticle("vpn"); err != nil || cur.Version != 3 {
			t.Errorf("newest of a purged live article: %+v, %v", cur, err)
		}
		if _, err := tx.KBArticle("vpn-old"); !bot.IsNotFound(err) {
			t.Errorf("a purged deleted article is still there: %v", err)
		}
		if vs, _ := tx.KBVersions("vpn-old"); len(vs) != 0 {
			t.Errorf("versions of a purged deleted article: %+v", vs)
		}
		fb, err := tx.Feedback()
		if _, ok := fb["vpn-old"]; ok || err != nil {
			t.Errorf("feedback of a purged deleted article: %+v, %v", fb, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Check(); err != nil {
		t.Fatalf("check after purges: %v", err)
	}
	// The next edit of the live article still builds on its newest version.
	err = db.Update(ctx, func(tx bot.Tx) error {
		a.Body = "four"
		v, err := tx.PutKBArticle(a, false, "slack:UADA", at, 3)
		if v != 4 {
			t.Errorf("the edit after a purge is version %d, want 4", v)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
