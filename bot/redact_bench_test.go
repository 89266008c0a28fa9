package bot_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/bot/bottest"
	"github.com/firstline-desk/firstline/redact"
	"github.com/firstline-desk/firstline/storage"
)

// BenchmarkRelayInALongTicket measures what the structural redaction costs on the hot path: a requester
// writes in a claimed ticket whose transcript already has 200 entries, and each message is stored (the
// whole ticket is redacted and written) and relayed to the card's thread. It reports, beside the time
// of one event, the share of it that redacting that ticket takes (measured in the same process), with the
// engine's cache and without it.
// Run with a fixed count, since the ticket grows: go test -run x -bench RelayInALongTicket -benchtime 300x ./bot/
func BenchmarkRelayInALongTicket(b *testing.B) {
	db, err := storage.Open(filepath.Join(b.TempDir(), "firstline.db"), storage.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	d := bottest.NewDesk(b, testConfig(), db, testLibrary())
	q := d.Say(alice, "help", "vpn broken")
	d.Click(alice, d.Chat.Thread("help", q)[0], "Talk to a human")
	d.React(tom, d.Chat.Last("tier2"), "raising_hand")
	for i := range 200 {
		d.SayIn(alice, "help", q, fmt.Sprintf("attempt %d: the client still says error 809 after I restarted the laptop at the hotel", i))
	}
	b.ResetTimer()
	for i := range b.N {
		d.SayIn(alice, "help", q, fmt.Sprintf("attempt %d: still error 809 on the hotel Wi-Fi, and the password is accepted", i))
	}
	b.StopTimer()
	perEvent := float64(b.Elapsed().Nanoseconds()) / float64(b.N)

	var tk *bot.Ticket
	if err := db.View(context.Background(), func(tx bot.Tx) error {
		tk, err = tx.Ticket("T-000001")
		return err
	}); err != nil {
		b.Fatal(err)
	}
	// What the engine's pass costs per event (with its cache of clean texts, warm after the first
	// write), and what it would cost without the cache: every text examined again.
	cache := redact.NewCache(1 << 14)
	cache.Fields(tk)
	measure := func(fields func(any) bool) float64 {
		const reps = 100
		start := time.Now()
		for range reps {
			fields(tk)
		}
		return float64(time.Since(start).Nanoseconds()) / reps
	}
	cached, uncached := measure(cache.Fields), measure(redact.Fields)
	b.ReportMetric(float64(len(tk.Transcript)), "entries")
	b.ReportMetric(cached/perEvent, "redact-share")
	b.ReportMetric(uncached/perEvent, "uncached-share")
}
