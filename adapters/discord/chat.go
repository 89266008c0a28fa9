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
// message, which is started when the desk first replies there, named by the engine (p.ThreadName: the
// ticket's id and redacted subject); a post to a user is sent in their DM. A long text becomes several messages; the reference returned is the last,
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
	target, parent := channel, ""
	if p.Thread != "" {
		target, parent = p.Thread, channel
	}
	// Before the post: once the desk has spoken in a thread or DM, what is said there while it is stopped
	// must be caught up.
	a.track(ctx, target, parent, p.DM != "")
	if p.Thread != "" {
		if err := a.ensureThread(channel, p.Thread, p.ThreadName); err != nil {
			return bot.MessageRef{}, err
		}
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
// started on a message the message's id, so the engine's reference (channel, root) names it. Its name is
// the one the engine gave, never the root message's content: that is the requester's raw question, with
// whatever secret they pasted in it.
func (a *Adapter) ensureThread(channel, root, name string) error {
	a.mu.Lock()
	_, known := a.parents[root]
	a.mu.Unlock()
	if known {
		return nil
	}
	_, err := a.s.MessageThreadStartComplex(channel, root, &discordgo.ThreadStart{Name: threadName(name), AutoArchiveDuration: 10080})
	if err != nil && restCode(err) != discordgo.ErrCodeThreadAlreadyCreatedForThisMessage {
		return a.apiError("start thread", err)
	}
	a.mu.Lock()
	a.parents[root] = channel
	a.mu.Unlock()
	return nil
}

// defaultThreadName names a thread when the engine gave no name (a post queued by an older version).
const defaultThreadName = "Help desk"

// threadName makes the engine's name fit a Discord thread: one line, no mention syntax (a name pings
// nobody, but it shows in the channel as text), at most Discord's 100 characters.
func threadName(name string) string {
	name = strings.Join(strings.Fields(defuse(name)), " ")
	if name == "" {
		return defaultThreadName
	}
	if utf8.RuneCountInString(name) > maxThreadName {
		r := []rune(name)
		name = string(r[:maxThreadName-1]) + "…"
	}
	return name
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
