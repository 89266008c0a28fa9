package slack_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/adapters/slack"
	"github.com/firstline-desk/firstline/adapters/slack/fakeslack"
	"github.com/firstline-desk/firstline/adapters/webhook"
	"github.com/firstline-desk/firstline/adapters/webhook/fakewebhook"
	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/kb"
	"github.com/firstline-desk/firstline/storage"
)

const actionsSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// newActionsDesk is newDeskWith for actions: an article that offers unlock-account, and two http
// actions against target, one of them approved by Tier 2 in CAPPROVALS; and the extra ones.
func newActionsDesk(t *testing.T, target *fakewebhook.Target, extra ...bot.ActionDef) *desk {
	t.Helper()
	unlock, err := webhook.New(webhook.Config{URL: target.URL + "/api/v1/users/{{login}}/lifecycle/unlock", Secret: actionsSecret}, nil)
	if err != nil {
		t.Fatal(err)
	}
	group, err := webhook.New(webhook.Config{URL: target.URL + "/groups/{{group}}/members", Body: `{"user": "{{requester}}"}`, Secret: actionsSecret}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := deskConfig()
	cfg.ApprovalsChannel = "slack:CAPPROVALS"
	cfg.Actions = []bot.ActionDef{
		{ID: "unlock-account", Title: "Unlock my account", Runner: unlock,
			Params: []bot.ActionParam{{Name: "login", Type: bot.ParamRequester, Resolve: "email"}}},
		{ID: "add-to-group", Title: "Add me to a group", Runner: group, Approval: &bot.ActionApproval{Approvers: []string{"tier2"}},
			Params: []bot.ActionParam{{Name: "group", Type: bot.ParamEnum, Choices: []string{"finance", "hr"}, Required: true}}},
	}
	cfg.Actions = append(cfg.Actions, extra...)
	fake := fakeslack.New(t)
	fake.AddUser("UALICE", "Alice Smith", "alice")
	fake.SetUserEmail("UALICE", "alice@example.com")
	fake.AddUser("UTOM", "Tom Jones", "tom")
	db, err := storage.Open(filepath.Join(t.TempDir(), "data.db"), storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	lib := kb.NewLibrary(append(articles, kb.Article{ID: "account-locked", Title: "Locked out of your account", Tags: []string{"locked", "account"},
		Actions: []string{"unlock-account"}, Body: "After five wrong passwords your account locks. Press Unlock my account."}), kb.Options{})
	engine, err := bot.New(cfg, db, lib, bot.SystemClock{}, logger)
	if err != nil {
		t.Fatal(err)
	}
	adapter, err := slack.New(slack.Config{Mode: slack.ModeSocket, BotToken: "xoxb-test", AppToken: "xapp-test", APIURL: fake.APIURL(), CommandPrefix: "!"}, logger)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := adapter.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	engine.AddChat(adapter)
	done := make(chan struct{}, 3)
	go func() { _ = engine.Run(ctx); done <- struct{}{} }()
	go func() { _ = adapter.RunSocket(ctx, engine); done <- struct{}{} }()
	go func() { adapter.RunDirectory(ctx); done <- struct{}{} }()
	t.Cleanup(func() { cancel(); <-done; <-done; <-done })
	fake.WaitConnections(t, 1)
	return &desk{t: t, fake: fake, db: db, engine: engine, adapter: adapter, ts: 100}
}

// waitCalls waits until target has n calls, and returns them.
func waitCalls(t *testing.T, target *fakewebhook.Target, n int) []fakewebhook.Call {
	t.Helper()
	for range n - len(target.Calls()) {
		select {
		case <-target.Arrived():
		case <-time.After(10 * time.Second):
			t.Fatalf("%d calls, want %d", len(target.Calls()), n)
		}
	}
	return target.Calls()
}

// TestSlackSelfServiceAction: the answer's "Unlock my account" button, confirmed, calls the identity
// provider once for alice's email address (from users.info), signed.
func TestSlackSelfServiceAction(t *testing.T) {
	target := fakewebhook.New(actionsSecret)
	defer target.Close()
	d := newActionsDesk(t, target)
	q := d.say("UALICE", "CHELP", "", "my account is locked")
	d.flush()
	answer := d.find("CHELP", q, "run:unlock-account")
	if !strings.Contains(string(answer.Blocks), "Unlock my account") {
		t.Fatalf("the answer has no Unlock my account button: %s", answer.Blocks)
	}
	d.click("UALICE", answer, q, "run:unlock-account")
	d.flush()
	confirm := d.find("CHELP", q, "Shall I run")
	d.click("UALICE", confirm, q, "confirm")
	d.flush()
	calls := waitCalls(t, target, 1)
	if c := calls[0]; c.Path != "/api/v1/users/alice@example.com/lifecycle/unlock" || !c.Signed || c.IdempotencyKey == "" {
		t.Fatalf("call %s signed %v key %q", c.Path, c.Signed, c.IdempotencyKey)
	}
	d.find("CHELP", q, "succeeded")
}

// TestSlackApprovalCard: the approval card in CAPPROVALS has Approve and Deny; the requester's own press
// is refused; tom's approves, and the card is updated without its buttons.
func TestSlackApprovalCard(t *testing.T) {
	target := fakewebhook.New(actionsSecret)
	defer target.Close()
	d := newActionsDesk(t, target)
	q := d.say("UALICE", "CHELP", "", "!run add-to-group group=hr")
	d.flush()
	card := d.find("CAPPROVALS", "-", "Approval needed")
	for _, want := range []string{`"value":"approve"`, `"value":"deny"`, "group=hr"} {
		if !strings.Contains(string(card.Blocks), want) {
			t.Fatalf("approval card lacks %s: %s", want, card.Blocks)
		}
	}
	d.click("UALICE", card, "", "approve")
	d.flush()
	d.find("CAPPROVALS", "-", "Only the approvers")
	if n := len(target.Calls()); n != 0 {
		t.Fatalf("alice's own approval ran it: %d calls", n)
	}
	d.click("UTOM", card, "", "approve")
	d.flush()
	calls := waitCalls(t, target, 1)
	var body map[string]string
	if err := json.Unmarshal(calls[0].Body, &body); err != nil || body["user"] != "slack:UALICE" {
		t.Fatalf("body %s (%v)", calls[0].Body, err)
	}
	d.find("CHELP", q, "succeeded")
	up := d.fake.Updated()
	last := up[len(up)-1]
	if !strings.Contains(string(last.Blocks), "approved by tom") || strings.Contains(string(last.Blocks), `"value":"approve"`) {
		t.Fatalf("the card's last update: %s", last.Blocks)
	}
}
