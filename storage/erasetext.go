package storage

// Finding a person in text: their names and ids as whole words, and what they wrote, where a ticket, a
// card, a summary or a post quotes it, verbatim or as the bot quotes (whitespace run together, cut short
// with "…").

import (
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Names and texts shorter than these are not searched for in free text: "Al" or "thanks" would erase
// other people's words. Fields that hold their id are replaced whatever its length.
const (
	minNameRunes    = 3
	minMessageRunes = 8
	// quoteHead is how much of a text is looked for to find a quote of it: the bot cuts quotes at 80
	// runes and more, never shorter.
	quoteHead = 24
)

// phrases are texts of one person, longest first, each as written and with its whitespace run together
// as the bot quotes it.
type phrases []string

func (p *phrases) add(s string) {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) < minMessageRunes {
		return
	}
	for _, v := range []string{s, strings.Join(strings.Fields(s), " ")} {
		if !slices.Contains(*p, v) {
			*p = append(*p, v)
		}
	}
	slices.SortFunc(*p, func(a, b string) int { return len(b) - len(a) })
}

// erase replaces in s every quote of one of p: the whole text, or its beginning cut short with "…" (as
// clip cuts), and returns how many it replaced.
func (p phrases) erase(s string) (string, int) {
	n := 0
	for _, ph := range p {
		if !strings.Contains(s, headOf(ph)) {
			continue
		}
		var c int
		s, c = eraseQuotes(s, ph)
		n += c
	}
	return s, n
}

func headOf(s string) string {
	i, runes := 0, 0
	for i < len(s) && runes < quoteHead {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		runes++
	}
	return s[:i]
}

func eraseQuotes(s, ph string) (string, int) {
	head := headOf(ph)
	var out strings.Builder
	n, i := 0, 0
	for {
		j := strings.Index(s[i:], head)
		if j < 0 {
			break
		}
		start := i + j
		l := commonPrefix(s[start:], ph)
		end := -1
		switch {
		case l == len(ph):
			end = start + l
		case utf8.RuneCountInString(ph[:l]) >= minMessageRunes && strings.HasPrefix(s[start+l:], "…"):
			end = start + l + len("…")
		}
		if end < 0 {
			out.WriteString(s[i : start+len(head)])
			i = start + len(head)
			continue
		}
		out.WriteString(s[i:start])
		out.WriteString(erasedText)
		i = end
		n++
	}
	if n == 0 {
		return s, 0
	}
	out.WriteString(s[i:])
	return out.String(), n
}

// commonPrefix is the length in bytes of the longest common prefix of a and b that ends on a rune.
func commonPrefix(a, b string) int {
	l := 0
	for l < len(a) && l < len(b) && a[l] == b[l] {
		l++
	}
	for l > 0 && l < len(b) && !utf8.RuneStart(b[l]) {
		l--
	}
	return l
}

// nameMatcher finds a person's names and ids as whole words, in any case.
type nameMatcher struct {
	names []string
	re    *regexp.Regexp
	lower [][]byte // the names in lower case, as they are and as JSON writes them: mayName's needles
}

func (m *nameMatcher) add(s string) {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) >= minNameRunes && !slices.Contains(m.names, s) {
		m.names = append(m.names, s)
	}
}

func (m *nameMatcher) compile() {
	slices.SortFunc(m.names, func(a, b string) int { return len(b) - len(a) }) // the first alternative that matches is taken
	quoted := make([]string, len(m.names))
	for i, n := range m.names {
		quoted[i] = regexp.QuoteMeta(n)
	}
	m.re = regexp.MustCompile(`(?i)` + strings.Join(quoted, "|"))
	for _, n := range m.names {
		low := strings.ToLower(n)
		m.lower = append(m.lower, []byte(low))
		if j := jsonText(low); string(j) != low {
			m.lower = append(m.lower, j)
		}
	}
}

// erase replaces the names in s, as whole words, with "erased".
func (m *nameMatcher) erase(s string) (string, int) {
	var out strings.Builder
	n, last := 0, 0
	for _, loc := range m.re.FindAllStringIndex(s, -1) {
		before, _ := utf8.DecodeLastRuneInString(s[:loc[0]])
		after, _ := utf8.DecodeRuneInString(s[loc[1]:])
		if isWordRune(before) || isWordRune(after) {
			continue // "bob" in "bobsled"
		}
		out.WriteString(s[last:loc[0]])
		out.WriteString(erasedName)
		last = loc[1]
		n++
	}
	if n == 0 {
		return s, 0
	}
	out.WriteString(s[last:])
	return out.String(), n
}

func isWordRune(r rune) bool {
	return r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_')
}
