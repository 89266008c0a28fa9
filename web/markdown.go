package web

// Markdown as HTML: the web's renderer of the tree package markdown reads (the chat subset, which is
// what articles and messages are written in), as each chat adapter has its own. Every text is escaped;
// a link is a link only to http(s), mailto or a page of the console, so nothing a person typed runs or
// loads anything (the Content-Security-Policy would stop it too). Images are links: the console loads
// nothing from elsewhere.

import (
	"html"
	"html/template"
	"net/url"
	"strconv"
	"strings"

	"github.com/firstline-desk/firstline/markdown"
)

// renderMarkdown turns Markdown into HTML. shift moves headings down (an article's "# Title" under the
// page's own h1 is an h2).
func renderMarkdown(md string, shift int) template.HTML {
	var b strings.Builder
	var blocks []*markdown.Node
	for n := markdown.Parse(md).FirstChild; n != nil; n = n.Next {
		blocks = append(blocks, n)
	}
	writeBlocks(&b, blocks, shift)
	return template.HTML(b.String())
}

// renderInline turns one line of Markdown into HTML, as inlines only: a sentence from the engine.
func renderInline(md string) template.HTML {
	var b strings.Builder
	writeInlines(&b, markdown.ParseInline(md))
	return template.HTML(b.String())
}

// writeBlocks writes a run of blocks, grouping lines that belong together: paragraph lines into a
// paragraph, list items into (nested) lists, quoted lines into a quote, table rows into a table.
func writeBlocks(b *strings.Builder, blocks []*markdown.Node, shift int) {
	for i := 0; i < len(blocks); {
		n := blocks[i]
		j := i + 1
		switch n.Kind {
		case markdown.Paragraph:
			for j < len(blocks) && blocks[j].Kind == markdown.Paragraph {
				j++
			}
			b.WriteString("<p>")
			for k := i; k < j; k++ {
				if k > i {
					b.WriteString("<br>\n")
				}
				writeInlines(b, blocks[k])
			}
			b.WriteString("</p>\n")
		case markdown.ListItem:
			for j < len(blocks) && blocks[j].Kind == markdown.ListItem {
				j++
			}
			writeList(b, blocks[i:j])
		case markdown.Quote:
			var inner []*markdown.Node
			for j = i; j < len(blocks) && blocks[j].Kind == markdown.Quote; j++ {
				for c := blocks[j].FirstChild; c != nil; c = c.Next {
					inner = append(inner, c)
				}
			}
			b.WriteString("<blockquote>\n")
			writeBlocks(b, inner, shift)
			b.WriteString("</blockquote>\n")
		case markdown.TableRow, markdown.TableRule:
			for j < len(blocks) && (blocks[j].Kind == markdown.TableRow || blocks[j].Kind == markdown.TableRule) {
				j++
			}
			writeTable(b, blocks[i:j])
		case markdown.Heading:
			level := strconv.Itoa(min(max(n.Level+shift, 1), 6))
			b.WriteString("<h" + level + ">")
			writeInlines(b, n)
			b.WriteString("</h" + level + ">\n")
		case markdown.Rule:
			b.WriteString("<hr>\n")
		case markdown.CodeBlock:
			b.WriteString("<pre><code")
			if lang, _, _ := strings.Cut(strings.TrimSpace(n.Info), " "); lang != "" {
				b.WriteString(` class="language-` + html.EscapeString(lang) + `"`)
			}
			b.WriteString(">")
			b.WriteString(html.EscapeString(n.Literal))
			b.WriteString("</code></pre>\n")
		}
		i = j
	}
}

// writeList writes consecutive list items as lists, nested by their indentation.
func writeList(b *strings.Builder, items []*markdown.Node) {
	type level struct {
		indent int
		tag    string
	}
	var stack []level
	for _, it := range items {
		indent := len(strings.ReplaceAll(it.Indent, "\t", "    "))
		tag := "ul"
		if m := it.Marker; len(m) > 1 && (m[len(m)-1] == '.' || m[len(m)-1] == ')') {
			tag = "ol"
		}
		for len(stack) > 0 && (indent < stack[len(stack)-1].indent || (indent == stack[len(stack)-1].indent && tag != stack[len(stack)-1].tag)) {
			b.WriteString("</li></" + stack[len(stack)-1].tag + ">\n")
			stack = stack[:len(stack)-1]
		}
		switch {
		case len(stack) == 0 || indent > stack[len(stack)-1].indent:
			open := "<" + tag
			if tag == "ol" {
				if n, err := strconv.Atoi(it.Marker[:len(it.Marker)-1]); err == nil && n != 1 {
					open += ` start="` + strconv.Itoa(n) + `"`
				}
			}
			b.WriteString(open + ">\n")
			stack = append(stack, level{indent, tag})
		default:
			b.WriteString("</li>\n")
		}
		b.WriteString("<li>")
		writeInlines(b, it)
	}
	for len(stack) > 0 {
		b.WriteString("</li></" + stack[len(stack)-1].tag + ">\n")
		stack = stack[:len(stack)-1]
	}
}

// writeTable writes table rows; a rule row after the first makes it the header.
func writeTable(b *strings.Builder, rows []*markdown.Node) {
	header := len(rows) > 1 && rows[1].Kind == markdown.TableRule
	b.WriteString("<div class=\"table-wrap\"><table>\n")
	for i, r := range rows {
		if r.Kind == markdown.TableRule {
			continue
		}
		cell := "td"
		if header && i == 0 {
			cell = "th"
		}
		b.WriteString("<tr>")
		for _, c := range tableCells(r.Raw) {
			b.WriteString("<" + cell + ">")
			writeInlines(b, markdown.ParseInline(strings.TrimSpace(c)))
			b.WriteString("</" + cell + ">")
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</table></div>\n")
}

// tableCells splits a table row at its bars, leaving escaped bars (\|) and bars in code spans in place.
func tableCells(row string) []string {
	row = strings.TrimSpace(row)
	row = strings.TrimPrefix(row, "|")
	if strings.HasSuffix(row, "|") && !strings.HasSuffix(row, `\|`) {
		row = row[:len(row)-1]
	}
	var cells []string
	var cur strings.Builder
	inCode := false
	for i := 0; i < len(row); i++ {
		c := row[i]
		switch {
		case c == '\\' && i+1 < len(row) && row[i+1] == '|':
			cur.WriteByte('|')
			i++
			continue
		case c == '`':
			inCode = !inCode
		case c == '|' && !inCode:
			cells = append(cells, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteByte(c)
	}
	return append(cells, cur.String())
}

// writeInlines writes the inline children of n.
func writeInlines(b *strings.Builder, n *markdown.Node) {
	for c := n.FirstChild; c != nil; c = c.Next {
		writeInline(b, c)
	}
}

func writeInline(b *strings.Builder, n *markdown.Node) {
	switch n.Kind {
	case markdown.Text, markdown.Escape:
		b.WriteString(html.EscapeString(n.Literal))
	case markdown.Code:
		b.WriteString("<code>" + html.EscapeString(n.Literal) + "</code>")
	case markdown.Emph:
		tag := "em"
		if n.Level >= 2 {
			tag = "strong"
		}
		b.WriteString("<" + tag + ">")
		writeInlines(b, n)
		b.WriteString("</" + tag + ">")
	case markdown.Strike:
		b.WriteString("<del>")
		writeInlines(b, n)
		b.WriteString("</del>")
	case markdown.Link, markdown.Image:
		href, ok := safeHref(n.Dest)
		if !ok {
			writeInlines(b, n)
			return
		}
		b.WriteString(`<a href="` + html.EscapeString(href) + `" rel="noopener noreferrer nofollow"`)
		if n.Title != "" {
			b.WriteString(` title="` + html.EscapeString(n.Title) + `"`)
		}
		b.WriteString(">")
		if n.Kind == markdown.Image {
			b.WriteString(`<span class="img-link">image: </span>`)
		}
		writeInlines(b, n)
		b.WriteString("</a>")
	case markdown.Autolink, markdown.URL:
		href, ok := safeHref(n.Dest)
		if !ok {
			b.WriteString(html.EscapeString(n.Raw))
			return
		}
		text := n.Dest
		if strings.HasPrefix(strings.ToLower(text), "mailto:") {
			text = text[len("mailto:"):]
		}
		b.WriteString(`<a href="` + html.EscapeString(href) + `" rel="noopener noreferrer nofollow">` + html.EscapeString(text) + "</a>")
	default:
		b.WriteString(html.EscapeString(n.Raw))
	}
}

// safeHref returns dest as a link's address when it may be one: http, https or mailto, or a path on the
// console itself. Anything else (javascript:, data:, a file) is shown as text.
func safeHref(dest string) (string, bool) {
	dest = strings.TrimSpace(dest)
	u, err := url.Parse(dest)
	if err != nil {
		return "", false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		if u.Host == "" {
			return "", false
		}
		return u.String(), true
	case "mailto":
		return u.String(), true
	case "":
		if strings.HasPrefix(dest, "/") && !strings.HasPrefix(dest, "//") && u.Host == "" {
			return u.String(), true
		}
	}
	return "", false
}
