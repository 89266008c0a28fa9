package slack_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/adapters/slack"
	"github.com/firstline-desk/firstline/bot"
)

// TestLiveSlack talks to a real workspace. It runs only with FIRSTLINE_LIVE_SLACK_BOT_TOKEN (xoxb-),
// FIRSTLINE_LIVE_SLACK_APP_TOKEN (xapp-) and FIRSTLINE_LIVE_SLACK_CHANNEL (a channel id the bot is in):
// it checks the tokens, posts a card with buttons, edits it, reacts to it, and holds a Socket Mode
// connection for a few seconds.
func TestLiveSlack(t *testing.T) {
	botToken, appToken, channel := os.Getenv("FIRSTLINE_LIVE_SLACK_BOT_TOKEN"), os.Getenv("FIRSTLINE_LIVE_SLACK_APP_TOKEN"), os.Getenv("FIRSTLINE_LIVE_SLACK_CHANNEL")
	if botToken == "" || appToken == "" || channel == "" {
		t.Skip("set FIRSTLINE_LIVE_SLACK_BOT_TOKEN, FIRSTLINE_LIVE_SLACK_APP_TOKEN and FIRSTLINE_LIVE_SLACK_CHANNEL to run against a real workspace")
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := slack.New(slack.Config{BotToken: botToken, AppToken: appToken, CommandPrefix: "!"}, logger)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := a.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	ref, err := a.Post(ctx, bot.Post{Channel: channel, Title: "Firstline live test", Text: "A **card** with `code`, a [link](https://example.com) and @here that must not ping.",
		Fields:  []bot.Field{{Name: "Ticket", Value: "T-LIVE"}, {Name: "Status", Value: "open"}},
		Choices: []bot.Choice{{ID: "solved", Label: "Solved", Style: bot.StylePrimary}, {ID: "human", Label: "Talk to a human"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Update(ctx, ref, bot.Post{Title: "Firstline live test", Text: "Edited in place."}); err != nil {
		t.Fatal(err)
	}
	if err := a.React(ctx, ref, "white_check_mark"); err != nil {
		t.Fatal(err)
	}
	sock, stop := context.WithTimeout(ctx, 5*time.Second)
	defer stop()
	if err := a.RunSocket(sock, &recorder{}); err != nil {
		t.Fatalf("socket mode: %v", err)
	}
}
