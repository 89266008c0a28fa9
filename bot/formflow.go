package bot

// What forms do: "!new" offers them (and opens one where the platform can show forms), a submitted form
// opens a ticket with its answers as labelled lines, sent straight to a tier or searched like a question.

import (
	"fmt"
	"strings"
)

// keyReceipt is the desk's first message of a ticket opened with a form: the answers, posted to the
// requester; the ticket's conversation is its thread (Conversation.Root).
const keyReceipt = "receipt"

// choiceFormPrefix starts the choice id of a button that opens a form: "form:access".
const choiceFormPrefix = "form:"

// form handles a submitted form. A submission the desk cannot take (a form that does not exist or the
// person may not use, a bad answer) is refused as Handle's error, with nothing kept, so the platform can
// show it beside the form (FieldErrors) and the person can correct it.
func (w *work) form() error {
	ev := w.ev
	if ev.Form == nil {
		return Errorf(EINVALID, "That form came without its answers.")
	}
	f, ok := w.cfg().formFor(ev.Form.Form, ev.User, ev.Roles)
	if !ok {
		// A form someone may not use is no more there for them than one that does not exist.
		return Errorf(ENOTFOUND, "There is no form %q that you can use.", clip(ev.Form.Form, 40))
	}
	rec, err := f.check(ev.Form)
	if err != nil {
		return err
	}
	o := opening{
		// The ticket's conversation is the thread of its receipt, posted where the form was asked for,
		// or in the requester's DM: the answers are theirs, not a channel's.
		conv:      Conversation{Platform: ev.Platform, Channel: ev.Channel, DM: ev.DM || ev.Channel == "", Root: keyReceipt},
		requester: ev.User, name: ev.UserName, text: rec.description(), form: rec,
		intake: &Intake{Via: IntakeForm, By: ev.User, ByName: nameOf(ev.UserName, ev.User)},
	}
	if f.Priority != "" {
		o.priority, o.prioritySource = f.Priority, "form:"+f.ID
	}
	for _, a := range rec.Answers {
		if a.Type == FieldPriority {
			o.priority, o.prioritySource = a.Value, "form:"+f.ID
		}
	}
	t, err := w.openTicket(o)
	if err != nil {
		return err
	}
	receipt := fmt.Sprintf("I've opened **%s**, your %s:\n%s\nAnything you write in this thread is part of it.", t.ID, f.Title, rec.lines())
	if err := w.toRequester(t, keyReceipt, receipt); err != nil {
		return err
	}
	if f.Tier == "" {
		return w.job(t, jobAnswer)
	}
	tier, _, _ := w.cfg().tier(f.Tier)
	if err := w.escalateTo(t, tier, "sent by the form "+f.Title); err != nil {
		return err
	}
	return w.tx.PutTicket(t)
}

// cmdNew offers the forms the person may use ("!new"), or opens one ("!new access") where the platform
// can show forms and the event came with a trigger (a slash command, a button).
func (w *work) cmdNew(cmd Command) error {
	ev := w.ev
	forms := w.e.Forms(ev.User, ev.Roles)
	if len(forms) == 0 {
		return w.reply("", "There are no request forms on this desk. Ask your question in a help channel or in a direct message, and I'll open a ticket.")
	}
	if len(cmd.Args) == 0 {
		return w.offerForms(forms, "Which request?")
	}
	f, ok := w.cfg().formFor(cmd.Args[0], ev.User, ev.Roles)
	if !ok {
		return w.offerForms(forms, fmt.Sprintf("There is no form %q that you can use. The forms are:", clip(cmd.Args[0], 40)))
	}
	return w.openForm(f)
}

// openForm shows a form to the event's user, where their platform can.
func (w *work) openForm(f Form) error {
	ev := w.ev
	chat, _ := w.e.chat(ev.Platform)
	if _, ok := chat.(FormOpener); !ok || ev.Trigger == "" {
		return w.reply("", fmt.Sprintf("I can't show a form here. Fill in **%s** with the form command of your chat: `/firstline new %s` on Slack, `/form %s` in the console.", f.Title, f.ID, f.ID))
	}
	p := w.here()
	p.To, p.ReplyTo = ev.User, ev.ReplyTo
	return w.enqueue(Effect{Kind: EffectForm, Platform: ev.Platform, Lane: lane(ev.Platform, "dm:"+ev.User), Form: f.ID, Trigger: ev.Trigger, Post: p})
}

// offerForms lists the forms, each with a button that opens it.
func (w *work) offerForms(forms []Form, intro string) error {
	var b strings.Builder
	b.WriteString(intro)
	var choices []Choice
	for _, f := range forms {
		fmt.Fprintf(&b, "\n- **%s** (`%snew %s`)", f.Title, w.cfg().CommandPrefix, f.ID)
		if len(choices) < maxFormChoices {
			choices = append(choices, Choice{ID: choiceFormPrefix + f.ID, Label: clip(f.Title, 40)})
		}
	}
	p := w.here()
	p.Text, p.Choices = b.String(), choices
	return w.enqueue(Effect{Kind: EffectPost, Platform: w.ev.Platform, Lane: w.replyLane(p), Post: p})
}

// maxFormChoices bounds the buttons under a list of forms (Slack takes 25 in one block, Discord 5 in a
// row): the list names every form all the same.
const maxFormChoices = 5

// formClick opens the form of a "form:ID" button, wherever it is (a list of forms, a home tab).
func (w *work) formClick() error {
	id := strings.TrimPrefix(w.ev.Choice, choiceFormPrefix)
	w.ev.Private = true
	f, ok := w.cfg().formFor(id, w.ev.User, w.ev.Roles)
	if !ok {
		return w.reply("", fmt.Sprintf("There is no form %q that you can use.", clip(id, 40)))
	}
	return w.openForm(f)
}
