package storage_test

import (
	"context"
	"encoding/binary"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/storage"
)

// TestKBFilesUpgrade checks a data file from schema 5 (no kb_files bucket) upgrades, and that the
// records are stored, replaced and forgotten.
func TestKBFilesUpgrade(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.db")
	first, err := storage.Open(path, storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	first.Close()
	b, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = b.Update(func(btx *bolt.Tx) error {
		if err := btx.DeleteBucket([]byte("kb_files")); err != nil {
			return err
		}
		return btx.Bucket([]byte("meta")).Put([]byte("schema_version"), binary.BigEndian.AppendUint64(nil, 5))
	})
	b.Close()
	if err != nil {
		t.Fatal(err)
	}
	db := mustOpen(t, path)
	ctx := context.Background()
	rec := bot.KBFile{ID: "vpn", File: "vpn.md", Hash: "h1", Version: 1}
	conflict := bot.KBFile{ID: "vpn", File: "VPN.md", Hash: "h1", Version: 1, Conflict: &bot.KBConflict{Hash: "h2", Version: 3, Since: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)}}
	for _, want := range []bot.KBFile{rec, conflict} {
		if err := db.Update(ctx, func(tx bot.Tx) error { return tx.PutKBFile(want) }); err != nil {
			t.Fatal(err)
		}
		if err := db.View(ctx, func(tx bot.Tx) error {
			got, err := tx.KBFiles()
			if err != nil {
				return err
			}
			g := got["vpn"]
			if len(got) != 1 || g.File != want.File || (g.Conflict == nil) != (want.Conflict == nil) || (g.Conflict != nil && *g.Conflict != *want.Conflict) {
				t.Fatalf("KBFiles = %+v, want %+v", got, want)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Update(ctx, func(tx bot.Tx) error { return tx.DeleteKBFile("vpn") }); err != nil {
		t.Fatal(err)
	}
	if err := db.View(ctx, func(tx bot.Tx) error {
		if got, err := tx.KBFiles(); err != nil || len(got) != 0 {
			t.Fatalf("after DeleteKBFile: %+v, %v", got, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
