package discord

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/bwmarrin/discordgo"

	"github.com/firstline-desk/firstline/bot"
)

// maxNonce is Discord's limit for a message nonce.
const maxNonce = 25

// PostOnce implements bot.OncePoster with Discord's enforced nonce: every message of the post is sent
// with a nonce made from key (the key itself for the first, "key.1", "key.2", … for the parts of a long
// text) and enforce_nonce, and Discord answers a create whose nonce the bot used in the last few minutes
// with the message it created then, creating none. Every attempt is therefore the same, maybeSent or
// not, and costs no extra call; a post cut short after some of its parts is completed, not repeated.
//
// The window is minutes (Discord does not say how many): an attempt that follows the one Discord took
// after a longer time (a desk down for longer, a network out for longer than the dispatcher's first
// backoffs) posts again. The adapter does not look through the channel's messages for an earlier
// attempt when maybeSent: messages fetched from Discord do not carry their nonce, and matching content
// cannot tell the lost message from the same text posted on purpose before (the same notice, the same
// answer in a DM), so it would trade a rare duplicate for a lost reply, for one more request in the
// channel's rate limit on every retry.
func (a *Adapter) PostOnce(ctx context.Context, p bot.Post, key string, maybeSent bool) (bot.MessageRef, error) {
	return a.post(ctx, p, key)
}

// messageCreate is the body of a create-message request: discordgo's MessageSend has no nonce.
type messageCreate struct {
	*discordgo.MessageSend
	Nonce        string `json:"nonce,omitempty"`
	EnforceNonce bool   `json:"enforce_nonce,omitempty"`
}

// createMessage sends m to channel, with nonce enforced when it is not "", as
// ChannelMessageSendComplex would send it without (m has no files).
func (a *Adapter) createMessage(ctx context.Context, channel string, m *discordgo.MessageSend, nonce string) (*discordgo.Message, error) {
	for _, e := range m.Embeds {
		if e.Type == "" {
			e.Type = discordgo.EmbedTypeRich
		}
	}
	endpoint := discordgo.EndpointChannelMessages(channel)
	body, err := a.s.RequestWithBucketID("POST", endpoint, messageCreate{MessageSend: m, Nonce: nonce, EnforceNonce: nonce != ""},
		endpoint, discordgo.WithContext(ctx))
	if err != nil {
		return nil, err
	}
	var sent discordgo.Message
	if err := json.Unmarshal(body, &sent); err != nil {
		return nil, fmt.Errorf("decode the message created: %w", err)
	}
	return &sent, nil
}

// nonce is the nonce of part i of the post with key, "" without a key. Parts after the first get a
// suffix no key has (keys have one dot); one that would be too long is replaced by a hash, which has no
// dot either.
func nonce(key string, i int) string {
	if key == "" {
		return ""
	}
	n := key
	if i > 0 {
		n = key + "." + strconv.Itoa(i)
	}
	if len(n) > maxNonce {
		sum := sha256.Sum256([]byte(n))
		n = hex.EncodeToString(sum[:])[:maxNonce]
	}
	return n
}
