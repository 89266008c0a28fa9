package storage_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/internal/ticketgen"
	"github.com/firstline-desk/firstline/storage"
)

// benchDesk is a desk with two tiers and SLA targets, enough for ticketgen.
func benchDesk() bot.Config {
	return bot.Config{
		Name:  "Firstline",
		Tiers: []bot.Tier{{ID: "t1", Name: "Tier 1", Channel: "slack:C1"}, {ID: "t2", Name: "Tier 2", Channel: "slack:C2"}},
		SLA: map[string]bot.SLATarget{
			"P1": {Response: 15 * time.Minute, Resolution: 4 * time.Hour}, "P2": {Response: time.Hour, Resolution: 8 * time.Hour},
			"P3": {Response: 4 * time.Hour, Resolution: 24 * time.Hour}, "P4": {Response: 8 * time.Hour, Resolution: 72 * time.Hour},
		},
	}
}

// BenchmarkCreateTickets writes realistic tickets (ticketgen's) 2,000 a transaction, as `bench tickets`
// fills its file: what every index costs a new ticket.
func BenchmarkCreateTickets(b *testing.B) {
	db, err := storage.Open(filepath.Join(b.TempDir(), "f.db"), storage.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	const batch = 2000
	g := ticketgen.New(benchDesk(), time.Now(), batch)
	created := g.Arrivals(batch)
	tickets := make([]*bot.Ticket, batch)
	for i, at := range created {
		tickets[i], _ = g.Ticket(at)
	}
	b.ResetTimer()
	for b.Loop() {
		if err := db.Update(context.Background(), func(tx bot.Tx) error {
			for _, tk := range tickets {
				cp := *tk
				if err := tx.CreateTicket(&cp); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*batch), "µs/ticket")
}
