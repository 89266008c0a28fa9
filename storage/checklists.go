package storage

// Checking the list and text indexes of tickets (ticketrows.go, ticketterms.go) for check.go.

import (
	"encoding/binary"
	"hash/maphash"

	bolt "go.etcd.io/bbolt"

	"github.com/firstline-desk/firstline/bot"
)

// listCheck checks that the list and text indexes are exactly the tickets' own: each ticket's row is the
// row of the ticket as stored, and every entry of tickets_by_field, tickets_by_created and ticket_terms
// is one a ticket has. Entries are compared as sums of their hashes, so the check keeps no set of them: a
// missing entry, an extra one (a word an erasure should have removed) and a wrong one all change a sum.
type listCheck struct {
	r    *CheckReport
	seed maphash.Seed
	rows *bolt.Bucket
	// want and have sum the hashes of the entries the tickets call for and of those there are, by index.
	want, have map[string]uint64
}

func newListCheck(r *CheckReport, btx *bolt.Tx) *listCheck {
	return &listCheck{r: r, seed: maphash.MakeSeed(), rows: btx.Bucket(bucketRows), want: map[string]uint64{}, have: map[string]uint64{}}
}

func (lc *listCheck) hash(parts ...[]byte) uint64 {
	var h maphash.Hash
	h.SetSeed(lc.seed)
	for _, p := range parts {
		h.Write(p)
		h.WriteByte(0)
	}
	return h.Sum64()
}

// ticket checks one ticket's row and adds what its entries should be to the sums.
func (lc *listCheck) ticket(seq uint64, tk *bot.Ticket) {
	key := u64(seq)
	r := rowOf(tk)
	if got := lc.rows.Get(key); got == nil {
		lc.r.add("%s: has no row in ticket_rows: lists and the web console miss it", tk.ID)
	} else if string(got) != string(r.encode()) {
		lc.r.add("%s: its row in ticket_rows is not the ticket as stored: lists filter and sort it wrongly", tk.ID)
	}
	for _, f := range r.fields() {
		lc.want[string(bucketByField)] += lc.hash(fieldKey(f.field, f.value, key))
	}
	lc.want[string(bucketByCreated)] += lc.hash(timeKey(fromNanos(r.created), key))
	if k := r.slaKey(key); k != nil {
		lc.want[string(bucketBySLA)] += lc.hash(k)
	}
	for term := range ticketTerms(tk) {
		lc.want[string(bucketTerms)] += lc.hash([]byte(term), key)
	}
}

// finish reads the indexes and compares their sums with the tickets'.
func (lc *listCheck) finish(btx *bolt.Tx, tickets map[uint64]ticketFacts) {
	btx.Bucket(bucketRows).ForEach(func(k, _ []byte) error {
		if len(k) != 8 {
			lc.r.add("ticket_rows: malformed key %x", k)
		} else if _, ok := tickets[binary.BigEndian.Uint64(k)]; !ok {
			lc.r.add("ticket_rows: has a row for %s, which does not exist", bot.TicketID(binary.BigEndian.Uint64(k)))
		}
		return nil
	})
	for _, name := range [][]byte{bucketByField, bucketByCreated, bucketBySLA} {
		btx.Bucket(name).ForEach(func(k, _ []byte) error {
			lc.have[string(name)] += lc.hash(k)
			return nil
		})
	}
	terms := btx.Bucket(bucketTerms)
	terms.ForEach(func(k, v []byte) error {
		if len(k) < 9 || k[len(k)-9] != 0 {
			lc.r.add("ticket_terms: malformed key %q", k)
			return nil
		}
		term := k[:len(k)-9]
		seqs, err := decodeChunk(binary.BigEndian.Uint64(k[len(k)-8:]), v, nil)
		if err != nil {
			lc.r.add("ticket_terms: the entry of a word cannot be read: %v", err)
			return nil
		}
		for _, seq := range seqs {
			lc.have[string(bucketTerms)] += lc.hash(term, u64(seq))
		}
		return nil
	})
	for _, name := range [][]byte{bucketByField, bucketByCreated, bucketBySLA, bucketTerms} {
		if lc.want[string(name)] != lc.have[string(name)] {
			lc.r.add("%s: its entries are not the tickets' own (missing, extra or stale): lists and searches in the web console are wrong", name)
		}
	}
}
