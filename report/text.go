package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/firstline-desk/firstline/internal/plural"
)

// Window returns the window as a person reads it: whole days as "2026-11-02 – 2026-11-08" (the last day
// included), otherwise with the times.
func (r *Report) Window() string {
	loc := r.Until.Location()
	since, until := r.Since.In(loc), r.Until.In(loc)
	if midnight(since) && midnight(until) && since.Before(until) {
		last := until.AddDate(0, 0, -1)
		if last.Equal(since) {
			return since.Format(time.DateOnly)
		}
		return since.Format(time.DateOnly) + " – " + last.Format(time.DateOnly)
	}
	const layout = "2006-01-02 15:04"
	return since.Format(layout) + " – " + until.Format(layout)
}

func midnight(t time.Time) bool {
	return t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0
}

// Duration formats a duration the way a report shows it: "45s", "12m", "3h 05m", "2d 03h".
func Duration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Round(time.Second)/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Round(time.Minute)/time.Minute))
	case d < 24*time.Hour:
		m := int(d.Round(time.Minute) / time.Minute)
		return fmt.Sprintf("%dh %02dm", m/60, m%60)
	}
	h := int(d.Round(time.Hour) / time.Hour)
	return fmt.Sprintf("%dd %02dh", h/24, h%24)
}

func percent(f float64) string { return fmt.Sprintf("%.1f%%", f*100) }

// statCells are a TimeStats' count, median and p90, with dashes when there is nothing to summarize.
func statCells(s TimeStats) string {
	if s.Count == 0 {
		return "0\t–\t–"
	}
	return fmt.Sprintf("%d\t%s\t%s", s.Count, Duration(s.Median), Duration(s.P90))
}

// Text writes the report as aligned plain text.
func (r *Report) Text(w io.Writer) error {
	ew := &errWriter{w: w}
	p := func(format string, args ...any) { fmt.Fprintf(ew, format, args...) }
	table := func(fill func(tw *tabwriter.Writer)) {
		tw := tabwriter.NewWriter(ew, 0, 4, 2, ' ', 0)
		fill(tw)
		tw.Flush()
	}

	p("Service desk report, %s\n", r.Window())
	p("(backlog as of %s)\n\n", r.Until.Format("2006-01-02 15:04 MST"))

	p("Tickets\n")
	table(func(tw *tabwriter.Writer) {
		fmt.Fprintf(tw, "  Opened\t%d\n", r.Opened)
		fmt.Fprintf(tw, "  Resolved\t%d\n", r.Resolved)
		fmt.Fprintf(tw, "  Deflected\t%d\t%s of opened, solved by the bot\n", r.Deflected, percent(r.DeflectionRate))
		fmt.Fprintf(tw, "  Reopened\t%d\t%s of resolved\n", r.Reopened, percent(r.ReopenRate))
		for _, e := range r.EscalationRate {
			fmt.Fprintf(tw, "  Reached %s\t%d\t%s of opened\n", e.Name, e.Escalated, percent(e.Rate))
		}
	})

	p("\nTimes (nearest-rank percentiles)\n")
	table(func(tw *tabwriter.Writer) {
		fmt.Fprintln(tw, "  \tTICKETS\tMEDIAN\tP90")
		for _, t := range []struct {
			name string
			ts   Times
		}{{"First response", r.FirstResponse}, {"Resolution", r.Resolution}} {
			fmt.Fprintf(tw, "  %s\t%s\n", t.name, statCells(t.ts.Overall))
			for _, s := range t.ts.ByPriority {
				fmt.Fprintf(tw, "    %s\t%s\n", s.Priority, statCells(s))
			}
		}
	})

	p("\nSLA compliance\n")
	if len(r.SLA) == 0 {
		p("  No SLA clocks were decided in this window.\n")
	} else {
		table(func(tw *tabwriter.Writer) {
			fmt.Fprintln(tw, "  PRIORITY\tCLOCK\tDECIDED\tMET\tBREACHED\tMET %")
			for _, s := range r.SLA {
				fmt.Fprintf(tw, "  %s\t%s\t%d\t%d\t%d\t%s\n", s.Priority, s.Kind, s.Clocks, s.Met, s.Breached, percent(s.Rate))
			}
		})
	}
	p("  Breaches: %d response, %d resolution\n", r.Breaches.Response, r.Breaches.Resolution)

	p("\nSatisfaction\n")
	c := r.CSAT
	if c.Ratings == 0 {
		p("  No ratings in this window.\n")
	} else {
		p("  Average %.2f from %s   1: %d  2: %d  3: %d  4: %d  5: %d\n", c.Average, plural.Count(c.Ratings, "rating", "ratings"),
			c.Distribution[0], c.Distribution[1], c.Distribution[2], c.Distribution[3], c.Distribution[4])
	}
	p("  Response rate %s (rated: %d of %s resolved by a human)\n", percent(c.ResponseRate), c.Rated, plural.Count(c.HumanResolved, "ticket", "tickets"))

	p("\nBacklog: %s active\n", plural.Count(r.Backlog.Total, "ticket", "tickets"))
	if r.Backlog.Total > 0 {
		table(func(tw *tabwriter.Writer) {
			fmt.Fprintf(tw, "  TIER\t%s\tTOTAL\n", strings.Join(AgeBuckets, "\t"))
			for _, t := range r.Backlog.ByTier {
				fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t%d\t%d\n", t.Name, t.ByAge[0], t.ByAge[1], t.ByAge[2], t.ByAge[3], t.Total)
			}
			a := r.Backlog.ByAge
			fmt.Fprintf(tw, "  All\t%d\t%d\t%d\t%d\t%d\n", a[0], a[1], a[2], a[3], r.Backlog.Total)
		})
	}

	p("\nArticles offered most\n")
	if len(r.Articles) == 0 {
		p("  No articles were offered in this window.\n")
	} else {
		table(func(tw *tabwriter.Writer) {
			fmt.Fprintln(tw, "  ARTICLE\tOFFERED\tSOLVED\tNOT HELPFUL\tHELPFUL\tTITLE")
			for _, a := range r.Articles {
				helpful := "–"
				if a.WithFeedback > 0 {
					helpful = percent(a.HelpfulRate)
				}
				fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t%s\t%s\n", a.Article, a.Offered, a.Solved, a.NotHelpful, helpful, clip(a.Title, 50))
			}
		})
	}

	p("\nKnowledge gaps (questions the knowledge base could not answer)\n")
	if len(r.KnowledgeGaps) == 0 {
		p("  None in this window.\n")
	} else {
		table(func(tw *tabwriter.Writer) {
			fmt.Fprintln(tw, "  COUNT\tEXAMPLE\tTICKETS")
			for _, g := range r.KnowledgeGaps {
				fmt.Fprintf(tw, "  %d\t%s\t%s\n", g.Count, clip(g.Example, 60), ticketList(g.Tickets, 3))
			}
		})
	}
	return ew.err
}

// Summary is a compact Markdown summary for a chat reply: a title and up to nine lines.
func (r *Report) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "**Service desk report, %s**\n", r.Window())
	fmt.Fprintf(&b, "- **%d** opened, **%d** resolved; **%s** deflected by the bot (%d)\n", r.Opened, r.Resolved, percent(r.DeflectionRate), r.Deflected)
	if len(r.EscalationRate) > 0 {
		var parts []string
		for _, e := range r.EscalationRate {
			parts = append(parts, fmt.Sprintf("%s %s", e.Name, percent(e.Rate)))
		}
		fmt.Fprintf(&b, "- Escalated: %s\n", strings.Join(parts, ", "))
	}
	fmt.Fprintf(&b, "- First response: median %s, p90 %s; resolution: median %s, p90 %s\n",
		orDash(r.FirstResponse.Overall, false), orDash(r.FirstResponse.Overall, true),
		orDash(r.Resolution.Overall, false), orDash(r.Resolution.Overall, true))
	clocks, met := 0, 0
	for _, s := range r.SLA {
		clocks += s.Clocks
		met += s.Met
	}
	if clocks > 0 {
		fmt.Fprintf(&b, "- SLA met: **%s** (%d of %d); breaches: %d response, %d resolution\n", percent(rate(met, clocks)), met, clocks,
			r.Breaches.Response, r.Breaches.Resolution)
	} else {
		fmt.Fprintf(&b, "- SLA: no clocks decided in this window\n")
	}
	if r.CSAT.Ratings > 0 {
		fmt.Fprintf(&b, "- CSAT **%.1f**/5 from %s (%s answered); reopened %s\n", r.CSAT.Average, plural.Count(r.CSAT.Ratings, "rating", "ratings"), percent(r.CSAT.ResponseRate), percent(r.ReopenRate))
	} else {
		fmt.Fprintf(&b, "- CSAT: no ratings; reopened %s\n", percent(r.ReopenRate))
	}
	a := r.Backlog.ByAge
	fmt.Fprintf(&b, "- Backlog **%d**: %s %d, %s %d, %s %d, %s %d\n", r.Backlog.Total,
		AgeBuckets[0], a[0], AgeBuckets[1], a[1], AgeBuckets[2], a[2], AgeBuckets[3], a[3])
	if len(r.Articles) > 0 {
		top := r.Articles[0]
		fmt.Fprintf(&b, "- Top article: %s (`%s`), offered %d×, %d solved\n", top.Title, top.Article, top.Offered, top.Solved)
	}
	if len(r.KnowledgeGaps) > 0 {
		g := r.KnowledgeGaps[0]
		fmt.Fprintf(&b, "- Biggest knowledge gap: “%s” (%s)\n", clip(g.Example, 60), plural.Count(g.Count, "ticket", "tickets"))
	}
	return strings.TrimRight(b.String(), "\n")
}

func orDash(s TimeStats, p90 bool) string {
	switch {
	case s.Count == 0:
		return "–"
	case p90:
		return Duration(s.P90)
	}
	return Duration(s.Median)
}

func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func ticketList(ids []string, n int) string {
	if len(ids) <= n {
		return strings.Join(ids, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(ids[:n], ", "), len(ids)-n)
}

// errWriter keeps the first write error, so rendering code can write without checking each line.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}
