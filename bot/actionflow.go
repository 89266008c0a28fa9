package bot

// The flow of an action run, up to its start: asked for (a command, an article's button, a technician
// on a ticket), confirmed, approved, denied, expired or cancelled. Each step is one transaction with its
// outbox effects: the run is written, the step recorded on its ticket (a transition, so in the audit
// log too), and those it concerns told (tellRun, actiontell.go). The run itself is a job (actionjob.go).

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/firstline-desk/firstline/internal/plural"
)

// actionsOff reports whether actions are turned off: in the config, or by an admin ("!actions off").
func (w *work) actionsOff() (bool, error) {
	if w.cfg().ActionsOff {
		return true, nil
	}
	v, err := w.tx.Setting(SettingActionsOff)
	return v == "true", err
}

// actionsOffText is said to whoever asks for, approves or confirms an action while they are off.
const actionsOffText = "Actions are turned off right now, so I can't run anything. Ask here and a technician will help."

// actionRequest is a request for an action as someone made it.
type actionRequest struct {
	def    *ActionDef
	params map[string]string
	via    string
	// confirm: the requester confirms before anything else happens (a request made with one press).
	confirm bool
	// ticket is the ticket it was asked in, nil outside one: a ticket is opened for it.
	ticket *Ticket
}

// ticketID is t's id, "" for nil.
func ticketID(t *Ticket) string {
	if t == nil {
		return ""
	}
	return t.ID
}

// requestAction records a request for an action by the event's user: for themselves, or, from a
// ticket's card thread, for the ticket's requester. What may not be done is refused with a reply and
// nothing is written; what may is a new run, recorded on the ticket.
func (w *work) requestAction(req actionRequest) error {
	def, t := req.def, req.ticket
	if off, err := w.actionsOff(); err != nil || off {
		if err != nil {
			return err
		}
		return w.reply(ticketID(t), actionsOffText)
	}
	user, prefix := w.ev.User, w.cfg().CommandPrefix
	forUser, forName := user, nameOf(w.ev.UserName, user)
	if t != nil && t.Requester != user {
		// For someone else: the technicians who work the ticket do that, on their requester's behalf.
		_, tier := cardTier(t)
		if !w.canWork(tier, user) && !w.canWork(w.cfg().workTier(t), user) {
			return w.reply(t.ID, fmt.Sprintf("Only %s and the technicians working **%s** can run actions on it.", t.RequesterName, t.ID))
		}
		forUser, forName = t.Requester, t.RequesterName
	} else if !w.cfg().mayRequest(def, user, w.ev.Roles) {
		return w.reply(ticketID(t), fmt.Sprintf("**%s** is not an action you can ask for. `%sactions` lists the ones you can.", def.Title, prefix))
	}
	params, err := def.CheckParams(req.params)
	if err != nil {
		return w.reply(ticketID(t), fmt.Sprintf("I can't run **%s**: %s\nWrite it as %s.", def.Title, userMessage(err), def.usage(prefix)))
	}
	if limited, err := w.overRate(def, forUser); err != nil || limited {
		if err != nil {
			return err
		}
		if forUser != user {
			return w.reply(ticketID(t), fmt.Sprintf("**%s** was asked for %s %s in the last %s, its limit: try again later.",
				def.Title, forName, plural.Count(def.Rate.Count, "time", "times"), humanDuration(def.Rate.Per)))
		}
		return w.reply(ticketID(t), fmt.Sprintf("**%s** was asked for %s in the last %s, its limit: try again later, or ask here for a technician.",
			def.Title, plural.Count(def.Rate.Count, "time", "times"), humanDuration(def.Rate.Per)))
	}
	opened := false
	if t == nil || (t.Status == StatusResolved && t.Requester == user) {
		if t, err = w.openForAction(def); err != nil {
			return err
		}
		opened = true
	}
	r := &ActionRun{
		Action: def.ID, Title: def.Title, Ticket: t.ID, OpenedTicket: opened,
		RequestedBy: user, RequestedByName: nameOf(w.ev.UserName, user), For: forUser, ForName: forName,
		Via: req.via, Params: params, IdempotencyKey: newIdempotencyKey(), CreatedAt: w.now,
	}
	asked := fmt.Sprintf("asked by %s", r.RequestedByName)
	if forUser != user {
		asked += " for " + forName
	}
	switch {
	case req.confirm:
		r.ExpiresAt = w.now.Add(confirmWindow)
		r.step(w.now, RunConfirming, user, asked)
	case def.Approval != nil:
		r.ExpiresAt = w.now.Add(def.Approval.expires())
		r.step(w.now, RunPending, user, asked)
	default:
		r.step(w.now, RunApproved, user, asked+"; it needs no approval")
	}
	if err := w.tx.CreateActionRun(r); err != nil {
		return err
	}
	t.transition(w.now, TransitionActionRequested, "", user, runDetail(r, paramsText(r.Params)))
	w.logCommitted("action requested", "run", r.ID, "action", def.ID, "ticket_id", t.ID, "state", string(r.State))
	if err := w.afterRequest(t, r, def); err != nil {
		return err
	}
	return w.tx.PutTicket(t)
}

// afterRequest posts what a new run's state calls for: the asker's confirmation, the approval card
// (after the preview, when there is one), or the run itself; and tells those it concerns (tellRun).
func (w *work) afterRequest(t *Ticket, r *ActionRun, def *ActionDef) error {
	switch r.State {
	case RunConfirming:
		choices := []Choice{{ID: choiceConfirm, Label: "Run it", Style: StylePrimary, Reaction: reactionApprove},
			{ID: choiceCancel, Label: "Cancel", Reaction: reactionDeny}}
		whom := "you"
		if r.onBehalf() {
			whom = r.ForName
		}
		text := fmt.Sprintf("Shall I run **%s** for %s%s? (%s)", def.Title, whom, paramsClause(r.Params), r.ID)
		return w.toAsker(t, r, runAudienceOf(t, r), confirmKey(r.ID), text, choices...)
	case RunPending:
		if err := w.askApproval(t, r, def); err != nil {
			return err
		}
		return w.tellRun(t, r, runNews{
			asker: fmt.Sprintf("I've asked for approval to run **%s**%s%s (%s). I'll tell you here when it is decided; the request expires in %s.",
				def.Title, forWhom(r), paramsClause(r.Params), r.ID, humanDuration(def.Approval.expires())),
			requester: fmt.Sprintf("**%s** asked to run **%s** for you%s (%s); it is waiting for approval, and I'll tell you here when it is decided.",
				r.RequestedByName, def.Title, paramsClause(r.Params), r.ID),
		})
	default:
		return w.startRun(t, r)
	}
}

// askApproval posts the approval card, or first runs the preview whose output the card shows.
func (w *work) askApproval(t *Ticket, r *ActionRun, def *ActionDef) error {
	if def.Preview != nil && r.Preview == nil {
		c := t.Conversation
		return w.enqueue(Effect{Kind: EffectJob, Platform: c.Platform, Lane: runLane(r.ID), Ticket: t.ID, Job: jobPreview, Run: r.ID})
	}
	return w.postApprovalCard(t, r, def)
}

// startRun queues the run's job, in a lane of its own: a slow call holds up no conversation.
func (w *work) startRun(t *Ticket, r *ActionRun) error {
	c := t.Conversation
	return w.enqueue(Effect{Kind: EffectJob, Platform: c.Platform, Lane: runLane(r.ID), Ticket: t.ID, Job: jobAction, Run: r.ID})
}

// runLane is the lane of a run's jobs.
func runLane(id string) string { return lane("action", id) }

// overRate reports whether forUser has asked for def as often as its rate allows.
func (w *work) overRate(def *ActionDef, forUser string) (bool, error) {
	if def.Rate.Count <= 0 || def.Rate.Per <= 0 {
		return false, nil
	}
	runs, err := w.tx.FindActionRuns(ActionRunFilter{For: forUser, Since: w.now.Add(-def.Rate.Per)})
	if err != nil {
		return false, err
	}
	n := 0
	for _, r := range runs {
		if r.Action == def.ID {
			n++
		}
	}
	return n >= def.Rate.Count, nil
}

// openForAction opens a ticket for a request made outside one, in the place it was made. Level 1 has
// nothing to search for: the run is the work, and the ticket its record.
func (w *work) openForAction(def *ActionDef) (*Ticket, error) {
	ev := w.ev
	conv := Conversation{Platform: ev.Platform, Channel: ev.Channel, DM: ev.DM}
	switch {
	case ev.DM:
	case ev.Thread != "":
		conv.Thread = ev.Thread
	default:
		conv.Thread = ev.Message
	}
	t := &Ticket{
		Version:       TicketVersion,
		Tier:          LevelOne,
		Requester:     ev.User,
		RequesterName: nameOf(ev.UserName, ev.User),
		Conversation:  conv,
		Subject:       clip("Action: "+def.Title, 120),
		CreatedAt:     w.now,
	}
	t.Priority, t.PrioritySource = w.cfg().DefaultPriority, "default"
	t.transition(w.now, TransitionOpened, StatusOpen, ev.User, "for the action "+def.ID)
	if text := strings.TrimSpace(ev.Text); text != "" {
		t.say(w.now, ev.User, t.RequesterName, RoleRequester, text, false)
	}
	if err := w.tx.CreateTicket(t); err != nil {
		return nil, err
	}
	if err := w.tx.LinkConversation(conv, t.ID); err != nil {
		return nil, err
	}
	w.logCommitted("ticket opened", "ticket_id", t.ID, "platform", ev.Platform, "requester", ev.User, "for_action", def.ID)
	return t, nil
}

// confirmRun is the requester's answer to "Shall I run it?".
func (w *work) confirmRun(t *Ticket, r *ActionRun, yes bool) error {
	if w.ev.User != r.RequestedBy {
		return w.reply(t.ID, fmt.Sprintf("Only %s can confirm this.", r.RequestedByName))
	}
	if r.State != RunConfirming {
		return w.reply(t.ID, fmt.Sprintf("**%s** (%s) is already %s.", r.Title, r.ID, stateText(r.State)))
	}
	def, ok := w.cfg().action(r.Action)
	if !yes || !ok {
		return w.cancelRun(t, r, "cancelled by "+nameOf(w.ev.UserName, w.ev.User))
	}
	if off, err := w.actionsOff(); err != nil || off {
		if err != nil {
			return err
		}
		return w.reply(t.ID, actionsOffText)
	}
	if err := w.withdrawConfirm(t, r, "_You confirmed this._"); err != nil {
		return err
	}
	if def.Approval != nil {
		r.ExpiresAt = w.now.Add(def.Approval.expires())
		r.step(w.now, RunPending, w.ev.User, "confirmed")
		// A step with no transition of the ticket's own: the audit log records it all the same.
		if err := w.tx.Audit(AuditEntry{At: w.now, Actor: w.ev.User, Action: "ticket.action_confirmed", Target: t.ID, Detail: runDetail(r, "waiting for approval")}); err != nil {
			return err
		}
	} else {
		r.step(w.now, RunApproved, w.ev.User, "confirmed; it needs no approval")
		t.transition(w.now, TransitionActionApproved, "", w.ev.User, runDetail(r, "confirmed"))
	}
	if err := w.tx.PutActionRun(r); err != nil {
		return err
	}
	if err := w.afterRequest(t, r, def); err != nil {
		return err
	}
	return w.tx.PutTicket(t)
}

// decideRun is an approver's Approve or Deny on an approval card. The store runs one write transaction
// at a time and the run is read and changed in it, so when two approvers press at once exactly one
// decision is made: the second finds the run decided, and is told so.
func (w *work) decideRun(t *Ticket, r *ActionRun, approve bool) error {
	who := nameOf(w.ev.UserName, w.ev.User)
	def, ok := w.cfg().action(r.Action)
	switch {
	case r.State != RunPending:
		return w.reply(t.ID, fmt.Sprintf("**%s** (%s) is already %s.", r.Title, r.ID, decidedText(r)))
	case !ok || def.Approval == nil:
		return w.reply(t.ID, fmt.Sprintf("**%s** is no longer an action that needs approval; nothing was changed.", r.Title))
	case !w.cfg().inGroup(def.Approval.Approvers, w.ev.User, w.ev.Roles):
		return w.reply(t.ID, fmt.Sprintf("Only the approvers of **%s** can decide on it.", r.Title))
	case !def.Approval.AllowSelfApproval && (w.ev.User == r.RequestedBy || w.ev.User == r.For):
		return w.reply(t.ID, fmt.Sprintf("You can't approve or deny your own request (%s): another approver must decide.", r.ID))
	}
	if approve {
		if off, err := w.actionsOff(); err != nil || off {
			if err != nil {
				return err
			}
			return w.reply(t.ID, actionsOffText)
		}
		for _, a := range r.Approvals {
			if a.By == w.ev.User {
				return w.reply(t.ID, fmt.Sprintf("You already approved %s; it needs %d more.", r.ID, def.Approval.quorum()-len(r.Approvals)))
			}
		}
	}
	d := RunDecision{By: w.ev.User, Name: who, Approve: approve, At: w.now}
	if approve {
		r.Approvals = append(r.Approvals, d)
	}
	switch {
	case !approve:
		r.Decision = &d
		r.step(w.now, RunDenied, w.ev.User, "denied by "+who)
		t.transition(w.now, TransitionActionDenied, "", w.ev.User, runDetail(r, ""))
		if err := w.tx.PutActionRun(r); err != nil {
			return err
		}
		closed, err := w.closeOpenedTicket(t, r, "the action "+r.Action+" was denied")
		if err != nil {
			return err
		}
		if closed == "" {
			closed = " Write here if you need more help."
		}
		news := runNews{
			asker:     fmt.Sprintf("**%s** denied your request to run **%s**%s (%s).", who, r.Title, forWhom(r), r.ID),
			requester: fmt.Sprintf("**%s** denied the request of **%s** to run **%s** for you (%s).%s", who, r.RequestedByName, r.Title, r.ID, closed),
		}
		if !r.onBehalf() {
			news.asker += closed
		}
		if err := w.tellRun(t, r, news); err != nil {
			return err
		}
	case len(r.Approvals) >= def.Approval.quorum():
		r.Decision = &d
		r.step(w.now, RunApproved, w.ev.User, "approved by "+approvers(r))
		t.transition(w.now, TransitionActionApproved, "", w.ev.User, runDetail(r, "approved by "+approvers(r)))
		approved := fmt.Sprintf("**%s** approved **%s** (%s): running it now.", approvers(r), r.Title, r.ID)
		if err := w.tellRun(t, r, runNews{asker: approved, requester: approved}); err != nil {
			return err
		}
		if err := w.startRun(t, r); err != nil {
			return err
		}
	default:
		r.History = append(r.History, RunStep{At: w.now, State: RunPending, By: w.ev.User, Detail: "approved by " + who})
		if err := w.tx.Audit(AuditEntry{At: w.now, Actor: w.ev.User, Action: "ticket.action_approval", Target: t.ID,
			Detail: runDetail(r, fmt.Sprintf("approved by %s, %d of %d", who, len(r.Approvals), def.Approval.quorum()))}); err != nil {
			return err
		}
		if err := w.reply(t.ID, fmt.Sprintf("Noted: %s approved %s; it needs %d more.", who, r.ID, def.Approval.quorum()-len(r.Approvals))); err != nil {
			return err
		}
	}
	if err := w.tx.PutActionRun(r); err != nil {
		return err
	}
	if err := w.updateApprovalCard(t, r, def); err != nil {
		return err
	}
	return w.tx.PutTicket(t)
}

// cancelRun ends a run that has not started, for why ("cancelled by alice", "actions were turned off").
// The caller has checked it may; it writes the run and the ticket.
func (w *work) cancelRun(t *Ticket, r *ActionRun, why string) error {
	r.step(w.now, RunCancelled, w.ev.User, why)
	t.transition(w.now, TransitionActionCancelled, "", w.ev.User, runDetail(r, why))
	if err := w.withdrawConfirm(t, r, "_Cancelled._"); err != nil {
		return err
	}
	if err := w.tx.PutActionRun(r); err != nil {
		return err
	}
	if def, ok := w.cfg().action(r.Action); ok && def.Approval != nil {
		if err := w.updateApprovalCard(t, r, def); err != nil {
			return err
		}
	}
	closed, err := w.closeOpenedTicket(t, r, "the action "+r.Action+" was "+why)
	if err != nil {
		return err
	}
	said := fmt.Sprintf("**%s** (%s) was %s; nothing was run.", r.Title, r.ID, why)
	news := runNews{asker: said, requester: said + closed}
	if !r.onBehalf() {
		news.asker += closed
	}
	if err := w.tellRun(t, r, news); err != nil {
		return err
	}
	return w.tx.PutTicket(t)
}

// expireRun ends a run nobody confirmed or approved in time, and tells who asked, and whom it was for.
func (w *work) expireRun(t *Ticket, r *ActionRun) error {
	waited := "your confirmation"
	if r.State == RunPending {
		waited = "an approval"
	}
	r.step(w.now, RunExpired, "", "no decision in time")
	t.transition(w.now, TransitionActionExpired, "", "", runDetail(r, ""))
	if err := w.withdrawConfirm(t, r, "_This request expired._"); err != nil {
		return err
	}
	if err := w.tx.PutActionRun(r); err != nil {
		return err
	}
	if def, ok := w.cfg().action(r.Action); ok && def.Approval != nil {
		if err := w.updateApprovalCard(t, r, def); err != nil {
			return err
		}
	}
	closed, err := w.closeOpenedTicket(t, r, "the request for the action "+r.Action+" expired")
	if err != nil {
		return err
	}
	news := runNews{
		asker: fmt.Sprintf("Your request to run **%s**%s (%s) expired: it waited for %s, and nothing was run. Ask again if it is still needed.",
			r.Title, forWhom(r), r.ID, waited),
		requester: fmt.Sprintf("The request of **%s** to run **%s** for you (%s) expired: it waited for an approval, and nothing was run. Write here if you still need it.%s",
			r.RequestedByName, r.Title, r.ID, closed),
	}
	if !r.onBehalf() {
		news.asker = fmt.Sprintf("Your request to run **%s** (%s) expired: it waited for %s, and nothing was run. Ask again if you still need it.%s", r.Title, r.ID, waited, closed)
	}
	if err := w.tellRun(t, r, news); err != nil {
		return err
	}
	return w.tx.PutTicket(t)
}

// closeOpenedTicket resolves a ticket the desk opened for a run once r, its last run under way, has ended (succeeded; or denied,
// expired or cancelled, so nothing was run): nothing is left to do on it, and an open ticket nobody
// works would wait in Level 1 for ever. A ticket with another run still under way, or that has become
// a technician's (escalated, claimed), stays as it is. It returns the sentence that tells the requester,
// "" when it left the ticket open. r is stored already.
func (w *work) closeOpenedTicket(t *Ticket, r *ActionRun, why string) (string, error) {
	if t.Status != StatusOpen || t.Tier != LevelOne {
		return "", nil
	}
	runs, err := w.tx.FindActionRuns(ActionRunFilter{Ticket: t.ID})
	if err != nil {
		return "", err
	}
	// The ticket was opened for a run if any of its runs says so: the later ones asked in the same
	// conversation were recorded on it.
	opened := r.OpenedTicket
	for _, o := range runs {
		if o.ID == r.ID {
			continue
		}
		if !o.State.Done() {
			return "", nil
		}
		opened = opened || o.OpenedTicket
	}
	if !opened {
		return "", nil
	}
	at := w.now
	t.ResolvedAt, t.ResolvedBy = &at, ""
	t.transition(w.now, TransitionResolved, StatusResolved, "", why)
	return fmt.Sprintf(" I've closed **%s**; write here if you need more help.", t.ID), nil
}

// runDetail is a ticket transition's detail for a step of r: "A-000003 unlock-account: why".
func runDetail(r *ActionRun, more string) string {
	s := r.ID + " " + r.Action
	if more != "" {
		s += ": " + more
	}
	return s
}

// paramsClause is " with group=finance" for a sentence, "" without values.
func paramsClause(values map[string]string) string {
	if len(values) == 0 {
		return ""
	}
	return " with " + paramsText(values)
}

// approvers names who approved a run: "tom and tina".
func approvers(r *ActionRun) string {
	var names []string
	for _, a := range r.Approvals {
		names = append(names, a.Name)
	}
	switch len(names) {
	case 0:
		return "nobody"
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// stateText says a run's state in words.
func stateText(s RunState) string {
	switch s {
	case RunConfirming:
		return "waiting for confirmation"
	case RunPending:
		return "waiting for approval"
	case RunApproved:
		return "approved and about to run"
	case RunRunning:
		return "running"
	case RunTimedOut:
		return "timed out (outcome unknown)"
	case RunUnknown:
		return "of unknown outcome"
	}
	return string(s)
}

// decidedText says how a run that no longer waits for a decision was decided: "approved by tom".
func decidedText(r *ActionRun) string {
	if d := r.Decision; d != nil {
		if d.Approve {
			return "approved by " + approvers(r)
		}
		return "denied by " + d.Name
	}
	return stateText(r.State)
}

// userMessage is what an error says to a person: an *Error's message, or a general sentence.
func userMessage(err error) string {
	if e, ok := err.(*Error); ok {
		return e.Message
	}
	return "something went wrong."
}

// newIdempotencyKey makes a run's idempotency key: random, so no two data files share one.
func newIdempotencyKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return "fl-" + hex.EncodeToString(b)
}

// Keys of a run's messages on its ticket, and the choices on them.
const (
	keyConfirmPrefix  = "confirm-"
	keyApprovalPrefix = "approval-"
	choiceConfirm     = "confirm"
	choiceCancel      = "cancel"
	choiceApprove     = "approve"
	choiceDeny        = "deny"
	// choiceRunPrefix is an answer's button for an article's action: "run:unlock-account".
	choiceRunPrefix = "run:"
	// Reactions that stand for the buttons where a platform has none.
	reactionApprove = "white_check_mark"
	reactionDeny    = "x"
)

func confirmKey(id string) string  { return keyConfirmPrefix + id }
func approvalKey(id string) string { return keyApprovalPrefix + id }
