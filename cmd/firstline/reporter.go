package main

import (
	"context"
	"time"

	"github.com/firstline-desk/firstline/report"
)

// chatReportWindow is what "!report" covers: the week a team looks back on.
const chatReportWindow = 7 * 24 * time.Hour

// deskReporter answers "!report" in tier channels with the compact summary of the last week.
type deskReporter struct {
	db  deskStore
	cfg Config
}

func (r deskReporter) Summary(ctx context.Context, now time.Time) (string, error) {
	since := now.Add(-chatReportWindow)
	tickets, err := r.db.TicketsActiveOrUpdatedSince(ctx, since)
	if err != nil {
		return "", err
	}
	rep := report.Build(tickets, report.Options{Since: since, Until: now, Tiers: r.cfg.Bot().Tiers, SLA: r.cfg.Bot().SLAPolicy()})
	return rep.Summary(), nil
}
