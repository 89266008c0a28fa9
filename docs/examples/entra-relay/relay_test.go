package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/firstline-desk/firstline/adapters/webhook"
	"github.com/firstline-desk/firstline/bot"
)

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// TestRelay: the desk's signed call re-enables the account through Graph once per idempotency key; an
// unsigned or wrongly signed call does nothing.
func TestRelay(t *testing.T) {
	var mu sync.Mutex
	var patches []string
	graph := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/token":
			r.ParseForm()
			if r.Form.Get("grant_type") != "client_credentials" || r.Form.Get("client_secret") != "cs" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			w.Write([]byte(`{"access_token": "tok"}`))
		case r.Method == http.MethodPatch && r.Header.Get("Authorization") == "Bearer tok":
			mu.Lock()
			patches = append(patches, r.URL.EscapedPath())
			mu.Unlock()
			w.WriteHeader(http.StatusNoContent)
		default:
			w.WriteHeader(http.StatusBadRequest)
		}
	}))
	defer graph.Close()
	env := map[string]string{"WEBHOOK_SECRET": secret, "GRAPH_URL": graph.URL, "TOKEN_URL": graph.URL + "/token", "CLIENT_ID": "ci", "CLIENT_SECRET": "cs"}
	r, err := newRelay(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(r)
	defer srv.Close()

	run := func(s string) *webhook.Runner {
		w, err := webhook.New(webhook.Config{URL: srv.URL + "/enable", Body: `{"user": "{{login}}"}`, Secret: s}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	call := bot.ActionCall{Action: "enable-account", Run: "A-000001", Params: map[string]string{"login": "alice@contoso.com"}, IdempotencyKey: "fl-k1"}
	for range 2 { // a technician's retry sends the same key: Graph is called once
		if res := run(secret).Run(context.Background(), call); res.Outcome != bot.OutcomeSucceeded || !strings.Contains(res.Output, `"accountEnabled": true`) {
			t.Fatalf("result %+v", res)
		}
	}
	if res := run("whsec_c2VjcmV0LW9mLWFub3RoZXItZGVzaw==").Run(context.Background(), bot.ActionCall{Params: call.Params, IdempotencyKey: "fl-k2"}); res.Outcome != bot.OutcomeFailed || res.Detail != "HTTP 401" {
		t.Fatalf("another secret: %+v", res)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(patches) != 1 || patches[0] != "/v1.0/users/alice@contoso.com" {
		t.Fatalf("Graph got %v", patches)
	}
}
