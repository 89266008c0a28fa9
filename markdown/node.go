// Package markdown reads the Markdown people write in chat, once, for every platform: Parse turns a text
// into a tree of nodes (blocks, and the inlines of each block), Walk visits it, and each chat adapter
// renders the tree its own way (Slack mrkdwn, Discord Markdown, console lines). Split cuts a long text
// into parts that keep code blocks closed, and Plain reads a text as plain words.
//
// The chat subset is line-based, as Slack and Discord read it: a block is one line (a paragraph line,
// a heading, a list item, a quote, a rule, a table row) or a fenced code block. There are no lazy
// continuation lines, indented code blocks, setext headings, HTML or link reference definitions: in
// chat, an indented line is text and <b> is text. Inlines follow CommonMark's rules within a line:
// backslash escapes, code spans, emphasis by delimiter runs (so snake_case and 2 * 3 stay text),
// ~~strike~~, links, images, <autolinks> and bare http(s) URLs.
//
// The package imports nothing of the project. Every function takes time linear in its input.
package markdown

// Kind is what a node is.
type Kind uint8

// Block kinds: the children of a Document.
const (
	Document  Kind = iota // the whole text: its children are blocks
	Paragraph             // one line of text: inlines
	Heading               // an ATX heading ("## Title"): Level, inlines
	ListItem              // a list item ("- a", "12. b"): Marker, Indent, inlines
	Quote                 // a quoted line ("> a", ">> b" alike): one block child
	Rule                  // a thematic break ("---", "* * *")
	TableRow              // a table row ("| a | b |"): the inlines between the outer bars
	TableRule             // a table's rule row ("|---|:--:|"), which chat renderers drop: it means nothing once the table is plain lines
	CodeBlock             // a fenced code block: Marker (the fence), Info, Literal (its lines)
	BlankLine             // an empty line, between paragraphs
)

// Inline kinds: the children of a Paragraph, Heading, ListItem or TableRow, and of the inlines below.
const (
	Text     Kind = iota + 32 // Literal, as written (an unmatched * or [ is text too)
	Escape                    // a backslash escape: Literal is the character, Raw has the backslash
	Code                      // a code span: Literal is its content, Raw has the backticks
	Emph                      // emphasis: Level 1 (*a*, _a_) or 2 (**a**, __a__); Marker is the run
	Strike                    // ~~strike~~: Marker is "~~"
	Link                      // [text](Dest "Title"): its children are the text
	Image                     // ![alt](Dest "Title"): its children are the alt text
	Autolink                  // <scheme:...>: Dest is the URL
	URL                       // a bare http(s) URL in the text: Dest is the URL
)

// Node is a block or an inline. The fields a kind does not use are empty.
type Node struct {
	Kind Kind

	// Raw is the source of the node: for a block its line as written (trailing blanks dropped), for an
	// inline its exact text. A renderer that has nothing to change writes Raw.
	Raw string
	// Lead and Trail are a block's Raw before and after its inlines: "  - " and "" for "  - item", "## "
	// and " ##" for "## Title ##"; a Quote's Lead is its ">" marks (its child has the rest of the line);
	// a closed CodeBlock's Trail is its closing line. Lead + the inlines' Raw + Trail is the Raw.
	Lead, Trail string
	// Literal is the text of Text, Escape, Code and CodeBlock nodes; a CodeBlock's lines each end in \n.
	Literal string
	// Level is a Heading's number of #s and an Emph's strength (1 or 2).
	Level int
	// Marker is a ListItem's bullet or number ("-", "*", "+", "1.", "12)"), an Emph's or Strike's
	// delimiter run as written ("*", "__", "~~"), a Code span's backticks and a CodeBlock's fence
	// ("```", "~~~~").
	Marker string
	// Indent is the white space before a ListItem or a Paragraph line.
	Indent string
	// Info is a CodeBlock's info string ("sh", "python title=x").
	Info string
	// Closed reports whether a CodeBlock's fence was closed in the text.
	Closed bool
	// Dest and Title are a Link's or Image's destination and title; Dest is an Autolink's or URL's URL.
	Dest, Title string

	Parent, FirstChild, LastChild, Prev, Next *Node
}

// IsBlock reports whether n is a block (or the Document).
func (n *Node) IsBlock() bool { return n.Kind < Text }

// AppendChild adds c as n's last child.
func (n *Node) AppendChild(c *Node) {
	c.Parent, c.Prev, c.Next = n, n.LastChild, nil
	if n.LastChild != nil {
		n.LastChild.Next = c
	} else {
		n.FirstChild = c
	}
	n.LastChild = c
}

// Status tells Walk how to go on.
type Status int

const (
	// WalkContinue goes on to the node's children, then its siblings.
	WalkContinue Status = iota
	// WalkSkipChildren goes on to the node's next sibling without visiting its children (nor calling fn
	// on its way out).
	WalkSkipChildren
	// WalkStop ends the walk.
	WalkStop
)

// Walk calls fn for n and each node below it, depth first: with entering true on the way in, and with
// entering false on the way out, after its children. What fn returns on the way out is only looked at
// for WalkStop.
func Walk(n *Node, fn func(n *Node, entering bool) Status) Status {
	switch fn(n, true) {
	case WalkStop:
		return WalkStop
	case WalkSkipChildren:
		return WalkContinue
	}
	for c := n.FirstChild; c != nil; c = c.Next {
		if Walk(c, fn) == WalkStop {
			return WalkStop
		}
	}
	if fn(n, false) == WalkStop {
		return WalkStop
	}
	return WalkContinue
}

// LinkTail returns the end of a Link or Image as written, from its "](" to its ")": what follows the
// text, for renderers that write links as Markdown.
func (n *Node) LinkTail() string {
	head := 1 // "["
	if n.Kind == Image {
		head = 2 // "!["
	}
	return n.Raw[head+len(rawOf(n)):]
}

// Inlines returns n's inline children as the plain text they show: literals, code, and the text of
// emphasis and links, without any markup. Renderers use it where a platform cannot format (a link's
// label on Slack, a heading shown bold).
func Inlines(n *Node) string {
	var b []byte
	Walk(n, func(c *Node, entering bool) Status {
		if !entering {
			return WalkContinue
		}
		switch c.Kind {
		case Text, Escape, Code:
			b = append(b, c.Literal...)
		case Autolink, URL:
			b = append(b, c.Dest...)
			return WalkSkipChildren
		}
		return WalkContinue
	})
	return string(b)
}
