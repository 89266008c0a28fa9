package storage

// The text index of tickets: for each word (as the knowledge base's analyzer reads words: lower case,
// stemmed, without stop words), the tickets whose subject or transcript holds it. It is kept exact, a
// word leaves a ticket's postings when it leaves the ticket (an erasure, a redaction), so no erased word
// survives in it and a search needs no second look at the tickets it finds.
//
// A word's postings are chunks of up to maxPostings ticket sequences, keyed word \x00 first sequence,
// whose value is the rest as uvarint deltas. New tickets have the highest sequences, so they are
// appended to a word's last chunk.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/storage/ticketindex"
)

// maxPostings bounds a chunk: small enough that adding a ticket rewrites a few hundred bytes per word,
// large enough that a common word's list is read in few seeks.
const maxPostings = 256

// ticketText is a ticket's searchable text: its subject and every entry of its transcript, internal notes
// included (technicians search their notes; see TicketFilter.Visible).
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

// terms returns the distinct terms of the text.
func (x ticketText) terms() map[string]bool {
	terms := map[string]bool{}
	ticketindex.AddTerms(terms, x.subject)
	for _, e := range x.entries {
		ticketindex.AddTerms(terms, e)
	}
	return terms
}

// ticketTerms returns the distinct terms of a ticket's searchable text.
func ticketTerms(tk *bot.Ticket) map[string]bool { return textOf(tk).terms() }

// appendedOnly reports whether tk is old with entries added at the end of its transcript and the same
// subject: then its new terms are those of the new entries, and none went away.
func appendedOnly(tk *bot.Ticket, old *ticketText) bool {
	if tk.Subject != old.subject || len(tk.Transcript) < len(old.entries) {
		return false
	}
	for i, e := range old.entries {
		if tk.Transcript[i].Text != e {
			return false
		}
	}
	return true
}

// indexTerms brings the ticket's postings from the text it had (old, nil for a new ticket) to tk's.
func (t *tx) indexTerms(tk *bot.Ticket, old *ticketText, seq uint64) error {
	b := t.bucket(bucketTerms)
	var add, remove map[string]bool
	switch {
	case old == nil:
		add = ticketTerms(tk)
	case appendedOnly(tk, old):
		if len(tk.Transcript) == len(old.entries) {
			return nil // the text did not change: most writes (a claim, an SLA flag)
		}
		// Words the ticket already held are added again, which changes nothing.
		add = map[string]bool{}
		for _, e := range tk.Transcript[len(old.entries):] {
			ticketindex.AddTerms(add, e.Text)
		}
	default:
		add, remove = ticketTerms(tk), old.terms()
		for term := range add {
			if remove[term] {
				delete(add, term)
				delete(remove, term)
			}
		}
	}
	for _, term := range slices.Sorted(mapKeys(remove)) {
		if err := removePosting(b, term, seq); err != nil {
			return fmt.Errorf("unindex a word of ticket %s: %w", tk.ID, err)
		}
	}
	for _, term := range slices.Sorted(mapKeys(add)) {
		if err := addPosting(b, term, seq); err != nil {
			return fmt.Errorf("index a word of ticket %s: %w", tk.ID, err)
		}
	}
	return nil
}

// unindexTerms removes a deleted ticket from the postings of its words.
func (t *tx) unindexTerms(tk *bot.Ticket, seq uint64) error {
	b := t.bucket(bucketTerms)
	for _, term := range slices.Sorted(mapKeys(ticketTerms(tk))) {
		if err := removePosting(b, term, seq); err != nil {
			return fmt.Errorf("unindex a word of ticket %s: %w", tk.ID, err)
		}
	}
	return nil
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

func chunkKey(term string, first uint64) []byte {
	k := make([]byte, 0, len(term)+9)
	k = append(k, term...)
	k = append(k, 0)
	return binary.BigEndian.AppendUint64(k, first)
}

// chunkFirst returns the first sequence of a chunk key of term, or false when k is not one.
func chunkFirst(k []byte, term string) (uint64, bool) {
	if len(k) != len(term)+9 || !bytes.HasPrefix(k, []byte(term)) || k[len(term)] != 0 {
		return 0, false
	}
	return binary.BigEndian.Uint64(k[len(term)+1:]), true
}

func decodeChunk(first uint64, v []byte, into []uint64) ([]uint64, error) {
	into = append(into, first)
	prev := first
	for len(v) > 0 {
		d, n := binary.Uvarint(v)
		if n <= 0 || d == 0 {
			return into, fmt.Errorf("a text index chunk is damaged")
		}
		prev += d
		into = append(into, prev)
		v = v[n:]
	}
	return into, nil
}

// chunkEnd returns a chunk's last sequence and how many it holds.
func chunkEnd(first uint64, v []byte) (last uint64, n int, err error) {
	last, n = first, 1
	for len(v) > 0 {
		d, size := binary.Uvarint(v)
		if size <= 0 || d == 0 {
			return 0, 0, fmt.Errorf("a text index chunk is damaged")
		}
		last += d
		n++
		v = v[size:]
	}
	return last, n, nil
}

func encodeChunk(seqs []uint64) []byte {
	v := make([]byte, 0, 2*len(seqs))
	for i := 1; i < len(seqs); i++ {
		v = binary.AppendUvarint(v, seqs[i]-seqs[i-1])
	}
	return v
}

func putChunk(b *bolt.Bucket, term string, seqs []uint64) error {
	return b.Put(chunkKey(term, seqs[0]), encodeChunk(seqs))
}

// chunkAt finds the chunk of term whose first sequence is the greatest at or below seq: its first
// sequence and value. ok is false when every chunk of term starts after seq, or there is none.
func chunkAt(c *bolt.Cursor, term string, seq uint64) (first uint64, v []byte, ok bool) {
	k, v := c.Seek(chunkKey(term, seq))
	if f, is := chunkFirst(k, term); is && f == seq {
		return f, v, true
	}
	if k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	if f, is := chunkFirst(k, term); is {
		return f, v, true
	}
	return 0, nil, false
}

func addPosting(b *bolt.Bucket, term string, seq uint64) error {
	c := b.Cursor()
	first, v, ok := chunkAt(c, term, seq)
	if !ok {
		// Every chunk of the word starts after seq: prepend to the first, if it has room.
		k, nv := c.Seek(chunkKey(term, seq))
		if f, is := chunkFirst(k, term); is {
			seqs, err := decodeChunk(f, nv, nil)
			if err != nil {
				return err
			}
			if len(seqs) < maxPostings {
				if err := b.Delete(k); err != nil {
					return err
				}
				return putChunk(b, term, append([]uint64{seq}, seqs...))
			}
		}
		return putChunk(b, term, []uint64{seq})
	}
	if first == seq {
		return nil
	}
	// The common case, a new ticket: seq goes at the end of the word's last chunk, which is written again
	// with one more delta, without being taken apart.
	last, n, err := chunkEnd(first, v)
	if err != nil {
		return err
	}
	if seq == last {
		return nil
	}
	if seq > last && n < maxPostings {
		nv := make([]byte, len(v), len(v)+binary.MaxVarintLen64)
		copy(nv, v)
		return b.Put(chunkKey(term, first), binary.AppendUvarint(nv, seq-last))
	}
	seqs, err := decodeChunk(first, v, make([]uint64, 0, maxPostings+1))
	if err != nil {
		return err
	}
	i, found := slices.BinarySearch(seqs, seq)
	if found {
		return nil
	}
	seqs = slices.Insert(seqs, i, seq)
	if len(seqs) <= maxPostings {
		return putChunk(b, term, seqs)
	}
	// Full: a chunk appended to keeps its postings and starts a new one; one written into the middle
	// splits in two.
	cut := len(seqs) / 2
	if i == len(seqs)-1 {
		cut = len(seqs) - 1
	}
	if err := putChunk(b, term, seqs[:cut]); err != nil {
		return err
	}
	return putChunk(b, term, seqs[cut:])
}

func removePosting(b *bolt.Bucket, term string, seq uint64) error {
	c := b.Cursor()
	first, v, ok := chunkAt(c, term, seq)
	if !ok {
		return nil
	}
	seqs, err := decodeChunk(first, v, nil)
	if err != nil {
		return err
	}
	i, found := slices.BinarySearch(seqs, seq)
	if !found {
		return nil
	}
	seqs = slices.Delete(seqs, i, i+1)
	if i == 0 {
		if err := b.Delete(chunkKey(term, first)); err != nil {
			return err
		}
	}
	if len(seqs) == 0 {
		return nil
	}
	return putChunk(b, term, seqs)
}

// postings returns every sequence filed under term, in order.
func postings(b *bolt.Bucket, term string) ([]uint64, error) {
	var out []uint64
	prefix := append([]byte(term), 0)
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		first, ok := chunkFirst(k, term)
		if !ok {
			continue
		}
		var err error
		if out, err = decodeChunk(first, v, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// textMatches returns the sequences of the tickets that hold every word of text, in order, and false
// when text has no word to look for.
func textMatches(b *bolt.Bucket, text string) ([]uint64, bool, error) {
	words := ticketindex.QueryWords(text)
	if len(words) == 0 {
		return nil, false, nil
	}
	var out []uint64
	for i, alts := range words {
		var any []uint64
		for _, term := range alts {
			p, err := postings(b, term)
			if err != nil {
				return nil, true, err
			}
			any = union(any, p)
		}
		if i == 0 {
			out = any
		} else {
			out = intersect(out, any)
		}
		if len(out) == 0 {
			break
		}
	}
	return out, true, nil
}

func union(a, b []uint64) []uint64 {
	if len(a) == 0 {
		return b
	}
	out := make([]uint64, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			out = append(out, a[i])
			i++
		case a[i] > b[j]:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i, j = i+1, j+1
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}

func intersect(a, b []uint64) []uint64 {
	out := a[:0:0]
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			out = append(out, a[i])
			i, j = i+1, j+1
		}
	}
	return out
}
