package bot

// Where an event happened: the ticket and card it belongs to, and the lanes that keep posts in order.

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
// channel message. DMs are answered at the top level, a private event (a slash command) privately, and a
// command about a ticket typed where its answer does not belong (replyInDM) in the user's DMs.
func (w *work) here() Post {
	if w.replyInDM {
		return Post{DM: w.ev.User}
	}
	if w.ev.Private {
		return Post{Channel: w.ev.Channel, Thread: w.ev.Thread, To: w.ev.User, ReplyTo: w.ev.ReplyTo}
	}
	p := Post{Channel: w.ev.Channel, Thread: w.ev.Thread}
	if p.Thread == "" && !w.ev.DM {
		p.Thread = w.ev.Message
	}
	return p
}

// alone reports whether what is said in reply to the event is seen by its user alone: a private event
// (a slash command), or a DM with nobody else in it (a group DM is not).
func (w *work) alone() bool { return w.ev.Private || (w.ev.DM && !w.ev.Group) }

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

// ticketHere returns the ticket whose requester conversation the event is in, or nil: the conversation of
// its thread, a form's receipt thread, or in a DM the DM itself.
func (w *work) ticketHere() (*Ticket, error) {
	ev := w.ev
	if ev.Thread != "" {
		t, err := w.tx.TicketByConversation(Conversation{Platform: ev.Platform, Channel: ev.Channel, Thread: ev.Thread})
		if !IsNotFound(err) {
			return t, err
		}
		if t, err := w.receiptThread(); t != nil || err != nil {
			return t, err
		}
	}
	if ev.DM {
		t, err := w.tx.TicketByConversation(Conversation{Platform: ev.Platform, Channel: ev.Channel})
		if !IsNotFound(err) {
			return t, err
		}
	}
	return nil, nil
}

// receiptThread returns the ticket whose receipt (a form's first message) is the root of the thread the
// event is in, or nil. The ticket's conversation is that thread: the first time it is written in, it is
// recorded as such, so it is found like any other from then on.
func (w *work) receiptThread() (*Ticket, error) {
	link, err := w.tx.MessageLink(MessageRef{Platform: w.ev.Platform, Channel: w.ev.Channel, ID: w.ev.Thread})
	if IsNotFound(err) || (err == nil && link.Key != keyReceipt) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	t, err := w.tx.Ticket(link.Ticket)
	if err != nil {
		return nil, err
	}
	if t.Conversation.Root != keyReceipt || t.Conversation.Thread != "" {
		return t, nil
	}
	t.Conversation.Channel, t.Conversation.Thread = w.ev.Channel, w.ev.Thread
	if err := w.tx.LinkConversation(t.Conversation, t.ID); err != nil {
		return nil, err
	}
	return t, w.tx.PutTicket(t)
}

// forTechniciansHere reports whether what is said in reply to the event is read by technicians alone: it
// is in a card's thread or a tier channel, or private to the user (a DM, an ephemeral answer).
func (w *work) forTechniciansHere() (bool, error) {
	ev := w.ev
	if w.alone() || w.replyInDM {
		return true, nil
	}
	if _, ok := w.cfg().tierByChannel(ev.Platform, ev.Channel); ok {
		return true, nil
	}
	t, _, err := w.cardHere()
	return t != nil, err
}

// postLane is the lane of a post: its DM's, or its thread's.
func postLane(platform string, p Post) string {
	if p.DM != "" {
		return lane(platform, "dm:"+p.DM)
	}
	return threadLane(platform, p.Channel, p.Thread)
}
