package bot

// The chat commands ("!status", "!escalate", ...) other than "!kb".

import (
	"fmt"
	"strings"
)

func (w *work) command(cmd Command) error {
	if done, err := w.namedTicket(&cmd); done || err != nil {
		return err
	}
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
	case "web":
		return w.cmdWeb()
	case "new":
		return w.cmdNew(cmd)
	case "run":
		return w.cmdRun(cmd)
	case "actions":
		return w.cmdActions(cmd)
	}
	return w.reply("", fmt.Sprintf("I don't know `%s%s`.\n\n%s", w.cfg().CommandPrefix, cmd.Name, w.e.helpText()))
}

// cmdPriority sets a ticket's priority ("!priority P1", or "!priority accept" for the model's
// suggestion): technicians of its tier and admins, in the ticket's or the card's thread. The SLA targets
// follow the new priority.
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
	prefix := w.cfg().CommandPrefix
	if p == "ACCEPT" {
		// The model's suggestion, shown on the card; applied only when a technician says so.
		if p = t.SuggestedPriority; p == "" {
			return w.reply(t.ID, fmt.Sprintf("There is no suggested priority on **%s** to accept. **%s** is %s.", t.ID, t.ID, t.Priority))
		}
	}
	if p != "P1" && p != "P2" && p != "P3" && p != "P4" {
		hint := ""
		if t.SuggestedPriority != "" {
			hint = fmt.Sprintf(", or `%spriority accept` for the %s the AI suggests", prefix, t.SuggestedPriority)
		}
		return w.reply(t.ID, fmt.Sprintf("Say which priority, from P1 (most urgent) to P4: `%spriority P2`%s. **%s** is %s.", prefix, hint, t.ID, t.Priority))
	}
	if card != nil && !card.Current {
		return w.reply(t.ID, w.staleCardText(t))
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
	t.Priority, t.PrioritySource, t.SuggestedPriority = p, "technician", ""
	t.transition(w.now, TransitionPriority, "", w.ev.User, old+" → "+p)
	if c := t.currentCard(); c != nil {
		if err := w.updateCard(t, c); err != nil {
			return err
		}
	}
	if w.ev.Kind == EventAction {
		// Said where the technicians work from chat: the card's thread.
		if c := t.currentCard(); c != nil {
			if err := w.toCard(t, c, fmt.Sprintf("**%s** made **%s** %s (was %s).", nameOf(w.ev.UserName, w.ev.User), t.ID, p, old)); err != nil {
				return err
			}
		}
	} else if err := w.reply(t.ID, fmt.Sprintf("**%s** is now %s (was %s).", t.ID, p, old)); err != nil {
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
	if card != nil && !card.Current {
		return w.reply(t.ID, w.staleCardText(t))
	}
	tier := t.Tier
	if card != nil {
		tier = card.Tier
	}
	if !w.canWork(tier, w.ev.User) {
		return w.reply(t.ID, fmt.Sprintf("Only technicians of **%s** can set it waiting on the requester.", t.ID))
	}
	if t.fromMonitor() {
		// Nothing would resume the clocks: a monitor never writes.
		return w.toTechnicians(t, fmt.Sprintf("**%s** was opened by a monitor, which answers nothing: there is nobody to wait on, and its SLA clocks keep running.", t.ID))
	}
	if !w.cfg().SLAPolicy().Pause(t, w.now) {
		if t.SLA != nil && t.SLA.WaitingSince != nil {
			return w.toTechnicians(t, fmt.Sprintf("**%s** is already waiting on the requester.", t.ID))
		}
		return w.toTechnicians(t, fmt.Sprintf("**%s** has no SLA clock running to pause.", t.ID))
	}
	t.transition(w.now, TransitionWaiting, "", w.ev.User, "waiting on the requester")
	// The SLA is the desk's business; the requester is asked below, in words of their own.
	if err := w.toTechnicians(t, fmt.Sprintf("**%s** is waiting on the requester: its SLA clocks are paused until they write.", t.ID)); err != nil {
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
	if card != nil && !card.Current {
		return w.reply(t.ID, w.staleCardText(t))
	}
	tier := t.Tier
	if card != nil {
		tier = card.Tier
	}
	a := w.actorIn(t, tier)
	a.requester = false
	if !a.member && !a.admin {
		return w.reply(t.ID, fmt.Sprintf("Only technicians of **%s** can hand it to a vendor.", t.ID))
	}
	p := w.cfg().CommandPrefix
	if len(cmd.Args) == 0 {
		return w.reply(t.ID, fmt.Sprintf("Say which vendor and their case number: `%svendor NAME REFERENCE`, or `%svendor back` when they are done.", p, p))
	}
	if strings.EqualFold(cmd.Args[0], "back") {
		if v, why := w.cfg().mayAct(t, tier, a, actVendorBack); v != allow {
			return w.toTechnicians(t, why)
		}
		at := w.now
		t.Vendor.Back = &at
		// The owner kept the ticket while the vendor had the case, so it comes back to them.
		status := StatusEscalated
		if t.Assignee != "" {
			status = StatusClaimed
		}
		t.transition(w.now, TransitionVendorBack, status, w.ev.User, t.Vendor.Name)
		if c := t.currentCard(); c != nil {
			if err := w.updateCard(t, c); err != nil {
				return err
			}
		}
		if err := w.toTechnicians(t, fmt.Sprintf("**%s** is back from %s.", t.ID, t.Vendor.Name)); err != nil {
			return err
		}
		return w.tx.PutTicket(t)
	}
	if v, why := w.cfg().mayAct(t, tier, a, actVendor); v != allow {
		return w.toTechnicians(t, why)
	}
	if t.Status == StatusEscalated {
		// Nobody owns it yet: whoever hands it to a vendor owns it, so the case is never nobody's.
		if err := w.takeOwnership(t, t.currentCard()); err != nil {
			return err
		}
	}
	name := strings.ToLower(cmd.Args[0])
	ref := strings.Join(cmd.Args[1:], " ")
	t.Vendor = &VendorCase{Name: name, Reference: ref, Since: w.now}
	note := ""
	if due, ok := w.cfg().SLAPolicy().VendorDue(name, w.now); ok {
		t.Vendor.Due = &due
		note = fmt.Sprintf(" Their response target is %s.", due.Format("Mon 2 Jan 15:04"))
	}
	t.transition(w.now, TransitionVendor, StatusPendingVendor, w.ev.User, strings.TrimSpace(name+" "+ref))
	if c := t.currentCard(); c != nil {
		if err := w.updateCard(t, c); err != nil {
			return err
		}
	}
	with := name
	if ref != "" {
		with += " (" + ref + ")"
	}
	owns := "you still own it"
	if t.Assignee != w.ev.User {
		owns = t.AssigneeName + " still owns it"
	}
	// The vendor's name, reference and target are the technicians' business, wherever this was typed.
	if err := w.toTechnicians(t, fmt.Sprintf("**%s** is with %s; %s.%s", t.ID, with, owns, note)); err != nil {
		return err
	}
	return w.tx.PutTicket(t)
}

// ticketInContext returns the ticket a command is about: the one it named by id (see namedTicket), or
// else the ticket of the thread the event is in (a card's or a requester's). The card is the card's
// thread's, or for a named ticket its current card when the user works that card's tier.
func (w *work) ticketInContext() (*Ticket, *Card, error) {
	if t := w.explicit; t != nil {
		if c := t.currentCard(); c != nil && w.canWork(c.Tier, w.ev.User) {
			return t, c, nil
		}
		return t, nil, nil
	}
	return w.ticketAround()
}

// ticketAround returns the ticket of the thread the event is in, with the card when it is a card's
// thread.
func (w *work) ticketAround() (*Ticket, *Card, error) {
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
		// A ticket with a vendor is still the tier's: its owner answers for it.
		all, err := w.tx.FindTickets(TicketFilter{Status: []Status{StatusEscalated, StatusClaimed, StatusPendingVendor}})
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
	mine, err := w.tx.FindTickets(TicketFilter{Requester: w.ev.User, Status: []Status{StatusOpen, StatusEscalated, StatusClaimed, StatusPendingVendor}})
	if err != nil {
		return err
	}
	text := w.e.listText("You have no open tickets.", "Your open tickets", mine)
	if w.alone() || w.replyInDM {
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
	if t == nil {
		return w.reply("", "There's no ticket here to resolve. Use it in a ticket's thread.")
	}
	if v, why := w.cfg().mayAct(t, t.Tier, w.actorIn(t, t.Tier), actResolve); v != allow {
		return w.reply(t.ID, why)
	}
	if err := w.resolve(t); err != nil {
		return err
	}
	return w.tx.PutTicket(t)
}
