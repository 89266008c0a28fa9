// Package ticketindex is what every store derives from a ticket to index it, so that the stores
// (bbolt in package storage, PostgreSQL in storage/postgres) find the same tickets for the same
// question: when a ticket last changed (reports and retention find tickets by it), and its words as the
// knowledge base's analyzer reads them (the text search of lists).
package ticketindex

import (
	"slices"
	"strings"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/kb"
)

// LastChange is when anything a report counts last happened to the ticket: UpdatedAt, or a later instant
// the ticket records when whoever wrote it did not move UpdatedAt (tickets written by hand, imported, or
// from before the engine kept it). Reports find the tickets of a window by it, so a ticket must never
// hold an event later than its index entry.
func LastChange(tk *bot.Ticket) time.Time {
	at := tk.UpdatedAt
	later := func(x time.Time) {
		if x.After(at) {
			at = x
		}
	}
	later(tk.CreatedAt)
	if tk.ResolvedAt != nil {
		later(*tk.ResolvedAt)
	}
	if tk.CSAT != nil {
		later(tk.CSAT.RatedAt)
	}
	for _, e := range tk.Transitions {
		later(e.At)
	}
	for _, e := range tk.Transcript {
		later(e.At)
	}
	for _, o := range tk.Offers {
		later(o.At)
	}
	if s := tk.SLA; s != nil {
		for _, c := range []bot.SLAClock{s.Response, s.Resolution} {
			if c.Met != nil {
				later(*c.Met)
			}
		}
	}
	return at
}

// AddTerms adds the terms of text (lower case, stemmed, without stop words: kb.Analyze) to terms.
func AddTerms(terms map[string]bool, text string) {
	for _, term := range kb.Analyze(text) {
		terms[term] = true
	}
}

// Terms returns the distinct terms of a ticket's searchable text: its subject and every entry of its
// transcript, internal notes included (technicians search their notes; see bot.TicketFilter.Visible).
func Terms(tk *bot.Ticket) map[string]bool {
	terms := map[string]bool{}
	AddTerms(terms, tk.Subject)
	for _, e := range tk.Transcript {
		AddTerms(terms, e.Text)
	}
	return terms
}

// QueryWords turns a search into its words, each as the terms that may stand for it: the word as the
// index files it, and for a word joined by hyphens or underscores ("wi-fi") also its joined form
// ("wifi"). A word that is only stop words ("the") is dropped; a search with no word left looks for no
// text at all.
func QueryWords(text string) [][]string {
	var words [][]string
	for _, w := range strings.Fields(text) {
		forms := kb.Analyze(w)
		if len(forms) == 0 {
			continue
		}
		alts := []string{forms[0]}
		if strings.ContainsAny(w, "-_") {
			if joined := kb.Analyze(strings.NewReplacer("-", "", "_", "").Replace(w)); len(joined) > 0 && joined[0] != forms[0] {
				alts = append(alts, joined[0])
			}
		}
		words = append(words, alts)
	}
	return words
}

// VisibleMatch reports whether every word of text is in what the ticket's requester sees of it: its
// subject and the transcript less internal notes.
func VisibleMatch(tk *bot.Ticket, text string) bool {
	terms := map[string]bool{}
	AddTerms(terms, tk.Subject)
	for _, e := range tk.Transcript {
		if !e.Internal {
			AddTerms(terms, e.Text)
		}
	}
	for _, alts := range QueryWords(text) {
		if !slices.ContainsFunc(alts, func(term string) bool { return terms[term] }) {
			return false
		}
	}
	return true
}
