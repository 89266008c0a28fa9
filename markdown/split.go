package markdown

// Splitting long Markdown into parts a chat platform takes, without losing or breaking anything.

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Kinds of places a part may end, best first.
const (
	cutHard  = iota // inside a word: nothing better fits
	cutLoose        // at a space or a line break inside an inline span: it may break the span
	cutSpace        // at a space
	cutLine         // at a line break
	cutPara         // at a blank line, between paragraphs
)

// cutAt is a place where a part may end: the byte offset in the text, what kind of place it is, and the
// code fence open there ("" outside a fenced code block).
type cutAt struct {
	at    int
	runes int
	kind  int
	fence string
}

// Split cuts Markdown into parts of at most limit characters (code points, as Discord counts),
// losing nothing but the white space where one part ends and the next begins. A part ends at the last
// paragraph break that fits, else a line break, else a space, as long as that leaves the part at least
// half full; where nothing else fits, a word longer than a part is cut inside. Within a paragraph it
// prefers places where no inline span is open (`code`, **bold**, __bold__, ~~strike~~, [a link](…),
// <an autolink>), so no Markdown is broken across messages. A fenced code block cut in two is closed at
// the end of one part and reopened with its opening line (language included) at the start of the next,
// so both halves show as code. With limit <= 0, or text that fits, the text is one part.
func Split(text string, limit int) []string {
	text = strings.TrimRight(strings.TrimLeft(text, "\n"), " \t\n")
	if limit <= 0 || utf8.RuneCountInString(text) <= limit {
		return []string{text}
	}
	var parts []string
	fence := "" // the opening line of a code block open where the rest begins
	for text != "" {
		prefix := ""
		if fence != "" {
			prefix = fence + "\n"
			if utf8.RuneCountInString(prefix) > limit/4 {
				prefix = fenceRun(fence) + "\n" // an info string too long to repeat: reopen plainly
			}
		}
		budget := max(limit-utf8.RuneCountInString(prefix), 1)
		if utf8.RuneCountInString(text) <= budget {
			parts = append(parts, prefix+text)
			break
		}
		c := chooseCut(text, budget, fence)
		head := strings.TrimRight(text[:c.at], " \t\n")
		rest := text[c.at:]
		switch {
		case strings.HasPrefix(rest, " "):
			rest = strings.TrimLeft(rest, " ")
		case strings.HasPrefix(rest, "\n") && c.fence != "":
			rest = rest[1:] // a blank line in a code block is content
		case strings.HasPrefix(rest, "\n"):
			rest = trimBlankLines(rest) // not the indentation of the next line: it may be code or a list
		}
		if c.fence != "" {
			head += "\n" + fenceRun(c.fence)
		}
		if strings.TrimSpace(head) != "" {
			parts = append(parts, prefix+head)
		}
		text, fence = rest, c.fence
		if fence != "" && strings.TrimSpace(text) != "" && ClosesFence(firstLineOf(text), fenceRun(fence)) {
			// The block ends right where the part did: the next part starts after its closing line.
			text, fence = trimBlankLines(strings.TrimPrefix(text, firstLineOf(text))), ""
		}
	}
	return parts
}

// chooseCut picks where the first part of text ends, within budget characters, for text that starts
// inside the code block opened by fence (or outside any when fence is "").
func chooseCut(text string, budget int, fence string) cutAt {
	var best [cutPara + 1]*cutAt // the latest place of each kind that fits
	consider := func(c cutAt) {
		need := c.runes
		if c.fence != "" {
			need += 1 + utf8.RuneCountInString(fenceRun(c.fence)) // the line that closes the block
		}
		if c.at > 0 && need <= budget {
			best[c.kind] = &c
		}
	}
	var hard *cutAt
	var in inlineState
	runes := 0
	for pos := 0; pos < len(text) && runes <= budget; {
		end := strings.IndexByte(text[pos:], '\n')
		if end < 0 {
			end = len(text)
		} else {
			end += pos
		}
		line := text[pos:end]
		after := fence // the fence open after this line
		switch {
		case fence == "" && fenceOpener(line) != "":
			after = fenceOpener(line)
		case fence != "" && ClosesFence(line, fenceRun(fence)):
			after = ""
		}
		code := fence != "" && after != "" // a line of code (not its fences)
		// An indented line may be code, or a list item's text: its spaces are not places to cut.
		indented := strings.HasPrefix(line, "    ") || strings.HasPrefix(line, "\t")
		if fence == "" && after == "" && strings.TrimSpace(line) == "" {
			in = inlineState{} // inline spans end with their paragraph
		}
		n := runes
		for i, r := range line {
			if n > budget {
				break // nothing past the budget can end this part
			}
			if n >= budget && hard == nil {
				hard = hardCut(text, pos, end, pos+i, n, fence, after)
			}
			switch {
			case r != ' ':
			case code:
				consider(cutAt{at: pos + i, runes: n, kind: cutSpace, fence: fence})
			case fence != "" || after != "" || indented || startsFence(line[i:]) || fenceOpener(line[:i]) != "":
				// Not in a fence line, nor where either part would start or end with a line that opens one.
			case in.closed():
				consider(cutAt{at: pos + i, runes: n, kind: cutSpace})
			default:
				consider(cutAt{at: pos + i, runes: n, kind: cutLoose})
			}
			if fence == "" && after == "" {
				in.step(line, i)
			}
			n++
		}
		runes = n
		if n >= budget && hard == nil {
			hard = hardCut(text, pos, end, end, n, fence, after)
		}
		if end == len(text) {
			break
		}
		kind := cutLine
		if after == "" && (strings.TrimSpace(line) == "" || blankLineAt(text, end+1)) {
			kind = cutPara
		}
		switch {
		case fence == "" && after != "":
			// Right after an opening fence: the part would end with an empty block.
		case kind == cutPara || after != "" || in.closed():
			consider(cutAt{at: end, runes: runes, kind: kind, fence: after})
		default:
			consider(cutAt{at: end, runes: runes, kind: cutLoose})
		}
		fence = after
		runes++ // the line break
		pos = end + 1
	}
	for kind := cutPara; kind >= cutSpace; kind-- {
		if c := best[kind]; c != nil && c.runes >= budget/2 {
			return *c
		}
	}
	var latest *cutAt
	for _, c := range best[cutSpace:] {
		if c != nil && (latest == nil || c.at > latest.at) {
			latest = c
		}
	}
	switch {
	case latest != nil:
		return *latest
	case best[cutLoose] != nil:
		return *best[cutLoose]
	case hard != nil && hard.at > 0:
		return *hard
	}
	// Too little room for anything: one character, so every part moves on.
	_, size := utf8.DecodeRuneInString(text)
	return cutAt{at: size, runes: 1, kind: cutHard, fence: fence}
}

// hardCut is where the text must be cut when nothing better fits: at byte at, n characters in, on the
// line text[pos:end] (fence open before it, after it). Inside a code line it leaves room to close the
// block; it never cuts inside a fence line, nor where the next part would start with ``` or ~~~, which
// would open a block.
func hardCut(text string, pos, end, at, n int, fence, after string) *cutAt {
	c := cutAt{at: at, runes: n, kind: cutHard, fence: fence}
	switch {
	case fence != "":
		// In a code block: leave room to close it, and never cut its closing line.
		base := at
		if after == "" {
			base = max(pos-1, 0)
		}
		c.at = backRunes(text, 0, base, 1+utf8.RuneCountInString(fenceRun(fence)))
		c.runes = n - utf8.RuneCountInString(text[c.at:at])
	case fence == "" && after != "" && pos > 0:
		c.at, c.runes = pos-1, n-utf8.RuneCountInString(text[pos-1:at]) // before a fence line, not inside it
	case fence == "" && after == "":
		for c.at > pos && startsFence(text[c.at:end]) {
			c.at = backRunes(text, pos, c.at, 1)
			c.runes--
		}
		if fenceOpener(text[pos:c.at]) != "" {
			// The part would end with a line that opens a block: end it before that line, or, at the very
			// start, two characters into the fence, which open nothing.
			to := pos - 1
			if pos == 0 {
				to = len(text[pos:c.at]) - len(strings.TrimLeft(text[pos:c.at], " ")) + 2
			}
			c.at, c.runes = to, n-utf8.RuneCountInString(text[to:at])
		}
	}
	return &c
}

// inlineState follows the inline spans open in a paragraph: a part must not end inside one.
type inlineState struct {
	code          int // length of the backtick run that opened a code span, 0 outside one
	bold, under   bool
	strike        bool
	brackets      int  // [ not yet closed
	dest          int  // parentheses open in a link's (destination), 0 outside one
	autolinkUntil int  // inside <…> until this index of the line
	inAutolink    bool // whether the current line has an open <…>
	stop          int  // the first > or space at or after stopFrom on the line, or -1; see step
	stopFrom      int
}

func (s *inlineState) closed() bool {
	return s.code == 0 && !s.bold && !s.under && !s.strike && s.brackets == 0 && s.dest == 0 && !s.inAutolink
}

// step reads the character at line[i], one line of a paragraph outside code blocks.
func (s *inlineState) step(line string, i int) {
	if i == 0 {
		s.stopFrom = -1 // a new line: what was found on the last one is no answer
	}
	c := line[i]
	if s.inAutolink {
		if i >= s.autolinkUntil {
			s.inAutolink = false
		}
		return
	}
	run := func(b byte) int {
		n := 0
		for i+n < len(line) && line[i+n] == b {
			n++
		}
		return n
	}
	prevSame := i > 0 && line[i-1] == c
	switch {
	case c == '`':
		if prevSame {
			return
		}
		n := run('`')
		switch {
		case s.code == 0:
			s.code = n
		case s.code == n:
			s.code = 0
		}
	case s.code > 0:
	case c == '\\':
		// An escaped character is text; the next step sees it as such only roughly, which is enough here.
	case (c == '*' || c == '_' || c == '~') && !prevSame && run(c) >= 2:
		switch c {
		case '*':
			s.bold = !s.bold
		case '_':
			s.under = !s.under
		case '~':
			s.strike = !s.strike
		}
	case c == '[':
		s.brackets++
	case c == ']' && s.brackets > 0:
		s.brackets--
	case c == '(' && (s.dest > 0 || (i > 0 && line[i-1] == ']')):
		s.dest++
	case c == ')' && s.dest > 0:
		s.dest--
	case c == '<':
		// The search for the end of <…> is remembered: a line of many < costs one scan, not one each.
		if s.stopFrom < 0 || s.stopFrom > i+1 || (s.stop >= 0 && s.stop < i+1) {
			s.stopFrom, s.stop = i+1, strings.IndexAny(line[i+1:], "> ")
			if s.stop >= 0 {
				s.stop += i + 1
			}
		}
		if s.stop > i+1 && line[s.stop] == '>' {
			s.inAutolink, s.autolinkUntil = true, s.stop
		}
	}
}

// fenceOpener returns line, without its indentation, when it opens a fenced code block (OpenFence),
// else "".
func fenceOpener(line string) string {
	if OpenFence(line) == "" {
		return ""
	}
	return strings.TrimLeft(line, " ")
}

// startsFence reports whether the words after a space would open a code block if a part began with them.
func startsFence(s string) bool {
	s = strings.TrimLeft(s, " ")
	return strings.HasPrefix(s, "```") || strings.HasPrefix(s, "~~~")
}

// fenceRun is the fence characters an opening line starts with: what closes its block.
func fenceRun(opener string) string {
	t := strings.TrimLeft(opener, " ")
	if t == "" {
		return "```"
	}
	return t[:len(t)-len(strings.TrimLeft(t, t[:1]))]
}

// blankLineAt reports whether the line starting at byte i of text is empty or only spaces.
func blankLineAt(text string, i int) bool {
	if i >= len(text) {
		return false
	}
	return strings.TrimSpace(firstLineOf(text[i:])) == ""
}

func firstLineOf(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// backRunes moves from byte offset at back by up to n characters, not before from.
func backRunes(s string, from, at, n int) int {
	for ; n > 0 && at > from; n-- {
		_, size := utf8.DecodeLastRuneInString(s[:at])
		at -= size
	}
	return at
}

// trimBlankLines drops the blank lines before the text and the white space after it, but keeps the
// indentation of the first line (it may be code, or a list item).
func trimBlankLines(s string) string {
	for {
		line, rest, found := strings.Cut(s, "\n")
		if !found || strings.TrimSpace(line) != "" {
			break
		}
		s = rest
	}
	return strings.TrimRightFunc(s, unicode.IsSpace)
}
