package bot

import (
	"context"
	"strings"
	"time"
)

// EventKind says what happened on a chat platform.
type EventKind string

// The kinds of inbound events.
const (
	EventMessage         EventKind = "message"          // someone wrote a message
	EventReactionAdded   EventKind = "reaction_added"   // someone reacted to a message
	EventReactionRemoved EventKind = "reaction_removed" // someone took a reaction back
	EventClick           EventKind = "click"            // someone pressed a button (a Choice)
	// EventAction: someone acted on a ticket from outside its chat messages (the web console, a home
	// tab): Ticket names it, Action says what (action.go), Text is a reply or note, Choice a value (a
	// priority, a rating). Channel, Thread and Message are empty. A refusal is Handle's error where the
	// platform has no chat (the web), and a private reply where it has one.
	EventAction EventKind = "action"
	// EventCreateTicket: someone asked to turn a message into a ticket (Slack's message shortcut "Create
	// ticket", Discord's message command): Channel, Thread and Message name the message, User is who
	// asked. The message's author becomes the requester; its text and files are read by a job
	// (MessageReader), after the event is recorded. A reaction with Reactions.Ticket does the same.
	EventCreateTicket EventKind = "create_ticket"
	// EventForm: someone submitted a form (Form). A refusal (an unknown form, one they may not use, a
	// bad answer) is Handle's error, nothing kept, as for EventAction: see forms.go.
	EventForm EventKind = "form"
	// EventHome: someone is looking at their home (Slack's App Home tab): the engine publishes it for
	// them (HomePublisher) and keeps it fresh while their tickets change.
	EventHome EventKind = "home"
)

// Event is a neutral inbound event. Adapters translate platform events into it and hand it to the engine;
// every reference in it is the platform's own opaque id, and users are "platform:id".
type Event struct {
	Kind EventKind `redact:"-"`
	// ID is the dedup key of the event, unique within its platform (Slack's event_id, Discord's message or
	// interaction id). The engine records it in the same transaction as the change it causes, so a
	// redelivery changes nothing. Empty disables deduplication by id. A message is also deduplicated by
	// itself (Platform, Channel, Message), so one message delivered as two events with different ids
	// (Slack's message and app_mention) is handled once.
	ID       string `redact:"-"`
	Platform string `redact:"-"` // "slack", "discord", "console"
	Channel  string `redact:"-"` // the platform's channel id (for a DM, the DM channel)
	// Thread is the root message of the thread the event happened in, "" when it is not in a thread.
	// For reactions and clicks it is the thread of the message reacted to, when the platform says.
	Thread string `redact:"-"`
	// Message is the message written, or the message reacted to or clicked.
	Message  string `redact:"-"`
	User     string `redact:"-"` // who did it, "platform:id"
	UserName string // their display name, as the platform shows it
	// Roles are the user's roles where the platform has them, "platform:role:id" (Discord), so tiers
	// and admins can be given as roles.
	Roles []string `redact:"-"`
	DM    bool     // the event is in a direct conversation with the bot
	// Group says the direct conversation has other people in it too (Slack's group DMs): it is one
	// ticket like a DM, but not private, so what is for one person alone goes to their own DM.
	Group   bool
	Mention bool   // the message mentions the bot
	Text    string // the message, in Markdown
	// Mentions are the people the message mentions (other than the bot), as the platform identified
	// them: Text shows each only as @name, which is for reading, not for knowing who (mention.go).
	Mentions []Mention
	Reaction string `redact:"-"` // a normalized reaction name: "raising_hand", "+1", ...
	Choice   string `redact:"-"` // the ID of the Choice clicked
	Time     time.Time
	// Private says the event is a command only its author sees (a Slack slash command): the engine's
	// replies to it are for that person alone (Post.To), never for the channel.
	Private bool
	// ReplyTo is the adapter's own handle for answering a private event (Slack: the command's
	// response_url). The engine hands it back in Post.ReplyTo and never reads it.
	ReplyTo string `redact:"-"`
	// Trigger is the adapter's short-lived handle for opening a form for the person (Slack's trigger_id,
	// a few seconds): the engine hands it back in FormRequest.Trigger and never reads it.
	Trigger string `redact:"-"`
	// Files are the files attached to the message (Kind EventMessage).
	Files []File
	// Form is the submitted form of an EventForm.
	Form *FormSubmission
	// Ticket and Action are an EventAction's: the ticket's id and what is done to it.
	Ticket string `redact:"-"`
	Action Action `redact:"-"`
	// KB is a knowledge-base action's article (ActionKBSave, ActionKBDelete, ActionKBRestore).
	KB *KBEdit
	// Alert is an EventAlert's notification (alert.go).
	Alert *AlertNotice
}

// MessageRef points at a message a platform holds.
type MessageRef struct {
	Platform string `json:"platform" redact:"-"`
	Channel  string `json:"channel" redact:"-"`
	Thread   string `json:"thread,omitempty" redact:"-"` // root of the thread the message is in, "" at top level
	ID       string `json:"id" redact:"-"`
}

// Key is the stable index key of the message: message ids are only unique within a channel on some
// platforms.
func (r MessageRef) Key() string { return r.Platform + "\x1f" + r.Channel + "\x1f" + r.ID }

// Conversation is where a ticket's requester talks: a thread in a channel, or a DM.
type Conversation struct {
	Platform string `json:"platform" redact:"-"`
	Channel  string `json:"channel" redact:"-"`
	Thread   string `json:"thread,omitempty" redact:"-"` // "" for a DM spoken at top level
	DM       bool   `json:"dm,omitempty"`
	// Root is the key of the desk's own message whose thread the conversation is (a form's receipt),
	// when the ticket was opened before that message was posted: until the thread is known (Thread),
	// posts go under that message, in the requester's DM when Channel is empty too.
	Root string `json:"root,omitempty" redact:"-"`
}

// Key is the stable index key of the conversation.
func (c Conversation) Key() string { return c.Platform + "\x1f" + c.Channel + "\x1f" + c.Thread }

// Choice is a button under a message. Platforms without buttons render the label as text and rely on the
// engine accepting Reaction on the message instead.
type Choice struct {
	ID       string `json:"id" redact:"-"` // what a click reports back in Event.Choice
	Label    string `json:"label"`         // what the button says
	Style    string `json:"style,omitempty" redact:"-"`
	Reaction string `json:"reaction,omitempty" redact:"-"` // a reaction with the same meaning, for platforms without buttons
}

// Button styles.
const (
	StylePrimary = "primary"
	StyleDanger  = "danger"
)

// Field is a labelled value on a card (ticket, requester, priority, owner, ...).
type Field struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Post is a message to send. Text is Markdown (bold, italics, links, code, lists); adapters render it
// natively and must make sure it can never trigger a mass mention.
type Post struct {
	Channel string   `json:"channel,omitempty" redact:"-"` // the platform's channel id; unused when DM is set
	Thread  string   `json:"thread,omitempty" redact:"-"`  // the root message to reply under, "" at top level
	DM      string   `json:"dm,omitempty" redact:"-"`      // "platform:id": post in a DM with this user instead
	Title   string   `json:"title,omitempty"`              // a card's heading
	Text    string   `json:"text"`
	Fields  []Field  `json:"fields,omitempty"`
	Choices []Choice `json:"choices,omitempty"`
	// Notify are groups to ping, the one deliberate mention the desk makes (an SLA breach to a tier's
	// on-call group): "slack:subteam:S0123", "discord:role:123". Adapters render only their own and keep
	// every other mention off; text can never produce one.
	Notify []string `json:"notify,omitempty" redact:"-"`
	// ThreadName names the thread the post goes into (Thread, or the message of an effect's ThreadKey),
	// for platforms whose threads have names (Discord), should the adapter have to start it. The engine
	// sets it on every post into a thread, from redacted text only: a ticket's id and subject, or the
	// desk's name. Adapters name a thread from this and never from a message's content.
	ThreadName string `json:"thread_name,omitempty"`
	// To makes the post a private reply, seen by this user alone ("platform:id") in Channel: the answer to
	// a private event. A PrivatePoster shows it to them only; for any other Chat the dispatcher sends it as
	// a DM. A post with To is never posted for the whole channel to see, in a retry or after a crash.
	To string `json:"to,omitempty" redact:"-"`
	// ReplyTo is the private event's handle (Event.ReplyTo), passed back to the adapter that made it.
	ReplyTo string `json:"reply_to,omitempty" redact:"-"`
	// Link is a message the post points at (the conversation of the ticket it names): adapters add a
	// link to it where the platform can make one.
	Link *MessageRef `json:"link,omitempty"`
}

// Chat is a chat platform as the engine sees it. The dispatcher is its only caller; it posts to several
// conversations at once (up to 8), one goroutine each, so implementations must be safe for concurrent
// use, and it calls one conversation's effects in order, one at a time.
//
// Errors: an *Error with EINVALID or ENOTFOUND (unknown channel, message gone) is permanent and the effect
// is dropped; a RateLimitError is retried after its delay; anything else is retried with backoff.
type Chat interface {
	// Platform is the name used in identities and references: "slack", "discord", "console".
	Platform() string
	// Post sends a message and returns the platform's reference to it.
	Post(ctx context.Context, p Post) (MessageRef, error)
}

// OncePoster is a Chat that can make a post at most once per key, even when the desk crashed after the
// platform accepted it and before the desk recorded that (Slack: the key in the message's metadata,
// looked up before posting again; Discord: the key as an enforced nonce). The dispatcher passes every
// post's key, and maybeSent when the post may have been made already: it was in the outbox when this
// process started, or an earlier attempt failed.
type OncePoster interface {
	PostOnce(ctx context.Context, p Post, key string, maybeSent bool) (MessageRef, error)
}

// TextLimiter is a Chat whose messages hold a limited amount of text. MaxText is the most characters
// (code points) of Post.Text, as Markdown, that one message takes, with room left for what the adapter's
// rendering adds (escapes, a ping). The engine posts a longer text (an article, a relayed message, a
// report) as several posts in order, split at paragraph boundaries with code blocks closed and reopened:
// each is an effect of its own, with its own at-most-once key; the first carries the ping (Notify), the
// last the buttons and the message key that reactions and clicks find. Cards (posts with a title or
// fields) are never split. An adapter still splits, or as a last resort clips, what its rendering makes
// longer. Without it, or with 0, the engine splits nothing for the platform.
type TextLimiter interface {
	MaxText() int
}

// PrivatePoster is a Chat that can show a post to one user only (Slack's ephemeral messages). The
// dispatcher calls PostPrivate, instead of Post or PostOnce, for every post with Post.To set. It must not
// post for anyone else to see: when it can no longer reach the user privately where they asked (the
// handle expired, the bot is not in the channel), it sends the post as a DM. A private reply may be
// shown twice after a crash; it is never lost or made public. Errors are as for Post.
type PrivatePoster interface {
	PostPrivate(ctx context.Context, p Post) (MessageRef, error)
}

// Editor is a Chat that can change a message it posted. Without it, updates to cards are posted as new
// messages in the card's thread.
type Editor interface {
	Update(ctx context.Context, ref MessageRef, p Post) error
}

// Reactor is a Chat that can add a reaction (by normalized name) to a message.
type Reactor interface {
	React(ctx context.Context, ref MessageRef, name string) error
}

// RateLimitError is returned by an adapter when the platform asked it to slow down.
type RateLimitError struct {
	RetryAfter time.Duration
}

func (e *RateLimitError) Error() string { return "rate limited, retry after " + e.RetryAfter.String() }

// SplitID splits "platform:id" into its parts. An id without a platform has an empty platform.
func SplitID(s string) (platform, id string) {
	p, id, ok := strings.Cut(s, ":")
	if !ok {
		return "", s
	}
	return p, id
}

// JoinID writes "platform:id".
func JoinID(platform, id string) string { return platform + ":" + id }
