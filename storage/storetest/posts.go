package storetest

import (
	"maps"
	"testing"

	"github.com/firstline-desk/firstline/bot"
)

func ref(channel, id string) bot.MessageRef {
	return bot.MessageRef{Platform: "slack", Channel: channel, ID: id}
}

// testPostRefsAndLinks: RecordPost records where a ticket's message went under its key and links the
// message to the ticket; a key posted again replaces the reference, and the first message keeps its link;
// a notice (no key) is linked only; LinkMessage rewrites a link and leaves the references; a ticket that
// does not exist is ENOTFOUND and nothing is written.
func testPostRefsAndLinks(t *testing.T, h Harness) {
	s := h.Open(t)
	one := createTicket(t, s, newTicket("slack:UALICE", "m1"))
	two := createTicket(t, s, newTicket("slack:UBOB", "m2"))
	card := &bot.Post{Channel: "tier2", Title: "T-000001", Text: "card", Choices: []bot.Choice{{ID: "claim", Label: "Claim"}}}
	update(t, s, func(tx bot.Tx) error {
		for _, p := range []struct {
			ref  bot.MessageRef
			link bot.MessageLink
		}{
			{ref("tier2", "c-1"), bot.MessageLink{Ticket: one, Key: "card-1", Post: card}},
			{ref("help", "a-1"), bot.MessageLink{Ticket: one, Key: "answer-1"}},
			{ref("help", "n-1"), bot.MessageLink{Ticket: one}},
			{ref("help", "q-2a"), bot.MessageLink{Ticket: two, Key: "csat"}},
			{ref("help", "q-2b"), bot.MessageLink{Ticket: two, Key: "csat"}},
		} {
			if err := tx.RecordPost(p.ref, p.link); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx bot.Tx) error {
		refs, err := tx.PostRefs(one)
		if err != nil {
			return err
		}
		if want := map[string]bot.MessageRef{"card-1": ref("tier2", "c-1"), "answer-1": ref("help", "a-1")}; !maps.Equal(refs, want) {
			t.Errorf("%s's messages %v, want %v", one, refs, want)
		}
		if r, err := tx.PostRef(two, "csat"); err != nil || r != ref("help", "q-2b") {
			t.Errorf("%s's csat: %+v, %v; want the second one asked", two, r, err)
		}
		if l, err := tx.MessageLink(ref("help", "q-2a")); err != nil || l.Ticket != two || l.Key != "csat" {
			t.Errorf("the first rating question's link: %+v, %v", l, err)
		}
		l, err := tx.MessageLink(ref("tier2", "c-1"))
		if err != nil {
			return err
		}
		sameJSON(t, "a card's link", l, bot.MessageLink{Ticket: one, Key: "card-1", Post: card})
		if l, err := tx.MessageLink(ref("help", "n-1")); err != nil || l.Ticket != one || l.Key != "" {
			t.Errorf("a notice's link: %+v, %v", l, err)
		}
		if _, err := tx.PostRef(one, "csat"); !bot.IsNotFound(err) {
			t.Errorf("a key never posted: %v, want ENOTFOUND", err)
		}
		if _, err := tx.MessageLink(ref("help", "nope")); !bot.IsNotFound(err) {
			t.Errorf("a message never linked: %v, want ENOTFOUND", err)
		}
		if _, err := tx.MessageLink(bot.MessageRef{Platform: "discord", Channel: "tier2", ID: "c-1"}); !bot.IsNotFound(err) {
			t.Errorf("the same ids on another platform: %v, want ENOTFOUND", err)
		}
		if refs, err := tx.PostRefs("T-000077"); err != nil || len(refs) != 0 {
			t.Errorf("the messages of a ticket that does not exist: %v, %v", refs, err)
		}
		return nil
	})
	// The card's choices are gone: its link no longer holds the post; its reference stays.
	update(t, s, func(tx bot.Tx) error {
		return tx.LinkMessage(ref("tier2", "c-1"), bot.MessageLink{Ticket: one, Key: "card-1"})
	})
	view(t, s, func(tx bot.Tx) error {
		if l, err := tx.MessageLink(ref("tier2", "c-1")); err != nil || l.Post != nil || l.Key != "card-1" {
			t.Errorf("the card's link after LinkMessage: %+v, %v", l, err)
		}
		if r, err := tx.PostRef(one, "card-1"); err != nil || r != ref("tier2", "c-1") {
			t.Errorf("the card's reference after LinkMessage: %+v, %v", r, err)
		}
		return nil
	})
	err := s.Update(ctx, func(tx bot.Tx) error {
		return tx.RecordPost(ref("help", "x"), bot.MessageLink{Ticket: "T-000099", Key: "csat"})
	})
	wantCode(t, "a post recorded for a ticket that does not exist", err, bot.ENOTFOUND)
	view(t, s, func(tx bot.Tx) error {
		if _, err := tx.MessageLink(ref("help", "x")); !bot.IsNotFound(err) {
			t.Errorf("the refused post was linked: %v", err)
		}
		return nil
	})
}
