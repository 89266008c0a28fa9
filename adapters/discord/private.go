package discord

import (
	"context"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/firstline-desk/firstline/bot"
)

// Private replies: the answers to an application command (/status, /help, /ticket, "Create ticket"),
// which only the person who used it sees. Discord shows a message to one person only as an interaction's
// ephemeral response or follow-up, made with the interaction's token for 15 minutes. The adapter
// acknowledges the interaction (deferred and ephemeral, or with an ephemeral line) once the engine has
// recorded it, and the engine's replies come back as posts with Post.To and Post.ReplyTo (the token):
// PostPrivate sends them as ephemeral follow-ups, the first of which replaces a deferred "thinking…"
// message. Past the token's life, or without one (a reaction's answer), a private reply is a DM: never a
// message in the channel.

var _ bot.PrivatePoster = (*Adapter)(nil)

// tokenLife is how long an interaction's token takes follow-ups (Discord: 15 minutes), less a margin,
// counted from when the adapter saw the interaction.
const tokenLife = 14 * time.Minute

// replyPrefix starts the handle of an interaction (bot.Event.ReplyTo): "ix:APPLICATION:TOKEN".
const replyPrefix = "ix:"

// ack is an interaction the adapter is answering: done is closed once its response was sent (or failed),
// so that no follow-up goes before it.
type ack struct {
	done chan struct{}
	at   time.Time
}

// replyHandle is the handle of interaction i for the engine's private replies.
func replyHandle(i *discordgo.Interaction) string {
	if i.Token == "" || i.AppID == "" {
		return ""
	}
	return replyPrefix + i.AppID + ":" + i.Token
}

// expectAck notes that interaction i is being answered; the caller calls the function it returns once
// the response was sent. Interactions past their token's life are forgotten here.
func (a *Adapter) expectAck(i *discordgo.Interaction) func() {
	k := &ack{done: make(chan struct{}), at: time.Now()}
	a.mu.Lock()
	for t, old := range a.acks {
		if time.Since(old.at) > tokenLife {
			delete(a.acks, t)
		}
	}
	a.acks[i.Token] = k
	a.mu.Unlock()
	return func() { close(k.done) }
}

// tokenUsable waits until the interaction of token has been answered, and reports whether its token
// still takes follow-ups. A token the adapter has not seen (given before a restart) is tried: Discord
// refuses it when it has expired.
func (a *Adapter) tokenUsable(ctx context.Context, token string) bool {
	a.mu.Lock()
	k := a.acks[token]
	a.mu.Unlock()
	if k == nil {
		return true
	}
	if time.Since(k.at) > tokenLife {
		return false
	}
	select {
	case <-k.done:
		return true
	case <-ctx.Done():
		return false
	}
}

// PostPrivate implements bot.PrivatePoster: p is shown to p.To alone, as ephemeral follow-ups of the
// interaction p.ReplyTo names while its token is good, else in a DM. A rate limit or a failure that may
// pass is returned for the dispatcher to retry.
func (a *Adapter) PostPrivate(ctx context.Context, p bot.Post) (bot.MessageRef, error) {
	platform, user := bot.SplitID(p.To)
	if platform != Platform || user == "" {
		return bot.MessageRef{}, bot.Errorf(bot.EINVALID, "discord: cannot reply privately to %q, not a Discord user", p.To)
	}
	rest, ours := strings.CutPrefix(p.ReplyTo, replyPrefix)
	app, token, _ := strings.Cut(rest, ":")
	if ours && app != "" && token != "" && a.tokenUsable(ctx, token) {
		in := &discordgo.Interaction{AppID: app, Token: token}
		sent := false
		for _, m := range messageSend(a.withLink(ctx, p)) {
			_, err := a.s.FollowupMessageCreate(in, true, &discordgo.WebhookParams{
				Content: m.Content, Embeds: m.Embeds, Components: m.Components, AllowedMentions: m.AllowedMentions,
				Flags: discordgo.MessageFlagsEphemeral,
			}, discordgo.WithContext(ctx))
			if err == nil {
				sent = true
				continue
			}
			if !tokenGone(err) || sent {
				return bot.MessageRef{}, a.apiError("send a private reply", err)
			}
			a.log.Info("discord interaction token no longer takes follow-ups; replying in a DM", "err", err)
			return a.privateDM(ctx, p)
		}
		return bot.MessageRef{Platform: Platform, Channel: p.Channel}, nil
	}
	return a.privateDM(ctx, p)
}

// privateDM sends a private reply as a DM.
func (a *Adapter) privateDM(ctx context.Context, p bot.Post) (bot.MessageRef, error) {
	return a.Post(ctx, bot.Post{DM: p.To, Title: p.Title, Text: p.Text, Fields: p.Fields, Choices: p.Choices, Link: p.Link})
}

// tokenGone reports whether Discord refused a follow-up because the interaction's token no longer works:
// expired (50027), or not known (10015, 10062).
func tokenGone(err error) bool {
	switch restCode(err) {
	case discordgo.ErrCodeInvalidWebhookTokenProvided, discordgo.ErrCodeUnknownWebhook, discordgo.ErrCodeUnknownInteraction:
		return true
	}
	s := restStatus(err)
	return s == 401 || s == 404
}
