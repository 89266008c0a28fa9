package report

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/kb"
	"github.com/firstline-desk/firstline/markdown"
)

// The builder: the figures of the report, ticket by ticket, then summed up.

// Build computes the report of the window from the tickets. It does not change them.
func Build(tickets []*bot.Ticket, opts Options) *Report {
	if opts.Since.IsZero() {
		opts.Since = opts.Until
		for _, t := range tickets {
			if t.CreatedAt.Before(opts.Since) {
				opts.Since = t.CreatedAt
			}
		}
	}
	b := &builder{opts: opts, r: &Report{Since: opts.Since, Until: opts.Until}}
	// Tickets in order of opening, so groups and examples do not depend on the caller's order.
	sorted := slices.Clone(tickets)
	slices.SortStableFunc(sorted, func(x, y *bot.Ticket) int {
		return cmp.Or(x.CreatedAt.Compare(y.CreatedAt), cmp.Compare(x.ID, y.ID))
	})
	for _, t := range sorted {
		b.add(t)
	}
	b.finish()
	return b.r
}

// builder accumulates the figures ticket by ticket.
type builder struct {
	opts Options
	r    *Report

	escalated  map[string]int
	response   map[string][]time.Duration // by priority
	resolution map[string][]time.Duration
	sla        map[[2]string]*SLACompliance // by priority and kind
	slaWeeks   map[string]*WeekRate
	csatWeeks  map[string]*WeekAverage
	csatSum    int
	days       map[string]*DayOutcomes
	backlog    map[string]*TierBacklog
	articles   map[string]*ArticleStat
	gaps       []*gapGroup
}

type gapGroup struct {
	seed  map[string]bool
	gap   Gap
	order int
}

func (b *builder) in(at time.Time) bool { return !at.Before(b.opts.Since) && at.Before(b.opts.Until) }

// upTo reports whether at is no later than Until: the ticket's state at the end of the window.
func (b *builder) upTo(at time.Time) bool { return at.Before(b.opts.Until) }

func (b *builder) business(priority string, from, to time.Time) time.Duration {
	return b.opts.SLA.Between(priority, from, to)
}

func priorityOf(t *bot.Ticket) string {
	if t.Priority == "" {
		return "none"
	}
	return t.Priority
}

func (b *builder) add(t *bot.Ticket) {
	if !b.upTo(t.CreatedAt) {
		return // opened after the window: it did not exist yet
	}
	status, tier := b.stateAtUntil(t)
	escalated := map[string]bool{} // tiers reached by Until
	for _, e := range t.Transitions {
		if e.Type == bot.TransitionEscalated && b.upTo(e.At) {
			escalated[e.Tier] = true
		}
	}
	human := len(escalated) > 0

	if b.in(t.CreatedAt) {
		b.r.Opened++
		for id := range escalated {
			b.count(&b.escalated, id)
		}
		day := b.day(t.CreatedAt)
		switch {
		case status.Active():
			day.Open++
		case human:
			day.HumanResolved++
		default:
			b.r.Deflected++
			day.Deflected++
		}
		b.gap(t)
	}

	if at, ok := b.resolvedIn(t); ok {
		b.r.Resolved++
		d := b.business(priorityOf(t), t.CreatedAt, at)
		if t.SLA != nil {
			d -= t.SLA.Resolution.Paused
		}
		appendTo(&b.resolution, priorityOf(t), max(d, 0))
		if human {
			b.r.CSAT.HumanResolved++
			if t.CSAT != nil && b.upTo(t.CSAT.RatedAt) {
				b.r.CSAT.Rated++
			}
		}
	}
	if d, ok := b.firstResponse(t); ok {
		appendTo(&b.response, priorityOf(t), d)
	}
	for _, e := range t.Transitions {
		if e.Type == bot.TransitionReopened && b.in(e.At) {
			b.r.Reopened++
			break
		}
	}
	if t.CSAT != nil && b.in(t.CSAT.RatedAt) && t.CSAT.Score >= 1 && t.CSAT.Score <= 5 {
		b.r.CSAT.Ratings++
		b.r.CSAT.Distribution[t.CSAT.Score-1]++
		b.csatSum += t.CSAT.Score
		w := b.csatWeek(t.CSAT.RatedAt)
		w.Average += float64(t.CSAT.Score) // a sum until finish
		w.Ratings++
	}
	if t.SLA != nil {
		b.clock(priorityOf(t), ClockResponse, t.SLA.Response)
		b.clock(priorityOf(t), ClockResolution, t.SLA.Resolution)
	}
	if status.Active() {
		b.backlogAdd(tier, b.opts.Until.Sub(t.CreatedAt))
	}
	for _, o := range t.Offers {
		if b.in(o.At) {
			b.offer(o)
		}
	}
}

// stateAtUntil replays the transitions up to Until: the status and tier the ticket had then. A ticket
// without transitions (written by hand, or before they were kept) has its stored status and tier.
func (b *builder) stateAtUntil(t *bot.Ticket) (bot.Status, string) {
	if len(t.Transitions) == 0 {
		return t.Status, t.Tier
	}
	status, tier := bot.StatusOpen, bot.LevelOne
	for _, e := range t.Transitions {
		if !b.upTo(e.At) {
			continue
		}
		if e.To != "" {
			status = e.To
		}
		if e.Tier != "" {
			tier = e.Tier
		}
	}
	return status, tier
}

// resolvedIn returns the last resolution of the ticket in the window.
func (b *builder) resolvedIn(t *bot.Ticket) (time.Time, bool) {
	var last time.Time
	found := false
	for _, e := range t.Transitions {
		if e.Type == bot.TransitionResolved && b.in(e.At) {
			last, found = e.At, true
		}
	}
	if len(t.Transitions) == 0 && t.ResolvedAt != nil && b.in(*t.ResolvedAt) {
		return *t.ResolvedAt, true
	}
	return last, found
}

// firstResponse returns the ticket's first response time when the response was given in the window: the
// SLA policy's (bot.FirstResponse after bot.FirstEscalation), on the response clock when it has one.
func (b *builder) firstResponse(t *bot.Ticket) (time.Duration, bool) {
	p := priorityOf(t)
	if t.SLA != nil {
		c := t.SLA.Response
		if c.Start == nil || c.Met == nil || !b.in(*c.Met) {
			return 0, false
		}
		return max(b.business(p, *c.Start, *c.Met)-c.Paused, 0), true
	}
	start, ok := bot.FirstEscalation(t)
	if !ok {
		return 0, false
	}
	first, ok := bot.FirstResponse(t, start)
	if !ok || !b.in(first) {
		return 0, false
	}
	return b.business(p, start, first), true
}

// clock counts one SLA clock where it was decided (see SLACompliance).
func (b *builder) clock(priority, kind string, c bot.SLAClock) {
	at, met, decided := c.Outcome()
	if !decided || !b.in(at) {
		return // still running, not breached; or decided in another window
	}
	if b.sla == nil {
		b.sla = map[[2]string]*SLACompliance{}
	}
	key := [2]string{priority, kind}
	row := b.sla[key]
	if row == nil {
		row = &SLACompliance{Priority: priority, Kind: kind}
		b.sla[key] = row
	}
	row.Clocks++
	week := b.slaWeek(at)
	week.Clocks++
	if met {
		row.Met++
		week.Met++
		return
	}
	row.Breached++
	if kind == ClockResponse {
		b.r.Breaches.Response++
	} else {
		b.r.Breaches.Resolution++
	}
}

func (b *builder) backlogAdd(tier string, age time.Duration) {
	i := ageBucket(age)
	b.r.Backlog.Total++
	b.r.Backlog.ByAge[i]++
	if b.backlog == nil {
		b.backlog = map[string]*TierBacklog{}
	}
	row := b.backlog[tier]
	if row == nil {
		row = &TierBacklog{Tier: tier, Name: b.tierName(tier)}
		b.backlog[tier] = row
	}
	row.Total++
	row.ByAge[i]++
}

func ageBucket(age time.Duration) int {
	const day = 24 * time.Hour
	switch {
	case age < day:
		return 0
	case age < 3*day:
		return 1
	case age < 7*day:
		return 2
	}
	return 3
}

func (b *builder) offer(o bot.Offer) {
	if b.articles == nil {
		b.articles = map[string]*ArticleStat{}
	}
	a := b.articles[o.Article]
	if a == nil {
		a = &ArticleStat{Article: o.Article}
		b.articles[o.Article] = a
	}
	a.Title = o.Title // the latest title the article was offered under
	a.Offered++
	switch o.Feedback {
	case bot.FeedbackSolved:
		a.Solved++
	case bot.FeedbackNotHelpful:
		a.NotHelpful++
	}
	if o.Feedback != "" {
		a.WithFeedback++
	}
}

// gap files a ticket opened in the window under its knowledge gap, if the knowledge base failed it.
func (b *builder) gap(t *bot.Ticket) {
	for _, o := range t.Offers {
		if o.Feedback != bot.FeedbackNotHelpful && o.Feedback != bot.FeedbackHuman {
			return // solved, or offered and never answered: not known to be a gap
		}
	}
	terms := map[string]bool{}
	for _, term := range kb.Analyze(t.Subject) {
		terms[term] = true
	}
	for _, g := range b.gaps {
		if jaccard(g.seed, terms) >= GapSimilarity {
			g.gap.Count++
			g.gap.Tickets = append(g.gap.Tickets, t.ID)
			return
		}
	}
	b.gaps = append(b.gaps, &gapGroup{seed: terms, order: len(b.gaps),
		gap: Gap{Example: quote(t.Subject), Count: 1, Tickets: []string{t.ID}}})
}

// jaccard is |a ∩ b| ÷ |a ∪ b|, and 0 for two empty sets: a subject without searchable words is like
// no other.
func jaccard(a, b map[string]bool) float64 {
	shared := 0
	for term := range a {
		if b[term] {
			shared++
		}
	}
	union := len(a) + len(b) - shared
	if union == 0 {
		return 0
	}
	return float64(shared) / float64(union)
}

func (b *builder) count(m *map[string]int, key string) {
	if *m == nil {
		*m = map[string]int{}
	}
	(*m)[key]++
}

func appendTo(m *map[string][]time.Duration, key string, d time.Duration) {
	if *m == nil {
		*m = map[string][]time.Duration{}
	}
	(*m)[key] = append((*m)[key], d)
}

func (b *builder) tierName(id string) string { return bot.TierName(b.opts.Tiers, id) }

// tierOrder sorts tier ids: Level 1, then the configured tiers in escalation order, then any others
// (tiers since removed from the config) by id.
func (b *builder) tierOrder(x, y string) int {
	rank := func(id string) int {
		if id == bot.LevelOne {
			return -1
		}
		for i, t := range b.opts.Tiers {
			if t.ID == id {
				return i
			}
		}
		return len(b.opts.Tiers)
	}
	return cmp.Or(cmp.Compare(rank(x), rank(y)), cmp.Compare(x, y))
}

func (b *builder) loc() *time.Location { return b.opts.Until.Location() }

func (b *builder) day(at time.Time) *DayOutcomes {
	key := at.In(b.loc()).Format(time.DateOnly)
	if b.days == nil {
		b.days = map[string]*DayOutcomes{}
	}
	if b.days[key] == nil {
		b.days[key] = &DayOutcomes{Date: key}
	}
	return b.days[key]
}

func isoWeek(at time.Time) string {
	y, w := at.ISOWeek()
	return fmt.Sprintf("%d-W%02d", y, w)
}

func (b *builder) slaWeek(at time.Time) *WeekRate {
	key := isoWeek(at.In(b.loc()))
	if b.slaWeeks == nil {
		b.slaWeeks = map[string]*WeekRate{}
	}
	if b.slaWeeks[key] == nil {
		b.slaWeeks[key] = &WeekRate{Week: key}
	}
	return b.slaWeeks[key]
}

func (b *builder) csatWeek(at time.Time) *WeekAverage {
	key := isoWeek(at.In(b.loc()))
	if b.csatWeeks == nil {
		b.csatWeeks = map[string]*WeekAverage{}
	}
	if b.csatWeeks[key] == nil {
		b.csatWeeks[key] = &WeekAverage{Week: key}
	}
	return b.csatWeeks[key]
}

func rate(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}

// finish turns the counts into rates, sorted lists and full series.
func (b *builder) finish() {
	r := b.r
	r.DeflectionRate = rate(r.Deflected, r.Opened)
	r.ReopenRate = rate(r.Reopened, r.Resolved)
	r.CSAT.ResponseRate = rate(r.CSAT.Rated, r.CSAT.HumanResolved)
	if r.CSAT.Ratings > 0 {
		r.CSAT.Average = float64(b.csatSum) / float64(r.CSAT.Ratings)
	}

	r.EscalationRate = []TierRate{}
	ids := make([]string, 0, len(b.opts.Tiers))
	for _, t := range b.opts.Tiers {
		ids = append(ids, t.ID)
	}
	for id := range b.escalated {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	slices.SortFunc(ids, b.tierOrder)
	for _, id := range ids {
		n := b.escalated[id]
		r.EscalationRate = append(r.EscalationRate, TierRate{Tier: id, Name: b.tierName(id), Escalated: n, Rate: rate(n, r.Opened)})
	}

	r.FirstResponse = times(b.response)
	r.Resolution = times(b.resolution)

	r.SLA = []SLACompliance{}
	for _, row := range b.sla {
		row.Rate = rate(row.Met, row.Clocks)
		r.SLA = append(r.SLA, *row)
	}
	slices.SortFunc(r.SLA, func(x, y SLACompliance) int {
		// response before resolution: the order they run in
		return cmp.Or(cmp.Compare(x.Priority, y.Priority), -cmp.Compare(x.Kind, y.Kind))
	})

	r.Backlog.ByTier = []TierBacklog{}
	for _, row := range b.backlog {
		r.Backlog.ByTier = append(r.Backlog.ByTier, *row)
	}
	slices.SortFunc(r.Backlog.ByTier, func(x, y TierBacklog) int { return b.tierOrder(x.Tier, y.Tier) })

	r.Articles = []ArticleStat{}
	for _, a := range b.articles {
		a.HelpfulRate = rate(a.Solved, a.WithFeedback)
		r.Articles = append(r.Articles, *a)
	}
	slices.SortFunc(r.Articles, func(x, y ArticleStat) int {
		return cmp.Or(-cmp.Compare(x.Offered, y.Offered), cmp.Compare(x.Article, y.Article))
	})
	r.Articles = r.Articles[:min(len(r.Articles), topN)]

	sort.SliceStable(b.gaps, func(i, j int) bool { return b.gaps[i].gap.Count > b.gaps[j].gap.Count })
	r.KnowledgeGaps = []Gap{}
	for _, g := range b.gaps[:min(len(b.gaps), topN)] {
		r.KnowledgeGaps = append(r.KnowledgeGaps, g.gap)
	}

	b.series()
}

// times summarizes durations per priority and overall.
func times(byPriority map[string][]time.Duration) Times {
	out := Times{ByPriority: []TimeStats{}}
	var all []time.Duration
	for _, p := range slices.Sorted(maps.Keys(byPriority)) {
		ds := byPriority[p]
		all = append(all, ds...)
		s := summarize(ds)
		s.Priority = p
		out.ByPriority = append(out.ByPriority, s)
	}
	out.Overall = summarize(all)
	return out
}

func summarize(ds []time.Duration) TimeStats {
	ds = slices.Clone(ds)
	slices.Sort(ds)
	s := TimeStats{Count: len(ds), Median: Percentile(ds, 50), P90: Percentile(ds, 90)}
	s.MedianSeconds, s.P90Seconds = s.Median.Seconds(), s.P90.Seconds()
	return s
}

// Percentile returns the nearest-rank p-th percentile of sorted durations: the one at rank ⌈p·n/100⌉
// (counting from 1), or 0 when there are none.
func Percentile(sorted []time.Duration, p int) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	rank := (p*n + 99) / 100 // ⌈p·n/100⌉ in integers
	return sorted[min(max(rank, 1), n)-1]
}

// series fills every day and week of the window, with zeros where nothing happened.
func (b *builder) series() {
	r := b.r
	r.Series = Series{Days: []DayOutcomes{}, SLAWeeks: []WeekRate{}, CSATWeeks: []WeekAverage{}, BacklogByAge: []BucketCount{}}
	for i, label := range AgeBuckets {
		r.Series.BacklogByAge = append(r.Series.BacklogByAge, BucketCount{Bucket: label, Count: r.Backlog.ByAge[i]})
	}
	if !b.opts.Since.Before(b.opts.Until) {
		return
	}
	loc := b.loc()
	first := b.opts.Since.In(loc)
	last := b.opts.Until.Add(-time.Nanosecond).In(loc) // the window's last instant
	day := time.Date(first.Year(), first.Month(), first.Day(), 0, 0, 0, 0, loc)
	seenWeek := map[string]bool{}
	for !day.After(last) {
		key := day.Format(time.DateOnly)
		d := DayOutcomes{Date: key}
		if got := b.days[key]; got != nil {
			d = *got
		}
		r.Series.Days = append(r.Series.Days, d)
		if w := isoWeek(day); !seenWeek[w] {
			seenWeek[w] = true
			sw := WeekRate{Week: w}
			if got := b.slaWeeks[w]; got != nil {
				sw = *got
				sw.Rate = rate(sw.Met, sw.Clocks)
			}
			r.Series.SLAWeeks = append(r.Series.SLAWeeks, sw)
			cw := WeekAverage{Week: w}
			if got := b.csatWeeks[w]; got != nil {
				cw = *got
				cw.Average /= float64(cw.Ratings)
			}
			r.Series.CSATWeeks = append(r.Series.CSATWeeks, cw)
		}
		day = day.AddDate(0, 0, 1)
	}
}

// quote is a question as people read it, for a report that quotes it: its words without the Markdown
// they were typed in ("**blank pages**" reads "blank pages"), on one line. Every rendering of the report
// (text, HTML, JSON, the web console) shows it as plain text, so the markup would show as typed.
func quote(subject string) string {
	return strings.Join(strings.Fields(markdown.Plain(subject)), " ")
}
