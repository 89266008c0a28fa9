package bot

// Choices on the bot's messages follow the ticket: the buttons under an answer, a suggestion list, a
// clarifying question, the rating survey and a knowledge-base draft work while they are valid, and are
// taken off (an update without them) when they stop being valid: a newer answer, the ticket escalated,
// resolved or reopened, a rating given, a draft decided or replaced. A late press on an old one gets a
// short reply and changes nothing.

import (
	"fmt"
	"slices"
	"strings"
)

// choicesLive reports whether the choices of the message posted under key still work. Tickets from
// before this was recorded (version 1) leave it to their status.
func (t *Ticket) choicesLive(key string) bool {
	return t.Version < 2 || slices.Contains(t.Live, key)
}

// offerChoices records that the message about to be posted under key offers choices.
func (t *Ticket) offerChoices(key string) {
	if key != "" && !slices.Contains(t.Live, key) {
		t.Live = append(t.Live, key)
	}
}

// dropLive records that the message under key no longer offers choices, and reports whether it did.
// The caller updates the message.
func (t *Ticket) dropLive(key string) bool {
	i := slices.Index(t.Live, key)
	if i < 0 {
		return false
	}
	t.Live = slices.Delete(t.Live, i, i+1)
	return true
}

// withdraw takes the choices off the message posted under key, when it still offers them, adding note
// (when set) as its last line. The update goes in the message's lane, behind its post.
func (w *work) withdraw(t *Ticket, key, note string) error {
	if !t.dropLive(key) {
		return nil
	}
	eff := Effect{Kind: EffectUpdate, Ticket: t.ID, Key: key, DropChoices: true, Post: Post{Text: note}}
	if key == keyDraft {
		eff.Platform, _ = SplitID(w.cfg().KBReviewChannel)
		_, channel := SplitID(w.cfg().KBReviewChannel)
		eff.Lane = lane(eff.Platform, channel)
	} else {
		eff = w.requesterEffect(t, eff)
	}
	return w.enqueue(eff)
}

// withdrawAnswers takes the choices off every answer and clarifying question of the ticket that still
// offers them, except keep.
func (w *work) withdrawAnswers(t *Ticket, keep, note string) error {
	for _, key := range slices.Clone(t.Live) {
		if isFeedbackKey(key) && key != keep {
			if err := w.withdraw(t, key, note); err != nil {
				return err
			}
		}
	}
	return nil
}

// pressedLive reports whether the message the event is on still offers its choices: they are live, and
// it is the message now under its key (a draft captured again replaces the one before).
func (w *work) pressedLive(t *Ticket, key string) (bool, error) {
	if !t.choicesLive(key) {
		return false, nil
	}
	ref, err := w.tx.PostRef(t.ID, key)
	if IsNotFound(err) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return ref.ID == w.ev.Message, nil
}

// whenLive does what a press (or a reaction standing for one) asks when the message's choices are live,
// and answers a stale press otherwise.
func (w *work) whenLive(t *Ticket, key string, do func() error) error {
	live, err := w.pressedLive(t, key)
	switch {
	case err != nil:
		return err
	case !live:
		return w.stalePress(t, key)
	}
	return do()
}

// stalePress answers a press (or reaction) on choices that are no longer valid; nothing changes.
func (w *work) stalePress(t *Ticket, key string) error {
	var text string
	switch {
	case key == keyCSAT && t.CSAT != nil:
		text = fmt.Sprintf("You already rated **%s** %d/5. Thank you!", t.ID, t.CSAT.Score)
	case key == keyCSAT && t.Status != StatusResolved:
		text = fmt.Sprintf("**%s** was reopened; you can rate it once it is resolved.", t.ID)
	case key == keyCSAT:
		text = fmt.Sprintf("That survey is no longer current: rate **%s** under my latest message.", t.ID)
	case key == keyDraft && t.Draft != nil && t.Draft.Outcome == "published":
		text = fmt.Sprintf("This draft was already published as `%s`.", t.Draft.Article)
	case key == keyDraft && t.Draft != nil && t.Draft.Outcome != "":
		text = fmt.Sprintf("This draft from **%s** was already %s.", t.ID, t.Draft.Outcome)
	case key == keyDraft:
		text = fmt.Sprintf("This draft from **%s** was replaced by a newer one: use the buttons there.", t.ID)
	case t.Status == StatusResolved:
		text = fmt.Sprintf("**%s** is already resolved. Write here if you need more help and I'll reopen it.", t.ID)
	case t.Status != StatusOpen:
		text = fmt.Sprintf("**%s** is already with %s: write here and the technician will see it.", t.ID, w.cfg().tierName(t.Tier))
	default:
		text = "That answer is no longer current: use the buttons under my latest message, or tell me more here."
	}
	return w.reply(t.ID, text)
}

// feedbackNote is the last line of an answer once the requester has given feedback on it.
func feedbackNote(kind string) string {
	switch kind {
	case FeedbackSolved:
		return "_You marked this as solved._"
	case FeedbackNotHelpful:
		return "_You said this didn't help._"
	case FeedbackHuman:
		return "_You asked for a human._"
	}
	return ""
}

// appendNote adds a closing line to a message's text.
func appendNote(text, note string) string {
	if note == "" {
		return text
	}
	return strings.TrimRight(text, "\n") + "\n\n" + note
}
