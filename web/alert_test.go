package web_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/web/webtest"
)

// alertDesk is the console's desk with a route that sends critical alerts to Tier 2 at P1, and
// T-000001, the ticket of a group of two print spoolers down.
func alertDesk(t *testing.T) *webtest.Console {
	t.Helper()
	cfg := webtest.Config()
	cfg.SLA = map[string]bot.SLATarget{"P1": {Response: 15 * time.Minute, Resolution: 4 * time.Hour}}
	cfg.Alerts = bot.AlertConfig{Routes: []bot.AlertRoute{{Name: "critical", Match: map[string]string{"severity": "critical"},
		Tier: "tier2", Priority: "P1", Actions: []string{"restart-spooler"}, Resolve: true}}}
	c := webtest.New(t, webtest.Options{Desk: &cfg})
	if err := c.Desk.Alert(spoolerNotice(c.Desk.Clock.Now().Add(-10*time.Minute), "prn-3", "prn-4")); err != nil {
		t.Fatal(err)
	}
	return c
}

// spoolerNotice is Alertmanager's notification of the print spoolers of instances down since start.
func spoolerNotice(start time.Time, instances ...string) bot.AlertNotice {
	ann := map[string]string{"summary": "Print spooler down", "description": "The spooler service stopped.", "runbook_url": "https://runbooks.example.com/spooler"}
	n := bot.AlertNotice{Source: "alertmanager", Monitor: "Alertmanager", Receiver: "firstline", GroupKey: `{}:{alertname="SpoolerDown"}`,
		Status: bot.AlertFiring, ExternalURL: "http://alertmanager.example.com:9093",
		GroupLabels:       map[string]string{"alertname": "SpoolerDown"},
		CommonLabels:      map[string]string{"alertname": "SpoolerDown", "severity": "critical"},
		CommonAnnotations: ann}
	for _, in := range instances {
		n.Alerts = append(n.Alerts, bot.Alert{Status: bot.AlertFiring, StartsAt: start, Fingerprint: "fp-" + in, Annotations: ann,
			Labels:       map[string]string{"alertname": "SpoolerDown", "severity": "critical", "instance": in},
			GeneratorURL: "http://prometheus.example.com:9090/graph?g0.expr=up"})
	}
	return n
}

// TestAlertTicketPage: a monitor's ticket shows the monitor as its requester (not a person's id), what
// the monitor says of the group (its status, labels, annotations with the runbook, each alert, links to
// the monitor), its history in words, and offers a note but no reply: a monitor reads nothing.
func TestAlertTicketPage(t *testing.T) {
	c := alertDesk(t)
	tom := c.SignIn(webtest.Tech2)
	r := tom.Get("/tickets/T-000001")
	if r.Status != http.StatusOK {
		t.Fatalf("%d", r.Status)
	}
	mustContain(t, r,
		"Alertmanager (monitor)", `<span class="role">monitor</span>`, // the requester is the monitor
		"Firing: 2 alerts", "route <code>critical</code>", "<code>alertname=SpoolerDown</code>", "<code>severity=critical</code>",
		"The spooler service stopped.", `<a href="https://runbooks.example.com/spooler" rel="noopener noreferrer">Runbook</a>`,
		`<a href="http://alertmanager.example.com:9093" rel="noopener noreferrer">Open in Alertmanager</a>`,
		"<code>instance=prn-3</code>", "<code>instance=prn-4</code>", "<code>restart-spooler</code>",
		"is a monitor and reads nothing", `action="/tickets/T-000001/note"`)
	mustNotContain(t, r, `action="/tickets/T-000001/reply"`, "Reply to Alertmanager", "alerts:alertmanager</span>")
	mustContain(t, tom.Get("/tickets"), "Alertmanager (monitor)")
	// The list finds the monitors' tickets by their platform, a choice of its own.
	byPlatform := tom.Get("/tickets?status=all&platform=alerts")
	mustContain(t, byPlatform, "<option selected>alerts</option>", "T-000001")

	// The monitor says one alert stopped, then the group is resolved: the history says so in words.
	c.Desk.Clock.Advance(5 * time.Minute)
	n := spoolerNotice(c.Desk.Clock.Now().Add(-15*time.Minute), "prn-3", "prn-4")
	n.Alerts[1].Status, n.Alerts[1].EndsAt = bot.AlertResolved, c.Desk.Clock.Now()
	if err := c.Desk.Alert(n); err != nil {
		t.Fatal(err)
	}
	mustContain(t, tom.Get("/tickets/T-000001"), "Firing: 1 alert, 1 resolved", "The monitor says it fires")
	c.Desk.Clock.Advance(5 * time.Minute)
	n.Status, n.Alerts[0].Status, n.Alerts[0].EndsAt = bot.AlertResolved, bot.AlertResolved, c.Desk.Clock.Now()
	if err := c.Desk.Alert(n); err != nil {
		t.Fatal(err)
	}
	done := tom.Get("/tickets/T-000001")
	mustContain(t, done, "Resolved: 2 alerts", "The monitor says it is resolved")
	mustNotContain(t, done, "alert_resolved", "alert_firing")
}
