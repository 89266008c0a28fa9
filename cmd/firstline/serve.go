package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/firstline-desk/firstline/adapters/discord"
	"github.com/firstline-desk/firstline/adapters/slack"
	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/internal/health"
	"github.com/firstline-desk/firstline/metrics"
	"github.com/firstline-desk/firstline/storage"
)

// slackEventsPath is where Slack's HTTP mode posts events, interactions and slash commands.
const slackEventsPath = "/slack/events"

// serve runs the desk as a server for the enabled chat platforms until ctx ends (Ctrl-C, SIGTERM) or a
// platform fails for good (a refused token, a disallowed intent). One engine serves them all, so a ticket
// opened on one platform can be worked from a tier channel on another. With http.listen set, an HTTP
// listener serves /healthz and /metrics whatever the platforms, and Slack's request URL in its HTTP mode.
func (m *Main) serve(ctx context.Context, cfg Config, engine *bot.Engine, db *storage.DB, mx *metrics.Metrics, logger *slog.Logger) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	failed := make(chan error, 3)
	var running sync.WaitGroup
	defer running.Wait()
	defer cancel()

	var (
		sl *slack.Adapter
		dc *discord.Adapter
	)
	if cfg.Slack.Enabled {
		var err error
		sl, err = slack.New(slack.Config{
			Mode:          cfg.Slack.Mode,
			BotToken:      cfg.Slack.BotToken,
			AppToken:      cfg.Slack.AppToken,
			SigningSecret: cfg.Slack.SigningSecret,
			APIURL:        cfg.Slack.APIURL,
			CommandPrefix: cfg.Desk.CommandPrefix,
		}, logger)
		if err != nil {
			return err
		}
	}
	if cfg.Discord.Enabled {
		var err error
		dc, err = discord.New(discord.Config{
			Token:        cfg.Discord.Token,
			Guild:        cfg.Discord.Guild,
			APIURL:       cfg.Discord.APIURL,
			HelpChannels: cfg.Discord.HelpChannels,
			CustomEmoji:  cfg.Discord.Emoji,
			State:        db.Adapter(discord.Platform),
		}, logger)
		if err != nil {
			return err
		}
	}

	// The listener starts before Slack's token is checked, so /healthz answers while the desk waits for
	// the network; Slack's request URL holds its requests until then (pendingHandler).
	slackEvents := newPendingHandler()
	if cfg.HTTP.Listen != "" {
		hz := health.New(db, time.Now)
		if mx == nil {
			mx = metrics.New(metrics.Config{Store: db}, logger)
		}
		watch := func(platform string, c health.Connection) error {
			hz.Watch(platform, c)
			return mx.WatchConnection(platform, c)
		}
		if sl != nil {
			if err := watch(slack.Platform, sl); err != nil {
				return err
			}
		}
		if dc != nil {
			if err := watch(discord.Platform, dc); err != nil {
				return err
			}
		}
		engine.SetObserver(mx)
		mux := http.NewServeMux()
		mux.Handle("GET /healthz", hz)
		mux.Handle("GET /metrics", mx.Handler())
		if sl != nil && cfg.Slack.Mode == slack.ModeHTTP {
			mux.Handle(slackEventsPath, slackEvents)
		}
		ln, err := net.Listen("tcp", cfg.HTTP.Listen)
		if err != nil {
			return fmt.Errorf("http listener %s: %w", cfg.HTTP.Listen, err)
		}
		limits := defaultHTTPLimits
		if m.httpLimits != nil {
			limits = *m.httpLimits
		}
		srv, ln := newHTTPServer(mux, ln, limits)
		running.Go(func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				failed <- fmt.Errorf("http listener %s: %w", cfg.HTTP.Listen, err)
			}
		})
		running.Go(func() {
			<-ctx.Done()
			shutdown, done := context.WithTimeout(context.Background(), 5*time.Second)
			defer done()
			_ = srv.Shutdown(shutdown)
		})
		fmt.Fprintf(m.Stdout, "Health and metrics: http://%s/healthz and http://%s/metrics (keep them off the internet).\n", ln.Addr(), ln.Addr())
	}

	if sl != nil {
		if err := connectSlack(ctx, sl, logger); err != nil {
			return err
		}
		engine.AddChat(sl)
		// Events are translated from the adapter's directory of people and user groups, never by calling
		// Slack while it waits for the ack; this keeps the directory fresh.
		running.Go(func() { sl.RunDirectory(ctx) })
		switch cfg.Slack.Mode {
		case slack.ModeHTTP:
			slackEvents.set(sl.HTTPHandler(engine))
			fmt.Fprintf(m.Stdout, "Firstline is serving Slack over HTTP: request URL https://YOUR-HOST%s (listening on %s).\n", slackEventsPath, cfg.HTTP.Listen)
		default:
			running.Go(func() {
				if err := sl.RunSocket(ctx, engine); err != nil {
					failed <- err
				}
			})
			fmt.Fprintln(m.Stdout, "Firstline is serving Slack over Socket Mode.")
		}
	}
	if dc != nil {
		engine.AddChat(dc)
		running.Go(func() {
			if err := dc.Run(ctx, engine); err != nil {
				failed <- err
			}
		})
		fmt.Fprintln(m.Stdout, "Firstline is serving Discord.")
	}

	running.Go(func() { m.housekeeping(ctx, engine, db, logger) })
	fmt.Fprintln(m.Stdout, "Stop with Ctrl-C.")
	select {
	case <-ctx.Done():
		logger.Info("stopping")
		return nil
	case err := <-failed:
		return err
	}
}

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
