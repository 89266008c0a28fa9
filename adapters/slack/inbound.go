package slack

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/firstline-desk/firstline/bot"
)

// This file reads what people write in Slack. Slack sends a message's text as mrkdwn, its own markup:
// *bold*, _italic_, ~strike~, `code`, ```blocks```, <url|text> links, <@U…> and <#C…|name> references and
// &lt; &gt; &amp; for the three characters it reserves. The engine keeps text as Markdown, which other
// platforms render, so a technician's *bold* in Slack must become **bold**, not _italics_ elsewhere, and
// a literal 2*3*4 must not become emphasis anywhere.

// names resolves the ids in a message: a user's display name, a channel's name. Either may be nil or
// return "" when it does not know, and the id is shown instead.
type names struct {
	bot     string // the bot's own user id: its mention addresses the bot and is dropped
	user    func(id string) string
	channel func(id string) string
	// mentions collects the people the text mentions, when not nil: the text shows them as @name, and
	// the engine needs to know who they are (an action's user parameter). A <@U…> is Slack's own
	// reference (what people type is escaped, &lt;), so its id is collected even while the directory
	// does not know the name yet (it is looked up in the background): the text then shows the id.
	mentions *[]bot.Mention
}

// fromSlack turns the text of an inbound Slack message (mrkdwn) into the engine's Markdown:
//   - *b* → **b**, _i_ → _i_, ~s~ → ~~s~~, `code` and ```blocks``` kept as code (fenced on lines of their own);
//   - <url|text> → [text](url), <url> → <url>, <mailto:a|a> → a;
//   - the bot's own mention dropped (with the ":" or "," that addresses it); <@U…> → @name and
//     <#C…|name> → #name, as plain text, so a mention never becomes a ping on another platform;
//     <!here> → @here (which every renderer defuses); dates → their fallback text;
//   - emoji shortcodes (:+1:, :tada:) → the emoji, where the shortcode is a standard one;
//   - the entities unescaped, and characters that are literal in Slack but would be Markdown syntax
//     (2*3*4, a \ before punctuation, [x](y), <https://…>, a # heading) escaped with \.
//
// The result is trimmed. The time taken is linear in the input, bar nested emphasis.
func fromSlack(text string, n names) string {
	n.mentions = nil
	return n.convert(text)
}

// fromSlackMentions is fromSlack, with the people the text mentions (other than the bot) for
// bot.Event.Mentions, in order, each once.
func fromSlackMentions(text string, n names) (string, []bot.Mention) {
	var seen []bot.Mention
	n.mentions = &seen
	return n.convert(text), seen
}

func (n names) convert(text string) string {
	text = strings.ToValidUTF8(text, "\uFFFD")
	text = strings.ReplaceAll(text, "\r\n", "\n")
	var parts []string // converted text and code blocks, in order
	for text != "" {
		i := strings.Index(text, "```")
		j := -1
		if i >= 0 {
			j = strings.Index(text[i+3:], "```")
		}
		if j < 0 {
			parts = append(parts, n.lines(text, len(parts) == 0))
			break
		}
		if i > 0 {
			parts = append(parts, n.lines(text[:i], len(parts) == 0))
		}
		// A block starts on a line of its own: "see ```x```" puts x under "see".
		if k := len(parts) - 1; k >= 0 && !strings.HasSuffix(parts[k], "\n") {
			parts[k] = strings.TrimRight(parts[k], " \t") + "\n"
		}
		parts = append(parts, n.codeBlock(text[i+3:i+3+j]))
		text = text[i+3+j+3:]
		// What follows a block's closing fence on its line starts a line of its own.
		if rest := strings.TrimLeft(text, " \t"); strings.HasPrefix(rest, "\n") {
			text = rest[1:]
		} else {
			text = rest
		}
	}
	return strings.TrimSpace(strings.Join(parts, ""))
}

// codeBlock returns a ```block``` as a fenced code block: its text as it is, entities unescaped and
// references as plain text, since nothing in code is formatting.
func (n names) codeBlock(code string) string {
	code = strings.TrimPrefix(code, "\n")
	code = strings.TrimSuffix(code, "\n")
	return "```\n" + n.plain(code) + "\n```\n"
}

// plain is text with its entities unescaped and its <…> references as the text Slack shows for them.
func (n names) plain(s string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '>')
		if j < 0 {
			break
		}
		b.WriteString(unescapeEntities(s[:i]))
		b.WriteString(n.refText(s[i+1 : i+j]))
		s = s[i+j+1:]
	}
	b.WriteString(unescapeEntities(s))
	return b.String()
}

var entities = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")

func unescapeEntities(s string) string { return entities.Replace(s) }

// lines converts text outside code blocks, line by line: Slack's formatting never spans lines. start
// says whether the text starts the message, where the bot's mention is dropped with what addresses it.
func (n names) lines(text string, start bool) string {
	var b strings.Builder
	b.Grow(len(text) + len(text)/8)
	for i, line := range strings.Split(text, "\n") {
		if i > 0 {
			b.WriteByte('\n')
		}
		p := parser{names: n, s: line}
		p.inline(0, len(line), start && i == 0, 0)
		writePieces(&b, p.out)
	}
	return b.String()
}

// piece is a part of a converted line: Markdown made here (markers, code, links), or literal text that
// still has to be escaped where Markdown would read it as syntax.
type piece struct {
	text    string
	literal bool
}

// maxNesting bounds nested formatting (*_~bold italic strike~_* is three): deeper markers are literal,
// which keeps the time taken linear.
const maxNesting = 3

// parser converts one line into pieces.
type parser struct {
	names
	s   string
	out []piece
	// noCloser holds, by marker and end of the text searched, the position from which no closer was
	// found: a later opener there needs no search, so a line of openers without closers stays linear.
	noCloser map[closerKey]int
}

type closerKey struct {
	marker byte
	end    int
}

// inline converts the inline syntax of s[from:to] into pieces; depth is the formatting it is inside of.
func (p *parser) inline(from, to int, atStart bool, depth int) {
	s := p.s[:to]
	lit := func(t string) { p.out = append(p.out, piece{text: t, literal: true}) }
	for i := from; i < to; {
		c := s[i]
		switch {
		case c == '<':
			j := strings.IndexByte(s[i:], '>')
			if j < 0 {
				lit(unescapeEntities(s[i:]))
				return
			}
			ref := s[i+1 : i+j]
			rest := s[i+j+1:]
			if p.bot != "" && (ref == "@"+p.bot || strings.HasPrefix(ref, "@"+p.bot+"|")) {
				// "<@UBOT>: reset my password" is addressed to the bot; the mention is not part of it.
				if strings.HasPrefix(rest, ":") || strings.HasPrefix(rest, ",") {
					i++
				}
				i += j + 1
				if atStart && emptyPieces(p.out) || endsWithSpace(p.out) {
					for i < to && s[i] == ' ' {
						i++
					}
				}
				continue
			}
			p.out = append(p.out, p.ref(ref)...)
			i += j + 1
		case c == '`':
			j := strings.IndexByte(s[i+1:], '`')
			if j <= 0 {
				// No closer, or a run of backticks (what is left of an unclosed ```): literal.
				lit("`")
				i++
				continue
			}
			p.out = append(p.out, piece{text: codeSpan(p.plain(s[i+1 : i+1+j]))})
			i += j + 2
		case (c == '*' || c == '_' || c == '~') && depth < maxNesting && canOpen(s, i):
			j := p.closer(s, i)
			if j < 0 {
				lit(string(c))
				i++
				continue
			}
			marker := map[byte]string{'*': "**", '_': "_", '~': "~~"}[c]
			p.out = append(p.out, piece{text: marker})
			p.inline(i+1, j, false, depth+1)
			p.out = append(p.out, piece{text: marker})
			i = j + 1
		case c == '&':
			// An entity: one character of text.
			k := strings.IndexByte(s[i:min(i+5, len(s))], ';')
			if k > 0 {
				lit(unescapeEntities(s[i : i+k+1]))
				i += k + 1
			} else {
				lit("&")
				i++
			}
		default:
			j := i + 1
			for j < to && strings.IndexByte("<`*_~&", s[j]) < 0 {
				j++
			}
			lit(s[i:j])
			i = j
		}
	}
}

func emptyPieces(ps []piece) bool {
	for _, p := range ps {
		if p.text != "" {
			return false
		}
	}
	return true
}

func endsWithSpace(ps []piece) bool {
	return len(ps) > 0 && strings.HasSuffix(ps[len(ps)-1].text, " ")
}

// canOpen reports whether the marker at i may open Slack formatting: it starts the text or follows a
// space or punctuation, and text follows it.
func canOpen(s string, i int) bool {
	if i+1 >= len(s) || s[i+1] == ' ' || s[i+1] == '\t' || s[i+1] == s[i] {
		return false
	}
	if i == 0 {
		return true
	}
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return unicode.IsSpace(r) || (isPunct(r) && r != rune(s[i]))
}

// closer returns where the formatting opened at i closes, or -1: the next same marker that follows text
// and is followed by the end, a space or punctuation. References and code spans are skipped over.
func (p *parser) closer(s string, i int) int {
	c := s[i]
	key := closerKey{c, len(s)}
	if from, ok := p.noCloser[key]; ok && i >= from {
		return -1
	}
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '<':
			if k := strings.IndexByte(s[j:], '>'); k > 0 {
				j += k
			}
			continue
		case '`':
			if k := strings.IndexByte(s[j+1:], '`'); k >= 0 {
				j += k + 1
			}
			continue
		case c:
		default:
			continue
		}
		if j == i+1 || s[j-1] == ' ' || s[j-1] == '\t' {
			continue
		}
		if j+1 == len(s) {
			return j
		}
		r, _ := utf8.DecodeRuneInString(s[j+1:])
		if unicode.IsSpace(r) || (isPunct(r) && r != rune(c)) {
			return j
		}
	}
	if p.noCloser == nil {
		p.noCloser = map[closerKey]int{}
	}
	p.noCloser[key] = i
	return -1
}

// codeSpan writes code as a Markdown code span, with a backtick run longer than any inside it.
func codeSpan(code string) string {
	if code == "" {
		return "``"
	}
	fence := "`"
	for strings.Contains(code, fence) {
		fence += "`"
	}
	if strings.HasPrefix(code, "`") || strings.HasSuffix(code, "`") {
		code = " " + code + " "
	}
	return fence + code + fence
}

// ref converts a <…> reference.
func (n names) ref(ref string) []piece {
	target, label, _ := strings.Cut(ref, "|")
	label = unescapeEntities(label)
	switch {
	case strings.HasPrefix(target, "@"), strings.HasPrefix(target, "#"), strings.HasPrefix(target, "!"):
		return []piece{{text: n.refText(ref), literal: true}}
	}
	url := unescapeEntities(target)
	if addr, ok := strings.CutPrefix(url, "mailto:"); ok && (label == "" || label == addr) {
		return []piece{{text: addr, literal: true}}
	}
	short := strings.TrimPrefix(strings.TrimPrefix(url, "https://"), "http://")
	if !linkable(url) {
		if label == "" || label == url {
			return []piece{{text: url, literal: true}}
		}
		return []piece{{text: label + " (" + url + ")", literal: true}}
	}
	dest := strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29", "<", "%3C", ">", "%3E").Replace(url)
	if label == "" || label == url || label == short {
		return []piece{{text: "<" + dest + ">"}}
	}
	return []piece{{text: "["}, {text: label, literal: true}, {text: "](" + dest + ")"}}
}

// refText is the text Slack shows for a reference: @name for a user or a group, #name for a channel,
// @here, a date's fallback, a link's label or else its URL.
func (n names) refText(ref string) string {
	target, label, _ := strings.Cut(ref, "|")
	label = unescapeEntities(label)
	switch {
	case strings.HasPrefix(target, "@"):
		id, who := target[1:], ""
		if n.user != nil && id != "" {
			who = n.user(id)
		}
		name := firstOf(who, strings.TrimPrefix(label, "@"), id)
		if n.mentions != nil && id != "" && id != n.bot {
			n.mention(bot.Mention{User: bot.JoinID(Platform, id), Name: name})
		}
		return "@" + name
	case strings.HasPrefix(target, "#"):
		id, name := target[1:], label
		if name == "" && n.channel != nil && id != "" {
			name = n.channel(id)
		}
		return "#" + firstOf(name, id)
	case strings.HasPrefix(target, "!"):
		kind, id, _ := strings.Cut(target[1:], "^")
		switch kind {
		case "here", "channel", "everyone":
			return "@" + kind
		case "subteam":
			if label != "" && !strings.HasPrefix(label, "@") {
				label = "@" + label
			}
			return firstOf(label, "@"+id)
		}
		return label // <!date^…|fallback> and whatever Slack adds: its fallback text
	}
	url := unescapeEntities(target)
	if addr, ok := strings.CutPrefix(url, "mailto:"); ok && label == "" {
		return addr
	}
	return firstOf(label, url)
}

// mention collects m, once.
func (n names) mention(m bot.Mention) {
	for _, seen := range *n.mentions {
		if seen == m {
			return
		}
	}
	*n.mentions = append(*n.mentions, m)
}

// writePieces writes a line's pieces, escaping the literal ones where Markdown would read them as
// syntax. Escapes are kept to what is needed, so that commands and searches see the words people typed:
// a * or an _ is escaped only when another one on the line could pair with it, an _ inside a word never.
func writePieces(b *strings.Builder, in []piece) {
	// Adjacent literal text is one text: "&lt;" and "b" make "<b", whose < needs escaping.
	var ps []piece
	for i := 0; i < len(in); {
		if !in[i].literal {
			ps = append(ps, in[i])
			i++
			continue
		}
		var run strings.Builder
		for ; i < len(in) && in[i].literal; i++ {
			run.WriteString(in[i].text)
		}
		ps = append(ps, piece{text: run.String(), literal: true})
	}
	var all strings.Builder
	for i, p := range ps {
		if p.literal {
			ps[i].text = emojize(p.text)
			all.WriteString(ps[i].text)
			all.WriteByte(' ')
		}
	}
	lit := all.String()
	esc := escapes{
		star:  countFlanking(lit, '*') > 1,
		under: countFlanking(lit, '_') > 1,
		tilde: strings.Count(lit, "~~") > 1,
		link:  strings.Contains(lit, "]") && strings.Contains(lit, "["),
		pipes: strings.Contains(lit, "||"),
	}
	lineStart := true
	for i, p := range ps {
		if !p.literal {
			b.WriteString(p.text)
			lineStart = false
			continue
		}
		esc.write(b, p.text, lineStart, i == len(ps)-1)
		if p.text != "" {
			lineStart = false
		}
	}
}

// escapes says which characters of a line's literal text need a backslash.
type escapes struct{ star, under, tilde, link, pipes bool }

func (e escapes) write(b *strings.Builder, s string, lineStart, last bool) {
	if lineStart {
		t := strings.TrimLeft(s, " ")
		b.WriteString(s[:len(s)-len(t)])
		s = t
		if h := strings.TrimLeft(s, "#"); len(h) < len(s) && len(s)-len(h) <= 6 && (h == "" || h[0] == ' ') {
			b.WriteByte('\\') // "# 1 priority" is not a heading in Slack
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		next := byte(0)
		if i+1 < len(s) {
			next = s[i+1]
		}
		prev := byte(' ')
		if i > 0 {
			prev = s[i-1]
		}
		switch {
		case c == '\\' && (isASCIIPunct(next) || (i+1 == len(s) && !last)):
			// Before punctuation, or before the Markdown that follows this text, a \ would escape it.
		case c == '*' && e.star && !(isSpace(prev) && isSpace(next)):
		case c == '_' && e.under && !(isAlnum(prev) && isAlnum(next)) && !(isSpace(prev) && isSpace(next)):
		case c == '~' && e.tilde:
		case (c == '[' || c == ']') && e.link:
		case c == '|' && e.pipes:
		case c == '<' && syntaxAfterLT(s[i+1:]):
		case c == '`':
		default:
			b.WriteByte(c)
			continue
		}
		b.WriteByte('\\')
		b.WriteByte(c)
	}
}

// syntaxAfterLT reports whether a literal < followed by s would be read as syntax: an autolink
// (<https://…>, <mailto:…>) or one of Discord's tokens (<@id>, <#id>, <:emoji:id>, <t:…>). "<vpn>" is
// none and needs no escaping.
func syntaxAfterLT(s string) bool {
	end := strings.IndexByte(s, '>')
	if end <= 0 {
		return false
	}
	return strings.IndexByte("@#!/:", s[0]) >= 0 || strings.IndexByte(s[:end], ':') > 0
}

// countFlanking counts the c in s that touch text on at least one side: those that could open or close
// emphasis. An _ inside a word cannot, and is not counted.
func countFlanking(s string, c byte) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] != c {
			continue
		}
		prev, next := byte(' '), byte(' ')
		if i > 0 {
			prev = s[i-1]
		}
		if i+1 < len(s) {
			next = s[i+1]
		}
		if isSpace(prev) && isSpace(next) {
			continue
		}
		if c == '_' && isAlnum(prev) && isAlnum(next) {
			continue
		}
		n++
	}
	return n
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' }

func firstOf(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func isASCIIPunct(c byte) bool {
	return c < utf8.RuneSelf && c > ' ' && c != 0x7f && !isAlnum(c)
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isPunct(r rune) bool { return unicode.IsPunct(r) || unicode.IsSymbol(r) }
