package bot

import (
	"fmt"
	"strings"
	"time"
)

// TicketVersion is the version of the stored ticket's JSON shape. Version 2 records which of the bot's
// messages still offer choices (Live); a version 1 ticket never did, and its choices are judged by its
// status alone. Version 3 no longer holds where the bot's messages went ("messages"): they are stored
// apart, by ticket and key (Tx.PostRefs), so posting one does not rewrite the ticket; a data file's
// older tickets had theirs moved there when it was upgraded.
const TicketVersion = 3

// Status is where a ticket is in its life.
type Status string

// Ticket statuses.
const (
	StatusOpen      Status = "open"      // Level 1 (the bot) is working on it
	StatusEscalated Status = "escalated" // waiting in a tier's queue for a technician to claim it
	StatusClaimed   Status = "claimed"   // a technician owns it
	StatusResolved  Status = "resolved"  // solved; the requester may reopen it within the reopen window
	// StatusPendingVendor: an outside supplier has the case; the owner stays responsible.
	StatusPendingVendor Status = "pending_vendor"
)

// ParseStatus checks a status written by a person.
func ParseStatus(s string) (Status, error) {
	switch st := Status(s); st {
	case StatusOpen, StatusEscalated, StatusClaimed, StatusResolved, StatusPendingVendor:
		return st, nil
	}
	return "", Errorf(EINVALID, "unknown status %q (want open, escalated, claimed, pending_vendor or resolved)", s)
}

// Active reports whether the ticket still needs work.
func (s Status) Active() bool { return s != StatusResolved }

// LevelOne is the tier of a ticket the bot itself is handling.
const LevelOne = "L1"

// Ticket is one request for help: the conversation it lives in, who asked, who owns it, what was tried,
// and every transition it went through. It is stored as JSON; the field names are a stable interface
// (`firstline tickets show -json`).
//
// Every string field is text, redacted when the ticket is written, unless it is tagged `redact:"-"`: an
// identifier (an id, a key, a platform reference, a status) that redaction must not touch. A new field
// needs that decision; TestEveryStringFieldIsDecided fails until it is made.
type Ticket struct {
	Version       int          `json:"version"`
	ID            string       `json:"id" redact:"-"`
	Status        Status       `json:"status" redact:"-"`
	Tier          string       `json:"tier" redact:"-"`
	Priority      string       `json:"priority" redact:"-"`
	Category      string       `json:"category,omitempty"`
	Requester     string       `json:"requester" redact:"-"`
	RequesterName string       `json:"requester_name,omitempty"`
	Assignee      string       `json:"assignee,omitempty" redact:"-"`
	AssigneeName  string       `json:"assignee_name,omitempty"`
	Conversation  Conversation `json:"conversation"`
	Subject       string       `json:"subject"`
	Offers        []Offer      `json:"offers,omitempty"`
	NotHelpful    int          `json:"not_helpful,omitempty"`
	Clarifying    bool         `json:"clarifying,omitempty"` // the bot asked a question and waits for the answer
	// FollowUps counts the requester's follow-ups at Level 1 that found nothing new to offer; at
	// maxFruitlessFollowUps the ticket is escalated.
	FollowUps int `json:"follow_ups,omitempty"`
	// Heard is how many transcript entries the last search read, so a follow-up job for words an
	// earlier job already read does nothing.
	Heard int    `json:"heard,omitempty"`
	Cards []Card `json:"cards,omitempty"`
	// Live are the keys of the bot's messages whose choices (buttons, or reactions standing for them)
	// still work; a message leaves it when they stop being valid, and its buttons are taken off.
	Live       []string `json:"live,omitempty" redact:"-"`
	Transcript []Entry  `json:"transcript"`
	// Transitions are what happened to the ticket, oldest first. Stored as "events", their name in the
	// data file's format, which does not change with Go's.
	Transitions []Transition `json:"events"`
	CSAT        *Rating      `json:"csat"`
	CreatedAt   time.Time    `json:"created_at"`
	UpdatedAt   time.Time    `json:"updated_at"`
	ResolvedAt  *time.Time   `json:"resolved_at"`
	ResolvedBy  string       `json:"resolved_by,omitempty" redact:"-"`
	// PrioritySource says who set Priority: "default", "rule:NAME", "technician", "model" (a model may
	// only lower the default, see applyTriage).
	PrioritySource string `json:"priority_source,omitempty" redact:"-"`
	// SuggestedPriority is a model's suggestion more urgent than Priority: never applied by itself, it
	// is shown on the card for a technician to accept ("!priority accept").
	SuggestedPriority string `json:"suggested_priority,omitempty" redact:"-"`
	// Suggestions are the actions the model suggested under its answers, with the values it proposed:
	// an answer's button asks for exactly these (see actionsuggest.go).
	Suggestions []ActionSuggestion `json:"suggestions,omitempty"`
	// CategorySource says who set Category: "model" when it is a model's suggestion.
	CategorySource string `json:"category_source,omitempty" redact:"-"`
	// SLA holds the ticket's service-level clocks; nil for tickets from before SLAs were configured.
	SLA *SLA `json:"sla,omitempty"`
	// Vendor is the outside supplier that has the case, while it has it (and the last one after).
	Vendor *VendorCase `json:"vendor,omitempty"`
	// Survey is set when the requester was asked to rate the help.
	Survey *Survey `json:"survey,omitempty"`
	// Draft is the article captured from this ticket, and what became of it.
	Draft *KBDraft `json:"draft,omitempty"`
	// Summary is the handoff summary shown on the ticket's card.
	Summary *Summary `json:"summary,omitempty"`
	// Intake says how the ticket came in when it was not a question asked of the desk: from someone's
	// message (a reaction, a message shortcut) or a form.
	Intake *Intake `json:"intake,omitempty"`
	// Form is the form the ticket was opened with, with its answers.
	Form *FormRecord `json:"form,omitempty"`
	// Files are the files posted in the ticket's conversations, in order.
	Files []Attachment `json:"files,omitempty"`
	// Alert is the alert group a monitor opened the ticket for (alert.go); nil for a person's ticket.
	Alert *AlertGroup `json:"alert,omitempty"`
}

// Summary is a ticket's handoff summary for technicians.
type Summary struct {
	Text string    `json:"text"`
	By   string    `json:"by" redact:"-"` // "model" or "desk" (written from the ticket's facts)
	At   time.Time `json:"at"`
}

// SLA is a ticket's service-level clocks, kept on the ticket so reports and the SLA loop read the same
// facts. Times are wall-clock instants; durations counted against a target are business time.
type SLA struct {
	// Priority is the priority the targets were taken from.
	Priority string `json:"priority" redact:"-"`
	// Response runs from the first escalation to the first technician message or claim.
	Response SLAClock `json:"response"`
	// Resolution runs from opening to resolution.
	Resolution SLAClock `json:"resolution"`
	// WaitingSince is set while the ticket waits on the requester: both clocks are paused.
	WaitingSince *time.Time `json:"waiting_since,omitempty"`
}

// SLAClock is one SLA target on one ticket.
type SLAClock struct {
	Start *time.Time `json:"start,omitempty"` // when it started; nil until then
	Due   *time.Time `json:"due,omitempty"`   // the deadline, moved later by pauses
	// WarnAt is when the desk warns that the deadline is near (a share of the target, see Config.SLAWarnAt).
	WarnAt *time.Time `json:"warn_at,omitempty"`
	Met    *time.Time `json:"met,omitempty"` // when it stopped: first response given, or resolved
	// Paused is the business time spent waiting on the requester, not counted against the target.
	Paused time.Duration `json:"paused,omitempty"`
	// Warned and Breached record that the warning and the breach were announced, so each is sent once.
	Warned   bool `json:"warned,omitempty"`
	Breached bool `json:"breached,omitempty"`
}

// VendorCase is an outside supplier working the case.
type VendorCase struct {
	Name      string     `json:"name"`
	Reference string     `json:"reference,omitempty"`
	Since     time.Time  `json:"since"`
	Due       *time.Time `json:"due,omitempty"`      // the vendor's own response target
	Back      *time.Time `json:"back,omitempty"`     // when the case came back from the vendor
	Breached  bool       `json:"breached,omitempty"` // the overdue notice was sent
}

// Survey is the satisfaction survey of a resolved ticket.
type Survey struct {
	AskedAt  time.Time  `json:"asked_at"`
	RemindAt *time.Time `json:"remind_at,omitempty"` // when one reminder is due, if no rating came
	Reminded bool       `json:"reminded,omitempty"`
}

// TicketID formats a ticket's sequence number as its human id.
func TicketID(seq uint64) string { return fmt.Sprintf("T-%06d", seq) }

// Offer is an article the bot offered and what the requester said about it.
type Offer struct {
	Article    string    `json:"article" redact:"-"`
	Title      string    `json:"title"`
	Confidence float64   `json:"confidence"`
	Message    string    `json:"message,omitempty" redact:"-"`  // the key of the answer that offered it (PostRef)
	Feedback   string    `json:"feedback,omitempty" redact:"-"` // "", FeedbackSolved, FeedbackNotHelpful, FeedbackHuman
	At         time.Time `json:"at"`
	// Model: the article was cited by an answer the model wrote, rather than posted itself.
	Model bool `json:"model,omitempty"`
}

// Feedback a requester gives on an answer.
const (
	FeedbackSolved     = "solved"
	FeedbackNotHelpful = "not_helpful"
	FeedbackHuman      = "human"
)

// Card is a handoff card posted in a tier channel.
type Card struct {
	Key      string    `json:"key" redact:"-"` // the card's message key (PostRef)
	Tier     string    `json:"tier" redact:"-"`
	Current  bool      `json:"current"` // the card technicians work the ticket from
	Note     string    `json:"note,omitempty"`
	PostedAt time.Time `json:"posted_at"`
	// Owner is who owned the ticket when the card stopped being current ("" for nobody), so an old card
	// still says who had it.
	Owner string `json:"owner,omitempty"`
}

// Entry is one line of a ticket's transcript.
type Entry struct {
	At     time.Time `json:"at"`
	Author string    `json:"author" redact:"-"` // "platform:id"; "" for the bot
	Name   string    `json:"name"`
	Role   string    `json:"role" redact:"-"` // RoleRequester, RoleTechnician, RoleBot
	Text   string    `json:"text"`
	// Internal entries are technicians' notes: never shown to the requester.
	Internal bool `json:"internal,omitempty"`
}

// Roles in a transcript.
const (
	RoleRequester  = "requester"
	RoleTechnician = "technician"
	RoleBot        = "bot"
)

// Transition is a change in a ticket's life, kept for audit and reports.
type Transition struct {
	At     time.Time      `json:"at"`
	Type   TransitionType `json:"type" redact:"-"`
	From   Status         `json:"from,omitempty" redact:"-"`
	To     Status         `json:"to,omitempty" redact:"-"`
	By     string         `json:"by,omitempty" redact:"-"`
	Tier   string         `json:"tier,omitempty" redact:"-"`
	Detail string         `json:"detail,omitempty"`
}

// TransitionType names a change in a ticket's life. The constants below are all of them: code compares
// and records transitions only through them, never through a string written out, so a misspelt type does
// not compile (TestTransitionTypesAreNamed holds the line). The stored JSON, the audit log
// ("ticket.escalated") and the metrics label carry the string values, which are a stable interface.
type TransitionType string

// Transition types, in the order a ticket's life usually meets them.
const (
	TransitionOpened            TransitionType = "opened"             // the requester asked; the ticket exists
	TransitionClarifying        TransitionType = "clarifying"         // the bot asked the requester what is wrong
	TransitionAnswered          TransitionType = "answered"           // the bot offered articles, or a model's answer
	TransitionFeedback          TransitionType = "feedback"           // the requester said whether an answer helped
	TransitionFollowUp          TransitionType = "follow_up"          // a follow-up found only what was offered before
	TransitionPriority          TransitionType = "priority"           // the priority changed (Detail: "P3 → P2")
	TransitionPrioritySuggested TransitionType = "priority_suggested" // a model suggested a more urgent priority, not applied
	TransitionEscalated         TransitionType = "escalated"          // sent to a tier (Tier is the new one): starts the response clock
	TransitionClaimed           TransitionType = "claimed"            // a technician took it: a first response
	TransitionReleased          TransitionType = "released"           // its technician gave it back to the tier's queue
	TransitionWaiting           TransitionType = "waiting"            // waiting on the requester: the SLA clocks pause
	TransitionResumed           TransitionType = "resumed"            // the requester answered: the SLA clocks run again
	TransitionVendor            TransitionType = "vendor"             // an outside supplier has the case
	TransitionVendorBack        TransitionType = "vendor_back"        // the case came back from the vendor
	TransitionVendorOverdue     TransitionType = "vendor_overdue"     // the vendor missed its response target
	TransitionSLAWarned         TransitionType = "sla_warned"         // an SLA clock neared its deadline (Detail names the clock)
	TransitionSLABreached       TransitionType = "sla_breached"       // an SLA clock passed its deadline (Detail names the clock)
	TransitionResolved          TransitionType = "resolved"           // solved
	TransitionReopened          TransitionType = "reopened"           // the requester wrote again within the reopen window
	TransitionRated             TransitionType = "rated"              // the requester rated the help (Detail: "4/5")
	TransitionRatingComment     TransitionType = "rating_comment"     // the requester added a comment to the rating
	// A monitor's word on an alert ticket's group (Detail: what it said): it fires (again, or more of it),
	// or it is resolved.
	TransitionAlertFiring   TransitionType = "alert_firing"
	TransitionAlertResolved TransitionType = "alert_resolved"
	// The steps of an action run recorded on its ticket (Detail: the run's id and action, and more).
	TransitionActionRequested TransitionType = "action_requested" // someone asked for an action
	TransitionActionApproved  TransitionType = "action_approved"  // confirmed, or approved by its quorum: it will run
	TransitionActionDenied    TransitionType = "action_denied"    // an approver said no
	TransitionActionExpired   TransitionType = "action_expired"   // nobody confirmed or approved it in time
	TransitionActionCancelled TransitionType = "action_cancelled" // the requester cancelled it, or actions were off
	TransitionActionStarted   TransitionType = "action_started"   // the call is being made
	TransitionActionFinished  TransitionType = "action_finished"  // the call ended (Detail: its outcome)
)

// Rating is the requester's satisfaction score after resolution.
type Rating struct {
	Score   int       `json:"score"` // 1..5
	RatedAt time.Time `json:"rated_at"`
	By      string    `json:"by" redact:"-"`
	Comment string    `json:"comment,omitempty"`
}

// currentCard returns the card technicians work from, or nil.
func (t *Ticket) currentCard() *Card {
	for i := range t.Cards {
		if t.Cards[i].Current {
			return &t.Cards[i]
		}
	}
	return nil
}

// card returns the card posted under key, or nil.
func (t *Ticket) card(key string) *Card {
	for i := range t.Cards {
		if t.Cards[i].Key == key {
			return &t.Cards[i]
		}
	}
	return nil
}

// offersIn returns the indexes of the offers made by the answer posted under key.
func (t *Ticket) offersIn(key string) []int {
	var idx []int
	for i, o := range t.Offers {
		if o.Message == key {
			idx = append(idx, i)
		}
	}
	return idx
}

func (t *Ticket) offered(article string) bool {
	for _, o := range t.Offers {
		if o.Article == article {
			return true
		}
	}
	return false
}

// transition records a status change (or an event that keeps the status) in the ticket's history.
func (t *Ticket) transition(at time.Time, typ TransitionType, to Status, by, detail string) {
	from := t.Status
	tr := Transition{At: at, Type: typ, By: by, Tier: t.Tier, Detail: detail}
	if to != "" && to != from {
		tr.From, tr.To = from, to
		t.Status = to
	}
	t.Transitions = append(t.Transitions, tr)
	t.UpdatedAt = at
}

// resubject names the ticket after the requester's problem when it was opened with a greeting ("hi"):
// the desk asked what was wrong, and this is the answer.
func (t *Ticket) resubject(text string) {
	if t.Clarifying && len(t.Offers) == 0 && len(strings.Fields(t.Subject)) <= 4 {
		if s := clip(firstLine(text), 120); s != "" {
			t.Subject = s
		}
	}
}

// say records a message in the transcript. It is redacted where every text is: at the engine's door
// (Engine.Handle) and when the ticket is written (trackedTx).
func (t *Ticket) say(at time.Time, author, name, role, text string, internal bool) {
	t.Transcript = append(t.Transcript, Entry{At: at, Author: author, Name: name, Role: role, Text: text, Internal: internal})
	t.UpdatedAt = at
}
