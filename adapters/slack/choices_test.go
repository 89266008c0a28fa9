package slack_test

import (
	"strings"
	"testing"

	"github.com/firstline-desk/firstline/bot"
)

// TestButtonsTakenOffWithChatUpdate: once an answer stops being current (here: the requester asked for a
// human), the desk sends it again with chat.update, as it was but with no actions block, and a note.
func TestButtonsTakenOffWithChatUpdate(t *testing.T) {
	d := newDesk(t)
	q := d.say("UALICE", "CHELP", "", "My VPN will not connect")
	d.flush()
	answer := d.find("CHELP", q, "Talk to a human")
	if !strings.Contains(string(answer.Blocks), `"type":"actions"`) {
		t.Fatalf("the answer has no buttons: %s", answer.Blocks)
	}
	d.click("UALICE", answer, q, bot.FeedbackHuman)
	d.flush()
	d.find("CTIER2", "", "T-000001")
	var update []byte
	for _, m := range d.fake.Updated() {
		if m.Channel == answer.Channel && m.TS == answer.TS {
			update = m.Blocks
		}
	}
	switch {
	case update == nil:
		t.Fatalf("the answer was not updated: %v", d.fake.Updated())
	case strings.Contains(string(update), `"type":"actions"`) || strings.Contains(string(update), "button"):
		t.Fatalf("the updated answer still has buttons: %s", update)
	case !strings.Contains(string(update), "GlobalProtect") || !strings.Contains(string(update), "You asked for a human"):
		t.Fatalf("the updated answer lost its text or has no note: %s", update)
	}
	// A press that reaches the desk before the update gets a short reply and changes nothing.
	d.click("UALICE", answer, q, bot.FeedbackSolved)
	d.flush()
	d.find("CHELP", q, "already with Tier 2")
	if tk := d.ticket("T-000001"); tk.Status != bot.StatusEscalated {
		t.Fatalf("a late Solved: status %s", tk.Status)
	}
}
