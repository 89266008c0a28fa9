package bot

// Retries: a failed effect waits, with backoff or the platform's Retry-After, and blocks its lane until
// then; one that cannot succeed is dropped.

import (
	"context"
	"errors"
	"sync"
	"time"
)

const maxAttempts = 30

// retryLater schedules a failed effect again, or drops it when retrying cannot help.
func (d *dispatcher) retryLater(ctx context.Context, eff Effect, cause error) error {
	if errors.Is(cause, errEffectGone) {
		d.log.Info("effect performed by another replica", "effect", eff.Kind, "seq", eff.Seq, "ticket_id", eff.Ticket)
		d.unsaved.set(eff, false)
		return nil
	}
	log := d.log.With("effect", eff.Kind, "seq", eff.Seq, "ticket_id", eff.Ticket, "platform", eff.Platform)
	code := ErrorCode(cause)
	permanent := code == EINVALID || code == ENOTFOUND || code == EUNAUTHORIZED
	eff.Attempts++
	delay := time.Second << min(eff.Attempts-1, 8) // 1s .. ~4m
	var rl *RateLimitError
	if errors.As(cause, &rl) {
		delay = rl.RetryAfter
	}
	eff.NotBefore = d.clock.Now().Add(delay)
	var err error
	if permanent || eff.Attempts >= maxAttempts {
		log.Error("effect dropped", "attempts", eff.Attempts, "err", cause)
		err = d.write(ctx, func(tx *trackedTx) error { return tx.DeleteEffect(eff.Seq) })
	} else {
		log.Warn("effect failed, will retry", "attempts", eff.Attempts, "retry_in", delay.String(), "err", cause)
		err = d.write(ctx, func(tx *trackedTx) error { return tx.PutEffect(eff) })
	}
	if errors.Is(err, errEffectGone) {
		err = nil // another replica performed it meanwhile
	}
	d.unsaved.set(eff, err != nil)
	return err
}

// unsavedRetries are failed effects whose retry (attempts, next try) could not be recorded because the
// data file takes no writes (a full disk). The dispatcher reads them with this schedule laid over the
// stored one, so a failing job or post waits for its retry time instead of running again at once, and a
// post that was made but not recorded counts as maybe sent and is looked up, not posted twice.
type unsavedRetries struct {
	mu sync.Mutex
	m  map[uint64]Effect
}

// set remembers (or forgets) the retry of eff that the store did not take.
func (u *unsavedRetries) set(eff Effect, unsaved bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if unsaved {
		if u.m == nil {
			u.m = map[uint64]Effect{}
		}
		u.m[eff.Seq] = eff
	} else {
		delete(u.m, eff.Seq)
	}
}

// dueNow makes the effects whose retry could not be recorded due at once: a commit just succeeded, so
// the data file takes writes again, and what failed only because it did not need not wait out the
// backoff it got meanwhile.
func (u *unsavedRetries) dueNow() {
	u.mu.Lock()
	defer u.mu.Unlock()
	for seq, eff := range u.m {
		eff.NotBefore = time.Time{}
		u.m[seq] = eff
	}
}

// overlay gives effects read from the outbox the retry schedule remembered for them, where it is ahead
// of the stored one.
func (u *unsavedRetries) overlay(effects []Effect) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for i, eff := range effects {
		if r, ok := u.m[eff.Seq]; ok {
			if r.Attempts > eff.Attempts {
				effects[i].Attempts, effects[i].NotBefore = r.Attempts, r.NotBefore
			} else {
				delete(u.m, eff.Seq) // the store caught up
			}
		}
	}
}
