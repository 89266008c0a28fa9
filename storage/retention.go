package storage

// Deleting tickets: the retention purge, and the link and outbox clean-up that erasure shares.

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/storage/ticketindex"
)

// deleteTicket removes a ticket with its entries in every index, where its messages went
// (ticket_messages) and their links, and returns how many links it removed. Its own conversation's link is relinkConversations'
// work; other links to it (a message it no longer records, like a rating question asked again; a thread
// joined to it) are found by staleLinks; its effects are the caller's.
func (t *tx) deleteTicket(tk *bot.Ticket) (links int, err error) {
	seq, err := ticketSeq(tk.ID)
	if err != nil {
		return 0, err
	}
	key := u64(seq)
	for _, e := range []struct {
		bucket []byte
		key    []byte
	}{
		{bucketByRequester, compose([]byte(tk.Requester), key)},
		{bucketByStatus, compose([]byte(tk.Status), key)},
		{bucketByUpdated, timeKey(ticketindex.LastChange(tk), key)},
	} {
		if err := t.bucket(e.bucket).Delete(e.key); err != nil {
			return 0, fmt.Errorf("delete ticket %s from %s: %w", tk.ID, e.bucket, err)
		}
	}
	if err := t.unindexRow(tk, key); err != nil {
		return 0, err
	}
	if err := t.unindexTerms(tk, seq); err != nil {
		return 0, err
	}
	dueOf := t.bucket(bucketDueOf)
	if old := dueOf.Get(key); old != nil {
		if err := t.bucket(bucketByDue).Delete(old); err != nil {
			return 0, fmt.Errorf("delete ticket %s from %s: %w", tk.ID, bucketByDue, err)
		}
	}
	if err := dueOf.Delete(key); err != nil {
		return 0, fmt.Errorf("delete ticket %s from %s: %w", tk.ID, bucketDueOf, err)
	}
	links, err = t.deletePostRefs(tk.ID, seq)
	if err != nil {
		return 0, err
	}
	if err := t.deleteTicketRuns(tk.ID); err != nil {
		return 0, err
	}
	if err := t.bucket(bucketTickets).Delete(key); err != nil {
		return 0, fmt.Errorf("delete ticket %s: %w", tk.ID, err)
	}
	return links, nil
}

// relinkConversations points the conversation of each deleted ticket that linked to it at next(ticket),
// the newest remaining ticket of that conversation (a DM holds one ticket after another), or removes the
// link when next returns "". It returns how many links it removed.
func (t *tx) relinkConversations(deleted []*bot.Ticket, next func(*bot.Ticket) (string, error)) (removed int, err error) {
	b := t.bucket(bucketByConv)
	for _, tk := range deleted {
		ck := []byte(tk.Conversation.Key())
		if string(b.Get(ck)) != tk.ID {
			continue
		}
		id, err := next(tk)
		if err != nil {
			return removed, err
		}
		if id == "" {
			err = b.Delete(ck)
			removed++
		} else {
			err = b.Put(ck, []byte(id))
		}
		if err != nil {
			return removed, fmt.Errorf("relink the conversation of %s: %w", tk.ID, err)
		}
	}
	return removed, nil
}

// newestOfRequester finds the newest remaining ticket of tk's requester in tk's conversation. Only a DM
// holds several tickets (a thread's ticket is found by its link, so a second is never opened there), and
// a DM has one requester; for a thread there is nothing to look for.
func (t *tx) newestOfRequester(tk *bot.Ticket) (string, error) {
	if !tk.Conversation.DM {
		return "", nil
	}
	seqs := scanIndex(t.bucket(bucketByRequester), []byte(tk.Requester))
	key := tk.Conversation.Key()
	for _, seq := range slices.Backward(seqs) {
		other, err := t.ticketBySeq(seq, bot.TicketID(seq))
		if err != nil {
			return "", err
		}
		if other.Conversation.Key() == key {
			return other.ID, nil
		}
	}
	return "", nil
}

// A link is an entry that points at a ticket: a conversation's (its value is the ticket id) or a posted
// message's (a MessageLink).
type link struct {
	bucket, key []byte
}

// linkedTicket returns the sequence of the ticket a link's value points at.
func linkedTicket(bucket, v []byte) (uint64, bool) {
	id := string(v)
	if bytes.Equal(bucket, bucketMessages) {
		var l bot.MessageLink
		if json.Unmarshal(v, &l) != nil {
			return 0, false // not ours to judge: check reports it
		}
		id = l.Ticket
	}
	seq, err := ticketSeq(id)
	return seq, err == nil
}

// staleLinks returns the links whose ticket no longer exists. Nothing indexes links by ticket, so this
// reads every link once: a few per ticket, no ticket decoded.
func staleLinks(btx *bolt.Tx) []link {
	var stale []link
	tickets := btx.Bucket(bucketTickets)
	for _, name := range [][]byte{bucketByConv, bucketMessages} {
		btx.Bucket(name).ForEach(func(k, v []byte) error {
			if seq, ok := linkedTicket(name, v); ok && tickets.Get(u64(seq)) == nil {
				stale = append(stale, link{bucket: name, key: bytes.Clone(k)})
			}
			return nil
		})
	}
	return stale
}

// deleteStaleLinks deletes those of links that are still stale in btx and returns how many it deleted.
func deleteStaleLinks(btx *bolt.Tx, links []link) (int, error) {
	n := 0
	tickets := btx.Bucket(bucketTickets)
	for _, l := range links {
		b := btx.Bucket(l.bucket)
		v := b.Get(l.key)
		if v == nil {
			continue
		}
		if seq, ok := linkedTicket(l.bucket, v); ok && tickets.Get(u64(seq)) == nil {
			if err := b.Delete(l.key); err != nil {
				return n, fmt.Errorf("delete a stale link from %s: %w", l.bucket, err)
			}
			n++
		}
	}
	return n, nil
}

// deleteEffects drops the pending effects for which drop is true.
func (t *tx) deleteEffects(drop func(*bot.Effect) bool) (int, error) {
	var seqs []uint64
	err := t.bucket(bucketOutbox).ForEach(func(k, v []byte) error {
		var e bot.Effect
		if err := decode(v, &e, "outbox effect"); err != nil {
			return err
		}
		if drop(&e) {
			seqs = append(seqs, e.Seq)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, seq := range seqs {
		if err := t.DeleteEffect(seq); err != nil {
			return 0, err
		}
	}
	return len(seqs), nil
}

// Purge is what PurgeResolved removed.
type Purge struct {
	Tickets int
	// Links are the conversation and message links to the deleted tickets.
	Links   int
	Effects int
}

// purgeScanFactor bounds the index entries one purge transaction reads to this many times its batch, so
// old tickets that stay (active ones nobody touched for months) cannot make a transaction long either.
const purgeScanFactor = 8

// PurgeResolved deletes the tickets resolved before cutoff, with every index entry, message link,
// conversation link and pending effect of theirs, in transactions of at most batch tickets so the desk's
// own writes wait for one batch at most. Candidates come from the last-change index, so a ticket that
// changed after cutoff (rated, commented on) is kept until its last change is older too; audit entries
// and articles' feedback counts are kept. It returns what it removed, also when ctx ends it early.
func (db *DB) PurgeResolved(ctx context.Context, cutoff time.Time, batch int) (Purge, error) {
	if batch <= 0 {
		batch = 500
	}
	var res Purge
	bound := u64(uint64(max(cutoff.UnixNano(), 0)))
	var from []byte // where the next batch resumes in tickets_by_updated
	for done := false; !done; {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		err := db.update(func(btx *bolt.Tx) error {
			t := &tx{btx: btx}
			var purge []*bot.Ticket
			c := btx.Bucket(bucketByUpdated).Cursor()
			k, _ := c.First()
			if from != nil {
				k, _ = c.Seek(from)
			}
			for scanned := 0; ; k, _ = c.Next() {
				if k == nil || string(k[:min(len(k), 8)]) >= string(bound) {
					done = true
					break
				}
				if len(purge) == batch || scanned == batch*purgeScanFactor {
					from = bytes.Clone(k)
					break
				}
				scanned++
				if len(k) != 16 {
					continue
				}
				tk, err := t.ticketBySeq(binary.BigEndian.Uint64(k[8:]), bot.TicketID(binary.BigEndian.Uint64(k[8:])))
				if bot.IsNotFound(err) {
					continue // a dangling entry: check reports it
				}
				if err != nil {
					return err
				}
				if tk.Status == bot.StatusResolved && tk.ResolvedAt != nil && tk.ResolvedAt.Before(cutoff) {
					purge = append(purge, tk)
				}
			}
			gone := map[string]bool{}
			for _, tk := range purge {
				n, err := t.deleteTicket(tk)
				if err != nil {
					return err
				}
				gone[tk.ID] = true
				res.Links += n
			}
			n, err := t.relinkConversations(purge, t.newestOfRequester)
			if err != nil {
				return err
			}
			res.Links += n
			n, err = t.deleteEffects(func(e *bot.Effect) bool { return gone[e.Ticket] })
			if err != nil {
				return err
			}
			res.Tickets += len(purge)
			res.Effects += n
			return nil
		})
		if err != nil {
			return res, fmt.Errorf("purge resolved tickets: %w", err)
		}
	}
	if res.Tickets == 0 {
		return res, nil
	}
	// The other links to the deleted tickets: found in one read, deleted in small batches.
	var stale []link
	if err := db.view(func(btx *bolt.Tx) error { stale = staleLinks(btx); return nil }); err != nil {
		return res, fmt.Errorf("find stale links: %w", err)
	}
	for len(stale) > 0 {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		batch := stale[:min(len(stale), 1000)]
		err := db.update(func(btx *bolt.Tx) error {
			n, err := deleteStaleLinks(btx, batch)
			res.Links += n
			return err
		})
		if err != nil {
			return res, fmt.Errorf("delete stale links: %w", err)
		}
		stale = stale[len(batch):]
	}
	return res, nil
}
