package bot_test

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/bot/bottest"
	"github.com/firstline-desk/firstline/storage"
)

// actionsConfig is the test desk with three actions: unlock-account (self-service, no approval, offered
// by the password article), add-to-group (approved by Tier 2) and restart-spooler (a host that must
// match a pattern, for technicians).
func actionsConfig(unlock, group, spooler bot.Runner) bot.Config {
	cfg := testConfig()
	cfg.ApprovalsChannel = "test:approvals"
	cfg.Actions = []bot.ActionDef{
		{ID: "unlock-account", Title: "Unlock my account", Runner: unlock},
		{ID: "add-to-group", Title: "Add me to a group", Runner: group,
			Approval: &bot.ActionApproval{Approvers: []string{"tier2", "admins"}},
			Params:   []bot.ActionParam{{Name: "group", Type: bot.ParamEnum, Choices: []string{"finance", "hr", "engineering"}, Required: true}}},
		{ID: "restart-spooler", Title: "Restart the print spooler", Runner: spooler, Requesters: []string{"technicians"}, Program: true,
			Params: []bot.ActionParam{{Name: "host", Type: bot.ParamString, Pattern: regexp.MustCompile(`^(?:PRN-[0-9]+)$`), Required: true}}},
	}
	return cfg
}

func actionsLibrary() *bottest.Library {
	lib := testLibrary()
	for i := range lib.Articles {
		if lib.Articles[i].ID == "password-reset" {
			lib.Articles[i].Actions = []string{"unlock-account"}
		}
	}
	return lib
}

func newActionsDesk(t *testing.T, unlock, group, spooler bot.Runner) (*bottest.Desk, *storage.DB) {
	t.Helper()
	db := openStore(t, "")
	return bottest.NewDesk(t, actionsConfig(unlock, group, spooler), db, actionsLibrary()), db
}

func runOf(t *testing.T, db bot.Store, id string) *bot.ActionRun {
	t.Helper()
	var r *bot.ActionRun
	if err := db.View(context.Background(), func(tx bot.Tx) error {
		var err error
		r, err = tx.ActionRun(id)
		return err
	}); err != nil {
		t.Fatalf("run %s: %v", id, err)
	}
	return r
}

func allRuns(t *testing.T, db bot.Store) []*bot.ActionRun {
	t.Helper()
	var runs []*bot.ActionRun
	if err := db.View(context.Background(), func(tx bot.Tx) error {
		var err error
		runs, err = tx.FindActionRuns(bot.ActionRunFilter{})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return runs
}

// allText is everything posted in channel, one message a line.
func allText(d *bottest.Desk, channel string) string {
	var s []string
	for _, m := range d.Chat.Messages(channel) {
		s = append(s, m.Text())
	}
	return strings.Join(s, "\n")
}

// transitions lists a ticket's transition types.
func transitions(tk *bot.Ticket) string {
	var s []string
	for _, e := range tk.Transitions {
		s = append(s, string(e.Type))
	}
	return strings.Join(s, " ")
}

func TestSelfServiceActionFromArticleButton(t *testing.T) {
	unlock := bottest.Succeeding(`{"status":"ACTIVE"}`)
	d, db := newActionsDesk(t, unlock, bottest.Succeeding(""), bottest.Succeeding(""))
	q := d.Say(alice, "help", "I forgot my password and I am locked out")
	ans := d.Chat.Thread("help", q)[0]
	if got := choiceLabels(ans); got != "Solved|Not helpful|Talk to a human|Unlock my account" {
		t.Fatalf("answer's buttons = %s", got)
	}
	// Another person's press does nothing but say so.
	d.Click(bob, ans, "Unlock my account")
	mustContain(t, "reply to bob", d.Chat.Last("help").Text(), "Only alice")
	if len(allRuns(t, db)) != 0 {
		t.Fatal("bob's press made a run")
	}

	d.Click(alice, ans, "Unlock my account")
	confirm := d.Chat.Last("help")
	mustContain(t, "confirmation", confirm.Text(), "Shall I run **Unlock my account**", "A-000001")
	if len(unlock.Calls()) != 0 {
		t.Fatal("the action ran before it was confirmed")
	}
	d.Click(alice, confirm, "Run it")
	calls := unlock.Calls()
	if len(calls) != 1 {
		t.Fatalf("want one call, got %d", len(calls))
	}
	c := calls[0]
	if c.Params["requester"] != alice || c.Params["ticket"] != "T-000001" || c.Run != "A-000001" || !strings.HasPrefix(c.IdempotencyKey, "fl-") || c.Attempt != 1 {
		t.Fatalf("call = %+v", c)
	}
	mustContain(t, "result", d.Chat.Last("help").Text(), "Done: **Unlock my account** (A-000001) succeeded", `{"status":"ACTIVE"}`)
	if len(confirm.Post.Choices) != 0 {
		t.Fatalf("the confirmation keeps its buttons: %s", choiceLabels(confirm))
	}
	r := runOf(t, db, "A-000001")
	if r.State != bot.RunSucceeded || r.Result == nil || r.Result.Output != `{"status":"ACTIVE"}` || r.For != alice || r.Ticket != "T-000001" {
		t.Fatalf("run = %+v", r)
	}
	tk := ticket(t, db, "T-000001")
	mustContain(t, "ticket history", transitions(tk), "action_requested action_approved action_started action_finished")
	var audit bot.AuditPage
	if err := db.View(context.Background(), func(tx bot.Tx) error {
		var err error
		audit, err = tx.FindAudit(bot.AuditFilter{Action: "ticket.", Target: "T-000001"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var actionEntries []bot.AuditEntry
	for _, e := range audit.Entries {
		if strings.HasPrefix(e.Action, "ticket.action_") {
			actionEntries = append(actionEntries, e)
		}
	}
	audit.Entries = actionEntries
	if len(audit.Entries) != 4 {
		t.Fatalf("audit has %d action entries, want 4: %+v", len(audit.Entries), audit.Entries)
	}
	// A second press on the spent confirmation changes nothing.
	d.Click(alice, d.Chat.Thread("help", q)[0], "Unlock my account")
	if n := len(unlock.Calls()); n != 1 {
		t.Fatalf("calls after another press = %d", n)
	}
}

// askForGroup has alice ask for add-to-group in a DM and returns the approval card.
func askForGroup(t *testing.T, d *bottest.Desk, who, group string) *bottest.Message {
	t.Helper()
	before := len(d.Chat.Messages("approvals"))
	d.Say(who, "@"+strings.TrimPrefix(who, "test:"), "!run add-to-group group="+group)
	cards := d.Chat.Messages("approvals")
	if len(cards) != before+1 {
		t.Fatalf("want a new approval card, got %d cards (had %d)", len(cards), before)
	}
	return cards[len(cards)-1]
}

func TestActionApprovedByAnotherPerson(t *testing.T) {
	group := bottest.Succeeding("added")
	d, db := newActionsDesk(t, bottest.Succeeding(""), group, bottest.Succeeding(""))
	card := askForGroup(t, d, alice, "Finance")
	mustContain(t, "approval card", card.Text(), "Approval needed: Add me to a group", "**alice** asks to run **Add me to a group** with group=finance")
	if got := choiceLabels(card); got != "Approve|Deny" {
		t.Fatalf("card buttons = %s", got)
	}
	mustContain(t, "alice is told", d.Chat.Last("@alice").Text(), "asked for approval", "A-000001")
	// Someone who is not an approver cannot decide.
	d.Click(bob, card, "Approve")
	mustContain(t, "reply to bob", d.Chat.Last("approvals").Text(), "Only the approvers")
	if len(group.Calls()) != 0 {
		t.Fatal("ran on a non-approver's press")
	}
	d.Click(tom, card, "Approve")
	if n := len(group.Calls()); n != 1 {
		t.Fatalf("calls = %d", n)
	}
	if got := group.Calls()[0].Params["group"]; got != "finance" {
		t.Fatalf("group = %q", got)
	}
	r := runOf(t, db, "A-000001")
	if r.State != bot.RunSucceeded || r.Decision == nil || r.Decision.By != tom || !r.OpenedTicket {
		t.Fatalf("run = %+v", r)
	}
	if len(card.Post.Choices) != 0 || !strings.Contains(card.Field("Status"), "approved by tom") {
		t.Fatalf("card after approval: %s / %+v", card.Field("Status"), card.Post.Choices)
	}
	alices := d.Chat.Messages("@alice")
	mustContain(t, "alice's DM", alices[len(alices)-1].Text(), "succeeded", "I've closed **T-000001**")
	// The ticket opened for the request is resolved by its success.
	if tk := ticket(t, db, "T-000001"); tk.Status != bot.StatusResolved {
		t.Fatalf("ticket = %s", tk.Status)
	}
}

func TestSelfApprovalIsRefused(t *testing.T) {
	group := bottest.Succeeding("added")
	d, db := newActionsDesk(t, bottest.Succeeding(""), group, bottest.Succeeding(""))
	card := askForGroup(t, d, tom, "hr") // tom is in Tier 2, the approvers
	d.Click(tom, card, "Approve")
	mustContain(t, "refusal", d.Chat.Last("approvals").Text(), "can't approve or deny your own request")
	if r := runOf(t, db, "A-000001"); r.State != bot.RunPending || len(r.Approvals) != 0 {
		t.Fatalf("run after self-approval = %s %+v", r.State, r.Approvals)
	}
	d.React(tom, card, "white_check_mark") // the reaction standing for the button: refused alike
	if len(group.Calls()) != 0 {
		t.Fatal("a self-approval ran the action")
	}
	d.Click(tina, card, "Approve")
	if len(group.Calls()) != 1 {
		t.Fatal("another approver's approval did not run it")
	}
}

func TestActionDenied(t *testing.T) {
	group := bottest.Succeeding("added")
	d, db := newActionsDesk(t, bottest.Succeeding(""), group, bottest.Succeeding(""))
	card := askForGroup(t, d, alice, "engineering")
	stale := d.ClickEvent(tom, card, "Approve")
	d.React(tina, card, "x")
	if len(group.Calls()) != 0 {
		t.Fatal("a denied action ran")
	}
	r := runOf(t, db, "A-000001")
	if r.State != bot.RunDenied || r.Decision == nil || r.Decision.By != tina || r.Decision.Approve {
		t.Fatalf("run = %+v", r)
	}
	mustContain(t, "alice is told", d.Chat.Last("@alice").Text(), "tina** denied your request")
	if len(card.Post.Choices) != 0 || card.Field("Status") != "denied by tina" {
		t.Fatalf("card = %q %+v", card.Field("Status"), card.Post.Choices)
	}
	// Too late: the buttons are off; a press on them from before is told so.
	if err := d.Handle(stale); err != nil {
		t.Fatal(err)
	}
	if len(group.Calls()) != 0 {
		t.Fatal("an approval after a denial ran it")
	}
	mustContain(t, "late approval", d.Chat.Last("approvals").Text(), "already denied by tina")
}

func TestActionRequestExpires(t *testing.T) {
	group := bottest.Succeeding("added")
	d, db := newActionsDesk(t, bottest.Succeeding(""), group, bottest.Succeeding(""))
	card := askForGroup(t, d, alice, "hr")
	stale := d.ClickEvent(tom, card, "Approve")
	ctx := context.Background()
	d.Clock.Advance(3 * time.Hour)
	if _, err := d.Engine.CheckSLAs(ctx, d.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	if r := runOf(t, db, "A-000001"); r.State != bot.RunPending {
		t.Fatalf("expired early: %s", r.State)
	}
	d.Clock.Advance(time.Hour + time.Minute)
	if _, err := d.Engine.CheckSLAs(ctx, d.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	if err := d.Engine.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if r := runOf(t, db, "A-000001"); r.State != bot.RunExpired {
		t.Fatalf("run = %s", r.State)
	}
	mustContain(t, "alice is told", d.Chat.Last("@alice").Text(), "expired", "nothing was run")
	if len(card.Post.Choices) != 0 || !strings.Contains(card.Field("Status"), "expired") {
		t.Fatalf("card = %q %+v", card.Field("Status"), card.Post.Choices)
	}
	mustContain(t, "history", transitions(ticket(t, db, "T-000001")), "action_expired")
	if err := d.Handle(stale); err != nil {
		t.Fatal(err)
	}
	if len(group.Calls()) != 0 {
		t.Fatal("an expired request ran")
	}
}

// TestTwoApproversAtOnce: Approve and Deny pressed at the same moment: one decision is made, the other
// press is told it came too late, and the action runs at most once.
func TestTwoApproversAtOnce(t *testing.T) {
	for round := range 20 {
		group := bottest.Succeeding("added")
		d, db := newActionsDesk(t, bottest.Succeeding(""), group, bottest.Succeeding(""))
		card := askForGroup(t, d, alice, "finance")
		evs := []bot.Event{d.ClickEvent(tom, card, "Approve"), d.ClickEvent(tina, card, "Approve"), d.ClickEvent(ada, card, "Deny")}
		if round%2 == 1 {
			evs[1] = d.ClickEvent(tina, card, "Deny")
		}
		var wg sync.WaitGroup
		for _, ev := range evs {
			wg.Go(func() {
				if err := d.Engine.Handle(context.Background(), ev); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if err := d.Engine.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		r := runOf(t, db, "A-000001")
		decided := 0
		for _, s := range r.History {
			if s.State == bot.RunApproved || s.State == bot.RunDenied {
				decided++
			}
		}
		switch {
		case decided != 1:
			t.Fatalf("round %d: %d decisions: %+v", round, decided, r.History)
		case r.State == bot.RunSucceeded && (len(group.Calls()) != 1 || len(r.Approvals) != 1):
			t.Fatalf("round %d: approved, with %d calls and approvals %+v", round, len(group.Calls()), r.Approvals)
		case r.State == bot.RunDenied && len(group.Calls()) != 0:
			t.Fatalf("round %d: denied, and ran", round)
		case r.State != bot.RunSucceeded && r.State != bot.RunDenied:
			t.Fatalf("round %d: state %s", round, r.State)
		}
		late := 0
		for _, m := range d.Chat.Messages("approvals") {
			if strings.Contains(m.Text(), "is already") {
				late++
			}
		}
		if late != 2 {
			t.Fatalf("round %d: %d presses were told they came late, want 2", round, late)
		}
	}
}

func TestParameterThatFailsItsPatternIsRefused(t *testing.T) {
	spooler := bottest.Succeeding("restarted")
	d, db := newActionsDesk(t, bottest.Succeeding(""), bottest.Succeeding(""), spooler)
	for _, bad := range []string{"host=PRN-3;reboot", "host=prn", `host="PRN-3 && rm -rf /"`, "host=-PRN-3", "host=PRN-3$(id)"} {
		d.Say(tom, "@tom", "!run restart-spooler "+bad)
		mustContain(t, "refusal of "+bad, d.Chat.Last("@tom").Text(), "I can't run **Restart the print spooler**", "`host`", "!run restart-spooler host=HOST")
	}
	d.Say(tom, "@tom", "!run restart-spooler host=PRN-3 colour=red")
	mustContain(t, "unknown parameter", d.Chat.Last("@tom").Text(), "`colour` is not a parameter")
	d.Say(tom, "@tom", "!run restart-spooler")
	mustContain(t, "missing parameter", d.Chat.Last("@tom").Text(), "`host` is required")
	d.Say(alice, "@alice", "!run restart-spooler host=PRN-3")
	mustContain(t, "not for alice", d.Chat.Last("@alice").Text(), "not an action you can ask for")
	if n := len(allRuns(t, db)); n != 0 || len(spooler.Calls()) != 0 {
		t.Fatalf("refused requests made %d runs and %d calls", n, len(spooler.Calls()))
	}
	d.Say(tom, "@tom", "!run restart-spooler host=PRN-3")
	if calls := spooler.Calls(); len(calls) != 1 || calls[0].Params["host"] != "PRN-3" {
		t.Fatalf("calls = %+v", calls)
	}
}

func TestActionsOff(t *testing.T) {
	group := bottest.Succeeding("added")
	unlock := bottest.Succeeding("ok")
	d, db := newActionsDesk(t, unlock, group, bottest.Succeeding(""))
	card := askForGroup(t, d, alice, "hr")
	d.Say(bob, "@bob", "!actions off")
	mustContain(t, "bob refused", d.Chat.Last("@bob").Text(), "Only admins")
	d.Say(ada, "@ada", "!actions off")
	mustContain(t, "ada", d.Chat.Last("@ada").Text(), "Actions are off")
	d.Say(bob, "@bob", "!run unlock-account")
	mustContain(t, "bob's request", d.Chat.Last("@bob").Text(), "Actions are turned off")
	d.Click(tom, card, "Approve")
	mustContain(t, "tom's approval", d.Chat.Last("approvals").Text(), "Actions are turned off")
	if len(group.Calls())+len(unlock.Calls()) != 0 {
		t.Fatal("an action ran while actions were off")
	}
	// The switch is in the data file: a desk started again on it keeps actions off.
	d2 := bottest.NewDesk(t, actionsConfig(unlock, group, bottest.Succeeding("")), db, actionsLibrary())
	d2.Say(bob, "@bob", "!run unlock-account")
	mustContain(t, "after a restart", d2.Chat.Last("@bob").Text(), "Actions are turned off")
	d2.Say(ada, "@ada", "!actions on")
	d2.Say(bob, "@bob", "!run unlock-account")
	if len(unlock.Calls()) != 1 {
		t.Fatal("actions turned on again did not run")
	}
	var audit bot.AuditPage
	if err := db.View(context.Background(), func(tx bot.Tx) error {
		var err error
		audit, err = tx.FindAudit(bot.AuditFilter{Action: "actions."})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(audit.Entries) != 2 || audit.Entries[0].Action != "actions.on" || audit.Entries[1].Action != "actions.off" {
		t.Fatalf("audit = %+v", audit.Entries)
	}
}

// TestSecretInOutputIsRedacted: what a target answers is redacted before it is stored or posted: on
// the ticket, in the run, in the chat, and nowhere in the data file's bytes.
func TestSecretInOutputIsRedacted(t *testing.T) {
	const secret = "Xq7#pLm2$vR9wT"
	unlock := bottest.Succeeding("unlocked; temporary password: " + secret + "\nrecovery token ghp_abcdefghijklmnopqrstuvwxyz0123456789")
	db := openStore(t, "")
	d := bottest.NewDesk(t, actionsConfig(unlock, bottest.Succeeding(""), bottest.Succeeding("")), db, actionsLibrary())
	d.Say(alice, "@alice", "!run unlock-account")
	if len(unlock.Calls()) != 1 {
		t.Fatal("not run")
	}
	for _, m := range d.Chat.Messages("") {
		if strings.Contains(m.Text(), secret) || strings.Contains(m.Text(), "ghp_") {
			t.Fatalf("posted with the secret: %s", m.Text())
		}
	}
	r := runOf(t, db, "A-000001")
	mustContain(t, "stored output", r.Result.Output, "temporary password: [redacted password]")
	raw, err := os.ReadFile(db.Path())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(secret)) || bytes.Contains(raw, []byte("ghp_abcdefghij")) {
		t.Fatal("the secret is in the data file")
	}
}

// TestOutputIsCutToMaxOutput: a long output is kept to max_output bytes, cut after it was redacted, so
// a secret across the cut is not half kept.
func TestOutputIsCutToMaxOutput(t *testing.T) {
	long := strings.Repeat("a", 80) + " ghp_abcdefghijklmnopqrstuvwxyz0123456789 " + strings.Repeat("b", 200)
	unlock := bottest.Succeeding(long)
	cfg := actionsConfig(unlock, bottest.Succeeding(""), bottest.Succeeding(""))
	cfg.Actions[0].MaxOutput = 100
	db := openStore(t, "")
	d := bottest.NewDesk(t, cfg, db, actionsLibrary())
	d.Say(alice, "@alice", "!run unlock-account")
	r := runOf(t, db, "A-000001")
	if len(r.Result.Output) > 100 || !r.Result.Truncated || strings.Contains(r.Result.Output, "ghp_") {
		t.Fatalf("output = %q (truncated %v)", r.Result.Output, r.Result.Truncated)
	}
	if calls := unlock.Calls(); calls[0].MaxOutput <= 100 {
		t.Fatalf("the runner was asked to keep only %d bytes: the redaction needs more than is kept", calls[0].MaxOutput)
	}
}

// crashingStore takes writes until failing is set: then it refuses them, as a full disk or a crashed
// process would leave them unwritten.
type crashingStore struct {
	bot.Store
	mu      sync.Mutex
	failing bool
}

func (s *crashingStore) fail() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failing = true
}

func (s *crashingStore) Update(ctx context.Context, fn func(bot.Tx) error) error {
	s.mu.Lock()
	failing := s.failing
	s.mu.Unlock()
	if failing {
		return bot.Errorf(bot.EUNAVAILABLE, "the store is gone")
	}
	return s.Store.Update(ctx, fn)
}

// TestRunCutOffIsNeverRunAgain: the desk "crashes" during the call (nothing after the start is written);
// the desk started again marks the run "outcome unknown" without calling it again, escalates the ticket
// with the idempotency key, and a technician's retry sends the same key.
func TestRunCutOffIsNeverRunAgain(t *testing.T) {
	db := openStore(t, "")
	store := &crashingStore{Store: db}
	unlock := &bottest.Runner{}
	unlock.Answer = func(ctx context.Context, call bot.ActionCall) bot.ActionResult {
		store.fail() // the process dies while the call is in flight: its result is never recorded
		return bot.ActionResult{Outcome: bot.OutcomeSucceeded}
	}
	cfg := actionsConfig(unlock, bottest.Succeeding(""), bottest.Succeeding(""))
	d1 := bottest.NewDesk(t, cfg, store, actionsLibrary())
	// The event is taken; what the job does after the call is never written.
	if err := d1.Handle(bot.Event{Kind: bot.EventMessage, ID: "m1", Channel: "@alice", Message: "m1", User: alice, UserName: "alice", DM: true,
		Text: "!run unlock-account"}); err == nil {
		t.Fatal("the finish was written")
	}
	if r := runOf(t, db, "A-000001"); r.State != bot.RunRunning || r.Attempts != 1 {
		t.Fatalf("after the cut: %s, %d attempts", r.State, r.Attempts)
	}

	unlock.Answer = nil
	unlock.Result = bot.ActionResult{Outcome: bot.OutcomeSucceeded, Output: "ok"}
	d2 := bottest.NewDesk(t, cfg, db, actionsLibrary())
	if err := d2.Engine.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := runOf(t, db, "A-000001")
	if r.State != bot.RunUnknown || len(unlock.Calls()) != 1 {
		t.Fatalf("after the restart: %s, %d calls", r.State, len(unlock.Calls()))
	}
	mustContain(t, "alice is told", allText(d2, "@alice"), "I can't tell whether **Unlock my account** (A-000001) worked")
	tk := ticket(t, db, "T-000001")
	if tk.Status != bot.StatusEscalated {
		t.Fatalf("ticket = %s", tk.Status)
	}
	card := d2.Chat.Messages("tier2")[0]
	report := d2.Chat.Thread("tier2", card.Ref.ID)
	mustContain(t, "technicians are told", report[len(report)-1].Text(), "of unknown outcome", r.IdempotencyKey, "!actions retry A-000001")
	// Nothing runs it again by itself: not another flush, not the SLA loop.
	if _, err := d2.Engine.CheckSLAs(context.Background(), d2.Clock.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := d2.Engine.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(unlock.Calls()) != 1 {
		t.Fatalf("ran again by itself: %d calls", len(unlock.Calls()))
	}
	// alice may not retry; tom, who works the ticket, may, and the same key is sent.
	d2.Say(alice, "@alice", "!actions retry A-000001")
	mustContain(t, "alice's retry", d2.Chat.Last("@alice").Text(), "Only the technicians")
	d2.SayIn(tom, "tier2", card.Ref.ID, "!actions retry A-000001")
	calls := unlock.Calls()
	if len(calls) != 2 || calls[1].IdempotencyKey != calls[0].IdempotencyKey || calls[1].Attempt != 2 {
		t.Fatalf("retry calls = %+v", calls)
	}
	if r := runOf(t, db, "A-000001"); r.State != bot.RunSucceeded {
		t.Fatalf("after the retry: %s", r.State)
	}
}

// TestTechnicianRunsActionForRequester: from a card's thread, a technician runs an action on the
// ticket's requester's behalf: the requester parameter is theirs, and the technician may not approve it.
func TestTechnicianRunsActionForRequester(t *testing.T) {
	group := bottest.Succeeding("added")
	d, db := newActionsDesk(t, bottest.Succeeding(""), group, bottest.Succeeding(""))
	q := d.Say(alice, "help", "my keyboard is broken")
	d.Click(alice, d.Chat.Thread("help", q)[0], "Talk to a human")
	card := d.Chat.Messages("tier2")[0]
	d.SayIn(tom, "tier2", card.Ref.ID, "!run add-to-group group=hr")
	approval := d.Chat.Last("approvals")
	mustContain(t, "approval card", approval.Text(), "**tom** for **alice** asks to run")
	mustContain(t, "alice is told", d.Chat.Last("help").Text(), "**tom** asked to run **Add me to a group** for you")
	d.Click(tom, approval, "Approve")
	mustContain(t, "tom refused", d.Chat.Last("approvals").Text(), "your own request")
	d.Click(alice, approval, "Approve")
	mustContain(t, "alice refused", d.Chat.Last("approvals").Text(), "Only the approvers")
	d.Click(tina, approval, "Approve")
	calls := group.Calls()
	if len(calls) != 1 || calls[0].Params["requester"] != alice || calls[0].Ticket != "T-000001" {
		t.Fatalf("calls = %+v", calls)
	}
	if r := runOf(t, db, "A-000001"); r.For != alice || r.RequestedBy != tom || r.Via != "card" {
		t.Fatalf("run = %+v", r)
	}
	// bob, neither its requester nor a technician, may not run actions on alice's ticket.
	d.SayIn(bob, "help", q, "!run unlock-account")
	mustContain(t, "bob", d.Chat.Last("help").Text(), "Only alice and the technicians")
}

func TestRequesterResolvedToEmail(t *testing.T) {
	unlock := bottest.Succeeding("ok")
	cfg := actionsConfig(unlock, bottest.Succeeding(""), bottest.Succeeding(""))
	cfg.Actions[0].Params = []bot.ActionParam{{Name: "login", Type: bot.ParamRequester, Resolve: "email"}}
	db := openStore(t, "")
	d := bottest.NewDesk(t, cfg, db, actionsLibrary())
	d.Chat.Emails = map[string]string{alice: "alice@example.com"}
	d.Say(alice, "@alice", "!run unlock-account")
	if calls := unlock.Calls(); len(calls) != 1 || calls[0].Params["login"] != "alice@example.com" || calls[0].Params["requester"] != "alice@example.com" {
		t.Fatalf("calls = %+v", calls)
	}
	// Nobody's email is known for bob: the run fails before anything is called.
	d.Say(bob, "@bob", "!run unlock-account")
	if n := len(unlock.Calls()); n != 1 {
		t.Fatalf("calls = %d", n)
	}
	if r := runOf(t, db, "A-000002"); r.State != bot.RunFailed {
		t.Fatalf("bob's run = %s", r.State)
	}
	mustContain(t, "bob is told", allText(d, "@bob"), "failed: the email address of test:bob is not known")
}

func TestRateLimitPerPerson(t *testing.T) {
	unlock := bottest.Succeeding("ok")
	cfg := actionsConfig(unlock, bottest.Succeeding(""), bottest.Succeeding(""))
	cfg.Actions[0].Rate = bot.RequestRate{Count: 2, Per: time.Hour}
	db := openStore(t, "")
	d := bottest.NewDesk(t, cfg, db, actionsLibrary())
	for range 3 {
		d.Say(alice, "@alice", "!run unlock-account")
	}
	mustContain(t, "third", d.Chat.Last("@alice").Text(), "its limit")
	d.Say(bob, "@bob", "!run unlock-account")
	d.Clock.Advance(time.Hour + time.Second)
	d.Say(alice, "@alice", "!run unlock-account")
	if n := len(unlock.Calls()); n != 4 {
		t.Fatalf("calls = %d, want 4 (alice 2, bob 1, alice again after the hour)", n)
	}
}

func TestParseParams(t *testing.T) {
	for _, c := range []struct {
		in   string
		want map[string]string
		err  bool
	}{
		{"", map[string]string{}, false},
		{"group=finance host=PRN-3", map[string]string{"group": "finance", "host": "PRN-3"}, false},
		{`note="two words" n=3`, map[string]string{"note": "two words", "n": "3"}, false},
		{"Group=hr", map[string]string{"group": "hr"}, false},
		{"finance", nil, true},
		{"a=1 a=2", nil, true},
		{`a="open`, nil, true},
	} {
		got, err := bot.ParseParams(c.in)
		if (err != nil) != c.err {
			t.Fatalf("%q: err %v", c.in, err)
		}
		if !c.err && len(got) != len(c.want) {
			t.Fatalf("%q: %v", c.in, got)
		}
		for k, v := range c.want {
			if got[k] != v {
				t.Fatalf("%q: %s = %q, want %q", c.in, k, got[k], v)
			}
		}
	}
}

func TestExpandTemplateIsOnePass(t *testing.T) {
	got := bot.ExpandTemplate(`{"user": "{{requester}}", "g": "{{ group }}"}`, map[string]string{"requester": "{{group}}", "group": `a"b`},
		func(s string) string { return strings.ReplaceAll(s, `"`, `\"`) })
	if got != `{"user": "{{group}}", "g": "a\"b"}` {
		t.Fatalf("got %s", got)
	}
	if !bot.IsWholePlaceholder("{{host}}") || bot.IsWholePlaceholder("--host={{host}}") {
		t.Fatal("IsWholePlaceholder")
	}
}

// TestQuorumWithPreview: an action that needs two approvals and has a preview: the preview (a dry run,
// its output redacted) is on the approval card before anyone decides; one approval is noted and runs
// nothing, the same approver twice counts once, and the second approver's approval runs it, once.
func TestQuorumWithPreview(t *testing.T) {
	group := bottest.Succeeding("added")
	preview := bottest.Succeeding("would add alice to finance (token ghp_abcdefghijklmnopqrstuvwxyz0123456789)")
	cfg := actionsConfig(bottest.Succeeding(""), group, bottest.Succeeding(""))
	cfg.Actions[1].Approval.Quorum = 2
	cfg.Actions[1].Preview = preview
	db := openStore(t, "")
	d := bottest.NewDesk(t, cfg, db, actionsLibrary())
	card := askForGroup(t, d, alice, "finance")
	if calls := preview.Calls(); len(calls) != 1 || !calls[0].Preview || calls[0].Params["group"] != "finance" {
		t.Fatalf("preview calls = %+v", calls)
	}
	mustContain(t, "card", card.Text(), "Preview (succeeded", "would add alice to finance")
	if strings.Contains(card.Text(), "ghp_") {
		t.Fatalf("the preview's secret is on the card:\n%s", card.Text())
	}
	if got := card.Field("Approvals"); got != "0 of 2" {
		t.Fatalf("approvals field = %q", got)
	}
	d.Click(tom, card, "Approve")
	mustContain(t, "first approval", d.Chat.Last("approvals").Text(), "tom approved A-000001; it needs 1 more")
	d.Click(tom, card, "Approve")
	mustContain(t, "second press by tom", d.Chat.Last("approvals").Text(), "You already approved A-000001")
	if len(group.Calls()) != 0 {
		t.Fatal("it ran with one approval of two")
	}
	d.Click(ada, card, "Approve")
	if calls := group.Calls(); len(calls) != 1 || calls[0].Preview {
		t.Fatalf("calls after the quorum = %+v", calls)
	}
	if len(preview.Calls()) != 1 {
		t.Fatalf("the preview ran %d times", len(preview.Calls()))
	}
	card = d.Chat.Messages("approvals")[0]
	if got := card.Field("Approvals"); got != "2 of 2" || len(card.Post.Choices) != 0 {
		t.Fatalf("card after the quorum: approvals %q, buttons %s", got, choiceLabels(card))
	}
	// Every step is in the audit log, the first approval too, which changes nothing on the ticket.
	var audit bot.AuditPage
	if err := db.View(context.Background(), func(tx bot.Tx) error {
		var err error
		audit, err = tx.FindAudit(bot.AuditFilter{Action: "ticket.", Target: "T-000001"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var steps []string
	for _, e := range audit.Entries {
		steps = append(steps, e.Action+" "+e.Actor+" "+e.Detail)
	}
	mustContain(t, "audit", strings.Join(steps, "\n"), "ticket.action_approval "+tom+" A-000001 add-to-group: approved by tom, 1 of 2",
		"ticket.action_approved "+ada)
}

// TestTicketOpenedForARunIsClosedWhenItEnds: a ticket the desk opened for a request is resolved once
// the run has ended, whatever the end (denied, expired, cancelled, as when it succeeds), so it does not
// wait in Level 1 with nobody to work it; while another run on it is still under way, it stays open.
func TestTicketOpenedForARunIsClosedWhenItEnds(t *testing.T) {
	ctx := context.Background()
	end := map[string]func(d *bottest.Desk, card *bottest.Message){
		"denied": func(d *bottest.Desk, card *bottest.Message) { d.Click(tina, card, "Deny") },
		"expired": func(d *bottest.Desk, _ *bottest.Message) {
			d.Clock.Advance(5 * time.Hour)
			if _, err := d.Engine.CheckSLAs(ctx, d.Clock.Now()); err != nil {
				t.Fatal(err)
			}
			if err := d.Engine.Flush(ctx); err != nil {
				t.Fatal(err)
			}
		},
		"cancelled": func(d *bottest.Desk, _ *bottest.Message) { d.Say(alice, "@alice", "!actions cancel A-000001") },
	}
	for name, finish := range end {
		t.Run(name, func(t *testing.T) {
			d, db := newActionsDesk(t, bottest.Succeeding(""), bottest.Succeeding("added"), bottest.Succeeding(""))
			card := askForGroup(t, d, alice, "hr")
			finish(d, card)
			tk := ticket(t, db, "T-000001")
			if tk.Status != bot.StatusResolved || runOf(t, db, "A-000001").State != bot.RunState(name) {
				t.Fatalf("ticket %s, run %s", tk.Status, runOf(t, db, "A-000001").State)
			}
			mustContain(t, "alice is told", d.Chat.Last("@alice").Text(), "I've closed **T-000001**")
		})
	}

	// Another run still waits on the ticket: the one that ends leaves it open; the last one closes it.
	group := bottest.Succeeding("added")
	d, db := newActionsDesk(t, bottest.Succeeding(""), group, bottest.Succeeding(""))
	first := askForGroup(t, d, alice, "hr")
	second := askForGroup(t, d, alice, "finance")
	if r := runOf(t, db, "A-000002"); r.Ticket != "T-000001" || r.OpenedTicket {
		t.Fatalf("the second request: %+v", r)
	}
	d.Click(tina, first, "Deny")
	if tk := ticket(t, db, "T-000001"); tk.Status != bot.StatusOpen {
		t.Fatalf("closed with a request still waiting for approval: %s", tk.Status)
	}
	d.Click(tina, second, "Approve")
	if tk := ticket(t, db, "T-000001"); tk.Status != bot.StatusResolved || len(group.Calls()) != 1 {
		t.Fatalf("once every run ended: %s, %d calls", tk.Status, len(group.Calls()))
	}
}

// TestValuesThatReadOtherwiseAreRefused: a value with a control character or a format character (a
// bidi override, a zero-width space) would read otherwise on the approval card than what the runner
// gets; it is refused like any value that does not check, whatever the parameter's type.
func TestValuesThatReadOtherwiseAreRefused(t *testing.T) {
	def := bot.ActionDef{ID: "note", Params: []bot.ActionParam{{Name: "note", Type: bot.ParamString}}}
	for _, v := range []string{"fin\u202Eecnan", "fin\u200Bance", "a\x1b[31mb", "line\nbreak", "fin\u2066ance\u2069"} {
		if got, err := def.CheckParams(map[string]string{"note": v}); err == nil {
			t.Errorf("%q was taken: %v", v, got)
		}
	}
	if _, err := def.CheckParams(map[string]string{"note": "Grüße, finance team"}); err != nil {
		t.Errorf("plain text refused: %v", err)
	}
}

// TestHelpNamesActionsOnlyWhereThereAreSome: help tells of !run and !actions on a desk that defines
// actions, and not on one that has none to offer.
func TestHelpNamesActionsOnlyWhereThereAreSome(t *testing.T) {
	d, _ := newActionsDesk(t, bottest.Succeeding(""), bottest.Succeeding(""), bottest.Succeeding(""))
	d.Say(alice, "@alice", "!help")
	mustContain(t, "help with actions", d.Chat.Last("@alice").Text(), "`!run ACTION name=value…`", "`!actions` lists")
	plain := bottest.NewDesk(t, testConfig(), openStore(t, ""), testLibrary())
	plain.Say(alice, "@alice", "!help")
	if h := plain.Chat.Last("@alice").Text(); strings.Contains(h, "!run") || !strings.Contains(h, "`!status T-000123`") {
		t.Fatalf("help without actions:\n%s", h)
	}
}
