package console

import (
	"fmt"
	"strings"
	"unicode"
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
	for _, l := range strings.Split(clean(s), "\n") {
		l = strings.TrimRightFunc(l, unicode.IsSpace)
		if strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// oneLine flattens text to one line, for titles, fields and labels.
func oneLine(s string) string { return strings.Join(strings.Fields(clean(s)), " ") }

// clean makes Markdown fit a terminal: bold markers go (a terminal shows them as noise) while backticks,
// links and list dashes stay readable as they are; control characters go too, so no text from an article
// or a user can move the cursor, recolour or retitle the terminal.
func clean(s string) string {
	s = strings.ReplaceAll(s, "**", "")
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' || !unicode.IsControl(r) {
			return r
		}
		return -1
	}, s)
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
