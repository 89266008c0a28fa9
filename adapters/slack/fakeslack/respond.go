package fakeslack

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// Response URLs: a slash command's payload carries a response_url, to which the app POSTs JSON
// ({"text", "blocks", "response_type": "ephemeral" or "in_channel", "replace_original"…}). Slack takes
// five posts to one within thirty minutes and answers 200 "ok"; afterwards it refuses them (404).

// responseUses is how many posts Slack takes to one response_url.
const responseUses = 5

// Response is one POST to a response URL, as the fake received it.
type Response struct {
	// URL is the response URL posted to; Accepted says whether the fake took the post (200).
	URL      string
	Accepted bool
	// ResponseType is the body's response_type: "ephemeral", "in_channel", or "" (Slack's default,
	// ephemeral).
	ResponseType string
	Text         string
	Blocks       json.RawMessage
	// Body is the JSON body as sent.
	Body json.RawMessage
}

// ResponseURL returns a new response URL of the fake, for a slash command's "response_url".
func (s *Server) ResponseURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.respSeq++
	return fmt.Sprintf("%s/commands/%s/%d/fake%d", s.http.URL, TeamID, s.respSeq, s.respSeq)
}

// ExpireResponses makes every response URL handed out so far refuse further posts, as Slack does thirty
// minutes after the command.
func (s *Server) ExpireResponses() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.respExpired = s.respSeq
}

// Responses returns the posts to response URLs so far, refused ones included, in order.
func (s *Server) Responses() []Response {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.responses)
}

// WaitResponses waits until at least n posts to response URLs were made and returns them all; it fails
// the test after 10 s.
func (s *Server) WaitResponses(t testing.TB, n int) []Response {
	t.Helper()
	if !s.wait(func() bool { return len(s.responses) >= n }) {
		t.Fatalf("fakeslack: waited %v for %d posts to response URLs, have %d; calls seen: %s",
			waitTimeout, n, len(s.Responses()), s.summary())
	}
	return s.Responses()
}

func (s *Server) serveResponse(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil || !json.Valid(raw) || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		http.Error(w, "invalid_payload", http.StatusBadRequest)
		return
	}
	var body struct {
		ResponseType string          `json:"response_type"`
		Text         string          `json:"text"`
		Blocks       json.RawMessage `json:"blocks"`
	}
	_ = json.Unmarshal(raw, &body)
	u := s.http.URL + r.URL.Path
	var seq int
	_, _ = fmt.Sscanf(r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:], "fake%d", &seq)

	s.mu.Lock()
	used := 0
	for _, p := range s.responses {
		if p.URL == u && p.Accepted {
			used++
		}
	}
	status, answer := http.StatusOK, "ok"
	switch {
	case seq == 0 || seq > s.respSeq:
		status, answer = http.StatusNotFound, "invalid_token"
	case seq <= s.respExpired:
		status, answer = http.StatusNotFound, "expired_url"
	case used >= responseUses:
		status, answer = http.StatusNotFound, "used_url"
	case body.Text == "" && len(body.Blocks) == 0:
		status, answer = http.StatusBadRequest, "no_text"
	}
	s.responses = append(s.responses, Response{URL: u, Accepted: status == http.StatusOK, ResponseType: body.ResponseType,
		Text: body.Text, Blocks: body.Blocks, Body: raw})
	s.notifyLocked()
	s.mu.Unlock()

	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, answer)
}

// Hold makes calls of method wait until release is called (or the server closes), as a slow Slack would;
// they are answered normally after that.
func (s *Server) Hold(method string) (release func()) {
	gate := make(chan struct{})
	s.mu.Lock()
	if s.holds == nil {
		s.holds = map[string]chan struct{}{}
	}
	s.holds[method] = gate
	s.mu.Unlock()
	var once bool
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if !once {
			once = true
			close(gate)
			delete(s.holds, method)
		}
	}
}

// hold waits at method's gate, if any, for at most a minute.
func (s *Server) hold(method string) {
	s.mu.Lock()
	gate := s.holds[method]
	done := s.done
	s.mu.Unlock()
	if gate == nil {
		return
	}
	select {
	case <-gate:
	case <-done:
	case <-time.After(time.Minute):
	}
}
