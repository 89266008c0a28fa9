package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/bot/bottest"
	"github.com/firstline-desk/firstline/hours"
)

func slaConfig() bot.Config {
	cfg := testConfig()
	cfg.PriorityRules = []bot.PriorityRule{
		{Name: "outage", Priority: "P2", Phrases: []string{"outage", "down for everyone"}},
		{Name: "security", Priority: "P1", Phrases: []string{"ransomware"}},
	}
	cfg.SLA = map[string]bot.SLATarget{
		"P2": {Response: time.Hour, Resolution: 8 * time.Hour},
		"P3": {Response: 4 * time.Hour, Resolution: 24 * time.Hour},
	}
	cfg.Tiers[0].EscalateOnBreach = true
	cfg.Tiers[0].OnCall = "test:group:oncall"
	return cfg
}

func checkSLAs(t *testing.T, d *bottest.Desk) int {
	t.Helper()
	n, err := d.Engine.CheckSLAs(context.Background(), d.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Engine.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	return n
}

func count(ms []*bottest.Message, want string) int {
	n := 0
	for _, m := range ms {
		if strings.Contains(m.Text(), want) {
			n++
		}
	}
	return n
}

func TestPriorityRules(t *testing.T) {
	tests := []struct{ text, want, source string }{
		{"the wiki is down for everyone", "P2", "rule:outage"},
		{"Outage in building B?", "P2", "rule:outage"},
		{"ransomware note on my screen, and an outage", "P1", "rule:security"}, // the most urgent wins
		{"my vpn is slow", "P3", "default"},
		{"the lockdown for everyone", "P3", "default"}, // whole words only
	}
	for _, tt := range tests {
		d := bottest.NewDesk(t, slaConfig(), openStore(t, ""), testLibrary())
		d.Say(alice, "help", tt.text)
		var tk *bot.Ticket
		_ = d.Engine.Flush(context.Background())
		tk = ticketOf(t, d, "T-000001")
		if tk.Priority != tt.want || tk.PrioritySource != tt.source {
			t.Errorf("%q: priority %s (%s), want %s (%s)", tt.text, tk.Priority, tk.PrioritySource, tt.want, tt.source)
		}
	}
}

func ticketOf(t *testing.T, d *bottest.Desk, id string) *bot.Ticket {
	t.Helper()
	var tk *bot.Ticket
	err := d.Store.View(context.Background(), func(tx bot.Tx) error {
		var err error
		tk, err = tx.Ticket(id)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

// TestSLAWarningAndBreachOnce checks the first-response clock of a P2 ticket: the warning at 75% in the
// card's thread, the breach in the tier channel, and the escalation the tier asks for, each exactly
// once, also after a restart of the engine and when the loop runs late.
func TestSLAWarningAndBreachOnce(t *testing.T) {
	db := openStore(t, "")
	d := bottest.NewDesk(t, slaConfig(), db, testLibrary())
	q := d.Say(alice, "help", "the vpn is down for everyone")
	d.Click(alice, d.Chat.Thread("help", q)[0], "Talk to a human")
	card := d.Chat.Last("tier2")
	tk := ticketOf(t, d, "T-000001")
	if tk.SLA == nil || tk.SLA.Response.Due == nil || !tk.SLA.Response.Due.Equal(d.Clock.Now().Add(time.Hour)) {
		t.Fatalf("response clock %+v, want due an hour after escalation", tk.SLA)
	}

	d.Clock.Advance(40 * time.Minute)
	checkSLAs(t, d)
	if n := count(d.Chat.Thread("tier2", card.Ref.ID), "first response target is due"); n != 0 {
		t.Fatalf("warned at 40 minutes of 60")
	}
	d.Clock.Advance(6 * time.Minute) // 46 minutes: past 75%
	checkSLAs(t, d)
	checkSLAs(t, d)
	if n := count(d.Chat.Thread("tier2", card.Ref.ID), "first response target is due"); n != 1 {
		t.Fatalf("%d warnings, want 1", n)
	}

	// A restart: a new engine on the same data file announces nothing twice.
	d2 := bottest.NewDesk(t, slaConfig(), db, testLibrary())
	d2.Clock.Set(d.Clock.Now())
	checkSLAs(t, d2)
	if d2.Chat.Count() != 0 {
		t.Fatalf("after a restart: %d messages", d2.Chat.Count())
	}

	// The loop runs late, at 3 hours: one breach, then the tier moves it up.
	d.Clock.Advance(3 * time.Hour)
	checkSLAs(t, d)
	checkSLAs(t, d)
	if n := count(d.Chat.Messages("tier2"), "breached its first response target"); n != 1 {
		t.Fatalf("%d breach notices, want 1", n)
	}
	for _, m := range d.Chat.Messages("tier2") {
		if strings.Contains(m.Text(), "breached") && (len(m.Post.Notify) != 1 || m.Post.Notify[0] != "test:group:oncall") {
			t.Fatalf("the breach notice pings %v, want the tier's on-call group", m.Post.Notify)
		}
	}
	tk = ticketOf(t, d, "T-000001")
	if tk.Tier != "tier3" || !tk.SLA.Response.Breached {
		t.Fatalf("after the breach: tier %s, response %+v", tk.Tier, tk.SLA.Response)
	}
	if d.Chat.Last("tier3") == nil {
		t.Fatal("no card in Tier 3")
	}
}

// TestSLAClaimStopsTheClock checks that a claim is the first response: nothing is announced after it.
func TestSLAClaimStopsTheClock(t *testing.T) {
	d := bottest.NewDesk(t, slaConfig(), openStore(t, ""), testLibrary())
	q := d.Say(alice, "help", "the vpn is down for everyone")
	d.Click(alice, d.Chat.Thread("help", q)[0], "Talk to a human")
	card := d.Chat.Last("tier2")
	d.Clock.Advance(10 * time.Minute)
	d.React(tom, card, "raising_hand")
	d.Clock.Advance(2 * time.Hour)
	checkSLAs(t, d)
	tk := ticketOf(t, d, "T-000001")
	if tk.SLA.Response.Met == nil || tk.SLA.Response.Breached || tk.SLA.Response.Warned {
		t.Fatalf("response clock after a claim: %+v", tk.SLA.Response)
	}
	if n := count(d.Chat.Messages("tier2"), "breached"); n != 0 {
		t.Fatal("a claimed ticket was announced as breached")
	}
}

// TestSLAWaitingPausesTheClocks checks that time waiting on the requester does not count.
func TestSLAWaitingPausesTheClocks(t *testing.T) {
	d := bottest.NewDesk(t, slaConfig(), openStore(t, ""), testLibrary())
	q := d.Say(alice, "help", "the vpn is down for everyone")
	d.Click(alice, d.Chat.Thread("help", q)[0], "Talk to a human")
	card := d.Chat.Last("tier2")
	d.Clock.Advance(30 * time.Minute)
	d.SayIn(tom, "tier2", card.Ref.ID, "!waiting")
	if tk := ticketOf(t, d, "T-000001"); tk.SLA.WaitingSince == nil {
		t.Fatalf("not waiting: %+v", tk.SLA)
	}
	d.Clock.Advance(2 * time.Hour) // waited 2 hours
	checkSLAs(t, d)
	if n := count(d.Chat.Messages("tier2"), "breached"); n != 0 {
		t.Fatal("breached while waiting on the requester")
	}
	d.SayIn(alice, "help", q, "here is the screenshot")
	tk := ticketOf(t, d, "T-000001")
	if tk.SLA.WaitingSince != nil || tk.SLA.Response.Paused != 2*time.Hour {
		t.Fatalf("after the answer: %+v", tk.SLA.Response)
	}
	// Due was 10:00 + 1h; two hours paused make it 13:00 (the desk clock started at 09:00).
	if want := tk.SLA.Response.Start.Add(3 * time.Hour); !tk.SLA.Response.Due.Equal(want) {
		t.Fatalf("due %v, want %v", tk.SLA.Response.Due, want)
	}
	d.Clock.Advance(20 * time.Minute) // 2h50 after escalation, 50 minutes of it counted
	checkSLAs(t, d)
	if n := count(d.Chat.Messages("tier2"), "breached"); n != 0 {
		t.Fatal("breached before the paused deadline")
	}
	d.Clock.Advance(15 * time.Minute)
	checkSLAs(t, d)
	if n := count(d.Chat.Messages("tier2"), "breached its first response target"); n != 1 {
		t.Fatalf("%d breaches after the paused deadline, want 1", n)
	}
}

// TestPriorityCommand checks "!priority": technicians only, the card updated, the targets follow.
func TestPriorityCommand(t *testing.T) {
	d := bottest.NewDesk(t, slaConfig(), openStore(t, ""), testLibrary())
	q := d.Say(alice, "help", "my vpn is slow")
	d.Click(alice, d.Chat.Thread("help", q)[0], "Talk to a human")
	card := d.Chat.Last("tier2")
	d.SayIn(alice, "help", q, "!priority P1")
	if tk := ticketOf(t, d, "T-000001"); tk.Priority != "P3" {
		t.Fatalf("the requester changed the priority to %s", tk.Priority)
	}
	d.SayIn(tom, "tier2", card.Ref.ID, "!priority p2")
	tk := ticketOf(t, d, "T-000001")
	if tk.Priority != "P2" || tk.PrioritySource != "technician" || card.Field("Priority") != "P2" {
		t.Fatalf("priority %s (%s), card %q", tk.Priority, tk.PrioritySource, card.Field("Priority"))
	}
	if want := tk.SLA.Response.Start.Add(time.Hour); !tk.SLA.Response.Due.Equal(want) {
		t.Fatalf("due %v, want the P2 target from escalation %v", tk.SLA.Response.Due, want)
	}
	if want := "response " + tk.SLA.Response.Due.Format("Mon 2 Jan 15:04"); !strings.Contains(card.Field("SLA due"), want) {
		t.Fatalf("card SLA due %q, want %q", card.Field("SLA due"), want)
	}
}

// TestVendor checks "!vendor": the status, the card, the vendor's own target watched by the SLA loop, and
// "!vendor back".
func TestVendor(t *testing.T) {
	cfg := slaConfig()
	cfg.Vendors = map[string]bot.SLATarget{"acme": {Response: 4 * time.Hour}}
	d := bottest.NewDesk(t, cfg, openStore(t, ""), testLibrary())
	_, card := escalated(t, d)
	d.React(tom, card, "raising_hand")
	d.SayIn(tom, "tier2", card.Ref.ID, "!vendor ACME CASE-991")
	tk := ticketOf(t, d, "T-000001")
	if tk.Status != bot.StatusPendingVendor || tk.Vendor == nil || tk.Vendor.Name != "acme" || tk.Vendor.Reference != "CASE-991" || tk.Assignee != tom {
		t.Fatalf("after !vendor: status %s vendor %+v assignee %s", tk.Status, tk.Vendor, tk.Assignee)
	}
	if !strings.Contains(card.Field("Status"), "with acme (CASE-991)") {
		t.Fatalf("card status %q", card.Field("Status"))
	}
	d.Clock.Advance(5 * time.Hour)
	checkSLAs(t, d)
	checkSLAs(t, d)
	if n := count(d.Chat.Thread("tier2", card.Ref.ID), "acme (CASE-991) has not answered"); n != 1 {
		t.Fatalf("%d overdue notices, want 1", n)
	}
	d.SayIn(tom, "tier2", card.Ref.ID, "!vendor back")
	if tk := ticketOf(t, d, "T-000001"); tk.Status != bot.StatusClaimed || tk.Vendor.Back == nil {
		t.Fatalf("after !vendor back: %s %+v", tk.Status, tk.Vendor)
	}
}

// TestCSATReminderCommentAndRateLimit checks the survey: one reminder, a comment after the rating, and no
// survey for a requester asked a few days ago.
func TestCSATReminderCommentAndRateLimit(t *testing.T) {
	cfg := testConfig()
	cfg.CSAT = bot.CSATConfig{MinDaysBetween: 30, RemindAfter: 24 * time.Hour, CommentWindow: time.Hour}
	d := bottest.NewDesk(t, cfg, openStore(t, ""), testLibrary())
	q, card := escalated(t, d)
	d.React(tom, card, "raising_hand")
	d.React(tom, card, "white_check_mark")
	if tk := ticketOf(t, d, "T-000001"); tk.Survey == nil || tk.Survey.RemindAt == nil {
		t.Fatalf("no survey: %+v", tk.Survey)
	}
	d.Clock.Advance(25 * time.Hour)
	checkSLAs(t, d)
	checkSLAs(t, d)
	if n := count(d.Chat.Thread("help", q), "A reminder: how would you rate"); n != 1 {
		t.Fatalf("%d reminders, want 1", n)
	}
	rate := d.Chat.Thread("help", q)
	var ask *bottest.Message
	for _, m := range rate {
		if len(m.Post.Choices) == 5 {
			ask = m
		}
	}
	d.Click(alice, ask, "4")
	d.SayIn(alice, "help", q, "quick and friendly, thanks")
	tk := ticketOf(t, d, "T-000001")
	if tk.CSAT == nil || tk.CSAT.Score != 4 || tk.CSAT.Comment != "quick and friendly, thanks" || tk.Status != bot.StatusResolved {
		t.Fatalf("rating %+v, status %s", tk.CSAT, tk.Status)
	}

	// A second ticket resolved three days later gets no survey.
	d.Clock.Advance(72 * time.Hour)
	q2 := d.Say(alice, "help", "vpn broken again")
	d.Click(alice, d.Chat.Thread("help", q2)[0], "Talk to a human")
	card2 := d.Chat.Last("tier2")
	d.React(tom, card2, "raising_hand")
	d.React(tom, card2, "white_check_mark")
	if tk := ticketOf(t, d, "T-000002"); tk.Survey != nil {
		t.Fatalf("surveyed again within 30 days: %+v", tk.Survey)
	}
	if n := count(d.Chat.Thread("help", q2), "How would you rate"); n != 0 {
		t.Fatal("asked to rate again within 30 days")
	}
}

type fakeReporter struct{}

func (fakeReporter) Summary(context.Context, time.Time) (string, error) {
	return "**Report**: 3 opened, 2 resolved", nil
}

// TestReportCommand checks "!report": technicians in a tier channel get the summary, others do not.
func TestReportCommand(t *testing.T) {
	d := bottest.NewDesk(t, testConfig(), openStore(t, ""), testLibrary())
	d.Engine.SetReporter(fakeReporter{})
	d.Say(alice, "tier2", "!report")
	if n := count(d.Chat.Messages("tier2"), "3 opened"); n != 0 {
		t.Fatal("a requester got the report")
	}
	d.Say(tom, "tier2", "!report")
	if n := count(d.Chat.Messages("tier2"), "3 opened, 2 resolved"); n != 1 {
		t.Fatalf("%d reports, want 1: %v", n, d.Chat.Messages("tier2"))
	}
}

// TestSLABusinessHours checks that targets count business time: a 4h response target set on Friday at
// 16:00, with hours 09:00-17:00 on weekdays, falls due on Monday at 12:00, and nothing is announced over
// the weekend.
func TestSLABusinessHours(t *testing.T) {
	cal, err := hours.ParseCalendar("UTC", []string{"mon", "tue", "wed", "thu", "fri"}, "09:00", "17:00", nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := slaConfig()
	cfg.SLA["P3"] = bot.SLATarget{Response: 4 * time.Hour, Resolution: 16 * time.Hour, Hours: cal}
	d := bottest.NewDesk(t, cfg, openStore(t, ""), testLibrary())
	d.Clock.Set(time.Date(2026, 11, 6, 16, 0, 0, 0, time.UTC)) // a Friday
	_, card := escalated(t, d)
	tk := ticketOf(t, d, "T-000001")
	if want := time.Date(2026, 11, 9, 12, 0, 0, 0, time.UTC); !tk.SLA.Response.Due.Equal(want) {
		t.Fatalf("response due %v, want Monday 12:00", tk.SLA.Response.Due)
	}
	d.Clock.Set(time.Date(2026, 11, 8, 23, 0, 0, 0, time.UTC)) // Sunday night
	checkSLAs(t, d)
	if n := len(d.Chat.Thread("tier2", card.Ref.ID)); n != 0 {
		t.Fatalf("%d messages over the weekend", n)
	}
	d.Clock.Set(time.Date(2026, 11, 9, 12, 0, 0, 0, time.UTC))
	checkSLAs(t, d)
	if n := count(d.Chat.Messages("tier2"), "breached its first response target"); n != 1 {
		t.Fatalf("%d breaches on Monday at 12:00, want 1", n)
	}
}

// TestUrgentReactionAndRatingByReaction checks the reaction fallbacks: 🚨 on a card makes it P1 (for its
// tier only), and a keycap on the rating question rates.
func TestUrgentReactionAndRatingByReaction(t *testing.T) {
	d := bottest.NewDesk(t, slaConfig(), openStore(t, ""), testLibrary())
	q, card := escalated(t, d)
	d.React(alice, card, "rotating_light")
	if tk := ticketOf(t, d, "T-000001"); tk.Priority == "P1" {
		t.Fatal("a requester made it P1")
	}
	d.React(tom, card, "rotating_light")
	if tk := ticketOf(t, d, "T-000001"); tk.Priority != "P1" || card.Field("Priority") != "P1" {
		t.Fatalf("priority %s, card %q", tk.Priority, card.Field("Priority"))
	}
	d.React(tom, card, "raising_hand")
	d.React(tom, card, "white_check_mark")
	var ask *bottest.Message
	for _, m := range d.Chat.Thread("help", q) {
		if len(m.Post.Choices) == 5 {
			ask = m
		}
	}
	if ask == nil || ask.Post.Choices[3].Reaction != "four" {
		t.Fatalf("rating question %+v", ask)
	}
	d.React(alice, ask, "four")
	if tk := ticketOf(t, d, "T-000001"); tk.CSAT == nil || tk.CSAT.Score != 4 {
		t.Fatalf("rating by reaction: %+v", tk.CSAT)
	}
}

// TestSLAPolicyRules: the rules report and the bench generator call, on their own: where the response
// clock starts and stops, which calendar a priority measures with, and how a clock is decided.
func TestSLAPolicyRules(t *testing.T) {
	at := func(h, m int) time.Time { return time.Date(2026, 3, 2, h, m, 0, 0, time.UTC) }
	tk := &bot.Ticket{
		Transitions: []bot.Transition{{At: at(9, 0), Type: bot.TransitionOpened}, {At: at(9, 5), Type: bot.TransitionClaimed},
			{At: at(9, 10), Type: bot.TransitionEscalated}, {At: at(11, 0), Type: bot.TransitionEscalated},
			{At: at(12, 0), Type: bot.TransitionClaimed}},
		Transcript: []bot.Entry{{At: at(10, 0), Role: bot.RoleTechnician, Internal: true},
			{At: at(10, 30), Role: bot.RoleRequester}, {At: at(11, 30), Role: bot.RoleTechnician}},
	}
	if got, ok := bot.FirstEscalation(tk); !ok || !got.Equal(at(9, 10)) {
		t.Errorf("first escalation %v %v, want 09:10", got, ok)
	}
	// Not the claim before the escalation, nor the internal note, nor the requester's message.
	if got, ok := bot.FirstResponse(tk, at(9, 10)); !ok || !got.Equal(at(11, 30)) {
		t.Errorf("first response %v %v, want 11:30", got, ok)
	}
	if _, ok := bot.FirstResponse(tk, at(12, 1)); ok {
		t.Errorf("a first response after the last answer")
	}
	if _, ok := bot.FirstEscalation(&bot.Ticket{Transitions: tk.Transitions[:2]}); ok {
		t.Errorf("a first escalation on a ticket never escalated")
	}

	cal, err := hours.ParseCalendar("UTC", []string{"mon", "tue", "wed", "thu", "fri"}, "09:00", "17:00", nil)
	if err != nil {
		t.Fatal(err)
	}
	policy := bot.Config{SLA: map[string]bot.SLATarget{"P1": {Response: time.Hour}, "P3": {Response: time.Hour, Hours: cal}}}.SLAPolicy()
	friday, monday := time.Date(2026, 3, 6, 16, 0, 0, 0, time.UTC), time.Date(2026, 3, 9, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		priority string
		want     time.Duration
	}{{"P1", 66 * time.Hour}, {"P3", 2 * time.Hour}, {"P9", 66 * time.Hour}, {"", 66 * time.Hour}} {
		if got := policy.Between(c.priority, friday, monday); got != c.want {
			t.Errorf("%q: business time Friday 16:00 to Monday 10:00 = %s, want %s", c.priority, got, c.want)
		}
	}
	if got := (bot.SLAPolicy{}).Between("P3", monday, friday); got != 0 {
		t.Errorf("backwards: %s", got)
	}

	due := at(12, 0)
	for _, c := range []struct {
		name        string
		clock       bot.SLAClock
		at          time.Time
		met, decide bool
	}{
		{"met early", bot.SLAClock{Due: &due, Met: ptrTime(at(11, 0))}, at(11, 0), true, true},
		{"met on the dot", bot.SLAClock{Due: &due, Met: ptrTime(due)}, due, true, true},
		{"met late", bot.SLAClock{Due: &due, Met: ptrTime(at(13, 0))}, due, false, true},
		{"running, announced", bot.SLAClock{Due: &due, Breached: true}, due, false, true},
		{"running", bot.SLAClock{Due: &due}, time.Time{}, false, false},
		{"no deadline", bot.SLAClock{Met: ptrTime(at(11, 0))}, time.Time{}, false, false},
	} {
		got, met, ok := c.clock.Outcome()
		if !got.Equal(c.at) || met != c.met || ok != c.decide {
			t.Errorf("%s: outcome %v met=%v decided=%v, want %v %v %v", c.name, got, met, ok, c.at, c.met, c.decide)
		}
	}
}

func ptrTime(t time.Time) *time.Time { return &t }
