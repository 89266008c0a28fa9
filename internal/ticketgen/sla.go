package ticketgen

import (
	"time"

	"github.com/firstline-desk/firstline/bot"
)

// The generator keeps a ticket's SLA clocks as the engine does, with the engine's own rules
// (bot.SLAPolicy), rather than a second copy of them: every change to a ticket is preceded by what the
// SLA loop would have announced up to it (before), and followed by the clock sync that every write of
// the engine's runs (after).

// loopEvery is how often the desk's SLA loop runs (CheckSLAs every 30 s). The generator places its ticks
// on the 30-second marks of the wall clock.
const loopEvery = 30 * time.Second

// nextTick is the SLA loop's first tick after x.
func nextTick(x time.Time) time.Time { return x.Truncate(loopEvery).Add(loopEvery) }

// maxAnnouncements bounds the loop's work on one ticket between two changes: a warning and a breach on
// each of its two clocks.
const maxAnnouncements = 4

// runLoop does what the SLA loop would have done to the ticket after its last change and up to until:
// at the first tick at which the ticket has a warning or a breach due (Ticket.NextSLACheck, as the due
// index finds it), the policy's Announce, and again for what falls due next. A ticket that was waiting or
// resolved when something fell due is announced at the first tick after the change that made it active
// again, as the loop would. Vendors and rating reminders, which the generator never writes, are not
// announced.
func (b *draft) runLoop(until time.Time) {
	for range maxAnnouncements {
		next, ok := b.t.NextSLACheck()
		if !ok {
			return
		}
		if next.Before(b.changed) {
			next = b.changed
		}
		at := nextTick(next)
		if at.After(until) {
			return
		}
		b.g.sla.Announce(b.t, at, nil) // cannot fail without a tell
	}
}

// before runs the SLA loop up to a step at at, before the step changes anything on the ticket (its
// tier, its owner): what the loop announced then, it announced about the ticket as it was.
func (b *draft) before(at time.Time) {
	until := b.g.horizon()
	if at.Before(until) {
		until = at
	}
	b.runLoop(until)
}

// after follows every change to the ticket at at: the clocks are synced, as every write of the engine
// syncs them, and the SLA loop picks up from there.
func (b *draft) after(at time.Time) {
	if at.After(b.changed) {
		b.changed = at
	}
	b.g.sla.Sync(b.t)
}

// horizon is the last time the SLA loop has run for the generated tickets: its last tick before now.
func (g *Generator) horizon() time.Time { return g.now.Add(-loopEvery) }

// done finishes a ticket: what the SLA loop would have announced by now since its last change.
func (b *draft) done() (*bot.Ticket, map[string]bot.MessageRef) {
	b.runLoop(b.g.horizon())
	return b.t, b.posts
}
