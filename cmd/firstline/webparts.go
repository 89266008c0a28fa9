package main

// What the web console's pages read that only the running desk knows: the knowledge base to search, the
// report of a period, and the health of its parts (the chat adapters, the SLA loop, the model's breaker,
// the data file).

import (
	"context"
	"sync"
	"time"

	"github.com/firstline-desk/firstline/adapters/openai"
	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/internal/health"
	"github.com/firstline-desk/firstline/report"
	"github.com/firstline-desk/firstline/web"
)

// deskParts are the running desk's parts the console reports on; run fills them in.
type deskParts struct {
	library bot.Library
	model   *openai.Client // nil without [llm]
	sla     loopState
}

// loopState is what a periodic loop last did, for the health page.
type loopState struct {
	mu   sync.Mutex
	last time.Time
	err  error
}

// ran records a pass of the loop.
func (l *loopState) ran(at time.Time, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.last, l.err = at, err
}

func (l *loopState) get() (time.Time, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.last, l.err
}

// Report builds the report of a period for the console's reports page, as `firstline report` does.
func (r deskReporter) Report(ctx context.Context, since, until time.Time) (*report.Report, error) {
	tickets, err := r.db.TicketsActiveOrUpdatedSince(ctx, since)
	if err != nil {
		return nil, err
	}
	return report.Build(tickets, report.Options{Since: since, Until: until, Tiers: r.cfg.Bot().Tiers, SLA: r.cfg.Bot().SLAPolicy()}), nil
}

// webHealth answers the console's health page from the desk's parts.
type webHealth struct {
	checker *health.Checker
	parts   *deskParts
}

func newWebHealth(db *store, fronts []*front, parts *deskParts, now func() time.Time) webHealth {
	h := webHealth{checker: health.New(db, now), parts: parts}
	for _, f := range fronts {
		if f.conn != nil {
			h.checker.Watch(f.platform, f.conn)
		}
	}
	return h
}

func (h webHealth) Health(context.Context) web.HealthReport {
	rep := h.checker.Report()
	out := web.HealthReport{StoreWritable: rep.Store.Writable, StoreChecked: rep.Store.CheckedAt, StoreError: rep.Store.Error}
	for name, a := range rep.Adapters {
		out.Adapters = append(out.Adapters, web.AdapterHealth{Platform: name, Connected: a.Connected, Since: a.Since})
	}
	last, err := h.parts.sla.get()
	out.SLALoop = web.LoopHealth{Every: slaTick, LastRun: last}
	if err != nil {
		out.SLALoop.Err = "the last check failed; see the log"
	}
	if c := h.parts.model; c != nil {
		st := c.Stats()
		out.Model = &web.ModelHealth{Breaker: st.Breaker, OpenUntil: st.OpenUntil}
	}
	return out
}
