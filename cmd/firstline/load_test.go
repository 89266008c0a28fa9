package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/adapters/slack/fakeslack"
	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/storage"
)

// TestLoad drives the desk's Events API endpoint on loopback with signed message events at increasing
// rates (open loop: events are sent on schedule whether or not earlier ones were answered), and reports
// per step the rate acknowledged and the ack latency (p50, p99, max, measured from the moment each event
// was due to be sent, so a slow desk cannot hide its queue). The desk runs in this process, wired by
// Main.Run from a config, so `go test -cpuprofile` sees where its time goes. The fake Slack answers every
// Web API call in 50-150 ms; the fake model in 0.5-2 s, and at the start of each step one call takes 10 s.
// The ack p99 while that call is in flight must stay under 500 ms at the rates a desk meets
// (FIRSTLINE_LOAD_ASSERT_RATE, default 100 ev/s); beyond them the figures are reported, not judged.
//
// It runs only with FIRSTLINE_LOAD=1 (scripts/loadtest.sh): it takes a minute and its figures depend on
// the machine. FIRSTLINE_LOAD_RATES ("50,100,200"), FIRSTLINE_LOAD_STEP ("10s") and FIRSTLINE_LOAD_MODEL=0
// (no model) change the run.
func TestLoad(t *testing.T) {
	if testing.Short() || os.Getenv("FIRSTLINE_LOAD") != "1" {
		t.Skip("the load test runs with FIRSTLINE_LOAD=1 (scripts/loadtest.sh)")
	}
	s := loadSettingsFromEnv(t)

	fake := fakeslack.New(t)
	users := make([]string, 1000)
	for i := range users {
		users[i] = fmt.Sprintf("U%05d", i+1)
		fake.AddUser(users[i], "Person "+users[i], "p"+strings.ToLower(users[i]))
	}
	fake.AddUser(loadTechUser, "Tom Tech", "tom")
	var rngMu sync.Mutex
	rng := rand.New(rand.NewPCG(1, 2))
	between := func(lo, hi time.Duration) func() time.Duration {
		return func() time.Duration {
			rngMu.Lock()
			defer rngMu.Unlock()
			return lo + time.Duration(rng.Int64N(int64(hi-lo)+1))
		}
	}
	// 50-150 ms a call, half before Slack acts on it and half after.
	apiURL := slowSlack(t, fake, between(25*time.Millisecond, 75*time.Millisecond), between(25*time.Millisecond, 75*time.Millisecond))

	dir := t.TempDir()
	addr := freeAddr(t)
	// Flood control off: 1,000 people sending hundreds of messages a second would each be over its limit
	// (8 a minute), and the point is the endpoint, not the throttle.
	extra := "\n[flood]\nmessages = 0\njoin_within = \"0s\"\n\n[log]\nlevel = \"warn\"\nfile = " + strconv.Quote(filepath.Join(dir, "desk.log")) + "\n"
	var model *slowModel
	if s.model {
		model = newSlowModel(t, between(500*time.Millisecond, 2*time.Second), s.slowCall)
		extra += fmt.Sprintf("\n[llm]\nenabled = true\nbase_url = %q\napi_key = \"sk-load\"\nmodel = \"gpt-load\"\n", model.url)
	}
	cfg := writeLoadConfig(t, dir, apiURL, addr, extra)

	var out, errOut syncBuffer
	m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Getenv: func(string) (string, bool) { return "", false }}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	code := make(chan int, 1)
	go func() { code <- m.Run(ctx, []string{"-data", filepath.Join(dir, "data"), "-config", cfg}) }()
	waitHealthz(t, addr, code, &errOut)

	l := &loadRun{endpoint: "http://" + addr + slackEventsPath, users: users,
		client: &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 4096, MaxIdleConns: 4096}}}
	defer l.client.CloseIdleConnections()

	// Warm-up, not measured: every person once, so the data file has its first pages and the desk its
	// caches (the step figures are about the steady state).
	warm := time.Now()
	l.warmUp(t, 64)
	t.Logf("warm-up: %d people in %v", len(users), time.Since(warm).Round(time.Millisecond))

	var steps []loadStep
	before := scrapeMetrics(addr)
	for _, rate := range s.rates {
		if model != nil {
			model.arm()
		}
		cpu := processCPU()
		st := l.step(rate, s.step, s.maxInFlight)
		st.cores = (processCPU() - cpu).Seconds() / st.took.Seconds()
		if model != nil {
			st.slow = model.lastWindow()
		}
		after := scrapeMetrics(addr)
		st.desk = deskRow(before, after, st.took)
		before = after
		steps = append(steps, st)
		t.Logf("%s | %s, CPU %.2f cores", st.row(false), st.desk, st.cores)
	}

	cancel()
	select {
	case c := <-code:
		if c != 0 {
			t.Errorf("the desk exited %d:\n%s", c, errOut.String())
		}
	case <-time.After(60 * time.Second):
		t.Errorf("the desk did not stop within 60 s")
	}
	tickets := countTickets(t, filepath.Join(dir, "data", "firstline.db"))
	small, question := commitCeiling(t, filepath.Join(dir, "commits.db"), 2*time.Second)

	var table strings.Builder
	fmt.Fprintf(&table, "load test figures (%s; model %v)\n", loadMachine(), s.model)
	fmt.Fprintf(&table, "  %s\n", loadHeader)
	for _, st := range steps {
		fmt.Fprintf(&table, "  %s\n", st.row(false))
	}
	fmt.Fprintf(&table, "  the desk's side (from /metrics), per step:\n")
	for _, st := range steps {
		fmt.Fprintf(&table, "  %8d   %s; this process %.2f cores\n", st.rate, st.desk, st.cores)
	}
	if s.model {
		fmt.Fprintf(&table, "  while the 10 s model call was in flight:\n")
		for _, st := range steps {
			fmt.Fprintf(&table, "  %s\n", st.row(true))
		}
		calls, slow := model.stats()
		fmt.Fprintf(&table, "  model calls: %d (of them 10 s: %d)\n", calls, slow)
	}
	fmt.Fprintf(&table, "  tickets in the data file: %d; posts Slack saw: %d; Web API calls: %d\n", tickets, len(fake.Posted()), len(fake.Calls("")))
	fmt.Fprintf(&table, "  fsync'd bbolt commits a second on this machine now, one writer: %.0f of one key, %.0f of a new question's writes\n", small, question)
	t.Logf("%s", table.String())

	for _, st := range steps {
		if st.rate > s.assertRate {
			continue
		}
		w := &st.window
		if st.slow != nil {
			w = st.within(st.slow.from, st.slow.to)
		}
		if p99 := w.quantile(0.99); p99 > s.maxP99 {
			t.Errorf("at %d ev/s the ack p99 was %v (over %v) while the model call was in flight", st.rate, p99, s.maxP99)
		}
		if st.errors > 0 {
			t.Errorf("at %d ev/s %d events were not acknowledged 2xx: %v", st.rate, st.errors, st.statuses)
		}
	}
}

type loadSettings struct {
	rates       []int
	step        time.Duration
	model       bool
	slowCall    time.Duration
	assertRate  int
	maxP99      time.Duration
	maxInFlight int
}

func loadSettingsFromEnv(t *testing.T) loadSettings {
	t.Helper()
	s := loadSettings{rates: []int{50, 100, 200, 400, 800, 1600}, step: 10 * time.Second, model: true,
		slowCall: 10 * time.Second, assertRate: 100, maxP99: 500 * time.Millisecond, maxInFlight: 8000}
	if v := os.Getenv("FIRSTLINE_LOAD_RATES"); v != "" {
		s.rates = nil
		for f := range strings.SplitSeq(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n <= 0 {
				t.Fatalf("FIRSTLINE_LOAD_RATES=%q: want rates like 50,100,200", v)
			}
			s.rates = append(s.rates, n)
		}
	}
	if v := os.Getenv("FIRSTLINE_LOAD_STEP"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			t.Fatalf("FIRSTLINE_LOAD_STEP=%q: want a duration like 10s", v)
		}
		s.step = d
	}
	if v := os.Getenv("FIRSTLINE_LOAD_ASSERT_RATE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("FIRSTLINE_LOAD_ASSERT_RATE=%q: want a rate", v)
		}
		s.assertRate = n
	}
	s.model = os.Getenv("FIRSTLINE_LOAD_MODEL") != "0"
	return s
}

// loadRun sends the events of a load test.
type loadRun struct {
	endpoint string
	users    []string
	client   *http.Client
	seq      atomic.Int64 // events made so far: message ts and event ids
	mu       sync.Mutex
	opened   []slackMessage // questions sent, for thread replies
}

// event makes the next event: most are new questions in one of three help channels, one in five a
// reply in the thread of an earlier question.
func (l *loadRun) event(rng *rand.Rand) slackMessage {
	n := l.seq.Add(1)
	m := slackMessage{EventID: fmt.Sprintf("Ev%08d", n), User: l.users[int(n)%len(l.users)],
		TS: fmt.Sprintf("%d.%06d", 1800000000+n/1000000, n%1000000), Channel: loadHelp}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.opened) > 0 && rng.IntN(5) == 0 {
		q := l.opened[rng.IntN(len(l.opened))]
		m.Channel, m.ThreadTS, m.User = q.Channel, q.TS, q.User
		m.Text = fmt.Sprintf("load%08d it still happens after a restart, error code %d", n, rng.IntN(900)+100)
		return m
	}
	m.Text = fmt.Sprintf("load%08d %s", n, kbQuestions[rng.IntN(len(kbQuestions))])
	l.opened = append(l.opened, m)
	return m
}

// warmUp sends one question from every person, workers at a time.
func (l *loadRun) warmUp(t *testing.T, workers int) {
	t.Helper()
	next := make(chan string)
	var failed atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for u := range next {
				m := l.event(rng)
				m.User, m.ThreadTS, m.Channel = u, "", loadHelp
				if status, err := deliver(context.Background(), l.client, l.endpoint, m.body(), 0); err != nil || status/100 != 2 {
					failed.Add(1)
				}
			}
		})
	}
	for _, u := range l.users {
		next <- u
	}
	close(next)
	wg.Wait()
	if n := failed.Load(); n > 0 {
		t.Fatalf("warm-up: %d events not acknowledged", n)
	}
}

// latencies are the ack latencies of a step (or of part of it).
type latencies struct {
	from, to time.Time // events due in [from, to)
	d        []time.Duration
}

func (w *latencies) quantile(q float64) time.Duration {
	if len(w.d) == 0 {
		return 0
	}
	slices.Sort(w.d)
	return w.d[min(int(q*float64(len(w.d))), len(w.d)-1)]
}

// loadStep is one rate held for a while.
type loadStep struct {
	rate     int
	sent     int
	acked    int
	errors   int
	skipped  int // not sent: too many in flight already
	statuses map[string]int
	window   latencies
	slow     *latencies // the events due while the 10 s model call was in flight
	all      []loadSample
	took     time.Duration // from the first event due to the last answer
	desk     string        // what the desk's /metrics say of the step
	cores    float64       // CPU time of this process (desk and load generator) per second of the step
}

// processCPU is the CPU time this process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

type loadSample struct {
	due     time.Time
	latency time.Duration
	ok      bool
}

// step sends rate events a second for d, open loop, and waits for the answers.
func (l *loadRun) step(rate int, d time.Duration, maxInFlight int) loadStep {
	st := loadStep{rate: rate, statuses: map[string]int{}}
	rng := rand.New(rand.NewPCG(uint64(rate), 9))
	interval := time.Second / time.Duration(rate)
	start := time.Now()
	end := start.Add(d)
	var mu sync.Mutex
	var wg sync.WaitGroup
	var inFlight atomic.Int64
	for i := 0; ; i++ {
		due := start.Add(time.Duration(i) * interval)
		if !due.Before(end) {
			break
		}
		if wait := time.Until(due); wait > 0 {
			time.Sleep(wait)
		}
		if inFlight.Load() >= int64(maxInFlight) {
			st.skipped++
			continue
		}
		m := l.event(rng)
		st.sent++
		inFlight.Add(1)
		wg.Go(func() {
			defer inFlight.Add(-1)
			status, err := deliver(context.Background(), l.client, l.endpoint, m.body(), 0)
			lat := time.Since(due)
			mu.Lock()
			defer mu.Unlock()
			key := strconv.Itoa(status)
			if err != nil {
				key = "no answer"
			}
			st.statuses[key]++
			ok := status/100 == 2
			if ok {
				st.acked++
			} else {
				st.errors++
			}
			st.all = append(st.all, loadSample{due: due, latency: lat, ok: ok})
		})
	}
	wg.Wait()
	st.took = time.Since(start)
	st.window = latencies{from: start, to: end}
	for _, s := range st.all {
		st.window.d = append(st.window.d, s.latency)
	}
	return st
}

const loadHeader = "offered ev/s   sent   acked/s    p50       p99       max      errors  skipped"

// within returns the latencies of the step's events due in [from, to).
func (st loadStep) within(from, to time.Time) *latencies {
	w := &latencies{from: from, to: to}
	for _, s := range st.all {
		if !s.due.Before(from) && s.due.Before(to) {
			w.d = append(w.d, s.latency)
		}
	}
	return w
}

// row formats the step, or the part of it due while the slow model call was in flight.
func (st loadStep) row(slow bool) string {
	w := &st.window
	if slow {
		if st.slow == nil {
			return fmt.Sprintf("%8d   (the 10 s model call did not start during this step)", st.rate)
		}
		w = st.within(st.slow.from, st.slow.to)
		if len(w.d) == 0 {
			return fmt.Sprintf("%8d   (no event was due while the model call was in flight)", st.rate)
		}
	}
	return fmt.Sprintf("%8d   %7d   %7.0f   %-9v %-9v %-9v %5d  %6d",
		st.rate, len(w.d), float64(st.acked)/st.took.Seconds(),
		w.quantile(0.5).Round(100*time.Microsecond), w.quantile(0.99).Round(100*time.Microsecond),
		w.quantile(1).Round(100*time.Microsecond), st.errors, st.skipped)
}

// slowModel is a fake OpenAI-compatible model (POST /v1/chat/completions) that takes its time: every call
// a while, and an armed call the slow duration. It answers JSON requests with "{}" and others with a short
// answer citing the first source; the load test is about acks, not answers.
type slowModel struct {
	url     string
	armed   atomic.Bool
	mu      sync.Mutex
	windows []*latencies
	calls   int
}

func newSlowModel(t *testing.T, latency func() time.Duration, slow time.Duration) *slowModel {
	t.Helper()
	sm := &slowModel{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sm.mu.Lock()
		sm.calls++
		sm.mu.Unlock()
		if strings.HasSuffix(r.URL.Path, "/chat/completions") && sm.armed.CompareAndSwap(true, false) {
			win := &latencies{from: time.Now()}
			sm.mu.Lock()
			sm.windows = append(sm.windows, win)
			sm.mu.Unlock()
			select {
			case <-time.After(slow):
			case <-r.Context().Done():
			}
			sm.mu.Lock()
			win.to = time.Now()
			sm.mu.Unlock()
		} else {
			time.Sleep(latency())
		}
		loadModelReply(w, r)
	}))
	t.Cleanup(srv.Close)
	sm.url = srv.URL + "/v1"
	return sm
}

func loadModelReply(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Model          string `json:"model"`
		ResponseFormat *struct {
			Type string `json:"type"`
		} `json:"response_format"`
	}
	body, _ := io.ReadAll(r.Body)
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/chat/completions") || json.Unmarshal(body, &req) != nil {
		http.Error(w, `{"error":{"message":"not here","type":"invalid_request_error"}}`, http.StatusNotFound)
		return
	}
	content := "Sign out of the app and sign in again, then restart the device [1]."
	if req.ResponseFormat != nil && req.ResponseFormat.Type == "json_object" {
		content = "{}"
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"id": "chatcmpl-load", "object": "chat.completion", "created": time.Now().Unix(), "model": req.Model,
		"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
			"message": map[string]any{"role": "assistant", "content": content}}},
		"usage": map[string]any{"prompt_tokens": len(body) / 4, "completion_tokens": 16, "total_tokens": len(body)/4 + 16},
	})
}

// arm makes the next chat call the slow one.
func (sm *slowModel) arm() { sm.armed.Store(true) }

// lastWindow is when the last slow call was in flight (until now if it still is), nil if none started.
func (sm *slowModel) lastWindow() *latencies {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	if len(sm.windows) == 0 || sm.armed.Load() {
		return nil
	}
	w := *sm.windows[len(sm.windows)-1]
	if w.to.IsZero() {
		w.to = time.Now()
	}
	return &w
}

func (sm *slowModel) stats() (calls, slow int) {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	return sm.calls, len(sm.windows)
}

func waitHealthz(t *testing.T, addr string, code <-chan int, errOut *syncBuffer) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case c := <-code:
			t.Fatalf("the desk exited %d while starting:\n%s", c, errOut.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the desk did not answer /healthz within 30 s:\n%s", errOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func countTickets(t *testing.T, path string) int {
	t.Helper()
	db, err := storage.Open(path, storage.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var tickets []*bot.Ticket
	if err := db.View(context.Background(), func(tx bot.Tx) error {
		tickets, err = tx.FindTickets(bot.TicketFilter{})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return len(tickets)
}

// commitCeiling measures how many fsync'd commits a second one writer gets on this disk now, of two
// shapes: the smallest (one dedup key), and what a new question commits (its dedup key, a ticket with its
// indexes, the conversation's link, the job in the outbox).
func commitCeiling(t *testing.T, path string, d time.Duration) (smallest, question float64) {
	t.Helper()
	db, err := storage.Open(path, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	rate := func(fn func(tx bot.Tx, n int) error) float64 {
		start := time.Now()
		n := 0
		for time.Since(start) < d {
			if err := db.Update(ctx, func(tx bot.Tx) error { return fn(tx, n) }); err != nil {
				t.Fatal(err)
			}
			n++
		}
		return float64(n) / time.Since(start).Seconds()
	}
	smallest = rate(func(tx bot.Tx, n int) error {
		_, err := tx.RecordDedupKey("small\x1f"+strconv.Itoa(n), time.Now())
		return err
	})
	question = rate(func(tx bot.Tx, n int) error {
		now := time.Now()
		ts := fmt.Sprintf("1900000000.%06d", n)
		if _, err := tx.RecordDedupKey("slack\x1fmsg:"+loadHelp+":"+ts, now); err != nil {
			return err
		}
		conv := bot.Conversation{Platform: "slack", Channel: loadHelp, Thread: ts}
		text := fmt.Sprintf("load%08d %s", n, kbQuestions[n%len(kbQuestions)])
		tk := &bot.Ticket{Version: bot.TicketVersion, Status: bot.StatusOpen, Tier: bot.LevelOne, Priority: "P3",
			Requester: "slack:U00001", RequesterName: "p00001", Conversation: conv, Subject: text,
			CreatedAt: now, UpdatedAt: now,
			Transcript:  []bot.Entry{{At: now, Author: "slack:U00001", Name: "p00001", Role: bot.RoleRequester, Text: text}},
			Transitions: []bot.Transition{{At: now, Type: bot.TransitionOpened, To: bot.StatusOpen, By: "slack:U00001"}}}
		if err := tx.CreateTicket(tk); err != nil {
			return err
		}
		if err := tx.LinkConversation(conv, tk.ID); err != nil {
			return err
		}
		return tx.Enqueue(&bot.Effect{Kind: bot.EffectJob, Platform: "slack", Lane: "slack\x1f" + loadHelp, Ticket: tk.ID, Job: "answer", CreatedAt: now})
	})
	return smallest, question
}

// scrapeMetrics reads the desk's /metrics, summing each metric over its labels, and keeping the sums
// per kind of firstline_effects_total. Best effort: an empty map when there are none.
func scrapeMetrics(addr string) map[string]float64 {
	out := map[string]float64{}
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return out
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for line := range strings.SplitSeq(string(body), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		name, labels, _ := strings.Cut(line[:i], "{")
		out[name] += v
		if name == "firstline_effects_total" {
			for _, kind := range []string{"post", "job", "update", "react"} {
				if strings.Contains(labels, `kind="`+kind+`"`) {
					out[name+":"+kind] += v
				}
			}
		}
	}
	return out
}

// deskRow says what the desk's metrics changed by over a step: the mean time Handle took to commit an
// event (waiting for bbolt's one writer included), the effects done, and the outbox at the end.
func deskRow(before, after map[string]float64, took time.Duration) string {
	const commit = "firstline_event_commit_duration_seconds"
	n := after[commit+"_count"] - before[commit+"_count"]
	if _, ok := after[commit+"_count"]; !ok || n <= 0 {
		return "no /metrics"
	}
	mean := time.Duration((after[commit+"_sum"] - before[commit+"_sum"]) / n * float64(time.Second))
	per := func(k string) float64 { return (after[k] - before[k]) / took.Seconds() }
	return fmt.Sprintf("commit mean %-8v posts %.1f/s, jobs %.1f/s, outbox %.0f (oldest %.0fs)",
		mean.Round(100*time.Microsecond), per("firstline_effects_total:post"), per("firstline_effects_total:job"),
		after["firstline_outbox_effects"], after["firstline_outbox_oldest_effect_age_seconds"])
}

// loadMachine says what the figures were measured on.
func loadMachine() string {
	load, _ := os.ReadFile("/proc/loadavg")
	return fmt.Sprintf("load average %s", strings.Join(strings.Fields(string(load))[:min(3, len(strings.Fields(string(load))))], " "))
}
