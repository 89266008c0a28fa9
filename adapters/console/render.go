package console

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/firstline-desk/firstline/markdown"
)

// placeName writes a place as the console shows it: "#help", "@alice" (alice's DM with the bot), and
// "#tier2>m7" for the thread under m7.
func placeName(channel, thread string) string {
	p := channel
	if !isDM(channel) {
		p = "#" + channel
	}
	if thread != "" {
		p += ">" + thread
	}
	return p
}

// render writes a message as console lines: "[PLACE] ID AUTHOR: first line", then every other line
// indented by two spaces, so a script can tell where a message ends. A card's first line is its title
// and its fields follow on one line; buttons come last, numbered for /click. Blank lines are dropped:
// paragraphs matter less in a terminal than a compact transcript.
func render(m message, edited bool) []string {
	head := fmt.Sprintf("[%s] %s ", m.place(), m.ID)
	if edited {
		head += "(edited) "
	}
	head += m.Author + ":"
	text := textLines(m.Text)
	var first string
	switch {
	case m.Title != "":
		first = oneLine(m.Title)
	case len(text) > 0:
		first, text = text[0], text[1:]
	}
	lines := []string{strings.TrimRight(head+" "+first, " ")}
	if len(m.Fields) > 0 {
		parts := make([]string, 0, len(m.Fields))
		for _, f := range m.Fields {
			parts = append(parts, oneLine(f.Name)+": "+oneLine(f.Value))
		}
		lines = append(lines, "  "+strings.Join(parts, " | "))
	}
	for _, l := range text {
		lines = append(lines, "  "+l)
	}
	if len(m.Choices) > 0 {
		lines = append(lines, "  "+buttons(m))
	}
	return lines
}

// buttons lists a message's choices as "[1] Solved  [2] Not helpful", the numbers /click takes.
func buttons(m message) string {
	parts := make([]string, 0, len(m.Choices))
	for i, c := range m.Choices {
		parts = append(parts, fmt.Sprintf("[%d] %s", i+1, oneLine(c.Label)))
	}
	return strings.Join(parts, "  ")
}

// reactionLine writes "[PLACE] ID +NAME by AUTHOR" (sign "-" when a reaction is taken back).
func reactionLine(m message, sign, name, by string) string {
	return fmt.Sprintf("[%s] %s %s%s by %s", m.place(), m.ID, sign, name, by)
}

// textLines splits Markdown into the non-blank lines to print.
func textLines(s string) []string {
	var lines []string
	for _, l := range strings.Split(terminal(s), "\n") {
		l = strings.TrimRightFunc(l, unicode.IsSpace)
		if strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// oneLine flattens text to one line, for titles, fields and labels.
func oneLine(s string) string { return strings.Join(strings.Fields(terminal(s)), " ") }

// terminal makes Markdown fit a terminal, from the tree markdown.Parse reads: bold markers go (a terminal
// shows them as noise) while backticks, links, list marks and code blocks stay readable as they are
// written; control characters go too, so no text from an article or a user can move the cursor, recolour
// or retitle the terminal.
func terminal(s string) string {
	var b strings.Builder
	for n := markdown.Parse(s).FirstChild; n != nil; n = n.Next {
		if n.Prev != nil {
			b.WriteByte('\n')
		}
		writeBlock(&b, n)
	}
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' || !unicode.IsControl(r) {
			return r
		}
		return -1
	}, b.String())
}

// writeBlock writes one block as it was written, but for its inlines (see writeInline).
func writeBlock(b *strings.Builder, n *markdown.Node) {
	switch n.Kind {
	case markdown.CodeBlock:
		b.WriteString(n.Raw + "\n" + n.Literal + n.Trail)
	case markdown.Quote:
		b.WriteString(n.Lead)
		writeBlock(b, n.FirstChild)
	case markdown.Heading, markdown.ListItem, markdown.Paragraph, markdown.TableRow:
		b.WriteString(n.Lead)
		writeInlines(b, n)
		b.WriteString(n.Trail)
	default:
		b.WriteString(n.Raw)
	}
}

func writeInlines(b *strings.Builder, n *markdown.Node) {
	for c := n.FirstChild; c != nil; c = c.Next {
		writeInline(b, c)
	}
}

// writeInline writes an inline as it was written, without the markers of **bold**.
func writeInline(b *strings.Builder, n *markdown.Node) {
	switch n.Kind {
	case markdown.Emph, markdown.Strike:
		marker := n.Marker
		if marker == "**" {
			marker = ""
		}
		b.WriteString(marker)
		writeInlines(b, n)
		b.WriteString(marker)
	case markdown.Link, markdown.Image:
		tail := n.LinkTail()
		var text strings.Builder
		writeInlines(&text, n)
		b.WriteString(n.Raw[:len(n.Raw)-len(tail)-len(rawText(n))] + text.String() + tail)
	default:
		b.WriteString(n.Raw)
	}
}

// rawText is the source of n's children.
func rawText(n *markdown.Node) string {
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.Next {
		b.WriteString(c.Raw)
	}
	return b.String()
}

// reactionName normalizes a reaction as typed (":raising_hand:", "Raising_Hand") to its name, and
// reports whether it is one: letters, digits, "_", "+" and "-".
func reactionName(s string) (string, bool) {
	s = strings.ToLower(strings.Trim(strings.TrimSpace(s), ":"))
	if s == "" {
		return "", false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '+' || r == '-') {
			return "", false
		}
	}
	return s, true
}
