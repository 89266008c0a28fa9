package postgres

// Finding tickets for lists: a TicketFilter as one query over the ticket's columns and ticket_terms,
// ordered and paged by PostgreSQL. The query planner chooses the index (requester, status, assignee,
// tier, priority, platform, opening time, a word); rows are read from the ticket's columns, so a list
// decodes no ticket.

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/storage/ticketindex"
)

// rowColumns are what a TicketRow is read from.
const rowColumns = "seq, status, tier, priority, assignee, requester, platform, created, resolved, sla_clock, sla_due, sla_warned, sla_breached, sla_paused, rating"

// query is a SELECT built up with its arguments.
type query struct {
	where []string
	args  []any
}

func (q *query) arg(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

func (q *query) and(cond string) { q.where = append(q.where, cond) }

// ticketQuery is the query of f's tickets, selecting columns, without its page (offset and limit).
func ticketQuery(f bot.TicketFilter, columns string) (*query, string, bool) {
	q := &query{}
	if len(f.Status) > 0 {
		statuses := make([]string, len(f.Status))
		for i, s := range f.Status {
			statuses[i] = string(s)
		}
		q.and("status = ANY(" + q.arg(statuses) + ")")
	}
	for _, c := range []struct{ column, value string }{
		{"requester", f.Requester}, {"tier", f.Tier}, {"priority", f.Priority}, {"assignee", f.Assignee}, {"platform", f.Platform},
	} {
		if c.value != "" {
			q.and(c.column + " = " + q.arg(c.value))
		}
	}
	if !f.CreatedFrom.IsZero() {
		q.and("created >= " + q.arg(nanos(f.CreatedFrom)))
	}
	if !f.CreatedTo.IsZero() {
		q.and("created < " + q.arg(nanos(f.CreatedTo)))
	}
	text := false
	if f.Text != "" {
		words := ticketindex.QueryWords(f.Text)
		if len(words) > 0 {
			text = true
			var sets []string
			for _, alts := range words {
				sets = append(sets, "SELECT seq FROM ticket_terms WHERE term = ANY("+q.arg(alts)+")")
			}
			q.and("seq IN (" + strings.Join(sets, " INTERSECT ") + ")")
		}
	}
	sql := "SELECT " + columns + " FROM tickets"
	if len(q.where) > 0 {
		sql += " WHERE " + strings.Join(q.where, " AND ")
	}
	switch f.Order {
	case bot.OrderNewest:
		sql += " ORDER BY seq DESC"
	case bot.OrderDue:
		// The tickets with a running clock first, the nearest deadline first; then the others, newest
		// first.
		sql += " ORDER BY (sla_clock <> '') DESC, CASE WHEN sla_clock <> '' THEN sla_due END, CASE WHEN sla_clock <> '' THEN seq END, seq DESC"
	default:
		sql += " ORDER BY seq"
	}
	return q, sql, text
}

// page adds f's offset and limit to sql.
func page(q *query, sql string, f bot.TicketFilter) string {
	if f.Offset > 0 {
		sql += " OFFSET " + q.arg(f.Offset)
	}
	if f.Limit > 0 {
		sql += " LIMIT " + q.arg(f.Limit)
	}
	return sql
}

// visible reports whether f keeps only tickets whose words are in what their requester sees: that is
// read from each ticket, so its page is cut here, not by the query.
func visible(f bot.TicketFilter, text bool) bool { return text && f.Visible }

func (t *tx) FindTickets(f bot.TicketFilter) ([]*bot.Ticket, error) {
	q, sql, text := ticketQuery(f, "seq, data")
	cut := visible(f, text)
	if !cut {
		sql = page(q, sql, f)
	}
	var out []*bot.Ticket
	err := t.each(sql, q.args, func(r pgx.Rows) error {
		var seq int64
		var data string
		if err := r.Scan(&seq, &data); err != nil {
			return err
		}
		tk := new(bot.Ticket)
		if err := json.Unmarshal([]byte(data), tk); err != nil {
			return fmt.Errorf("decode ticket %s: %w", bot.TicketID(uint64(seq)), err)
		}
		if cut && !ticketindex.VisibleMatch(tk, f.Text) {
			return nil
		}
		t.remember(seq, tk)
		out = append(out, tk)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("find tickets: %w", err)
	}
	if cut {
		out = cutPage(out, f)
	}
	return out, nil
}

func (t *tx) TicketRows(f bot.TicketFilter) ([]bot.TicketRow, error) {
	columns := rowColumns
	q, sql, text := ticketQuery(f, columns)
	cut := visible(f, text)
	if cut {
		q, sql, _ = ticketQuery(f, columns+", data")
	} else {
		sql = page(q, sql, f)
	}
	var out []bot.TicketRow
	err := t.each(sql, q.args, func(r pgx.Rows) error {
		var (
			seq                      int64
			row                      bot.TicketRow
			status, clock            string
			created, resolved, due   int64
			warned, breached, paused bool
			rating                   int16
			data                     string
			dest                     = []any{&seq, &status, &row.Tier, &row.Priority, &row.Assignee, &row.Requester, &row.Platform, &created, &resolved, &clock, &due, &warned, &breached, &paused, &rating}
		)
		if cut {
			dest = append(dest, &data)
		}
		if err := r.Scan(dest...); err != nil {
			return err
		}
		if cut {
			tk := new(bot.Ticket)
			if err := json.Unmarshal([]byte(data), tk); err != nil {
				return fmt.Errorf("decode ticket %s: %w", bot.TicketID(uint64(seq)), err)
			}
			if !ticketindex.VisibleMatch(tk, f.Text) {
				return nil
			}
		}
		row.ID, row.Status = bot.TicketID(uint64(seq)), bot.Status(status)
		row.CreatedAt, row.ResolvedAt, row.Rating = fromNanos(created), fromNanos(resolved), int(rating)
		row.SLA = bot.SLAState{Clock: clock, Warned: warned, Breached: breached, Paused: paused}
		if clock != "" {
			row.SLA.Due = fromNanos(due)
		}
		out = append(out, row)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("find tickets: %w", err)
	}
	if cut {
		out = cutPage(out, f)
	}
	return out, nil
}

// cutPage applies f's offset and limit to what was found.
func cutPage[T any](found []T, f bot.TicketFilter) []T {
	if f.Offset >= len(found) {
		return nil
	}
	found = found[max(f.Offset, 0):]
	if f.Limit > 0 && len(found) > f.Limit {
		found = found[:f.Limit]
	}
	return found
}
