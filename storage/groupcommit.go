package storage

// Group commit. bbolt has one writer, and each of its commits waits for fsync; a desk that gave every
// event its own transaction spent its time waiting for the disk one event after another, and then for
// the one writer's lock. Update instead queues its function: the first caller to find no commit under
// way leads, takes every function queued (up to maxBatch), runs them one after another in one bbolt
// transaction, and commits them with one fsync; callers that arrive meanwhile wait for the next batch,
// which the first of them leads. Nobody waits for a timer (bbolt's own Batch waits up to 10 ms for
// company): a lone event commits at once, and a crowd shares the disk's commits.
//
// Each Update still returns only once its writes are durable (ack after commit), and the outcome is
// that of the functions run one at a time in queue order: each sees what those before it wrote.
//
// A function that fails (an error or a panic) rolls back the whole transaction, since bbolt has no
// savepoints: it is taken out of the batch and the rest run again, without it, in a new transaction,
// so one failed transaction never fails the ones batched with it. The failed function then runs again
// alone, in its caller's goroutine, and what it returns there is its outcome (a panic propagates to its
// own caller). Functions may therefore run more than once, as bot.Store says. A commit that fails (a
// full disk, an I/O error) fails every function of the batch: nothing of any of them was written.

import (
	"context"
	"fmt"
	"sync"

	bolt "go.etcd.io/bbolt"

	"github.com/firstline-desk/firstline/bot"
)

// maxBatch bounds the functions of one transaction. A batch holds bbolt's lock while its functions run
// one by one, so an unbounded batch after a burst would delay the commit of its first caller by all
// the others; 256 events make a commit of a few megabytes at most, and cost a few milliseconds more
// than one.
const maxBatch = 256

// commitQueue is the queue of Update calls waiting to commit.
type commitQueue struct {
	mu      sync.Mutex
	pending []*commitCall
	leading bool // a caller is running a batch
}

// commitCall is one Update waiting in the queue.
type commitCall struct {
	ctx context.Context
	fn  func(bot.Tx) error
	// state and err are written by the leader before it wakes the caller (happens-before through wake);
	// the caller reads them only once woken, or once it has led the batch that held it.
	state callState
	err   error
	wake  chan struct{}
}

type callState int

const (
	callQueued callState = iota
	callLead             // lead the next batch (which holds this call)
	callDone             // err is the outcome
	callSolo             // failed in a batch: run again alone
)

// Update runs fn in one read-write transaction, committed durably before it returns; concurrent calls
// share a transaction and its commit (see the top of this file), and fn may run more than once. A
// commit that cannot be written (a full disk, a file made read-only, an I/O error) keeps nothing of fn's
// writes; its error names the file and what to look at, because bbolt's does not always (a failed grow
// is "file resize error: ..."), and it is what the desk logs when it refuses an event.
func (db *DB) Update(ctx context.Context, fn func(bot.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if db.soloCommits {
		return db.updateAlone(ctx, fn)
	}
	c := &commitCall{ctx: ctx, fn: fn, wake: make(chan struct{}, 1)}
	q := &db.queue
	q.mu.Lock()
	q.pending = append(q.pending, c)
	leads := !q.leading
	if leads {
		q.leading = true
		c.state = callLead
	}
	q.mu.Unlock()
	if !leads {
		<-c.wake // c.state is the leader's to write until then
	}
	if c.state == callLead {
		db.lead() // the batch holds c, at its head: it sets c's outcome
	}
	if c.state == callSolo {
		return db.updateAlone(ctx, fn)
	}
	return c.err
}

// lead runs one batch from the head of the queue (which holds the leader's own call), then hands the
// lead to the first caller still waiting, or gives it up when none is.
func (db *DB) lead() {
	q := &db.queue
	q.mu.Lock()
	n := min(len(q.pending), maxBatch)
	batch := make([]*commitCall, n)
	copy(batch, q.pending)
	q.pending = append(q.pending[:0:0], q.pending[n:]...)
	q.mu.Unlock()

	db.commitBatch(batch)

	q.mu.Lock()
	var next *commitCall
	if len(q.pending) > 0 {
		next = q.pending[0]
		next.state = callLead
	} else {
		q.leading = false
	}
	q.mu.Unlock()
	for _, c := range batch {
		c.wake <- struct{}{}
	}
	if next != nil {
		next.wake <- struct{}{}
	}
}

// commitBatch runs the batch's functions in one transaction and sets each call's outcome. The leader's
// own wake-up is buffered like the others' and read by its next turn of Update's loop.
func (db *DB) commitBatch(batch []*commitCall) {
	live := batch[:0:0]
	for _, c := range batch {
		if err := c.ctx.Err(); err != nil {
			c.state, c.err = callDone, err
			continue
		}
		live = append(live, c)
	}
	for len(live) > 0 {
		failed := -1
		var failure error
		panicked := false
		committing := false
		err := db.update(func(btx *bolt.Tx) error {
			for i, c := range live {
				if err, p := callSafely(c.fn, &tx{btx: btx, counts: &db.counts}); err != nil || p {
					failed, failure, panicked = i, err, p
					return errBatchMember
				}
			}
			committing = true
			return nil
		})
		if failed >= 0 {
			c := live[failed]
			live = append(live[:failed:failed], live[failed+1:]...)
			if len(live) == 0 && !panicked {
				// It ran alone: that was its solo run.
				c.state, c.err = callDone, failure
			} else {
				c.state = callSolo
			}
			continue
		}
		if err != nil && committing {
			err = fmt.Errorf("cannot write the data file %s (disk full or read-only?): %w", db.path, err)
		}
		for _, c := range live {
			c.state, c.err = callDone, err
		}
		return
	}
}

// errBatchMember rolls a batch back when one of its functions failed.
var errBatchMember = fmt.Errorf("a function of the batch failed")

// callSafely runs fn and reports its error, or that it panicked: the panic belongs to fn's own caller,
// who runs fn again alone (a damaged page panics in bbolt, and guard makes that an error there).
func callSafely(fn func(bot.Tx) error, t bot.Tx) (err error, panicked bool) {
	defer func() {
		if recover() != nil {
			panicked = true
		}
	}()
	return fn(t), false
}

// updateAlone runs fn in a transaction of its own.
func (db *DB) updateAlone(ctx context.Context, fn func(bot.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	committing := false
	err := db.update(func(btx *bolt.Tx) error {
		if err := fn(&tx{btx: btx, counts: &db.counts}); err != nil {
			return err
		}
		committing = true
		return nil
	})
	if err != nil && committing {
		return fmt.Errorf("cannot write the data file %s (disk full or read-only?): %w", db.path, err)
	}
	return err
}
