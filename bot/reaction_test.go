package bot_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/bot/bottest"
)

// TestMisplacedReactionsGetAReply: a card's reaction (claim, escalate, resolve, urgent) on a message
// that cannot take it gets a short reply, when it is on one of the desk's messages or in a tier
// channel; reactions on people's messages elsewhere, and reactions that mean nothing to the desk, get
// none. Nothing changes either way.
func TestMisplacedReactionsGetAReply(t *testing.T) {
	cfg := testConfig()
	cfg.Reactions.Claim = "hand" // distinct from "talk to a human" on answers
	db := openStore(t, "")
	d := bottest.NewDesk(t, cfg, db, testLibrary())

	q := d.Say(alice, "help", "my vpn won't connect")
	answer := d.Chat.Thread("help", q)[0]
	// A claim on an answer, at Level 1.
	before := state(ticket(t, db, "T-000001"))
	d.React(tom, answer, "hand")
	mustContain(t, "claim on an answer", d.Chat.Last("help").Text(), "still with Level 1", "no card")

	// Escalated: claims on the requester's notice and on a relay in the card's thread point at the card.
	d.Click(alice, answer, "Talk to a human")
	card := d.Chat.Last("tier2")
	notice := d.Chat.Last("help")
	d.React(tom, notice, "hand")
	mustContain(t, "claim on a notice", d.Chat.Last("help").Text(), "works on the card of **T-000001** in Tier 2")
	d.SayIn(alice, "help", q, "it says error 809")
	relay := d.Chat.Thread("tier2", card.Ref.ID)[0]
	d.React(tom, relay, "hand")
	mustContain(t, "claim on a relay", d.Chat.Last("tier2").Text(), "works on the card of **T-000001** in Tier 2")
	if tk := ticket(t, db, "T-000001"); tk.Assignee != "" || tk.Status != bot.StatusEscalated {
		t.Fatalf("a misplaced claim changed the ticket: %s %s (before: %s)", tk.Status, tk.Assignee, before)
	}

	// Any message in a tier channel, the bot's or not.
	other := &bottest.Message{Ref: bot.MessageRef{Platform: "test", Channel: "tier2", ID: d.Say(tina, "tier2", "coffee, anyone?")}}
	posted := d.Chat.Count()
	d.React(tom, other, "arrow_up")
	if d.Chat.Count() != posted+1 {
		t.Fatalf("an escalate reaction on a message in a tier channel got no reply")
	}
	mustContain(t, "tier channel", d.Chat.Last("tier2").Text(), "work on a ticket's card")

	// The requester's ✅ on the desk's message says how to close the ticket.
	d.React(alice, notice, "white_check_mark")
	mustContain(t, "requester's resolve", d.Chat.Last("help").Text(), "`!resolve`")

	// Silence: people's messages in other channels, reactions without a desk meaning, a requester's
	// claim emoji, and taking a reaction back.
	chat := &bottest.Message{Ref: bot.MessageRef{Platform: "test", Channel: "general", ID: "m-general"}}
	posted = d.Chat.Count()
	d.React(tom, chat, "hand")
	d.React(tom, &bottest.Message{Ref: bot.MessageRef{Platform: "test", Channel: "help", ID: q}}, "arrow_up")
	d.React(tom, notice, "tada")
	d.React(alice, notice, "+1")
	d.React(alice, notice, "hand")
	d.Unreact(tom, notice, "hand")
	d.React(bob, notice, "arrow_up")
	if n := d.Chat.Count() - posted; n != 0 {
		t.Fatalf("%d replies to reactions that mean nothing there: %s", n, d.Chat.Last("").Text())
	}

	// Urgent on a card by someone outside its tier is refused out loud.
	d.React(sara, card, "rotating_light")
	mustContain(t, "urgent refused", d.Chat.Last("tier2").Text(), "Only members of Tier 2 can make **T-000001** urgent")
	if tk := ticket(t, db, "T-000001"); tk.Priority != "P3" {
		t.Fatalf("priority %s after a refused urgent", tk.Priority)
	}
}

// TestCardReactionsInATierChannelAlwaysGetAReply: in a tier channel a claim means a card's claim,
// whoever makes it and on whatever message.
func TestCardReactionsInATierChannelAlwaysGetAReply(t *testing.T) {
	d, db := newDesk(t)
	q, card := escalated(t, d)
	d.SayIn(alice, "help", q, "it still fails") // relayed into the card's thread
	for _, m := range []*bottest.Message{
		{Ref: bot.MessageRef{Platform: "test", Channel: "tier2", ID: d.Say(bob, "tier2", "hello techs")}},
		d.Chat.Thread("tier2", card.Ref.ID)[0],
	} {
		for _, who := range []string{tom, bob} {
			posted := d.Chat.Count()
			d.React(who, m, "raising_hand")
			if d.Chat.Count() != posted+1 {
				t.Fatalf("a claim by %s on %q in a tier channel got no reply", who, m.Text())
			}
		}
	}
	if tk := ticket(t, db, "T-000001"); tk.Assignee != "" {
		t.Fatalf("a misplaced claim claimed: %s", tk.Assignee)
	}
}

// TestClaimOnACardNotYetRecorded: a claim in a tier channel on a message the desk does not know, while a
// card for that channel is still in the outbox (Slack took it, but the replica posting it died before
// recording where it went), is refused unacknowledged, not answered "not a card": delivered again once
// the card is recorded, it claims the ticket.
func TestClaimOnACardNotYetRecorded(t *testing.T) {
	cfg := testConfig()
	cfg.Reactions.Claim = "hand"
	db := openStore(t, "")
	d := bottest.NewDesk(t, cfg, db, testLibrary())
	q := d.Say(alice, "help", "my vpn won't connect")
	answer := d.Chat.Thread("help", q)[0]
	d.Chat.Fail = func(op string, p bot.Post) error {
		if op == "post" && p.Channel == "tier2" {
			return errors.New("connection reset") // as far as the desk knows, the card is not posted yet
		}
		return nil
	}
	d.Click(alice, answer, "Talk to a human")
	if n := len(d.Chat.Messages("tier2")); n != 0 {
		t.Fatalf("%d messages in tier2 while its posts fail", n)
	}
	// The card as Slack has it, and the desk does not yet: the next message id.
	claim := bot.Event{Kind: bot.EventReactionAdded, ID: "ev-claim", Platform: d.Chat.Platform(), Channel: "tier2",
		Message: fmt.Sprintf("b%d", d.Chat.Count()+1), User: tom, UserName: "tom", Reaction: "hand"}
	if err := d.Handle(claim); bot.ErrorCode(err) != bot.EUNAVAILABLE {
		t.Fatalf("a claim on an unrecorded message while a card is pending: %v, want %s (delivered again)", err, bot.EUNAVAILABLE)
	}
	if n := len(d.Chat.Messages("tier2")); n != 0 {
		t.Fatalf("the refused claim was answered: %q", d.Chat.Last("tier2").Text())
	}
	d.Chat.Fail = nil
	d.Clock.Advance(time.Minute)
	if err := d.Engine.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	card := d.Chat.Last("tier2")
	if card == nil || card.Ref.ID != claim.Message {
		t.Fatalf("the card was posted as %+v, want id %s", card, claim.Message)
	}
	if err := d.Handle(claim); err != nil {
		t.Fatal(err)
	}
	if tk := ticket(t, db, "T-000001"); tk.Assignee != tom || tk.Status != bot.StatusClaimed {
		t.Fatalf("the claim delivered again left the ticket %s, owner %q", tk.Status, tk.Assignee)
	}
}
