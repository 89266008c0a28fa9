package main

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/adapters/slack/fakeslack"
	"github.com/firstline-desk/firstline/adapters/webhook/fakewebhook"
	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/storage"
)

// TestCrashDuringActionCall kills the real binary with SIGKILL while an action's webhook call is in
// flight (the target holds it), and starts it again. The run was committed as started before the call,
// so the desk that comes back marks it "outcome unknown", tells the requester and the technicians, and
// never calls the target again by itself; a technician's retry sends the same idempotency key.
func TestCrashDuringActionCall(t *testing.T) {
	if testing.Short() {
		t.Skip("the crash test runs the binary and kills it; skipped with -short")
	}
	t.Setenv("FL_CRASH_WEBHOOK_SECRET", actionsSecret) // the desk's process inherits it: a secret is never in the config
	target := fakewebhook.New(actionsSecret)
	defer target.Close()
	target.Answer(func(fakewebhook.Call) fakewebhook.Answer { return fakewebhook.Answer{Hang: true} })

	fake := fakeslack.New(t)
	fake.AddUser("UALICE", "Alice Smith", "alice")
	fake.AddUser(loadTechUser, "Tom Tech", "tom")
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	addr := freeAddr(t)
	cfg := writeLoadConfig(t, dir, fake.APIURL(), addr, `
[[actions]]
id = "unlock-account"
title = "Unlock my account"
runner = "http"
url = "`+target.URL+`/api/v1/users/{{requester}}/lifecycle/unlock"
secret = "${FL_CRASH_WEBHOOK_SECRET}"
timeout = "10m"
`)
	desk := newDeskProcess(t, firstlineBinary(t), data, cfg, addr, filepath.Join(dir, "desk.log"))
	desk.start()
	desk.waitHealthy(60 * time.Second)

	client := &http.Client{Timeout: 10 * time.Second}
	endpoint := "http://" + addr + slackEventsPath
	say := func(id, user, text, thread string) {
		t.Helper()
		ts := fakeTS(id)
		m := slackMessage{EventID: "Ev" + id, Channel: loadHelp, User: user, Text: text, TS: ts, ThreadTS: thread}
		if thread != "" && strings.HasPrefix(thread, "card:") {
			m.Channel, m.ThreadTS = loadTier2, strings.TrimPrefix(thread, "card:")
		}
		if code, err := deliver(context.Background(), client, endpoint, m.body(), 0); err != nil || code != http.StatusOK {
			t.Fatalf("deliver %q: %d %v", text, code, err)
		}
	}
	say("1", "UALICE", "!run unlock-account", "")
	select {
	case <-target.Arrived():
	case <-time.After(30 * time.Second):
		t.Fatalf("the call never reached the target; see %s", desk.log.Name())
	}
	desk.kill() // the call is in flight: its answer will never be recorded

	target.Answer(nil) // from now on the target answers at once
	desk.start()
	desk.waitHealthy(60 * time.Second)
	unknown := waitPosted(t, fake, "I can't tell whether *Unlock my account* (A-000001) worked")
	if unknown.ThreadTS != fakeTS("1") {
		t.Fatalf("the requester was told elsewhere: %+v", unknown)
	}
	card := waitPosted(t, fake, "A-000001")
	for _, m := range fake.Posted() {
		if m.Channel == loadTier2 && m.ThreadTS == "" {
			card = m
		}
	}
	report := waitPosted(t, fake, "Check on the target whether it happened")
	if n := len(target.Calls()); n != 1 {
		t.Fatalf("the target got %d calls after the restart, want the one cut off", n)
	}
	key := target.Calls()[0].IdempotencyKey
	if !strings.Contains(report.Text+string(report.Blocks), key) {
		t.Fatalf("the technicians were not given the idempotency key %s: %s", key, report.Text)
	}

	say("2", loadTechUser, "!actions retry A-000001", "card:"+card.TS)
	waitPosted(t, fake, "Done: *Unlock my account* (A-000001) succeeded")
	desk.stop()

	calls := target.Calls()
	if len(calls) != 2 || calls[1].IdempotencyKey != key || calls[1].Header.Get("webhook-id") != key || !calls[1].Signed {
		t.Fatalf("calls: %d, keys %q then %q", len(calls), key, calls[len(calls)-1].IdempotencyKey)
	}
	db, err := storage.Open(filepath.Join(data, "firstline.db"), storage.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var r *bot.ActionRun
	if err := db.View(context.Background(), func(tx bot.Tx) error {
		var err error
		r, err = tx.ActionRun("A-000001")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var states []string
	for _, s := range r.History {
		states = append(states, string(s.State))
	}
	if got := strings.Join(states, " "); got != "approved running unknown approved running succeeded" || r.Attempts != 2 {
		t.Fatalf("the run went %s in %d attempts", got, r.Attempts)
	}
}

// fakeTS is the Slack timestamp of the test's message id.
func fakeTS(id string) string { return "1700000" + strings.Repeat("0", 3-len(id)) + id + ".000100" }

// waitPosted waits until a message containing want was posted to the fake, and returns the latest such.
func waitPosted(t *testing.T, fake *fakeslack.Server, want string) fakeslack.Message {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		posted := fake.Posted()
		for i := len(posted) - 1; i >= 0; i-- {
			if strings.Contains(posted[i].Text, want) || strings.Contains(string(posted[i].Blocks), want) {
				return posted[i]
			}
		}
		if time.Now().After(deadline) {
			var all []string
			for _, m := range posted {
				all = append(all, m.Channel+"/"+m.ThreadTS+": "+m.Text)
			}
			t.Fatalf("nothing posted contains %q:\n%s", want, strings.Join(all, "\n"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
