package main

// Wiring of the model: the OpenAI-compatible client, and the hybrid search whose vectors a background
// loop keeps up to date.

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/firstline-desk/firstline/adapters/openai"
	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/kb"
	"github.com/firstline-desk/firstline/metrics"
)

// deskModel is the model and the knowledge base the desk runs with: the library itself, or, with an embedding
// model, a hybrid whose vectors a background loop keeps up to date.
type deskModel struct {
	client  *openai.Client // nil without [llm]
	library bot.Library
	hybrid  *kb.Hybrid // nil without an embedding model
}

func (m *Main) setupModel(cfg Config, db *store, lib *kb.Library, mx *metrics.Metrics, logger *slog.Logger) (deskModel, error) {
	if !cfg.LLM.Enabled {
		return deskModel{library: lib}, nil
	}
	cc := cfg.LLM.client()
	if mx != nil {
		cc.OnCall = func(c openai.CallInfo) {
			var err error
			if c.Outcome != openai.OutcomeOK {
				err = bot.Errorf(c.Code, "%s", c.Outcome)
			}
			mx.ModelCall(c.Purpose, c.Latency, err, c.PromptTokens, c.CompletionTokens)
		}
	}
	client, err := openai.New(cc, logger)
	if err != nil {
		return deskModel{}, fmt.Errorf("llm: %w", err)
	}
	dm := deskModel{client: client, library: lib}
	if cfg.LLM.EmbeddingModel != "" {
		dm.hybrid = kb.NewHybrid(lib, client, db, cfg.LLM.hybrid(cfg, logger))
		dm.library = dm.hybrid
	}
	logger.Info("model configured", "model", cfg.LLM.Model, "embedding_model", cfg.LLM.EmbeddingModel, "api_type", cfg.LLM.APIType)
	return dm, nil
}

// vectorSyncEvery is how often articles edited from chat are embedded.
const vectorSyncEvery = time.Minute

// syncVectors embeds articles that have no vector yet, at start and then every minute (edits from chat
// are found lexically at once and by embedding after the next pass). Failures are logged and retried.
func syncVectors(ctx context.Context, h *kb.Hybrid, logger *slog.Logger) {
	tick := time.NewTicker(vectorSyncEvery)
	defer tick.Stop()
	for {
		if st, err := h.Sync(ctx); err != nil && ctx.Err() == nil {
			logger.Warn("embedding articles failed; search stays lexical for them until the next try", "err", err)
		} else if err == nil && st.Embedded > 0 {
			logger.Info("articles embedded", "embedded", st.Embedded)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
