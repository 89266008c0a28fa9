package openai_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/adapters/openai"
	"github.com/firstline-desk/firstline/bot"
)

// TestLiveOpenAI talks to a real endpoint. It runs only with FIRSTLINE_LIVE_OPENAI_MODEL set, and uses
// FIRSTLINE_LIVE_OPENAI_API_KEY, FIRSTLINE_LIVE_OPENAI_BASE_URL (default OpenAI's) and
// FIRSTLINE_LIVE_OPENAI_EMBEDDING_MODEL when set: a plain and a streamed completion, JSON mode, and
// embeddings if a model is given.
func TestLiveOpenAI(t *testing.T) {
	model := os.Getenv("FIRSTLINE_LIVE_OPENAI_MODEL")
	if model == "" {
		t.Skip("set FIRSTLINE_LIVE_OPENAI_MODEL (and FIRSTLINE_LIVE_OPENAI_API_KEY, FIRSTLINE_LIVE_OPENAI_BASE_URL, FIRSTLINE_LIVE_OPENAI_EMBEDDING_MODEL as needed) to run against a real endpoint")
	}
	for _, stream := range []bool{false, true} {
		c, err := openai.New(openai.Config{
			BaseURL: os.Getenv("FIRSTLINE_LIVE_OPENAI_BASE_URL"), APIKey: os.Getenv("FIRSTLINE_LIVE_OPENAI_API_KEY"),
			Model: model, EmbeddingModel: os.Getenv("FIRSTLINE_LIVE_OPENAI_EMBEDDING_MODEL"), MaxTokens: 200, Stream: stream,
		}, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		r, err := c.Complete(ctx, bot.ModelRequest{Purpose: bot.PurposeAnswer, System: "Answer in one short sentence.",
			Messages: []bot.ModelMessage{{Role: "user", Content: "What does VPN stand for?"}}})
		if err != nil || r.Text == "" || r.PromptTokens == 0 {
			t.Fatalf("stream %v: %+v, %v", stream, r, err)
		}
		r, err = c.Complete(ctx, bot.ModelRequest{Purpose: bot.PurposeTriage, System: `Reply with a JSON object {"priority": "P1".."P4"}.`, JSON: true,
			Messages: []bot.ModelMessage{{Role: "user", Content: "The whole office has no internet."}}})
		if err != nil || r.Text == "" {
			t.Fatalf("JSON mode, stream %v: %+v, %v", stream, r, err)
		}
		if c.Model() != "" {
			vecs, err := c.Embed(ctx, []string{"VPN does not connect", "printer is out of toner"})
			if err != nil || len(vecs) != 2 || len(vecs[0]) == 0 || len(vecs[0]) != len(vecs[1]) {
				t.Fatalf("embeddings: %d vectors, %v", len(vecs), err)
			}
		}
	}
}
