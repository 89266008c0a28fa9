package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/bot/bottest"
	"github.com/firstline-desk/firstline/storage/postgres/pgtest"
)

// TestActionRunOnALiveReplicaIsNotCutOff: replica A is in the middle of an action's call when replica B
// starts. B must not take A's run for one a crash cut off: the run stays running, A records its result,
// and the requester hears of it once, with no "I can't tell whether it worked". Once A is gone (its
// lease expired), a replica that starts then does mark the run "outcome unknown", and never calls it
// again. Without the lease check, B marked A's live run unknown at its start.
func TestActionRunOnALiveReplicaIsNotCutOff(t *testing.T) {
	dsn := pgtest.DSN(t)
	clock := bottest.NewClock(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	chat := newOnceChat()
	started, release := make(chan struct{}, 2), make(chan struct{})
	unlock := &bottest.Runner{Answer: func(ctx context.Context, _ bot.ActionCall) bot.ActionResult {
		started <- struct{}{}
		select {
		case <-release:
			return bot.ActionResult{Outcome: bot.OutcomeSucceeded, Output: "unlocked", Detail: "HTTP 200"}
		case <-ctx.Done():
			return bot.ActionResult{Outcome: bot.OutcomeUnknown, Detail: "cut off"}
		}
	}}
	cfg := replicaConfig()
	cfg.Actions = []bot.ActionDef{{ID: "unlock-account", Title: "Unlock my account", Runner: unlock, Timeout: time.Hour}}
	newEngine := func() (*bot.Engine, *replica) {
		db := mustOpen(t, dsn)
		eng, err := bot.New(cfg, db, replicaLibrary(), clock, nil)
		if err != nil {
			t.Fatal(err)
		}
		eng.AddChat(chat)
		return eng, &replica{db: db, engine: eng}
	}
	state := func(r *replica) bot.RunState {
		t.Helper()
		var run *bot.ActionRun
		if err := r.db.View(context.Background(), func(tx bot.Tx) error {
			var err error
			run, err = tx.ActionRun("A-000001")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return run.State
	}

	a, ra := newEngine()
	say(t, a, clock, "alice", "m1", "!run unlock-account")
	done := make(chan error, 1)
	go func() { done <- a.Flush(context.Background()) }()
	<-started

	b, rb := newEngine()
	if err := b.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := state(rb); s != bot.RunRunning {
		t.Fatalf("replica B, started during A's call, made the run %s", s)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if s := state(ra); s != bot.RunSucceeded {
		t.Fatalf("run = %s after A's call ended", s)
	}
	for _, m := range chat.Messages("") {
		if strings.Contains(m.Text(), "can't tell whether") {
			t.Fatalf("the requester was told the outcome is unknown: %s", m.Text())
		}
	}

	// A second run, whose replica dies during the call: its lease expires, and a replica started then
	// marks it unknown without calling it again.
	release = make(chan struct{})
	say(t, a, clock, "alice", "m2", "!run unlock-account")
	ctx, cancel := context.WithCancel(context.Background())
	go func() { done <- a.Flush(ctx) }()
	<-started
	ra.db.Close() // A is gone: nothing it does is written any more, and its leases are not released
	cancel()
	<-done
	expireLeases(t, rb.db)
	c, rc := newEngine()
	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	var run *bot.ActionRun
	if err := rc.db.View(context.Background(), func(tx bot.Tx) error {
		var err error
		run, err = tx.ActionRun("A-000002")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if run.State != bot.RunUnknown || len(unlock.Calls()) != 2 {
		t.Fatalf("the dead replica's run: %s, %d calls", run.State, len(unlock.Calls()))
	}
}
