package main

// Alerts open tickets: [alerts] and [[alert_routes]] in the config, and the receiver (adapters/alerts)
// on the desk's HTTP listener.

import (
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/firstline-desk/firstline/adapters/alerts"
	"github.com/firstline-desk/firstline/bot"
)

// AlertsConfig is [alerts]: the receiver of monitors' alerts.
type AlertsConfig struct {
	// Token is the bearer token monitors send; set, the receiver runs on http.listen.
	Token string `toml:"token"`
	// FloodNotices is how many notifications of one route may post in its tier channel per
	// FloodWindow; past that, alerts still open and update tickets, without posting, and the channel
	// gets one notice. 0 sets no limit.
	FloodNotices int      `toml:"flood_notices"`
	FloodWindow  Duration `toml:"flood_window"`
}

// AlertRouteConfig is one [[alert_routes]]: the alert groups whose labels match go to a tier.
type AlertRouteConfig struct {
	Name     string            `toml:"name"`
	Match    map[string]string `toml:"match"`
	Tier     string            `toml:"tier"`
	Priority string            `toml:"priority"`
	Actions  []string          `toml:"actions"`
	Resolve  bool              `toml:"resolve"`
}

// Defaults of [alerts].
const (
	defaultAlertFloodNotices = 20
	defaultAlertFloodWindow  = 10 * time.Minute
)

// alertsOn reports whether the desk receives alerts.
func (c Config) alertsOn() bool { return strings.TrimSpace(c.Alerts.Token) != "" }

// labelName is a Prometheus label name.
var labelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// alertsProblems are what is wrong in [alerts] and [[alert_routes]].
func (c Config) alertsProblems(add func(format string, args ...any)) {
	a := c.Alerts
	switch {
	case !c.alertsOn() && len(c.AlertRoutes) > 0:
		add("alerts.token: [[alert_routes]] are set but the receiver is off: give monitors a token, written token = \"${ALERTS_TOKEN}\"")
	case c.alertsOn() && c.HTTP.Listen == "":
		add("http.listen: the alert receiver (alerts.token) runs on the desk's HTTP listener: give it an address, like \":8080\"")
	}
	if a.FloodNotices < 0 || a.FloodWindow < 0 {
		add("alerts: flood_notices and flood_window must not be negative (flood_notices = 0 sets no limit)")
	}
	var tiers []string
	for _, t := range c.Tiers {
		tiers = append(tiers, t.ID)
	}
	names := map[string]bool{}
	for i, r := range c.AlertRoutes {
		key := fmt.Sprintf("alert_routes[%d]", i)
		if r.Name != "" {
			if !idPattern.MatchString(r.Name) {
				add("%s.name: %q must be lower-case letters, digits, - or _", key, r.Name)
			} else if names[r.Name] {
				add("%s.name: %q names another route", key, r.Name)
			}
			names[r.Name] = true
		}
		for k, v := range r.Match {
			switch {
			case !labelName.MatchString(k):
				add("%s.match: %q is not a label name (letters, digits and _, not starting with a digit)", key, k)
			case v == "":
				add("%s.match.%s: an empty value never matches (a label without a value is not there)", key, k)
			}
		}
		if r.Tier != "" && !slices.Contains(tiers, r.Tier) {
			add("%s.tier: no tier %q (the tiers are %s)", key, r.Tier, strings.Join(tiers, ", "))
		}
		if r.Priority != "" && !validPriority(r.Priority) {
			add("%s.priority: %q is not P1, P2, P3 or P4", key, r.Priority)
		}
		for j, id := range r.Actions {
			if !actionIDPattern.MatchString(id) {
				add("%s.actions[%d]: %q is not an action id", key, j, id)
			}
		}
	}
}

// alertConfig is the engine's view of the routes.
func (c Config) alertConfig() bot.AlertConfig {
	out := bot.AlertConfig{FloodNotices: c.Alerts.FloodNotices, FloodWindow: time.Duration(c.Alerts.FloodWindow)}
	for _, r := range c.AlertRoutes {
		out.Routes = append(out.Routes, bot.AlertRoute{Name: r.Name, Match: r.Match, Tier: r.Tier, Priority: r.Priority,
			Actions: r.Actions, Resolve: r.Resolve})
	}
	return out
}

// mountAlerts puts the alert receiver on the desk's listener, when the desk receives alerts.
func (m *Main) mountAlerts(mux *http.ServeMux, cfg Config, h bot.Handler, logger *slog.Logger) (bool, error) {
	if !cfg.alertsOn() {
		return false, nil
	}
	rcv, err := alerts.New(alerts.Config{Token: strings.TrimSpace(cfg.Alerts.Token)}, h, logger)
	if err != nil {
		return false, err
	}
	rcv.Register(mux)
	return true, nil
}
