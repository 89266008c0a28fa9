package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/firstline-desk/firstline/adapters/openai"
	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/kb"
	"github.com/firstline-desk/firstline/metrics"
	"github.com/firstline-desk/firstline/storage"
)

// LLMConfig connects a language model behind any OpenAI-compatible endpoint (OpenAI, Azure OpenAI,
// llama.cpp, vLLM, Ollama): answers written from the articles, handoff summaries, triage, and
// embeddings for hybrid search. See README, "Answers written by a model".
type LLMConfig struct {
	Enabled bool `toml:"enabled"`
	// BaseURL includes the version path for OpenAI-compatible servers ("http://localhost:11434/v1");
	// for Azure it is the resource endpoint ("https://NAME.openai.azure.com").
	BaseURL    string `toml:"base_url"`
	APIKey     string `toml:"api_key"`
	APIType    string `toml:"api_type"`
	APIVersion string `toml:"api_version"`
	Model      string `toml:"model"`
	// EmbeddingModel turns on hybrid search; empty keeps search lexical.
	EmbeddingModel   string   `toml:"embedding_model"`
	Timeout          Duration `toml:"timeout"`
	MaxTokens        int      `toml:"max_tokens"`
	Temperature      float64  `toml:"temperature"`
	Stream           bool     `toml:"stream"`
	Retries          int      `toml:"retries"`
	CallsPerHour     int      `toml:"calls_per_hour"`
	UserCallsPerHour int      `toml:"user_calls_per_hour"`
	BreakerFailures  int      `toml:"breaker_failures"`
	BreakerCooldown  Duration `toml:"breaker_cooldown"`
	// What the model is used for (all on by default).
	Answers   *bool `toml:"answers"`
	Summaries *bool `toml:"summaries"`
	Triage    *bool `toml:"triage"`
	// Categories the model may put a ticket in.
	Categories []string `toml:"categories"`
	// Sources, MinSourceConfidence and MaxAnswerChars tune grounded answers (see bot.ModelOptions).
	Sources             int          `toml:"sources"`
	MinSourceConfidence float64      `toml:"min_source_confidence"`
	MaxAnswerChars      int          `toml:"max_answer_chars"`
	Hybrid              HybridConfig `toml:"hybrid"`
}

// HybridConfig tunes the fusion of lexical and embedding search (see kb.HybridOptions).
type HybridConfig struct {
	Candidates    int     `toml:"candidates"`
	Fusion        string  `toml:"fusion"`
	RRFK          float64 `toml:"rrf_k"`
	LexicalWeight float64 `toml:"lexical_weight"`
	VectorWeight  float64 `toml:"vector_weight"`
	// The confidence of an article the lexical search found, revised by the embedding (kb.Agreement);
	// pointers, as 0 is a value (lead 0 ignores the embedding) and unset is the default.
	AgreementBias    *float64 `toml:"agreement_bias"`
	AgreementLexical *float64 `toml:"agreement_lexical"`
	AgreementLead    *float64 `toml:"agreement_lead"`
	// The cosine-to-confidence ramp of articles found by embedding alone.
	Low  float64 `toml:"low"`
	High float64 `toml:"high"`
	Max  float64 `toml:"max"`
	Lead float64 `toml:"lead"`
}

// agreement is the configured kb.Agreement: the default with the keys that are set.
func (h HybridConfig) agreement() kb.Agreement {
	a := kb.DefaultAgreement
	if h.AgreementBias != nil {
		a.Bias = *h.AgreementBias
	}
	if h.AgreementLexical != nil {
		a.Lexical = *h.AgreementLexical
	}
	if h.AgreementLead != nil {
		a.Lead = *h.AgreementLead
	}
	return a
}

// FloodConfig keeps one person from swamping the desk (see bot.FloodConfig).
type FloodConfig struct {
	Messages   int      `toml:"messages"`
	Window     Duration `toml:"window"`
	JoinWithin Duration `toml:"join_within"`
}

func on(b *bool) bool { return b == nil || *b }

func (c LLMConfig) client() openai.Config {
	return openai.Config{
		BaseURL:          c.BaseURL,
		APIKey:           c.APIKey,
		APIType:          c.APIType,
		APIVersion:       c.APIVersion,
		Model:            c.Model,
		EmbeddingModel:   c.EmbeddingModel,
		Timeout:          time.Duration(c.Timeout),
		MaxTokens:        c.MaxTokens,
		Temperature:      c.Temperature,
		Stream:           c.Stream,
		MaxRetries:       c.Retries,
		CallsPerHour:     c.CallsPerHour,
		UserCallsPerHour: c.UserCallsPerHour,
		BreakerFailures:  c.BreakerFailures,
		BreakerCooldown:  time.Duration(c.BreakerCooldown),
	}
}

func (c LLMConfig) hybrid(desk Config, logger *slog.Logger) kb.HybridOptions {
	h := c.Hybrid
	opts := kb.HybridOptions{
		Candidates:        h.Candidates,
		Fusion:            h.Fusion,
		Agreement:         h.agreement(),
		RRFK:              h.RRFK,
		LexicalWeight:     h.LexicalWeight,
		VectorWeight:      h.VectorWeight,
		PromoteConfidence: desk.KB.SuggestConfidence,
		Logger:            logger,
	}
	if h.Low != 0 || h.High != 0 || h.Max != 0 || h.Lead != 0 {
		opts.Confidence = kb.DefaultVectorConfidence
		if h.Low != 0 || h.High != 0 {
			opts.Confidence.Low, opts.Confidence.High = h.Low, h.High
		}
		if h.Max != 0 {
			opts.Confidence.Max = h.Max
		}
		if h.Lead != 0 {
			opts.Confidence.Lead = h.Lead
		}
	}
	return opts
}

// problems lists what is wrong with [llm], each naming its key.
func (c LLMConfig) problems() []string {
	if !c.Enabled {
		return nil
	}
	var p []string
	if err := c.client().Validate(); err != nil {
		var list interface{ Unwrap() []error }
		if errors.As(err, &list) {
			for _, e := range list.Unwrap() {
				p = append(p, "llm."+strings.TrimPrefix(e.Error(), bot.EINVALID+": "))
			}
		} else {
			p = append(p, "llm: "+err.Error())
		}
	}
	if c.Sources < 0 || c.Sources > 10 {
		p = append(p, fmt.Sprintf("llm.sources: %d must be between 1 and 10", c.Sources))
	}
	if !(c.MinSourceConfidence >= 0 && c.MinSourceConfidence <= 1) { // written so NaN fails too
		p = append(p, fmt.Sprintf("llm.min_source_confidence: %v must be between 0 and 1", c.MinSourceConfidence))
	}
	if c.MaxAnswerChars < 0 {
		p = append(p, "llm.max_answer_chars: must not be negative")
	}
	for i, cat := range c.Categories {
		if !idPattern.MatchString(cat) {
			p = append(p, fmt.Sprintf("llm.categories[%d]: %q must be lower-case letters, digits, - or _", i, cat))
		}
	}
	if c.EmbeddingModel != "" && c.Hybrid != (HybridConfig{}) {
		// All of [llm.hybrid]: candidates, fusion, rrf_k and the weights, the agreement and the ramp.
		if err := c.hybrid(Config{}, nil).Validate(); err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				p = append(p, "llm.hybrid: "+line)
			}
		}
	}
	return p
}

// modelOptions is what the engine is told about the model.
func (c LLMConfig) modelOptions() bot.ModelOptions {
	return bot.ModelOptions{
		Sources:             c.Sources,
		MinSourceConfidence: c.MinSourceConfidence,
		MaxAnswerChars:      c.MaxAnswerChars,
		NoAnswers:           !on(c.Answers),
		Summaries:           on(c.Summaries),
		Triage:              on(c.Triage),
		Categories:          c.Categories,
	}
}

// deskModel is the model and the search the desk runs with: the library itself, or, with an embedding
// model, a hybrid whose vectors a background loop keeps up to date.
type deskModel struct {
	client *openai.Client // nil without [llm]
	search bot.Searcher
	hybrid *kb.Hybrid // nil without an embedding model
}

func (m *Main) setupModel(cfg Config, db *storage.DB, lib *kb.Library, mx *metrics.Metrics, logger *slog.Logger) (deskModel, error) {
	if !cfg.LLM.Enabled {
		return deskModel{search: lib}, nil
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
	dm := deskModel{client: client, search: lib}
	if cfg.LLM.EmbeddingModel != "" {
		dm.hybrid = kb.NewHybrid(lib, client, db, cfg.LLM.hybrid(cfg, logger))
		dm.search = dm.hybrid
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
