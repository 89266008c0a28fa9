package bot_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/bot/bottest"
)

// thread is every message of the requester's thread, joined, for assertions.
func thread(d *bottest.Desk, q string) string {
	var all []string
	for _, m := range d.Chat.Thread("help", q) {
		all = append(all, m.Text())
	}
	return strings.Join(all, "\n---\n")
}

// TestFollowUpDetailsSearchAgain: after an answer, details the requester writes ("it still says error
// 809 after the restart") are searched with everything the ticket says, and a better article is offered,
// rather than asking again whether the article above helped.
func TestFollowUpDetailsSearchAgain(t *testing.T) {
	d, db := newDesk(t)
	q := d.Say(alice, "help", "vpn broken")
	d.SayIn(alice, "help", q, "it still says error 809 after the restart")
	last := d.Chat.Last("help")
	mustContain(t, "follow-up answer", last.Text(), "Thanks. I'm not sure, but this may help:", "**VPN is slow** (`vpn-slow`)")
	if got := choiceLabels(last); got != "Solved|Not helpful|Talk to a human" {
		t.Errorf("choices = %s", got)
	}
	if strings.Contains(thread(d, q), "Did the article above help") {
		t.Errorf("the details were not heard:\n%s", thread(d, q))
	}
	tk := ticket(t, db, "T-000001")
	if tk.Status != bot.StatusOpen || len(tk.Offers) != 2 || tk.Offers[1].Article != "vpn-slow" {
		t.Fatalf("ticket %s offers %+v", tk.Status, tk.Offers)
	}
	// The better article helps.
	d.Click(alice, last, "Solved")
	if tk := ticket(t, db, "T-000001"); tk.Status != bot.StatusResolved {
		t.Fatalf("status %s after Solved", tk.Status)
	}
}

// TestFollowUpFindingTheSameArticle: details that still point at the article the requester had are not
// answered with it again: the desk says so and offers a human; after a second such round it escalates,
// with the details on the card.
func TestFollowUpFindingTheSameArticle(t *testing.T) {
	d, db := newDesk(t)
	q := d.Say(alice, "help", "password expired")
	d.SayIn(alice, "help", q, "the reset link says it has expired too")
	ask := d.Chat.Last("help")
	mustContain(t, "same article", ask.Text(), "still **Reset your password** (`password-reset`)", "the one above", "Talk to a human")
	if got := choiceLabels(ask); got != "Talk to a human" {
		t.Errorf("choices = %s", got)
	}
	if n := strings.Count(thread(d, q), "Go to https://id.example.com/reset"); n != 1 {
		t.Errorf("the article was posted %d times, want once:\n%s", n, thread(d, q))
	}
	if tk := ticket(t, db, "T-000001"); tk.Status != bot.StatusOpen || len(tk.Offers) != 1 {
		t.Fatalf("after one fruitless follow-up: %s, %d offers", tk.Status, len(tk.Offers))
	}

	d.SayIn(alice, "help", q, "I tried twice, same message, account alice.b")
	tk := ticket(t, db, "T-000001")
	if tk.Status != bot.StatusEscalated {
		t.Fatalf("after two fruitless follow-ups the ticket is %s, want escalated", tk.Status)
	}
	card := d.Chat.Messages("tier2")[0]
	mustContain(t, "card", card.Text(), "the reset link says it has expired too", "same message, account alice.b")
}

// TestFollowUpOfferingAHumanWorks: the "Talk to a human" under "that is still the article above" escalates.
func TestFollowUpOfferingAHumanWorks(t *testing.T) {
	d, db := newDesk(t)
	q := d.Say(alice, "help", "password expired")
	d.SayIn(alice, "help", q, "the reset link says it has expired too")
	d.Click(alice, d.Chat.Last("help"), "Talk to a human")
	if tk := ticket(t, db, "T-000001"); tk.Status != bot.StatusEscalated {
		t.Fatalf("status %s", tk.Status)
	}
}

// TestThanksIsNotDetails: a thank-you or an "ok" after an answer is not searched and not escalated; "it
// worked" counts as Solved; and a thank-you after the ticket was solved does not reopen it.
func TestThanksIsNotDetails(t *testing.T) {
	for _, tc := range []struct {
		say        string
		wantStatus bot.Status
		want       string
	}{
		{"thanks", bot.StatusOpen, "You're welcome! If that solved it, press **Solved**"},
		{"Thank you so much! 🙏", bot.StatusOpen, "You're welcome!"},
		{"ok, I'll try that", bot.StatusOpen, "You're welcome!"},
		{":+1:", bot.StatusOpen, "You're welcome!"},
		{"it worked, thanks!", bot.StatusResolved, "Glad that helped!"},
		{"Yes that fixed it", bot.StatusResolved, "Glad that helped!"},
		{"works now 👍", bot.StatusResolved, "Glad that helped!"},
	} {
		t.Run(tc.say, func(t *testing.T) {
			d, db := newDesk(t)
			q := d.Say(alice, "help", "vpn broken")
			d.SayIn(alice, "help", q, tc.say)
			tk := ticket(t, db, "T-000001")
			if tk.Status != tc.wantStatus || len(tk.Offers) != 1 {
				t.Fatalf("after %q: status %s, %d offers; want %s and no new search", tc.say, tk.Status, len(tk.Offers), tc.wantStatus)
			}
			mustContain(t, "reply", d.Chat.Last("help").Text(), tc.want)
			if n := len(d.Chat.Messages("tier2")); n != 0 {
				t.Fatalf("a thank-you reached Tier 2 (%d messages)", n)
			}
			if tc.wantStatus == bot.StatusResolved && tk.Offers[0].Feedback != bot.FeedbackSolved {
				t.Errorf("feedback %q, want solved", tk.Offers[0].Feedback)
			}
			// Thanks again, once it is solved: it stays solved.
			if tc.wantStatus == bot.StatusResolved {
				d.SayIn(alice, "help", q, "thank you!")
				if tk := ticket(t, db, "T-000001"); tk.Status != bot.StatusResolved {
					t.Fatalf("a thank-you reopened the ticket: %s", tk.Status)
				}
				mustContain(t, "reply", d.Chat.Last("help").Text(), "stays solved")
			}
		})
	}
	// Details with thanks in them are details.
	d, _ := newDesk(t)
	q := d.Say(alice, "help", "password expired")
	d.SayIn(alice, "help", q, "thanks, but it still fails")
	mustContain(t, "details", d.Chat.Last("help").Text(), "the closest article is still")
}

// TestTwoQuickMessagesGetOneAnswer: a follow-up written before the first answer was decided is read by
// that answer's search; its own job then says nothing more.
func TestTwoQuickMessagesGetOneAnswer(t *testing.T) {
	d, _ := newDesk(t)
	ctx := context.Background()
	for i, text := range []string{"vpn broken", "it says error 809"} {
		ev := bot.Event{Kind: bot.EventMessage, ID: "e" + string(rune('1'+i)), Platform: "test", Channel: "help", Thread: "", Message: "m1",
			User: alice, UserName: "alice", Text: text, Time: d.Clock.Now()}
		if i > 0 {
			ev.Thread, ev.Message = "m1", "m2"
		}
		if err := d.Engine.Handle(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Engine.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := d.Chat.Thread("help", "m1"); len(got) != 1 {
		t.Fatalf("%d replies, want the one answer:\n%s", len(got), thread(d, "m1"))
	}
}

// TestModelFollowUpIsBounded: with a model, a follow-up is answered from the conversation and the
// article the requester had; an answer that only repeats that article is given once, and the next
// fruitless round escalates.
func TestModelFollowUpIsBounded(t *testing.T) {
	m := &fakeModel{reply: answers("Restart the VPN client, then sign in again [1].", "", "")}
	d, db := modelDesk(t, testConfig(), m, bot.ModelOptions{})
	q := d.Say(alice, "help", "password expired")
	d.SayIn(alice, "help", q, "the reset page says my link expired")
	reqs := m.requests(bot.PurposeAnswer)
	if len(reqs) != 2 {
		t.Fatalf("%d answer requests, want 2", len(reqs))
	}
	mustContain(t, "follow-up sources", reqs[1].System, `title="Reset your password"`)
	if n := len(reqs[1].Messages); n != 3 {
		t.Errorf("the follow-up went with %d turns, want the conversation (3)", n)
	}
	mustContain(t, "follow-up answer", d.Chat.Last("help").Text(), "Thanks, with that detail:", "Restart the VPN client")
	d.SayIn(alice, "help", q, "still the same")
	if tk := ticket(t, db, "T-000001"); tk.Status != bot.StatusEscalated {
		t.Fatalf("status %s after a second fruitless follow-up, want escalated", tk.Status)
	}
}

// TestInternalNoteInAnySpelling: a technician's note stays internal however its marker is written (bold
// as Slack's *Note:* arrives, spaced, upper case, full-width colon, "notes:"); a message that only
// starts with the word reaches the requester.
func TestInternalNoteInAnySpelling(t *testing.T) {
	d, _ := newDesk(t)
	q, card := escalated(t, d)
	for i, note := range []string{"note: a", "NOTE: b", "**Note:** c", "_note_: d", "note : e", "Note：f", "notes: g", "> note: h", "no\u200bte: i"} {
		secret := fmt.Sprintf("SECRET-%d", i)
		d.SayIn(tom, "tier2", card.Ref.ID, note+" "+secret)
		for _, m := range d.Chat.Thread("help", q) {
			if strings.Contains(m.Text(), secret) {
				t.Errorf("the note %q reached the requester: %s", note, m.Text())
			}
		}
	}
	d.SayIn(tom, "tier2", card.Ref.ID, "Note that the VPN restarts at noon.")
	mustContain(t, "relay", d.Chat.Last("help").Text(), "Note that the VPN restarts at noon.")
}
