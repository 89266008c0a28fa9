package markdown

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// inlineParser reads the inlines of one line into the children of a block, in one pass and linear time:
// emphasis by CommonMark's delimiter algorithm, links by a stack of brackets.
type inlineParser struct {
	s       string
	parent  *Node
	delims  *delim   // the delimiter stack: the latest run of *, _ or ~~ that may open or close
	bracket *bracket // the latest [ or ![ not yet closed
	ticks   [][]int  // backtick runs by length: their positions, for matching code spans
	tickAt  []int    // how far each list in ticks has been consumed
	parens  []int    // for each ( in s, the position of its matching ), or -1; built on the first link
	gt, lt  scan     // the last answers of index for > and <
	sp      scan     // the last answer of space
	pending []byte   // text read but not yet added as a node
}

// delim is a run of *, _ or ~~ that may open or close emphasis, kept on a stack while the line is read.
type delim struct {
	node            *Node // its Text node, whose Literal shrinks as the run is used
	char            byte
	n, orig         int
	canOpen, closer bool
	prev, next      *delim
}

// bracket is a [ or ![ that may open a link or an image.
type bracket struct {
	node   *Node
	image  bool
	delims *delim // the top of the delimiter stack when it opened
	prev   *bracket
}

// scan remembers an answer of index, so repeated searches over one line stay linear.
type scan struct {
	from, at int
	ok       bool
}

// parseInlines reads s as the inlines of n.
func parseInlines(n *Node, s string) {
	p := &inlineParser{s: s, parent: n}
	p.parse()
	joinText(n)
}

// joinText joins the Text nodes next to each other below n: the delimiters and brackets that matched
// nothing are text like the text around them.
func joinText(n *Node) {
	for c := n.FirstChild; c != nil; c = c.Next {
		if c.Kind == Text && c.Next != nil && c.Next.Kind == Text {
			var b strings.Builder
			b.WriteString(c.Literal)
			for c.Next != nil && c.Next.Kind == Text {
				b.WriteString(c.Next.Literal)
				unlink(c.Next)
			}
			c.Literal = b.String()
			c.Raw = c.Literal
		}
		if c.FirstChild != nil {
			joinText(c)
		}
	}
}

func (p *inlineParser) parse() {
	s := p.s
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && isASCIIPunct(s[i+1]):
			p.add(&Node{Kind: Escape, Raw: s[i : i+2], Literal: s[i+1 : i+2]})
			i += 2
		case c == '`':
			i = p.code(i)
		case c == '*' || c == '_' || c == '~':
			i = p.delimRun(i)
		case c == '[':
			p.openBracket(i, false)
			i++
		case c == '!' && i+1 < len(s) && s[i+1] == '[':
			p.openBracket(i, true)
			i += 2
		case c == ']':
			i = p.closeBracket(i)
		case c == '<':
			i = p.autolink(i)
		case p.bareURL(i):
			i = p.url(i)
		default:
			j := i + 1
			for j < len(s) && !p.special(j) {
				j++
			}
			p.text(s[i:j])
			i = j
		}
	}
	p.flush()
	p.emphasis(nil)
}

// special reports whether the byte at i may start syntax; text runs up to the next such byte.
func (p *inlineParser) special(i int) bool {
	return strings.IndexByte("\\`*_~[]!<", p.s[i]) >= 0 || p.bareURL(i)
}

// add adds a node after the text read so far.
func (p *inlineParser) add(n *Node) {
	p.flush()
	p.parent.AppendChild(n)
}

// text reads literal text: consecutive text becomes one Text node.
func (p *inlineParser) text(t string) { p.pending = append(p.pending, t...) }

// flush adds the text read so far as a Text node.
func (p *inlineParser) flush() {
	if len(p.pending) > 0 {
		t := string(p.pending)
		p.pending = p.pending[:0]
		p.parent.AppendChild(&Node{Kind: Text, Raw: t, Literal: t})
	}
}

// index returns the position of the first c (< or >) at or after i, or -1. Searches for the same byte
// come with i growing, so the last answer usually still holds and a line full of unmatched < costs one
// scan.
func (p *inlineParser) index(c byte, i int) int {
	f := &p.gt
	if c == '<' {
		f = &p.lt
	}
	if f.ok && i >= f.from && (f.at < 0 || f.at >= i) {
		return f.at
	}
	at := strings.IndexByte(p.s[i:], c)
	if at >= 0 {
		at += i
	}
	*f = scan{from: i, at: at, ok: true}
	return at
}

// code reads a code span opening at i: a run of backticks up to the next run of the same length.
func (p *inlineParser) code(i int) int {
	s := p.s
	n := runLen(s, i)
	if p.ticks == nil {
		for j := i; j < len(s); {
			if s[j] != '`' {
				j++
				continue
			}
			k := runLen(s, j)
			for len(p.ticks) <= k {
				p.ticks = append(p.ticks, nil)
				p.tickAt = append(p.tickAt, 0)
			}
			p.ticks[k] = append(p.ticks[k], j)
			j += k
		}
	}
	var list []int
	k := 0
	if n < len(p.ticks) {
		list, k = p.ticks[n], p.tickAt[n]
		for k < len(list) && list[k] <= i {
			k++
		}
		p.tickAt[n] = k
	}
	if k == len(list) {
		p.text(s[i : i+n]) // no closer: literal backticks
		return i + n
	}
	end := list[k]
	body := s[i+n : end]
	if len(body) >= 2 && body[0] == ' ' && body[len(body)-1] == ' ' && strings.Trim(body, " ") != "" {
		body = body[1 : len(body)-1]
	}
	p.add(&Node{Kind: Code, Raw: s[i : end+n], Literal: body, Marker: s[i : i+n]})
	return end + n
}

// delimRun reads a run of *, _ or ~ at i: a delimiter when it may open or close, else text.
func (p *inlineParser) delimRun(i int) int {
	s := p.s
	j := i + runLen(s, i)
	run := s[i:j]
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
	switch run[0] {
	case '_':
		canOpen = left && (!right || isPunct(before))
		canClose = right && (!left || isPunct(after))
	case '~':
		if len(run) != 2 { // strike is ~~ exactly: ~5 minutes is text
			p.text(run)
			return j
		}
	}
	if !canOpen && !canClose {
		p.text(run)
		return j
	}
	node := &Node{Kind: Text, Raw: run, Literal: run}
	p.add(node)
	d := &delim{node: node, char: run[0], n: len(run), orig: len(run), canOpen: canOpen, closer: canClose, prev: p.delims}
	if p.delims != nil {
		p.delims.next = d
	}
	p.delims = d
	return j
}

// emphasis matches the delimiters above bottom (all of them when bottom is nil) into Emph and Strike
// nodes, as CommonMark's "process emphasis": each closer, left to right, takes the nearest opener of
// its character, with the rule of 3; openersBottom keeps the search for openers linear.
func (p *inlineParser) emphasis(bottom *delim) {
	var first *delim
	for d := p.delims; d != nil && d != bottom; d = d.prev {
		first = d
	}
	type key struct {
		c       byte
		mod     int
		canOpen bool
	}
	openersBottom := map[key]*delim{}
	for closer := first; closer != nil; {
		if !closer.closer {
			closer = closer.next
			continue
		}
		k := key{closer.char, closer.orig % 3, closer.canOpen}
		limit, seen := openersBottom[k]
		if !seen {
			limit = bottom
		}
		var opener *delim
		for o := closer.prev; o != nil && o != bottom && o != limit; o = o.prev {
			if o.char != closer.char || !o.canOpen {
				continue
			}
			if o.char != '~' && (closer.canOpen || o.closer) && (o.orig+closer.orig)%3 == 0 && (o.orig%3 != 0 || closer.orig%3 != 0) {
				continue // the rule of 3: "*a **b** c*" nests rather than pairing * with **
			}
			opener = o
			break
		}
		if opener == nil {
			openersBottom[k] = closer.prev
			next := closer.next
			if !closer.canOpen {
				p.removeDelim(closer)
			}
			closer = next
			continue
		}
		use := 1
		if opener.n >= 2 && closer.n >= 2 {
			use = 2
		}
		marker := opener.node.Literal[len(opener.node.Literal)-use:]
		kind := Emph
		if opener.char == '~' {
			kind = Strike
		}
		span := &Node{Kind: kind, Level: use, Marker: marker}
		// Everything between the opener's node and the closer's goes into the span.
		for c := opener.node.Next; c != nil && c != closer.node; {
			next := c.Next
			unlink(c)
			span.AppendChild(c)
			c = next
		}
		insertAfter(opener.node, span)
		span.Raw = marker + rawOf(span) + marker
		// The delimiters between them are text now.
		for d := closer.prev; d != opener; d = d.prev {
			p.removeDelim(d)
		}
		opener.n -= use
		opener.node.Literal = opener.node.Literal[:opener.n]
		opener.node.Raw = opener.node.Literal
		closer.n -= use
		closer.node.Literal = closer.node.Literal[use:]
		closer.node.Raw = closer.node.Literal
		if opener.n == 0 {
			unlink(opener.node)
			p.removeDelim(opener)
		}
		if closer.n == 0 {
			next := closer.next
			unlink(closer.node)
			p.removeDelim(closer)
			closer = next
		}
	}
	for d := p.delims; d != nil && d != bottom; d = d.prev {
		p.removeDelim(d)
	}
}

// removeDelim takes d off the delimiter stack; its node stays, as text.
func (p *inlineParser) removeDelim(d *delim) {
	if d.prev != nil {
		d.prev.next = d.next
	}
	if d.next != nil {
		d.next.prev = d.prev
	} else if p.delims == d {
		p.delims = d.prev
	}
}

// openBracket pushes a [ or ![ that may open a link.
func (p *inlineParser) openBracket(i int, image bool) {
	t := "["
	if image {
		t = "!["
	}
	node := &Node{Kind: Text, Raw: t, Literal: t}
	p.add(node)
	p.bracket = &bracket{node: node, image: image, delims: p.delims, prev: p.bracket}
}

// closeBracket reads the ] at i: with a ( right after it holding a destination (and maybe a title), the
// nearest open bracket becomes a link or image of the inlines between them. Links do not nest: a link
// makes the brackets before it text.
func (p *inlineParser) closeBracket(i int) int {
	s := p.s
	b := p.bracket
	if b == nil {
		p.text("]")
		return i + 1
	}
	p.bracket = b.prev
	dest, title, end, ok := p.destination(i + 1)
	if !ok {
		p.text("]")
		return i + 1
	}
	p.flush()
	p.emphasis(b.delims)
	kind := Link
	if b.image {
		kind = Image
	}
	link := &Node{Kind: kind, Dest: dest, Title: title}
	for c := b.node.Next; c != nil; {
		next := c.Next
		unlink(c)
		link.AppendChild(c)
		c = next
	}
	link.Raw = b.node.Literal + rawOf(link) + s[i:end]
	insertAfter(b.node, link)
	unlink(b.node)
	if !b.image {
		p.dropLinkBrackets()
	}
	return end
}

// dropLinkBrackets forgets the open [ brackets before a link, since links do not contain links.
func (p *inlineParser) dropLinkBrackets() {
	var keep []*bracket
	for o := p.bracket; o != nil; o = o.prev {
		if o.image {
			keep = append(keep, o)
		}
	}
	p.bracket = nil
	for i := len(keep) - 1; i >= 0; i-- {
		keep[i].prev = p.bracket
		p.bracket = keep[i]
	}
}

// destination reads "(dest "title")" at i, and returns where it ends. The ( must match a ) on the line;
// the destination is <…> or has no blanks, and the title, if any, is quoted. Every search here is
// remembered or bounded by what no other link looks at, so a line of many "](" stays linear.
func (p *inlineParser) destination(i int) (dest, title string, end int, ok bool) {
	s := p.s
	if i >= len(s) || s[i] != '(' {
		return "", "", 0, false
	}
	closing := p.matchParen(i)
	if closing < 0 {
		return "", "", 0, false
	}
	from := i + 1
	for from < closing && (s[from] == ' ' || s[from] == '\t') {
		from++
	}
	to := closing // the end of the destination
	if from < closing && s[from] == '<' {
		gt, lt := p.index('>', from+1), p.index('<', from+1)
		if gt < 0 || gt >= closing || (lt >= 0 && lt < gt) {
			return "", "", 0, false
		}
		dest, to = s[from+1:gt], gt+1
	} else {
		if sp := p.space(from); sp >= 0 && sp < closing {
			to = sp
		}
		dest = s[from:to]
	}
	last := closing // the end of the title, blanks before ) left out
	for last > to && (s[last-1] == ' ' || s[last-1] == '\t') {
		last--
	}
	if last > to {
		first := to
		for first < last && (s[first] == ' ' || s[first] == '\t') {
			first++
		}
		if first == to || last-first < 2 || strings.IndexByte(`"'(`, s[first]) < 0 || s[last-1] != map[byte]byte{'"': '"', '\'': '\'', '(': ')'}[s[first]] {
			return "", "", 0, false
		}
		title = s[first+1 : last-1]
	}
	return dest, title, closing + 1, true
}

// space returns the position of the first blank at or after i, or -1, remembering its last answer as
// index does.
func (p *inlineParser) space(i int) int {
	f := &p.sp
	if f.ok && i >= f.from && (f.at < 0 || f.at >= i) {
		return f.at
	}
	at := strings.IndexAny(p.s[i:], " \t")
	if at >= 0 {
		at += i
	}
	*f = scan{from: i, at: at, ok: true}
	return at
}

// matchParen returns the position of the ) that closes the ( at i, or -1. The matches of the whole line
// are found once, so a line of many "](" stays linear.
func (p *inlineParser) matchParen(i int) int {
	if p.parens == nil {
		p.parens = make([]int, len(p.s))
		var stack []int
		for j := 0; j < len(p.s); j++ {
			p.parens[j] = -1
			switch p.s[j] {
			case '\\':
				if j+1 < len(p.s) {
					j++
					p.parens[j] = -1
				}
			case '(':
				stack = append(stack, j)
			case ')':
				if len(stack) > 0 {
					p.parens[stack[len(stack)-1]] = j
					stack = stack[:len(stack)-1]
				}
			}
		}
	}
	return p.parens[i]
}

// autolink reads <scheme:…> at i, or a < that is text. A candidate with a blank or another < in it is
// not one, which also keeps a line of many < before one > linear.
func (p *inlineParser) autolink(i int) int {
	end, lt := p.index('>', i+1), p.index('<', i+1)
	if end > 0 && (lt < 0 || lt > end) && isAutolink(p.s[i+1:end]) {
		p.add(&Node{Kind: Autolink, Raw: p.s[i : end+1], Dest: p.s[i+1 : end]})
		return end + 1
	}
	p.text("<")
	return i + 1
}

// isAutolink reports whether u is an absolute URI as CommonMark's autolinks take: a scheme of 2 to 32
// letters, digits, +, . or -, a colon, and no blanks or control characters.
func isAutolink(u string) bool {
	colon := strings.IndexByte(u, ':')
	if colon < 2 || colon > 32 || !isLetter(u[0]) {
		return false
	}
	for i := 1; i < colon; i++ {
		if c := u[i]; !isAlnum(c) && c != '+' && c != '.' && c != '-' {
			return false
		}
	}
	return strings.IndexFunc(u, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) < 0
}

// bareURL reports whether an http or https URL starts at i, at the start of a word.
func (p *inlineParser) bareURL(i int) bool {
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

// url reads the bare URL at i, leaving out the punctuation that ends the sentence around it.
func (p *inlineParser) url(i int) int {
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
			p.add(&Node{Kind: URL, Raw: u, Dest: u})
			return i + len(u)
		}
	}
}

// rawOf is the source of n's children.
func rawOf(n *Node) string {
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.Next {
		b.WriteString(c.Raw)
	}
	return b.String()
}

func unlink(n *Node) {
	if n.Prev != nil {
		n.Prev.Next = n.Next
	} else if n.Parent != nil {
		n.Parent.FirstChild = n.Next
	}
	if n.Next != nil {
		n.Next.Prev = n.Prev
	} else if n.Parent != nil {
		n.Parent.LastChild = n.Prev
	}
	n.Parent, n.Prev, n.Next = nil, nil, nil
}

func insertAfter(at, n *Node) {
	n.Parent, n.Prev, n.Next = at.Parent, at, at.Next
	if at.Next != nil {
		at.Next.Prev = n
	} else if at.Parent != nil {
		at.Parent.LastChild = n
	}
	at.Next = n
}

func isURLEnd(c byte) bool { return c <= ' ' || c == '<' || c == '>' || c == '`' || c == '"' }

func isASCIIPunct(c byte) bool {
	return c < utf8.RuneSelf && c > ' ' && c != 0x7f && !isAlnum(c)
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isAlnum(c byte) bool { return isLetter(c) || c >= '0' && c <= '9' }

func isPunct(r rune) bool { return unicode.IsPunct(r) || unicode.IsSymbol(r) }
