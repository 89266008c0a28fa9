package kb

// Article ids made from titles ("slugs"), for articles added from chat.

import (
	"strings"
	"unicode"
)

// maxTitleID is the longest id IDFromTitle makes: long enough to tell titles apart,
// short enough to read in a link, well under MaxIDLength so a caller can add "-2".
const maxTitleID = 60

// IDFromTitle makes an article id from a title: lower-case ASCII letters and digits, the
// words joined with "-", at most 60 bytes, cut between words. Latin letters with accents lose
// them ("Café" → "cafe"); other letters are dropped, and apostrophes are removed so "Can't"
// stays one word. It returns "" when nothing is left, for a title without letters or digits.
func IDFromTitle(title string) string {
	var words []string
	var w strings.Builder
	endWord := func() {
		if w.Len() > 0 {
			words = append(words, w.String())
			w.Reset()
		}
	}
	for _, r := range title {
		r = unicode.ToLower(r)
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			w.WriteRune(r)
		case r == '\'' || r == '’':
		case r >= 0x80 && transliterate(r) != "":
			w.WriteString(transliterate(r))
		default:
			endWord()
		}
	}
	endWord()

	var id strings.Builder
	for _, word := range words {
		switch {
		case id.Len() == 0:
			// A first word longer than the limit has no boundary to cut at.
			id.WriteString(word[:min(len(word), maxTitleID)])
		case id.Len()+1+len(word) <= maxTitleID:
			id.WriteByte('-')
			id.WriteString(word)
		default:
			return id.String()
		}
	}
	return id.String()
}

// transliterate returns the ASCII letters for a lower-case Latin letter with a diacritic, or "".
// The table covers Latin-1 and Latin Extended-A, the letters of the languages a desk usually
// sees; it is not meant to be complete.
func transliterate(r rune) string {
	for _, t := range [...]struct{ ascii, letters string }{
		{"a", "àáâãäåāăą"}, {"ae", "æ"}, {"c", "çćĉċč"}, {"d", "ďđð"}, {"e", "èéêëēĕėęě"},
		{"g", "ĝğġģ"}, {"h", "ĥħ"}, {"i", "ìíîïĩīĭįı"}, {"ij", "ĳ"}, {"j", "ĵ"}, {"k", "ķĸ"},
		{"l", "ĺļľŀł"}, {"n", "ñńņňŉŋ"}, {"o", "òóôõöøōŏő"}, {"oe", "œ"}, {"r", "ŕŗř"},
		{"s", "śŝşšſ"}, {"ss", "ß"}, {"t", "ţťŧ"}, {"th", "þ"}, {"u", "ùúûüũūŭůűų"}, {"w", "ŵ"},
		{"y", "ýÿŷ"}, {"z", "źżž"},
	} {
		if strings.ContainsRune(t.letters, r) {
			return t.ascii
		}
	}
	return ""
}
