package storage

// Finding tickets for lists: filters, orders and pages over the list indexes (ticketrows.go) and the
// text index (ticketterms.go), so a page costs the rows it looks at, not the tickets in the file.
//
// A filter is checked on each ticket's row. What is read is chosen so that few rows are: a text search
// reads the tickets that hold its words; otherwise the rows are read in the page's order until the page is
// full (a common filter fills it at once), and when a bounded number of rows did not fill it, the filter
// is rare, and the indexes of its fields (requester, status, assignee, tier, priority, platform, opening
// time) give the few tickets that can match. Only when every one of them is large does the scan go on
// through every row.

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/storage/ticketindex"
)

// Variables, not constants, so tests can make them small enough to take every path on a few tickets.
var (
	// scanBudget is how many rows are read in order before the indexes are asked.
	scanBudget = 30000
	// selectiveCap is the most entries an index may give for it to be used to find a rare filter's
	// tickets; a larger one is no help, and reading it costs more than the rows it would save.
	selectiveCap = 50000
)

// match is a TicketFilter checked on rows.
type match struct {
	f        bot.TicketFilter
	from, to int64
	// running, when set, keeps only rows with (true) or without (false) a running SLA clock.
	running *bool
}

func newMatch(f bot.TicketFilter) *match {
	m := &match{f: f, from: nanos(f.CreatedFrom), to: nanos(f.CreatedTo)}
	return m
}

func (m *match) ok(r rawRow) bool {
	f := m.f
	if len(f.Status) > 0 && !slices.ContainsFunc(f.Status, func(s bot.Status) bool { return string(r.status) == string(s) }) {
		return false
	}
	switch {
	case f.Requester != "" && string(r.requester) != f.Requester,
		f.Tier != "" && string(r.tier) != f.Tier,
		f.Priority != "" && string(r.priority) != f.Priority,
		f.Assignee != "" && string(r.assignee) != f.Assignee,
		f.Platform != "" && string(r.platform) != f.Platform,
		m.from != 0 && r.created < m.from,
		m.to != 0 && r.created >= m.to,
		m.running != nil && r.running() != *m.running:
		return false
	}
	return true
}

// found is one ticket a search found, with its row copied out of the transaction.
type found struct {
	seq uint64
	row row
}

// finder runs one TicketFilter in one transaction.
type finder struct {
	t     *tx
	rows  *bolt.Bucket
	f     bot.TicketFilter
	match *match
}

func (t *tx) find(f bot.TicketFilter) ([]found, error) {
	fd := &finder{t: t, rows: t.bucket(bucketRows), f: f, match: newMatch(f)}
	f.Offset = max(f.Offset, 0)
	want := -1 // all of them
	if f.Limit > 0 {
		want = f.Offset + f.Limit
	}
	var text []uint64
	if f.Text != "" {
		seqs, words, err := textMatches(t.bucket(bucketTerms), f.Text)
		if err != nil {
			return nil, err
		}
		if words {
			text = seqs
			if text == nil {
				text = []uint64{}
			}
			if f.Visible {
				if text, err = fd.visibleOnly(text); err != nil {
					return nil, err
				}
			}
		}
	}
	var out []found
	var err error
	if f.Order == bot.OrderDue {
		out, err = fd.byDue(text, want)
	} else {
		out, err = fd.inOrder(text, f.Order == bot.OrderNewest, want)
	}
	if err != nil {
		return nil, err
	}
	if f.Offset >= len(out) {
		return nil, nil
	}
	out = out[f.Offset:]
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}

// inOrder returns up to want matches (all for -1) by ticket number, highest first when newest. text,
// when not nil, is the text search's tickets: only they can match.
func (fd *finder) inOrder(text []uint64, newest bool, want int) ([]found, error) {
	if text != nil {
		return fd.fromList(text, newest, want)
	}
	if want < 0 {
		if list, ok := fd.selective(); ok {
			return fd.fromList(list, newest, -1)
		}
		out, _, _, err := fd.scan(newest, 0, -1, -1)
		return out, err
	}
	// A common filter fills a page from the first rows read.
	out, resume, full, err := fd.scan(newest, 0, want, scanBudget)
	if err != nil || full || resume == 0 {
		return out, err
	}
	if list, ok := fd.selective(); ok {
		// What the scan read is read again from the list: the same tickets, in the same order.
		return fd.fromList(list, newest, want)
	}
	more, _, _, err := fd.scan(newest, resume, want-len(out), -1)
	return append(out, more...), err
}

// scan reads rows in ticket order, from the first (or the last when newest) or from resume, until it has
// want matches (-1: no bound) or has read budget rows (-1: no bound). It returns the sequence of the
// first row it did not read, to resume from (0 when it read to the end), and whether it found want
// matches.
func (fd *finder) scan(newest bool, resume uint64, want, budget int) (out []found, next uint64, full bool, err error) {
	c := fd.rows.Cursor()
	var k, v []byte
	switch {
	case resume != 0:
		k, v = c.Seek(u64(resume))
	case newest:
		k, v = c.Last()
	default:
		k, v = c.First()
	}
	for read := 0; k != nil; read++ {
		if want >= 0 && len(out) >= want {
			return out, 0, true, nil
		}
		seq := binary.BigEndian.Uint64(k)
		if budget >= 0 && read >= budget {
			return out, seq, false, nil
		}
		r, err := parseRow(v)
		if err != nil {
			return nil, 0, false, err
		}
		if fd.match.ok(r) {
			out = append(out, found{seq: seq, row: r.row()})
		}
		if newest {
			k, v = c.Prev()
		} else {
			k, v = c.Next()
		}
	}
	return out, 0, want >= 0 && len(out) >= want, nil
}

// fromList returns up to want matches among the sequences of list (in order), highest first when newest.
func (fd *finder) fromList(list []uint64, newest bool, want int) ([]found, error) {
	var out []found
	for i := range list {
		if want >= 0 && len(out) >= want {
			break
		}
		seq := list[i]
		if newest {
			seq = list[len(list)-1-i]
		}
		v := fd.rows.Get(u64(seq))
		if v == nil {
			continue
		}
		r, err := parseRow(v)
		if err != nil {
			return nil, err
		}
		if fd.match.ok(r) {
			out = append(out, found{seq: seq, row: r.row()})
		}
	}
	return out, nil
}

// selective returns the tickets the filter's indexed fields allow, in order: the intersection of each
// field's index entries, leaving out the fields with more than selectiveCap (they are checked on the
// rows). ok is false when every field is like that, or none is set.
func (fd *finder) selective() ([]uint64, bool) {
	f := fd.f
	t := fd.t
	var lists [][]uint64
	use := func(seqs []uint64, ok bool) {
		if ok {
			lists = append(lists, seqs)
		}
	}
	if f.Requester != "" {
		use(prefixSeqs(t.bucket(bucketByRequester), append([]byte(f.Requester), 0), selectiveCap))
	}
	if len(f.Status) > 0 {
		var all []uint64
		ok := true
		for _, s := range f.Status {
			seqs, within := prefixSeqs(t.bucket(bucketByStatus), append([]byte(s), 0), selectiveCap)
			if !within {
				ok = false
				break
			}
			all = append(all, seqs...)
		}
		slices.Sort(all)
		use(all, ok && len(all) <= selectiveCap)
	}
	for _, fv := range []struct {
		field byte
		value string
	}{{fieldAssignee, f.Assignee}, {fieldTier, f.Tier}, {fieldPriority, f.Priority}, {fieldPlatform, f.Platform}} {
		if fv.value != "" {
			prefix := fieldKey(fv.field, fv.value, nil)
			use(prefixSeqs(t.bucket(bucketByField), prefix, selectiveCap))
		}
	}
	if !f.CreatedFrom.IsZero() || !f.CreatedTo.IsZero() {
		use(createdSeqs(t.bucket(bucketByCreated), f, selectiveCap))
	}
	if len(lists) == 0 {
		return nil, false
	}
	slices.SortFunc(lists, func(a, b []uint64) int { return cmp.Compare(len(a), len(b)) })
	out := lists[0]
	for _, l := range lists[1:] {
		out = intersect(out, l)
	}
	return out, true
}

// prefixSeqs returns the sequences of an index's entries under prefix (each key is prefix then the
// sequence), in order, and false when there are more than limit of them.
func prefixSeqs(b *bolt.Bucket, prefix []byte, limit int) ([]uint64, bool) {
	var seqs []uint64
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if rest := k[len(prefix):]; len(rest) == 8 {
			if len(seqs) == limit {
				return nil, false
			}
			seqs = append(seqs, binary.BigEndian.Uint64(rest))
		}
	}
	return seqs, true
}

// createdSeqs returns the sequences of the tickets opened within the filter's range, in order, and false
// when there are more than limit of them.
func createdSeqs(b *bolt.Bucket, f bot.TicketFilter, limit int) ([]uint64, bool) {
	var seqs []uint64
	c := b.Cursor()
	from := u64(uint64(max(nanos(f.CreatedFrom), 0)))
	to := nanos(f.CreatedTo)
	for k, _ := c.Seek(from); k != nil && len(k) == 16; k, _ = c.Next() {
		if to != 0 && int64(binary.BigEndian.Uint64(k[:8])) >= to {
			break
		}
		if len(seqs) == limit {
			return nil, false
		}
		seqs = append(seqs, binary.BigEndian.Uint64(k[8:]))
	}
	slices.Sort(seqs)
	return seqs, true
}

// byDue returns up to want matches (all for -1) in OrderDue: first the tickets with a running SLA clock,
// nearest deadline first (tickets_by_sla_due is in that order), then the others, newest first.
func (fd *finder) byDue(text []uint64, want int) ([]found, error) {
	yes, no := true, false
	outer := fd.match
	defer func() { fd.match = outer }()
	fd.match = &match{f: outer.f, from: outer.from, to: outer.to, running: &yes}
	var first []found
	c := fd.t.bucket(bucketBySLA).Cursor()
	for k, _ := c.First(); k != nil && (want < 0 || len(first) < want); k, _ = c.Next() {
		if len(k) != 16 {
			continue
		}
		seq := binary.BigEndian.Uint64(k[8:])
		if text != nil {
			if _, ok := slices.BinarySearch(text, seq); !ok {
				continue
			}
		}
		v := fd.rows.Get(k[8:])
		if v == nil {
			continue
		}
		r, err := parseRow(v)
		if err != nil {
			return nil, err
		}
		if fd.match.ok(r) {
			first = append(first, found{seq: seq, row: r.row()})
		}
	}
	if want >= 0 && len(first) >= want {
		return first[:want], nil
	}
	rest := want
	if want >= 0 {
		rest = want - len(first)
	}
	fd.match = &match{f: outer.f, from: outer.from, to: outer.to, running: &no}
	second, err := fd.inOrder(text, true, rest)
	if err != nil {
		return nil, err
	}
	return append(first, second...), nil
}

func (t *tx) FindTickets(f bot.TicketFilter) ([]*bot.Ticket, error) {
	fs, err := t.find(f)
	if err != nil {
		return nil, err
	}
	out := make([]*bot.Ticket, 0, len(fs))
	for _, x := range fs {
		tk, err := t.ticketBySeq(x.seq, bot.TicketID(x.seq))
		if err != nil {
			return nil, err
		}
		out = append(out, tk)
	}
	return out, nil
}

func (t *tx) TicketRows(f bot.TicketFilter) ([]bot.TicketRow, error) {
	fs, err := t.find(f)
	if err != nil {
		return nil, err
	}
	out := make([]bot.TicketRow, 0, len(fs))
	for _, x := range fs {
		out = append(out, x.row.ticketRow(x.seq))
	}
	return out, nil
}

// visibleOnly keeps the tickets of a text search whose match is in what their requester sees (not in an
// internal note). It reads each ticket that passes the rest of the filter, so it is for a requester's own
// tickets (TicketFilter.Visible with Requester), not for the whole desk.
func (fd *finder) visibleOnly(seqs []uint64) ([]uint64, error) {
	out := []uint64{} // not nil: nil is no text search at all
	for _, seq := range seqs {
		v := fd.rows.Get(u64(seq))
		if v == nil {
			continue
		}
		r, err := parseRow(v)
		if err != nil {
			return nil, err
		}
		if !fd.match.ok(r) {
			continue
		}
		tk, err := fd.t.ticketBySeq(seq, bot.TicketID(seq))
		if err != nil {
			return nil, err
		}
		if ticketindex.VisibleMatch(tk, fd.f.Text) {
			out = append(out, seq)
		}
	}
	return out, nil
}
