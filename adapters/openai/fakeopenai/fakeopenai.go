// Package fakeopenai is a local fake of an OpenAI-compatible endpoint for offline tests of code built on
// the real go-openai client. An httptest server answers /v1/chat/completions (plain JSON, or Server-Sent
// Events when the request streams) and /v1/embeddings in OpenAI's wire format, and the same under Azure's
// /openai/deployments/{deployment}/... paths. A test decides what the "model" writes (SetReply), queues
// faults for the next requests (Fail), and reads back every request received (Requests).
//
// Tokens are words (runs of non-space): usage counts the words of the messages and of the reply, and
// max_tokens cuts the reply after that many words (finish_reason "length"). Embeddings are deterministic (Embed), so texts that share
// words are similar.
package fakeopenai

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	openaiapi "github.com/sashabaranov/go-openai"
)

// Dims is the length of the fake's embedding vectors.
const Dims = 256

// Request is one request as the fake received it, faulted or not.
type Request struct {
	// Path is the URL path, "/v1/chat/completions" or "/openai/deployments/gpt/embeddings".
	Path string
	// Endpoint is "chat" or "embeddings".
	Endpoint string
	// Deployment is the Azure deployment named in the path, "" on /v1 paths.
	Deployment string
	// APIVersion is the api-version query parameter (Azure).
	APIVersion string
	// Header holds the request headers (Authorization, api-key, ...).
	Header http.Header
	// Body is the raw JSON body as sent.
	Body []byte
	// Chat is the decoded body of a chat request.
	Chat openaiapi.ChatCompletionRequest
	// Inputs are the texts of an embeddings request.
	Inputs []string
	// Model is the body's "model".
	Model string
	// Fault is the fault that answered the request ("" when it was answered normally).
	Fault string
}

// Fault is a scripted misbehaviour that answers one request instead of the normal answer. Build them with
// Status, RateLimited, Delay, Malformed, Drop and NoChoices.
type Fault struct {
	name       string
	status     int
	retryAfter string
	delay      time.Duration
	malformed  bool
	drop       bool
	noChoices  bool
	body       string
}

// Status answers with the HTTP status and an OpenAI error object in the body, or with body verbatim when
// it is not empty (a proxy's HTML page, an error that echoes the request).
func Status(code int, body string) Fault {
	return Fault{name: fmt.Sprintf("status %d", code), status: code, body: body}
}

// RateLimited answers 429 with a Retry-After header of whole seconds (0 sends "0").
func RateLimited(retryAfter time.Duration) Fault {
	return Fault{name: "429", status: http.StatusTooManyRequests, retryAfter: strconv.Itoa(int(retryAfter / time.Second))}
}

// Delay waits d (or until the client gives up) before answering normally: longer than the client's
// timeout, it is a slow endpoint.
func Delay(d time.Duration) Fault { return Fault{name: "delay", delay: d} }

// Malformed answers 200 with a body that is not valid JSON (a stream gets a data: line that is not).
func Malformed() Fault { return Fault{name: "malformed", malformed: true} }

// Drop closes the connection without answering.
func Drop() Fault { return Fault{name: "drop", drop: true} }

// NoChoices answers 200 with a well-formed completion that has no choices (a stream that has none), or
// embeddings with no vectors.
func NoChoices() Fault { return Fault{name: "no choices", noChoices: true} }

// Server is a fake OpenAI-compatible endpoint. Its methods are safe for concurrent use.
type Server struct {
	http *httptest.Server

	mu       sync.Mutex
	reply    func(openaiapi.ChatCompletionRequest) string
	faults   []Fault
	requests []Request
	apiKey   string
}

// New starts a fake endpoint and closes it at t.Cleanup. Until SetReply, the model answers "Hello from
// fakeopenai." (or "{}" in JSON mode).
func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", s.serve("chat", ""))
	mux.HandleFunc("POST /v1/embeddings", s.serve("embeddings", ""))
	mux.HandleFunc("POST /openai/deployments/{deployment}/chat/completions", s.serve("chat", "azure"))
	mux.HandleFunc("POST /openai/deployments/{deployment}/embeddings", s.serve("embeddings", "azure"))
	s.http = httptest.NewServer(mux)
	t.Cleanup(s.http.Close)
	return s
}

// URL is the base URL for OpenAI-style clients, ending in /v1: go-openai's BaseURL.
func (s *Server) URL() string { return s.http.URL + "/v1" }

// AzureURL is the base URL for Azure-style clients (the resource endpoint, without /openai).
func (s *Server) AzureURL() string { return s.http.URL }

// SetReply decides what the model writes for each chat request. It may be called from several goroutines
// at once.
func (s *Server) SetReply(reply func(req openaiapi.ChatCompletionRequest) string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reply = reply
}

// SetAPIKey makes the fake answer 401 to requests that do not carry key as a Bearer token or an api-key
// header. "" (the default) accepts any request.
func (s *Server) SetAPIKey(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apiKey = key
}

// Fail queues faults: each of the next requests, chat or embeddings, is answered by the next fault.
func (s *Server) Fail(faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, faults...)
}

// Requests returns the requests received so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Embed is the fake's embedding of text: a bag of its lower-cased words (runs of letters and digits), each
// hashed into one of Dims buckets, L2-normalized. The empty text is the zero vector.
func Embed(text string) []float32 {
	v := make([]float32, Dims)
	for _, w := range words(strings.ToLower(text)) {
		h := fnv.New32a()
		h.Write([]byte(w))
		v[h.Sum32()%Dims]++
	}
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	if sum > 0 {
		n := float32(math.Sqrt(sum))
		for i := range v {
			v[i] /= n
		}
	}
	return v
}

func words(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

func (s *Server) serve(endpoint, flavor string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rec := Request{Path: r.URL.Path, Endpoint: endpoint, Deployment: r.PathValue("deployment"),
			APIVersion: r.URL.Query().Get("api-version"), Header: r.Header.Clone(), Body: body}
		var decodeErr error
		if endpoint == "chat" {
			decodeErr = json.Unmarshal(body, &rec.Chat)
			rec.Model = rec.Chat.Model
		} else {
			var e struct {
				Input any    `json:"input"`
				Model string `json:"model"`
			}
			decodeErr = json.Unmarshal(body, &e)
			rec.Model = e.Model
			switch in := e.Input.(type) {
			case string:
				rec.Inputs = []string{in}
			case []any:
				for _, x := range in {
					str, _ := x.(string)
					rec.Inputs = append(rec.Inputs, str)
				}
			}
		}

		s.mu.Lock()
		var f *Fault
		if len(s.faults) > 0 {
			f = &s.faults[0]
			s.faults = s.faults[1:]
			rec.Fault = f.name
		}
		key, reply := s.apiKey, s.reply
		s.requests = append(s.requests, rec)
		s.mu.Unlock()

		if f != nil {
			if done := s.fault(w, r, *f, rec.Chat.Stream); done {
				return
			}
		}
		if key != "" && r.Header.Get("Authorization") != "Bearer "+key && r.Header.Get("api-key") != key {
			writeError(w, http.StatusUnauthorized, "invalid_request_error", "invalid_api_key", "Incorrect API key provided.")
			return
		}
		if flavor == "azure" && rec.APIVersion == "" {
			writeError(w, http.StatusBadRequest, "invalid_request_error", "", "api-version query parameter is required")
			return
		}
		if decodeErr != nil {
			writeError(w, http.StatusBadRequest, "invalid_request_error", "", "the body is not valid JSON")
			return
		}
		if endpoint == "embeddings" {
			s.embeddings(w, rec, f != nil && f.noChoices)
			return
		}
		if reply == nil {
			reply = defaultReply
		}
		s.chat(w, rec.Chat, reply(rec.Chat), f != nil && f.noChoices)
	}
}

// fault performs f; it reports whether the request is answered (a delay is not).
func (s *Server) fault(w http.ResponseWriter, r *http.Request, f Fault, stream bool) bool {
	switch {
	case f.delay > 0:
		t := time.NewTimer(f.delay)
		defer t.Stop()
		select {
		case <-t.C:
			return false
		case <-r.Context().Done():
			return true
		}
	case f.drop:
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
		return true
	case f.malformed:
		if stream {
			w.Header().Set("Content-Type", "text/event-stream")
			io.WriteString(w, "data: {\"id\":\"chatcmpl-fake\",\"choices\":[{\"delta\":{\"content\":\n\n")
			return true
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"chatcmpl-fake","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"trunc`)
		return true
	case f.status != 0:
		if f.retryAfter != "" {
			w.Header().Set("Retry-After", f.retryAfter)
		}
		if f.body != "" {
			w.WriteHeader(f.status)
			io.WriteString(w, f.body)
			return true
		}
		typ := "server_error"
		if f.status == http.StatusTooManyRequests {
			typ = "rate_limit_exceeded"
		}
		writeError(w, f.status, typ, "", http.StatusText(f.status))
		return true
	}
	return false // noChoices is applied by chat
}

func defaultReply(req openaiapi.ChatCompletionRequest) string {
	if req.ResponseFormat != nil && req.ResponseFormat.Type == openaiapi.ChatCompletionResponseFormatTypeJSONObject {
		return "{}"
	}
	return "Hello from fakeopenai."
}

func (s *Server) chat(w http.ResponseWriter, req openaiapi.ChatCompletionRequest, text string, noChoices bool) {
	prompt := 0
	for _, m := range req.Messages {
		prompt += len(strings.Fields(m.Content))
	}
	finish := openaiapi.FinishReasonStop
	limit := req.MaxCompletionTokens
	if limit == 0 {
		limit = req.MaxTokens
	}
	parts := strings.SplitAfter(text, " ") // words with their trailing space, so joining restores text
	if limit > 0 && len(strings.Fields(text)) > limit {
		parts, finish = cutWords(parts, limit), openaiapi.FinishReasonLength
	}
	text = strings.Join(parts, "")
	usage := openaiapi.Usage{PromptTokens: prompt, CompletionTokens: len(strings.Fields(text))}
	usage.TotalTokens = usage.PromptTokens + usage.CompletionTokens
	const id = "chatcmpl-fake"
	created := time.Now().Unix()

	if !req.Stream {
		resp := openaiapi.ChatCompletionResponse{ID: id, Object: "chat.completion", Created: created, Model: req.Model, Usage: usage,
			Choices: []openaiapi.ChatCompletionChoice{{Message: openaiapi.ChatCompletionMessage{Role: "assistant", Content: text}, FinishReason: finish}}}
		if noChoices {
			resp.Choices = []openaiapi.ChatCompletionChoice{}
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(resp)
		return
	}

	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	flusher, _ := w.(http.Flusher)
	send := func(chunk openaiapi.ChatCompletionStreamResponse) {
		chunk.ID, chunk.Object, chunk.Created, chunk.Model = id, "chat.completion.chunk", created, req.Model
		if chunk.Choices == nil {
			chunk.Choices = []openaiapi.ChatCompletionStreamChoice{}
		}
		b, _ := json.Marshal(chunk)
		fmt.Fprintf(w, "data: %s\n\n", b)
		if flusher != nil {
			flusher.Flush()
		}
	}
	if !noChoices {
		send(openaiapi.ChatCompletionStreamResponse{Choices: []openaiapi.ChatCompletionStreamChoice{{Delta: openaiapi.ChatCompletionStreamChoiceDelta{Role: "assistant"}}}})
		for _, p := range parts {
			send(openaiapi.ChatCompletionStreamResponse{Choices: []openaiapi.ChatCompletionStreamChoice{{Delta: openaiapi.ChatCompletionStreamChoiceDelta{Content: p}}}})
		}
		send(openaiapi.ChatCompletionStreamResponse{Choices: []openaiapi.ChatCompletionStreamChoice{{FinishReason: finish}}})
	}
	if req.StreamOptions != nil && req.StreamOptions.IncludeUsage {
		send(openaiapi.ChatCompletionStreamResponse{Usage: &usage})
	}
	io.WriteString(w, "data: [DONE]\n\n")
}

// cutWords keeps the parts holding the first n words.
func cutWords(parts []string, n int) []string {
	count := 0
	for i, p := range parts {
		count += len(strings.Fields(p))
		if count >= n {
			parts = parts[:i+1]
			parts[i] = strings.TrimRight(parts[i], " ")
			return parts
		}
	}
	return parts
}

// embeddings answers with the vectors in reverse order, each with its index, so a client that ignores
// the index gets them wrong; none sends no vectors at all.
func (s *Server) embeddings(w http.ResponseWriter, rec Request, none bool) {
	resp := openaiapi.EmbeddingResponse{Object: "list", Model: openaiapi.EmbeddingModel(rec.Model), Data: []openaiapi.Embedding{}}
	for i := len(rec.Inputs) - 1; i >= 0 && !none; i-- {
		resp.Data = append(resp.Data, openaiapi.Embedding{Object: "embedding", Index: i, Embedding: Embed(rec.Inputs[i])})
		resp.Usage.PromptTokens += len(strings.Fields(rec.Inputs[i]))
	}
	resp.Usage.TotalTokens = resp.Usage.PromptTokens
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(resp)
}

func writeError(w http.ResponseWriter, status int, typ, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	e := map[string]any{"message": message, "type": typ, "param": nil, "code": nil}
	if code != "" {
		e["code"] = code
	}
	json.NewEncoder(w).Encode(map[string]any{"error": e})
}
