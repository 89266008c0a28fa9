package slack

import (
	"strings"
	"unicode"

	"github.com/firstline-desk/firstline/markdown"
)

const zwsp = "\u200b" // zero-width space: breaks "@here" for Slack's parser, invisible to people

// mrkdwn renders Markdown (knowledge-base articles, bot messages) as Slack mrkdwn, from the tree
// markdown.Parse reads.
//
// Slack parses &, < and > as its own syntax, so they are always escaped: the only < in the result opens a
// link this function made to an http, https or mailto URL, and the only raw > closes one or starts a
// quote. No input can produce <!here>, <!channel>, <@U…> or <#C…>. Plain @here, @channel and @everyone
// are defused with a zero-width space too, code included. Slack's formatting works within a line, as the
// chat subset of Markdown does; the time taken is linear in the input.
func mrkdwn(md string) string {
	var b strings.Builder
	b.Grow(len(md) + len(md)/8)
	first := true
	for n := markdown.Parse(md).FirstChild; n != nil; n = n.Next {
		if n.Kind == markdown.TableRule {
			continue // a table's |---|---| row means nothing once the table is plain lines
		}
		if !first {
			b.WriteByte('\n')
		}
		first = false
		writeBlock(&b, n)
	}
	return b.String()
}

// writeBlock renders one block: a line, or a code block.
func writeBlock(b *strings.Builder, n *markdown.Node) {
	switch n.Kind {
	case markdown.CodeBlock:
		b.WriteString("```\n") // Slack has no language tag
		writeEscaped(b, n.Literal, "")
		b.WriteString("```")
	case markdown.Quote:
		// Slack has one level of quote. Its > must stay raw (Slack shows &gt; as a character); a raw >
		// cannot close anything, since every < from the input is escaped.
		b.WriteString("> ")
		writeBlock(b, n.FirstChild)
	case markdown.Rule:
		b.WriteString("———")
	case markdown.Heading:
		b.WriteByte('*')
		writeInlines(b, n, true)
		b.WriteByte('*')
	case markdown.ListItem:
		b.WriteString(n.Indent)
		if m := n.Marker; m[len(m)-1] == '.' || m[len(m)-1] == ')' {
			b.WriteString(m[:len(m)-1] + ". ")
		} else {
			b.WriteString("• ")
		}
		writeInlines(b, n, false)
	case markdown.Paragraph:
		b.WriteString(n.Indent)
		writeInlines(b, n, false)
	case markdown.TableRow:
		writeInlines(b, n, false)
	}
}

// style is the formatting an inline is inside of. Slack cannot nest a style in itself ("_a _b__" is not
// italics in italics), so an inner span of a style already open is written without markers; a heading
// is bold already.
type style struct{ bold, italic, strike bool }

// writeInlines renders the inlines of n. In a heading, which Slack shows as a bold line, bold is dropped:
// Slack cannot nest bold in bold.
func writeInlines(b *strings.Builder, n *markdown.Node, inHeading bool) {
	writeSpans(b, n, style{bold: inHeading})
}

func writeSpans(b *strings.Builder, n *markdown.Node, in style) {
	for c := n.FirstChild; c != nil; c = c.Next {
		writeInline(b, c, in)
	}
}

func writeInline(b *strings.Builder, n *markdown.Node, in style) {
	switch n.Kind {
	case markdown.Text:
		writeEscaped(b, n.Literal, after(n))
	case markdown.Escape:
		switch e := n.Literal; {
		case strings.Contains("*_~`", e):
			// Slack has no escapes: a literal marker is fenced with zero-width spaces, so that it touches
			// no space or punctuation and can neither open nor close formatting ("\*literal\*" is not bold
			// in Slack, as it is not in Markdown).
			b.WriteString(zwsp + e + zwsp)
		default:
			writeEscaped(b, e, after(n))
		}
	case markdown.Code:
		b.WriteByte('`')
		writeEscaped(b, n.Literal, "")
		b.WriteByte('`')
	case markdown.Emph:
		if inner := n.FirstChild; n.Level == 1 && inner == n.LastChild && inner.Kind == markdown.Emph && inner.Level == 2 && !in.bold && !in.italic {
			// ***a***: bold outside, as Slack's own *_a_* is written.
			b.WriteString("*_")
			writeSpans(b, inner, style{bold: true, italic: true, strike: in.strike})
			b.WriteString("_*")
			return
		}
		marker, inner := "_", in
		if n.Level == 2 {
			marker, inner.bold = "*", true
			if in.bold {
				marker = ""
			}
		} else {
			inner.italic = true
			if in.italic {
				marker = ""
			}
		}
		b.WriteString(marker)
		writeSpans(b, n, inner)
		b.WriteString(marker)
	case markdown.Strike:
		marker, inner := "~", in
		if in.strike {
			marker = ""
		}
		inner.strike = true
		b.WriteString(marker)
		writeSpans(b, n, inner)
		b.WriteString(marker)
	case markdown.Link, markdown.Image:
		writeLink(b, n.Dest, strings.TrimSpace(markdown.Inlines(n)))
	case markdown.Autolink:
		if linkable(n.Dest) {
			b.WriteString("<" + escapeURL(n.Dest) + ">")
		} else {
			writeEscaped(b, n.Raw, after(n))
		}
	case markdown.URL:
		b.WriteString("<" + escapeURL(n.Dest) + ">")
	}
}

// writeLink renders a link. Slack cannot format a link's label, so it is plain text.
func writeLink(b *strings.Builder, dest, text string) {
	dest = strings.ReplaceAll(dest, " ", "%20") // only <a b> destinations have spaces
	switch {
	case linkable(dest) && text == "":
		b.WriteString("<" + escapeURL(dest) + ">")
	case linkable(dest):
		b.WriteString("<" + escapeURL(dest) + "|")
		writeEscaped(b, text, "")
		b.WriteString(">")
	default:
		// A relative or odd destination cannot be a link in Slack; show it rather than lose it.
		writeEscaped(b, text, "")
		if dest != "" {
			b.WriteString(" (")
			writeEscaped(b, dest, "")
			b.WriteString(")")
		}
	}
}

// inlineMrkdwn renders one line of text (a field's name) as mrkdwn inlines, as in a heading.
func inlineMrkdwn(line string) string {
	var b strings.Builder
	writeInlines(&b, markdown.ParseInline(line), true)
	return b.String()
}

// after is the text that follows an inline, as far as a mass mention after an @ at its end could
// reach into it.
func after(n *markdown.Node) string {
	if n.Next == nil {
		return ""
	}
	return n.Next.Raw[:min(len(n.Next.Raw), len("everyone"))]
}

// writeEscaped writes text Slack must show as is: entities for &, < and >, mass mentions defused. next is
// the text that follows s, where a mass mention started by an @ at the end of s goes on.
func writeEscaped(b *strings.Builder, s, next string) {
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
			if rest := s[i+1:]; massMention(rest) || (len(rest) < len("everyone") && massMention(rest+next)) {
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
