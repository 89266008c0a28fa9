package discord

import (
	"context"

	"github.com/bwmarrin/discordgo"

	"github.com/firstline-desk/firstline/bot"
)

// Any message becomes a ticket: a reaction with the ticket emoji (🎫, reactions.ticket) or the message
// command "Create ticket" asks the engine to turn a message into a ticket; the engine records that,
// the platform is answered, and a job of the engine reads the message with ReadMessage, off the gateway.

var _ bot.MessageReader = (*Adapter)(nil)

// ReadMessage implements bot.MessageReader: the message ref names, read over REST from where it is (the
// thread, when ref.Thread is set). A message that is gone, or in a channel the bot may not read, is
// ENOTFOUND. A system message (a join, a pin, "started a thread") has no author, so it is no request.
func (a *Adapter) ReadMessage(ctx context.Context, ref bot.MessageRef) (bot.ChatMessage, error) {
	if ref.Platform != Platform || ref.Channel == "" || ref.ID == "" {
		return bot.ChatMessage{}, bot.Errorf(bot.ENOTFOUND, "discord: no message %s/%s", ref.Channel, ref.ID)
	}
	m, err := a.s.ChannelMessage(where(ref), ref.ID, discordgo.WithContext(ctx))
	if err != nil {
		err = a.apiError("read message", err)
		if code := bot.ErrorCode(err); code == bot.EINVALID {
			// Missing access: the desk may not read that channel, which for the person is the same as gone.
			return bot.ChatMessage{}, bot.WrapError(err, bot.ENOTFOUND, "discord: the message %s cannot be read", ref.ID)
		}
		return bot.ChatMessage{}, err
	}
	out := bot.ChatMessage{Ref: bot.MessageRef{Platform: Platform, Channel: ref.Channel, Thread: ref.Thread, ID: m.ID}, Time: m.Timestamp}
	if m.Author == nil || (m.Type != discordgo.MessageTypeDefault && m.Type != discordgo.MessageTypeReply) {
		return out, nil
	}
	out.Author = bot.JoinID(Platform, m.Author.ID)
	out.Bot = m.Author.Bot || m.Author.ID == a.BotID()
	// A message read over REST carries no member: the name is the one the directory knows (a nickname
	// seen in an event), else the account's.
	out.AuthorName = firstOf(a.dir.anyName(m.Author.ID), displayName(m.Author, nil))
	out.Text = fromDiscord(m.Content, a.BotID(), a.userName(m), func(string) string { return "" }, a.channelName)
	out.Files = files(m)
	return out, nil
}
