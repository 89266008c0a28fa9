package bot

// Messages: a new question, a requester's message in their ticket, a technician's in a card's thread.

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

func (w *work) message() error {
	ev := w.ev
	if cmd, ok := ParseCommand(w.cfg().CommandPrefix, ev.Text); ok {
		if w.throttled {
			if w.notify {
				return w.throttleNotice("")
			}
			return nil
		}
		return w.command(cmd)
	}
	t, card, err := w.cardHere()
	if err != nil {
		return err
	}
	if t != nil {
		return w.inCardThread(t, card)
	}
	if t, err = w.ticketHere(); err != nil {
		return err
	}
	if t != nil {
		return w.inConversation(t)
	}
	// A new question: in a DM, a help channel, or anywhere the bot is mentioned. Replies in other threads of
	// a help channel are people talking among themselves.
	if ev.DM || ev.Mention || (ev.Thread == "" && w.cfg().isHelpChannel(ev.Platform, ev.Channel)) {
		if t, err := w.recentTicket(); err != nil || t != nil {
			if err != nil {
				return err
			}
			if w.notify {
				if err := w.throttleNotice(t.ID); err != nil {
					return err
				}
			}
			return w.join(t)
		}
		return w.open()
	}
	return nil
}

// recentTicket is the ticket a new question from the event's user joins: the one they wrote to a moment
// ago, or, while they are flooding, their latest one. Nil when they open a new one.
func (w *work) recentTicket() (*Ticket, error) {
	cfg := w.cfg().Flood
	if w.throttled {
		cfg.JoinWithin = max(cfg.JoinWithin, cfg.Window)
	}
	id := w.e.flood.recent(cfg, w.ev.User, w.now)
	if id == "" {
		return nil, nil
	}
	t, err := w.tx.Ticket(id)
	if IsNotFound(err) {
		return nil, nil // the transaction that opened it failed
	}
	if err != nil {
		return nil, err
	}
	if t.Requester != w.ev.User || !t.Status.Active() {
		return nil, nil
	}
	return t, nil
}

// open starts a ticket for the event's message and asks for an answer from the knowledge base.
func (w *work) open() error {
	ev := w.ev
	conv := Conversation{Platform: ev.Platform, Channel: ev.Channel, DM: ev.DM}
	switch {
	case ev.DM:
		// A DM is one conversation: its open ticket is found from any message in it.
	case ev.Thread != "":
		conv.Thread = ev.Thread
	default:
		conv.Thread = ev.Message
	}
	t, err := w.openTicket(opening{conv: conv, requester: ev.User, name: ev.UserName, text: strings.TrimSpace(ev.Text), files: ev.Files})
	if err != nil {
		return err
	}
	return w.job(t, jobAnswer)
}

// opening is what a new ticket starts from.
type opening struct {
	conv            Conversation
	requester, name string
	text            string
	files           []File
	intake          *Intake
	form            *FormRecord
	// priority, when set, is the ticket's priority from the start (a form's), with its source.
	priority, prioritySource string
}

// openTicket creates a ticket, records its question and files, and links its conversation. The event's
// user is who opened it (the requester, or who turned their message into a ticket). The caller asks for
// what comes next (an answer, a tier), and stores the ticket again if it changes it.
func (w *work) openTicket(o opening) (*Ticket, error) {
	subject := clip(firstLine(o.text), 120)
	if subject == "" && len(o.files) > 0 {
		subject = clip("Attachment: "+fileName(o.files[0]), 120)
	}
	t := &Ticket{
		Version:       TicketVersion,
		Tier:          LevelOne,
		Requester:     o.requester,
		RequesterName: nameOf(o.name, o.requester),
		Conversation:  o.conv,
		Subject:       subject,
		CreatedAt:     w.now,
		Intake:        o.intake,
		Form:          o.form,
	}
	if o.form != nil {
		t.Subject = clip(o.form.subject(), 120)
	}
	t.Priority, t.PrioritySource = w.cfg().priorityFor(o.text)
	if o.priority != "" {
		t.Priority, t.PrioritySource = o.priority, o.prioritySource
	}
	detail := ""
	if o.intake != nil {
		detail = "from " + o.intake.Via
	}
	t.transition(w.now, TransitionOpened, StatusOpen, w.ev.User, detail)
	if o.text != "" {
		t.say(w.now, o.requester, t.RequesterName, RoleRequester, o.text, false)
	}
	_, refused := w.recordFiles(t, o.files, o.requester, o.name, RoleRequester, false)
	if err := w.tx.CreateTicket(t); err != nil {
		return nil, err
	}
	if refused != "" {
		if err := w.reply(t.ID, refused); err != nil {
			return nil, err
		}
	}
	if o.conv.Root == "" {
		if err := w.tx.LinkConversation(o.conv, t.ID); err != nil {
			return nil, err
		}
	}
	w.logCommitted("ticket opened", "ticket_id", t.ID, "platform", o.conv.Platform, "requester", o.requester)
	if o.requester == w.ev.User {
		w.wrote(t.ID)
	}
	return t, nil
}

// inConversation handles a message in a ticket's requester conversation.
func (w *work) inConversation(t *Ticket) error {
	ev := w.ev
	text := strings.TrimSpace(ev.Text)
	name := nameOf(ev.UserName, ev.User)
	isRequester := ev.User == t.Requester
	role := RoleRequester
	if !isRequester && w.cfg().isTechnician(ev.User, ev.Roles) {
		role = RoleTechnician
	}
	if isRequester {
		w.wrote(t.ID)
	}
	if w.throttled {
		// Kept, so nothing is lost, but not searched, relayed or answered until they slow down.
		if err := w.said(t, name, role, text); err != nil {
			return err
		}
		if w.notify {
			if err := w.throttleNotice(t.ID); err != nil {
				return err
			}
		}
		return w.tx.PutTicket(t)
	}
	if isRequester && w.cfg().SLAPolicy().Resume(t, w.now) {
		t.transition(w.now, TransitionResumed, "", ev.User, "the requester answered")
		if card := t.currentCard(); card != nil {
			if err := w.toCard(t, card, fmt.Sprintf("**%s** answered: **%s** is no longer waiting on them, and its SLA clocks run again.", nameOf(ev.UserName, ev.User), t.ID)); err != nil {
				return err
			}
		}
	}
	switch t.Status {
	case StatusResolved:
		if !isRequester || text == "" {
			// Files alone say nothing about whether the problem is back: kept, nothing reopened.
			if err := w.said(t, name, role, text); err != nil {
				return err
			}
			return w.tx.PutTicket(t)
		}
		if done, err := w.ratingComment(t, text); done || err != nil {
			return err
		}
		if t.ResolvedAt != nil && w.now.Sub(*t.ResolvedAt) <= w.cfg().ReopenWindow {
			if err := w.said(t, name, role, text); err != nil {
				return err
			}
			if acknowledgement(text) != ackNone {
				// "Thanks!" after it was solved says nothing is wrong: no reopening, no new search.
				if err := w.toRequester(t, "", fmt.Sprintf("You're welcome! **%s** stays solved; write here if the problem comes back.", t.ID)); err != nil {
					return err
				}
				return w.tx.PutTicket(t)
			}
			return w.reopen(t)
		}
		return w.open()
	case StatusEscalated, StatusClaimed:
		if err := w.said(t, name, role, text); err != nil {
			return err
		}
		if card := t.currentCard(); card != nil {
			who := "requester"
			if !isRequester {
				who = "in the requester's thread"
			}
			if text != "" {
				if err := w.toCard(t, card, fmt.Sprintf("**%s** (%s): %s", name, who, text)); err != nil {
					return err
				}
			}
			for _, a := range w.taken {
				if err := w.relayFileToCard(t, card, a); err != nil {
					return err
				}
			}
		}
		return w.tx.PutTicket(t)
	default: // Level 1 is working on it: the requester's details go into a new search.
		if err := w.said(t, name, role, text); err != nil {
			return err
		}
		if !isRequester || text == "" {
			return w.tx.PutTicket(t)
		}
		return w.followUp(t, text)
	}
}

// said records what the event's user wrote in a ticket's conversation, the text and the files, and tells
// them about the files the desk refuses. The files it takes are left in w.taken, for the caller to pass
// on.
func (w *work) said(t *Ticket, name, role, text string) error {
	if text != "" {
		t.say(w.now, w.ev.User, name, role, text, false)
	}
	taken, refused := w.recordFiles(t, w.ev.Files, w.ev.User, w.ev.UserName, role, false)
	w.taken = taken
	if refused != "" {
		return w.reply(t.ID, refused)
	}
	return nil
}

// inCardThread handles a technician writing in a card's thread: relayed to the requester, unless it is an
// internal note.
func (w *work) inCardThread(t *Ticket, card *Card) error {
	ev := w.ev
	text := strings.TrimSpace(ev.Text)
	name := nameOf(ev.UserName, ev.User)
	if !card.Current {
		return w.reply(t.ID, fmt.Sprintf("This card is out of date: **%s** is now worked from the %s card.", t.ID, w.cfg().tierName(t.Tier)))
	}
	if !w.canWork(card.Tier, ev.User) {
		return w.reply(t.ID, fmt.Sprintf("Only members of %s can reply to the requester from here.", w.cfg().tierName(card.Tier)))
	}
	note, ok := internalNote(text)
	if !ok && t.fromMonitor() {
		// A monitor reads nothing: what technicians write on its ticket is among themselves.
		note, ok = text, true
	}
	if ok {
		if note != "" {
			t.say(w.now, ev.User, name, RoleTechnician, note, true)
		}
		_, refused := w.recordFiles(t, ev.Files, ev.User, ev.UserName, RoleTechnician, true)
		if refused != "" {
			if err := w.reply(t.ID, refused); err != nil {
				return err
			}
		}
		return w.tx.PutTicket(t)
	}
	if text != "" {
		if err := w.relayToRequester(t, card, text); err != nil {
			return err
		}
	}
	taken, refused := w.recordFiles(t, ev.Files, ev.User, ev.UserName, RoleTechnician, false)
	if refused != "" {
		if err := w.reply(t.ID, refused); err != nil {
			return err
		}
	}
	for _, a := range taken {
		if err := w.relayFileToRequester(t, card, a); err != nil {
			return err
		}
	}
	return w.tx.PutTicket(t)
}

// relayToRequester records a technician's reply in the transcript and posts it in the requester's
// conversation, marked with their name and the card's tier. The caller has checked they work the card,
// and stores the ticket.
func (w *work) relayToRequester(t *Ticket, card *Card, text string) error {
	name := nameOf(w.ev.UserName, w.ev.User)
	t.say(w.now, w.ev.User, name, RoleTechnician, text, false)
	if t.Status == StatusResolved {
		// Relayed all the same: a closing word from the technician is still for the requester.
		w.e.log.Debug("relay on a resolved ticket", "ticket_id", t.ID)
	}
	// Relayed redacted like everything else (the text at the door, the post in the outbox): a
	// requester's thread may be in a public channel.
	return w.toRequester(t, "", fmt.Sprintf("**%s** (%s): %s", name, w.cfg().tierName(card.Tier), text))
}

// internalNote reports whether a technician's message is a note ("note: ..."), and returns its text.
// It reads the marker however it is written, since a missed one relays a technician's note to the
// requester: any case, bold or italic ("**Note:**", which Slack's *Note:* becomes), quoted, with spaces
// or invisible characters before the colon, a full-width colon, or "notes:".
func internalNote(text string) (string, bool) {
	s := strings.TrimLeft(stripInvisible(text), " \t\n*_~`>")
	if len(s) < 4 || !strings.EqualFold(s[:4], "note") {
		return "", false
	}
	rest := strings.TrimLeft(s[4:], " \t*_~`")
	if len(rest) > 0 && (rest[0] == 's' || rest[0] == 'S') {
		rest = strings.TrimLeft(rest[1:], " \t*_~`")
	}
	colon, size := utf8.DecodeRuneInString(rest)
	if colon != ':' && colon != '：' {
		return "", false
	}
	return strings.TrimSpace(strings.TrimLeft(rest[size:], "*_~` \t")), true
}

// canWork reports whether user, the event's author, may act on a ticket in tier: its members and admins.
func (w *work) canWork(tierID, user string) bool {
	return w.cfg().isMember(tierID, user, w.ev.Roles) || w.cfg().isAdmin(user, w.ev.Roles)
}
