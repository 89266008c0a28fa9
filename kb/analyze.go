package kb

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/snowballstem"
	"github.com/blevesearch/snowballstem/english"
)

// This file is the analyzer: how text becomes index terms. It is kept apart
// from the ranking so a stronger one (a full stemmer, other languages) can
// replace it without touching the index.

// maxTermLength bounds a term in bytes: longer "words" are hashes, base64
// blobs or URLs that nobody types, and would only bloat the index.
const maxTermLength = 64

// Analyze returns the terms the index stores for text, in order, with
// repeats. It is exported so tools can show why an article matches a query
// and so the analyzer's behaviour can be pinned by tests.
//
// Words are runs of Unicode letters, digits and marks, lower-cased. Words
// joined by '-', '_', '.' or an apostrophe form one compound ("wi-fi",
// "file.pst", "802.1x") that is indexed whole, as its parts, and, for hyphens
// and underscores, also joined ("wifi"), so "wi-fi", "wifi" and "wi fi" meet.
// Mixed tokens such as "o365", "2fa" or "0x80070005" stay single terms. A
// possessive "'s" is dropped and other apostrophes are closed up ("don't" ->
// "dont"). English stop words are removed and the rest stemmed with the
// Snowball English (Porter2) stemmer, so "printers" matches "printer" and
// "deletion" matches "delete".
func Analyze(text string) []string {
	var out []string
	scanCompounds(text, func(forms []string) {
		out = append(out, forms...)
	})
	return out
}

// scanCompounds calls fn with the analyzed forms of each compound of text:
// the whole compound first, then its joined form, then its parts, without
// stop words and duplicates. A query treats the forms of one compound as
// alternatives of a single term; the index stores them all. fn must not keep
// forms: the slice is reused.
func scanCompounds(text string, fn func(forms []string)) {
	a := getAnalyzer()
	a.scan(text, fn)
	putAnalyzer(a)
}

// analyzer is the state analysis reuses between words: the stemmer's buffer
// and a cache of stems. Stemming is most of the cost of indexing, and text
// repeats its words, so the cache more than halves the time to build an
// index. An analyzer is used by one goroutine at a time.
type analyzer struct {
	env   *snowballstem.Env
	stems map[string]string
	forms []string
}

// maxCachedStems bounds a cache. It is emptied when full rather than
// evicting one by one: the common words come straight back.
const maxCachedStems = 1 << 14

var analyzers = sync.Pool{New: func() any {
	return &analyzer{env: snowballstem.NewEnv(""), stems: make(map[string]string)}
}}

func getAnalyzer() *analyzer  { return analyzers.Get().(*analyzer) }
func putAnalyzer(a *analyzer) { analyzers.Put(a) }

// stem returns the Snowball English stem of w. Words that are not plain a-z
// ("o365", "wi-fi", "café") are left alone: the stemmer is for English
// words, and names and codes must match exactly.
func (a *analyzer) stem(w string) string {
	if len(w) <= 2 || !isPlainWord(w) {
		return w
	}
	if s, ok := a.stems[w]; ok {
		return s
	}
	a.env.SetCurrent(w)
	english.Stem(a.env)
	s := a.env.Current()
	if s == w {
		s = w // keep the caller's string, not the stemmer's copy
	}
	if len(a.stems) >= maxCachedStems {
		clear(a.stems)
	}
	a.stems[strings.Clone(w)] = s
	return s
}

func isPlainWord(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] < 'a' || w[i] > 'z' {
			return false
		}
	}
	return true
}

// scan is scanCompounds with this analyzer's state.
func (a *analyzer) scan(text string, fn func(forms []string)) {
	var (
		parts      []string
		connectors []rune
	)
	i := 0
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		if !isWordRune(r) {
			i += size
			continue
		}
		parts, connectors = parts[:0], connectors[:0]
		for {
			start := i
			for i < len(text) {
				r, size := utf8.DecodeRuneInString(text[i:])
				if !isWordRune(r) {
					break
				}
				i += size
			}
			parts = append(parts, text[start:i])
			if i >= len(text) {
				break
			}
			c, csize := utf8.DecodeRuneInString(text[i:])
			if !isConnector(c) {
				break
			}
			next, _ := utf8.DecodeRuneInString(text[i+csize:])
			if i+csize >= len(text) || !isWordRune(next) {
				break
			}
			connectors = append(connectors, c)
			i += csize
		}
		a.forms = a.compoundForms(parts, connectors, a.forms[:0])
		if len(a.forms) > 0 {
			fn(a.forms)
		}
	}
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

func isConnector(r rune) bool {
	switch r {
	case '-', '_', '.', '\'', '\u2019', '\u2010', '\u2011':
		return true
	}
	return false
}

func isApostrophe(r rune) bool { return r == '\'' || r == '\u2019' }

// compoundForms turns the raw parts of one compound into its terms.
func (a *analyzer) compoundForms(parts []string, connectors []rune, forms []string) []string {
	for i := range parts {
		parts[i] = strings.ToLower(parts[i])
	}
	// Apostrophes first: "user's" -> "user", "don't" -> "dont".
	if len(connectors) > 0 {
		merged, mc := parts[:1], connectors[:0]
		for i, c := range connectors {
			p := parts[i+1]
			if isApostrophe(c) {
				if p != "s" {
					merged[len(merged)-1] += p
				}
				continue
			}
			merged = append(merged, p)
			mc = append(mc, c)
		}
		parts, connectors = merged, mc
	}

	add := func(term string, stem bool) {
		if term == "" || len(term) > maxTermLength || isStopWord(term) {
			return
		}
		if stem {
			term = a.stem(term)
		}
		for _, f := range forms {
			if f == term {
				return
			}
		}
		forms = append(forms, term)
	}
	if len(parts) == 1 {
		add(parts[0], true)
		return forms
	}

	var whole strings.Builder
	joinable := true
	for i, p := range parts {
		if i > 0 {
			whole.WriteRune(connectors[i-1])
			if connectors[i-1] == '.' {
				joinable = false
			}
		}
		whole.WriteString(p)
	}
	add(whole.String(), false)
	if joinable {
		add(strings.Join(parts, ""), true)
	}
	for _, p := range parts {
		add(p, true)
	}
	return forms
}

// isStopWord reports English function words and the fillers of questions
// typed into a chat ("how do I", "please", "thanks"). They carry no topic, and
// leaving them out makes "how do I bake bread" share nothing with an IT
// article. A switch rather than a map keeps the list immutable without a
// package variable. Contractions appear closed up, as the tokenizer makes
// them.
func isStopWord(w string) bool {
	switch w {
	case "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any",
		"anyone", "anything", "are", "arent", "as", "at",
		"be", "because", "been", "before", "being", "below", "between", "both", "but", "by",
		"can", "cant", "cannot", "could", "couldnt",
		"did", "didnt", "do", "does", "doesnt", "doing", "dont", "down", "during",
		"each", "either", "else", "etc", "even", "ever", "every",
		"few", "for", "from", "further",
		"get", "gets", "getting", "got", "had", "hadnt", "has", "hasnt", "have", "havent", "having",
		"he", "hello", "her", "here", "hers", "herself", "hey", "hi", "him", "himself", "his", "how", "hows",
		"i", "if", "im", "in", "into", "is", "isnt", "it", "its", "itself", "ive",
		"just", "like", "me", "might", "more", "most", "much", "must", "my", "myself",
		"no", "nor", "not", "now",
		"of", "off", "oh", "ok", "okay", "on", "once", "only", "or", "other", "ought", "our", "ours",
		"ourselves", "out", "over", "own",
		"please", "pls", "plz",
		"really", "same", "she", "should", "shouldnt", "so", "some", "someone", "something", "such",
		"than", "thank", "thanks", "thx", "that", "thats", "the", "their", "theirs", "them", "themselves",
		"then", "there", "theres", "these", "they", "theyre", "this", "those", "through", "to", "too",
		"under", "until", "up", "us",
		"very", "was", "wasnt", "we", "were", "werent", "what", "whats", "when", "where", "whether",
		"which", "while", "who", "whom", "whose", "why", "will", "with", "wont", "would", "wouldnt",
		"yes", "yet", "you", "youre", "youve", "your", "yours", "yourself", "yourselves":
		return true
	}
	return false
}
