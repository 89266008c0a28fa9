package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/firstline-desk/firstline/adapters/discord"
	"github.com/firstline-desk/firstline/adapters/slack"
	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/storage"
)

// slackEventsPath is where Slack's HTTP mode posts events, interactions and slash commands.
const slackEventsPath = "/slack/events"

// serve runs the desk as a server for the enabled chat platforms until ctx ends (Ctrl-C, SIGTERM) or a
// platform fails for good (a refused token, a disallowed intent). One engine serves them all, so a ticket
// opened on one platform can be worked from a tier channel on another.
func (m *Main) serve(ctx context.Context, cfg Config, engine *bot.Engine, db *storage.DB, logger *slog.Logger) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	failed := make(chan error, 2)
	var running sync.WaitGroup
	defer running.Wait()
	defer cancel()

	if cfg.Slack.Enabled {
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
		switch cfg.Slack.Mode {
		case slack.ModeHTTP:
			mux := http.NewServeMux()
			mux.Handle(slackEventsPath, sl.HTTPHandler(engine))
			mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
			srv := &http.Server{Addr: cfg.HTTP.Listen, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
			running.Go(func() {
				if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
					failed <- fmt.Errorf("http listener %s: %w", cfg.HTTP.Listen, err)
				}
			})
			running.Go(func() {
				<-ctx.Done()
				shutdown, done := context.WithTimeout(context.Background(), 5*time.Second)
				defer done()
				_ = srv.Shutdown(shutdown)
			})
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
	if cfg.Discord.Enabled {
		dc, err := discord.New(discord.Config{
			Token:        cfg.Discord.Token,
			Guild:        cfg.Discord.Guild,
			APIURL:       cfg.Discord.APIURL,
			HelpChannels: cfg.Discord.HelpChannels,
			CustomEmoji:  cfg.Discord.Emoji,
		}, logger)
		if err != nil {
			return err
		}
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
