package bot

// Alert routes: which tier works an alert group's ticket, at which priority, with which actions
// suggested, and whether the monitor's "resolved" resolves it.

import (
	"fmt"
	"slices"
	"time"
)

// AlertConfig is how the desk takes alerts.
type AlertConfig struct {
	// Routes are tried in order; the first whose Match the group's labels satisfy wins. A group no route
	// matches goes to DefaultAlertRoute.
	Routes []AlertRoute
	// FloodNotices is how many notifications of one route may post in its tier channel (a card, an
	// update of it, a note in its thread) within FloodWindow (default DefaultAlertFloodWindow). Past
	// that, a notification still opens or changes its ticket but posts nothing, and the tier channel
	// gets one notice that the route floods. 0 sets no limit.
	FloodNotices int
	FloodWindow  time.Duration
}

// AlertRoute sends the alert groups whose labels match to a tier.
type AlertRoute struct {
	// Name names the route in logs, on the flood notice and on its tickets.
	Name string
	// Match are labels the group's alerts must all have, each with exactly this value (Alertmanager's
	// commonLabels: group by the labels you route on). An empty Match matches every group.
	Match map[string]string
	// Tier works the tickets; "" is the first tier.
	Tier string
	// Priority of the tickets ("P1".."P4"); "" is the desk's default.
	Priority string
	// Actions are the ids of actions the card suggests.
	Actions []string
	// Resolve: a resolved notification resolves the ticket. Without it, the notification adds a note and
	// a technician resolves the ticket.
	Resolve bool
}

// DefaultAlertRouteName names the route of a group no configured route matches.
const DefaultAlertRouteName = "default"

// DefaultAlertFloodWindow is the span a route's FloodNotices are counted over when none is given.
const DefaultAlertFloodWindow = 10 * time.Minute

// matches reports whether the group's labels have every label of the route's Match, with its value.
func (r AlertRoute) matches(labels map[string]string) bool {
	for k, v := range r.Match {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// alertRoute is the route of a group with these labels: the first that matches, or the default route
// (the first tier, at the desk's default priority, no actions, resolved by a technician), so an alert
// nobody routed is still in front of someone rather than refused and lost (Alertmanager drops a
// notification its receiver refused). The route's tier and priority are filled in.
func (c *Config) alertRoute(labels map[string]string) AlertRoute {
	r := AlertRoute{Name: DefaultAlertRouteName}
	for i, route := range c.Alerts.Routes {
		if route.matches(labels) {
			r = route
			if r.Name == "" {
				r.Name = fmt.Sprintf("route-%d", i+1)
			}
			break
		}
	}
	if r.Tier == "" && len(c.Tiers) > 0 {
		r.Tier = c.Tiers[0].ID
	}
	if r.Priority == "" {
		r.Priority = c.DefaultPriority
	}
	return r
}

// alertProblems reports what makes the alert routes unusable: a tier or priority that does not exist.
func (c Config) alertProblems() []string {
	var problems []string
	names := map[string]bool{}
	for i, r := range c.Alerts.Routes {
		what := fmt.Sprintf("alert route %d", i+1)
		if r.Name != "" {
			what = fmt.Sprintf("alert route %q", r.Name)
			if names[r.Name] {
				problems = append(problems, fmt.Sprintf("%s is defined twice", what))
			}
			names[r.Name] = true
		}
		if _, _, ok := c.tier(r.Tier); r.Tier != "" && !ok {
			problems = append(problems, fmt.Sprintf("%s: no tier %q", what, r.Tier))
		}
		if r.Priority != "" && !slices.Contains([]string{"P1", "P2", "P3", "P4"}, r.Priority) {
			problems = append(problems, fmt.Sprintf("%s: priority %q is not P1, P2, P3 or P4", what, r.Priority))
		}
	}
	if c.Alerts.FloodNotices < 0 || c.Alerts.FloodWindow < 0 {
		problems = append(problems, "alert flood limit: notices and window must not be negative")
	}
	return problems
}
