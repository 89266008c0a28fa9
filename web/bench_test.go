package web_test

// BenchmarkPages measures the console's pages on a large desk, through the whole handler (session,
// store, template), the way a signed-in technician asks for them: the first page of /tickets with a
// filter, a ticket's page, a text search, and the queue. It reports each one's p50 and p95 in
// milliseconds.
//
//	go test -run '^$' -bench Pages ./web                     # a desk of 20,000 tickets it fills itself
//	firstline bench tickets -n 1000000 -data /tmp/bench1m     # then, on a million:
//	FIRSTLINE_BENCH_DATA=/tmp/bench1m go test -run '^$' -bench Pages -benchtime 20x ./web
//
// The data file of FIRSTLINE_BENCH_DATA is the demo desk's (its tiers tier2 and tier3); the benchmark
// writes sessions into it, so give it a bench file, never a desk's.

import (
	"cmp"
	"context"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/internal/ticketgen"
	"github.com/firstline-desk/firstline/storage"
	"github.com/firstline-desk/firstline/web"
)

// benchDesk is the demo desk's shape: what `firstline bench tickets` fills a file for.
func benchDesk() bot.Config {
	return bot.Config{
		Name: "Firstline", Admins: []string{"console:ada"},
		Tiers: []bot.Tier{{ID: "tier2", Name: "Tier 2", Channel: "console:tier2", Members: []string{"console:tom"}},
			{ID: "tier3", Name: "Tier 3", Channel: "console:tier3", Members: []string{"console:sara"}}},
		SLA: map[string]bot.SLATarget{
			"P1": {Response: 15 * time.Minute, Resolution: 4 * time.Hour}, "P2": {Response: time.Hour, Resolution: 8 * time.Hour},
			"P3": {Response: 4 * time.Hour, Resolution: 24 * time.Hour}, "P4": {Response: 8 * time.Hour, Resolution: 72 * time.Hour},
		},
		ReopenWindow: 7 * 24 * time.Hour, DefaultPriority: "P3",
	}
}

type noEvents struct{}

func (noEvents) Handle(context.Context, bot.Event) error { return nil }

// benchFile opens FIRSTLINE_BENCH_DATA's data file, or fills one of n tickets.
func benchFile(b *testing.B, n int) *storage.DB {
	b.Helper()
	if dir := os.Getenv("FIRSTLINE_BENCH_DATA"); dir != "" {
		db, err := storage.Open(filepath.Join(dir, "firstline.db"), storage.Options{})
		if err != nil {
			b.Fatal(err)
		}
		return db
	}
	db, err := storage.Open(filepath.Join(b.TempDir(), "firstline.db"), storage.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	g := ticketgen.New(benchDesk(), time.Now(), n)
	created := g.Arrivals(n)
	for i := 0; i < n; i += 2000 {
		if err := db.Update(context.Background(), func(tx bot.Tx) error {
			for _, at := range created[i:min(i+2000, n)] {
				t, _ := g.Ticket(at) // where its messages went is not the pages' business
				if err := tx.CreateTicket(t); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	return db
}

func BenchmarkPages(b *testing.B) {
	db := benchFile(b, 20000)
	defer db.Close()
	ctx := context.Background()
	desk := benchDesk()
	srv, err := web.New(ctx, web.Config{BaseURL: "http://console.test", Desk: desk, Store: db, Events: noEvents{}, Sessions: db}, nil)
	if err != nil {
		b.Fatal(err)
	}
	cookie := benchSignIn(b, srv, "console:ada")

	// What the desk holds: a sample of its tickets for the filters and pages to ask for.
	var active []bot.TicketRow
	var newest []bot.TicketRow
	if err := db.View(ctx, func(tx bot.Tx) error {
		var err error
		if active, err = tx.TicketRows(bot.TicketFilter{Status: []bot.Status{bot.StatusEscalated, bot.StatusClaimed}, Limit: 200}); err != nil {
			return err
		}
		newest, err = tx.TicketRows(bot.TicketFilter{Order: bot.OrderNewest, Limit: 2000})
		return err
	}); err != nil {
		b.Fatal(err)
	}
	if len(newest) == 0 {
		b.Fatal("the data file has no tickets")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(rows []bot.TicketRow) bot.TicketRow { return rows[rng.IntN(len(rows))] }
	old := newest[len(newest)-1].CreatedAt.AddDate(-1, 0, 0).Format(time.DateOnly)
	filters := []string{
		"", // the active tickets by SLA due, what a technician opens first
		"status=escalated&tier=tier2",
		"status=resolved&sort=newest",
		"status=all&priority=P1&tier=tier3&sort=newest",
		"status=all&assignee=" + url.QueryEscape(pick(newest).Assignee) + "&sort=newest",
		"status=all&requester=" + url.QueryEscape(pick(newest).Requester),
		"status=all&platform=console&sort=oldest",
		"status=all&from=" + old + "&to=" + old,
		"status=all&assignee=console:nobody&priority=P2", // matches nothing: the worst case, every index asked
	}
	searches := []string{"printer", "vpn password", "outlook calendar", "laptop", "zzzunknownword", "badge"}

	times := map[string][]time.Duration{}
	slowest := map[string]time.Duration{} // by path, for -v
	get := func(kind, path string) {
		req := httptest.NewRequest(http.MethodGet, "http://console.test"+path, nil)
		req.AddCookie(cookie)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		w := httptest.NewRecorder()
		start := time.Now()
		srv.ServeHTTP(w, req)
		took := time.Since(start)
		times[kind] = append(times[kind], took)
		slowest[path] = max(slowest[path], took)
		if w.Code != http.StatusOK {
			b.Fatalf("%s: %d %s", path, w.Code, w.Body.String()[:min(300, w.Body.Len())])
		}
	}
	// One round unmeasured: the pages the file's cache must hold are read once.
	for _, f := range filters {
		get("warm", "/tickets?"+f)
	}
	delete(times, "warm")
	b.ResetTimer()
	for b.Loop() {
		for _, f := range filters {
			get("list", "/tickets?"+f)
		}
		for range 5 {
			id := pick(newest).ID
			if len(active) > 0 && rng.IntN(2) == 0 {
				id = pick(active).ID
			}
			get("ticket", "/tickets/"+id)
		}
		for _, q := range searches {
			get("search", "/tickets?status=all&sort=newest&q="+url.QueryEscape(q))
		}
		get("queue", "/")
	}
	b.StopTimer()
	paths := slices.SortedFunc(keysOf(slowest), func(a, b string) int { return cmp.Compare(slowest[b], slowest[a]) })
	for _, p := range paths[:min(5, len(paths))] {
		b.Logf("slowest: %7.1f ms  %s", ms(slowest[p]), p)
	}
	for _, kind := range []string{"list", "ticket", "search", "queue"} {
		d := times[kind]
		slices.Sort(d)
		b.ReportMetric(ms(d[len(d)/2]), kind+"-p50-ms")
		b.ReportMetric(ms(d[(len(d)*95-1)/100]), kind+"-p95-ms")
	}
}

func keysOf[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// benchSignIn signs user in through a sign-in link and returns the session cookie.
func benchSignIn(b *testing.B, srv *web.Server, user string) *http.Cookie {
	link, _, err := srv.SignInLink(user, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	path := strings.TrimPrefix(link, srv.BaseURL())
	req := httptest.NewRequest(http.MethodPost, "http://console.test"+path, nil)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, req)
	for _, c := range w.Result().Cookies() {
		if c.Value != "" {
			return c
		}
	}
	b.Fatalf("signing in gave no session: %d %s", w.Code, w.Body.String())
	return nil
}
