// Package slack connects the desk to a Slack workspace with slack-go: Socket Mode (no public URL) or the
// Events API over HTTP for inbound events, the Web API for posting, updating and reacting. It translates
// Slack's events into bot.Events and renders bot.Posts as Block Kit; the engine knows nothing of Slack.
package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/firstline-desk/firstline/bot"
)

// Platform is the name of Slack in identities and references ("slack:U0123").
const Platform = "slack"

// Modes of receiving events.
const (
	ModeSocket = "socket" // Socket Mode: a websocket the app opens, no public URL needed
	ModeHTTP   = "http"   // the Events API: Slack POSTs to a public request URL
)

// Config is what the adapter needs to talk to one workspace.
type Config struct {
	// Mode is ModeSocket (the default) or ModeHTTP.
	Mode string
	// BotToken (xoxb-) calls the Web API as the bot.
	BotToken string
	// AppToken (xapp-, with connections:write) opens Socket Mode connections.
	AppToken string
	// SigningSecret verifies the Events API's requests in HTTP mode.
	SigningSecret string
	// APIURL is the Web API's base, "https://slack.com/api/" when empty; tests and proxies set it.
	APIURL string
	// CommandPrefix is the desk's command prefix ("!"): "/firstline status" becomes "!status".
	CommandPrefix string
}

var (
	_ bot.Chat       = (*Adapter)(nil)
	_ bot.OncePoster = (*Adapter)(nil)
	_ bot.Editor     = (*Adapter)(nil)
	_ bot.Reactor    = (*Adapter)(nil)
)

// Adapter is one Slack workspace: a bot.Chat (with Editor and Reactor) for the engine, and the receiver of
// the workspace's events (RunSocket or HTTPHandler).
type Adapter struct {
	cfg  Config
	api  *slackapi.Client
	http *http.Client // for response URLs, which are not Web API methods
	log  *slog.Logger

	botUserID string // learned from auth.test in Connect

	// dir is what the adapter knows of the workspace's people, user groups and channels; events are
	// translated from it (directory.go).
	dir *directory

	mu  sync.Mutex
	dms map[string]string // user id -> DM channel id
	// responses are the slash commands' response URLs, with their uses (see private.go).
	responses map[string]responseUse
	// once is what PostOnce knows of the keys it was given and has not finished with (see once.go).
	once map[string]onceState
	// kinds are the conversation kinds message events told ("im", "mpim", …), by channel (intake.go).
	kinds map[string]string
	// teamURL is the workspace's address ("https://acme.slack.com/"), from auth.test, for links to
	// messages.
	teamURL string

	// connected and connSince are the connection's state for Connection (/healthz): since when the socket
	// has been up, or down (from New until the first connection).
	connected bool
	connSince time.Time
}

// New returns an adapter for cfg. It checks the configuration but does not call Slack: Connect does.
func New(cfg Config, logger *slog.Logger) (*Adapter, error) {
	if cfg.Mode == "" {
		cfg.Mode = ModeSocket
	}
	if err := cfg.check(); err != nil {
		return nil, err
	}
	opts := []slackapi.Option{}
	if cfg.APIURL != "" {
		opts = append(opts, slackapi.OptionAPIURL(cfg.APIURL))
	}
	if cfg.AppToken != "" {
		opts = append(opts, slackapi.OptionAppLevelToken(cfg.AppToken))
	}
	// No slackapi.OptionRetry: a 429 goes back to the engine's dispatcher as a bot.RateLimitError, which
	// waits without holding up other conversations.
	return &Adapter{
		cfg:       cfg,
		api:       slackapi.New(cfg.BotToken, opts...),
		http:      &http.Client{Timeout: 30 * time.Second},
		log:       logger.With("component", "slack"),
		dir:       newDirectory(),
		dms:       make(map[string]string),
		connSince: time.Now(),
	}, nil
}

func (c Config) check() error {
	var problems []string
	if !strings.HasPrefix(c.BotToken, "xoxb-") {
		problems = append(problems, "bot_token must be the bot token, starting xoxb- (OAuth & Permissions in the app's settings)")
	}
	switch c.Mode {
	case ModeSocket:
		if !strings.HasPrefix(c.AppToken, "xapp-") {
			problems = append(problems, "socket mode needs app_token, an app-level token starting xapp- with the connections:write scope (Basic Information > App-Level Tokens)")
		}
	case ModeHTTP:
		if c.SigningSecret == "" {
			problems = append(problems, "http mode needs signing_secret (Basic Information > App Credentials) to verify Slack's requests")
		}
	default:
		problems = append(problems, fmt.Sprintf("mode %q must be %q or %q", c.Mode, ModeSocket, ModeHTTP))
	}
	if len(problems) > 0 {
		return bot.Errorf(bot.EINVALID, "slack: %s", strings.Join(problems, "; "))
	}
	return nil
}

// Connect checks the bot token with auth.test and learns the bot's own user id, which the adapter needs to
// recognize mentions of the bot and to ignore its own messages and reactions. It then loads the directory
// (user groups, people's names) for up to loadBudget; RunDirectory keeps it fresh from there.
func (a *Adapter) Connect(ctx context.Context) error {
	resp, err := a.api.AuthTestContext(ctx)
	if err != nil {
		return fmt.Errorf("slack auth.test: %w", err)
	}
	a.botUserID = resp.UserID
	a.teamURL = resp.URL
	a.log.Info("connected to Slack", "team", resp.Team, "bot_user", resp.UserID)
	load, cancel := context.WithTimeout(ctx, loadBudget)
	a.loadDirectory(load)
	cancel()
	if a.cfg.Mode == ModeHTTP {
		// Slack calls the desk in HTTP mode: there is no connection to watch, so a working token is as
		// connected as the adapter can tell.
		a.setConnected(true)
	}
	return nil
}

// Connection reports whether the adapter is connected to Slack, and since when it has been connected,
// or not (from New until it first connects). In Socket Mode that is the websocket, down while it
// reconnects; in HTTP mode, whether Connect has succeeded. Safe to call from any goroutine.
func (a *Adapter) Connection() (connected bool, since time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.connected, a.connSince
}

// setConnected records a change of the connection's state; the same state again keeps its start.
func (a *Adapter) setConnected(up bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.connected != up {
		a.connected, a.connSince = up, time.Now()
	}
}

// BotUserID is the bot's own user id, known after Connect.
func (a *Adapter) BotUserID() string { return a.botUserID }

// Platform implements bot.Chat.
func (a *Adapter) Platform() string { return Platform }

// MaxText implements bot.TextLimiter: the engine posts at most one section's worth of Markdown (3,000
// characters) per message. A message takes 50 blocks, but Slack refuses one whose blocks hold much more
// than 12,000 characters in all (msg_blocks_too_long), and rendering lengthens text (&amp;, &lt;), so
// one section's worth leaves room; blocks still splits what rendering makes longer into more sections.
func (a *Adapter) MaxText() int { return maxSectionText }

// Post implements bot.Chat: a Block Kit message in a channel, a thread, or a DM.
func (a *Adapter) Post(ctx context.Context, p bot.Post) (bot.MessageRef, error) {
	p = a.withLink(p)
	channel, err := a.postChannel(ctx, p)
	if err != nil {
		return bot.MessageRef{}, err
	}
	ref, err := a.post(ctx, channel, p)
	if err != nil {
		return bot.MessageRef{}, a.apiError("chat.postMessage", err)
	}
	return ref, nil
}

// postChannel is the channel a post goes to: its own, or the DM with its user.
func (a *Adapter) postChannel(ctx context.Context, p bot.Post) (string, error) {
	if p.DM != "" {
		return a.dmChannel(ctx, p.DM)
	}
	return p.Channel, nil
}

// post sends p to channel with chat.postMessage, with any further options; the error is slack-go's,
// untranslated.
func (a *Adapter) post(ctx context.Context, channel string, p bot.Post, more ...slackapi.MsgOption) (bot.MessageRef, error) {
	fallback, blks := blocks(p)
	opts := []slackapi.MsgOption{slackapi.MsgOptionText(fallback, false), slackapi.MsgOptionBlocks(blks...)}
	if p.Thread != "" {
		opts = append(opts, slackapi.MsgOptionTS(p.Thread))
	}
	ch, ts, err := a.api.PostMessageContext(ctx, channel, append(opts, more...)...)
	if err != nil {
		return bot.MessageRef{}, err
	}
	if ch == "" {
		ch = channel
	}
	return bot.MessageRef{Platform: Platform, Channel: ch, Thread: p.Thread, ID: ts}, nil
}

// Update implements bot.Editor: the message is replaced in place (a tier card as its ticket moves).
func (a *Adapter) Update(ctx context.Context, ref bot.MessageRef, p bot.Post) error {
	fallback, blks := blocks(p)
	_, _, _, err := a.api.UpdateMessageContext(ctx, ref.Channel, ref.ID,
		slackapi.MsgOptionText(fallback, false), slackapi.MsgOptionBlocks(blks...))
	if err != nil {
		return a.apiError("chat.update", err)
	}
	return nil
}

// React implements bot.Reactor. A reaction the bot already made is not an error: the dispatcher may
// perform an effect twice after a crash.
func (a *Adapter) React(ctx context.Context, ref bot.MessageRef, name string) error {
	err := a.api.AddReactionContext(ctx, name, slackapi.ItemRef{Channel: ref.Channel, Timestamp: ref.ID})
	if slackError(err) == "already_reacted" {
		return nil
	}
	if err != nil {
		return a.apiError("reactions.add", err)
	}
	return nil
}

// dmChannel returns the DM channel with user ("slack:U…"), opening it once.
func (a *Adapter) dmChannel(ctx context.Context, user string) (string, error) {
	platform, id := bot.SplitID(user)
	if platform != Platform || id == "" {
		return "", bot.Errorf(bot.EINVALID, "slack: cannot DM %q, not a Slack user", user)
	}
	a.mu.Lock()
	ch, ok := a.dms[id]
	a.mu.Unlock()
	if ok {
		return ch, nil
	}
	c, _, _, err := a.api.OpenConversationContext(ctx, &slackapi.OpenConversationParameters{Users: []string{id}})
	if err != nil {
		return "", a.apiError("conversations.open", err)
	}
	a.mu.Lock()
	a.dms[id] = c.ID
	a.mu.Unlock()
	return c.ID, nil
}

// apiError turns a Web API failure into what the engine's dispatcher understands: a rate limit to wait
// out, a permanent failure to drop (the channel or message is gone, the bot is not in the channel, the
// message is malformed), or anything else to retry with backoff.
func (a *Adapter) apiError(method string, err error) error {
	var rl *slackapi.RateLimitedError
	if errors.As(err, &rl) {
		return &bot.RateLimitError{RetryAfter: rl.RetryAfter}
	}
	switch code := slackError(err); code {
	case "channel_not_found", "message_not_found", "user_not_found", "thread_not_found", "is_archived":
		return bot.WrapError(err, bot.ENOTFOUND, "slack %s: %s", method, code)
	case "not_in_channel", "cant_update_message", "edit_window_closed", "invalid_blocks", "invalid_blocks_format",
		"msg_too_long", "no_text", "invalid_arguments", "invalid_name", "too_many_reactions", "restricted_action":
		return bot.WrapError(err, bot.EINVALID, "slack %s: %s", method, code)
	}
	return fmt.Errorf("slack %s: %w", method, err)
}

// slackError is the "error" of a Web API response that said ok=false, or "".
func slackError(err error) string {
	var se slackapi.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	return ""
}

// withLink adds to a post the link to the message it points at (bot.Post.Link), made from the workspace's
// address without asking Slack: https://acme.slack.com/archives/C…/p1700000000000100.
func (a *Adapter) withLink(p bot.Post) bot.Post {
	if p.Link == nil || p.Link.Platform != Platform || a.teamURL == "" || p.Link.Channel == "" || p.Link.ID == "" {
		return p
	}
	u := strings.TrimSuffix(a.teamURL, "/") + "/archives/" + p.Link.Channel + "/p" + strings.Replace(p.Link.ID, ".", "", 1)
	p.Text = strings.TrimRight(p.Text, "\n") + "\n[Open its conversation](" + u + ")"
	p.Link = nil
	return p
}
