package discord

import (
	"strings"

	mdast "github.com/firstline-desk/firstline/markdown"
)

// split cuts rendered Markdown into parts of at most limit characters each, losing no text
// (markdown.Split): at paragraph, line or space boundaries, never inside an inline span when it can
// help it, a code block cut in two closed and reopened with its opening line. Text that is only white
// space makes no part.
func split(s string, limit int) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	var parts []string
	for _, p := range mdast.Split(s, limit) {
		if strings.TrimSpace(p) != "" {
			parts = append(parts, p)
		}
	}
	return parts
}
