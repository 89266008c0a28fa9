package web

// The health page (/health): whether the desk's parts work, for the people who run it. The chat
// adapters' connections, the SLA loop and the model's circuit breaker come from Config.Health
// (cmd/firstline knows them); the outbox, what the desk decided and has not yet done in chat, is read
// here from the data file.

import (
	"context"
	"net/http"
	"time"

	"github.com/firstline-desk/firstline/bot"
)

// Health tells how the parts of the desk that the console cannot see are. cmd/firstline implements it;
// it must answer from memory, quickly.
type Health interface {
	Health(ctx context.Context) HealthReport
}

// HealthReport is what Health tells.
type HealthReport struct {
	// Store: the data file took a write at CheckedAt (StoreError says why not).
	StoreWritable bool
	StoreChecked  time.Time
	StoreError    string
	// Adapters are the chat platforms' connections.
	Adapters []AdapterHealth
	// SLALoop is the loop that announces SLA warnings and breaches.
	SLALoop LoopHealth
	// Model is the model endpoint's circuit breaker; nil when the desk has no model.
	Model *ModelHealth
}

// AdapterHealth is one chat platform's connection.
type AdapterHealth struct {
	Platform  string
	Connected bool
	Since     time.Time // connected, or lost its connection, at
}

// LoopHealth is a periodic loop: when it last ran and how it ended.
type LoopHealth struct {
	Every   time.Duration
	LastRun time.Time // zero: it has not run yet
	Err     string
}

// ModelHealth is the model endpoint's circuit breaker.
type ModelHealth struct {
	Breaker   string // "closed", "open", "half-open"
	OpenUntil time.Time
	Failures  int // consecutive failed calls
}

// outboxScan bounds how many outbox entries the page reads: a longer outbox is "more than" that.
const outboxScan = 100000

type healthPage struct {
	Report                 HealthReport
	Known                  bool // Config.Health is set
	Adapters               []struct{ Platform, State, Since string }
	Outbox, Failing        int
	OutboxMore             bool
	Oldest, SLALast        when
	OldestAge              string
	SLAState, ModelState   string
	SLAEvery               string
	StoreState, ModelUntil string
	Overall                string
}

func (s *Server) health(w http.ResponseWriter, r *http.Request, v *Viewer) {
	p := healthPage{Overall: "ok"}
	if s.cfg.Health != nil {
		p.Known = true
		p.Report = s.cfg.Health.Health(r.Context())
	}
	var effects []bot.Effect
	err := s.cfg.Store.View(r.Context(), func(tx bot.Tx) error {
		var err error
		effects, err = tx.Effects(0, outboxScan+1)
		return err
	})
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	p.OutboxMore = len(effects) > outboxScan
	p.Outbox = min(len(effects), outboxScan)
	var oldest time.Time
	for _, e := range effects {
		if e.Attempts > 0 {
			p.Failing++
		}
		if !e.CreatedAt.IsZero() && (oldest.IsZero() || e.CreatedAt.Before(oldest)) {
			oldest = e.CreatedAt
		}
	}
	if !oldest.IsZero() {
		p.Oldest = s.when(oldest)
		p.OldestAge = span(max(s.now().Sub(oldest), 0))
		if s.now().Sub(oldest) > 5*time.Minute {
			p.Overall = "degraded"
		}
	}
	rep := p.Report
	if p.Known {
		p.StoreState = "writable"
		if !rep.StoreWritable {
			p.StoreState, p.Overall = "not writable: "+rep.StoreError, "down"
		}
		for _, a := range rep.Adapters {
			st := "connected"
			if !a.Connected {
				st = "disconnected"
				p.Overall = worse(p.Overall, "degraded")
			}
			p.Adapters = append(p.Adapters, struct{ Platform, State, Since string }{a.Platform, st, s.when(a.Since).Rel})
		}
		p.SLAEvery = span(rep.SLALoop.Every)
		switch {
		case rep.SLALoop.LastRun.IsZero():
			p.SLAState = "not run yet"
		case rep.SLALoop.Err != "":
			p.SLAState, p.Overall = "failing: "+rep.SLALoop.Err, worse(p.Overall, "degraded")
		case rep.SLALoop.Every > 0 && s.now().Sub(rep.SLALoop.LastRun) > 3*rep.SLALoop.Every:
			p.SLAState, p.Overall = "late", worse(p.Overall, "degraded")
		default:
			p.SLAState = "running"
		}
		p.SLALast = s.when(rep.SLALoop.LastRun)
		if m := rep.Model; m != nil {
			p.ModelState = m.Breaker
			if m.Breaker == "open" {
				p.ModelUntil = s.when(m.OpenUntil).Full
				p.Overall = worse(p.Overall, "degraded")
			}
		}
	}
	s.render(w, r, v, http.StatusOK, "health", "Health", p)
}

func worse(a, b string) string {
	rank := map[string]int{"ok": 0, "degraded": 1, "down": 2}
	if rank[b] > rank[a] {
		return b
	}
	return a
}
