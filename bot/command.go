package bot

import (
	"strings"
	"unicode"
)

// Command is a chat command such as "!status" or "!escalate": the prefix, a name, and its arguments.
type Command struct {
	Name string   // lower-cased, without the prefix
	Args []string // whitespace-separated words after the name
	Rest string   // everything after the name, trimmed
}

// ParseCommand reads text as a command with the given prefix. It reports false when text is not a
// command: the prefix must be followed directly by a letter, so "!!!" or "! urgent" stay plain text.
func ParseCommand(prefix, text string) (Command, bool) {
	text = strings.TrimSpace(text)
	if prefix == "" || !strings.HasPrefix(text, prefix) {
		return Command{}, false
	}
	body := text[len(prefix):]
	r := []rune(body)
	if len(r) == 0 || !unicode.IsLetter(r[0]) {
		return Command{}, false
	}
	name, rest, _ := strings.Cut(body, " ")
	if i := strings.IndexFunc(name, unicode.IsSpace); i >= 0 {
		name, rest = name[:i], name[i:]+" "+rest
	}
	rest = strings.TrimSpace(rest)
	return Command{Name: strings.ToLower(name), Args: strings.Fields(rest), Rest: rest}, true
}
