package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/firstline-desk/firstline/adapters/slack/fakeslack"
	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/storage"
)

// TestCommitFigures measures, in one run, what bounds how many events a second the desk acknowledges,
// and what group commit (storage/groupcommit.go) gains:
//
//   - the disk: fsync'd writes a second (one 4 KiB write and fsync, one writer), and bbolt's
//     fsync'd commits a second with one writer (the smallest commit, one key);
//   - bbolt's own Batch from 64 goroutines (one key each call), and the store's Update from 64
//     goroutines, its commits grouped and alone;
//   - the desk's ack ceiling (Slack HTTP mode on loopback, the load test's desk: a fake Slack answering
//     in 50-150 ms, a fake model in 0.5-2 s): closed loop, 128 senders sending event after event for a
//     step, acknowledged events a second; and the ack latency (p50, p99) at 1,000 events a second,
//     open loop. Both with every event its own commit (storage.Options.SoloCommits: the desk before
//     group commit) and with group commit, alternating, so both see the same machine.
//
// It runs only with FIRSTLINE_COMMIT_FIGURES=1 (scripts/committest.sh): it takes minutes and its figures
// depend on the machine. FIRSTLINE_LOAD_STEP ("10s") is the length of each step, FIRSTLINE_COMMIT_ROUNDS
// ("2") how many times each desk is measured, FIRSTLINE_LOAD_MODEL=0 runs without the model.
func TestCommitFigures(t *testing.T) {
	if testing.Short() || os.Getenv("FIRSTLINE_COMMIT_FIGURES") != "1" {
		t.Skip("the commit figures are measured with FIRSTLINE_COMMIT_FIGURES=1 (scripts/committest.sh)")
	}
	step := 10 * time.Second
	if v := os.Getenv("FIRSTLINE_LOAD_STEP"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			t.Fatalf("FIRSTLINE_LOAD_STEP=%q: want a duration like 10s", v)
		}
		step = d
	}
	rounds := 2
	if v := os.Getenv("FIRSTLINE_COMMIT_ROUNDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			t.Fatalf("FIRSTLINE_COMMIT_ROUNDS=%q: want a count", v)
		}
		rounds = n
	}
	model := os.Getenv("FIRSTLINE_LOAD_MODEL") != "0"
	dir := t.TempDir()
	short := min(step, 3*time.Second)

	var table strings.Builder
	fmt.Fprintf(&table, "commit figures (%s at the start; model %v; steps of %v)\n", loadMachine(), model, step)
	fmt.Fprintf(&table, "  the disk, one writer: %.0f fsync'd 4 KiB writes/s; %.0f bbolt commits/s of one key\n",
		fsyncRate(t, filepath.Join(dir, "fsync"), short), smallCommitRate(t, filepath.Join(dir, "one.db"), short))
	fmt.Fprintf(&table, "  64 goroutines: bbolt Batch %.0f commits/s of one key; storage Update %.0f/s grouped, %.0f/s alone\n",
		boltBatchRate(t, filepath.Join(dir, "batch.db"), 64, short),
		storeUpdateRate(t, filepath.Join(dir, "grouped.db"), 64, short, false),
		storeUpdateRate(t, filepath.Join(dir, "alone.db"), 64, short, true))

	type figures struct{ ceiling, p50, p99 []float64 }
	got := map[bool]*figures{true: {}, false: {}}
	for r := range rounds {
		for _, solo := range []bool{true, false} {
			d := startLoadDesk(t, filepath.Join(dir, fmt.Sprintf("desk-%d-%v", r, solo)), solo, model)
			st := d.run.step(1000, step, 8000)
			ceiling := d.run.closedLoop(128, step)
			d.stop(t)
			f := got[solo]
			f.ceiling = append(f.ceiling, ceiling)
			f.p50 = append(f.p50, float64(st.window.quantile(0.5))/float64(time.Millisecond))
			f.p99 = append(f.p99, float64(st.window.quantile(0.99))/float64(time.Millisecond))
			t.Logf("round %d, solo commits %v: ceiling %.0f ev/s; at 1,000 ev/s p50 %v p99 %v, %d not acknowledged",
				r+1, solo, ceiling, st.window.quantile(0.5).Round(100*time.Microsecond), st.window.quantile(0.99).Round(100*time.Microsecond), st.errors)
		}
	}
	mean := func(v []float64) float64 {
		s := 0.0
		for _, x := range v {
			s += x
		}
		return s / float64(len(v))
	}
	list := func(v []float64, unit string) string {
		var parts []string
		for _, x := range v {
			parts = append(parts, fmt.Sprintf("%.0f%s", x, unit))
		}
		return strings.Join(parts, ", ")
	}
	for _, solo := range []bool{true, false} {
		name := "group commit"
		if solo {
			name = "a commit per event (before)"
		}
		f := got[solo]
		fmt.Fprintf(&table, "  the desk, %s: ack ceiling %s ev/s; at 1,000 ev/s ack p50 %s, p99 %s\n",
			name, list(f.ceiling, ""), list(f.p50, " ms"), list(f.p99, " ms"))
	}
	fmt.Fprintf(&table, "  group commit / a commit per event, ack ceiling: %.1f×\n", mean(got[false].ceiling)/mean(got[true].ceiling))
	fmt.Fprintf(&table, "  (%s at the end)\n", loadMachine())
	t.Logf("%s", table.String())
}

// fsyncRate is how many 4 KiB writes, each followed by fsync, one writer makes a second.
func fsyncRate(t *testing.T, path string, d time.Duration) float64 {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	block := make([]byte, 4096)
	start := time.Now()
	n := 0
	for time.Since(start) < d {
		if _, err := f.WriteAt(block, int64(n%64)*4096); err != nil {
			t.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
		n++
	}
	return float64(n) / time.Since(start).Seconds()
}

// smallCommitRate is how many fsync'd bbolt commits of one key one writer makes a second.
func smallCommitRate(t *testing.T, path string, d time.Duration) float64 {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	start := time.Now()
	n := 0
	for time.Since(start) < d {
		if err := db.Update(func(tx *bolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists([]byte("k"))
			if err != nil {
				return err
			}
			return b.Put([]byte(strconv.Itoa(n)), []byte("x"))
		}); err != nil {
			t.Fatal(err)
		}
		n++
	}
	return float64(n) / time.Since(start).Seconds()
}

// boltBatchRate is how many bbolt Batch calls of one key each a second workers goroutines complete.
func boltBatchRate(t *testing.T, path string, workers int, d time.Duration) float64 {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	return concurrently(workers, d, func(w, i int) error {
		return db.Batch(func(tx *bolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists([]byte("k"))
			if err != nil {
				return err
			}
			return b.Put(fmt.Appendf(nil, "%d.%d", w, i), []byte("x"))
		})
	}, t)
}

// storeUpdateRate is how many storage Updates of one dedup key each a second workers goroutines
// complete, grouped or alone.
func storeUpdateRate(t *testing.T, path string, workers int, d time.Duration, alone bool) float64 {
	t.Helper()
	db, err := storage.Open(path, storage.Options{SoloCommits: alone})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	return concurrently(workers, d, func(w, i int) error {
		return db.Update(ctx, func(tx bot.Tx) error {
			_, err := tx.RecordDedupKey(fmt.Sprintf("%d.%d", w, i), time.Now())
			return err
		})
	}, t)
}

// concurrently runs fn from workers goroutines, call after call, for d, and returns the calls a second.
func concurrently(workers int, d time.Duration, fn func(w, i int) error, t *testing.T) float64 {
	t.Helper()
	var done atomic.Int64
	var failed atomic.Value
	start := time.Now()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := 0; time.Since(start) < d; i++ {
				if err := fn(w, i); err != nil {
					failed.Store(err)
					return
				}
				done.Add(1)
			}
		})
	}
	wg.Wait()
	if err := failed.Load(); err != nil {
		t.Fatal(err)
	}
	return float64(done.Load()) / time.Since(start).Seconds()
}

// loadDesk is the load test's desk, running in this process.
type loadDesk struct {
	run    *loadRun
	cancel context.CancelFunc
	code   chan int
	errOut *syncBuffer
}

// startLoadDesk starts the load test's desk (Slack HTTP mode, a fake Slack answering in 50-150 ms, with
// the fake model answering in 0.5-2 s unless model is false, flood control off) on a data directory in
// dir, and warms it up: every one of 1,000 people asks once.
func startLoadDesk(t *testing.T, dir string, solo, model bool) *loadDesk {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
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
	apiURL := slowSlack(t, fake, between(25*time.Millisecond, 75*time.Millisecond), between(25*time.Millisecond, 75*time.Millisecond))
	addr := freeAddr(t)
	extra := "\n[flood]\nmessages = 0\njoin_within = \"0s\"\n\n[log]\nlevel = \"warn\"\nfile = " + strconv.Quote(filepath.Join(dir, "desk.log")) + "\n"
	if model {
		m := newSlowModel(t, between(500*time.Millisecond, 2*time.Second), 10*time.Second)
		extra += fmt.Sprintf("\n[llm]\nenabled = true\nbase_url = %q\napi_key = \"sk-load\"\nmodel = \"gpt-load\"\n", m.url)
	}
	cfg := writeLoadConfig(t, dir, apiURL, addr, extra)
	d := &loadDesk{code: make(chan int, 1), errOut: &syncBuffer{}}
	var out syncBuffer
	m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: d.errOut, Getenv: func(string) (string, bool) { return "", false }, soloCommits: solo}
	ctx, cancel := context.WithCancel(context.Background())
	d.cancel = cancel
	go func() { d.code <- m.Run(ctx, []string{"-data", filepath.Join(dir, "data"), "-config", cfg}) }()
	waitHealthz(t, addr, d.code, d.errOut)
	d.run = &loadRun{endpoint: "http://" + addr + slackEventsPath, users: users,
		client: &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 4096, MaxIdleConns: 4096}}}
	d.run.warmUp(t, 64)
	return d
}

// stop stops the desk and waits for it.
func (d *loadDesk) stop(t *testing.T) {
	t.Helper()
	d.cancel()
	d.run.client.CloseIdleConnections()
	select {
	case c := <-d.code:
		if c != 0 {
			t.Errorf("the desk exited %d:\n%s", c, d.errOut.String())
		}
	case <-time.After(60 * time.Second):
		t.Errorf("the desk did not stop within 60 s")
	}
}

// closedLoop sends events from senders goroutines, each the next as soon as the last was answered, for
// d, and returns the events acknowledged a second: the most the desk acknowledges.
func (l *loadRun) closedLoop(senders int, d time.Duration) float64 {
	var acked atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for s := range senders {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(s), 11))
			for time.Since(start) < d {
				m := l.event(rng)
				status, err := deliver(context.Background(), l.client, l.endpoint, m.body(), 0)
				if err == nil && status/100 == 2 && time.Since(start) < d {
					acked.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return float64(acked.Load()) / d.Seconds()
}
