package webhook_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/adapters/webhook"
	"github.com/firstline-desk/firstline/adapters/webhook/fakewebhook"
	"github.com/firstline-desk/firstline/bot"
)

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// TestSignatureMatchesTheStandard: the Standard Webhooks specification's own test vector.
func TestSignatureMatchesTheStandard(t *testing.T) {
	key, err := webhook.DecodeSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	got := webhook.Sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, []byte(`{"test": 2432232314}`))
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Fatalf("signature %s, want %s", got, want)
	}
	h := http.Header{}
	h.Set(webhook.HeaderID, "msg_p5jXN8AQM9LWM0D4loKWxJek")
	h.Set(webhook.HeaderTimestamp, "1614265330")
	h.Set(webhook.HeaderSignature, "v1,bm90IGl0 "+got)
	if err := webhook.Verify(key, h, []byte(`{"test": 2432232314}`), time.Unix(1614265330+60, 0)); err != nil {
		t.Fatalf("verify: %v", err)
	}
	if err := webhook.Verify(key, h, []byte(`{"test": 2432232315}`), time.Unix(1614265330, 0)); err == nil {
		t.Fatal("a changed body verified")
	}
	if err := webhook.Verify(key, h, []byte(`{"test": 2432232314}`), time.Unix(1614265330+600, 0)); err == nil {
		t.Fatal("an old call verified")
	}
	if _, err := webhook.DecodeSecret("whsec_not base64!"); err == nil {
		t.Fatal("a bad whsec_ secret was taken")
	}
}

func call(params map[string]string) bot.ActionCall {
	return bot.ActionCall{Action: "add-to-group", Run: "A-000001", Ticket: "T-000001", Params: params, IdempotencyKey: "fl-key-1", Attempt: 1, MaxOutput: 4096}
}

func newRunner(t *testing.T, cfg webhook.Config) *webhook.Runner {
	t.Helper()
	r, err := webhook.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestSignedCallWithEscapedValues(t *testing.T) {
	target := fakewebhook.New(secret)
	defer target.Close()
	r := newRunner(t, webhook.Config{
		URL:     target.URL + "/api/groups/{{group}}/members?note={{note}}",
		Headers: map[string]string{"Authorization": "Bearer s3cr3t-token-value", "X-Requester": "{{requester}}"},
		Body:    `{"user": "{{requester}}", "note": "{{note}}"}`,
		Secret:  secret,
	})
	res := r.Run(context.Background(), call(map[string]string{"group": "fin/ance?x=1", "requester": "alice@example.com", "note": `a "quoted" & b=c`}))
	if res.Outcome != bot.OutcomeSucceeded || res.Detail != "HTTP 200" || res.Output != `{"ok":true}` {
		t.Fatalf("result %+v", res)
	}
	calls := target.Calls()
	if len(calls) != 1 {
		t.Fatalf("%d calls", len(calls))
	}
	c := calls[0]
	if c.Method != "POST" || c.Path != "/api/groups/fin%2Fance%3Fx=1/members?note=a+%22quoted%22+%26+b%3Dc" {
		t.Fatalf("call %s %s", c.Method, c.Path)
	}
	var body map[string]string
	if err := json.Unmarshal(c.Body, &body); err != nil || body["user"] != "alice@example.com" || body["note"] != `a "quoted" & b=c` {
		t.Fatalf("body %s (%v)", c.Body, err)
	}
	if !c.Signed || c.IdempotencyKey != "fl-key-1" || c.Header.Get("webhook-id") != "fl-key-1" {
		t.Fatalf("signed %v (%s), key %q, id %q", c.Signed, c.SignatureError, c.IdempotencyKey, c.Header.Get("webhook-id"))
	}
	if c.Header.Get("Authorization") != "Bearer s3cr3t-token-value" || c.Header.Get("X-Requester") != "alice@example.com" || c.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("headers %v", c.Header)
	}
}

func TestOutcomes(t *testing.T) {
	target := fakewebhook.New("")
	defer target.Close()
	r := newRunner(t, webhook.Config{URL: target.URL + "/x", Body: `{}`})
	for _, c := range []struct {
		answer fakewebhook.Answer
		want   bot.Outcome
		detail string
	}{
		{fakewebhook.Answer{Status: 201}, bot.OutcomeSucceeded, "HTTP 201"},
		{fakewebhook.Answer{Status: 404, Body: `{"error":"no such user"}`}, bot.OutcomeFailed, "HTTP 404"},
		{fakewebhook.Answer{Status: 500}, bot.OutcomeFailed, "HTTP 500"},
		{fakewebhook.Answer{Status: 302}, bot.OutcomeFailed, "HTTP 302"}, // never followed
		{fakewebhook.Answer{Status: 504}, bot.OutcomeUnknown, "HTTP 504"},
		{fakewebhook.Answer{Drop: true}, bot.OutcomeUnknown, "was cut off"},
	} {
		target.Answer(func(fakewebhook.Call) fakewebhook.Answer { return c.answer })
		res := r.Run(context.Background(), call(nil))
		if res.Outcome != c.want || !strings.Contains(res.Detail, c.detail) {
			t.Fatalf("answer %+v: %+v", c.answer, res)
		}
	}
}

func TestHangingTargetTimesOut(t *testing.T) {
	target := fakewebhook.New("")
	defer target.Close()
	// The deadline passes once the call has reached the target: a deadline of a set time could pass
	// before the request is even written on a loaded machine, and the target would see no call.
	ctx := newExpiring()
	target.Answer(func(fakewebhook.Call) fakewebhook.Answer { ctx.expire(); return fakewebhook.Answer{Hang: true} })
	r := newRunner(t, webhook.Config{URL: target.URL + "/x"})
	res := r.Run(ctx, call(nil))
	if res.Outcome != bot.OutcomeTimedOut || len(target.Calls()) != 1 {
		t.Fatalf("result %+v, %d calls", res, len(target.Calls()))
	}
}

// expiring is a context whose deadline passes when expire is called, so that a test decides when.
type expiring struct {
	context.Context
	done chan struct{}
	once sync.Once
}

func newExpiring() *expiring {
	return &expiring{Context: context.Background(), done: make(chan struct{})}
}

func (e *expiring) expire()               { e.once.Do(func() { close(e.done) }) }
func (e *expiring) Done() <-chan struct{} { return e.done }

func (e *expiring) Err() error {
	select {
	case <-e.done:
		return context.DeadlineExceeded
	default:
		return nil
	}
}

func TestUnreachableTargetFails(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	r := newRunner(t, webhook.Config{URL: "http://" + addr + "/x?token=abc"})
	res := r.Run(context.Background(), call(nil))
	if res.Outcome != bot.OutcomeFailed || strings.Contains(res.Detail, "token") {
		t.Fatalf("result %+v", res)
	}
}

// TestCallIsMadeOnceWhenTheConnectionDrops: net/http sends a request with an Idempotency-Key again by
// itself when a reused connection turns out closed after the request was written. The runner's client
// reuses no connection, so a dropped call reaches the target once and is "unknown".
func TestCallIsMadeOnceWhenTheConnectionDrops(t *testing.T) {
	target := fakewebhook.New("")
	defer target.Close()
	r := newRunner(t, webhook.Config{URL: target.URL + "/x", Body: `{}`})
	if res := r.Run(context.Background(), call(nil)); res.Outcome != bot.OutcomeSucceeded {
		t.Fatalf("first call: %+v", res)
	}
	target.Answer(func(fakewebhook.Call) fakewebhook.Answer { return fakewebhook.Answer{Drop: true} })
	res := r.Run(context.Background(), call(nil))
	if n := len(target.Calls()); n != 2 || res.Outcome != bot.OutcomeUnknown {
		t.Fatalf("%d calls (want 2: one each), result %+v", n, res)
	}
}

func TestOwnSecretsNeverComeBack(t *testing.T) {
	target := fakewebhook.New(secret)
	defer target.Close()
	target.Answer(func(c fakewebhook.Call) fakewebhook.Answer {
		return fakewebhook.Answer{Status: 401, Body: "bad token " + c.Header.Get("Authorization") + " for secret " + secret}
	})
	r := newRunner(t, webhook.Config{URL: target.URL + "/x", Headers: map[string]string{"Authorization": "SSWS 00aBcDeFgHiJkLmNoPqRsTuV"}, Secret: secret})
	res := r.Run(context.Background(), call(nil))
	if strings.Contains(res.Output, "00aBcDeFgHiJkLmNoPqRsTuV") || strings.Contains(res.Output, "MfKQ9r8G") {
		t.Fatalf("output %q", res.Output)
	}
	d := r.Describe(call(nil))
	if strings.Contains(d, "00aBcDeF") || !strings.Contains(d, "Authorization: [hidden]") || !strings.Contains(d, "POST "+target.URL+"/x") {
		t.Fatalf("describe:\n%s", d)
	}
	if n := len(target.Calls()); n != 1 {
		t.Fatalf("describe made a call: %d calls", n)
	}
}

func TestTemplatesAreChecked(t *testing.T) {
	for _, c := range []webhook.Config{
		{URL: "https://{{tenant}}.okta.com/api"},
		{URL: "https://idp.example.com@{{host}}/x"},
		{URL: "ftp://example.com/x"},
		{URL: "https://example.com/x", Body: `{"n": {{name}}`},
		{URL: "https://example.com/x", Secret: "whsec_%%%"},
	} {
		if _, err := webhook.New(c, nil); err == nil {
			t.Fatalf("%+v was taken", c)
		}
	}
	// A text value put unquoted in a JSON body is refused at the call, never sent as broken JSON.
	target := fakewebhook.New("")
	defer target.Close()
	r := newRunner(t, webhook.Config{URL: target.URL + "/x", Body: `{"n": {{n}}}`})
	if res := r.Run(context.Background(), call(map[string]string{"n": `1, "admin": true`})); res.Outcome != bot.OutcomeFailed || len(target.Calls()) != 0 {
		t.Fatalf("result %+v, %d calls", res, len(target.Calls()))
	}
	if res := r.Run(context.Background(), call(map[string]string{"n": "42"})); res.Outcome != bot.OutcomeSucceeded {
		t.Fatalf("a number: %+v", res)
	}
}
