package web

// The reports page (/reports): the service-desk report (package report) of a chosen period, and its
// self-contained HTML page to download.

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/firstline-desk/firstline/internal/plural"
	"github.com/firstline-desk/firstline/report"
)

// Reports builds the report of a period: cmd/firstline's, from the tickets the period counts.
type Reports interface {
	Report(ctx context.Context, since, until time.Time) (*report.Report, error)
}

// reportPeriods are the periods the page offers, by their parameter.
var reportPeriods = []struct {
	Value, Label string
	Days         int
}{{"7d", "Last 7 days", 7}, {"30d", "Last 30 days", 30}, {"90d", "Last 90 days", 90}}

type reportPage struct {
	Period, From, To string
	Periods          []option
	R                *report.Report
	Window           string
	Tiles            []figure
	DayChart         template.HTML
	Download         string
	Problem          string
	Ages             []string
}

// reportWindow reads the period of a request: ?period=7d (the default), or ?from=&to= dates (to
// included).
func (s *Server) reportWindow(r *http.Request) (since, until time.Time, p reportPage) {
	q := r.URL.Query()
	p.Period, p.From, p.To = q.Get("period"), q.Get("from"), q.Get("to")
	for _, rp := range reportPeriods {
		p.Periods = append(p.Periods, option{rp.Value, rp.Label})
	}
	until = s.now()
	if p.From != "" || p.To != "" {
		f, err1 := time.ParseInLocation(time.DateOnly, p.From, time.Local)
		t, err2 := time.ParseInLocation(time.DateOnly, p.To, time.Local)
		if err1 == nil && err2 == nil && !t.Before(f) {
			p.Period = "custom"
			return f, t.AddDate(0, 0, 1), p
		}
		p.Problem = "Give the period as two dates, the first not after the second: showing the last 7 days."
	}
	days := 7
	for _, rp := range reportPeriods {
		if rp.Value == p.Period {
			days = rp.Days
		}
	}
	if p.Period == "" || p.Period == "custom" {
		p.Period = "7d"
	}
	return until.AddDate(0, 0, -days), until, p
}

func (s *Server) reports(w http.ResponseWriter, r *http.Request, v *Viewer) {
	if s.cfg.Reports == nil {
		s.refuse(w, r, v, http.StatusNotFound, "Reports are not available on this console.")
		return
	}
	since, until, p := s.reportWindow(r)
	rep, err := s.cfg.Reports.Report(r.Context(), since, until)
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	p.R, p.Window = rep, rep.Window()
	p.Download = "/reports/download?" + r.URL.Query().Encode()
	p.Ages = report.AgeBuckets
	met, clocks := 0, 0
	for _, c := range rep.SLA {
		met, clocks = met+c.Met, clocks+c.Clocks
	}
	sla, slaNote := "–", "no clocks decided"
	if clocks > 0 {
		sla, slaNote = fmt.Sprintf("%.0f%%", 100*float64(met)/float64(clocks)), fmt.Sprintf("%d of %s met", met, plural.Count(clocks, "clock", "clocks"))
	}
	csat, csatNote := "–", "no ratings"
	if rep.CSAT.Ratings > 0 {
		csat, csatNote = fmt.Sprintf("%.1f", rep.CSAT.Average), plural.Count(rep.CSAT.Ratings, "rating", "ratings")
	}
	p.Tiles = []figure{
		{"Opened", fmt.Sprint(rep.Opened), fmt.Sprintf("%d resolved", rep.Resolved)},
		{"Deflected", fmt.Sprintf("%.0f%%", 100*rep.DeflectionRate), fmt.Sprintf("%d solved by the desk", rep.Deflected)},
		{"First response", durationOr(rep.FirstResponse.Overall.Median), "median; p90 " + durationOr(rep.FirstResponse.Overall.P90)},
		{"Resolution", durationOr(rep.Resolution.Overall.Median), "median; p90 " + durationOr(rep.Resolution.Overall.P90)},
		{"SLA met", sla, slaNote},
		{"CSAT", csat, csatNote},
		{"Reopened", fmt.Sprintf("%.0f%%", 100*rep.ReopenRate), plural.Count(rep.Reopened, "ticket", "tickets")},
		{"Backlog", fmt.Sprint(rep.Backlog.Total), "active now"},
	}
	p.DayChart = dayChart(rep.Series.Days)
	s.render(w, r, v, http.StatusOK, "reports", "Reports", p)
}

func durationOr(d time.Duration) string {
	if d <= 0 {
		return "–"
	}
	return report.Duration(d)
}

// reportDownload sends the report's self-contained HTML page as a file.
func (s *Server) reportDownload(w http.ResponseWriter, r *http.Request, v *Viewer) {
	if s.cfg.Reports == nil {
		s.refuse(w, r, v, http.StatusNotFound, "Reports are not available on this console.")
		return
	}
	since, until, _ := s.reportWindow(r)
	rep, err := s.cfg.Reports.Report(r.Context(), since, until)
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	var b strings.Builder
	if err := rep.HTML(&b); err != nil {
		s.fail(w, r, v, err)
		return
	}
	name := fmt.Sprintf("firstline-report-%s-%s.html", since.Format("2006-01-02"), until.Add(-time.Nanosecond).Format("2006-01-02"))
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Write([]byte(b.String()))
}

// dayChart draws the tickets opened each day by outcome as stacked bars: SVG whose colours come from
// the stylesheet (the CSP allows no inline style), with each bar's numbers in its title.
func dayChart(days []report.DayOutcomes) template.HTML {
	if len(days) == 0 {
		return ""
	}
	const w, h, pad = 720, 160, 18
	top := 1
	for _, d := range days {
		top = max(top, d.Deflected+d.HumanResolved+d.Open)
	}
	bw := float64(w) / float64(len(days))
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-label="Tickets opened per day, by outcome">`, w, h+pad)
	for i, d := range days {
		x := float64(i)*bw + bw*0.15
		y := float64(h)
		for _, part := range []struct {
			n     int
			class string
		}{{d.Deflected, "deflected"}, {d.HumanResolved, "human"}, {d.Open, "open"}} {
			if part.n == 0 {
				continue
			}
			ph := float64(part.n) / float64(top) * float64(h-4)
			y -= ph
			fmt.Fprintf(&b, `<rect class="%s" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s: %d %s</title></rect>`,
				part.class, x, y, bw*0.7, ph, template.HTMLEscapeString(d.Date), part.n, map[string]string{"deflected": "deflected", "human": "resolved by a technician", "open": "still open"}[part.class])
		}
		if len(days) <= 31 && (len(days) <= 10 || i%7 == 0) {
			fmt.Fprintf(&b, `<text x="%.1f" y="%d">%s</text>`, x, h+pad-4, template.HTMLEscapeString(d.Date[5:]))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
