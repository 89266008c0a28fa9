// Command entra-relay is a small relay between the desk and Microsoft Entra (docs/actions.md): it takes
// the desk's signed call on POST /enable ({"user": "alice@example.com"}), verifies its Standard Webhooks
// signature, does the work once per Idempotency-Key (a repeat gets the first answer), and re-enables the
// account through Microsoft Graph (PATCH /v1.0/users/{id} {"accountEnabled": true}) with an app-only token
// (client credentials). Entra has no API that clears a smart lockout; re-enabling a disabled account, or
// revoking sessions, is what a relay can do.
//
//	WEBHOOK_SECRET=whsec_… TENANT=contoso CLIENT_ID=… CLIENT_SECRET=… go run ./docs/examples/entra-relay
//
// GRAPH_URL and TOKEN_URL point it elsewhere (the stand-in, docs/examples/standin).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/firstline-desk/firstline/adapters/webhook"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:9912", "the address to serve on")
	flag.Parse()
	r, err := newRelay(os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("Entra relay on http://%s/enable, calling %s", *listen, r.graph)
	log.Fatal(http.ListenAndServe(*listen, r))
}

// relay verifies the desk's calls and passes them on to Graph.
type relay struct {
	key                    []byte
	graph, token           string
	clientID, clientSecret string
	client                 *http.Client

	mu   sync.Mutex
	done map[string]answer // idempotency key -> the answer given
}

type answer struct {
	status int
	body   string
}

func newRelay(getenv func(string) string) (*relay, error) {
	key, err := webhook.DecodeSecret(getenv("WEBHOOK_SECRET"))
	if err != nil {
		return nil, fmt.Errorf("WEBHOOK_SECRET: %w", err)
	}
	r := &relay{key: key, graph: getenv("GRAPH_URL"), token: getenv("TOKEN_URL"), clientID: getenv("CLIENT_ID"),
		clientSecret: getenv("CLIENT_SECRET"), client: &http.Client{Timeout: 20 * time.Second}, done: map[string]answer{}}
	if r.graph == "" {
		r.graph = "https://graph.microsoft.com"
	}
	if r.token == "" {
		r.token = "https://login.microsoftonline.com/" + url.PathEscape(getenv("TENANT")) + "/oauth2/v2.0/token"
	}
	return r, nil
}

func (r *relay) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost || req.URL.Path != "/enable" {
		http.NotFound(w, req)
		return
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, 64<<10))
	if err != nil {
		http.Error(w, "cannot read the body", http.StatusBadRequest)
		return
	}
	if err := webhook.Verify(r.key, req.Header, body, time.Now()); err != nil {
		http.Error(w, "signature: "+err.Error(), http.StatusUnauthorized)
		return
	}
	key := req.Header.Get(webhook.HeaderIdempotency)
	r.mu.Lock()
	prev, seen := r.done[key]
	r.mu.Unlock()
	if seen && key != "" {
		w.WriteHeader(prev.status)
		io.WriteString(w, prev.body)
		return
	}
	var in struct {
		User string `json:"user"`
	}
	if err := json.Unmarshal(body, &in); err != nil || in.User == "" {
		http.Error(w, `want {"user": "..."}`, http.StatusBadRequest)
		return
	}
	a := r.enable(req.Context(), in.User)
	if a.status < 500 {
		r.mu.Lock()
		r.done[key] = a
		r.mu.Unlock()
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(a.status)
	io.WriteString(w, a.body)
}

// enable re-enables user's account in Entra.
func (r *relay) enable(ctx context.Context, user string) answer {
	token, err := r.appToken(ctx)
	if err != nil {
		return answer{http.StatusBadGateway, fmt.Sprintf(`{"error": %q}`, err.Error())}
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPatch, r.graph+"/v1.0/users/"+url.PathEscape(user), bytes.NewReader([]byte(`{"accountEnabled": true}`)))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := r.client.Do(req)
	if err != nil {
		return answer{http.StatusBadGateway, `{"error": "Graph did not answer"}`}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusOK {
		return answer{http.StatusBadGateway, fmt.Sprintf(`{"error": "Graph answered %d"}`, resp.StatusCode)}
	}
	return answer{http.StatusOK, fmt.Sprintf(`{"user": %q, "accountEnabled": true}`, user)}
}

// appToken gets an app-only token for Graph with the client credentials grant.
func (r *relay) appToken(ctx context.Context) (string, error) {
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {r.clientID}, "client_secret": {r.clientSecret},
		"scope": {"https://graph.microsoft.com/.default"}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, r.token, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := r.client.Do(req)
	if err != nil {
		return "", errors.New("the token endpoint did not answer")
	}
	defer resp.Body.Close()
	var t struct {
		AccessToken string `json:"access_token"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&t) != nil || t.AccessToken == "" {
		return "", fmt.Errorf("the token endpoint answered %d", resp.StatusCode)
	}
	return t.AccessToken, nil
}
