// Package discord connects the desk to a Discord server with discordgo: the gateway for events, REST for
// posting. A question in a help channel gets a thread of its own on the question; tier cards are embeds
// edited in place; answers and ratings have buttons. The engine knows nothing of Discord.
package discord

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"

	"github.com/firstline-desk/firstline/bot"
)

// Platform is the name of Discord in identities and references ("discord:81234").
const Platform = "discord"

// Intents are what the bot asks the gateway for: servers and their channels, messages in servers and
// DMs with their content (a privileged intent, switched on in the Developer Portal), and reactions.
const Intents = discordgo.IntentGuilds | discordgo.IntentGuildMessages | discordgo.IntentDirectMessages |
	discordgo.IntentGuildMessageReactions | discordgo.IntentDirectMessageReactions | discordgo.IntentMessageContent

// Config is what the adapter needs to talk to Discord.
type Config struct {
	// Token is the bot's token (Developer Portal > Bot > Reset Token), without the "Bot " prefix.
	Token string
	// Guild, when set, limits the desk to one server; other servers' events are ignored.
	Guild string
	// APIURL replaces https://discord.com for every request (REST and the gateway lookup): tests point it
	// at a local fake, a company at a proxy. Empty is Discord's own.
	APIURL string
	// HTTPClient, when set, is used for REST as is (APIURL is then ignored).
	HTTPClient *http.Client
	// HelpChannels are the channel ids where questions open tickets. They are always caught up: on every
	// new session (at start too) what was written since the last message handled is fetched over REST.
	HelpChannels []string
	// State keeps, in the data file, the newest message handled in each channel the desk works in, so
	// that a desk started again fetches what it missed (see State). Nil keeps it in memory.
	State State
	// CustomEmoji names the server's own emoji: emoji id or name -> reaction name ("raising_hand").
	CustomEmoji map[string]string
	// CommandPrefix is the engine's command prefix ("!" when empty): /status and /help are handed to the
	// engine as the commands typed with it.
	CommandPrefix string
}

var (
	_ bot.Chat       = (*Adapter)(nil)
	_ bot.OncePoster = (*Adapter)(nil)
	_ bot.Editor     = (*Adapter)(nil)
	_ bot.Reactor    = (*Adapter)(nil)
)

// Adapter is one bot on Discord: a bot.Chat for the engine, and the receiver of the gateway's events (Run).
type Adapter struct {
	cfg Config
	s   *discordgo.Session
	log *slog.Logger

	help       map[string]bool // the help channels
	catchUpNow chan struct{}   // asks catchUpLoop for a round
	saveNow    chan struct{}   // asks catchUpLoop to save the cursors
	saveMu     sync.Mutex      // one save of the cursors at a time

	mu          sync.Mutex
	ctx         context.Context // Run's, for handlers called by discordgo
	handler     bot.Handler
	botID       string
	sessionID   string
	established bool               // READY or RESUMED since the last Open
	parents     map[string]string  // thread id -> parent channel id ("" for channels that are not threads)
	cursors     map[string]*cursor // channel id -> where catch-up starts (cursors.go)
	dirty       bool               // cursors changed since they were saved
	dms         map[string]string  // user id -> DM channel id
	// dmChannels caches whether a channel id is a DM (true) or a server's channel (false) (chat.go).
	dmChannels sync.Map
	// channelNames caches channel id -> name, for <#id> in messages (directory.go).
	channelNames sync.Map
	// dir is what the adapter knows of members, and the lookups it wants made in the background
	// (directory.go): dispatches are translated without REST calls.
	dir *directory
	// connected and connSince are the gateway's state for Connection (/healthz): up from READY or
	// RESUMED until the connection drops, down from New until the first READY.
	connected bool
	connSince time.Time

	disconnected chan struct{}

	// Application commands (commands.go): the application's id (from READY), the servers whose commands
	// are to be registered (when next due), and the wake-up of commandsLoop.
	appID       string
	guilds      map[string]time.Time
	registerNow chan struct{}
	// acks are the interactions being answered, by token (private.go).
	acks map[string]*ack
	// formList gives the forms people may use; sessions keep the answers of forms being filled in
	// (forms.go).
	formList FormLister
	sessions formSessions
}

// New returns an adapter for cfg; Run connects it.
func New(cfg Config, logger *slog.Logger) (*Adapter, error) {
	if strings.TrimSpace(cfg.Token) == "" {
		return nil, bot.Errorf(bot.EINVALID, "discord: token is empty (Developer Portal > your application > Bot > Reset Token)")
	}
	s, err := discordgo.New("Bot " + strings.TrimPrefix(cfg.Token, "Bot "))
	if err != nil {
		return nil, fmt.Errorf("discord: %w", err)
	}
	switch {
	case cfg.HTTPClient != nil:
		s.Client = cfg.HTTPClient
	case cfg.APIURL != "":
		base, err := url.Parse(cfg.APIURL)
		if err != nil || base.Host == "" {
			return nil, bot.Errorf(bot.EINVALID, "discord: api_url %q is not a URL", cfg.APIURL)
		}
		s.Client = &http.Client{Timeout: 20 * time.Second, Transport: rewrite{base: base, next: http.DefaultTransport}}
	}
	s.Identify.Intents = Intents
	// The supervisor in Run reconnects, so that it sees every failure; the engine's dispatcher waits out
	// rate limits per conversation instead of discordgo sleeping inside a request.
	s.ShouldReconnectOnError = false
	s.ShouldRetryOnRateLimit = false
	// One event at a time, in the gateway's order: a reply must not be handled before its question.
	s.SyncEvents = true
	a := &Adapter{
		cfg: cfg, s: s, log: logger.With("component", "discord"),
		help: map[string]bool{}, catchUpNow: make(chan struct{}, 1), saveNow: make(chan struct{}, 1),
		parents: make(map[string]string), cursors: make(map[string]*cursor),
		dms: make(map[string]string), disconnected: make(chan struct{}, 1), connSince: time.Now(),
		dir: newDirectory(), guilds: map[string]time.Time{}, registerNow: make(chan struct{}, 1), acks: map[string]*ack{},
	}
	for _, ch := range cfg.HelpChannels {
		a.help[ch] = true
		a.cursors[ch] = &cursor{Guild: cfg.Guild}
	}
	s.AddHandler(a.onEvent)
	s.AddHandler(func(*discordgo.Session, *discordgo.Disconnect) {
		select {
		case a.disconnected <- struct{}{}:
		default:
		}
	})
	return a, nil
}

// rewrite sends requests for Discord's hosts to base instead.
type rewrite struct {
	base *url.URL
	next http.RoundTripper
}

func (r rewrite) RoundTrip(req *http.Request) (*http.Response, error) {
	switch req.URL.Host {
	case "discord.com", "discordapp.com", "gateway.discord.gg", "cdn.discordapp.com":
		req = req.Clone(req.Context())
		req.URL.Scheme, req.URL.Host = r.base.Scheme, r.base.Host
		req.Host = r.base.Host
	}
	return r.next.RoundTrip(req)
}

// Platform implements bot.Chat.
func (a *Adapter) Platform() string { return Platform }

// MaxText implements bot.TextLimiter: a message's content holds 2,000 characters, and the engine leaves
// 100 of them for what rendering adds (mention breakers, a ping, a code fence reopened); messageSend still
// splits what rendering makes longer into more messages.
func (a *Adapter) MaxText() int { return maxContent - 100 }

// BotID is the bot's own user id, known once connected.
func (a *Adapter) BotID() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.botID
}

// Connection reports whether the gateway is connected (a session established by READY or RESUMED), and
// since when it has been connected, or not (from New until the first READY). Safe to call from any
// goroutine.
func (a *Adapter) Connection() (connected bool, since time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.connected, a.connSince
}

// setConnectedLocked records a change of the gateway's state; the same state again keeps its start.
func (a *Adapter) setConnectedLocked(up bool) {
	if a.connected != up {
		a.connected, a.connSince = up, time.Now()
	}
}

// Fatal close codes: retrying cannot help, a person must fix the token or the intents.
var fatalCodes = map[int]string{
	4004: "the token was refused: check discord.token (Developer Portal > Bot > Reset Token)",
	4010: "invalid shard",
	4011: "sharding required: the bot is in too many servers for one connection",
	4012: "invalid gateway version",
	4013: "invalid intents",
	4014: "disallowed intents: switch on MESSAGE CONTENT INTENT in the Developer Portal (Bot > Privileged Gateway Intents)",
}

// maxQuickFailures is how many connections in a row may close before the session is established before
// the supervisor gives up: a token or intents problem shows up like that when Discord closes without a
// code discordgo reports.
const maxQuickFailures = 5

// Run connects to the gateway and hands events to h until ctx ends. It is the supervisor discordgo needs
// (see LIBRARY-NOTES): a dropped connection is opened again, which resumes the session; every new session
// (the first, one after a refused resume, one after a zombie connection was closed) catches up over REST
// what the gateway will not dispatch (catchup.go); a fatal close code stops with one clear error instead
// of a reconnect loop.
func (a *Adapter) Run(ctx context.Context, h bot.Handler) error {
	if err := a.loadCursors(ctx); err != nil {
		return err
	}
	a.mu.Lock()
	a.ctx, a.handler = ctx, h
	a.mu.Unlock()
	loopCtx, stopLoop := context.WithCancel(ctx)
	looping := make(chan struct{}, 3)
	go func() { a.catchUpLoop(loopCtx); looping <- struct{}{} }()
	go func() { a.lookupLoop(loopCtx); looping <- struct{}{} }()
	go func() { a.commandsLoop(loopCtx); looping <- struct{}{} }()
	defer func() {
		stopLoop()
		<-looping
		<-looping
		<-looping
		a.mu.Lock()
		a.setConnectedLocked(false)
		a.mu.Unlock()
		// The cursors of the last messages handled, so the next start fetches no more than it must.
		save, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := a.saveCursors(save); err != nil {
			a.log.Warn("discord catch-up cursors not saved at stop", "err", err)
		}
	}()
	delay, failures := time.Second, 0
	for {
		a.mu.Lock()
		a.established = false
		a.mu.Unlock()
		err := a.s.Open()
		switch {
		case err == nil:
			select {
			case <-ctx.Done():
				_ = a.s.Close()
				return nil
			case <-a.disconnected:
			}
			a.mu.Lock()
			ok := a.established
			a.setConnectedLocked(false)
			a.mu.Unlock()
			if ok {
				failures, delay = 0, time.Second
				a.log.Warn("discord gateway disconnected, resuming")
				continue
			}
			failures++
		default:
			if why, fatal := fatalCodes[closeCode(err)]; fatal {
				return fmt.Errorf("discord gateway closed with code %d: %s", closeCode(err), why)
			}
			if restStatus(err) == http.StatusUnauthorized {
				return errors.New("discord: the token was refused (401): check discord.token (Developer Portal > Bot > Reset Token)")
			}
			failures++
			a.log.Warn("cannot connect to the discord gateway, retrying", "err", err, "in", delay)
		}
		if failures >= maxQuickFailures {
			return fmt.Errorf("discord: the gateway closed %d connections in a row before they were ready: check discord.token and that MESSAGE CONTENT INTENT is on (Developer Portal > Bot > Privileged Gateway Intents)", failures)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(delay):
		}
		delay = min(2*delay, time.Minute)
	}
}

func closeCode(err error) int {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return 0
}

func restStatus(err error) int {
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Response != nil {
		return re.Response.StatusCode
	}
	return 0
}

func restCode(err error) int {
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Message != nil {
		return re.Message.Code
	}
	return 0
}

// codeRequestTooLarge is Discord's answer to a file over the server's upload limit (with HTTP 413).
const codeRequestTooLarge = 40005

// apiError turns a REST failure into what the engine's dispatcher understands.
func (a *Adapter) apiError(what string, err error) error {
	var rl *discordgo.RateLimitError
	if errors.As(err, &rl) && rl.RateLimit != nil && rl.TooManyRequests != nil {
		return &bot.RateLimitError{RetryAfter: max(rl.RetryAfter, 100*time.Millisecond)}
	}
	switch restCode(err) {
	case discordgo.ErrCodeUnknownChannel, discordgo.ErrCodeUnknownMessage, discordgo.ErrCodeUnknownUser:
		return bot.WrapError(err, bot.ENOTFOUND, "discord %s: %v", what, err)
	case discordgo.ErrCodeMissingAccess, discordgo.ErrCodeMissingPermissions, discordgo.ErrCodeCannotSendMessagesToThisUser,
		codeRequestTooLarge:
		return bot.WrapError(err, bot.EINVALID, "discord %s: %v", what, err)
	}
	switch restStatus(err) {
	case http.StatusNotFound:
		return bot.WrapError(err, bot.ENOTFOUND, "discord %s: %v", what, err)
	case http.StatusBadRequest, http.StatusForbidden, http.StatusRequestEntityTooLarge:
		return bot.WrapError(err, bot.EINVALID, "discord %s: %v", what, err)
	}
	return fmt.Errorf("discord %s: %w", what, err)
}
