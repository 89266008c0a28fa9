package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/firstline-desk/firstline/adapters/slack/fakeslack"
	"github.com/firstline-desk/firstline/storage/postgres/pgtest"
)

// TestPGCommitFigures measures, in one run, PostgreSQL's own single-row commit rate (one INSERT per
// transaction, synchronous_commit as the server has it: on, for figures that mean anything) from one
// connection and from 64, and the desk's ack ceiling on PostgreSQL (Slack HTTP mode, closed loop, 128
// senders, the fake model off) with one replica and with three replicas in this process, the senders
// spread across them. It runs only with FIRSTLINE_PG_FIGURES=1 (scripts/pgfigures.sh, which starts a
// cluster with fsync and synchronous_commit on); FIRSTLINE_LOAD_STEP ("10s") is each step's length.
func TestPGCommitFigures(t *testing.T) {
	if testing.Short() || os.Getenv("FIRSTLINE_PG_FIGURES") != "1" {
		t.Skip("the PostgreSQL figures are measured with FIRSTLINE_PG_FIGURES=1 (scripts/pgfigures.sh)")
	}
	step := 10 * time.Second
	if v := os.Getenv("FIRSTLINE_LOAD_STEP"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			t.Fatalf("FIRSTLINE_LOAD_STEP=%q: want a duration like 10s", v)
		}
		step = d
	}
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var syncCommit, fsync string
	if err := pool.QueryRow(ctx, "SELECT current_setting('synchronous_commit'), current_setting('fsync')").Scan(&syncCommit, &fsync); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "CREATE TABLE commit_rate (id bigserial PRIMARY KEY, at bigint NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	short := min(step, 3*time.Second)
	one := rowCommitRate(t, pool, 1, short)
	many := rowCommitRate(t, pool, 64, short)

	var table strings.Builder
	fmt.Fprintf(&table, "PostgreSQL figures (%s at the start; synchronous_commit %s, fsync %s; steps of %v)\n", loadMachine(), syncCommit, fsync, step)
	fmt.Fprintf(&table, "  PostgreSQL, single-row commits/s: %.0f from 1 connection, %.0f from 64\n", one, many)
	for _, n := range []int{1, 3} {
		ceiling := pgDeskCeiling(t, filepath.Join(t.TempDir(), fmt.Sprintf("r%d", n)), n, step)
		fmt.Fprintf(&table, "  the desk on PostgreSQL, %d replica(s): ack ceiling %.0f ev/s\n", n, ceiling)
		t.Logf("%d replica(s): ack ceiling %.0f ev/s", n, ceiling)
	}
	fmt.Fprintf(&table, "  (%s at the end)\n", loadMachine())
	t.Logf("%s", table.String())
}

// rowCommitRate is how many single-row INSERTs, each its own transaction, workers connections commit a
// second.
func rowCommitRate(t *testing.T, pool *pgxpool.Pool, workers int, d time.Duration) float64 {
	t.Helper()
	var n atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for time.Since(start) < d {
				if _, err := pool.Exec(context.Background(), "INSERT INTO commit_rate (at) VALUES ($1)", time.Now().UnixNano()); err != nil {
					t.Error(err)
					return
				}
				n.Add(1)
			}
		})
	}
	wg.Wait()
	return float64(n.Load()) / time.Since(start).Seconds()
}

// pgDeskCeiling starts replicas desks on the database (each a Main in this process on its own address,
// a fresh schema for each measurement) and returns the events a second they acknowledge together,
// closed loop, 128 senders spread across them.
func pgDeskCeiling(t *testing.T, dir string, replicas int, step time.Duration) float64 {
	t.Helper()
	dsn := pgtest.DSN(t)
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
	var desks []*loadDesk
	var endpoints []string
	for i := range replicas {
		rdir := filepath.Join(dir, fmt.Sprintf("replica%d", i+1))
		if err := os.MkdirAll(rdir, 0o700); err != nil {
			t.Fatal(err)
		}
		addr := freeAddr(t)
		extra := fmt.Sprintf("\n[flood]\nmessages = 0\njoin_within = \"0s\"\n\n[log]\nlevel = \"warn\"\nfile = %q\n\n[storage]\ndriver = \"postgres\"\n\n[storage.postgres]\ndsn = %q\nmax_conns = 40\n",
			filepath.Join(rdir, "desk.log"), dsn)
		cfg := writeLoadConfig(t, rdir, apiURL, addr, extra)
		d := &loadDesk{code: make(chan int, 1), errOut: &syncBuffer{}}
		var out syncBuffer
		m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: d.errOut, Getenv: func(string) (string, bool) { return "", false }}
		ctx, cancel := context.WithCancel(context.Background())
		d.cancel = cancel
		go func() { d.code <- m.Run(ctx, []string{"-data", filepath.Join(rdir, "data"), "-config", cfg}) }()
		waitHealthz(t, addr, d.code, d.errOut)
		endpoints = append(endpoints, "http://"+addr+slackEventsPath)
		desks = append(desks, d)
	}
	client := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 4096, MaxIdleConns: 4096}}
	run := &loadRun{endpoint: endpoints[0], users: users, client: client}
	run.warmUp(t, 64)
	var acked atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for s := range 128 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(s), 11))
			endpoint := endpoints[s%len(endpoints)]
			for time.Since(start) < step {
				m := run.event(rng)
				status, err := deliver(context.Background(), client, endpoint, m.body(), 0)
				if err == nil && status/100 == 2 && time.Since(start) < step {
					acked.Add(1)
				}
			}
		})
	}
	wg.Wait()
	ceiling := float64(acked.Load()) / step.Seconds()
	client.CloseIdleConnections()
	for _, d := range desks {
		d.run = run
		d.stop(t)
	}
	return ceiling
}
