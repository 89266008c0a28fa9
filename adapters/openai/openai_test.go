package openai_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	openaiapi "github.com/sashabaranov/go-openai"

	"github.com/firstline-desk/firstline/adapters/openai"
	"github.com/firstline-desk/firstline/adapters/openai/fakeopenai"
	"github.com/firstline-desk/firstline/bot"
)

const testKey = "sk-test-7f3a9c1e-secret"

// clock is a fake clock for the limits' windows and the breaker's cooldown.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// logBuffer collects log output from concurrent calls.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// env is a client on a fake endpoint.
type env struct {
	fake   *fakeopenai.Server
	client *openai.Client
	clock  *clock
	logs   *logBuffer
}

// newEnv starts a fake and a client with short timeouts and backoff; change adjusts the config.
func newEnv(t *testing.T, change func(*openai.Config)) *env {
	t.Helper()
	e := &env{fake: fakeopenai.New(t), clock: newClock(), logs: &logBuffer{}}
	cfg := openai.Config{
		BaseURL:        e.fake.URL(),
		APIKey:         testKey,
		Model:          "gpt-4o-mini",
		EmbeddingModel: "text-embedding-3-small",
		Timeout:        5 * time.Second,
		RetryBackoff:   time.Millisecond,
		Now:            e.clock.Now,
	}
	if change != nil {
		change(&cfg)
	}
	logger := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := openai.New(cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	e.client = c
	return e
}

func ask(text string) bot.ModelRequest {
	return bot.ModelRequest{Purpose: bot.PurposeAnswer, System: "You answer from the articles.", Messages: []bot.ModelMessage{{Role: "user", Content: text}}}
}

func (e *env) complete(t *testing.T, req bot.ModelRequest) (bot.ModelReply, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return e.client.Complete(ctx, req)
}

func mustComplete(t *testing.T, e *env, req bot.ModelRequest) bot.ModelReply {
	t.Helper()
	r, err := e.complete(t, req)
	if err != nil {
		t.Fatalf("Complete: %v", err)
	}
	return r
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := bot.ErrorCode(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
}

func TestComplete(t *testing.T) {
	tests := []struct {
		name       string
		stream     bool
		req        bot.ModelRequest
		maxTokens  int // config
		reply      string
		wantText   string
		wantFinish string
		// check inspects the request body as sent.
		check func(t *testing.T, body map[string]any)
	}{
		{name: "plain", req: ask("How do I connect to the VPN?"), reply: "Open GlobalProtect and connect.",
			wantText: "Open GlobalProtect and connect.", wantFinish: "stop",
			check: func(t *testing.T, body map[string]any) {
				if body["stream"] != false {
					t.Errorf("stream = %v, want false", body["stream"])
				}
				if _, ok := body["response_format"]; ok {
					t.Errorf("response_format sent without JSON mode: %v", body["response_format"])
				}
				if _, ok := body["max_tokens"]; ok {
					t.Errorf("max_tokens sent though neither the request nor the config sets it")
				}
			}},
		{name: "streamed", stream: true, req: ask("How do I connect to the VPN?"), reply: "Open GlobalProtect and connect to vpn.example.com.",
			wantText: "Open GlobalProtect and connect to vpn.example.com.", wantFinish: "stop",
			check: func(t *testing.T, body map[string]any) {
				if body["stream"] != true {
					t.Errorf("stream = %v, want true", body["stream"])
				}
				if opts, _ := body["stream_options"].(map[string]any); opts["include_usage"] != true {
					t.Errorf("stream_options = %v, want include_usage", body["stream_options"])
				}
			}},
		{name: "JSON mode", req: bot.ModelRequest{Purpose: bot.PurposeTriage, System: "Triage.", JSON: true,
			Messages: []bot.ModelMessage{{Role: "user", Content: "printer on fire"}}},
			reply: `{"priority":"P1"}`, wantText: `{"priority":"P1"}`, wantFinish: "stop",
			check: func(t *testing.T, body map[string]any) {
				if rf, _ := body["response_format"].(map[string]any); rf["type"] != "json_object" {
					t.Errorf("response_format = %v, want json_object", body["response_format"])
				}
			}},
		{name: "JSON mode streamed", stream: true, req: bot.ModelRequest{Purpose: bot.PurposeTriage, System: "Triage.", JSON: true,
			Messages: []bot.ModelMessage{{Role: "user", Content: "printer on fire"}}},
			reply: `{"priority":"P1"}`, wantText: `{"priority":"P1"}`, wantFinish: "stop",
			check: func(t *testing.T, body map[string]any) {
				if rf, _ := body["response_format"].(map[string]any); rf["type"] != "json_object" {
					t.Errorf("response_format = %v, want json_object", body["response_format"])
				}
			}},
		{name: "configured max tokens cut the reply", maxTokens: 3, req: ask("Explain DNS."), reply: "one two three four five",
			wantText: "one two three", wantFinish: "length",
			check: func(t *testing.T, body map[string]any) {
				if body["max_tokens"] != 3.0 {
					t.Errorf("max_tokens = %v, want 3", body["max_tokens"])
				}
			}},
		{name: "the request's max tokens win, streamed", stream: true, maxTokens: 3,
			req:   bot.ModelRequest{Purpose: bot.PurposeSummary, System: "Summarize.", MaxTokens: 4, Messages: []bot.ModelMessage{{Role: "user", Content: "a long transcript"}}},
			reply: "one two three four five", wantText: "one two three four", wantFinish: "length",
			check: func(t *testing.T, body map[string]any) {
				if body["max_tokens"] != 4.0 {
					t.Errorf("max_tokens = %v, want 4", body["max_tokens"])
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(c *openai.Config) { c.Stream, c.MaxTokens = tt.stream, tt.maxTokens })
			e.fake.SetReply(func(openaiapi.ChatCompletionRequest) string { return tt.reply })
			reply := mustComplete(t, e, tt.req)
			if reply.Text != tt.wantText || reply.FinishReason != tt.wantFinish {
				t.Fatalf("reply %q (%s), want %q (%s)", reply.Text, reply.FinishReason, tt.wantText, tt.wantFinish)
			}
			reqs := e.fake.Requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.Path != "/v1/chat/completions" || r.Header.Get("Authorization") != "Bearer "+testKey || r.Model != "gpt-4o-mini" {
				t.Fatalf("request %s model %q auth %q", r.Path, r.Model, r.Header.Get("Authorization"))
			}
			msgs := r.Chat.Messages
			if len(msgs) != 1+len(tt.req.Messages) || msgs[0].Role != "system" || msgs[0].Content != tt.req.System ||
				msgs[1].Role != "user" || msgs[1].Content != tt.req.Messages[0].Content {
				t.Fatalf("messages sent: %+v", msgs)
			}
			// The fake counts words as tokens.
			wantPrompt := len(strings.Fields(tt.req.System)) + len(strings.Fields(tt.req.Messages[0].Content))
			if reply.PromptTokens != wantPrompt || reply.CompletionTokens != len(strings.Fields(tt.wantText)) {
				t.Fatalf("tokens %d+%d, want %d+%d", reply.PromptTokens, reply.CompletionTokens, wantPrompt, len(strings.Fields(tt.wantText)))
			}
			var body map[string]any
			if err := json.Unmarshal(r.Body, &body); err != nil {
				t.Fatal(err)
			}
			tt.check(t, body)
		})
	}
}

func TestCompleteRejectsBadRequests(t *testing.T) {
	e := newEnv(t, nil)
	for name, req := range map[string]bot.ModelRequest{
		"system role in messages": {Purpose: bot.PurposeAnswer, Messages: []bot.ModelMessage{{Role: "system", Content: "obey me"}}},
		"nothing to send":         {Purpose: bot.PurposeAnswer},
	} {
		_, err := e.complete(t, req)
		wantCode(t, err, bot.EINVALID)
		if n := len(e.fake.Requests()); n != 0 {
			t.Fatalf("%s: %d requests sent", name, n)
		}
	}
}

// A reasoning model rejects max_tokens and temperature; go-openai refuses to send them, so the client
// sends max_completion_tokens and the model's own temperature instead.
func TestReasoningModel(t *testing.T) {
	e := newEnv(t, func(c *openai.Config) { c.Model, c.MaxTokens, c.Temperature = "o3-mini", 100, 0.2 })
	mustComplete(t, e, ask("Why is the sky blue?"))
	var body map[string]any
	if err := json.Unmarshal(e.fake.Requests()[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	if body["max_completion_tokens"] != 100.0 || body["max_tokens"] != nil || body["temperature"] != nil {
		t.Fatalf("sent max_completion_tokens %v, max_tokens %v, temperature %v", body["max_completion_tokens"], body["max_tokens"], body["temperature"])
	}

	e = newEnv(t, func(c *openai.Config) { c.MaxTokens, c.Temperature = 100, 0.2 })
	mustComplete(t, e, ask("Why is the sky blue?"))
	if err := json.Unmarshal(e.fake.Requests()[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	if body["max_tokens"] != 100.0 || body["temperature"] == nil {
		t.Fatalf("gpt-4o-mini sent max_tokens %v, temperature %v", body["max_tokens"], body["temperature"])
	}
}

func TestEmbed(t *testing.T) {
	e := newEnv(t, func(c *openai.Config) { c.CallsPerHour = 1 }) // embeddings count against no limit
	texts := make([]string, 150)
	for i := range texts {
		texts[i] = fmt.Sprintf("article %d about printer %d and vpn", i, i*7)
	}
	vecs, err := e.client.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	if len(vecs) != len(texts) {
		t.Fatalf("%d vectors for %d texts", len(vecs), len(texts))
	}
	for i, v := range vecs {
		want := fakeopenai.Embed(texts[i])
		if len(v) != fakeopenai.Dims {
			t.Fatalf("vector %d has %d dims", i, len(v))
		}
		for j := range v {
			if v[j] != want[j] {
				t.Fatalf("vector %d is not the embedding of text %d (the fake answers in reverse order)", i, i)
			}
		}
	}
	reqs := e.fake.Requests()
	sizes := []int{}
	for _, r := range reqs {
		if r.Path != "/v1/embeddings" || r.Model != "text-embedding-3-small" {
			t.Fatalf("request %s model %q", r.Path, r.Model)
		}
		sizes = append(sizes, len(r.Inputs))
	}
	if fmt.Sprint(sizes) != "[64 64 22]" {
		t.Fatalf("batches %v, want [64 64 22]", sizes)
	}
	if e.client.Model() != "text-embedding-3-small" {
		t.Fatalf("Model() = %q", e.client.Model())
	}
	st := e.client.Stats()
	if st.ByPurpose[openai.PurposeEmbed].Calls != 3 || st.Limited != 0 || st.PromptTokens == 0 {
		t.Fatalf("stats %+v", st)
	}
	// The one chat call allowed this hour is still there.
	mustComplete(t, e, ask("hello"))

	if vecs, err := e.client.Embed(context.Background(), nil); err != nil || len(vecs) != 0 {
		t.Fatalf("Embed(nil) = %v, %v", vecs, err)
	}
}

func TestEmbedBadResponses(t *testing.T) {
	e := newEnv(t, func(c *openai.Config) { c.MaxRetries = -1 })
	e.fake.Fail(fakeopenai.NoChoices())
	_, err := e.client.Embed(context.Background(), []string{"a", "b"})
	wantCode(t, err, bot.EUNAVAILABLE)
	if !strings.Contains(err.Error(), "0 vectors for 2 texts") {
		t.Fatalf("error %v", err)
	}

	e = newEnv(t, func(c *openai.Config) { c.EmbeddingModel = "" })
	_, err = e.client.Embed(context.Background(), []string{"a"})
	wantCode(t, err, bot.EINVALID)
	if len(e.fake.Requests()) != 0 {
		t.Fatal("a request was sent without an embedding model")
	}
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name      string
		stream    bool
		faults    []fakeopenai.Fault
		wantCode  string // "" for success
		wantSent  int
		wantInErr string
	}{
		{name: "429 then success", faults: []fakeopenai.Fault{fakeopenai.RateLimited(0)}, wantSent: 2},
		{name: "500 then success", faults: []fakeopenai.Fault{fakeopenai.Status(500, "")}, wantSent: 2},
		{name: "502 with an HTML page then success", faults: []fakeopenai.Fault{fakeopenai.Status(502, "<html>Bad Gateway</html>")}, wantSent: 2},
		{name: "503 twice then success", faults: []fakeopenai.Fault{fakeopenai.Status(503, ""), fakeopenai.Status(503, "")}, wantSent: 3},
		{name: "dropped connection then success", faults: []fakeopenai.Fault{fakeopenai.Drop()}, wantSent: 2},
		{name: "dropped stream then success", stream: true, faults: []fakeopenai.Fault{fakeopenai.Drop()}, wantSent: 2},
		{name: "429 on a stream then success", stream: true, faults: []fakeopenai.Fault{fakeopenai.RateLimited(0)}, wantSent: 2},
		{name: "malformed JSON then success", faults: []fakeopenai.Fault{fakeopenai.Malformed()}, wantSent: 2},
		{name: "500 three times gives up", faults: []fakeopenai.Fault{fakeopenai.Status(500, ""), fakeopenai.Status(500, ""), fakeopenai.Status(500, "")},
			wantCode: bot.EUNAVAILABLE, wantSent: 3, wantInErr: "500 Internal Server Error"},
		{name: "malformed JSON every time", faults: []fakeopenai.Fault{fakeopenai.Malformed(), fakeopenai.Malformed(), fakeopenai.Malformed()},
			wantCode: bot.EUNAVAILABLE, wantSent: 3, wantInErr: "malformed"},
		{name: "malformed stream every time", stream: true, faults: []fakeopenai.Fault{fakeopenai.Malformed(), fakeopenai.Malformed(), fakeopenai.Malformed()},
			wantCode: bot.EUNAVAILABLE, wantSent: 3, wantInErr: "malformed"},
		{name: "400 is not retried", faults: []fakeopenai.Fault{fakeopenai.Status(400, "")}, wantCode: bot.EINVALID, wantSent: 1, wantInErr: "400"},
		{name: "401 is not retried", faults: []fakeopenai.Fault{fakeopenai.Status(401, "")}, wantCode: bot.EUNAVAILABLE, wantSent: 1, wantInErr: "API key"},
		{name: "404 is not retried", faults: []fakeopenai.Fault{fakeopenai.Status(404, "")}, wantCode: bot.EUNAVAILABLE, wantSent: 1, wantInErr: "base_url"},
		{name: "out of quota is not retried", faults: []fakeopenai.Fault{fakeopenai.Status(429, `{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}}`)},
			wantCode: bot.EUNAVAILABLE, wantSent: 1, wantInErr: "quota"},
		{name: "no choices", faults: []fakeopenai.Fault{fakeopenai.NoChoices()}, wantCode: bot.EUNAVAILABLE, wantSent: 1, wantInErr: "no choices"},
		{name: "no choices in a stream", stream: true, faults: []fakeopenai.Fault{fakeopenai.NoChoices()}, wantCode: bot.EUNAVAILABLE, wantSent: 1, wantInErr: "no choices"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(c *openai.Config) { c.Stream = tt.stream })
			e.fake.Fail(tt.faults...)
			reply, err := e.complete(t, ask("hello"))
			if sent := len(e.fake.Requests()); sent != tt.wantSent {
				t.Errorf("%d requests sent, want %d", sent, tt.wantSent)
			}
			st := e.client.Stats()
			if st.Calls != 1 || st.Retries != int64(tt.wantSent-1) {
				t.Errorf("stats: %d calls, %d retries", st.Calls, st.Retries)
			}
			if tt.wantCode == "" {
				if err != nil || reply.Text != "Hello from fakeopenai." {
					t.Fatalf("reply %q, err %v", reply.Text, err)
				}
				return
			}
			wantCode(t, err, tt.wantCode)
			if !strings.Contains(err.Error(), tt.wantInErr) {
				t.Fatalf("error %q does not say %q", err, tt.wantInErr)
			}
			if st.Failures != 1 {
				t.Errorf("%d failures counted", st.Failures)
			}
		})
	}
}

func TestEmptyReplyIsAnError(t *testing.T) {
	for _, stream := range []bool{false, true} {
		e := newEnv(t, func(c *openai.Config) { c.Stream = stream })
		e.fake.SetReply(func(openaiapi.ChatCompletionRequest) string { return "" })
		_, err := e.complete(t, ask("hello"))
		wantCode(t, err, bot.EUNAVAILABLE)
		if !strings.Contains(err.Error(), "no content") {
			t.Fatalf("stream %v: error %v", stream, err)
		}
	}
}

// A Retry-After longer than what is left of the caller's deadline ends the retries at once, instead of
// a short backoff and a second request the endpoint asked not to get.
func TestRetryAfterPastTheDeadline(t *testing.T) {
	e := newEnv(t, nil)
	e.fake.Fail(fakeopenai.RateLimited(10 * time.Minute))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := e.client.Complete(ctx, ask("hello"))
	wantCode(t, err, bot.EUNAVAILABLE)
	if n := len(e.fake.Requests()); n != 1 {
		t.Fatalf("%d requests sent, want 1", n)
	}
	// Whether it waited is told by the deadline itself, not by a time the machine may not keep.
	if ctx.Err() != nil {
		t.Fatalf("the call ended with the caller's deadline: it waited for it (%v)", err)
	}
}

func TestAttemptTimeout(t *testing.T) {
	for _, stream := range []bool{false, true} {
		t.Run(fmt.Sprintf("stream=%v", stream), func(t *testing.T) {
			// Attempts are counted as the client makes them: under load an attempt of 30ms can end
			// before its request reaches the fake, which then counts fewer.
			var sent atomic.Int32
			e := newEnv(t, func(c *openai.Config) {
				c.Timeout, c.Stream = 30*time.Millisecond, stream
				c.HTTPClient = &http.Client{Transport: countRequests{n: &sent, next: http.DefaultTransport}}
			})
			e.fake.Fail(fakeopenai.Delay(time.Minute), fakeopenai.Delay(time.Minute), fakeopenai.Delay(time.Minute))
			// Each attempt ends by its own timeout: the call's deadline (30s) is not what stops it.
			_, err := e.complete(t, ask("hello"))
			wantCode(t, err, bot.EUNAVAILABLE)
			if !strings.Contains(err.Error(), "did not answer within 30ms") {
				t.Fatalf("error %v", err)
			}
			if n := sent.Load(); n != 3 {
				t.Fatalf("%d attempts, want 3 (1 + MaxRetries)", n)
			}
			if n := len(e.fake.Requests()); n > 3 {
				t.Fatalf("the endpoint had %d requests, want at most 3", n)
			}
		})
	}
}

// countRequests counts the requests a client makes.
type countRequests struct {
	n    *atomic.Int32
	next http.RoundTripper
}

func (c countRequests) RoundTrip(req *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(req)
}

func TestCallerDeadlineStopsRetries(t *testing.T) {
	var sent atomic.Int32
	e := newEnv(t, func(c *openai.Config) {
		c.MaxRetries, c.RetryBackoff = 10, 50*time.Millisecond
		c.HTTPClient = &http.Client{Transport: countRequests{n: &sent, next: http.DefaultTransport}}
	})
	for range 20 {
		e.fake.Fail(fakeopenai.Status(503, ""))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	_, err := e.client.Complete(ctx, ask("hello"))
	wantCode(t, err, bot.EUNAVAILABLE)
	// Backoffs of 25-50, 50-100, 100-200ms...: at most 3 attempts fit in 150ms, and a slow machine
	// makes fewer. Counted as the client makes them: the first may not reach the fake in 150ms.
	if n := sent.Load(); n > 3 || n < 1 {
		t.Fatalf("%d attempts within a 150ms deadline", n)
	}
}

func TestBreaker(t *testing.T) {
	e := newEnv(t, func(c *openai.Config) {
		c.MaxRetries, c.BreakerFailures, c.BreakerCooldown = -1, 3, 30*time.Second
	})
	e.fake.Fail(fakeopenai.Status(500, ""), fakeopenai.Status(500, ""), fakeopenai.Status(500, ""))
	for i := range 3 {
		_, err := e.complete(t, ask("hello"))
		wantCode(t, err, bot.EUNAVAILABLE)
		if want := openai.BreakerClosed; i < 2 && e.client.Stats().Breaker != want {
			t.Fatalf("after %d failures the breaker is %s", i+1, e.client.Stats().Breaker)
		}
	}
	st := e.client.Stats()
	if st.Breaker != openai.BreakerOpen || st.BreakerOpens != 1 || !st.OpenUntil.Equal(e.clock.Now().Add(30*time.Second)) {
		t.Fatalf("after 3 failures: %+v", st)
	}

	// Open: chat and embeddings fail fast, nothing reaches the endpoint.
	_, err := e.complete(t, ask("hello"))
	wantCode(t, err, bot.EUNAVAILABLE)
	if !strings.Contains(err.Error(), "model endpoint failing; circuit open until 09:00:30") {
		t.Fatalf("error %v", err)
	}
	_, err = e.client.Embed(context.Background(), []string{"vpn"})
	wantCode(t, err, bot.EUNAVAILABLE)
	e.clock.Advance(29 * time.Second)
	_, err = e.complete(t, ask("hello"))
	wantCode(t, err, bot.EUNAVAILABLE)
	if n := len(e.fake.Requests()); n != 3 {
		t.Fatalf("%d requests reached the endpoint while the circuit was open", n)
	}
	if st := e.client.Stats(); st.CircuitOpen != 3 || st.Calls != 3 || st.Failures != 3 {
		t.Fatalf("stats: %+v", st)
	}

	// The cooldown ends: one trial call; it fails and the circuit opens again.
	e.clock.Advance(2 * time.Second)
	e.fake.Fail(fakeopenai.Status(503, ""))
	_, err = e.complete(t, ask("hello"))
	wantCode(t, err, bot.EUNAVAILABLE)
	if st := e.client.Stats(); st.Breaker != openai.BreakerOpen || st.BreakerOpens != 2 {
		t.Fatalf("after a failed trial: %s, %d opens", st.Breaker, st.BreakerOpens)
	}
	if n := len(e.fake.Requests()); n != 4 {
		t.Fatalf("%d requests, want 4", n)
	}

	// Next cooldown: the trial succeeds and closes the circuit.
	e.clock.Advance(31 * time.Second)
	if r := mustComplete(t, e, ask("hello")); r.Text == "" {
		t.Fatal("empty reply")
	}
	if st := e.client.Stats(); st.Breaker != openai.BreakerClosed || !st.OpenUntil.IsZero() {
		t.Fatalf("after a good trial: %+v", st)
	}
	mustComplete(t, e, ask("hello again"))
	if _, err := e.client.Embed(context.Background(), []string{"vpn"}); err != nil {
		t.Fatal(err)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "circuit open") || !strings.Contains(logs, "circuit closed") {
		t.Fatalf("breaker transitions not logged:\n%s", logs)
	}
}

// While the half-open circuit's trial call is under way, other calls still fail fast.
func TestBreakerOneTrialAtATime(t *testing.T) {
	e := newEnv(t, func(c *openai.Config) { c.MaxRetries, c.BreakerFailures = -1, 1 })
	e.fake.Fail(fakeopenai.Status(500, ""))
	_, err := e.complete(t, ask("hello"))
	wantCode(t, err, bot.EUNAVAILABLE)
	e.clock.Advance(time.Minute)

	// The first request waits in the fake until released; release happens on every exit, so a failing
	// test cannot leave the fake's Close waiting for the handler.
	arrived, release := make(chan struct{}), make(chan struct{})
	var first sync.Once
	var releaseOnce sync.Once
	releaseAll := func() { releaseOnce.Do(func() { close(release) }) }
	defer releaseAll()
	e.fake.SetReply(func(openaiapi.ChatCompletionRequest) string {
		first.Do(func() {
			close(arrived)
			<-release
		})
		return "ok"
	})
	done := make(chan error, 1)
	go func() {
		_, err := e.complete(t, ask("trial"))
		done <- err
	}()
	<-arrived
	if st := e.client.Stats(); st.Breaker != openai.BreakerHalfOpen {
		t.Fatalf("breaker %s during the trial", st.Breaker)
	}
	_, err = e.complete(t, ask("not the trial"))
	wantCode(t, err, bot.EUNAVAILABLE)
	if !strings.Contains(err.Error(), "trial call") {
		t.Fatalf("error %v", err)
	}
	releaseAll()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if st := e.client.Stats(); st.Breaker != openai.BreakerClosed || len(e.fake.Requests()) != 2 {
		t.Fatalf("breaker %s, %d requests", st.Breaker, len(e.fake.Requests()))
	}
}

// A bad request is the caller's problem, not the endpoint's: it does not open the circuit.
func TestBadRequestsDoNotOpenTheBreaker(t *testing.T) {
	e := newEnv(t, func(c *openai.Config) { c.BreakerFailures = 2 })
	e.fake.Fail(fakeopenai.Status(400, ""), fakeopenai.Status(400, ""), fakeopenai.Status(400, ""))
	for range 3 {
		_, err := e.complete(t, ask("hello"))
		wantCode(t, err, bot.EINVALID)
	}
	if st := e.client.Stats(); st.Breaker != openai.BreakerClosed {
		t.Fatalf("breaker %s after bad requests", st.Breaker)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := e.client.Complete(ctx, ask("hello"))
	wantCode(t, err, bot.EUNAVAILABLE)
	_, err = e.client.Complete(ctx, ask("hello"))
	wantCode(t, err, bot.EUNAVAILABLE)
	if st := e.client.Stats(); st.Breaker != openai.BreakerClosed {
		t.Fatalf("breaker %s after cancelled calls", st.Breaker)
	}
}

func TestLimits(t *testing.T) {
	e := newEnv(t, func(c *openai.Config) { c.CallsPerHour, c.UserCallsPerHour = 4, 2 })
	user := func(id string) bot.ModelRequest { r := ask("hello"); r.User = id; return r }
	desk := bot.ModelRequest{Purpose: bot.PurposeSummary, System: "Summarize.", Messages: []bot.ModelMessage{{Role: "user", Content: "transcript"}}}

	steps := []struct {
		name    string
		advance time.Duration
		req     bot.ModelRequest
		want    string // "" or an error code
	}{
		{"alice 1", 0, user("slack:UALICE"), ""},
		{"alice 2", 10 * time.Minute, user("slack:UALICE"), ""},
		{"alice 3 is over her limit", 0, user("slack:UALICE"), bot.ELIMITED},
		{"bob 1", 0, user("discord:81234"), ""},
		{"desk call counts only globally", 0, desk, ""},
		{"bob 2 is over the global limit", 0, user("discord:81234"), bot.ELIMITED},
		{"desk call over the global limit", 0, desk, bot.ELIMITED},
		// 50 minutes later alice's first call (at 0) has left the window: one global slot and one of hers.
		{"alice after her first call left the window", 50*time.Minute + time.Second, user("slack:UALICE"), ""},
		{"alice again: her second is still in the window", 0, user("slack:UALICE"), bot.ELIMITED},
		{"a desk call: the global window is full again", 0, desk, bot.ELIMITED},
		{"an hour after everything", time.Hour, user("slack:UALICE"), ""},
		{"and bob", 0, user("discord:81234"), ""},
	}
	sent := 0
	for _, s := range steps {
		e.clock.Advance(s.advance)
		_, err := e.complete(t, s.req)
		if s.want == "" {
			if err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
			sent++
		} else {
			wantCode(t, err, s.want)
		}
		if n := len(e.fake.Requests()); n != sent {
			t.Fatalf("%s: %d requests reached the endpoint, want %d", s.name, n, sent)
		}
	}
	st := e.client.Stats()
	if st.Limited != 5 || st.Calls != int64(sent) || st.ByPurpose[bot.PurposeSummary].Limited != 2 {
		t.Fatalf("stats %+v", st)
	}
	mustComplete(t, e, user("slack:UALICE"))
	_, err := e.complete(t, user("slack:UALICE"))
	if err == nil || !strings.Contains(err.Error(), "user_calls_per_hour") {
		t.Fatalf("error %v does not name the limit", err)
	}
}

func TestAzure(t *testing.T) {
	for _, stream := range []bool{false, true} {
		t.Run(fmt.Sprintf("stream=%v", stream), func(t *testing.T) {
			e := newEnvAzure(t, stream)
			mustComplete(t, e, ask("hello"))
			if _, err := e.client.Embed(context.Background(), []string{"vpn", "printer"}); err != nil {
				t.Fatal(err)
			}
			reqs := e.fake.Requests()
			if len(reqs) != 2 {
				t.Fatalf("%d requests", len(reqs))
			}
			for i, want := range []string{"/openai/deployments/gpt-4o-mini-prod/chat/completions", "/openai/deployments/embed-3.5-prod/embeddings"} {
				r := reqs[i]
				if r.Path != want || r.APIVersion != "2024-10-21" {
					t.Fatalf("request %s?api-version=%s, want %s?api-version=2024-10-21", r.Path, r.APIVersion, want)
				}
				if r.Header.Get("api-key") != testKey || r.Header.Get("Authorization") != "" {
					t.Fatalf("headers api-key %q, Authorization %q", r.Header.Get("api-key"), r.Header.Get("Authorization"))
				}
			}
		})
	}
}

func newEnvAzure(t *testing.T, stream bool) *env {
	t.Helper()
	e := &env{fake: fakeopenai.New(t), clock: newClock(), logs: &logBuffer{}}
	c, err := openai.New(openai.Config{
		APIType: openai.APITypeAzure, BaseURL: e.fake.AzureURL(), APIVersion: "2024-10-21", APIKey: testKey,
		Model: "gpt-4o-mini-prod", EmbeddingModel: "embed-3.5-prod", Stream: stream, Now: e.clock.Now,
	}, slog.New(slog.NewTextHandler(e.logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	e.client = c
	return e
}

// The API key and the text of prompts and replies never reach the log, whatever happens, even when the
// endpoint's error messages quote the request.
func TestLogsHoldNoSecretsOrText(t *testing.T) {
	const prompt = "my password is Hunter2-zebra-quartz"
	const replyText = "Your reply: Walrus-umbrella-41"
	echo := `{"error":{"message":"invalid input: ` + prompt + `","type":"invalid_request_error","code":null}}`
	var calls []openai.CallInfo
	var mu sync.Mutex
	e := newEnv(t, func(c *openai.Config) {
		c.UserCallsPerHour, c.CallsPerHour = 6, 10
		c.OnCall = func(ci openai.CallInfo) { mu.Lock(); calls = append(calls, ci); mu.Unlock() }
	})
	e.fake.SetReply(func(openaiapi.ChatCompletionRequest) string { return replyText })
	req := ask(prompt)
	req.User = "slack:UALICE"

	if r := mustComplete(t, e, req); r.Text != replyText {
		t.Fatalf("reply %q", r.Text)
	}
	var errs []error
	for _, faults := range [][]fakeopenai.Fault{
		{fakeopenai.Status(400, echo)},
		{fakeopenai.Status(500, echo), fakeopenai.Status(500, echo), fakeopenai.Status(500, echo)},
		{fakeopenai.Status(502, "<html>"+prompt+"</html>"), fakeopenai.Status(502, "<html>"+prompt+"</html>"), fakeopenai.Status(502, "<html>"+prompt+"</html>")},
		{fakeopenai.Malformed(), fakeopenai.Malformed(), fakeopenai.Malformed()},
		{fakeopenai.Status(401, echo)},
	} {
		e.fake.Fail(faults...)
		_, err := e.complete(t, req)
		if err == nil {
			t.Fatalf("faults %v: no error", faults)
		}
		errs = append(errs, err)
	}
	_, err := e.complete(t, req) // over alice's limit
	wantCode(t, err, bot.ELIMITED)
	errs = append(errs, err)
	if _, err := e.client.Embed(context.Background(), []string{prompt}); err != nil {
		t.Fatal(err)
	}

	logs := e.logs.String()
	for _, secret := range []string{testKey, "Hunter2", "zebra", "Walrus", "umbrella", "articles"} {
		if strings.Contains(logs, secret) {
			t.Fatalf("the log holds %q:\n%s", secret, logs)
		}
		for _, err := range errs {
			if strings.Contains(err.Error(), secret) {
				t.Fatalf("error %q holds %q", err, secret)
			}
		}
	}
	if n := strings.Count(logs, `msg="model call"`); n != 8 {
		t.Fatalf("%d call lines for 8 calls:\n%s", n, logs)
	}
	for _, want := range []string{"purpose=answer", "model=gpt-4o-mini", "attempts=3", "prompt_tokens=", "completion_tokens=3", "outcome=ok",
		"outcome=failed", "outcome=limited", "latency=", "user=slack:UALICE", "purpose=embed", "texts=1"} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log lacks %q:\n%s", want, logs)
		}
	}
	cfg := openai.Config{APIKey: testKey, Model: "m"}
	if s := fmt.Sprint(cfg) + fmt.Sprintf("%+v %v", cfg, &cfg); strings.Contains(s, testKey) {
		t.Fatalf("a printed Config shows the key: %s", s)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(calls) != 8 || calls[0].Outcome != openai.OutcomeOK || calls[0].User != "slack:UALICE" || calls[0].CompletionTokens != 3 ||
		calls[2].Attempts != 3 || calls[6].Outcome != openai.OutcomeLimited || calls[6].Attempts != 0 || calls[7].Purpose != openai.PurposeEmbed {
		t.Fatalf("OnCall saw %+v", calls)
	}
}

func TestStatsCountTokens(t *testing.T) {
	e := newEnv(t, nil)
	e.fake.SetReply(func(openaiapi.ChatCompletionRequest) string { return "three word reply" })
	a := mustComplete(t, e, ask("one two"))                                                                                                            // 5 + 2 prompt words
	s := mustComplete(t, e, bot.ModelRequest{Purpose: bot.PurposeSummary, System: "Sum.", Messages: []bot.ModelMessage{{Role: "user", Content: "x"}}}) // 1 + 1
	if a.PromptTokens != 7 || s.PromptTokens != 2 {
		t.Fatalf("prompt tokens %d, %d", a.PromptTokens, s.PromptTokens)
	}
	e.fake.Fail(fakeopenai.Status(400, ""))
	e.complete(t, ask("bad"))
	st := e.client.Stats()
	if st.Calls != 3 || st.Failures != 1 || st.PromptTokens != 9 || st.CompletionTokens != 6 || st.Latency <= 0 {
		t.Fatalf("totals %+v", st.Counts)
	}
	if p := st.ByPurpose[bot.PurposeAnswer]; p.Calls != 2 || p.Failures != 1 || p.PromptTokens != 7 || p.CompletionTokens != 3 {
		t.Fatalf("answer %+v", p)
	}
	if p := st.ByPurpose[bot.PurposeSummary]; p.Calls != 1 || p.PromptTokens != 2 || p.CompletionTokens != 3 {
		t.Fatalf("summary %+v", p)
	}
	st.ByPurpose[bot.PurposeAnswer] = openai.Counts{}
	if e.client.Stats().ByPurpose[bot.PurposeAnswer].Calls != 2 {
		t.Fatal("Stats shares its map with the client")
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  openai.Config
		want []string // one substring per expected problem; none for a valid config
	}{
		{name: "OpenAI", cfg: openai.Config{APIKey: "sk-x", Model: "gpt-4o-mini"}},
		{name: "local server without a key", cfg: openai.Config{BaseURL: "http://localhost:8080/v1", Model: "qwen2.5"}},
		{name: "Azure", cfg: openai.Config{APIType: "azure", BaseURL: "https://acme.openai.azure.com", APIKey: "k", APIVersion: "2024-10-21", Model: "gpt4o"}},
		{name: "OpenAI without a key or model", cfg: openai.Config{}, want: []string{"api_key:", "model:"}},
		{name: "unknown api type", cfg: openai.Config{APIType: "anthropic", APIKey: "k", Model: "m"}, want: []string{"api_type:"}},
		{name: "bad URL", cfg: openai.Config{BaseURL: "localhost:8080/v1", Model: "m"}, want: []string{"base_url:"}},
		{name: "URL with a query", cfg: openai.Config{BaseURL: "http://h/v1?x=1", Model: "m"}, want: []string{"base_url:"}},
		{name: "Azure with nothing", cfg: openai.Config{APIType: "azure"}, want: []string{"base_url:", "api_key:", "api_version:", "model:"}},
		{name: "Azure URL with the deployment path", cfg: openai.Config{APIType: "azure", BaseURL: "https://acme.openai.azure.com/openai/deployments/gpt4o", APIKey: "k", APIVersion: "v", Model: "gpt4o"},
			want: []string{"without /openai"}},
		{name: "api_version without Azure", cfg: openai.Config{APIKey: "k", Model: "m", APIVersion: "2024-10-21"}, want: []string{"api_version:"}},
		{name: "negative numbers", cfg: openai.Config{APIKey: "k", Model: "m", Timeout: -1, MaxTokens: -1, CallsPerHour: -1, UserCallsPerHour: -1, RetryBackoff: -1, BreakerCooldown: -1},
			want: []string{"timeout:", "max_tokens:", "calls_per_hour:", "user_calls_per_hour:", "retry_backoff:", "breaker_cooldown:"}},
		{name: "temperature", cfg: openai.Config{APIKey: "k", Model: "m", Temperature: 2.5}, want: []string{"temperature:"}},
		{name: "user limit above the global one", cfg: openai.Config{APIKey: "k", Model: "m", CallsPerHour: 10, UserCallsPerHour: 20}, want: []string{"would never apply"}},
		{name: "too many retries", cfg: openai.Config{APIKey: "k", Model: "m", MaxRetries: 50}, want: []string{"retries:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if _, err := openai.New(tt.cfg, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
					t.Fatal(err)
				}
				return
			}
			wantCode(t, err, bot.EINVALID)
			var joined interface{ Unwrap() []error }
			if !errors.As(err, &joined) || len(joined.Unwrap()) != len(tt.want) {
				t.Fatalf("want %d problems, got:\n%v", len(tt.want), err)
			}
			for i, w := range tt.want {
				if p := joined.Unwrap()[i]; !strings.Contains(p.Error(), w) || bot.ErrorCode(p) != bot.EINVALID {
					t.Errorf("problem %d %q does not say %q", i, p, w)
				}
			}
			if _, err := openai.New(tt.cfg, slog.New(slog.NewTextHandler(io.Discard, nil))); err == nil {
				t.Fatal("New accepted an invalid config")
			}
		})
	}
}
