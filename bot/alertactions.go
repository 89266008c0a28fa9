package bot

// The actions an alert route suggests, as buttons on the alert's card: a technician who works the
// ticket presses one to ask for the action on it, as `!run` in the card's thread would. Parameters named
// like the alert group's labels take the labels' values (checked like any other value), so "restart the
// spooler" on the card of PRN-3's alert restarts PRN-3's.

import (
	"fmt"
	"slices"
	"strings"
)

// maxCardActions bounds the action buttons on a card: a row of buttons holds five.
const maxCardActions = 5

// alertActionChoices are the buttons of the actions t's route suggests that the desk defines, on its
// current card while the ticket is worked; none on an old card or a resolved ticket.
func alertActionChoices(cfg Config, t *Ticket, card *Card) []Choice {
	if t.Alert == nil || !card.Current || !t.Status.Active() {
		return nil
	}
	var out []Choice
	for _, id := range t.Alert.Actions {
		def, ok := cfg.action(id)
		if !ok || len(out) == maxCardActions || slices.ContainsFunc(out, func(c Choice) bool { return c.ID == choiceRunPrefix+def.ID }) {
			continue
		}
		out = append(out, Choice{ID: choiceRunPrefix + def.ID, Label: def.Title})
	}
	return out
}

// pressCardAction is a press on an alert card's action button: a request for the action on the
// ticket, by the technician who pressed (requestAction refuses anyone else).
func (w *work) pressCardAction(t *Ticket, key, id string) error {
	card := t.card(key)
	if card == nil {
		return nil
	}
	if !card.Current {
		return w.reply(t.ID, w.staleCardText(t))
	}
	def, ok := w.cfg().action(id)
	if !ok || t.Alert == nil || !slices.ContainsFunc(t.Alert.Actions, func(a string) bool { return strings.EqualFold(a, id) }) {
		return w.reply(t.ID, "That action is no longer suggested for this ticket.")
	}
	if !t.Status.Active() {
		return w.reply(t.ID, fmt.Sprintf("**%s** is %s: nothing more is run for it.", t.ID, t.Status))
	}
	params := map[string]string{}
	for _, p := range def.Params {
		if v, ok := t.Alert.Labels[p.Name]; ok && p.Type != ParamRequester {
			params[p.Name] = v
		}
	}
	for _, p := range def.Params {
		if _, given := params[p.Name]; !given && p.Type != ParamRequester && p.Required && p.Default == "" {
			return w.reply(t.ID, fmt.Sprintf("**%s** needs a few details: write %s in this thread.", def.Title, def.usage(w.cfg().CommandPrefix)))
		}
	}
	// A press is easily made by mistake: as under an answer, the one who pressed confirms first.
	return w.requestAction(actionRequest{def: def, params: params, via: "card", confirm: true, ticket: t})
}
