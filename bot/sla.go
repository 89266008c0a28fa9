package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/firstline-desk/firstline/kb"
)

// Calendar is business time: when the desk works. Package hours implements it; the engine only adds and
// measures with it, so the arithmetic is tested once, there.
type Calendar interface {
	// Add returns the instant d of business time after from.
	Add(from time.Time, d time.Duration) time.Time
	// Between returns the business time from a to b.
	Between(a, b time.Time) time.Duration
}

// wallClock is the calendar of 24×7 targets.
type wallClock struct{}

func (wallClock) Add(from time.Time, d time.Duration) time.Time { return from.Add(d) }
func (wallClock) Between(a, b time.Time) time.Duration          { return max(b.Sub(a), 0) }

// SLATarget is the service level of one priority.
type SLATarget struct {
	// Response is the time from escalation to the first technician reply or claim; 0 for none.
	Response time.Duration
	// Resolution is the time from opening to resolution; 0 for none.
	Resolution time.Duration
	// Hours is when the clocks run; nil runs them around the clock.
	Hours Calendar
}

// PriorityRule sets the priority of a new ticket when the requester's words contain one of Phrases
// (case-insensitive, whole words).
type PriorityRule struct {
	Name     string
	Priority string
	Phrases  []string
}

// DefaultSLAWarnAt is the share of a target after which the desk warns in the card's thread.
const DefaultSLAWarnAt = 0.75

// The names of a ticket's two SLA clocks, as the SLA loop's messages and the Detail of its sla_warned and
// sla_breached transitions say them.
const (
	SLAClockResponse   = "first response"
	SLAClockResolution = "resolution"
)

// SLAPolicy is the desk's service-level rules, and the only definition of them: when a ticket's clocks
// start, stop, pause and resume, when they fall due and when the desk warns, what the SLA loop announces,
// and the calendar each priority's time is measured on. The engine keeps every ticket's clocks with it,
// package report measures response and resolution times with it, and the bench's ticket generator
// (internal/ticketgen) writes its tickets with it, so the three cannot disagree. Get it from
// Config.SLAPolicy; the zero policy has no targets and measures wall-clock time.
//
// The response clock runs from the ticket's first escalation (FirstEscalation) to its first response
// (FirstResponse); the resolution clock from opening to resolution, and again from a reopening against
// the same deadline. Both pause while the ticket waits on the requester, and the business time waited
// moves their deadlines later.
type SLAPolicy struct {
	targets map[string]SLATarget
	vendors map[string]SLATarget
	warnAt  float64
}

// SLAPolicy returns the desk's SLA policy: the targets by priority (SLA), the vendors' response targets
// (Vendors) and the warning share (SLAWarnAt).
func (c Config) SLAPolicy() SLAPolicy {
	return SLAPolicy{targets: c.SLA, vendors: c.Vendors, warnAt: c.SLAWarnAt}
}

// target returns the priority's targets and the calendar they run on; ok is false when the priority
// has no clock (no target, or both of its durations zero).
func (p SLAPolicy) target(priority string) (SLATarget, Calendar, bool) {
	t, ok := p.targets[priority]
	if !ok || (t.Response <= 0 && t.Resolution <= 0) {
		return SLATarget{}, nil, false
	}
	return t, p.Calendar(priority), true
}

// Calendar returns the calendar the priority's clocks run on: its business hours, or around the clock
// when it has none (or no target at all).
func (p SLAPolicy) Calendar(priority string) Calendar {
	if t, ok := p.targets[priority]; ok && t.Hours != nil {
		return t.Hours
	}
	return wallClock{}
}

// Between returns the business time from a to b on the priority's calendar, 0 when b is not after a:
// the time a ticket of that priority's clocks count.
func (p SLAPolicy) Between(priority string, a, b time.Time) time.Duration {
	return p.Calendar(priority).Between(a, b)
}

func (p SLAPolicy) warnShare() float64 {
	if p.warnAt > 0 && p.warnAt < 1 {
		return p.warnAt
	}
	return DefaultSLAWarnAt
}

// VendorDue returns when a vendor given the case at since must have answered: its response target in
// its business time. ok is false when the vendor has no target.
func (p SLAPolicy) VendorDue(vendor string, since time.Time) (due time.Time, ok bool) {
	target, ok := p.vendors[vendor]
	if !ok || target.Response <= 0 {
		return time.Time{}, false
	}
	var cal Calendar = wallClock{}
	if target.Hours != nil {
		cal = target.Hours
	}
	return cal.Add(since, target.Response), true
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

// Sync brings a ticket's SLA clocks up to date with what happened to it. It derives every fact from the
// ticket (its transitions, transcript and status) rather than from the event at hand, so it can run on
// every write and give the same answer twice. Deadlines and warning times are stored on the ticket, so
// the SLA loop and reports need no calendar to find them. A ticket whose priority has no target keeps
// the clocks it has.
func (p SLAPolicy) Sync(t *Ticket) {
	target, cal, ok := p.target(t.Priority)
	if !ok {
		return
	}
	if t.SLA == nil {
		t.SLA = &SLA{Priority: t.Priority}
	}
	s := t.SLA
	repriced := s.Priority != t.Priority
	s.Priority = t.Priority

	if s.Resolution.Start == nil && target.Resolution > 0 {
		at := t.CreatedAt
		s.Resolution.Start = &at
	}
	if s.Response.Start == nil && target.Response > 0 {
		if at, ok := FirstEscalation(t); ok {
			s.Response.Start = &at
		}
	}
	if s.Response.Start != nil && s.Response.Met == nil {
		if at, ok := FirstResponse(t, *s.Response.Start); ok {
			s.Response.Met = &at
		}
	}
	if t.Status == StatusResolved && t.ResolvedAt != nil {
		if s.Resolution.Met == nil {
			at := *t.ResolvedAt
			s.Resolution.Met = &at
		}
	} else {
		s.Resolution.Met = nil // reopened: the clock runs again against the same deadline
	}

	share := p.warnShare()
	for _, c := range []struct {
		clock  *SLAClock
		target time.Duration
	}{{&s.Response, target.Response}, {&s.Resolution, target.Resolution}} {
		if c.clock.Start == nil || c.target <= 0 || (c.clock.Due != nil && !repriced) {
			continue
		}
		due := cal.Add(*c.clock.Start, c.target+c.clock.Paused)
		warn := cal.Add(*c.clock.Start, time.Duration(float64(c.target)*share)+c.clock.Paused)
		c.clock.Due, c.clock.WarnAt = &due, &warn
		if repriced {
			// A new priority means new targets: warn and breach against them, once each.
			c.clock.Warned, c.clock.Breached = false, false
		}
	}
}

// FirstEscalation returns when the ticket first went to a tier: where its response clock starts. ok is
// false for a ticket the bot alone has handled.
func FirstEscalation(t *Ticket) (at time.Time, ok bool) {
	for _, tr := range t.Events {
		if tr.Type == TransitionEscalated {
			return tr.At, true
		}
	}
	return time.Time{}, false
}

// FirstResponse returns when a technician first answered the requester at or after since (the first
// escalation): the earliest claim, or message to the requester (an internal note is not an answer). It
// stops the response clock, and reports measure the first response time with it. ok is false while
// nobody has answered.
func FirstResponse(t *Ticket, since time.Time) (at time.Time, ok bool) {
	consider := func(x time.Time) {
		if !x.Before(since) && (!ok || x.Before(at)) {
			at, ok = x, true
		}
	}
	for _, tr := range t.Events {
		if tr.Type == TransitionClaimed {
			consider(tr.At)
		}
	}
	for _, en := range t.Transcript {
		if en.Role == RoleTechnician && !en.Internal {
			consider(en.At)
		}
	}
	return at, ok
}

// Pause stops the clocks while the ticket waits on the requester. It reports false when there is nothing
// to pause: no clocks, already waiting, or resolved.
func (p SLAPolicy) Pause(t *Ticket, now time.Time) bool {
	if t.SLA == nil || t.SLA.WaitingSince != nil || !t.Status.Active() {
		return false
	}
	at := now
	t.SLA.WaitingSince = &at
	return true
}

// Resume restarts the clocks when the requester answers: the time waited, in business time, moves every
// running deadline (and warning time) later, and is kept as Paused. It reports false when the ticket was
// not waiting.
func (p SLAPolicy) Resume(t *Ticket, now time.Time) bool {
	if t.SLA == nil || t.SLA.WaitingSince == nil {
		return false
	}
	since := *t.SLA.WaitingSince
	t.SLA.WaitingSince = nil
	_, cal, ok := p.target(t.SLA.Priority)
	if !ok {
		return true
	}
	waited := cal.Between(since, now)
	for _, c := range []*SLAClock{&t.SLA.Response, &t.SLA.Resolution} {
		if c.Start == nil || c.Met != nil || c.Due == nil {
			continue
		}
		c.Paused += waited
		due, warn := cal.Add(*c.Due, waited), cal.Add(*c.WarnAt, waited)
		c.Due, c.WarnAt = &due, &warn
	}
	return true
}

// Announce records what the SLA loop announces at now on the ticket's running clocks, each once: a breach
// once a clock's deadline has passed (it stands for its warning too), else a warning once its warning
// time has passed. Nothing is announced while the ticket waits on the requester, or once it is resolved.
// Each announcement is flagged on its clock and recorded as a transition (TransitionSLAWarned or
// TransitionSLABreached, Detail the clock's name), then handed to tell, which may change the ticket
// further (a breach may escalate it) before the next clock is looked at. tell may be nil.
func (p SLAPolicy) Announce(t *Ticket, now time.Time, tell func(clock string, breach bool, due time.Time) error) error {
	s := t.SLA
	if s == nil || s.WaitingSince != nil || !t.Status.Active() {
		return nil
	}
	for _, c := range []struct {
		name  string
		clock *SLAClock
	}{{SLAClockResponse, &s.Response}, {SLAClockResolution, &s.Resolution}} {
		cl := c.clock
		if cl.Start == nil || cl.Met != nil {
			continue
		}
		var typ TransitionType
		switch {
		case !cl.Breached && cl.Due != nil && !now.Before(*cl.Due):
			cl.Breached, cl.Warned = true, true
			typ = TransitionSLABreached
		case !cl.Warned && cl.WarnAt != nil && !now.Before(*cl.WarnAt):
			cl.Warned = true
			typ = TransitionSLAWarned
		default:
			continue
		}
		t.transition(now, typ, "", "", c.name)
		if tell == nil {
			continue
		}
		var due time.Time
		if cl.Due != nil {
			due = *cl.Due
		}
		if err := tell(c.name, typ == TransitionSLABreached, due); err != nil {
			return err
		}
	}
	return nil
}

// Outcome is how a clock was decided, for reports. A clock with a deadline is met when it stopped at or
// before it (decided at Met), and breached when it stopped after it, or still runs and the SLA loop has
// announced the breach (decided at Due). ok is false while it runs unannounced, and for a clock without a
// deadline: a report does not judge a running clock itself, as only the loop knows the time paused.
func (c SLAClock) Outcome() (at time.Time, met, ok bool) {
	switch {
	case c.Due == nil:
		return time.Time{}, false, false
	case c.Met != nil && !c.Met.After(*c.Due):
		return *c.Met, true, true
	case c.Met != nil || c.Breached:
		return *c.Due, false, true
	}
	return time.Time{}, false, false
}

// NextSLAEvent is when the SLA loop next has something to say about the ticket: a warning or a breach
// not yet announced on a running clock. Stores index tickets by it, so CheckSLAs reads only tickets that
// are due. ok is false when nothing is pending (no clocks, all stopped or announced, or waiting).
func (t *Ticket) NextSLAEvent() (next time.Time, ok bool) {
	consider := func(at *time.Time) {
		if at != nil && (!ok || at.Before(next)) {
			next, ok = *at, true
		}
	}
	if v := t.Vendor; v != nil && v.Back == nil && !v.Breached && t.Status == StatusPendingVendor {
		consider(v.Due)
	}
	if s := t.Survey; s != nil && t.Status == StatusResolved && t.CSAT == nil && !s.Reminded {
		consider(s.RemindAt)
	}
	if t.SLA == nil || t.SLA.WaitingSince != nil || !t.Status.Active() {
		return next, ok
	}
	for _, c := range []*SLAClock{&t.SLA.Response, &t.SLA.Resolution} {
		if c.Start == nil || c.Met != nil {
			continue
		}
		if !c.Warned {
			consider(c.WarnAt)
		}
		if !c.Breached {
			consider(c.Due)
		}
	}
	return next, ok
}

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
