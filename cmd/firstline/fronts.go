package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/firstline-desk/firstline/adapters/console"
	"github.com/firstline-desk/firstline/adapters/discord"
	"github.com/firstline-desk/firstline/adapters/slack"
	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/internal/health"
	"github.com/firstline-desk/firstline/web"
)

// A front is one chat the desk serves: the console, or Slack and Discord (a server may serve both).
type front struct {
	platform string
	// conn is the platform's connection, watched by /healthz and the metrics; nil for the console.
	conn health.Connection
	// route is a path of the HTTP listener the platform takes (Slack's request URL in its HTTP mode),
	// served by handler; "" for none.
	route   string
	handler http.Handler
	// people tells the web console the platform's people's names and roles; nil for none.
	people web.People
	// start connects the front (Slack checks its token, retrying while the network is down), adds it to
	// the engine and runs what serves it on r. The channel it returns is closed once the front takes
	// posts: housekeeping waits for it, since dispatching before would only schedule retries.
	start func(r *runner, engine *bot.Engine) (ready <-chan struct{}, err error)
}

// started is the ready channel of a front that takes posts as soon as it is added.
var started = func() <-chan struct{} { c := make(chan struct{}); close(c); return c }()

// newFronts builds the fronts the config enables: Slack and Discord, or, with neither, the console. The
// console's welcome ends with the notices (a server logs them).
func (m *Main) newFronts(cfg Config, db *store, notices []string, logger *slog.Logger) ([]*front, error) {
	var fronts []*front
	if cfg.Slack.Enabled {
		f, err := m.slackFront(cfg, logger)
		if err != nil {
			return nil, err
		}
		fronts = append(fronts, f)
	}
	if cfg.Discord.Enabled {
		f, err := m.discordFront(cfg, db, logger)
		if err != nil {
			return nil, err
		}
		fronts = append(fronts, f)
	}
	if len(fronts) == 0 {
		fronts = append(fronts, m.consoleFront(cfg, db, notices, logger))
	}
	return fronts, nil
}

// consoleFront is the terminal chat of the demo: the first Flush of the engine by the console says it
// prints posts, and the end of its input ends the desk.
func (m *Main) consoleFront(cfg Config, db *store, notices []string, logger *slog.Logger) *front {
	cc := consoleConfig(cfg)
	cc.Notices = notices
	con := console.New(cc, db.adapter("console"), logger)
	return &front{platform: "console", start: func(r *runner, engine *bot.Engine) (<-chan struct{}, error) {
		engine.AddChat(con)
		// The console gives message ids in post order, and the README's walkthrough names them: effects
		// one at a time in outbox order make the same lines give the same ids, every time.
		engine.SetSequential()
		ready := &readyEngine{Engine: engine, ready: make(chan struct{})}
		r.Detach(func(ctx context.Context) error {
			if err := con.Run(ctx, ready, m.Stdin, m.Stdout, isTerminal(m.Stdin)); err != nil {
				return fmt.Errorf("console: %w", err)
			}
			return nil
		})
		return ready.ready, nil
	}}
}

// slackFront serves Slack, over Socket Mode or its Events API (HTTP).
func (m *Main) slackFront(cfg Config, logger *slog.Logger) (*front, error) {
	sl, err := slack.New(slack.Config{
		Mode:          cfg.Slack.Mode,
		BotToken:      cfg.Slack.BotToken,
		AppToken:      cfg.Slack.AppToken,
		SigningSecret: cfg.Slack.SigningSecret,
		APIURL:        cfg.Slack.APIURL,
		CommandPrefix: cfg.Desk.CommandPrefix,
	}, logger)
	if err != nil {
		return nil, err
	}
	f := &front{platform: slack.Platform, conn: sl, people: sl}
	var events *pendingHandler
	if cfg.Slack.Mode == slack.ModeHTTP {
		events = newPendingHandler()
		f.route, f.handler = slackEventsPath, events
	}
	f.start = func(r *runner, engine *bot.Engine) (<-chan struct{}, error) {
		if err := connectSlack(r.ctx, sl, logger); err != nil {
			return nil, err
		}
		engine.AddChat(sl)
		// Events are translated from the adapter's directory of people and user groups, never by calling
		// Slack while it waits for the ack; this keeps the directory fresh.
		r.Go(func(ctx context.Context) error { sl.RunDirectory(ctx); return nil })
		if events != nil {
			events.set(sl.HTTPHandler(engine))
			fmt.Fprintf(m.Stdout, "Firstline is serving Slack over HTTP: request URL https://YOUR-HOST%s (listening on %s).\n", slackEventsPath, cfg.HTTP.Listen)
			return started, nil
		}
		r.Go(func(ctx context.Context) error { return sl.RunSocket(ctx, engine) })
		fmt.Fprintln(m.Stdout, "Firstline is serving Slack over Socket Mode.")
		return started, nil
	}
	return f, nil
}

// discordFront serves Discord over its gateway.
func (m *Main) discordFront(cfg Config, db *store, logger *slog.Logger) (*front, error) {
	dc, err := discord.New(discord.Config{
		Token:         cfg.Discord.Token,
		Guild:         cfg.Discord.Guild,
		APIURL:        cfg.Discord.APIURL,
		HelpChannels:  cfg.Discord.HelpChannels,
		CustomEmoji:   cfg.Discord.Emoji,
		State:         db.adapter(discord.Platform),
		CommandPrefix: cfg.Desk.CommandPrefix,
	}, logger)
	if err != nil {
		return nil, err
	}
	conn := newLeadConn(dc)
	return &front{platform: discord.Platform, conn: conn, people: dc, start: func(r *runner, engine *bot.Engine) (<-chan struct{}, error) {
		engine.AddChat(dc)
		dc.SetForms(engine) // /ticket's modals are built from the engine's forms, within Discord's 3 s
		// Discord allows one gateway session per bot (unsharded): replicas sharing a database elect the
		// one that holds it (Engine.Lead); the others stand by, post over REST, and take over, catching up
		// the gap over REST, once the leader stops or dies.
		r.Go(func(ctx context.Context) error {
			return engine.Lead(ctx, "discord-gateway", func(ctx context.Context) error {
				conn.lead(true)
				defer conn.lead(false)
				return dc.Run(ctx, engine)
			})
		})
		fmt.Fprintln(m.Stdout, "Firstline is serving Discord.")
		return started, nil
	}}, nil
}

// leadConn is the Discord adapter's connection as /healthz and the metrics see it on a replica that may
// stand by. One replica holds the gateway session (Engine.Lead); one standing by has no session to be
// connected, yet serves Discord (it posts over REST, and takes the session over when the leader goes), so
// it is up: without this every standby said "degraded", then "down" (503) 2 minutes after it started, and a
// load balancer or a container's HEALTHCHECK took it out. While it leads, its session counts, and the grace of a reconnect runs from
// when it took the lead, not from a connection it never had.
type leadConn struct {
	conn    health.Connection
	mu      sync.Mutex
	leading bool
	since   time.Time // when it began to lead, or to stand by
}

func newLeadConn(c health.Connection) *leadConn { return &leadConn{conn: c, since: time.Now()} }

// lead records that the replica leads (on) or stands by again.
func (l *leadConn) lead(on bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.leading, l.since = on, time.Now()
}

// Connection is the session's state while leading; connected while standing by.
func (l *leadConn) Connection() (connected bool, since time.Time) {
	l.mu.Lock()
	leading, began := l.leading, l.since
	l.mu.Unlock()
	if !leading {
		return true, began
	}
	up, at := l.conn.Connection()
	if !up && at.Before(began) {
		at = began
	}
	return up, at
}

// slackEventsPath is where Slack's HTTP mode posts events, interactions and slash commands.
const slackEventsPath = "/slack/events"

// pendingHandler holds requests until its handler is set, then passes them on; one that waits longer
// than pendingWait gets 503, which Slack retries. The listener starts before Slack's token is checked
// (so /healthz answers meanwhile), and no event may be handled before the adapter knows the bot's own
// user from Connect, or the bot would answer its own messages.
type pendingHandler struct {
	ready chan struct{} // closed by set
	h     http.Handler
}

// pendingWait keeps a request held by pendingHandler within Slack's 3 s.
const pendingWait = 2 * time.Second

func newPendingHandler() *pendingHandler { return &pendingHandler{ready: make(chan struct{})} }

// set passes requests to h from now on; call it once.
func (p *pendingHandler) set(h http.Handler) {
	p.h = h
	close(p.ready)
}

func (p *pendingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	timer := time.NewTimer(pendingWait)
	defer timer.Stop()
	select {
	case <-p.ready:
		p.h.ServeHTTP(w, r)
	case <-timer.C:
		http.Error(w, "Firstline is starting", http.StatusServiceUnavailable)
	case <-r.Context().Done():
	}
}

// connectSlack checks the bot token, retrying while Slack cannot be reached (the desk may start before
// the network) but not when the token is refused: that needs a person.
func connectSlack(ctx context.Context, sl *slack.Adapter, logger *slog.Logger) error {
	delay := time.Second
	for {
		err := sl.Connect(ctx)
		if err == nil {
			return nil
		}
		if slack.IsAuthError(err) {
			return fmt.Errorf("%w: check slack.bot_token (the Bot User OAuth Token, xoxb-) and that the app is installed in the workspace", err)
		}
		logger.Warn("cannot reach Slack, retrying", "err", err, "in", delay)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay = min(2*delay, time.Minute)
	}
}

// readyEngine notices the console's first Flush: from then on it can print what the engine posts.
type readyEngine struct {
	*bot.Engine
	once  sync.Once
	ready chan struct{}
}

func (r *readyEngine) Flush(ctx context.Context) error {
	r.once.Do(func() { close(r.ready) })
	return r.Engine.Flush(ctx)
}
