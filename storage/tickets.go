package storage

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/storage/ticketindex"
)

// tx implements bot.Tx over one bbolt transaction.
type tx struct {
	btx *bolt.Tx
	// counts are the DB's (nil in migrations): the tickets this transaction decodes are counted there.
	counts *counters
	// indexed is what the index entries of the tickets this transaction read or wrote are made of, by
	// sequence: PutTicket moves a ticket's entries from it without decoding the stored ticket again.
	indexed map[uint64]indexKeys
}

// indexKeys are what a stored ticket's index entries are made of: the requester, status and
// last-change indexes, its row (tickets_by_field, tickets_by_created) and its text (the word index).
type indexKeys struct {
	requester string
	status    bot.Status
	changed   time.Time
	row       row
	text      ticketText
}

func keysOf(tk *bot.Ticket) indexKeys {
	return indexKeys{requester: tk.Requester, status: tk.Status, changed: ticketindex.LastChange(tk), row: rowOf(tk), text: textOf(tk)}
}

// remember notes what a ticket's index entries are made of as it is stored now.
func (t *tx) remember(seq uint64, tk *bot.Ticket) {
	if t.indexed == nil {
		t.indexed = map[uint64]indexKeys{}
	}
	t.indexed[seq] = keysOf(tk)
}

var _ bot.Tx = (*tx)(nil)

func (t *tx) bucket(name []byte) *bolt.Bucket { return t.btx.Bucket(name) }

func (t *tx) RecordDedupKey(key string, at time.Time) (bool, error) {
	b := t.bucket(bucketDedup)
	if b.Get([]byte(key)) != nil {
		return true, nil
	}
	if err := b.Put([]byte(key), u64(uint64(at.UnixNano()))); err != nil {
		return false, fmt.Errorf("record event %q: %w", key, err)
	}
	return false, nil
}

// ticketSeq parses "T-000123" into 123.
func ticketSeq(id string) (uint64, error) {
	n, err := strconv.ParseUint(strings.TrimPrefix(id, "T-"), 10, 64)
	if err != nil || !strings.HasPrefix(id, "T-") || n == 0 {
		return 0, bot.Errorf(bot.ENOTFOUND, "no ticket %q (ticket ids look like T-000123)", id)
	}
	return n, nil
}

func (t *tx) CreateTicket(tk *bot.Ticket) error {
	seq, err := t.bucket(bucketTickets).NextSequence()
	if err != nil {
		return fmt.Errorf("next ticket id: %w", err)
	}
	tk.ID = bot.TicketID(seq)
	return t.putTicket(tk, nil)
}

func (t *tx) PutTicket(tk *bot.Ticket) error {
	seq, err := ticketSeq(tk.ID)
	if err != nil {
		return err
	}
	v := t.bucket(bucketTickets).Get(u64(seq))
	if v == nil {
		return bot.Errorf(bot.ENOTFOUND, "no ticket %s to update", tk.ID)
	}
	old, ok := t.indexed[seq]
	if !ok {
		// Not read in this transaction: the stored ticket says where its index entries are.
		stored := new(bot.Ticket)
		t.decodedTickets(1)
		if err := decode(v, stored, "ticket "+tk.ID); err != nil {
			return err
		}
		old = keysOf(stored)
	}
	return t.putTicket(tk, &old)
}

// putTicket writes the ticket and moves its index entries from old's values (nil: a new ticket) to tk's.
func (t *tx) putTicket(tk *bot.Ticket, old *indexKeys) error {
	seq, err := ticketSeq(tk.ID)
	if err != nil {
		return err
	}
	key := u64(seq)
	data, err := json.Marshal(tk)
	if err != nil {
		return fmt.Errorf("encode ticket %s: %w", tk.ID, err)
	}
	if err := t.bucket(bucketTickets).Put(key, data); err != nil {
		return fmt.Errorf("store ticket %s: %w", tk.ID, err)
	}
	byReq, byStatus := t.bucket(bucketByRequester), t.bucket(bucketByStatus)
	if old != nil {
		if err := byReq.Delete(compose([]byte(old.requester), key)); err != nil {
			return err
		}
		if err := byStatus.Delete(compose([]byte(old.status), key)); err != nil {
			return err
		}
	}
	if err := byReq.Put(compose([]byte(tk.Requester), key), nil); err != nil {
		return fmt.Errorf("index ticket %s by requester: %w", tk.ID, err)
	}
	if err := byStatus.Put(compose([]byte(tk.Status), key), nil); err != nil {
		return fmt.Errorf("index ticket %s by status: %w", tk.ID, err)
	}
	now := keysOf(tk)
	var was *time.Time
	if old != nil {
		was = &old.changed
	}
	if err := t.indexUpdated(tk.ID, now.changed, was, key); err != nil {
		return err
	}
	var oldRow *row
	var oldText *ticketText
	if old != nil {
		oldRow, oldText = &old.row, &old.text
	}
	if err := t.indexRow(tk, oldRow, key); err != nil {
		return err
	}
	if err := t.indexTerms(tk, oldText, seq); err != nil {
		return err
	}
	if err := t.indexDue(tk, key); err != nil {
		return err
	}
	t.remember(seq, tk)
	return nil
}

// timeKey is an index key that sorts by time, then by ticket.
func timeKey(at time.Time, seq []byte) []byte {
	k := make([]byte, 0, 16)
	k = append(k, u64(uint64(max(at.UnixNano(), 0)))...)
	return append(k, seq...)
}

// indexUpdated moves the ticket's entry in the last-change index from was (nil: none yet) to at.
func (t *tx) indexUpdated(id string, at time.Time, was *time.Time, seq []byte) error {
	b := t.bucket(bucketByUpdated)
	if was != nil {
		if was.Equal(at) {
			return nil
		}
		if err := b.Delete(timeKey(*was, seq)); err != nil {
			return err
		}
	}
	if err := b.Put(timeKey(at, seq), nil); err != nil {
		return fmt.Errorf("index ticket %s by last change: %w", id, err)
	}
	return nil
}

// indexDue moves the ticket's entry in the SLA index to its next SLA event, or removes it.
func (t *tx) indexDue(tk *bot.Ticket, seq []byte) error {
	byDue, dueOf := t.bucket(bucketByDue), t.bucket(bucketDueOf)
	if old := dueOf.Get(seq); old != nil {
		if err := byDue.Delete(old); err != nil {
			return err
		}
	}
	next, ok := tk.NextSLACheck()
	if !ok { // NextSLACheck knows what a resolved ticket may still have due (a rating reminder)
		return dueOf.Delete(seq)
	}
	k := timeKey(next, seq)
	if err := byDue.Put(k, nil); err != nil {
		return fmt.Errorf("index ticket %s by SLA due: %w", tk.ID, err)
	}
	return dueOf.Put(seq, k)
}

func (t *tx) DueTickets(until time.Time, limit int) ([]string, error) {
	var ids []string
	bound := u64(uint64(max(until.UnixNano(), 0)))
	c := t.bucket(bucketByDue).Cursor()
	for k, _ := c.First(); k != nil && len(k) == 16 && string(k[:8]) <= string(bound); k, _ = c.Next() {
		ids = append(ids, bot.TicketID(binary.BigEndian.Uint64(k[8:])))
		if limit > 0 && len(ids) >= limit {
			break
		}
	}
	return ids, nil
}

func (t *tx) Ticket(id string) (*bot.Ticket, error) {
	seq, err := ticketSeq(id)
	if err != nil {
		return nil, err
	}
	return t.ticketBySeq(seq, id)
}

func (t *tx) ticketBySeq(seq uint64, id string) (*bot.Ticket, error) {
	v := t.bucket(bucketTickets).Get(u64(seq))
	if v == nil {
		return nil, bot.Errorf(bot.ENOTFOUND, "no ticket %s", id)
	}
	tk := new(bot.Ticket)
	t.decodedTickets(1)
	if err := decode(v, tk, "ticket "+id); err != nil {
		return nil, err
	}
	t.remember(seq, tk)
	return tk, nil
}

// TicketsActiveOrUpdatedSince returns every ticket that changed at or after since and every ticket still
// active, each once, oldest first: exactly the tickets a report on a window starting at since can count.
// Anything that happens to a ticket in the window (opened, answered, escalated, claimed, resolved, rated,
// a deadline announced) is a change at or after since; what happened before since is counted only for
// the backlog, and a ticket that was active at the window's end either still is or changed when it was
// resolved. Both sets come from indexes (last change, status), so the cost is the tickets returned, not
// the tickets in the file.
func (db *DB) TicketsActiveOrUpdatedSince(ctx context.Context, since time.Time) ([]*bot.Ticket, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []*bot.Ticket
	err := db.view(func(btx *bolt.Tx) error {
		var seqs []uint64
		c := btx.Bucket(bucketByUpdated).Cursor()
		for k, _ := c.Seek(u64(uint64(max(since.UnixNano(), 0)))); k != nil; k, _ = c.Next() {
			if len(k) == 16 {
				seqs = append(seqs, binary.BigEndian.Uint64(k[8:]))
			}
		}
		// The status index sorts by status: skip each inactive status's whole range (the resolved
		// tickets, most of the file) with one seek instead of stepping through it.
		c = btx.Bucket(bucketByStatus).Cursor()
		for k, _ := c.First(); k != nil; {
			i := bytes.IndexByte(k, 0)
			if i < 0 || len(k)-i-1 != 8 {
				k, _ = c.Next()
				continue
			}
			if status := bot.Status(k[:i]); !status.Active() {
				k, _ = c.Seek(append([]byte(status), 1))
				continue
			}
			seqs = append(seqs, binary.BigEndian.Uint64(k[i+1:]))
			k, _ = c.Next()
		}
		slices.Sort(seqs)
		seqs = slices.Compact(seqs)
		raw := make([][]byte, len(seqs))
		b := btx.Bucket(bucketTickets)
		for i, seq := range seqs {
			if raw[i] = b.Get(u64(seq)); raw[i] == nil {
				return bot.Errorf(bot.ENOTFOUND, "no ticket %s", bot.TicketID(seq))
			}
		}
		var err error
		db.counts.ticketDecodes.Add(uint64(len(raw)))
		out, err = decodeTickets(raw, seqs)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read the tickets active or changed since %s: %w", since.Format(time.DateOnly), err)
	}
	return out, nil
}

// decodeTickets decodes stored tickets on every core, inside the transaction that owns raw. Decoding JSON,
// not finding the tickets, is what a large read costs: a report on a million-ticket desk reads about a
// hundred thousand of them (its backlog and its window), some 40 µs each on one core.
func decodeTickets(raw [][]byte, seqs []uint64) ([]*bot.Ticket, error) {
	out := make([]*bot.Ticket, len(raw))
	workers := max(min(runtime.GOMAXPROCS(0), len(raw)/500), 1) // below 500 tickets, one is as quick
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(raw); i += workers {
				tk := new(bot.Ticket)
				if err := decode(raw[i], tk, "ticket "+bot.TicketID(seqs[i])); err != nil {
					errs[w] = err
					return
				}
				out[i] = tk
			}
		})
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// scanIndex returns the sequences under prefix \x00 in an index bucket, in key order.
func scanIndex(b *bolt.Bucket, prefix []byte) []uint64 {
	p := append(append([]byte{}, prefix...), 0)
	var seqs []uint64
	c := b.Cursor()
	for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
		if rest := k[len(p):]; len(rest) == 8 {
			seqs = append(seqs, binary.BigEndian.Uint64(rest))
		}
	}
	return seqs
}

func (t *tx) LinkConversation(c bot.Conversation, ticketID string) error {
	if err := t.bucket(bucketByConv).Put([]byte(c.Key()), []byte(ticketID)); err != nil {
		return fmt.Errorf("link conversation to %s: %w", ticketID, err)
	}
	return nil
}

func (t *tx) TicketByConversation(c bot.Conversation) (*bot.Ticket, error) {
	v := t.bucket(bucketByConv).Get([]byte(c.Key()))
	if v == nil {
		return nil, bot.Errorf(bot.ENOTFOUND, "no ticket in this conversation")
	}
	return t.Ticket(string(v))
}

func (t *tx) Enqueue(e *bot.Effect) error {
	b := t.bucket(bucketOutbox)
	seq, err := b.NextSequence()
	if err != nil {
		return fmt.Errorf("next outbox sequence: %w", err)
	}
	e.Seq = seq
	return t.PutEffect(*e)
}

func (t *tx) Effects(after uint64, limit int) ([]bot.Effect, error) {
	var out []bot.Effect
	c := t.bucket(bucketOutbox).Cursor()
	for k, v := c.Seek(u64(after + 1)); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Next() {
		var e bot.Effect
		if err := decode(v, &e, "outbox effect"); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func (t *tx) PutEffect(e bot.Effect) error {
	data, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode effect: %w", err)
	}
	if err := t.bucket(bucketOutbox).Put(u64(e.Seq), data); err != nil {
		return fmt.Errorf("store effect %d: %w", e.Seq, err)
	}
	return nil
}

func (t *tx) DeleteEffect(seq uint64) error {
	if err := t.bucket(bucketOutbox).Delete(u64(seq)); err != nil {
		return fmt.Errorf("delete effect %d: %w", seq, err)
	}
	return nil
}
