package web

// What a monitor's ticket shows of its alert group (bot.AlertGroup): what the monitor last said (firing
// or resolved, how many alerts), the labels every alert shares, the summary, description and runbook,
// each alert with what sets it apart, and links back to the monitor. A monitor is the ticket's
// requester, and it reads nothing: the page says so where a person's ticket has a reply box.

import (
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/internal/plural"
)

// alertView is the alert group of a monitor's ticket, as its page shows it.
type alertView struct {
	Monitor     string // "Alertmanager"
	Source      string // "alertmanager"
	Firing      bool
	State       string // "Firing: 2 alerts", "Resolved: 2 alerts"
	Route       string
	Labels      []labelView // shared by every alert of the group
	Summary     string
	Description string
	Runbook     string // an http(s) address, else ""
	RunbookText string // a runbook that is not an address, as the monitor said it
	Annotations []labelView
	Alerts      []alertItem
	More        string // "and 3 more alerts the monitor left out"
	Actions     []string
	External    string // the monitor's own page
	FiredAt     when
	LastAt      when
	Notices     string // "3 notifications"
}

type labelView struct{ Name, Value string }

type alertItem struct {
	Firing  bool
	Status  string
	Labels  []labelView // what sets it apart from the group's
	Summary string      // its own summary when it differs from the group's
	Started when
	Ended   when
	Link    string // the monitor's graph of it, an http(s) address
}

// isMonitorTicket reports whether t was opened by a monitor (an alert group): its requester reads
// nothing, so nothing is replied to it.
func isMonitorTicket(t *bot.Ticket) bool {
	return t.Alert != nil || t.Conversation.Platform == bot.AlertPlatform
}

// monitorLabel is how a page names a monitor that asked: "Alertmanager (monitor)", as the card does.
func monitorLabel(name string) string { return name + " (monitor)" }

func (s *Server) alertView(t *bot.Ticket) *alertView {
	g := t.Alert
	if g == nil {
		return nil
	}
	av := &alertView{
		Monitor: personName(t.RequesterName, t.Requester), Source: g.Source, Firing: g.Status == bot.AlertFiring,
		Route: g.Route, Labels: sortedLabels(g.Labels, nil), Summary: strings.TrimSpace(g.Annotations["summary"]),
		Description: strings.TrimSpace(g.Annotations["description"]), Actions: slices.Clone(g.Actions),
		External: webLink(g.ExternalURL), FiredAt: s.when(g.FiredAt), LastAt: s.when(g.LastAt),
		Notices: plural.Count(g.Notices, "notification", "notifications"),
	}
	if av.Firing {
		av.State = "Firing: " + plural.Count(g.Firing, "alert", "alerts")
		if g.Resolved > 0 {
			av.State += ", " + plural.Count(g.Resolved, "resolved", "resolved")
		}
	} else {
		av.State = "Resolved: " + plural.Count(max(g.Resolved, len(g.Alerts)), "alert", "alerts")
	}
	if rb := strings.TrimSpace(g.Annotations["runbook_url"]); rb != "" {
		if av.Runbook = webLink(rb); av.Runbook == "" {
			av.RunbookText = rb
		}
	}
	shown := map[string]bool{"summary": true, "description": true, "runbook_url": true}
	av.Annotations = sortedLabels(g.Annotations, shown)
	for _, a := range g.Alerts {
		it := alertItem{Firing: a.Status == bot.AlertFiring, Status: a.Status, Labels: sortedLabels(a.Labels, sharedKeys(g.Labels, a.Labels)),
			Started: s.when(a.StartsAt), Link: webLink(a.GeneratorURL)}
		if !a.EndsAt.IsZero() && !it.Firing {
			it.Ended = s.when(a.EndsAt)
		}
		if sum := strings.TrimSpace(a.Annotations["summary"]); sum != av.Summary {
			it.Summary = sum
		}
		av.Alerts = append(av.Alerts, it)
	}
	if left := g.Firing + g.Resolved + g.Truncated - len(g.Alerts); left > 0 {
		av.More = "and " + plural.Count(left, "more alert", "more alerts") + " not listed"
	}
	return av
}

// sortedLabels are labels sorted by name, without those in skip.
func sortedLabels(m map[string]string, skip map[string]bool) []labelView {
	var out []labelView
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if !skip[k] {
			out = append(out, labelView{Name: k, Value: m[k]})
		}
	}
	return out
}

// sharedKeys are the names of an alert's labels that the group's shared labels hold with the same value.
func sharedKeys(group, own map[string]string) map[string]bool {
	out := map[string]bool{}
	for k, v := range own {
		if gv, ok := group[k]; ok && gv == v {
			out[k] = true
		}
	}
	return out
}

// webLink is raw when it is an http or https address a page may link to, else "". A monitor's own
// pages are often on a plain http address inside the network, so http is linked too.
func webLink(raw string) string {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return raw
}
