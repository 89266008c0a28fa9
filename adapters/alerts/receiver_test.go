package alerts_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/adapters/alerts"
	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/bot/bottest"
	"github.com/firstline-desk/firstline/storage"
)

const token = "s3cret-alerts-token"

// desk is a desk on a real data file behind the receiver: every notification the receiver takes is
// handled by the engine and what it causes is performed before the answer, so the test reads the
// fake chat right after.
type desk struct {
	*bottest.Desk
	db  *storage.DB
	srv *httptest.Server
}

// flushing hands events to the engine and performs what they cause.
type flushing struct{ d *bottest.Desk }

func (f flushing) Handle(ctx context.Context, ev bot.Event) error { return f.d.Handle(ev) }

func newDesk(t *testing.T, floodNotices int) *desk {
	t.Helper()
	db, err := storage.Open(filepath.Join(t.TempDir(), "firstline.db"), storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Check(); err != nil {
			t.Errorf("data file check: %v", err)
		}
		db.Close()
	})
	tom := bottest.User("tom")
	cfg := bot.Config{
		Name: "Firstline", CommandPrefix: "!", Reactions: bot.DefaultReactions, MinConfidence: 0.5, SuggestConfidence: 0.35,
		ReopenWindow: 7 * 24 * time.Hour, DefaultPriority: "P3",
		Tiers: []bot.Tier{{ID: "tier2", Name: "Tier 2", Channel: "test:tier2", Members: []string{tom}}},
		SLA:   map[string]bot.SLATarget{"P1": {Response: 15 * time.Minute, Resolution: 4 * time.Hour}},
		Alerts: bot.AlertConfig{FloodNotices: floodNotices, FloodWindow: 10 * time.Minute, Routes: []bot.AlertRoute{
			{Name: "critical", Match: map[string]string{"severity": "critical"}, Tier: "tier2", Priority: "P1", Actions: []string{"restart-spooler"}, Resolve: true},
		}},
	}
	d := bottest.NewDesk(t, cfg, db, &bottest.Library{})
	rcv, err := alerts.New(alerts.Config{Token: token}, flushing{d}, nil)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	rcv.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &desk{Desk: d, db: db, srv: srv}
}

// post sends body to path with the token, as JSON, and returns the status and the answer.
func (d *desk) post(t *testing.T, path, body string, header ...string) (int, map[string]string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, d.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	for i := 0; i+1 < len(header); i += 2 {
		if header[i+1] == "" {
			req.Header.Del(header[i])
		} else {
			req.Header.Set(header[i], header[i+1])
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var answer map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
		t.Fatalf("answer to %s is not JSON: %v", path, err)
	}
	return resp.StatusCode, answer
}

func testdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func (d *desk) tickets(t *testing.T) []*bot.Ticket {
	t.Helper()
	var ts []*bot.Ticket
	if err := d.db.View(context.Background(), func(tx bot.Tx) error {
		var err error
		ts, err = tx.FindTickets(bot.TicketFilter{})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return ts
}

func contains(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Fatalf("%s does not contain %q:\n%s", what, w, got)
		}
	}
}

// TestAlertmanagerFiringRepeatResolved: Alertmanager's webhook, as it sends it, opens a ticket whose card
// reaches the tier channel (labels, annotations, suggested actions, the SLA from when it fired); the same
// notification sent again changes nothing; a repeat that says more updates the same ticket; "resolved"
// resolves it, as the route says, with a note in the card's thread.
func TestAlertmanagerFiringRepeatResolved(t *testing.T) {
	d := newDesk(t, 0)
	firing := testdata(t, "alertmanager-firing.json")
	if code, answer := d.post(t, alerts.AlertmanagerPath, firing); code != http.StatusOK || answer["status"] != "ok" {
		t.Fatalf("firing: %d %v", code, answer)
	}
	cards := d.Chat.Messages("tier2")
	if len(cards) != 1 {
		t.Fatalf("want one card, got %d", len(cards))
	}
	card := cards[0]
	contains(t, "card", card.Text(), "T-000001: PrintSpoolerDown: Print spooler down on prn-3", "stopped for 5 minutes",
		"Runbook: https://runbooks.example.com/print-spooler", "`instance=prn-3:9182`", "`severity=critical`", "`!run restart-spooler`")
	if card.Field("Priority") != "P1" || card.Field("Requester") != "Alertmanager (monitor)" || !strings.HasPrefix(card.Field("SLA due"), "response Mon 2 Nov 09:05") {
		t.Fatalf("card fields: %+v", card.Post.Fields)
	}

	d.Clock.Advance(time.Minute)
	if code, _ := d.post(t, alerts.AlertmanagerPath, firing); code != http.StatusOK {
		t.Fatalf("firing again: %d", code)
	}
	if n := d.Chat.Count(); n != 1 {
		t.Fatalf("a notification sent again posted: %d messages", n)
	}

	d.Clock.Advance(5 * time.Minute)
	if code, _ := d.post(t, alerts.AlertmanagerPath, testdata(t, "alertmanager-repeat.json")); code != http.StatusOK {
		t.Fatalf("repeat: %d", code)
	}
	if ts := d.tickets(t); len(ts) != 1 || ts[0].Alert.Firing != 2 {
		t.Fatalf("the repeat did not update the one ticket: %d tickets", len(ts))
	}
	contains(t, "card", card.Text(), "`instance=prn-4:9182`")
	if card.Field("Alert") != "firing (2 alerts)" {
		t.Fatalf("card alert field %q", card.Field("Alert"))
	}

	d.Clock.Advance(20 * time.Minute)
	if code, _ := d.post(t, alerts.AlertmanagerPath, testdata(t, "alertmanager-resolved.json")); code != http.StatusOK {
		t.Fatalf("resolved: %d", code)
	}
	ts := d.tickets(t)
	if len(ts) != 1 || ts[0].Status != bot.StatusResolved || ts[0].Survey != nil {
		t.Fatalf("after resolved: %d tickets, %+v", len(ts), ts[0])
	}
	thread := d.Chat.Thread("tier2", card.Ref.ID)
	contains(t, "card thread", thread[len(thread)-1].Text(), "the alert is resolved (2 alerts)", "I've resolved **T-000001**")
	if card.Field("Status") != "resolved" {
		t.Fatalf("card status %q", card.Field("Status"))
	}
}

// TestBadToken: a caller without the token, or with another, is refused with 401 before its body is
// read, and nothing changes.
func TestBadToken(t *testing.T) {
	d := newDesk(t, 0)
	firing := testdata(t, "alertmanager-firing.json")
	for name, auth := range map[string]string{
		"none": "", "wrong": "Bearer not-the-token", "basic": "Basic " + token, "prefix": "Bearer " + token[:5], "longer": "Bearer " + token + "x",
	} {
		code, answer := d.post(t, alerts.AlertmanagerPath, firing, "Authorization", auth)
		if code != http.StatusUnauthorized || !strings.Contains(answer["error"], "bearer token") {
			t.Errorf("%s: %d %v", name, code, answer)
		}
	}
	if n := len(d.tickets(t)); n != 0 || d.Chat.Count() != 0 {
		t.Fatalf("a refused caller opened %d tickets", n)
	}
}

// TestMalformedBodies: a payload that is not a notification is refused with a 4xx that says why, and
// changes nothing.
func TestMalformedBodies(t *testing.T) {
	d := newDesk(t, 0)
	firing := testdata(t, "alertmanager-firing.json")
	swap := func(old, new string) string {
		if !strings.Contains(firing, old) {
			t.Fatalf("the payload has no %q", old)
		}
		return strings.Replace(firing, old, new, 1)
	}
	for _, c := range []struct {
		name, path, body string
		status           int
		reason           string
	}{
		{"empty", alerts.AlertmanagerPath, "", 400, "the body is empty"},
		{"not json", alerts.AlertmanagerPath, "alert!", 400, "not valid JSON"},
		{"cut short", alerts.AlertmanagerPath, firing[:len(firing)/2], 400, "ends too soon"},
		{"a list", alerts.AlertmanagerPath, "[]", 400, "must be a JSON object"},
		{"two values", alerts.AlertmanagerPath, firing + firing, 400, "more than one JSON value"},
		{"no version", alerts.AlertmanagerPath, swap(`"version":"4",`, ""), 400, "version is missing"},
		{"version 3", alerts.AlertmanagerPath, swap(`"version":"4"`, `"version":"3"`), 400, `version "3" is not supported`},
		{"bad status", alerts.AlertmanagerPath, swap(`"status":"firing","alerts"`, `"status":"burning","alerts"`), 400, "status: must be"},
		{"bad alert status", alerts.AlertmanagerPath, swap(`"alerts":[{"status":"firing"`, `"alerts":[{"status":"on"`), 400, "alerts[0].status"},
		{"no alerts", alerts.AlertmanagerPath, `{"version":"4","status":"firing","groupKey":"g","alerts":[]}`, 400, "at least one alert"},
		{"labels not an object", alerts.AlertmanagerPath, swap(`"groupLabels":{"alertname":"PrintSpoolerDown"}`, `"groupLabels":"x"`), 400, "groupLabels: string, where an object was expected"},
		{"bad time", alerts.AlertmanagerPath, swap(`"startsAt":"2026-11-02T08:50:00.123Z"`, `"startsAt":"yesterday"`), 400, "alerts[0].startsAt: not a time"},
		{"no group key", alerts.AlertmanagerPath, swap(`"groupKey":"{}/{severity=\"critical\"}:{alertname=\"PrintSpoolerDown\"}",`, `"groupKey":"",`), 200, ""},
		{"generic unknown field", alerts.GenericPath, `{"key":"k","status":"firing","sumary":"x"}`, 400, `unknown field "sumary"`},
		{"generic no key", alerts.GenericPath, `{"status":"firing","summary":"x"}`, 400, "key is missing"},
		{"generic no summary", alerts.GenericPath, `{"key":"k","status":"firing"}`, 400, "summary is missing"},
		{"generic bad labels", alerts.GenericPath, `{"key":"k","status":"firing","summary":"s","labels":{"a":1}}`, 400, "labels: number, where a string was expected"},
	} {
		before := d.Chat.Count()
		code, answer := d.post(t, c.path, c.body)
		if code != c.status || !strings.Contains(answer["error"], c.reason) {
			t.Errorf("%s: %d %q, want %d %q", c.name, code, answer["error"], c.status, c.reason)
		}
		if c.status != 200 && d.Chat.Count() != before {
			t.Errorf("%s: a refused body posted", c.name)
		}
	}
	// The one without a group key is keyed by its alert's fingerprint: one ticket, as it is one alert.
	if n := len(d.tickets(t)); n != 1 {
		t.Fatalf("want the one ticket of the notification without a group key, got %d", n)
	}
	if code, answer := d.post(t, alerts.AlertmanagerPath, firing, "Content-Type", "text/plain"); code != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain: %d %v", code, answer)
	}
	big := `{"version":"4","status":"firing","groupKey":"g","alerts":[{"status":"firing","labels":{"a":"` + strings.Repeat("x", alerts.MaxBody) + `"}}]}`
	if code, answer := d.post(t, alerts.AlertmanagerPath, big); code != http.StatusRequestEntityTooLarge {
		t.Errorf("too big: %d %v", code, answer)
	}
	resp, err := http.Get(d.srv.URL + alerts.AlertmanagerPath)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", resp.StatusCode)
	}
}

// TestGenericShape: a monitor other than Alertmanager opens, updates and resolves a ticket with the
// generic shape; its name is the requester's.
func TestGenericShape(t *testing.T) {
	d := newDesk(t, 0)
	body := `{"monitor":"Uptime Kuma","key":"web-1/https","status":"firing","summary":"web-1 does not answer on HTTPS",
		"description":"3 checks failed in a row.","runbook_url":"https://runbooks.example.com/web","url":"https://kuma.example.com/dashboard/7",
		"labels":{"severity":"critical","service":"web"},"starts_at":"2026-11-02T08:58:00Z"}`
	if code, answer := d.post(t, alerts.GenericPath, body); code != http.StatusOK {
		t.Fatalf("generic firing: %d %v", code, answer)
	}
	card := d.Chat.Last("tier2")
	contains(t, "card", card.Text(), "web-1 does not answer on HTTPS", "3 checks failed", "`service=web`", "https://kuma.example.com/dashboard/7")
	if card.Field("Requester") != "Uptime Kuma (monitor)" || card.Field("Priority") != "P1" {
		t.Fatalf("card fields %+v", card.Post.Fields)
	}
	d.Clock.Advance(time.Minute)
	if code, _ := d.post(t, alerts.GenericPath, `{"monitor":"Uptime Kuma","key":"web-1/https","status":"resolved"}`); code != http.StatusOK {
		t.Fatalf("generic resolved: %d", code)
	}
	ts := d.tickets(t)
	if len(ts) != 1 || ts[0].Status != bot.StatusResolved || ts[0].Requester != "alerts:generic" {
		t.Fatalf("after resolved: %+v", ts)
	}
	// "resolved" said only the key: the card keeps what the alert said.
	contains(t, "resolved card", card.Text(), "web-1 does not answer on HTTPS", "3 checks failed", "`service=web`", "Resolved")
	// The same key from another monitor is another alert.
	if code, _ := d.post(t, alerts.GenericPath, `{"monitor":"Nagios","key":"web-1/https","status":"firing","summary":"down"}`); code != http.StatusOK {
		t.Fatal(code)
	}
	if n := len(d.tickets(t)); n != 2 {
		t.Fatalf("want a ticket per monitor, got %d", n)
	}
}

// TestAlertStormOverHTTP: a storm of 1,000 notifications about 25 groups opens one ticket per group, and
// the tier channel gets at most the route's limit of cards and one flood notice.
func TestAlertStormOverHTTP(t *testing.T) {
	d := newDesk(t, 10)
	for i := range 1000 {
		g := i % 25
		body := fmt.Sprintf(`{"version":"4","status":"firing","receiver":"firstline","groupKey":"{}:{instance=\"host-%d\"}",
			"groupLabels":{"instance":"host-%d"},"commonLabels":{"alertname":"HostDown","instance":"host-%d","severity":"critical"},
			"commonAnnotations":{"summary":"host-%d is down"},"alerts":[{"status":"firing","labels":{"alertname":"HostDown","instance":"host-%d","severity":"critical"},
			"annotations":{"summary":"host-%d is down","description":"seen %d times"},"startsAt":"2026-11-02T08:59:00Z","fingerprint":"f%d"}]}`, g, g, g, g, g, g, i, g)
		if code, answer := d.post(t, alerts.AlertmanagerPath, body); code != http.StatusOK {
			t.Fatalf("notification %d: %d %v", i, code, answer)
		}
	}
	if n := len(d.tickets(t)); n != 25 {
		t.Fatalf("want one ticket per group (25), got %d", n)
	}
	var flood int
	for _, m := range d.Chat.Messages("") {
		if strings.Contains(m.Text(), "Alert flood") {
			flood++
		}
	}
	if n := d.Chat.Count(); n > 11 || flood != 1 {
		t.Fatalf("want at most 10 posts and one flood notice, got %d messages, %d notices", n, flood)
	}
}

// failing is an engine that takes nothing.
type failing struct{ err error }

func (f failing) Handle(context.Context, bot.Event) error { return f.err }

// TestEngineRefusals: what the engine could not keep gets a 5xx (Alertmanager sends it again); what it
// refuses as no notification a 4xx (it would refuse it again).
func TestEngineRefusals(t *testing.T) {
	firing := testdata(t, "alertmanager-firing.json")
	for _, c := range []struct {
		err    error
		status int
	}{
		{bot.Errorf(bot.EUNAVAILABLE, "the data file takes no writes"), http.StatusServiceUnavailable},
		{fmt.Errorf("write: %w", bot.Errorf(bot.EINTERNAL, "disk on fire")), http.StatusInternalServerError},
		{bot.Errorf(bot.EINVALID, "an alert group's status is wrong"), http.StatusUnprocessableEntity},
	} {
		rcv, err := alerts.New(alerts.Config{Token: token}, failing{c.err}, nil)
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		rcv.Register(mux)
		req := httptest.NewRequest(http.MethodPost, alerts.AlertmanagerPath, strings.NewReader(firing))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		if rec.Code != c.status || strings.Contains(rec.Body.String(), "disk on fire") {
			t.Errorf("%v: %d %s", c.err, rec.Code, rec.Body.String())
		}
	}
	if _, err := alerts.New(alerts.Config{}, failing{}, nil); err == nil {
		t.Fatal("a receiver without a token was made")
	}
}
