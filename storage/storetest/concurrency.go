package storetest

// Concurrency: transactions that race must come out as if they had run one after the other (bot.Store's
// contract). Each transaction function here is written as the engine's are: the store may run it more
// than once, so it sets what it reports afresh on every run, and only the run that committed counts.

import (
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/kb"
)

// racers is how many goroutines race in each case.
const racers = 8

// race runs fn(i) for i in [0, racers) on as many goroutines, released together, and waits for them.
func race(fn func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range racers {
		wg.Go(func() {
			<-start
			fn(i)
		})
	}
	close(start)
	wg.Wait()
}

// testOneClaimWins: technicians claim one ticket at once; exactly one claim wins, and the ticket names
// that one.
func testOneClaimWins(t *testing.T, h Harness) {
	s := h.Open(t)
	tk := newTicket("slack:UALICE", "m1")
	tk.Status, tk.Tier = bot.StatusEscalated, "tier2"
	id := createTicket(t, s, tk)
	won := make([]bool, racers)
	errs := make([]error, racers)
	race(func(i int) {
		me := fmt.Sprintf("slack:UTECH%d", i)
		errs[i] = s.Update(ctx, func(tx bot.Tx) error {
			won[i] = false
			tk, err := tx.Ticket(id)
			if err != nil {
				return err
			}
			if tk.Assignee != "" {
				return nil // "already claimed by ..."
			}
			tk.Status, tk.Assignee = bot.StatusClaimed, me
			tk.Transitions = append(tk.Transitions, bot.Transition{At: base, Type: bot.TransitionClaimed, By: me})
			won[i] = true
			return tx.PutTicket(tk)
		})
	})
	winner := ""
	for i := range racers {
		if errs[i] != nil {
			t.Fatalf("claim %d: %v", i, errs[i])
		}
		if won[i] {
			if winner != "" {
				t.Fatalf("two claims won: %s and slack:UTECH%d", winner, i)
			}
			winner = fmt.Sprintf("slack:UTECH%d", i)
		}
	}
	got := readTicket(t, s, id)
	if winner == "" || got.Assignee != winner || len(got.Transitions) != 1 {
		t.Fatalf("winner %q; the ticket says %q with %d transitions", winner, got.Assignee, len(got.Transitions))
	}
}

// testOneDeliveryIsHandled: one event delivered several times at once (a platform's retry, two
// sessions) is handled once: its dedup key and its effects are in one transaction.
func testOneDeliveryIsHandled(t *testing.T, h Harness) {
	s := h.Open(t)
	id := createTicket(t, s, newTicket("slack:UALICE", "m1"))
	handled := make([]bool, racers)
	errs := make([]error, racers)
	race(func(i int) {
		errs[i] = s.Update(ctx, func(tx bot.Tx) error {
			handled[i] = false
			seen, err := tx.RecordDedupKey("slack\x1fEv42", base)
			if err != nil || seen {
				return err
			}
			tk, err := tx.Ticket(id)
			if err != nil {
				return err
			}
			tk.Transcript = append(tk.Transcript, bot.Entry{At: at(1), Author: tk.Requester, Role: bot.RoleRequester, Text: "still broken"})
			if err := tx.PutTicket(tk); err != nil {
				return err
			}
			handled[i] = true
			return tx.Enqueue(&bot.Effect{Kind: bot.EffectPost, Lane: "l", Ticket: id, Post: bot.Post{Text: "noted"}, CreatedAt: base})
		})
	})
	n := 0
	for i := range racers {
		if errs[i] != nil {
			t.Fatalf("delivery %d: %v", i, errs[i])
		}
		if handled[i] {
			n++
		}
	}
	got := readTicket(t, s, id)
	var effs []bot.Effect
	view(t, s, func(tx bot.Tx) error {
		var err error
		effs, err = tx.Effects(0, 0)
		return err
	})
	if n != 1 || len(got.Transcript) != 2 || len(effs) != 1 {
		t.Fatalf("handled %d times; the ticket has %d entries, the outbox %d effects; want 1, 2, 1", n, len(got.Transcript), len(effs))
	}
}

// testOneTicketPerConversation: the first messages of one conversation arrive at once; one opens the
// ticket, the others find it and join it.
func testOneTicketPerConversation(t *testing.T, h Harness) {
	s := h.Open(t)
	c := bot.Conversation{Platform: "slack", Channel: "help", Thread: "1.1"}
	errs := make([]error, racers)
	race(func(i int) {
		errs[i] = s.Update(ctx, func(tx bot.Tx) error {
			entry := bot.Entry{At: at(i), Author: "slack:UALICE", Role: bot.RoleRequester, Text: fmt.Sprintf("message %d", i)}
			tk, err := tx.TicketByConversation(c)
			if bot.IsNotFound(err) {
				tk = newTicket("slack:UALICE", c.Thread)
				tk.Transcript = []bot.Entry{entry}
				if err := tx.CreateTicket(tk); err != nil {
					return err
				}
				return tx.LinkConversation(c, tk.ID)
			}
			if err != nil {
				return err
			}
			tk.Transcript = append(tk.Transcript, entry)
			return tx.PutTicket(tk)
		})
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	var tks []*bot.Ticket
	view(t, s, func(tx bot.Tx) error {
		var err error
		tks, err = tx.FindTickets(bot.TicketFilter{})
		return err
	})
	if len(tks) != 1 || len(tks[0].Transcript) != racers {
		t.Fatalf("%d tickets (%v), the first with %d entries; want 1 with %d", len(tks), ids(tks), len(tks[0].Transcript), racers)
	}
}

// testNoLostUpdates: counters and tickets changed at once lose no change.
func testNoLostUpdates(t *testing.T, h Harness) {
	s := h.Open(t)
	id := createTicket(t, s, newTicket("slack:UALICE", "m1"))
	const each = 4
	errs := make([]error, racers)
	race(func(i int) {
		for range each {
			err := s.Update(ctx, func(tx bot.Tx) error {
				if err := tx.CountFeedback("vpn", ""); err != nil {
					return err
				}
				tk, err := tx.Ticket(id)
				if err != nil {
					return err
				}
				tk.NotHelpful++
				return tx.PutTicket(tk)
			})
			if err != nil {
				errs[i] = err
				return
			}
		}
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("writer %d: %v", i, err)
		}
	}
	view(t, s, func(tx bot.Tx) error {
		fb, err := tx.Feedback()
		if err != nil {
			return err
		}
		tk, err := tx.Ticket(id)
		if err != nil {
			return err
		}
		if fb["vpn"].Offered != racers*each || tk.NotHelpful != racers*each {
			t.Errorf("counted %d offers and %d on the ticket, want %d", fb["vpn"].Offered, tk.NotHelpful, racers*each)
		}
		return nil
	})
}

// testOneEditFromABaseVersion: editors save changes made from the same version at once; one is version
// 2, the others are told of the conflict.
func testOneEditFromABaseVersion(t *testing.T, h Harness) {
	s := h.Open(t)
	update(t, s, func(tx bot.Tx) error {
		_, err := tx.PutKBArticle(kb.Article{ID: "vpn", Title: "VPN", Body: "v1"}, false, "slack:UADA", base, 0)
		return err
	})
	errs := make([]error, racers)
	race(func(i int) {
		errs[i] = s.Update(ctx, func(tx bot.Tx) error {
			_, err := tx.PutKBArticle(kb.Article{ID: "vpn", Title: "VPN", Body: fmt.Sprintf("edit %d", i)}, false, "slack:UADA", at(i), 1)
			return err
		})
	})
	won := 0
	for i, err := range errs {
		switch bot.ErrorCode(err) {
		case "":
			won++
		case bot.ECONFLICT:
		default:
			t.Fatalf("edit %d: %v", i, err)
		}
	}
	view(t, s, func(tx bot.Tx) error {
		vs, err := tx.KBVersions("vpn")
		if err != nil {
			return err
		}
		if won != 1 || len(vs) != 2 {
			t.Errorf("%d edits won, %d versions; want 1 and 2", won, len(vs))
		}
		return nil
	})
}

// testLaneOrderIsCommitOrder: writers each append to one lane the number after the last one there; the
// lane's effects, in sequence order, count up without a gap or a repeat: a transaction that saw the lane
// comes after what it saw, in the outbox's order too.
func testLaneOrderIsCommitOrder(t *testing.T, h Harness) {
	s := h.Open(t)
	const each = 5
	errs := make([]error, racers)
	race(func(i int) {
		for range each {
			err := s.Update(ctx, func(tx bot.Tx) error {
				effs, err := tx.Effects(0, 0)
				if err != nil {
					return err
				}
				last := 0
				for _, e := range effs {
					if e.Lane == "lane" {
						if last, err = strconv.Atoi(e.Post.Text); err != nil {
							return err
						}
					}
				}
				return tx.Enqueue(&bot.Effect{Kind: bot.EffectPost, Lane: "lane", Post: bot.Post{Text: strconv.Itoa(last + 1)}, CreatedAt: base})
			})
			if err != nil {
				errs[i] = err
				return
			}
		}
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("writer %d: %v", i, err)
		}
	}
	var effs []bot.Effect
	view(t, s, func(tx bot.Tx) error {
		var err error
		effs, err = tx.Effects(0, 0)
		return err
	})
	var got []string
	for _, e := range effs {
		got = append(got, e.Post.Text)
	}
	var want []string
	for i := range racers * each {
		want = append(want, strconv.Itoa(i+1))
	}
	if !slices.Equal(got, want) {
		t.Fatalf("the lane in outbox order: %v, want %v", got, want)
	}
}

// testDistinctSequences: tickets, effects and audit entries created at once get distinct numbers, and
// every one is kept.
func testDistinctSequences(t *testing.T, h Harness) {
	s := h.Open(t)
	const each = 3
	tickets := make([][]string, racers)
	errs := make([]error, racers)
	race(func(i int) {
		for range each {
			var id string
			err := s.Update(ctx, func(tx bot.Tx) error {
				tk := newTicket(fmt.Sprintf("slack:U%d", i), "")
				if err := tx.CreateTicket(tk); err != nil {
					return err
				}
				id = tk.ID
				if err := tx.Enqueue(&bot.Effect{Kind: bot.EffectPost, Lane: tk.ID, Ticket: tk.ID, CreatedAt: base}); err != nil {
					return err
				}
				return tx.Audit(bot.AuditEntry{At: base, Action: "ticket.opened", Target: tk.ID})
			})
			if err != nil {
				errs[i] = err
				return
			}
			tickets[i] = append(tickets[i], id)
		}
	})
	var all []string
	for i := range racers {
		if errs[i] != nil {
			t.Fatalf("writer %d: %v", i, errs[i])
		}
		all = append(all, tickets[i]...)
	}
	slices.Sort(all)
	if len(slices.Compact(slices.Clone(all))) != racers*each {
		t.Fatalf("ticket ids %v are not distinct", all)
	}
	view(t, s, func(tx bot.Tx) error {
		tks, err := tx.FindTickets(bot.TicketFilter{})
		if err != nil {
			return err
		}
		if got := ids(tks); !slices.Equal(got, all) {
			t.Errorf("tickets stored %v, created %v", got, all)
		}
		effs, err := tx.Effects(0, 0)
		if err != nil {
			return err
		}
		p, err := tx.FindAudit(bot.AuditFilter{Limit: 1000})
		if err != nil {
			return err
		}
		if len(effs) != racers*each || len(p.Entries) != racers*each {
			t.Errorf("%d effects and %d audit entries, want %d of each", len(effs), len(p.Entries), racers*each)
		}
		for i := 1; i < len(effs); i++ {
			if effs[i].Seq <= effs[i-1].Seq {
				t.Errorf("effects out of sequence: %d after %d", effs[i].Seq, effs[i-1].Seq)
			}
		}
		return nil
	})
}
