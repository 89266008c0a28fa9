// Package metrics exposes what the desk does to Prometheus: the engine's events, effects and ticket
// transitions (it is a bot.Observer), the model's calls (ModelCall), the chat platforms' connections,
// and, read from the data file when scraped, the tickets by status and the outbox. It uses a registry
// of its own, never the process-wide default, so two desks in one test do not collide.
package metrics

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/firstline-desk/firstline/bot"
)

// Config tunes New.
type Config struct {
	// Store, when set, is read when /metrics is scraped, for the tickets by status and the outbox.
	Store StatsReader
	// StatsTTL is how long one read of the store answers scrapes. Default 5s.
	StatsTTL time.Duration
	// Now is the clock for the outbox's age. Default time.Now.
	Now func() time.Time
}

// Outcome label values besides the bot error codes (bot.EINVALID, bot.EUNAVAILABLE, ...).
const (
	outcomeOK          = "ok"
	outcomeError       = "error"
	outcomeRateLimited = "rate_limited"
)

// Metrics holds the desk's metrics. Its methods are safe for concurrent use and quick: the engine calls
// them from inside its transactions.
type Metrics struct {
	reg *prometheus.Registry
	log *slog.Logger

	events      *prometheus.CounterVec
	commit      *prometheus.HistogramVec
	effects     *prometheus.CounterVec
	reply       *prometheus.HistogramVec
	jobs        *prometheus.HistogramVec
	transitions *prometheus.CounterVec
	breaches    *prometheus.CounterVec
	modelCalls  *prometheus.HistogramVec
	modelErrors *prometheus.CounterVec
	modelTokens *prometheus.CounterVec
}

var _ bot.Observer = (*Metrics)(nil)

// New returns the desk's metrics on a registry of their own, with the Go runtime's and the process's.
func New(cfg Config, logger *slog.Logger) *Metrics {
	if cfg.StatsTTL <= 0 {
		cfg.StatsTTL = 5 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		log: logger.With("component", "metrics"),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "firstline_events_total",
			Help: "Inbound chat events handled, by platform, kind (message, reaction_added, reaction_removed, click) and outcome (ok, or the error code of a refused event).",
		}, []string{"platform", "kind", "outcome"}),
		commit: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "firstline_event_commit_duration_seconds",
			Help:    "Time to record an inbound event durably: what the platform waits for before the event is acknowledged (Slack allows 3 s).",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2, 3, 5},
		}, []string{"platform"}),
		effects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "firstline_effects_total",
			Help: "Effects performed from the outbox, by platform, kind (post, update, react, job) and outcome (ok, rate_limited, or the error code of a failure to be retried or dropped).",
		}, []string{"platform", "kind", "outcome"}),
		reply: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "firstline_reply_latency_seconds",
			Help:    "Time from what caused a post (a message, a click, a finished job, an SLA tick) to the post being on the platform: for an answer, the reply latency.",
			Buckets: []float64{.1, .25, .5, 1, 2, 3, 5, 10, 20, 30, 60, 120, 300},
		}, []string{"platform"}),
		jobs: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "firstline_job_duration_seconds",
			Help:    "Time from a job (a KB search, a summary) being caused to its end, waiting in the outbox included, by job and outcome (ok, error).",
			Buckets: []float64{.05, .1, .25, .5, 1, 2, 5, 10, 20, 30, 60, 120},
		}, []string{"job", "outcome"}),
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "firstline_ticket_transitions_total",
			Help: "Things that happened to tickets, by type (opened, answered, escalated, claimed, resolved, reopened, sla_warned, sla_breached, ...).",
		}, []string{"type"}),
		breaches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "firstline_sla_breaches_total",
			Help: "SLA deadlines missed, by clock (first_response, resolution) and the tier the ticket was at.",
		}, []string{"clock", "tier"}),
		modelCalls: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "firstline_model_call_duration_seconds",
			Help:    "Model calls' whole time, retries included, by purpose and outcome (ok, error); calls refused before being sent are not timed.",
			Buckets: []float64{.1, .25, .5, 1, 2, 4, 8, 15, 30, 60},
		}, []string{"purpose", "outcome"}),
		modelErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "firstline_model_errors_total",
			Help: "Model calls that failed or were refused, by purpose and error code (unavailable: endpoint down, timed out or circuit open; limited: a configured limit; invalid; unauthorized; internal).",
		}, []string{"purpose", "code"}),
		modelTokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "firstline_model_tokens_total",
			Help: "Tokens the model endpoint reported, by purpose and type (prompt, completion).",
		}, []string{"purpose", "type"}),
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.events, m.commit, m.effects, m.reply, m.jobs, m.transitions, m.breaches,
		m.modelCalls, m.modelErrors, m.modelTokens,
	)
	if cfg.Store != nil {
		m.reg.MustRegister(newStoreCollector(cfg.Store, cfg.StatsTTL, cfg.Now))
	}
	return m
}

// Handler serves the metrics in Prometheus's formats. A failed read of the store is logged and leaves
// out the store's gauges; the rest is served.
func (m *Metrics) Handler() http.Handler {
	return promhttp.InstrumentMetricHandler(m.reg, promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:            errorLog{m.log},
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: 4,
		Timeout:             30 * time.Second,
	}))
}

// Gatherer is the registry, for tests and for serving it some other way.
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.reg }

// Connector is a chat adapter whose connection can be watched (*slack.Adapter, *discord.Adapter).
type Connector interface {
	Connection() (connected bool, since time.Time)
}

// WatchConnection adds firstline_adapter_connected{platform}, read from c when scraped. Call it once per
// platform.
func (m *Metrics) WatchConnection(platform string, c Connector) error {
	g := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name:        "firstline_adapter_connected",
		Help:        "1 while the platform's adapter is connected (Slack's Socket Mode, Discord's gateway), 0 while it is not.",
		ConstLabels: prometheus.Labels{"platform": platform},
	}, func() float64 {
		if up, _ := c.Connection(); up {
			return 1
		}
		return 0
	})
	if err := m.reg.Register(g); err != nil {
		return fmt.Errorf("watch the connection of %s: %w", platform, err)
	}
	return nil
}

// EventHandled implements bot.Observer.
func (m *Metrics) EventHandled(platform string, kind bot.EventKind, d time.Duration, err error) {
	m.events.WithLabelValues(platform, string(kind), outcome(err)).Inc()
	m.commit.WithLabelValues(platform).Observe(d.Seconds())
}

// EffectDone implements bot.Observer. A post's age is the reply latency; a job's, its duration from
// being caused.
func (m *Metrics) EffectDone(platform string, kind bot.EffectKind, job string, age time.Duration, err error) {
	m.effects.WithLabelValues(platform, string(kind), outcome(err)).Inc()
	switch {
	case kind == bot.EffectJob:
		o := outcomeOK
		if err != nil {
			o = outcomeError
		}
		m.jobs.WithLabelValues(job, o).Observe(age.Seconds())
	case kind == bot.EffectPost && err == nil:
		m.reply.WithLabelValues(platform).Observe(age.Seconds())
	}
}

// Transition implements bot.Observer.
func (m *Metrics) Transition(typ bot.TransitionType, _, _ bot.Status, tier, detail string) {
	m.transitions.WithLabelValues(string(typ)).Inc()
	if typ == bot.TransitionSLABreached {
		// detail names the clock: "first response", "resolution".
		m.breaches.WithLabelValues(strings.ReplaceAll(detail, " ", "_"), tier).Inc()
	}
}

// ModelCall records one call to the model: purpose is the request's (bot.Purpose*, or "embed"), d its
// whole time, err its failure (a bot.Error's code labels it), and the tokens the endpoint reported. A call
// refused before it was sent (a limit, the open circuit) has d == 0 and is counted, not timed.
func (m *Metrics) ModelCall(purpose string, d time.Duration, err error, promptTokens, completionTokens int) {
	o := outcomeOK
	if err != nil {
		o = outcomeError
		m.modelErrors.WithLabelValues(purpose, bot.ErrorCode(err)).Inc()
	}
	if d > 0 || err == nil {
		m.modelCalls.WithLabelValues(purpose, o).Observe(d.Seconds())
	}
	if promptTokens > 0 {
		m.modelTokens.WithLabelValues(purpose, "prompt").Add(float64(promptTokens))
	}
	if completionTokens > 0 {
		m.modelTokens.WithLabelValues(purpose, "completion").Add(float64(completionTokens))
	}
}

// outcome is the label of a result: ok, rate_limited, or the error's bot code (a short fixed list).
func outcome(err error) string {
	if err == nil {
		return outcomeOK
	}
	var rl *bot.RateLimitError
	if errors.As(err, &rl) {
		return outcomeRateLimited
	}
	return bot.ErrorCode(err)
}

// errorLog lets promhttp log through slog.
type errorLog struct{ log *slog.Logger }

func (l errorLog) Println(v ...any) { l.log.Error("serve metrics", "err", fmt.Sprint(v...)) }
