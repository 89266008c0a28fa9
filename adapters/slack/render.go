package slack

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	slackapi "github.com/slack-go/slack"

	"github.com/firstline-desk/firstline/bot"
)

// Slack's Block Kit limits (https://docs.slack.dev/reference/block-kit). Lengths are characters of the
// text as sent, entities included, which is also how slack-go's Validate counts them.
const (
	maxBlocks      = 50   // blocks in one message
	maxHeader      = 150  // header text
	maxSectionText = 3000 // section text
	maxFields      = 10   // fields in one section
	maxFieldText   = 2000 // one field's text
	maxActions     = 25   // elements in one actions block
	maxButtonText  = 75   // button label
	maxActionID    = 255  // action_id
	maxButtonValue = 2000 // button value
	maxFallback    = 150  // ours, not Slack's: a notification shows about one line

	choicesBlockID = "firstline_choices"
	fallbackText   = "Firstline"
	zwsp           = "\u200b" // zero-width space: breaks "@here" for Slack's parser, invisible to people
)

// mrkdwn renders Markdown (knowledge-base articles, bot messages) as Slack mrkdwn.
//
// Slack parses &, < and > as its own syntax, so they are always escaped: the only < in the result opens a
// link this function made to an http, https or mailto URL, and the only raw > closes one or starts a
// quote. No input can produce <!here>, <!channel>, <@U…> or <#C…>. Plain @here, @channel and @everyone
// are defused with a zero-width space too, code included. Inline syntax works within a line; the time
// taken is linear in the input.
func mrkdwn(md string) string {
	md = strings.ToValidUTF8(md, "\uFFFD")
	md = strings.ReplaceAll(md, "\r\n", "\n")
	md = strings.ReplaceAll(md, "\r", "\n")
	var b strings.Builder
	b.Grow(len(md) + len(md)/8)
	fence := "" // the fence that opened the code block we are in
	first := true
	for line := range strings.SplitSeq(md, "\n") {
		if fence == "" && isTableRule(line) {
			continue // a table's |---|---| row means nothing once the table is plain lines
		}
		if !first {
			b.WriteByte('\n')
		}
		first = false
		switch {
		case fence != "":
			if closesFence(line, fence) {
				b.WriteString("```")
				fence = ""
			} else {
				writeEscaped(&b, line)
			}
		case opensFence(line) != "":
			fence = opensFence(line)
			b.WriteString("```") // Slack has no language tag
		default:
			writeLine(&b, line)
		}
	}
	if fence != "" {
		b.WriteString("\n```") // so an unclosed block does not swallow what Slack shows after it
	}
	return b.String()
}

// opensFence returns the fence (``` or ~~~, three or more) a line opens a code block with, or "".
func opensFence(line string) string {
	t := strings.TrimLeft(line, " ")
	if len(t) < 3 || (t[0] != '`' && t[0] != '~') {
		return ""
	}
	n := 0
	for n < len(t) && t[n] == t[0] {
		n++
	}
	if n < 3 {
		return ""
	}
	return t[:n]
}

// closesFence reports whether line closes a block opened by fence: the same character, at least as many.
func closesFence(line, fence string) bool {
	t := strings.TrimSpace(line)
	return len(t) >= len(fence) && strings.Count(t, fence[:1]) == len(t)
}

// isTableRule reports whether line is a table's header rule, like "|---|:---:|".
func isTableRule(line string) bool {
	t := strings.TrimSpace(line)
	return strings.Contains(t, "|") && strings.Contains(t, "-") && strings.Trim(t, "|-: ") == ""
}

// isRule reports whether a trimmed line is a thematic break: three or more of -, * or _ and spaces.
func isRule(t string) bool {
	if t == "" || !strings.ContainsRune("-*_", rune(t[0])) {
		return false
	}
	return strings.Count(t, t[:1]) >= 3 && strings.Trim(t, t[:1]+" ") == ""
}

// writeLine renders one line outside code blocks: block syntax first, then its inline syntax.
func writeLine(b *strings.Builder, line string) {
	line = strings.TrimRight(line, " \t")
	t := strings.TrimLeft(line, " \t")
	indent := line[:len(line)-len(t)]
	if strings.HasPrefix(t, ">") {
		// Slack has one level of quote. Its > must stay raw (Slack shows &gt; as a character); a raw >
		// cannot close anything, since every < from the input is escaped.
		b.WriteString("> ")
		t = strings.TrimLeft(t, "> \t")
		indent = ""
	}
	switch {
	case t == "":
	case isRule(t):
		b.WriteString("———")
	case heading(t) != "":
		b.WriteByte('*')
		writeInline(b, heading(t), true)
		b.WriteByte('*')
	case len(t) >= 2 && strings.ContainsRune("-*+", rune(t[0])) && (t[1] == ' ' || t[1] == '\t'):
		b.WriteString(indent)
		b.WriteString("• ")
		writeInline(b, strings.TrimLeft(t[2:], " \t"), false)
	case orderedItem(t) > 0:
		n := orderedItem(t)
		b.WriteString(indent)
		b.WriteString(t[:n-2])
		b.WriteString(". ")
		writeInline(b, strings.TrimLeft(t[n:], " \t"), false)
	case len(t) >= 2 && t[0] == '|' && t[len(t)-1] == '|':
		writeInline(b, strings.TrimSpace(t[1:len(t)-1]), false)
	default:
		b.WriteString(indent)
		writeInline(b, t, false)
	}
}

// heading returns the text of an ATX heading ("## Title ##" → "Title"), or "" when t is not one.
func heading(t string) string {
	n := 0
	for n < len(t) && t[n] == '#' {
		n++
	}
	if n == 0 || n > 6 || n == len(t) || (t[n] != ' ' && t[n] != '\t') {
		return ""
	}
	h := strings.TrimSpace(t[n:])
	if trimmed := strings.TrimRight(h, "#"); trimmed == "" || strings.HasSuffix(trimmed, " ") {
		h = strings.TrimSpace(trimmed) // closing hashes count only after a space
	}
	return h
}

// orderedItem returns the length of an ordered list marker with its space ("12. " → 4), or 0.
func orderedItem(t string) int {
	n := 0
	for n < len(t) && n < 9 && t[n] >= '0' && t[n] <= '9' {
		n++
	}
	if n == 0 || n+1 >= len(t) || (t[n] != '.' && t[n] != ')') || (t[n+1] != ' ' && t[n+1] != '\t') {
		return 0
	}
	return n + 2
}

// writeEscaped writes text Slack must show as is: entities for &, < and >, mass mentions defused.
func writeEscaped(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '@':
			b.WriteByte('@')
			if massMention(s[i+1:]) {
				b.WriteString(zwsp)
			}
		default:
			b.WriteByte(c)
		}
	}
}

// massMention reports whether s, just after an @, starts with here, channel or everyone in any case.
func massMention(s string) bool {
	for _, w := range [...]string{"here", "channel", "everyone"} {
		if len(s) >= len(w) && strings.EqualFold(s[:len(w)], w) {
			return true
		}
	}
	return false
}

// escapeURL makes a URL safe inside <url|text>: & is escaped as everywhere, and |, < and > (which would
// end the URL early) are percent-encoded.
func escapeURL(u string) string {
	return strings.NewReplacer("&", "&amp;", "|", "%7C", "<", "%3C", ">", "%3E").Replace(u)
}

// linkable reports whether u may become a Slack link: only http, https and mailto, so a link can never
// be <!here> or <@U…> in disguise, and no spaces, which Markdown does not allow in one either.
func linkable(u string) bool {
	l := strings.ToLower(u[:min(len(u), len("https://"))])
	for _, scheme := range [...]string{"http://", "https://", "mailto:"} {
		if len(u) > len(scheme) && strings.HasPrefix(l, scheme) {
			return strings.IndexFunc(u, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) < 0
		}
	}
	return false
}

// writeInline renders the inline syntax of one line. In a heading, which Slack shows as a bold line, bold
// markers are dropped: Slack cannot nest bold in bold.
func writeInline(b *strings.Builder, s string, inHeading bool) {
	p := inline{s: s, heading: inHeading, open: map[string]int{}}
	p.parse()
	for _, piece := range p.out {
		b.WriteString(piece)
	}
}

// delim is an emphasis run that may open a span, waiting for its closer.
type delim struct {
	run string // "*", "**", "***", "_", "__", "___" or "~~"
	at  int    // its piece in out, rewritten to Slack's marker when a closer matches
}

// found remembers the last answer of a search, so repeated searches over the same line stay linear.
type found struct {
	from, at int
	ok       bool
}

// inline parses one line. Emphasis follows CommonMark's flanking rules (so snake_case and 2 * 3 stay
// as they are) with a simpler matching: a closer matches the nearest opener of the same run, and openers
// between them stay literal.
type inline struct {
	s       string
	heading bool
	out     []string
	stack   []delim
	open    map[string]int // openers on the stack by run, to skip searches bound to fail
	next    map[byte]found
	ticks   map[int][]int // backtick runs by length: their positions, for matching code spans
	tickPos map[int]int   // how far each list in ticks has been consumed
}

func (p *inline) parse() {
	s := p.s
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && isASCIIPunct(s[i+1]):
			switch e := s[i+1]; {
			case e == '&' || e == '<' || e == '>':
				// Escaped, these are text: "\<https://x>" is no link, so it must not reach the autolink below.
				p.out = append(p.out, map[byte]string{'&': "&amp;", '<': "&lt;", '>': "&gt;"}[e])
			case e == '@':
				p.out = append(p.out, "@")
				if massMention(s[i+2:]) {
					p.out = append(p.out, zwsp)
				}
			case strings.IndexByte("*_~`", e) >= 0:
				// Slack has no escapes: a literal marker is fenced with zero-width spaces, so that it touches
				// no space or punctuation and can neither open nor close formatting ("\*literal\*" is not
				// bold in Slack).
				p.out = append(p.out, zwsp+s[i+1:i+2]+zwsp)
			default:
				p.out = append(p.out, s[i+1:i+2])
			}
			i += 2
		case c == '`':
			i = p.code(i)
		case c == '*' || c == '_' || c == '~':
			i = p.emphasis(i)
		case c == '[' || (c == '!' && i+1 < len(s) && s[i+1] == '['):
			i = p.link(i)
		case c == '<':
			i = p.autolink(i)
		case c == '&':
			p.out = append(p.out, "&amp;")
			i++
		case c == '>':
			p.out = append(p.out, "&gt;")
			i++
		case c == '@':
			p.out = append(p.out, "@")
			if massMention(s[i+1:]) {
				p.out = append(p.out, zwsp)
			}
			i++
		case p.bareURL(i):
			i = p.url(i)
		default:
			j := i + 1
			for j < len(s) && !p.special(j) {
				j++
			}
			p.out = append(p.out, s[i:j])
			i = j
		}
	}
}

// special reports whether the byte at i may start syntax; text runs up to the next such byte.
func (p *inline) special(i int) bool {
	if strings.IndexByte("\\`*_~[!<&>@", p.s[i]) >= 0 {
		return true
	}
	return p.bareURL(i)
}

// index returns the position of the first c at or after i, or -1. Searches for the same byte come with
// i growing, so the last answer usually still holds and a line full of unmatched [ costs one scan.
func (p *inline) index(c byte, i int) int {
	if p.next == nil {
		p.next = map[byte]found{}
	}
	if f := p.next[c]; f.ok && i >= f.from && (f.at < 0 || f.at >= i) {
		return f.at
	}
	at := strings.IndexByte(p.s[i:], c)
	if at >= 0 {
		at += i
	}
	p.next[c] = found{from: i, at: at, ok: true}
	return at
}

// code renders a code span opening at i: contents escaped but otherwise untouched.
func (p *inline) code(i int) int {
	n := runLen(p.s, i)
	if p.ticks == nil {
		p.ticks, p.tickPos = map[int][]int{}, map[int]int{}
		for j := i; j < len(p.s); {
			if p.s[j] != '`' {
				j++
				continue
			}
			k := runLen(p.s, j)
			p.ticks[k] = append(p.ticks[k], j)
			j += k
		}
	}
	list, k := p.ticks[n], p.tickPos[n]
	for k < len(list) && list[k] <= i {
		k++
	}
	p.tickPos[n] = k
	if k == len(list) {
		p.out = append(p.out, p.s[i:i+n]) // no closer: literal backticks
		return i + n
	}
	body := p.s[i+n : list[k]]
	if len(body) >= 2 && body[0] == ' ' && body[len(body)-1] == ' ' && strings.Trim(body, " ") != "" {
		body = body[1 : len(body)-1]
	}
	var b strings.Builder
	b.WriteByte('`')
	writeEscaped(&b, body)
	b.WriteByte('`')
	p.out = append(p.out, b.String())
	return list[k] + n
}

// emphasis handles a run of *, _ or ~ at i.
func (p *inline) emphasis(i int) int {
	s := p.s
	j := i + runLen(s, i)
	run := s[i:j]
	if len(run) > 3 || (s[i] == '~' && len(run) != 2) {
		p.out = append(p.out, run)
		return j
	}
	before, after := ' ', ' '
	if i > 0 {
		before, _ = utf8.DecodeLastRuneInString(s[:i])
	}
	if j < len(s) {
		after, _ = utf8.DecodeRuneInString(s[j:])
	}
	left := !unicode.IsSpace(after) && (!isPunct(after) || unicode.IsSpace(before) || isPunct(before))
	right := !unicode.IsSpace(before) && (!isPunct(before) || unicode.IsSpace(after) || isPunct(after))
	canOpen, canClose := left, right
	if s[i] == '_' {
		canOpen = left && (!right || isPunct(before))
		canClose = right && (!left || isPunct(after))
	}
	opener, closer := p.markers(run)
	switch {
	case canClose && p.open[run] > 0:
		for {
			d := p.stack[len(p.stack)-1]
			p.stack = p.stack[:len(p.stack)-1]
			p.open[d.run]--
			if d.run == run {
				p.out[d.at] = opener
				break
			}
		}
		p.out = append(p.out, closer)
	case canOpen:
		p.stack = append(p.stack, delim{run: run, at: len(p.out)})
		p.open[run]++
		p.out = append(p.out, run) // literal unless a closer comes
	default:
		p.out = append(p.out, run)
	}
	return j
}

// markers returns Slack's markers for a Markdown emphasis run.
func (p *inline) markers(run string) (opener, closer string) {
	switch {
	case run == "~~":
		return "~", "~"
	case len(run) == 1:
		return "_", "_"
	case p.heading && len(run) == 2:
		return "", ""
	case p.heading:
		return "_", "_"
	case len(run) == 2:
		return "*", "*"
	default:
		return "*_", "_*"
	}
}

// link renders [text](url) and ![alt](url) at i.
func (p *inline) link(i int) int {
	s := p.s
	start := i + 1
	if s[i] == '!' {
		start++
	}
	end := p.index(']', start)
	if end < 0 || end+1 >= len(s) || s[end+1] != '(' {
		p.out = append(p.out, s[i:start])
		return start
	}
	closing := p.index(')', end+2)
	if closing < 0 {
		p.out = append(p.out, s[i:start])
		return start
	}
	dest := strings.TrimSpace(s[end+2 : closing])
	if f := strings.Fields(dest); len(f) > 0 {
		dest = f[0] // drop a "title"
	}
	dest = strings.TrimSuffix(strings.TrimPrefix(dest, "<"), ">")
	text := strings.TrimSpace(s[start:end])
	var b strings.Builder
	switch {
	case linkable(dest) && text == "":
		b.WriteString("<" + escapeURL(dest) + ">")
	case linkable(dest):
		b.WriteString("<" + escapeURL(dest) + "|")
		writeEscaped(&b, text)
		b.WriteString(">")
	default:
		// A relative or odd destination cannot be a link in Slack; show it rather than lose it.
		writeEscaped(&b, text)
		if dest != "" {
			b.WriteString(" (")
			writeEscaped(&b, dest)
			b.WriteString(")")
		}
	}
	p.out = append(p.out, b.String())
	return closing + 1
}

// autolink renders <https://…> at i, or an escaped < when it is not one. A candidate with another < in it
// is not one, which also keeps a line of many < before one > linear.
func (p *inline) autolink(i int) int {
	end, lt := p.index('>', i+1), p.index('<', i+1)
	if end > 0 && (lt < 0 || lt > end) && linkable(p.s[i+1:end]) {
		p.out = append(p.out, "<"+escapeURL(p.s[i+1:end])+">")
		return end + 1
	}
	p.out = append(p.out, "&lt;")
	return i + 1
}

// bareURL reports whether an http or https URL starts at i, at the start of a word. With verbatim text
// Slack links nothing by itself, so bare URLs are linked here.
func (p *inline) bareURL(i int) bool {
	s := p.s
	if s[i] != 'h' || (i > 0 && isAlnum(s[i-1])) {
		return false
	}
	for _, scheme := range [...]string{"https://", "http://"} {
		if strings.HasPrefix(s[i:], scheme) && len(s) > i+len(scheme) && !isURLEnd(s[i+len(scheme)]) {
			return true
		}
	}
	return false
}

// url renders the bare URL at i, leaving out the punctuation that ends the sentence around it.
func (p *inline) url(i int) int {
	s := p.s
	j := i
	for j < len(s) && !isURLEnd(s[j]) {
		j++
	}
	u := s[i:j]
	unopened := strings.Count(u, ")") - strings.Count(u, "(") // a final ) belongs to the URL if it has a (
	for {
		switch {
		case strings.IndexByte(".,;:!?'\"*_~]", u[len(u)-1]) >= 0:
			u = u[:len(u)-1]
		case u[len(u)-1] == ')' && unopened > 0:
			u = u[:len(u)-1]
			unopened--
		default:
			p.out = append(p.out, "<"+escapeURL(u)+">")
			return i + len(u)
		}
	}
}

func isURLEnd(c byte) bool { return c <= ' ' || c == '<' || c == '>' || c == '`' || c == '"' }

func runLen(s string, i int) int {
	n := 1
	for i+n < len(s) && s[i+n] == s[i] {
		n++
	}
	return n
}

func isASCIIPunct(c byte) bool {
	return c < utf8.RuneSelf && c > ' ' && c != 0x7f && !isAlnum(c)
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isPunct(r rune) bool { return unicode.IsPunct(r) || unicode.IsSymbol(r) }

// blocks renders a post as Block Kit: a header for the title, sections for the text and the fields, and
// actions blocks of buttons for the choices. fallback is the message's plain text, which Slack shows in
// notifications and where blocks cannot be shown; it is mrkdwn, already escaped, and never empty.
//
// Every mrkdwn text is verbatim, so Slack does not link channel names or parse mentions by itself, and
// every plain text has mentions defused, so nothing in a post can notify anyone.
func blocks(p bot.Post) (fallback string, blocks []slackapi.Block) {
	title := oneLine(p.Title)
	if title != "" {
		blocks = append(blocks, slackapi.NewHeaderBlock(plainText(title, maxHeader)))
	}
	text := strings.TrimSpace(mrkdwn(p.Text))
	if ping := notify(p.Notify); ping != "" {
		text = ping + " " + text
	}
	fields := fieldSections(p.Fields)
	choices := actionBlocks(p.Choices)
	room := max(maxBlocks-len(blocks)-len(fields)-len(choices), 1)
	for _, part := range splitText(text, maxSectionText, room) {
		blocks = append(blocks, slackapi.NewSectionBlock(mrkdwnText(part), nil, nil))
	}
	blocks = append(blocks, fields...)
	blocks = append(blocks, choices...)
	return notification(title, text), blocks
}

// notification is a post's one-line fallback: its title, or else the first line of its text.
func notification(title, text string) string {
	line := ""
	if title != "" {
		line = strings.TrimSpace(mrkdwn(title))
	}
	for rest := text; line == "" && rest != ""; {
		var l string
		l, rest, _ = strings.Cut(rest, "\n")
		if l = strings.TrimSpace(l); l != "```" {
			line = l
		}
	}
	if line == "" {
		return fallbackText
	}
	return clip(line, maxFallback)
}

// fieldSections renders fields as "*Name*\nValue", up to ten in a section.
func fieldSections(fields []bot.Field) []slackapi.Block {
	var texts []*slackapi.TextBlockObject
	for _, f := range fields {
		var b strings.Builder
		if name := oneLine(f.Name); name != "" {
			b.WriteByte('*')
			writeInline(&b, name, true)
			b.WriteByte('*')
		}
		if value := strings.TrimSpace(mrkdwn(f.Value)); value != "" {
			if b.Len() > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(value)
		}
		if b.Len() == 0 {
			continue // Slack rejects an empty text
		}
		texts = append(texts, mrkdwnText(clip(b.String(), maxFieldText)))
	}
	var out []slackapi.Block
	for len(texts) > 0 {
		n := min(len(texts), maxFields)
		out = append(out, slackapi.NewSectionBlock(nil, texts[:n], nil))
		texts = texts[n:]
	}
	return out
}

// actionBlocks renders choices as buttons, up to 25 in an actions block. The value is the choice's id,
// which a click reports; action_id must be unique in a message, so a repeated id gets a suffix there.
func actionBlocks(choices []bot.Choice) []slackapi.Block {
	var out []slackapi.Block
	var buttons []slackapi.BlockElement
	seen := map[string]bool{}
	flush := func() {
		if len(buttons) == 0 {
			return
		}
		id := choicesBlockID
		if len(out) > 0 {
			id += "_" + strconv.Itoa(len(out)+1)
		}
		out = append(out, slackapi.NewActionBlock(id, buttons...))
		buttons = nil
	}
	for i, c := range choices {
		label := oneLine(c.Label)
		if label == "" {
			label = oneLine(c.ID)
		}
		if label == "" {
			label = "Choice " + strconv.Itoa(i+1)
		}
		actionID := uniqueID(truncate(c.ID, maxActionID-8), seen)
		btn := slackapi.NewButtonBlockElement(actionID, truncate(c.ID, maxButtonValue), plainText(label, maxButtonText))
		switch c.Style {
		case bot.StylePrimary:
			btn.WithStyle(slackapi.StylePrimary)
		case bot.StyleDanger:
			btn.WithStyle(slackapi.StyleDanger)
		}
		buttons = append(buttons, btn)
		if len(buttons) == maxActions {
			flush()
		}
	}
	flush()
	return out
}

// uniqueID returns id, or id with the first free suffix "_2", "_3"… when seen has it, and marks it seen.
func uniqueID(id string, seen map[string]bool) string {
	if id == "" {
		id = "choice"
	}
	candidate := id
	for n := 2; seen[candidate]; n++ {
		candidate = id + "_" + strconv.Itoa(n)
	}
	seen[candidate] = true
	return candidate
}

// mrkdwnText is a verbatim mrkdwn text object: Slack shows it as written, without auto-linking or
// parsing mentions.
func mrkdwnText(s string) *slackapi.TextBlockObject {
	return slackapi.NewTextBlockObject(slackapi.MarkdownType, s, false, true)
}

// plainText is a plain_text object of at most max characters. Plain text is not parsed for mentions,
// but it is defused all the same, so no message the bot sends contains one in any form.
func plainText(s string, limit int) *slackapi.TextBlockObject {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteByte(s[i])
		switch {
		case s[i] == '@' && massMention(s[i+1:]):
			b.WriteString(zwsp)
		case s[i] == '<' && i+1 < len(s) && strings.IndexByte("!@#", s[i+1]) >= 0:
			b.WriteString(zwsp)
		}
	}
	return slackapi.NewTextBlockObject(slackapi.PlainTextType, clip(b.String(), limit), true, false)
}

// oneLine collapses all whitespace, newlines included, to single spaces.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ToValidUTF8(s, "\uFFFD")), " ")
}

// truncate cuts s to at most n bytes without splitting a character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// clip cuts s to at most limit characters, ending it with "…" when it had to cut.
func clip(s string, limit int) string {
	if head, rest := cut(s, limit); rest == "" {
		return head
	}
	head, _ := cut(s, limit-1)
	return strings.TrimRight(head, " \n") + "…"
}

// splitText cuts rendered mrkdwn into section texts of at most limit characters each and at most room of
// them; what does not fit in room is dropped with an ellipsis (Slack takes 50 blocks). A code block cut in
// two is closed and reopened, so both halves still show as code.
func splitText(s string, limit, room int) []string {
	const (
		reopen  = "```\n"
		reclose = "\n```"
		more    = "\n…"
	)
	var parts []string
	inCode := false
	for s != "" && room > 0 {
		prefix := ""
		if inCode {
			prefix = reopen
		}
		head, rest := cut(s, limit-len(prefix))
		if rest != "" {
			head, rest = cut(s, limit-len(prefix)-len(reclose)-len(more))
		}
		for line := range strings.SplitSeq(head, "\n") {
			if strings.TrimSpace(line) == "```" {
				inCode = !inCode
			}
		}
		part := prefix + strings.Trim(head, "\n")
		if inCode && rest != "" {
			part += reclose
		}
		room--
		if room == 0 && rest != "" {
			part += more
		}
		if strings.TrimSpace(part) != "" {
			parts = append(parts, part)
		}
		s = rest
	}
	return parts
}

// cut splits s after at most limit characters (limit ≥ 1). It cuts at the best boundary it finds: a blank line
// late enough to fill half the part, else a line break, else a space, preferring late ones; only a word
// longer than limit is cut between characters, and then never inside an entity or a <link>. rest has the
// whitespace at the cut removed.
func cut(s string, limit int) (head, rest string) {
	end, n := 0, 0
	para, line, space := -1, -1, -1
	link, amp := -1, -1 // where the <link> or &entity we may be inside starts
	for end < len(s) && n < limit {
		switch s[end] {
		case '\n':
			if link < 0 {
				line = end
				if end > 0 && s[end-1] == '\n' {
					para = end - 1
				}
			}
		case ' ':
			if link < 0 {
				space = end
			}
		case '<':
			link = end
		case '>':
			link = -1
		case '&':
			amp = end
		case ';':
			amp = -1
		}
		_, size := utf8.DecodeRuneInString(s[end:])
		end += size
		n++
	}
	if end == len(s) {
		return s, ""
	}
	if link < 0 && (s[end] == '\n' || s[end] == ' ') {
		return s[:end], strings.TrimLeft(s[end:], " \n") // the limit falls on a boundary
	}
	at := -1
	for _, b := range [...]int{para, line, space} {
		if b >= end/2 {
			at = b
			break
		}
	}
	if at < 0 {
		at = max(line, space)
	}
	if at > 0 {
		return s[:at], strings.TrimLeft(s[at:], " \n")
	}
	switch {
	case link > 0:
		end = link
	case amp > 0:
		end = amp
	}
	return s[:end], s[end:]
}

// normalizeReaction turns a Slack reaction name into the name Firstline configures: without skin tone
// ("+1::skin-tone-2"), and with Slack's aliases for the same emoji mapped to one name.
func normalizeReaction(name string) string {
	name = strings.ToLower(strings.Trim(strings.TrimSpace(name), ":"))
	name, _, _ = strings.Cut(name, "::")
	switch name {
	case "thumbsup":
		return "+1"
	case "thumbsdown":
		return "-1"
	}
	return name
}

// notify renders the groups a post deliberately pings (bot.Post.Notify) as Slack user-group mentions.
// It is the only way a mention reaches Slack: ids are checked to be ids, and text is escaped by mrkdwn.
func notify(groups []string) string {
	var out []string
	for _, g := range groups {
		rest, ok := strings.CutPrefix(g, "slack:subteam:")
		if !ok || rest == "" || strings.IndexFunc(rest, func(r rune) bool { return !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') }) >= 0 {
			continue
		}
		out = append(out, "<!subteam^"+rest+">")
	}
	return strings.Join(out, " ")
}
