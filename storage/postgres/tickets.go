package postgres

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/storage/ticketindex"
)

// ticketSeq parses "T-000123" into 123.
func ticketSeq(id string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimPrefix(id, "T-"), 10, 64)
	if err != nil || !strings.HasPrefix(id, "T-") || n <= 0 {
		return 0, bot.Errorf(bot.ENOTFOUND, "no ticket %q (ticket ids look like T-000123)", id)
	}
	return n, nil
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// ticketText is what a ticket's words are made of: its subject and its transcript's entries.
type ticketText struct {
	subject string
	entries []string
}

func textOf(tk *bot.Ticket) ticketText {
	x := ticketText{subject: tk.Subject, entries: make([]string, len(tk.Transcript))}
	for i, e := range tk.Transcript {
		x.entries[i] = e.Text
	}
	return x
}

func (t *tx) remember(seq int64, tk *bot.Ticket) {
	if t.texts == nil {
		t.texts = map[int64]ticketText{}
	}
	t.texts[seq] = textOf(tk)
}

func (t *tx) RecordDedupKey(key string, at time.Time) (bool, error) {
	tag, err := t.exec("INSERT INTO dedup (key, at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING", []byte(key), at.UnixNano())
	if err != nil {
		return false, fmt.Errorf("record event %q: %w", key, err)
	}
	return tag.RowsAffected() == 0, nil
}

func (t *tx) CreateTicket(tk *bot.Ticket) error {
	seq, err := t.nextval("ticket_seq")
	if err != nil {
		return fmt.Errorf("next ticket id: %w", err)
	}
	tk.ID = bot.TicketID(uint64(seq))
	return t.insertTicket(seq, tk)
}

// ticketColumns are a ticket's columns, in the order ticketArgs gives them.
const ticketColumns = `seq, data, requester, status, tier, priority, assignee, platform, conversation, created, resolved, changed,
	next_check, sla_clock, sla_due, sla_warned, sla_breached, sla_paused, rating`

// ticketArgs are the values of ticketColumns for tk, stored under seq.
func ticketArgs(seq int64, tk *bot.Ticket) ([]any, error) {
	data, err := json.Marshal(tk)
	if err != nil {
		return nil, fmt.Errorf("encode ticket %s: %w", tk.ID, err)
	}
	var resolved int64
	if tk.ResolvedAt != nil && tk.Status == bot.StatusResolved {
		resolved = nanos(*tk.ResolvedAt)
	}
	var next *int64
	if at, ok := tk.NextSLACheck(); ok {
		n := max(at.UnixNano(), 0)
		next = &n
	}
	sla := tk.SLAState()
	var due int64
	if sla.Running() {
		due = nanos(sla.Due)
	}
	rating := 0
	if tk.CSAT != nil {
		rating = tk.CSAT.Score
	}
	return []any{seq, string(data), tk.Requester, string(tk.Status), tk.Tier, tk.Priority, tk.Assignee, tk.Conversation.Platform,
		[]byte(tk.Conversation.Key()), nanos(tk.CreatedAt), resolved, nanos(ticketindex.LastChange(tk)), next,
		sla.Clock, due, sla.Warned, sla.Breached, sla.Paused, rating}, nil
}

func (t *tx) insertTicket(seq int64, tk *bot.Ticket) error {
	args, err := ticketArgs(seq, tk)
	if err != nil {
		return err
	}
	if _, err := t.exec("INSERT INTO tickets ("+ticketColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)", args...); err != nil {
		return fmt.Errorf("store ticket %s: %w", tk.ID, err)
	}
	if err := t.addTerms(seq, ticketindex.Terms(tk)); err != nil {
		return fmt.Errorf("index the words of ticket %s: %w", tk.ID, err)
	}
	t.remember(seq, tk)
	return nil
}

func (t *tx) PutTicket(tk *bot.Ticket) error {
	seq, err := ticketSeq(tk.ID)
	if err != nil {
		return err
	}
	args, err := ticketArgs(seq, tk)
	if err != nil {
		return err
	}
	tag, err := t.exec(`UPDATE tickets SET data = $2, requester = $3, status = $4, tier = $5, priority = $6, assignee = $7,
		platform = $8, conversation = $9, created = $10, resolved = $11, changed = $12, next_check = $13, sla_clock = $14,
		sla_due = $15, sla_warned = $16, sla_breached = $17, sla_paused = $18, rating = $19 WHERE seq = $1`, args...)
	if err != nil {
		return fmt.Errorf("store ticket %s: %w", tk.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return bot.Errorf(bot.ENOTFOUND, "no ticket %s to update", tk.ID)
	}
	if err := t.indexTerms(seq, tk); err != nil {
		return fmt.Errorf("index the words of ticket %s: %w", tk.ID, err)
	}
	t.remember(seq, tk)
	return nil
}

// indexTerms brings the ticket's words in ticket_terms from those it had to tk's. Most writes change no
// word (a claim, an SLA flag) or only add an entry to the transcript: when this transaction read the
// ticket, only the difference is written.
func (t *tx) indexTerms(seq int64, tk *bot.Ticket) error {
	old, ok := t.texts[seq]
	if !ok {
		// Not read here: replace its words wholesale.
		terms := slices.Sorted(mapKeys(ticketindex.Terms(tk)))
		if _, err := t.exec("DELETE FROM ticket_terms WHERE seq = $1 AND NOT term = ANY($2)", seq, terms); err != nil {
			return err
		}
		return t.addTermList(seq, terms)
	}
	if tk.Subject == old.subject && len(tk.Transcript) >= len(old.entries) &&
		slices.EqualFunc(tk.Transcript[:len(old.entries)], old.entries, func(e bot.Entry, s string) bool { return e.Text == s }) {
		if len(tk.Transcript) == len(old.entries) {
			return nil
		}
		add := map[string]bool{}
		for _, e := range tk.Transcript[len(old.entries):] {
			ticketindex.AddTerms(add, e.Text)
		}
		return t.addTerms(seq, add)
	}
	was := map[string]bool{}
	ticketindex.AddTerms(was, old.subject)
	for _, e := range old.entries {
		ticketindex.AddTerms(was, e)
	}
	now := ticketindex.Terms(tk)
	var gone []string
	for term := range was {
		if !now[term] {
			gone = append(gone, term)
		}
	}
	if len(gone) > 0 {
		if _, err := t.exec("DELETE FROM ticket_terms WHERE seq = $1 AND term = ANY($2)", seq, gone); err != nil {
			return err
		}
	}
	for term := range was {
		delete(now, term)
	}
	return t.addTerms(seq, now)
}

func (t *tx) addTerms(seq int64, terms map[string]bool) error {
	return t.addTermList(seq, slices.Sorted(mapKeys(terms)))
}

func (t *tx) addTermList(seq int64, terms []string) error {
	if len(terms) == 0 {
		return nil
	}
	_, err := t.exec("INSERT INTO ticket_terms (term, seq) SELECT unnest($1::text[]), $2 ON CONFLICT DO NOTHING", terms, seq)
	return err
}

func mapKeys(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func (t *tx) Ticket(id string) (*bot.Ticket, error) {
	seq, err := ticketSeq(id)
	if err != nil {
		return nil, err
	}
	return t.ticketBySeq(seq, id)
}

// ticketBySeq reads a ticket; in an Update it locks the ticket's row until the commit, so that two
// transactions that read a ticket to change it (two claims) take turns instead of both doing their work
// for one of them to be failed at the commit.
func (t *tx) ticketBySeq(seq int64, id string) (*bot.Ticket, error) {
	q := "SELECT data FROM tickets WHERE seq = $1"
	if t.write {
		q += " FOR UPDATE"
	}
	var data string
	found, err := t.scanOne(q, []any{seq}, &data)
	if err != nil {
		return nil, fmt.Errorf("read ticket %s: %w", id, err)
	}
	if !found {
		return nil, bot.Errorf(bot.ENOTFOUND, "no ticket %s", id)
	}
	tk := new(bot.Ticket)
	if err := json.Unmarshal([]byte(data), tk); err != nil {
		return nil, fmt.Errorf("decode ticket %s: %w", id, err)
	}
	t.remember(seq, tk)
	return tk, nil
}

func (t *tx) DueTickets(until time.Time, limit int) ([]string, error) {
	var lim *int
	if limit > 0 {
		lim = &limit
	}
	var ids []string
	err := t.each("SELECT seq FROM tickets WHERE next_check IS NOT NULL AND next_check <= $1 ORDER BY next_check, seq LIMIT $2",
		[]any{max(until.UnixNano(), 0), lim}, func(r pgx.Rows) error {
			var seq int64
			if err := r.Scan(&seq); err != nil {
				return err
			}
			ids = append(ids, bot.TicketID(uint64(seq)))
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("read the tickets due: %w", err)
	}
	return ids, nil
}

func (t *tx) LinkConversation(c bot.Conversation, ticketID string) error {
	_, err := t.exec("INSERT INTO conversations (key, ticket) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET ticket = EXCLUDED.ticket",
		[]byte(c.Key()), ticketID)
	if err != nil {
		return fmt.Errorf("link conversation to %s: %w", ticketID, err)
	}
	return nil
}

func (t *tx) TicketByConversation(c bot.Conversation) (*bot.Ticket, error) {
	var id string
	found, err := t.scanOne("SELECT ticket FROM conversations WHERE key = $1", []any{[]byte(c.Key())}, &id)
	if err != nil {
		return nil, fmt.Errorf("read the ticket of a conversation: %w", err)
	}
	if !found {
		return nil, bot.Errorf(bot.ENOTFOUND, "no ticket in this conversation")
	}
	return t.Ticket(id)
}
