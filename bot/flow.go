package bot

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/firstline-desk/firstline/kb"
	"github.com/firstline-desk/firstline/redact"
)

// Jobs: slow work that runs from the outbox, outside the event's transaction.
const (
	jobAnswer   = "answer"   // answer a new (or reopened) ticket's question
	jobFollowUp = "followup" // the requester added details while Level 1 works the ticket
	jobNext     = "next"     // the last answer did not help: offer the next best articles
	jobReport   = "report"   // a tier asked for the report: compute it and post it
	jobSummary  = "summary"  // write a ticket's handoff summary (for its card, or for "!summary")
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
	tx  Tx
	ev  Event
	now time.Time

	// Knowledge-base changes to apply to the search index once the transaction has committed.
	indexPut []kb.Article
	indexDel []string

	// throttled: the person is over the flood limit: their message is recorded, nothing more is done
	// for it. notify: it is the first such message in the window, which gets the one notice.
	throttled, notify bool

	// committed holds what to log once the transaction has committed: "ticket opened" for a commit
	// that a full disk refused would be a lie.
	committed *[]func()
}

// logCommitted logs at info level once the transaction commits.
func (w *work) logCommitted(msg string, args ...any) {
	if w.committed == nil {
		w.e.log.Info(msg, args...)
		return
	}
	*w.committed = append(*w.committed, func() { w.e.log.Info(msg, args...) })
}

func runAll(fs []func()) {
	for _, f := range fs {
		f()
	}
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
	}
	return Errorf(EINVALID, "unknown event kind %q", w.ev.Kind)
}

// --- where things are --------------------------------------------------------------------------------

// lane is the ordering key of effects: one per channel (or per DM with a user).
func lane(platform, channel string) string { return platform + "\x1f" + channel }

// threadLane is the lane of posts in a known thread: its own, so a slow search or model call for one
// ticket holds up only its thread, not every ticket of a help channel. Posts whose thread is not known
// when they are enqueued (a card, and the replies under it) use the channel's lane, which keeps them in
// order.
func threadLane(platform, channel, thread string) string {
	if thread == "" {
		return lane(platform, channel)
	}
	return lane(platform, channel) + "\x1f" + thread
}

// here is a post in the place the event happened: its thread, or a new thread under a top-level
// channel message. DMs are answered at the top level.
func (w *work) here() Post {
	p := Post{Channel: w.ev.Channel, Thread: w.ev.Thread}
	if p.Thread == "" && !w.ev.DM {
		p.Thread = w.ev.Message
	}
	return p
}

// cardHere returns the ticket and card whose thread the event is in, or nil.
func (w *work) cardHere() (*Ticket, *Card, error) {
	if w.ev.Thread == "" {
		return nil, nil, nil
	}
	link, err := w.tx.MessageLink(MessageRef{Platform: w.ev.Platform, Channel: w.ev.Channel, ID: w.ev.Thread})
	if IsNotFound(err) || (err == nil && !isCardKey(link.Key)) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	t, err := w.tx.Ticket(link.Ticket)
	if err != nil {
		return nil, nil, err
	}
	card := t.card(link.Key)
	if card == nil {
		return nil, nil, Errorf(EINTERNAL, "ticket %s has no card %s", t.ID, link.Key)
	}
	return t, card, nil
}

// ticketHere returns the ticket whose requester conversation the event is in, or nil.
func (w *work) ticketHere() (*Ticket, error) {
	var candidates []Conversation
	switch {
	case w.ev.DM:
		if w.ev.Thread != "" {
			candidates = append(candidates, Conversation{Platform: w.ev.Platform, Channel: w.ev.Channel, Thread: w.ev.Thread})
		}
		candidates = append(candidates, Conversation{Platform: w.ev.Platform, Channel: w.ev.Channel})
	case w.ev.Thread != "":
		candidates = append(candidates, Conversation{Platform: w.ev.Platform, Channel: w.ev.Channel, Thread: w.ev.Thread})
	}
	for _, c := range candidates {
		t, err := w.tx.TicketByConversation(c)
		if IsNotFound(err) {
			continue
		}
		return t, err
	}
	return nil, nil
}

// --- effects --------------------------------------------------------------------------------------------

func (w *work) enqueue(eff Effect) error {
	eff.CreatedAt = w.now
	return w.tx.Enqueue(&eff)
}

// reply posts in the place the event happened.
func (w *work) reply(ticketID, text string) error {
	p := w.here()
	p.Text = text
	return w.enqueue(Effect{Kind: EffectPost, Platform: w.ev.Platform, Lane: threadLane(w.ev.Platform, p.Channel, p.Thread), Ticket: ticketID, Post: p})
}

// dm posts in a direct conversation with the event's user.
func (w *work) dm(text string) error {
	return w.enqueue(Effect{Kind: EffectPost, Platform: w.ev.Platform, Lane: lane(w.ev.Platform, "dm:"+w.ev.User),
		Post: Post{DM: w.ev.User, Text: text}})
}

// toRequester posts in the ticket's conversation, recording the message under key when key is set.
func (w *work) toRequester(t *Ticket, key, text string, choices ...Choice) error {
	c := t.Conversation
	return w.enqueue(Effect{Kind: EffectPost, Platform: c.Platform, Lane: threadLane(c.Platform, c.Channel, c.Thread), Ticket: t.ID, Key: key,
		Post: Post{Channel: c.Channel, Thread: c.Thread, Text: text, Choices: choices}})
}

func (w *work) tierChannel(tierID string) (platform, channel string) {
	tier, _, _ := w.cfg().tier(tierID)
	return SplitID(tier.Channel)
}

// toCard posts in the thread of a card.
func (w *work) toCard(t *Ticket, card *Card, text string) error {
	platform, channel := w.tierChannel(card.Tier)
	return w.enqueue(Effect{Kind: EffectPost, Platform: platform, Lane: lane(platform, channel), Ticket: t.ID, ThreadKey: card.Key,
		Post: Post{Channel: channel, Text: text}})
}

func (w *work) postCard(t *Ticket, card *Card) error {
	w.e.syncSLA(t) // the card shows the deadlines as they are now
	platform, channel := w.tierChannel(card.Tier)
	p := w.e.cardPost(t, card)
	p.Channel = channel
	return w.enqueue(Effect{Kind: EffectPost, Platform: platform, Lane: lane(platform, channel), Ticket: t.ID, Key: card.Key, Post: p})
}

func (w *work) updateCard(t *Ticket, card *Card) error {
	w.e.syncSLA(t)
	platform, channel := w.tierChannel(card.Tier)
	return w.enqueue(Effect{Kind: EffectUpdate, Platform: platform, Lane: lane(platform, channel), Ticket: t.ID, Key: card.Key,
		Post: w.e.cardPost(t, card)})
}

func (w *work) job(t *Ticket, name string) error {
	c := t.Conversation
	return w.enqueue(Effect{Kind: EffectJob, Platform: c.Platform, Lane: threadLane(c.Platform, c.Channel, c.Thread), Ticket: t.ID, Job: name})
}

// --- messages -------------------------------------------------------------------------------------------

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
		Subject:       clip(firstLine(redact.String(text)), 120),
		Messages:      map[string]MessageRef{},
		CreatedAt:     w.now,
	}
	t.Priority, t.PrioritySource = w.cfg().priorityFor(text)
	t.transition(w.now, "opened", StatusOpen, ev.User, "")
	t.say(w.now, ev.User, t.RequesterName, RoleRequester, text, false)
	if err := w.tx.CreateTicket(t); err != nil {
		return err
	}
	if err := w.tx.LinkConversation(conv, t.ID); err != nil {
		return err
	}
	w.logCommitted("ticket opened", "ticket_id", t.ID, "platform", ev.Platform, "requester", ev.User)
	w.e.flood.wrote(ev.User, t.ID, w.now)
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
		w.e.flood.wrote(ev.User, t.ID, w.now)
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
	if isRequester && w.e.resumeSLA(t, w.now) {
		t.transition(w.now, "resumed", "", ev.User, "the requester answered")
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
			if err := w.toCard(t, card, fmt.Sprintf("**%s** (%s): %s", name, who, redact.String(text))); err != nil {
				return err
			}
		}
		return w.tx.PutTicket(t)
	default: // Level 1 is working on it: the requester's details go into a new search.
		t.say(w.now, ev.User, name, role, text, false)
		if !isRequester {
			return w.tx.PutTicket(t)
		}
		t.resubject(text)
		if err := w.tx.PutTicket(t); err != nil {
			return err
		}
		return w.job(t, jobFollowUp)
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
	t.say(w.now, ev.User, name, RoleTechnician, text, false)
	if t.Status == StatusResolved {
		// Relayed all the same: a closing word from the technician is still for the requester.
		w.e.log.Debug("relay on a resolved ticket", "ticket_id", t.ID)
	}
	// Relayed redacted like everything else: a requester's thread may be in a public channel.
	if err := w.toRequester(t, "", fmt.Sprintf("**%s** (%s): %s", name, w.cfg().tierName(card.Tier), redact.String(text))); err != nil {
		return err
	}
	return w.tx.PutTicket(t)
}

// internalNote reports whether a technician's message is a note ("note: ..."), and returns its text.
func internalNote(text string) (string, bool) {
	if len(text) >= 5 && strings.EqualFold(text[:5], "note:") {
		return strings.TrimSpace(text[5:]), true
	}
	return "", false
}

// canWork reports whether user, the event's author, may act on a ticket in tier: its members and admins.
func (w *work) canWork(tierID, user string) bool {
	return w.cfg().isMember(tierID, user, w.ev.Roles) || w.cfg().isAdmin(user, w.ev.Roles)
}

// --- reactions and clicks -------------------------------------------------------------------------------

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
	t, link, err := w.linked()
	if IsNotFound(err) {
		return nil // a reaction on a message that is not the bot's: none of our business
	}
	if err != nil {
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
	if link.Key == keyCSAT && added {
		if i := slices.Index(ratingReactions, name); i >= 0 {
			return w.rate(t, strconv.Itoa(i+1))
		}
	}
	switch {
	case isCardKey(link.Key):
		card := t.card(link.Key)
		if card == nil {
			return nil
		}
		switch {
		case r.Urgent != "" && name == r.Urgent && added:
			if !w.canWork(card.Tier, w.ev.User) || t.Priority == "P1" {
				return nil
			}
			return w.setPriority(t, "P1")
		case name == r.Claim && added:
			return w.claim(t, card)
		case name == r.Claim:
			return w.release(t, card)
		case name == r.Escalate && added:
			return w.escalateFromCard(t, card)
		case name == r.Resolve && added:
			return w.resolveFromCard(t, card)
		}
	case isFeedbackKey(link.Key) && added:
		switch name {
		case r.Solved:
			return w.feedback(t, link.Key, FeedbackSolved)
		case r.NotHelpful:
			return w.feedback(t, link.Key, FeedbackNotHelpful)
		case r.Human:
			return w.feedback(t, link.Key, FeedbackHuman)
		}
	}
	return nil
}

func (w *work) click() error {
	t, link, err := w.linked()
	if IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	switch {
	case isFeedbackKey(link.Key):
		switch w.ev.Choice {
		case FeedbackSolved, FeedbackNotHelpful, FeedbackHuman:
			return w.feedback(t, link.Key, w.ev.Choice)
		}
	case link.Key == keyCSAT && strings.HasPrefix(w.ev.Choice, choiceCSATPrefix):
		return w.rate(t, strings.TrimPrefix(w.ev.Choice, choiceCSATPrefix))
	case link.Key == keyDraft:
		return w.draftChoice(t, w.ev.Choice)
	}
	return nil
}

// ratingReactions rate 1 to 5 where buttons are missing: the keycap emoji, by their Slack names.
var ratingReactions = []string{"one", "two", "three", "four", "five"}

// feedback handles Solved / Not helpful / Talk to a human on one of the bot's answers.
func (w *work) feedback(t *Ticket, key, kind string) error {
	ev := w.ev
	if ev.User != t.Requester {
		return w.reply(t.ID, fmt.Sprintf("Only %s can say whether this answer helped.", t.RequesterName))
	}
	switch t.Status {
	case StatusResolved:
		return w.reply(t.ID, fmt.Sprintf("**%s** is already resolved. Write here if you need more help and I'll reopen it.", t.ID))
	case StatusEscalated, StatusClaimed:
		return w.reply(t.ID, fmt.Sprintf("**%s** is already with %s: write here and the technician will see it.", t.ID, w.cfg().tierName(t.Tier)))
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
	t.transition(w.now, "feedback", "", ev.User, strings.TrimSpace(kind+" "+strings.Join(titles, " ")))
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
// two racing claims exactly one wins.
func (w *work) claim(t *Ticket, card *Card) error {
	user := w.ev.User
	tierName := w.cfg().tierName(card.Tier)
	switch {
	case !card.Current:
		return w.reply(t.ID, fmt.Sprintf("This card is out of date: **%s** is now with %s.", t.ID, w.cfg().tierName(t.Tier)))
	case t.Status == StatusResolved:
		return w.reply(t.ID, fmt.Sprintf("**%s** is already resolved.", t.ID))
	case !w.cfg().isMember(card.Tier, user, w.ev.Roles):
		return w.reply(t.ID, fmt.Sprintf("Only members of %s can claim **%s**.", tierName, t.ID))
	case t.Status == StatusClaimed && t.Assignee == user:
		return nil
	case t.Status == StatusClaimed:
		return w.reply(t.ID, fmt.Sprintf("**%s** is already claimed by %s.", t.ID, t.AssigneeName))
	}
	t.Assignee, t.AssigneeName = user, nameOf(w.ev.UserName, user)
	t.transition(w.now, "claimed", StatusClaimed, user, "")
	if err := w.updateCard(t, card); err != nil {
		return err
	}
	if err := w.toRequester(t, "", fmt.Sprintf("**%s** (%s) picked up **%s** and will reply here.", t.AssigneeName, tierName, t.ID)); err != nil {
		return err
	}
	w.logCommitted("ticket claimed", "ticket_id", t.ID, "tier", card.Tier, "technician", user)
	return w.tx.PutTicket(t)
}

// release puts a claimed ticket back in its tier's queue when its owner takes the claim reaction back.
func (w *work) release(t *Ticket, card *Card) error {
	if !card.Current || t.Status != StatusClaimed || t.Assignee != w.ev.User {
		return nil
	}
	t.Assignee, t.AssigneeName = "", ""
	t.transition(w.now, "released", StatusEscalated, w.ev.User, "")
	if err := w.updateCard(t, card); err != nil {
		return err
	}
	return w.tx.PutTicket(t)
}

func (w *work) escalateFromCard(t *Ticket, card *Card) error {
	if refused, err := w.refuseOnCard(t, card); refused || err != nil {
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
	if refused, err := w.refuseOnCard(t, card); refused || err != nil {
		return err
	}
	if err := w.resolve(t); err != nil {
		return err
	}
	return w.tx.PutTicket(t)
}

// refuseOnCard replies and reports true when the event's user may not act on the ticket from this card.
func (w *work) refuseOnCard(t *Ticket, card *Card) (bool, error) {
	switch {
	case !card.Current:
		return true, w.reply(t.ID, fmt.Sprintf("This card is out of date: **%s** is now with %s.", t.ID, w.cfg().tierName(t.Tier)))
	case t.Status == StatusResolved:
		return true, w.reply(t.ID, fmt.Sprintf("**%s** is already resolved.", t.ID))
	case !w.canWork(card.Tier, w.ev.User):
		return true, w.reply(t.ID, fmt.Sprintf("Only members of %s can do that on **%s**.", w.cfg().tierName(card.Tier), t.ID))
	}
	return false, nil
}

// --- transitions ----------------------------------------------------------------------------------------

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
	fromLevelOne := t.Tier == LevelOne
	if old := t.currentCard(); old != nil {
		old.Current = false
		old.Note = "escalated to " + next.Name
		if err := w.updateCard(t, old); err != nil {
			return err
		}
	}
	t.Tier = next.ID
	t.Assignee, t.AssigneeName = "", ""
	t.Clarifying = false
	t.transition(w.now, "escalated", StatusEscalated, w.ev.User, reason)
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

// resolve closes the work on a ticket. Tickets a human worked on ask the requester for a rating. The
// caller stores the ticket.
func (w *work) resolve(t *Ticket) error {
	by := w.ev.User
	at := w.now
	t.ResolvedAt, t.ResolvedBy = &at, by
	t.Clarifying = false
	t.transition(w.now, "resolved", StatusResolved, by, "")
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
	who := "You"
	if by != t.Requester {
		who = "**" + nameOf(w.ev.UserName, by) + "**"
	}
	if t.CSAT != nil || t.Survey != nil {
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
	if t.Tier == LevelOne {
		t.transition(w.now, "reopened", StatusOpen, w.ev.User, "")
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
	t.transition(w.now, "reopened", status, w.ev.User, "")
	if old := t.currentCard(); old != nil {
		old.Current = false
		old.Note = "reopened: see the new card"
		if err := w.updateCard(t, old); err != nil {
			return err
		}
	}
	t.Cards = append(t.Cards, Card{Key: fmt.Sprintf("%s%d", keyCardPrefix, len(t.Cards)+1), Tier: t.Tier, Current: true, Note: "reopened by the requester", PostedAt: w.now})
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
	t.transition(w.now, "rated", "", ev.User, fmt.Sprintf("%d/5", score))
	c := t.Conversation
	if err := w.enqueue(Effect{Kind: EffectUpdate, Platform: c.Platform, Lane: threadLane(c.Platform, c.Channel, c.Thread), Ticket: t.ID, Key: keyCSAT,
		Post: Post{Text: fmt.Sprintf("**%s** is resolved. You rated the help %d/5.", t.ID, score)}}); err != nil {
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
	t.CSAT.Comment = clip(text, 1000)
	t.transition(w.now, "rating_comment", "", w.ev.User, "")
	if err := w.toRequester(t, "", fmt.Sprintf("Thanks, noted with your rating of **%s**. If the problem comes back, write here again to reopen it.", t.ID)); err != nil {
		return false, err
	}
	return true, w.tx.PutTicket(t)
}

// --- commands -------------------------------------------------------------------------------------------

func (w *work) command(cmd Command) error {
	switch cmd.Name {
	case "help":
		return w.reply("", w.e.helpText())
	case "status":
		return w.cmdStatus()
	case "escalate":
		return w.cmdEscalate()
	case "resolve":
		return w.cmdResolve()
	case "priority":
		return w.cmdPriority(cmd)
	case "waiting":
		return w.cmdWaiting()
	case "vendor":
		return w.cmdVendor(cmd)
	case "report":
		return w.cmdReport()
	case "kb":
		return w.cmdKB()
	case "summary":
		return w.cmdSummary()
	}
	return w.reply("", fmt.Sprintf("I don't know `%s%s`.\n\n%s", w.cfg().CommandPrefix, cmd.Name, w.e.helpText()))
}

// cmdPriority sets a ticket's priority ("!priority P1"): technicians of its tier and admins, in the
// ticket's or the card's thread. The SLA targets follow the new priority.
func (w *work) cmdPriority(cmd Command) error {
	t, card, err := w.ticketInContext()
	if err != nil {
		return err
	}
	if t == nil {
		return w.reply("", "Use this in a ticket's thread or its card's thread.")
	}
	p := ""
	if len(cmd.Args) == 1 {
		p = strings.ToUpper(cmd.Args[0])
	}
	if p != "P1" && p != "P2" && p != "P3" && p != "P4" {
		return w.reply(t.ID, fmt.Sprintf("Say which priority, from P1 (most urgent) to P4: `%spriority P2`. **%s** is %s.", w.cfg().CommandPrefix, t.ID, t.Priority))
	}
	tier := t.Tier
	if card != nil {
		tier = card.Tier
	}
	if !w.canWork(tier, w.ev.User) && !w.cfg().isAdmin(w.ev.User, w.ev.Roles) {
		return w.reply(t.ID, fmt.Sprintf("Only technicians of **%s** and admins can change its priority.", t.ID))
	}
	if p == t.Priority {
		return w.reply(t.ID, fmt.Sprintf("**%s** is already %s.", t.ID, p))
	}
	return w.setPriority(t, p)
}

// setPriority changes a ticket's priority; its SLA targets and card follow.
func (w *work) setPriority(t *Ticket, p string) error {
	old := t.Priority
	t.Priority, t.PrioritySource = p, "technician"
	t.transition(w.now, "priority", "", w.ev.User, old+" → "+p)
	if c := t.currentCard(); c != nil {
		if err := w.updateCard(t, c); err != nil {
			return err
		}
	}
	if err := w.reply(t.ID, fmt.Sprintf("**%s** is now %s (was %s).", t.ID, p, old)); err != nil {
		return err
	}
	return w.tx.PutTicket(t)
}

// cmdWaiting marks a ticket as waiting on the requester ("!waiting"): its SLA clocks stop until the
// requester writes again.
func (w *work) cmdWaiting() error {
	t, card, err := w.ticketInContext()
	if err != nil {
		return err
	}
	if t == nil {
		return w.reply("", "Use this in a ticket's thread or its card's thread.")
	}
	tier := t.Tier
	if card != nil {
		tier = card.Tier
	}
	if !w.canWork(tier, w.ev.User) {
		return w.reply(t.ID, fmt.Sprintf("Only technicians of **%s** can set it waiting on the requester.", t.ID))
	}
	if !t.pauseSLA(w.now) {
		if t.SLA != nil && t.SLA.WaitingSince != nil {
			return w.reply(t.ID, fmt.Sprintf("**%s** is already waiting on the requester.", t.ID))
		}
		return w.reply(t.ID, fmt.Sprintf("**%s** has no SLA clock running to pause.", t.ID))
	}
	t.transition(w.now, "waiting", "", w.ev.User, "waiting on the requester")
	if err := w.reply(t.ID, fmt.Sprintf("**%s** is waiting on the requester: its SLA clocks are paused until they write.", t.ID)); err != nil {
		return err
	}
	if err := w.toRequester(t, "", fmt.Sprintf("We need something from you to go on with **%s**: please answer here.", t.ID)); err != nil {
		return err
	}
	return w.tx.PutTicket(t)
}

// cmdVendor hands the case to an outside supplier ("!vendor NAME REFERENCE") or takes it back ("!vendor
// back"). The owner stays responsible; the vendor's own response target, from the config, is watched by
// the SLA loop.
func (w *work) cmdVendor(cmd Command) error {
	t, card, err := w.ticketInContext()
	if err != nil {
		return err
	}
	if t == nil {
		return w.reply("", "Use this in a ticket's card thread.")
	}
	tier := t.Tier
	if card != nil {
		tier = card.Tier
	}
	if !w.canWork(tier, w.ev.User) {
		return w.reply(t.ID, fmt.Sprintf("Only technicians of **%s** can hand it to a vendor.", t.ID))
	}
	p := w.cfg().CommandPrefix
	if len(cmd.Args) == 0 {
		return w.reply(t.ID, fmt.Sprintf("Say which vendor and their case number: `%svendor NAME REFERENCE`, or `%svendor back` when they are done.", p, p))
	}
	if strings.EqualFold(cmd.Args[0], "back") {
		if t.Status != StatusPendingVendor || t.Vendor == nil {
			return w.reply(t.ID, fmt.Sprintf("**%s** is not with a vendor.", t.ID))
		}
		at := w.now
		t.Vendor.Back = &at
		status := StatusEscalated
		if t.Assignee != "" {
			status = StatusClaimed
		}
		t.transition(w.now, "vendor_back", status, w.ev.User, t.Vendor.Name)
		if c := t.currentCard(); c != nil {
			if err := w.updateCard(t, c); err != nil {
				return err
			}
		}
		if err := w.reply(t.ID, fmt.Sprintf("**%s** is back from %s.", t.ID, t.Vendor.Name)); err != nil {
			return err
		}
		return w.tx.PutTicket(t)
	}
	if !t.Status.Active() || t.Tier == LevelOne {
		return w.reply(t.ID, fmt.Sprintf("**%s** must be with a tier to go to a vendor.", t.ID))
	}
	name := strings.ToLower(cmd.Args[0])
	ref := strings.Join(cmd.Args[1:], " ")
	t.Vendor = &VendorCase{Name: name, Reference: ref, Since: w.now}
	note := ""
	if target, ok := w.cfg().Vendors[name]; ok && target.Response > 0 {
		var cal Calendar = wallClock{}
		if target.Hours != nil {
			cal = target.Hours
		}
		due := cal.Add(w.now, target.Response)
		t.Vendor.Due = &due
		note = fmt.Sprintf(" Their response target is %s.", due.Format("Mon 2 Jan 15:04"))
	}
	t.transition(w.now, "vendor", StatusPendingVendor, w.ev.User, strings.TrimSpace(name+" "+ref))
	if c := t.currentCard(); c != nil {
		if err := w.updateCard(t, c); err != nil {
			return err
		}
	}
	with := name
	if ref != "" {
		with += " (" + ref + ")"
	}
	if err := w.reply(t.ID, fmt.Sprintf("**%s** is with %s; you still own it.%s", t.ID, with, note)); err != nil {
		return err
	}
	return w.tx.PutTicket(t)
}

// cmdReport posts a compact service-desk report in a tier channel, for its technicians and admins. It is
// computed by a job, outside the event's transaction, since it reads many tickets.
func (w *work) cmdReport() error {
	ev := w.ev
	tier, ok := w.cfg().tierByChannel(ev.Platform, ev.Channel)
	if !ok || !(w.canWork(tier.ID, ev.User) || w.cfg().isAdmin(ev.User, ev.Roles)) {
		return w.reply("", "The report is for technicians, in a tier channel.")
	}
	if w.e.reporter == nil {
		return w.reply("", "Reports are not available here.")
	}
	post := w.here()
	return w.enqueue(Effect{Kind: EffectJob, Platform: ev.Platform, Lane: threadLane(ev.Platform, post.Channel, post.Thread), Job: jobReport, Post: post})
}

// ticketInContext returns the ticket of the thread the event is in (a card's or a requester's), with the
// card when it is a card's thread.
func (w *work) ticketInContext() (*Ticket, *Card, error) {
	t, card, err := w.cardHere()
	if err != nil || t != nil {
		return t, card, err
	}
	t, err = w.ticketHere()
	return t, nil, err
}

func (w *work) cmdStatus() error {
	t, card, err := w.ticketInContext()
	if err != nil {
		return err
	}
	if t != nil {
		tier := t.Tier
		if card != nil {
			tier = card.Tier
		}
		// A ticket is its requester's and its technicians' business, even in a thread others can read.
		if w.ev.User != t.Requester && !w.canWork(tier, w.ev.User) && !w.canWork(t.Tier, w.ev.User) {
			return w.reply(t.ID, fmt.Sprintf("Only %s and the technicians working **%s** can see its status. `%sstatus` in a DM lists your own tickets.", t.RequesterName, t.ID, w.cfg().CommandPrefix))
		}
		return w.reply(t.ID, w.e.statusText(t))
	}
	if tier, ok := w.cfg().tierByChannel(w.ev.Platform, w.ev.Channel); ok && w.canWork(tier.ID, w.ev.User) {
		all, err := w.tx.FindTickets(TicketFilter{Status: []Status{StatusEscalated, StatusClaimed}})
		if err != nil {
			return err
		}
		var queue []*Ticket
		for _, t := range all {
			if t.Tier == tier.ID {
				queue = append(queue, t)
			}
		}
		return w.reply("", w.e.listText(tier.Name+" has no open tickets.", tier.Name+" queue", queue))
	}
	mine, err := w.tx.FindTickets(TicketFilter{Requester: w.ev.User, Status: []Status{StatusOpen, StatusEscalated, StatusClaimed}})
	if err != nil {
		return err
	}
	text := w.e.listText("You have no open tickets.", "Your open tickets", mine)
	if w.ev.DM {
		return w.reply("", text)
	}
	// A list of someone's tickets is theirs alone: it goes to their DM, not to the channel.
	if err := w.reply("", "I've sent you your open tickets in a direct message."); err != nil {
		return err
	}
	return w.dm(text)
}

func (w *work) cmdEscalate() error {
	t, card, err := w.ticketInContext()
	if err != nil {
		return err
	}
	switch {
	case t == nil:
		return w.reply("", fmt.Sprintf("There's no ticket here. Ask your question first, then use `%sescalate` in its thread to talk to a human.", w.cfg().CommandPrefix))
	case card != nil:
		return w.escalateFromCard(t, card)
	case t.Status == StatusResolved:
		return w.reply(t.ID, fmt.Sprintf("**%s** is resolved. Write here and I'll reopen it.", t.ID))
	case t.Status != StatusOpen:
		return w.reply(t.ID, fmt.Sprintf("**%s** is already with %s: write here and the technician will see it.", t.ID, w.cfg().tierName(t.Tier)))
	case w.ev.User != t.Requester && !w.canWork(w.cfg().Tiers[0].ID, w.ev.User):
		// Level 1 hands over to the first tier: its members (and admins) may do it for the requester.
		return w.reply(t.ID, fmt.Sprintf("Only %s can ask for a human on **%s**.", t.RequesterName, t.ID))
	}
	if err := w.escalate(t, "the requester asked for a human"); err != nil {
		return err
	}
	return w.tx.PutTicket(t)
}

func (w *work) cmdResolve() error {
	t, _, err := w.ticketInContext()
	if err != nil {
		return err
	}
	switch {
	case t == nil:
		return w.reply("", "There's no ticket here to resolve. Use it in a ticket's thread.")
	case t.Status == StatusResolved:
		return w.reply(t.ID, fmt.Sprintf("**%s** is already resolved.", t.ID))
	case w.ev.User != t.Requester && !w.canWork(t.Tier, w.ev.User):
		return w.reply(t.ID, fmt.Sprintf("Only %s, members of %s and admins can resolve **%s**.", t.RequesterName, w.cfg().tierName(t.Tier), t.ID))
	}
	if err := w.resolve(t); err != nil {
		return err
	}
	return w.tx.PutTicket(t)
}

// --- jobs -----------------------------------------------------------------------------------------------

// runJob searches the knowledge base (and asks the model, when there is one) outside any transaction,
// then applies the result in one transaction that also removes the job, so a job's result is applied
// exactly once.
func (e *Engine) runJob(ctx context.Context, eff Effect) error {
	switch eff.Job {
	case jobReport:
		return e.runReport(ctx, eff)
	case jobSummary:
		return e.runSummary(ctx, eff)
	}
	var t *Ticket
	if err := e.store.View(ctx, func(tx Tx) error {
		var err error
		t, err = tx.Ticket(eff.Ticket)
		return err
	}); err != nil && !IsNotFound(err) {
		return fmt.Errorf("job %s for %s: %w", eff.Job, eff.Ticket, err)
	}
	var hits []kb.Hit
	var outcome modelOutcome
	var sug triage
	var suggested bool
	if t != nil && t.Status == StatusOpen {
		var offered []string
		for _, o := range t.Offers {
			offered = append(offered, o.Article)
		}
		if cs, ok := e.search.(ContextSearcher); ok {
			// The query may leave for an embeddings endpoint.
			hits = cs.SearchContext(ctx, redact.String(t.searchText()), 10, offered...)
		} else {
			hits = e.search.Search(t.searchText(), 10, offered...)
		}
		if e.model != nil {
			var wg sync.WaitGroup
			if eff.Job == jobAnswer && e.modelOpts.Triage && (t.PrioritySource == "" || t.PrioritySource == "default" || t.Category == "") {
				wg.Add(1)
				go func() {
					defer wg.Done()
					sug, suggested = e.suggestTriage(ctx, t)
				}()
			}
			outcome = e.groundedAnswer(ctx, t, hits)
			wg.Wait()
		}
	}
	now := e.clock.Now()
	var committed []func()
	defer func() { runAll(committed) }()
	err := e.store.Update(ctx, func(tx Tx) error {
		committed = nil
		if err := tx.DeleteEffect(eff.Seq); err != nil {
			return err
		}
		t, err := tx.Ticket(eff.Ticket)
		if IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if t.Status != StatusOpen {
			return nil // a human took over while the search ran
		}
		w := &work{e: e, tx: e.slaTx(tx), now: now, ev: Event{Platform: t.Conversation.Platform}, committed: &committed}
		if suggested {
			if err := w.applyTriage(t, sug); err != nil {
				return err
			}
		}
		if outcome.answer != nil {
			if err := w.postModelAnswer(t, eff.Job, outcome.answer); err != nil {
				return err
			}
		} else if err := w.answer(t, eff.Job, hits, outcome); err != nil {
			return err
		}
		return w.tx.PutTicket(t)
	})
	if err != nil {
		committed = nil
	}
	return err
}

// ContextSearcher is a Searcher whose ranking may call out over the network (embeddings for hybrid
// search). Jobs use it with their context; Search, used inside transactions, must not call out.
type ContextSearcher interface {
	SearchContext(ctx context.Context, query string, limit int, exclude ...string) []kb.Hit
}

// searchText is what the requester has said: the question and every detail added since.
func (t *Ticket) searchText() string {
	var parts []string
	for _, e := range t.Transcript {
		if e.Role == RoleRequester && e.Author == t.Requester && !strings.HasPrefix(e.Text, "(") {
			parts = append(parts, e.Text)
		}
	}
	return strings.Join(parts, "\n")
}

// answer decides what Level 1 says after a search: an answer citing an article when one is confident,
// a short list to choose from when the best is only likely, a clarifying question, or an escalation. The
// caller stores the ticket.
func (w *work) answer(t *Ticket, job string, hits []kb.Hit, model modelOutcome) error {
	min, suggest := w.cfg().MinConfidence, w.cfg().SuggestConfidence
	var fresh []kb.Hit
	for _, h := range hits {
		if !t.offered(h.ID) {
			fresh = append(fresh, h)
		}
	}
	confident := len(fresh) > 0 && fresh[0].Confidence >= min
	// When the model read the likely articles and found no answer in them, offering them anyway would be
	// a guess: only a confident article is still offered.
	likely := len(fresh) > 0 && fresh[0].Confidence >= suggest && !model.abstained
	switch job {
	case jobNext:
		switch {
		case confident:
			return w.offer(t, related(fresh, min), "Sorry that didn't help. This might be closer:")
		case likely:
			return w.suggest(t, above(fresh, suggest), "Sorry that didn't help. One of these may be closer:", "Sorry that didn't help. This may be closer:")
		case !t.Clarifying:
			return w.askClarifying(t)
		}
		return w.escalate(t, "no other article matched")
	case jobFollowUp:
		switch {
		case confident:
			t.Clarifying = false
			return w.offer(t, related(fresh, min), "Thanks, with that detail this looks like the one:")
		case likely && t.Clarifying:
			t.Clarifying = false
			return w.suggest(t, above(fresh, suggest), "Thanks. I'm not sure, but one of these may help:", "Thanks. I'm not sure, but this may help:")
		case !t.Clarifying && t.awaitingFeedback():
			return w.toRequester(t, "", "Did the article above help? Press **Solved**, **Not helpful** or **Talk to a human** under it, or tell me more about the problem.")
		}
		return w.escalate(t, "the knowledge base has no confident answer to the details given")
	default:
		switch {
		case confident:
			return w.offer(t, related(fresh, min), "Here's what I found:")
		case likely:
			return w.suggest(t, above(fresh, suggest), "I'm not sure I understood, but one of these may help:", "I'm not sure I understood, but this may help:")
		case len(hits) == 0 && !t.Clarifying && len(strings.Fields(t.searchText())) <= 4:
			// "hi", "help please": nothing to search for yet, so ask rather than hand a technician a greeting.
			return w.ask(t, "Hi! What can I help you with? Tell me what's wrong, with the exact error message if there is one.")
		}
		reason := "the knowledge base has no confident answer"
		if len(hits) > 0 {
			reason += fmt.Sprintf(" (best match %s at %.2f)", hits[0].ID, hits[0].Confidence)
		}
		if model.abstained {
			reason = "the model found no answer in the closest articles"
		}
		return w.escalate(t, reason)
	}
}

// above keeps up to three hits at or above a confidence.
func above(hits []kb.Hit, floor float64) []kb.Hit {
	var out []kb.Hit
	for _, h := range hits {
		if h.Confidence >= floor && len(out) < 3 {
			out = append(out, h)
		}
	}
	return out
}

// related keeps the top hit and up to two more that are also confident.
func related(hits []kb.Hit, min float64) []kb.Hit {
	out := hits[:1]
	for _, h := range hits[1:] {
		if h.Confidence >= min && len(out) < 3 {
			out = append(out, h)
		}
	}
	return out
}

// awaitingFeedback reports whether the latest answer has no feedback yet.
func (t *Ticket) awaitingFeedback() bool {
	return len(t.Offers) > 0 && t.Offers[len(t.Offers)-1].Feedback == ""
}

// offer posts an answer citing the articles (the first in full) with the three feedback choices.
func (w *work) offer(t *Ticket, hits []kb.Hit, intro string) error {
	return w.postAnswer(t, hits, intro, false)
}

// suggest posts a short list of articles to choose from, each with its first lines, with the same choices.
// A single likely article is shown whole, with an intro that says the bot is not sure.
func (w *work) suggest(t *Ticket, hits []kb.Hit, introMany, introOne string) error {
	if len(hits) == 1 {
		return w.postAnswer(t, hits, introOne, false)
	}
	return w.postAnswer(t, hits, introMany, true)
}

// nextAnswerKey is the message key of the ticket's next answer: "answer-3".
func (t *Ticket) nextAnswerKey() string {
	answers := 0
	for k := range t.Messages {
		if strings.HasPrefix(k, keyAnswerPrefix) {
			answers++
		}
	}
	for _, o := range t.Offers {
		if n := answerNumber(o.Message); n > answers {
			answers = n
		}
	}
	return fmt.Sprintf("%s%d", keyAnswerPrefix, answers+1)
}

func (w *work) postAnswer(t *Ticket, hits []kb.Hit, intro string, list bool) error {
	key := t.nextAnswerKey()
	var articles []kb.Article
	var cited []string
	for _, h := range hits {
		a, ok := w.e.search.Article(h.ID)
		if !ok {
			continue
		}
		articles = append(articles, a)
		t.Offers = append(t.Offers, Offer{Article: a.ID, Title: a.Title, Confidence: h.Confidence, Message: key, At: w.now})
		if err := w.tx.CountFeedback(a.ID, ""); err != nil {
			return err
		}
		cited = append(cited, fmt.Sprintf("%s (%.2f)", a.ID, h.Confidence))
	}
	if len(articles) == 0 {
		return w.escalate(t, "the articles found are no longer in the knowledge base")
	}
	kind := "offered "
	if list {
		kind = "suggested "
	}
	t.transition(w.now, "answered", "", "", kind+strings.Join(cited, ", "))
	var titles []string
	for _, a := range articles {
		titles = append(titles, fmt.Sprintf("%s (%s)", a.Title, a.ID))
	}
	t.say(w.now, "", w.cfg().Name, RoleBot, "Offered: "+strings.Join(titles, "; "), false)
	r := w.cfg().Reactions
	text := w.e.answerText(t, intro, articles)
	if list {
		text = w.e.suggestionText(t, intro, articles)
	}
	return w.toRequester(t, key, text,
		Choice{ID: FeedbackSolved, Label: "Solved", Style: StylePrimary, Reaction: r.Solved},
		Choice{ID: FeedbackNotHelpful, Label: "Not helpful", Reaction: r.NotHelpful},
		Choice{ID: FeedbackHuman, Label: "Talk to a human", Reaction: r.Human})
}

func answerNumber(key string) int {
	n, err := strconv.Atoi(strings.TrimPrefix(key, keyAnswerPrefix))
	if err != nil {
		return 0
	}
	return n
}

// askClarifying asks the requester one question when no other article fits.
func (w *work) askClarifying(t *Ticket) error {
	return w.ask(t, "I couldn't find anything closer. Could you tell me a bit more: what exactly happens, the exact error message if there is one, and which device or app you're using?")
}

// ask asks the requester a question and waits for the answer, with a way out to a human.
func (w *work) ask(t *Ticket, text string) error {
	t.Clarifying = true
	t.say(w.now, "", w.cfg().Name, RoleBot, text, false)
	t.transition(w.now, "clarifying", "", "", "")
	r := w.cfg().Reactions
	asks := 0
	for k := range t.Messages {
		if strings.HasPrefix(k, keyAskPrefix) {
			asks++
		}
	}
	return w.toRequester(t, fmt.Sprintf("%s%d", keyAskPrefix, asks+1), text, Choice{ID: FeedbackHuman, Label: "Talk to a human", Reaction: r.Human})
}

// Reporter computes the service-desk report for "!report"; cmd/firstline implements it with package
// report. It is called outside any storage transaction.
type Reporter interface {
	Summary(ctx context.Context, now time.Time) (string, error)
}

// SetReporter enables "!report".
func (e *Engine) SetReporter(r Reporter) { e.reporter = r }

func (e *Engine) runReport(ctx context.Context, eff Effect) error {
	text, err := e.reporter.Summary(ctx, e.clock.Now())
	if err != nil {
		text = "Sorry, the report could not be computed: " + err.Error()
		e.log.Error("report", "err", err)
	}
	err = e.store.Update(ctx, func(tx Tx) error {
		if err := tx.DeleteEffect(eff.Seq); err != nil {
			return err
		}
		p := eff.Post
		p.Text = text
		out := Effect{Kind: EffectPost, Platform: eff.Platform, Lane: eff.Lane, Post: p}
		return tx.Enqueue(&out)
	})
	if err == nil {
		e.kick()
	}
	return err
}
