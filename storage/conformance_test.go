package storage_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/storage"
	"github.com/firstline-desk/firstline/storage/storetest"
)

// TestConformance holds the bbolt store to the conformance suite every store passes. bbolt checks each
// store's pages when its test ends. (Not the desk's invariants, `firstline check`'s: the suite's tickets
// are a store's, not all a desk's; a ticket without its conversation's link is one.)
func TestConformance(t *testing.T) {
	var mu sync.Mutex
	closed := map[*storage.DB]bool{} // by Reopen
	open := func(t *testing.T, path string) *storage.DB {
		db, err := storage.Open(path, storage.Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			mu.Lock()
			defer mu.Unlock()
			if closed[db] {
				return
			}
			if err := db.Check(); err != nil {
				t.Errorf("check: %v", err)
			}
			db.Close()
		})
		return db
	}
	storetest.Run(t, storetest.Harness{
		Open: func(t *testing.T) bot.Store { return open(t, filepath.Join(t.TempDir(), "firstline.db")) },
		Reopen: func(t *testing.T, s bot.Store) bot.Store {
			db := s.(*storage.DB)
			mu.Lock()
			closed[db] = true
			mu.Unlock()
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			return open(t, db.Path())
		},
		Adapter: func(s bot.Store, name string) storetest.AdapterState { return s.(*storage.DB).Adapter(name) },
		PurgeResolved: func(s bot.Store, cutoff time.Time, batch int) (storetest.PurgeResult, error) {
			p, err := s.(*storage.DB).PurgeResolved(context.Background(), cutoff, batch)
			return storetest.PurgeResult(p), err
		},
	})
}
