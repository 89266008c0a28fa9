package bot_test

import (
	"strings"
	"testing"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/bot/bottest"
)

// press is a late press of a button that may no longer be on the message: the event a platform sends
// when someone clicks a button the desk has not (or could not) take off yet.
func press(t *testing.T, d *bottest.Desk, user string, m *bottest.Message, choice string) {
	t.Helper()
	_, name := bot.SplitID(user)
	if err := d.Handle(bot.Event{Kind: bot.EventClick, Channel: m.Ref.Channel, Thread: m.Ref.Thread, Message: m.Ref.ID,
		User: user, UserName: name, Choice: choice}); err != nil {
		t.Fatal(err)
	}
}

// noChoices fails unless m offers no choices any more and ends with a note containing note.
func noChoices(t *testing.T, what string, m *bottest.Message, note string) {
	t.Helper()
	if len(m.Post.Choices) != 0 {
		t.Fatalf("%s still offers %s", what, choiceLabels(m))
	}
	if m.Edits == 0 {
		t.Fatalf("%s was never updated", what)
	}
	mustContain(t, what, m.Text(), note)
}

// TestAnswerButtonsFollowTheTicket: an answer's buttons are taken off when it has had its feedback, when
// a newer answer replaces it, and when the ticket is escalated or resolved; a late press gets a short
// reply and changes nothing.
func TestAnswerButtonsFollowTheTicket(t *testing.T) {
	t.Run("escalated", func(t *testing.T) {
		d, db := newDesk(t)
		q := d.Say(alice, "help", "my vpn won't connect")
		ans := d.Chat.Thread("help", q)[0]
		d.Click(alice, ans, "Talk to a human")
		noChoices(t, "the answer after talk to a human", ans, "You asked for a human.")
		mustContain(t, "the answer's text", ans.Text(), "Open Example VPN") // what it said stays
		before := state(ticket(t, db, "T-000001"))
		posted := d.Chat.Count()
		press(t, d, alice, ans, bot.FeedbackSolved)
		if got := state(ticket(t, db, "T-000001")); got != before {
			t.Fatalf("a late Solved changed the ticket:\n was %s\n now %s", before, got)
		}
		if d.Chat.Count() != posted+1 {
			t.Fatalf("a late press got %d replies, want 1", d.Chat.Count()-posted)
		}
		mustContain(t, "late press", d.Chat.Last("help").Text(), "already with Tier 2")
		d.React(alice, ans, "-1") // a reaction standing for a button is a press too
		mustContain(t, "late reaction", d.Chat.Last("help").Text(), "already with Tier 2")
		if got := state(ticket(t, db, "T-000001")); got != before {
			t.Fatalf("a late reaction changed the ticket:\n was %s\n now %s", before, got)
		}
	})
	t.Run("escalated by a technician", func(t *testing.T) {
		d, _ := newDesk(t)
		q := d.Say(alice, "help", "my vpn won't connect")
		ans := d.Chat.Thread("help", q)[0]
		d.SayIn(tom, "help", q, "!escalate")
		noChoices(t, "the answer after !escalate", ans, "went to Tier 2")
	})
	t.Run("resolved", func(t *testing.T) {
		d, db := newDesk(t)
		q := d.Say(alice, "help", "my vpn won't connect")
		ans := d.Chat.Thread("help", q)[0]
		d.SayIn(alice, "help", q, "!resolve")
		noChoices(t, "the answer after !resolve", ans, "is resolved")
		press(t, d, alice, ans, bot.FeedbackNotHelpful)
		mustContain(t, "late press", d.Chat.Last("help").Text(), "already resolved")
		if tk := ticket(t, db, "T-000001"); tk.Status != bot.StatusResolved || tk.Offers[0].Feedback != "" {
			t.Fatalf("a late Not helpful changed a resolved ticket: %s %+v", tk.Status, tk.Offers)
		}
	})
	t.Run("replaced by a newer answer", func(t *testing.T) {
		d, db := newDesk(t)
		q := d.Say(alice, "help", "vpn broken")
		first := d.Chat.Thread("help", q)[0]
		d.Click(alice, first, "Not helpful")
		noChoices(t, "the first answer", first, "You said this didn't help.")
		next := d.Chat.Last("help")
		if choiceLabels(next) != "Solved|Not helpful|Talk to a human" {
			t.Fatalf("the newer answer: %s", choiceLabels(next))
		}
		press(t, d, alice, first, bot.FeedbackSolved)
		mustContain(t, "late press", d.Chat.Last("help").Text(), "no longer current")
		if tk := ticket(t, db, "T-000001"); tk.Status != bot.StatusOpen {
			t.Fatalf("a press on a replaced answer resolved the ticket")
		}
		d.Click(alice, next, "Solved") // the current one works
		if tk := ticket(t, db, "T-000001"); tk.Status != bot.StatusResolved {
			t.Fatalf("Solved on the current answer: %s", tk.Status)
		}
	})
	t.Run("clarifying question", func(t *testing.T) {
		d, db := newDesk(t)
		q := d.Say(alice, "help", "password expired")
		d.Click(alice, d.Chat.Thread("help", q)[0], "Not helpful")
		ask := d.Chat.Last("help")
		if choiceLabels(ask) != "Talk to a human" {
			t.Fatalf("clarifying question: %s", choiceLabels(ask))
		}
		d.SayIn(alice, "help", q, "it says my account is disabled") // nothing new: escalated
		noChoices(t, "the clarifying question", ask, "went to Tier 2")
		before := state(ticket(t, db, "T-000001"))
		press(t, d, alice, ask, bot.FeedbackHuman)
		if got := state(ticket(t, db, "T-000001")); got != before || len(d.Chat.Messages("tier2")) != 1 {
			t.Fatalf("a late Talk to a human changed the ticket or posted a second card")
		}
	})
}

// TestSurveyButtonsFollowTheTicket: the rating survey loses its buttons when the ticket is rated or
// reopened; a reopened and resolved again ticket is asked again, and the old survey stays dead.
func TestSurveyButtonsFollowTheTicket(t *testing.T) {
	d, db := newDesk(t)
	q, card := escalated(t, d)
	d.React(tom, card, "raising_hand")
	d.React(tom, card, "white_check_mark")
	survey := d.Chat.Last("help")
	if choiceLabels(survey) != "1|2|3|4|5" {
		t.Fatalf("survey: %s", choiceLabels(survey))
	}
	d.SayIn(alice, "help", q, "it stopped working again") // reopened
	noChoices(t, "the survey after reopening", survey, "was reopened")
	press(t, d, alice, survey, "csat-2")
	mustContain(t, "late rating", d.Chat.Last("help").Text(), "was reopened")
	d.React(alice, survey, "one")
	mustContain(t, "late rating by reaction", d.Chat.Last("help").Text(), "was reopened")
	if tk := ticket(t, db, "T-000001"); tk.CSAT != nil {
		t.Fatalf("a reopened ticket was rated: %+v", tk.CSAT)
	}
	card2 := d.Chat.Last("tier2")
	d.React(tom, card2, "white_check_mark")
	again := d.Chat.Last("help")
	if again == survey || choiceLabels(again) != "1|2|3|4|5" {
		t.Fatalf("resolved again: no new survey: %q %s", again.Text(), choiceLabels(again))
	}
	press(t, d, alice, survey, "csat-1") // the old one stays dead
	mustContain(t, "old survey", d.Chat.Last("help").Text(), "no longer current")
	d.Click(alice, again, "5")
	if tk := ticket(t, db, "T-000001"); tk.CSAT == nil || tk.CSAT.Score != 5 {
		t.Fatalf("rating: %+v", tk.CSAT)
	}
	if len(again.Post.Choices) != 0 {
		t.Fatalf("the survey still has buttons after rating")
	}
}

// TestDraftButtonsFollowTheDraft: a draft captured again replaces the first, whose buttons go; a press
// on the old one publishes nothing.
func TestDraftButtonsFollowTheDraft(t *testing.T) {
	d, _ := kbDesk(t)
	d.Say(alice, "help", "How do I map the finance drive on a Mac?")
	card := d.Chat.Last("tier2")
	d.SayIn(tom, "tier2", card.Ref.ID, "In Finder press Cmd+K and enter smb://files.example.com/old.")
	d.React(tom, card, "books")
	first := d.Chat.Last("kb-review")
	d.SayIn(tom, "tier2", card.Ref.ID, "In Finder press Cmd+K and enter smb://files.example.com/finance.")
	d.React(tom, card, "books")
	second := d.Chat.Last("kb-review")
	if second == first {
		t.Fatal("no second draft")
	}
	noChoices(t, "the replaced draft", first, "Replaced by a newer draft")
	press(t, d, ada, first, "kb-publish")
	mustContain(t, "late publish", lastText(d, "kb-review"), "replaced by a newer one")
	if tk := ticketOf(t, d, "T-000001"); tk.Draft.Outcome != "" {
		t.Fatalf("the old draft's button decided the new draft: %+v", tk.Draft)
	}
	d.Click(ada, second, "Publish")
	tk := ticketOf(t, d, "T-000001")
	if tk.Draft.Outcome != "published" || !strings.Contains(tk.Draft.Body, "/finance") {
		t.Fatalf("publish: %+v", tk.Draft)
	}
	if len(second.Post.Choices) != 0 {
		t.Fatalf("the published draft still has buttons")
	}
	press(t, d, ada, second, "kb-discard")
	mustContain(t, "late discard", lastText(d, "kb-review"), "already published")
}
