package bot

import "context"

// Model is a language model behind an OpenAI-compatible endpoint; adapters/openai implements it. The
// engine calls it from jobs, never inside a storage transaction, and only with text that went through the
// redactor. Implementations own their timeouts, retries, rate limits and circuit breaker: any error means
// "no model answer this time" and the engine carries on as it would without a model (plain retrieval
// answers, code-built summaries). Errors should carry a code: EUNAVAILABLE for an endpoint that is down,
// slow or refusing (the breaker is open, 429, 5xx), ELIMITED for a call refused by a configured limit.
type Model interface {
	Complete(ctx context.Context, req ModelRequest) (ModelReply, error)
}

// Model purposes, for limits, metrics and logs.
const (
	PurposeAnswer  = "answer"  // a grounded answer to a requester
	PurposeSummary = "summary" // a handoff summary for technicians
	PurposeTriage  = "triage"  // a priority and category suggestion
)

// ModelRequest is one chat completion.
type ModelRequest struct {
	// Purpose is one of the Purpose constants.
	Purpose string
	// User is the person ("platform:id") the call is made for: per-user limits count against them. Empty
	// for calls made for the desk itself (summaries for technicians count only against the global limit).
	User string
	// System is the system prompt.
	System string
	// Messages are the conversation after the system prompt, oldest first.
	Messages []ModelMessage
	// MaxTokens bounds the reply; 0 uses the configured default.
	MaxTokens int
	// JSON asks for a JSON object as the reply (triage).
	JSON bool
}

// ModelMessage is one turn: Role is "user" or "assistant".
type ModelMessage struct {
	Role    string
	Content string
}

// ModelReply is what the model wrote and what it cost.
type ModelReply struct {
	Text             string
	PromptTokens     int
	CompletionTokens int
	// FinishReason is the endpoint's: "stop", "length" (cut by MaxTokens), "content_filter", ...
	FinishReason string
}
