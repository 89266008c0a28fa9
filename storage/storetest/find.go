package storetest

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/kb"
)

var findWords = []string{"printer", "vpn", "password", "laptop", "screen", "outlook", "badge", "wifi", "monitor", "keyboard", "zebra"}

// model is a desk of random tickets, and what the test knows of them: the answer to any filter is worked
// out from the tickets themselves, with none of a store's indexes.
type model struct {
	rng     *rand.Rand
	tickets map[string]*bot.Ticket
}

func (d *model) pick(list ...string) string { return list[d.rng.IntN(len(list))] }

func (d *model) sentence() string {
	w := make([]string, 2+d.rng.IntN(5))
	for i := range w {
		w[i] = d.pick(findWords...)
	}
	// Words as people write them: capitals and plurals are the same word to the search.
	if d.rng.IntN(3) == 0 {
		w[0] = strings.ToUpper(w[0][:1]) + w[0][1:] + "s"
	}
	return strings.Join(w, " ") + "."
}

func (d *model) ticket(i int) *bot.Ticket {
	status := bot.StatusResolved
	switch d.rng.IntN(10) {
	case 0:
		status = bot.StatusOpen
	case 1:
		status = bot.StatusEscalated
	case 2:
		status = bot.StatusClaimed
	case 3:
		status = bot.StatusPendingVendor
	}
	created := base.Add(time.Duration(i) * time.Hour)
	if d.rng.IntN(20) == 0 { // imported, or written by hand: not every ticket is opened in number order
		created = created.Add(-time.Duration(d.rng.IntN(200)) * time.Hour)
	}
	tk := &bot.Ticket{
		Version: bot.TicketVersion, Status: status, Tier: d.pick(bot.LevelOne, "t1", "t2"), Priority: d.pick("P1", "P2", "P3", "P3", "P4"),
		Requester: fmt.Sprintf("slack:r%d", d.rng.IntN(12)), Assignee: d.pick("", "", "slack:a1", "slack:a2", "slack:a3"),
		Conversation: bot.Conversation{Platform: d.pick("slack", "slack", "discord"), Channel: "help", Thread: fmt.Sprintf("m%d", i)},
		Subject:      d.sentence(), CreatedAt: created, UpdatedAt: created,
	}
	if i == 7 {
		tk.Assignee = "slack:rare"
	}
	for range d.rng.IntN(4) {
		tk.Transcript = append(tk.Transcript, bot.Entry{At: created, Author: tk.Assignee, Role: bot.RoleTechnician, Text: d.sentence(), Internal: d.rng.IntN(4) == 0})
	}
	d.sla(tk, created)
	if status == bot.StatusResolved {
		tk.ResolvedAt = ptr(created.Add(time.Hour))
		if d.rng.IntN(3) == 0 {
			tk.CSAT = &bot.Rating{Score: 1 + d.rng.IntN(5), RatedAt: created.Add(2 * time.Hour), By: tk.Requester}
		}
	}
	return tk
}

func (d *model) sla(tk *bot.Ticket, from time.Time) {
	tk.SLA = nil
	if tk.Status.Active() && d.rng.IntN(3) > 0 {
		start, due := from, from.Add(time.Duration(1+d.rng.IntN(300))*time.Hour)
		tk.SLA = &bot.SLA{Priority: tk.Priority, Resolution: bot.SLAClock{Start: &start, Due: &due, Breached: d.rng.IntN(5) == 0}}
		if d.rng.IntN(6) == 0 {
			tk.SLA.WaitingSince = ptr(from.Add(time.Hour))
		}
	}
}

// change changes a ticket as work does: its fields, new words, words taken out (an erasure).
func (d *model) change(tk *bot.Ticket) {
	switch d.rng.IntN(6) {
	case 0:
		tk.Status = bot.Status(d.pick(string(bot.StatusOpen), string(bot.StatusEscalated), string(bot.StatusClaimed), string(bot.StatusResolved)))
		tk.ResolvedAt = nil
		if tk.Status == bot.StatusResolved {
			tk.ResolvedAt = ptr(tk.CreatedAt.Add(3 * time.Hour))
		}
		d.sla(tk, tk.CreatedAt)
	case 1:
		tk.Assignee = d.pick("", "slack:a1", "slack:a2", "slack:a4")
		tk.Tier, tk.Priority = d.pick(bot.LevelOne, "t1", "t2", "t3"), d.pick("P1", "P2", "P3", "P4")
	case 2:
		tk.Transcript = append(tk.Transcript, bot.Entry{At: tk.CreatedAt, Author: tk.Requester, Role: bot.RoleRequester, Text: d.sentence()})
	case 3:
		for i := range tk.Transcript {
			tk.Transcript[i].Text = "[erased]"
		}
	case 4:
		tk.Subject = d.sentence()
	case 5:
		tk.CreatedAt = tk.CreatedAt.Add(-time.Duration(d.rng.IntN(100)) * time.Hour)
	}
}

// want is what a filter must find, worked out from the tickets.
func (d *model) want(f bot.TicketFilter) []string {
	var out []*bot.Ticket
	for _, tk := range d.tickets {
		if matches(tk, f) {
			out = append(out, tk)
		}
	}
	slices.SortFunc(out, func(a, b *bot.Ticket) int {
		switch f.Order {
		case bot.OrderNewest:
			return cmp.Compare(b.ID, a.ID) // T-000123: fixed width, so it sorts as its number
		case bot.OrderDue:
			sa, sb := a.SLAState(), b.SLAState()
			switch {
			case sa.Running() && sb.Running():
				if c := sa.Due.Compare(sb.Due); c != 0 {
					return c
				}
				return cmp.Compare(a.ID, b.ID)
			case sa.Running():
				return -1
			case sb.Running():
				return 1
			}
			return cmp.Compare(b.ID, a.ID)
		}
		return cmp.Compare(a.ID, b.ID)
	})
	found := ids(out)
	if f.Offset >= len(found) {
		return []string{}
	}
	found = found[f.Offset:]
	if f.Limit > 0 && len(found) > f.Limit {
		found = found[:f.Limit]
	}
	return found
}

func matches(tk *bot.Ticket, f bot.TicketFilter) bool {
	switch {
	case len(f.Status) > 0 && !slices.Contains(f.Status, tk.Status),
		f.Requester != "" && tk.Requester != f.Requester,
		f.Tier != "" && tk.Tier != f.Tier,
		f.Priority != "" && tk.Priority != f.Priority,
		f.Assignee != "" && tk.Assignee != f.Assignee,
		f.Platform != "" && tk.Conversation.Platform != f.Platform,
		!f.CreatedFrom.IsZero() && tk.CreatedAt.Before(f.CreatedFrom),
		!f.CreatedTo.IsZero() && !tk.CreatedAt.Before(f.CreatedTo):
		return false
	}
	if f.Text == "" {
		return true
	}
	terms := map[string]bool{}
	texts := []string{tk.Subject}
	for _, e := range tk.Transcript {
		if !f.Visible || !e.Internal {
			texts = append(texts, e.Text)
		}
	}
	for _, s := range texts {
		for _, term := range kb.Analyze(s) {
			terms[term] = true
		}
	}
	for _, w := range strings.Fields(f.Text) {
		if forms := kb.Analyze(w); len(forms) > 0 && !terms[forms[0]] {
			return false
		}
	}
	return true
}

func (d *model) filter() bot.TicketFilter {
	var f bot.TicketFilter
	if d.rng.IntN(3) == 0 {
		for _, s := range []bot.Status{bot.StatusOpen, bot.StatusEscalated, bot.StatusClaimed, bot.StatusPendingVendor, bot.StatusResolved} {
			if d.rng.IntN(3) == 0 {
				f.Status = append(f.Status, s)
			}
		}
	}
	if d.rng.IntN(4) == 0 {
		f.Requester = fmt.Sprintf("slack:r%d", d.rng.IntN(13))
	}
	if d.rng.IntN(4) == 0 {
		f.Tier = d.pick(bot.LevelOne, "t1", "t2", "t9")
	}
	if d.rng.IntN(4) == 0 {
		f.Priority = d.pick("P1", "P2", "P3", "P4")
	}
	if d.rng.IntN(4) == 0 {
		f.Assignee = d.pick("slack:a1", "slack:a2", "slack:rare", "slack:nobody")
	}
	if d.rng.IntN(5) == 0 {
		f.Platform = d.pick("slack", "discord", "console")
	}
	if d.rng.IntN(4) == 0 {
		f.CreatedFrom = base.Add(time.Duration(d.rng.IntN(200)) * time.Hour)
	}
	if d.rng.IntN(4) == 0 {
		f.CreatedTo = base.Add(time.Duration(d.rng.IntN(200)) * time.Hour)
	}
	if d.rng.IntN(3) == 0 {
		f.Text = d.pick(findWords...)
		if d.rng.IntN(2) == 0 {
			f.Text += " " + strings.ToUpper(d.pick(findWords...)) + "s"
		}
		f.Visible = d.rng.IntN(3) == 0
	}
	f.Order = []bot.TicketOrder{bot.OrderOldest, bot.OrderNewest, bot.OrderDue}[d.rng.IntN(3)]
	if d.rng.IntN(4) > 0 {
		f.Limit = 1 + d.rng.IntN(30)
		f.Offset = d.rng.IntN(3) * f.Limit
	}
	return f
}

// testFindTicketsAgainstAModel compares every filter, order and page of FindTickets and TicketRows with
// the same filter worked out from the tickets, on a desk that changes between rounds.
func testFindTicketsAgainstAModel(t *testing.T, h Harness) {
	s := h.Open(t)
	d := &model{rng: rand.New(rand.NewPCG(19, 7)), tickets: map[string]*bot.Ticket{}}
	const n = 200
	var all []*bot.Ticket
	for i := range n {
		all = append(all, d.ticket(i))
	}
	update(t, s, func(tx bot.Tx) error {
		for _, tk := range all {
			tk.ID = ""
			if err := tx.CreateTicket(tk); err != nil {
				return err
			}
		}
		return nil
	})
	for _, tk := range all {
		d.tickets[tk.ID] = tk
	}
	for round := range 4 {
		for q := range 60 {
			f := d.filter()
			want := d.want(f)
			var tks []*bot.Ticket
			var rows []bot.TicketRow
			view(t, s, func(tx bot.Tx) error {
				var err error
				if tks, err = tx.FindTickets(f); err != nil {
					return err
				}
				rows, err = tx.TicketRows(f)
				return err
			})
			if got := ids(tks); !slices.Equal(got, want) {
				t.Fatalf("round %d query %d: FindTickets(%+v)\n got %v\nwant %v", round, q, f, got, want)
			}
			rowIDs := []string{}
			for _, r := range rows {
				rowIDs = append(rowIDs, r.ID)
			}
			if !slices.Equal(rowIDs, want) {
				t.Fatalf("round %d query %d: TicketRows(%+v)\n got %v\nwant %v", round, q, f, rowIDs, want)
			}
			for _, r := range rows {
				if wr := rowOf(d.tickets[r.ID]); !sameRow(r, wr) {
					t.Fatalf("round %d: the row of %s is %+v, want %+v", round, r.ID, r, wr)
				}
			}
		}
		// Change some tickets, each in its own transaction or several in one.
		var changed []*bot.Ticket
		for _, tk := range all {
			if d.rng.IntN(4) == 0 {
				d.change(tk)
				changed = append(changed, tk)
			}
		}
		update(t, s, func(tx bot.Tx) error {
			for _, tk := range changed {
				if err := tx.PutTicket(tk); err != nil {
					return err
				}
			}
			return nil
		})
	}
}

// rowOf is what TicketRows must say of a ticket.
func rowOf(tk *bot.Ticket) bot.TicketRow {
	r := bot.TicketRow{ID: tk.ID, Status: tk.Status, Tier: tk.Tier, Priority: tk.Priority, Assignee: tk.Assignee,
		Requester: tk.Requester, Platform: tk.Conversation.Platform, CreatedAt: tk.CreatedAt, SLA: tk.SLAState()}
	if tk.ResolvedAt != nil && tk.Status == bot.StatusResolved {
		r.ResolvedAt = *tk.ResolvedAt
	}
	if tk.CSAT != nil {
		r.Rating = tk.CSAT.Score
	}
	return r
}

func sameRow(a, b bot.TicketRow) bool {
	sa, sb := a.SLA, b.SLA
	return a.ID == b.ID && a.Status == b.Status && a.Tier == b.Tier && a.Priority == b.Priority && a.Assignee == b.Assignee &&
		a.Requester == b.Requester && a.Platform == b.Platform && a.CreatedAt.Equal(b.CreatedAt) && a.ResolvedAt.Equal(b.ResolvedAt) &&
		a.Rating == b.Rating && sa.Clock == sb.Clock && sa.Due.Equal(sb.Due) && sa.Warned == sb.Warned && sa.Breached == sb.Breached && sa.Paused == sb.Paused
}

// testTicketRowsFields: a row says what a list shows of a ticket, field for field, as the ticket moves.
func testTicketRowsFields(t *testing.T, h Harness) {
	s := h.Open(t)
	tk := fullTicket("discord:42", "m1")
	tk.Conversation.Platform = "discord"
	id := createTicket(t, s, tk)
	check := func(what string) {
		t.Helper()
		var rows []bot.TicketRow
		view(t, s, func(tx bot.Tx) error {
			var err error
			rows, err = tx.TicketRows(bot.TicketFilter{})
			return err
		})
		if len(rows) != 1 || !sameRow(rows[0], rowOf(tk)) {
			t.Fatalf("%s: rows %+v, want [%+v]", what, rows, rowOf(tk))
		}
	}
	check("escalated, with a running clock")
	update(t, s, func(tx bot.Tx) error {
		cur, err := tx.Ticket(id)
		if err != nil {
			return err
		}
		cur.SLA.WaitingSince = ptr(at(40))
		cur.SLA.Response.Warned = true
		tk = cur
		return tx.PutTicket(cur)
	})
	check("waiting on the requester, warned")
	update(t, s, func(tx bot.Tx) error {
		cur, err := tx.Ticket(id)
		if err != nil {
			return err
		}
		cur.Status, cur.ResolvedAt = bot.StatusResolved, ptr(at(90))
		cur.CSAT = &bot.Rating{Score: 4, RatedAt: at(95), By: cur.Requester}
		tk = cur
		return tx.PutTicket(cur)
	})
	check("resolved and rated")
}

// testFindTicketsText: the text search finds words as the knowledge base reads them (case and plurals do
// not matter), in the subject and the transcript, internal notes only without Visible, and forgets a word
// once the ticket no longer holds it.
func testFindTicketsText(t *testing.T, h Harness) {
	s := h.Open(t)
	tk := newTicket("slack:UALICE", "m1")
	tk.Subject = "Printers on floor two"
	tk.Transcript = []bot.Entry{
		{At: base, Author: "slack:UALICE", Role: bot.RoleRequester, Text: "The toner is empty"},
		{At: base, Author: "slack:UTECH", Role: bot.RoleTechnician, Text: "Ordered cartridges from the vendor", Internal: true},
	}
	id := createTicket(t, s, tk)
	other := newTicket("slack:UBOB", "m2")
	other.Subject, other.Transcript = "VPN drops", nil
	createTicket(t, s, other)
	find := func(text string, visible bool) []string {
		var out []*bot.Ticket
		view(t, s, func(tx bot.Tx) error {
			var err error
			out, err = tx.FindTickets(bot.TicketFilter{Text: text, Visible: visible})
			return err
		})
		return ids(out)
	}
	for _, tt := range []struct {
		text    string
		visible bool
		want    []string
	}{
		{"printer", false, []string{id}},
		{"PRINTERS toner", false, []string{id}},
		{"cartridge", false, []string{id}},
		{"cartridge", true, []string{}},
		{"toner", true, []string{id}},
		{"toner vpn", false, []string{}},
		{"the", false, []string{"T-000001", "T-000002"}}, // only stop words: no text to look for
	} {
		if got := find(tt.text, tt.visible); !slices.Equal(got, tt.want) {
			t.Errorf("%q visible=%v: %v, want %v", tt.text, tt.visible, got, tt.want)
		}
	}
	update(t, s, func(tx bot.Tx) error {
		cur, err := tx.Ticket(id)
		if err != nil {
			return err
		}
		cur.Transcript[0].Text = "[erased]"
		return tx.PutTicket(cur)
	})
	if got := find("toner", false); len(got) != 0 {
		t.Errorf("an erased word still finds %v", got)
	}
}
