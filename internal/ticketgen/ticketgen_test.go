package ticketgen_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/hours"
	"github.com/firstline-desk/firstline/internal/ticketgen"
)

// desks are the desks the tests generate for: the demo's (around the clock, the default warning share)
// and one on business hours, with P1 around the clock, P4 without a target and its own warning share.
func desks(t *testing.T) map[string]bot.Config {
	t.Helper()
	cal, err := hours.ParseCalendar("Europe/Paris", []string{"mon", "tue", "wed", "thu", "fri"}, "09:00", "18:00", []string{"2025-12-25", "2026-01-01"})
	if err != nil {
		t.Fatal(err)
	}
	tiers := []bot.Tier{{ID: "tier2", Name: "Tier 2", Channel: "console:tier2"}, {ID: "tier3", Name: "Tier 3", Channel: "console:tier3"}}
	return map[string]bot.Config{
		"around the clock": {Name: "Firstline", Tiers: tiers, SLA: map[string]bot.SLATarget{
			"P1": {Response: 15 * time.Minute, Resolution: 4 * time.Hour},
			"P2": {Response: time.Hour, Resolution: 8 * time.Hour},
			"P3": {Response: 4 * time.Hour, Resolution: 24 * time.Hour},
			"P4": {Response: 24 * time.Hour, Resolution: 120 * time.Hour},
		}},
		"business hours": {Name: "Firstline", Tiers: tiers, SLAWarnAt: 0.8, SLA: map[string]bot.SLATarget{
			"P1": {Response: 15 * time.Minute, Resolution: 4 * time.Hour},
			"P2": {Response: time.Hour, Resolution: 8 * time.Hour, Hours: cal},
			"P3": {Response: 4 * time.Hour, Resolution: 24 * time.Hour, Hours: cal},
		}},
	}
}

// now is a fixed instant, so the tests see the same tickets every run.
var now = time.Date(2026, 3, 4, 10, 17, 23, 123456789, time.UTC)

func generate(desk bot.Config, n int) []*bot.Ticket {
	g := ticketgen.New(desk, now, n)
	var out []*bot.Ticket
	for i, at := range g.Arrivals(n) {
		tk, _ := g.Ticket(at)
		tk.ID = bot.TicketID(uint64(i + 1)) // the store numbers them; the failure messages need a name
		out = append(out, tk)
	}
	return out
}

// TestTicketsFollowTheEngineSLA: the generated tickets carry the SLA clocks and announcements the engine
// itself would have left. Each ticket's clocks are computed again from its history by the engine's policy
// (SLAPolicy.Sync on a ticket without clocks) and must be the same; each warning and breach must be one
// the SLA loop makes (on a running clock of an active ticket not waiting, once its time has come, once,
// with the ticket's tier then); and nothing may be left due that the loop would have announced by now.
func TestTicketsFollowTheEngineSLA(t *testing.T) {
	for name, desk := range desks(t) {
		t.Run(name, func(t *testing.T) {
			policy := desk.SLAPolicy()
			tickets := generate(desk, 3000)
			clocks := 0
			for _, tk := range tickets {
				if _, ok := desk.SLA[tk.Priority]; !ok {
					if tk.SLA != nil {
						t.Fatalf("%s: %s has no SLA target, but clocks %+v", tk.ID, tk.Priority, tk.SLA)
					}
					continue
				}
				clocks++
				checkClocks(t, policy, tk)
				checkAnnouncements(t, tk)
				// The loop's last tick is 30 s before now: what fell due a tick before that was announced.
				if next, ok := tk.NextSLACheck(); ok && next.Before(now.Add(-time.Minute)) {
					t.Errorf("%s: an SLA event due at %v was never announced\n%s", tk.ID, next, story(tk))
				}
			}
			if clocks < len(tickets)/2 {
				t.Fatalf("only %d of %d tickets have clocks", clocks, len(tickets))
			}
		})
	}
}

// checkClocks computes the ticket's clocks again from its history with the engine's policy.
func checkClocks(t *testing.T, policy bot.SLAPolicy, tk *bot.Ticket) {
	t.Helper()
	again := *tk
	again.SLA = nil
	if tk.SLA != nil && tk.SLA.WaitingSince != nil {
		again.SLA = &bot.SLA{Priority: tk.Priority, WaitingSince: tk.SLA.WaitingSince}
	}
	policy.Sync(&again)
	if again.SLA == nil || tk.SLA == nil {
		t.Fatalf("%s: clocks %+v, the policy's %+v", tk.ID, tk.SLA, again.SLA)
	}
	for _, c := range []struct {
		name      string
		got, want bot.SLAClock
	}{{"response", tk.SLA.Response, again.SLA.Response}, {"resolution", tk.SLA.Resolution, again.SLA.Resolution}} {
		c.got.Warned, c.got.Breached = false, false // the loop's, checked with the announcements
		if s, w := fmt.Sprintf("%+v", clockText(c.got)), fmt.Sprintf("%+v", clockText(c.want)); s != w {
			t.Errorf("%s: %s clock\n got %s\nwant %s (the engine's)\n%s", tk.ID, c.name, s, w, story(tk))
		}
	}
}

func clockText(c bot.SLAClock) string {
	f := func(p *time.Time) string {
		if p == nil {
			return "-"
		}
		return p.UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprintf("start %s due %s warn %s met %s paused %s", f(c.Start), f(c.Due), f(c.WarnAt), f(c.Met), c.Paused)
}

// checkAnnouncements replays the ticket's history and checks each of its warnings and breaches against
// the SLA loop's rules.
func checkAnnouncements(t *testing.T, tk *bot.Ticket) {
	t.Helper()
	status, tier := bot.StatusOpen, bot.LevelOne
	var waiting bool
	said := map[string]bool{}
	for _, e := range tk.Transitions {
		switch e.Type {
		case bot.TransitionWaiting:
			waiting = true
		case bot.TransitionSLAWarned, bot.TransitionSLABreached:
			clock := &tk.SLA.Response
			if e.Detail == bot.SLAClockResolution {
				clock = &tk.SLA.Resolution
			} else if e.Detail != bot.SLAClockResponse {
				t.Fatalf("%s: %s names no clock: %q", tk.ID, e.Type, e.Detail)
			}
			key := e.Detail + " " + string(e.Type)
			when := clock.WarnAt
			if e.Type == bot.TransitionSLABreached {
				when = clock.Due
			}
			switch {
			case said[key] || said[e.Detail+" "+string(bot.TransitionSLABreached)]:
				t.Errorf("%s: %s announced twice, or after its breach\n%s", tk.ID, key, story(tk))
			case !status.Active() || waiting:
				t.Errorf("%s: %s announced at %v while %s (waiting %v)\n%s", tk.ID, key, e.At, status, waiting, story(tk))
			case when == nil || e.At.Before(*when):
				t.Errorf("%s: %s announced at %v, before its time %v\n%s", tk.ID, key, e.At, when, story(tk))
			case clock.Start == nil || e.At.Before(*clock.Start):
				t.Errorf("%s: %s announced at %v, before its clock started\n%s", tk.ID, key, e.At, story(tk))
			case e.Tier != tier:
				t.Errorf("%s: %s recorded in tier %s, while the ticket was in %s\n%s", tk.ID, key, e.Tier, tier, story(tk))
			}
			said[key] = true
		}
		if e.To != "" {
			status = e.To
		}
		if e.Type == bot.TransitionEscalated {
			tier = e.Tier
		}
	}
	// The flags the loop sets are the announcements it made.
	for _, c := range []struct {
		name  string
		clock bot.SLAClock
	}{{bot.SLAClockResponse, tk.SLA.Response}, {bot.SLAClockResolution, tk.SLA.Resolution}} {
		breached := said[c.name+" "+string(bot.TransitionSLABreached)]
		warned := breached || said[c.name+" "+string(bot.TransitionSLAWarned)]
		if c.clock.Breached != breached || c.clock.Warned != warned {
			t.Errorf("%s: %s flags warned %v breached %v, announcements warned %v breached %v\n%s", tk.ID, c.name,
				c.clock.Warned, c.clock.Breached, warned, breached, story(tk))
		}
	}
}

// TestTicketsAreInOrderOfTime: a generated ticket's history reads forwards, as a real one does: its
// transitions and transcript never go back in time, and nobody claims a ticket after it was resolved
// unless it was reopened.
func TestTicketsAreInOrderOfTime(t *testing.T) {
	for name, desk := range desks(t) {
		t.Run(name, func(t *testing.T) {
			for _, tk := range generate(desk, 3000) {
				for i := 1; i < len(tk.Transitions); i++ {
					if tk.Transitions[i].At.Before(tk.Transitions[i-1].At) {
						t.Fatalf("%s: %s at %v after %s at %v\n%s", tk.ID, tk.Transitions[i].Type, tk.Transitions[i].At, tk.Transitions[i-1].Type, tk.Transitions[i-1].At, story(tk))
					}
				}
				for i := 1; i < len(tk.Transcript); i++ {
					if tk.Transcript[i].At.Before(tk.Transcript[i-1].At) {
						t.Fatalf("%s: transcript goes back in time at entry %d\n%s", tk.ID, i, story(tk))
					}
				}
				resolved := false
				for _, e := range tk.Transitions {
					switch e.Type {
					case bot.TransitionResolved:
						resolved = true
					case bot.TransitionReopened:
						resolved = false
					case bot.TransitionClaimed, bot.TransitionEscalated:
						if resolved {
							t.Fatalf("%s: %s after it was resolved\n%s", tk.ID, e.Type, story(tk))
						}
					}
				}
				if tk.UpdatedAt.Before(tk.Transitions[len(tk.Transitions)-1].At) || tk.UpdatedAt.After(now) {
					t.Fatalf("%s: updated at %v\n%s", tk.ID, tk.UpdatedAt, story(tk))
				}
			}
		})
	}
}

// TestSameTicketsEveryRun: the generator is seeded, so a bench measures the same desk every time.
func TestSameTicketsEveryRun(t *testing.T) {
	desk := desks(t)["business hours"]
	a, b := generate(desk, 500), generate(desk, 500)
	for i := range a {
		if story(a[i]) != story(b[i]) || fmt.Sprint(a[i].SLA) != fmt.Sprint(b[i].SLA) {
			t.Fatalf("ticket %d differs between two runs:\n%s\n%s", i, story(a[i]), story(b[i]))
		}
	}
}

// story lists a ticket's transitions and clocks, for a failure message.
func story(tk *bot.Ticket) string {
	s := fmt.Sprintf("  %s %s %s created %v\n", tk.ID, tk.Priority, tk.Status, tk.CreatedAt)
	for _, e := range tk.Transitions {
		s += fmt.Sprintf("  %v %s %s %s %s\n", e.At, e.Type, e.Tier, e.To, e.Detail)
	}
	if tk.SLA != nil {
		s += "  response " + clockText(tk.SLA.Response) + "\n  resolution " + clockText(tk.SLA.Resolution) + "\n"
	}
	return s
}
