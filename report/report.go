// Package report computes the service-desk figures a manager reads every week — volumes, deflection,
// escalation, response and resolution times, SLA compliance, satisfaction, backlog, articles and the
// questions the knowledge base could not answer — from the stored tickets, and renders them as text, a
// chat summary and a self-contained HTML page.
//
// Every figure is computed from the facts on the tickets (their transitions, transcript, offers, rating and
// SLA clocks) as they stood at the end of the window, so a report for a past week reads the same whenever
// it is run. The definitions are in the doc comments of Report's fields and in docs/reports.md; the SLA
// rules they rest on (first response, business time, when a clock is met or breached) are the engine's
// own, from bot.SLAPolicy, and are not defined again here.
package report

import (
	"time"

	"github.com/firstline-desk/firstline/bot"
)

// Options say which window to report on and how to measure time.
type Options struct {
	// Since and Until are the window: an instant t is in it when Since <= t < Until. Until is also "now"
	// for the backlog and for every ticket's state. A zero Since starts the window at the first ticket.
	Since, Until time.Time
	// Tiers are the desk's tiers, for their names and order.
	Tiers []bot.Tier
	// SLA is the desk's SLA policy: response and resolution times are business time on each priority's
	// calendar, as its clocks count them (business hours, P1 maybe around the clock). The zero policy
	// measures wall-clock time.
	SLA bot.SLAPolicy
}

// Age buckets of the backlog, by time since a ticket was opened.
var AgeBuckets = []string{"<1d", "1–3d", "3–7d", "≥7d"}

// Clock kinds of SLA compliance.
const (
	ClockResponse   = "response"
	ClockResolution = "resolution"
)

// GapSimilarity is the Jaccard similarity of two subjects' term sets from which they count as the same
// question: just over a third, so two three-word subjects sharing two terms (2/4) group together while
// two two-word subjects sharing one (1/3) do not.
const GapSimilarity = 0.34

// topN is how many articles and knowledge gaps a report lists.
const topN = 10

// Report is the figures of one window. Rates are fractions from 0 to 1 and are 0 when their denominator
// is 0; durations are wall-clock or business time as Options.SLA says.
type Report struct {
	Since time.Time `json:"since"`
	Until time.Time `json:"until"`

	// Opened counts tickets created in the window.
	Opened int `json:"opened"`
	// Resolved counts tickets with a "resolved" transition in the window, once each however often they
	// were resolved.
	Resolved int `json:"resolved"`
	// Deflected counts tickets opened in the window that were resolved at Until without ever having been
	// escalated: Level 1 (the bot) solved them. DeflectionRate is Deflected ÷ Opened.
	Deflected      int     `json:"deflected"`
	DeflectionRate float64 `json:"deflection_rate"`
	// EscalationRate is, per tier, the share of tickets opened in the window that reached the tier by
	// Until (an "escalated" transition into it).
	EscalationRate []TierRate `json:"escalation_rate"`

	// FirstResponse is the time a requester waited for a human, over the responses given in the window.
	// With SLA clocks: business time from Response.Start to Response.Met, less the time paused waiting
	// on the requester, for tickets whose Response.Met is in the window. Without: from the first
	// escalation to the first response after it (a claim, or a technician's message to the requester;
	// internal notes do not count), when that response is in the window. Both are the engine's
	// definitions (bot.SLAPolicy, bot.FirstEscalation, bot.FirstResponse).
	FirstResponse Times `json:"first_response"`
	// Resolution is the business time from opening to resolution, less the time paused, for the tickets
	// counted in Resolved (up to their last resolution in the window).
	Resolution Times `json:"resolution"`

	// SLA is compliance with the SLA targets per priority and clock kind. See SLACompliance.
	SLA []SLACompliance `json:"sla"`
	// Breaches counts the SLA clocks breached in the window, by kind (the same clocks as the SLA rows'
	// Breached).
	Breaches Breaches `json:"breaches"`

	// CSAT is the requesters' satisfaction ratings.
	CSAT CSAT `json:"csat"`

	// Reopened counts tickets with a "reopened" transition in the window; ReopenRate is Reopened ÷
	// Resolved.
	Reopened   int     `json:"reopened"`
	ReopenRate float64 `json:"reopen_rate"`

	// Backlog is the tickets still active at Until.
	Backlog Backlog `json:"backlog"`

	// Articles are the ten articles offered most in the window (offers made in it), most first.
	Articles []ArticleStat `json:"articles"`
	// KnowledgeGaps are the ten largest groups of questions the knowledge base could not answer. See Gap.
	KnowledgeGaps []Gap `json:"knowledge_gaps"`

	// Series are the figures over time, for charts.
	Series Series `json:"series"`
}

// TierRate is the share of the window's tickets that reached a tier.
type TierRate struct {
	Tier      string  `json:"tier"`
	Name      string  `json:"name"`
	Escalated int     `json:"escalated"`
	Rate      float64 `json:"rate"`
}

// Times are durations overall and per priority.
type Times struct {
	Overall    TimeStats   `json:"overall"`
	ByPriority []TimeStats `json:"by_priority"`
}

// TimeStats summarizes durations. Median and P90 are nearest-rank percentiles: with the n durations
// sorted, the p-th percentile is the one at rank ⌈p·n/100⌉ (so the median of 4 is the 2nd, and the p90
// of 10 is the 9th). JSON carries them in seconds.
type TimeStats struct {
	Priority string        `json:"priority,omitempty"`
	Count    int           `json:"count"`
	Median   time.Duration `json:"-"`
	P90      time.Duration `json:"-"`
	// The JSON forms of Median and P90, filled by Build.
	MedianSeconds float64 `json:"median_seconds"`
	P90Seconds    float64 `json:"p90_seconds"`
}

// SLACompliance is how often one kind of SLA clock was met for one priority.
//
// A clock with a deadline (Due) is decided once: it is met when it stopped (Met) at or before Due, and
// then it counts in the window that contains Met; it is breached when it stopped after Due, or is still
// running and the SLA loop has marked it Breached, and then it counts in the window that contains Due.
// So a clock counts in exactly one window, and a running clock past its deadline only once the desk has
// announced the breach (the loop knows about time paused waiting on the requester; the report does not).
// The rule is bot.SLAClock.Outcome.
type SLACompliance struct {
	Priority string  `json:"priority"`
	Kind     string  `json:"kind"` // ClockResponse or ClockResolution
	Clocks   int     `json:"clocks"`
	Met      int     `json:"met"`
	Breached int     `json:"breached"`
	Rate     float64 `json:"rate"` // Met ÷ Clocks
}

// Breaches counts breached SLA clocks by kind.
type Breaches struct {
	Response   int `json:"response"`
	Resolution int `json:"resolution"`
}

// CSAT is the requesters' ratings.
type CSAT struct {
	// Ratings counts the ratings given in the window; Average is their mean and Distribution their
	// counts by score: Distribution[0] is the number of 1s, Distribution[4] of 5s.
	Ratings      int     `json:"ratings"`
	Average      float64 `json:"average"`
	Distribution [5]int  `json:"distribution"`
	// HumanResolved counts the tickets resolved in the window that a human worked (ever escalated): the
	// ones asked for a rating. Rated is how many of them have a rating by Until; ResponseRate is Rated ÷
	// HumanResolved.
	HumanResolved int     `json:"human_resolved"`
	Rated         int     `json:"rated"`
	ResponseRate  float64 `json:"response_rate"`
}

// Backlog is the tickets active at Until, by tier and age (Until − CreatedAt) in AgeBuckets: less than a
// day, one to three days, three to seven, seven or more; a bucket holds its lower bound.
type Backlog struct {
	Total  int           `json:"total"`
	ByAge  [4]int        `json:"by_age"`
	ByTier []TierBacklog `json:"by_tier"`
}

// TierBacklog is one tier's active tickets by age bucket ("L1" is the bot's own).
type TierBacklog struct {
	Tier  string `json:"tier"`
	Name  string `json:"name"`
	Total int    `json:"total"`
	ByAge [4]int `json:"by_age"`
}

// ArticleStat is one article's offers in the window and what requesters said about them.
type ArticleStat struct {
	Article    string `json:"article"`
	Title      string `json:"title"`
	Offered    int    `json:"offered"`
	Solved     int    `json:"solved"`
	NotHelpful int    `json:"not_helpful"`
	// WithFeedback counts the offers that got any feedback (solved, not helpful, or talk to a human);
	// HelpfulRate is Solved ÷ WithFeedback.
	WithFeedback int     `json:"with_feedback"`
	HelpfulRate  float64 `json:"helpful_rate"`
}

// Gap is a group of similar questions the knowledge base could not answer: tickets opened in the window
// that were offered no article, or whose every offer was answered "not helpful" or "talk to a human".
//
// Questions are grouped greedily by their subjects' terms (kb.Analyze, as search sees them): in order of
// opening, a ticket joins the first group whose first question's term set has a Jaccard similarity
// (shared terms ÷ all terms) of at least GapSimilarity with its own, or else starts a group. Example is
// that first question.
type Gap struct {
	Example string   `json:"example"`
	Count   int      `json:"count"`
	Tickets []string `json:"tickets"` // the ids, in order of opening
}

// Series are figures over time for charts. Days are calendar days and weeks ISO weeks in Until's time
// zone, every one from the window's first to its last, with zeros where nothing happened.
type Series struct {
	// Days are the tickets opened each day by their outcome at Until.
	Days []DayOutcomes `json:"days"`
	// SLAWeeks is SLA compliance (both clock kinds) by the week a clock was decided.
	SLAWeeks []WeekRate `json:"sla_weeks"`
	// CSATWeeks is the average rating by the week it was given.
	CSATWeeks []WeekAverage `json:"csat_weeks"`
	// BacklogByAge is Backlog.ByAge with its labels.
	BacklogByAge []BucketCount `json:"backlog_by_age"`
}

// DayOutcomes is the tickets opened on one day: deflected, resolved after escalation, or still active.
// They add up to the day's opened tickets.
type DayOutcomes struct {
	Date          string `json:"date"` // 2006-01-02
	Deflected     int    `json:"deflected"`
	HumanResolved int    `json:"human_resolved"`
	Open          int    `json:"open"`
}

// WeekRate is SLA compliance in one ISO week.
type WeekRate struct {
	Week   string  `json:"week"` // 2026-W45
	Clocks int     `json:"clocks"`
	Met    int     `json:"met"`
	Rate   float64 `json:"rate"`
}

// WeekAverage is the ratings of one ISO week.
type WeekAverage struct {
	Week    string  `json:"week"`
	Ratings int     `json:"ratings"`
	Average float64 `json:"average"`
}

// BucketCount is the backlog in one age bucket.
type BucketCount struct {
	Bucket string `json:"bucket"`
	Count  int    `json:"count"`
}
