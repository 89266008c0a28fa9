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
// SIGKILL and started again while the others keep serving. Meanwhile two technicians react with the claim
// emoji on every escalation card at the same moment, each reaction sent to a different replica (again to
// the next one until answered 2xx, and a third of them once more after their 2xx, as Slack does when an
// answer is late), and first responses are due 3 s after the escalation (replicaSLA), so tickets warn and
// breach while replicas die. A fifth of the cards are raced for only at the end, once every replica has
// been restarted and its SLA check, run as it becomes ready, has announced their breaches. At the end every replica stops cleanly and the test checks, from the
// database and the fake Slack, what TestCrash checks: every acknowledged event stored once, no question
// with two tickets, every reply due posted and none twice (the outbox lanes are leased: each effect is
// performed by one replica, and one taken over from a killed replica is looked up by its key before it is
// posted again), and the outbox empty; and besides (replicaclaims_test.go) every claimed ticket with one
// claim and one owner, shown on its card, the other technician told once that it was claimed, every SLA
// warning and breach the tickets record posted once (none twice, none unrecorded); and `firstline check
// -config` finds the database clean.
//
// The default is short (6 kills, 90 events); scripts/replicatest.sh runs the long one (20 kills, 1,000
// events, PostgreSQL restarted once). FIRSTLINE_CRASH_ROUNDS, FIRSTLINE_CRASH_EVENTS and
// FIRSTLINE_CRASH_SEED size it as for TestCrash; FIRSTLINE_REPLICA_PG_RESTART is a shell command that
// restarts PostgreSQL, run once halfway through the kills; FIRSTLINE_CRASH_KEEP_LOGS is a folder where a
// failed run leaves the replicas' logs.
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
	fake.AddUser(loadTechUser2, "Jan Tech", "jan")
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
	var logs, cfgs, endpoints []string
	for i := range replicas {
		rdir := filepath.Join(dir, fmt.Sprintf("replica%d", i+1))
		if err := os.MkdirAll(rdir, 0o700); err != nil {
			t.Fatal(err)
		}
		addr := freeAddr(t)
		extra := fmt.Sprintf("\n[log]\nlevel = \"debug\"\n\n[storage]\ndriver = \"postgres\"\n\n[storage.postgres]\ndsn = %q\n%s", dsn, replicaSLA)
		cfg := writeLoadConfig(t, rdir, apiURL, addr, extra)
		addTechnician(t, cfg, loadTechUser2)
		cfgs = append(cfgs, cfg)
		logPath := filepath.Join(rdir, "desk.log")
		logs = append(logs, logPath)
		desks = append(desks, newDeskProcess(t, firstlineBinary(t), filepath.Join(rdir, "data"), cfg, addr, logPath))
	}
	if keep := os.Getenv("FIRSTLINE_CRASH_KEEP_LOGS"); keep != "" {
		// Runs before the temporary folder goes: a failed long run's logs are worth reading.
		t.Cleanup(func() {
			if !t.Failed() {
				return
			}
			for i, l := range logs {
				if b, err := os.ReadFile(l); err == nil {
					_ = os.WriteFile(filepath.Join(keep, fmt.Sprintf("replica%d.log", i+1)), b, 0o600)
				}
			}
		})
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
	for _, d := range desks {
		endpoints = append(endpoints, "http://"+d.addr+slackEventsPath)
	}
	claims := newClaimers(ctx, fake, endpoints, s.seed)
	watchCtx, stopWatching := context.WithCancel(ctx)
	defer stopWatching()
	workers.Go(func() { claims.watch(watchCtx) })
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
	// The last cards come once their lanes' leases expire: claim them too, and wait for every claim.
	quiet(fake, bot.DefaultLeaseTTL+3*time.Second, s.drainTimeout)
	stopWatching()
	claims.finish()
	// The tickets of the late races are unclaimed, past their target: each replica started once more
	// runs the SLA loop as it becomes ready, which must announce their breaches, once; then the
	// technicians race for them too.
	for _, d := range desks {
		d.stop()
		d.start()
		d.waitHealthy(60 * time.Second)
	}
	if missing := claims.lateRaces(time.Minute); len(missing) > 0 {
		t.Errorf("no breach notice for %d tickets unclaimed past their target after every replica restarted: %v", len(missing), clipList(missing, 10))
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
	var tickets []*bot.Ticket
	if err := db.View(context.Background(), func(tx bot.Tx) error {
		tickets, err = tx.FindTickets(bot.TicketFilter{})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	cr := claims.verify(tickets)
	// firstline check on the database the replicas shared (any replica's config names it).
	out, cerr := exec.Command(firstlineBinary(t), "check", "-config", cfgs[0], "-data", filepath.Join(dir, "replica1", "data")).CombinedOutput()
	r.checkOutput, r.checkErr = strings.TrimSpace(string(out)), cerr
	r.print(t, s)
	t.Logf(`claims and SLA notices
  cards raced for             %d  (%d of them at the end; claim deliveries %d, redeliveries %d); claimed with one owner %d
  "already claimed" answers   %d
  SLA warnings recorded       %d   breaches recorded %d (of tickets then claimed %d), each posted once unless listed below`,
		cr.races, cr.late, cr.deliveries, cr.redelivered, cr.claimed, cr.refusals, cr.warnings, cr.breaches, cr.breachedBeforeClaim)
	if len(cr.problems) > 0 {
		t.Errorf("%d problems with claims and SLA notices:\n  %s", len(cr.problems), strings.Join(clipList(cr.problems, 40), "\n  "))
	}
	if cr.claimed == 0 || cr.breaches == 0 {
		t.Errorf("the run tested little: %d tickets claimed, %d SLA breaches announced (want some of each)", cr.claimed, cr.breaches)
	}
	if r.checkErr != nil {
		t.Errorf("firstline check: %v\n%s", r.checkErr, r.checkOutput)
	}
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

// addTechnician makes user a member of the tiers in the config file cfg (written by writeLoadConfig).
func addTechnician(t *testing.T, cfg, user string) {
	t.Helper()
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	old := fmt.Sprintf("members = [%q]", "slack:"+loadTechUser)
	text := strings.ReplaceAll(string(b), old, fmt.Sprintf("members = [%q, %q]", "slack:"+loadTechUser, "slack:"+user))
	if text == string(b) {
		t.Fatalf("no %s in %s", old, cfg)
	}
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}
