package bot

// Transitions of a ticket's life: escalate, resolve, reopen, rate.

import (
	"fmt"
	"strconv"
	"time"
)

// escalate moves a ticket to the next tier: a new card in that tier's channel, the old card marked, and
// the requester told. The caller stores the ticket.
func (w *work) escalate(t *Ticket, reason string) error {
	cfg := w.cfg()
	var next Tier
	if _, i, ok := cfg.tier(t.Tier); ok {
		if i+1 >= len(cfg.Tiers) {
			return Errorf(ECONFLICT, "ticket %s is already in the last tier", t.ID)
		}
		next = cfg.Tiers[i+1]
	} else {
		next = cfg.Tiers[0]
	}
	return w.escalateTo(t, next, reason)
}

// escalateTo moves a ticket to a tier (the next one, or the one a form sends it to straight away). The
// caller stores the ticket.
func (w *work) escalateTo(t *Ticket, next Tier, reason string) error {
	cfg := w.cfg()
	fromLevelOne := t.Tier == LevelOne
	if old := t.currentCard(); old != nil {
		// Who moved it; the desk's own moves (an SLA breach) give their reason on the new card.
		by := "the desk"
		if w.ev.User != "" {
			by = nameOf(w.ev.UserName, w.ev.User)
		}
		note := "escalated to " + next.Name + " by " + by
		if err := w.retireCard(t, old, note); err != nil {
			return err
		}
	}
	if err := w.withdrawAnswers(t, "", fmt.Sprintf("_No longer current: **%s** went to %s._", t.ID, next.Name)); err != nil {
		return err
	}
	t.Tier = next.ID
	t.Assignee, t.AssigneeName = "", ""
	t.Clarifying = false
	t.transition(w.now, TransitionEscalated, StatusEscalated, w.ev.User, reason)
	t.Cards = append(t.Cards, Card{Key: fmt.Sprintf("%s%d", keyCardPrefix, len(t.Cards)+1), Tier: next.ID, Current: true, Note: reason, PostedAt: w.now})
	card := &t.Cards[len(t.Cards)-1]
	if err := w.postCard(t, card); err != nil {
		return err
	}
	if w.e.model != nil && w.e.modelOpts.Summaries {
		if err := w.summaryJob(t, card); err != nil {
			return err
		}
	}
	where := "here"
	if t.Conversation.DM {
		where = "in this conversation"
	}
	msg := fmt.Sprintf("I've passed **%s** to **%s**. A technician will pick it up and reply %s; anything you write %s reaches them.", t.ID, next.Name, where, where)
	if !fromLevelOne {
		msg = fmt.Sprintf("**%s** has moved to **%s**; a specialist will pick it up and reply %s.", t.ID, next.Name, where)
	}
	t.say(w.now, "", cfg.Name, RoleBot, "Escalated to "+next.Name+": "+reason, false)
	w.logCommitted("ticket escalated", "ticket_id", t.ID, "tier", next.ID)
	return w.toRequester(t, "", msg)
}

// retireCard marks a card as no longer the one technicians work from, keeping who owned the ticket then
// and why, and updates it.
func (w *work) retireCard(t *Ticket, card *Card, note string) error {
	card.Current = false
	card.Note = note
	card.Owner = t.AssigneeName
	if card.Owner == "" && t.Assignee != "" {
		card.Owner = nameOf("", t.Assignee)
	}
	return w.updateCard(t, card)
}

// resolve closes the work on a ticket. Tickets a human worked on ask the requester for a rating. The
// caller stores the ticket.
func (w *work) resolve(t *Ticket) error {
	by := w.ev.User
	at := w.now
	t.ResolvedAt, t.ResolvedBy = &at, by
	t.Clarifying = false
	if t.Status == StatusPendingVendor && t.Vendor != nil && t.Vendor.Back == nil {
		t.Vendor.Back = &at // solved while the vendor had it: their case ends with the ticket
	}
	t.transition(w.now, TransitionResolved, StatusResolved, by, "")
	if err := w.withdrawAnswers(t, "", fmt.Sprintf("_No longer current: **%s** is resolved._", t.ID)); err != nil {
		return err
	}
	if card := t.currentCard(); card != nil {
		if err := w.updateCard(t, card); err != nil {
			return err
		}
	}
	window := humanDuration(w.cfg().ReopenWindow)
	w.logCommitted("ticket resolved", "ticket_id", t.ID, "tier", t.Tier)
	if t.Tier == LevelOne {
		return w.toRequester(t, "", fmt.Sprintf("Glad that helped! I've marked **%s** as solved. If the problem comes back within %s, write here and I'll reopen it.", t.ID, window))
	}
	if t.fromMonitor() {
		return nil // a monitor is not asked to rate the help: it reads nothing
	}
	who := "You"
	if by != t.Requester {
		who = "**" + nameOf(w.ev.UserName, by) + "**"
	}
	// Asked once per resolution: a survey withdrawn by a reopening is asked again (tickets from before
	// choices were recorded were asked once).
	asked := t.Survey != nil && (t.Version < 2 || t.choicesLive(keyCSAT))
	if t.CSAT != nil || asked {
		return w.toRequester(t, "", fmt.Sprintf("%s resolved **%s**. If the problem comes back within %s, write here to reopen it.", who, t.ID, window))
	}
	if recent, err := w.surveyedRecently(t); err != nil {
		return err
	} else if recent {
		// Asked not long ago: people stop answering surveys that come too often.
		return w.toRequester(t, "", fmt.Sprintf("%s resolved **%s**. If the problem comes back within %s, write here to reopen it.", who, t.ID, window))
	}
	t.Survey = &Survey{AskedAt: w.now}
	if d := w.cfg().CSAT.RemindAfter; d > 0 {
		at := w.now.Add(d)
		t.Survey.RemindAt = &at
	}
	var choices []Choice
	for i := 1; i <= 5; i++ {
		choices = append(choices, Choice{ID: choiceCSATPrefix + strconv.Itoa(i), Label: strconv.Itoa(i), Reaction: ratingReactions[i-1]})
	}
	return w.toRequester(t, keyCSAT, fmt.Sprintf("%s resolved **%s**. How would you rate the help you got, from 1 (poor) to 5 (excellent)? If the problem comes back within %s, write here to reopen it.", who, t.ID, window), choices...)
}

// surveyedRecently reports whether the requester was asked to rate another ticket within
// CSAT.MinDaysBetween days.
func (w *work) surveyedRecently(t *Ticket) (bool, error) {
	days := w.cfg().CSAT.MinDaysBetween
	if days <= 0 {
		return false, nil
	}
	others, err := w.tx.FindTickets(TicketFilter{Requester: t.Requester})
	if err != nil {
		return false, err
	}
	since := w.now.Add(-time.Duration(days) * 24 * time.Hour)
	for _, o := range others {
		if o.ID != t.ID && o.Survey != nil && o.Survey.AskedAt.After(since) {
			return true, nil
		}
	}
	return false, nil
}

// reopen puts a resolved ticket back to work: to Level 1, or to its tier with a fresh card. The caller has
// recorded the requester's message.
func (w *work) reopen(t *Ticket) error {
	t.ResolvedAt, t.ResolvedBy = nil, ""
	t.FollowUps = 0 // the problem is back: its follow-ups start again
	if err := w.withdraw(t, keyCSAT, fmt.Sprintf("_**%s** was reopened: you can rate it once it is resolved again._", t.ID)); err != nil {
		return err
	}
	if t.Tier == LevelOne {
		t.transition(w.now, TransitionReopened, StatusOpen, w.ev.User, "")
		if err := w.toRequester(t, "", fmt.Sprintf("I've reopened **%s**. Let me look again.", t.ID)); err != nil {
			return err
		}
		if err := w.job(t, jobFollowUp); err != nil {
			return err
		}
		return w.tx.PutTicket(t)
	}
	status := StatusEscalated
	if t.Assignee != "" {
		status = StatusClaimed
	}
	t.transition(w.now, TransitionReopened, status, w.ev.User, "")
	if old := t.currentCard(); old != nil {
		if err := w.retireCard(t, old, "reopened: see the new card"); err != nil {
			return err
		}
	}
	by := "the requester"
	if w.ev.User != t.Requester {
		by = nameOf(w.ev.UserName, w.ev.User)
	}
	t.Cards = append(t.Cards, Card{Key: fmt.Sprintf("%s%d", keyCardPrefix, len(t.Cards)+1), Tier: t.Tier, Current: true, Note: "reopened by " + by, PostedAt: w.now})
	if err := w.postCard(t, &t.Cards[len(t.Cards)-1]); err != nil {
		return err
	}
	who := w.cfg().tierName(t.Tier)
	if t.AssigneeName != "" {
		who = t.AssigneeName + " (" + who + ")"
	}
	if err := w.toRequester(t, "", fmt.Sprintf("I've reopened **%s** and let %s know.", t.ID, who)); err != nil {
		return err
	}
	w.logCommitted("ticket reopened", "ticket_id", t.ID, "tier", t.Tier)
	return w.tx.PutTicket(t)
}

// rate stores the requester's satisfaction score.
func (w *work) rate(t *Ticket, value string) error {
	ev := w.ev
	score, err := strconv.Atoi(value)
	if err != nil || score < 1 || score > 5 {
		return nil
	}
	switch {
	case ev.User != t.Requester:
		return w.reply(t.ID, fmt.Sprintf("Only %s can rate **%s**.", t.RequesterName, t.ID))
	case t.Status != StatusResolved:
		return w.reply(t.ID, fmt.Sprintf("**%s** was reopened; you can rate it once it is resolved.", t.ID))
	case t.CSAT != nil:
		return w.reply(t.ID, fmt.Sprintf("You already rated **%s** %d/5. Thank you!", t.ID, t.CSAT.Score))
	}
	t.CSAT = &Rating{Score: score, RatedAt: w.now, By: ev.User}
	t.dropLive(keyCSAT) // the update below replaces the survey with the rating
	t.transition(w.now, TransitionRated, "", ev.User, fmt.Sprintf("%d/5", score))
	if err := w.enqueue(w.requesterEffect(t, Effect{Kind: EffectUpdate, Ticket: t.ID, Key: keyCSAT,
		Post: Post{Text: fmt.Sprintf("**%s** is resolved. You rated the help %d/5.", t.ID, score)}})); err != nil {
		return err
	}
	thanks := fmt.Sprintf("Thank you for rating **%s** %d/5!", t.ID, score)
	if w.cfg().CSAT.CommentWindow > 0 {
		thanks += " Anything to add? Write it here and I'll pass it on."
	}
	if err := w.toRequester(t, "", thanks); err != nil {
		return err
	}
	return w.tx.PutTicket(t)
}

// ratingComment takes the requester's message just after a rating as a comment on it, rather than as a
// reopening. It reports whether it did.
func (w *work) ratingComment(t *Ticket, text string) (bool, error) {
	window := w.cfg().CSAT.CommentWindow
	if t.CSAT == nil || t.CSAT.Comment != "" || window <= 0 || w.now.Sub(t.CSAT.RatedAt) > window {
		return false, nil
	}
	t.CSAT.Comment = text // whole: a comment cut at a length would lose what the requester said last
	t.transition(w.now, TransitionRatingComment, "", w.ev.User, "")
	if err := w.toRequester(t, "", fmt.Sprintf("Thanks, noted with your rating of **%s**. If the problem comes back, write here again to reopen it.", t.ID)); err != nil {
		return false, err
	}
	return true, w.tx.PutTicket(t)
}
