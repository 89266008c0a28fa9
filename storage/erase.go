package storage

// Erasing a person: their tickets, their words in other tickets, the outbox, the audit log and articles.
// (Adapters' state: eraseadapters.go; finding them in text: erasetext.go.)

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/redact"
)

// Erasure is what EraseUser changed, or in a dry run would change.
type Erasure struct {
	User string
	// DeletedTickets are the tickets the person requested, deleted with their index entries and links.
	DeletedTickets []string
	// ChangedTickets are other tickets that held their messages, name or id.
	ChangedTickets []string
	// Messages are their transcript entries in other tickets, now "[erased]".
	Messages int
	// Assignments are tickets they were assigned, now assigned to "erased".
	Assignments int
	// Fields are other fields that named them (history, resolved by, ratings, drafts), now "erased".
	Fields int
	// Mentions are places their name, id or words were found in other text and replaced.
	Mentions int
	// AuditEntries, ArticleVersions and AdapterRecords are the records of those kinds rewritten.
	AuditEntries    int
	ArticleVersions int
	AdapterRecords  int
	// WebRecords are their web console sessions and spent sign-in links, deleted.
	WebRecords int
	// Effects are pending outbox effects dropped (theirs) or scrubbed (mentioning them).
	Effects int
	// Links are the conversation and message links to the deleted tickets, removed.
	Links int
	// ActionRuns are the action runs on other tickets that named them, rewritten (the runs on their own
	// tickets are deleted with them).
	ActionRuns int
}

// What erased data is replaced with.
const (
	erasedName = "erased"
	erasedText = "[erased]"
)

var errDryRun = errors.New("dry run")

// EraseUser removes a person's data in one transaction. Erasure is structural: it reaches every text a
// record holds by the records' own structure (redact.Walk: every string field not tagged as an
// identifier, so a field added later is erased too), and knows which records belong to the person's
// tickets by the desk's links, not by what they happen to say.
//
//   - The tickets they requested are deleted, with their index entries, message and conversation links
//     and pending effects; whatever else the desk stored about those tickets is erased whole: the audit
//     entries about them lose their detail, and the adapters' stored messages in their conversations and
//     on their cards (the console's chat: the question, the cards, the summaries, the replies and the
//     relays, whoever wrote them) become "[erased]".
//   - In every other ticket their messages become "[erased]", and their id or name as assignee, in the
//     history, as rater or as a draft's author becomes "erased"; in every text of those tickets (notes,
//     subjects, summaries, the bot's entries, ratings' comments, drafts), of the effects waiting in their
//     lanes and of the adapters' messages on them, their name and id as whole words become "erased" and
//     what they wrote in that ticket, wherever it is quoted (verbatim or as the bot quotes: whitespace run
//     together, cut short with "…"), becomes "[erased]". Only in that ticket: "I restarted, no change." in
//     another ticket is someone else's.
//   - Text tied to no ticket (an audit entry about an article, a post to a DM, a stored message outside any
//     ticket's conversation) is scrubbed of everything they wrote and of their own tickets' subjects and
//     summaries.
//   - Audit entries they made or that name them, and the article versions they wrote, name "erased".
//
// Dedup keys are left: they are opaque event ids that expire within days. With dryRun nothing is
// written. The freed bytes stay in the file until Compact.
func (db *DB) EraseUser(ctx context.Context, user string, dryRun bool) (Erasure, error) {
	platform, id := bot.SplitID(user)
	if platform == "" || strings.TrimSpace(id) == "" {
		return Erasure{}, bot.Errorf(bot.EINVALID, "%q is not platform:id (like \"slack:U0123ABCD\" or \"console:bob\")", user)
	}
	if err := ctx.Err(); err != nil {
		return Erasure{}, err
	}
	var res Erasure
	err := db.update(func(btx *bolt.Tx) error {
		res = Erasure{User: user}
		t := &tx{btx: btx}
		er := newEraser(user)

		// What identifies them: their tickets, the names they went by, what they wrote. A ticket that
		// names them holds their id in its JSON: the others are not decoded.
		var own []*bot.Ticket
		for _, seq := range scanIndex(t.bucket(bucketByRequester), []byte(user)) {
			tk, err := t.ticketBySeq(seq, bot.TicketID(seq))
			if err != nil {
				return err
			}
			own = append(own, tk)
			er.ownTicket(tk)
			res.DeletedTickets = append(res.DeletedTickets, tk.ID)
		}
		quotedID := jsonText(user)
		err := forEachTicket(ctx, btx, func(raw []byte) bool { return bytes.Contains(raw, quotedID) }, func(_ uint64, tk *bot.Ticket, err error) error {
			if err != nil {
				return err
			}
			er.learn(tk)
			return nil
		})
		if err != nil {
			return err
		}
		er.compile()

		// Everyone else's tickets that may hold their id or a name of theirs.
		var changed []*bot.Ticket
		err = forEachTicket(ctx, btx, er.mayName, func(_ uint64, tk *bot.Ticket, err error) error {
			if err != nil {
				return err
			}
			if tk.Requester == user {
				return nil
			}
			if er.ticket(tk, &res) {
				changed = append(changed, tk)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, tk := range changed {
			if err := t.PutTicket(tk); err != nil {
				return err
			}
			res.ChangedTickets = append(res.ChangedTickets, tk.ID)
		}
		// The records outside tickets, while the links still say which ticket each belongs to.
		if err := er.adapters(t, &res); err != nil {
			return err
		}
		if err := er.audit(t, &res); err != nil {
			return err
		}
		if err := er.outbox(t, &res); err != nil {
			return err
		}
		if err := er.articles(t, &res); err != nil {
			return err
		}
		if res.WebRecords, err = t.deleteUserWeb(user); err != nil {
			return err
		}
		if res.ActionRuns, err = t.eraseRuns(user, func(r *bot.ActionRun) { er.scrubAll(r, r.Ticket, &res.Mentions) }); err != nil {
			return err
		}
		for _, tk := range own {
			n, err := t.deleteTicket(tk)
			if err != nil {
				return err
			}
			res.Links += n
		}
		// A conversation's tickets all have one requester (a thread has one ticket, a DM one person, a
		// joined thread its asker's), so the links to theirs have nowhere else to point.
		n, err := t.relinkConversations(own, func(*bot.Ticket) (string, error) { return "", nil })
		if err != nil {
			return err
		}
		res.Links += n
		n, err = deleteStaleLinks(btx, staleLinks(btx))
		if err != nil {
			return err
		}
		res.Links += n
		if dryRun {
			return errDryRun
		}
		return nil
	})
	if err != nil && !errors.Is(err, errDryRun) {
		return Erasure{}, fmt.Errorf("erase %s: %w", user, err)
	}
	return res, nil
}

// eraser finds and replaces one person in text and records.
type eraser struct {
	user, bare string
	names      nameMatcher
	// own are the ids of the tickets they requested: everything about those goes.
	own map[string]bool
	// wrote is what they wrote, by ticket: matched where the same ticket is quoted (a card, a summary, a
	// relay waiting in the outbox). Only in the same ticket: "I restarted, no change." in another ticket
	// is someone else's.
	wrote map[string]*phrases
	// anywhere is everything they wrote and their own tickets' subjects and summaries: matched in text
	// tied to no ticket.
	anywhere phrases
}

func newEraser(user string) *eraser {
	_, bare := bot.SplitID(user)
	e := &eraser{user: user, bare: bare, own: map[string]bool{}, wrote: map[string]*phrases{}}
	e.names.add(user)
	e.names.add(bare)
	return e
}

// ownTicket learns what their own ticket says of them.
func (e *eraser) ownTicket(tk *bot.Ticket) {
	e.own[tk.ID] = true
	e.anywhere.add(tk.Subject)
	if tk.Summary != nil {
		e.anywhere.add(tk.Summary.Text)
	}
	if d := tk.Draft; d != nil {
		e.anywhere.add(d.Title)
		e.anywhere.add(d.Body)
	}
}

// learn takes their names and what they wrote from a ticket that holds their id.
func (e *eraser) learn(tk *bot.Ticket) {
	if tk.Requester == e.user {
		e.names.add(tk.RequesterName)
	}
	if tk.Assignee == e.user {
		e.names.add(tk.AssigneeName)
	}
	for _, en := range tk.Transcript {
		if en.Author == e.user {
			e.names.add(en.Name)
			e.wroteIn(tk.ID, en.Text)
		}
	}
	if r := tk.CSAT; r != nil && r.By == e.user {
		e.wroteIn(tk.ID, r.Comment)
	}
}

func (e *eraser) wroteIn(ticket, s string) {
	p := e.wrote[ticket]
	if p == nil {
		p = &phrases{}
		e.wrote[ticket] = p
	}
	p.add(s)
	e.anywhere.add(s)
}

func (e *eraser) compile() { e.names.compile() }

// mayName reports whether a stored ticket may name them: whether its JSON holds one of their names or
// ids in any case. It may say yes for "bobsled"; the words are decided on later.
func (e *eraser) mayName(raw []byte) bool {
	low := bytes.ToLower(raw)
	for _, n := range e.names.lower {
		if bytes.Contains(low, n) {
			return true
		}
	}
	return false
}

// jsonText is s as it appears inside a JSON string (Go escapes <, > and & among others).
func jsonText(s string) []byte {
	b, _ := json.Marshal(s)
	return b[1 : len(b)-1]
}

// scrub erases them from s, text of the ticket with id ticket ("" for text tied to no ticket): what they
// wrote becomes "[erased]", their names "erased".
func (e *eraser) scrub(s, ticket string) (string, int) {
	if s == "" {
		return s, 0
	}
	n := 0
	quotes := &e.anywhere
	if ticket != "" {
		quotes = e.wrote[ticket]
	}
	if quotes != nil {
		s, n = quotes.erase(s)
	}
	s, c := e.names.erase(s)
	return s, n + c
}

// scrubAll scrubs every text of the record at ptr (see redact.Walk), text of ticket, adding the
// replacements to *n, and reports whether any was made.
func (e *eraser) scrubAll(ptr any, ticket string, n *int) bool {
	return redact.Walk(ptr, func(s string) string {
		s, c := e.scrub(s, ticket)
		*n += c
		return s
	})
}

// ticket erases the person from another person's ticket and reports whether anything changed: the
// fields that hold their id, their messages, then every text of the ticket.
func (e *eraser) ticket(tk *bot.Ticket, res *Erasure) bool {
	changed := false
	field := func(p *string) {
		if *p == e.user {
			*p, changed = erasedName, true
			res.Fields++
		}
	}
	if tk.Assignee == e.user {
		tk.Assignee, tk.AssigneeName, changed = erasedName, erasedName, true
		res.Assignments++
	}
	field(&tk.ResolvedBy)
	for i := range tk.Transcript {
		en := &tk.Transcript[i]
		if en.Author == e.user {
			en.Author, en.Name, en.Text, changed = erasedName, erasedName, erasedText, true
			res.Messages++
		}
	}
	for i := range tk.Transitions {
		field(&tk.Transitions[i].By)
	}
	if r := tk.CSAT; r != nil && r.By == e.user {
		r.By, changed = erasedName, true
		res.Fields++
		if r.Comment != "" {
			r.Comment = erasedText
		}
	}
	if d := tk.Draft; d != nil {
		field(&d.By)
	}
	if e.scrubAll(tk, tk.ID, &res.Mentions) {
		changed = true
	}
	return changed
}

// outbox drops the pending effects of their tickets and the messages to them, and scrubs the others: a
// message not yet posted must not post what was erased.
func (e *eraser) outbox(t *tx, res *Erasure) error {
	n, err := t.deleteEffects(func(eff *bot.Effect) bool {
		return e.own[eff.Ticket] || eff.Post.DM == e.user || eff.Post.To == e.user
	})
	if err != nil {
		return err
	}
	res.Effects += n
	effects, err := t.Effects(0, 0)
	if err != nil {
		return err
	}
	for _, eff := range effects {
		c := 0
		if e.scrubAll(&eff, eff.Ticket, &c) {
			if err := t.PutEffect(eff); err != nil {
				return err
			}
			res.Effects++
			res.Mentions += c
		}
	}
	return nil
}

// audit rewrites the audit entries they made, that name them, or that are about their tickets (whose
// details go whole). The audit log is otherwise never rewritten; erasing a person is the one exception.
func (e *eraser) audit(t *tx, res *Erasure) error {
	type entry struct {
		key []byte
		e   bot.AuditEntry
	}
	var changed []entry
	b := t.bucket(bucketAudit)
	err := b.ForEach(func(k, v []byte) error {
		var a bot.AuditEntry
		if err := decode(v, &a, "audit entry"); err != nil {
			return err
		}
		c := 0
		for _, p := range []*string{&a.Actor, &a.Target} {
			if *p == e.user {
				*p = erasedName
				c++
			}
		}
		switch {
		case e.own[a.Target] && a.Detail != "" && a.Detail != erasedText:
			a.Detail = erasedText
			c++
		case e.own[a.Target]:
		default:
			ticket := ""
			if _, err := ticketSeq(a.Target); err == nil {
				ticket = a.Target
			}
			e.scrubAll(&a, ticket, &c)
		}
		if c > 0 {
			changed = append(changed, entry{bytes.Clone(k), a})
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, c := range changed {
		data, err := json.Marshal(c.e)
		if err != nil {
			return err
		}
		if err := b.Put(c.key, data); err != nil {
			return fmt.Errorf("rewrite audit entry: %w", err)
		}
	}
	res.AuditEntries += len(changed)
	return nil
}

// articles rewrites the author of the article versions they wrote.
func (e *eraser) articles(t *tx, res *Erasure) error {
	for _, name := range [][]byte{bucketArticles, bucketArticleVers} {
		b := t.bucket(name)
		var keys [][]byte
		var values [][]byte
		err := b.ForEach(func(k, v []byte) error {
			var a storedArticle
			if err := decode(v, &a, "article "+string(k)); err != nil {
				return err
			}
			if a.Author != e.user {
				return nil
			}
			a.Author = erasedName
			data, err := json.Marshal(a)
			if err != nil {
				return err
			}
			keys, values = append(keys, bytes.Clone(k)), append(values, data)
			return nil
		})
		if err != nil {
			return err
		}
		for i := range keys {
			if err := b.Put(keys[i], values[i]); err != nil {
				return fmt.Errorf("rewrite article %s: %w", keys[i], err)
			}
		}
		if bytes.Equal(name, bucketArticleVers) {
			res.ArticleVersions += len(keys)
		}
	}
	return nil
}
