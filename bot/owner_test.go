package bot_test

import (
	"testing"

	"github.com/firstline-desk/firstline/bot"
)

// TestOldCardSaysWhoHadIt: a card that is no longer current says who owned the ticket and where it
// went, not "Owner: -".
func TestOldCardSaysWhoHadIt(t *testing.T) {
	d, _ := newDesk(t)
	q, card := escalated(t, d)
	d.React(tom, card, "raising_hand")
	d.React(tom, card, "arrow_up")
	if got := card.Field("Owner"); got != "tom" {
		t.Fatalf("old card owner = %q, want tom, who had it", got)
	}
	if got := card.Field("Status"); got != "escalated to Tier 3 by tom" {
		t.Fatalf("old card status = %q", got)
	}
	card3 := d.Chat.Last("tier3")
	if card3.Field("Owner") != "unclaimed" {
		t.Fatalf("new card owner = %q", card3.Field("Owner"))
	}
	// An unclaimed card that moves on says so; a reopened ticket's old card keeps its owner.
	d.React(sara, card3, "raising_hand")
	d.React(sara, card3, "white_check_mark")
	d.SayIn(alice, "help", q, "it broke again")
	if card3.Field("Owner") != "sara" || card3.Field("Status") != "reopened: see the new card" {
		t.Fatalf("reopened ticket's old card: owner %q status %q", card3.Field("Owner"), card3.Field("Status"))
	}
	if card4 := d.Chat.Last("tier3"); card4 == card3 || card4.Field("Owner") != "sara" {
		t.Fatalf("the new card after reopening: %+v", card4)
	}

	_, card = escalated(t, d)
	d.React(tina, card, "arrow_up")
	if card.Field("Owner") != "unclaimed" || card.Field("Status") != "escalated to Tier 3 by tina" {
		t.Fatalf("unclaimed old card: owner %q status %q", card.Field("Owner"), card.Field("Status"))
	}
	_ = bot.StatusClaimed
}
