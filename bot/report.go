package bot

// "!report": a compact service-desk report posted in a tier channel, computed by a job through the
// Reporter (package report, wired by cmd/firstline).

import (
	"context"
	"time"
)

// Reporter computes the service-desk report for "!report"; cmd/firstline implements it with package
// report. It is called outside any storage transaction.
type Reporter interface {
	Summary(ctx context.Context, now time.Time) (string, error)
}

// SetReporter enables "!report".
func (e *Engine) SetReporter(r Reporter) { e.reporter = r }

func (e *Engine) runReport(ctx context.Context, eff Effect) error {
	text, err := e.reporter.Summary(ctx, e.clock.Now())
	if err != nil {
		// The cause is for the log: a Go error string says nothing a technician can act on.
		text = "Sorry, the report could not be computed just now. Try again in a minute; if it keeps failing, the desk's log says why."
		e.log.Error("report", "err", err)
	}
	return e.write(ctx, func(tx *trackedTx) error {
		if err := tx.DeleteEffect(eff.Seq); err != nil {
			return err
		}
		p := eff.Post
		p.Text = text
		w := &work{e: e, tx: tx, now: e.clock.Now(), ev: Event{Platform: eff.Platform}}
		return w.enqueue(Effect{Kind: EffectPost, Platform: eff.Platform, Lane: eff.Lane, Post: p})
	})
}

// cmdReport posts a compact service-desk report in a tier channel, for its technicians and admins. It is
// computed by a job, outside the event's transaction, since it reads many tickets.
func (w *work) cmdReport() error {
	ev := w.ev
	tier, ok := w.cfg().tierByChannel(ev.Platform, ev.Channel)
	if !ok || !(w.canWork(tier.ID, ev.User) || w.cfg().isAdmin(ev.User, ev.Roles)) {
		return w.reply("", "The report is for technicians, in a tier channel.")
	}
	if w.e.reporter == nil {
		return w.reply("", "Reports are not available here.")
	}
	post := w.here()
	return w.enqueue(Effect{Kind: EffectJob, Platform: ev.Platform, Lane: threadLane(ev.Platform, post.Channel, post.Thread), Job: jobReport, Post: post})
}
