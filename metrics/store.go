package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/firstline-desk/firstline/bot"
)

// StatsReader is the data file as the metrics read it (*storage.DB implements it). Stats is called when
// /metrics is scraped, at most once per StatsTTL, from the scraping goroutine, with a 10 s deadline.
type StatsReader interface {
	Stats(ctx context.Context) (bot.StoreStats, error)
}

// statsTimeout bounds one read of the store for a scrape.
const statsTimeout = 10 * time.Second

// storeCollector reads the data file when scraped, at most once per ttl however many scrapers there are:
// a read is a few milliseconds on a million-ticket file (storage.DB.Stats), not worth repeating for each.
type storeCollector struct {
	store StatsReader
	ttl   time.Duration
	now   func() time.Time

	tickets, outbox, oldest, size *prometheus.Desc

	mu   sync.Mutex // held during a read, so concurrent scrapes share it
	at   time.Time
	last bot.StoreStats
	err  error
}

func newStoreCollector(store StatsReader, ttl time.Duration, now func() time.Time) *storeCollector {
	return &storeCollector{
		store: store, ttl: ttl, now: now,
		tickets: prometheus.NewDesc("firstline_tickets",
			"Tickets in the data file by status (open, escalated, claimed, pending_vendor, resolved).", []string{"status"}, nil),
		outbox: prometheus.NewDesc("firstline_outbox_effects",
			"Effects waiting in the outbox: posts, edits and reactions not yet done, jobs not yet run, retries included.", nil, nil),
		oldest: prometheus.NewDesc("firstline_outbox_oldest_effect_age_seconds",
			"Age of the oldest effect waiting in the outbox; 0 when it is empty. Growing: the dispatcher is stuck or a platform refuses.", nil, nil),
		size: prometheus.NewDesc("firstline_data_file_bytes",
			"Size of the data file.", nil, nil),
	}
}

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.tickets
	ch <- c.outbox
	ch <- c.oldest
	ch <- c.size
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	st, err := c.snapshot()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.tickets, err)
		return
	}
	for status, n := range st.Tickets {
		ch <- prometheus.MustNewConstMetric(c.tickets, prometheus.GaugeValue, float64(n), string(status))
	}
	ch <- prometheus.MustNewConstMetric(c.outbox, prometheus.GaugeValue, float64(st.Outbox))
	age := 0.0
	if !st.OldestEffect.IsZero() {
		age = max(c.now().Sub(st.OldestEffect).Seconds(), 0)
	}
	ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, age)
	ch <- prometheus.MustNewConstMetric(c.size, prometheus.GaugeValue, float64(st.FileBytes))
}

// snapshot is the last read of the store if it is younger than ttl, else a new one.
func (c *storeCollector) snapshot() (bot.StoreStats, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := c.now(); !c.at.IsZero() && now.Sub(c.at) < c.ttl && !now.Before(c.at) {
		return c.last, c.err
	}
	ctx, cancel := context.WithTimeout(context.Background(), statsTimeout)
	defer cancel()
	c.last, c.err = c.store.Stats(ctx)
	c.at = c.now()
	return c.last, c.err
}
