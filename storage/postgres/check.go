package postgres

// The consistency check: the desk's facts, as the bbolt store's check reads them (tickets and what is
// derived from them, links, the outbox, the audit log, the knowledge base, sequences), in one snapshot
// that blocks no desk. PostgreSQL checks its own pages; this checks what Firstline wrote.

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/internal/plural"
	"github.com/firstline-desk/firstline/storage/ticketindex"
)

// maxProblems bounds the lines of a report: a broken index can make one per ticket.
const maxProblems = 1000

// CheckReport is what a check found (the fields of storage.CheckReport): one line per problem, none
// when the database is sound.
type CheckReport struct {
	Tickets  int
	Schema   int
	Problems []string
	// Omitted counts the problems found beyond the first maxProblems, which are not listed.
	Omitted int
}

func (r *CheckReport) add(format string, args ...any) {
	if len(r.Problems) < maxProblems {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
		return
	}
	r.Omitted++
}

// CheckAll checks the database while desks work on it.
func (db *DB) CheckAll(ctx context.Context) (CheckReport, error) {
	var r CheckReport
	err := db.View(ctx, func(btx bot.Tx) error {
		r = CheckReport{}
		t := btx.(*tx)
		v, err := schemaVersion(ctx, t.pg)
		if err != nil {
			return err
		}
		r.Schema = v
		if v != len(migrations) {
			r.add("schema: version %d, this Firstline's is %d: start the desk with this Firstline to migrate it", v, len(migrations))
			return nil
		}
		c := &checker{t: t, r: &r, found: map[int64]string{}}
		for _, step := range []func() error{c.readTickets, c.terms, c.conversations, c.messages, c.outbox, c.audit, c.articles, c.runs, c.sequences} {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := step(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return r, fmt.Errorf("check the database %s: %w", db.where, err)
	}
	return r, nil
}

// checker is one check's state: the tickets it found (found: by sequence, their conversation's key).
type checker struct {
	t       *tx
	r       *CheckReport
	found   map[int64]string
	highest map[string]int64 // by sequence name: the highest number in use
}

func (c *checker) exists(id string) bool {
	seq, err := ticketSeq(id)
	_, ok := c.found[seq]
	return err == nil && ok
}

// readTickets checks each ticket against its columns.
func (c *checker) readTickets() error {
	c.highest = map[string]int64{}
	got := make([]any, 19)
	ptrs := make([]any, 19)
	for i := range got {
		ptrs[i] = &got[i]
	}
	return c.t.each("SELECT "+ticketColumns+" FROM tickets ORDER BY seq", nil, func(rows pgx.Rows) error {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		seq := got[0].(int64)
		id := bot.TicketID(uint64(seq))
		c.r.Tickets++
		c.highest["ticket_seq"] = seq
		tk := new(bot.Ticket)
		if err := json.Unmarshal([]byte(got[1].(string)), tk); err != nil {
			c.r.add("%s: cannot be read: %v", id, err)
			return nil
		}
		c.found[seq] = tk.Conversation.Key()
		if tk.ID != id {
			c.r.add("%s: stored under its number with the id %q", id, tk.ID)
		}
		if _, err := bot.ParseStatus(string(tk.Status)); err != nil {
			c.r.add("%s: unknown status %q", id, tk.Status)
		}
		want, err := ticketArgs(seq, tk)
		if err != nil {
			return err
		}
		names := columnList(ticketColumns)
		for i := 2; i < len(want); i++ {
			if !sameValue(got[i], want[i]) {
				c.r.add("%s: its %s is %v, the ticket says %v: lists, reports and the SLA loop read the column", id, names[i], show(got[i]), show(want[i]))
			}
		}
		return nil
	})
}

// sameValue compares a column read back with the value written.
func sameValue(got, want any) bool {
	if p, ok := want.(*int64); ok {
		if p == nil {
			return got == nil
		}
		want = *p
	}
	switch w := want.(type) {
	case int:
		want = int64(w)
	case []byte:
		g, ok := got.([]byte)
		return ok && string(g) == string(w)
	}
	if g, ok := got.(int16); ok {
		got = int64(g)
	}
	return reflect.DeepEqual(got, want)
}

func show(v any) any {
	if v == nil {
		return "none"
	}
	if p, ok := v.(*int64); ok {
		if p == nil {
			return "none"
		}
		return *p
	}
	if b, ok := v.([]byte); ok {
		return fmt.Sprintf("%q", b)
	}
	return v
}

// terms checks ticket_terms against each ticket's words, a thousand tickets at a time.
func (c *checker) terms() error {
	const chunk = 1000
	after := int64(0)
	for {
		type ticket struct {
			seq  int64
			want []string
		}
		var batch []ticket
		if err := c.t.each("SELECT seq, data FROM tickets WHERE seq > $1 ORDER BY seq LIMIT $2", []any{after, chunk}, func(rows pgx.Rows) error {
			var seq int64
			var data []byte
			if err := rows.Scan(&seq, &data); err != nil {
				return err
			}
			tk := new(bot.Ticket)
			if json.Unmarshal(data, tk) == nil { // else reported by tickets
				batch = append(batch, ticket{seq, slices.Sorted(mapKeys(ticketindex.Terms(tk)))})
			}
			after = seq
			return nil
		}); err != nil {
			return err
		}
		if len(batch) == 0 {
			break
		}
		have := map[int64][]string{}
		if err := c.t.each("SELECT seq, term FROM ticket_terms WHERE seq >= $1 AND seq <= $2 ORDER BY seq, term", []any{batch[0].seq, after},
			func(rows pgx.Rows) error {
				var seq int64
				var term string
				if err := rows.Scan(&seq, &term); err != nil {
					return err
				}
				have[seq] = append(have[seq], term)
				return nil
			}); err != nil {
			return err
		}
		for _, tk := range batch {
			if got := have[tk.seq]; !slices.Equal(got, tk.want) {
				c.r.add("%s: the text index holds %s of it, the ticket %d: the search finds it wrongly", bot.TicketID(uint64(tk.seq)), plural.Count(len(got), "word", "words"), len(tk.want))
			}
		}
	}
	return c.t.each("SELECT DISTINCT seq FROM ticket_terms t WHERE NOT EXISTS (SELECT 1 FROM tickets WHERE seq = t.seq) ORDER BY seq LIMIT 100", nil,
		func(rows pgx.Rows) error {
			var seq int64
			if err := rows.Scan(&seq); err != nil {
				return err
			}
			c.r.add("ticket_terms: words of %s, which does not exist", bot.TicketID(uint64(seq)))
			return nil
		})
}

func (c *checker) conversations() error {
	linked := map[string]bool{}
	if err := c.t.each("SELECT key, ticket FROM conversations", nil, func(rows pgx.Rows) error {
		var key []byte
		var id string
		if err := rows.Scan(&key, &id); err != nil {
			return err
		}
		linked[string(key)] = true
		if !c.exists(id) {
			c.r.add("conversations: %q links to %s, which does not exist", key, id)
		}
		return nil
	}); err != nil {
		return err
	}
	for seq, key := range c.found {
		if !linked[key] {
			c.r.add("%s: its conversation (%q) links to no ticket: messages there do not reach it", bot.TicketID(uint64(seq)), key)
		}
	}
	return nil
}

func (c *checker) messages() error {
	links := map[string]string{} // message key -> ticket
	if err := c.t.each("SELECT key, ticket, data FROM messages", nil, func(rows pgx.Rows) error {
		var key, data []byte
		var id string
		if err := rows.Scan(&key, &id, &data); err != nil {
			return err
		}
		var link bot.MessageLink
		if err := json.Unmarshal(data, &link); err != nil {
			c.r.add("messages: the link of message %q cannot be read: %v", key, err)
			return nil
		}
		links[string(key)] = link.Ticket
		switch {
		case link.Ticket != id:
			c.r.add("messages: message %q is filed under %s but links to %s", key, id, link.Ticket)
		case !c.exists(id):
			c.r.add("messages: message %q (%s) points at %s, which does not exist", key, link.Key, id)
		}
		return nil
	}); err != nil {
		return err
	}
	return c.t.each("SELECT seq, key, data FROM ticket_messages", nil, func(rows pgx.Rows) error {
		var seq int64
		var name string
		var data []byte
		if err := rows.Scan(&seq, &name, &data); err != nil {
			return err
		}
		id := bot.TicketID(uint64(seq))
		if _, ok := c.found[seq]; !ok {
			c.r.add("ticket_messages: message %s points at %s, which does not exist", name, id)
			return nil
		}
		var ref bot.MessageRef
		if err := json.Unmarshal(data, &ref); err != nil {
			c.r.add("%s: where its message %s went cannot be read: %v", id, name, err)
			return nil
		}
		switch linked, ok := links[ref.Key()]; {
		case !ok:
			c.r.add("%s: its message %s (%q) is not in messages: clicks and replies on it reach no ticket", id, name, ref.Key())
		case linked != id:
			c.r.add("%s: its message %s (%q) is linked to %s", id, name, ref.Key(), linked)
		}
		return nil
	})
}

func (c *checker) outbox() error {
	return c.t.each("SELECT seq, ticket, data FROM outbox ORDER BY seq", nil, func(rows pgx.Rows) error {
		var seq int64
		var id string
		var data []byte
		if err := rows.Scan(&seq, &id, &data); err != nil {
			return err
		}
		c.highest["outbox_seq"] = seq
		var e bot.Effect
		if err := json.Unmarshal(data, &e); err != nil {
			c.r.add("outbox: effect %d cannot be read: %v", seq, err)
			return nil
		}
		if e.Ticket != id {
			c.r.add("outbox: effect %d is filed under %q but is for %q", seq, id, e.Ticket)
		}
		if e.Ticket != "" && !c.exists(e.Ticket) {
			c.r.add("outbox: effect %d (%s on %s) is for %s, which does not exist", seq, e.Kind, e.Platform, e.Ticket)
		}
		return nil
	})
}

func (c *checker) audit() error {
	return c.t.each("SELECT seq, data FROM audit ORDER BY seq", nil, func(rows pgx.Rows) error {
		var seq int64
		var data []byte
		if err := rows.Scan(&seq, &data); err != nil {
			return err
		}
		c.highest["audit_seq"] = seq
		var e bot.AuditEntry
		if err := json.Unmarshal(data, &e); err != nil {
			c.r.add("audit: entry %d cannot be read: %v", seq, err)
		}
		return nil
	})
}

func (c *checker) articles() error {
	versions := map[string]map[int]bool{}
	if err := c.t.each("SELECT id, version, data FROM article_versions", nil, func(rows pgx.Rows) error {
		var id string
		var v int
		var data string
		if err := rows.Scan(&id, &v, &data); err != nil {
			return err
		}
		if versions[id] == nil {
			versions[id] = map[int]bool{}
		}
		versions[id][v] = true
		if a, err := decodeArticle(data, id); err != nil {
			c.r.add("article_versions: %s version %d cannot be read: %v", id, v, err)
		} else if a.Version != v {
			c.r.add("article_versions: %s version %d says it is version %d", id, v, a.Version)
		}
		return nil
	}); err != nil {
		return err
	}
	return c.t.each("SELECT id, version, data FROM articles", nil, func(rows pgx.Rows) error {
		var id string
		var v int
		var data string
		if err := rows.Scan(&id, &v, &data); err != nil {
			return err
		}
		a, err := decodeArticle(data, id)
		switch {
		case err != nil:
			c.r.add("articles: %s cannot be read: %v", id, err)
		case a.Version != v:
			c.r.add("articles: %s is filed at version %d but is version %d", id, v, a.Version)
		case !versions[id][v]:
			c.r.add("articles: %s is at version %d, which is missing from article_versions", id, v)
		}
		return nil
	})
}

// runs checks each action run against its columns (the lists by state, ticket and person read them)
// and its ticket.
func (c *checker) runs() error {
	return c.t.each("SELECT seq, state, ticket, for_user, created, data FROM action_runs ORDER BY seq", nil, func(rows pgx.Rows) error {
		var seq, created int64
		var state, ticket, forUser string
		var data []byte
		if err := rows.Scan(&seq, &state, &ticket, &forUser, &created, &data); err != nil {
			return err
		}
		c.highest["action_run_seq"] = seq
		id := bot.RunID(uint64(seq))
		var run bot.ActionRun
		if err := json.Unmarshal(data, &run); err != nil {
			c.r.add("action_runs: %s cannot be read: %v", id, err)
			return nil
		}
		if run.ID != id {
			c.r.add("action_runs: %s is stored with the id %q", id, run.ID)
		}
		if !c.exists(run.Ticket) {
			c.r.add("action_runs: %s is on %s, which does not exist", id, run.Ticket)
		}
		for _, col := range []struct{ name, got, want string }{
			{"state", state, string(run.State)}, {"ticket", ticket, run.Ticket}, {"for_user", forUser, run.For},
		} {
			if col.got != col.want {
				c.r.add("action_runs: %s has %s %q, the run says %q: lists of runs by %s miss it", id, col.name, col.got, col.want, col.name)
			}
		}
		if created != nanos(run.CreatedAt) {
			c.r.add("action_runs: %s has created %d, the run says %d", id, created, nanos(run.CreatedAt))
		}
		return nil
	})
}

// sequences checks each sequence is past every number in use: new records would collide otherwise.
func (c *checker) sequences() error {
	for name, highest := range c.highest {
		var last int64
		var called bool
		if _, err := c.t.scanOne("SELECT last_value, is_called FROM "+name, nil, &last, &called); err != nil {
			return err
		}
		if !called {
			last = 0
		}
		if last < highest {
			c.r.add("%s: the sequence is at %d, below the highest number in use %d: new records would collide with old ones", name, last, highest)
		}
	}
	return nil
}
