package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/bot/bottest"
)

// threadText is everything posted in the thread of root in channel, one message a line.
func threadText(d *bottest.Desk, channel, root string) string {
	var s []string
	for _, m := range d.Chat.Thread(channel, root) {
		s = append(s, m.Text())
	}
	return strings.Join(s, "\n")
}

// tick runs the SLA loop at the fake clock's time and everything it posts.
func tick(t *testing.T, d *bottest.Desk) {
	t.Helper()
	ctx := context.Background()
	if _, err := d.Engine.CheckSLAs(ctx, d.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	if err := d.Engine.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestAlertActionMessagesReachTheTechnician: on a monitor's ticket, every message about a run a
// technician asked for from the card reaches them in the card's thread, never the monitor, which reads
// nothing: the confirmation cancelled or expired, the request waiting for approval, denied, expired,
// approved, running and its outcome.
func TestAlertActionMessagesReachTheTechnician(t *testing.T) {
	spoolerRunner := bottest.Succeeding("spooler restarted")
	drainRunner := bottest.Succeeding("drained")
	cfg := alertConfig()
	cfg.ApprovalsChannel = "test:approvals"
	cfg.Alerts.Routes[0].Actions = []string{"restart-spooler", "drain"}
	cfg.Actions = []bot.ActionDef{
		{ID: "restart-spooler", Title: "Restart the print spooler", Runner: spoolerRunner, Requesters: []string{"technicians"}},
		{ID: "drain", Title: "Drain the print server", Runner: drainRunner, Requesters: []string{"technicians"},
			Approval: &bot.ActionApproval{Approvers: []string{"tier2"}}},
	}
	d, db := newAlertDesk(t, cfg)
	mustAlert(t, d, notice(`{}:{alertname="SpoolerDown"}`, firing("prn-3", spooler, d.Clock.Now().Add(-time.Minute))))
	card := cardsIn(d, "tier3")[0]

	// The confirmation, cancelled.
	d.Click(sara, card, "Restart the print spooler")
	d.Click(sara, d.Chat.Last("tier3"), "Cancel")
	mustContain(t, "the card's thread after the cancel", threadText(d, "tier3", card.Ref.ID),
		"**Restart the print spooler** (A-000001) was cancelled by sara; nothing was run.")

	// The confirmation, expired.
	d.Click(sara, card, "Restart the print spooler")
	d.Clock.Advance(time.Hour + time.Minute)
	tick(t, d)
	if r := runOf(t, db, "A-000002"); r.State != bot.RunExpired {
		t.Fatalf("run = %s", r.State)
	}
	mustContain(t, "the card's thread after the expiry", threadText(d, "tier3", card.Ref.ID),
		"Your request to run **Restart the print spooler** for Alertmanager (A-000002) expired: it waited for your confirmation")

	// Waiting for approval, denied.
	d.Click(sara, card, "Drain the print server")
	d.Click(sara, d.Chat.Last("tier3"), "Run it")
	mustContain(t, "the card's thread while it waits", threadText(d, "tier3", card.Ref.ID),
		"I've asked for approval to run **Drain the print server** for Alertmanager (A-000003)")
	d.Click(tom, d.Chat.Last("approvals"), "Deny")
	mustContain(t, "the card's thread after the denial", threadText(d, "tier3", card.Ref.ID),
		"**tom** denied your request to run **Drain the print server** for Alertmanager (A-000003).")

	// Waiting for approval, expired.
	d.Click(sara, card, "Drain the print server")
	d.Click(sara, d.Chat.Last("tier3"), "Run it")
	d.Clock.Advance(4*time.Hour + time.Minute)
	tick(t, d)
	mustContain(t, "the card's thread after the approval expired", threadText(d, "tier3", card.Ref.ID),
		"Your request to run **Drain the print server** for Alertmanager (A-000004) expired: it waited for an approval")

	// Approved, running, succeeded.
	d.Click(sara, card, "Drain the print server")
	d.Click(sara, d.Chat.Last("tier3"), "Run it")
	d.Click(tina, d.Chat.Last("approvals"), "Approve")
	if len(drainRunner.Calls()) != 1 {
		t.Fatalf("calls = %d", len(drainRunner.Calls()))
	}
	mustContain(t, "the card's thread after the run", threadText(d, "tier3", card.Ref.ID),
		"**tina** approved **Drain the print server** (A-000005): running it now.",
		"Running **Drain the print server** for Alertmanager (A-000005)…",
		"Action **Drain the print server** (A-000005) for Alertmanager succeeded")
	if strings.Count(threadText(d, "tier3", card.Ref.ID), "(A-000005) for Alertmanager succeeded") != 1 {
		t.Fatalf("the outcome is told more than once:\n%s", threadText(d, "tier3", card.Ref.ID))
	}
	outboxEmpty(t, db)
}

// TestTechnicianRunForRequesterTellsBoth: a run a technician asks for from a card's thread for the
// ticket's requester tells the technician, in the card's thread, and the requester, in their
// conversation, of each step: waiting, denied, expired, cancelled, approved, running, its outcome.
func TestTechnicianRunForRequesterTellsBoth(t *testing.T) {
	unlock := bottest.Succeeding("unlocked")
	d, db := newActionsDesk(t, unlock, bottest.Succeeding("added"), bottest.Succeeding(""))
	q := d.Say(alice, "help", "my keyboard is broken")
	d.Click(alice, d.Chat.Thread("help", q)[0], "Talk to a human")
	card := d.Chat.Messages("tier2")[0]
	tech := func() string { return threadText(d, "tier2", card.Ref.ID) }
	requester := func() string { return threadText(d, "help", q) }

	// Denied.
	d.SayIn(tom, "tier2", card.Ref.ID, "!run add-to-group group=hr")
	mustContain(t, "tom, waiting", tech(), "I've asked for approval to run **Add me to a group** for alice with group=hr (A-000001)")
	mustContain(t, "alice, waiting", requester(), "**tom** asked to run **Add me to a group** for you with group=hr (A-000001)")
	d.Click(tina, d.Chat.Last("approvals"), "Deny")
	mustContain(t, "tom, denied", tech(), "**tina** denied your request to run **Add me to a group** for alice (A-000001).")
	mustContain(t, "alice, denied", requester(), "**tina** denied the request of **tom** to run **Add me to a group** for you (A-000001).")

	// Expired.
	d.SayIn(tom, "tier2", card.Ref.ID, "!run add-to-group group=finance")
	d.Clock.Advance(4*time.Hour + time.Minute)
	tick(t, d)
	mustContain(t, "tom, expired", tech(), "Your request to run **Add me to a group** for alice (A-000002) expired: it waited for an approval")
	mustContain(t, "alice, expired", requester(), "The request of **tom** to run **Add me to a group** for you (A-000002) expired")

	// Cancelled by the technician.
	d.SayIn(tom, "tier2", card.Ref.ID, "!run add-to-group group=engineering")
	d.SayIn(tom, "tier2", card.Ref.ID, "!actions cancel A-000003")
	for who, text := range map[string]string{"tom": tech(), "alice": requester()} {
		mustContain(t, who+", cancelled", text, "**Add me to a group** (A-000003) was cancelled by tom; nothing was run.")
	}

	// Approved, running, succeeded.
	d.SayIn(tom, "tier2", card.Ref.ID, "!run add-to-group group=hr")
	d.Click(tina, d.Chat.Last("approvals"), "Approve")
	mustContain(t, "tom, approved", tech(), "**tina** approved **Add me to a group** (A-000004): running it now.",
		"Running **Add me to a group** for alice (A-000004)…", "Action **Add me to a group** (A-000004) for alice succeeded")
	mustContain(t, "alice, approved", requester(), "**tina** approved **Add me to a group** (A-000004): running it now.",
		"Running **Add me to a group** (A-000004), asked for you by **tom**…", "Done: **Add me to a group** (A-000004) succeeded")

	// No approval needed: running and its outcome, to both.
	d.SayIn(tom, "tier2", card.Ref.ID, "!run unlock-account")
	if len(unlock.Calls()) != 1 {
		t.Fatalf("calls = %d", len(unlock.Calls()))
	}
	mustContain(t, "tom, unlock", tech(), "Running **Unlock my account** for alice (A-000005)…", "Action **Unlock my account** (A-000005) for alice succeeded")
	mustContain(t, "alice, unlock", requester(), "Running **Unlock my account** (A-000005), asked for you by **tom**…", "Done: **Unlock my account** (A-000005) succeeded")
	if strings.Count(tech(), "(A-000005) for alice succeeded") != 1 {
		t.Fatalf("the outcome is told more than once in the card's thread:\n%s", tech())
	}
	for _, not := range []string{"Your request", "I've asked for approval", "Action **"} {
		if strings.Contains(requester(), not) {
			t.Fatalf("alice is told what is for tom (%q):\n%s", not, requester())
		}
	}
	if r := runOf(t, db, "A-000005"); r.State != bot.RunSucceeded || r.RequestedBy != tom || r.For != alice {
		t.Fatalf("run = %+v", r)
	}
}

// TestSelfServiceRunMessagesStayWithTheRequester: a run the requester asks for themselves is told in
// their conversation alone, in the words it always had; no technician's thread hears of it.
func TestSelfServiceRunMessagesStayWithTheRequester(t *testing.T) {
	group := bottest.Succeeding("added")
	d, _ := newActionsDesk(t, bottest.Succeeding(""), group, bottest.Succeeding(""))
	card := askForGroup(t, d, alice, "hr")
	mustContain(t, "waiting", allText(d, "@alice"), "I've asked for approval to run **Add me to a group** with group=hr (A-000001). I'll tell you here when it is decided; the request expires in 4 hours.")
	d.Click(tina, card, "Deny")
	mustContain(t, "denied", allText(d, "@alice"), "**tina** denied your request to run **Add me to a group** (A-000001). I've closed **T-000001**; write here if you need more help.")

	askForGroup(t, d, alice, "finance")
	d.Clock.Advance(4*time.Hour + time.Minute)
	tick(t, d)
	mustContain(t, "expired", allText(d, "@alice"), "Your request to run **Add me to a group** (A-000002) expired: it waited for an approval, and nothing was run. Ask again if you still need it.")

	d.Say(alice, "@alice", "!run unlock-account")
	mustContain(t, "run", allText(d, "@alice"), "Running **Unlock my account** (A-000003)…", "Done: **Unlock my account** (A-000003) succeeded")
	for _, ch := range []string{"tier2", "tier3"} {
		if n := len(d.Chat.Messages(ch)); n != 0 {
			t.Fatalf("%s got %d messages about alice's own runs:\n%s", ch, n, allText(d, ch))
		}
	}
}
