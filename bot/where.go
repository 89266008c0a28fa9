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
