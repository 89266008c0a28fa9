package bot_test

import (
	"fmt"
	"testing"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/bot/bottest"
	"github.com/firstline-desk/firstline/storage"
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
}

// ownedDesk brings alice's ticket T-000001 to status on a desk with vendors and capture, with a reply by
// tom in its card's thread, and returns the desk and the card the ticket is worked from.
func ownedDesk(t *testing.T, status string) (*bottest.Desk, *storage.DB, *bottest.Message) {
	t.Helper()
	cfg := testConfig()
	cfg.Vendors = map[string]bot.SLATarget{"acme": {}}
	cfg.KBReviewChannel = "test:kb-review"
	cfg.CaptureReaction = "books"
	db := openStore(t, "")
	d := bottest.NewDesk(t, cfg, db, testLibrary())
	q, card := escalated(t, d)
	d.SayIn(tom, "tier2", card.Ref.ID, "Restart the VPN client and sign in again.")
	switch status {
	case "escalated":
	case "claimed":
		d.React(tom, card, "raising_hand")
	case "pending_vendor":
		d.React(tom, card, "raising_hand")
		d.SayIn(tom, "tier2", card.Ref.ID, "!vendor acme CASE-1")
	case "resolved":
		d.React(tom, card, "raising_hand")
		d.React(tom, card, "white_check_mark")
	case "reopened":
		d.React(tom, card, "raising_hand")
		d.React(tom, card, "white_check_mark")
		d.SayIn(alice, "help", q, "it is broken again")
		card = d.Chat.Messages("tier2")[len(d.Chat.Messages("tier2"))-1]
		for _, m := range d.Chat.Messages("tier2") {
			if m.Ref.Thread == "" {
				card = m // the newest card
			}
		}
	default:
		t.Fatalf("unknown status %s", status)
	}
	if want := map[string]bot.Status{"reopened": bot.StatusClaimed}[status]; want != "" {
		status = string(want)
	}
	if tk := ticket(t, db, "T-000001"); string(tk.Status) != status {
		t.Fatalf("setup: status %s, want %s", tk.Status, status)
	}
	return d, db, card
}

// TestOwnershipRule tries every action on a ticket in every status, by its owner (tom, where it has
// one), another member of its tier (tina), a member of another tier (sara) and an admin (ada). A ticket
// has at most one owner in every status; one handed to a vendor stays with its owner.
func TestOwnershipRule(t *testing.T) {
	actions := map[string]func(d *bottest.Desk, who string, card *bottest.Message){
		"claim":    func(d *bottest.Desk, who string, card *bottest.Message) { d.React(who, card, "raising_hand") },
		"release":  func(d *bottest.Desk, who string, card *bottest.Message) { d.Unreact(who, card, "raising_hand") },
		"escalate": func(d *bottest.Desk, who string, card *bottest.Message) { d.React(who, card, "arrow_up") },
		"resolve":  func(d *bottest.Desk, who string, card *bottest.Message) { d.React(who, card, "white_check_mark") },
		"vendor": func(d *bottest.Desk, who string, card *bottest.Message) {
			d.SayIn(who, "tier2", card.Ref.ID, "!vendor acme CASE-2")
		},
		"vendor back": func(d *bottest.Desk, who string, card *bottest.Message) {
			d.SayIn(who, "tier2", card.Ref.ID, "!vendor back")
		},
		"capture": func(d *bottest.Desk, who string, card *bottest.Message) { d.React(who, card, "books") },
	}
	// The outcome: "status owner tier", or for capture "draft"/"no draft". "=" is "nothing changed".
	type row struct{ tom, tina, sara, ada string }
	table := map[string]map[string]row{
		"escalated": {
			"claim":       {"claimed tom tier2", "claimed tina tier2", "=", "="},
			"release":     {"=", "=", "=", "="},
			"escalate":    {"escalated - tier3", "escalated - tier3", "=", "escalated - tier3"},
			"resolve":     {"resolved - tier2", "resolved - tier2", "=", "resolved - tier2"},
			"vendor":      {"pending_vendor tom tier2", "pending_vendor tina tier2", "=", "="},
			"vendor back": {"=", "=", "=", "="},
			"capture":     {"draft", "draft", "no draft", "draft"},
		},
		"claimed": {
			"claim":       {"=", "=", "=", "="},
			"release":     {"escalated - tier2", "=", "=", "="},
			"escalate":    {"escalated - tier3", "escalated - tier3", "=", "escalated - tier3"},
			"resolve":     {"resolved tom tier2", "resolved tom tier2", "=", "resolved tom tier2"},
			"vendor":      {"pending_vendor tom tier2", "=", "=", "pending_vendor tom tier2"},
			"vendor back": {"=", "=", "=", "="},
			"capture":     {"draft", "draft", "no draft", "draft"},
		},
		"pending_vendor": {
			"claim":       {"=", "=", "=", "="},
			"release":     {"=", "=", "=", "="},
			"escalate":    {"=", "=", "=", "="},
			"resolve":     {"resolved tom tier2", "resolved tom tier2", "=", "resolved tom tier2"},
			"vendor":      {"=", "=", "=", "="},
			"vendor back": {"claimed tom tier2", "claimed tom tier2", "=", "claimed tom tier2"},
			"capture":     {"draft", "draft", "no draft", "draft"},
		},
		"resolved": {
			"claim":       {"=", "=", "=", "="},
			"release":     {"=", "=", "=", "="},
			"escalate":    {"=", "=", "=", "="},
			"resolve":     {"=", "=", "=", "="},
			"vendor":      {"=", "=", "=", "="},
			"vendor back": {"=", "=", "=", "="},
			"capture":     {"draft", "draft", "no draft", "draft"},
		},
		"reopened": {
			"claim":       {"=", "=", "=", "="},
			"release":     {"escalated - tier2", "=", "=", "="},
			"escalate":    {"escalated - tier3", "escalated - tier3", "=", "escalated - tier3"},
			"resolve":     {"resolved tom tier2", "resolved tom tier2", "=", "resolved tom tier2"},
			"vendor":      {"pending_vendor tom tier2", "=", "=", "pending_vendor tom tier2"},
			"vendor back": {"=", "=", "=", "="},
			"capture":     {"draft", "draft", "no draft", "draft"},
		},
	}
	outcome := func(tk *bot.Ticket, act string) string {
		if act == "capture" {
			if tk.Draft != nil {
				return "draft"
			}
			return "no draft"
		}
		owner := "-"
		if tk.Assignee != "" {
			_, owner = bot.SplitID(tk.Assignee)
		}
		return fmt.Sprintf("%s %s %s", tk.Status, owner, tk.Tier)
	}
	for status, acts := range table {
		for act, r := range acts {
			for who, want := range map[string]string{tom: r.tom, tina: r.tina, sara: r.sara, ada: r.ada} {
				_, name := bot.SplitID(who)
				t.Run(status+"/"+act+"/"+name, func(t *testing.T) {
					d, db, card := ownedDesk(t, status)
					before := outcome(ticket(t, db, "T-000001"), act)
					posted := d.Chat.Count()
					actions[act](d, who, card)
					tk := ticket(t, db, "T-000001")
					got := outcome(tk, act)
					if want == "=" {
						want = before
					}
					if got != want {
						t.Fatalf("%s by %s on a %s ticket: %s, want %s", act, name, status, got, want)
					}
					if tk.Status.Active() && tk.Status != bot.StatusEscalated && tk.Assignee == "" {
						t.Fatalf("%s ticket without an owner", tk.Status)
					}
					if tk.Status == bot.StatusPendingVendor && (tk.Vendor == nil || tk.Vendor.Back != nil) {
						t.Fatalf("pending_vendor without a vendor case: %+v", tk.Vendor)
					}
					// Refused is never silent; a claim by the owner, or someone else taking their
					// reaction back, has nothing to say.
					quiet := (act == "claim" && name == "tom" && tk.Status.Active() && tk.Status != bot.StatusEscalated) || act == "release"
					if got == before && !quiet && d.Chat.Count() == posted {
						t.Fatalf("%s by %s on a %s ticket was refused in silence", act, name, status)
					}
				})
			}
		}
	}
}

// TestVendorTicketsAreInTheLists: a ticket a vendor has is still open, for its requester's "!status" and
// for its tier's queue.
func TestVendorTicketsAreInTheLists(t *testing.T) {
	d, _, card := ownedDesk(t, "pending_vendor")
	d.Say(alice, "@alice", "!status")
	mustContain(t, "requester's list", d.Chat.Last("@alice").Text(), "T-000001", "pending_vendor")
	d.Say(tom, "tier2", "!status")
	mustContain(t, "tier queue", d.Chat.Last("tier2").Text(), "T-000001", "pending_vendor")
	_ = card
}
