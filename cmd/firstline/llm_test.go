package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	openaiapi "github.com/sashabaranov/go-openai"

	"github.com/firstline-desk/firstline/adapters/openai/fakeopenai"
	"github.com/firstline-desk/firstline/adapters/slack/fakeslack"
)

// modelReply plays a well-behaved model: a cited answer, a triage object, a summary.
func modelReply(req openaiapi.ChatCompletionRequest) string {
	system := req.Messages[0].Content
	switch {
	case req.ResponseFormat != nil:
		return `{"priority": "P2", "category": "network"}`
	case strings.Contains(system, "You summarize"):
		return "Problem: VPN does not connect\nTried: the VPN article\nUser said: at home\nEnvironment: not given"
	case strings.Contains(system, `title="Connect to Example VPN`):
		return "Open the company VPN app and sign in with your usual account [1]."
	}
	return "NO_ANSWER"
}

func llmSlackConfig(t *testing.T, fake *fakeslack.Server, model *fakeopenai.Server, extra string) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "firstline.toml")
	cfg := `
[slack]
enabled = true
bot_token = "${SLACK_BOT_TOKEN}"
app_token = "${SLACK_APP_TOKEN}"
api_url = "` + fake.APIURL() + `"
help_channels = ["CHELP"]

[[tiers]]
id = "tier2"
name = "Tier 2"
channel = "slack:CTIER2"
members = ["slack:UTOM"]

[kb]
dir = ` + demoKBDir(t) + `

[llm]
enabled = true
base_url = "` + model.URL() + `"
api_key = "${OPENAI_API_KEY}"
model = "gpt-test"
embedding_model = "embed-test"
timeout = "2s"
retries = 1
breaker_failures = 2
` + extra
	if err := os.WriteFile(name, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}

func llmEnv(k string) (string, bool) {
	v, ok := map[string]string{"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_APP_TOKEN": "xapp-test", "OPENAI_API_KEY": "sk-test-key-0000000000000000"}[k]
	return v, ok
}

// runSlackDesk runs the desk against the fakes until the test ends, and returns its stderr.
func runSlackDesk(t *testing.T, fake *fakeslack.Server, config string) *syncBuffer {
	t.Helper()
	var out, errOut syncBuffer
	m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Getenv: llmEnv}
	ctx, cancel := context.WithCancel(context.Background())
	code := make(chan int, 1)
	go func() { code <- m.Run(ctx, []string{"-data", t.TempDir(), "-config", config}) }()
	t.Cleanup(func() {
		cancel()
		select {
		case c := <-code:
			if c != 0 {
				t.Errorf("exit %d\n%s", c, errOut.String())
			}
		case <-time.After(10 * time.Second):
			t.Error("the desk did not stop")
		}
	})
	fake.WaitConnections(t, 1)
	return &errOut
}

// waitPost waits for a post in channel whose blocks contain want, and returns its blocks.
func waitPost(t *testing.T, fake *fakeslack.Server, channel, want string, stderr *syncBuffer) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		for _, p := range fake.Posted() {
			if p.Channel == channel && strings.Contains(string(p.Blocks)+p.Text, want) {
				return string(p.Blocks) + p.Text
			}
		}
		if time.Now().After(deadline) {
			var got []string
			for _, p := range fake.Posted() {
				got = append(got, p.Channel+": "+p.Text)
			}
			t.Fatalf("no post in %s containing %q; posted:\n%s\nstderr:\n%s", channel, want, strings.Join(got, "\n"), stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestServeWithModel runs the desk with [llm] against a fake OpenAI server: the articles are embedded,
// the answer is the model's with its source listed, secrets never reach the endpoint, and the logs hold
// neither the key nor the question.
func TestServeWithModel(t *testing.T) {
	fake := fakeslack.New(t)
	fake.AddUser("UALICE", "Alice Smith", "alice")
	model := fakeopenai.New(t)
	model.SetReply(modelReply)
	stderr := runSlackDesk(t, fake, llmSlackConfig(t, fake, model, ""))

	q := "My VPN will not connect, my password is Tr0ub4dor&3 if you need it"
	fake.WaitAck(t, fake.SendEnvelope(t, fakeslack.EventsAPI("Ev1", map[string]any{"type": "message", "channel": "CHELP", "channel_type": "channel",
		"user": "UALICE", "text": q, "ts": "1700000001.000100"}, 0)))
	got := waitPost(t, fake, "CHELP", "Open the company VPN app", stderr)
	for _, want := range []string{"Sources:", "vpn-connect", "AI assistant"} {
		if !strings.Contains(got, want) {
			t.Errorf("answer lacks %q:\n%s", want, got)
		}
	}
	embedded, chats := 0, 0
	for _, r := range model.Requests() {
		if strings.Contains(string(r.Body), "Tr0ub4dor") {
			t.Errorf("the password reached the model endpoint: %s", r.Body)
		}
		switch r.Endpoint {
		case "embeddings":
			embedded += len(r.Inputs)
		case "chat":
			chats++
		}
	}
	if embedded == 0 || chats < 2 {
		t.Errorf("%d texts embedded, %d chat calls: want the KB embedded and an answer and a triage call", embedded, chats)
	}
	for _, leak := range []string{"sk-test-key", "Tr0ub4dor", "will not connect"} {
		if strings.Contains(stderr.String(), leak) {
			t.Errorf("the log contains %q", leak)
		}
	}
}

// TestServeModelDown: with the endpoint failing, the desk answers with the article itself, and once the
// breaker opens it stops calling the endpoint for a while.
func TestServeModelDown(t *testing.T) {
	fake := fakeslack.New(t)
	fake.AddUser("UALICE", "Alice Smith", "alice")
	model := fakeopenai.New(t)
	model.SetReply(modelReply)
	var faults []fakeopenai.Fault
	for range 50 {
		faults = append(faults, fakeopenai.Status(500, "down"))
	}
	model.Fail(faults...)
	stderr := runSlackDesk(t, fake, llmSlackConfig(t, fake, model, ""))
	for i, ts := range []string{"1700000001.000100", "1700000002.000100", "1700000003.000100"} {
		fake.WaitAck(t, fake.SendEnvelope(t, fakeslack.EventsAPI("Ev"+ts, map[string]any{"type": "message", "channel": "CHELP", "channel_type": "channel",
			"user": "UALICE", "text": "My VPN will not connect " + strings.Repeat("!", i), "ts": ts}, 0)))
	}
	got := waitPost(t, fake, "CHELP", "vpn-connect", stderr)
	if strings.Contains(got, "AI assistant") {
		t.Fatalf("a model answer while the endpoint is down:\n%s", got)
	}
	deadline := time.Now().Add(10 * time.Second)
	for n := 0; n < 3 && time.Now().Before(deadline); {
		n = 0
		for _, p := range fake.Posted() {
			if p.Channel == "CHELP" && strings.Contains(string(p.Blocks), "vpn-connect") {
				n++
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	// 3 answers, each wanting an answer and a triage call with one retry: 12 calls without a breaker.
	chats := 0
	for _, r := range model.Requests() {
		if r.Endpoint == "chat" {
			chats++
		}
	}
	if chats >= 12 {
		t.Errorf("%d chat requests reached a failing endpoint; the breaker should have stopped them", chats)
	}
}

// TestKBEvalHybrid measures the hybrid search through `kb eval -hybrid` against a fake embeddings
// endpoint, and refuses -hybrid without an embedding model.
func TestKBEvalHybrid(t *testing.T) {
	model := fakeopenai.New(t)
	name := filepath.Join(t.TempDir(), "firstline.toml")
	cfg := `
[[tiers]]
id = "tier2"
name = "Tier 2"
channel = "console:tier2"
members = ["console:tom"]

[llm]
enabled = true
base_url = "` + model.URL() + `"
model = "gpt-test"
embedding_model = "embed-test"
`
	if err := os.WriteFile(name, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runMain(t, "-config", name, "kb", "eval", "-hybrid", "-corpus", evalCorpus, "-queries", evalQueries)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"Hybrid search with embed-test", "searches fell back to lexical", "MAP", "cosine"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	embedded := 0
	for _, r := range model.Requests() {
		embedded += len(r.Inputs)
	}
	if embedded == 0 {
		t.Errorf("nothing was embedded")
	}
	_, errOut, code = runMain(t, "kb", "eval", "-hybrid", "-corpus", evalCorpus, "-queries", evalQueries)
	if code == 0 || !strings.Contains(errOut, "embedding_model") {
		t.Errorf("-hybrid without [llm]: exit %d, %s", code, errOut)
	}
}
