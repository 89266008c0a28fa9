package bot

// Follow-ups: what Level 1 does with what a requester adds after the desk answered or asked.

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/firstline-desk/firstline/kb"
)

// maxFruitlessFollowUps is how many follow-ups that found nothing new to offer a ticket may have at
// Level 1: at this many it goes to a technician, with the details on the card.
const maxFruitlessFollowUps = 2

// followUp handles a requester's message while Level 1 works their ticket; the caller recorded it in
// the transcript. Thanks and "it worked" are answered at once (and "it worked" counts as Solved on the
// answer above); anything else is details, and starts a new search with everything the ticket says.
func (w *work) followUp(t *Ticket, text string) error {
	switch acknowledgement(text) {
	case ackSolved:
		if key := t.answerAwaitingFeedback(); key != "" {
			return w.feedback(t, key, FeedbackSolved)
		}
		return w.acknowledge(t)
	case ackThanks:
		return w.acknowledge(t)
	}
	t.resubject(text)
	if err := w.tx.PutTicket(t); err != nil {
		return err
	}
	return w.job(t, jobFollowUp)
}

// acknowledge answers a thank-you or an "ok" without searching and without escalating: there is nothing
// in it to search for, and a technician does not need a thank-you.
func (w *work) acknowledge(t *Ticket) error {
	var text string
	switch {
	case t.answerAwaitingFeedback() != "":
		text = "You're welcome! If that solved it, press **Solved** under the answer above. If not, tell me what still happens, or press **Talk to a human**."
	case t.Clarifying:
		text = "Go ahead: tell me what happens, with the exact error message if there is one, or press **Talk to a human** under my question."
	}
	if text != "" {
		if err := w.toRequester(t, "", text); err != nil {
			return err
		}
	}
	return w.tx.PutTicket(t)
}

// answerAwaitingFeedback is the key of the latest answer when nobody has said whether it helped yet.
func (t *Ticket) answerAwaitingFeedback() string {
	if !t.awaitingFeedback() {
		return ""
	}
	return t.Offers[len(t.Offers)-1].Message
}

// answerFollowUp decides what Level 1 says after the requester added details: a better article when
// the search finds one, the model's answer written with the conversation, or, when nothing new turns up,
// a plain "that is still the article above" with a way to a human, and after maxFruitlessFollowUps such
// rounds (or after a clarifying question led nowhere) an escalation with the details on the card. The
// caller stores the ticket.
func (w *work) answerFollowUp(t *Ticket, f findings) error {
	if ans := f.outcome.answer; ans != nil {
		if !ans.citesNew(t) {
			// The model answered from what they had already: useful once, a loop after that.
			if t.FollowUps+1 >= maxFruitlessFollowUps {
				return w.noBetterArticle(t, nil)
			}
			t.FollowUps++
		}
		return w.postModelAnswer(t, jobFollowUp, ans)
	}
	min, suggest := w.cfg().MinConfidence, w.cfg().SuggestConfidence
	fresh := f.hits
	switch {
	case len(fresh) > 0 && fresh[0].Confidence >= min:
		t.Clarifying = false
		return w.offer(t, related(fresh, min), "Thanks, with that detail this looks like the one:")
	case len(fresh) > 0 && fresh[0].Confidence >= suggest && !f.outcome.abstained:
		t.Clarifying = false
		return w.suggest(t, above(fresh, suggest), "Thanks. I'm not sure, but one of these may help:", "Thanks. I'm not sure, but this may help:")
	}
	var again *kb.Hit
	if len(f.again) > 0 && f.again[0].Confidence >= suggest && t.offered(f.again[0].ID) {
		again = &f.again[0]
	}
	return w.noBetterArticle(t, again)
}

// noBetterArticle handles a follow-up that found nothing new to offer. When the details still point at
// an article the requester had, the desk says so (rather than offering it again) and offers a human;
// otherwise, or when this has happened before, or when it had asked for the details, it escalates.
func (w *work) noBetterArticle(t *Ticket, again *kb.Hit) error {
	t.FollowUps++
	switch {
	case t.Clarifying:
		return w.escalate(t, "the requester's details matched no other article")
	case t.FollowUps >= maxFruitlessFollowUps:
		return w.escalate(t, fmt.Sprintf("%d follow-ups from the requester found nothing new in the knowledge base", t.FollowUps))
	case again == nil:
		return w.escalate(t, "the requester's details matched no article")
	}
	title := again.ID
	if a, ok := w.article(again.ID); ok {
		title = fmt.Sprintf("**%s** (`%s`)", a.Title, a.ID)
	}
	t.transition(w.now, TransitionFollowUp, "", "", "the details still point to "+again.ID+", offered before")
	return w.ask(t, fmt.Sprintf("With what you've added, the closest article is still %s, the one above, and I have nothing better in the knowledge base. Press **Talk to a human** and a technician will take it from here with everything you've told me, or tell me more.", title))
}

// citesNew reports whether the model's answer cites an article the ticket was not offered before.
func (a *modelAnswer) citesNew(t *Ticket) bool {
	for _, n := range a.Cited {
		if !t.offered(a.Sources[n-1].ID) {
			return true
		}
	}
	return false
}

// ack is what a short message from the requester says without details.
type ack int

const (
	ackNone   ack = iota // details (or anything else): search again
	ackThanks            // thanks, ok, great: nothing to search for, nothing to escalate
	ackSolved            // it worked, fixed, yes: the answer above solved it
)

// Words of a message that only thanks or acknowledges. A message is an acknowledgement when every word
// of it is one of these, so "thanks, but it still fails" or "it worked until today" are details: the
// lists need not foresee every way to say something is wrong.
var (
	solvedWords = wordSet("worked works working fixed solved resolved sorted yes yep yeah yup")
	thanksWords = wordSet("thanks thank thx ty tysm tyvm cheers ta appreciated appreciate ok okay k kk cool great " +
		"perfect awesome nice brilliant excellent wonderful lovely sure alright noted understood gotcha good fine done " +
		"much very lot so a you for the help it it's its that that's this now i i'll ill will try again all " +
		"thumbsup +1 pray tada white_check_mark heavy_check_mark ok_hand")
)

func wordSet(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// acknowledgement reads a requester's message: thanks, a statement that it worked, or details. Emoji and
// Slack's :shortcodes: count as words ("👍", ":pray:"); punctuation does not.
func acknowledgement(text string) ack {
	words := strings.FieldsFunc(strings.ToLower(strings.ReplaceAll(text, "’", "'")), func(r rune) bool {
		return !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\'' || r == '_' || r == '+')
	})
	for _, r := range text {
		switch r {
		case '👍', '🙏', '🎉', '👌', '🙌':
			words = append(words, "thanks")
		case '✅', '✔':
			words = append(words, "fixed")
		}
	}
	if len(words) == 0 || len(words) > 12 {
		return ackNone
	}
	kind := ackThanks
	for _, w := range words {
		w = strings.Trim(w, "'")
		switch {
		case solvedWords[w]:
			kind = ackSolved
		case !thanksWords[w]:
			return ackNone
		}
	}
	return kind
}
