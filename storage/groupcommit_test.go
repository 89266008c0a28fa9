package storage_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/storage"
)

// blockedLeader starts an Update that holds bbolt's writer until the returned release is called, so
// that the Updates made meanwhile wait in the commit queue, in the order they are made.
func blockedLeader(t *testing.T, db *storage.DB) (release func()) {
	t.Helper()
	started, hold := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- db.Update(context.Background(), func(tx bot.Tx) error {
			close(started)
			<-hold
			_, err := tx.RecordDedupKey("leader", time.Now())
			return err
		})
	}()
	<-started
	return func() {
		close(hold)
		if err := <-done; err != nil {
			t.Errorf("the leader's Update: %v", err)
		}
	}
}

// queueUp waits until n Updates wait in the commit queue.
func queueUp(db *storage.DB, n int) {
	for db.Queued() < n {
		runtime.Gosched()
	}
}

func seen(t *testing.T, db *storage.DB, key string) bool {
	t.Helper()
	var was bool
	if err := db.Update(context.Background(), func(tx bot.Tx) error {
		var err error
		was, err = tx.RecordDedupKey(key, time.Now())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return was
}

// TestConcurrentUpdatesShareACommit: Updates that arrive while a commit is under way are committed
// together, in one transaction and one fsync, and each returns once it is durable.
func TestConcurrentUpdatesShareACommit(t *testing.T) {
	db := mustOpen(t, filepath.Join(t.TempDir(), "f.db"))
	release := blockedLeader(t, db)
	before := db.Counts().Commits
	const n = 63
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = db.Update(context.Background(), func(tx bot.Tx) error {
				_, err := tx.RecordDedupKey(fmt.Sprintf("k%d", i), time.Now())
				return err
			})
		})
	}
	queueUp(db, n)
	release()
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("update %d: %v", i, err)
		}
	}
	if got := db.Counts().Commits - before; got != 2 {
		t.Fatalf("%d commits for the leader and %d Updates queued behind it, want 2 (one batch each)", got, n)
	}
	for i := range n {
		if !seen(t, db, fmt.Sprintf("k%d", i)) {
			t.Fatalf("k%d was not committed", i)
		}
	}
}

// TestAFailedUpdateDoesNotFailItsBatch: an Update whose function fails (an error, a panic) is taken out
// of its batch; the others commit, and it gets its own outcome, from a run alone: its error, or its
// panic in its own goroutine. Nothing it wrote is kept.
func TestAFailedUpdateDoesNotFailItsBatch(t *testing.T) {
	db := mustOpen(t, filepath.Join(t.TempDir(), "f.db"))
	release := blockedLeader(t, db)
	before := db.Counts().Commits
	errRefused := errors.New("refused")
	var runs [4]atomic.Int32
	fns := []func(tx bot.Tx) error{
		func(tx bot.Tx) error { runs[0].Add(1); _, err := tx.RecordDedupKey("a", time.Now()); return err },
		func(tx bot.Tx) error {
			runs[1].Add(1)
			if _, err := tx.RecordDedupKey("b", time.Now()); err != nil {
				return err
			}
			return errRefused
		},
		func(tx bot.Tx) error {
			runs[2].Add(1)
			if _, err := tx.RecordDedupKey("c", time.Now()); err != nil {
				return err
			}
			panic("a bug in c")
		},
		func(tx bot.Tx) error { runs[3].Add(1); _, err := tx.RecordDedupKey("d", time.Now()); return err },
	}
	errs := make([]error, len(fns))
	panics := make([]any, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Go(func() {
			defer func() { panics[i] = recover() }()
			errs[i] = db.Update(context.Background(), fn)
		})
		queueUp(db, i+1) // in this order
	}
	release()
	wg.Wait()
	if errs[0] != nil || errs[3] != nil {
		t.Fatalf("the Updates batched with failing ones failed: %v, %v", errs[0], errs[3])
	}
	if !errors.Is(errs[1], errRefused) {
		t.Fatalf("the failing Update returned %v, want its own error", errs[1])
	}
	if panics[2] != "a bug in c" || panics[0] != nil || panics[1] != nil || panics[3] != nil {
		t.Fatalf("panics by Update: %v; want c's in c's goroutine alone", panics)
	}
	if n := runs[1].Load(); n != 2 {
		t.Fatalf("the failing function ran %d times, want 2 (in its batch, then alone)", n)
	}
	if got := db.Counts().Commits - before; got != 2 {
		t.Fatalf("%d commits, want 2 (the leader's, and a, d together)", got)
	}
	for key, want := range map[string]bool{"a": true, "b": false, "c": false, "d": true} {
		if got := seen(t, db, key); got != want {
			t.Errorf("%s committed: %v, want %v", key, got, want)
		}
	}
}

// TestACanceledUpdateIsNotRun: an Update whose context ends while it waits in the queue is not run.
func TestACanceledUpdateIsNotRun(t *testing.T) {
	db := mustOpen(t, filepath.Join(t.TempDir(), "f.db"))
	release := blockedLeader(t, db)
	ctx, cancel := context.WithCancel(context.Background())
	var ran atomic.Bool
	done := make(chan error, 1)
	go func() {
		done <- db.Update(ctx, func(tx bot.Tx) error { ran.Store(true); return nil })
	}()
	queueUp(db, 1)
	cancel()
	release()
	if err := <-done; !errors.Is(err, context.Canceled) || ran.Load() {
		t.Fatalf("a canceled Update returned %v (ran: %v), want context.Canceled without running", err, ran.Load())
	}
}

// TestSoloCommits: with SoloCommits every Update commits alone (the baseline group commit is measured
// against).
func TestSoloCommits(t *testing.T) {
	db, err := storage.Open(filepath.Join(t.TempDir(), "f.db"), storage.Options{NoSync: true, SoloCommits: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	before := db.Counts().Commits
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			if err := db.Update(context.Background(), func(tx bot.Tx) error {
				_, err := tx.RecordDedupKey(fmt.Sprintf("k%d", i), time.Now())
				return err
			}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := db.Counts().Commits - before; got != 16 {
		t.Fatalf("%d commits for 16 Updates, want 16", got)
	}
}
