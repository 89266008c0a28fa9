package report_test

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/report"
)

// The window of the hand-made desk: ISO week 45 of 2026, Monday 2 November to Sunday 8 November.
var (
	since = nov(2, 0, 0)
	until = nov(9, 0, 0)
	tiers = []bot.Tier{{ID: "tier2", Name: "Tier 2"}, {ID: "tier3", Name: "Tier 3"}}
)

// nov is a time in November 2026, UTC; days before 1 fall in October (nov(-1, ...) is 30 October).
func nov(day, hour, minute int) time.Time {
	return time.Date(2026, 11, day, hour, minute, 0, 0, time.UTC)
}

func ptr(t time.Time) *time.Time { return &t }

// nineToFive is a business calendar that is not wall-clock time: it counts 09:00–17:00 of every day, except
// for P1, whose clocks run around the clock. The figures below differ from wall-clock ones, which proves
// Build measures with it and passes the right priority.
func nineToFive(priority string, a, b time.Time) time.Duration {
	if priority == "P1" {
		return b.Sub(a)
	}
	var d time.Duration
	for day := time.Date(a.Year(), a.Month(), a.Day(), 0, 0, 0, 0, a.Location()); day.Before(b); day = day.AddDate(0, 0, 1) {
		lo, hi := day.Add(9*time.Hour), day.Add(17*time.Hour)
		if a.After(lo) {
			lo = a
		}
		if b.Before(hi) {
			hi = b
		}
		if hi.After(lo) {
			d += hi.Sub(lo)
		}
	}
	return d
}

// nineToFiveHours is nineToFive as the calendar of an SLA target.
type nineToFiveHours struct{}

func (nineToFiveHours) Between(a, b time.Time) time.Duration { return nineToFive("", a, b) }

func (nineToFiveHours) Add(time.Time, time.Duration) time.Time {
	panic("a report measures business time; it never adds it")
}

// nineToFiveSLA is the SLA policy of a desk whose P2–P4 clocks run on nineToFive and P1's around the
// clock, so Build measures as nineToFive says.
func nineToFiveSLA() bot.SLAPolicy {
	return bot.Config{SLA: map[string]bot.SLATarget{
		"P1": {Response: 30 * time.Minute, Resolution: 4 * time.Hour},
		"P2": {Response: 2 * time.Hour, Resolution: 16 * time.Hour, Hours: nineToFiveHours{}},
		"P3": {Response: 2 * time.Hour, Resolution: 24 * time.Hour, Hours: nineToFiveHours{}},
		"P4": {Response: 8 * time.Hour, Resolution: 40 * time.Hour, Hours: nineToFiveHours{}},
	}}.SLAPolicy()
}

func ev(at time.Time, typ bot.TransitionType, to bot.Status, tier string) bot.Transition {
	return bot.Transition{At: at, Type: typ, To: to, Tier: tier}
}

func tech(at time.Time, internal bool) bot.Entry {
	return bot.Entry{At: at, Role: bot.RoleTechnician, Name: "tom", Text: "hello", Internal: internal}
}

func offer(at time.Time, article, feedback string) bot.Offer {
	return bot.Offer{Article: article, Title: "Title of " + article, At: at, Feedback: feedback}
}

// desk is eleven tickets around the window, each there to exercise some rule; the expected figures in
// TestBuild are worked out from them by hand.
func desk() []*bot.Ticket {
	return []*bot.Ticket{
		{ // T1: deflected. Opened and solved by the bot in five minutes.
			ID: "T-000001", Priority: "P3", Subject: "VPN will not connect from home", CreatedAt: nov(2, 10, 0),
			Status: bot.StatusResolved, Tier: bot.LevelOne, ResolvedAt: ptr(nov(2, 10, 5)),
			Offers:      []bot.Offer{offer(nov(2, 10, 0), "vpn-connect", bot.FeedbackSolved)},
			Transitions: []bot.Transition{ev(nov(2, 10, 0), "opened", bot.StatusOpen, "L1"), ev(nov(2, 10, 5), "resolved", bot.StatusResolved, "L1")},
		},
		{ // T2: P2 with SLA clocks, both met; the article was not helpful (a knowledge gap); rated 5.
			ID: "T-000002", Priority: "P2", Subject: "Printer on floor 3 is offline", CreatedAt: nov(2, 16, 0),
			Status: bot.StatusResolved, Tier: "tier2", ResolvedAt: ptr(nov(3, 11, 0)),
			Offers: []bot.Offer{offer(nov(2, 16, 0), "printer-offline", bot.FeedbackNotHelpful)},
			Transitions: []bot.Transition{ev(nov(2, 16, 0), "opened", bot.StatusOpen, "L1"), ev(nov(2, 16, 30), "escalated", bot.StatusEscalated, "tier2"),
				ev(nov(3, 9, 30), "claimed", bot.StatusClaimed, "tier2"), ev(nov(3, 11, 0), "resolved", bot.StatusResolved, "tier2")},
			Transcript: []bot.Entry{tech(nov(3, 9, 45), false)},
			CSAT:       &bot.Rating{Score: 5, RatedAt: nov(3, 11, 10)},
			SLA: &bot.SLA{Priority: "P2",
				Response:   bot.SLAClock{Start: ptr(nov(2, 16, 30)), Due: ptr(nov(3, 10, 30)), Met: ptr(nov(3, 9, 30))},
				Resolution: bot.SLAClock{Start: ptr(nov(2, 16, 0)), Due: ptr(nov(3, 16, 0)), Met: ptr(nov(3, 11, 0))}},
		},
		{ // T3: P2, escalated at once; response late (breached), resolution breach announced; still claimed.
			ID: "T-000003", Priority: "P2", Subject: "Printer on floor 3 jammed", CreatedAt: nov(4, 9, 0),
			Status: bot.StatusClaimed, Tier: "tier2",
			Transitions: []bot.Transition{ev(nov(4, 9, 0), "opened", bot.StatusOpen, "L1"), ev(nov(4, 9, 0), "escalated", bot.StatusEscalated, "tier2"),
				ev(nov(4, 14, 0), "claimed", bot.StatusClaimed, "tier2")},
			SLA: &bot.SLA{Priority: "P2",
				Response:   bot.SLAClock{Start: ptr(nov(4, 9, 0)), Due: ptr(nov(4, 11, 0)), Met: ptr(nov(4, 14, 0)), Breached: true},
				Resolution: bot.SLAClock{Start: ptr(nov(4, 9, 0)), Due: ptr(nov(6, 9, 0)), Breached: true}},
		},
		{ // T4: no SLA; Tier 2, then Tier 3; resolved, reopened, resolved again; an internal note before the claim.
			ID: "T-000004", Priority: "P3", Subject: "Cannot open shared drive", CreatedAt: nov(5, 10, 0),
			Status: bot.StatusResolved, Tier: "tier3", ResolvedAt: ptr(nov(6, 10, 0)),
			Offers: []bot.Offer{offer(nov(5, 10, 0), "shared-drive", bot.FeedbackHuman)},
			Transitions: []bot.Transition{ev(nov(5, 10, 0), "opened", bot.StatusOpen, "L1"), ev(nov(5, 10, 10), "escalated", bot.StatusEscalated, "tier2"),
				ev(nov(5, 10, 40), "claimed", bot.StatusClaimed, "tier2"), ev(nov(5, 12, 0), "escalated", bot.StatusEscalated, "tier3"),
				ev(nov(5, 12, 30), "claimed", bot.StatusClaimed, "tier3"), ev(nov(5, 14, 0), "resolved", bot.StatusResolved, "tier3"),
				ev(nov(6, 9, 0), "reopened", bot.StatusClaimed, "tier3"), ev(nov(6, 10, 0), "resolved", bot.StatusResolved, "tier3")},
			Transcript: []bot.Entry{tech(nov(5, 10, 15), true), tech(nov(5, 10, 50), false)},
			CSAT:       &bot.Rating{Score: 3, RatedAt: nov(5, 14, 30)},
		},
		{ // T5: P1 (around the clock) opened at night; response met, resolution breach announced; still claimed.
			ID: "T-000005", Priority: "P1", Subject: "Email down for whole office", CreatedAt: nov(6, 20, 0),
			Status: bot.StatusClaimed, Tier: "tier2",
			Transitions: []bot.Transition{ev(nov(6, 20, 0), "opened", bot.StatusOpen, "L1"), ev(nov(6, 20, 0), "escalated", bot.StatusEscalated, "tier2"),
				ev(nov(6, 20, 20), "claimed", bot.StatusClaimed, "tier2")},
			SLA: &bot.SLA{Priority: "P1",
				Response:   bot.SLAClock{Start: ptr(nov(6, 20, 0)), Due: ptr(nov(6, 20, 30)), Met: ptr(nov(6, 20, 20))},
				Resolution: bot.SLAClock{Start: ptr(nov(6, 20, 0)), Due: ptr(nov(7, 0, 0)), Breached: true}},
		},
		{ // T6: opened before the window, resolved late in it; one hour paused waiting on the requester.
			ID: "T-000006", Priority: "P3", Subject: "Laptop battery drains fast", CreatedAt: nov(-1, 10, 0),
			Status: bot.StatusResolved, Tier: "tier2", ResolvedAt: ptr(nov(2, 12, 0)),
			Transitions: []bot.Transition{ev(nov(-1, 10, 0), "opened", bot.StatusOpen, "L1"), ev(nov(-1, 10, 30), "escalated", bot.StatusEscalated, "tier2"),
				ev(nov(-1, 11, 0), "claimed", bot.StatusClaimed, "tier2"), ev(nov(2, 12, 0), "resolved", bot.StatusResolved, "tier2")},
			SLA: &bot.SLA{Priority: "P3",
				Response:   bot.SLAClock{Start: ptr(nov(-1, 10, 30)), Due: ptr(nov(-1, 12, 30)), Met: ptr(nov(-1, 11, 0))},
				Resolution: bot.SLAClock{Start: ptr(nov(-1, 10, 0)), Due: ptr(nov(2, 10, 0)), Met: ptr(nov(2, 12, 0)), Paused: time.Hour}},
		},
		{ // T7: the bot's, waiting on the requester: its deadline has passed, but no breach was announced.
			ID: "T-000007", Priority: "P3", Subject: "VPN not connecting from home", CreatedAt: nov(8, 22, 0),
			Status: bot.StatusOpen, Tier: bot.LevelOne,
			Offers:      []bot.Offer{offer(nov(8, 22, 0), "vpn-connect", "")},
			Transitions: []bot.Transition{ev(nov(8, 22, 0), "opened", bot.StatusOpen, "L1")},
			SLA: &bot.SLA{Priority: "P3", WaitingSince: ptr(nov(8, 22, 30)),
				Resolution: bot.SLAClock{Start: ptr(nov(8, 22, 0)), Due: ptr(nov(8, 23, 0))}},
		},
		{ // T8: opened after the window: counts nowhere.
			ID: "T-000008", Priority: "P3", Subject: "After the window", CreatedAt: nov(9, 8, 0),
			Status: bot.StatusResolved, Tier: bot.LevelOne, ResolvedAt: ptr(nov(9, 8, 5)),
			Offers:      []bot.Offer{offer(nov(9, 8, 0), "vpn-connect", bot.FeedbackSolved)},
			Transitions: []bot.Transition{ev(nov(9, 8, 0), "opened", bot.StatusOpen, "L1"), ev(nov(9, 8, 5), "resolved", bot.StatusResolved, "L1")},
		},
		{ // T9: deflected by the second article.
			ID: "T-000009", Priority: "P3", Subject: "VPN keeps disconnecting", CreatedAt: nov(3, 13, 0),
			Status: bot.StatusResolved, Tier: bot.LevelOne, ResolvedAt: ptr(nov(3, 13, 6)),
			Offers:      []bot.Offer{offer(nov(3, 13, 0), "vpn-connect", bot.FeedbackNotHelpful), offer(nov(3, 13, 5), "vpn-reset", bot.FeedbackSolved)},
			Transitions: []bot.Transition{ev(nov(3, 13, 0), "opened", bot.StatusOpen, "L1"), ev(nov(3, 13, 6), "resolved", bot.StatusResolved, "L1")},
		},
		{ // T10: claimed in the window, resolved and rated after it: at Until it was still claimed.
			ID: "T-000010", Priority: "P4", Subject: "Printer toner empty", CreatedAt: nov(7, 10, 0),
			Status: bot.StatusResolved, Tier: "tier2", ResolvedAt: ptr(nov(9, 10, 0)),
			Transitions: []bot.Transition{ev(nov(7, 10, 0), "opened", bot.StatusOpen, "L1"), ev(nov(7, 10, 0), "escalated", bot.StatusEscalated, "tier2"),
				ev(nov(7, 10, 5), "claimed", bot.StatusClaimed, "tier2"), ev(nov(9, 10, 0), "resolved", bot.StatusResolved, "tier2")},
			CSAT: &bot.Rating{Score: 1, RatedAt: nov(9, 10, 30)},
		},
		{ // T11: old and still with Tier 3; everything about it happened before the window.
			ID: "T-000011", Priority: "P3", Subject: "Old CAD licence problem", CreatedAt: time.Date(2026, 10, 20, 9, 0, 0, 0, time.UTC),
			Status: bot.StatusClaimed, Tier: "tier3",
			Transitions: []bot.Transition{ev(time.Date(2026, 10, 20, 9, 0, 0, 0, time.UTC), "opened", bot.StatusOpen, "L1"),
				ev(time.Date(2026, 10, 20, 9, 10, 0, 0, time.UTC), "escalated", bot.StatusEscalated, "tier2"),
				ev(time.Date(2026, 10, 21, 9, 0, 0, 0, time.UTC), "escalated", bot.StatusEscalated, "tier3"),
				ev(time.Date(2026, 10, 21, 10, 0, 0, 0, time.UTC), "claimed", bot.StatusClaimed, "tier3")},
		},
	}
}

func stats(priority string, count int, median, p90 time.Duration) report.TimeStats {
	return report.TimeStats{Priority: priority, Count: count, Median: median, P90: p90, MedianSeconds: median.Seconds(), P90Seconds: p90.Seconds()}
}

const (
	m = time.Minute
	h = time.Hour
)

// TestBuild checks every figure of the hand-made desk. The arithmetic is in the comments.
func TestBuild(t *testing.T) {
	r := report.Build(desk(), report.Options{Since: since, Until: until, Tiers: tiers, SLA: nineToFiveSLA()})

	check := func(name string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", name, got, want)
		}
	}
	// Opened in the window: T1, T2, T3, T4, T5, T7, T9, T10 (T6 and T11 before, T8 after).
	check("opened", r.Opened, 8)
	// A "resolved" transition in the window: T1, T2, T4 (twice, counted once), T6, T9 (T10's is after it).
	check("resolved", r.Resolved, 5)
	// Opened in the window, resolved at Until, never escalated: T1 and T9. 2 ÷ 8.
	check("deflected", r.Deflected, 2)
	check("deflection rate", r.DeflectionRate, 0.25)
	// Tier 2: T2, T3, T4, T5, T10 = 5 ÷ 8; Tier 3: T4 = 1 ÷ 8 (T11 reached it before the window).
	check("escalation", r.EscalationRate, []report.TierRate{
		{Tier: "tier2", Name: "Tier 2", Escalated: 5, Rate: 0.625},
		{Tier: "tier3", Name: "Tier 3", Escalated: 1, Rate: 0.125},
	})

	// First responses given in the window, in 09–17 business time (P1 around the clock):
	//   T2 (P2, SLA) 16:30 → next day 09:30: 30m + 30m = 1h (17h on the wall clock)
	//   T3 (P2, SLA) 09:00 → 14:00 = 5h
	//   T4 (P3, no SLA) escalated 10:10; the 10:15 note is internal; claimed 10:40 before the 10:50 reply = 30m
	//   T5 (P1, SLA) 20:00 → 20:20 = 20m
	//   T10 (P4, no SLA) 10:00 → claimed 10:05 = 5m
	//   T6's response was before the window.
	// Overall sorted 5m 20m 30m 1h 5h: median rank ⌈5·0.5⌉ = 3 → 30m; p90 rank ⌈4.5⌉ = 5 → 5h.
	// P2: 1h 5h: median rank ⌈1⌉ = 1 → 1h; p90 rank ⌈1.8⌉ = 2 → 5h.
	check("first response", r.FirstResponse, report.Times{
		Overall: stats("", 5, 30*m, 5*h),
		ByPriority: []report.TimeStats{
			stats("P1", 1, 20*m, 20*m), stats("P2", 2, 1*h, 5*h), stats("P3", 1, 30*m, 30*m), stats("P4", 1, 5*m, 5*m),
		},
	})
	// Resolutions in the window, created → last resolution in the window, in business time, less paused:
	//   T1 10:00 → 10:05 = 5m; T9 13:00 → 13:06 = 6m
	//   T2 16:00 → next day 11:00: 1h + 2h = 3h
	//   T4 5 Nov 10:00 → 6 Nov 10:00: 7h + 1h = 8h
	//   T6 30 Oct 10:00 → 2 Nov 12:00: 7h + 8h + 8h + 3h = 26h, less 1h paused = 25h
	// Overall 5m 6m 3h 8h 25h: median rank 3 → 3h, p90 rank 5 → 25h.
	// P3: 5m 6m 8h 25h: median rank ⌈2⌉ = 2 → 6m; p90 rank ⌈3.6⌉ = 4 → 25h.
	check("resolution", r.Resolution, report.Times{
		Overall:    stats("", 5, 3*h, 25*h),
		ByPriority: []report.TimeStats{stats("P2", 1, 3*h, 3*h), stats("P3", 4, 6*m, 25*h)},
	})

	// SLA clocks decided in the window:
	//   P1 response: T5 met (20:20 ≤ 20:30). P1 resolution: T5 breach announced, due 7 Nov 00:00.
	//   P2 response: T2 met 09:30 ≤ 10:30; T3 met 14:00 > due 11:00 → breached at 11:00.
	//   P2 resolution: T2 met 11:00 ≤ 16:00; T3 breach announced, due 6 Nov 09:00.
	//   P3 resolution: T6 met 2 Nov 12:00 > due 10:00 → breached. T6's response was met on 30 Oct (before);
	//   T7 is past due but waiting and not announced: not decided.
	check("sla", r.SLA, []report.SLACompliance{
		{Priority: "P1", Kind: "response", Clocks: 1, Met: 1, Breached: 0, Rate: 1},
		{Priority: "P1", Kind: "resolution", Clocks: 1, Met: 0, Breached: 1, Rate: 0},
		{Priority: "P2", Kind: "response", Clocks: 2, Met: 1, Breached: 1, Rate: 0.5},
		{Priority: "P2", Kind: "resolution", Clocks: 2, Met: 1, Breached: 1, Rate: 0.5},
		{Priority: "P3", Kind: "resolution", Clocks: 1, Met: 0, Breached: 1, Rate: 0},
	})
	// Response: T3. Resolution: T5, T3, T6.
	check("breaches", r.Breaches, report.Breaches{Response: 1, Resolution: 3})

	// Ratings given in the window: T2 5, T4 3 (T10's came after) → average 4.
	// Resolved in the window after escalation: T2, T4, T6; rated: T2, T4 → 2 ÷ 3.
	check("csat", r.CSAT, report.CSAT{Ratings: 2, Average: 4, Distribution: [5]int{0, 0, 1, 0, 1}, HumanResolved: 3, Rated: 2, ResponseRate: 2.0 / 3})
	// T4 reopened on 6 Nov: 1 ÷ 5 resolved.
	check("reopened", r.Reopened, 1)
	check("reopen rate", r.ReopenRate, 0.2)

	// Active at Until (9 Nov 00:00), with the age since opening:
	//   T7 at Level 1, 2h → <1d
	//   T10 in Tier 2 (resolved only after Until), 1d 14h → 1–3d; T5 in Tier 2, 2d 4h → 1–3d
	//   T3 in Tier 2, 4d 15h → 3–7d
	//   T11 in Tier 3, 19d 15h → ≥7d
	check("backlog", r.Backlog, report.Backlog{Total: 5, ByAge: [4]int{1, 2, 1, 1}, ByTier: []report.TierBacklog{
		{Tier: "L1", Name: "Level 1", Total: 1, ByAge: [4]int{1, 0, 0, 0}},
		{Tier: "tier2", Name: "Tier 2", Total: 3, ByAge: [4]int{0, 2, 1, 0}},
		{Tier: "tier3", Name: "Tier 3", Total: 1, ByAge: [4]int{0, 0, 0, 1}},
	}})

	// Offers made in the window (T8's is after it):
	//   vpn-connect: T1 solved, T9 not helpful, T7 no answer → 3 offered, 1 ÷ 2 with feedback helpful
	//   printer-offline: T2 not helpful; shared-drive: T4 talk to a human; vpn-reset: T9 solved
	check("articles", r.Articles, []report.ArticleStat{
		{Article: "vpn-connect", Title: "Title of vpn-connect", Offered: 3, Solved: 1, NotHelpful: 1, WithFeedback: 2, HelpfulRate: 0.5},
		{Article: "printer-offline", Title: "Title of printer-offline", Offered: 1, Solved: 0, NotHelpful: 1, WithFeedback: 1, HelpfulRate: 0},
		{Article: "shared-drive", Title: "Title of shared-drive", Offered: 1, Solved: 0, NotHelpful: 0, WithFeedback: 1, HelpfulRate: 0},
		{Article: "vpn-reset", Title: "Title of vpn-reset", Offered: 1, Solved: 1, NotHelpful: 0, WithFeedback: 1, HelpfulRate: 1},
	})

	// Gaps, in order of opening: T2 (not helpful) {printer floor 3 offlin}; T3 (no offers) {printer floor
	// 3 jam} shares 3 of 5 terms = 0.6 → same group; T4 (human); T5 (no offers); T10 (no offers)
	// {printer toner empti} shares 1 of 6 with T2 = 0.17 → its own. T1, T9 were solved; T7's offer is
	// unanswered.
	check("gaps", r.KnowledgeGaps, []report.Gap{
		{Example: "Printer on floor 3 is offline", Count: 2, Tickets: []string{"T-000002", "T-000003"}},
		{Example: "Cannot open shared drive", Count: 1, Tickets: []string{"T-000004"}},
		{Example: "Email down for whole office", Count: 1, Tickets: []string{"T-000005"}},
		{Example: "Printer toner empty", Count: 1, Tickets: []string{"T-000010"}},
	})

	// Opened per day by outcome at Until; they add up to the 8 opened.
	check("days", r.Series.Days, []report.DayOutcomes{
		{Date: "2026-11-02", Deflected: 1, HumanResolved: 1}, // T1, T2
		{Date: "2026-11-03", Deflected: 1},                   // T9
		{Date: "2026-11-04", Open: 1},                        // T3
		{Date: "2026-11-05", HumanResolved: 1},               // T4
		{Date: "2026-11-06", Open: 1},                        // T5
		{Date: "2026-11-07", Open: 1},                        // T10, resolved only after Until
		{Date: "2026-11-08", Open: 1},                        // T7
	})
	// All decided clocks are in week 45: 7, of which 3 met.
	check("sla weeks", r.Series.SLAWeeks, []report.WeekRate{{Week: "2026-W45", Clocks: 7, Met: 3, Rate: 3.0 / 7}})
	check("csat weeks", r.Series.CSATWeeks, []report.WeekAverage{{Week: "2026-W45", Ratings: 2, Average: 4}})
	check("backlog by age", r.Series.BacklogByAge, []report.BucketCount{{Bucket: "<1d", Count: 1}, {Bucket: "1–3d", Count: 2}, {Bucket: "3–7d", Count: 1}, {Bucket: "≥7d", Count: 1}})
}

// TestBuildWallClock runs the same desk without a calendar: the times that crossed the night change.
func TestBuildWallClock(t *testing.T) {
	r := report.Build(desk(), report.Options{Since: since, Until: until, Tiers: tiers})
	// First responses: 5m 20m 30m 5h and T2's 16:30 → 09:30 = 17h. Median rank 3 → 30m, p90 rank 5 → 17h.
	if got, want := r.FirstResponse.Overall, stats("", 5, 30*m, 17*h); got != want {
		t.Errorf("first response = %+v, want %+v", got, want)
	}
	// Resolutions: 5m, 6m, T2 19h, T4 24h, T6 3d 2h less 1h = 73h. Median rank 3 → 19h, p90 rank 5 → 73h.
	if got, want := r.Resolution.Overall, stats("", 5, 19*h, 73*h); got != want {
		t.Errorf("resolution = %+v, want %+v", got, want)
	}
}

// TestWindowEdges: Since is in the window and Until is not.
func TestWindowEdges(t *testing.T) {
	tickets := []*bot.Ticket{
		{ID: "T-000001", Priority: "P3", Subject: "at since", CreatedAt: since, Status: bot.StatusOpen, Tier: bot.LevelOne},
		{ID: "T-000002", Priority: "P3", Subject: "at until", CreatedAt: until, Status: bot.StatusOpen, Tier: bot.LevelOne},
	}
	r := report.Build(tickets, report.Options{Since: since, Until: until})
	if r.Opened != 1 || r.Backlog.Total != 1 {
		t.Fatalf("opened %d, backlog %d; want 1 and 1", r.Opened, r.Backlog.Total)
	}
}

func TestPercentile(t *testing.T) {
	seq := func(n int) []time.Duration {
		var ds []time.Duration
		for i := 1; i <= n; i++ {
			ds = append(ds, time.Duration(i)*time.Minute)
		}
		return ds
	}
	for _, tc := range []struct {
		name string
		ds   []time.Duration
		p    int
		want time.Duration
	}{
		{"none", nil, 50, 0},
		{"one", seq(1), 90, 1 * m},
		{"median of 4 is the 2nd (rank ⌈2⌉)", seq(4), 50, 2 * m},
		{"median of 5 is the 3rd (rank ⌈2.5⌉)", seq(5), 50, 3 * m},
		{"p90 of 10 is the 9th (rank ⌈9⌉)", seq(10), 90, 9 * m},
		{"p90 of 11 is the 10th (rank ⌈9.9⌉)", seq(11), 90, 10 * m},
		{"p90 of 3 is the 3rd (rank ⌈2.7⌉)", seq(3), 90, 3 * m},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := report.Percentile(tc.ds, tc.p); got != tc.want {
				t.Fatalf("Percentile(%v, %d) = %v, want %v", tc.ds, tc.p, got, tc.want)
			}
		})
	}
}

// TestKnowledgeGapGrouping pins the similarity threshold on both sides.
func TestKnowledgeGapGrouping(t *testing.T) {
	for _, tc := range []struct {
		name     string
		subjects []string
		want     []int // group sizes
	}{
		// {outlook crash} and {outlook slow}: 1 shared of 3 = 0.33, under 0.34.
		{"one of three terms shared", []string{"Outlook crashes", "Outlook slow"}, []int{1, 1}},
		// {printer floor 3 offlin} and {printer floor 3 jam}: 3 of 5 = 0.6.
		{"three of five", []string{"Printer on floor 3 is offline", "Printer on floor 3 jammed"}, []int{2}},
		// Each joins the first group it is close to: the two Outlook crashes, the two printers offline.
		{"greedy: the first group wins", []string{"Outlook crashes", "Printer offline", "Outlook crashing again", "printers offline"}, []int{2, 2}},
		// No searchable words: like nothing, not even each other.
		{"stop words only", []string{"it is not", "it is not"}, []int{1, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var tickets []*bot.Ticket
			for i, s := range tc.subjects {
				tickets = append(tickets, &bot.Ticket{ID: bot.TicketID(uint64(i + 1)), Subject: s, CreatedAt: since.Add(time.Duration(i) * time.Hour), Status: bot.StatusOpen})
			}
			r := report.Build(tickets, report.Options{Since: since, Until: until})
			var got []int
			for _, g := range r.KnowledgeGaps {
				got = append(got, g.Count)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("groups %+v, want sizes %v", r.KnowledgeGaps, tc.want)
			}
		})
	}
}

// TestKnowledgeGapsQuotePlainWords: a gap is quoted as the words people read, in every rendering of the
// report, never the Markdown it was typed in (the HTML page and the text showed "**blank pages**").
func TestKnowledgeGapsQuotePlainWords(t *testing.T) {
	tk := &bot.Ticket{ID: bot.TicketID(1), Subject: "The printer prints **blank pages** since `update 42`, see [the log](https://x.example/l)", CreatedAt: since.Add(time.Hour), Status: bot.StatusOpen}
	r := report.Build([]*bot.Ticket{tk}, report.Options{Since: since, Until: until})
	const want = "The printer prints blank pages since update 42, see the log"
	if len(r.KnowledgeGaps) != 1 || r.KnowledgeGaps[0].Example != want {
		t.Fatalf("gaps %+v, want one quoting %q", r.KnowledgeGaps, want)
	}
	var text, html bytes.Buffer
	if err := r.Text(&text); err != nil {
		t.Fatal(err)
	}
	if err := r.HTML(&html); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"text": text.String(), "html": html.String(), "summary": r.Summary()} {
		// The summary is Markdown for chat (its figures are bold): only the quote's own markup counts.
		if strings.Contains(out, "**blank") || strings.Contains(out, "`update") || strings.Contains(out, "](https://x.example") {
			t.Errorf("the %s report quotes Markdown:\n%s", name, out)
		}
	}
}

// TestEmpty: no tickets give zeros, no NaN, and every rendering still works.
func TestEmpty(t *testing.T) {
	r := report.Build(nil, report.Options{Since: since, Until: until, Tiers: tiers})
	data, err := json.Marshal(r) // fails on NaN or ±Inf
	if err != nil {
		t.Fatal(err)
	}
	if r.Opened != 0 || r.DeflectionRate != 0 || r.CSAT.Average != 0 || r.ReopenRate != 0 || len(r.Series.Days) != 7 {
		t.Fatalf("not zero: %s", data)
	}
	for _, key := range []string{`"articles":[]`, `"knowledge_gaps":[]`, `"sla":[]`, `"escalation_rate":[{"tier":"tier2","name":"Tier 2","escalated":0,"rate":0}`} {
		if !strings.Contains(string(data), key) {
			t.Errorf("JSON without %s: %s", key, data)
		}
	}
	var text, page bytes.Buffer
	if err := r.Text(&text); err != nil {
		t.Fatal(err)
	}
	if err := r.HTML(&page); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{text.String(), page.String(), r.Summary()} {
		if strings.Contains(out, "NaN") || strings.Contains(out, "Inf") {
			t.Fatalf("NaN in output:\n%s", out)
		}
	}
	if !strings.Contains(page.String(), "No tickets opened in this window") {
		t.Error("the empty day chart does not say so")
	}
	// Neither a window nor tickets: still no panic.
	empty := report.Build(nil, report.Options{})
	if err := empty.HTML(&bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
}

func TestJSONNames(t *testing.T) {
	r := report.Build(desk(), report.Options{Since: since, Until: until, Tiers: tiers, SLA: nineToFiveSLA()})
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"since", "until", "opened", "resolved", "deflected", "deflection_rate", "escalation_rate",
		"first_response", "resolution", "sla", "breaches", "csat", "reopened", "reopen_rate", "backlog", "articles",
		"knowledge_gaps", "series"} {
		if _, ok := obj[key]; !ok {
			t.Errorf("no %q in %s", key, data)
		}
	}
	// Durations are seconds: the overall first-response median is 30m.
	var fr struct {
		Overall struct {
			Median float64 `json:"median_seconds"`
		} `json:"overall"`
	}
	if err := json.Unmarshal(obj["first_response"], &fr); err != nil || fr.Overall.Median != 1800 {
		t.Fatalf("first_response %s (%v), want median_seconds 1800", obj["first_response"], err)
	}
}

func TestText(t *testing.T) {
	r := report.Build(desk(), report.Options{Since: since, Until: until, Tiers: tiers, SLA: nineToFiveSLA()})
	var b bytes.Buffer
	if err := r.Text(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"Service desk report, 2026-11-02 – 2026-11-08",
		"Deflected", "25.0% of opened",
		"Reached Tier 2", "62.5% of opened",
		"First response  5", "30m", "5h 00m",
		"P3", "1d 01h", // T6's 25h resolution is the P3 p90
		"P2        response    2        1    1         50.0%",
		"Average 4.00 from 2 ratings",
		"Backlog: 5 tickets active",
		"Tier 2   0    2     1     0    3",
		"vpn-connect", "Printer on floor 3 is offline",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text without %q:\n%s", want, out)
		}
	}
}

func TestSummary(t *testing.T) {
	r := report.Build(desk(), report.Options{Since: since, Until: until, Tiers: tiers, SLA: nineToFiveSLA()})
	s := r.Summary()
	lines := strings.Split(s, "\n")
	if len(lines) < 6 || len(lines) > 10 {
		t.Fatalf("%d lines, want 6 to 10:\n%s", len(lines), s)
	}
	for _, want := range []string{
		"**Service desk report, 2026-11-02 – 2026-11-08**",
		"**8** opened, **5** resolved; **25.0%** deflected by the bot (2)",
		"Tier 2 62.5%, Tier 3 12.5%",
		"First response: median 30m, p90 5h 00m; resolution: median 3h 00m, p90 1d 01h",
		"SLA met: **42.9%** (3 of 7); breaches: 1 response, 3 resolution",
		"CSAT **4.0**/5 from 2 ratings (66.7% answered); reopened 20.0%",
		"Backlog **5**: <1d 1, 1–3d 2, 3–7d 1, ≥7d 1",
		"Top article: Title of vpn-connect (`vpn-connect`), offered 3×, 1 solved",
		"Biggest knowledge gap: “Printer on floor 3 is offline” (2 tickets)",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("summary without %q:\n%s", want, s)
		}
	}
}

func TestDuration(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"}, {45 * time.Second, "45s"}, {12 * m, "12m"}, {3*h + 5*m, "3h 05m"}, {25 * h, "1d 01h"}, {73 * h, "3d 01h"},
	} {
		if got := report.Duration(tc.d); got != tc.want {
			t.Errorf("Duration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestNoNaNInRates(t *testing.T) {
	// Only a ticket opened before the window and resolved in it: rates over "opened" have a zero
	// denominator, rates over "resolved" do not.
	r := report.Build(desk()[5:6], report.Options{Since: since, Until: until, Tiers: tiers})
	for name, f := range map[string]float64{"deflection": r.DeflectionRate, "reopen": r.ReopenRate, "csat response": r.CSAT.ResponseRate} {
		if math.IsNaN(f) || f != 0 {
			t.Errorf("%s rate = %v, want 0", name, f)
		}
	}
	if r.Resolved != 1 || r.CSAT.HumanResolved != 1 {
		t.Fatalf("resolved %d, human resolved %d; want 1 and 1", r.Resolved, r.CSAT.HumanResolved)
	}
}
