// Command standin is a local stand-in for the services the examples in docs/actions.md call: Okta's
// unlock (POST /api/v1/users/{id}/lifecycle/unlock), a group API (POST /api/groups/{group}/members), and,
// for the Entra relay, Microsoft's token endpoint (POST /oauth2/v2.0/token) and Graph (PATCH
// /v1.0/users/{id}). It prints every call it gets, with whether its Standard Webhooks signature holds for
// WEBHOOK_SECRET (when set) and its Idempotency-Key, and answers as those services would.
//
//	WEBHOOK_SECRET=whsec_… go run ./docs/examples/standin -listen 127.0.0.1:9911
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/firstline-desk/firstline/adapters/webhook"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:9911", "the address to serve on")
	flag.Parse()
	s := newStandin(os.Getenv("WEBHOOK_SECRET"), os.Stdout)
	log.Printf("stand-in for Okta, a group API and Microsoft Graph on http://%s", *listen)
	log.Fatal(http.ListenAndServe(*listen, s))
}

// standin answers as the examples' services, and prints each call to out.
type standin struct {
	key []byte
	out io.Writer

	mu     sync.Mutex
	groups map[string][]string // group -> members
}

func newStandin(secret string, out io.Writer) *standin {
	s := &standin{out: out, groups: map[string][]string{}}
	if secret != "" {
		s.key, _ = webhook.DecodeSecret(secret)
	}
	return s
}

func (s *standin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	signed := "unsigned"
	if s.key != nil && r.Header.Get(webhook.HeaderSignature) != "" {
		signed = "signature ok"
		if err := webhook.Verify(s.key, r.Header, body, time.Now()); err != nil {
			signed = "BAD SIGNATURE: " + err.Error()
		}
	}
	s.mu.Lock()
	fmt.Fprintf(s.out, "%s %s (%s, Idempotency-Key %q)\n", r.Method, r.URL.RequestURI(), signed, r.Header.Get(webhook.HeaderIdempotency))
	s.mu.Unlock()
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == http.MethodPost && len(parts) == 6 && parts[0] == "api" && parts[2] == "users" && parts[4] == "lifecycle" && parts[5] == "unlock":
		// Okta answers 200 with an empty object.
		io.WriteString(w, "{}")
	case r.Method == http.MethodPost && len(parts) == 4 && parts[0] == "api" && parts[1] == "groups" && parts[3] == "members":
		var in struct{ User string }
		json.Unmarshal(body, &in)
		s.mu.Lock()
		s.groups[parts[2]] = append(s.groups[parts[2]], in.User)
		members := len(s.groups[parts[2]])
		s.mu.Unlock()
		fmt.Fprintf(w, `{"group": %q, "added": %q, "members": %d}`, parts[2], in.User, members)
	case r.Method == http.MethodPost && r.URL.Path == "/oauth2/v2.0/token":
		io.WriteString(w, `{"token_type": "Bearer", "expires_in": 3599, "access_token": "standin-graph-token"}`)
	case r.Method == http.MethodPatch && len(parts) == 3 && parts[0] == "v1.0" && parts[1] == "users":
		if r.Header.Get("Authorization") != "Bearer standin-graph-token" {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error": {"code": "InvalidAuthenticationToken"}}`)
			return
		}
		w.WriteHeader(http.StatusNoContent) // Graph answers an update with 204
	default:
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"errorSummary": "Not found"}`)
	}
}
