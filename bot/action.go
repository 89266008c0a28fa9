package bot

// Actions: a ticket worked from outside its chat messages (the web console's buttons and forms). Each
// action follows the rules of the same action from chat (a card's reaction, a command in a thread): the
// ownership rule, the same transaction, the same audit, and the chat side sees it (a claim edits the
// card and tells the requester, a reply reaches the requester's thread with the technician's name).
//
// An action has no place of its own to answer in: a refusal is the error Handle returns, an *Error whose
// message is for the person (EUNAUTHORIZED: not theirs to do; ECONFLICT: not now, in the ticket's state;
// EINVALID: a bad value; ENOTFOUND: no such ticket, or not one they may see), and nothing is written.

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Action is what an EventAction does to its ticket.
type Action string

// The actions. Who may take each is who may take it from chat.
const (
	// ActionClaim takes the ticket: members of the tier of its current card.
	ActionClaim Action = "claim"
	// ActionRelease gives a claimed ticket back to its tier's queue: its owner.
	ActionRelease Action = "release"
	// ActionReply sends Text to the requester, in their conversation, with the technician's name:
	// members of the tier of its current card, and admins.
	ActionReply Action = "reply"
	// ActionNote adds Text as an internal note, which the requester never sees: members of the tier that
	// works it, and admins.
	ActionNote Action = "note"
	// ActionPriority sets the priority to Choice ("P1".."P4", or "accept" for the suggested one):
	// members of its tier, and admins.
	ActionPriority Action = "priority"
	// ActionEscalate moves it to the next tier: from a tier, its members and admins; from Level 1, the
	// requester, members of the first tier and admins.
	ActionEscalate Action = "escalate"
	// ActionResolve resolves it: the requester, members of its tier, admins.
	ActionResolve Action = "resolve"
	// ActionReopen puts a resolved ticket that a tier worked back to work: the requester within the
	// reopen window, members of its tier and admins at any time.
	ActionReopen Action = "reopen"
	// ActionRate is the requester's rating of the help, Choice "1".."5", once it is resolved.
	ActionRate Action = "rate"
)

// actionFrom handles an EventAction from where it came. From a platform without a chat (the web
// console), a refusal is Handle's error. From a chat platform (a button on Slack's home tab), the person
// is answered there, privately, like any other refusal in chat, and the event is recorded; nothing else
// is written, since every action refuses before it changes anything.
func (w *work) actionFrom() error {
	err := w.action()
	var refusal *Error
	if err == nil || !errors.As(err, &refusal) {
		return err
	}
	switch refusal.Code {
	case EUNAUTHORIZED, ECONFLICT, EINVALID, ENOTFOUND:
	default:
		return err
	}
	if _, ok := w.e.chat(w.ev.Platform); !ok {
		return err
	}
	p := Post{Channel: w.ev.Channel, To: w.ev.User, ReplyTo: w.ev.ReplyTo, Text: refusal.Message}
	return w.enqueue(Effect{Kind: EffectPost, Platform: w.ev.Platform, Lane: lane(w.ev.Platform, "dm:"+w.ev.User), Post: p})
}

// action handles an EventAction.
func (w *work) action() error {
	ev := w.ev
	switch ev.Action {
	case ActionKBSave, ActionKBDelete, ActionKBRestore:
		return w.kbAction()
	}
	t, err := w.tx.Ticket(ev.Ticket)
	if IsNotFound(err) || (err == nil && w.ev.User != t.Requester && !w.isStaff()) {
		// Someone else's ticket is no more there for an employee than one that does not exist. The
		// console shows the desk's staff every ticket, so to them a refusal names the rule instead.
		return Errorf(ENOTFOUND, "There is no ticket %s, or it is not yours to see.", ev.Ticket)
	}
	if err != nil {
		return err
	}
	switch ev.Action {
	case ActionClaim:
		return w.actClaim(t)
	case ActionRelease:
		return w.actRelease(t)
	case ActionReply, ActionNote:
		return w.actWrite(t, ev.Action == ActionNote)
	case ActionPriority:
		return w.actPriority(t)
	case ActionEscalate:
		return w.actEscalate(t)
	case ActionResolve:
		return w.actResolve(t)
	case ActionReopen:
		return w.actReopen(t)
	case ActionRate:
		return w.actRate(t)
	case ActionDraftPublish, ActionDraftDiscard:
		return w.actDraft(t)
	}
	return Errorf(EINVALID, "%q is not something that can be done to a ticket.", ev.Action)
}

// refusal is the ownership rule's "no" as an error: EUNAUTHORIZED when a member of the tier who is an
// admin could do it (so it is who asks that matters), ECONFLICT when not even they could (it is the
// ticket's state).
func (w *work) refusal(t *Ticket, tier string, a actor, act action, why string) error {
	anyone := a
	anyone.member, anyone.admin = true, true
	if v, _ := w.cfg().mayAct(t, tier, anyone, act); v == refuse {
		return Errorf(ECONFLICT, "%s", why)
	}
	return Errorf(EUNAUTHORIZED, "%s", why)
}

// cardTier is the tier whose members work t now: its current card's, or its own.
func cardTier(t *Ticket) (*Card, string) {
	if c := t.currentCard(); c != nil {
		return c, c.Tier
	}
	return nil, t.Tier
}

func (w *work) actClaim(t *Ticket) error {
	card, tier := cardTier(t)
	a := w.actorIn(t, tier)
	switch v, why := w.cfg().mayAct(t, tier, a, actClaim); {
	case v == refuse:
		return w.refusal(t, tier, a, actClaim, why)
	case v == noop:
		return nil // they own it already
	case card == nil:
		return Errorf(ECONFLICT, "**%s** has no card to claim it from.", t.ID)
	}
	if err := w.takeOwnership(t, card); err != nil {
		return err
	}
	return w.tx.PutTicket(t)
}

func (w *work) actRelease(t *Ticket) error {
	card, tier := cardTier(t)
	a := w.actorIn(t, tier)
	v, why := w.cfg().mayAct(t, tier, a, actRelease)
	switch {
	case v == refuse:
		return w.refusal(t, tier, a, actRelease, why)
	case t.Status != StatusClaimed:
		return Errorf(ECONFLICT, "**%s** is not claimed: there is nothing to release.", t.ID)
	case v == noop:
		return Errorf(EUNAUTHORIZED, "Only %s, who owns **%s**, can release it.", nameOf(t.AssigneeName, t.Assignee), t.ID)
	}
	t.Assignee, t.AssigneeName = "", ""
	t.transition(w.now, TransitionReleased, StatusEscalated, w.ev.User, "")
	if card != nil {
		if err := w.updateCard(t, card); err != nil {
			return err
		}
	}
	return w.tx.PutTicket(t)
}

// actWrite relays a technician's reply to the requester, or keeps it as an internal note. Either is
// posted in the card's thread too, so the technicians working from chat see it.
func (w *work) actWrite(t *Ticket, note bool) error {
	text := strings.TrimSpace(w.ev.Text)
	if text == "" {
		return Errorf(EINVALID, "Write something first.")
	}
	card, tier := cardTier(t)
	if !note && t.fromMonitor() {
		return Errorf(ECONFLICT, "**%s** was opened by a monitor, which reads nothing: add a note instead.", t.ID)
	}
	if !note && card == nil {
		return Errorf(ECONFLICT, "**%s** is still with Level 1: escalate it before you reply to the requester.", t.ID)
	}
	if note && tier == LevelOne {
		tier = w.cfg().workTier(t)
	}
	if !w.canWork(tier, w.ev.User) {
		what := "reply to the requester of"
		if note {
			what = "add notes to"
		}
		return Errorf(EUNAUTHORIZED, "Only members of %s and admins can %s **%s**.", w.cfg().tierName(tier), what, t.ID)
	}
	name := nameOf(w.ev.UserName, w.ev.User)
	if note {
		t.say(w.now, w.ev.User, name, RoleTechnician, text, true)
		if card != nil {
			if err := w.toCard(t, card, fmt.Sprintf("**%s** added a note (internal): %s", name, text)); err != nil {
				return err
			}
		}
		return w.tx.PutTicket(t)
	}
	if err := w.relayToRequester(t, card, text); err != nil {
		return err
	}
	if err := w.toCard(t, card, fmt.Sprintf("**%s** replied to the requester: %s", name, text)); err != nil {
		return err
	}
	return w.tx.PutTicket(t)
}

func (w *work) actPriority(t *Ticket) error {
	_, tier := cardTier(t)
	if !w.canWork(tier, w.ev.User) {
		return Errorf(EUNAUTHORIZED, "Only technicians of **%s** and admins can change its priority.", t.ID)
	}
	p := strings.ToUpper(strings.TrimSpace(w.ev.Choice))
	if p == "ACCEPT" {
		if p = t.SuggestedPriority; p == "" {
			return Errorf(ECONFLICT, "There is no suggested priority on **%s** to accept.", t.ID)
		}
	}
	switch {
	case p != "P1" && p != "P2" && p != "P3" && p != "P4":
		return Errorf(EINVALID, "Choose a priority from P1 (most urgent) to P4.")
	case p == t.Priority:
		return Errorf(ECONFLICT, "**%s** is already %s.", t.ID, p)
	}
	return w.setPriority(t, p)
}

func (w *work) actEscalate(t *Ticket) error {
	card, tier := cardTier(t)
	switch {
	case t.Status == StatusResolved:
		return Errorf(ECONFLICT, "**%s** is resolved: reopen it first.", t.ID)
	case card != nil:
		// As from the card: its tier's members and admins; the requester's way is their own thread.
		a := w.actorIn(t, tier)
		a.requester = false
		if v, why := w.cfg().mayAct(t, tier, a, actEscalate); v != allow {
			return w.refusal(t, tier, a, actEscalate, why)
		}
		if _, i, _ := w.cfg().tier(t.Tier); i+1 >= len(w.cfg().Tiers) {
			return Errorf(ECONFLICT, "**%s** is already with %s, the last tier.", t.ID, w.cfg().tierName(t.Tier))
		}
		if err := w.escalate(t, "escalated by "+nameOf(w.ev.UserName, w.ev.User)); err != nil {
			return err
		}
	case t.Status != StatusOpen:
		return Errorf(ECONFLICT, "**%s** is already with %s.", t.ID, w.cfg().tierName(t.Tier))
	case w.ev.User == t.Requester:
		if err := w.escalate(t, "the requester asked for a human"); err != nil {
			return err
		}
	case w.canWork(w.cfg().Tiers[0].ID, w.ev.User):
		// Level 1 hands over to the first tier: its members (and admins) may do it for the requester.
		if err := w.escalate(t, "escalated by "+nameOf(w.ev.UserName, w.ev.User)); err != nil {
			return err
		}
	default:
		return Errorf(EUNAUTHORIZED, "Only %s, members of %s and admins can escalate **%s**.", t.RequesterName, w.cfg().tierName(w.cfg().Tiers[0].ID), t.ID)
	}
	return w.tx.PutTicket(t)
}

func (w *work) actResolve(t *Ticket) error {
	a := w.actorIn(t, t.Tier)
	if v, why := w.cfg().mayAct(t, t.Tier, a, actResolve); v != allow {
		return w.refusal(t, t.Tier, a, actResolve, why)
	}
	if err := w.resolve(t); err != nil {
		return err
	}
	return w.tx.PutTicket(t)
}

func (w *work) actReopen(t *Ticket) error {
	switch {
	case t.Status != StatusResolved:
		return Errorf(ECONFLICT, "**%s** is not resolved: there is nothing to reopen.", t.ID)
	case t.Tier == LevelOne:
		// Level 1 looks again at what the requester writes: reopening without words gives it nothing.
		return Errorf(ECONFLICT, "**%s** was solved by the desk itself: the requester reopens it by writing in its thread.", t.ID)
	case w.canWork(t.Tier, w.ev.User):
	case w.ev.User == t.Requester:
		if t.ResolvedAt != nil && w.now.Sub(*t.ResolvedAt) > w.cfg().ReopenWindow {
			return Errorf(ECONFLICT, "**%s** was resolved more than %s ago: ask again in chat, and the desk opens a new ticket.", t.ID, humanDuration(w.cfg().ReopenWindow))
		}
	default:
		return Errorf(EUNAUTHORIZED, "Only %s, members of %s and admins can reopen **%s**.", t.RequesterName, w.cfg().tierName(t.Tier), t.ID)
	}
	return w.reopen(t)
}

func (w *work) actRate(t *Ticket) error {
	if w.ev.User != t.Requester {
		return Errorf(EUNAUTHORIZED, "Only %s can rate **%s**.", t.RequesterName, t.ID)
	}
	if n, err := strconv.Atoi(w.ev.Choice); err != nil || n < 1 || n > 5 {
		return Errorf(EINVALID, "Rate the help from 1 (poor) to 5 (excellent).")
	}
	return w.rate(t, w.ev.Choice)
}
