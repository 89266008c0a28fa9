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
		tk := g.Ticket(at)
		tk.ID = bot.TicketID(uint64(i + 1)) // the store numbers them; the failure messages need a name
		out = append(out, tk)
	}
	return out
}

// TestTicketsAreInOrderOfTime: a generated ticket's history reads forwards, as a real one does: its
// transitions and transcript never go back in time, and nobody claims a ticket after it was resolved
// unless it was reopened.
func TestTicketsAreInOrderOfTime(t *testing.T) {
	for name, desk := range desks(t) {
		t.Run(name, func(t *testing.T) {
			for _, tk := range generate(desk, 3000) {
				for i := 1; i < len(tk.Events); i++ {
					if tk.Events[i].At.Before(tk.Events[i-1].At) {
						t.Fatalf("%s: %s at %v after %s at %v\n%s", tk.ID, tk.Events[i].Type, tk.Events[i].At, tk.Events[i-1].Type, tk.Events[i-1].At, story(tk))
					}
				}
				for i := 1; i < len(tk.Transcript); i++ {
					if tk.Transcript[i].At.Before(tk.Transcript[i-1].At) {
						t.Fatalf("%s: transcript goes back in time at entry %d\n%s", tk.ID, i, story(tk))
					}
				}
				resolved := false
				for _, e := range tk.Events {
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
				if tk.UpdatedAt.Before(tk.Events[len(tk.Events)-1].At) || tk.UpdatedAt.After(now) {
					t.Fatalf("%s: updated at %v\n%s", tk.ID, tk.UpdatedAt, story(tk))
				}
			}
		})
	}
}

// story lists a ticket's transitions and clocks, for a failure message.
func story(tk *bot.Ticket) string {
	s := fmt.Sprintf("  %s %s %s created %v\n", tk.ID, tk.Priority, tk.Status, tk.CreatedAt)
	for _, e := range tk.Events {
		s += fmt.Sprintf("  %v %s %s %s %s\n", e.At, e.Type, e.Tier, e.To, e.Detail)
	}
	return s
}
