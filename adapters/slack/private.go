package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/firstline-desk/firstline/bot"
)

// Private replies: the answers to a slash command, which only the person who typed it sees. Slack gives
// each command a response_url that takes an "ephemeral" message, five times within thirty minutes. Past
// that, or when Slack refuses it, the reply is an ephemeral message through chat.postEphemeral, which
// needs the bot in the channel; failing that, a DM. No path posts in the channel for all to see.

// Limits of a response_url, as Slack documents them. The age is counted from when the adapter saw the
// command, a little before Slack minted the URL, so a reply near the limit goes another way instead of
// being refused.
const (
	responseUses   = 5
	responseMaxAge = 29 * time.Minute
)

// responseUse is what the adapter knows of a response_url it was given.
type responseUse struct {
	since time.Time
	uses  int
}

var _ bot.PrivatePoster = (*Adapter)(nil)

// rememberResponseURL notes a command's response_url when the command arrives, and forgets those past
// their age.
func (a *Adapter) rememberResponseURL(u string) {
	if u == "" {
		return
	}
	now := time.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.responses == nil {
		a.responses = map[string]responseUse{}
	}
	for k, r := range a.responses {
		if now.Sub(r.since) > responseMaxAge {
			delete(a.responses, k)
		}
	}
	if _, ok := a.responses[u]; !ok {
		a.responses[u] = responseUse{since: now}
	}
}

// takeResponseURL reports whether u may be used for one more reply, and counts the use. A URL the adapter
// has not seen (it was given before a restart) is tried: Slack refuses it when it is spent.
func (a *Adapter) takeResponseURL(u string) bool {
	if u == "" || !a.responseURLAllowed(u) {
		return false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	r, ok := a.responses[u]
	if ok && (r.uses >= responseUses || time.Since(r.since) > responseMaxAge) {
		return false
	}
	if !ok {
		r.since = time.Now()
	}
	r.uses++
	if a.responses == nil {
		a.responses = map[string]responseUse{}
	}
	a.responses[u] = r
	return true
}

// responseURLAllowed reports whether u is one of Slack's response URLs (https://hooks.slack.com/…), or
// on the host of the configured API URL (a proxy, a test's fake Slack): the adapter posts nowhere else,
// whatever a payload says.
func (a *Adapter) responseURLAllowed(u string) bool {
	parsed, err := url.Parse(u)
	if err != nil || parsed.Host == "" {
		return false
	}
	if parsed.Scheme == "https" && parsed.Host == "hooks.slack.com" {
		return true
	}
	if a.cfg.APIURL == "" {
		return false
	}
	api, err := url.Parse(a.cfg.APIURL)
	return err == nil && api.Host != "" && parsed.Scheme == api.Scheme && parsed.Host == api.Host
}

// PostPrivate implements bot.PrivatePoster: p is shown to p.To alone, in p.Channel. It tries the command's
// response_url (p.ReplyTo) while it is good, then chat.postEphemeral, then a DM. A rate limit or a failure
// that may pass is returned for the dispatcher to retry; every retry takes the same private paths.
func (a *Adapter) PostPrivate(ctx context.Context, p bot.Post) (bot.MessageRef, error) {
	p = a.withLink(p)
	platform, user := bot.SplitID(p.To)
	if platform != Platform || user == "" {
		return bot.MessageRef{}, bot.Errorf(bot.EINVALID, "slack: cannot reply privately to %q, not a Slack user", p.To)
	}
	if a.takeResponseURL(p.ReplyTo) {
		err := a.respond(ctx, p.ReplyTo, p)
		var gone *responseGone
		switch {
		case err == nil:
			return bot.MessageRef{Platform: Platform, Channel: p.Channel}, nil
		case !errors.As(err, &gone):
			return bot.MessageRef{}, err
		}
		a.log.Info("slack response_url refused; replying with an ephemeral message", "status", gone.status)
	}
	if p.Channel != "" && !strings.HasPrefix(p.Channel, "D") {
		fallback, blks := blocks(p)
		_, err := a.api.PostEphemeralContext(ctx, p.Channel, user, slackapi.MsgOptionText(fallback, false), slackapi.MsgOptionBlocks(blks...))
		if err == nil {
			return bot.MessageRef{Platform: Platform, Channel: p.Channel}, nil
		}
		terr := a.apiError("chat.postEphemeral", err)
		if code := bot.ErrorCode(terr); code != bot.ENOTFOUND && code != bot.EINVALID && slackError(err) != "user_not_in_channel" {
			return bot.MessageRef{}, terr
		}
		a.log.Info("slack ephemeral reply refused; replying in a DM", "channel", p.Channel, "err", slackError(err))
	}
	dm := bot.Post{DM: p.To, Title: p.Title, Text: p.Text, Fields: p.Fields, Choices: p.Choices}
	return a.Post(ctx, dm)
}

// responseGone is a response_url Slack will not take any more (used up, expired, unknown).
type responseGone struct{ status int }

func (e *responseGone) Error() string {
	return "slack response_url refused with HTTP " + strconv.Itoa(e.status)
}

// respond posts p to a response_url as an ephemeral message. The URL is a credential for the channel, so
// no error or log line carries it.
func (a *Adapter) respond(ctx context.Context, responseURL string, p bot.Post) error {
	fallback, blks := blocks(p)
	body, err := json.Marshal(slackapi.WebhookMessage{
		Text:         fallback,
		Blocks:       &slackapi.Blocks{BlockSet: blks},
		ResponseType: slackapi.ResponseTypeEphemeral,
	})
	if err != nil {
		return fmt.Errorf("slack response_url: encode: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, responseURL, bytes.NewReader(body))
	if err != nil {
		return bot.Errorf(bot.EINVALID, "slack response_url: not a URL")
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL
		}
		return fmt.Errorf("slack response_url: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	switch {
	case resp.StatusCode == http.StatusOK:
		return nil
	case resp.StatusCode == http.StatusTooManyRequests:
		secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		return &bot.RateLimitError{RetryAfter: time.Duration(max(secs, 1)) * time.Second}
	case resp.StatusCode >= 400 && resp.StatusCode < 500:
		return &responseGone{status: resp.StatusCode}
	}
	return fmt.Errorf("slack response_url: HTTP %d", resp.StatusCode)
}
