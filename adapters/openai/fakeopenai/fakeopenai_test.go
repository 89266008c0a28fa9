package fakeopenai_test

import (
	"bufio"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/firstline-desk/firstline/adapters/openai/fakeopenai"
)

func cosine(a, b []float32) float64 {
	var dot float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
	}
	return dot
}

func TestEmbed(t *testing.T) {
	vpn := fakeopenai.Embed("How do I connect to the VPN?")
	var norm float64
	for _, x := range vpn {
		norm += float64(x) * float64(x)
	}
	if len(vpn) != fakeopenai.Dims || math.Abs(norm-1) > 1e-5 {
		t.Fatalf("%d dims, norm² %v", len(vpn), norm)
	}
	same := fakeopenai.Embed("how do i CONNECT to the vpn")
	if c := cosine(vpn, same); math.Abs(c-1) > 1e-5 {
		t.Fatalf("case and punctuation changed the vector: cosine %v", c)
	}
	near, far := cosine(vpn, fakeopenai.Embed("VPN connect fails")), cosine(vpn, fakeopenai.Embed("printer toner empty"))
	if near <= far {
		t.Fatalf("sharing words is not more similar: %v <= %v", near, far)
	}
	for _, x := range fakeopenai.Embed("") {
		if x != 0 {
			t.Fatal("the empty text is not the zero vector")
		}
	}
}

func post(t *testing.T, url, body string, header map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// The stream is Server-Sent Events as OpenAI sends them: data: lines, the usage chunk when asked for, and
// data: [DONE].
func TestStreamWireFormat(t *testing.T) {
	s := fakeopenai.New(t)
	resp := post(t, s.URL()+"/chat/completions",
		`{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi there"}]}`, nil)
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	var data []string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if line := sc.Text(); line != "" {
			if !strings.HasPrefix(line, "data: ") {
				t.Fatalf("line %q", line)
			}
			data = append(data, strings.TrimPrefix(line, "data: "))
		}
	}
	if len(data) < 4 || data[len(data)-1] != "[DONE]" {
		t.Fatalf("events %q", data)
	}
	var usage struct {
		Usage struct {
			PromptTokens     int `json:"prompt_tokens"`
			CompletionTokens int `json:"completion_tokens"`
		} `json:"usage"`
	}
	json.Unmarshal([]byte(data[len(data)-2]), &usage)
	if usage.Usage.PromptTokens != 2 || usage.Usage.CompletionTokens != 3 { // "Hello from fakeopenai."
		t.Fatalf("usage chunk %s", data[len(data)-2])
	}
}

func TestKeysVersionsAndRecords(t *testing.T) {
	s := fakeopenai.New(t)
	s.SetAPIKey("sk-right")
	body := `{"model":"m","messages":[{"role":"user","content":"hi"}]}`
	if resp := post(t, s.URL()+"/chat/completions", body, map[string]string{"Authorization": "Bearer sk-wrong"}); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong key: %d", resp.StatusCode)
	}
	if resp := post(t, s.URL()+"/chat/completions", body, map[string]string{"Authorization": "Bearer sk-right"}); resp.StatusCode != http.StatusOK {
		t.Fatalf("right key: %d", resp.StatusCode)
	}
	if resp := post(t, s.AzureURL()+"/openai/deployments/gpt/chat/completions", body, map[string]string{"api-key": "sk-right"}); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("Azure without api-version: %d", resp.StatusCode)
	}
	s.Fail(fakeopenai.RateLimited(7e9))
	resp := post(t, s.AzureURL()+"/openai/deployments/gpt/embeddings?api-version=2024-10-21", `{"model":"e","input":["a b"]}`, map[string]string{"api-key": "sk-right"})
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "7" {
		t.Fatalf("fault: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	io.Copy(io.Discard, resp.Body)
	reqs := s.Requests()
	last := reqs[len(reqs)-1]
	if len(reqs) != 4 || last.Endpoint != "embeddings" || last.Deployment != "gpt" || last.APIVersion != "2024-10-21" ||
		last.Fault != "429" || len(last.Inputs) != 1 || last.Inputs[0] != "a b" {
		t.Fatalf("recorded %+v", reqs)
	}
}
