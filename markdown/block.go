package markdown

import (
	"strings"
	"unicode"
)

// Parse reads Markdown into a Document. Invalid UTF-8 becomes U+FFFD and line ends become \n, so
// renderers never see either. Each line outside a code block is one block.
func Parse(md string) *Node {
	md = strings.ToValidUTF8(md, "\uFFFD")
	md = strings.ReplaceAll(md, "\r\n", "\n")
	md = strings.ReplaceAll(md, "\r", "\n")
	doc := &Node{Kind: Document, Raw: md}
	var code *Node // the code block we are in
	var lines []string
	for line := range strings.SplitSeq(md, "\n") {
		if code != nil {
			if ClosesFence(line, code.Marker) {
				code.Literal, code.Closed, code.Trail, lines = codeText(lines), true, line, nil
				code = nil
			} else {
				lines = append(lines, line)
			}
			continue
		}
		if fence := OpenFence(line); fence != "" {
			code = &Node{Kind: CodeBlock, Raw: line, Marker: fence, Info: FenceInfo(line)}
			doc.AppendChild(code)
			continue
		}
		if isTableRule(line) {
			doc.AppendChild(&Node{Kind: TableRule, Raw: strings.TrimRight(line, " \t")})
			continue
		}
		doc.AppendChild(parseLine(line))
	}
	if code != nil {
		code.Literal = codeText(lines)
	}
	return doc
}

// codeText is the text of a code block's lines, each ending in \n, so that a block of one empty line
// ("```\n\n```") is told from an empty one ("```\n```").
func codeText(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	return strings.Join(lines, "\n") + "\n"
}

// parseLine reads one line outside code blocks: block syntax first, then its inlines.
func parseLine(line string) *Node {
	line = strings.TrimRight(line, " \t")
	t := strings.TrimLeft(line, " \t")
	n := &Node{Raw: line, Indent: line[:len(line)-len(t)]}
	at := len(n.Indent) // where t starts in line
	if strings.HasPrefix(t, ">") {
		// Chat shows one level of quote: ">> a" is quoted once, and ">" alone is an empty quoted line.
		inner := parseLine(strings.TrimLeft(t, "> \t"))
		n.Kind, n.Indent, n.Lead = Quote, "", line[:len(line)-len(inner.Raw)]
		n.AppendChild(inner)
		return n
	}
	switch {
	case t == "":
		n.Kind = BlankLine
	case isRule(t):
		n.Kind = Rule
	case heading(t) > 0:
		n.Kind, n.Level = Heading, heading(t)
		rest := t[n.Level:]
		n.inlines(line, at+n.Level+len(rest)-len(strings.TrimLeft(rest, " \t")), headingText(rest))
	case len(t) >= 2 && strings.IndexByte("-*+", t[0]) >= 0 && (t[1] == ' ' || t[1] == '\t'):
		n.Kind, n.Marker = ListItem, t[:1]
		n.inlines(line, at+len(t)-len(strings.TrimLeft(t[2:], " \t")), strings.TrimLeft(t[2:], " \t"))
	case orderedItem(t) > 0:
		m := orderedItem(t)
		n.Kind, n.Marker = ListItem, t[:m-1]
		n.inlines(line, at+len(t)-len(strings.TrimLeft(t[m:], " \t")), strings.TrimLeft(t[m:], " \t"))
	case len(t) >= 2 && t[0] == '|' && t[len(t)-1] == '|':
		n.Kind = TableRow
		inner := t[1 : len(t)-1]
		text := strings.TrimSpace(inner)
		n.inlines(line, at+1+len(inner)-len(strings.TrimLeftFunc(inner, unicode.IsSpace)), text)
	default:
		n.Kind = Paragraph
		n.inlines(line, at, t)
	}
	return n
}

// inlines reads text, which starts at byte at of line, as n's inlines; what is around it in line is n's
// Lead and Trail.
func (n *Node) inlines(line string, at int, text string) {
	n.Lead, n.Trail = line[:at], line[at+len(text):]
	parseInlines(n, text)
}

// isTableRule reports whether line is a table's header rule, like "|---|:---:|".
func isTableRule(line string) bool {
	t := strings.TrimSpace(line)
	return strings.Contains(t, "|") && strings.Contains(t, "-") && strings.Trim(t, "|-: ") == ""
}

// isRule reports whether a trimmed line is a thematic break: three or more of -, * or _ and spaces.
func isRule(t string) bool {
	if t == "" || strings.IndexByte("-*_", t[0]) < 0 {
		return false
	}
	return strings.Count(t, t[:1]) >= 3 && strings.Trim(t, t[:1]+" ") == ""
}

// heading returns the level of an ATX heading with text ("## Title" → 2), or 0 when t is not one.
func heading(t string) int {
	n := 0
	for n < len(t) && t[n] == '#' {
		n++
	}
	if n == 0 || n > 6 || n == len(t) || (t[n] != ' ' && t[n] != '\t') || headingText(t[n:]) == "" {
		return 0
	}
	return n
}

// headingText returns the text of a heading after its #s: " Title ##" → "Title". Closing #s count only
// after a space, so "C#" keeps its #.
func headingText(s string) string {
	h := strings.TrimSpace(s)
	if trimmed := strings.TrimRight(h, "#"); trimmed == "" || strings.HasSuffix(trimmed, " ") {
		h = strings.TrimSpace(trimmed)
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

// ParseInline reads one line of text as inlines only, into a Paragraph: for a title or a field name,
// where a leading # or - is text.
func ParseInline(line string) *Node {
	line = strings.ToValidUTF8(line, "\uFFFD")
	n := &Node{Kind: Paragraph, Raw: line}
	parseInlines(n, line)
	return n
}
