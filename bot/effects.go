package bot

import (
	"strings"

	"github.com/firstline-desk/firstline/markdown"
)

// Effects: what an event's handling asks the dispatcher to post, edit or run, addressed to a place.

// enqueue adds an effect to the outbox. A post longer than its platform takes becomes several (see
// splitPost).
func (w *work) enqueue(eff Effect) error {
	if _, chat := w.e.chat(eff.Platform); w.ev.Kind == EventAction && eff.Platform == w.ev.Platform && !chat {
		// An action's platform without a chat (the web) can take no post: it would wait in the outbox for
		// ever. A chat platform's own actions (Slack's home tab) post there like any event.
		return Errorf(EINTERNAL, "an action's effect is addressed to its own platform %q, which has no chat", eff.Platform)
	}
	if eff.Kind != EffectJob && (w.muted || eff.Platform == AlertPlatform) {
		// A monitor reads nothing, so what the desk would tell an alert ticket's requester is not sent
		// (it would wait in the outbox for a chat that never comes); and a notification its route's flood
		// limit holds back posts nothing (alertflood.go).
		return nil
	}
	eff.CreatedAt = w.now
	if (eff.Post.Thread != "" || eff.ThreadKey != "") && eff.Post.ThreadName == "" {
		eff.Post.ThreadName = w.threadNameOf(eff.Ticket)
	}
	for _, part := range w.e.splitPost(eff) {
		if err := w.tx.Enqueue(&part); err != nil {
			return err
		}
	}
	return nil
}

// splitPost makes a post whose text is longer than its platform's messages take (TextLimiter) into
// several, one effect each, so each has its own at-most-once key and they go out in order in their
// lane. Nothing is cut: the text is split on paragraph boundaries (markdown.Split). The ping goes with
// the first part; the buttons, and the key the message is recorded under (so reactions and clicks find
// it), with the last, under the end of the text. Other effects, cards and short posts are returned as
// they are.
func (e *Engine) splitPost(eff Effect) []Effect {
	if eff.Kind != EffectPost || eff.Post.Title != "" || len(eff.Post.Fields) > 0 {
		return []Effect{eff}
	}
	limit := 0
	if c, ok := e.chat(eff.Platform); ok {
		if tl, ok := c.(TextLimiter); ok {
			limit = tl.MaxText()
		}
	}
	texts := markdown.Split(eff.Post.Text, limit)
	if len(texts) < 2 {
		return []Effect{eff}
	}
	out := make([]Effect, len(texts))
	for i, text := range texts {
		part := eff
		part.Post.Text = text
		if i > 0 {
			part.Post.Notify = nil
		}
		if i < len(texts)-1 {
			part.Post.Choices, part.Key = nil, ""
		}
		out[i] = part
	}
	return out
}

// threadNameOf names a thread of the ticket with id as stored, or, without one, after the desk: every
// post into a thread carries a name made from redacted text, so no platform names a thread from what
// someone wrote.
func (w *work) threadNameOf(id string) string {
	if id != "" {
		if t, err := w.tx.Ticket(id); err == nil {
			return threadName(t)
		}
	}
	if name := strings.TrimSpace(w.cfg().Name); name != "" {
		return clip(name, maxThreadName)
	}
	return "Help desk"
}

// reply posts in the place the event happened (see here). An action happened nowhere in chat: what the
// engine would reply to it is a refusal, returned as Handle's error (see action.go), and nothing of the
// event is written.
func (w *work) reply(ticketID, text string) error {
	if w.ev.Kind == EventAction {
		return Errorf(ECONFLICT, "%s", text)
	}
	p := w.here()
	p.Text = text
	return w.enqueue(Effect{Kind: EffectPost, Platform: w.ev.Platform, Lane: w.replyLane(p), Ticket: ticketID, Post: p})
}

// replyLane is the lane of a reply posted as p, in the place the event happened.
func (w *work) replyLane(p Post) string {
	if p.To != "" || p.DM != "" {
		return lane(w.ev.Platform, "dm:"+w.ev.User) // with the user's DMs, which a private reply may become
	}
	return threadLane(w.ev.Platform, p.Channel, p.Thread)
}

// dm posts in a direct conversation with the event's user.
func (w *work) dm(text string) error {
	if w.ev.Kind == EventAction {
		return Errorf(EINTERNAL, "an action has no direct conversation to post in")
	}
	return w.enqueue(Effect{Kind: EffectPost, Platform: w.ev.Platform, Lane: lane(w.ev.Platform, "dm:"+w.ev.User),
		Post: Post{DM: w.ev.User, Text: text}})
}

// toRequester posts in the ticket's conversation, recording the message under key when key is set. A
// message with choices records that they are live; a new answer or question takes them off the ones
// before it, which it replaces.
func (w *work) toRequester(t *Ticket, key, text string, choices ...Choice) error {
	if len(choices) > 0 && key != "" {
		if isFeedbackKey(key) {
			if err := w.withdrawAnswers(t, key, "_See my newer message below._"); err != nil {
				return err
			}
		}
		t.offerChoices(key)
	}
	return w.enqueue(w.requesterEffect(t, Effect{Kind: EffectPost, Ticket: t.ID, Key: key, Post: Post{Text: text, Choices: choices}}))
}

// requesterEffect addresses an effect to the ticket's requester conversation: its platform and lane, and
// for a post or an upload, its place. A conversation that is the thread of the desk's own first message
// (Conversation.Root: a form's receipt) is addressed under that message until its thread is known, in
// the requester's DM when it has no channel.
func (w *work) requesterEffect(t *Ticket, eff Effect) Effect {
	c := t.Conversation
	eff.Platform, eff.Lane = c.Platform, t.conversationLane()
	if eff.Kind != EffectPost && eff.Kind != EffectUpload {
		return eff
	}
	eff.Post.Channel, eff.Post.Thread = c.Channel, c.Thread
	if c.Channel == "" {
		eff.Post.DM = t.Requester
	}
	if c.Root != "" && c.Thread == "" && eff.Key != c.Root {
		eff.ThreadKey = c.Root
	}
	if eff.Post.Thread != "" || eff.ThreadKey != "" {
		eff.Post.ThreadName = threadName(t) // the subject as this transaction leaves it
	}
	return eff
}

// conversationLane is the lane of everything posted in the ticket's requester conversation. A
// conversation rooted at the desk's message keeps one lane of its own before and after its thread is
// known, so its posts stay in order.
func (t *Ticket) conversationLane() string {
	c := t.Conversation
	switch {
	case c.Root != "":
		return lane(c.Platform, "ticket:"+t.ID)
	case c.Channel == "":
		return lane(c.Platform, "dm:"+t.Requester)
	}
	return threadLane(c.Platform, c.Channel, c.Thread)
}

func (w *work) tierChannel(tierID string) (platform, channel string) {
	tier, _, _ := w.cfg().tier(tierID)
	return SplitID(tier.Channel)
}

// toCard posts in the thread of a card.
func (w *work) toCard(t *Ticket, card *Card, text string) error {
	platform, channel := w.tierChannel(card.Tier)
	return w.enqueue(Effect{Kind: EffectPost, Platform: platform, Lane: lane(platform, channel), Ticket: t.ID, ThreadKey: card.Key,
		Post: Post{Channel: channel, ThreadName: threadName(t), Text: text}})
}

func (w *work) postCard(t *Ticket, card *Card) error {
	w.e.syncSLA(t) // the card shows the deadlines as they are now
	platform, channel := w.tierChannel(card.Tier)
	p := w.e.cardPost(t, card)
	p.Channel = channel
	if err := w.enqueue(Effect{Kind: EffectPost, Platform: platform, Lane: lane(platform, channel), Ticket: t.ID, Key: card.Key, Post: p}); err != nil {
		return err
	}
	if !w.e.cardIsWhole(t, card) {
		// The card shows the last lines, shortened; the technician reads the rest in its thread.
		if err := w.toCard(t, card, conversationPost(t)); err != nil {
			return err
		}
	}
	return w.relayFilesToCard(t, card)
}

func (w *work) updateCard(t *Ticket, card *Card) error {
	w.e.syncSLA(t)
	platform, channel := w.tierChannel(card.Tier)
	return w.enqueue(Effect{Kind: EffectUpdate, Platform: platform, Lane: lane(platform, channel), Ticket: t.ID, Key: card.Key,
		Post: w.e.cardPost(t, card)})
}

func (w *work) job(t *Ticket, name string) error {
	return w.enqueue(w.requesterEffect(t, Effect{Kind: EffectJob, Ticket: t.ID, Job: name}))
}

// toTechnicians says something about a ticket that is for its technicians only (a vendor's reference,
// a summary): where the event happened when only technicians read there, else in the card's thread, or
// the user's DM.
func (w *work) toTechnicians(t *Ticket, text string) error {
	private, err := w.forTechniciansHere()
	if err != nil {
		return err
	}
	if private {
		return w.reply(t.ID, text)
	}
	if c := t.currentCard(); c != nil {
		return w.toCard(t, c, text)
	}
	return w.dm(text)
}
