package slack

import (
	"strings"
	"unicode/utf8"
)

// splitText cuts rendered mrkdwn into section texts of at most limit characters each and at most room of
// them; what does not fit in room is dropped with an ellipsis (Slack takes 50 blocks). A code block cut in
// two is closed and reopened, so both halves still show as code.
func splitText(s string, limit, room int) []string {
	const (
		reopen  = "```\n"
		reclose = "\n```"
		more    = "\n…"
	)
	var parts []string
	inCode := false
	for s != "" && room > 0 {
		prefix := ""
		if inCode {
			prefix = reopen
		}
		head, rest := cut(s, limit-len(prefix))
		if rest != "" {
			head, rest = cut(s, limit-len(prefix)-len(reclose)-len(more))
		}
		for line := range strings.SplitSeq(head, "\n") {
			if strings.TrimSpace(line) == "```" {
				inCode = !inCode
			}
		}
		part := prefix + strings.Trim(head, "\n")
		if inCode && rest != "" {
			part += reclose
		}
		room--
		if room == 0 && rest != "" {
			part += more
		}
		if strings.TrimSpace(part) != "" {
			parts = append(parts, part)
		}
		s = rest
	}
	return parts
}

// cut splits s after at most limit characters (limit ≥ 1). It cuts at the best boundary it finds: a blank line
// late enough to fill half the part, else a line break, else a space, preferring late ones; only a word
// longer than limit is cut between characters, and then never inside an entity or a <link>. rest has the
// whitespace at the cut removed.
func cut(s string, limit int) (head, rest string) {
	end, n := 0, 0
	para, line, space := -1, -1, -1
	link, amp := -1, -1 // where the <link> or &entity we may be inside starts
	for end < len(s) && n < limit {
		switch s[end] {
		case '\n':
			if link < 0 {
				line = end
				if end > 0 && s[end-1] == '\n' {
					para = end - 1
				}
			}
		case ' ':
			if link < 0 {
				space = end
			}
		case '<':
			link = end
		case '>':
			link = -1
		case '&':
			amp = end
		case ';':
			amp = -1
		}
		_, size := utf8.DecodeRuneInString(s[end:])
		end += size
		n++
	}
	if end == len(s) {
		return s, ""
	}
	if link < 0 && (s[end] == '\n' || s[end] == ' ') {
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
	switch {
	case link > 0:
		end = link
	case amp > 0:
		end = amp
	}
	return s[:end], s[end:]
}
