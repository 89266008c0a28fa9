package bot

import (
	"context"
	"strings"
	"time"

	"github.com/firstline-desk/firstline/kb"
)

// Store keeps tickets, indexes and the outbox. Implementations run fn in one transaction: everything fn
// writes is committed together, durably, before Update returns nil, or nothing is.
//
// Updates are serializable: however many run at once, in one process or in several sharing a database,
// they come out as if they had run one at a time, each seeing everything committed before it. That is
// what makes a claim (read, check, write inside one Update) win exactly once, a dedup key recorded with
// an event's effects make a second delivery do nothing, and one conversation get one ticket.
//
// Update may call fn more than once, and only the run that commits counts: the bbolt store groups
// concurrent Updates into one commit and runs the others again without one that failed (storage's group
// commit); the PostgreSQL store runs Updates side by side, fails the ones that lost a race, and runs
// their fn again, each time in a new transaction that starts from what is committed then. fn must
// therefore leave nothing behind from a run but what it writes through its Tx: what it tells its caller
// it sets afresh on every run (assigned, not appended to), what it changes elsewhere (memory, a counter)
// it takes back at its start, and anything that is true only once it committed (a log line, an index
// update, a wake-up) waits until Update returns nil (the engine's after-commit list, trackedTx).
//
// Numbers a store hands out (ticket ids, Effect.Seq, the audit log's order) grow in the order they are
// taken, which is not always the order transactions commit: a failed or retried transaction leaves a gap
// (T-000007, then T-000009), and of two transactions that touch nothing in common, the one that took the
// higher number may commit first. Of two that touch the same record, the later one's numbers are higher.
// So an effect enqueued after another in the same lane by a later transaction of the same ticket comes
// later in the outbox, but a reader must not take the outbox's last Seq as a cursor that nothing will be
// committed below: read it from the start again.
type Store interface {
	// Update runs fn in a read-write transaction (more than once when the store retries or regroups it,
	// see Store). An error from fn rolls everything fn wrote back and is returned; it never fails the
	// Updates a store grouped with it.
	Update(ctx context.Context, fn func(Tx) error) error
	// View runs fn in a read-only transaction; Tx's write methods fail in it.
	View(ctx context.Context, fn func(Tx) error) error
}

// Tx is one storage transaction. Values returned are copies the caller may keep and change; nothing is
// written until Put* is called.
type Tx interface {
	// RecordDedupKey records a dedup key and reports whether it was already recorded.
	RecordDedupKey(key string, at time.Time) (bool, error)

	// CreateTicket assigns t.ID from a sequence and stores it.
	CreateTicket(t *Ticket) error
	// PutTicket stores a changed ticket (and keeps the requester and status indexes in step).
	PutTicket(t *Ticket) error
	// Ticket returns the ticket with id, or an ENOTFOUND error.
	Ticket(id string) (*Ticket, error)
	// FindTickets returns the tickets that match f, in f.Order (oldest first by default).
	FindTickets(f TicketFilter) ([]*Ticket, error)
	// TicketRows returns what lists and counts need of the tickets that match f, in f.Order, without
	// reading the tickets themselves: the store keeps a row per ticket for it.
	TicketRows(f TicketFilter) ([]TicketRow, error)
	// DueTickets returns the ids of up to limit tickets whose NextSLACheck is at or before until, the
	// earliest first. The store keeps them indexed, so this reads only what is due.
	DueTickets(until time.Time, limit int) ([]string, error)

	// KBArticle returns the newest version of an article (Deleted when it was deleted), or an ENOTFOUND
	// error when there never was one.
	KBArticle(id string) (KBArticle, error)
	// KBVersions returns every version of an article, oldest first.
	KBVersions(id string) ([]KBArticle, error)
	// KBArticles returns the newest version of every article, deleted ones included, sorted by id.
	KBArticles() ([]KBArticle, error)
	// PurgeKBArticle removes the old versions of an article, keeping the newest; a deleted article is
	// removed entirely (every version, and its feedback counts). It returns how many versions it
	// removed, or an ENOTFOUND error when there is no such article.
	PurgeKBArticle(id string) (int, error)
	// PutKBArticle stores a new version of a.ID (deleted marks it deleted) and returns its number. base is
	// the version the change was made from: when the newest version is another, nothing is written and
	// the error is ECONFLICT, so a concurrent edit is never silently lost (base 0: a new article).
	PutKBArticle(a kb.Article, deleted bool, author string, at time.Time, base int) (int, error)

	// KBFiles returns what is remembered of the files kb.dir imported, by article id (see SyncKBFolder).
	KBFiles() (map[string]KBFile, error)
	// PutKBFile records what became of an article's file, replacing the earlier record.
	PutKBFile(f KBFile) error
	// DeleteKBFile forgets an article's file (no error when there is none).
	DeleteKBFile(id string) error

	// CountFeedback counts an article offered (kind "") or an answer's outcome (a Feedback* kind).
	CountFeedback(article, kind string) error
	// Feedback returns the counts of every article that was offered.
	Feedback() (map[string]ArticleFeedback, error)

	// Audit appends an entry to the audit log, which is never rewritten.
	Audit(e AuditEntry) error
	// FindAudit returns the audit entries that match f, newest first (see AuditFilter).
	FindAudit(f AuditFilter) (AuditPage, error)

	// LinkConversation points a conversation at a ticket (replacing an earlier link).
	LinkConversation(c Conversation, ticketID string) error
	// TicketByConversation returns the ticket a conversation belongs to, or an ENOTFOUND error.
	TicketByConversation(c Conversation) (*Ticket, error)
	// RecordPost records where a message of a ticket went, in the transaction that removes its effect:
	// the message's link (MessageLink: its ticket, its key, the post while its choices work), and, for a
	// message with a key, its reference under its ticket and key (PostRef), replacing the one before
	// (a rating question asked again). It reads and writes no ticket; a ticket that does not exist is an
	// ENOTFOUND error. The dispatcher calls it after every post of a ticket's message.
	RecordPost(ref MessageRef, link MessageLink) error
	// PostRef returns where the ticket's message under key was posted, or an ENOTFOUND error when none
	// was (yet). The dispatcher reads it to edit, react to or reply under a message.
	PostRef(ticket, key string) (MessageRef, error)
	// PostRefs returns where each of the ticket's messages with a key was posted, by key.
	PostRefs(ticket string) (map[string]MessageRef, error)
	// LinkMessage rewrites the link of a message RecordPost recorded (its post, once its choices are
	// gone), leaving the ticket's references as they are.
	LinkMessage(ref MessageRef, link MessageLink) error
	// MessageLink returns what a posted message belongs to, or an ENOTFOUND error.
	MessageLink(ref MessageRef) (MessageLink, error)

	// Enqueue appends an effect to the outbox and sets its Seq.
	Enqueue(e *Effect) error
	// Effects returns up to limit pending effects after sequence number after, in outbox order
	// (limit 0: all of them).
	Effects(after uint64, limit int) ([]Effect, error)
	// PutEffect rewrites a pending effect (attempts, next try).
	PutEffect(e Effect) error
	// DeleteEffect removes a done effect.
	DeleteEffect(seq uint64) error

	// CreateActionRun assigns r.ID ("A-000001") from a sequence and stores it.
	CreateActionRun(r *ActionRun) error
	// PutActionRun stores a changed run (an ENOTFOUND error when there is no run r.ID).
	PutActionRun(r *ActionRun) error
	// ActionRun returns the run with id, or an ENOTFOUND error.
	ActionRun(id string) (*ActionRun, error)
	// FindActionRuns returns the runs that match f, oldest first.
	FindActionRuns(f ActionRunFilter) ([]*ActionRun, error)

	// Setting returns the value of one of the desk's settings (SettingActionsOff), "" when it was never
	// set.
	Setting(name string) (string, error)
	// PutSetting sets one of the desk's settings; "" removes it.
	PutSetting(name, value string) error
}

// KBArticle is one version of a knowledge-base article as stored.
type KBArticle struct {
	Article kb.Article `json:"article"`
	Version int        `json:"version"`
	Deleted bool       `json:"deleted,omitempty"`
	Author  string     `json:"author" redact:"-"`
	At      time.Time  `json:"at"`
}

// ArticleFeedback is what became of an article's answers.
type ArticleFeedback struct {
	Offered    int `json:"offered"`
	Solved     int `json:"solved,omitempty"`
	NotHelpful int `json:"not_helpful,omitempty"`
	Human      int `json:"human,omitempty"`
}

// AuditEntry is one line of the audit log: who did what to what, when.
type AuditEntry struct {
	At     time.Time `json:"at"`
	Actor  string    `json:"actor" redact:"-"`  // "platform:id", or "" for the desk itself
	Action string    `json:"action" redact:"-"` // "kb.add", "kb.edit", "kb.delete", "kb.restore", "kb.purge", "kb.publish", "ticket.claimed", "refused", ...
	Target string    `json:"target" redact:"-"` // an article id or a ticket id
	Detail string    `json:"detail,omitempty"`
}

// TicketFilter selects tickets. Zero fields match everything; the fields that are set must all match.
type TicketFilter struct {
	Requester string
	Status    []Status
	Tier      string
	Priority  string
	Assignee  string
	// Platform is the platform of the ticket's conversation ("slack", "discord", "console").
	Platform string
	// CreatedFrom and CreatedTo bound when the ticket was opened: at or after CreatedFrom, before
	// CreatedTo. A zero time leaves that end open.
	CreatedFrom, CreatedTo time.Time
	// Text matches tickets whose subject or conversation holds every word of it, as the knowledge base's
	// search reads words (case, plurals and the like do not matter: "Printers" finds "printer").
	Text string
	// Visible makes Text match only what the requester sees: internal notes are left out.
	Visible bool
	// Order is the order of the result; Offset skips that many matches first.
	Order  TicketOrder
	Offset int
	Limit  int // 0 = no limit
}

// TicketOrder is an order of tickets.
type TicketOrder string

// The orders of tickets. Tickets are numbered as they are opened, so the ticket number is their age.
const (
	OrderOldest TicketOrder = ""       // the lowest ticket number first
	OrderNewest TicketOrder = "newest" // the highest ticket number first
	// OrderDue: the tickets with a running SLA clock first, the nearest deadline (SLAState.Due) first;
	// then the others, newest first.
	OrderDue TicketOrder = "due"
)

// TicketRow is what a list of tickets and the queue's counts need of one ticket.
type TicketRow struct {
	ID         string
	Status     Status
	Tier       string
	Priority   string
	Assignee   string
	Requester  string
	Platform   string
	CreatedAt  time.Time
	ResolvedAt time.Time // zero while it is not resolved
	SLA        SLAState
	Rating     int // the requester's score, 0 when not rated
}

// AuditFilter selects audit entries. Zero fields match everything; the fields that are set must all
// match.
type AuditFilter struct {
	Actor  string // exactly
	Action string // exactly, or every action under it when it ends in "." ("kb.")
	Target string // exactly
	// From and To bound the entries' time: at or after From, before To.
	From, To time.Time
	// Before continues a search: only entries older than this cursor (AuditPage.Next) are read.
	Before uint64
	Limit  int // how many entries to return; 0 = 50
	// Budget bounds how many entries one call reads, so a search for something rare in a long log
	// answers quickly, and says where to go on (AuditPage.Next); 0 = 20,000.
	Budget int
}

// Match reports whether e is one of the entries f selects by its fields (Actor, Action, Target, To;
// From, Before and the bounds are how far a search reads, not what it keeps).
func (f AuditFilter) Match(e AuditEntry) bool {
	switch {
	case f.Actor != "" && e.Actor != f.Actor,
		f.Target != "" && e.Target != f.Target,
		!f.To.IsZero() && !e.At.Before(f.To):
		return false
	case f.Action == "":
		return true
	case strings.HasSuffix(f.Action, "."):
		return strings.HasPrefix(e.Action, f.Action)
	}
	return e.Action == f.Action
}

// AuditPage is one page of audit entries, newest first.
type AuditPage struct {
	Entries []AuditEntry
	// Next is the cursor to read older entries with (AuditFilter.Before), 0 when the log was read to its
	// start.
	Next uint64
	// Through is the time of the oldest entry read, so a search cut short by its budget can say how
	// far back it looked.
	Through time.Time
}

// MessageLink is what a message posted by the bot belongs to.
type MessageLink struct {
	Ticket string `json:"ticket" redact:"-"`
	Key    string `json:"key" redact:"-"` // its key under its ticket (PostRef): "card-1", "answer-2", "csat"; "" for a notice
	// Post is the message as posted, kept while it offers choices, so they can be taken off it (an edit
	// has to send the whole message again) once they stop being valid.
	Post *Post `json:"post,omitempty"`
}

// EffectKind says what the dispatcher has to do.
type EffectKind string

// The kinds of effects.
const (
	EffectPost   EffectKind = "post"   // post a message; record its reference under Key
	EffectUpdate EffectKind = "update" // edit the message recorded under Key
	EffectReact  EffectKind = "react"  // add a reaction to the message recorded under Key
	EffectJob    EffectKind = "job"    // run slow work (a KB search) whose result is a new transaction
	EffectUpload EffectKind = "upload" // pass a file on (File) to a conversation, or link it (upload.go)
	EffectForm   EffectKind = "form"   // open a form for a person (FormOpener)
)

// Effect is one entry in the outbox: something the engine decided and the dispatcher must do.
type Effect struct {
	Seq      uint64     `json:"seq"`
	Kind     EffectKind `json:"kind" redact:"-"`
	Platform string     `json:"platform" redact:"-"`
	// Lane keeps order: effects in one lane (a conversation) are done in Seq order, one at a time.
	Lane   string `json:"lane" redact:"-"`
	Ticket string `json:"ticket,omitempty" redact:"-"`
	Key    string `json:"key,omitempty" redact:"-"`
	// ThreadKey makes a post a reply under the message recorded under that key, which may not have been
	// posted yet when the effect was enqueued (a card and the first reply in its thread).
	ThreadKey string `json:"thread_key,omitempty" redact:"-"`
	Post      Post   `json:"post,omitempty"`
	Reaction  string `json:"reaction,omitempty" redact:"-"`
	Job       string `json:"job,omitempty" redact:"-"`
	// Query is what a search job looks for ("!kb search"): words someone typed.
	Query string `json:"query,omitempty"`
	// File is the file an upload passes on: its source platform and reference.
	File *File `json:"file,omitempty"`
	// Intake is what a ticket-from-a-message job reads and opens (intake.go).
	Intake *IntakeRequest `json:"intake,omitempty"`
	// Form is the form an EffectForm opens, and Trigger the platform's handle from the event that asked
	// (Event.Trigger).
	Form    string `json:"form,omitempty" redact:"-"`
	Trigger string `json:"trigger,omitempty" redact:"-"`
	// Run is the action run an action job starts, or a preview job previews.
	Run string `json:"run,omitempty" redact:"-"`
	// DropChoices makes an update take the choices off the message recorded under Key: it is sent again
	// as it was posted, without them, with Post.Text (when set) added as its last line.
	DropChoices bool `json:"drop_choices,omitempty"`
	// Attempts and NotBefore schedule retries after failures.
	Attempts  int       `json:"attempts,omitempty"`
	NotBefore time.Time `json:"not_before,omitempty"`
	CreatedAt time.Time `json:"created_at"`

	// maybePosted: the replica that held this effect's lane before lost it without releasing it
	// (lanes.go), so a post may have been made and not recorded. Never stored.
	maybePosted bool
}

// StoreStats is a snapshot of a Store for monitoring (/metrics): what it holds, read without decoding
// the tickets. A Store that can say it implements Stats(ctx) (StoreStats, error) (storage.DB does).
type StoreStats struct {
	// Tickets counts the tickets by status; every known status is present, zero or not.
	Tickets map[Status]int
	// Outbox is how many effects wait in the outbox (to post, update, react, or jobs to run).
	Outbox int
	// OldestEffect is when the oldest effect in the outbox was caused; zero when the outbox is empty.
	OldestEffect time.Time
	// FileBytes is the size of the data file.
	FileBytes int64
}
