package bot

// An alert group's ticket through the notifications about it: the first firing opens it, straight into
// its route's tier; a repeat updates it; "resolved" adds a note and, where the route says so, resolves
// it; a new firing reopens it within the reopen window, or opens a new ticket after.

import (
	"fmt"
	"strings"
	"time"

	"github.com/firstline-desk/firstline/internal/plural"
)

// alertResendWindow is how long a notification identical to the one a ticket last took is taken for the
// same notification sent again (Alertmanager retries one its receiver did not answer within its
// group_interval, and each peer of a cluster may send it), and changes nothing. Past it, the same content
// is a repeat (repeat_interval): the group still fires as it did, and only the ticket's last-heard time
// moves.
const alertResendWindow = 30 * time.Minute

// alert handles an EventAlert: one notification about one alert group, in one transaction with its
// ticket and the effects it causes.
func (w *work) alert() error {
	n := w.ev.Alert
	if n == nil {
		return Errorf(EINVALID, "an alert event without its notification")
	}
	if err := n.check(); err != nil {
		return err
	}
	conv := n.conversation()
	digest := n.digest()
	t, err := w.tx.TicketByConversation(conv)
	if IsNotFound(err) || (err == nil && t.Alert == nil) {
		t, err = nil, nil
	}
	if err != nil {
		return err
	}
	switch {
	case t != nil && t.Alert.Digest == digest:
		return w.alertRepeat(t)
	case t == nil && n.Status == AlertResolved:
		// Nothing to resolve: the group fired before the desk heard of it, or its ticket was deleted.
		w.e.log.Debug("resolved alert group without a ticket", "source", n.Source, "group", conv.Thread)
		return nil
	case t == nil:
		return w.openAlert(n, conv, digest)
	case t.Status == StatusResolved && n.Status == AlertFiring:
		if len(t.Alert.unknown(n)) == 0 {
			// The alerts it says fire are the ones the ticket knows of: still firing when someone resolved
			// the ticket, or resolved since (a notification delayed behind the one that said so).
			t.Alert = t.Alert.next(n, w.now, digest)
			return w.tx.PutTicket(t)
		}
		if t.ResolvedAt != nil && w.now.Sub(*t.ResolvedAt) <= w.cfg().ReopenWindow {
			return w.reopenAlert(t, n, digest)
		}
		return w.openAlert(n, conv, digest)
	}
	return w.updateAlert(t, n, digest)
}

// alertRepeat takes a notification that says what the ticket's group last said.
func (w *work) alertRepeat(t *Ticket) error {
	if w.now.Sub(t.Alert.LastAt) < alertResendWindow {
		w.e.log.Debug("alert notification sent again: already taken", "ticket_id", t.ID)
		return nil
	}
	t.Alert.LastAt = w.now
	t.Alert.Notices++
	if t.Alert.Held && t.Status.Active() {
		if err := w.admitAlert(t); err != nil {
			return err
		}
		if err := w.postHeldCard(t); err != nil {
			return err
		}
	}
	return w.tx.PutTicket(t)
}

// openAlert opens the group's ticket, straight into its route's tier: its card goes to the tier's channel
// unless the route floods. The ticket is opened, and escalated, when the group started firing, so its SLA
// clocks start then, not when the notification arrived.
func (w *work) openAlert(n *AlertNotice, conv Conversation, digest string) error {
	route := w.cfg().alertRoute(n.labels())
	g := n.group(route, w.now, digest)
	fired := g.FiredAt
	t := &Ticket{
		Version:        TicketVersion,
		Tier:           route.Tier,
		Priority:       route.Priority,
		PrioritySource: "alert:" + route.Name,
		Requester:      w.ev.User,
		RequesterName:  monitorName(n.Monitor),
		Conversation:   conv,
		Subject:        n.subject(),
		CreatedAt:      fired,
		Alert:          g,
	}
	t.transition(fired, TransitionOpened, StatusOpen, w.ev.User, "")
	t.say(fired, w.ev.User, t.RequesterName, RoleRequester, alertText(n, t.Subject), false)
	why := "alert route " + route.Name
	t.transition(fired, TransitionEscalated, StatusEscalated, w.ev.User, why)
	t.UpdatedAt = w.now
	t.Cards = append(t.Cards, Card{Key: keyCardPrefix + "1", Tier: route.Tier, Current: true, Note: why, PostedAt: w.now})
	if err := w.admitAlert(t); err != nil {
		return err
	}
	g.Held = w.muted
	if err := w.tx.CreateTicket(t); err != nil {
		return err
	}
	if err := w.tx.LinkConversation(conv, t.ID); err != nil {
		return err
	}
	if err := w.postCard(t, &t.Cards[0]); err != nil {
		return err
	}
	w.logCommitted("alert ticket opened", "ticket_id", t.ID, "source", n.Source, "route", route.Name, "tier", route.Tier,
		"priority", route.Priority, "held", g.Held)
	return w.tx.PutTicket(t) // the SLA clocks as the card shows them
}

// reopenAlert puts a resolved ticket back to work when its group fires again within the reopen window: a
// new card in its tier (held back, like a new ticket's, while the route floods).
func (w *work) reopenAlert(t *Ticket, n *AlertNotice, digest string) error {
	newly := t.Alert.unknown(n)
	t.Alert = t.Alert.next(n, w.now, digest)
	t.Alert.FiredAt = n.firedAt(w.now) // a new firing
	detail := fmt.Sprintf("firing again: %d alert(s)", t.Alert.Firing)
	t.transition(w.now, TransitionAlertFiring, "", w.ev.User, detail)
	t.say(w.now, w.ev.User, t.RequesterName, RoleRequester, alertText(n, "Firing again ("+plural.Count(len(newly), "new alert", "new alerts")+")"), false)
	if err := w.admitAlert(t); err != nil {
		return err
	}
	t.Alert.Held = w.muted
	w.logCommitted("alert ticket reopened", "ticket_id", t.ID, "held", t.Alert.Held)
	return w.reopen(t)
}

// updateAlert takes a notification that changes what the ticket's group says: alerts joined or left
// it, it resolved, its text changed. The card is brought up to date, a change in its alerts is said in
// its thread, and "resolved" resolves the ticket where its route says so.
func (w *work) updateAlert(t *Ticket, n *AlertNotice, digest string) error {
	old := t.Alert
	newly := old.unknown(n)
	gone := old.stopped(n)
	t.Alert = old.next(n, w.now, digest)
	g := t.Alert
	var note string
	switch {
	case n.Status == AlertResolved && old.Status == AlertResolved:
		// Said again after it was said: nothing new for the tier.
	case n.Status == AlertResolved:
		t.transition(w.now, TransitionAlertResolved, "", w.ev.User, plural.Count(g.Resolved, "alert", "alerts")+" resolved")
		t.say(w.now, w.ev.User, t.RequesterName, RoleRequester, "Resolved: "+plural.Count(g.Resolved, "alert", "alerts")+" of the group stopped firing.", false)
		note = fmt.Sprintf("✅ **%s**: the alert is resolved (%s).", t.RequesterName, plural.Count(g.Resolved, "alert", "alerts"))
		switch {
		case !t.Status.Active():
			note += fmt.Sprintf(" **%s** was already resolved.", t.ID)
		case g.Resolve:
			note += fmt.Sprintf(" I've resolved **%s**, as its alert route says.", t.ID)
		default:
			note += fmt.Sprintf(" **%s** stays open until a technician resolves it (react :%s: on the card).", t.ID, w.cfg().Reactions.Resolve)
		}
	case len(newly) > 0 || len(gone) > 0 || old.Status != n.Status:
		detail := fmt.Sprintf("%s firing", plural.Count(g.Firing, "alert", "alerts"))
		t.transition(w.now, TransitionAlertFiring, "", w.ev.User, detail)
		var parts []string
		if len(newly) > 0 {
			parts = append(parts, plural.Count(len(newly), "new alert", "new alerts"))
		}
		if len(gone) > 0 {
			parts = append(parts, plural.Count(len(gone), "alert", "alerts")+" resolved")
		}
		what := detail
		if len(parts) > 0 {
			what += " (" + strings.Join(parts, ", ") + ")"
		}
		t.say(w.now, w.ev.User, t.RequesterName, RoleRequester, alertText(n, "Now "+what), false)
		note = fmt.Sprintf("🔥 **%s**: now %s.", t.RequesterName, what)
	}
	if err := w.admitAlert(t); err != nil {
		return err
	}
	resolving := n.Status == AlertResolved && old.Status != AlertResolved && g.Resolve && t.Status.Active()
	switch card := t.currentCard(); {
	case card == nil || (g.Held && !t.Status.Active()):
		// No card to tell: a resolved ticket whose card a flood held back stays without one.
	case g.Held:
		if err := w.postHeldCard(t); err != nil { // as the group is now
			return err
		}
		if note != "" {
			if err := w.toCard(t, card, note); err != nil {
				return err
			}
		}
	default:
		if note != "" {
			if err := w.toCard(t, card, note); err != nil {
				return err
			}
		}
		if !resolving {
			if err := w.updateCard(t, card); err != nil { // resolving updates it
				return err
			}
		}
	}
	if resolving {
		if err := w.resolve(t); err != nil {
			return err
		}
	}
	return w.tx.PutTicket(t)
}

// postHeldCard posts the card the route's flood limit held back, when a later notification of the group
// is let through (admitAlert).
func (w *work) postHeldCard(t *Ticket) error {
	if w.muted {
		return nil
	}
	card := t.currentCard()
	if card == nil {
		return nil
	}
	t.Alert.Held = false
	card.PostedAt = w.now
	return w.postCard(t, card)
}

// next is the group as a new notification says it, with what its route chose when the ticket was
// opened, when it started firing, and how many notifications came.
func (g *AlertGroup) next(n *AlertNotice, now time.Time, digest string) *AlertGroup {
	out := n.group(AlertRoute{Name: g.Route, Actions: g.Actions, Resolve: g.Resolve}, now, digest)
	if !g.FiredAt.IsZero() && g.FiredAt.Before(out.FiredAt) {
		out.FiredAt = g.FiredAt // the group has fired since then
	}
	// A notification that says no labels or annotations at all ("resolved" in the generic shape often
	// says only the key) keeps what the group said before, for the card.
	if len(out.Labels) == 0 {
		out.Labels = g.Labels
	}
	if len(out.Annotations) == 0 {
		out.Annotations = g.Annotations
	}
	out.Notices = g.Notices + 1
	out.Held = g.Held
	return out
}

// unknown are the firing alerts of n the ticket does not know of: alerts that joined the group, or that
// fire again since they were resolved (a new start).
func (g *AlertGroup) unknown(n *AlertNotice) []string {
	known := map[string]bool{}
	for _, a := range g.Alerts {
		known[alertID(a)] = true
	}
	var out []string
	for _, a := range n.Alerts {
		if id := alertID(a); a.Status == AlertFiring && !known[id] {
			out = append(out, id)
		}
	}
	return out
}

// stopped are the alerts the ticket knew firing that n says are resolved.
func (g *AlertGroup) stopped(n *AlertNotice) []string {
	firing := g.firingAlerts()
	var out []string
	for _, a := range n.Alerts {
		if id := alertID(a); a.Status == AlertResolved && firing[id] {
			out = append(out, id)
		}
	}
	return out
}

// alertText is what the monitor said, for the ticket's transcript: a heading and the group's summary,
// description and runbook.
func alertText(n *AlertNotice, heading string) string {
	ann := n.annotations()
	lines := []string{heading}
	if s := strings.TrimSpace(ann["summary"]); s != "" && !strings.Contains(heading, s) {
		lines = append(lines, s)
	}
	if d := strings.TrimSpace(ann["description"]); d != "" {
		lines = append(lines, d)
	}
	if r := strings.TrimSpace(ann["runbook_url"]); r != "" {
		lines = append(lines, "Runbook: "+r)
	}
	return strings.Join(lines, "\n")
}

// monitorName is how a monitor is shown as a ticket's requester.
func monitorName(name string) string {
	if name = strings.TrimSpace(name); name != "" {
		return clip(name, 80)
	}
	return "Monitor"
}
