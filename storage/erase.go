package storage

// Erasing a person: their tickets, their words in other tickets, the audit log, articles and adapters' state.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"

	"github.com/firstline-desk/firstline/bot"
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
	// Effects are pending outbox effects dropped (theirs) or scrubbed (mentioning them).
	Effects int
	// Links are the conversation and message links to the deleted tickets, removed.
	Links int
}

// What erased data is replaced with.
const (
	erasedName = "erased"
	erasedText = "[erased]"
)

var errDryRun = errors.New("dry run")

// EraseUser removes a person's data in one transaction: the tickets they requested are deleted (with
// index entries, message and conversation links, pending effects); in every other ticket their messages
// become "[erased]", and their id or name as assignee, in the history, as rater, or as a draft's author
// becomes "erased"; their name and id, as whole words, become "erased" wherever they appear in other text
// (transcripts, notes, subjects, ratings' comments, drafts, audit details, pending messages, adapters'
// stored messages), and the words of their messages become "[erased]" where the same ticket quotes them
// (a draft, a reply, a relay not yet posted); an adapter's stored message whose author they are becomes
// "[erased]"; audit entries they made or that name them, and the article versions they wrote, name
// "erased". Dedup keys are left: they are opaque event ids that expire within days. With dryRun nothing
// is written. The freed bytes stay in the file until Compact.
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
			res.DeletedTickets = append(res.DeletedTickets, tk.ID)
		}
		quotedID := jsonText(user)
		err := forEachTicket(ctx, btx, func(raw []byte) bool { return bytes.Contains(raw, quotedID) }, func(_ uint64, tk *bot.Ticket, err error) error {
			if err != nil {
				return err
			}
			if tk.Requester == user {
				er.addName(tk.RequesterName)
			}
			if tk.Assignee == user {
				er.addName(tk.AssigneeName)
			}
			for _, e := range tk.Transcript {
				if e.Author == user {
					er.addName(e.Name)
					er.addMessage(tk.ID, e.Text)
				}
			}
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
		if err := er.outbox(t, res.DeletedTickets, &res); err != nil {
			return err
		}
		if err := er.audit(t, &res); err != nil {
			return err
		}
		if err := er.articles(t, &res); err != nil {
			return err
		}
		if err := er.adapters(t, &res); err != nil {
			return err
		}
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
	names      []string // their id and the names they went by
	// messages are what they wrote, by ticket: matched verbatim where it is quoted in the same ticket (a
	// draft captured from it, a reply quoting it, a relay waiting in the outbox). Only in the same ticket:
	// "I restarted, no change." in another ticket is someone else's.
	messages map[string][]string
	re       *regexp.Regexp
	lower    [][]byte // names, lower case, as they are and as JSON writes them: mayName's needles
}

// Names and messages shorter than these are not searched for in free text: "Al" or "thanks" would erase
// other people's words. Fields that hold their id are replaced whatever its length.
const (
	minNameRunes    = 3
	minMessageRunes = 8
)

func newEraser(user string) *eraser {
	_, bare := bot.SplitID(user)
	e := &eraser{user: user, bare: bare, messages: map[string][]string{}}
	e.addName(user)
	e.addName(bare)
	return e
}

func (e *eraser) addName(s string) {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) >= minNameRunes && !slices.Contains(e.names, s) {
		e.names = append(e.names, s)
	}
}

func (e *eraser) addMessage(ticket, s string) {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) >= minMessageRunes && !slices.Contains(e.messages[ticket], s) {
		e.messages[ticket] = append(e.messages[ticket], s)
	}
}

func (e *eraser) compile() {
	longestFirst := func(a, b string) int { return len(b) - len(a) }
	slices.SortFunc(e.names, longestFirst) // the regexp takes the first alternative that matches
	for _, m := range e.messages {
		slices.SortFunc(m, longestFirst)
	}
	quoted := make([]string, len(e.names))
	for i, n := range e.names {
		quoted[i] = regexp.QuoteMeta(n)
	}
	e.re = regexp.MustCompile(`(?i)` + strings.Join(quoted, "|"))
	for _, n := range e.names {
		low := strings.ToLower(n)
		e.lower = append(e.lower, []byte(low))
		if j := jsonText(low); string(j) != low {
			e.lower = append(e.lower, j)
		}
	}
}

// mayName reports whether a stored ticket may name them: whether its JSON holds one of their names or
// ids in any case. It may say yes for "bobsled"; scrub decides on words.
func (e *eraser) mayName(raw []byte) bool {
	low := bytes.ToLower(raw)
	for _, n := range e.lower {
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

// scrub replaces their messages in ticket with "[erased]" and their names, as whole words, with "erased".
func (e *eraser) scrub(s, ticket string) (string, int) {
	if s == "" {
		return s, 0
	}
	n := 0
	for _, m := range e.messages[ticket] {
		if c := strings.Count(s, m); c > 0 {
			s, n = strings.ReplaceAll(s, m, erasedText), n+c
		}
	}
	var out strings.Builder
	last := 0
	for _, loc := range e.re.FindAllStringIndex(s, -1) {
		before, _ := utf8.DecodeLastRuneInString(s[:loc[0]])
		after, _ := utf8.DecodeRuneInString(s[loc[1]:])
		if isWordRune(before) || isWordRune(after) {
			continue // "bob" in "bobsled"
		}
		out.WriteString(s[last:loc[0]])
		out.WriteString(erasedName)
		last = loc[1]
		n++
	}
	if n == 0 {
		return s, 0
	}
	out.WriteString(s[last:])
	return out.String(), n
}

func isWordRune(r rune) bool {
	return r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_')
}

// text scrubs *p (in ticket, "" for none) and adds the replacements to *n.
func (e *eraser) text(p *string, ticket string, n *int) bool {
	s, c := e.scrub(*p, ticket)
	if c == 0 {
		return false
	}
	*p, *n = s, *n+c
	return true
}

// ticket erases the person from another person's ticket and reports whether anything changed.
func (e *eraser) ticket(tk *bot.Ticket, res *Erasure) bool {
	changed := false
	field := func(p *string) {
		if *p == e.user {
			*p, changed = erasedName, true
			res.Fields++
		}
	}
	text := func(p *string) {
		if e.text(p, tk.ID, &res.Mentions) {
			changed = true
		}
	}
	if tk.Assignee == e.user {
		tk.Assignee, tk.AssigneeName, changed = erasedName, erasedName, true
		res.Assignments++
	}
	field(&tk.ResolvedBy)
	text(&tk.Subject)
	for i := range tk.Transcript {
		en := &tk.Transcript[i]
		if en.Author == e.user {
			en.Author, en.Name, en.Text, changed = erasedName, erasedName, erasedText, true
			res.Messages++
			continue
		}
		text(&en.Text)
	}
	for i := range tk.Events {
		field(&tk.Events[i].By)
		text(&tk.Events[i].Detail)
	}
	for i := range tk.Cards {
		text(&tk.Cards[i].Note)
	}
	if r := tk.CSAT; r != nil {
		if r.By == e.user {
			r.By, changed = erasedName, true
			res.Fields++
			if r.Comment != "" {
				r.Comment = erasedName
			}
		}
		text(&r.Comment)
	}
	if d := tk.Draft; d != nil {
		field(&d.By)
		text(&d.Title)
		text(&d.Body)
	}
	return changed
}

// outbox drops the pending effects of their deleted tickets and the messages to them, and scrubs the
// others: a message not yet posted must not post what was erased.
func (e *eraser) outbox(t *tx, deleted []string, res *Erasure) error {
	n, err := t.deleteEffects(func(eff *bot.Effect) bool {
		return slices.Contains(deleted, eff.Ticket) || eff.Post.DM == e.user
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
		var c int
		e.text(&eff.Post.Text, eff.Ticket, &c)
		e.text(&eff.Post.Title, eff.Ticket, &c)
		for i := range eff.Post.Fields {
			e.text(&eff.Post.Fields[i].Value, eff.Ticket, &c)
		}
		if c > 0 {
			if err := t.PutEffect(eff); err != nil {
				return err
			}
			res.Effects++
			res.Mentions += c
		}
	}
	return nil
}

// audit rewrites the audit entries they made or that name them. The audit log is otherwise never
// rewritten; erasing a person is the one exception.
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
		e.text(&a.Detail, "", &c)
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

// adapters scrubs what the person's platform adapter keeps in the data file (the console keeps its chat
// there). Adapter state is JSON the adapter owns, so this is generic: in an object whose "author" is the
// person, "text" and "title" become "[erased]" and the author "erased"; every other string is scrubbed.
func (e *eraser) adapters(t *tx, res *Erasure) error {
	platform, _ := bot.SplitID(e.user)
	b := t.bucket(bucketAdapters).Bucket([]byte(platform))
	if b == nil {
		return nil
	}
	var keys, values [][]byte
	err := b.ForEach(func(k, v []byte) error {
		if v == nil {
			return nil
		}
		dec := json.NewDecoder(bytes.NewReader(v))
		dec.UseNumber()
		var doc any
		if dec.Decode(&doc) != nil {
			return nil // not JSON: nothing this can read
		}
		c := 0
		doc = e.scrubJSON(doc, &c)
		if c == 0 {
			return nil
		}
		data, err := json.Marshal(doc)
		if err != nil {
			return err
		}
		keys, values = append(keys, bytes.Clone(k)), append(values, data)
		res.Mentions += c
		return nil
	})
	if err != nil {
		return err
	}
	for i := range keys {
		if err := b.Put(keys[i], values[i]); err != nil {
			return fmt.Errorf("rewrite %s state: %w", platform, err)
		}
	}
	res.AdapterRecords += len(keys)
	return nil
}

func (e *eraser) scrubJSON(v any, c *int) any {
	switch v := v.(type) {
	case string:
		e.text(&v, "", c)
		return v
	case []any:
		for i := range v {
			v[i] = e.scrubJSON(v[i], c)
		}
		return v
	case map[string]any:
		if a, ok := v["author"].(string); ok && (a == e.user || a == e.bare) {
			v["author"] = erasedName
			for _, k := range []string{"text", "title"} {
				if _, ok := v[k].(string); ok {
					v[k] = erasedText
				}
			}
			*c++
		}
		for k := range v {
			v[k] = e.scrubJSON(v[k], c)
		}
		return v
	}
	return v
}
