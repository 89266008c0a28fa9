package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/metrics"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// fakeStore answers Stats with st (or err) and counts the reads.
type fakeStore struct {
	st    bot.StoreStats
	err   error
	reads int
}

func (f *fakeStore) Stats(context.Context) (bot.StoreStats, error) {
	f.reads++
	return f.st, f.err
}

// clock is a fake time for the outbox's age and the stats cache.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestObserver(t *testing.T) {
	m := metrics.New(metrics.Config{}, quiet())
	var o bot.Observer = m
	o.EventHandled("slack", bot.EventMessage, 4*time.Millisecond, nil)
	o.EventHandled("slack", bot.EventMessage, 30*time.Millisecond, nil)
	o.EventHandled("discord", bot.EventClick, time.Millisecond, bot.Errorf(bot.EUNAVAILABLE, "disk full"))
	o.EffectDone("slack", bot.EffectPost, "", 1500*time.Millisecond, nil)
	o.EffectDone("slack", bot.EffectPost, "", 0, &bot.RateLimitError{RetryAfter: time.Second}) // not a reply yet
	o.EffectDone("slack", bot.EffectReact, "", 200*time.Millisecond, nil)                      // not a post
	o.EffectDone("", bot.EffectJob, "search", 700*time.Millisecond, nil)
	o.EffectDone("", bot.EffectJob, "search", 3*time.Second, errors.New("model down"))
	o.Transition("opened", "", bot.StatusOpen, bot.LevelOne, "")
	o.Transition("escalated", bot.StatusOpen, bot.StatusEscalated, bot.LevelOne, "low confidence")
	o.Transition("sla_breached", "", "", "tier2", "first response")
	o.Transition("sla_breached", "", "", "tier2", "resolution")
	o.Transition("sla_breached", "", "", "tier2", "resolution")

	want := `
# HELP firstline_events_total Inbound chat events handled, by platform, kind (message, reaction_added, reaction_removed, click) and outcome (ok, or the error code of a refused event).
# TYPE firstline_events_total counter
firstline_events_total{kind="click",outcome="unavailable",platform="discord"} 1
firstline_events_total{kind="message",outcome="ok",platform="slack"} 2
# HELP firstline_effects_total Effects performed from the outbox, by platform, kind (post, update, react, job) and outcome (ok, rate_limited, or the error code of a failure to be retried or dropped).
# TYPE firstline_effects_total counter
firstline_effects_total{kind="job",outcome="internal",platform=""} 1
firstline_effects_total{kind="job",outcome="ok",platform=""} 1
firstline_effects_total{kind="post",outcome="ok",platform="slack"} 1
firstline_effects_total{kind="post",outcome="rate_limited",platform="slack"} 1
firstline_effects_total{kind="react",outcome="ok",platform="slack"} 1
# HELP firstline_ticket_transitions_total Things that happened to tickets, by type (opened, answered, escalated, claimed, resolved, reopened, sla_warned, sla_breached, ...).
# TYPE firstline_ticket_transitions_total counter
firstline_ticket_transitions_total{type="escalated"} 1
firstline_ticket_transitions_total{type="opened"} 1
firstline_ticket_transitions_total{type="sla_breached"} 3
# HELP firstline_sla_breaches_total SLA deadlines missed, by clock (first_response, resolution) and the tier the ticket was at.
# TYPE firstline_sla_breaches_total counter
firstline_sla_breaches_total{clock="first_response",tier="tier2"} 1
firstline_sla_breaches_total{clock="resolution",tier="tier2"} 2
`
	if err := testutil.GatherAndCompare(m.Gatherer(), strings.NewReader(want),
		"firstline_events_total", "firstline_effects_total", "firstline_ticket_transitions_total", "firstline_sla_breaches_total"); err != nil {
		t.Fatal(err)
	}

	// Histograms: which series got which observations.
	families := gather(t, m)
	hist := func(name string, labels map[string]string) (count uint64, sum float64) {
		t.Helper()
		for _, mt := range families[name] {
			if matches(mt.labels, labels) {
				return mt.count, mt.sum
			}
		}
		t.Fatalf("%s%v: no series; have %v", name, labels, families[name])
		return 0, 0
	}
	tests := []struct {
		name   string
		metric string
		labels map[string]string
		count  uint64
		sum    float64
	}{
		{"commit latency of every event", "firstline_event_commit_duration_seconds", map[string]string{"platform": "slack"}, 2, 0.034},
		{"commit latency of a refused event", "firstline_event_commit_duration_seconds", map[string]string{"platform": "discord"}, 1, 0.001},
		{"reply latency of done posts only", "firstline_reply_latency_seconds", map[string]string{"platform": "slack"}, 1, 1.5},
		{"job that succeeded", "firstline_job_duration_seconds", map[string]string{"job": "search", "outcome": "ok"}, 1, 0.7},
		{"job that failed", "firstline_job_duration_seconds", map[string]string{"job": "search", "outcome": "error"}, 1, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			count, sum := hist(tt.metric, tt.labels)
			if count != tt.count || !near(sum, tt.sum) {
				t.Fatalf("count %d sum %g, want %d and %g", count, sum, tt.count, tt.sum)
			}
		})
	}
	if n := len(families["firstline_reply_latency_seconds"]); n != 1 {
		t.Fatalf("%d reply latency series, want 1 (slack posts)", n)
	}
}

func TestModelCall(t *testing.T) {
	m := metrics.New(metrics.Config{}, quiet())
	m.ModelCall("answer", 2*time.Second, nil, 900, 120)
	m.ModelCall("answer", 30*time.Second, bot.Errorf(bot.EUNAVAILABLE, "timed out"), 0, 0)
	m.ModelCall("answer", 0, bot.Errorf(bot.ELIMITED, "calls per hour"), 0, 0) // refused: counted, not timed
	m.ModelCall("embed", 300*time.Millisecond, nil, 50, 0)

	want := `
# HELP firstline_model_errors_total Model calls that failed or were refused, by purpose and error code (unavailable: endpoint down, timed out or circuit open; limited: a configured limit; invalid; unauthorized; internal).
# TYPE firstline_model_errors_total counter
firstline_model_errors_total{code="limited",purpose="answer"} 1
firstline_model_errors_total{code="unavailable",purpose="answer"} 1
# HELP firstline_model_tokens_total Tokens the model endpoint reported, by purpose and type (prompt, completion).
# TYPE firstline_model_tokens_total counter
firstline_model_tokens_total{purpose="answer",type="completion"} 120
firstline_model_tokens_total{purpose="answer",type="prompt"} 900
firstline_model_tokens_total{purpose="embed",type="prompt"} 50
`
	if err := testutil.GatherAndCompare(m.Gatherer(), strings.NewReader(want), "firstline_model_errors_total", "firstline_model_tokens_total"); err != nil {
		t.Fatal(err)
	}
	families := gather(t, m)
	got := map[string]string{}
	for _, mt := range families["firstline_model_call_duration_seconds"] {
		got[mt.labels["purpose"]+"/"+mt.labels["outcome"]] = formatHist(mt.count, mt.sum)
	}
	want2 := map[string]string{"answer/ok": formatHist(1, 2), "answer/error": formatHist(1, 30), "embed/ok": formatHist(1, 0.3)}
	if len(got) != len(want2) {
		t.Fatalf("model call series %v, want %v", got, want2)
	}
	for k, v := range want2 {
		if got[k] != v {
			t.Errorf("%s: %s, want %s", k, got[k], v)
		}
	}
}

// TestStore checks the gauges read from the data file: every status, the outbox and its oldest effect's
// age on the scrape's clock, and that scrapes within the TTL share one read.
func TestStore(t *testing.T) {
	clk := &clock{t: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
	store := &fakeStore{st: bot.StoreStats{
		Tickets:      map[bot.Status]int{bot.StatusOpen: 3, bot.StatusEscalated: 2, bot.StatusClaimed: 1, bot.StatusPendingVendor: 0, bot.StatusResolved: 1000000},
		Outbox:       7,
		OldestEffect: clk.t.Add(-90 * time.Second),
		FileBytes:    4 << 30,
	}}
	m := metrics.New(metrics.Config{Store: store, StatsTTL: 5 * time.Second, Now: clk.now}, quiet())
	want := `
# HELP firstline_tickets Tickets in the data file by status (open, escalated, claimed, pending_vendor, resolved).
# TYPE firstline_tickets gauge
firstline_tickets{status="claimed"} 1
firstline_tickets{status="escalated"} 2
firstline_tickets{status="open"} 3
firstline_tickets{status="pending_vendor"} 0
firstline_tickets{status="resolved"} 1e+06
# HELP firstline_outbox_effects Effects waiting in the outbox: posts, edits and reactions not yet done, jobs not yet run, retries included.
# TYPE firstline_outbox_effects gauge
firstline_outbox_effects 7
# HELP firstline_outbox_oldest_effect_age_seconds Age of the oldest effect waiting in the outbox; 0 when it is empty. Growing: the dispatcher is stuck or a platform refuses.
# TYPE firstline_outbox_oldest_effect_age_seconds gauge
firstline_outbox_oldest_effect_age_seconds 90
# HELP firstline_data_file_bytes Size of the data file.
# TYPE firstline_data_file_bytes gauge
firstline_data_file_bytes 4.294967296e+09
`
	names := []string{"firstline_tickets", "firstline_outbox_effects", "firstline_outbox_oldest_effect_age_seconds", "firstline_data_file_bytes"}
	if err := testutil.GatherAndCompare(m.Gatherer(), strings.NewReader(want), names...); err != nil {
		t.Fatal(err)
	}

	// Within the TTL: the same read, but the age follows the clock.
	clk.t = clk.t.Add(4 * time.Second)
	store.st.Outbox = 0
	if err := testutil.GatherAndCompare(m.Gatherer(), strings.NewReader(`
# HELP firstline_outbox_oldest_effect_age_seconds Age of the oldest effect waiting in the outbox; 0 when it is empty. Growing: the dispatcher is stuck or a platform refuses.
# TYPE firstline_outbox_oldest_effect_age_seconds gauge
firstline_outbox_oldest_effect_age_seconds 94
`), "firstline_outbox_oldest_effect_age_seconds"); err != nil {
		t.Fatal(err)
	}
	if store.reads != 1 {
		t.Fatalf("%d reads of the store within the TTL, want 1", store.reads)
	}

	// After the TTL: read again; an empty outbox has no age.
	clk.t = clk.t.Add(2 * time.Second)
	store.st.OldestEffect = time.Time{}
	if err := testutil.GatherAndCompare(m.Gatherer(), strings.NewReader(`
# HELP firstline_outbox_effects Effects waiting in the outbox: posts, edits and reactions not yet done, jobs not yet run, retries included.
# TYPE firstline_outbox_effects gauge
firstline_outbox_effects 0
# HELP firstline_outbox_oldest_effect_age_seconds Age of the oldest effect waiting in the outbox; 0 when it is empty. Growing: the dispatcher is stuck or a platform refuses.
# TYPE firstline_outbox_oldest_effect_age_seconds gauge
firstline_outbox_oldest_effect_age_seconds 0
`), "firstline_outbox_effects", "firstline_outbox_oldest_effect_age_seconds"); err != nil {
		t.Fatal(err)
	}
	if store.reads != 2 {
		t.Fatalf("%d reads of the store, want 2", store.reads)
	}
}

// TestHandlerServesWithoutTheStore checks that a failed read of the data file costs its gauges, not the
// scrape.
func TestHandlerServesWithoutTheStore(t *testing.T) {
	store := &fakeStore{err: errors.New("read the data file's stats: boom")}
	m := metrics.New(metrics.Config{Store: store}, quiet())
	m.EventHandled("slack", bot.EventMessage, time.Millisecond, nil)
	if err := m.WatchConnection("slack", conn(true)); err != nil {
		t.Fatal(err)
	}
	if err := m.WatchConnection("discord", conn(false)); err != nil {
		t.Fatal(err)
	}
	if err := m.WatchConnection("discord", conn(false)); err == nil {
		t.Fatal("watching a platform twice: no error")
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	if rec.Code != 200 {
		t.Fatalf("status %d\n%s", rec.Code, body)
	}
	for _, want := range []string{
		`firstline_events_total{kind="message",outcome="ok",platform="slack"} 1`,
		`firstline_adapter_connected{platform="slack"} 1`,
		`firstline_adapter_connected{platform="discord"} 0`,
		"go_goroutines", "process_start_time_seconds", "promhttp_metric_handler_requests_total",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("no %s in\n%s", want, body)
		}
	}
	if strings.Contains(body, "firstline_tickets") {
		t.Errorf("ticket gauges served though the store could not be read:\n%s", body)
	}
}

type conn bool

func (c conn) Connection() (bool, time.Time) { return bool(c), time.Time{} }

// series is one metric of a gathered family: its labels and, for histograms, count and sum.
type series struct {
	labels map[string]string
	count  uint64
	sum    float64
}

func gather(t *testing.T, m *metrics.Metrics) map[string][]series {
	t.Helper()
	mfs, err := m.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]series{}
	for _, mf := range mfs {
		for _, mt := range mf.GetMetric() {
			s := series{labels: map[string]string{}}
			for _, lp := range mt.GetLabel() {
				s.labels[lp.GetName()] = lp.GetValue()
			}
			if h := mt.GetHistogram(); h != nil {
				s.count, s.sum = h.GetSampleCount(), h.GetSampleSum()
			}
			out[mf.GetName()] = append(out[mf.GetName()], s)
		}
	}
	return out
}

func matches(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }

func formatHist(count uint64, sum float64) string {
	return fmt.Sprintf("%d observations, sum %g", count, sum)
}
