package discord

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/firstline-desk/firstline/bot"
)

// fromDiscord turns the content of an inbound Discord message into the Markdown the engine stores. Discord
// content is Markdown already, so only its tokens change: the bot's own mention removed (with the ":" or
// "," that addresses it), user mentions as @name, role mentions as @role name, channels as #name, custom
// emoji as :name:, timestamps <t:…> as the date in UTC. Names are plain text: their Markdown characters
// are escaped, so "@snake_case" or "@*star*" is a name on every platform, never formatting and never a
// ping. Anything else in <…> is left as it is. name, roleName and channelName look up names; any may be
// nil or return "".
func fromDiscord(content, botID string, name func(userID string) string, roleName func(roleID string) string, channelName func(channelID string) string) string {
	text, _ := fromDiscordMentions(content, botID, name, roleName, channelName)
	return text
}

// fromDiscordMentions is fromDiscord, with the people the content mentions (other than the bot) for
// bot.Event.Mentions, in order, each once: the text shows them as @name, and the engine needs to know
// who they are (an action's user parameter). Only a person name knows is one: a <@id> Discord did not
// resolve (not in the message's mentions) names nobody the desk can vouch for.
func fromDiscordMentions(content, botID string, name func(userID string) string, roleName func(roleID string) string, channelName func(channelID string) string) (string, []bot.Mention) {
	var mentions []bot.Mention
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
			if m := (bot.Mention{User: bot.JoinID(Platform, id), Name: who}); who != "" && !slices.Contains(mentions, m) {
				mentions = append(mentions, m)
			}
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
	return strings.TrimSpace(b.String()), mentions
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
