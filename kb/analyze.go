package kb

import (
	"strings"
	"unicode"
	"unicode/utf8"
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
// "dont"). English stop words are removed and the rest lightly stemmed
// (plurals, -ed, -ing), so "printers" matches "printer".
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
	var (
		parts      []string
		connectors []rune
		forms      []string
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
		forms = compoundForms(parts, connectors, forms[:0])
		if len(forms) > 0 {
			fn(forms)
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
func compoundForms(parts []string, connectors []rune, forms []string) []string {
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
			term = stemWord(term)
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

// stemWord is a light English stemmer: steps 1a, 1b, 1c and 5 of Porter's
// algorithm (plurals, -ed, -ing, final -e), with guards for the short words
// and acronyms of IT ("dns", "ios", "status" keep their s). It leaves alone
// anything that is not plain a-z, such as "o365" or "wi-fi". Derivational
// suffixes (-ation, -ness) are left for a stronger stemmer.
func stemWord(w string) string {
	if len(w) <= 2 {
		return w
	}
	for i := 0; i < len(w); i++ {
		if w[i] < 'a' || w[i] > 'z' {
			return w
		}
	}
	b := []byte(w)

	// Step 1a: plurals.
	switch {
	case hasSuffix(b, "sses"):
		b = b[:len(b)-2]
	case hasSuffix(b, "ies"):
		if len(b) > 4 {
			b = b[:len(b)-2]
		}
	case hasSuffix(b, "ss"):
	case hasSuffix(b, "s"):
		if len(b) > 3 {
			switch b[len(b)-2] {
			case 'u', 'i', 's':
			default:
				b = b[:len(b)-1]
			}
		}
	}

	// Step 1b: -eed, -ed, -ing, only when a vowel is left ("bed", "string"
	// stay).
	step1bMore := false
	switch {
	case hasSuffix(b, "eed"):
		if measure(b[:len(b)-3]) > 0 {
			b = b[:len(b)-1]
		}
	case hasSuffix(b, "ed"):
		if hasVowel(b[:len(b)-2]) {
			b = b[:len(b)-2]
			step1bMore = true
		}
	case hasSuffix(b, "ing"):
		if hasVowel(b[:len(b)-3]) {
			b = b[:len(b)-3]
			step1bMore = true
		}
	}
	if step1bMore {
		switch {
		case hasSuffix(b, "at"), hasSuffix(b, "bl"), hasSuffix(b, "iz"):
			b = append(b, 'e')
		case endsDoubleConsonant(b) && !hasSuffix(b, "l") && !hasSuffix(b, "s") && !hasSuffix(b, "z"):
			b = b[:len(b)-1]
		case measure(b) == 1 && endsCVC(b):
			b = append(b, 'e')
		}
	}

	// Step 1c, as in Porter2: y -> i after a consonant that is not the
	// first letter, so "policy" meets "policies" ("polici") while "key" and
	// "display" stay.
	if n := len(b); n >= 3 && b[n-1] == 'y' && !strings.ContainsRune("aeiouy", rune(b[n-2])) {
		b[n-1] = 'i'
	}

	// Step 5a: final e ("update", "updated" -> "updat").
	if hasSuffix(b, "e") {
		stem := b[:len(b)-1]
		if m := measure(stem); m > 1 || (m == 1 && !endsCVC(stem)) {
			b = stem
		}
	}
	// Step 5b: -ll -> -l for long stems.
	if measure(b) > 1 && endsDoubleConsonant(b) && hasSuffix(b, "l") {
		b = b[:len(b)-1]
	}
	return string(b)
}

func hasSuffix(b []byte, s string) bool {
	return len(b) >= len(s) && string(b[len(b)-len(s):]) == s
}

// isConsonant follows Porter: y is a consonant at the start or after a
// vowel, otherwise a vowel.
func isConsonant(b []byte, i int) bool {
	switch b[i] {
	case 'a', 'e', 'i', 'o', 'u':
		return false
	case 'y':
		return i == 0 || !isConsonant(b, i-1)
	}
	return true
}

// measure counts the vowel-consonant sequences of b ([C](VC)^m[V]).
func measure(b []byte) int {
	m, i, n := 0, 0, len(b)
	for i < n && isConsonant(b, i) {
		i++
	}
	for i < n {
		for i < n && !isConsonant(b, i) {
			i++
		}
		if i >= n {
			break
		}
		for i < n && isConsonant(b, i) {
			i++
		}
		m++
	}
	return m
}

func hasVowel(b []byte) bool {
	for i := range b {
		if !isConsonant(b, i) {
			return true
		}
	}
	return false
}

func endsDoubleConsonant(b []byte) bool {
	n := len(b)
	return n >= 2 && b[n-1] == b[n-2] && isConsonant(b, n-1)
}

// endsCVC reports consonant-vowel-consonant at the end, the last not w, x
// or y: the shape of "hop" in "hoping", which gets its e back.
func endsCVC(b []byte) bool {
	n := len(b)
	if n < 3 || !isConsonant(b, n-3) || isConsonant(b, n-2) || !isConsonant(b, n-1) {
		return false
	}
	switch b[n-1] {
	case 'w', 'x', 'y':
		return false
	}
	return true
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
