package ticketgen

import (
	"slices"
	"time"

	"github.com/firstline-desk/firstline/bot"
)

// syncSLA sets the clocks as the engine's syncSLA would from the ticket's history, then the flags and
// transitions of the warnings and breaches the SLA loop (every 30 s) would have announced by now.
func (g *Generator) syncSLA(t *bot.Ticket) {
	target, ok := g.desk.SLA[t.Priority]
	if !ok {
		return
	}
	s := &bot.SLA{Priority: t.Priority}
	if t.SLA != nil {
		s.WaitingSince = t.SLA.WaitingSince
	}
	t.SLA = s
	share := g.desk.SLAWarnAt
	if share <= 0 || share >= 1 {
		share = bot.DefaultSLAWarnAt
	}
	at := func(x time.Time) *time.Time { return &x }
	set := func(c *bot.SLAClock, start time.Time, d time.Duration) {
		c.Start = at(start)
		c.Due = at(g.add(t.Priority, start, d))
		c.WarnAt = at(g.add(t.Priority, start, time.Duration(float64(d)*share)))
	}
	if target.Resolution > 0 {
		set(&s.Resolution, t.CreatedAt, target.Resolution)
		if t.Status == bot.StatusResolved && t.ResolvedAt != nil {
			s.Resolution.Met = at(*t.ResolvedAt)
		}
	}
	if target.Response > 0 {
		for _, e := range t.Events {
			if e.Type == bot.TransitionEscalated {
				set(&s.Response, e.At, target.Response)
				break
			}
		}
		if s.Response.Start != nil {
			for _, e := range t.Events {
				if e.Type == bot.TransitionClaimed && (s.Response.Met == nil || e.At.Before(*s.Response.Met)) {
					s.Response.Met = at(e.At)
				}
			}
			for _, e := range t.Transcript {
				if e.Role == bot.RoleTechnician && !e.Internal && !e.At.Before(*s.Response.Start) && (s.Response.Met == nil || e.At.Before(*s.Response.Met)) {
					s.Response.Met = at(e.At)
				}
			}
		}
	}
	g.announce(t)
}

// announce sets what the SLA loop would have sent by its last tick before now: a warning or breach on a
// clock still running at the tick, each once, with its transition at the tick.
func (g *Generator) announce(t *bot.Ticket) {
	s := t.SLA
	if s == nil {
		return
	}
	horizon := g.now.Add(-30 * time.Second)
	if s.WaitingSince != nil && s.WaitingSince.Before(horizon) {
		horizon = *s.WaitingSince
	}
	tick := func(x time.Time) time.Time { return x.Truncate(30 * time.Second).Add(30 * time.Second) }
	for _, c := range []struct {
		name  string
		clock *bot.SLAClock
	}{{"first response", &s.Response}, {"resolution", &s.Resolution}} {
		cl := c.clock
		if cl.Start == nil {
			continue
		}
		running := func(x time.Time) bool {
			return !tick(x).After(horizon) && (cl.Met == nil || tick(x).Before(*cl.Met))
		}
		if !cl.Warned && running(*cl.WarnAt) && tick(*cl.WarnAt).Before(tick(*cl.Due)) {
			cl.Warned = true
			t.Events = append(t.Events, bot.Transition{At: tick(*cl.WarnAt), Type: bot.TransitionSLAWarned, Tier: t.Tier, Detail: c.name})
		}
		if !cl.Breached && running(*cl.Due) {
			cl.Breached, cl.Warned = true, true
			t.Events = append(t.Events, bot.Transition{At: tick(*cl.Due), Type: bot.TransitionSLABreached, Tier: t.Tier, Detail: c.name})
		}
	}
	slices.SortStableFunc(t.Events, func(a, b bot.Transition) int { return a.At.Compare(b.At) })
	if last := t.Events[len(t.Events)-1].At; last.After(t.UpdatedAt) {
		t.UpdatedAt = last
	}
}
