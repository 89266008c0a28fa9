package bot_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/bot/bottest"
)

// TestThreadNames checks what the engine tells a platform to name a thread it has to start (Discord):
// every post into a thread carries a name, made of the ticket's id and redacted subject (or the desk's
// name when there is no ticket), within Discord's 100 characters, and never the question's raw text.
func TestThreadNames(t *testing.T) {
	db := openStore(t, "")
	d := bottest.NewDesk(t, testConfig(), db, testLibrary())
	const secret = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"
	q := d.Say(alice, "help", "The printer on floor 3 eats my payslips since I pasted the token "+secret+" "+strings.Repeat("again and ", 20))
	tk := ticket(t, db, "T-000001")
	if strings.Contains(tk.Subject, secret) {
		t.Fatalf("the subject kept the secret: %q", tk.Subject)
	}
	card := d.Chat.Messages("tier2")[0]
	d.React(alice, card, bot.DefaultReactions.Claim) // not a member: told so in the card's thread
	d.React(tom, card, bot.DefaultReactions.Claim)
	d.SayIn(tom, "tier2", card.Ref.ID, "Which tray?")
	d.SayIn(alice, "help", q, "The second one")
	help := d.Say(bob, "help", "!help")

	want := "T-000001: " + strings.Join(strings.Fields(tk.Subject), " ")
	if r := []rune(want); len(r) > 100 {
		want = string(r[:99]) + "…"
	}
	named := map[string]bool{}
	for _, m := range d.Chat.Messages("") {
		p := m.Post
		if p.Thread == "" {
			if p.ThreadName != "" && p.DM == "" && m.Ref.Channel != "@alice" {
				t.Errorf("a top-level post carries a thread name %q: %q", p.ThreadName, p.Text)
			}
			continue
		}
		if strings.Contains(p.ThreadName, secret) || strings.Contains(p.ThreadName, "\n") || utf8.RuneCountInString(p.ThreadName) > 100 {
			t.Errorf("thread name %q", p.ThreadName)
		}
		switch p.Thread {
		case q, card.Ref.ID:
			if p.ThreadName != want {
				t.Errorf("post %q in the thread of %s is named %q, want %q", p.Text, p.Thread, p.ThreadName, want)
			}
		case help:
			if p.ThreadName != "Firstline" {
				t.Errorf("the reply to !help names its thread %q, want the desk's name", p.ThreadName)
			}
		default:
			t.Errorf("a post in an unexpected thread %s: %q", p.Thread, p.Text)
		}
		named[p.Thread] = true
	}
	for _, th := range []string{q, card.Ref.ID, help} {
		if !named[th] {
			t.Errorf("nothing was posted in the thread of %s", th)
		}
	}
}
