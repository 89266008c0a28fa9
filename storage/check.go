package storage

// The consistency check: bbolt's own page check, then the desk's facts (tickets, indexes, links, logs).

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"os"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/storage/ticketindex"
)

// maxProblems bounds the lines of a report: a broken index can make one per ticket.
const maxProblems = 1000

// CheckReport is what a check found: one line per problem, none when the file is sound.
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

// CheckFile checks a data file no process holds: its structure as bbolt reads it (see inspect), bbolt's
// page check and Firstline's own invariants (see checkData), in one read transaction. It opens the file
// read-only and changes nothing. A file bbolt cannot be given (empty, cut short, damaged where bbolt would
// crash, another program's) is an error that says so.
func CheckFile(ctx context.Context, path string, opts Options) (CheckReport, error) {
	b, ins, err := openRaw(path, true, opts.LockTimeout)
	if err != nil {
		return CheckReport{}, err
	}
	defer b.Close()
	var r CheckReport
	for _, w := range ins.warnings {
		r.add("bbolt: %s", w)
	}
	err = guard(path, roleData, func() error {
		return b.View(func(btx *bolt.Tx) error {
			if checkPages(btx, &r) {
				return checkData(ctx, btx, &r)
			}
			return nil
		})
	})
	return r, err
}

// CheckAll checks the open data file while the desk works. The page check runs in a write transaction
// that is rolled back: Tx.Check reads the freelist, which a concurrent writer changes, so in a read
// transaction it races with the desk's commits; the desk's writes wait for it (3 s for a 0.9 GB file of
// 200,000 tickets on a busy 2-core machine). In the same transaction, before it, the file's structure is
// inspected again as on open: bbolt's check would crash the process on a page damaged since (its checker
// runs on a goroutine of its own, where no panic can be recovered), and nothing writes the file meanwhile.
// The invariants are then checked in a read transaction, which blocks nothing.
func (db *DB) CheckAll(ctx context.Context) (CheckReport, error) {
	var r CheckReport
	if err := ctx.Err(); err != nil {
		return r, err
	}
	sound := false
	pages := func(btx *bolt.Tx) error {
		if !db.inspectOpen(&r) {
			return nil
		}
		sound = checkPages(btx, &r)
		return nil
	}
	err := guard(db.path, roleData, func() error {
		if db.bolt.IsReadOnly() {
			return db.bolt.View(pages)
		}
		btx, err := db.bolt.Begin(true)
		if err != nil {
			return err
		}
		defer btx.Rollback()
		return pages(btx)
	})
	if err != nil {
		return r, fmt.Errorf("check pages: %w", err)
	}
	if !sound {
		return r, nil
	}
	err = db.view(func(btx *bolt.Tx) error { return checkData(ctx, btx, &r) })
	return r, err
}

// inspectOpen inspects the open file as inspect does on open, adding what it finds to r, and reports
// whether bbolt's page check may run.
func (db *DB) inspectOpen(r *CheckReport) bool {
	f, err := os.Open(db.path)
	if err != nil {
		r.add("bbolt: the file cannot be read to check it: %v", err)
		return false
	}
	defer f.Close()
	ins, err := inspect(f)
	for _, w := range ins.warnings {
		r.add("bbolt: %s", w)
	}
	if err != nil {
		var fault *fileFault
		if errors.As(err, &fault) {
			err = refusal(db.path, roleData, fault)
		}
		r.add("%s", userText(err))
		return false
	}
	return true
}

// userText is what a user reads of err: a domain error's message, else the error.
func userText(err error) string {
	var be *bot.Error
	if errors.As(err, &be) {
		return be.Message
	}
	return err.Error()
}

// checkPages runs bbolt's page check and reports whether the pages are sound. When they are not, the
// invariants are not walked: reading damaged pages can crash, and the remedy is a backup either way.
func checkPages(btx *bolt.Tx, r *CheckReport) bool {
	sound := true
	for err := range btx.Check() { // drained to the end: Check's goroutine sends until it is done
		r.add("bbolt: %v", err)
		sound = false
	}
	if !sound {
		r.add("bbolt: the file is damaged, so Firstline's own invariants were not checked: restore a backup (firstline restore)")
	}
	return sound
}

// ticketFacts is what the index pass needs to know of a ticket: the hashes of the index keys it must
// have (due: 0 when nothing is due), and the ticket its conversation links to. Hashes keep this a few
// dozen bytes a ticket however long the keys.
type ticketFacts struct {
	requester, status, updated, due, conv uint64
	linked                                uint64
}

var checkedBuckets = [][]byte{bucketMeta, bucketTickets, bucketByConv, bucketByRequester, bucketByStatus, bucketMessages,
	bucketPostRefs, bucketDedup, bucketOutbox, bucketArticles, bucketArticleVers, bucketAdapters, bucketByDue, bucketDueOf, bucketByUpdated,
	bucketRows, bucketByField, bucketByCreated, bucketTerms, bucketBySLA,
	bucketAudit, bucketFeedback}

// checkData checks Firstline's invariants in btx:
//   - the schema version is this build's, and every bucket exists;
//   - every ticket decodes, under the key of its id, below the ticket sequence, with a known status;
//   - every ticket has its entries in tickets_by_requester, tickets_by_status and tickets_by_updated (at
//     its last change), and, when an SLA event is due on it, in tickets_by_due and due_by_ticket;
//   - every ticket's conversation links to it or to another ticket of the same conversation (a DM's
//     newest ticket);
//   - every entry of ticket_messages belongs to a ticket that exists, and its message is linked back to
//     that ticket;
//   - every entry of every index (conversations, messages, requester, status, last change, due) points at
//     a ticket that exists, and the requester, status, last-change and due entries are that ticket's
//     current ones (a conversation may link to a ticket of another: a thread joined to it);
//   - every ticket's row, list entries and words are exactly its own (checklists.go);
//   - outbox effects decode and reference tickets that exist; audit entries, feedback and articles decode,
//     each article's newest version is in article_versions, and no sequence is below its highest key.
func checkData(ctx context.Context, btx *bolt.Tx, r *CheckReport) error {
	v, ok := schemaOf(btx)
	r.Schema = v
	switch {
	case !ok:
		r.add("meta: no schema version: this is not a Firstline data file")
		return nil
	case v < SchemaVersion():
		r.add("meta: schema version %d, older than this Firstline's %d: start Firstline (or run any command that writes) to upgrade the file", v, SchemaVersion())
	case v > SchemaVersion():
		r.add("meta: schema version %d, newer than this Firstline's %d: check it with a newer Firstline", v, SchemaVersion())
	}
	missing := false
	for _, name := range checkedBuckets {
		if btx.Bucket(name) == nil {
			r.add("%s: the bucket is missing", name)
			missing = true
		}
	}
	if missing {
		return nil
	}
	seed := maphash.MakeSeed()
	hash := func(b []byte) uint64 { return maphash.Bytes(seed, b) }
	b := func(name []byte) *bolt.Bucket { return btx.Bucket(name) }
	byReq, byStatus, byUpdated := b(bucketByRequester), b(bucketByStatus), b(bucketByUpdated)
	byDue, dueOf, byConv, msgs := b(bucketByDue), b(bucketDueOf), b(bucketByConv), b(bucketMessages)

	facts := map[uint64]ticketFacts{}
	lists := newListCheck(r, btx)
	var order []uint64
	var highest uint64
	err := forEachTicket(ctx, btx, nil, func(seq uint64, tk *bot.Ticket, decodeErr error) error {
		id := bot.TicketID(seq)
		highest = max(highest, seq)
		if decodeErr != nil {
			r.add("%s: cannot be read: %v", id, decodeErr)
			return nil
		}
		r.Tickets++
		key := u64(seq)
		var f ticketFacts
		if tk.ID != id {
			r.add("%s: stored under its key with the id %q", id, tk.ID)
		}
		if _, err := bot.ParseStatus(string(tk.Status)); err != nil {
			r.add("%s: unknown status %q", id, tk.Status)
		}
		rk := compose([]byte(tk.Requester), key)
		if f.requester = hash(rk); !has(byReq, rk) {
			r.add("%s: missing from tickets_by_requester (requester %s): \"tickets list\" by requester misses it", id, tk.Requester)
		}
		sk := compose([]byte(tk.Status), key)
		if f.status = hash(sk); !has(byStatus, sk) {
			r.add("%s: missing from tickets_by_status (status %s): lists and reports by status miss it", id, tk.Status)
		}
		at := ticketindex.LastChange(tk)
		uk := timeKey(at, key)
		if f.updated = hash(uk); !has(byUpdated, uk) {
			r.add("%s: missing from tickets_by_updated at its last change (%s): reports miss it", id, stamp(at))
		}
		got := dueOf.Get(key)
		if next, ok := tk.NextSLACheck(); ok {
			dk := timeKey(next, key)
			f.due = hash(dk)
			switch {
			case !has(byDue, dk):
				r.add("%s: its next SLA event (%s) has no entry in tickets_by_due: the SLA loop will never act on it", id, stamp(next))
			case !bytes.Equal(got, dk):
				r.add("%s: due_by_ticket does not point at its tickets_by_due entry (%s)", id, stamp(next))
			}
		} else if got != nil {
			r.add("%s: nothing is due on it, yet due_by_ticket has an entry for it", id)
		}
		ck := []byte(tk.Conversation.Key())
		f.conv = hash(ck)
		if v := byConv.Get(ck); v == nil {
			r.add("%s: its conversation (%s) links to no ticket: messages there do not reach it", id, keyName(ck))
		} else if s, err := ticketSeq(string(v)); err == nil {
			f.linked = s
		} // an unreadable link is reported with the index
		lists.ticket(seq, tk)
		facts[seq] = f
		order = append(order, seq)
		return nil
	})
	if err != nil {
		return err
	}
	if seq := b(bucketTickets).Sequence(); seq < highest {
		r.add("tickets: the id sequence is at %d, below the highest ticket %s: new tickets would overwrite old ones", seq, bot.TicketID(highest))
	}
	lists.finish(btx, facts)
	for _, seq := range order {
		f := facts[seq]
		if t, ok := facts[f.linked]; ok && t.conv != f.conv {
			r.add("%s: its conversation links to %s, a ticket in another conversation", bot.TicketID(seq), bot.TicketID(f.linked))
		}
	}

	// The indexes, from their side: every entry must belong to a ticket that exists and be its entry now.
	if err := ctx.Err(); err != nil {
		return err
	}
	gone := func(index string, seq uint64, where string) {
		r.add("%s: %s points at %s, which does not exist", index, where, bot.TicketID(seq))
	}
	byConv.ForEach(func(k, v []byte) error {
		seq, err := ticketSeq(string(v))
		if err != nil {
			r.add("tickets_by_conversation: conversation %s links to %q, not a ticket id", keyName(k), v)
			return nil
		}
		// A link to a ticket of another conversation is no error: a person's quick second question in
		// a new thread is joined to their ticket of a moment ago, and its thread linked there.
		if _, ok := facts[seq]; !ok {
			gone("tickets_by_conversation", seq, "conversation "+keyName(k))
		}
		return nil
	})
	b(bucketPostRefs).ForEach(func(k, v []byte) error {
		if len(k) <= 8 {
			r.add("ticket_messages: key %s is not a ticket and a message key", keyName(k))
			return nil
		}
		seq, name := binary.BigEndian.Uint64(k[:8]), string(k[8:])
		id := bot.TicketID(seq)
		if _, ok := facts[seq]; !ok {
			r.add("ticket_messages: message %s points at %s, which does not exist", name, id)
			return nil
		}
		var ref bot.MessageRef
		if err := json.Unmarshal(v, &ref); err != nil {
			r.add("%s: where its message %s went cannot be read: %v", id, name, err)
			return nil
		}
		lv := msgs.Get([]byte(ref.Key()))
		if lv == nil {
			r.add("%s: its message %s (%s) is not in messages: clicks and replies on it reach no ticket", id, name, keyName([]byte(ref.Key())))
			return nil
		}
		var link bot.MessageLink
		if err := json.Unmarshal(lv, &link); err == nil && link.Ticket != id {
			r.add("%s: its message %s (%s) is linked to %s", id, name, keyName([]byte(ref.Key())), link.Ticket)
		}
		return nil
	})
	msgs.ForEach(func(k, v []byte) error {
		var link bot.MessageLink
		if err := json.Unmarshal(v, &link); err != nil {
			r.add("messages: the link of message %s cannot be read: %v", keyName(k), err)
			return nil
		}
		seq, err := ticketSeq(link.Ticket)
		if _, ok := facts[seq]; err != nil || !ok {
			r.add("messages: message %s (%s) points at %s, which does not exist", keyName(k), link.Key, link.Ticket)
		}
		return nil
	})
	for _, ix := range []struct {
		name string
		b    *bolt.Bucket
		of   func(ticketFacts) uint64
		what string
	}{
		{"tickets_by_requester", byReq, func(f ticketFacts) uint64 { return f.requester }, "requester"},
		{"tickets_by_status", byStatus, func(f ticketFacts) uint64 { return f.status }, "status"},
	} {
		ix.b.ForEach(func(k, _ []byte) error {
			if len(k) < 9 || k[len(k)-9] != 0 {
				r.add("%s: malformed key %q", ix.name, k)
				return nil
			}
			seq, value := binary.BigEndian.Uint64(k[len(k)-8:]), k[:len(k)-9]
			if f, ok := facts[seq]; !ok {
				gone(ix.name, seq, fmt.Sprintf("the entry under %s %q", ix.what, value))
			} else if ix.of(f) != hash(k) {
				r.add("%s: %s is listed under %s %q, which is not its %s", ix.name, bot.TicketID(seq), ix.what, value, ix.what)
			}
			return nil
		})
	}
	byUpdated.ForEach(func(k, _ []byte) error {
		if len(k) != 16 {
			r.add("tickets_by_updated: malformed key %x", k)
			return nil
		}
		seq := binary.BigEndian.Uint64(k[8:])
		if f, ok := facts[seq]; !ok {
			gone("tickets_by_updated", seq, "the entry at "+stamp(keyTime(k)))
		} else if f.updated != hash(k) {
			r.add("tickets_by_updated: %s is listed at %s, not at its last change", bot.TicketID(seq), stamp(keyTime(k)))
		}
		return nil
	})
	byDue.ForEach(func(k, _ []byte) error {
		if len(k) != 16 {
			r.add("tickets_by_due: malformed key %x", k)
			return nil
		}
		seq := binary.BigEndian.Uint64(k[8:])
		if f, ok := facts[seq]; !ok {
			gone("tickets_by_due", seq, "the entry due at "+stamp(keyTime(k)))
		} else if f.due != hash(k) {
			r.add("tickets_by_due: %s is listed as due at %s, which is not its next SLA event", bot.TicketID(seq), stamp(keyTime(k)))
		}
		return nil
	})
	dueOf.ForEach(func(k, _ []byte) error {
		if len(k) != 8 {
			r.add("due_by_ticket: malformed key %x", k)
			return nil
		}
		// An existing ticket's entry was compared with what is due on it in the ticket pass.
		if seq := binary.BigEndian.Uint64(k); facts[seq] == (ticketFacts{}) {
			gone("due_by_ticket", seq, "an entry")
		}
		return nil
	})
	checkLog(r, b(bucketOutbox), "outbox", func(k, v []byte) {
		var e bot.Effect
		if err := json.Unmarshal(v, &e); err != nil {
			r.add("outbox: effect %d cannot be read: %v", binary.BigEndian.Uint64(k), err)
			return
		}
		if e.Seq != binary.BigEndian.Uint64(k) {
			r.add("outbox: the effect under key %d says it is %d", binary.BigEndian.Uint64(k), e.Seq)
		}
		if e.Ticket != "" {
			seq, err := ticketSeq(e.Ticket)
			if _, ok := facts[seq]; err != nil || !ok {
				r.add("outbox: effect %d (%s on %s) is for %s, which does not exist", e.Seq, e.Kind, e.Platform, e.Ticket)
			}
		}
	})
	checkLog(r, b(bucketAudit), "audit", func(k, v []byte) {
		var e bot.AuditEntry
		if err := json.Unmarshal(v, &e); err != nil {
			r.add("audit: entry %d cannot be read: %v", binary.BigEndian.Uint64(k), err)
		}
	})
	b(bucketFeedback).ForEach(func(k, v []byte) error {
		var f bot.ArticleFeedback
		if err := json.Unmarshal(v, &f); err != nil {
			r.add("article_feedback: the counts of %s cannot be read: %v", k, err)
		}
		return nil
	})
	checkRuns(r, btx, func(id string) bool {
		seq, err := ticketSeq(id)
		_, ok := facts[seq]
		return err == nil && ok
	})
	versions := b(bucketArticleVers)
	b(bucketArticles).ForEach(func(k, v []byte) error {
		var a storedArticle
		if err := json.Unmarshal(v, &a); err != nil {
			r.add("articles: %s cannot be read: %v", k, err)
			return nil
		}
		if !has(versions, compose(k, u64(uint64(a.Version)))) {
			r.add("articles: %s is at version %d, which is missing from article_versions", k, a.Version)
		}
		return nil
	})
	return nil
}

// checkLog checks a log bucket keyed by its sequence (outbox, audit): each entry, and a sequence at or
// above the highest key, so no new entry overwrites one.
func checkLog(r *CheckReport, b *bolt.Bucket, name string, each func(k, v []byte)) {
	var highest uint64
	b.ForEach(func(k, v []byte) error {
		if len(k) != 8 {
			r.add("%s: malformed key %x", name, k)
			return nil
		}
		highest = max(highest, binary.BigEndian.Uint64(k))
		each(k, v)
		return nil
	})
	if b.Sequence() < highest {
		r.add("%s: the sequence is at %d, below the highest entry %d: new entries would overwrite old ones", name, b.Sequence(), highest)
	}
}

// forEachTicket decodes every ticket in key order, a chunk at a time on every core, inside btx; with want,
// only the tickets whose stored JSON it accepts (a cheap look at the bytes spares decoding the rest). fn
// gets the decoding error of a ticket that cannot be read instead of the ticket.
func forEachTicket(ctx context.Context, btx *bolt.Tx, want func(raw []byte) bool, fn func(seq uint64, tk *bot.Ticket, err error) error) error {
	const chunk = 4096
	c := btx.Bucket(bucketTickets).Cursor()
	k, v := c.First()
	for k != nil {
		if err := ctx.Err(); err != nil {
			return err
		}
		raw, seqs := make([][]byte, 0, chunk), make([]uint64, 0, chunk)
		for ; k != nil && len(raw) < chunk; k, v = c.Next() {
			if len(k) != 8 || v == nil || (want != nil && !want(v)) {
				continue
			}
			raw, seqs = append(raw, v), append(seqs, binary.BigEndian.Uint64(k))
		}
		tickets, err := decodeTickets(raw, seqs)
		for i, seq := range seqs {
			var derr error
			if err != nil { // find which: decodeTickets stops a worker at its first failure
				tk := new(bot.Ticket)
				if derr = decode(raw[i], tk, "ticket"); derr == nil {
					tickets[i] = tk
				}
			}
			if err := fn(seq, tickets[i], derr); err != nil {
				return err
			}
		}
	}
	return nil
}

// has reports whether b holds key; Get cannot tell a missing key from an empty value.
func has(b *bolt.Bucket, key []byte) bool {
	k, _ := b.Cursor().Seek(key)
	return k != nil && bytes.Equal(k, key)
}

func keyTime(k []byte) time.Time { return time.Unix(0, int64(binary.BigEndian.Uint64(k[:8]))) }

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

// keyName prints a conversation or message key ("platform\x1fchannel\x1fid") as platform/channel/id.
func keyName(k []byte) string { return strings.ReplaceAll(string(k), "\x1f", "/") }
