package bot

// A ticket named by its id in a command ("!status T-000123", "/firstline resolve t-123"): where there is
// no ticket thread to speak in (Slack allows no slash command in a thread), or from a DM.

import (
	"fmt"
	"strconv"
	"strings"
)

// ticketCommands are the commands about one ticket, which take its id as their first argument.
var ticketCommands = map[string]bool{
	"status": true, "escalate": true, "resolve": true, "priority": true, "waiting": true, "vendor": true,
	"summary": true,
}

// ParseTicketID reads a ticket id as people write it: "T-000123", in any case, with or without the
// leading zeros ("t-123") and a "#" before it. It returns the id as the desk writes it, "T-000123".
func ParseTicketID(s string) (string, bool) {
	s = strings.TrimPrefix(s, "#")
	if len(s) < 3 || (s[0] != 'T' && s[0] != 't') || s[1] != '-' {
		return "", false
	}
	digits := s[2:]
	if len(digits) > 18 || strings.IndexFunc(digits, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
		return "", false
	}
	n, err := strconv.ParseUint(digits, 10, 64)
	if err != nil || n == 0 {
		return "", false
	}
	return TicketID(n), true
}

// namedTicket handles a ticket command's first argument when it is a ticket id: it takes the id off the
// arguments and makes the ticket the command's (w.explicit), when the user may see it. done reports that
// the command is answered already: there is no such ticket that the user may see, and they are told so
// in the same words either way, so an id tells nobody whether someone else's ticket exists.
func (w *work) namedTicket(cmd *Command) (done bool, err error) {
	if !ticketCommands[cmd.Name] || len(cmd.Args) == 0 {
		return false, nil
	}
	id, ok := ParseTicketID(cmd.Args[0])
	if !ok {
		return false, nil
	}
	cmd.Args = cmd.Args[1:]
	cmd.Rest = strings.TrimSpace(strings.TrimPrefix(cmd.Rest, strings.Fields(cmd.Rest)[0]))
	t, err := w.tx.Ticket(id)
	if err != nil && !IsNotFound(err) {
		return false, err
	}
	if t == nil || !w.maySee(t) {
		return true, w.reply("", fmt.Sprintf("I can't find a ticket %s that you can see. `%sstatus` lists your open tickets.", id, w.cfg().CommandPrefix))
	}
	w.explicit = t
	if w.alone() {
		return false, nil
	}
	// An answer about a ticket belongs in its own threads, and in its tiers' channels; typed anywhere
	// else, it goes to the user's DMs rather than to everyone in the channel.
	here, _, err := w.ticketAround()
	if err != nil {
		return false, err
	}
	if here != nil && here.ID == t.ID {
		return false, nil
	}
	if tier, ok := w.cfg().tierByChannel(w.ev.Platform, w.ev.Channel); ok && w.canWork(tier.ID, w.ev.User) {
		return false, nil
	}
	if err := w.reply(t.ID, fmt.Sprintf("I've answered about **%s** in a direct message.", t.ID)); err != nil {
		return false, err
	}
	w.replyInDM = true
	return false, nil
}

// maySee reports whether the event's user may see and act on t at all: its requester, the technicians
// of its tier and of its current card's, and admins. What each command then allows is its own rule.
func (w *work) maySee(t *Ticket) bool {
	user := w.ev.User
	if user == t.Requester || w.canWork(t.Tier, user) {
		return true
	}
	c := t.currentCard()
	return c != nil && w.canWork(c.Tier, user)
}
