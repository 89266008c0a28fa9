package slack

import (
	"context"
	"errors"

	slackapi "github.com/slack-go/slack"

	"github.com/firstline-desk/firstline/bot"
)

// postEventType marks the desk's posts in Slack's message metadata; the payload's "key" is the key
// PostOnce was given.
const postEventType = "firstline_post"

// Bounds of the lookup PostOnce makes before a post that may have been made already. A top-level post is
// looked for among the newest lookupHistory top-level messages of its channel (one conversations.history
// call); a reply among the first lookupPages×lookupReplies messages of its thread (conversations.replies
// lists a thread oldest first, one call a page). An earlier attempt further back is not found and the
// post is made again: a duplicate is better than a lost reply.
const (
	lookupHistory = 100
	lookupReplies = 200
	lookupPages   = 5
	// maxLookupFailures is how many lookups for one key may fail in a row (rate limited, Slack or the
	// network down) before PostOnce posts without looking, rather than hold the reply up until the
	// dispatcher gives up on it.
	maxLookupFailures = 5
	// maxOnceKeys bounds the memory of keys; past it the memory is cleared, which costs only lookups.
	maxOnceKeys = 10000
)

// onceState is what PostOnce knows of a key in this process.
type onceState struct {
	// absent: Slack does not have the post. It was known not to be there (maybeSent was false, or a
	// lookup did not find it) and every attempt since was refused by Slack outright (a 429, an error
	// answer), so the next attempt needs no lookup, however maybe-sent the dispatcher says it is.
	absent bool
	// lookupFailures counts the lookups for the key that failed in a row.
	lookupFailures int
}

// PostOnce implements bot.OncePoster. Every post carries its key in its message metadata (event type
// "firstline_post"). When the post may have been made already, the adapter first looks for a message of
// the bot's with that key where the post would be, with include_all_metadata: conversations.replies of
// the thread for a reply, conversations.history of the channel (for a DM, the DM's) for a top-level post.
// Found, its reference is returned and nothing is posted.
//
// A lookup Slack refuses for good (missing_scope, channel_not_found, not_in_channel, …) is logged and the
// post is made: a possible duplicate is better than a lost reply. A lookup that fails for now (rate
// limited, Slack or the network down) is returned for the dispatcher to retry, up to maxLookupFailures
// times for a key, after which the post is made without looking. The retry of an attempt that Slack
// refused outright (a 429, an error answer) makes no lookup: the post is known not to be there.
func (a *Adapter) PostOnce(ctx context.Context, p bot.Post, key string, maybeSent bool) (bot.MessageRef, error) {
	p = a.withLink(p)
	channel, err := a.postChannel(ctx, p)
	if err != nil {
		return bot.MessageRef{}, err
	}
	st := a.onceState(key)
	absent := !maybeSent || st.absent
	if !absent {
		ref, found, err := a.findPost(ctx, channel, p.Thread, key)
		switch {
		case found:
			a.setOnce(key, nil)
			return ref, nil
		case err == nil:
			absent = true
		case refused(err):
			a.log.Warn("cannot look for an earlier attempt of a post; posting, so it may appear twice",
				"channel", channel, "err", a.apiError(lookupMethod(p), err))
		case st.lookupFailures+1 >= maxLookupFailures:
			a.log.Warn("looking for an earlier attempt of a post keeps failing; posting, so it may appear twice",
				"channel", channel, "failures", st.lookupFailures+1, "err", a.apiError(lookupMethod(p), err))
		default:
			st.lookupFailures++
			a.setOnce(key, &st)
			return bot.MessageRef{}, a.apiError(lookupMethod(p), err)
		}
	}
	ref, err := a.post(ctx, channel, p, slackapi.MsgOptionMetadata(slackapi.SlackMetadata{
		EventType:    postEventType,
		EventPayload: map[string]any{"key": key},
	}))
	if err != nil {
		perr := a.apiError("chat.postMessage", err)
		if code := bot.ErrorCode(perr); code == bot.EINVALID || code == bot.ENOTFOUND {
			a.setOnce(key, nil) // the dispatcher drops the post
		} else {
			a.setOnce(key, &onceState{absent: absent && notPosted(err)})
		}
		return bot.MessageRef{}, perr
	}
	a.setOnce(key, nil)
	return ref, nil
}

func lookupMethod(p bot.Post) string {
	if p.Thread != "" {
		return "conversations.replies"
	}
	return "conversations.history"
}

// findPost looks for the bot's message carrying key in channel: among the replies of thread, or among
// the channel's top-level messages when thread is "".
func (a *Adapter) findPost(ctx context.Context, channel, thread, key string) (bot.MessageRef, bool, error) {
	ref := bot.MessageRef{Platform: Platform, Channel: channel, Thread: thread}
	if thread == "" {
		resp, err := a.api.GetConversationHistoryContext(ctx, &slackapi.GetConversationHistoryParameters{
			ChannelID: channel, Limit: lookupHistory, IncludeAllMetadata: true,
		})
		if err != nil {
			return bot.MessageRef{}, false, err
		}
		ref.ID = a.keyed(resp.Messages, key)
		return ref, ref.ID != "", nil
	}
	cursor := ""
	for range lookupPages {
		msgs, more, next, err := a.api.GetConversationRepliesContext(ctx, &slackapi.GetConversationRepliesParameters{
			ChannelID: channel, Timestamp: thread, Cursor: cursor, Limit: lookupReplies, IncludeAllMetadata: true,
		})
		if err != nil {
			return bot.MessageRef{}, false, err
		}
		if ref.ID = a.keyed(msgs, key); ref.ID != "" {
			return ref, true, nil
		}
		if !more || next == "" {
			break
		}
		cursor = next
	}
	return bot.MessageRef{}, false, nil
}

// keyed returns the ts of the bot's message among msgs that carries key: in its metadata (a post), or as
// the id of one of its blocks (an upload, files.go), or "".
func (a *Adapter) keyed(msgs []slackapi.Message, key string) string {
	for _, m := range msgs {
		if (m.Metadata.EventType != postEventType || m.Metadata.EventPayload["key"] != key) && !hasBlock(m, onceBlockPrefix+key) {
			continue
		}
		if a.botUserID != "" && m.User != "" && m.User != a.botUserID {
			continue // another app's, or another desk's
		}
		return m.Timestamp
	}
	return ""
}

// transient are the errors Slack answers when the trouble is its own: asking again may work.
var transient = map[string]bool{
	"internal_error": true, "fatal_error": true, "service_unavailable": true, "request_timeout": true,
	"ratelimited": true, "team_added_to_org": true,
}

// refused reports whether Slack answered a call with an error that asking again will not cure.
func refused(err error) bool {
	code := slackError(err)
	return code != "" && !transient[code]
}

// notPosted reports whether a chat.postMessage that failed with err certainly posted nothing: Slack
// answered, with a 429 or an error. A dropped connection, a timeout or a 5xx leave it open.
func notPosted(err error) bool {
	var rl *slackapi.RateLimitedError
	code := slackError(err)
	return errors.As(err, &rl) || code == "ratelimited" || refused(err)
}

// onceState returns what is known of key.
func (a *Adapter) onceState(key string) onceState {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.once[key]
}

// setOnce records what is known of key; nil forgets it.
func (a *Adapter) setOnce(key string, st *onceState) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if st == nil {
		delete(a.once, key)
		return
	}
	if a.once == nil || len(a.once) >= maxOnceKeys {
		a.once = make(map[string]onceState)
	}
	a.once[key] = *st
}

// hasBlock reports whether a message has a block with the id.
func hasBlock(m slackapi.Message, id string) bool {
	for _, b := range m.Blocks.BlockSet {
		if b.ID() == id {
			return true
		}
	}
	return false
}
