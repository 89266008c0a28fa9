package discord_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/adapters/discord"
	"github.com/firstline-desk/firstline/bot"
)

type nopHandler struct{}

func (nopHandler) Handle(context.Context, bot.Event) error { return nil }

// TestLiveDiscord talks to real Discord. It runs only with FIRSTLINE_LIVE_DISCORD_TOKEN and
// FIRSTLINE_LIVE_DISCORD_CHANNEL (a channel id the bot can write in): it connects to the gateway with the
// desk's intents, posts a card with buttons, edits it and reacts to it.
func TestLiveDiscord(t *testing.T) {
	token, channel := os.Getenv("FIRSTLINE_LIVE_DISCORD_TOKEN"), os.Getenv("FIRSTLINE_LIVE_DISCORD_CHANNEL")
	if token == "" || channel == "" {
		t.Skip("set FIRSTLINE_LIVE_DISCORD_TOKEN and FIRSTLINE_LIVE_DISCORD_CHANNEL to run against real Discord")
	}
	a, err := discord.New(discord.Config{Token: token}, quiet())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, nopHandler{}) }()
	ref, err := a.Post(ctx, bot.Post{Channel: channel, Title: "Firstline live test", Text: "A **card**, and @everyone that must not ping.",
		Fields:  []bot.Field{{Name: "Ticket", Value: "T-LIVE"}, {Name: "Status", Value: "open"}},
		Choices: []bot.Choice{{ID: "solved", Label: "Solved", Style: bot.StylePrimary}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Update(ctx, ref, bot.Post{Title: "Firstline live test", Text: "Edited in place."}); err != nil {
		t.Fatal(err)
	}
	if err := a.React(ctx, ref, "white_check_mark"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second) // hold the gateway: a refused token or intent ends Run early
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("gateway: %v", err)
	}
}
