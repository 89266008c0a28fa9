package bot

// Leases: how replicas that share one store (PostgreSQL) divide the work that must be done by one of
// them at a time: an outbox lane (its effects are performed in order, each by one replica), the SLA
// check, retention. A store opened by one process only (bbolt) has no leases, and that process does all
// of it.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"sync"
	"time"
)

// Leaser is a capability of a store that several processes share: named leases, each held by one owner
// at a time until it expires or is released. Expiry is measured by the store (the database's clock), so
// replicas whose clocks differ agree on it.
type Leaser interface {
	// Lease takes each of names for owner for ttl, when it is free, expired, or owner's already (then it
	// is renewed). It returns the leases owner holds now, in any order; the others are another owner's.
	Lease(ctx context.Context, owner string, names []string, ttl time.Duration) ([]LeaseGrant, error)
	// Release gives up owner's leases on names; a lease owner no longer holds is left alone. Replicas
	// waiting for one of them are woken (Watch with TopicLeases).
	Release(ctx context.Context, owner string, names []string) error
}

// LeaseGrant is a lease an owner holds.
type LeaseGrant struct {
	Name string
	// Token grows each time the lease passes to another owner: a fencing token.
	Token int64
	// TakenOver: the lease was another owner's, and expired rather than released. That owner may have
	// died (or stalled) halfway through the work: an effect it was posting may have been posted.
	TakenOver bool
}

// Watcher is a capability of a store that several processes share: it tells a process of changes
// another one made (PostgreSQL's LISTEN/NOTIFY).
type Watcher interface {
	// Watch calls fn with each notification on topic until ctx is done. When it may have missed some
	// (its connection to the store dropped), it calls fn with Missed set once it listens again, and the
	// caller reloads what it keeps. It returns when ctx is done.
	Watch(ctx context.Context, topic string, fn func(Notification)) error
}

// Notification is one change a Watcher tells of.
type Notification struct {
	// Payload says what changed (an article's id for TopicKB); empty for TopicLeases.
	Payload string
	// Missed: notifications may have been lost before this one; reload everything.
	Missed bool
}

// The topics a Watcher tells of.
const (
	// TopicLeases: a lease was released (work another replica held may be free to take).
	TopicLeases = "leases"
	// TopicKB: a knowledge-base article was written; the payload is its id.
	TopicKB = "kb"
)

// newOwnerID names this process as a lease owner: host, process id and a random part, so two engines in
// one process (tests) and a restarted process with a reused pid are different owners.
func newOwnerID() string {
	host, _ := os.Hostname()
	var b [6]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// DefaultLeaseTTL is how long a lease lasts without renewal: how long the work a dead replica held
// waits before another takes it.
const DefaultLeaseTTL = 10 * time.Second

// leases are the leases one engine holds in a shared store: outbox lanes ("lane:" + lane) and its
// loops (SLA, retention). A lease is renewed while held (renew, every ttl/3); the engine stops using
// one whose renewal it could not make before its deadline (local time: the store's expiry is later,
// since the deadline is counted from before the request).
type leases struct {
	store Leaser
	owner string
	ttl   time.Duration

	mu   sync.Mutex
	held map[string]time.Time // name -> deadline (local monotonic time)
}

func newLeases(store Leaser, owner string, ttl time.Duration) *leases {
	return &leases{store: store, owner: owner, ttl: ttl, held: map[string]time.Time{}}
}

// take takes or renews names and returns the grants.
func (l *leases) take(ctx context.Context, names []string) ([]LeaseGrant, error) {
	if len(names) == 0 {
		return nil, nil
	}
	deadline := time.Now().Add(l.ttl)
	grants, err := l.store.Lease(ctx, l.owner, names, l.ttl)
	if err != nil {
		return nil, fmt.Errorf("take leases: %w", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, g := range grants {
		l.held[g.Name] = deadline
	}
	return grants, nil
}

// valid reports whether the lease on name is held and its deadline not passed.
func (l *leases) valid(name string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	d, ok := l.held[name]
	return ok && time.Now().Before(d)
}

// release gives names up.
func (l *leases) release(ctx context.Context, names []string) error {
	if len(names) == 0 {
		return nil
	}
	l.mu.Lock()
	for _, n := range names {
		delete(l.held, n)
	}
	l.mu.Unlock()
	if err := l.store.Release(context.WithoutCancel(ctx), l.owner, names); err != nil {
		return fmt.Errorf("release leases: %w", err)
	}
	return nil
}

// renew renews every lease held; those the store did not renew (another owner has them now) are
// dropped, so the work under them stops at its next check.
func (l *leases) renew(ctx context.Context) error {
	l.mu.Lock()
	names := make([]string, 0, len(l.held))
	for n := range l.held {
		names = append(names, n)
	}
	l.mu.Unlock()
	if len(names) == 0 {
		return nil
	}
	deadline := time.Now().Add(l.ttl)
	grants, err := l.store.Lease(ctx, l.owner, names, l.ttl)
	if err != nil {
		return fmt.Errorf("renew leases: %w", err)
	}
	kept := make(map[string]bool, len(grants))
	for _, g := range grants {
		kept[g.Name] = true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, n := range names {
		if _, still := l.held[n]; !still {
			continue // released meanwhile
		}
		if kept[n] {
			l.held[n] = deadline
		} else {
			delete(l.held, n)
		}
	}
	return nil
}

// keepRenewed renews the leases every ttl/3 until ctx is done.
func (l *leases) keepRenewed(ctx context.Context, log func(error)) {
	t := time.NewTicker(l.ttl / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := l.renew(ctx); err != nil && ctx.Err() == nil {
			log(err)
		}
	}
}

// laneLease is the lease name of an outbox lane.
func laneLease(lane string) string { return "lane:" + lane }

// Exclusive runs fn only while this replica holds the lease name among the replicas sharing the store,
// and reports whether it ran: a loop that must run on one replica at a time (the SLA check, retention)
// calls it on every replica, and the one that gets the lease runs it. With a store of one process it
// always runs fn. The lease is renewed while fn runs (with Run) and released when it returns, so the next
// round may run anywhere; should it expire meanwhile (a stalled replica), what fn writes is still
// serializable, so a second replica running it at once changes nothing twice.
func (e *Engine) Exclusive(ctx context.Context, name string, fn func(context.Context) error) (bool, error) {
	if e.leases == nil {
		return true, fn(ctx)
	}
	lease := "loop:" + name
	grants, err := e.leases.take(ctx, []string{lease})
	if err != nil {
		return false, fmt.Errorf("%s: %w", name, err)
	}
	if len(grants) == 0 {
		return false, nil // another replica runs it now
	}
	defer func() {
		if err := e.leases.release(ctx, []string{lease}); err != nil {
			e.log.Warn("release lease", "lease", lease, "err", err)
		}
	}()
	return true, fn(ctx)
}

// standbyRetry is how often a replica standing by for a lease (Lead) tries to take it, besides when a
// lease is released (TopicLeases): with DefaultLeaseTTL, a dead leader's work resumes elsewhere within
// DefaultLeaseTTL + standbyRetry.
const standbyRetry = 2 * time.Second

// Lead runs fn while this replica holds the lease name, for work only one replica may do at all
// (Discord's one gateway session): the replicas sharing the store elect one through the lease, the others
// stand by and try again every standbyRetry (and when a lease is released), and take over once the
// leader's lease is released (it stopped) or expired (it died). The leader renews the lease every ttl/3;
// when a renewal fails (the database unreachable, or another replica took the lease after a stall) fn's
// context is cancelled, and once fn has returned the replica stands by again. fn returning nil while
// ctx lasts gives the lease up and stands by; an error from fn ends Lead with it. With a store of one
// process Lead is fn(ctx).
//
// Two leaders at once are not excluded: a leader stalled longer than the lease (or cut off from the
// database, and so unable to renew) keeps going until it notices, about ttl/10 after its own deadline,
// which comes before the database's. Work under Lead must bear that (Discord's dispatches are handled
// once by their dedup keys).
func (e *Engine) Lead(ctx context.Context, name string, fn func(context.Context) error) error {
	if e.leases == nil {
		return fn(ctx)
	}
	lease := "lead:" + name
	wake := make(chan struct{}, 1)
	if w, ok := e.store.(Watcher); ok {
		watchCtx, stop := context.WithCancel(ctx)
		defer stop()
		go w.Watch(watchCtx, TopicLeases, func(Notification) {
			select {
			case wake <- struct{}{}:
			default:
			}
		})
	}
	for {
		grants, err := e.leases.take(ctx, []string{lease})
		if err != nil && ctx.Err() == nil {
			e.log.Warn("take the lead", "lease", lease, "err", err)
		}
		if len(grants) == 1 {
			e.log.Info("leading", "lease", lease, "token", grants[0].Token, "taken_over", grants[0].TakenOver)
			if err := e.leadWhileHeld(ctx, lease, fn); err != nil {
				return err
			}
			e.log.Info("standing by", "lease", lease)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case <-time.After(standbyRetry):
		}
	}
}

// leadWhileHeld runs fn until it returns, ctx ends or the lease is lost, then releases the lease.
func (e *Engine) leadWhileHeld(ctx context.Context, lease string, fn func(context.Context) error) error {
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- fn(runCtx) }()
	// Renewed often, so that a leader cut off from the database stops within about a tenth of the
	// lease's life after it could have been taken over.
	tick := time.NewTicker(e.leases.ttl / 10)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			if rerr := e.leases.release(ctx, []string{lease}); rerr != nil {
				e.log.Warn("release the lead", "lease", lease, "err", rerr)
			}
			if ctx.Err() != nil {
				return nil
			}
			return err
		case <-tick.C:
			grants, err := e.leases.take(ctx, []string{lease})
			if err != nil || len(grants) == 0 {
				if !e.leases.valid(lease) {
					e.log.Warn("lost the lead", "lease", lease, "err", err)
					cancel()
				}
			}
		}
	}
}
