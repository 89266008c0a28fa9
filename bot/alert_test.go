package bot_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/bot/bottest"
	"github.com/firstline-desk/firstline/storage"
)

func alertConfig() bot.Config {
	cfg := testConfig()
	cfg.SLA = map[string]bot.SLATarget{"P1": {Response: 15 * time.Minute, Resolution: 4 * time.Hour}}
	cfg.Alerts = bot.AlertConfig{Routes: []bot.AlertRoute{
		{Name: "critical", Match: map[string]string{"severity": "critical"}, Tier: "tier3", Priority: "P1", Actions: []string{"restart-spooler"}, Resolve: true},
		{Name: "warnings", Match: map[string]string{"severity": "warning"}, Tier: "tier2", Priority: "P3"},
	}}
	return cfg
}

func newAlertDesk(t *testing.T, cfg bot.Config) (*bottest.Desk, *storage.DB) {
	t.Helper()
	db := openStore(t, "")
	return bottest.NewDesk(t, cfg, db, testLibrary()), db
}

// firing is one alert of a group, started at start.
func firing(instance string, labels map[string]string, start time.Time) bot.Alert {
	l := map[string]string{"instance": instance}
	maps.Copy(l, labels)
	return bot.Alert{Status: bot.AlertFiring, Labels: l, StartsAt: start, Fingerprint: "fp-" + instance,
		Annotations:  map[string]string{"summary": "Print spooler down on " + instance, "description": "The spooler service stopped.", "runbook_url": "https://runbooks.example.com/spooler"},
		GeneratorURL: "http://prometheus.example.com:9090/graph?g0.expr=up"}
}

func resolved(a bot.Alert, end time.Time) bot.Alert {
	a.Status, a.EndsAt = bot.AlertResolved, end
	return a
}

// notice is an Alertmanager notification of the group key with these alerts: its common labels and
// annotations are what every alert shares, as Alertmanager computes them.
func notice(key string, alerts ...bot.Alert) bot.AlertNotice {
	n := bot.AlertNotice{Source: "alertmanager", Monitor: "Alertmanager", Receiver: "firstline", GroupKey: key, Status: bot.AlertResolved,
		ExternalURL: "http://alertmanager.example.com:9093", Alerts: alerts}
	n.CommonLabels, n.CommonAnnotations = maps.Clone(alerts[0].Labels), maps.Clone(alerts[0].Annotations)
	for _, a := range alerts {
		if a.Status == bot.AlertFiring {
			n.Status = bot.AlertFiring
		}
		maps.DeleteFunc(n.CommonLabels, func(k, v string) bool { return a.Labels[k] != v })
		maps.DeleteFunc(n.CommonAnnotations, func(k, v string) bool { return a.Annotations[k] != v })
	}
	n.GroupLabels = map[string]string{"alertname": n.CommonLabels["alertname"]}
	return n
}

var spooler = map[string]string{"alertname": "SpoolerDown", "severity": "critical"}

func mustAlert(t *testing.T, d *bottest.Desk, n bot.AlertNotice) {
	t.Helper()
	if err := d.Alert(n); err != nil {
		t.Fatalf("alert %s: %v", n.Status, err)
	}
}

// outboxEmpty fails when an effect is left in the outbox after everything due was performed: something
// addressed to the monitor would wait there for ever.
func outboxEmpty(t *testing.T, db *storage.DB) {
	t.Helper()
	if err := db.View(context.Background(), func(tx bot.Tx) error {
		effs, err := tx.Effects(0, 0)
		if err == nil && len(effs) > 0 {
			return fmt.Errorf("%d effects left, the first %+v", len(effs), effs[0])
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// cardsIn are the cards posted in channel, oldest first.
func cardsIn(d *bottest.Desk, channel string) []*bottest.Message {
	var out []*bottest.Message
	for _, m := range d.Chat.Messages(channel) {
		if m.Post.Title != "" {
			out = append(out, m)
		}
	}
	return out
}

// TestAlertOpensTicketWithCard: a firing notification opens a ticket straight in its route's tier, at its
// priority, whose card shows the labels, the annotations and the suggested actions; the monitor is the
// requester; the SLA clocks run from when the alert started firing, not from when it arrived.
func TestAlertOpensTicketWithCard(t *testing.T) {
	d, db := newAlertDesk(t, alertConfig())
	start := d.Clock.Now().Add(-10 * time.Minute)
	mustAlert(t, d, notice(`{}/{severity="critical"}:{alertname="SpoolerDown"}`, firing("prn-3", spooler, start)))

	cards := d.Chat.Messages("tier3")
	if len(cards) != 1 {
		t.Fatalf("want one card in tier3, got %d: %+v", len(cards), cards)
	}
	card := cards[0]
	for name, want := range map[string]string{"Ticket": "T-000001", "Requester": "Alertmanager (monitor)", "Priority": "P1", "Tier": "Tier 3",
		"Owner": "unclaimed", "Status": "escalated", "Alert": "firing (1 alert)"} {
		if got := card.Field(name); got != want {
			t.Errorf("card field %s = %q, want %q", name, got, want)
		}
	}
	mustContain(t, "card", card.Text(), "SpoolerDown: Print spooler down on prn-3", "The spooler service stopped.",
		"Runbook: https://runbooks.example.com/spooler", "`alertname=SpoolerDown`", "`instance=prn-3`", "`severity=critical`",
		"Suggested actions: `!run restart-spooler`", "http://prometheus.example.com:9090/graph?g0.expr=up")
	// The response target (15m) ran from the start: due 5 minutes after the notification came.
	mustContain(t, "card", card.Field("SLA due"), "response "+start.Add(15*time.Minute).Format("Mon 2 Jan 15:04"))
	tk := ticket(t, db, "T-000001")
	if tk.Status != bot.StatusEscalated || tk.Tier != "tier3" || tk.Requester != "alerts:alertmanager" || tk.RequesterName != "Alertmanager" ||
		!tk.CreatedAt.Equal(start) || tk.SLA == nil || !tk.SLA.Response.Start.Equal(start) || !tk.SLA.Resolution.Start.Equal(start) {
		t.Fatalf("ticket: %+v sla %+v", tk, tk.SLA)
	}
	if n := len(d.Chat.Messages("")); n != 1 {
		t.Fatalf("only the card is posted, got %d messages", n)
	}
	outboxEmpty(t, db)
}

// TestAlertRepeatUpdatesTheSameTicket: the same notification sent again changes nothing; a notification
// of the same group that says more (an alert joined) updates the ticket and its card, and says so in the
// card's thread, without opening another.
func TestAlertRepeatUpdatesTheSameTicket(t *testing.T) {
	d, db := newAlertDesk(t, alertConfig())
	start := d.Clock.Now().Add(-time.Minute)
	key := `{}:{alertname="SpoolerDown"}`
	first := notice(key, firing("prn-3", spooler, start))
	mustAlert(t, d, first)
	before := ticket(t, db, "T-000001")
	d.Clock.Advance(30 * time.Second)
	mustAlert(t, d, first) // Alertmanager retries: the same payload
	if again := ticket(t, db, "T-000001"); again.Alert.Notices != before.Alert.Notices || len(again.Transitions) != len(before.Transitions) {
		t.Fatalf("a notification sent again changed the ticket: %d notices, %d transitions", again.Alert.Notices, len(again.Transitions))
	}
	if n := len(d.Chat.Messages("")); n != 1 {
		t.Fatalf("a notification sent again posted: %d messages", n)
	}

	d.Clock.Advance(5 * time.Minute)
	mustAlert(t, d, notice(key, firing("prn-3", spooler, start), firing("prn-4", spooler, d.Clock.Now().Add(-time.Minute))))
	if ts := tickets(t, db); len(ts) != 1 {
		t.Fatalf("a repeat opened another ticket: %d tickets", len(ts))
	}
	card := d.Chat.Messages("tier3")[0]
	if card.Edits == 0 || card.Field("Alert") != "firing (2 alerts)" {
		t.Fatalf("the card was not updated: %d edits, alert %q", card.Edits, card.Field("Alert"))
	}
	mustContain(t, "card", card.Text(), "`instance=prn-3`", "`instance=prn-4`")
	thread := d.Chat.Thread("tier3", card.Ref.ID)
	if len(thread) != 1 {
		t.Fatalf("want one note in the card's thread, got %d", len(thread))
	}
	mustContain(t, "note", thread[0].Text(), "now 2 alerts firing (1 new alert)")
	tk := ticket(t, db, "T-000001")
	if tk.Alert.Notices != 2 || !tk.Alert.FiredAt.Equal(start) || tk.Alert.Firing != 2 {
		t.Fatalf("alert group: %+v", tk.Alert)
	}
	outboxEmpty(t, db)
}

// TestAlertResolvedResolvesWhereTheRouteSays: "resolved" adds a note in the card's thread, and resolves
// the ticket when its route says resolve = true; the monitor is asked for no rating. On a route without
// resolve, the ticket stays open for a technician.
func TestAlertResolvedResolvesWhereTheRouteSays(t *testing.T) {
	d, db := newAlertDesk(t, alertConfig())
	start := d.Clock.Now().Add(-time.Minute)
	a := firing("prn-3", spooler, start)
	mustAlert(t, d, notice("critical-group", a))
	warn := firing("db-1", map[string]string{"alertname": "DiskFilling", "severity": "warning"}, start)
	mustAlert(t, d, notice("warning-group", warn))
	d.Clock.Advance(10 * time.Minute)
	mustAlert(t, d, notice("critical-group", resolved(a, d.Clock.Now())))
	mustAlert(t, d, notice("warning-group", resolved(warn, d.Clock.Now())))

	crit := ticket(t, db, "T-000001")
	if crit.Status != bot.StatusResolved || crit.ResolvedBy != "alerts:alertmanager" || crit.Survey != nil || crit.Alert.Status != bot.AlertResolved {
		t.Fatalf("critical ticket: status %s by %s survey %+v", crit.Status, crit.ResolvedBy, crit.Survey)
	}
	card := d.Chat.Messages("tier3")[0]
	if card.Field("Status") != "resolved" || card.Field("Alert") != "resolved" {
		t.Fatalf("critical card: status %q alert %q", card.Field("Status"), card.Field("Alert"))
	}
	mustContain(t, "note", d.Chat.Thread("tier3", card.Ref.ID)[0].Text(), "the alert is resolved", "I've resolved **T-000001**")

	warnTicket := ticket(t, db, "T-000002")
	if warnTicket.Status != bot.StatusEscalated || warnTicket.Alert.Status != bot.AlertResolved {
		t.Fatalf("warning ticket: status %s alert %s", warnTicket.Status, warnTicket.Alert.Status)
	}
	wcard := d.Chat.Messages("tier2")[0]
	mustContain(t, "note", d.Chat.Thread("tier2", wcard.Ref.ID)[0].Text(), "stays open until a technician resolves it")
	// A technician resolves it from the card: still no survey for a monitor.
	d.React(sara, d.Chat.Messages("tier2")[0], "white_check_mark") // sara is not in Tier 2: refused
	d.React(tom, d.Chat.Messages("tier2")[0], "white_check_mark")
	if tk := ticket(t, db, "T-000002"); tk.Status != bot.StatusResolved || tk.Survey != nil {
		t.Fatalf("warning ticket after the technician resolved it: %s survey %+v", tk.Status, tk.Survey)
	}
	outboxEmpty(t, db)
}

// TestAlertFiresAgain: a new firing of a group whose ticket was resolved reopens it within the reopen
// window (a new card), and opens a new ticket after; a firing notification delayed behind the "resolved"
// that followed it (a retry) changes nothing.
func TestAlertFiresAgain(t *testing.T) {
	d, db := newAlertDesk(t, alertConfig())
	a := firing("prn-3", spooler, d.Clock.Now())
	mustAlert(t, d, notice("g", a))
	d.Clock.Advance(time.Hour)
	done := resolved(a, d.Clock.Now())
	mustAlert(t, d, notice("g", done))
	d.Clock.Advance(time.Hour)
	mustAlert(t, d, notice("g", a)) // the first firing, delivered late
	if tk := ticket(t, db, "T-000001"); tk.Status != bot.StatusResolved {
		t.Fatalf("a stale firing reopened the ticket: %s", tk.Status)
	}
	if n := len(cardsIn(d, "tier3")); n != 1 {
		t.Fatalf("a stale firing posted a card: %d cards", n)
	}

	again := firing("prn-3", spooler, d.Clock.Now())
	mustAlert(t, d, notice("g", again))
	tk := ticket(t, db, "T-000001")
	if tk.Status != bot.StatusEscalated || len(tk.Cards) != 2 || !tk.Cards[1].Current {
		t.Fatalf("within the reopen window the ticket is reopened with a new card: %s, %d cards", tk.Status, len(tk.Cards))
	}
	cards := cardsIn(d, "tier3")
	if len(cards) != 2 || cards[1].Field("Ticket") != "T-000001" || cards[0].Field("Status") != "reopened: see the new card" {
		t.Fatalf("want a second card for T-000001 and the first marked, got %d cards", len(cards))
	}

	d.Clock.Advance(time.Hour)
	mustAlert(t, d, notice("g", resolved(again, d.Clock.Now())))
	d.Clock.Advance(alertConfig().ReopenWindow + time.Hour)
	mustAlert(t, d, notice("g", firing("prn-3", spooler, d.Clock.Now())))
	if ts := tickets(t, db); len(ts) != 2 || ts[1].Status != bot.StatusEscalated || ts[0].Status != bot.StatusResolved {
		t.Fatalf("after the reopen window a new ticket opens: %d tickets", len(ts))
	}
	outboxEmpty(t, db)
}

// TestAlertRoutes: the first route whose labels all match wins; a group no route matches goes to the
// first tier at the desk's default priority.
func TestAlertRoutes(t *testing.T) {
	cfg := alertConfig()
	cfg.Alerts.Routes = append([]bot.AlertRoute{{Name: "db-critical", Match: map[string]string{"severity": "critical", "team": "db"}, Tier: "tier2", Priority: "P2"}},
		cfg.Alerts.Routes...)
	d, db := newAlertDesk(t, cfg)
	now := d.Clock.Now()
	mustAlert(t, d, notice("a", firing("db-1", map[string]string{"alertname": "DBDown", "severity": "critical", "team": "db"}, now)))
	mustAlert(t, d, notice("b", firing("web-1", map[string]string{"alertname": "WebDown", "severity": "critical", "team": "web"}, now)))
	mustAlert(t, d, notice("c", firing("x-1", map[string]string{"alertname": "Odd", "severity": "info"}, now)))
	for id, want := range map[string]string{"T-000001": "tier2 P2 alert:db-critical", "T-000002": "tier3 P1 alert:critical", "T-000003": "tier2 P3 alert:default"} {
		tk := ticket(t, db, id)
		if got := tk.Tier + " " + tk.Priority + " " + tk.PrioritySource; got != want {
			t.Errorf("%s: %s, want %s", id, got, want)
		}
	}
}

// TestAlertStorm: a thousand notifications about twenty groups open one ticket per group, and post a
// bounded number of messages: the route's limit of notices, then one flood notice. A group held back
// gets its card with its next notification once the flood is over.
func TestAlertStorm(t *testing.T) {
	cfg := alertConfig()
	cfg.Alerts.FloodNotices, cfg.Alerts.FloodWindow = 10, 10*time.Minute
	d, db := newAlertDesk(t, cfg)
	start := d.Clock.Now()
	const groups = 20
	for i := range 1000 {
		g := i % groups
		// Each notification of a group says one more alert fires: every one changes the ticket.
		var alerts []bot.Alert
		for j := 0; j <= i/groups; j++ {
			alerts = append(alerts, firing(fmt.Sprintf("host-%d-%d", g, j), spooler, start))
		}
		mustAlert(t, d, notice(fmt.Sprintf("group-%d", g), alerts...))
	}
	ts := tickets(t, db)
	if len(ts) != groups {
		t.Fatalf("want one ticket per group (%d), got %d", groups, len(ts))
	}
	for _, tk := range ts {
		if tk.Alert.Firing != 50 {
			t.Fatalf("%s knows %d firing alerts, want 50: nothing said is lost", tk.ID, tk.Alert.Firing)
		}
	}
	msgs := d.Chat.Messages("tier3")
	var notices, cards int
	for _, m := range msgs {
		switch {
		case strings.Contains(m.Text(), "Alert flood"):
			notices++
		case m.Post.Title != "":
			cards++
		}
	}
	// 10 notifications posted (10 new cards), then one notice; nothing else.
	if notices != 1 || cards != 10 || len(msgs) != 11 {
		t.Fatalf("want 10 cards and one flood notice, got %d cards, %d notices, %d messages", cards, notices, len(msgs))
	}
	mustContain(t, "flood notice", msgs[10].Text(), "route `critical`", "more than 10 notifications within 10m0s")

	// Later, a held group's next notification posts its card.
	d.Clock.Advance(11 * time.Minute)
	var alerts []bot.Alert
	for j := 0; j <= 50; j++ {
		alerts = append(alerts, firing(fmt.Sprintf("host-%d-%d", 15, j), spooler, start))
	}
	mustAlert(t, d, notice("group-15", alerts...))
	all := cardsIn(d, "tier3")
	last := all[len(all)-1]
	if len(all) != 11 || last.Field("Alert") != "firing (51 alerts)" {
		t.Fatalf("the held group's card was not posted: %d cards, the last %q", len(all), last.Text())
	}
	if thread := d.Chat.Thread("tier3", last.Ref.ID); len(thread) != 1 || !strings.Contains(thread[0].Text(), "now 51 alerts firing") {
		t.Fatalf("the held card's thread: %+v", thread)
	}
	outboxEmpty(t, db)
}

// TestAlertRefusesWhatIsNotOne: a notification the engine cannot take is refused, and nothing is kept.
func TestAlertRefusesWhatIsNotOne(t *testing.T) {
	d, db := newAlertDesk(t, alertConfig())
	for name, n := range map[string]bot.AlertNotice{
		"no alerts":  {Source: "alertmanager", GroupKey: "g", Status: bot.AlertFiring},
		"bad status": notice("g", bot.Alert{Status: "broken", StartsAt: d.Clock.Now()}),
		"no key":     {Source: "alertmanager", Status: bot.AlertFiring, Alerts: []bot.Alert{firing("a", spooler, d.Clock.Now())}},
	} {
		if err := d.Alert(n); bot.ErrorCode(err) != bot.EINVALID {
			t.Errorf("%s: got %v, want EINVALID", name, err)
		}
	}
	if ts := tickets(t, db); len(ts) != 0 || d.Chat.Count() != 0 {
		t.Fatalf("a refused notification left %d tickets, %d messages", len(ts), d.Chat.Count())
	}
}

// TestAlertCardFits: whatever a monitor says (as much as the receiver lets through: many long labels,
// long annotations and addresses, many alerts), the card fits where platforms show a card whole, and
// the group's count is still said.
func TestAlertCardFits(t *testing.T) {
	d, _ := newAlertDesk(t, alertConfig())
	long := func(c string, n int) string { return strings.Repeat(c, n) }
	labels := map[string]string{"severity": "critical", "alertname": "Everything" + long("x", 100)}
	for i := range 60 {
		labels[fmt.Sprintf("label_%02d_%s", i, long("k", 100))] = long("v", 4000)
	}
	var alerts []bot.Alert
	for i := range 300 {
		a := firing(fmt.Sprintf("host-%d-%s", i, long("h", 200)), labels, d.Clock.Now())
		a.Annotations = map[string]string{"summary": long("s ", 2000), "description": long("d ", 8000),
			"runbook_url": "https://runbooks.example.com/" + long("r", 4000)}
		a.GeneratorURL = "https://prometheus.example.com/" + long("g", 4000)
		alerts = append(alerts, a)
	}
	n := notice("huge", alerts...)
	n.ExternalURL = "https://alertmanager.example.com/" + long("e", 4000)
	n.Truncated = 700
	mustAlert(t, d, n)
	card := cardsIn(d, "tier3")[0]
	if got := len([]rune(card.Post.Text)); got > 3600 {
		t.Fatalf("the card's text is %d characters, more than a card holds (3600)", got)
	}
	if len([]rune(card.Post.Title)) > 256 || card.Field("Alert") != "firing (1000 alerts)" {
		t.Fatalf("title %d characters, alert field %q", len([]rune(card.Post.Title)), card.Field("Alert"))
	}
	mustContain(t, "card", card.Post.Text, "more)", "React :raising_hand: to claim")
}

// TestAlertFloodCountsWhatCommitted: a notification whose transaction fails (the receiver answers 5xx and
// Alertmanager sends it again) or that the store runs twice counts once against its route's flood limit.
func TestAlertFloodCountsWhatCommitted(t *testing.T) {
	db := openStore(t, "")
	store := &failingStore{Store: db}
	cfg := alertConfig()
	cfg.Alerts.FloodNotices = 2
	d := bottest.NewDesk(t, cfg, store, testLibrary())
	first := notice("a", firing("prn-3", spooler, d.Clock.Now()))
	store.Fail = 3
	for range 3 {
		if err := d.Alert(first); !errors.Is(err, errCommit) {
			t.Fatalf("alert with a failing store: %v", err)
		}
	}
	mustAlert(t, d, first) // sent again, and taken
	store.Retry = 1
	mustAlert(t, d, notice("b", firing("prn-4", spooler, d.Clock.Now())))
	if cards := cardsIn(d, "tier3"); len(cards) != 2 {
		t.Fatalf("two notifications under a limit of two posted %d cards", len(cards))
	}
	mustAlert(t, d, notice("c", firing("prn-5", spooler, d.Clock.Now())))
	if cards, flood := cardsIn(d, "tier3"), d.Chat.Last("tier3"); len(cards) != 2 || !strings.Contains(flood.Text(), "Alert flood") {
		t.Fatalf("the third notification: %d cards, last message %q", len(cards), flood.Text())
	}
}

// TestAlertTicketWaitsOnNobody: "!waiting" on a monitor's ticket is refused, since nothing would resume
// its clocks: a monitor never writes.
func TestAlertTicketWaitsOnNobody(t *testing.T) {
	d, db := newAlertDesk(t, alertConfig())
	mustAlert(t, d, notice("g", firing("prn-3", spooler, d.Clock.Now())))
	card := cardsIn(d, "tier3")[0]
	d.SayIn(sara, "tier3", card.Ref.ID, "!waiting")
	mustContain(t, "reply", d.Chat.Last("tier3").Text(), "opened by a monitor", "nobody to wait on")
	if tk := ticket(t, db, "T-000001"); tk.SLA.WaitingSince != nil {
		t.Fatal("a monitor's ticket was set waiting on its requester")
	}
	outboxEmpty(t, db)
}

// TestAlertTicketTakesNoReply: a monitor reads nothing, so a reply to it is refused where it is asked
// for (the web console's Reply), and what technicians write in its card's thread is kept as their note,
// never recorded as said to the requester (the console copied "replied to the requester" to the card).
func TestAlertTicketTakesNoReply(t *testing.T) {
	d, db := newAlertDesk(t, alertConfig())
	mustAlert(t, d, notice("g", firing("prn-3", spooler, d.Clock.Now())))
	err := d.Act(sara, "T-000001", bot.ActionReply, "on it")
	if bot.ErrorCode(err) != bot.ECONFLICT || !strings.Contains(err.Error(), "monitor") {
		t.Fatalf("a reply to a monitor: %v, want a conflict naming the monitor", err)
	}
	if err := d.Act(sara, "T-000001", bot.ActionNote, "restarting the spooler"); err != nil {
		t.Fatalf("a note on a monitor's ticket: %v", err)
	}
	card := cardsIn(d, "tier3")[0]
	d.SayIn(sara, "tier3", card.Ref.ID, "the queue is draining now")
	tk := ticket(t, db, "T-000001")
	notes := 0
	for _, m := range tk.Transcript {
		if m.Role == bot.RoleTechnician {
			if !m.Internal {
				t.Errorf("%q is recorded as said to the monitor", m.Text)
			}
			notes++
		}
	}
	if notes != 2 {
		t.Fatalf("%d technicians' notes on the ticket, want 2", notes)
	}
	// A monitor reads nothing: the technicians' first word on its ticket is its first response.
	if at, ok := bot.FirstResponse(tk, tk.CreatedAt); !ok || !at.Equal(tk.Transcript[len(tk.Transcript)-2].At) {
		t.Fatalf("first response %v %v, want the first note's time", at, ok)
	}
	for _, m := range d.Chat.Messages("tier3") {
		if strings.Contains(m.Text(), "replied to the requester") {
			t.Fatalf("the card says a technician replied to a monitor: %q", m.Text())
		}
	}
	outboxEmpty(t, db)
}
