package bot

// Running an action, at most once: the job commits "started" before it calls the runner, then records
// what the call answered in a second transaction. A run that started and whose result was never
// recorded (the desk stopped during the call) is marked "outcome unknown" and never run again by
// itself; a technician checks, and may retry it with the same idempotency key.

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

const (
	jobAction  = "action"  // start an approved run, call its runner, record the result
	jobPreview = "preview" // run an action's dry run and post its approval card with the output
)

// outputMargin is how much more than max_output a runner reads, so that a secret across the cut is
// whole when it is redacted, before the output is cut to max_output.
const outputMargin = 1024

// runGrace is how long past its timeout a run may stay "running" in this process before the SLA loop
// takes its result as lost (a finish the store refused) and marks it unknown.
const runGrace = time.Minute

// runAction performs an approved run's job.
func (e *Engine) runAction(ctx context.Context, eff Effect) error {
	var r *ActionRun
	if err := e.store.View(ctx, func(tx Tx) error {
		var err error
		r, err = tx.ActionRun(eff.Run)
		return err
	}); err != nil && !IsNotFound(err) {
		return fmt.Errorf("action job %s: %w", eff.Run, err)
	}
	var def *ActionDef
	defined := false
	if r != nil {
		def, defined = e.cfg.action(r.Action)
	}
	// The values the runner needs are resolved before the run starts (an email address asked of the
	// platform): a person who cannot be found fails the run before anything is called.
	var params map[string]string
	var resolveErr error
	if r != nil && defined && r.State == RunApproved {
		params, resolveErr = e.callParams(ctx, r, def)
	}
	var call ActionCall
	started := false
	err := e.write(ctx, func(tx *trackedTx) error {
		started = false
		if err := tx.DeleteEffect(eff.Seq); err != nil {
			return err
		}
		r, err := tx.ActionRun(eff.Run)
		if IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if r.State != RunApproved {
			return nil // cancelled meanwhile, or started already
		}
		t, err := tx.Ticket(r.Ticket)
		if err != nil {
			return err
		}
		now := e.clock.Now()
		w := &work{e: e, tx: tx, now: now, ev: Event{Platform: t.Conversation.Platform}}
		off, err := w.actionsOff()
		switch {
		case err != nil:
			return err
		case off:
			return w.cancelRun(t, r, "not run: actions were turned off")
		case !defined:
			return w.finishRun(t, r, nil, ActionResult{Outcome: OutcomeFailed, Detail: "the action is no longer defined"})
		case resolveErr != nil:
			return w.finishRun(t, r, def, ActionResult{Outcome: OutcomeFailed, Detail: userMessage(resolveErr)})
		}
		r.Attempts++
		r.Instance = e.instance
		r.StartedAt, r.FinishedAt, r.Result = &now, nil, nil
		r.step(now, RunRunning, "", "attempt "+strconv.Itoa(r.Attempts))
		t.transition(now, TransitionActionStarted, "", "", runDetail(r, fmt.Sprintf("attempt %d, idempotency key %s", r.Attempts, r.IdempotencyKey)))
		if err := w.tellRun(t, r, runNews{asker: fmt.Sprintf("Running **%s**%s (%s)…", r.Title, forWhom(r), r.ID),
			requester: fmt.Sprintf("Running **%s** (%s), asked for you by **%s**…", r.Title, r.ID, r.RequestedByName)}); err != nil {
			return err
		}
		if err := tx.PutActionRun(r); err != nil {
			return err
		}
		if err := tx.PutTicket(t); err != nil {
			return err
		}
		call = ActionCall{Action: r.Action, Run: r.ID, Ticket: r.Ticket, Params: params, IdempotencyKey: r.IdempotencyKey,
			Attempt: r.Attempts, MaxOutput: def.maxOutput() + outputMargin}
		started = true
		return nil
	})
	if err != nil || !started {
		return err
	}
	// "started" is committed: from here the call may happen, and the job is gone from the outbox, so
	// nothing calls it again by itself.
	began := time.Now()
	callCtx, cancel := context.WithTimeout(ctx, def.timeout())
	res := def.Runner.Run(callCtx, call)
	cancel()
	if ctx.Err() != nil && res.Outcome != OutcomeSucceeded && res.Outcome != OutcomeFailed {
		res = ActionResult{Outcome: OutcomeUnknown, Detail: "the desk stopped during the call"}
	}
	e.log.Info("action call ended", "run", call.Run, "action", call.Action, "attempt", call.Attempt, "outcome", string(res.Outcome),
		"took", time.Since(began).Round(time.Millisecond).String())
	// Recorded even when the desk is stopping, so a call that ended is not taken for one cut off.
	return e.write(context.WithoutCancel(ctx), func(tx *trackedTx) error {
		r, err := tx.ActionRun(call.Run)
		if err != nil {
			return err
		}
		// A late result beats "unknown" (the SLA loop gave up on it): it is what happened.
		if r.Attempts != call.Attempt || (r.State != RunRunning && r.State != RunUnknown) {
			return nil
		}
		t, err := tx.Ticket(r.Ticket)
		if err != nil {
			return err
		}
		w := &work{e: e, tx: tx, now: e.clock.Now(), ev: Event{Platform: t.Conversation.Platform}}
		return w.finishRun(t, r, def, res)
	})
}

// callParams are the values the runner gets: the run's parameters, resolved (a person as the email
// address the runner needs), with the desk's own (requester, ticket, run).
func (e *Engine) callParams(ctx context.Context, r *ActionRun, def *ActionDef) (map[string]string, error) {
	out := map[string]string{"ticket": r.Ticket, "run": r.ID}
	rp := def.requesterParam()
	who, err := e.resolveUser(ctx, r.For, rp.Resolve)
	if err != nil {
		return nil, err
	}
	out["requester"], out[rp.Name] = who, who
	for k, v := range r.Params {
		out[k] = v
		if p, ok := def.param(k); ok && p.Type == ParamUser && !strings.Contains(v, "@") {
			if out[k], err = e.resolveUser(ctx, v, p.Resolve); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// resolveUser turns a platform identity into what a runner needs: the identity itself, or the person's
// email address, which their platform is asked for.
func (e *Engine) resolveUser(ctx context.Context, user, resolve string) (string, error) {
	if resolve != "email" {
		return user, nil
	}
	platform, _ := SplitID(user)
	if c, ok := e.chat(platform); ok {
		if d, ok := c.(UserDirectory); ok {
			email, err := d.UserEmail(ctx, user)
			if err == nil && email != "" {
				return email, nil
			}
			if err != nil && !IsNotFound(err) {
				return "", WrapError(err, EUNAVAILABLE, "the email address of %s could not be looked up", user)
			}
		}
	}
	return "", Errorf(ENOTFOUND, "the email address of %s is not known", user)
}

// finishRun records how a started run ended (def is nil when the action is no longer defined): the
// result, redacted and cut to max_output, on the run; the outcome on the ticket, told to whom it concerns (tellRun)
// and the technicians; a ticket the desk opened for the run resolved when it succeeded, and a Level 1
// ticket escalated when it did not.
func (w *work) finishRun(t *Ticket, r *ActionRun, def *ActionDef, res ActionResult) error {
	limit := DefaultMaxOutput
	if def != nil {
		limit = def.maxOutput()
	}
	// Redacted whole, then cut: a secret across the cut is still recognised.
	out, truncated := cutBytes(w.e.redactor.Text(res.Output), limit)
	state := RunState(res.Outcome)
	switch res.Outcome {
	case OutcomeSucceeded, OutcomeFailed, OutcomeTimedOut, OutcomeUnknown:
	default:
		state, res.Detail = RunUnknown, strings.TrimSpace("the runner said "+string(res.Outcome)+" "+res.Detail)
	}
	now := w.now
	r.Result = &RunOutput{Outcome: Outcome(state), Detail: res.Detail, Output: out, Truncated: truncated}
	r.FinishedAt = &now
	r.step(now, state, "", res.Detail)
	t.transition(now, TransitionActionFinished, "", "", runDetail(r, strings.TrimSpace(string(state)+" "+paren(res.Detail))))
	w.logCommitted("action finished", "run", r.ID, "action", r.Action, "ticket_id", t.ID, "outcome", string(state))
	t.say(now, "", w.cfg().Name, RoleBot, fmt.Sprintf("Action %s (%s) %s%s.", r.ID, r.Title, stateText(state), colon(res.Detail)), false)
	if err := w.tx.PutActionRun(r); err != nil {
		return err
	}
	if def != nil && def.Approval != nil {
		if err := w.updateApprovalCard(t, r, def); err != nil {
			return err
		}
	}
	shown := outputBlock(out, truncated)
	var msg string
	switch state {
	case RunSucceeded:
		msg = fmt.Sprintf("Done: **%s** (%s) succeeded.", r.Title, r.ID)
	case RunFailed:
		msg = fmt.Sprintf("**%s** (%s) failed%s.", r.Title, r.ID, colon(res.Detail))
	default:
		msg = fmt.Sprintf("I can't tell whether **%s** (%s) worked%s. A technician will check; it will not be run again without them.", r.Title, r.ID, colon(res.Detail))
	}
	if state == RunSucceeded {
		closed, err := w.closeOpenedTicket(t, r, "the action "+r.Action+" succeeded")
		if err != nil {
			return err
		}
		msg += closed
	}
	// The asker on someone's behalf, a technician, reads the technicians' report; the requester, what it
	// means for them.
	report := w.runReport(r, state, res.Detail, shown)
	news := runNews{asker: msg + shown, requester: msg + shown}
	if r.onBehalf() {
		news.asker = report
	}
	if err := w.tellRun(t, r, news); err != nil {
		return err
	}
	reported := runAudienceOf(t, r).asker == placeCard // the asker's report is the technicians'
	if state != RunSucceeded && t.Status == StatusOpen && t.Tier == LevelOne {
		if err := w.escalate(t, fmt.Sprintf("the action %s (%s) %s", r.Action, r.ID, stateText(state))); err != nil {
			return err
		}
	}
	if card := t.currentCard(); card != nil && !reported {
		if err := w.toCard(t, card, report); err != nil {
			return err
		}
	}
	return w.tx.PutTicket(t)
}

// runReport is what the technicians of a run's ticket are told of its end.
func (w *work) runReport(r *ActionRun, state RunState, detail, shown string) string {
	s := fmt.Sprintf("Action **%s** (%s) for %s %s%s.%s", r.Title, r.ID, r.ForName, stateText(state), colon(detail), shown)
	if state == RunFailed || state == RunTimedOut || state == RunUnknown {
		if state != RunFailed {
			s += fmt.Sprintf("\nCheck on the target whether it happened: its idempotency key is `%s`.", r.IdempotencyKey)
		}
		s += fmt.Sprintf(" `%sactions retry %s` runs it again with the same key.", w.cfg().CommandPrefix, r.ID)
	}
	return s
}

// runPreview runs an action's dry run for its approvers, then posts the approval card with what it
// answered. A preview changes nothing, so unlike a run it may be called again after a crash.
func (e *Engine) runPreview(ctx context.Context, eff Effect) error {
	var r *ActionRun
	if err := e.store.View(ctx, func(tx Tx) error {
		var err error
		r, err = tx.ActionRun(eff.Run)
		return err
	}); err != nil && !IsNotFound(err) {
		return fmt.Errorf("preview job %s: %w", eff.Run, err)
	}
	var res *ActionResult
	if r != nil && r.State == RunPending {
		if def, ok := e.cfg.action(r.Action); ok && def.Preview != nil {
			params, err := e.callParams(ctx, r, def)
			out := ActionResult{Outcome: OutcomeFailed, Detail: "not run"}
			if err == nil {
				pctx, cancel := context.WithTimeout(ctx, def.timeout())
				out = def.Preview.Run(pctx, ActionCall{Action: r.Action, Run: r.ID, Ticket: r.Ticket, Params: params,
					IdempotencyKey: r.IdempotencyKey + "-preview", Attempt: 1, Preview: true, MaxOutput: def.maxOutput() + outputMargin})
				cancel()
			} else {
				out.Detail = userMessage(err)
			}
			res = &out
		}
	}
	return e.write(ctx, func(tx *trackedTx) error {
		if err := tx.DeleteEffect(eff.Seq); err != nil {
			return err
		}
		r, err := tx.ActionRun(eff.Run)
		if IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		def, ok := e.cfg.action(r.Action)
		if r.State != RunPending || !ok || def.Approval == nil {
			return nil
		}
		t, err := tx.Ticket(r.Ticket)
		if err != nil {
			return err
		}
		if res != nil {
			out, truncated := cutBytes(e.redactor.Text(res.Output), def.maxOutput())
			r.Preview = &RunOutput{Outcome: res.Outcome, Detail: res.Detail, Output: out, Truncated: truncated}
		} else {
			r.Preview = &RunOutput{Outcome: OutcomeFailed, Detail: "no preview"}
		}
		if err := tx.PutActionRun(r); err != nil {
			return err
		}
		w := &work{e: e, tx: tx, now: e.clock.Now(), ev: Event{Platform: t.Conversation.Platform}}
		if err := w.postApprovalCard(t, r, def); err != nil {
			return err
		}
		return tx.PutTicket(t)
	})
}

// recoverRuns marks "outcome unknown" every run another process left running: it stopped during the
// call, and whether the call happened only the target knows. Run and Flush call it once, first.
//
// With replicas sharing the store, another process's run may still be under way there: the replica that
// makes a call holds its lane's lease (the job's) until the result is committed, so a run is cut off
// only when that lease can be taken here (its holder died, or let it expire). One whose holder dies
// later is found by checkRuns once its timeout has passed.
func (e *Engine) recoverRuns(ctx context.Context) error {
	e.recoverMu.Lock()
	defer e.recoverMu.Unlock()
	if e.recovered {
		return nil
	}
	var others []string
	if err := e.store.View(ctx, func(tx Tx) error {
		runs, err := tx.FindActionRuns(ActionRunFilter{States: []RunState{RunRunning}})
		for _, r := range runs {
			if r.Instance != e.instance {
				others = append(others, r.ID)
			}
		}
		return err
	}); err != nil {
		return fmt.Errorf("recover action runs: %w", err)
	}
	if e.leases != nil && len(others) > 0 {
		names := make([]string, len(others))
		for i, id := range others {
			names[i] = laneLease(runLane(id))
		}
		grants, err := e.leases.take(ctx, names)
		if err != nil {
			return fmt.Errorf("recover action runs: %w", err)
		}
		held := make(map[string]bool, len(grants))
		var taken []string
		for _, g := range grants {
			held[g.Name] = true
			taken = append(taken, g.Name)
		}
		defer func() {
			if err := e.leases.release(ctx, taken); err != nil {
				e.log.Warn("release the leases of recovered action runs", "err", err)
			}
		}()
		orphans := others[:0]
		for _, id := range others {
			if held[laneLease(runLane(id))] {
				orphans = append(orphans, id)
			}
		}
		others = orphans
	}
	err := e.write(ctx, func(tx *trackedTx) error {
		for _, id := range others {
			r, err := tx.ActionRun(id)
			if err != nil {
				return err
			}
			if r.State != RunRunning || r.Instance == e.instance {
				continue // its result came in meanwhile
			}
			if err := e.markUnknown(tx, r, "the desk stopped during the call"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("recover action runs: %w", err)
	}
	e.recovered = true
	return nil
}

// checkRuns expires the runs nobody confirmed or approved in time, and gives up on runs of this process
// that ran long past their timeout without a recorded result. CheckSLAs calls it on every tick.
func (e *Engine) checkRuns(ctx context.Context, now time.Time) (int, error) {
	n := 0
	err := e.write(ctx, func(tx *trackedTx) error {
		n = 0
		runs, err := tx.FindActionRuns(ActionRunFilter{States: []RunState{RunConfirming, RunPending, RunRunning}})
		if err != nil {
			return err
		}
		for _, r := range runs {
			switch {
			case r.State == RunRunning:
				def, ok := e.cfg.action(r.Action)
				timeout := DefaultActionTimeout
				if ok {
					timeout = def.timeout()
				}
				if r.StartedAt == nil || now.Before(r.StartedAt.Add(timeout+runGrace)) {
					continue
				}
				if err := e.markUnknown(tx, r, "no result was recorded"); err != nil {
					return err
				}
			case !r.ExpiresAt.IsZero() && !now.Before(r.ExpiresAt):
				t, err := tx.Ticket(r.Ticket)
				if err != nil {
					return err
				}
				w := &work{e: e, tx: tx, now: now, ev: Event{Platform: t.Conversation.Platform}}
				if err := w.expireRun(t, r); err != nil {
					return err
				}
			default:
				continue
			}
			n++
		}
		return nil
	})
	return n, err
}

// markUnknown ends a started run whose result was never recorded.
func (e *Engine) markUnknown(tx *trackedTx, r *ActionRun, why string) error {
	t, err := tx.Ticket(r.Ticket)
	if err != nil {
		return err
	}
	def, ok := e.cfg.action(r.Action)
	if !ok {
		def = nil
	}
	w := &work{e: e, tx: tx, now: e.clock.Now(), ev: Event{Platform: t.Conversation.Platform}}
	return w.finishRun(t, r, def, ActionResult{Outcome: OutcomeUnknown, Detail: why})
}

// cutBytes cuts s to at most n bytes, on a character boundary, and reports whether it cut.
func cutBytes(s string, n int) (string, bool) {
	if len(s) <= n {
		return s, false
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n], true
}

// outputBlock shows a run's output under a message, in a code block: "" when there is none.
func outputBlock(out string, truncated bool) string {
	out = strings.TrimSpace(out)
	if out == "" {
		return ""
	}
	out = strings.ReplaceAll(out, "```", "'''")
	s := "\n```\n" + out + "\n```"
	if truncated {
		s += "\n_(output cut short)_"
	}
	return s
}

func colon(s string) string {
	if s == "" {
		return ""
	}
	return ": " + s
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return "(" + s + ")"
}
