package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/adapters/slack/fakeslack"
	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/storage/postgres"
	"github.com/firstline-desk/firstline/storage/postgres/pgtest"
)

// TestReplicaCrash is TestCrash with three replicas of the real binary on one PostgreSQL database, each
// serving Slack's HTTP mode on its own address (a load balancer's backends: an event not answered 2xx is
// delivered again, to any of them). Round after round one replica, chosen at random, is killed with
// SIGKILL and started again while the others keep serving. At the end every replica stops cleanly and
// the test checks, from the database and the fake Slack, what TestCrash checks: every acknowledged event
// stored once, no question with two tickets, every reply due posted and none twice (the outbox lanes are
// leased: each effect is performed by one replica, and one taken over from a killed replica is looked up
// by its key before it is posted again), and the outbox empty.
//
// The default is short (6 kills, 90 events); scripts/replicatest.sh runs the long one (20 kills, 1,000
// events, PostgreSQL restarted once). FIRSTLINE_CRASH_ROUNDS, FIRSTLINE_CRASH_EVENTS and
// FIRSTLINE_CRASH_SEED size it as for TestCrash; FIRSTLINE_REPLICA_PG_RESTART is a shell command that
// restarts PostgreSQL, run once halfway through the kills.
func TestReplicaCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("the replica crash test runs three binaries and kills them; skipped with -short")
	}
	dsn := pgtest.DSN(t)
	s := crashSettingsFromEnv(t)
	if os.Getenv("FIRSTLINE_CRASH_ROUNDS") == "" {
		s.rounds = 6
	}
	if os.Getenv("FIRSTLINE_CRASH_EVENTS") == "" {
		s.events = 90
	}
	s.strict = true // with leases and keys, a reply posted twice is a failure
	t.Logf("replica crash test: seed %d, %d kills, %d events", s.seed, s.rounds, s.events)
	began := time.Now()

	fake := fakeslack.New(t)
	users := make([]string, 2000)
	for i := range users {
		users[i] = fmt.Sprintf("U%05d", i+1)
		fake.AddUser(users[i], "Person "+users[i], "p"+strings.ToLower(users[i]))
	}
	fake.AddUser(loadTechUser, "Tom Tech", "tom")
	jitter := rand.New(rand.NewPCG(s.seed, 3))
	var jitterMu sync.Mutex
	uniform := func(max time.Duration) func() time.Duration {
		return func() time.Duration {
			jitterMu.Lock()
			defer jitterMu.Unlock()
			return time.Duration(jitter.Int64N(int64(max) + 1))
		}
	}
	apiURL := slowSlack(t, fake, uniform(s.slackBefore), uniform(s.slackAfter))

	const replicas = 3
	dir := t.TempDir()
	var desks []*deskProcess
	var logs []string
	for i := range replicas {
		rdir := filepath.Join(dir, fmt.Sprintf("replica%d", i+1))
		if err := os.MkdirAll(rdir, 0o700); err != nil {
			t.Fatal(err)
		}
		addr := freeAddr(t)
		extra := fmt.Sprintf("\n[log]\nlevel = \"debug\"\n\n[storage]\ndriver = \"postgres\"\n\n[storage.postgres]\ndsn = %q\n", dsn)
		cfg := writeLoadConfig(t, rdir, apiURL, addr, extra)
		logPath := filepath.Join(rdir, "desk.log")
		logs = append(logs, logPath)
		desks = append(desks, newDeskProcess(t, firstlineBinary(t), filepath.Join(rdir, "data"), cfg, addr, logPath))
	}
	for _, d := range desks {
		d.start()
		d.waitHealthy(60 * time.Second)
	}

	run := newCrashRun(s, fake, users)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var workers sync.WaitGroup
	workers.Go(func() { run.generate(ctx) })
	for i := range s.senders * replicas {
		workers.Go(func() { run.send(ctx, "http://"+desks[i%replicas].addr+slackEventsPath) })
	}

	kills := rand.New(rand.NewPCG(s.seed, 1))
	restartPG := os.Getenv("FIRSTLINE_REPLICA_PG_RESTART")
	for round := range s.rounds {
		up := s.minUp + time.Duration(kills.Int64N(int64(s.maxUp-s.minUp)))
		time.Sleep(up)
		if restartPG != "" && round == s.rounds/2 {
			// PostgreSQL restarts under the desk (as after a crash): the replicas refuse events while it
			// is down (Slack delivers them again) and reconnect.
			out, err := exec.Command("sh", "-c", restartPG).CombinedOutput()
			if err != nil {
				t.Fatalf("restart PostgreSQL (%s): %v\n%s", restartPG, err, out)
			}
			t.Logf("PostgreSQL restarted in round %d", round+1)
		}
		d := desks[kills.IntN(replicas)]
		d.kill()
		d.start()
		d.waitHealthy(60 * time.Second)
	}

	select {
	case <-run.allAcked:
	case <-time.After(s.drainTimeout):
		cancel()
		workers.Wait()
		t.Fatalf("%d of %d events were still not acknowledged %v after the last kill; see %v", s.events-int(run.acked.Load()), s.events, s.drainTimeout, logs)
	}
	cancel()
	workers.Wait()
	// A lane a killed replica held waits for its lease to expire (bot.DefaultLeaseTTL) before another
	// replica takes it: quiet for longer than that.
	quiet(fake, bot.DefaultLeaseTTL+3*time.Second, s.drainTimeout)
	for _, d := range desks {
		d.stop()
	}

	db, err := postgres.Open(context.Background(), postgres.Options{DSN: dsn, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var outbox []bot.Effect
	if err := db.View(context.Background(), func(tx bot.Tx) error {
		outbox, err = tx.Effects(0, 0)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	r := run.verifyStore(t, db)
	r.kills, r.elapsed = s.rounds, time.Since(began)
	for _, d := range desks {
		r.starts += d.starts
	}
	for _, l := range logs {
		text, _ := os.ReadFile(l)
		r.redeliveredCommitted += strings.Count(string(text), "duplicate event ignored")
		r.dropped += strings.Count(string(text), "effect dropped")
	}
	r.checkOutput = "(not run: firstline check reads the data file)"
	r.print(t, s)
	if len(r.problems) > 0 {
		t.Errorf("%d problems (logs: %v):\n  %s", len(r.problems), logs, strings.Join(clipList(r.problems, 40), "\n  "))
	}
	if len(outbox) > 0 {
		t.Errorf("%d effects still in the outbox after the replicas drained, first: %+v", len(outbox), outbox[0])
	}
	if r.dupReplies > 0 {
		t.Errorf("%d replies were posted more than once", r.dupReplies)
	}
}
