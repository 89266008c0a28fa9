package main

import (
	"context"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/firstline-desk/firstline/adapters/webhook"
	"github.com/firstline-desk/firstline/bot"
)

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestStandin: the docs' Okta and group examples against the stand-in: signed calls, Okta's answer, the
// group's members.
func TestStandin(t *testing.T) {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	var out syncBuffer
	srv := httptest.NewServer(newStandin(secret, &out))
	defer srv.Close()
	okta, _ := webhook.New(webhook.Config{URL: srv.URL + "/api/v1/users/{{login}}/lifecycle/unlock", Secret: secret}, nil)
	res := okta.Run(context.Background(), bot.ActionCall{Params: map[string]string{"login": "alice@example.com"}, IdempotencyKey: "fl-1"})
	if res.Outcome != bot.OutcomeSucceeded || res.Output != "{}" {
		t.Fatalf("unlock: %+v", res)
	}
	group, _ := webhook.New(webhook.Config{URL: srv.URL + "/api/groups/{{group}}/members", Body: `{"user": "{{requester}}"}`, Secret: secret}, nil)
	res = group.Run(context.Background(), bot.ActionCall{Params: map[string]string{"group": "finance", "requester": "slack:U1"}, IdempotencyKey: "fl-2"})
	if res.Outcome != bot.OutcomeSucceeded || !strings.Contains(res.Output, `"members": 1`) {
		t.Fatalf("group: %+v", res)
	}
	log := out.String()
	for _, want := range []string{"POST /api/v1/users/alice@example.com/lifecycle/unlock (signature ok, Idempotency-Key \"fl-1\")", "POST /api/groups/finance/members (signature ok"} {
		if !strings.Contains(log, want) {
			t.Fatalf("the stand-in printed:\n%s\nwant %q", log, want)
		}
	}
}
