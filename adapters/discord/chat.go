package discord

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/firstline-desk/firstline/bot"
)

// maxThreadName is Discord's limit for a thread's name.
const maxThreadName = 100

// Post implements bot.Chat. A post in the thread of a message goes into the Discord thread on that
// message, which is started when the desk first replies there (named after the question); a post to a
// user is sent in their DM. A long text becomes several messages; the reference returned is the last,
// which carries the buttons.
func (a *Adapter) Post(ctx context.Context, p bot.Post) (bot.MessageRef, error) {
	return a.post(ctx, p, "")
}

// post is Post, each message sent with a nonce made from key when key is not "" (see PostOnce).
func (a *Adapter) post(ctx context.Context, p bot.Post, key string) (bot.MessageRef, error) {
	channel := p.Channel
	if p.DM != "" {
		var err error
		if channel, err = a.dmChannel(p.DM); err != nil {
			return bot.MessageRef{}, err
		}
	}
	target := channel
	if p.Thread != "" {
		if err := a.ensureThread(channel, p.Thread); err != nil {
			return bot.MessageRef{}, err
		}
		target = p.Thread
	}
	var last *discordgo.Message
	for i, m := range messageSend(p) {
		sent, err := a.createMessage(ctx, target, m, nonce(key, i))
		if err != nil {
			return bot.MessageRef{}, a.apiError("send message", err)
		}
		last = sent
	}
	if last == nil {
		return bot.MessageRef{}, bot.Errorf(bot.EINVALID, "discord: nothing to send")
	}
	return bot.MessageRef{Platform: Platform, Channel: channel, Thread: p.Thread, ID: last.ID}, nil
}

// ensureThread starts the thread on message root in channel unless it exists. Discord gives a thread
// started on a message the message's id, so the engine's reference (channel, root) names it.
func (a *Adapter) ensureThread(channel, root string) error {
	a.mu.Lock()
	_, known := a.parents[root]
	a.mu.Unlock()
	if known {
		return nil
	}
	name := "Ticket"
	if m, err := a.s.ChannelMessage(channel, root); err == nil {
		if n := threadName(m.Content); n != "" {
			name = n
		}
	}
	_, err := a.s.MessageThreadStartComplex(channel, root, &discordgo.ThreadStart{Name: name, AutoArchiveDuration: 10080})
	if err != nil && restCode(err) != discordgo.ErrCodeThreadAlreadyCreatedForThisMessage {
		return a.apiError("start thread", err)
	}
	a.mu.Lock()
	a.parents[root] = channel
	a.threads[root] = true
	a.mu.Unlock()
	return nil
}

// threadName is the first line of a question, cut to Discord's limit, without mention syntax.
func threadName(content string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(fromDiscord(content, "", func(string) string { return "" }, func(string) string { return "" })), "\n")
	line = strings.TrimSpace(line)
	if utf8.RuneCountInString(line) > maxThreadName {
		r := []rune(line)
		line = string(r[:maxThreadName-1]) + "…"
	}
	return line
}

// Update implements bot.Editor: a card is edited in place as its ticket moves.
func (a *Adapter) Update(ctx context.Context, ref bot.MessageRef, p bot.Post) error {
	if _, err := a.s.ChannelMessageEditComplex(messageEdit(where(ref), ref.ID, p), discordgo.WithContext(ctx)); err != nil {
		return a.apiError("edit message", err)
	}
	return nil
}

// React implements bot.Reactor. A name with no Discord emoji is skipped: a reaction is a courtesy.
func (a *Adapter) React(ctx context.Context, ref bot.MessageRef, name string) error {
	emoji := emojiFor(name, a.cfg.CustomEmoji)
	if emoji == "" {
		return nil
	}
	if err := a.s.MessageReactionAdd(where(ref), ref.ID, emoji, discordgo.WithContext(ctx)); err != nil {
		return a.apiError("add reaction", err)
	}
	return nil
}

// where is the Discord channel a message lives in: its thread when it is in one.
func where(ref bot.MessageRef) string {
	if ref.Thread != "" {
		return ref.Thread
	}
	return ref.Channel
}

// dmChannel returns the DM channel with user ("discord:ID"), opening it once.
func (a *Adapter) dmChannel(user string) (string, error) {
	platform, id := bot.SplitID(user)
	if platform != Platform || id == "" {
		return "", bot.Errorf(bot.EINVALID, "discord: cannot DM %q, not a Discord user", user)
	}
	a.mu.Lock()
	ch, ok := a.dms[id]
	a.mu.Unlock()
	if ok {
		return ch, nil
	}
	c, err := a.s.UserChannelCreate(id)
	if err != nil {
		return "", a.apiError("open DM", err)
	}
	a.mu.Lock()
	a.dms[id] = c.ID
	a.parents[c.ID] = ""
	a.mu.Unlock()
	return c.ID, nil
}
