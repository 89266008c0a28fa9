package discord

import (
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
)

// deskEmoji maps the unicode emoji Firstline knows, without modifiers, to their reaction names, which
// are Slack's (the names are shared across platforms).
var deskEmoji = map[string]string{
	"\U0001F64B": "raising_hand",
	"\u2B06":     "arrow_up",
	"\u2705":     "white_check_mark",
	"\U0001F4DA": "books",
	"\U0001F44D": "+1",
	"\U0001F44E": "-1",
	"\u2714":     "heavy_check_mark",
	"\u274C":     "x",
	"\U0001F440": "eyes",
	// Keycaps 1-5 (digit, U+FE0F, U+20E3; baseEmoji drops the FE0F): ratings by reaction.
	"1\u20E3":    "one",
	"2\u20E3":    "two",
	"3\u20E3":    "three",
	"4\u20E3":    "four",
	"5\u20E3":    "five",
	"\U0001F6A8": "rotating_light",
	"\U0001F3AB": "ticket", // any message becomes a ticket (reactions.ticket)
}

// emojiNames is the reverse of deskEmoji, with the variation selector where Discord's own picker sends
// one: a reaction added without it would be another reaction than the one people click.
var emojiNames = map[string]string{
	"raising_hand":     "\U0001F64B",
	"arrow_up":         "\u2B06\uFE0F",
	"white_check_mark": "\u2705",
	"books":            "\U0001F4DA",
	"+1":               "\U0001F44D",
	"-1":               "\U0001F44E",
	"heavy_check_mark": "\u2714\uFE0F",
	"x":                "\u274C",
	"eyes":             "\U0001F440",
	"one":              "1\uFE0F\u20E3",
	"two":              "2\uFE0F\u20E3",
	"three":            "3\uFE0F\u20E3",
	"four":             "4\uFE0F\u20E3",
	"five":             "5\uFE0F\u20E3",
	"rotating_light":   "\U0001F6A8",
	"ticket":           "\U0001F3AB",
}

// baseEmoji strips what varies a unicode emoji without changing its meaning: skin tones (U+1F3FB–
// U+1F3FF), variation selectors (U+FE0E, U+FE0F) and a joined gender sign (U+200D U+2640/U+2642), so
// 🙋🏽‍♀️ is 🙋. Other joined sequences stay, being other emoji (👨‍💻 is not 👨).
func baseEmoji(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r >= 0x1F3FB && r <= 0x1F3FF, r == 0xFE0E, r == 0xFE0F:
			continue
		case r == 0x200D:
			if next, n := utf8.DecodeRuneInString(s[i:]); next == 0x2640 || next == 0x2642 {
				i += n
				continue
			}
		}
		b.WriteRune(r)
	}
	return b.String()
}

// normalizeName turns a configured or reported reaction name into Firstline's form: lower case, without
// colons or a Slack skin tone, thumbsup and thumbsdown as +1 and -1.
func normalizeName(name string) string {
	name = strings.ToLower(strings.Trim(strings.TrimSpace(name), ":"))
	name, _, _ = strings.Cut(name, "::")
	switch name {
	case "thumbsup":
		return "+1"
	case "thumbsdown":
		return "-1"
	}
	return name
}

// reactionName returns the Firstline name of a reaction, or "" for one Firstline does not know. custom
// is the admins' naming of emoji, from config: keys are a custom emoji's id, its name, or "name:id",
// values Firstline names ({"123456": "raising_hand"}, {"claim": "raising_hand"}). A unicode emoji is
// known by its base form, whatever its skin tone or gender, or by a custom key; a custom emoji not
// named in custom goes by its own name, lower-cased.
func reactionName(e discordgo.Emoji, custom map[string]string) string {
	if e.ID != "" {
		keys := []string{e.ID}
		if e.Name != "" {
			keys = append(keys, e.Name+":"+e.ID, e.Name, strings.ToLower(e.Name))
		}
		for _, key := range keys {
			if v, ok := custom[key]; ok {
				return normalizeName(v)
			}
		}
		return normalizeName(e.Name)
	}
	base := baseEmoji(e.Name)
	if v, ok := custom[base]; ok && base != "" {
		return normalizeName(v)
	}
	return deskEmoji[base]
}

// emojiFor returns what to react with for a Firstline reaction name, as discordgo's MessageReactionAdd
// takes it: the unicode emoji for a name Firstline knows, else "name:id" for a custom emoji custom maps
// to the name, else "". The unicode emoji wins over a custom one mapped to the same name: it works in
// every guild and DM, and a custom mapping is there so that technicians may click either. Discord reads
// only the id of "name:id" (discord-api-docs#2653), so a custom emoji configured by id alone is sent
// with a placeholder name; one configured by name alone has no id to react with.
func emojiFor(name string, custom map[string]string) string {
	name = normalizeName(name)
	if e, ok := emojiNames[name]; ok {
		return e
	}
	if name == "" {
		return ""
	}
	keys := make([]string, 0, len(custom))
	for k := range custom {
		keys = append(keys, k)
	}
	sort.Strings(keys) // several emoji may share a name: always react with the same one
	for _, k := range keys {
		if normalizeName(custom[k]) != name {
			continue
		}
		if isDigits(k) {
			return placeholder(name) + ":" + k
		}
		if n, id, ok := strings.Cut(k, ":"); ok && n != "" && isDigits(id) {
			return k
		}
	}
	return ""
}

// placeholder is the name part for a custom emoji known by id only: the Firstline name when it is a
// valid emoji name, since it reads well in logs, else "emoji".
func placeholder(name string) string {
	for i := 0; i < len(name); i++ {
		if !isAlnum(name[i]) && name[i] != '_' {
			return "emoji"
		}
	}
	if len(name) < 2 {
		return "emoji"
	}
	return name
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
