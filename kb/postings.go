package kb

import (
	"encoding/binary"
	"slices"
)

// A postingList is the articles containing one term, in increasing article
// number, encoded compactly: most terms of a large knowledge base occur in a
// handful of articles and most occurrences are in the body only, so an
// entry is usually two or three bytes instead of the twelve of a plain
// (uint32, [4]uint16) pair. At 100,000 articles that is the difference
// between an index of tens and of hundreds of megabytes.
//
// Each entry is uvarint(gap<<1 | hasOther), where gap is the article number
// minus the previous entry's (the first entry's gap is its number), then one
// byte of body frequency, then, when hasOther is set, one byte of title and
// alias frequency (4 bits each) and one byte of tag frequency. Frequencies
// saturate at 255 in the body and 15 in the short fields, far past where
// BM25 stops counting (at k1 6, 255 and 1000 occurrences differ by 2%).
type postingList struct {
	data []byte
	df   uint32 // number of entries
	last uint32 // number of the last entry, for appending
}

const (
	maxShortTF = 15
	maxBodyTF  = 255
)

func (p *postingList) appendEntry(num uint32, tf *termFreqs) {
	gap := num
	if p.df > 0 {
		gap = num - p.last
	}
	p.data = appendEncoded(p.data, gap, tf)
	p.df++
	p.last = num
}

func appendEncoded(b []byte, gap uint32, tf *termFreqs) []byte {
	other := tf[fieldTitle] > 0 || tf[fieldAliases] > 0 || tf[fieldTags] > 0
	v := uint64(gap) << 1
	if other {
		v |= 1
	}
	b = binary.AppendUvarint(b, v)
	b = append(b, byte(min(tf[fieldBody], maxBodyTF)))
	if other {
		b = append(b,
			byte(min(tf[fieldTitle], maxShortTF)<<4|min(tf[fieldAliases], maxShortTF)),
			byte(min(tf[fieldTags], maxShortTF)))
	}
	return b
}

// postingIter walks a list. The zero value of next's ok ends the walk.
type postingIter struct {
	data []byte
	num  uint32
	pos  int
}

func (p *postingList) iter() postingIter { return postingIter{data: p.data} }

// next decodes the next entry into tf; other reports frequencies outside
// the body.
func (it *postingIter) next(tf *termFreqs) (num uint32, other, ok bool) {
	if it.pos >= len(it.data) {
		return 0, false, false
	}
	// Most gaps fit one byte; binary.Uvarint is for the rest.
	v := uint64(it.data[it.pos])
	if v < 0x80 {
		it.pos++
	} else {
		var n int
		v, n = binary.Uvarint(it.data[it.pos:])
		it.pos += n
	}
	*tf = termFreqs{fieldBody: uint16(it.data[it.pos])}
	it.pos++
	other = v&1 != 0
	if other {
		b := it.data[it.pos]
		tf[fieldTitle], tf[fieldAliases], tf[fieldTags] = uint16(b>>4), uint16(b&0xf), uint16(it.data[it.pos+1])
		it.pos += 2
	}
	it.num += uint32(v >> 1)
	return it.num, other, true
}

// set gives article num the frequencies tf in the list, adding, replacing
// or, with tf nil, removing its entry. Appending past the end is cheap;
// anything else splices the bytes of the entry (and the gap of the one after
// it) in place, without decoding the rest of the list.
func (p *postingList) set(num uint32, tf *termFreqs) {
	if tf != nil && (p.df == 0 || num > p.last) {
		p.appendEntry(num, tf)
		return
	}
	var (
		it   = p.iter()
		cur  termFreqs
		prev uint32 // number of the entry before start
	)
	for {
		start := it.pos
		n, _, ok := it.next(&cur)
		if !ok {
			return // past the end: num is not in the list, nothing to remove
		}
		if n < num {
			prev = n
			continue
		}
		var repl []byte
		switch {
		case n == num && tf != nil: // replace
			repl = appendEncoded(nil, num-prev, tf)
		case n == num: // remove; the next entry's gap now starts at prev
			p.df--
			if next, _, ok := it.next(&cur); ok {
				repl = appendEncoded(nil, next-prev, &cur)
			} else {
				p.last = prev
			}
		case tf != nil: // insert before n
			repl = appendEncoded(nil, num-prev, tf)
			repl = appendEncoded(repl, n-num, &cur)
			p.df++
		default:
			return // num is not in the list
		}
		end := it.pos
		if len(repl) == end-start {
			copy(p.data[start:], repl)
			return
		}
		p.data = slices.Concat(p.data[:start], repl, p.data[end:])
		return
	}
}
