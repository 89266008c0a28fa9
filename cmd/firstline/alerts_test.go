package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/adapters/alerts"
	"github.com/firstline-desk/firstline/adapters/slack/fakeslack"
	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/storage"
)

// alertmanagerPayload is a notification as Alertmanager's webhook sends it (payload version 4).
func alertmanagerPayload(status, instance, endsAt string) string {
	return `{"receiver":"firstline","status":"` + status + `","alerts":[{"status":"` + status + `","labels":{"alertname":"PrintSpoolerDown",
"instance":"` + instance + `","job":"windows","severity":"critical"},"annotations":{"summary":"Print spooler down on ` + instance + `",
"description":"The Print Spooler service has been stopped for 5 minutes.","runbook_url":"https://runbooks.example.com/print-spooler"},
"startsAt":"2026-11-02T08:50:00Z","endsAt":"` + endsAt + `","generatorURL":"http://prometheus.example.com:9090/graph?g0.expr=up",
"fingerprint":"8d3f2a61c0b5e7a4"}],"groupLabels":{"alertname":"PrintSpoolerDown"},"commonLabels":{"alertname":"PrintSpoolerDown",
"instance":"` + instance + `","job":"windows","severity":"critical"},"commonAnnotations":{"summary":"Print spooler down on ` + instance + `"},
"externalURL":"http://alertmanager.example.com:9093","version":"4","groupKey":"{}/{severity=\"critical\"}:{alertname=\"PrintSpoolerDown\"}",
"truncatedAlerts":0}`
}

func postAlert(t *testing.T, url, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestAlertsThroughTheDesk runs the desk with Slack (the fake) and [alerts]: Alertmanager's webhook on
// the desk's HTTP listener opens a ticket whose card reaches the route's tier channel on Slack, a repeat
// updates that card, "resolved" resolves the ticket with a note in the card's thread, and a bad token or
// a malformed body is refused and changes nothing. The data file, read after the desk stops, holds one
// ticket, resolved, opened when the alert fired.
func TestAlertsThroughTheDesk(t *testing.T) {
	fake := fakeslack.New(t)
	name := filepath.Join(t.TempDir(), "firstline.toml")
	data := t.TempDir()
	cfg := `
[slack]
enabled = true
bot_token = "${SLACK_BOT_TOKEN}"
app_token = "${SLACK_APP_TOKEN}"
api_url = "` + fake.APIURL() + `"

[http]
listen = "127.0.0.1:0"

[alerts]
token = "${ALERTS_TOKEN}"

[[alert_routes]]
name = "critical"
match = { severity = "critical" }
tier = "tier2"
priority = "P1"
actions = ["restart-spooler"]
resolve = true

[[actions]]
id = "restart-spooler"
title = "Restart the print spooler"
runner = "exec"
command = ["/usr/local/bin/restart-spooler", "{{instance}}"]
requesters = ["technicians"]
[[actions.params]]
name = "instance"
type = "string"
pattern = "prn-[0-9]+"
required = true

[sla.P1]
response = "15m"
resolution = "4h"
business_hours = false

[[tiers]]
id = "tier2"
name = "Tier 2"
channel = "slack:CTIER2"
members = ["slack:UTOM"]

[kb]
dir = "KBDIR"
`
	// Relative paths in a config are read from its folder: the demo's articles are named whole.
	kbDir, err := filepath.Abs("demo/kb")
	if err != nil {
		t.Fatal(err)
	}
	cfg = strings.Replace(cfg, "KBDIR", filepath.ToSlash(kbDir), 1)
	if err := os.WriteFile(name, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	const token = "alerts-test-token"
	env := func(k string) (string, bool) {
		v, ok := map[string]string{"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_APP_TOKEN": "xapp-test", "ALERTS_TOKEN": token}[k]
		return v, ok
	}
	var out, errOut syncBuffer
	m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Getenv: env}
	ctx, cancel := context.WithCancel(context.Background())
	code := make(chan int, 1)
	go func() { code <- m.Run(ctx, []string{"-data", data, "-config", name}) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case c := <-code:
			if c != 0 {
				t.Errorf("exit %d\n%s", c, errOut.String())
			}
		case <-time.After(15 * time.Second):
			t.Error("the desk did not stop")
		}
	}
	defer stop()

	addr := listenAddr(t, &out)
	if !strings.Contains(out.String(), "Alerts: Alertmanager posts to http://"+addr+alerts.AlertmanagerPath) {
		t.Fatalf("the desk does not say where alerts go:\n%s", out.String())
	}
	fake.WaitConnections(t, 1)
	url := "http://" + addr + alerts.AlertmanagerPath

	if c, body := postAlert(t, url, "wrong", alertmanagerPayload("firing", "prn-3", "0001-01-01T00:00:00Z")); c != http.StatusUnauthorized {
		t.Fatalf("a wrong token: %d %s", c, body)
	}
	if c, body := postAlert(t, url, token, `{"version":"4","status":"firing"`); c != http.StatusBadRequest || !strings.Contains(body, "not valid JSON") {
		t.Fatalf("a malformed body: %d %s", c, body)
	}
	if c, body := postAlert(t, url, token, alertmanagerPayload("firing", "prn-3", "0001-01-01T00:00:00Z")); c != http.StatusOK {
		t.Fatalf("firing: %d %s", c, body)
	}
	card := fake.WaitPosted(t, 1)[0]
	if card.Channel != "CTIER2" {
		t.Fatalf("the card went to %s", card.Channel)
	}
	for _, want := range []string{"Print spooler down on prn-3", "instance=prn-3", "severity=critical", "runbooks.example.com/print-spooler", "!run restart-spooler", "P1"} {
		if !strings.Contains(string(card.Blocks), want) {
			t.Fatalf("the card lacks %q:\n%s", want, card.Blocks)
		}
	}

	// A repeat that says more (another printer) updates the card in place.
	if c, body := postAlert(t, url, token, alertmanagerPayload("firing", "prn-4", "0001-01-01T00:00:00Z")); c != http.StatusOK {
		t.Fatalf("repeat: %d %s", c, body)
	}
	updates := fake.WaitCalls(t, "chat.update", 1)
	if !strings.Contains(updates[0].Form.Get("blocks"), "prn-4") {
		t.Fatalf("the update does not show the new alert: %s", updates[0].Form.Get("blocks"))
	}

	if c, body := postAlert(t, url, token, alertmanagerPayload("resolved", "prn-4", "2026-11-02T09:30:00Z")); c != http.StatusOK {
		t.Fatalf("resolved: %d %s", c, body)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var note bool
		for _, p := range fake.Posted() {
			if p.ThreadTS == card.TS && strings.Contains(p.Text+string(p.Blocks), "the alert is resolved") {
				note = true
			}
		}
		if note {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no note of the resolution in the card's thread: %+v", fake.Posted())
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()

	db, err := storage.Open(filepath.Join(data, "firstline.db"), storage.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ts []*bot.Ticket
	if err := db.View(context.Background(), func(tx bot.Tx) error {
		var err error
		ts, err = tx.FindTickets(bot.TicketFilter{})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(ts) != 1 || ts[0].Status != bot.StatusResolved || ts[0].Priority != "P1" || ts[0].Requester != "alerts:alertmanager" ||
		!ts[0].CreatedAt.Equal(time.Date(2026, 11, 2, 8, 50, 0, 0, time.UTC)) || ts[0].Survey != nil {
		t.Fatalf("tickets: %d, the first %+v", len(ts), ts[0])
	}
}

// TestAlertsConfig: [alerts] and [[alert_routes]] reach the engine as written, with the flood limit's
// defaults; and each mistake is said by its key.
func TestAlertsConfig(t *testing.T) {
	good := minimal + `
[http]
listen = "127.0.0.1:9090"
[alerts]
token = "${ALERTS_TOKEN}"
[[alert_routes]]
name = "critical"
match = { severity = "critical", team = "db" }
tier = "tier2"
priority = "P1"
actions = ["restart-spooler"]
resolve = true
[[alert_routes]]
match = {}

[[actions]]
id = "restart-spooler"
title = "Restart the print spooler"
runner = "exec"
command = ["/usr/local/bin/restart-spooler", "{{instance}}"]
requesters = ["technicians"]
[[actions.params]]
name = "instance"
type = "string"
pattern = "prn-[0-9]+"
required = true
`
	env := func(k string) (string, bool) { return "t0ken", k == "ALERTS_TOKEN" }
	cfg, err := ParseConfig("good.toml", []byte(good), env)
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.Bot().Alerts
	if a.FloodNotices != 20 || a.FloodWindow != 10*time.Minute || len(a.Routes) != 2 || !cfg.alertsOn() {
		t.Fatalf("alerts: %+v", a)
	}
	if r := a.Routes[0]; r.Name != "critical" || r.Match["team"] != "db" || r.Tier != "tier2" || r.Priority != "P1" || !r.Resolve || r.Actions[0] != "restart-spooler" {
		t.Fatalf("route: %+v", r)
	}
	for _, c := range []struct{ name, toml, want string }{
		{"routes without a token", minimal + "[[alert_routes]]\ntier = \"tier2\"\n", "alerts.token: [[alert_routes]] are set but the receiver is off"},
		{"a token without a listener", minimal + "[alerts]\ntoken = \"x\"\n", "http.listen: the alert receiver"},
		{"no such tier", minimal + "[http]\nlisten = \":1\"\n[alerts]\ntoken = \"x\"\n[[alert_routes]]\ntier = \"tier9\"\n", `alert_routes[0].tier: no tier "tier9" (the tiers are tier2)`},
		{"bad priority", minimal + "[http]\nlisten = \":1\"\n[alerts]\ntoken = \"x\"\n[[alert_routes]]\npriority = \"high\"\n", `alert_routes[0].priority: "high" is not P1`},
		{"empty value", minimal + "[http]\nlisten = \":1\"\n[alerts]\ntoken = \"x\"\n[[alert_routes]]\nmatch = { severity = \"\" }\n", "alert_routes[0].match.severity: an empty value never matches"},
		{"bad label", minimal + "[http]\nlisten = \":1\"\n[alerts]\ntoken = \"x\"\n[[alert_routes]]\nmatch = { \"2x\" = \"y\" }\n", `alert_routes[0].match: "2x" is not a label name`},
		{"two names", minimal + "[http]\nlisten = \":1\"\n[alerts]\ntoken = \"x\"\n[[alert_routes]]\nname = \"a\"\n[[alert_routes]]\nname = \"a\"\n", `alert_routes[1].name: "a" names another route`},
		{"no such action", minimal + "[http]\nlisten = \":1\"\n[alerts]\ntoken = \"x\"\n[[alert_routes]]\nactions = [\"restart-spooler\"]\n", `alert_routes[0].actions[0]: no action "restart-spooler" in [[actions]] (none is defined)`},
		{"negative flood", minimal + "[http]\nlisten = \":1\"\n[alerts]\ntoken = \"x\"\nflood_notices = -1\n", "alerts: flood_notices and flood_window must not be negative"},
	} {
		_, err := ParseConfig("x.toml", []byte(c.toml), noEnv)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
}
