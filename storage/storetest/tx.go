package storetest

import (
	"errors"
	"testing"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/kb"
)

// testFailedUpdateKeepsNothing: an Update whose fn fails keeps none of its writes, of any kind, and its
// error is fn's.
func testFailedUpdateKeepsNothing(t *testing.T, h Harness) {
	s := h.Open(t)
	changed := errors.New("changed my mind")
	err := s.Update(ctx, func(tx bot.Tx) error {
		tk := newTicket("slack:UALICE", "m1")
		if err := tx.CreateTicket(tk); err != nil {
			return err
		}
		if err := tx.LinkConversation(tk.Conversation, tk.ID); err != nil {
			return err
		}
		if _, err := tx.RecordDedupKey("slack\x1fEv1", base); err != nil {
			return err
		}
		if err := tx.Enqueue(&bot.Effect{Kind: bot.EffectPost, Lane: "l", Post: bot.Post{Text: "hi"}, CreatedAt: base}); err != nil {
			return err
		}
		if err := tx.Audit(bot.AuditEntry{At: base, Action: "ticket.opened", Target: tk.ID}); err != nil {
			return err
		}
		if _, err := tx.PutKBArticle(kb.Article{ID: "vpn", Title: "VPN", Body: "Connect."}, false, "slack:UADA", base, 0); err != nil {
			return err
		}
		return changed
	})
	if !errors.Is(err, changed) {
		t.Fatalf("Update returned %v, want fn's error", err)
	}
	view(t, s, func(tx bot.Tx) error {
		if tks, err := tx.FindTickets(bot.TicketFilter{}); err != nil || len(tks) != 0 {
			t.Errorf("a rolled-back ticket was kept: %v, %v", ids(tks), err)
		}
		if _, err := tx.TicketByConversation(bot.Conversation{Platform: "slack", Channel: "help", Thread: "m1"}); !bot.IsNotFound(err) {
			t.Errorf("a rolled-back conversation link was kept: %v", err)
		}
		if effs, err := tx.Effects(0, 0); err != nil || len(effs) != 0 {
			t.Errorf("a rolled-back effect was kept: %+v, %v", effs, err)
		}
		if p, err := tx.FindAudit(bot.AuditFilter{}); err != nil || len(p.Entries) != 0 {
			t.Errorf("a rolled-back audit entry was kept: %+v, %v", p.Entries, err)
		}
		if _, err := tx.KBArticle("vpn"); !bot.IsNotFound(err) {
			t.Errorf("a rolled-back article was kept: %v", err)
		}
		return nil
	})
	update(t, s, func(tx bot.Tx) error {
		if seen, err := tx.RecordDedupKey("slack\x1fEv1", base); err != nil || seen {
			t.Errorf("a rolled-back dedup key was kept: seen %v, %v", seen, err)
		}
		return nil
	})
}

// testViewWritesNothing: every write in a View fails, and nothing of it is kept.
func testViewWritesNothing(t *testing.T, h Harness) {
	s := h.Open(t)
	id := createTicket(t, s, newTicket("slack:UALICE", "m1"))
	writes := map[string]func(tx bot.Tx) error{
		"CreateTicket": func(tx bot.Tx) error { return tx.CreateTicket(newTicket("slack:UBOB", "m2")) },
		"PutTicket": func(tx bot.Tx) error {
			tk, err := tx.Ticket(id)
			if err != nil {
				return nil // reported below as a read failure
			}
			tk.Status = bot.StatusResolved
			return tx.PutTicket(tk)
		},
		"RecordDedupKey": func(tx bot.Tx) error { _, err := tx.RecordDedupKey("k", base); return err },
		"Enqueue":        func(tx bot.Tx) error { return tx.Enqueue(&bot.Effect{Kind: bot.EffectPost, Lane: "l"}) },
		"Audit":          func(tx bot.Tx) error { return tx.Audit(bot.AuditEntry{At: base, Action: "x"}) },
		"PutKBArticle": func(tx bot.Tx) error {
			_, err := tx.PutKBArticle(kb.Article{ID: "vpn", Title: "VPN", Body: "b"}, false, "x", base, 0)
			return err
		},
		"LinkConversation": func(tx bot.Tx) error {
			return tx.LinkConversation(bot.Conversation{Platform: "slack", Channel: "c", Thread: "t"}, id)
		},
	}
	for name, write := range writes {
		t.Run(name, func(t *testing.T) {
			err := s.View(ctx, write)
			if err == nil {
				t.Fatalf("%s in a View did not fail", name)
			}
		})
	}
	view(t, s, func(tx bot.Tx) error {
		tks, err := tx.FindTickets(bot.TicketFilter{})
		if err != nil || len(tks) != 1 || tks[0].Status != bot.StatusOpen {
			t.Errorf("after the writes in Views: %v, %v", ids(tks), err)
		}
		if effs, _ := tx.Effects(0, 0); len(effs) != 0 {
			t.Errorf("an effect enqueued in a View was kept")
		}
		return nil
	})
}

// testValuesAreCopies: what a transaction returns may be kept and changed by the caller without
// changing what is stored, before or after the transaction ends.
func testValuesAreCopies(t *testing.T, h Harness) {
	s := h.Open(t)
	id := createTicket(t, s, newTicket("slack:UALICE", "m1"))
	var kept *bot.Ticket
	update(t, s, func(tx bot.Tx) error {
		tk, err := tx.Ticket(id)
		if err != nil {
			return err
		}
		tk.Subject = "changed, not written"
		tk.Transcript[0].Text = "changed, not written"
		again, err := tx.Ticket(id)
		if err != nil {
			return err
		}
		if again.Subject == "changed, not written" || again.Transcript[0].Text == "changed, not written" {
			t.Errorf("a change to a ticket read, not written, shows in the next read")
		}
		kept = again
		return nil
	})
	kept.Subject = "changed after the transaction"
	if got := readTicket(t, s, id); got.Subject != "The printer on floor 2 jams" {
		t.Errorf("subject %q after changing a copy", got.Subject)
	}
}

// testDataSurvivesReopening: everything written is there after the store is closed and opened again,
// and sequences go on from where they were.
func testDataSurvivesReopening(t *testing.T, h Harness) {
	if h.Reopen == nil {
		t.Skip("the harness cannot reopen a store")
	}
	s := h.Open(t)
	first := createTicket(t, s, newTicket("slack:UALICE", "m1"))
	update(t, s, func(tx bot.Tx) error {
		if _, err := tx.RecordDedupKey("k1", base); err != nil {
			return err
		}
		return tx.Enqueue(&bot.Effect{Kind: bot.EffectPost, Lane: "l", Post: bot.Post{Text: "one"}, CreatedAt: base})
	})
	s = h.Reopen(t, s)
	if got := readTicket(t, s, first); got.Requester != "slack:UALICE" {
		t.Fatalf("after reopening: %+v", got)
	}
	second := createTicket(t, s, newTicket("slack:UBOB", "m2"))
	if second <= first {
		t.Errorf("a ticket created after reopening is %s, after %s", second, first)
	}
	update(t, s, func(tx bot.Tx) error {
		if seen, err := tx.RecordDedupKey("k1", base); err != nil || !seen {
			t.Errorf("a dedup key was forgotten on reopening: %v, %v", seen, err)
		}
		e := &bot.Effect{Kind: bot.EffectPost, Lane: "l", Post: bot.Post{Text: "two"}, CreatedAt: base}
		if err := tx.Enqueue(e); err != nil {
			return err
		}
		effs, err := tx.Effects(0, 0)
		if err != nil {
			return err
		}
		if len(effs) != 2 || effs[0].Post.Text != "one" || effs[1].Seq != e.Seq || effs[0].Seq >= e.Seq {
			t.Errorf("outbox after reopening: %+v", effs)
		}
		return nil
	})
}
