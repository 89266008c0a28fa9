package discord

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/firstline-desk/firstline/bot"
	mdast "github.com/firstline-desk/firstline/markdown"
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
	if limit == 1 {
		return ellipsis
	}
	head := mdast.Split(s, limit-1)[0]
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

func firstOf(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
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
