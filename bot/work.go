package bot

import (
	"fmt"
	"strings"
	"time"

	"github.com/firstline-desk/firstline/kb"
)

// Jobs: slow work that runs from the outbox, outside the event's transaction.
const (
	jobAnswer   = "answer"   // answer a new (or reopened) ticket's question
	jobFollowUp = "followup" // the requester added details while Level 1 works the ticket
	jobNext     = "next"     // the last answer did not help: offer the next best articles
	jobReport   = "report"   // a tier asked for the report: compute it and post it
	jobSummary  = "summary"  // write a ticket's handoff summary (for its card, or for "!summary")
	jobKBSearch = "kbsearch" // "!kb search": search the knowledge base and post the hits
)

// Choice ids on the bot's messages.
const (
	choiceCSATPrefix = "csat-"
	keyCSAT          = "csat"
	keyAnswerPrefix  = "answer-"
	keyAskPrefix     = "ask-"
	keyCardPrefix    = "card-"
)

func isCardKey(k string) bool { return strings.HasPrefix(k, keyCardPrefix) }
func isFeedbackKey(k string) bool {
	return strings.HasPrefix(k, keyAnswerPrefix) || strings.HasPrefix(k, keyAskPrefix)
}

// work is the handling of one event (or one job's result) inside one storage transaction. Everything it
// decides is written through tx: ticket changes and the outbox effects they cause.
type work struct {
	e   *Engine
	tx  *trackedTx
	ev  Event
	now time.Time

	// throttled: the person is over the flood limit: their message is recorded, nothing more is done
	// for it. notify: it is the first such message in the window, which gets the one notice.
	throttled, notify bool
	// flood records what the flood guard noted for the event, to be taken back if the transaction fails.
	flood *floodMark

	// explicit is the ticket a command named by its id ("!status T-000123"), found and visible to the
	// event's user; ticketInContext returns it. replyInDM: the answer about it goes to the user's DMs,
	// since the command was typed in a public place that is not the ticket's.
	explicit  *Ticket
	replyInDM bool

	// taken are the files of the event the desk took (said), for the caller to pass on.
	taken []Attachment
	// muted: the alert route's flood limit holds back what this notification would post (alertflood.go):
	// enqueue drops it, and the ticket remembers (AlertGroup.Held).
	muted bool

	// articles are what a job read of the knowledge base before its transaction (findings.articles):
	// nothing reads the library while holding the writer.
	articles map[string]kb.Article
}

// article returns an article the job read before its transaction; ok is false when the library did not
// have it then.
func (w *work) article(id string) (kb.Article, bool) {
	a, ok := w.articles[id]
	return a, ok
}

// logCommitted logs at info level once the transaction has committed: "ticket opened" for a commit that
// a full disk refused would be a lie.
func (w *work) logCommitted(msg string, args ...any) {
	w.tx.afterCommit(func() { w.e.log.Info(msg, args...) })
}

func (w *work) cfg() *Config { return &w.e.cfg }

func (w *work) handle() error {
	switch w.ev.Kind {
	case EventMessage:
		return w.message()
	case EventReactionAdded, EventReactionRemoved:
		return w.reaction()
	case EventClick:
		return w.click()
	case EventAction:
		return w.actionFrom()
	case EventCreateTicket:
		return w.ticketFromMessage(IntakeShortcut)
	case EventForm:
		return w.form()
	case EventHome:
		return w.home()
	case EventAlert:
		return w.alert()
	}
	return Errorf(EINVALID, "unknown event kind %q", w.ev.Kind)
}

// audit appends an entry for what the event's user did.
func (w *work) audit(action, target, detail string) error {
	return w.tx.Audit(AuditEntry{At: w.now, Actor: w.ev.User, Action: action, Target: target, Detail: detail})
}

// refuse answers a request the user's role does not allow, and audits it.
func (w *work) refuse(what, who string) error {
	if err := w.audit("refused", "", what); err != nil {
		return err
	}
	return w.reply("", fmt.Sprintf("Only %s can %s.", who, what))
}

func (w *work) isAdmin() bool { return w.cfg().isAdmin(w.ev.User, w.ev.Roles) }
