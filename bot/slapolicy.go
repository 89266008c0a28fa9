package bot

// The SLA rules, defined once: SLAPolicy, the first response, when a clock is met, what is due next.

import "time"

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
			start := at // a copy only when kept: at itself would be allocated on every call
			s.Response.Start = &start
		}
	}
	if s.Response.Start != nil && s.Response.Met == nil {
		if at, ok := FirstResponse(t, *s.Response.Start); ok {
			met := at
			s.Response.Met = &met
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
	for _, tr := range t.Transitions {
		if tr.Type == TransitionEscalated {
			return tr.At, true
		}
	}
	return time.Time{}, false
}

// FirstResponse returns when a technician first answered the requester at or after since (the first
// escalation): the earliest claim, or message to the requester (an internal note is not an answer; on a
// monitor's ticket, which reads nothing, a technician's note is the answer there is). It
// stops the response clock, and reports measure the first response time with it. ok is false while
// nobody has answered.
func FirstResponse(t *Ticket, since time.Time) (at time.Time, ok bool) {
	consider := func(x time.Time) {
		if !x.Before(since) && (!ok || x.Before(at)) {
			at, ok = x, true
		}
	}
	for _, tr := range t.Transitions {
		if tr.Type == TransitionClaimed {
			consider(tr.At)
		}
	}
	for _, en := range t.Transcript {
		if en.Role == RoleTechnician && (!en.Internal || t.fromMonitor()) {
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

// NextSLACheck is when the SLA loop next has something to say about the ticket: a warning or a breach
// not yet announced on a running clock. Stores index tickets by it, so CheckSLAs reads only tickets that
// are due. ok is false when nothing is pending (no clocks, all stopped or announced, or waiting).
func (t *Ticket) NextSLACheck() (next time.Time, ok bool) {
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
