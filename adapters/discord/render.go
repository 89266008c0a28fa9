package discord

import (
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/firstline-desk/firstline/bot"
)

// Discord's message limits (https://discord.com/developers/docs/resources/message). Lengths are code
// points: the API is Python 3 and counts len(str) (discord-api-docs#1315), so that is what we count.
const (
	maxContent     = 2000 // content of one message
	maxTitle       = 256  // embed title
	maxDescription = 4096 // embed description
	maxFields      = 25   // fields in one embed
	maxFieldName   = 256
	maxFieldValue  = 1024
	maxEmbed       = 6000 // title, description, field names and values together
	maxButtons     = 5    // buttons in one action row
	maxRows        = 5    // action rows in one message
	maxLabel       = 80   // button label
	maxCustomID    = 100  // button custom_id

	maxInline = 40 // ours: a field this short shares its line with others
	maxLang   = 32 // ours: a longer code block info string is dropped, so reopening a block stays cheap

	zwsp     = "\u200b" // zero-width space: breaks @everyone and <@…> for Discord's parser, invisible to people
	ellipsis = "…"
)

// noMentions lets a message mention nobody. It must be a non-nil empty Parse: a nil one is sent as
// "parse": null, which Discord reads as "use the default", and the default pings (LIBRARY-NOTES).
// Each message gets its own, so no caller can change what another message allows.
func noMentions() *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
}

// markdown renders Markdown (knowledge-base articles, bot messages) for Discord, which reads most of it
// natively: bold, italics, code, fenced blocks, masked links, lists, #–### headings and quotes pass
// through. What Discord would show differently is adapted: table rules are dropped and rows become
// plain lines, deeper headings become bold lines, __bold__ (underline in Discord) becomes **bold**,
// ~~~ fences become ```, nested quotes become one (">>> " would quote the rest of the message), and
// images become links.
//
// Whatever the input, the result cannot notify anyone: @everyone and @here (any case) and the mention
// syntax <@id>, <@!id>, <@&id> and <#id> are broken with a zero-width space, code included. Messages are
// also sent with allowed mentions set to none; this makes the text itself harmless too, should it ever be
// sent another way. The time taken is linear in the input.
func markdown(md string) string {
	md = strings.ToValidUTF8(md, "\uFFFD")
	md = strings.ReplaceAll(md, "\r\n", "\n")
	md = strings.ReplaceAll(md, "\r", "\n")
	var b strings.Builder
	b.Grow(len(md) + len(md)/8)
	fence := "" // the fence that opened the code block we are in
	first := true
	for line := range strings.SplitSeq(md, "\n") {
		if fence == "" && isTableRule(line) {
			continue // a table's |---|---| row means nothing once the table is plain lines
		}
		if !first {
			b.WriteByte('\n')
		}
		first = false
		switch {
		case fence != "":
			if closesFence(line, fence) {
				b.WriteString("```")
				fence = ""
			} else {
				b.WriteString(line)
			}
		default:
			if f, lang := opensFence(line); f != "" {
				fence = f
				// Discord has one kind of fence: three backticks. It knows no ~~~, and a longer fence
				// would make the reopening line of a split block as long as the input likes.
				b.WriteString("```" + lang)
			} else {
				writeLine(&b, line)
			}
		}
	}
	if fence != "" {
		// Closed so that an unclosed block does not swallow what follows it, and so that splitting the
		// text into messages can count on balanced fences.
		b.WriteString("\n```")
	}
	return defuse(b.String())
}

// defuse breaks every mass mention and every mention syntax in s with a zero-width space: after the @ of
// @everyone and @here in any case, and after a < that a @ or # follows (also behind backslashes, which
// Discord's Markdown could unescape). It only inserts, so it cannot make a mention out of anything.
func defuse(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); i++ {
		c := s[i]
		b.WriteByte(c)
		switch c {
		case '@':
			if massMention(s[i+1:]) {
				b.WriteString(zwsp)
			}
		case '<':
			j := i + 1
			for j < len(s) && s[j] == '\\' {
				j++ // each backslash run follows at most one <, so this stays linear
			}
			if j < len(s) && (s[j] == '@' || s[j] == '#') {
				b.WriteString(zwsp)
			}
		}
	}
	return b.String()
}

// massMention reports whether s, just after an @, starts with everyone or here in any case.
func massMention(s string) bool {
	for _, w := range [...]string{"everyone", "here"} {
		if len(s) >= len(w) && strings.EqualFold(s[:len(w)], w) {
			return true
		}
	}
	return false
}

// opensFence returns the fence (``` or ~~~, three or more) a line opens a code block with and the
// block's language, or "" when the line opens none. A backtick line with another backtick after the
// fence is inline code ("```x```"), as in CommonMark.
func opensFence(line string) (fence, lang string) {
	t := strings.TrimLeft(line, " ")
	if len(t) < 3 || (t[0] != '`' && t[0] != '~') {
		return "", ""
	}
	n := runLen(t, 0)
	if n < 3 {
		return "", ""
	}
	info := strings.TrimSpace(t[n:])
	if t[0] == '`' && strings.IndexByte(info, '`') >= 0 {
		return "", ""
	}
	if f := strings.Fields(info); len(f) > 0 && len(f[0]) <= maxLang {
		lang = f[0]
	}
	return t[:n], lang
}

// closesFence reports whether line closes a block opened by fence: the same character, at least as many.
func closesFence(line, fence string) bool {
	t := strings.TrimSpace(line)
	return len(t) >= len(fence) && strings.Count(t, fence[:1]) == len(t)
}

// isTableRule reports whether line is a table's header rule, like "|---|:---:|".
func isTableRule(line string) bool {
	t := strings.TrimSpace(line)
	return strings.Contains(t, "|") && strings.Contains(t, "-") && strings.Trim(t, "|-: ") == ""
}

// writeLine renders one line outside code blocks: block syntax first, then its inline syntax.
func writeLine(b *strings.Builder, line string) {
	line = strings.TrimRight(line, " \t")
	t := strings.TrimLeft(line, " \t")
	indent := line[:len(line)-len(t)]
	if strings.HasPrefix(t, ">") {
		b.WriteString("> ")
		t = strings.TrimLeft(t, "> \t")
		indent = ""
	}
	switch {
	case t == "":
	case headingLevel(t) > 0 && heading(t) != "":
		if n := headingLevel(t); n <= 3 {
			b.WriteString(t[:n] + " ")
			writeInline(b, heading(t), false)
		} else {
			b.WriteString("**") // Discord has only three heading levels
			writeInline(b, heading(t), true)
			b.WriteString("**")
		}
	case len(t) >= 2 && t[0] == '+' && (t[1] == ' ' || t[1] == '\t'):
		b.WriteString(indent + "- ") // Discord lists start with - or *
		writeInline(b, strings.TrimLeft(t[2:], " \t"), false)
	case len(t) >= 2 && t[0] == '|' && t[len(t)-1] == '|':
		writeInline(b, strings.TrimSpace(t[1:len(t)-1]), false)
	default:
		b.WriteString(indent)
		writeInline(b, t, false)
	}
}

// headingLevel returns the number of #s opening an ATX heading, or 0.
func headingLevel(t string) int {
	n := 0
	for n < len(t) && t[n] == '#' {
		n++
	}
	if n == 0 || n > 6 || n == len(t) || (t[n] != ' ' && t[n] != '\t') {
		return 0
	}
	return n
}

// heading returns the text of an ATX heading ("## Title ##" → "Title"), or "" when t is not one.
func heading(t string) string {
	n := headingLevel(t)
	if n == 0 {
		return ""
	}
	h := strings.TrimSpace(t[n:])
	if trimmed := strings.TrimRight(h, "#"); trimmed == "" || strings.HasSuffix(trimmed, " ") {
		h = strings.TrimSpace(trimmed) // closing hashes count only after a space
	}
	return h
}

// writeInline renders the inline syntax of one line. Most of it passes through; code spans are copied
// untouched, and so are URLs, whose underscores are not emphasis. In a heading shown as a bold line,
// inner ** and __ are dropped: bold cannot nest in bold.
func writeInline(b *strings.Builder, s string, inBold bool) {
	ticks := map[int][]int{} // backtick runs by length: their positions, for matching code spans
	for j := 0; j < len(s); {
		if s[j] != '`' {
			j++
			continue
		}
		k := runLen(s, j)
		ticks[k] = append(ticks[k], j)
		j += k
	}
	used := map[int]int{} // how far each list in ticks has been consumed
	lastLink := strings.LastIndex(s, "](")
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '`':
			n := runLen(s, i)
			list, k := ticks[n], used[n]
			for k < len(list) && list[k] <= i {
				k++
			}
			used[n] = k
			end := i + n
			if k < len(list) {
				end = list[k] + n // a code span: copied as is
			}
			b.WriteString(s[i:end])
			i = end
		case c == '\\' && i+1 < len(s) && isASCIIPunct(s[i+1]):
			b.WriteString(s[i : i+2]) // Discord honours the same escapes
			i += 2
		case c == '_' || c == '*':
			n := runLen(s, i)
			switch {
			case n == 2 && inBold:
			case n == 2 && c == '_' && flanking(s, i, n):
				b.WriteString("**") // __bold__ is bold in Markdown, underline in Discord
			default:
				b.WriteString(s[i : i+n])
			}
			i += n
		case c == '!' && i+1 < len(s) && s[i+1] == '[' && i < lastLink:
			i++ // Discord shows no images in text: the image becomes a link to it
		case bareURL(s, i):
			j := i
			for j < len(s) && s[j] > ' ' {
				j++
			}
			b.WriteString(s[i:j])
			i = j
		default:
			j := i + 1
			for j < len(s) && strings.IndexByte("`\\_*!h", s[j]) < 0 {
				j++
			}
			b.WriteString(s[i:j])
			i = j
		}
	}
}

// flanking reports whether the run s[i:i+n] can open or close emphasis: it touches a word on one side
// and not on the other, so snake__case stays as it is.
func flanking(s string, i, n int) bool {
	before, after := ' ', ' '
	if i > 0 {
		before, _ = utf8.DecodeLastRuneInString(s[:i])
	}
	if i+n < len(s) {
		after, _ = utf8.DecodeRuneInString(s[i+n:])
	}
	open := !unicode.IsSpace(after) && (unicode.IsSpace(before) || isPunct(before))
	closing := !unicode.IsSpace(before) && (unicode.IsSpace(after) || isPunct(after))
	return open || closing
}

// bareURL reports whether an http or https URL starts at i, at the start of a word.
func bareURL(s string, i int) bool {
	if s[i] != 'h' || (i > 0 && isAlnum(s[i-1])) {
		return false
	}
	return strings.HasPrefix(s[i:], "https://") || strings.HasPrefix(s[i:], "http://")
}

func runLen(s string, i int) int {
	n := 1
	for i+n < len(s) && s[i+n] == s[i] {
		n++
	}
	return n
}

func isASCIIPunct(c byte) bool {
	return c < utf8.RuneSelf && c > ' ' && c != 0x7f && !isAlnum(c)
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isPunct(r rune) bool { return unicode.IsPunct(r) || unicode.IsSymbol(r) }

// rendered is a post as Discord shows it: an embed for a card, or else content; and its buttons.
type rendered struct {
	embed   *discordgo.MessageEmbed
	content string
	rows    []discordgo.MessageComponent
}

// render decides what a post looks like; messageSend and messageEdit only package it, so a card edited
// in place looks exactly like the card first sent.
func render(p bot.Post) rendered {
	r := rendered{rows: actionRows(p.Choices)}
	if p.Title != "" || len(p.Fields) > 0 {
		r.embed = embed(p)
	} else {
		r.content = strings.TrimSpace(markdown(p.Text))
	}
	return r
}

// messageSend renders a post as the messages to send, in order. A card (a post with a title or fields)
// is one message with one embed. Other text goes in the content, split into as many messages as its
// length needs, on paragraph, line or space boundaries, a code block cut in two closed and reopened;
// nothing is dropped. The buttons go on the last message, under the end of the text. There is always at
// least one message, so the caller always has a reference to return.
func messageSend(p bot.Post) []*discordgo.MessageSend {
	r := render(p)
	if r.embed != nil {
		return []*discordgo.MessageSend{{
			Embeds:          []*discordgo.MessageEmbed{r.embed},
			Components:      r.rows,
			AllowedMentions: noMentions(),
		}}
	}
	roles := notifyRoles(p.Notify)
	var ping strings.Builder
	for _, id := range roles {
		ping.WriteString("<@&" + id + "> ")
	}
	// The ping goes before the first part, so every part leaves room for it.
	parts := split(r.content, maxContent-ping.Len())
	if len(parts) == 0 {
		parts = []string{zwsp} // Discord refuses an empty message; buttons need something to hang under
	}
	out := make([]*discordgo.MessageSend, len(parts))
	for i, part := range parts {
		out[i] = &discordgo.MessageSend{Content: part, AllowedMentions: noMentions()}
	}
	if len(roles) > 0 {
		// The one deliberate ping: the roles named, allowed by id, and nothing else.
		out[0].Content = ping.String() + out[0].Content
		out[0].AllowedMentions = &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}, Roles: roles}
	}
	out[len(out)-1].Components = r.rows
	return out
}

// messageEdit renders a post as the edit that turns an existing message into it, as cards are edited
// when their ticket moves. The edit states the whole message: content, embeds and components are all
// set, so nothing of the previous version survives by accident. In particular a post without choices
// sends "components": [] and removes the buttons: a card whose ticket was claimed must lose its Claim
// button (leaving Components nil would keep stale buttons, and discordgo's null would clear them only by
// accident of encoding). A card clears the content and a plain post clears the embeds likewise.
//
// The embed, or content that fits in one message, is exactly that of messageSend's first message. An
// edit cannot add messages, so longer text is cut to one message ending in "…".
func messageEdit(channelID, messageID string, p bot.Post) *discordgo.MessageEdit {
	r := render(p)
	rows := r.rows
	if rows == nil {
		rows = []discordgo.MessageComponent{}
	}
	embeds := []*discordgo.MessageEmbed{}
	content := ""
	if r.embed != nil {
		embeds = append(embeds, r.embed)
	} else {
		content = clipMarkdown(r.content, maxContent)
		if content == "" {
			content = zwsp
		}
	}
	return &discordgo.MessageEdit{
		ID:              messageID,
		Channel:         channelID,
		Content:         &content,
		Embeds:          &embeds,
		Components:      &rows,
		AllowedMentions: noMentions(),
	}
}

// embed renders a card. Discord caps the whole embed at 6000 characters: the title and fields are the
// card's substance, so the description gives way first, and only fields that could never fit (more than
// 6000 characters of them) are dropped from the end.
func embed(p bot.Post) *discordgo.MessageEmbed {
	e := &discordgo.MessageEmbed{Title: clip(defuse(oneLine(p.Title)), maxTitle)}
	used := count(e.Title)
	for _, f := range p.Fields {
		if len(e.Fields) == maxFields {
			break // the engine's cards have a handful of fields; Discord refuses a 26th
		}
		name := clip(defuse(oneLine(f.Name)), maxFieldName)
		value := clipMarkdown(strings.TrimSpace(markdown(f.Value)), maxFieldValue)
		if name == "" && value == "" {
			continue
		}
		// Discord requires both; an invisible one keeps the other.
		name, value = firstOf(name, zwsp), firstOf(value, zwsp)
		if used+count(name)+count(value) > maxEmbed {
			break
		}
		used += count(name) + count(value)
		e.Fields = append(e.Fields, &discordgo.MessageEmbedField{
			Name:   name,
			Value:  value,
			Inline: count(name) <= maxInline && count(value) <= maxInline && !strings.Contains(value, "\n"),
		})
	}
	e.Description = clipMarkdown(strings.TrimSpace(markdown(p.Text)), min(maxDescription, maxEmbed-used))
	return e
}

// actionRows renders choices as buttons, five to a row. Discord takes five rows, so choices past the 25th
// are dropped; the engine offers at most a handful. A button's custom_id is the choice's ID unchanged,
// since a click reports it back: a choice whose ID Discord would refuse (empty, over 100 characters) or
// that a button already carries (Discord refuses duplicates, and it would report the same choice) gets no
// button rather than making the whole message fail.
func actionRows(choices []bot.Choice) []discordgo.MessageComponent {
	var rows []discordgo.MessageComponent
	var buttons []discordgo.MessageComponent
	seen := map[string]bool{}
	for i, c := range choices {
		if len(rows) == maxRows {
			break
		}
		if c.ID == "" || count(c.ID) > maxCustomID || seen[c.ID] {
			continue
		}
		seen[c.ID] = true
		label := firstOf(oneLine(c.Label), oneLine(c.ID), "Choice "+strconv.Itoa(i+1))
		btn := discordgo.Button{CustomID: c.ID, Label: clip(defuse(label), maxLabel), Style: discordgo.SecondaryButton}
		switch c.Style {
		case bot.StylePrimary:
			btn.Style = discordgo.PrimaryButton
		case bot.StyleDanger:
			btn.Style = discordgo.DangerButton
		}
		buttons = append(buttons, btn)
		if len(buttons) == maxButtons {
			rows = append(rows, discordgo.ActionsRow{Components: buttons})
			buttons = nil
		}
	}
	if len(buttons) > 0 && len(rows) < maxRows {
		rows = append(rows, discordgo.ActionsRow{Components: buttons})
	}
	return rows
}

// oneLine collapses all whitespace, newlines included, to single spaces.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ToValidUTF8(s, "\uFFFD")), " ")
}

// count is the length of s as Discord counts it: code points.
func count(s string) int { return utf8.RuneCountInString(s) }

// clip cuts s to at most limit characters, ending it with "…" when it had to cut.
func clip(s string, limit int) string {
	if count(s) <= limit {
		return s
	}
	if limit <= 0 {
		return ""
	}
	head, _ := cut(s, limit-1)
	return strings.TrimRight(head, " \n") + ellipsis
}

// clipMarkdown cuts rendered Markdown to at most limit characters, ending it with "…" when it had to cut.
// A code block it cuts is closed, so the "…" is not shown as code.
func clipMarkdown(s string, limit int) string {
	if count(s) <= limit {
		return s
	}
	const more = "\n" + ellipsis
	if limit <= len(more)+8 {
		return "" // too little room to say anything: better nothing than a stray fence
	}
	parts := split(s, limit-count(more))
	if len(parts) == 0 || count(parts[0])+count(more) > limit {
		return "" // so little room that closing a code block did not fit
	}
	return parts[0] + more
}

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

func firstOf(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// fromDiscord turns the content of an inbound Discord message into the Markdown the engine stores. Discord
// content is Markdown already, so only its tokens change: the bot's own mention removed (with the ":" or
// "," that addresses it), user mentions as @name, role mentions as @role name, channels as #name, custom
// emoji as :name:, timestamps <t:…> as the date in UTC. Names are plain text: their Markdown characters
// are escaped, so "@snake_case" or "@*star*" is a name on every platform, never formatting and never a
// ping. Anything else in <…> is left as it is. name, roleName and channelName look up names; any may be
// nil or return "".
func fromDiscord(content, botID string, name func(userID string) string, roleName func(roleID string) string, channelName func(channelID string) string) string {
	// Discord's tokens are short (ids have at most 20 digits, emoji names 32 characters): looking no
	// further for the closing > keeps a message full of stray < linear.
	const maxToken = 100
	var b strings.Builder
	for {
		i := strings.IndexByte(content, '<')
		if i < 0 {
			break
		}
		b.WriteString(content[:i])
		content = content[i:]
		j := strings.IndexByte(content[:min(len(content), maxToken)], '>')
		if j < 0 {
			b.WriteByte('<')
			content = content[1:]
			continue
		}
		token, after := content[1:j], content[j+1:]
		switch {
		case strings.HasPrefix(token, "@&") && isDigits(token[2:]):
			id, role := token[2:], ""
			if roleName != nil {
				role = roleName(id)
			}
			b.WriteString("@" + escapeName(firstOf(role, "role")))
		case strings.HasPrefix(token, "@") && isDigits(strings.TrimPrefix(token[1:], "!")):
			id := strings.TrimPrefix(token[1:], "!")
			if id == botID && botID != "" {
				// "<@BOT>: my VPN is down" is addressed to the bot; the mention is not part of the request.
				if strings.HasPrefix(after, ":") || strings.HasPrefix(after, ",") {
					after = after[1:]
				}
				if b.Len() == 0 || strings.HasSuffix(b.String(), " ") {
					after = strings.TrimLeft(after, " ")
				}
				break
			}
			who := ""
			if name != nil {
				who = name(id)
			}
			b.WriteString("@" + escapeName(firstOf(who, id)))
		case strings.HasPrefix(token, "#") && isDigits(token[1:]):
			channel := ""
			if channelName != nil {
				channel = channelName(token[1:])
			}
			b.WriteString("#" + escapeName(firstOf(channel, token[1:])))
		case timestamp(token) != "":
			b.WriteString(timestamp(token))
		case customEmoji(token) != "":
			b.WriteString(":" + customEmoji(token) + ":")
		default:
			b.WriteByte('<') // not ours to read; what follows may still hold a token
			content = content[1:]
			continue
		}
		content = after
	}
	b.WriteString(content)
	return strings.TrimSpace(b.String())
}

// escapeName escapes the characters of a name that Markdown would read as syntax.
func escapeName(name string) string {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		if strings.IndexByte("\\*_~`[]<>|#", name[i]) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(name[i])
	}
	return b.String()
}

// timestamp returns the moment of a timestamp token "t:1700000000" or "t:1700000000:R" as a date in
// UTC, or "" when token is not one. Other platforms have no such token, and a date reads the same to all.
func timestamp(token string) string {
	rest, ok := strings.CutPrefix(token, "t:")
	if !ok {
		return ""
	}
	secs, style, _ := strings.Cut(rest, ":")
	if !isDigits(secs) || len(secs) > 12 || len(style) > 1 {
		return ""
	}
	n, err := strconv.ParseInt(secs, 10, 64)
	if err != nil {
		return ""
	}
	return time.Unix(n, 0).UTC().Format("2 Jan 2006 15:04 UTC")
}

// customEmoji returns the name in a custom emoji token ":name:id" or "a:name:id", or "".
func customEmoji(token string) string {
	token = strings.TrimPrefix(token, "a")
	if !strings.HasPrefix(token, ":") {
		return ""
	}
	name, id, ok := strings.Cut(token[1:], ":")
	if !ok || name == "" || !isDigits(id) || strings.ContainsAny(name, " <>@") {
		return ""
	}
	return name
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

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

// notifyRoles are the Discord role ids among the groups a post deliberately pings (bot.Post.Notify).
func notifyRoles(groups []string) []string {
	var out []string
	for _, g := range groups {
		if id, ok := strings.CutPrefix(g, "discord:role:"); ok && isDigits(id) {
			out = append(out, id)
		}
	}
	return out
}
