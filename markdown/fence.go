package markdown

import "strings"

// OpenFence returns the fence a line opens a code block with ("```", "~~~~"), or "" when it opens none.
// A fence is three or more backticks or tildes after any indentation (chat platforms read fences inside
// list items and quotes alike); a backtick fence's info string has no backtick, so "```x``` y" is a
// code span, not a block.
func OpenFence(line string) string {
	t := strings.TrimLeft(line, " ")
	if len(t) < 3 || (t[0] != '`' && t[0] != '~') {
		return ""
	}
	n := runLen(t, 0)
	if n < 3 || (t[0] == '`' && strings.IndexByte(t[n:], '`') >= 0) {
		return ""
	}
	return t[:n]
}

// FenceInfo returns the info string of a line that opens a code block ("```sh x" → "sh x").
func FenceInfo(line string) string {
	t := strings.TrimLeft(line, " ")
	return strings.TrimSpace(t[runLen(t, 0):])
}

// ClosesFence reports whether line closes a code block opened by fence: the fence's character, at
// least as many times, and nothing else but blanks.
func ClosesFence(line, fence string) bool {
	t := strings.TrimSpace(line)
	return fence != "" && len(t) >= len(fence) && strings.Count(t, fence[:1]) == len(t)
}

// Fences follows the fenced code blocks of a text line by line, for readers that look at lines (the !kb
// parser, the splitter). The zero value is outside any block.
type Fences struct {
	open string // the fence of the block we are in, "" outside one
}

// Line reads the next line and reports whether it belongs to a code block: its opening fence, its
// code, or its closing fence.
func (f *Fences) Line(line string) bool {
	if f.open != "" {
		if ClosesFence(line, f.open) {
			f.open = ""
		}
		return true
	}
	f.open = OpenFence(line)
	return f.open != ""
}

// Open returns the fence of the code block open after the lines read so far, or "".
func (f *Fences) Open() string { return f.open }

// runLen is the length of the run of s[i]'s byte starting at i.
func runLen(s string, i int) int {
	n := 1
	for i+n < len(s) && s[i+n] == s[i] {
		n++
	}
	return n
}
