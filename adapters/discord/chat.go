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
	d, err := a.destination(ctx, p)
	if err != nil {
		return bot.MessageRef{}, err
	}
	p = a.withLink(ctx, p)
	var last *discordgo.Message
	for i, m := range messageSend(p) {
		sent, err := a.createMessage(ctx, d.target, d.reply(m), nonce(key, i))
		if err != nil {
			return bot.MessageRef{}, a.apiError("send message", err)
		}
		last = sent
	}
	if last == nil {
		return bot.MessageRef{}, bot.Errorf(bot.EINVALID, "discord: nothing to send")
	}
	return d.ref(last.ID), nil
}

// destination is where a post goes on Discord.
type destination struct {
	target  string // the Discord channel the messages are sent to: the thread's, when in one
	channel string // the engine's channel: the thread's parent, or the DM
	thread  string // the engine's thread, "" at the top level
	// replyTo, in a DM, is the thread's root: DMs have no threads, so a post "in the thread" of a
	// message there is a Discord reply to it, and a reply to it counts as written in its thread.
	replyTo string
}

// destination resolves where p goes: its DM (opened once) or channel, and the thread on p.Thread, started
// when the desk first posts there. Before the post: once the desk has spoken in a thread or DM, what is
// said there while it is stopped must be caught up.
func (a *Adapter) destination(ctx context.Context, p bot.Post) (destination, error) {
	channel := p.Channel
	if p.DM != "" {
		var err error
		if channel, err = a.dmChannel(p.DM); err != nil {
			return destination{}, err
		}
	}
	d := destination{target: channel, channel: channel, thread: p.Thread}
	switch {
	case p.Thread == "":
		// An answer to a DM names the DM's channel, not p.DM: without asking, the channel would be
		// taken for a server's, and catch-up would then fetch what is written there as outside the desk.
		a.track(ctx, channel, "", p.DM != "" || a.isDM(ctx, channel))
	case p.DM != "" || a.isDM(ctx, channel):
		d.replyTo = p.Thread
		a.track(ctx, channel, "", true)
	default:
		d.target = p.Thread
		a.track(ctx, p.Thread, channel, false)
		if err := a.ensureThread(channel, p.Thread, p.ThreadName); err != nil {
			return destination{}, err
		}
	}
	return d, nil
}

// reply makes m a reply to the destination's root message, in a DM.
func (d destination) reply(m *discordgo.MessageSend) *discordgo.MessageSend {
	if d.replyTo != "" {
		m.Reference = &discordgo.MessageReference{MessageID: d.replyTo, ChannelID: d.channel, FailIfNotExists: new(bool)}
	}
	return m
}

// ref is the engine's reference to a message sent to the destination.
func (d destination) ref(id string) bot.MessageRef {
	return bot.MessageRef{Platform: Platform, Channel: d.channel, Thread: d.thread, ID: id}
}

// withLink adds the link to the message p points at (p.Link) under its text: Discord opens a message's
// link where it is, and its thread from there.
func (a *Adapter) withLink(ctx context.Context, p bot.Post) bot.Post {
	if p.Link == nil || p.Link.Platform != Platform || !isDigits(p.Link.Channel) || !isDigits(p.Link.ID) {
		return p
	}
	guild := "@me"
	if !a.isDM(ctx, p.Link.Channel) {
		if ch := a.stateChannel(p.Link.Channel); ch != nil && ch.GuildID != "" {
			guild = ch.GuildID
		} else if guild = a.guildOf(p.Link.Channel); guild == "" {
			return p
		}
	}
	p.Text = strings.TrimRight(p.Text, "\n") + "\nhttps://discord.com/channels/" + guild + "/" + p.Link.Channel + "/" + p.Link.ID
	return p
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
	p = a.withLink(ctx, p)
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
	a.dmChannels.Store(c.ID, true)
	return c.ID, nil
}

// isDM reports whether channel is a DM: one the desk opened or was written to in, or else as Discord
// says (asked once; a channel that cannot be read is taken for a server's).
func (a *Adapter) isDM(ctx context.Context, channel string) bool {
	if dm, ok := a.dmChannels.Load(channel); ok {
		return dm.(bool)
	}
	if a.stateChannel(channel) != nil {
		return false // the state holds the servers' channels
	}
	ch, err := a.s.Channel(channel, discordgo.WithContext(ctx))
	if err != nil {
		return false
	}
	dm := ch.Type == discordgo.ChannelTypeDM || ch.Type == discordgo.ChannelTypeGroupDM
	a.dmChannels.Store(channel, dm)
	return dm
}
