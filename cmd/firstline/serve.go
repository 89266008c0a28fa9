package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/firstline-desk/firstline/adapters/slack"
	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/storage"
)

// slackEventsPath is where Slack's HTTP mode posts events, interactions and slash commands.
const slackEventsPath = "/slack/events"

// serve runs the desk as a server for the enabled chat platforms until ctx ends (Ctrl-C, SIGTERM) or a
// platform fails for good (a refused token).
func (m *Main) serve(ctx context.Context, cfg Config, engine *bot.Engine, db *storage.DB, logger *slog.Logger) error {
	sl, err := slack.New(slack.Config{
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
	if err := connectSlack(ctx, sl, logger); err != nil {
		return err
	}
	engine.AddChat(sl)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	background := make(chan struct{})
	go func() {
		defer close(background)
		m.housekeeping(ctx, engine, db, logger)
	}()
	defer func() { cancel(); <-background }()

	failed := make(chan error, 1)
	switch cfg.Slack.Mode {
	case slack.ModeHTTP:
		mux := http.NewServeMux()
		mux.Handle(slackEventsPath, sl.HTTPHandler(engine))
		mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
		srv := &http.Server{Addr: cfg.HTTP.Listen, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
				failed <- fmt.Errorf("http listener %s: %w", cfg.HTTP.Listen, err)
			}
		}()
		defer func() {
			shutdown, done := context.WithTimeout(context.Background(), 5*time.Second)
			defer done()
			_ = srv.Shutdown(shutdown)
		}()
		fmt.Fprintf(m.Stdout, "Firstline is serving Slack over HTTP: request URL https://YOUR-HOST%s (listening on %s). Stop with Ctrl-C.\n", slackEventsPath, cfg.HTTP.Listen)
	default:
		go func() {
			if err := sl.RunSocket(ctx, engine); err != nil {
				failed <- err
			}
		}()
		fmt.Fprintln(m.Stdout, "Firstline is serving Slack over Socket Mode. Stop with Ctrl-C.")
	}
	select {
	case <-ctx.Done():
		logger.Info("stopping")
		return nil
	case err := <-failed:
		return err
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
