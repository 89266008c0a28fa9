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
	text := strings.TrimSpace(ev.Text)
	t := &Ticket{
		Version:       TicketVersion,
		Tier:          LevelOne,
		Requester:     ev.User,
		RequesterName: nameOf(ev.UserName, ev.User),
		Conversation:  conv,
		Subject:       clip(firstLine(text), 120),
		Messages:      map[string]MessageRef{},
		CreatedAt:     w.now,
	}
	t.Priority, t.PrioritySource = w.cfg().priorityFor(text)
	t.transition(w.now, TransitionOpened, StatusOpen, ev.User, "")
	t.say(w.now, ev.User, t.RequesterName, RoleRequester, text, false)
	if err := w.tx.CreateTicket(t); err != nil {
		return err
	}
	if err := w.tx.LinkConversation(conv, t.ID); err != nil {
		return err
	}
	w.logCommitted("ticket opened", "ticket_id", t.ID, "platform", ev.Platform, "requester", ev.User)
	w.wrote(t.ID)
	return w.job(t, jobAnswer)
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
		t.say(w.now, ev.User, name, role, text, false)
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
		if !isRequester {
			t.say(w.now, ev.User, name, role, text, false)
			return w.tx.PutTicket(t)
		}
		if done, err := w.ratingComment(t, text); done || err != nil {
			return err
		}
		if t.ResolvedAt != nil && w.now.Sub(*t.ResolvedAt) <= w.cfg().ReopenWindow {
			t.say(w.now, ev.User, name, role, text, false)
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
		t.say(w.now, ev.User, name, role, text, false)
		if card := t.currentCard(); card != nil {
			who := "requester"
			if !isRequester {
				who = "in the requester's thread"
			}
			if err := w.toCard(t, card, fmt.Sprintf("**%s** (%s): %s", name, who, text)); err != nil {
				return err
			}
		}
		return w.tx.PutTicket(t)
	default: // Level 1 is working on it: the requester's details go into a new search.
		t.say(w.now, ev.User, name, role, text, false)
		if !isRequester {
			return w.tx.PutTicket(t)
		}
		return w.followUp(t, text)
	}
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
	if note, ok := internalNote(text); ok {
		t.say(w.now, ev.User, name, RoleTechnician, note, true)
		return w.tx.PutTicket(t)
	}
	if err := w.relayToRequester(t, card, text); err != nil {
		return err
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
