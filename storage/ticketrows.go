package storage

// The list indexes of tickets: a small row per ticket with what lists filter, sort and count by, an index
// of the fields a filter may name (assignee, tier, priority, platform), and one by the time a ticket was
// opened. The web console's lists read them instead of the tickets: a row is read in about a tenth of a
// microsecond, a ticket is decoded in about forty.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/internal/plural"
)

// row is the stored form of a bot.TicketRow, less the id (it is the key).
type row struct {
	status, tier, priority, assignee, requester, platform string
	created, resolved                                     int64 // unix nanos; resolved 0 while not resolved
	sla                                                   bot.SLAState
	rating                                                int
}

// rowVersion is the first byte of a stored row.
const rowVersion = 1

// Flags of a stored row.
const (
	rowRunning = 1 << iota
	rowWarned
	rowBreached
	rowPaused
)

// fields a filter may name, with the byte that starts their keys in tickets_by_field.
const (
	fieldAssignee = 'a'
	fieldTier     = 't'
	fieldPriority = 'p'
	fieldPlatform = 'f'
)

func rowOf(tk *bot.Ticket) row {
	r := row{
		status: string(tk.Status), tier: tk.Tier, priority: tk.Priority, assignee: tk.Assignee,
		requester: tk.Requester, platform: tk.Conversation.Platform,
		created: nanos(tk.CreatedAt), sla: tk.SLAState(),
	}
	if tk.ResolvedAt != nil && tk.Status == bot.StatusResolved {
		r.resolved = nanos(*tk.ResolvedAt)
	}
	if tk.CSAT != nil {
		r.rating = tk.CSAT.Score
	}
	return r
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// fields are the row's entries in tickets_by_field.
func (r row) fields() [4]struct {
	field byte
	value string
} {
	return [4]struct {
		field byte
		value string
	}{{fieldAssignee, r.assignee}, {fieldTier, r.tier}, {fieldPriority, r.priority}, {fieldPlatform, r.platform}}
}

func (r row) encode() []byte {
	b := make([]byte, 0, 64+len(r.assignee)+len(r.requester))
	b = append(b, rowVersion)
	var flags byte
	if r.sla.Running() {
		flags |= rowRunning
	}
	if r.sla.Warned {
		flags |= rowWarned
	}
	if r.sla.Breached {
		flags |= rowBreached
	}
	if r.sla.Paused {
		flags |= rowPaused
	}
	b = append(b, flags, byte(r.rating))
	b = binary.BigEndian.AppendUint64(b, uint64(r.created))
	b = binary.BigEndian.AppendUint64(b, uint64(r.resolved))
	b = binary.BigEndian.AppendUint64(b, uint64(nanos(r.sla.Due)))
	clock := byte(0)
	switch r.sla.Clock {
	case "response":
		clock = 1
	case "resolution":
		clock = 2
	}
	b = append(b, clock)
	for _, s := range []string{r.status, r.tier, r.priority, r.assignee, r.requester, r.platform} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b
}

// rowHeader is the fixed part of a stored row: version, flags, rating, three times, clock.
const rowHeader = 3 + 3*8 + 1

// rawRow is a stored row read in place: its strings are slices of the value, valid only in the
// transaction. Filters compare them without copying, so scanning rows allocates nothing.
type rawRow struct {
	flags, rating                                         byte
	created, resolved, due                                int64
	clock                                                 byte
	status, tier, priority, assignee, requester, platform []byte
}

func parseRow(v []byte) (rawRow, error) {
	var r rawRow
	if len(v) < rowHeader || v[0] != rowVersion {
		return r, fmt.Errorf("a ticket row of %s is not a version %d row", plural.Count(len(v), "byte", "bytes"), rowVersion)
	}
	r.flags, r.rating = v[1], v[2]
	r.created = int64(binary.BigEndian.Uint64(v[3:]))
	r.resolved = int64(binary.BigEndian.Uint64(v[11:]))
	r.due = int64(binary.BigEndian.Uint64(v[19:]))
	r.clock = v[27]
	rest := v[rowHeader:]
	for _, s := range []*[]byte{&r.status, &r.tier, &r.priority, &r.assignee, &r.requester, &r.platform} {
		n, size := binary.Uvarint(rest)
		if size <= 0 || uint64(len(rest)-size) < n {
			return r, fmt.Errorf("a ticket row is cut short")
		}
		*s = rest[size : size+int(n)]
		rest = rest[size+int(n):]
	}
	return r, nil
}

func (r rawRow) running() bool { return r.flags&rowRunning != 0 }

func (r rawRow) row() row {
	out := row{
		status: string(r.status), tier: string(r.tier), priority: string(r.priority), assignee: string(r.assignee),
		requester: string(r.requester), platform: string(r.platform),
		created: r.created, resolved: r.resolved, rating: int(r.rating),
	}
	if r.running() {
		out.sla.Due = fromNanos(r.due)
		out.sla.Clock = "resolution"
		if r.clock == 1 {
			out.sla.Clock = "response"
		}
	}
	out.sla.Warned, out.sla.Breached, out.sla.Paused = r.flags&rowWarned != 0, r.flags&rowBreached != 0, r.flags&rowPaused != 0
	return out
}

func (r row) ticketRow(seq uint64) bot.TicketRow {
	return bot.TicketRow{
		ID: bot.TicketID(seq), Status: bot.Status(r.status), Tier: r.tier, Priority: r.priority,
		Assignee: r.assignee, Requester: r.requester, Platform: r.platform,
		CreatedAt: fromNanos(r.created), ResolvedAt: fromNanos(r.resolved), SLA: r.sla, Rating: r.rating,
	}
}

// fieldKey is a ticket's key in tickets_by_field: the field, its value, a zero byte, the sequence.
func fieldKey(field byte, value string, seq []byte) []byte {
	k := make([]byte, 0, 1+len(value)+1+8)
	k = append(k, field)
	k = append(k, value...)
	k = append(k, 0)
	return append(k, seq...)
}

// indexRow writes the ticket's row and moves its entries in tickets_by_field and tickets_by_created from
// the row it had (old, nil for a new ticket) to tk's.
func (t *tx) indexRow(tk *bot.Ticket, old *row, seq []byte) error {
	r := rowOf(tk)
	rows, fields, created := t.bucket(bucketRows), t.bucket(bucketByField), t.bucket(bucketByCreated)
	if old != nil {
		o := *old
		of, nf := o.fields(), r.fields()
		for i := range of {
			if of[i] == nf[i] {
				continue
			}
			if err := fields.Delete(fieldKey(of[i].field, of[i].value, seq)); err != nil {
				return err
			}
			if err := fields.Put(fieldKey(nf[i].field, nf[i].value, seq), nil); err != nil {
				return fmt.Errorf("index ticket %s by %c: %w", tk.ID, nf[i].field, err)
			}
		}
		if o.created != r.created {
			if err := created.Delete(timeKey(fromNanos(o.created), seq)); err != nil {
				return err
			}
			if err := created.Put(timeKey(fromNanos(r.created), seq), nil); err != nil {
				return fmt.Errorf("index ticket %s by opening time: %w", tk.ID, err)
			}
		}
	} else {
		for _, f := range r.fields() {
			if err := fields.Put(fieldKey(f.field, f.value, seq), nil); err != nil {
				return fmt.Errorf("index ticket %s by %c: %w", tk.ID, f.field, err)
			}
		}
		if err := created.Put(timeKey(fromNanos(r.created), seq), nil); err != nil {
			return fmt.Errorf("index ticket %s by opening time: %w", tk.ID, err)
		}
	}
	if err := t.indexSLA(r, old, seq); err != nil {
		return fmt.Errorf("index ticket %s by SLA due: %w", tk.ID, err)
	}
	v := r.encode()
	if bytes.Equal(rows.Get(seq), v) {
		return nil
	}
	if err := rows.Put(seq, v); err != nil {
		return fmt.Errorf("store the row of ticket %s: %w", tk.ID, err)
	}
	return nil
}

// unindexRow removes a deleted ticket's row and its entries in tickets_by_field and tickets_by_created.
func (t *tx) unindexRow(tk *bot.Ticket, seq []byte) error {
	r := rowOf(tk)
	fields := t.bucket(bucketByField)
	for _, f := range r.fields() {
		if err := fields.Delete(fieldKey(f.field, f.value, seq)); err != nil {
			return fmt.Errorf("delete ticket %s from %s: %w", tk.ID, bucketByField, err)
		}
	}
	if err := t.bucket(bucketByCreated).Delete(timeKey(fromNanos(r.created), seq)); err != nil {
		return fmt.Errorf("delete ticket %s from %s: %w", tk.ID, bucketByCreated, err)
	}
	if err := t.indexSLA(row{}, &r, seq); err != nil {
		return fmt.Errorf("delete ticket %s from %s: %w", tk.ID, bucketBySLA, err)
	}
	if err := t.bucket(bucketRows).Delete(seq); err != nil {
		return fmt.Errorf("delete ticket %s from %s: %w", tk.ID, bucketRows, err)
	}
	return nil
}

// slaKey is a row's key in tickets_by_sla_due, nil when no clock of it runs.
func (r row) slaKey(seq []byte) []byte {
	if !r.sla.Running() {
		return nil
	}
	return timeKey(r.sla.Due, seq)
}

// indexSLA moves a ticket's entry in tickets_by_sla_due from was's running deadline (nil: none) to r's.
func (t *tx) indexSLA(r row, was *row, seq []byte) error {
	b := t.bucket(bucketBySLA)
	nk := r.slaKey(seq)
	if was != nil {
		ok := was.slaKey(seq)
		if bytes.Equal(ok, nk) {
			return nil
		}
		if ok != nil {
			if err := b.Delete(ok); err != nil {
				return err
			}
		}
	}
	if nk == nil {
		return nil
	}
	return b.Put(nk, nil)
}
