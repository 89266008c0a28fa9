package markdown

import "strings"

// Plain reads Markdown as plain text, one line per block: the words as people see them, without
// markup. Heading, bullet and quote marks (not the numbers of a numbered list), emphasis and strike markers, code ticks and backslash escapes
// go; a link keeps its text and drops its destination ("[the guide](https://…)" reads "the guide");
// a table row's bars become spaces, rules and table rules go; a code block keeps its code.
func Plain(md string) string {
	var b strings.Builder
	b.Grow(len(md))
	for n := Parse(md).FirstChild; n != nil; n = n.Next {
		switch n.Kind {
		case CodeBlock:
			b.WriteString(n.Literal)
		case Quote:
			writePlain(&b, n.FirstChild)
			b.WriteByte('\n')
		case ListItem:
			if m := n.Marker; m[len(m)-1] == '.' || m[len(m)-1] == ')' {
				b.WriteString(m + " ") // a step's number says something
			}
			writePlain(&b, n)
			b.WriteByte('\n')
		case Paragraph, Heading:
			writePlain(&b, n)
			b.WriteByte('\n')
		case TableRow:
			var row strings.Builder
			writePlain(&row, n)
			b.WriteString(strings.ReplaceAll(row.String(), "|", " "))
			b.WriteByte('\n')
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// writePlain writes the text of n's inlines.
func writePlain(b *strings.Builder, n *Node) {
	for c := n.FirstChild; c != nil; c = c.Next {
		switch c.Kind {
		case Text, Escape, Code:
			b.WriteString(c.Literal)
		case Autolink, URL:
			b.WriteString(c.Dest)
		default:
			writePlain(b, c)
		}
	}
}
