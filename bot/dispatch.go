package bot

// The dispatcher: performs the outbox's effects lane by lane, runs jobs, and retries what failed.

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"
)

func (e *Engine) kick() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Run performs effects as they arrive, and retries failed ones, until ctx is done. It returns once the
// jobs it started have finished.
func (e *Engine) Run(ctx context.Context) error {
	defer e.jobsWG.Wait()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		if err := e.dispatch(ctx, false); err != nil && ctx.Err() == nil {
			e.log.Error("dispatch", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-e.wake:
		case <-tick.C:
		}
	}
}

// Flush performs every effect that is due, including the jobs and the effects they cause, and returns
// when nothing due is left and no job is running. Effects that failed wait for their retry time.
func (e *Engine) Flush(ctx context.Context) error {
	return e.dispatch(ctx, true)
}

// dispatch performs due effects until none is left; with waitJobs it also waits for running jobs and
// performs what they cause.
func (e *Engine) dispatch(ctx context.Context, waitJobs bool) error {
	e.dispatchMu.Lock()
	defer e.dispatchMu.Unlock()
	for {
		n, err := e.dispatchOnce(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		running, ended := e.jobCounts()
		if ended > 0 {
			continue // a job ended after the outbox was read: what it caused may be due
		}
		if !waitJobs || running == 0 {
			return nil
		}
		select {
		case <-e.jobDone:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// maxJobs bounds the jobs running at once: each may hold a model call for seconds.
const maxJobs = 16

// jobCounts returns how many jobs are running and how many ended since the outbox was last read.
func (e *Engine) jobCounts() (running, ended int) {
	e.jobsMu.Lock()
	defer e.jobsMu.Unlock()
	return len(e.jobsLive), len(e.jobsEnded)
}

// startJob runs a job in its own goroutine unless it is running already or too many are. It reports
// whether the job was started.
func (e *Engine) startJob(ctx context.Context, eff Effect) bool {
	e.jobsMu.Lock()
	if e.jobsLive[eff.Seq] || e.jobsEnded[eff.Seq] || len(e.jobsLive) >= maxJobs {
		e.jobsMu.Unlock()
		return false
	}
	e.jobsLive[eff.Seq] = true
	e.jobsWG.Add(1)
	e.jobsMu.Unlock()
	go func() {
		defer e.jobsWG.Done()
		err := e.runJob(ctx, eff)
		e.obs.EffectDone(eff.Platform, eff.Kind, eff.Job, e.clock.Now().Sub(eff.CreatedAt), err)
		if err != nil {
			if rerr := e.retryLater(ctx, eff, err); rerr != nil && ctx.Err() == nil {
				e.log.Error("reschedule job", "job", eff.Job, "seq", eff.Seq, "err", rerr)
			}
		} else {
			e.setUnsaved(eff, false)
		}
		e.jobsMu.Lock()
		delete(e.jobsLive, eff.Seq)
		e.jobsEnded[eff.Seq] = true
		e.jobsMu.Unlock()
		select {
		case e.jobDone <- struct{}{}:
		default:
		}
		e.kick()
	}()
	return true
}

const dispatchBatch = 256

// dispatchOnce performs due effects in outbox order, lane by lane, and returns how many it finished. A
// failed effect blocks the rest of its lane until its retry, so a conversation never sees replies out of
// order.
func (e *Engine) dispatchOnce(ctx context.Context) (int, error) {
	// Jobs that ended before this read have committed the removal of their effect, so the read cannot
	// list them; those that end after it are remembered until the next read.
	e.jobsMu.Lock()
	clear(e.jobsEnded)
	e.jobsMu.Unlock()
	effects, err := e.dueEffects(ctx)
	if err != nil {
		return 0, err
	}
	e.overlayUnsaved(effects)
	if e.sequential {
		return e.performInOrder(ctx, effects)
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
		if e.clock.Now().Before(eff.NotBefore) {
			blocked[eff.Lane] = true
			continue
		}
		i, seen := index[eff.Lane]
		if eff.Kind == EffectJob {
			// The rest of the lane waits for the job: its answer comes before what was said after. A job
			// behind posts of its lane starts once they are done, on the next pass.
			blocked[eff.Lane] = true
			if !seen && e.startJob(ctx, eff) {
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
			n, err := e.performLane(ctx, lane)
			mu.Lock()
			done += n
			if err != nil && firstErr == nil {
				firstErr = err
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return done, firstErr
}

// SetSequential makes the dispatcher perform effects one at a time in outbox order, and run each job
// itself, to its end, before the next effect: the same events then always give the same posts in the
// same order. The console demo needs that (its message ids are given in post order, and the README's
// walkthrough names them); a server does not, and leaves it off to post to eight conversations at once
// and run jobs side by side. Call it before Run or Flush.
func (e *Engine) SetSequential() { e.sequential = true }

// performInOrder is dispatchOnce for a sequential engine: the due effects in outbox order, one at a
// time, jobs included. A job's result is new effects further down the outbox, so the rest of its lane
// waits for the next pass, which reads them; so does the rest of the lane of an effect that failed.
func (e *Engine) performInOrder(ctx context.Context, effects []Effect) (int, error) {
	blocked := map[string]bool{}
	done := 0
	for _, eff := range effects {
		if ctx.Err() != nil {
			return done, ctx.Err()
		}
		if blocked[eff.Lane] {
			continue
		}
		if e.clock.Now().Before(eff.NotBefore) {
			blocked[eff.Lane] = true
			continue
		}
		var err error
		if eff.Kind == EffectJob {
			blocked[eff.Lane] = true
			err = e.runJob(ctx, eff)
			e.obs.EffectDone(eff.Platform, eff.Kind, eff.Job, e.clock.Now().Sub(eff.CreatedAt), err)
		} else {
			err = e.perform(ctx, eff)
			e.obs.EffectDone(eff.Platform, eff.Kind, "", e.clock.Now().Sub(eff.CreatedAt), err)
		}
		if err != nil {
			blocked[eff.Lane] = true
			if rerr := e.retryLater(ctx, eff, err); rerr != nil {
				return done, rerr
			}
			continue
		}
		e.setUnsaved(eff, false)
		done++
	}
	return done, nil
}

// dueEffects reads the outbox in batches until it has dispatchBatch effects of lanes that are not
// waiting, or the outbox ends (at most maxOutboxScan effects). Reading only the head would starve
// replies behind a backlog: when hundreds of searches wait for a model, the posts their finished
// neighbours caused sit further down, and they must not wait for the whole backlog.
func (e *Engine) dueEffects(ctx context.Context) ([]Effect, error) {
	var out []Effect
	waiting := map[string]bool{}
	due := 0
	var after uint64
	for scanned := 0; scanned < maxOutboxScan; {
		var batch []Effect
		if err := e.store.View(ctx, func(tx Tx) error {
			var err error
			batch, err = tx.Effects(after, dispatchBatch)
			return err
		}); err != nil {
			return nil, fmt.Errorf("read outbox: %w", err)
		}
		scanned += len(batch)
		now := e.clock.Now()
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
func (e *Engine) performLane(ctx context.Context, effects []Effect) (int, error) {
	done := 0
	for _, eff := range effects {
		if ctx.Err() != nil {
			return done, nil
		}
		err := e.perform(ctx, eff)
		e.obs.EffectDone(eff.Platform, eff.Kind, "", e.clock.Now().Sub(eff.CreatedAt), err)
		if err != nil {
			return done, e.retryLater(ctx, eff, err)
		}
		e.setUnsaved(eff, false)
		done++
	}
	return done, nil
}

// setUnsaved remembers (or forgets) the retry of eff that the store did not take.
func (e *Engine) setUnsaved(eff Effect, unsaved bool) {
	e.unsavedMu.Lock()
	defer e.unsavedMu.Unlock()
	if unsaved {
		e.unsaved[eff.Seq] = eff
	} else {
		delete(e.unsaved, eff.Seq)
	}
}

// retryUnsavedNow makes the effects whose retry could not be recorded due at once: a commit just
// succeeded, so the data file takes writes again, and what failed only because it did not need not wait
// out the backoff it got meanwhile.
func (e *Engine) retryUnsavedNow() {
	e.unsavedMu.Lock()
	defer e.unsavedMu.Unlock()
	for seq, u := range e.unsaved {
		u.NotBefore = time.Time{}
		e.unsaved[seq] = u
	}
}

// overlayUnsaved gives effects read from the outbox the retry schedule remembered for them, where it is
// ahead of the stored one.
func (e *Engine) overlayUnsaved(effects []Effect) {
	e.unsavedMu.Lock()
	defer e.unsavedMu.Unlock()
	for i, eff := range effects {
		if u, ok := e.unsaved[eff.Seq]; ok {
			if u.Attempts > eff.Attempts {
				effects[i].Attempts, effects[i].NotBefore = u.Attempts, u.NotBefore
			} else {
				delete(e.unsaved, eff.Seq) // the store caught up
			}
		}
	}
}

const maxAttempts = 30

// retryLater schedules a failed effect again, or drops it when retrying cannot help.
func (e *Engine) retryLater(ctx context.Context, eff Effect, cause error) error {
	log := e.log.With("effect", eff.Kind, "seq", eff.Seq, "ticket_id", eff.Ticket, "platform", eff.Platform)
	code := ErrorCode(cause)
	permanent := code == EINVALID || code == ENOTFOUND || code == EUNAUTHORIZED
	eff.Attempts++
	delay := time.Second << min(eff.Attempts-1, 8) // 1s .. ~4m
	var rl *RateLimitError
	if errors.As(cause, &rl) {
		delay = rl.RetryAfter
	}
	eff.NotBefore = e.clock.Now().Add(delay)
	var err error
	if permanent || eff.Attempts >= maxAttempts {
		log.Error("effect dropped", "attempts", eff.Attempts, "err", cause)
		err = e.update(ctx, func(tx Tx) error { return tx.DeleteEffect(eff.Seq) })
	} else {
		log.Warn("effect failed, will retry", "attempts", eff.Attempts, "retry_in", delay.String(), "err", cause)
		err = e.update(ctx, func(tx Tx) error { return tx.PutEffect(eff) })
	}
	e.setUnsaved(eff, err != nil)
	return err
}

func (e *Engine) perform(ctx context.Context, eff Effect) error {
	chat, ok := e.chat(eff.Platform)
	if !ok {
		return Errorf(EUNAVAILABLE, "no chat platform %q is connected", eff.Platform)
	}
	var t *Ticket
	if eff.Ticket != "" {
		if err := e.store.View(ctx, func(tx Tx) error {
			var err error
			t, err = tx.Ticket(eff.Ticket)
			return err
		}); err != nil {
			return fmt.Errorf("load ticket %s: %w", eff.Ticket, err)
		}
	}
	switch eff.Kind {
	case EffectPost:
		return e.performPost(ctx, chat, eff, t)
	case EffectUpdate:
		ref, ok := t.message(eff.Key)
		if !ok {
			return Errorf(ENOTFOUND, "ticket %s has no message %q to update", eff.Ticket, eff.Key)
		}
		if eff.DropChoices {
			return e.performDropChoices(ctx, chat, eff, ref)
		}
		if ed, ok := chat.(Editor); ok {
			if err := ed.Update(ctx, ref, eff.Post); err != nil {
				return err
			}
		} else {
			p := eff.Post
			p.Channel, p.Thread, p.DM = ref.Channel, ref.ID, ""
			p.Title = "Update: " + p.Title
			if _, err := chat.Post(ctx, p); err != nil {
				return err
			}
		}
	case EffectReact:
		ref, ok := t.message(eff.Key)
		if !ok {
			return Errorf(ENOTFOUND, "ticket %s has no message %q to react to", eff.Ticket, eff.Key)
		}
		if r, ok := chat.(Reactor); ok {
			if err := r.React(ctx, ref, eff.Reaction); err != nil {
				return err
			}
		}
	default:
		return Errorf(EINVALID, "unknown effect kind %q", eff.Kind)
	}
	return e.update(ctx, func(tx Tx) error { return tx.DeleteEffect(eff.Seq) })
}

// performPost posts, then in one transaction removes the effect and records where the message went, so
// later reactions and thread replies find their ticket.
func (e *Engine) performPost(ctx context.Context, chat Chat, eff Effect, t *Ticket) error {
	p := eff.Post
	if eff.ThreadKey != "" {
		root, ok := t.message(eff.ThreadKey)
		if !ok {
			return Errorf(ENOTFOUND, "ticket %s has no message %q to reply under", eff.Ticket, eff.ThreadKey)
		}
		p.Channel, p.Thread = root.Channel, root.ID
	}
	var ref MessageRef
	var err error
	pp, private := chat.(PrivatePoster)
	if p.To != "" && !private {
		// A platform that cannot show a post to one person gets it as a DM: never in the channel.
		p.DM, p.Channel, p.Thread = p.To, "", ""
	}
	switch op, once := chat.(OncePoster); {
	case p.To != "" && private:
		ref, err = pp.PostPrivate(ctx, p)
	case once:
		ref, err = op.PostOnce(ctx, p, eff.onceKey(), eff.Attempts > 0 || eff.CreatedAt.Before(e.started))
	default:
		ref, err = chat.Post(ctx, p)
	}
	if err != nil {
		return err
	}
	return e.update(ctx, func(tx Tx) error {
		if err := tx.DeleteEffect(eff.Seq); err != nil {
			return err
		}
		if eff.Ticket == "" {
			return nil
		}
		// Every message of a ticket is linked, notices too, so a reaction on one is known to be on the
		// desk's message; one with choices keeps what it said, to be sent again without them.
		link := MessageLink{Ticket: eff.Ticket, Key: eff.Key}
		if len(p.Choices) > 0 {
			link.Post = &p
		}
		if eff.Key == "" {
			return tx.LinkMessage(ref, link)
		}
		t, err := tx.Ticket(eff.Ticket)
		if err != nil {
			return err
		}
		if t.Messages == nil {
			t.Messages = map[string]MessageRef{}
		}
		t.Messages[eff.Key] = ref
		if err := tx.PutTicket(t); err != nil {
			return err
		}
		return tx.LinkMessage(ref, link)
	})
}

// performDropChoices sends a message again as it was posted, without its choices and with the effect's
// note as its last line, and then forgets what it said. A platform that cannot edit keeps the buttons:
// a press on them gets a short reply.
func (e *Engine) performDropChoices(ctx context.Context, chat Chat, eff Effect, ref MessageRef) error {
	var link MessageLink
	err := e.store.View(ctx, func(tx Tx) error {
		var err error
		link, err = tx.MessageLink(ref)
		return err
	})
	if err != nil && !IsNotFound(err) {
		return fmt.Errorf("read the message %s of %s: %w", eff.Key, eff.Ticket, err)
	}
	ed, canEdit := chat.(Editor)
	if link.Post != nil && canEdit {
		p := *link.Post
		p.Choices = nil
		p.Text = appendNote(p.Text, eff.Post.Text)
		if err := ed.Update(ctx, ref, p); err != nil {
			return err
		}
	}
	return e.store.Update(ctx, func(tx Tx) error {
		if err := tx.DeleteEffect(eff.Seq); err != nil {
			return err
		}
		if link.Post == nil {
			return nil
		}
		link.Post = nil
		return tx.LinkMessage(ref, link)
	})
}

func (t *Ticket) message(key string) (MessageRef, bool) {
	if t == nil {
		return MessageRef{}, false
	}
	ref, ok := t.Messages[key]
	return ref, ok
}

// onceKey names an effect across processes, for OncePoster: its outbox sequence and the second it was
// made, so a data file restored from a backup does not reuse a key. At most 25 characters (Discord's
// nonce limit).
func (eff Effect) onceKey() string {
	return "fl" + strconv.FormatUint(eff.Seq, 36) + "." + strconv.FormatInt(eff.CreatedAt.Unix(), 36)
}
