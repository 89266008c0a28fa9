// Package dump is the whole content of a Firstline store as a stream of records, the same from either
// store (the bbolt file of package storage, PostgreSQL in storage/postgres): what `firstline migrate`
// copies from one store into the other, and what tells that two stores hold the same desk (Canonical).
//
// A store exports its records kind by kind, in the order of Kinds, and imports them in that order. Every
// record a store holds is in its dump: a store meeting a record it does not know (a bucket or table a
// later Firstline added) refuses to export rather than leave it behind.
package dump

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
)

// Kind is what a record is.
type Kind string

// The kinds of records, in the order a store exports them. The fields each uses are listed.
const (
	Ticket          Kind = "ticket"           // Seq; Data: the ticket's JSON
	Conversation    Kind = "conversation"     // Key: the conversation's key; ID: its ticket
	Message         Kind = "message"          // Key: the message's key; ID: its ticket; Data: the MessageLink's JSON
	PostRef         Kind = "ticket_message"   // Seq: the ticket's; Name: the message's key under it; Data: the MessageRef's JSON
	Dedup           Kind = "dedup"            // Key; At: when it was recorded (unix nanos)
	Effect          Kind = "effect"           // Seq; Data: the Effect's JSON, its Seq set
	Article         Kind = "article"          // ID; Data: the newest version as stored
	ArticleVersion  Kind = "article_version"  // ID; Seq: the version; Data: the version as stored
	Feedback        Kind = "feedback"         // ID: the article; Data: the ArticleFeedback's JSON
	KBFile          Kind = "kb_file"          // ID: the article; Data: the KBFile's JSON
	Audit           Kind = "audit"            // Seq; Data: the AuditEntry's JSON
	AdapterValue    Kind = "adapter_value"    // Name: the adapter; Key; Data: the value
	AdapterSequence Kind = "adapter_sequence" // Name: the adapter; Seq: the last number NextID gave
	Vector          Kind = "vector"           // ID: the content key; Data: the float32s, little-endian
	WebRecord       Kind = "web_record"       // Name: the kind; ID: the key; User; At: expiry (unix nanos, 0: never); Data
	ActionRun       Kind = "action_run"       // Seq; Data: the ActionRun's JSON
	Setting         Kind = "setting"          // Name; Data: the value
	Sequence        Kind = "sequence"         // Name: tickets, outbox, audit or action_runs; Seq: the last number handed out
)

// Kinds are every kind, in export order.
var Kinds = []Kind{Ticket, Conversation, Message, PostRef, Dedup, Effect, Article, ArticleVersion, Feedback, KBFile, Audit,
	AdapterValue, AdapterSequence, Vector, WebRecord, ActionRun, Setting, Sequence}

// The sequences a store keeps, by Sequence record's Name.
const (
	SeqTickets    = "tickets"
	SeqOutbox     = "outbox"
	SeqAudit      = "audit"
	SeqActionRuns = "action_runs"
)

// Record is one record of a store. Which fields a kind uses is listed with the kinds.
type Record struct {
	Kind Kind
	Seq  uint64
	ID   string
	Name string
	Key  []byte
	User string
	At   int64
	Data []byte
}

// Counts are how many records of each kind a dump holds.
type Counts map[Kind]int

// Add counts r.
func (c Counts) Add(r Record) { c[r.Kind]++ }

// Diff lists the kinds whose counts differ between c and other, as sentences ("tickets: 120 copied, 119
// found"); none when they agree.
func (c Counts) Diff(other Counts) []string {
	var out []string
	for _, k := range Kinds {
		if c[k] != other[k] {
			out = append(out, fmt.Sprintf("%s: %d copied, %d found", k, c[k], other[k]))
		}
	}
	return out
}

// Canonical is a dump as sorted lines of text, one a record, with its JSON re-encoded from the decoded
// value, so that two stores that hold the same desk give the same lines whatever each's byte-level
// encoding (key order, the outbox's Seq kept in a column).
func Canonical(records []Record) ([]string, error) {
	out := make([]string, 0, len(records))
	for _, r := range records {
		data := []byte(base64.StdEncoding.EncodeToString(r.Data)) // bytes of their own: adapters', the console's, vectors
		if r.Kind != AdapterValue && r.Kind != WebRecord && r.Kind != Vector && r.Kind != Setting && len(r.Data) > 0 {
			data = r.Data
			var v any
			dec := json.NewDecoder(bytes.NewReader(data))
			dec.UseNumber()
			if err := dec.Decode(&v); err != nil {
				return nil, fmt.Errorf("%s %s: %w", r.Kind, r.ID, err)
			}
			var err error
			if data, err = json.Marshal(v); err != nil {
				return nil, err
			}
		}
		out = append(out, string(r.Kind)+" seq="+strconv.FormatUint(r.Seq, 10)+" id="+strconv.Quote(r.ID)+
			" name="+strconv.Quote(r.Name)+" key="+base64.StdEncoding.EncodeToString(r.Key)+" user="+strconv.Quote(r.User)+
			" at="+strconv.FormatInt(r.At, 10)+" data="+string(data))
	}
	slices.Sort(out)
	return out, nil
}
