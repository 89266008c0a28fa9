package slack

import (
	"strconv"
	"strings"
	"unicode/utf8"

	slackapi "github.com/slack-go/slack"

	"github.com/firstline-desk/firstline/bot"
)

// Slack's Block Kit limits (https://docs.slack.dev/reference/block-kit). Lengths are characters of the
// text as sent, entities included, which is also how slack-go's Validate counts them.
const (
	maxBlocks      = 50   // blocks in one message
	maxHeader      = 150  // header text
	maxSectionText = 3000 // section text
	maxFields      = 10   // fields in one section
	maxFieldText   = 2000 // one field's text
	maxActions     = 25   // elements in one actions block
	maxButtonText  = 75   // button label
	maxActionID    = 255  // action_id
	maxButtonValue = 2000 // button value
	maxFallback    = 150  // ours, not Slack's: a notification shows about one line

	choicesBlockID = "firstline_choices"
	fallbackText   = "Firstline"
)

// blocks renders a post as Block Kit: a header for the title, sections for the text and the fields, and
// actions blocks of buttons for the choices. fallback is the message's plain text, which Slack shows in
// notifications and where blocks cannot be shown; it is mrkdwn, already escaped, and never empty.
//
// Every mrkdwn text is verbatim, so Slack does not link channel names or parse mentions by itself, and
// every plain text has mentions defused, so nothing in a post can notify anyone.
func blocks(p bot.Post) (fallback string, blocks []slackapi.Block) {
	title := oneLine(p.Title)
	if title != "" {
		blocks = append(blocks, slackapi.NewHeaderBlock(plainText(title, maxHeader)))
	}
	text := strings.TrimSpace(mrkdwn(p.Text))
	if ping := notify(p.Notify); ping != "" {
		text = ping + " " + text
	}
	fields := fieldSections(p.Fields)
	choices := actionBlocks(p.Choices)
	room := max(maxBlocks-len(blocks)-len(fields)-len(choices), 1)
	for _, part := range splitText(text, maxSectionText, room) {
		blocks = append(blocks, slackapi.NewSectionBlock(mrkdwnText(part), nil, nil))
	}
	blocks = append(blocks, fields...)
	blocks = append(blocks, choices...)
	return notification(title, text), blocks
}

// notification is a post's one-line fallback: its title, or else the first line of its text.
func notification(title, text string) string {
	line := ""
	if title != "" {
		line = strings.TrimSpace(mrkdwn(title))
	}
	for rest := text; line == "" && rest != ""; {
		var l string
		l, rest, _ = strings.Cut(rest, "\n")
		if l = strings.TrimSpace(l); l != "```" {
			line = l
		}
	}
	if line == "" {
		return fallbackText
	}
	return clip(line, maxFallback)
}

// fieldSections renders fields as "*Name*\nValue", up to ten in a section.
func fieldSections(fields []bot.Field) []slackapi.Block {
	var texts []*slackapi.TextBlockObject
	for _, f := range fields {
		var b strings.Builder
		if name := oneLine(f.Name); name != "" {
			b.WriteByte('*')
			b.WriteString(inlineMrkdwn(name))
			b.WriteByte('*')
		}
		if value := strings.TrimSpace(mrkdwn(f.Value)); value != "" {
			if b.Len() > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(value)
		}
		if b.Len() == 0 {
			continue // Slack rejects an empty text
		}
		texts = append(texts, mrkdwnText(clip(b.String(), maxFieldText)))
	}
	var out []slackapi.Block
	for len(texts) > 0 {
		n := min(len(texts), maxFields)
		out = append(out, slackapi.NewSectionBlock(nil, texts[:n], nil))
		texts = texts[n:]
	}
	return out
}

// actionBlocks renders choices as buttons, up to 25 in an actions block. The value is the choice's id,
// which a click reports; action_id must be unique in a message, so a repeated id gets a suffix there.
func actionBlocks(choices []bot.Choice) []slackapi.Block {
	var out []slackapi.Block
	var buttons []slackapi.BlockElement
	seen := map[string]bool{}
	flush := func() {
		if len(buttons) == 0 {
			return
		}
		id := choicesBlockID
		if len(out) > 0 {
			id += "_" + strconv.Itoa(len(out)+1)
		}
		out = append(out, slackapi.NewActionBlock(id, buttons...))
		buttons = nil
	}
	for i, c := range choices {
		label := oneLine(c.Label)
		if label == "" {
			label = oneLine(c.ID)
		}
		if label == "" {
			label = "Choice " + strconv.Itoa(i+1)
		}
		actionID := uniqueID(truncate(c.ID, maxActionID-8), seen)
		btn := slackapi.NewButtonBlockElement(actionID, truncate(c.ID, maxButtonValue), plainText(label, maxButtonText))
		switch c.Style {
		case bot.StylePrimary:
			btn.WithStyle(slackapi.StylePrimary)
		case bot.StyleDanger:
			btn.WithStyle(slackapi.StyleDanger)
		}
		buttons = append(buttons, btn)
		if len(buttons) == maxActions {
			flush()
		}
	}
	flush()
	return out
}

// uniqueID returns id, or id with the first free suffix "_2", "_3"… when seen has it, and marks it seen.
func uniqueID(id string, seen map[string]bool) string {
	if id == "" {
		id = "choice"
	}
	candidate := id
	for n := 2; seen[candidate]; n++ {
		candidate = id + "_" + strconv.Itoa(n)
	}
	seen[candidate] = true
	return candidate
}

// mrkdwnText is a verbatim mrkdwn text object: Slack shows it as written, without auto-linking or
// parsing mentions.
func mrkdwnText(s string) *slackapi.TextBlockObject {
	return slackapi.NewTextBlockObject(slackapi.MarkdownType, s, false, true)
}

// plainText is a plain_text object of at most max characters. Plain text is not parsed for mentions,
// but it is defused all the same, so no message the bot sends contains one in any form.
func plainText(s string, limit int) *slackapi.TextBlockObject {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteByte(s[i])
		switch {
		case s[i] == '@' && massMention(s[i+1:]):
			b.WriteString(zwsp)
		case s[i] == '<' && i+1 < len(s) && strings.IndexByte("!@#", s[i+1]) >= 0:
			b.WriteString(zwsp)
		}
	}
	return slackapi.NewTextBlockObject(slackapi.PlainTextType, clip(b.String(), limit), true, false)
}

// oneLine collapses all whitespace, newlines included, to single spaces.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ToValidUTF8(s, "\uFFFD")), " ")
}

// truncate cuts s to at most n bytes without splitting a character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// clip cuts s to at most limit characters, ending it with "…" when it had to cut.
func clip(s string, limit int) string {
	if head, rest := cut(s, limit); rest == "" {
		return head
	}
	head, _ := cut(s, limit-1)
	return strings.TrimRight(head, " \n") + "…"
}

// notify renders the groups a post deliberately pings (bot.Post.Notify) as Slack user-group mentions.
// It is the only way a mention reaches Slack: ids are checked to be ids, and text is escaped by mrkdwn.
func notify(groups []string) string {
	var out []string
	for _, g := range groups {
		rest, ok := strings.CutPrefix(g, "slack:subteam:")
		if !ok || rest == "" || strings.IndexFunc(rest, func(r rune) bool { return !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') }) >= 0 {
			continue
		}
		out = append(out, "<!subteam^"+rest+">")
	}
	return strings.Join(out, " ")
}
