package report

import (
	"fmt"
	"html"
	"html/template"
	"io"
	"math"
	"strings"

	"github.com/firstline-desk/firstline/internal/escape"
	"github.com/firstline-desk/firstline/internal/plural"
)

// HTML writes the report as one self-contained page: inline CSS and SVG charts, nothing fetched from the
// network, so it can be mailed or opened from a file share as it is. Control characters and bidi
// overrides in it are written as visible escapes.
func (r *Report) HTML(w io.Writer) error {
	clocks, met := 0, 0
	for _, s := range r.SLA {
		clocks += s.Clocks
		met += s.Met
	}
	tile := func(label, value, note string) Tile { return Tile{Label: label, Value: value, Note: note} }
	slaValue, slaNote := "–", "no clocks decided"
	if clocks > 0 {
		slaValue, slaNote = percent(rate(met, clocks)), fmt.Sprintf("%d of %s met", met, plural.Count(clocks, "clock", "clocks"))
	}
	csatValue, csatNote := "–", "no ratings"
	if r.CSAT.Ratings > 0 {
		csatValue, csatNote = fmt.Sprintf("%.1f", r.CSAT.Average), fmt.Sprintf("%s, %s answered", plural.Count(r.CSAT.Ratings, "rating", "ratings"), percent(r.CSAT.ResponseRate))
	}
	page := htmlPage{
		R:      r,
		Window: r.Window(),
		AsOf:   r.Until.Format("2006-01-02 15:04 MST"),
		Tiles: []Tile{
			tile("Opened", fmt.Sprint(r.Opened), fmt.Sprintf("%d resolved", r.Resolved)),
			tile("Deflected", percent(r.DeflectionRate), fmt.Sprintf("%d solved by the bot", r.Deflected)),
			tile("First response", orDash(r.FirstResponse.Overall, false), "median; p90 "+orDash(r.FirstResponse.Overall, true)),
			tile("Resolution", orDash(r.Resolution.Overall, false), "median; p90 "+orDash(r.Resolution.Overall, true)),
			tile("SLA met", slaValue, slaNote),
			tile("CSAT", csatValue, csatNote),
			tile("Reopened", percent(r.ReopenRate), fmt.Sprintf("%d of resolved", r.Reopened)),
			tile("Backlog", fmt.Sprint(r.Backlog.Total), "active now"),
		},
		DayChart:     template.HTML(dayChart(r.Series.Days)),
		SLAChart:     template.HTML(lineChart("SLA compliance per week", slaPoints(r.Series.SLAWeeks), 0, 1, func(v float64) string { return fmt.Sprintf("%.0f%%", v*100) })),
		CSATChart:    template.HTML(lineChart("Average rating per week", csatPoints(r.Series.CSATWeeks), 1, 5, func(v float64) string { return fmt.Sprintf("%.1f", v) })),
		BacklogChart: template.HTML(backlogChart(r.Series.BacklogByAge)),
		Buckets:      AgeBuckets,
	}
	// The page goes through escape.Writer: html/template escapes markup, not control characters or bidi
	// overrides, which a question quoted as a knowledge gap (or a tier's name) may hold. They come out as
	// visible escapes (\u202e), so the page reads as stored and a cat of the file is harmless.
	ew := escape.NewWriter(w)
	if err := pageTemplate.Execute(ew, page); err != nil {
		return err
	}
	return ew.Flush()
}

// Tile is one key figure at the top of the page.
type Tile struct{ Label, Value, Note string }

type htmlPage struct {
	R                                           *Report
	Window, AsOf                                string
	Tiles                                       []Tile
	DayChart, SLAChart, CSATChart, BacklogChart template.HTML
	Buckets                                     []string
}

// Chart geometry, in SVG user units; the SVG scales to its box.
const (
	chartW, chartH = 560, 240
	padL, padR     = 44, 12
	padT, padB     = 14, 34
	plotW, plotH   = chartW - padL - padR, chartH - padT - padB
)

// Outcome colours, the same in the legend and the bars.
const (
	colDeflected = "#2e9d6a"
	colHuman     = "#3b6fd4"
	colOpen      = "#e08a1e"
	colLine      = "#6a4cc9"
)

// svgStart opens a chart; text is escaped here and in every helper, since tier names and dates end up in
// the markup.
func svgStart(b *strings.Builder, title string) {
	fmt.Fprintf(b, `<svg viewBox="0 0 %d %d" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg"><title>%s</title>`,
		chartW, chartH, html.EscapeString(title), html.EscapeString(title))
}

// niceMax rounds a maximum up to 1, 2 or 5 times a power of ten, so gridlines fall on round numbers.
func niceMax(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// countMax is the top of an axis of counts: four times a round step, so the gridlines at quarters fall on
// whole tickets (4 for up to 4, 80 for 62).
func countMax(v int) float64 {
	return 4 * niceMax(math.Ceil(float64(v)/4))
}

// yAxis draws four gridlines labelled from lo to hi.
func yAxis(b *strings.Builder, lo, hi float64, label func(float64) string) {
	for i := 0; i <= 4; i++ {
		v := lo + (hi-lo)*float64(i)/4
		y := padT + plotH - plotH*float64(i)/4
		fmt.Fprintf(b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" class="grid"/>`, padL, padL+plotW, y, y)
		fmt.Fprintf(b, `<text x="%d" y="%.1f" class="ylab">%s</text>`, padL-6, y+4, html.EscapeString(label(v)))
	}
}

// xLabels labels about ten of n slots, so the labels never overlap.
func xLabels(b *strings.Builder, labels []string) {
	n := len(labels)
	step := max(1, (n+9)/10)
	slot := float64(plotW) / float64(n)
	for i, l := range labels {
		if i%step != 0 {
			continue
		}
		fmt.Fprintf(b, `<text x="%.1f" y="%d" class="xlab">%s</text>`, padL+slot*(float64(i)+0.5), chartH-12, html.EscapeString(l))
	}
}

func emptyChart(b *strings.Builder, msg string) string {
	fmt.Fprintf(b, `<text x="%d" y="%d" class="empty">%s</text></svg>`, chartW/2, chartH/2, html.EscapeString(msg))
	return b.String()
}

// dayChart is stacked bars of the tickets opened each day by outcome.
func dayChart(days []DayOutcomes) string {
	var b strings.Builder
	svgStart(&b, "Tickets opened per day by outcome")
	top := 0
	for _, d := range days {
		top = max(top, d.Deflected+d.HumanResolved+d.Open)
	}
	if top == 0 {
		return emptyChart(&b, "No tickets opened in this window")
	}
	hi := countMax(top)
	yAxis(&b, 0, hi, func(v float64) string { return fmt.Sprintf("%g", v) })
	slot := float64(plotW) / float64(len(days))
	bw := math.Max(slot*0.7, 1)
	labels := make([]string, len(days))
	for i, d := range days {
		labels[i] = d.Date[5:] // MM-DD
		x := padL + slot*float64(i) + (slot-bw)/2
		base := float64(padT + plotH)
		for _, part := range []struct {
			n     int
			color string
			what  string
		}{{d.Deflected, colDeflected, "deflected"}, {d.HumanResolved, colHuman, "resolved by a human"}, {d.Open, colOpen, "still open"}} {
			if part.n == 0 {
				continue
			}
			h := float64(plotH) * float64(part.n) / hi
			base -= h
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s: %d %s</title></rect>`,
				x, base, bw, h, part.color, d.Date, part.n, part.what)
		}
	}
	xLabels(&b, labels)
	b.WriteString(`</svg>`)
	return b.String()
}

// backlogChart is one bar per age bucket.
func backlogChart(buckets []BucketCount) string {
	var b strings.Builder
	svgStart(&b, "Backlog by age")
	top := 0
	for _, c := range buckets {
		top = max(top, c.Count)
	}
	if top == 0 {
		return emptyChart(&b, "No active tickets")
	}
	hi := countMax(top)
	yAxis(&b, 0, hi, func(v float64) string { return fmt.Sprintf("%g", v) })
	slot := float64(plotW) / float64(len(buckets))
	bw := slot * 0.5
	labels := make([]string, len(buckets))
	for i, c := range buckets {
		labels[i] = c.Bucket
		h := float64(plotH) * float64(c.Count) / hi
		x := padL + slot*float64(i) + (slot-bw)/2
		y := float64(padT+plotH) - h
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s: %d</title></rect>`,
			x, y, bw, h, colOpen, html.EscapeString(c.Bucket), c.Count)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="val">%d</text>`, x+bw/2, y-5, c.Count)
	}
	xLabels(&b, labels)
	b.WriteString(`</svg>`)
	return b.String()
}

// point is one week on a line chart; ok is false for a week without data, which the line skips.
type point struct {
	label string
	value float64
	ok    bool
}

func slaPoints(weeks []WeekRate) []point {
	ps := make([]point, len(weeks))
	for i, w := range weeks {
		ps[i] = point{label: w.Week, value: w.Rate, ok: w.Clocks > 0}
	}
	return ps
}

func csatPoints(weeks []WeekAverage) []point {
	ps := make([]point, len(weeks))
	for i, w := range weeks {
		ps[i] = point{label: w.Week, value: w.Average, ok: w.Ratings > 0}
	}
	return ps
}

// lineChart draws the weeks with data joined by a line, each marked and labelled with its value.
func lineChart(title string, ps []point, lo, hi float64, label func(float64) string) string {
	var b strings.Builder
	svgStart(&b, title)
	any := false
	for _, p := range ps {
		any = any || p.ok
	}
	if !any {
		return emptyChart(&b, "No data in this window")
	}
	yAxis(&b, lo, hi, label)
	slot := float64(plotW) / float64(len(ps))
	var coords []string
	labels := make([]string, len(ps))
	type mark struct{ x, y, v float64 }
	var marks []mark
	for i, p := range ps {
		labels[i] = p.label[5:] // W45: the year is in the title
		if !p.ok {
			continue
		}
		x := padL + slot*(float64(i)+0.5)
		y := padT + plotH - plotH*(p.value-lo)/(hi-lo)
		coords = append(coords, fmt.Sprintf("%.1f,%.1f", x, y))
		marks = append(marks, mark{x, y, p.value})
	}
	fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2.5"/>`, strings.Join(coords, " "), colLine)
	for _, m := range marks {
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="4" fill="%s"/>`, m.x, m.y, colLine)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="val">%s</text>`, m.x, math.Max(m.y-8, padT+8), html.EscapeString(label(m.v)))
	}
	xLabels(&b, labels)
	b.WriteString(`</svg>`)
	return b.String()
}

var pageTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"pct":   percent,
	"count": plural.Count[int],
	"dur":   func(s TimeStats, p90 bool) string { return orDash(s, p90) },
	"helpful": func(a ArticleStat) string {
		if a.WithFeedback == 0 {
			return "–"
		}
		return percent(a.HelpfulRate)
	},
	"score": func(i int) int { return i + 1 },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Service desk report, {{.Window}}</title>
<style>
  :root { --ink: #1d2330; --muted: #5b6475; --line: #dfe3ea; --bg: #f5f7fa; }
  * { box-sizing: border-box; }
  body { margin: 0; background: var(--bg); color: var(--ink);
         font: 16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
  main { max-width: 1160px; margin: 0 auto; padding: 28px 24px 48px; }
  h1 { font-size: 28px; margin: 0 0 4px; }
  h2 { font-size: 18px; margin: 0 0 10px; }
  .sub { color: var(--muted); margin: 0 0 22px; }
  .tiles { display: grid; grid-template-columns: repeat(4, 1fr); gap: 14px; margin-bottom: 22px; }
  .tile { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; }
  .tile .label { color: var(--muted); font-size: 14px; text-transform: uppercase; letter-spacing: .04em; }
  .tile .value { font-size: 32px; font-weight: 650; margin: 2px 0; }
  .tile .note { color: var(--muted); font-size: 14px; }
  .grid2 { display: grid; grid-template-columns: 1fr 1fr; gap: 14px; margin-bottom: 14px; }
  .card { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 16px 18px; }
  svg { width: 100%; height: auto; display: block; font-family: inherit; }
  svg .grid { stroke: var(--line); stroke-width: 1; }
  svg .ylab { font-size: 12px; fill: var(--muted); text-anchor: end; }
  svg .xlab { font-size: 12px; fill: var(--muted); text-anchor: middle; }
  svg .val { font-size: 12px; fill: var(--ink); text-anchor: middle; font-weight: 600; }
  svg .empty { font-size: 15px; fill: var(--muted); text-anchor: middle; }
  .legend { display: flex; gap: 16px; font-size: 14px; color: var(--muted); margin-top: 6px; }
  .legend i { display: inline-block; width: 12px; height: 12px; border-radius: 2px; margin-right: 5px; vertical-align: -1px; }
  table { border-collapse: collapse; width: 100%; font-size: 15px; }
  th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); }
  th { color: var(--muted); font-weight: 600; font-size: 14px; }
  small { color: var(--muted); font-size: 13px; }
  td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
  .none { color: var(--muted); margin: 0; }
  footer { color: var(--muted); font-size: 13px; margin-top: 18px; }
  @media (max-width: 800px) { .tiles { grid-template-columns: repeat(2, 1fr); } .grid2 { grid-template-columns: 1fr; } }
</style>
</head>
<body>
<main>
<h1>Service desk report</h1>
<p class="sub">{{.Window}} · backlog as of {{.AsOf}}</p>

<section class="tiles">
{{- range .Tiles}}
  <div class="tile"><div class="label">{{.Label}}</div><div class="value">{{.Value}}</div><div class="note">{{.Note}}</div></div>
{{- end}}
</section>

<section class="grid2">
  <div class="card"><h2>Tickets opened per day, by outcome</h2>{{.DayChart}}
    <div class="legend"><span><i style="background:` + colDeflected + `"></i>deflected by the bot</span><span><i style="background:` + colHuman + `"></i>resolved by a human</span><span><i style="background:` + colOpen + `"></i>still open</span></div></div>
  <div class="card"><h2>Backlog by age</h2>{{.BacklogChart}}</div>
</section>
<section class="grid2">
  <div class="card"><h2>SLA compliance per week</h2>{{.SLAChart}}</div>
  <div class="card"><h2>Satisfaction (1–5) per week</h2>{{.CSATChart}}</div>
</section>

<section class="grid2">
  <div class="card"><h2>Response and resolution times</h2>
    <table>
      <tr><th></th><th class="n">Tickets</th><th class="n">Median</th><th class="n">p90</th></tr>
      <tr><td><b>First response</b></td><td class="n">{{.R.FirstResponse.Overall.Count}}</td><td class="n">{{dur .R.FirstResponse.Overall false}}</td><td class="n">{{dur .R.FirstResponse.Overall true}}</td></tr>
      {{- range .R.FirstResponse.ByPriority}}
      <tr><td>&nbsp;&nbsp;{{.Priority}}</td><td class="n">{{.Count}}</td><td class="n">{{dur . false}}</td><td class="n">{{dur . true}}</td></tr>
      {{- end}}
      <tr><td><b>Resolution</b></td><td class="n">{{.R.Resolution.Overall.Count}}</td><td class="n">{{dur .R.Resolution.Overall false}}</td><td class="n">{{dur .R.Resolution.Overall true}}</td></tr>
      {{- range .R.Resolution.ByPriority}}
      <tr><td>&nbsp;&nbsp;{{.Priority}}</td><td class="n">{{.Count}}</td><td class="n">{{dur . false}}</td><td class="n">{{dur . true}}</td></tr>
      {{- end}}
    </table>
  </div>
  <div class="card"><h2>SLA compliance</h2>
    {{- if .R.SLA}}
    <table>
      <tr><th>Priority</th><th>Clock</th><th class="n">Decided</th><th class="n">Met</th><th class="n">Breached</th><th class="n">Met %</th></tr>
      {{- range .R.SLA}}
      <tr><td>{{.Priority}}</td><td>{{.Kind}}</td><td class="n">{{.Clocks}}</td><td class="n">{{.Met}}</td><td class="n">{{.Breached}}</td><td class="n">{{pct .Rate}}</td></tr>
      {{- end}}
    </table>
    {{- else}}<p class="none">No SLA clocks were decided in this window.</p>{{end}}
    <p>Breaches: {{.R.Breaches.Response}} response, {{.R.Breaches.Resolution}} resolution.</p>
  </div>
</section>

<section class="grid2">
  <div class="card"><h2>Escalation and backlog by tier</h2>
    <table>
      <tr><th>Tier</th><th class="n">Reached</th><th class="n">Of opened</th></tr>
      {{- range .R.EscalationRate}}
      <tr><td>{{.Name}}</td><td class="n">{{.Escalated}}</td><td class="n">{{pct .Rate}}</td></tr>
      {{- end}}
    </table>
    <br>
    {{- if .R.Backlog.ByTier}}
    <table>
      <tr><th>Active in</th>{{range .Buckets}}<th class="n">{{.}}</th>{{end}}<th class="n">Total</th></tr>
      {{- range .R.Backlog.ByTier}}
      <tr><td>{{.Name}}</td>{{range .ByAge}}<td class="n">{{.}}</td>{{end}}<td class="n">{{.Total}}</td></tr>
      {{- end}}
    </table>
    {{- else}}<p class="none">No active tickets.</p>{{end}}
  </div>
  <div class="card"><h2>Satisfaction</h2>
    {{- with .R.CSAT}}
    <table>
      <tr>{{range $i, $n := .Distribution}}<th class="n">{{score $i}}</th>{{end}}<th class="n">Ratings</th></tr>
      <tr>{{range .Distribution}}<td class="n">{{.}}</td>{{end}}<td class="n">{{.Ratings}}</td></tr>
    </table>
    <p>Rated: {{.Rated}} of {{count .HumanResolved "ticket" "tickets"}} resolved by a human ({{pct .ResponseRate}}).</p>
    {{- end}}
  </div>
</section>

<section class="grid2">
  <div class="card"><h2>Articles offered most</h2>
    {{- if .R.Articles}}
    <table>
      <tr><th>Article</th><th class="n">Offered</th><th class="n">Solved</th><th class="n">Not helpful</th><th class="n">Helpful</th></tr>
      {{- range .R.Articles}}
      <tr><td>{{.Title}}<br><small>{{.Article}}</small></td><td class="n">{{.Offered}}</td><td class="n">{{.Solved}}</td><td class="n">{{.NotHelpful}}</td><td class="n">{{helpful .}}</td></tr>
      {{- end}}
    </table>
    {{- else}}<p class="none">No articles were offered in this window.</p>{{end}}
  </div>
  <div class="card"><h2>Knowledge gaps</h2>
    {{- if .R.KnowledgeGaps}}
    <table>
      <tr><th>Question, for example</th><th class="n">Tickets</th></tr>
      {{- range .R.KnowledgeGaps}}
      <tr><td title="{{range $i, $id := .Tickets}}{{if $i}}, {{end}}{{$id}}{{end}}">{{.Example}}</td><td class="n">{{.Count}}</td></tr>
      {{- end}}
    </table>
    {{- else}}<p class="none">Every question in this window got an article that was not turned down.</p>{{end}}
  </div>
</section>

<footer>Firstline · medians and p90s are nearest-rank · rates are shares of the figure named beside them · definitions in docs/reports.md of the Firstline repository.</footer>
</main>
</body>
</html>
`))
