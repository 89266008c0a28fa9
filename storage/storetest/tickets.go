package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
)

// testDedup: a key is new once, then seen, in the same transaction and in later ones; keys are exact.
func testDedup(t *testing.T, h Harness) {
	s := h.Open(t)
	update(t, s, func(tx bot.Tx) error {
		for i, step := range []struct {
			key  string
			seen bool
		}{{"slack\x1fEv1", false}, {"slack\x1fEv1", true}, {"slack\x1fev1", false}, {"discord\x1fEv1", false}, {"slack\x1fEv1 ", false}} {
			seen, err := tx.RecordDedupKey(step.key, base)
			if err != nil {
				return err
			}
			if seen != step.seen {
				t.Errorf("step %d: %q seen = %v, want %v", i, step.key, seen, step.seen)
			}
		}
		return nil
	})
	update(t, s, func(tx bot.Tx) error {
		seen, err := tx.RecordDedupKey("slack\x1fEv1", base.Add(time.Hour))
		if err != nil || !seen {
			t.Errorf("a key recorded by an earlier transaction: seen %v, %v", seen, err)
		}
		return err
	})
}

// testTicketIDsAndRoundTrip: ids come from a sequence (T-000001, T-000002, ... in creation order); a
// ticket reads back as it was written, field for field; PutTicket replaces it; unknown and malformed ids
// are ENOTFOUND.
func testTicketIDsAndRoundTrip(t *testing.T, h Harness) {
	s := h.Open(t)
	var created []*bot.Ticket
	update(t, s, func(tx bot.Tx) error {
		created = nil
		for _, r := range []string{"slack:UALICE", "discord:42", "slack:UALICE"} {
			tk := fullTicket(r, "m-"+r)
			if err := tx.CreateTicket(tk); err != nil {
				return err
			}
			created = append(created, tk)
		}
		return nil
	})
	if got := ids(created); !slices.Equal(got, []string{"T-000001", "T-000002", "T-000003"}) {
		t.Fatalf("ids %v, want T-000001..T-000003", got)
	}
	for _, tk := range created {
		sameJSON(t, "ticket "+tk.ID+" read back", readTicket(t, s, tk.ID), tk)
	}
	changed := created[1]
	update(t, s, func(tx bot.Tx) error {
		tk, err := tx.Ticket(changed.ID)
		if err != nil {
			return err
		}
		tk.Status, tk.Assignee, tk.AssigneeName = bot.StatusClaimed, "slack:UTECH", "Tech"
		tk.Transitions = append(tk.Transitions, bot.Transition{At: at(5), Type: bot.TransitionClaimed, From: bot.StatusEscalated, To: bot.StatusClaimed, By: "slack:UTECH"})
		changed = tk
		return tx.PutTicket(tk)
	})
	sameJSON(t, "a changed ticket read back", readTicket(t, s, changed.ID), changed)

	view(t, s, func(tx bot.Tx) error {
		for _, id := range []string{"T-000009", "T-000000", "T-0", "X-000001", "T-", "", "T-abc", "1"} {
			if _, err := tx.Ticket(id); !bot.IsNotFound(err) {
				t.Errorf("Ticket(%q): %v, want ENOTFOUND", id, err)
			}
		}
		return nil
	})
	err := s.Update(ctx, func(tx bot.Tx) error {
		tk := newTicket("slack:UX", "mx")
		tk.ID = "T-000099"
		return tx.PutTicket(tk)
	})
	wantCode(t, "PutTicket of a ticket never created", err, bot.ENOTFOUND)
}

// fullTicket is a ticket with every part a store might index or lose: offers, cards, an SLA, a survey, a
// rating, internal notes, odd characters.
func fullTicket(requester, thread string) *bot.Ticket {
	tk := newTicket(requester, thread)
	tk.Status, tk.Tier, tk.Priority = bot.StatusEscalated, "tier2", "P2"
	tk.Category = "hardware"
	tk.Offers = []bot.Offer{{Article: "printer-jam", Title: "Printer jams", Confidence: 0.42, At: at(1), Feedback: bot.FeedbackNotHelpful}}
	tk.Cards = []bot.Card{{Key: "card-1", Tier: "tier2", Current: true, PostedAt: at(2)}}
	tk.Live = []string{"card-1"}
	tk.Transcript = append(tk.Transcript,
		bot.Entry{At: at(3), Author: "slack:UTECH", Name: "Tech", Role: bot.RoleTechnician, Text: "Looking — \"quotes\", <tags> & ümlauts \u2028 too", Internal: true})
	tk.Transitions = []bot.Transition{{At: at(2), Type: bot.TransitionEscalated, From: bot.StatusOpen, To: bot.StatusEscalated, Tier: "tier2"}}
	start, warn, due := at(2), at(30), at(60)
	tk.SLA = &bot.SLA{Priority: "P2", Response: bot.SLAClock{Start: &start, WarnAt: &warn, Due: &due}, Resolution: bot.SLAClock{Start: ptr(base), Due: ptr(at(600))}}
	tk.UpdatedAt = at(3)
	return tk
}

// testTicketsByConversation: a link points a conversation at a ticket; linking again replaces it; a
// conversation is its platform, channel and thread (DM or not is not part of it).
func testTicketsByConversation(t *testing.T, h Harness) {
	s := h.Open(t)
	c := bot.Conversation{Platform: "slack", Channel: "D1", Thread: "", DM: true}
	one := createTicket(t, s, newTicket("slack:UALICE", ""))
	two := createTicket(t, s, newTicket("slack:UALICE", ""))
	find := func(c bot.Conversation) (string, error) {
		var id string
		err := s.View(ctx, func(tx bot.Tx) error {
			tk, err := tx.TicketByConversation(c)
			if err == nil {
				id = tk.ID
			}
			return err
		})
		return id, err
	}
	if _, err := find(c); !bot.IsNotFound(err) {
		t.Fatalf("no link yet: %v, want ENOTFOUND", err)
	}
	update(t, s, func(tx bot.Tx) error { return tx.LinkConversation(c, one) })
	if id, err := find(c); err != nil || id != one {
		t.Fatalf("linked to %s: got %s, %v", one, id, err)
	}
	update(t, s, func(tx bot.Tx) error { return tx.LinkConversation(c, two) })
	if id, err := find(c); err != nil || id != two {
		t.Fatalf("linked again to %s: got %s, %v", two, id, err)
	}
	for _, other := range []bot.Conversation{
		{Platform: "discord", Channel: "D1"},
		{Platform: "slack", Channel: "D2"},
		{Platform: "slack", Channel: "D1", Thread: "1.2"},
	} {
		if _, err := find(other); !bot.IsNotFound(err) {
			t.Errorf("%+v found a ticket: %v", other, err)
		}
	}
	if id, err := find(bot.Conversation{Platform: "slack", Channel: "D1"}); err != nil || id != two {
		t.Errorf("the same conversation without DM set: %s, %v", id, err)
	}
}

// testDueTickets: tickets come back by their next SLA check, earliest first, up to until and limit, and
// leave the index when nothing is due on them any more.
func testDueTickets(t *testing.T, h Harness) {
	s := h.Open(t)
	withDue := func(thread string, due time.Time) *bot.Ticket {
		tk := newTicket("slack:UALICE", thread)
		tk.SLA = &bot.SLA{Priority: "P3", Resolution: bot.SLAClock{Start: ptr(base), Due: ptr(due)}}
		return tk
	}
	late := createTicket(t, s, withDue("a", at(300)))
	soon := createTicket(t, s, withDue("b", at(10)))
	createTicket(t, s, newTicket("slack:UBOB", "c")) // no SLA: never due
	mid := createTicket(t, s, withDue("d", at(100)))
	due := func(until time.Time, limit int) []string {
		var out []string
		view(t, s, func(tx bot.Tx) error {
			var err error
			out, err = tx.DueTickets(until, limit)
			return err
		})
		return out
	}
	for _, tt := range []struct {
		name  string
		until time.Time
		limit int
		want  []string
	}{
		{"none yet", at(5), 0, nil},
		{"at the deadline", at(10), 0, []string{soon}},
		{"earliest first", at(1000), 0, []string{soon, mid, late}},
		{"limit", at(1000), 2, []string{soon, mid}},
	} {
		if got := due(tt.until, tt.limit); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
	// The breach announced: nothing more is due on it. The other moved later.
	update(t, s, func(tx bot.Tx) error {
		tk, err := tx.Ticket(soon)
		if err != nil {
			return err
		}
		tk.SLA.Resolution.Breached = true
		if err := tx.PutTicket(tk); err != nil {
			return err
		}
		tk, err = tx.Ticket(mid)
		if err != nil {
			return err
		}
		tk.SLA.Resolution.Due = ptr(at(500))
		return tx.PutTicket(tk)
	})
	if got := due(at(1000), 0); !slices.Equal(got, []string{late, mid}) {
		t.Errorf("after a breach and a move: %v, want %v", got, []string{late, mid})
	}
	update(t, s, func(tx bot.Tx) error {
		tk, err := tx.Ticket(late)
		if err != nil {
			return err
		}
		tk.Status, tk.ResolvedAt = bot.StatusResolved, ptr(at(20))
		return tx.PutTicket(tk)
	})
	if got := due(at(1000), 0); !slices.Equal(got, []string{mid}) {
		t.Errorf("after resolving %s: %v, want [%s]", late, got, mid)
	}
}
