package discord_test

import (
	"context"
	"strings"
	"testing"

	"github.com/firstline-desk/firstline/bot"
)

// TestButtonsTakenOffWithAnEdit: once an answer stops being current (here: the requester asked for a
// human), the desk edits it with "components": [] (no buttons), keeping its text and adding a note.
func TestButtonsTakenOffWithAnEdit(t *testing.T) {
	d := newDesk(t, testConfig("discord:"+tier2))
	q := d.say(alice, help, "My VPN will not connect")
	answer := d.find(q, "Talk to a human")
	if !strings.Contains(string(answer.Components), `"type":2`) {
		t.Fatalf("the answer has no buttons: %s", answer.Components)
	}
	d.click(alice, q, answer.ID, bot.FeedbackHuman)
	d.find(tier2, "T-000001") // the card and the answer's update are made in one dispatcher pass
	if err := d.engine.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	var edit []byte
	var content string
	for _, m := range d.fake.Edits() {
		if m.ID == answer.ID {
			edit, content = m.Components, m.Content+string(m.Embeds)
		}
	}
	if edit == nil {
		t.Fatalf("the answer was not edited: %+v", d.fake.Edits())
	}
	if strings.TrimSpace(string(edit)) != "[]" {
		t.Fatalf("the edit sent components %s, want [] (no buttons)", edit)
	}
	if !strings.Contains(content, "GlobalProtect") || !strings.Contains(content, "You asked for a human") {
		t.Fatalf("the edited answer lost its text or has no note: %q", content)
	}
}
