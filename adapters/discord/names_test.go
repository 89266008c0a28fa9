package discord_test

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestThreadNames checks the names of the threads the desk starts on Discord: the requester's thread and
// the card's are named after the ticket's id and its redacted subject, never the question's raw text
// (which here holds a token and a mention), within Discord's 100 characters.
func TestThreadNames(t *testing.T) {
	d := newDesk(t, testConfig("discord:"+tier2))
	const secret = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"
	q := d.say(alice, help, "<@&"+techs+"> My VPN will not connect since I pasted "+secret+" into the client "+strings.Repeat("again and ", 15))
	d.find(q, "passed **T-000001**") // no confident answer: straight to Tier 2
	card := d.find(tier2, "T-000001")
	d.react(alice, tier2, card.ID, "🙋") // not in the role: told so in the card's thread, which it starts
	d.find(card.ID, "Only members of Tier 2")

	threads := d.fake.Threads()
	if len(threads) != 2 || threads[0].ID != q || threads[1].ID != card.ID {
		t.Fatalf("threads %+v, want the requester's and the card's", threads)
	}
	for _, th := range threads {
		if !strings.HasPrefix(th.Name, "T-000001: ") || !strings.Contains(th.Name, "VPN") {
			t.Errorf("thread %s is named %q, want the ticket's id and subject", th.ID, th.Name)
		}
		if strings.Contains(th.Name, secret[:12]) || strings.Contains(th.Name, "<@&") || utf8.RuneCountInString(th.Name) > 100 {
			t.Errorf("thread %s is named %q: a secret, a mention or too long", th.ID, th.Name)
		}
	}
}
