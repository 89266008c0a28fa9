package bot

// Reactions and clicks on the bot's messages: feedback on answers, claims and actions on cards, ratings.

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

func (w *work) linked() (*Ticket, MessageLink, error) {
	ref := MessageRef{Platform: w.ev.Platform, Channel: w.ev.Channel, ID: w.ev.Message}
	link, err := w.tx.MessageLink(ref)
	if err != nil {
		return nil, link, err
	}
	t, err := w.tx.Ticket(link.Ticket)
	return t, link, err
}

func (w *work) reaction() error {
	if r := w.cfg().Reactions.Ticket; r != "" && w.ev.Reaction == r && w.ev.Kind == EventReactionAdded {
		return w.ticketFromMessage(IntakeReaction)
	}
	t, link, err := w.linked()
	if IsNotFound(err) {
		// Not a message of a ticket: someone's own, most often, and none of our business, except in a
		// tier channel, where a card's reaction on the wrong message deserves a word.
		if _, ok := w.cfg().tierByChannel(w.ev.Platform, w.ev.Channel); ok {
			if pending, err := w.cardPostPending(); err != nil || pending {
				return err
			}
			return w.misplacedReaction(nil)
		}
		return nil
	}
	if err != nil {
		return err
	}
	if done, err := w.reactRun(t, link.Key); done || err != nil {
		return err
	}
	r := w.cfg().Reactions
	added := w.ev.Kind == EventReactionAdded
	name := w.ev.Reaction
	if capture := w.cfg().CaptureReaction; added && capture != "" && name == capture && link.Key != keyDraft {
		if !w.cfg().isTechnician(w.ev.User, w.ev.Roles) && !w.isAdmin() {
			return nil // a requester's books is just a reaction
		}
		return w.capture(t)
	}
	switch {
	case isCardKey(link.Key):
		card := t.card(link.Key)
		if card == nil {
			return nil
		}
		switch {
		case r.Urgent != "" && name == r.Urgent && added:
			return w.urgent(t, card)
		case name == r.Claim && added:
			return w.claim(t, card)
		case name == r.Claim:
			return w.release(t, card)
		case name == r.Escalate && added:
			return w.escalateFromCard(t, card)
		case name == r.Resolve && added:
			return w.resolveFromCard(t, card)
		}
		return nil
	case link.Key == keyCSAT && added:
		if i := slices.Index(ratingReactions, name); i >= 0 {
			return w.whenLive(t, link.Key, func() error { return w.rate(t, strconv.Itoa(i+1)) })
		}
	case isFeedbackKey(link.Key) && added:
		kind := ""
		switch name {
		case r.Solved:
			kind = FeedbackSolved
		case r.NotHelpful:
			kind = FeedbackNotHelpful
		case r.Human:
			kind = FeedbackHuman
		}
		// The claim reaction is "talk to a human" on an answer by default: from a technician who is not
		// the requester, it is a claim in the wrong place.
		if kind != "" && !(name == r.Claim && w.ev.User != t.Requester && w.isStaff()) {
			return w.whenLive(t, link.Key, func() error { return w.feedback(t, link.Key, kind) })
		}
	}
	if added {
		return w.misplacedReaction(t)
	}
	return nil
}

// cardPostPending refuses, for now, a reaction in a tier channel on a message the desk does not know
// while a card for that channel is still in the outbox: Slack may have taken the card already and the
// desk not yet recorded where it went (the replica posting it died, and the lane waits for its lease to
// expire), so the reaction may well be a claim on that card. Refused, the event is not acknowledged and
// Slack delivers it again, by when the card is known; answered "not a card", the claim would be lost.
func (w *work) cardPostPending() (bool, error) {
	r := w.cfg().Reactions
	if name := w.ev.Reaction; name != r.Claim && name != r.Escalate && name != r.Resolve && (r.Urgent == "" || name != r.Urgent) {
		return false, nil
	}
	effects, err := w.tx.Effects(0, maxPendingCardScan)
	if err != nil {
		return false, err
	}
	here := lane(w.ev.Platform, w.ev.Channel)
	for _, e := range effects {
		if e.Kind == EffectPost && e.Lane == here && isCardKey(e.Key) {
			return true, Errorf(EUNAVAILABLE, "a card is being posted in %s: the reaction may be on it; deliver it again", w.ev.Channel)
		}
	}
	return false, nil
}

// maxPendingCardScan bounds the outbox cardPostPending reads: the oldest effects, where a card whose
// replica died waits.
const maxPendingCardScan = 1000

// isStaff reports whether the event's user is a technician or an admin.
func (w *work) isStaff() bool {
	return w.cfg().isTechnician(w.ev.User, w.ev.Roles) || w.isAdmin()
}

// urgent makes a ticket P1 when a member of its card's tier reacts urgent on the card.
func (w *work) urgent(t *Ticket, card *Card) error {
	switch {
	case !card.Current:
		return w.reply(t.ID, w.staleCardText(t))
	case !w.canWork(card.Tier, w.ev.User):
		return w.reply(t.ID, fmt.Sprintf("Only members of %s can make **%s** urgent.", w.cfg().tierName(card.Tier), t.ID))
	case t.Priority == "P1":
		return nil // already urgent: a second reaction says nothing new
	}
	return w.setPriority(t, "P1")
}

// misplacedReaction answers a card's reaction (claim, escalate, resolve, urgent) on a message that cannot
// take it: any message in a tier channel (t is nil when it is not a ticket's), or one of the desk's other
// messages elsewhere, from technicians and the ticket's requester. Other reactions, and reactions of
// people to whom these mean nothing, get no reply.
func (w *work) misplacedReaction(t *Ticket) error {
	r := w.cfg().Reactions
	name := w.ev.Reaction
	if name != r.Claim && name != r.Escalate && name != r.Resolve && (r.Urgent == "" || name != r.Urgent) {
		return nil
	}
	_, inTier := w.cfg().tierByChannel(w.ev.Platform, w.ev.Channel)
	if t == nil || (inTier && !w.isStaff()) {
		// A tier channel is where cards are worked: there these reactions always mean a card's action.
		return w.reply("", fmt.Sprintf("Reactions :%s: (claim), :%s: (escalate) and :%s: (resolve) work on a ticket's card, not on other messages.", r.Claim, r.Escalate, r.Resolve))
	}
	if !w.isStaff() {
		if w.ev.User != t.Requester || !t.Status.Active() {
			return nil
		}
		p := w.cfg().CommandPrefix
		switch name {
		case r.Resolve:
			return w.reply(t.ID, fmt.Sprintf("To close **%s**, write `%sresolve` here.", t.ID, p))
		case r.Escalate:
			if t.Status == StatusOpen {
				return w.reply(t.ID, fmt.Sprintf("To talk to a human about **%s**, write `%sescalate` here.", t.ID, p))
			}
		}
		return nil
	}
	switch card := t.currentCard(); {
	case t.Status == StatusResolved:
		return w.reply(t.ID, fmt.Sprintf("**%s** is resolved; that reaction does nothing here.", t.ID))
	case card == nil:
		return w.reply(t.ID, fmt.Sprintf("**%s** is still with Level 1: it has no card to act on yet (`%sescalate` in its thread hands it to %s).",
			t.ID, w.cfg().CommandPrefix, w.cfg().tierName(w.cfg().workTier(t))))
	default:
		return w.reply(t.ID, fmt.Sprintf("That reaction works on the card of **%s** in %s, not on this message.", t.ID, w.cfg().tierName(card.Tier)))
	}
}

func (w *work) click() error {
	if strings.HasPrefix(w.ev.Choice, choiceFormPrefix) {
		return w.formClick()
	}
	t, link, err := w.linked()
	if IsNotFound(err) {
		return nil // not a message of a ticket (any more)
	}
	if err != nil {
		return err
	}
	if done, err := w.clickRun(t, link.Key, w.ev.Choice); done || err != nil {
		return err
	}
	switch {
	case isCardKey(link.Key) && strings.HasPrefix(w.ev.Choice, choiceRunPrefix):
		return w.pressCardAction(t, link.Key, strings.TrimPrefix(w.ev.Choice, choiceRunPrefix))
	case isFeedbackKey(link.Key) && strings.HasPrefix(w.ev.Choice, choiceRunPrefix):
		return w.whenLive(t, link.Key, func() error { return w.pressAction(t, link.Key, strings.TrimPrefix(w.ev.Choice, choiceRunPrefix)) })
	case isFeedbackKey(link.Key):
		switch w.ev.Choice {
		case FeedbackSolved, FeedbackNotHelpful, FeedbackHuman:
			return w.whenLive(t, link.Key, func() error { return w.feedback(t, link.Key, w.ev.Choice) })
		}
	case link.Key == keyCSAT && strings.HasPrefix(w.ev.Choice, choiceCSATPrefix):
		return w.whenLive(t, link.Key, func() error { return w.rate(t, strings.TrimPrefix(w.ev.Choice, choiceCSATPrefix)) })
	case link.Key == keyDraft:
		return w.whenLive(t, link.Key, func() error { return w.draftChoice(t, w.ev.Choice) })
	}
	return w.reply(t.ID, "That button no longer does anything.")
}

// ratingReactions rate 1 to 5 where buttons are missing: the keycap emoji, by their Slack names.
var ratingReactions = []string{"one", "two", "three", "four", "five"}

// feedback handles Solved / Not helpful / Talk to a human on one of the bot's answers.
func (w *work) feedback(t *Ticket, key, kind string) error {
	ev := w.ev
	if ev.User != t.Requester {
		return w.reply(t.ID, fmt.Sprintf("Only %s can say whether this answer helped.", t.RequesterName))
	}
	if t.Status != StatusOpen {
		return w.stalePress(t, key)
	}
	idx := t.offersIn(key)
	if kind != FeedbackHuman {
		if len(idx) == 0 {
			return nil
		}
		if kind == FeedbackNotHelpful && t.Offers[idx[0]].Feedback != "" {
			return nil // a second press of the same button
		}
	}
	var titles []string
	for _, i := range idx {
		if t.Offers[i].Feedback == "" || kind == FeedbackSolved {
			if t.Offers[i].Feedback == "" {
				if err := w.tx.CountFeedback(t.Offers[i].Article, kind); err != nil {
					return err
				}
			}
			t.Offers[i].Feedback = kind
		}
		titles = append(titles, t.Offers[i].Article)
	}
	t.transition(w.now, TransitionFeedback, "", ev.User, strings.TrimSpace(kind+" "+strings.Join(titles, " ")))
	// The answer has had its say: its buttons go, with what was chosen under it.
	if err := w.withdraw(t, key, feedbackNote(kind)); err != nil {
		return err
	}
	switch kind {
	case FeedbackSolved:
		t.say(w.now, ev.User, t.RequesterName, RoleRequester, "(solved)", false)
		if err := w.resolve(t); err != nil {
			return err
		}
	case FeedbackHuman:
		t.say(w.now, ev.User, t.RequesterName, RoleRequester, "(asked for a human)", false)
		if err := w.escalate(t, "the requester asked for a human"); err != nil {
			return err
		}
	case FeedbackNotHelpful:
		t.say(w.now, ev.User, t.RequesterName, RoleRequester, "(not helpful)", false)
		t.NotHelpful++
		if t.NotHelpful >= 2 {
			if err := w.escalate(t, "two answers did not help"); err != nil {
				return err
			}
		} else if err := w.job(t, jobNext); err != nil {
			return err
		}
	}
	return w.tx.PutTicket(t)
}

// claim gives a ticket to the technician who reacted on its card. It runs inside one transaction, so of
// two racing claims exactly one wins; the ownership rule says who may.
func (w *work) claim(t *Ticket, card *Card) error {
	if !card.Current {
		return w.reply(t.ID, w.staleCardText(t))
	}
	switch v, why := w.cfg().mayAct(t, card.Tier, w.actorIn(t, card.Tier), actClaim); v {
	case refuse:
		return w.reply(t.ID, why)
	case noop:
		return nil
	}
	if err := w.takeOwnership(t, card); err != nil {
		return err
	}
	return w.tx.PutTicket(t)
}

// takeOwnership makes the event's user the ticket's owner, updates the card and tells the requester. The
// caller has asked the ownership rule, and stores the ticket.
func (w *work) takeOwnership(t *Ticket, card *Card) error {
	user := w.ev.User
	t.Assignee, t.AssigneeName = user, nameOf(w.ev.UserName, user)
	t.transition(w.now, TransitionClaimed, StatusClaimed, user, "")
	if card != nil {
		if err := w.updateCard(t, card); err != nil {
			return err
		}
	}
	if err := w.toRequester(t, "", fmt.Sprintf("**%s** (%s) picked up **%s** and will reply here.", t.AssigneeName, w.cfg().tierName(t.Tier), t.ID)); err != nil {
		return err
	}
	w.logCommitted("ticket claimed", "ticket_id", t.ID, "tier", t.Tier, "technician", user)
	return nil
}

// staleCardText is the reply to an action on a card that is no longer the one the ticket is worked from.
func (w *work) staleCardText(t *Ticket) string {
	return fmt.Sprintf("This card is out of date: **%s** is now with %s.", t.ID, w.cfg().tierName(t.Tier))
}

// release puts a claimed ticket back in its tier's queue when its owner takes the claim reaction back.
func (w *work) release(t *Ticket, card *Card) error {
	if !card.Current {
		return nil
	}
	switch v, why := w.cfg().mayAct(t, card.Tier, w.actorIn(t, card.Tier), actRelease); v {
	case refuse:
		return w.reply(t.ID, why)
	case noop:
		return nil
	}
	t.Assignee, t.AssigneeName = "", ""
	t.transition(w.now, TransitionReleased, StatusEscalated, w.ev.User, "")
	if err := w.updateCard(t, card); err != nil {
		return err
	}
	return w.tx.PutTicket(t)
}

func (w *work) escalateFromCard(t *Ticket, card *Card) error {
	if refused, err := w.refuseOnCard(t, card, actEscalate); refused || err != nil {
		return err
	}
	if _, i, _ := w.cfg().tier(t.Tier); i+1 >= len(w.cfg().Tiers) {
		return w.reply(t.ID, fmt.Sprintf("**%s** is already with %s, the last tier.", t.ID, w.cfg().tierName(t.Tier)))
	}
	if err := w.escalate(t, "escalated by "+nameOf(w.ev.UserName, w.ev.User)); err != nil {
		return err
	}
	return w.tx.PutTicket(t)
}

func (w *work) resolveFromCard(t *Ticket, card *Card) error {
	if refused, err := w.refuseOnCard(t, card, actResolve); refused || err != nil {
		return err
	}
	if err := w.resolve(t); err != nil {
		return err
	}
	return w.tx.PutTicket(t)
}

// refuseOnCard replies and reports true when the event's user may not take act on the ticket from this
// card: it is out of date, or the ownership rule says no.
func (w *work) refuseOnCard(t *Ticket, card *Card, act action) (bool, error) {
	if !card.Current {
		return true, w.reply(t.ID, w.staleCardText(t))
	}
	// From a card, only its tier's members and admins act: the requester works from their own thread.
	a := w.actorIn(t, card.Tier)
	a.requester = false
	if v, why := w.cfg().mayAct(t, card.Tier, a, act); v != allow {
		return true, w.reply(t.ID, why)
	}
	return false, nil
}
