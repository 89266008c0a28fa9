package bot

// Any message becomes a ticket: a reaction (Reactions.Ticket) or a message shortcut (EventCreateTicket) on
// someone's message opens a ticket whose requester is the message's author and whose conversation is the
// message's thread. The event only records the request: the message is read by a job (MessageReader),
// after the platform was acknowledged, and the ticket is opened in the job's transaction. A message whose
// conversation has a ticket already gets a link to it instead, so a second reaction, or a shortcut on a
// message a reaction already turned into a ticket, makes no second ticket.

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// MessageReader is a Chat that can read a message people wrote (to turn it into a ticket).
type MessageReader interface {
	// ReadMessage returns the message ref points at (Platform, Channel and ID; Thread may be unknown).
	// Errors: an *Error with ENOTFOUND when the message is gone or the desk may not read it; anything
	// else is retried.
	ReadMessage(ctx context.Context, ref MessageRef) (ChatMessage, error)
}

// ChatMessage is a message as a MessageReader read it.
type ChatMessage struct {
	// Ref is where it is; Ref.Thread is the root of its thread, "" when it is at the top level.
	Ref MessageRef
	// Author is who wrote it, "platform:id" ("" for a message of nobody: a system message); Bot says
	// a bot wrote it (the desk itself or another).
	Author     string
	AuthorName string
	Bot        bool
	Text       string // Markdown
	Files      []File
	Time       time.Time
}

// The ways a ticket comes in other than a question asked of the desk (Intake.Via).
const (
	IntakeReaction = "reaction" // someone reacted Reactions.Ticket on a message
	IntakeShortcut = "shortcut" // someone used the message shortcut "Create ticket"
	IntakeForm     = "form"     // someone filled in a form
)

// Intake is how a ticket came in when it was not a question asked of the desk.
type Intake struct {
	Via string `json:"via" redact:"-"`
	// By is who made the ticket (reacted, used the shortcut, filled in the form): for a message, not
	// always its author, who is the requester.
	By     string `json:"by" redact:"-"`
	ByName string `json:"by_name,omitempty"`
	// Message is the message the ticket was made from.
	Message *MessageRef `json:"message,omitempty"`
}

// IntakeRequest is what the job that turns a message into a ticket reads and opens.
type IntakeRequest struct {
	Message MessageRef `json:"message"`
	Via     string     `json:"via" redact:"-"`
	By      string     `json:"by" redact:"-"`
	ByName  string     `json:"by_name,omitempty"`
	// ReplyTo is the platform's handle for answering who asked privately (Event.ReplyTo).
	ReplyTo string `json:"reply_to,omitempty" redact:"-"`
	DM      bool   `json:"dm,omitempty"`
	Group   bool   `json:"group,omitempty"`
}

// jobIntake reads a message and turns it into a ticket.
const jobIntake = "intake"

// ticketFromMessage handles a request to turn the event's message into a ticket. What it can decide
// without the message's content it decides here: a message of the desk's own, or of a conversation that
// has a ticket, gets a link to it; a tier channel is not a place for tickets. The rest is the job's.
func (w *work) ticketFromMessage(via string) error {
	ev := w.ev
	w.ev.Private = true // what is said about it is for who asked, never for the channel
	if ev.Message == "" || ev.Channel == "" {
		return w.reply("", "I can't tell which message to turn into a ticket.")
	}
	if link, err := w.tx.MessageLink(MessageRef{Platform: ev.Platform, Channel: ev.Channel, ID: ev.Message}); err == nil {
		t, err := w.tx.Ticket(link.Ticket)
		if err != nil {
			return err
		}
		return w.alreadyTicket(t)
	} else if !IsNotFound(err) {
		return err
	}
	if _, ok := w.cfg().tierByChannel(ev.Platform, ev.Channel); ok {
		return w.reply("", "Tickets aren't made from messages in a tier channel: that is where their cards are worked.")
	}
	if t, err := w.ticketOfConversation(w.intakeConversation(ev.Thread)); err != nil || t != nil {
		if err != nil {
			return err
		}
		return w.alreadyTicket(t)
	}
	req := &IntakeRequest{Message: MessageRef{Platform: ev.Platform, Channel: ev.Channel, Thread: ev.Thread, ID: ev.Message},
		Via: via, By: ev.User, ByName: nameOf(ev.UserName, ev.User), ReplyTo: ev.ReplyTo, DM: ev.DM, Group: ev.Group}
	return w.enqueue(Effect{Kind: EffectJob, Job: jobIntake, Platform: ev.Platform, Lane: threadLane(ev.Platform, ev.Channel, firstOf(ev.Thread, ev.Message)), Intake: req})
}

// intakeConversation is the conversation a ticket made from the event's message has: its DM, or the
// thread the message is in (thread, when known), or the one it starts.
func (w *work) intakeConversation(thread string) Conversation {
	ev := w.ev
	if ev.DM {
		return Conversation{Platform: ev.Platform, Channel: ev.Channel, DM: true}
	}
	return Conversation{Platform: ev.Platform, Channel: ev.Channel, Thread: firstOf(thread, ev.Message)}
}

// ticketOfConversation returns the ticket of a conversation, or nil.
func (w *work) ticketOfConversation(c Conversation) (*Ticket, error) {
	t, err := w.tx.TicketByConversation(c)
	if IsNotFound(err) {
		return nil, nil
	}
	return t, err
}

// alreadyTicket tells who asked that the message belongs to a ticket already, with a link to its
// conversation.
func (w *work) alreadyTicket(t *Ticket) error {
	text := fmt.Sprintf("This message already has a ticket: **%s** (%s).", t.ID, t.Status)
	var link *MessageRef
	if c := t.Conversation; c.Channel != "" && c.Thread != "" {
		link = &MessageRef{Platform: c.Platform, Channel: c.Channel, ID: c.Thread}
		text += " Its conversation is in the thread linked below."
	}
	p := w.here()
	p.Text, p.Link = text, link
	return w.enqueue(Effect{Kind: EffectPost, Platform: w.ev.Platform, Lane: w.replyLane(p), Ticket: t.ID, Post: p})
}

// runIntake reads the message of an intake job outside any transaction, then opens its ticket (or says
// why not) in one transaction that also removes the job, so it is done once.
func (e *Engine) runIntake(ctx context.Context, eff Effect) error {
	req := eff.Intake
	if req == nil {
		return e.write(ctx, func(tx *trackedTx) error { return tx.DeleteEffect(eff.Seq) })
	}
	var msg ChatMessage
	var readErr error
	chat, ok := e.chat(req.Message.Platform)
	reader, canRead := chat.(MessageReader)
	switch {
	case !ok:
		return Errorf(EUNAVAILABLE, "no chat platform %q is connected", req.Message.Platform)
	case !canRead:
		readErr = Errorf(EINVALID, "%s cannot read messages", req.Message.Platform)
	default:
		msg, readErr = reader.ReadMessage(ctx, req.Message)
		if code := ErrorCode(readErr); readErr != nil && code != ENOTFOUND && code != EINVALID {
			return fmt.Errorf("read the message to turn into a ticket: %w", readErr)
		}
	}
	now := e.clock.Now()
	return e.write(ctx, func(tx *trackedTx) error {
		if err := tx.DeleteEffect(eff.Seq); err != nil {
			return err
		}
		ev := Event{Kind: EventCreateTicket, Platform: req.Message.Platform, Channel: req.Message.Channel, Thread: req.Message.Thread,
			Message: req.Message.ID, User: req.By, UserName: req.ByName, DM: req.DM, Group: req.Group, Private: true, ReplyTo: req.ReplyTo}
		w := &work{e: e, tx: tx, ev: ev, now: now}
		if readErr != nil {
			if ErrorCode(readErr) == ENOTFOUND {
				return w.reply("", "That message is gone (deleted, or somewhere I can't read), so there is nothing to turn into a ticket.")
			}
			return w.reply("", "I can't read messages here, so I can't turn one into a ticket.")
		}
		return w.openFromMessage(req, msg)
	})
}

// openFromMessage opens the ticket of an intake job once its message is read.
func (w *work) openFromMessage(req *IntakeRequest, msg ChatMessage) error {
	if msg.Bot || msg.Author == "" {
		return w.reply("", "Only messages people wrote become tickets.")
	}
	conv := w.intakeConversation(msg.Ref.Thread)
	t, err := w.ticketOfConversation(conv)
	if err != nil {
		return err
	}
	if t != nil {
		return w.alreadyTicket(t)
	}
	ref := req.Message
	ref.Thread = msg.Ref.Thread
	t, err = w.openTicket(opening{
		conv: conv, requester: msg.Author, name: msg.AuthorName, text: strings.TrimSpace(msg.Text), files: msg.Files,
		intake: &Intake{Via: req.Via, By: req.By, ByName: req.ByName, Message: &ref},
	})
	if err != nil {
		return err
	}
	text := fmt.Sprintf("I've opened **%s** from this message. I'll answer here; anything written in this thread is part of it.", t.ID)
	if req.By != msg.Author {
		text = fmt.Sprintf("**%s** turned this message into **%s** for **%s**. I'll answer here; anything written in this thread is part of it.",
			nameOf(req.ByName, req.By), t.ID, t.RequesterName)
	}
	if err := w.toRequester(t, "", text); err != nil {
		return err
	}
	if err := w.job(t, jobAnswer); err != nil {
		return err
	}
	return w.tx.PutTicket(t)
}

func firstOf(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
