package storage_test

import (
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/kb"
	"github.com/firstline-desk/firstline/storage"
)

var findWords = []string{"printer", "vpn", "password", "laptop", "screen", "outlook", "badge", "wifi", "monitor", "keyboard", "zebra"}

// findDesk is a desk of random tickets, and what the test knows of them.
type findDesk struct {
	rng     *rand.Rand
	base    time.Time
	tickets map[string]*bot.Ticket
	terms   map[string]map[string]bool // by ticket id and visible, analyzed once
}

func (d *findDesk) pick(list ...string) string { return list[d.rng.IntN(len(list))] }

func (d *findDesk) sentence() string {
	n := 2 + d.rng.IntN(5)
	var w []string
	for range n {
		w = append(w, d.pick(findWords...))
	}
	// Words as people write them: capitals and plurals are the same word to the search.
	if d.rng.IntN(3) == 0 {
		w[0] = strings.ToUpper(w[0][:1]) + w[0][1:] + "s"
	}
	return strings.Join(w, " ") + "."
}

func (d *findDesk) ticket(i int) *bot.Ticket {
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
	created := d.base.Add(time.Duration(i) * time.Hour)
	if d.rng.IntN(20) == 0 { // imported, or written by hand: not every ticket is opened in number order
		created = created.Add(-time.Duration(d.rng.IntN(200)) * time.Hour)
	}
	tk := &bot.Ticket{
		Version: bot.TicketVersion, Status: status, Tier: d.pick(bot.LevelOne, "t1", "t2"), Priority: d.pick("P1", "P2", "P3", "P3", "P4"),
		Requester: fmt.Sprintf("test:r%d", d.rng.IntN(12)), Assignee: d.pick("", "", "test:a1", "test:a2", "test:a3"),
		Conversation: bot.Conversation{Platform: d.pick("slack", "slack", "discord"), Channel: "help", Thread: fmt.Sprintf("m%d", i)},
		Subject:      d.sentence(), CreatedAt: created, UpdatedAt: created,
	}
	if i == 7 {
		tk.Assignee = "test:rare" // one ticket in the file, old: only the index finds it quickly
	}
	for range d.rng.IntN(4) {
		tk.Transcript = append(tk.Transcript, bot.Entry{At: created, Author: tk.Assignee, Role: bot.RoleTechnician, Text: d.sentence(), Internal: d.rng.IntN(4) == 0})
	}
	if status.Active() && d.rng.IntN(3) > 0 {
		start, due := created, created.Add(time.Duration(1+d.rng.IntN(300))*time.Hour)
		tk.SLA = &bot.SLA{Priority: tk.Priority, Resolution: bot.SLAClock{Start: &start, Due: &due, Breached: d.rng.IntN(5) == 0}}
	}
	if status == bot.StatusResolved {
		at := created.Add(time.Hour)
		tk.ResolvedAt = &at
	}
	return tk
}

// want is what a filter must find, worked out from the tickets themselves.
func (d *findDesk) want(f bot.TicketFilter) []string {
	var out []*bot.Ticket
	for _, tk := range d.tickets {
		if d.matches(tk, f) {
			out = append(out, tk)
		}
	}
	num := func(tk *bot.Ticket) string { return tk.ID } // T-000123: fixed width, so it sorts as its number
	slices.SortFunc(out, func(a, b *bot.Ticket) int {
		switch f.Order {
		case bot.OrderNewest:
			return cmp.Compare(num(b), num(a))
		case bot.OrderDue:
			sa, sb := a.SLAState(), b.SLAState()
			switch {
			case sa.Running() && sb.Running():
				if c := sa.Due.Compare(sb.Due); c != 0 {
					return c
				}
				return cmp.Compare(num(a), num(b))
			case sa.Running():
				return -1
			case sb.Running():
				return 1
			}
			return cmp.Compare(num(b), num(a))
		}
		return cmp.Compare(num(a), num(b))
	})
	ids := []string{}
	for _, tk := range out {
		ids = append(ids, tk.ID)
	}
	if f.Offset >= len(ids) {
		return []string{}
	}
	ids = ids[f.Offset:]
	if f.Limit > 0 && len(ids) > f.Limit {
		ids = ids[:f.Limit]
	}
	return ids
}

func (d *findDesk) matches(tk *bot.Ticket, f bot.TicketFilter) bool {
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
	key := fmt.Sprint(tk.ID, f.Visible)
	terms := d.terms[key]
	if terms == nil {
		terms = map[string]bool{}
		for _, s := range append([]string{tk.Subject}, texts(tk, f.Visible)...) {
			for _, term := range kb.Analyze(s) {
				terms[term] = true
			}
		}
		d.terms[key] = terms
	}
	for _, w := range strings.Fields(f.Text) {
		if forms := kb.Analyze(w); len(forms) > 0 && !terms[forms[0]] {
			return false
		}
	}
	return true
}

func texts(tk *bot.Ticket, visible bool) []string {
	var out []string
	for _, e := range tk.Transcript {
		if !visible || !e.Internal {
			out = append(out, e.Text)
		}
	}
	return out
}

func (d *findDesk) filter() bot.TicketFilter {
	var f bot.TicketFilter
	if d.rng.IntN(3) == 0 {
		for _, s := range []bot.Status{bot.StatusOpen, bot.StatusEscalated, bot.StatusClaimed, bot.StatusPendingVendor, bot.StatusResolved} {
			if d.rng.IntN(3) == 0 {
				f.Status = append(f.Status, s)
			}
		}
	}
	if d.rng.IntN(4) == 0 {
		f.Requester = fmt.Sprintf("test:r%d", d.rng.IntN(13))
	}
	if d.rng.IntN(4) == 0 {
		f.Tier = d.pick(bot.LevelOne, "t1", "t2", "t9")
	}
	if d.rng.IntN(4) == 0 {
		f.Priority = d.pick("P1", "P2", "P3", "P4")
	}
	if d.rng.IntN(4) == 0 {
		f.Assignee = d.pick("test:a1", "test:a2", "test:rare", "test:nobody")
	}
	if d.rng.IntN(5) == 0 {
		f.Platform = d.pick("slack", "discord", "console")
	}
	if d.rng.IntN(4) == 0 {
		f.CreatedFrom = d.base.Add(time.Duration(d.rng.IntN(700)) * time.Hour)
	}
	if d.rng.IntN(4) == 0 {
		f.CreatedTo = d.base.Add(time.Duration(d.rng.IntN(700)) * time.Hour)
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

// TestFindTickets compares every filter, order and page the list search takes with the same filter worked
// out from the tickets, on a desk that changes (fields, new words, words taken out, tickets deleted),
// with the search's bounds as they are and so small that every path is taken.
func TestFindTickets(t *testing.T) {
	db := mustOpen(t, filepath.Join(t.TempDir(), "f.db"))
	ctx := context.Background()
	d := &findDesk{rng: rand.New(rand.NewPCG(1, 2)), base: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC), tickets: map[string]*bot.Ticket{}, terms: map[string]map[string]bool{}}
	write := func(round int) {
		t.Helper()
		err := db.Update(ctx, func(tx bot.Tx) error {
			for i := range 300 {
				tk := d.ticket(round*300 + i)
				if err := tx.CreateTicket(tk); err != nil {
					return err
				}
				if err := tx.LinkConversation(tk.Conversation, tk.ID); err != nil {
					return err
				}
				d.tickets[tk.ID] = tk
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	check := func(stage string) {
		t.Helper()
		for _, bounds := range [][2]int{{0, 0}, {40, 30}, {1, 1}} {
			if bounds[0] > 0 {
				defer storage.SetFindBounds(bounds[0], bounds[1])()
			}
			for range 400 {
				f := d.filter()
				want := d.want(f)
				var rows []bot.TicketRow
				var tks []*bot.Ticket
				err := db.View(ctx, func(tx bot.Tx) error {
					var err error
					if rows, err = tx.TicketRows(f); err != nil {
						return err
					}
					tks, err = tx.FindTickets(f)
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				got, gotT := []string{}, []string{}
				for _, r := range rows {
					got = append(got, r.ID)
					if tk := d.tickets[r.ID]; tk != nil && (r.Status != tk.Status || r.Assignee != tk.Assignee || r.SLA != tk.SLAState() || !r.CreatedAt.Equal(tk.CreatedAt)) {
						t.Errorf("%s: the row of %s is %+v, not the ticket's", stage, r.ID, r)
					}
				}
				for _, tk := range tks {
					gotT = append(gotT, tk.ID)
				}
				if !slices.Equal(got, want) || !slices.Equal(gotT, want) {
					for _, id := range got {
						tk := d.tickets[id]
						t.Logf("%s: %s %s %s %s subject %q transcript %+v", id, tk.Status, tk.Tier, tk.Requester, tk.Assignee, tk.Subject, tk.Transcript)
					}
					t.Fatalf("%s, bounds %v: filter %+v\nrows    %v\ntickets %v\nwant    %v", stage, bounds, f, got, gotT, want)
				}
			}
		}
	}
	write(0)
	write(1)
	check("new tickets")

	// Changes: fields move, words come and go (a redaction rewrites an old message), tickets close.
	err := db.Update(ctx, func(tx bot.Tx) error {
		for i := 1; i <= 600; i += 3 {
			tk, err := tx.Ticket(bot.TicketID(uint64(i)))
			if err != nil {
				return err
			}
			switch i % 4 {
			case 0:
				tk.Status, tk.Assignee, tk.Priority = bot.StatusClaimed, "test:a3", "P1"
			case 1:
				tk.Transcript = append(tk.Transcript, bot.Entry{Role: bot.RoleRequester, Text: "zebra crossing " + d.sentence()})
			case 2:
				if len(tk.Transcript) > 0 {
					tk.Transcript[0].Text = "[redacted]"
				}
				tk.Subject = "keyboard"
			default:
				now := tk.CreatedAt.Add(2 * time.Hour)
				tk.Status, tk.ResolvedAt, tk.SLA = bot.StatusResolved, &now, nil
			}
			if err := tx.PutTicket(tk); err != nil {
				return err
			}
			d.tickets[tk.ID] = tk
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	clear(d.terms)
	check("changed tickets")
}

// TestFindTicketsTextIsExact: a word taken out of a ticket is no longer found in it, or anywhere in the
// index: a redaction or an erasure leaves no word behind in ticket_terms.
func TestFindTicketsTextIsExact(t *testing.T) {
	db, err := storage.Open(filepath.Join(t.TempDir(), "f.db"), storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tk := newTicket("test:alice")
	tk.Subject = "Zanzibar printer jam"
	tk.Transcript = []bot.Entry{{Role: bot.RoleRequester, Text: "my password is hunter2zq"}}
	if err := db.Update(ctx, func(tx bot.Tx) error { return tx.CreateTicket(tk) }); err != nil {
		t.Fatal(err)
	}
	find := func(text string) int {
		var rows []bot.TicketRow
		if err := db.View(ctx, func(tx bot.Tx) error {
			var err error
			rows, err = tx.TicketRows(bot.TicketFilter{Text: text})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return len(rows)
	}
	if find("hunter2zq") != 1 || find("zanzibar printers") != 1 {
		t.Fatal("the ticket is not found by its words")
	}
	if err := db.Update(ctx, func(tx bot.Tx) error {
		tk.Transcript[0].Text = "my password is [redacted]"
		return tx.PutTicket(tk)
	}); err != nil {
		t.Fatal(err)
	}
	if n := find("hunter2zq"); n != 0 {
		t.Fatalf("a word taken out of the ticket still finds it (%d)", n)
	}
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
	path := db.Path()
	db.Close()
	b, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.View(func(btx *bolt.Tx) error {
		return btx.Bucket([]byte("ticket_terms")).ForEach(func(k, _ []byte) error {
			if strings.Contains(string(k), "hunter2zq") {
				return fmt.Errorf("ticket_terms still has the word: %q", k)
			}
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
}

// TestMigrationToListIndexes: a data file from before the list and text indexes gets them, built from
// its tickets, when it is opened.
func TestMigrationToListIndexes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.db")
	db, err := storage.Open(path, storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := db.Update(ctx, func(tx bot.Tx) error {
		for i, who := range []string{"test:alice", "test:bob", "test:alice"} {
			tk := newTicket(who)
			tk.Conversation.Thread = fmt.Sprint("m", i)
			tk.Subject = []string{"printer jam", "vpn down", "printer offline"}[i]
			if err := tx.CreateTicket(tk); err != nil {
				return err
			}
			if err := tx.LinkConversation(tk.Conversation, tk.ID); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	b, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Update(func(btx *bolt.Tx) error {
		for _, name := range []string{"ticket_rows", "tickets_by_field", "tickets_by_created", "ticket_terms"} {
			if err := btx.DeleteBucket([]byte(name)); err != nil {
				return err
			}
		}
		return btx.Bucket([]byte("meta")).Put([]byte("schema_version"), binary.BigEndian.AppendUint64(nil, 6))
	}); err != nil {
		t.Fatal(err)
	}
	b.Close()

	db = mustOpen(t, path) // checks the indexes when the test ends
	var rows []bot.TicketRow
	if err := db.View(ctx, func(tx bot.Tx) error {
		rows, err = tx.TicketRows(bot.TicketFilter{Text: "printers", Requester: "test:alice", Order: bot.OrderNewest})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].ID != "T-000003" || rows[1].ID != "T-000001" {
		t.Fatalf("after the migration, a search finds %+v", rows)
	}
}
