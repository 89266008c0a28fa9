package bot_test

import (
	"strings"
	"testing"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/bot/bottest"
)

// secret is what a technician keeps internal, and what the model's summary of the ticket repeats.
const secret = "manager suspects the laptop was stolen"

// requesterSide returns everything the desk posted where the requester reads: the help channel and the
// requester's DMs.
func requesterSide(d *bottest.Desk) string {
	var b strings.Builder
	for _, ch := range []string{"help", "@alice"} {
		for _, m := range d.Chat.Messages(ch) {
			b.WriteString(m.Text() + "\n")
		}
	}
	return b.String()
}

// TestSummariesStayWithTechnicians: "!summary" typed anywhere the requester reads (their thread, with or
// without the ticket's id) posts the summary, internal notes and all, only in the card's thread or the
// technician's DM; the requester's side gets a pointer, never the summary. Vendor references likewise.
func TestSummariesStayWithTechnicians(t *testing.T) {
	cfg := testConfig()
	cfg.Vendors = map[string]bot.SLATarget{"acme": {}}
	m := &fakeModel{reply: answers("NO_ANSWER", "", "Problem: printer jams\nTried: nothing\nUser said: "+secret+"\nEnvironment: HP")}
	d, _ := modelDesk(t, cfg, m, bot.ModelOptions{Summaries: true})
	q := d.Say(alice, "help", "the printer on floor 3 eats paper") // escalated at once
	card := d.Chat.Messages("tier2")[0]
	d.SayIn(tom, "tier2", card.Ref.ID, "note: "+secret)

	for _, cmd := range []string{"!summary", "!summary T-000001", "!summary t-1"} {
		before := len(d.Chat.Thread("tier2", card.Ref.ID))
		d.SayIn(tom, "help", q, cmd)
		if strings.Contains(requesterSide(d), "stolen") {
			t.Fatalf("%q in the requester's thread posted the summary where the requester reads:\n%s", cmd, requesterSide(d))
		}
		th := d.Chat.Thread("tier2", card.Ref.ID)
		if len(th) != before+1 || !strings.Contains(th[len(th)-1].Text(), "Summary of **T-000001**") {
			t.Fatalf("%q: no summary in the card's thread", cmd)
		}
		mustContain(t, cmd+" pointer", d.Chat.Last("help").Text(), "card's thread")
	}

	// A vendor's reference and target are the technicians' too.
	d.React(tom, card, "raising_hand")
	d.SayIn(tom, "help", q, "!vendor acme CASE-4411")
	if side := requesterSide(d); strings.Contains(side, "CASE-4411") {
		t.Fatalf("the vendor's reference reached the requester's side:\n%s", side)
	}
	mustContain(t, "vendor notice", d.Chat.Last("tier2").Text(), "acme (CASE-4411)")

	// So are the SLA clocks: "!waiting" in the requester's thread answers in the card's thread.
	d.SayIn(tom, "help", q, "!waiting")
	if side := requesterSide(d); strings.Contains(side, "SLA") {
		t.Fatalf("SLA talk reached the requester's side:\n%s", side)
	}
	mustContain(t, "waiting notice", d.Chat.Last("tier2").Text(), "SLA clock")

	// Where only technicians read, it is posted right there.
	d.SayIn(tom, "tier2", card.Ref.ID, "!summary")
	mustContain(t, "in the card's thread", d.Chat.Last("tier2").Text(), "Summary of **T-000001**", "stolen")
}

// TestSummaryWithoutACardGoesToTheDM: a Level 1 ticket has no card; its summary, asked for in the
// requester's thread by a technician of the first tier, goes to the technician's DM.
func TestSummaryWithoutACardGoesToTheDM(t *testing.T) {
	d, _ := newDesk(t)
	q := d.Say(alice, "help", "my vpn won't connect")
	d.SayIn(tom, "help", q, "!summary")
	if strings.Contains(requesterSide(d), "Summary of") {
		t.Fatalf("the summary was posted where the requester reads:\n%s", requesterSide(d))
	}
	dm := d.Chat.Last("@tom")
	if dm == nil || !strings.Contains(dm.Text(), "Summary of **T-000001**") {
		t.Fatalf("no summary in tom's DM: %v", dm)
	}
	mustContain(t, "pointer", d.Chat.Last("help").Text(), "direct message")
}
