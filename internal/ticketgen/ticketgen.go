// Package ticketgen writes the tickets of a plausible desk's three years, for `firstline bench tickets`
// and for tests that need a store of realistic size: a mix of questions the bot answers, tickets
// technicians claim, escalate and resolve, reopenings, ratings, a backlog, and SLA clocks with the warnings
// and breaches the SLA loop would have announced. It is seeded, so two runs write the same tickets.
//
// It records what the engine records (the same transitions, transcript entries and cards) and leaves the
// SLA rules to the engine's own bot.SLAPolicy, so the store it fills is what a real desk would have left
// for the indexes, the SLA loop and the report. It writes nothing: the caller stores the tickets.
package ticketgen

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/firstline-desk/firstline/bot"
)

// Generator makes the tickets of a plausible desk. It follows the engine's rules (the transitions each
// action records, the SLA clocks bot.SLAPolicy keeps, the flags the SLA loop sets) so the indexes and the
// report see what a real desk would have left, and it is seeded so two runs write the same file.
type Generator struct {
	rng      *rand.Rand
	desk     bot.Config
	sla      bot.SLAPolicy // the desk's, as the engine keeps clocks with it
	now      time.Time
	platform string
	people   int
	seq      int
}

// New returns a generator of about n tickets opened over the three years up to now, for a desk with at
// least one tier: the tiers it escalates to, its SLA targets and its name are desk's.
func New(desk bot.Config, now time.Time, n int) *Generator {
	platform, _ := bot.SplitID(desk.Tiers[0].Channel)
	// About one employee for every 20 tickets in three years: a few tickets a person a year.
	return &Generator{rng: rand.New(rand.NewPCG(1, 2)), desk: desk, sla: desk.SLAPolicy(), now: now, platform: platform, people: max(n/20, 10)}
}

// Arrivals returns n creation times over the three years up to now, in order, mostly on weekdays in
// office hours.
func (g *Generator) Arrivals(n int) []time.Time {
	span := 3 * 365 * 24 * time.Hour
	from := g.now.Add(-span)
	out := make([]time.Time, 0, n)
	for len(out) < n {
		at := from.Add(time.Duration(g.rng.Int64N(int64(span))))
		if wd := at.Weekday(); (wd == time.Saturday || wd == time.Sunday) && g.rng.Float64() < 0.9 {
			continue
		}
		if h := at.Hour(); (h < 8 || h >= 18) && g.rng.Float64() < 0.85 {
			continue
		}
		out = append(out, at)
	}
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return out
}

// duration returns a random duration around mean (exponential): most things are quick, a few slow.
func (g *Generator) duration(mean time.Duration) time.Duration {
	return time.Duration(g.rng.ExpFloat64() * float64(mean))
}

func (g *Generator) pick(list []string) string { return list[g.rng.IntN(len(list))] }

func (g *Generator) priority() string {
	switch p := g.rng.Float64(); {
	case p < 0.05:
		return "P1"
	case p < 0.20:
		return "P2"
	case p < 0.80:
		return "P3"
	}
	return "P4"
}

// outcome picks what becomes of a ticket. The backlog is a desk's real one: 30% of the last two weeks'
// tickets are still active, and a stale tail of 0.2% of older ones was never closed (at 1M tickets over
// three years, about 4,000 young and 2,000 stale: a busy desk, not a neglected one). Of those that
// finish, 40 : 45 : 5 are deflected, resolved by a human, and resolved, reopened and resolved again.
func (g *Generator) outcome(created time.Time) string {
	active := 0.002
	if g.now.Sub(created) < 14*24*time.Hour {
		active = 0.3
	}
	if g.rng.Float64() < active {
		return "active"
	}
	// A deflection that picks a question without an article becomes a human's, so slightly more than
	// 40% are drawn for it.
	switch p := g.rng.Float64() * 0.9; {
	case p < 0.40*float64(len(topics))/float64(len(topics)-1):
		return "deflected"
	case p < 0.85:
		return "human"
	}
	return "reopened"
}

// Ticket makes one ticket opened at created, and where the desk posted its messages, by key (what
// Tx.RecordPost records); call it for each of Arrivals in order.
func (g *Generator) Ticket(created time.Time) (*bot.Ticket, map[string]bot.MessageRef) {
	g.seq++
	topic := topics[g.rng.IntN(len(topics))]
	person := g.rng.IntN(g.people)
	t := &bot.Ticket{
		Version: bot.TicketVersion, Tier: bot.LevelOne, Priority: g.priority(), PrioritySource: "default",
		Requester:     fmt.Sprintf("%s:u%06d", g.platform, person),
		RequesterName: firstNames[person%len(firstNames)] + " " + lastNames[person/len(firstNames)%len(lastNames)],
		Conversation:  bot.Conversation{Platform: g.platform, Channel: "help", Thread: "q" + strconv.Itoa(g.seq)},
		Subject:       g.pick(topic.subjects) + g.pick(suffixes),
		CreatedAt:     created,
	}
	b := &draft{t: t, g: g, posts: map[string]bot.MessageRef{}}
	b.event(created, bot.TransitionOpened, bot.StatusOpen, t.Requester, "")
	b.say(created, t.Requester, t.RequesterName, bot.RoleRequester, t.Subject, false)
	outcome := g.outcome(created)
	if outcome == "deflected" && topic.article == "" {
		outcome = "human" // nothing to deflect with
	}
	answered := created.Add(2 * time.Second)

	if outcome == "deflected" {
		n := 1
		if g.rng.Float64() < 0.25 {
			if b.offer(answered, topic, 1, bot.FeedbackNotHelpful, created.Add(time.Minute+g.duration(3*time.Minute))) {
				n, answered = 2, t.UpdatedAt.Add(2*time.Second)
			}
		}
		solved := answered.Add(time.Minute + g.duration(8*time.Minute))
		if b.offer(answered, topic, n, bot.FeedbackSolved, solved) {
			b.resolve(solved, t.Requester)
		}
		return b.done()
	}

	// Toward a human: no article, one answered "talk to a human", or two with "not helpful" first.
	reason := "no article matched"
	step := created.Add(time.Minute + g.duration(4*time.Minute))
	if topic.article != "" {
		switch p := g.rng.Float64(); {
		case outcome == "active" && p < 0.2:
			// Still with the bot, waiting for the requester's feedback.
			b.offer(answered, topic, 1, "", time.Time{})
			return b.done()
		case p < 0.5:
			if !b.offer(answered, topic, 1, bot.FeedbackNotHelpful, step) {
				break
			}
			step = step.Add(time.Minute + g.duration(2*time.Minute))
			b.offer(t.UpdatedAt.Add(2*time.Second), topic, 2, bot.FeedbackHuman, step)
			reason = "the requester asked for a human"
		default:
			b.offer(answered, topic, 1, bot.FeedbackHuman, step)
			reason = "the requester asked for a human"
		}
	}
	if !b.ok(step) {
		return b.done()
	}
	b.escalate(step, g.desk.Tiers[0], t.Requester, reason)
	target := g.desk.SLA[t.Priority]
	// Most responses and resolutions come well within their targets; some (about 6% and 4%) do not.
	claimed := g.add(t.Priority, step, time.Minute+g.duration(cmp.Or(target.Response, time.Hour)*35/100))
	if outcome == "active" && g.rng.Float64() < 0.35 || !b.ok(claimed) {
		return b.done() // waiting in the tier's queue
	}
	b.claim(claimed)
	resolved := g.add(t.Priority, created, max(g.duration(cmp.Or(target.Resolution, 8*time.Hour)*3/10), claimed.Sub(created)+30*time.Minute))
	if len(g.desk.Tiers) > 1 && g.rng.Float64() < 0.2 {
		// A fifth go on to the next tier.
		up := claimed.Add(time.Duration(g.rng.Float64() * float64(resolved.Sub(claimed)) / 3))
		if b.ok(up) {
			b.escalate(up, g.desk.Tiers[1], t.Assignee, "needs "+g.desk.Tiers[1].Name)
			if at := up.Add(time.Minute + g.duration(30*time.Minute)); b.ok(at) {
				b.claim(at)
				claimed = at
				if !resolved.After(claimed) {
					// Never resolved before the claim: half an hour after it, as after the first.
					resolved = claimed.Add(30 * time.Minute)
				}
			}
		}
	}
	b.conversation(claimed, resolved, 4+g.rng.IntN(7))
	if outcome == "active" {
		if g.rng.Float64() < 0.3 {
			// Waiting on the requester: the clocks are paused.
			if at := t.UpdatedAt.Add(time.Minute); b.ok(at) {
				b.event(at, bot.TransitionWaiting, "", t.Assignee, "waiting on the requester")
				g.sla.Pause(t, at)
			}
		}
		return b.done()
	}
	if !b.ok(resolved) || t.Status != bot.StatusClaimed {
		return b.done()
	}
	b.resolve(resolved, t.Assignee)
	if outcome == "reopened" {
		back := resolved.Add(time.Hour + g.duration(24*time.Hour))
		if b.ok(back) {
			b.event(back, bot.TransitionReopened, bot.StatusClaimed, t.Requester, "")
			b.say(back, t.Requester, t.RequesterName, bot.RoleRequester, "It happened again.", false)
			t.ResolvedAt = nil
			again := back.Add(time.Hour + g.duration(8*time.Hour))
			if !b.ok(again) {
				return b.done()
			}
			b.say(again.Add(-time.Minute), t.Assignee, t.AssigneeName, bot.RoleTechnician, "Fixed for good this time, I hope.", false)
			b.resolve(again, t.Assignee)
			resolved = again
		}
	}
	b.rate(resolved)
	return b.done()
}

// add is business time after from on the calendar the priority's clocks run on.
func (g *Generator) add(priority string, from time.Time, d time.Duration) time.Time {
	return g.sla.Calendar(priority).Add(from, d)
}
