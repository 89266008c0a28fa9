package bot_test

import (
	"regexp"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/bot/bottest"
)

// TestAlertCardActionButton: an action the alert's route suggests is a button on the card; a technician
// of the card's tier presses it, confirms in the card's thread (a stray press runs nothing), and the
// action runs on the ticket, its parameter taken from the alert's label (checked like any other value);
// someone else's press or confirmation runs nothing; the button goes once the ticket is resolved.
func TestAlertCardActionButton(t *testing.T) {
	spoolerRunner := bottest.Succeeding("spooler restarted")
	cfg := alertConfig()
	cfg.Actions = []bot.ActionDef{{ID: "restart-spooler", Title: "Restart the print spooler", Runner: spoolerRunner, Requesters: []string{"technicians"}, Program: true,
		Params: []bot.ActionParam{{Name: "instance", Type: bot.ParamString, Pattern: regexp.MustCompile(`^(?:prn-[0-9]+)$`), Required: true}}}}
	d, db := newAlertDesk(t, cfg)
	start := d.Clock.Now().Add(-time.Minute)
	mustAlert(t, d, notice(`{}:{alertname="SpoolerDown"}`, firing("prn-3", spooler, start)))
	card := cardsIn(d, "tier3")[0]
	if got := choiceLabels(card); got != "Restart the print spooler" {
		t.Fatalf("card's buttons = %q", got)
	}

	d.Click(tom, card, "Restart the print spooler") // tier 2's, not tier 3's
	if n := len(spoolerRunner.Calls()); n != 0 || len(allRuns(t, db)) != 0 {
		t.Fatalf("a press by someone who does not work the ticket ran it: %d calls", n)
	}
	mustContain(t, "reply to tom", allText(d, "tier3"), "Only Alertmanager and the technicians working **T-000001**")

	d.Click(sara, card, "Restart the print spooler")
	confirm := d.Chat.Last("tier3")
	mustContain(t, "confirmation in the card's thread", confirm.Text(), "Shall I run **Restart the print spooler** for Alertmanager with instance=prn-3? (A-000001)")
	if len(spoolerRunner.Calls()) != 0 {
		t.Fatal("a press on the card ran the action before it was confirmed")
	}
	d.Click(tom, confirm, "Run it")
	mustContain(t, "tom's confirmation", d.Chat.Last("tier3").Text(), "Only sara can confirm this")
	d.Click(sara, confirm, "Run it")
	if len(confirm.Post.Choices) != 0 {
		t.Fatalf("the confirmation keeps its buttons: %s", choiceLabels(confirm))
	}
	calls := spoolerRunner.Calls()
	if len(calls) != 1 || calls[0].Params["instance"] != "prn-3" || calls[0].Ticket != "T-000001" {
		t.Fatalf("calls = %+v", calls)
	}
	r := runOf(t, db, "A-000001")
	if r.State != bot.RunSucceeded || r.RequestedBy != sara || r.Via != "card" {
		t.Fatalf("run = %+v", r)
	}
	mustContain(t, "ticket history", transitions(ticket(t, db, "T-000001")), "action_requested action_approved action_started action_finished")

	// A label that fails the pattern is refused before anything runs.
	mustAlert(t, d, notice(`{}:{alertname="SpoolerDown",x}`, firing("prn-4; rm -rf /", spooler, start)))
	cards := cardsIn(d, "tier3")
	d.Click(sara, cards[len(cards)-1], "Restart the print spooler")
	if n := len(spoolerRunner.Calls()); n != 1 {
		t.Fatalf("a label that fails the pattern ran: %d calls", n)
	}
	mustContain(t, "refusal", d.Chat.Last("tier3").Text(), "I can't run **Restart the print spooler**")

	// Resolved: the card keeps no button.
	d.React(sara, card, cfg.Reactions.Resolve)
	if got := choiceLabels(d.Chat.Messages("tier3")[0]); got != "" {
		t.Fatalf("a resolved ticket's card keeps its buttons: %q", got)
	}
	outboxEmpty(t, db)
}
