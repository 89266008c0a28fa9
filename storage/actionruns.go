package storage

// Action runs (bot.ActionRun) and the desk's settings. Runs are kept by sequence with three indexes (by
// state, by ticket, by the person they are for) in a bucket of their own, made on first write, so older
// data files need no migration; a read of a file that never had a run finds none.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/firstline-desk/firstline/bot"
)

var (
	bucketRuns     = []byte("action_runs") // nested: the runs and their indexes
	runsData       = []byte("runs")        // seq (8 bytes BE) -> bot.ActionRun JSON
	runsByState    = []byte("by_state")    // state \x00 seq -> ""
	runsByTicket   = []byte("by_ticket")   // ticket id \x00 seq -> ""
	runsByFor      = []byte("by_for")      // user \x00 seq -> ""
	bucketSettings = []byte("settings")    // name -> value
)

// runSeq parses "A-000123" into 123.
func runSeq(id string) (uint64, error) {
	n, err := strconv.ParseUint(strings.TrimPrefix(id, "A-"), 10, 64)
	if err != nil || !strings.HasPrefix(id, "A-") || n == 0 {
		return 0, bot.Errorf(bot.ENOTFOUND, "no action run %q (run ids look like A-000123)", id)
	}
	return n, nil
}

// runBuckets are the runs' buckets; in a read-only transaction of a file without runs, all nil.
type runBuckets struct {
	root, data, byState, byTicket, byFor *bolt.Bucket
}

func (t *tx) runs(write bool) (runBuckets, error) {
	var rb runBuckets
	if !write {
		if rb.root = t.btx.Bucket(bucketRuns); rb.root != nil {
			rb.data, rb.byState = rb.root.Bucket(runsData), rb.root.Bucket(runsByState)
			rb.byTicket, rb.byFor = rb.root.Bucket(runsByTicket), rb.root.Bucket(runsByFor)
		}
		return rb, nil
	}
	var err error
	if rb.root, err = t.btx.CreateBucketIfNotExists(bucketRuns); err != nil {
		return rb, fmt.Errorf("action runs bucket: %w", err)
	}
	for _, b := range []struct {
		dst  **bolt.Bucket
		name []byte
	}{{&rb.data, runsData}, {&rb.byState, runsByState}, {&rb.byTicket, runsByTicket}, {&rb.byFor, runsByFor}} {
		if *b.dst, err = rb.root.CreateBucketIfNotExists(b.name); err != nil {
			return rb, fmt.Errorf("action runs bucket %s: %w", b.name, err)
		}
	}
	return rb, nil
}

func (t *tx) CreateActionRun(r *bot.ActionRun) error {
	rb, err := t.runs(true)
	if err != nil {
		return err
	}
	seq, err := rb.data.NextSequence()
	if err != nil {
		return fmt.Errorf("next action run id: %w", err)
	}
	r.ID = bot.RunID(seq)
	return rb.put(r, nil, seq)
}

func (t *tx) PutActionRun(r *bot.ActionRun) error {
	seq, err := runSeq(r.ID)
	if err != nil {
		return err
	}
	rb, err := t.runs(true)
	if err != nil {
		return err
	}
	v := rb.data.Get(u64(seq))
	if v == nil {
		return bot.Errorf(bot.ENOTFOUND, "no action run %s to update", r.ID)
	}
	old := new(bot.ActionRun)
	if err := decode(v, old, "action run "+r.ID); err != nil {
		return err
	}
	return rb.put(r, old, seq)
}

// put writes r and moves its index entries from old's values (nil: a new run).
func (rb runBuckets) put(r, old *bot.ActionRun, seq uint64) error {
	data, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode action run %s: %w", r.ID, err)
	}
	key := u64(seq)
	if err := rb.data.Put(key, data); err != nil {
		return fmt.Errorf("store action run %s: %w", r.ID, err)
	}
	for _, ix := range []struct {
		b        *bolt.Bucket
		old, new string
	}{{rb.byState, oldField(old, func(o *bot.ActionRun) string { return string(o.State) }), string(r.State)},
		{rb.byTicket, oldField(old, func(o *bot.ActionRun) string { return o.Ticket }), r.Ticket},
		{rb.byFor, oldField(old, func(o *bot.ActionRun) string { return o.For }), r.For}} {
		if old != nil && ix.old != ix.new {
			if err := ix.b.Delete(compose([]byte(ix.old), key)); err != nil {
				return fmt.Errorf("index action run %s: %w", r.ID, err)
			}
		}
		if err := ix.b.Put(compose([]byte(ix.new), key), nil); err != nil {
			return fmt.Errorf("index action run %s: %w", r.ID, err)
		}
	}
	return nil
}

func oldField(old *bot.ActionRun, f func(*bot.ActionRun) string) string {
	if old == nil {
		return ""
	}
	return f(old)
}

func (t *tx) ActionRun(id string) (*bot.ActionRun, error) {
	seq, err := runSeq(id)
	if err != nil {
		return nil, err
	}
	rb, _ := t.runs(false)
	return rb.get(seq, id)
}

func (rb runBuckets) get(seq uint64, id string) (*bot.ActionRun, error) {
	var v []byte
	if rb.data != nil {
		v = rb.data.Get(u64(seq))
	}
	if v == nil {
		return nil, bot.Errorf(bot.ENOTFOUND, "no action run %s", id)
	}
	r := new(bot.ActionRun)
	if err := decode(v, r, "action run "+id); err != nil {
		return nil, err
	}
	return r, nil
}

func (t *tx) FindActionRuns(f bot.ActionRunFilter) ([]*bot.ActionRun, error) {
	rb, _ := t.runs(false)
	if rb.data == nil {
		return nil, nil
	}
	// The narrowest index the filter names gives the candidates; the rest is checked on each run.
	var seqs []uint64
	switch {
	case f.Ticket != "":
		seqs = scanIndex(rb.byTicket, []byte(f.Ticket))
	case f.For != "":
		seqs = scanIndex(rb.byFor, []byte(f.For))
	case len(f.States) > 0:
		for _, s := range f.States {
			seqs = append(seqs, scanIndex(rb.byState, []byte(s))...)
		}
		slices.Sort(seqs)
	default:
		c := rb.data.Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			seqs = append(seqs, seqOf(k))
		}
	}
	var out []*bot.ActionRun
	for _, seq := range seqs {
		r, err := rb.get(seq, bot.RunID(seq))
		if err != nil {
			return nil, err
		}
		if (f.Ticket != "" && r.Ticket != f.Ticket) || (f.For != "" && r.For != f.For) ||
			(len(f.States) > 0 && !slices.Contains(f.States, r.State)) || r.CreatedAt.Before(f.Since) {
			continue
		}
		out = append(out, r)
		if f.Limit > 0 && len(out) >= f.Limit {
			break
		}
	}
	return out, nil
}

func seqOf(k []byte) uint64 {
	if len(k) != 8 {
		return 0
	}
	var n uint64
	for _, b := range k {
		n = n<<8 | uint64(b)
	}
	return n
}

// deleteTicketRuns removes the runs recorded on a ticket, with their index entries: they go with it
// (retention, erasure).
func (t *tx) deleteTicketRuns(ticketID string) error {
	rb, _ := t.runs(false)
	if rb.data == nil {
		return nil
	}
	for _, seq := range scanIndex(rb.byTicket, []byte(ticketID)) {
		r, err := rb.get(seq, bot.RunID(seq))
		if err != nil {
			return err
		}
		key := u64(seq)
		for _, ix := range []struct {
			b *bolt.Bucket
			v string
		}{{rb.byState, string(r.State)}, {rb.byTicket, r.Ticket}, {rb.byFor, r.For}} {
			if err := ix.b.Delete(compose([]byte(ix.v), key)); err != nil {
				return fmt.Errorf("delete action run %s: %w", r.ID, err)
			}
		}
		if err := rb.data.Delete(key); err != nil {
			return fmt.Errorf("delete action run %s: %w", r.ID, err)
		}
	}
	return nil
}

// eraseRuns replaces a person's id with "erased" in the runs on other people's tickets (one they asked
// for as a technician, one they approved), and passes each such run to scrub, which erases them from its
// text. It returns how many runs it changed.
func (t *tx) eraseRuns(user string, scrub func(r *bot.ActionRun)) (int, error) {
	rb, _ := t.runs(false)
	if rb.data == nil {
		return 0, nil
	}
	quoted := jsonText(user)
	type change struct {
		r   *bot.ActionRun
		old *bot.ActionRun
		seq uint64
	}
	var changes []change
	err := rb.data.ForEach(func(k, v []byte) error {
		if !bytes.Contains(v, quoted) {
			return nil
		}
		seq := seqOf(k)
		r, err := rb.get(seq, bot.RunID(seq))
		if err != nil {
			return err
		}
		old := *r
		id := func(s *string) {
			if *s == user {
				*s = "erased"
			}
		}
		id(&r.RequestedBy)
		id(&r.For)
		for i := range r.Approvals {
			id(&r.Approvals[i].By)
		}
		if r.Decision != nil {
			id(&r.Decision.By)
		}
		for i := range r.History {
			id(&r.History[i].By)
		}
		scrub(r)
		changes = append(changes, change{r: r, old: &old, seq: seq})
		return nil
	})
	if err != nil {
		return 0, err
	}
	wb, err := t.runs(true)
	if err != nil {
		return 0, err
	}
	for _, c := range changes {
		if err := wb.put(c.r, c.old, c.seq); err != nil {
			return 0, err
		}
	}
	return len(changes), nil
}

func (t *tx) Setting(name string) (string, error) {
	b := t.btx.Bucket(bucketSettings)
	if b == nil {
		return "", nil
	}
	return string(b.Get([]byte(name))), nil
}

func (t *tx) PutSetting(name, value string) error {
	b, err := t.btx.CreateBucketIfNotExists(bucketSettings)
	if err != nil {
		return fmt.Errorf("settings bucket: %w", err)
	}
	if value == "" {
		return b.Delete([]byte(name))
	}
	if err := b.Put([]byte(name), []byte(value)); err != nil {
		return fmt.Errorf("store setting %s: %w", name, err)
	}
	return nil
}

// checkRuns checks the action runs, when there are any: each can be read, is on a ticket that exists,
// and has its index entries; no index entry points at a run that is not there; and the sequence is at
// or above the highest run.
func checkRuns(r *CheckReport, btx *bolt.Tx, ticketExists func(id string) bool) {
	rb, _ := (&tx{btx: btx}).runs(false)
	if rb.data == nil || rb.byState == nil || rb.byTicket == nil || rb.byFor == nil {
		if rb.root != nil {
			r.add("action_runs: a bucket is missing")
		}
		return
	}
	checkLog(r, rb.data, "action_runs", func(k, v []byte) {
		id := bot.RunID(seqOf(k))
		var run bot.ActionRun
		if err := json.Unmarshal(v, &run); err != nil {
			r.add("action_runs: %s cannot be read: %v", id, err)
			return
		}
		if run.ID != id {
			r.add("action_runs: %s is stored with the id %q", id, run.ID)
		}
		if !ticketExists(run.Ticket) {
			r.add("action_runs: %s is on %s, which does not exist", id, run.Ticket)
		}
		for _, ix := range []struct {
			b    *bolt.Bucket
			name []byte
			v    string
		}{{rb.byState, runsByState, string(run.State)}, {rb.byTicket, runsByTicket, run.Ticket}, {rb.byFor, runsByFor, run.For}} {
			if !has(ix.b, compose([]byte(ix.v), k)) {
				r.add("action_runs: %s is missing from %s", id, ix.name)
			}
		}
	})
	for _, ix := range []struct {
		b    *bolt.Bucket
		name []byte
	}{{rb.byState, runsByState}, {rb.byTicket, runsByTicket}, {rb.byFor, runsByFor}} {
		ix.b.ForEach(func(k, _ []byte) error {
			if len(k) < 9 || k[len(k)-9] != 0 || !has(rb.data, k[len(k)-8:]) {
				r.add("action_runs: %s has an entry %q for a run that is not there", ix.name, k)
			}
			return nil
		})
	}
}
