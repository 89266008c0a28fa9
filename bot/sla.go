package bot

// The SLA loop (CheckSLAs) and what it tells people, and the priority rules; the SLA rules it applies are
// SLAPolicy's (slapolicy.go).

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// PriorityRule sets the priority of a new ticket when the requester's words contain one of Phrases
// (case-insensitive, whole words).
type PriorityRule struct {
	Name     string
	Priority string
	Phrases  []string
}

// priorityFor applies the priority rules to a new question: the most urgent rule that fires wins.
func (c Config) priorityFor(text string) (priority, source string) {
	words := " " + strings.Join(strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127)
	}), " ") + " "
	for _, r := range c.PriorityRules {
		for _, p := range r.Phrases {
			phrase := " " + strings.Join(strings.Fields(strings.ToLower(p)), " ") + " "
			if phrase != "  " && strings.Contains(words, phrase) && (priority == "" || r.Priority < priority) {
				priority, source = r.Priority, "rule:"+r.Name
			}
		}
	}
	if priority == "" {
		return c.DefaultPriority, "default"
	}
	return priority, source
}

// syncSLA brings a ticket's SLA clocks up to date under the desk's policy (SLAPolicy.Sync).
func (e *Engine) syncSLA(t *Ticket) { e.cfg.SLAPolicy().Sync(t) }

// maxSLAChecksPerTick bounds one CheckSLAs transaction; what is left is taken on the next tick.
const maxSLAChecksPerTick = 500

// CheckSLAs announces the warnings and breaches that have fallen due by now, once each: the flag that
// says a warning was sent is written in the same transaction as the message, so a restart neither
// repeats nor forgets one, and a breach that fell due while the process was down is announced when it
// comes back. Only tickets with a check due are read (the store indexes them by NextSLACheck). It
// returns how many tickets it looked at.
//
// Replicas sharing a store check one at a time (Exclusive "sla"): the others' ticks find the lease held
// and look at nothing.
func (e *Engine) CheckSLAs(ctx context.Context, now time.Time) (int, error) {
	n := 0
	_, err := e.Exclusive(ctx, "sla", func(ctx context.Context) error {
		return e.checkSLAs(ctx, now, &n)
	})
	return n, err
}

// checkSLAs is one SLA check; n counts the tickets it looked at.
func (e *Engine) checkSLAs(ctx context.Context, now time.Time, count *int) error {
	n := 0
	err := e.write(ctx, func(tx *trackedTx) error {
		n = 0
		ids, err := tx.DueTickets(now, maxSLAChecksPerTick)
		if err != nil {
			return err
		}
		for _, id := range ids {
			t, err := tx.Ticket(id)
			if IsNotFound(err) {
				continue
			}
			if err != nil {
				return err
			}
			n++
			w := &work{e: e, tx: tx, now: now, ev: Event{Platform: t.Conversation.Platform}}
			if err := w.checkSLA(t); err != nil {
				return fmt.Errorf("check SLA of %s: %w", id, err)
			}
			if err := w.tx.PutTicket(t); err != nil {
				return err
			}
		}
		return nil
	})
	*count = n
	if err != nil {
		return err
	}
	runs, err := e.checkRuns(ctx, now)
	*count += runs
	return err
}

// checkSLA sends what is due on one ticket.
func (w *work) checkSLA(t *Ticket) error {
	if v := t.Vendor; v != nil && t.Status == StatusPendingVendor && v.Back == nil && !v.Breached && v.Due != nil && !w.now.Before(*v.Due) {
		v.Breached = true
		t.transition(w.now, TransitionVendorOverdue, "", "", v.Name)
		if card := t.currentCard(); card != nil {
			ref := ""
			if v.Reference != "" {
				ref = " (" + v.Reference + ")"
			}
			if err := w.toCard(t, card, fmt.Sprintf("⏰ **%s**: %s%s has not answered within its target; chase them, or `%svendor back`.", t.ID, v.Name, ref, w.cfg().CommandPrefix)); err != nil {
				return err
			}
		}
	}
	if sv := t.Survey; sv != nil && t.Status == StatusResolved && t.CSAT == nil && !sv.Reminded && sv.RemindAt != nil && !w.now.Before(*sv.RemindAt) {
		sv.Reminded = true
		if err := w.toRequester(t, "", fmt.Sprintf("A reminder: how would you rate the help with **%s**? Press a number under the question above, from 1 (poor) to 5 (excellent).", t.ID)); err != nil {
			return err
		}
	}
	return w.cfg().SLAPolicy().Announce(t, w.now, func(clock string, breach bool, due time.Time) error {
		if breach {
			return w.announceBreach(t, clock, due)
		}
		if card := t.currentCard(); card != nil {
			return w.toCard(t, card, fmt.Sprintf("⏰ **%s** (%s): the %s target is due %s.", t.ID, t.Priority, clock, dueText(w.now, due)))
		}
		return nil
	})
}

// announceBreach tells the tier, and moves the ticket up when its tier says so.
func (w *work) announceBreach(t *Ticket, clock string, due time.Time) error {
	tierID := t.Tier
	if tierID == LevelOne && len(w.cfg().Tiers) > 0 {
		tierID = w.cfg().Tiers[0].ID
	}
	tier, _, ok := w.cfg().tier(tierID)
	if !ok {
		return nil
	}
	platform, channel := w.tierChannel(tier.ID)
	text := fmt.Sprintf("🔴 **%s** (%s) breached its %s target, due %s: %s", t.ID, t.Priority, clock, due.Format("Mon 2 Jan 15:04"), t.Subject)
	post := Post{Channel: channel, Text: text}
	if tier.OnCall != "" {
		post.Notify = []string{tier.OnCall}
	}
	if err := w.enqueue(Effect{Kind: EffectPost, Platform: platform, Lane: lane(platform, channel), Ticket: t.ID,
		Post: post}); err != nil {
		return err
	}
	if !tier.EscalateOnBreach {
		return nil
	}
	if v, _ := w.cfg().mayAct(t, t.Tier, actor{desk: true}, actEscalate); v != allow {
		return nil // resolved, or a vendor has the case: its owner stays with it
	}
	if _, i, _ := w.cfg().tier(t.Tier); t.Tier != LevelOne && i+1 >= len(w.cfg().Tiers) {
		return nil // already in the last tier
	}
	return w.escalate(t, "the "+clock+" target was breached")
}

func dueText(now, due time.Time) string {
	d := due.Sub(now).Round(time.Minute)
	if d <= 0 {
		return "now"
	}
	return "in " + strings.TrimSuffix(d.String(), "0s")
}
