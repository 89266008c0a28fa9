package kb

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/firstline-desk/firstline/markdown"
)

// Snippet returns the passage of text that best shows why it matches query: the window of about
// maxRunes runes with the most distinct query terms, cut at word boundaries with "…" where text was
// left out, and every matching word marked **like this**. Plain text with Markdown marks reads well
// both in a terminal and in chat. Markdown noise of text (headings, emphasis, code ticks, link
// targets, table bars) and line breaks become plain spaced text first, so the marks are the only
// asterisks in the result.
//
// A word of text matches when one of its analyzed forms (see Analyze) is a term of the analyzed query,
// so "printers" marks "printer" and a query of stop words marks nothing. Without a match the snippet
// is the start of text. maxRunes counts the text shown, not the marks and ellipses; 0 or less means
// all of it. A single matching word longer than maxRunes is shown whole.
func Snippet(query, text string, maxRunes int) string {
	s, _ := snippet(queryTerms(query), text, maxRunes)
	return s
}

// ArticleSnippet is Snippet for an article: its body when the body matches, else its title, else one
// of its aliases when they match (an article can be found by its title or an alias alone), else the
// start of its body.
func ArticleSnippet(query string, a Article, maxRunes int) string {
	return articleSnippet(queryTerms(query), a, maxRunes)
}

// SnippetTerms is ArticleSnippet marking index terms rather than the words of a query: those
// Index.QueryTerms returns, so that synonyms and corrected typos are marked too.
func SnippetTerms(terms []string, a Article, maxRunes int) string {
	numbered := make(map[string]int, len(terms))
	for _, t := range terms {
		if _, ok := numbered[t]; !ok {
			numbered[t] = len(numbered)
		}
	}
	return articleSnippet(numbered, a, maxRunes)
}

func articleSnippet(terms map[string]int, a Article, maxRunes int) string {
	body, ok := snippet(terms, a.Body, maxRunes)
	if ok || len(terms) == 0 {
		return body
	}
	for _, s := range append([]string{a.Title}, a.Aliases...) {
		if hl, ok := snippet(terms, s, maxRunes); ok {
			return hl
		}
	}
	return body
}

// queryTerms numbers the distinct analyzed terms of query.
func queryTerms(query string) map[string]int {
	terms := map[string]int{}
	for _, t := range Analyze(query) {
		if _, ok := terms[t]; !ok {
			terms[t] = len(terms)
		}
	}
	return terms
}

// snipWord is one word of the plain text: byte and rune offsets, and the query terms it matches.
type snipWord struct {
	start, end         int
	runeStart, runeEnd int
	terms              []int
}

// snippet is Snippet with the query analyzed; it also says whether any word matched.
func snippet(terms map[string]int, text string, maxRunes int) (string, bool) {
	plain := plainText(text)
	if plain == "" {
		return "", false
	}
	total := utf8.RuneCountInString(plain)
	if maxRunes <= 0 {
		maxRunes = total
	}
	words := snippetWords(plain, terms)
	var matched []int // indexes into words
	for i, w := range words {
		if len(w.terms) > 0 {
			matched = append(matched, i)
		}
	}
	if len(matched) == 0 {
		return prefix(plain, words, total, maxRunes), false
	}

	// Slide a window over the matching words: the best has the most distinct terms, then the most
	// matching words, then comes first.
	counts := make([]int, len(terms))
	distinct, bestA, bestB, bestDistinct, bestWords := 0, 0, 0, -1, 0
	b := -1
	for a := range matched {
		if b < a { // the window is empty: start it at a
			b = a
			for _, t := range words[matched[a]].terms {
				if counts[t]++; counts[t] == 1 {
					distinct++
				}
			}
		}
		for b+1 < len(matched) && words[matched[b+1]].runeEnd-words[matched[a]].runeStart <= maxRunes {
			b++
			for _, t := range words[matched[b]].terms {
				if counts[t]++; counts[t] == 1 {
					distinct++
				}
			}
		}
		if distinct > bestDistinct || (distinct == bestDistinct && b-a+1 > bestWords) {
			bestA, bestB, bestDistinct, bestWords = a, b, distinct, b-a+1
		}
		for _, t := range words[matched[a]].terms {
			if counts[t]--; counts[t] == 0 {
				distinct--
			}
		}
	}
	first, last := words[matched[bestA]], words[matched[bestB]]

	// Give the window some lead so the first match is read in context, and the rest of the budget to
	// what follows; at the end of the text, move the window back instead.
	lo, hi := first.runeStart, last.runeEnd
	if span := hi - lo; span < maxRunes {
		lo = max(0, lo-(maxRunes-span)/3)
		hi = min(total, lo+maxRunes)
		lo = max(0, hi-maxRunes)
	}
	wi, wj := matched[bestA], matched[bestB]
	for wi > 0 && words[wi-1].runeStart >= lo {
		wi--
	}
	for wj+1 < len(words) && words[wj+1].runeEnd <= hi {
		wj++
	}
	return render(plain, words, wi, wj), true
}

// prefix is the start of plain up to maxRunes, cut after a whole word when there is one.
func prefix(plain string, words []snipWord, total, maxRunes int) string {
	if total <= maxRunes {
		return plain
	}
	wj := -1
	for wj+1 < len(words) && words[wj+1].runeEnd <= maxRunes {
		wj++
	}
	if wj < 0 { // one long first word, or no words at all: cut between runes
		i := 0
		for n := 0; n < maxRunes; n++ {
			_, size := utf8.DecodeRuneInString(plain[i:])
			i += size
		}
		return plain[:i] + "…"
	}
	return render(plain, words, 0, wj)
}

// render writes words wi..wj of plain with the text between them, the matching words marked, and
// "…" where text is left out. At either end of plain the punctuation beyond the outer word is kept.
func render(plain string, words []snipWord, wi, wj int) string {
	var sb strings.Builder
	start, end := words[wi].start, words[wj].end
	if wi == 0 {
		start = 0
	} else {
		sb.WriteString("…")
	}
	if wj == len(words)-1 {
		end = len(plain)
	}
	at := start
	for _, w := range words[wi : wj+1] {
		if len(w.terms) == 0 {
			continue
		}
		sb.WriteString(plain[at:w.start])
		sb.WriteString("**")
		sb.WriteString(plain[w.start:w.end])
		sb.WriteString("**")
		at = w.end
	}
	sb.WriteString(plain[at:end])
	if end < len(plain) {
		sb.WriteString("…")
	}
	return sb.String()
}

// snippetWords splits plain into words the way the analyzer splits compounds ("wi-fi", "file.pst",
// "don't" are one word each) and finds the query terms each matches. Analyzing each word on its own
// keeps the marks true to whatever the analyzer does, stemmer included.
func snippetWords(plain string, terms map[string]int) []snipWord {
	var words []snipWord
	runeAt := 0
	for i := 0; i < len(plain); {
		r, size := utf8.DecodeRuneInString(plain[i:])
		if !snippetWordRune(r) {
			i += size
			runeAt++
			continue
		}
		w := snipWord{start: i, runeStart: runeAt}
		for i < len(plain) {
			r, size := utf8.DecodeRuneInString(plain[i:])
			if !snippetWordRune(r) {
				// A connector between two word runes continues the compound.
				next, _ := utf8.DecodeRuneInString(plain[i+size:])
				if !snippetConnector(r) || i+size >= len(plain) || !snippetWordRune(next) {
					break
				}
			}
			i += size
			runeAt++
		}
		w.end, w.runeEnd = i, runeAt
		if len(terms) > 0 {
			for _, f := range Analyze(plain[w.start:w.end]) {
				if t, ok := terms[f]; ok && !containsInt(w.terms, t) {
					w.terms = append(w.terms, t)
				}
			}
		}
		words = append(words, w)
	}
	return words
}

// snippetWordRune and snippetConnector mirror the analyzer's word and compound rules; they are
// separate so the analyzer can change freely: a difference would only change which span is marked.
func snippetWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

func snippetConnector(r rune) bool {
	switch r {
	case '-', '_', '.', '\'', '\u2019', '\u2010', '\u2011':
		return true
	}
	return false
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// plainText turns Markdown into one line of plain text (markdown.Plain): line breaks and runs of spaces
// become one space, and an asterisk left as text goes too, so that the marks are the only asterisks in a
// snippet.
func plainText(text string) string {
	plain := strings.ReplaceAll(markdown.Plain(text), "*", "")
	return strings.Join(strings.FieldsFunc(plain, unicode.IsSpace), " ")
}
