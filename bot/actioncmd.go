package bot

// How people reach actions in chat: "!run ACTION key=value…", "!actions" (the list; on, off, retry,
// cancel, and one run's status), an article's buttons under an answer, and Approve / Deny, Run it /
// Cancel on the run's messages.

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/firstline-desk/firstline/kb"
)

// cmdRun asks for an action: in a ticket's thread for its requester, from a card's thread for the
// ticket's requester (technicians), anywhere else for oneself, opening a ticket for it.
func (w *work) cmdRun(cmd Command) error {
	p := w.cfg().CommandPrefix
	if len(cmd.Args) == 0 {
		return w.reply("", w.actionList())
	}
	def, ok := w.cfg().action(cmd.Args[0])
	if !ok {
		return w.reply("", fmt.Sprintf("There is no action `%s`. %s", clip(cmd.Args[0], 40), w.actionList()))
	}
	t, card, err := w.ticketAround()
	if err != nil {
		return err
	}
	if card != nil && !card.Current {
		return w.reply(t.ID, w.staleCardText(t))
	}
	params, err := parseParams(strings.TrimSpace(strings.TrimPrefix(cmd.Rest, cmd.Args[0])), w.ev.Mentions)
	if err != nil {
		return w.reply(ticketID(t), fmt.Sprintf("%s Write it as %s.", userMessage(err), def.usage(p)))
	}
	via := "command"
	if card != nil {
		via = "card"
	}
	return w.requestAction(actionRequest{def: def, params: params, via: via, ticket: t})
}

// cmdActions is "!actions": the actions one may ask for; "on" and "off" (admins); "retry ID" and
// "cancel ID"; or one run's status ("!actions A-000003").
func (w *work) cmdActions(cmd Command) error {
	if len(cmd.Args) == 0 {
		return w.reply("", w.actionList())
	}
	switch sub := strings.ToLower(cmd.Args[0]); {
	case sub == "on" || sub == "off":
		return w.switchActions(sub == "on")
	case (sub == "retry" || sub == "cancel") && len(cmd.Args) == 2:
		t, r, err := w.runNamed(cmd.Args[1])
		if err != nil || r == nil {
			return err
		}
		if sub == "retry" {
			return w.retryRun(t, r)
		}
		return w.cancelAsked(t, r)
	case len(cmd.Args) == 1 && strings.HasPrefix(strings.ToUpper(sub), "A-"):
		t, r, err := w.runNamed(cmd.Args[0])
		if err != nil || r == nil {
			return err
		}
		return w.reply(t.ID, runText(r))
	}
	p := w.cfg().CommandPrefix
	return w.reply("", fmt.Sprintf("Use `%sactions` for the list, `%sactions A-000003` for a run, `%sactions retry A-000003` or `%sactions cancel A-000003`; admins: `%sactions on` and `%sactions off`.", p, p, p, p, p, p))
}

// actionList lists the actions the event's user may ask for (technicians and admins: all of them).
func (w *work) actionList() string {
	p := w.cfg().CommandPrefix
	staff := w.isStaff()
	var lines []string
	for i := range w.cfg().Actions {
		d := &w.cfg().Actions[i]
		if !staff && !w.cfg().mayRequest(d, w.ev.User, w.ev.Roles) {
			continue
		}
		line := fmt.Sprintf("- **%s**: %s", d.Title, d.usage(p))
		if d.Approval != nil {
			line += " (needs approval)"
		}
		lines = append(lines, line)
	}
	if len(lines) == 0 {
		return "There are no actions you can ask for here."
	}
	head := "Actions you can ask for:"
	if off, err := w.actionsOff(); err == nil && off {
		head = "Actions are turned off right now. When they are on, these can be asked for:"
	}
	return head + "\n" + strings.Join(lines, "\n")
}

// switchActions is "!actions on" and "!actions off", for admins: off, nothing starts (requests,
// approvals and runs waiting to start are refused) until it is turned on again. It is kept in the data
// file, so a restart does not turn actions back on.
func (w *work) switchActions(on bool) error {
	if !w.isAdmin() {
		return w.reply("", "Only admins can turn actions on or off.")
	}
	if on && w.cfg().ActionsOff {
		return w.reply("", "Actions are turned off in the config (`desk.actions_enabled = false`): change it there and restart the desk.")
	}
	value, word := "true", "off"
	if on {
		value, word = "", "on"
	}
	if err := w.tx.PutSetting(SettingActionsOff, value); err != nil {
		return err
	}
	if err := w.tx.Audit(AuditEntry{At: w.now, Actor: w.ev.User, Action: "actions." + word, Target: "actions"}); err != nil {
		return err
	}
	w.logCommitted("actions switched", "on", on, "by", w.ev.User)
	if on {
		return w.reply("", "Actions are on: people can ask for them again.")
	}
	return w.reply("", fmt.Sprintf("Actions are off: nothing will be run, and nothing waiting will start, until an admin writes `%sactions on`.", w.cfg().CommandPrefix))
}

// runNamed reads the run a command names, with its ticket, for someone who may see it: who asked,
// who it is for, the technicians of its ticket and admins. A reply says so when there is none.
func (w *work) runNamed(id string) (*Ticket, *ActionRun, error) {
	r, err := w.tx.ActionRun(strings.ToUpper(id))
	if err != nil && !IsNotFound(err) {
		return nil, nil, err
	}
	var t *Ticket
	if r != nil {
		if t, err = w.tx.Ticket(r.Ticket); err != nil && !IsNotFound(err) {
			return nil, nil, err
		}
	}
	if r == nil || t == nil || (w.ev.User != r.RequestedBy && w.ev.User != r.For && !w.worksOn(t)) {
		return nil, nil, w.reply("", fmt.Sprintf("I can't find an action run %s that you can see.", clip(id, 20)))
	}
	return t, r, nil
}

// worksOn reports whether the event's user is a technician of t's tier (or its card's) or an admin.
func (w *work) worksOn(t *Ticket) bool {
	_, tier := cardTier(t)
	return w.canWork(tier, w.ev.User) || w.canWork(w.cfg().workTier(t), w.ev.User)
}

// retryRun runs a failed run, or one whose outcome is unknown, again, with the same idempotency key:
// the technicians of its ticket and admins, once they have checked the target.
func (w *work) retryRun(t *Ticket, r *ActionRun) error {
	switch {
	case !w.worksOn(t):
		return w.reply(t.ID, fmt.Sprintf("Only the technicians working **%s** can run %s again.", t.ID, r.ID))
	case !r.State.retryable():
		return w.reply(t.ID, fmt.Sprintf("**%s** (%s) is %s: only a run that failed or whose outcome is unknown can be run again.", r.Title, r.ID, stateText(r.State)))
	}
	if _, ok := w.cfg().action(r.Action); !ok {
		return w.reply(t.ID, fmt.Sprintf("`%s` is no longer an action of this desk.", r.Action))
	}
	if off, err := w.actionsOff(); err != nil || off {
		if err != nil {
			return err
		}
		return w.reply(t.ID, actionsOffText)
	}
	who := nameOf(w.ev.UserName, w.ev.User)
	r.step(w.now, RunApproved, w.ev.User, "retry by "+who)
	t.transition(w.now, TransitionActionApproved, "", w.ev.User, runDetail(r, "retry by "+who+", idempotency key "+r.IdempotencyKey))
	if err := w.tx.PutActionRun(r); err != nil {
		return err
	}
	if err := w.startRun(t, r); err != nil {
		return err
	}
	if err := w.reply(t.ID, fmt.Sprintf("Running **%s** (%s) again, with the same idempotency key `%s`.", r.Title, r.ID, r.IdempotencyKey)); err != nil {
		return err
	}
	return w.tx.PutTicket(t)
}

// cancelAsked cancels a run that has not started: who asked, who it is for, or the ticket's technicians.
func (w *work) cancelAsked(t *Ticket, r *ActionRun) error {
	switch {
	case w.ev.User != r.RequestedBy && w.ev.User != r.For && !w.worksOn(t):
		return w.reply(t.ID, fmt.Sprintf("Only %s can cancel %s.", r.RequestedByName, r.ID))
	case r.State != RunConfirming && r.State != RunPending && r.State != RunApproved:
		return w.reply(t.ID, fmt.Sprintf("**%s** (%s) is %s: it can no longer be cancelled.", r.Title, r.ID, stateText(r.State)))
	}
	return w.cancelRun(t, r, "cancelled by "+nameOf(w.ev.UserName, w.ev.User))
}

// runText is one run's status for "!actions A-000003".
func runText(r *ActionRun) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**%s** (%s) on **%s**, for %s: %s.\nParameters: %s. Idempotency key `%s`.", r.Title, r.ID, r.Ticket, r.ForName, runStatus(r), paramsText(r.Params), r.IdempotencyKey)
	for _, s := range r.History {
		fmt.Fprintf(&b, "\n- %s %s%s", s.At.Format("Mon 2 Jan 15:04"), s.State, colon(s.Detail))
	}
	if r.Result != nil {
		b.WriteString(outputBlock(r.Result.Output, r.Result.Truncated))
	}
	return b.String()
}

// runOfKey reads the run a message key names ("approval-A-000003"), nil when there is none.
func (w *work) runOfKey(key, prefix string) (*ActionRun, error) {
	r, err := w.tx.ActionRun(strings.TrimPrefix(key, prefix))
	if IsNotFound(err) {
		return nil, nil
	}
	return r, err
}

// clickRun handles a press on a run's message: Run it / Cancel (the requester's), Approve / Deny (the
// approval card's). It reports whether the press was one.
func (w *work) clickRun(t *Ticket, key, choice string) (bool, error) {
	switch {
	case strings.HasPrefix(key, keyConfirmPrefix) && (choice == choiceConfirm || choice == choiceCancel):
		r, err := w.runOfKey(key, keyConfirmPrefix)
		if err != nil || r == nil {
			return r != nil, err
		}
		return true, w.confirmRun(t, r, choice == choiceConfirm)
	case strings.HasPrefix(key, keyApprovalPrefix) && (choice == choiceApprove || choice == choiceDeny):
		r, err := w.runOfKey(key, keyApprovalPrefix)
		if err != nil || r == nil {
			return r != nil, err
		}
		return true, w.decideRun(t, r, choice == choiceApprove)
	}
	return false, nil
}

// reactRun takes a reaction on a run's message for its button, where a platform has none.
func (w *work) reactRun(t *Ticket, key string) (bool, error) {
	if w.ev.Kind != EventReactionAdded {
		return false, nil
	}
	var choice string
	switch {
	case strings.HasPrefix(key, keyConfirmPrefix) && w.ev.Reaction == reactionApprove:
		choice = choiceConfirm
	case strings.HasPrefix(key, keyConfirmPrefix) && w.ev.Reaction == reactionDeny:
		choice = choiceCancel
	case strings.HasPrefix(key, keyApprovalPrefix) && w.ev.Reaction == reactionApprove:
		choice = choiceApprove
	case strings.HasPrefix(key, keyApprovalPrefix) && w.ev.Reaction == reactionDeny:
		choice = choiceDeny
	default:
		return false, nil
	}
	return w.clickRun(t, key, choice)
}

// pressAction is a press on an answer's button for an article's action: only the ticket's requester's;
// an action that needs values says how to give them.
func (w *work) pressAction(t *Ticket, key, id string) error {
	def, ok := w.cfg().action(id)
	params, via := map[string]string{}, "answer "+key
	if ok {
		// The model's suggestion under this answer: the values it proposed, checked again when asked.
		if s := t.suggestion(key, def.ID); s != nil {
			params, via = maps.Clone(s.Params), "suggestion "+key
		}
	}
	switch {
	case w.ev.User != t.Requester:
		return w.reply(t.ID, fmt.Sprintf("Only %s can use these buttons.", t.RequesterName))
	case !ok:
		return w.reply(t.ID, "That action is no longer available.")
	case def.needsInput() && via == "answer "+key:
		return w.reply(t.ID, fmt.Sprintf("**%s** needs a few details: write %s here.", def.Title, def.usage(w.cfg().CommandPrefix)))
	}
	return w.requestAction(actionRequest{def: def, params: params, via: via, confirm: true, ticket: t})
}

// actionChoices are the buttons of the actions the articles of an answer name (front matter
// `actions = [...]`) that t's requester may ask for, at most maxActionButtons.
func (w *work) actionChoices(t *Ticket, articles []kb.Article) []Choice {
	var out []Choice
	for _, a := range articles {
		for _, id := range a.Actions {
			def, ok := w.cfg().action(id)
			if !ok || len(out) >= maxActionButtons || slices.ContainsFunc(out, func(c Choice) bool { return c.ID == choiceRunPrefix+def.ID }) {
				continue
			}
			// The requester's roles are not known here (a job, not their event): an action for a role is
			// shown, and the press is checked against their roles then.
			if !w.cfg().mayRequest(def, t.Requester, nil) && !forRoles(def.Requesters) {
				continue
			}
			out = append(out, Choice{ID: choiceRunPrefix + def.ID, Label: def.Title})
		}
	}
	return out
}

// maxActionButtons bounds the action buttons under one answer: a row of buttons holds five.
const maxActionButtons = 2

// forRoles reports whether a list of requesters names a role or group, which only an event knows.
func forRoles(groups []string) bool {
	return slices.ContainsFunc(groups, func(g string) bool {
		return strings.Contains(g, ":role:") || strings.Contains(g, ":subteam:")
	})
}
