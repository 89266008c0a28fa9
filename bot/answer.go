package bot

// The answer job: search the knowledge base (and ask the model) outside a transaction, then answer.

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/firstline-desk/firstline/kb"
	"github.com/firstline-desk/firstline/redact"
)

// runJob searches the knowledge base (and asks the model, when there is one) outside any transaction,
// then applies the result in one transaction that also removes the job, so a job's result is applied
// exactly once.
func (e *Engine) runJob(ctx context.Context, eff Effect) error {
	switch eff.Job {
	case jobReport:
		return e.runReport(ctx, eff)
	case jobSummary:
		return e.runSummary(ctx, eff)
	case jobKBSearch:
		return e.runKBSearch(ctx, eff)
	case jobIntake:
		return e.runIntake(ctx, eff)
	case jobAction:
		return e.runAction(ctx, eff)
	case jobPreview:
		return e.runPreview(ctx, eff)
	}
	var t *Ticket
	if err := e.store.View(ctx, func(tx Tx) error {
		var err error
		t, err = tx.Ticket(eff.Ticket)
		return err
	}); err != nil && !IsNotFound(err) {
		return fmt.Errorf("job %s for %s: %w", eff.Job, eff.Ticket, err)
	}
	var f findings
	if t != nil && t.Status == StatusOpen {
		f = e.find(ctx, t, eff.Job)
		e.readArticles(&f)
	}
	now := e.clock.Now()
	return e.write(ctx, func(tx *trackedTx) error {
		if err := tx.DeleteEffect(eff.Seq); err != nil {
			return err
		}
		t, err := tx.Ticket(eff.Ticket)
		if IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if t.Status != StatusOpen || f.nothingNew {
			return nil // a human took over while the search ran, or an earlier job read these words
		}
		w := &work{e: e, tx: tx, now: now, ev: Event{Platform: t.Conversation.Platform}, articles: f.articles}
		t.Heard = max(t.Heard, f.heard)
		if f.suggested {
			if err := w.applyTriage(t, f.sug); err != nil {
				return err
			}
		}
		switch {
		case eff.Job == jobFollowUp:
			err = w.answerFollowUp(t, f)
		case f.outcome.answer != nil:
			err = w.postModelAnswer(t, eff.Job, f.outcome.answer)
		default:
			err = w.answer(t, eff.Job, f.hits, f.outcome)
		}
		if err != nil {
			return err
		}
		return w.tx.PutTicket(t)
	})
}

// findings is what a job's search, and the model, found for a ticket, outside any transaction.
type findings struct {
	// hits are the articles not offered on the ticket yet, best first, ranked among themselves.
	hits []kb.Hit
	// again, for a follow-up, are the best articles for everything the ticket now says, offered before
	// or not: whether the requester's new details still point at an answer they had.
	again []kb.Hit
	// heard is how many transcript entries the search read; nothingNew: a follow-up found no words from
	// the requester that an earlier job had not read already (two quick messages, one answer).
	heard      int
	nothingNew bool
	outcome    modelOutcome
	sug        triage
	suggested  bool
	// articles are the articles of every hit above, read from the library with them: the transaction
	// that applies the findings reads the knowledge base from here, never while it holds the writer.
	articles map[string]kb.Article
}

// readArticles reads from the library the articles the findings name (the hits, the articles offered
// before that a follow-up found again, the model's sources), outside any transaction.
func (e *Engine) readArticles(f *findings) {
	f.articles = map[string]kb.Article{}
	read := func(hits []kb.Hit) {
		for _, h := range hits {
			if _, done := f.articles[h.ID]; done {
				continue
			}
			if a, ok := e.library.Article(h.ID); ok {
				f.articles[h.ID] = a
			}
		}
	}
	read(f.hits)
	read(f.again)
	if ans := f.outcome.answer; ans != nil {
		read(ans.Sources)
	}
}

// find searches the knowledge base for what the ticket says and asks the model, when there is one.
func (e *Engine) find(ctx context.Context, t *Ticket, job string) findings {
	f := findings{heard: len(t.Transcript)}
	if job == jobFollowUp && !t.saidSince(t.Heard) {
		f.nothingNew = true
		return f
	}
	var offered []string
	for _, o := range t.Offers {
		offered = append(offered, o.Article)
	}
	query := t.searchText()
	f.hits = e.searchKB(ctx, query, offered...)
	sources := f.hits
	if job == jobFollowUp && len(offered) > 0 {
		// The details may be about the answer they had ("it still says error 809 after step 2"): the model
		// reads that article with the conversation, and the decision needs to know whether it is still
		// the best match.
		f.again = e.searchKB(ctx, query)
		sources = f.again
	}
	if e.model == nil {
		return f
	}
	var wg sync.WaitGroup
	if job == jobAnswer && e.modelOpts.Triage && (t.PrioritySource == "" || t.PrioritySource == "default" || t.Category == "") {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.sug, f.suggested = e.suggestTriage(ctx, t)
		}()
	}
	f.outcome = e.groundedAnswer(ctx, t, sources)
	wg.Wait()
	return f
}

// searchKB searches the knowledge base outside any transaction.
func (e *Engine) searchKB(ctx context.Context, query string, exclude ...string) []kb.Hit {
	// The query may leave for an embeddings endpoint.
	return e.library.Search(ctx, redact.String(query), 10, exclude...)
}

// saidSince reports whether the requester wrote anything in the transcript after its first n entries.
func (t *Ticket) saidSince(n int) bool {
	return slices.ContainsFunc(t.Transcript[min(n, len(t.Transcript)):], t.requesterWrote)
}

// requesterWrote reports whether an entry is words of the requester: not a technician's, and not one of
// the markers their clicks leave ("(not helpful)").
func (t *Ticket) requesterWrote(e Entry) bool {
	return e.Role == RoleRequester && e.Author == t.Requester && !strings.HasPrefix(e.Text, "(")
}

// searchText is what the requester has said: the question and every detail added since.
func (t *Ticket) searchText() string {
	var parts []string
	for _, e := range t.Transcript {
		if t.requesterWrote(e) {
			parts = append(parts, e.Text)
		}
	}
	return strings.Join(parts, "\n")
}

// answer decides what Level 1 says after a search for a question or after "Not helpful": an answer
// citing an article when one is confident, a short list to choose from when the best is only likely, a
// clarifying question, or an escalation (follow-ups: answerFollowUp). The caller stores the ticket.
func (w *work) answer(t *Ticket, job string, hits []kb.Hit, model modelOutcome) error {
	min, suggest := w.cfg().MinConfidence, w.cfg().SuggestConfidence
	var fresh []kb.Hit
	for _, h := range hits {
		if !t.offered(h.ID) {
			fresh = append(fresh, h)
		}
	}
	confident := len(fresh) > 0 && fresh[0].Confidence >= min
	// When the model read the likely articles and found no answer in them, offering them anyway would be
	// a guess: only a confident article is still offered.
	likely := len(fresh) > 0 && fresh[0].Confidence >= suggest && !model.abstained
	switch job {
	case jobNext:
		switch {
		case confident:
			return w.offer(t, related(fresh, min), "Sorry that didn't help. This might be closer:")
		case likely:
			return w.suggest(t, above(fresh, suggest), "Sorry that didn't help. One of these may be closer:", "Sorry that didn't help. This may be closer:")
		case !t.Clarifying:
			return w.askClarifying(t)
		}
		return w.escalate(t, "no other article matched")
	default:
		switch {
		case confident:
			return w.offer(t, related(fresh, min), "Here's what I found:")
		case likely:
			return w.suggest(t, above(fresh, suggest), "I'm not sure I understood, but one of these may help:", "I'm not sure I understood, but this may help:")
		case len(hits) == 0 && !t.Clarifying && len(strings.Fields(t.searchText())) <= 4:
			// "hi", "help please": nothing to search for yet, so ask rather than hand a technician a greeting.
			return w.ask(t, "Hi! What can I help you with? Tell me what's wrong, with the exact error message if there is one.")
		}
		reason := "the knowledge base has no confident answer"
		if len(hits) > 0 {
			reason += fmt.Sprintf(" (best match %s at %.2f)", hits[0].ID, hits[0].Confidence)
		}
		if model.abstained {
			reason = "the model found no answer in the closest articles"
		}
		return w.escalate(t, reason)
	}
}

// above keeps up to three hits at or above a confidence.
func above(hits []kb.Hit, floor float64) []kb.Hit {
	var out []kb.Hit
	for _, h := range hits {
		if h.Confidence >= floor && len(out) < 3 {
			out = append(out, h)
		}
	}
	return out
}

// related keeps the top hit and up to two more that are also confident.
func related(hits []kb.Hit, min float64) []kb.Hit {
	out := hits[:1]
	for _, h := range hits[1:] {
		if h.Confidence >= min && len(out) < 3 {
			out = append(out, h)
		}
	}
	return out
}

// awaitingFeedback reports whether the latest answer has no feedback yet.
func (t *Ticket) awaitingFeedback() bool {
	return len(t.Offers) > 0 && t.Offers[len(t.Offers)-1].Feedback == ""
}

// offer posts an answer citing the articles (the first in full) with the three feedback choices.
func (w *work) offer(t *Ticket, hits []kb.Hit, intro string) error {
	return w.postAnswer(t, hits, intro, false)
}

// suggest posts a short list of articles to choose from, each with its first lines, with the same choices.
// A single likely article is shown whole, with an intro that says the bot is not sure.
func (w *work) suggest(t *Ticket, hits []kb.Hit, introMany, introOne string) error {
	if len(hits) == 1 {
		return w.postAnswer(t, hits, introOne, false)
	}
	return w.postAnswer(t, hits, introMany, true)
}

// nextAnswerKey is the message key of the ticket's next answer: "answer-3".
func (w *work) nextAnswerKey(t *Ticket) (string, error) {
	answers, err := w.posted(t, keyAnswerPrefix)
	if err != nil {
		return "", err
	}
	for _, o := range t.Offers {
		if n := answerNumber(o.Message); n > answers {
			answers = n
		}
	}
	return fmt.Sprintf("%s%d", keyAnswerPrefix, answers+1), nil
}

// posted counts the ticket's messages posted under a key with prefix ("answer-", "ask-").
func (w *work) posted(t *Ticket, prefix string) (int, error) {
	refs, err := w.tx.PostRefs(t.ID)
	if err != nil {
		return 0, err
	}
	n := 0
	for k := range refs {
		if strings.HasPrefix(k, prefix) {
			n++
		}
	}
	return n, nil
}

func (w *work) postAnswer(t *Ticket, hits []kb.Hit, intro string, list bool) error {
	key, err := w.nextAnswerKey(t)
	if err != nil {
		return err
	}
	var articles []kb.Article
	var cited []string
	for _, h := range hits {
		a, ok := w.article(h.ID)
		if !ok {
			continue
		}
		articles = append(articles, a)
		t.Offers = append(t.Offers, Offer{Article: a.ID, Title: a.Title, Confidence: h.Confidence, Message: key, At: w.now})
		if err := w.tx.CountFeedback(a.ID, ""); err != nil {
			return err
		}
		cited = append(cited, fmt.Sprintf("%s (%.2f)", a.ID, h.Confidence))
	}
	if len(articles) == 0 {
		return w.escalate(t, "the articles found are no longer in the knowledge base")
	}
	kind := "offered "
	if list {
		kind = "suggested "
	}
	t.transition(w.now, TransitionAnswered, "", "", kind+strings.Join(cited, ", "))
	var titles []string
	for _, a := range articles {
		titles = append(titles, fmt.Sprintf("%s (%s)", a.Title, a.ID))
	}
	t.say(w.now, "", w.cfg().Name, RoleBot, "Offered: "+strings.Join(titles, "; "), false)
	text := w.e.answerText(t, intro, articles)
	if list {
		text = w.e.suggestionText(t, intro, articles)
	}
	return w.toRequester(t, key, text, w.answerChoices(t, articles)...)
}

// answerChoices are the buttons under an answer: Solved, Not helpful, Talk to a human, and one for each
// action its articles offer.
func (w *work) answerChoices(t *Ticket, articles []kb.Article) []Choice {
	r := w.cfg().Reactions
	return append([]Choice{
		{ID: FeedbackSolved, Label: "Solved", Style: StylePrimary, Reaction: r.Solved},
		{ID: FeedbackNotHelpful, Label: "Not helpful", Reaction: r.NotHelpful},
		{ID: FeedbackHuman, Label: "Talk to a human", Reaction: r.Human},
	}, w.actionChoices(t, articles)...)
}

func answerNumber(key string) int {
	n, err := strconv.Atoi(strings.TrimPrefix(key, keyAnswerPrefix))
	if err != nil {
		return 0
	}
	return n
}

// askClarifying asks the requester one question when no other article fits.
func (w *work) askClarifying(t *Ticket) error {
	return w.ask(t, "I couldn't find anything closer. Could you tell me a bit more: what exactly happens, the exact error message if there is one, and which device or app you're using?")
}

// ask asks the requester a question and waits for the answer, with a way out to a human.
func (w *work) ask(t *Ticket, text string) error {
	t.Clarifying = true
	t.say(w.now, "", w.cfg().Name, RoleBot, text, false)
	t.transition(w.now, TransitionClarifying, "", "", "")
	r := w.cfg().Reactions
	asks, err := w.posted(t, keyAskPrefix)
	if err != nil {
		return err
	}
	return w.toRequester(t, fmt.Sprintf("%s%d", keyAskPrefix, asks+1), text, Choice{ID: FeedbackHuman, Label: "Talk to a human", Reaction: r.Human})
}
