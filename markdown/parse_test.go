package markdown

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/firstline-desk/firstline/markdown/markdowntest"
)

// dump writes a tree as nested kinds, for tests.
func dump(n *Node) string {
	var b strings.Builder
	Walk(n, func(c *Node, entering bool) Status {
		if !entering {
			if c.FirstChild != nil && c.Kind != Document {
				b.WriteString(")")
			}
			return WalkContinue
		}
		if c.Kind == Document {
			return WalkContinue
		}
		if c.Prev != nil || c.Parent.Kind != Document {
			b.WriteString(" ")
		}
		b.WriteString(kindNames[c.Kind])
		switch c.Kind {
		case Text, Escape, Code:
			fmt.Fprintf(&b, "%q", c.Literal)
		case Emph, Heading:
			fmt.Fprintf(&b, "%d", c.Level)
		case Link, Image, Autolink, URL:
			fmt.Fprintf(&b, "<%s>", c.Dest)
		case ListItem:
			fmt.Fprintf(&b, "%q", c.Indent+c.Marker)
		case CodeBlock:
			fmt.Fprintf(&b, "%q%q", c.Info, c.Literal)
		}
		if c.FirstChild != nil {
			b.WriteString("(")
		}
		return WalkContinue
	})
	return b.String()
}

var kindNames = map[Kind]string{
	Paragraph: "p", Heading: "h", ListItem: "li", Quote: "q", Rule: "hr", TableRow: "tr", TableRule: "rule", CodeBlock: "pre", BlankLine: "blank",
	Text: "", Escape: "esc", Code: "code", Emph: "em", Strike: "s", Link: "a", Image: "img", Autolink: "auto", URL: "url",
}

// TestParse checks the tree of the cases that decide how chat Markdown reads, against CommonMark's
// rules for inlines (https://spec.commonmark.org/0.31.2/#emphasis-and-strong-emphasis).
func TestParse(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"**bold** _it_ `code` [a](https://b.com?x=1&y=2) <https://c.com> https://d.com.",
			`p( em2( "bold") " " em1( "it") " " code"code" " " a<https://b.com?x=1&y=2>( "a") " " auto<https://c.com> " " url<https://d.com> ".")`},
		{"***now***", `p( em1( em2( "now")))`},
		{"**a *b** c", `p( "*" em1( "a " em1( "b")) " c")`},
		{"*a **b** c*", `p( em1( "a " em2( "b") " c"))`},
		{"***a** b*", `p( em1( em2( "a") " b"))`},
		{"***a* b**", `p( em2( em1( "a") " b"))`},
		{"2*3*4", `p( "2" em1( "3") "4")`},
		{"2 * 3 * 4", `p( "2 * 3 * 4")`},
		{"snake_case and __init__ x", `p( "snake_case and " em2( "init") " x")`},
		{"foo**bar**baz", `p( "foo" em2( "bar") "baz")`},
		{"un_frigging_believable", `p( "un_frigging_believable")`},
		{`\*literal\*`, `p( esc"*" "literal" esc"*")`},
		{"~~old~~ new ~x~", `p( s( "old") " new ~x~")`},
		{"[wiki](https://x.com/A_(b))", `p( a<https://x.com/A_(b)>( "wiki"))`},
		{"[a [b] c](https://x.com)", `p( a<https://x.com>( "a [b] c"))`},
		{"[a](b [c](d) e)", `p( "[a](b " a<d>( "c") " e)")`},
		{"![alt **b**](u \"t\")", `p( img<u>( "alt " em2( "b")))`},
		{"`a ` b` and ``x``", "p( code\"a \" \" b` and \" code\"x\")"},
		{"<b>text</b> <https://x> <not a link>", `p( "<b>text</b> " auto<https://x> " <not a link>")`},
		{"# h\n- a\n  * b\n1. c\n> q\n```sh\n<x>\n```", `h1( "h") li"-"( "a") li"  *"( "b") li"1."( "c") q( p( "q")) pre"sh""<x>\n"`},
		{"> quoted\nnot quoted", `q( p( "quoted")) p( "not quoted")`},
		{"Title\n===\n\n    indented", `p( "Title") p( "===") blank p( "indented")`},
		{"| a | b |\n|---|---|\n| 1 | 2 |", `tr( "a | b") rule tr( "1 | 2")`},
		{"```\nunclosed", `pre"""unclosed\n"`},
		{"```x``` y", `p( code"x" " y")`},
	} {
		if got := dump(Parse(tc.in)); got != tc.want {
			t.Errorf("Parse(%q)\n got %s\nwant %s", tc.in, got, tc.want)
		}
	}
}

// TestRaw checks that every node says where it came from, which renderers that write Markdown back
// (Discord, the console) rely on: a block's Lead, its inlines' Raw and its Trail make its Raw, and an
// inline's children make its Raw between its markers.
func TestRaw(t *testing.T) {
	for _, c := range markdowntest.Cases {
		checkRaw(t, c.Name, c.Text)
	}
}

func checkRaw(t *testing.T, name, text string) {
	t.Helper()
	{
		c := markdowntest.Case{Name: name, Text: text}
		Walk(Parse(c.Text), func(n *Node, entering bool) Status {
			if !entering {
				return WalkContinue
			}
			switch n.Kind {
			case Paragraph, Heading, ListItem, TableRow:
				if got := n.Lead + rawOf(n) + n.Trail; got != n.Raw {
					t.Errorf("%s: block %q is %q + %q + %q", c.Name, n.Raw, n.Lead, rawOf(n), n.Trail)
				}
			case Quote:
				if got := n.Lead + n.FirstChild.Raw; got != n.Raw {
					t.Errorf("%s: quote %q is %q + %q", c.Name, n.Raw, n.Lead, n.FirstChild.Raw)
				}
			case Emph, Strike:
				if got := n.Marker + rawOf(n) + n.Marker; got != n.Raw {
					t.Errorf("%s: span %q is %q", c.Name, n.Raw, got)
				}
			case Link, Image:
				if got := n.Raw[:len(n.Raw)-len(n.LinkTail())-len(rawOf(n))] + rawOf(n) + n.LinkTail(); got != n.Raw {
					t.Errorf("%s: link %q is %q", c.Name, n.Raw, got)
				}
			}
			return WalkContinue
		})
	}
}

// FuzzParse reads any text: the tree says where every node came from (checkRaw), and Plain and Split
// give valid UTF-8 that loses no word.
func FuzzParse(f *testing.F) {
	for _, c := range markdowntest.Cases {
		if len(c.Text) < 1000 {
			f.Add(c.Text)
		}
	}
	f.Fuzz(func(t *testing.T, in string) {
		checkRaw(t, "fuzz", in)
		if p := Plain(in); !utf8.ValidString(p) {
			t.Fatalf("Plain(%q) = %q", in, p)
		}
	})
}

// TestParseLinear reads lines built to make a naive parser quadratic: a million of them would take
// most of an hour if it were, and go test's ten minutes end it.
func TestParseLinear(t *testing.T) {
	const n = 1_000_000
	var ticks strings.Builder
	for i := 1; ticks.Len() < n; i++ {
		ticks.WriteString(strings.Repeat("`", i) + "a")
	}
	for name, in := range map[string]string{
		"brackets":   strings.Repeat("[", n),
		"images":     strings.Repeat("![", n/2),
		"open links": strings.Repeat("[a](", n/4),
		"nested":     strings.Repeat("[a](", n/8) + strings.Repeat(")", n/8),
		"bad titles": strings.Repeat("[a](", n/8) + "x y" + strings.Repeat(")", n/8),
		"angles":     strings.Repeat("<", n),
		"one closer": strings.Repeat("<", n) + ">",
		"autolinks":  strings.Repeat("<https://a", n/10) + ">",
		"emphasis":   strings.Repeat("*a _b **c ~~d ", n/12),
		"closers":    strings.Repeat("**a ", n/8) + strings.Repeat("b_ ", n/6),
		"openers":    strings.Repeat("*a ", n/3),
		"backticks":  ticks.String(),
		"urls":       strings.Repeat("https://x.com/", n/14),
		"parens":     "https://x.com/" + strings.Repeat(")", n),
		"fences":     strings.Repeat("```\n", n/4),
		"headings":   strings.Repeat("# "+strings.Repeat("#", 100)+"\n", n/100),
	} {
		t.Run(name, func(t *testing.T) { Walk(Parse(in), func(*Node, bool) Status { return WalkContinue }) })
	}
}
