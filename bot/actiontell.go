package bot

// Who is told of a step of an action run, and where: one rule for every message of the flow
// (actionflow.go, actionjob.go). Two people may be concerned by a run: the one who asked for it
// (r.RequestedBy), who confirms it, may cancel it and hears how their request went; and the ticket's
// requester it is done for (r.For), when a technician asked on their behalf. A monitor, the requester of
// an alert's ticket, reads nothing: what concerns its ticket's runs goes to the technician who asked.

import (
	"fmt"
	"slices"
)

// runPlace is where the one who asked for a run reads about it.
type runPlace int

const (
	// placeConversation is the ticket's requester conversation: the requester's own request, or a
	// technician's made there.
	placeConversation runPlace = iota
	// placeCard is the thread of the ticket's current card: a technician's request made from a card.
	placeCard
	// placeDM is the asker's direct messages: a technician's request on a monitor's ticket with no card
	// to tell them under.
	placeDM
)

// runAudience is who is told of a run's steps, and where.
type runAudience struct {
	// asker is where the one who asked for the run reads; card is the card for placeCard.
	asker runPlace
	card  *Card
	// requester: the ticket's requester, someone other than the asker, is told too, in their
	// conversation, of what is done for them.
	requester bool
}

// runAudienceOf is the rule: the asker is told where they asked (a technician who asked from a card, in
// its thread, also on a monitor's ticket, whose conversation nobody reads); the requester is told of a
// run someone else asked for them, unless they are a monitor, from the moment it was asked for in earnest
// (a confirmation the asker never gave is nothing done for them).
func runAudienceOf(t *Ticket, r *ActionRun) runAudience {
	var a runAudience
	onBehalf := r.RequestedBy != t.Requester
	switch card := t.currentCard(); {
	case !onBehalf:
		a.asker = placeConversation
	case r.Via != "card" && !t.fromMonitor():
		a.asker = placeConversation // the technician asked in the requester's conversation, and reads it
	case card != nil:
		a.asker, a.card = placeCard, card
	default:
		a.asker = placeDM
	}
	a.requester = onBehalf && r.For == t.Requester && !t.fromMonitor() && r.confirmed()
	return a
}

// confirmed reports whether the run was ever past its asker's confirmation: it waited for approval, or
// was approved (a run asked for without a button never waited for one).
func (r *ActionRun) confirmed() bool {
	return slices.ContainsFunc(r.History, func(s RunStep) bool { return s.State == RunPending || s.State == RunApproved })
}

// onBehalf reports whether someone other than the one it is for asked for the run.
func (r *ActionRun) onBehalf() bool { return r.RequestedBy != r.For }

// runNews is what a step of a run says: asker to the one who asked for it, requester to the requester it
// is done for when someone else asked ("" tells them nothing). Where the asker reads the requester's
// conversation, the requester's sentence, which names the asker, is the one posted there.
type runNews struct {
	asker, requester string
}

// tellRun posts a step's news to its audience (runAudienceOf).
func (w *work) tellRun(t *Ticket, r *ActionRun, n runNews) error {
	a := runAudienceOf(t, r)
	if a.requester && n.requester != "" {
		if err := w.toRequester(t, "", n.requester); err != nil {
			return err
		}
		if a.asker == placeConversation {
			return nil
		}
	}
	if n.asker == "" {
		return nil
	}
	return w.toAsker(t, r, a, "", n.asker)
}

// toAsker posts to the one who asked for r, where they read (a), recorded under key when set, with
// choices (which are then live).
func (w *work) toAsker(t *Ticket, r *ActionRun, a runAudience, key, text string, choices ...Choice) error {
	switch a.asker {
	case placeConversation:
		return w.toRequester(t, key, text, choices...)
	case placeCard:
		if len(choices) > 0 && key != "" {
			t.offerChoices(key)
		}
		platform, channel := w.tierChannel(a.card.Tier)
		return w.enqueue(Effect{Kind: EffectPost, Platform: platform, Lane: lane(platform, channel), Ticket: t.ID, ThreadKey: a.card.Key,
			Key: key, Post: Post{Channel: channel, ThreadName: threadName(t), Text: text, Choices: choices}})
	}
	if len(choices) > 0 && key != "" {
		t.offerChoices(key)
	}
	platform, _ := SplitID(r.RequestedBy)
	return w.enqueue(Effect{Kind: EffectPost, Platform: platform, Lane: lane(platform, "dm:"+r.RequestedBy), Ticket: t.ID, Key: key,
		Post: Post{DM: r.RequestedBy, Text: text, Choices: choices}})
}

// withdrawConfirm takes the buttons off a run's confirmation, with note under it, where its asker was
// asked (toAsker).
func (w *work) withdrawConfirm(t *Ticket, r *ActionRun, note string) error {
	a := runAudienceOf(t, r)
	if a.asker == placeConversation {
		return w.withdraw(t, confirmKey(r.ID), note)
	}
	if !t.dropLive(confirmKey(r.ID)) {
		return nil
	}
	eff := Effect{Kind: EffectUpdate, Ticket: t.ID, Key: confirmKey(r.ID), DropChoices: true, Post: Post{Text: note}}
	if a.asker == placeCard {
		platform, channel := w.tierChannel(a.card.Tier)
		eff.Platform, eff.Lane = platform, lane(platform, channel)
	} else {
		eff.Platform, _ = SplitID(r.RequestedBy)
		eff.Lane = lane(eff.Platform, "dm:"+r.RequestedBy)
	}
	return w.enqueue(eff)
}

// forWhom is " for alice" in the asker's sentences about a run asked for someone else, "" otherwise.
func forWhom(r *ActionRun) string {
	if !r.onBehalf() {
		return ""
	}
	return fmt.Sprintf(" for %s", r.ForName)
}
