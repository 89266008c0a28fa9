package bot

// The SLA loop (CheckSLAs) and what it tells people, and the priority rules; the SLA rules it applies are
// SLAPolicy's (slapolicy.go).

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/firstline-desk/firstline/kb"
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
// comes back. Only tickets with an event due are read (the store indexes them by NextSLAEvent). It
// returns how many tickets it looked at.
func (e *Engine) CheckSLAs(ctx context.Context, now time.Time) (int, error) {
	n := 0
	var committed []func()
	err := e.store.Update(ctx, func(tx Tx) error {
		n, committed = 0, nil
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
			w := &work{e: e, tx: e.slaTx(tx, &committed), now: now, ev: Event{Platform: t.Conversation.Platform}, committed: &committed}
			if err := w.checkSLA(t); err != nil {
				return fmt.Errorf("check SLA of %s: %w", id, err)
			}
			if err := w.tx.PutTicket(t); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil && n > 0 {
		runAll(committed)
		e.disp.kick() // after the commit, so the dispatcher sees the notices
	}
	return n, err
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

// slaTx is what the engine writes through: it redacts, keeps SLA clocks in step and audits transitions.
//
// Redaction is structural: every ticket, effect, audit entry and article written through it has every
// string field passed through redact.Text (secrets out, bidi overrides and control characters out),
// whatever its fields are, except those tagged `redact:"-"`, which are identifiers (ids, keys, platform
// references, enum values). A field added later is redacted unless someone decides it is an identifier,
// and TestEveryStringFieldIsDecided makes them decide. Redacting again what was read back changes nothing.
//
// It also writes every new transition of a ticket to the audit log, so the log cannot miss one that a
// code path forgot to audit. To know which transitions are new it remembers how many each ticket had when
// it was read through it, so the hot path (an event: read, change, write) does not read the ticket twice.
type slaTx struct {
	Tx
	e      *Engine
	stored map[string]int // ticket id -> transitions it had when read
	// committed is the transaction's after-commit list: transitions reach the Observer (metrics) from
	// it, so a transaction that fails, or is run again, counts nothing twice.
	committed *[]func()
}

func (e *Engine) slaTx(tx Tx, committed *[]func()) Tx {
	return &slaTx{Tx: tx, e: e, stored: map[string]int{}, committed: committed}
}

// update runs fn in a write transaction whose writes go through slaTx, for the writes outside an event
// or a job (the dispatcher's, a report's), so they are redacted too.
func (e *Engine) update(ctx context.Context, fn func(Tx) error) error {
	var committed []func()
	err := e.store.Update(ctx, func(tx Tx) error {
		committed = nil
		return fn(e.slaTx(tx, &committed))
	})
	if err == nil {
		runAll(committed)
	}
	return err
}

func (s *slaTx) remember(t *Ticket) {
	if t != nil {
		s.stored[t.ID] = len(t.Events)
	}
}

func (s *slaTx) Ticket(id string) (*Ticket, error) {
	t, err := s.Tx.Ticket(id)
	s.remember(t)
	return t, err
}

func (s *slaTx) TicketByConversation(c Conversation) (*Ticket, error) {
	t, err := s.Tx.TicketByConversation(c)
	s.remember(t)
	return t, err
}

func (s *slaTx) FindTickets(f TicketFilter) ([]*Ticket, error) {
	ts, err := s.Tx.FindTickets(f)
	for _, t := range ts {
		s.remember(t)
	}
	return ts, err
}

func (s *slaTx) CreateTicket(t *Ticket) error {
	s.e.redactor.Fields(t)
	s.e.syncSLA(t)
	if err := s.Tx.CreateTicket(t); err != nil {
		return err
	}
	err := s.auditTransitions(t, 0)
	s.remember(t)
	return err
}

func (s *slaTx) PutTicket(t *Ticket) error {
	s.e.redactor.Fields(t)
	s.e.syncSLA(t)
	seen, ok := s.stored[t.ID]
	if !ok {
		// Read before the wrapper existed (a job, the SLA loop): ask the store.
		if old, err := s.Tx.Ticket(t.ID); err == nil {
			seen = len(old.Events)
		}
	}
	if err := s.Tx.PutTicket(t); err != nil {
		return err
	}
	err := s.auditTransitions(t, seen)
	s.remember(t)
	return err
}

func (s *slaTx) auditTransitions(t *Ticket, from int) error {
	for _, tr := range t.Events[min(from, len(t.Events)):] {
		observe := func() { s.e.obs.Transition(tr.Type, tr.From, tr.To, tr.Tier, tr.Detail) }
		if s.committed != nil {
			*s.committed = append(*s.committed, observe)
		} else {
			observe()
		}
		detail := tr.Detail
		if tr.To != "" {
			detail = strings.TrimSpace(string(tr.From) + " → " + string(tr.To) + " " + detail)
		}
		if err := s.Audit(AuditEntry{At: tr.At, Actor: tr.By, Action: "ticket." + string(tr.Type), Target: t.ID, Detail: detail}); err != nil {
			return err
		}
	}
	return nil
}

// Enqueue redacts what the effect will post (text, title, fields, button labels) before it is stored in
// the outbox, and so before any platform sees it.
func (s *slaTx) Enqueue(eff *Effect) error {
	s.e.redactor.Fields(eff)
	return s.Tx.Enqueue(eff)
}

// PutEffect redacts a rewritten effect like a new one.
func (s *slaTx) PutEffect(eff Effect) error {
	s.e.redactor.Fields(&eff)
	return s.Tx.PutEffect(eff)
}

// Audit redacts an audit entry's detail: it quotes what people typed (a vendor's reference, a title).
func (s *slaTx) Audit(a AuditEntry) error {
	s.e.redactor.Fields(&a)
	return s.Tx.Audit(a)
}

// PutKBArticle redacts an article written from chat like any other text: an article is shown to everyone
// who asks, so a password in one would be a leak to the whole company.
func (s *slaTx) PutKBArticle(a kb.Article, deleted bool, author string, at time.Time, base int) (int, error) {
	s.e.redactor.Fields(&a)
	return s.Tx.PutKBArticle(a, deleted, author, at, base)
}
