package bot

// The dispatcher: performs the outbox's effects lane by lane, runs jobs, and retries what failed.

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// dispatcher performs what the engine wrote to the outbox. A lane (one conversation, a DM, a tier
// channel) is performed in outbox order, one effect at a time; up to maxLanes lanes at once. A job
// blocks its lane and runs in the job pool; what it finds is committed by the engine as a new
// transaction with new effects. A failed effect blocks its lane until its retry (retry.go).
//
// It never decides anything about a ticket: it reads the outbox, calls the chat platforms, and writes
// back only what the platform said (the effect done, where a message went), through write.
type dispatcher struct {
	store   Store
	clock   Clock
	log     *slog.Logger
	obs     Observer
	chats   chatSet
	started time.Time // effects older than that may have been performed by a process before a crash

	// write is the engine's one write path (Engine.write): every write the dispatcher makes goes through
	// it.
	write func(ctx context.Context, fn func(*trackedTx) error) error
	// runJob runs one job effect to its end and commits what it caused; the engine's.
	runJob func(ctx context.Context, eff Effect) error

	// forms are the config's forms, for EffectForm; maxFileBytes the largest file an upload copies.
	forms        []Form
	maxFileBytes int64
	// idle runs at the end of every pass: the engine's homes are published there (homes.go).
	idle func(ctx context.Context)

	// sequential: effects one at a time in outbox order, jobs run by the dispatcher itself
	// (Engine.SetSequential).
	sequential bool

	// leases, when the store is shared with other replicas (Leaser): a lane is performed by the replica
	// that holds its lease (lanes.go); nil performs every lane here.
	leases *leases
	// jobLanes are the lanes whose lease a running job of this dispatcher holds.
	jobLanes laneSet

	passMu  sync.Mutex // one dispatcher pass at a time keeps lanes in order
	wake    chan struct{}
	jobs    *jobPool
	unsaved unsavedRetries
}

func newDispatcher(store Store, clock Clock, logger *slog.Logger, write func(context.Context, func(*trackedTx) error) error,
	runJob func(context.Context, Effect) error) *dispatcher {
	d := &dispatcher{
		store:   store,
		clock:   clock,
		log:     logger,
		obs:     nopObserver{},
		started: clock.Now(),
		write:   write,
		runJob:  runJob,
		wake:    make(chan struct{}, 1),
	}
	d.jobs = newJobPool(maxJobs, d.kick)
	return d
}

// kick wakes Run: something new may be due.
func (d *dispatcher) kick() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// run performs effects as they arrive, and retries failed ones, until ctx is done. It returns once the
// jobs it started have finished.
func (d *dispatcher) run(ctx context.Context) error {
	defer d.jobs.wait()
	if d.leases != nil {
		go d.leases.keepRenewed(ctx, func(err error) { d.log.Warn("outbox leases", "err", err) })
		if w, ok := d.store.(Watcher); ok {
			// A lane another replica held and released may have effects it did not read: pass again.
			go w.Watch(ctx, TopicLeases, func(Notification) { d.kick() })
		}
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		if err := d.dispatch(ctx, false); err != nil && ctx.Err() == nil {
			d.log.Error("dispatch", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-d.wake:
		case <-tick.C:
		}
	}
}

// dispatch performs due effects until none is left; with waitJobs it also waits for running jobs and
// performs what they cause.
func (d *dispatcher) dispatch(ctx context.Context, waitJobs bool) error {
	d.passMu.Lock()
	defer d.passMu.Unlock()
	for {
		n, err := d.dispatchOnce(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		running, ended := d.jobs.counts()
		if ended > 0 {
			continue // a job ended after the outbox was read: what it caused may be due
		}
		if !waitJobs || running == 0 {
			if d.idle != nil {
				d.idle(ctx)
			}
			return nil
		}
		select {
		case <-d.jobs.endedSignal():
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// startJob runs a job in the job pool unless it is running already or too many are. It reports whether
// the job was started.
func (d *dispatcher) startJob(ctx context.Context, eff Effect) bool {
	if d.leases != nil {
		// The job's lane lease is given up when the job has committed what it found, or its retry;
		// until then no pass of this dispatcher takes the lane (jobLanes), since releasing the lease
		// would free it under that pass.
		d.jobLanes.add(eff.Lane)
	}
	started := d.jobs.start(eff.Seq, func() {
		if d.leases != nil {
			defer d.jobLanes.remove(eff.Lane)
			defer d.releaseLanes(ctx, []string{eff.Lane})
		}
		err := d.runJob(ctx, eff)
		d.obs.EffectDone(eff.Platform, eff.Kind, eff.Job, d.clock.Now().Sub(eff.CreatedAt), err)
		if err != nil {
			if rerr := d.retryLater(ctx, eff, err); rerr != nil && ctx.Err() == nil {
				d.log.Error("reschedule job", "job", eff.Job, "seq", eff.Seq, "err", rerr)
			}
		} else {
			d.unsaved.set(eff, false)
		}
	})
	if !started && d.leases != nil {
		d.jobLanes.remove(eff.Lane)
	}
	return started
}

const dispatchBatch = 256

// dispatchOnce performs due effects in outbox order, lane by lane, and returns how many it finished. A
// failed effect blocks the rest of its lane until its retry, so a conversation never sees replies out of
// order.
func (d *dispatcher) dispatchOnce(ctx context.Context) (int, error) {
	// Jobs that ended before this read have committed the removal of their effect, so the read cannot
	// list them; those that end after it are remembered until the next read.
	d.jobs.forgetEnded()
	effects, err := d.dueEffects(ctx)
	if err != nil {
		return 0, err
	}
	d.unsaved.overlay(effects)
	var leased map[string]bool
	if d.leases != nil {
		if effects, leased, err = d.leaseLanes(ctx, effects); err != nil {
			return 0, err
		}
	}
	if d.sequential {
		n, err := d.performInOrder(ctx, effects)
		d.releaseLanes(ctx, keys(leased))
		return n, err
	}
	// Lanes are independent: each due lane's effects are performed in order by one goroutine, and
	// several lanes at once, so one slow post (or a platform's backoff) holds up only its conversation.
	blocked := map[string]bool{}
	var lanes [][]Effect
	index := map[string]int{}
	done := 0
	for _, eff := range effects {
		if blocked[eff.Lane] {
			continue
		}
		if d.clock.Now().Before(eff.NotBefore) {
			blocked[eff.Lane] = true
			continue
		}
		i, seen := index[eff.Lane]
		if eff.Kind == EffectJob {
			// The rest of the lane waits for the job: its answer comes before what was said after. A job
			// behind posts of its lane starts once they are done, on the next pass.
			blocked[eff.Lane] = true
			if !seen && d.startJob(ctx, eff) {
				delete(leased, eff.Lane) // the job releases it
				done++
			}
			continue
		}
		if !seen {
			i = len(lanes)
			index[eff.Lane] = i
			lanes = append(lanes, nil)
		}
		lanes[i] = append(lanes[i], eff)
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	sem := make(chan struct{}, maxLanes)
	for _, lane := range lanes {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			n, err := d.performLane(ctx, lane)
			mu.Lock()
			done += n
			if err != nil && firstErr == nil {
				firstErr = err
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	d.releaseLanes(ctx, keys(leased))
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return done, firstErr
}

// performInOrder is dispatchOnce for a sequential dispatcher: the due effects in outbox order, one at a
// time, jobs included. A job's result is new effects further down the outbox, so the rest of its lane
// waits for the next pass, which reads them; so does the rest of the lane of an effect that failed.
func (d *dispatcher) performInOrder(ctx context.Context, effects []Effect) (int, error) {
	blocked := map[string]bool{}
	done := 0
	for _, eff := range effects {
		if ctx.Err() != nil {
			return done, ctx.Err()
		}
		if blocked[eff.Lane] {
			continue
		}
		if d.clock.Now().Before(eff.NotBefore) {
			blocked[eff.Lane] = true
			continue
		}
		var err error
		if eff.Kind == EffectJob {
			blocked[eff.Lane] = true
			err = d.runJob(ctx, eff)
			d.obs.EffectDone(eff.Platform, eff.Kind, eff.Job, d.clock.Now().Sub(eff.CreatedAt), err)
		} else {
			err = d.perform(ctx, eff)
			d.obs.EffectDone(eff.Platform, eff.Kind, "", d.clock.Now().Sub(eff.CreatedAt), err)
		}
		if err != nil {
			blocked[eff.Lane] = true
			if rerr := d.retryLater(ctx, eff, err); rerr != nil {
				return done, rerr
			}
			continue
		}
		d.unsaved.set(eff, false)
		done++
	}
	return done, nil
}

// dueEffects reads the outbox in batches until it has dispatchBatch effects of lanes that are not
// waiting, or the outbox ends (at most maxOutboxScan effects). Reading only the head would starve
// replies behind a backlog: when hundreds of searches wait for a model, the posts their finished
// neighbours caused sit further down, and they must not wait for the whole backlog.
func (d *dispatcher) dueEffects(ctx context.Context) ([]Effect, error) {
	var out []Effect
	waiting := map[string]bool{}
	due := 0
	var after uint64
	for scanned := 0; scanned < maxOutboxScan; {
		var batch []Effect
		if err := d.store.View(ctx, func(tx Tx) error {
			var err error
			batch, err = tx.Effects(after, dispatchBatch)
			return err
		}); err != nil {
			return nil, fmt.Errorf("read outbox: %w", err)
		}
		scanned += len(batch)
		now := d.clock.Now()
		for _, eff := range batch {
			if waiting[eff.Lane] {
				continue
			}
			out = append(out, eff)
			if eff.Kind == EffectJob || now.Before(eff.NotBefore) {
				waiting[eff.Lane] = true // the rest of this lane cannot go on this pass
			} else {
				due++
			}
		}
		if len(batch) < dispatchBatch || due >= dispatchBatch {
			break
		}
		after = batch[len(batch)-1].Seq
	}
	return out, nil
}

// maxOutboxScan bounds how far into a backlog one dispatcher pass looks.
const maxOutboxScan = 64 * dispatchBatch

// maxLanes bounds the conversations posted to at once; platforms rate-limit a bot as a whole.
const maxLanes = 8

// performLane performs one lane's due effects in order, stopping at the first that fails (it is
// rescheduled, and the rest of the lane waits for it).
func (d *dispatcher) performLane(ctx context.Context, effects []Effect) (int, error) {
	done := 0
	for _, eff := range effects {
		if ctx.Err() != nil {
			return done, nil
		}
		if d.leases != nil && !d.leases.valid(laneLease(eff.Lane)) {
			return done, nil // the lease could not be renewed: the lane may be another replica's now
		}
		err := d.perform(ctx, eff)
		d.obs.EffectDone(eff.Platform, eff.Kind, "", d.clock.Now().Sub(eff.CreatedAt), err)
		if err != nil {
			return done, d.retryLater(ctx, eff, err)
		}
		d.unsaved.set(eff, false)
		done++
	}
	return done, nil
}
