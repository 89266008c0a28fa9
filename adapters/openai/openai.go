// Package openai connects the desk to a language model behind an OpenAI-compatible endpoint (OpenAI,
// Azure OpenAI, or a local server such as llama.cpp, vLLM or Ollama) with go-openai. Its Client is the
// engine's bot.Model (chat completions) and the knowledge base's kb.Embedder (embeddings).
//
// The endpoint is treated as unreliable: every call has a per-attempt timeout, retries with backoff on
// 429, 5xx, timeouts and network errors, and goes through a circuit breaker shared by chat and embeddings,
// so a failing endpoint costs the desk one quick error per call instead of a stack of slow ones. Configured
// limits (calls per hour, in total and per person) refuse calls before they are sent. Every call is logged
// as one line of numbers (never the prompt, the reply or the API key) and counted in Stats.
package openai

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	openaiapi "github.com/sashabaranov/go-openai"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/kb"
)

// API types.
const (
	APITypeOpenAI = "openai" // OpenAI and every OpenAI-compatible server
	APITypeAzure  = "azure"  // Azure OpenAI: deployments named after models, an api-version, an api-key header
)

// Defaults for zero Config fields.
const (
	DefaultBaseURL         = "https://api.openai.com/v1"
	DefaultTimeout         = 30 * time.Second
	DefaultMaxRetries      = 2
	DefaultRetryBackoff    = 500 * time.Millisecond
	DefaultBreakerFailures = 5
	DefaultBreakerCooldown = 30 * time.Second
)

// EmbedBatch is the most texts sent in one embeddings request.
const EmbedBatch = 64

// PurposeEmbed is the purpose of embeddings calls in Stats, CallInfo and logs (chat calls carry the
// bot.Purpose* of their request).
const PurposeEmbed = "embed"

// Config is what the client needs to reach one endpoint. Zero values take the defaults above.
type Config struct {
	// BaseURL is the endpoint's API root. For OpenAI and OpenAI-compatible servers it includes the
	// version path, as go-openai and the servers' own documentation write it: "https://api.openai.com/v1"
	// (the default), "http://localhost:8080/v1" (llama.cpp), "http://localhost:8000/v1" (vLLM),
	// "http://localhost:11434/v1" (Ollama). For Azure it is the resource endpoint without any path,
	// "https://NAME.openai.azure.com"; the client adds /openai/deployments/{model}/... itself.
	BaseURL string
	// APIKey is sent as "Authorization: Bearer" (OpenAI) or "api-key" (Azure). Local servers usually need
	// none.
	APIKey string
	// APIType is APITypeOpenAI (the default) or APITypeAzure.
	APIType string
	// APIVersion is Azure's api-version ("2024-10-21"); required with Azure, unused otherwise.
	APIVersion string
	// Model is the chat model; with Azure, the name of its deployment.
	Model string
	// EmbeddingModel is the embeddings model (with Azure, its deployment); empty turns Embed off.
	EmbeddingModel string
	// Timeout bounds each attempt, streaming included (default 30s).
	Timeout time.Duration
	// MaxTokens bounds replies whose request does not say (0: the endpoint's own default).
	MaxTokens int
	// Temperature is the sampling temperature, 0 to 2; 0 leaves the endpoint's default (go-openai does not
	// send a zero temperature).
	Temperature float64
	// UserCallsPerHour limits chat calls made for one person ("platform:id") in any hour; 0 is unlimited.
	UserCallsPerHour int
	// CallsPerHour limits all chat calls in any hour; 0 is unlimited. Embeddings count against neither.
	CallsPerHour int
	// MaxRetries is how many times a failed attempt is retried (0: the default 2; negative: never).
	MaxRetries int
	// RetryBackoff is the first retry's backoff, doubled for each further retry, jittered and capped at
	// 10s (default 500ms). A longer Retry-After from the endpoint wins.
	RetryBackoff time.Duration
	// BreakerFailures is how many consecutive failed calls open the circuit (0: the default 5; negative:
	// no breaker).
	BreakerFailures int
	// BreakerCooldown is how long an open circuit refuses calls before it lets one trial call through
	// (default 30s).
	BreakerCooldown time.Duration
	// Stream uses the streaming API and assembles the reply: some servers and proxies answer long
	// completions only that way, and a stream keeps idle-timeout proxies from cutting the connection.
	Stream bool
	// HTTPClient makes the requests (proxies, TLS); nil uses a new http.Client. Leave its Timeout zero:
	// Timeout above bounds each attempt, streaming included.
	HTTPClient *http.Client
	// Now is the clock of the limits' windows and the breaker's cooldown; nil uses time.Now.
	Now func() time.Time
	// OnCall, if set, is told about every call when it ends (for metrics). It runs on the caller's
	// goroutine, concurrently with other calls, and must be quick.
	OnCall func(CallInfo)
}

// String describes the config without the API key, so logging or printing a Config leaks nothing.
func (c Config) String() string {
	type plain Config // without the String method
	p := plain(c)
	if p.APIKey != "" {
		p.APIKey = "[redacted]"
	}
	return fmt.Sprintf("%+v", p)
}

// Validate returns every problem of the config at once, or nil. The error is an errors.Join of one
// *bot.Error (code EINVALID) per problem, each message starting with the key of the [llm] section it is
// about ("base_url: ...", "retries: ..." for MaxRetries, "retry_backoff: ..."), so a caller can list them
// (Unwrap() []error) and prefix the section's name.
func (c Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, bot.Errorf(bot.EINVALID, format, args...)) }

	azure := false
	switch c.APIType {
	case "", APITypeOpenAI:
	case APITypeAzure:
		azure = true
	default:
		add("api_type: %q must be %q or %q", c.APIType, APITypeOpenAI, APITypeAzure)
	}

	switch u, err := url.Parse(c.BaseURL); {
	case c.BaseURL == "" && azure:
		add("base_url: Azure needs the resource endpoint, like \"https://NAME.openai.azure.com\"")
	case c.BaseURL == "":
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		add("base_url: %q is not an http:// or https:// URL", c.BaseURL)
	case u.RawQuery != "" || u.Fragment != "":
		add("base_url: %q must not have a query or fragment", c.BaseURL)
	case azure && strings.Contains(strings.TrimRight(u.Path, "/")+"/", "/openai/"):
		add("base_url: %q: give Azure's resource endpoint without /openai/..., like \"https://NAME.openai.azure.com\"; the deployment is the model", c.BaseURL)
	}

	if c.APIKey == "" {
		switch {
		case azure:
			add("api_key: Azure needs the resource's key (Keys and Endpoint in the Azure portal)")
		case c.BaseURL == "" || strings.Contains(c.BaseURL, "api.openai.com"):
			add("api_key: OpenAI needs an API key (platform.openai.com, API keys); local servers need none but then base_url must point at them")
		}
	}
	switch {
	case azure && c.APIVersion == "":
		add("api_version: Azure needs an api-version, like \"2024-10-21\"")
	case !azure && c.APIVersion != "":
		add("api_version: is for api_type %q only; remove it or set api_type = %q", APITypeAzure, APITypeAzure)
	}
	if strings.TrimSpace(c.Model) == "" {
		if azure {
			add("model: must name the chat model's deployment")
		} else {
			add("model: must name the chat model, like \"gpt-4o-mini\" (a local server's model name for llama.cpp, vLLM or Ollama)")
		}
	}
	if c.Timeout < 0 {
		add("timeout: must not be negative")
	}
	if c.MaxTokens < 0 {
		add("max_tokens: must not be negative")
	}
	if c.Temperature < 0 || c.Temperature > 2 {
		add("temperature: %v is not between 0 and 2", c.Temperature)
	}
	if c.CallsPerHour < 0 {
		add("calls_per_hour: must not be negative (0 is unlimited)")
	}
	if c.UserCallsPerHour < 0 {
		add("user_calls_per_hour: must not be negative (0 is unlimited)")
	}
	if c.CallsPerHour > 0 && c.UserCallsPerHour > c.CallsPerHour {
		add("user_calls_per_hour: %d is more than calls_per_hour %d, so it would never apply", c.UserCallsPerHour, c.CallsPerHour)
	}
	if c.MaxRetries > 10 {
		add("retries: %d is too many; at most 10 (each retry waits longer)", c.MaxRetries)
	}
	if c.RetryBackoff < 0 {
		add("retry_backoff: must not be negative")
	}
	if c.BreakerCooldown < 0 {
		add("breaker_cooldown: must not be negative")
	}
	return errors.Join(errs...)
}

// withDefaults fills zero fields.
func (c Config) withDefaults() Config {
	if c.APIType == "" {
		c.APIType = APITypeOpenAI
	}
	if c.BaseURL == "" {
		c.BaseURL = DefaultBaseURL
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	switch {
	case c.MaxRetries == 0:
		c.MaxRetries = DefaultMaxRetries
	case c.MaxRetries < 0:
		c.MaxRetries = 0
	}
	if c.RetryBackoff == 0 {
		c.RetryBackoff = DefaultRetryBackoff
	}
	if c.BreakerFailures == 0 {
		c.BreakerFailures = DefaultBreakerFailures
	}
	if c.BreakerCooldown == 0 {
		c.BreakerCooldown = DefaultBreakerCooldown
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

var (
	_ bot.Model   = (*Client)(nil)
	_ kb.Embedder = (*Client)(nil)
)

// Client is one model endpoint: a bot.Model and a kb.Embedder. It is safe for concurrent use.
type Client struct {
	cfg Config
	api *openaiapi.Client
	log *slog.Logger

	mu      sync.Mutex
	breaker breaker
	limits  limits
	stats   Stats
}

// New returns a client for cfg. It checks the config but does not call the endpoint.
func New(cfg Config, logger *slog.Logger) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("llm config: %w", err)
	}
	cfg = cfg.withDefaults()
	var api openaiapi.ClientConfig
	if cfg.APIType == APITypeAzure {
		api = openaiapi.DefaultAzureConfig(cfg.APIKey, cfg.BaseURL)
		api.APIVersion = cfg.APIVersion
		// The deployment is named by the config, not derived from a model name as go-openai's default
		// mapper does (it strips dots from "gpt-3.5" names).
		api.AzureModelMapperFunc = func(model string) string { return model }
	} else {
		api = openaiapi.DefaultConfig(cfg.APIKey)
		api.BaseURL = cfg.BaseURL
	}
	api.HTTPClient = retryAfterDoer{cfg.HTTPClient}

	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	log := logger.With("component", "openai")
	if u, err := url.Parse(cfg.BaseURL); err == nil && cfg.APIType == APITypeOpenAI && strings.Trim(u.Path, "/") == "" {
		log.Warn("llm base_url has no path; OpenAI-compatible servers usually serve the API under /v1", "base_url", cfg.BaseURL)
	}
	c := &Client{cfg: cfg, api: openaiapi.NewClientWithConfig(api), log: log}
	c.breaker.state = BreakerClosed
	c.limits.users = make(map[string]*window)
	c.stats.ByPurpose = make(map[string]Counts)
	return c, nil
}

// Model implements kb.Embedder: the embedding model's name.
func (c *Client) Model() string { return c.cfg.EmbeddingModel }

// Breaker states.
const (
	BreakerClosed   = "closed"    // calls go through
	BreakerOpen     = "open"      // calls fail fast until the cooldown ends
	BreakerHalfOpen = "half-open" // the cooldown ended: the next call is a trial
)

// Counts are the counters of calls, in total or of one purpose.
type Counts struct {
	// Calls were sent to the endpoint (whatever their outcome); each may have taken several attempts.
	Calls int64
	// Failures are sent calls that failed after their retries.
	Failures int64
	// Retries are attempts after a call's first.
	Retries int64
	// Limited calls were refused by CallsPerHour or UserCallsPerHour and not sent.
	Limited int64
	// CircuitOpen calls were refused by the open circuit and not sent.
	CircuitOpen int64
	// PromptTokens and CompletionTokens are as the endpoint reported them.
	PromptTokens     int64
	CompletionTokens int64
	// Latency is the total time of sent calls, retries and backoff included.
	Latency time.Duration
}

// Stats is a snapshot of the client's counters since New.
type Stats struct {
	Counts
	// Breaker is the circuit's state: BreakerClosed, BreakerOpen or BreakerHalfOpen.
	Breaker string
	// BreakerOpens counts how many times the circuit opened.
	BreakerOpens int64
	// OpenUntil is when an open circuit lets a trial call through; zero when it is closed.
	OpenUntil time.Time
	// ByPurpose splits the counts by purpose (bot.Purpose*, PurposeEmbed).
	ByPurpose map[string]Counts
}

// Stats returns a snapshot of the counters.
func (c *Client) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.ByPurpose = make(map[string]Counts, len(c.stats.ByPurpose))
	for k, v := range c.stats.ByPurpose {
		s.ByPurpose[k] = v
	}
	s.Breaker, s.BreakerOpens = c.breaker.state, c.breaker.opens
	if c.breaker.state != BreakerClosed {
		s.OpenUntil = c.breaker.openUntil
	}
	return s
}

// Outcomes of a call.
const (
	OutcomeOK          = "ok"           // the endpoint answered
	OutcomeFailed      = "failed"       // sent, and failed after its retries
	OutcomeLimited     = "limited"      // refused by a configured limit, not sent
	OutcomeCircuitOpen = "circuit_open" // refused by the open circuit, not sent
)

// CallInfo describes one finished call, for Config.OnCall. It holds no text of the prompt or the reply.
type CallInfo struct {
	// Purpose is the request's (bot.Purpose*) or PurposeEmbed.
	Purpose string
	// Model is the model (or Azure deployment) called.
	Model string
	// User is the request's User, "" for desk calls and embeddings.
	User string
	// Outcome is one of the Outcome constants; Code is the bot error code when it is not OutcomeOK.
	Outcome string
	Code    string
	// Attempts is how many requests were sent (0 when the call was refused).
	Attempts int
	// Latency is the call's whole time, retries and backoff included.
	Latency          time.Duration
	PromptTokens     int
	CompletionTokens int
	// FinishReason is the endpoint's, for chat calls that succeeded.
	FinishReason string
}
