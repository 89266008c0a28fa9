package discord

import (
	"strings"

	mdast "github.com/firstline-desk/firstline/markdown"
)

// markdown renders Markdown (knowledge-base articles, bot messages) for Discord, from the tree
// markdown.Parse reads. Discord reads most of it natively: bold, italics, code, fenced blocks, masked
// links, lists, #–### headings and quotes are written as they were. What Discord would show differently
// is adapted: table rules are dropped and rows become plain lines, deeper headings become bold lines,
// __bold__ (underline in Discord) becomes **bold**, ~~~ fences become ```, nested quotes become one
// (">>> " would quote the rest of the message), + bullets become -, and images become links.
//
// Whatever the input, the result cannot notify anyone: @everyone and @here (any case) and the mention
// syntax <@id>, <@!id>, <@&id> and <#id> are broken with a zero-width space, code included. Messages are
// also sent with allowed mentions set to none; this makes the text itself harmless too, should it ever be
// sent another way. The time taken is linear in the input.
func markdown(md string) string {
	var b strings.Builder
	b.Grow(len(md) + len(md)/8)
	first := true
	for n := mdast.Parse(md).FirstChild; n != nil; n = n.Next {
		if n.Kind == mdast.TableRule {
			continue // a table's |---|---| row means nothing once the table is plain lines
		}
		if !first {
			b.WriteByte('\n')
		}
		first = false
		writeBlock(&b, n)
	}
	return defuse(b.String())
}

// writeBlock renders one block: a line, or a code block.
func writeBlock(b *strings.Builder, n *mdast.Node) {
	switch n.Kind {
	case mdast.CodeBlock:
		// Discord has one kind of fence: three backticks. It knows no ~~~, and a longer fence would make
		// the reopening line of a split block as long as the input likes. An unclosed block is closed, so
		// that it does not swallow what follows it and splitting can count on balanced fences.
		b.WriteString("```")
		if f := strings.Fields(n.Info); len(f) > 0 && len(f[0]) <= maxLang {
			b.WriteString(f[0])
		}
		b.WriteString("\n" + n.Literal + "```")
	case mdast.Quote:
		b.WriteString("> ")
		writeBlock(b, n.FirstChild)
	case mdast.Rule:
		b.WriteString(n.Raw)
	case mdast.Heading:
		if n.Level <= 3 {
			b.WriteString(strings.Repeat("#", n.Level) + " ")
			writeInlines(b, n, false)
		} else {
			b.WriteString("**") // Discord has only three heading levels
			writeInlines(b, n, true)
			b.WriteString("**")
		}
	case mdast.ListItem:
		marker := n.Marker
		if marker == "+" {
			marker = "-" // Discord lists start with - or *
		}
		b.WriteString(n.Indent + marker + " ")
		writeInlines(b, n, false)
	case mdast.Paragraph:
		b.WriteString(n.Indent)
		writeInlines(b, n, false)
	case mdast.TableRow:
		writeInlines(b, n, false)
	}
}

// writeInlines renders the inlines of n as Discord reads them, mostly as written. In a heading shown as a
// bold line, inner bold is dropped: bold cannot nest in bold.
func writeInlines(b *strings.Builder, n *mdast.Node, inBold bool) {
	for c := n.FirstChild; c != nil; c = c.Next {
		writeInline(b, c, inBold)
	}
}

func writeInline(b *strings.Builder, n *mdast.Node, inBold bool) {
	switch n.Kind {
	case mdast.Text:
		b.WriteString(n.Literal)
	case mdast.Emph:
		marker := n.Marker
		switch {
		case n.Level == 2 && inBold:
			marker = ""
		case marker == "__":
			marker = "**" // __bold__ is bold in Markdown, underline in Discord
		}
		b.WriteString(marker)
		writeInlines(b, n, inBold || n.Level == 2)
		b.WriteString(marker)
	case mdast.Strike:
		b.WriteString(n.Marker)
		writeInlines(b, n, inBold)
		b.WriteString(n.Marker)
	case mdast.Link, mdast.Image:
		// Discord shows no images in text: an image becomes a link to it.
		b.WriteByte('[')
		writeInlines(b, n, inBold)
		b.WriteString(n.LinkTail())
	default:
		// Escapes (Discord honours the same), code spans, autolinks and bare URLs (whose underscores are
		// not emphasis) are written as they are.
		b.WriteString(n.Raw)
	}
}

// defuse breaks every mass mention and every mention syntax in s with a zero-width space: after the @ of
// @everyone and @here in any case, and after a < that a @ or # follows (also behind backslashes, which
// Discord's Markdown could unescape). It only inserts, so it cannot make a mention out of anything.
func defuse(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); i++ {
		c := s[i]
		b.WriteByte(c)
		switch c {
		case '@':
			if massMention(s[i+1:]) {
				b.WriteString(zwsp)
			}
		case '<':
			j := i + 1
			for j < len(s) && s[j] == '\\' {
				j++ // each backslash run follows at most one <, so this stays linear
			}
			if j < len(s) && (s[j] == '@' || s[j] == '#') {
				b.WriteString(zwsp)
			}
		}
	}
	return b.String()
}

// massMention reports whether s, just after an @, starts with everyone or here in any case.
func massMention(s string) bool {
	for _, w := range [...]string{"everyone", "here"} {
		if len(s) >= len(w) && strings.EqualFold(s[:len(w)], w) {
			return true
		}
	}
	return false
}
