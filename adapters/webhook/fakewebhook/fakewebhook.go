// Package fakewebhook is a local target for the desk's http actions in tests and in the docs' examples:
// it records every call (method, path, headers, body, whether its Standard Webhooks signature holds,
// its Idempotency-Key) and answers as told: at once, failing, dropping the connection, or hanging until
// it is released or the caller gives up.
package fakewebhook

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/firstline-desk/firstline/adapters/webhook"
)

// Call is one call the target received.
type Call struct {
	Method, Path   string
	Header         http.Header
	Body           []byte
	IdempotencyKey string
	// Signed: the call's webhook-signature holds for the target's secret; SignatureError says why not.
	Signed         bool
	SignatureError string
}

// Answer is what the target does with a call.
type Answer struct {
	Status int    // default 200
	Body   string // default {"ok":true}
	// Hang holds the call until Release is called or the caller goes away.
	Hang bool
	// Drop closes the connection after reading the call, without an answer.
	Drop bool
}

// Target is a local HTTP server that records the calls made to it.
type Target struct {
	// URL is the server's base URL, "http://127.0.0.1:PORT".
	URL string
	srv *httptest.Server
	key []byte

	mu       sync.Mutex
	calls    []Call
	answer   func(Call) Answer
	released chan struct{}
	arrived  chan Call
}

// New starts a target that verifies signatures against secret ("" verifies none).
func New(secret string) *Target {
	t := &Target{released: make(chan struct{}), arrived: make(chan Call, 64)}
	if secret != "" {
		t.key, _ = webhook.DecodeSecret(secret)
	}
	t.srv = httptest.NewServer(http.HandlerFunc(t.serve))
	t.URL = t.srv.URL
	return t
}

// Close stops the server, releasing hung calls first.
func (t *Target) Close() {
	t.Release()
	t.srv.CloseClientConnections()
	t.srv.Close()
}

// Answer sets how the target answers calls from now on; nil answers 200 {"ok":true}.
func (t *Target) Answer(f func(Call) Answer) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.answer = f
}

// Release lets every hung call, and every later one, go on.
func (t *Target) Release() {
	t.mu.Lock()
	defer t.mu.Unlock()
	select {
	case <-t.released:
	default:
		close(t.released)
	}
}

// Arrived receives each call as it arrives, before it is answered (or hung).
func (t *Target) Arrived() <-chan Call { return t.arrived }

// Calls returns the calls received so far, oldest first.
func (t *Target) Calls() []Call {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]Call(nil), t.calls...)
}

func (t *Target) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	c := Call{Method: r.Method, Path: r.URL.RequestURI(), Header: r.Header.Clone(), Body: body, IdempotencyKey: r.Header.Get(webhook.HeaderIdempotency)}
	if t.key != nil {
		if err := webhook.Verify(t.key, r.Header, body, time.Now()); err != nil {
			c.SignatureError = err.Error()
		} else {
			c.Signed = true
		}
	}
	t.mu.Lock()
	t.calls = append(t.calls, c)
	answer := t.answer
	released := t.released
	t.mu.Unlock()
	select {
	case t.arrived <- c:
	default:
	}
	a := Answer{}
	if answer != nil {
		a = answer(c)
	}
	switch {
	case a.Drop:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	case a.Hang:
		select {
		case <-released:
		case <-r.Context().Done():
			return
		}
	}
	if a.Status == 0 {
		a.Status = http.StatusOK
	}
	if a.Body == "" {
		a.Body = `{"ok":true}`
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(a.Status)
	io.WriteString(w, a.Body)
}
