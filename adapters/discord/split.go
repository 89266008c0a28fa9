package discord

import (
	"strings"
	"unicode/utf8"
)

// split cuts rendered Markdown into parts of at most limit characters each, losing no text: at most the
// whitespace where a part ends. A code block cut in two is closed at the end of one part and reopened
// with its language at the start of the next, so both halves still show as code. It reads fences as
// markdown writes them: "```lang" opens, a line of backticks alone closes. A reopening line takes up
// to 36 characters, so only parts after the first may exceed a limit below 40.
func split(s string, limit int) []string {
	const closer = "\n```"
	var parts []string
	inCode, reopen := false, "" // whether a code block is open at the cut, and its opening line
	s = strings.Trim(s, "\n")
	for s != "" {
		prefix := ""
		if inCode {
			prefix = reopen + "\n"
		}
		budget := max(limit-count(prefix), 1) // at least one character, so every round moves on
		room := budget
		var head, rest string
		var open bool
		var opener string
		for {
			head, rest = cut(s, room)
			open, opener = inCode, reopen
			for line := range strings.SplitSeq(head, "\n") {
				t := strings.TrimSpace(line)
				switch {
				case open && strings.Trim(t, "`") == "" && len(t) >= 3:
					open = false
				case !open && strings.HasPrefix(t, "```") && !strings.Contains(strings.TrimLeft(t, "`"), "`"):
					open, opener = true, t
					if count(t) > len("```")+maxLang {
						opener = "```" // a line markdown did not write as a fence (a table cell): reopen plainly
					}
				}
			}
			if !open || rest == "" || count(head)+len(closer) <= budget || room <= len(closer)+1 {
				break
			}
			room -= len(closer) // leave room to close the block the part ends inside
		}
		part := prefix + strings.Trim(head, "\n")
		if open && rest != "" {
			part += closer
		}
		if strings.TrimSpace(part) != "" {
			parts = append(parts, part)
		}
		inCode, reopen = open, opener
		s = rest
	}
	return parts
}

// cut splits s after at most limit characters (limit ≥ 1). It cuts at the best boundary it finds: a blank
// line late enough to fill half the part, else a line break, else a space, preferring late ones; only a
// word longer than limit is cut between characters. rest has the whitespace at the cut removed.
func cut(s string, limit int) (head, rest string) {
	end, n := 0, 0
	para, line, space := -1, -1, -1
	for end < len(s) && n < limit {
		switch s[end] {
		case '\n':
			line = end
			if end > 0 && s[end-1] == '\n' {
				para = end - 1
			}
		case ' ':
			space = end
		}
		_, size := utf8.DecodeRuneInString(s[end:])
		end += size
		n++
	}
	if end == len(s) {
		return s, ""
	}
	if s[end] == '\n' || s[end] == ' ' {
		return s[:end], strings.TrimLeft(s[end:], " \n") // the limit falls on a boundary
	}
	at := -1
	for _, b := range [...]int{para, line, space} {
		if b >= end/2 {
			at = b
			break
		}
	}
	if at < 0 {
		at = max(line, space)
	}
	if at > 0 {
		return s[:at], strings.TrimLeft(s[at:], " \n")
	}
	return s[:end], s[end:]
}
