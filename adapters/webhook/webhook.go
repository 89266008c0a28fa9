// Package webhook runs the desk's http actions: one HTTP call per run, built from the action's
// templates, signed the Standard Webhooks way and carrying the run's Idempotency-Key. It implements
// bot.Runner; fakewebhook is a local target for tests.
package webhook

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/firstline-desk/firstline/bot"
)

// Config is one action's call. URL, header values and Body are templates: {{name}} is a parameter's
// value, escaped for where it goes (a URL's path or query, a JSON string); secrets come from ${ENV} in
// the config file, already expanded here.
type Config struct {
	URL     string
	Method  string            // default POST
	Headers map[string]string // Content-Type defaults to application/json when there is a body
	Body    string            // "" sends no body
	// Secret signs every call ("whsec_<base64>", or the key itself); "" sends unsigned calls.
	Secret string
	// Client makes the calls; nil is NewClient().
	Client *http.Client
	// Now is the clock of the signatures' timestamps; nil is time.Now.
	Now func() time.Time
}

// Runner performs an http action.
type Runner struct {
	cfg    Config
	key    []byte
	client *http.Client
	log    *slog.Logger
	// secrets are the values that must never come back in an output: the signing secret and key, the
	// header values (a bearer token) and their words.
	secrets []string
}

var _ bot.Runner = (*Runner)(nil)

// New checks the call's templates and returns its runner: the URL must be http or https with no
// placeholder before its path (a value never chooses the host), and a JSON body must be JSON.
func New(cfg Config, logger *slog.Logger) (*Runner, error) {
	if cfg.Method == "" {
		cfg.Method = http.MethodPost
	}
	cfg.Method = strings.ToUpper(cfg.Method)
	if err := checkURL(cfg.URL); err != nil {
		return nil, err
	}
	if cfg.Body != "" && isJSON(cfg.Headers) && !json.Valid([]byte(bot.ExpandTemplate(cfg.Body, nil, func(string) string { return "0" }))) {
		return nil, errors.New(`body is not JSON (put a text placeholder in quotes: "{{name}}")`)
	}
	r := &Runner{cfg: cfg, client: cfg.Client, log: logger}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.client == nil {
		r.client = NewClient()
	}
	if cfg.Secret != "" {
		key, err := DecodeSecret(cfg.Secret)
		if err != nil {
			return nil, err
		}
		r.key = key
		r.secrets = append(r.secrets, cfg.Secret, strings.TrimPrefix(cfg.Secret, secretPrefix))
		if len(key) >= 8 {
			r.secrets = append(r.secrets, string(key))
		}
	}
	for _, v := range cfg.Headers {
		if len(bot.TemplateNames(v)) > 0 {
			continue
		}
		r.secrets = append(r.secrets, v)
		for _, w := range strings.Fields(v) {
			if len(w) >= 8 {
				r.secrets = append(r.secrets, w)
			}
		}
	}
	// The longest first, so a token is masked whole before a word of it is.
	sort.Slice(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
	return r, nil
}

// NewClient returns the client calls are made with. It follows no redirect (a redirect would send the
// signed body elsewhere), and opens a connection per call: net/http sends a request with an
// Idempotency-Key again by itself when a reused connection turns out closed, even after writing it,
// and a call must be made at most once.
func NewClient() *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			Proxy:             http.ProxyFromEnvironment,
			DisableKeepAlives: true,
			// HTTP/2 keeps one connection for every call, and retries on it alike.
			TLSNextProto:        map[string]func(string, *tls.Conn) http.RoundTripper{},
			TLSHandshakeTimeout: 10 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// checkURL refuses a URL template that is not http(s), or has a placeholder in its scheme or host.
func checkURL(tmpl string) error {
	u, err := url.Parse(bot.ExpandTemplate(tmpl, nil, func(string) string { return "x" }))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("url %q is not an http or https URL", tmpl)
	}
	rest := tmpl[strings.Index(tmpl, "://")+3:]
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	if strings.Contains(rest, "{{") {
		return fmt.Errorf("url %q has a placeholder in its host: values may fill its path or query only", tmpl)
	}
	return nil
}

func isJSON(h map[string]string) bool {
	for k, v := range h {
		if strings.EqualFold(k, "Content-Type") {
			return strings.Contains(strings.ToLower(v), "json")
		}
	}
	return true
}

// request is a call as built from the templates and a run's values.
type request struct {
	method, url string
	header      http.Header
	body        []byte
}

// build fills the templates with the call's values: in the URL's path escaped as a path segment, in its
// query as a query value, in the body as the inside of a JSON string, in a header as it is (values
// hold no control characters: the engine refuses them).
func (r *Runner) build(call bot.ActionCall) (request, error) {
	path, query, hasQuery := strings.Cut(r.cfg.URL, "?")
	u := bot.ExpandTemplate(path, call.Params, url.PathEscape)
	if hasQuery {
		u += "?" + bot.ExpandTemplate(query, call.Params, url.QueryEscape)
	}
	req := request{method: r.cfg.Method, url: u, header: http.Header{}}
	if r.cfg.Body != "" {
		escape := jsonEscape
		if !isJSON(r.cfg.Headers) {
			escape = nil
		}
		req.body = []byte(bot.ExpandTemplate(r.cfg.Body, call.Params, escape))
		if escape != nil && !json.Valid(req.body) {
			return req, errors.New("the body is not valid JSON with these values")
		}
		req.header.Set("Content-Type", "application/json")
	}
	for k, v := range r.cfg.Headers {
		v = bot.ExpandTemplate(v, call.Params, nil)
		if strings.ContainsAny(v, "\r\n") {
			return req, fmt.Errorf("header %s would hold a line break", k)
		}
		req.header.Set(k, v)
	}
	req.header.Set("User-Agent", "Firstline")
	req.header.Set(HeaderIdempotency, call.IdempotencyKey)
	return req, nil
}

// jsonEscape writes s as the inside of a JSON string.
func jsonEscape(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

// Run makes the call once and says how it went: 2xx succeeded; 502 and 504 (a gateway that may have
// passed it on) unknown; other statuses failed; no answer within ctx's deadline timed out; a call that
// never left (the host unreachable) failed; one cut off after it was sent unknown. It never retries.
func (r *Runner) Run(ctx context.Context, call bot.ActionCall) bot.ActionResult {
	req, err := r.build(call)
	if err != nil {
		return bot.ActionResult{Outcome: bot.OutcomeFailed, Detail: err.Error()}
	}
	hreq, err := http.NewRequestWithContext(ctx, req.method, req.url, bytes.NewReader(req.body))
	if err != nil {
		return bot.ActionResult{Outcome: bot.OutcomeFailed, Detail: "the request could not be made: " + r.mask(err.Error())}
	}
	hreq.Header = req.header
	if r.key != nil {
		now := time.Now
		if r.cfg.Now != nil {
			now = r.cfg.Now
		}
		ts := now().Unix()
		id := call.IdempotencyKey
		hreq.Header.Set(HeaderID, id)
		hreq.Header.Set(HeaderTimestamp, fmt.Sprint(ts))
		hreq.Header.Set(HeaderSignature, Sign(r.key, id, ts, req.body))
	}
	// Whether the request was written decides between "it surely did not happen" and "it may have".
	var wrote atomic.Bool
	hreq = hreq.WithContext(httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(httptrace.WroteRequestInfo) { wrote.Store(true) },
	}))
	host := hreq.URL.Host
	resp, err := r.client.Do(hreq)
	if err != nil {
		switch {
		case errors.Is(ctx.Err(), context.DeadlineExceeded):
			return bot.ActionResult{Outcome: bot.OutcomeTimedOut, Detail: "no answer from " + host + " in time"}
		case !wrote.Load():
			return bot.ActionResult{Outcome: bot.OutcomeFailed, Detail: "could not reach " + host}
		}
		return bot.ActionResult{Outcome: bot.OutcomeUnknown, Detail: "the call to " + host + " was cut off"}
	}
	defer resp.Body.Close()
	limit := call.MaxOutput
	if limit <= 0 {
		limit = bot.DefaultMaxOutput
	}
	out, err := io.ReadAll(io.LimitReader(resp.Body, int64(limit)))
	res := bot.ActionResult{Output: r.mask(string(out)), Detail: "HTTP " + fmt.Sprint(resp.StatusCode)}
	switch {
	case err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
		res.Outcome, res.Detail = bot.OutcomeTimedOut, res.Detail+", the answer did not come whole in time"
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		res.Outcome = bot.OutcomeSucceeded
	case resp.StatusCode == http.StatusBadGateway || resp.StatusCode == http.StatusGatewayTimeout:
		res.Outcome = bot.OutcomeUnknown
	default:
		res.Outcome = bot.OutcomeFailed
	}
	// What the call was and how it went, never its body or answer.
	r.log.Info("webhook call", "run", call.Run, "action", call.Action, "method", req.method, "host", host, "status", resp.StatusCode, "preview", call.Preview)
	return res
}

// mask takes the runner's own secrets out of text that goes back to the engine.
func (r *Runner) mask(s string) string {
	for _, secret := range r.secrets {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "[redacted]")
		}
	}
	return s
}

// Describe says what Run would send, without sending it: the method and URL, the headers (values
// masked, but for a few plain ones) and the body.
func (r *Runner) Describe(call bot.ActionCall) string {
	req, err := r.build(call)
	if err != nil {
		return "nothing would be sent: " + err.Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", req.method, r.mask(req.url))
	if r.key != nil {
		for _, h := range []string{HeaderID, HeaderTimestamp, HeaderSignature} {
			req.header.Set(h, "(set when sent)")
		}
		req.header.Set(HeaderID, call.IdempotencyKey)
	}
	keys := make([]string, 0, len(req.header))
	for k := range req.header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := req.header.Get(k)
		switch http.CanonicalHeaderKey(k) {
		case "Content-Type", "Accept", "User-Agent", "Idempotency-Key", "Webhook-Id", "Webhook-Timestamp", "Webhook-Signature":
		default:
			v = "[hidden]"
		}
		fmt.Fprintf(&b, "%s: %s\n", k, v)
	}
	if len(req.body) > 0 {
		b.WriteString("\n" + r.mask(string(req.body)) + "\n")
	}
	return b.String()
}
