package bot

// Who a message names. The engine's Markdown shows a person a message mentions as "@name", the same on
// every platform it is relayed to, so a mention never pings anyone elsewhere and reads the same
// everywhere. Text like that cannot say who the person is (names change, repeat, and may be typed
// without mentioning anyone), so the adapter that read the platform's own reference (Slack's <@U…>,
// Discord's <@id>) hands it over beside the text, and whatever needs to know who a person named in a
// message is (an action's user parameter) reads it from there.

import (
	"cmp"
	"slices"
	"strings"
)

// Mention is a person a message mentions, as its platform identified them.
type Mention struct {
	User string `redact:"-"` // "platform:id"
	// Name is what the message's Text shows for them after the "@", unescaped: their display name.
	Name string
}

// mentionAt reads a mention at the start of s ("@Ann Lee …"): the identity of the person whose "@name"
// s starts with, followed by the end of s or a space, and how many bytes of s it takes. The longest
// name wins ("@Ann Lee" over "@Ann"). A backslash before punctuation in s is an escape an adapter
// wrote into the Markdown ("@snake\_case") and matches the character alone. ambiguous says two
// people by that name are mentioned, and n is then its length; ok is false when no mention matches.
func mentionAt(s string, mentions []Mention) (user string, n int, ambiguous, ok bool) {
	if !strings.HasPrefix(s, "@") {
		return "", 0, false, false
	}
	byLength := slices.Clone(mentions)
	slices.SortStableFunc(byLength, func(a, b Mention) int { return cmp.Compare(len(b.Name), len(a.Name)) })
	for _, m := range byLength {
		k, matched := matchEscaped(s[1:], m.Name)
		if !matched || m.Name == "" {
			continue
		}
		k++
		if k < len(s) && s[k] != ' ' && s[k] != '\t' && s[k] != '\n' {
			continue
		}
		if ok && k == n {
			if m.User != user {
				ambiguous = true
			}
			continue
		}
		if !ok {
			user, n, ok = m.User, k, true
		}
	}
	return user, n, ambiguous, ok
}

// matchEscaped reports whether s starts with name, where s may hold a backslash before an ASCII
// punctuation character of name, and how many bytes of s it takes.
func matchEscaped(s, name string) (int, bool) {
	i := 0
	for j := 0; j < len(name); j++ {
		c := name[j]
		if i+1 < len(s) && s[i] == '\\' && s[i+1] == c && isASCIIPunctuation(c) {
			i++
		}
		if i >= len(s) || s[i] != c {
			return 0, false
		}
		i++
	}
	return i, true
}

func isASCIIPunctuation(c byte) bool {
	return c > ' ' && c < 0x7f && !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9')
}
