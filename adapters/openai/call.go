package openai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"time"

	openaiapi "github.com/sashabaranov/go-openai"

	"github.com/firstline-desk/firstline/bot"
)

// maxBackoff caps the computed backoff; maxRetryAfter is the longest Retry-After waited for when the
// caller set no deadline (with one, a wait that would pass it ends the retries instead).
const (
	maxBackoff    = 10 * time.Second
	maxRetryAfter = time.Minute
)

// call describes one call for admission, accounting and the log.
type call struct {
	purpose, user, model string
	counted              bool // counts against the hourly limits
	texts                int  // embeddings: how many texts
}

// result is what a successful attempt reports.
type result struct {
	promptTokens, completionTokens int
	finish                         string
}

// failure is an attempt's error translated for the caller and the retry loop.
type failure struct {
	err   *bot.Error
	retry bool // another attempt may succeed
	// endpoint is true when the failure is the endpoint's (down, slow, refusing, malformed), so it counts
	// towards opening the circuit; false for a bad request or a caller that cancelled.
	endpoint   bool
	retryAfter time.Duration
}

// replyError is a response that arrived but is unusable (no choices, no content, wrong vector count).
type replyError struct {
	msg   string
	retry bool
}

func (e *replyError) Error() string { return e.msg }

// run sends a call: it asks admit, makes attempts until one succeeds, the error is not worth retrying,
// MaxRetries is spent or ctx's deadline would pass during the backoff, then settles the breaker, counts
// and logs the call in one line, and tells OnCall.
func (c *Client) run(ctx context.Context, k call, attempt func(ctx context.Context) (result, error)) error {
	start := time.Now()
	t, refused := c.admit(k.purpose, k.user, k.counted)
	if refused != nil {
		outcome := OutcomeLimited
		if refused.Code == bot.EUNAVAILABLE {
			outcome = OutcomeCircuitOpen
		}
		c.finish(k, CallInfo{Outcome: outcome, Code: refused.Code}, refused, "", time.Time{})
		return refused
	}

	var (
		res      result
		err      error
		f        failure
		attempts int
	)
	for {
		attempts++
		hold := &attemptState{}
		actx, cancel := context.WithTimeout(context.WithValue(ctx, attemptKey{}, hold), c.cfg.Timeout)
		res, err = attempt(actx)
		timedOut := errors.Is(actx.Err(), context.DeadlineExceeded)
		cancel()
		if err == nil {
			break
		}
		f = c.classify(ctx, err, timedOut, hold)
		if !f.retry || attempts > c.cfg.MaxRetries || !c.backoff(ctx, attempts, f.retryAfter) {
			break
		}
	}

	info := CallInfo{Attempts: attempts, Latency: time.Since(start)}
	var outErr error
	if err == nil {
		info.Outcome, info.PromptTokens, info.CompletionTokens, info.FinishReason = OutcomeOK, res.promptTokens, res.completionTokens, res.finish
	} else {
		info.Outcome, info.Code, outErr = OutcomeFailed, f.err.Code, f.err
	}
	transition, until := c.settle(t, err == nil, err != nil && f.endpoint)
	c.finish(k, info, outErr, transition, until)
	return outErr
}

// finish counts, logs and reports a call.
func (c *Client) finish(k call, info CallInfo, err error, transition string, until time.Time) {
	info.Purpose, info.Model, info.User = k.purpose, k.model, k.user
	c.mu.Lock()
	if info.Attempts > 0 {
		c.count(k.purpose, func(n *Counts) {
			n.Calls++
			n.Retries += int64(info.Attempts - 1)
			n.PromptTokens += int64(info.PromptTokens)
			n.CompletionTokens += int64(info.CompletionTokens)
			n.Latency += info.Latency
			if info.Outcome == OutcomeFailed {
				n.Failures++
			}
		})
	}
	c.mu.Unlock()

	// One line per call, numbers only: never the prompt, the reply or the key. The error messages are
	// this package's own, which carry the endpoint's status and error type but not its free text (a
	// server's validation error may quote the request).
	attrs := []slog.Attr{
		slog.String("purpose", k.purpose), slog.String("model", k.model), slog.String("outcome", info.Outcome),
		slog.Int("attempts", info.Attempts), slog.Duration("latency", info.Latency),
		slog.Int("prompt_tokens", info.PromptTokens), slog.Int("completion_tokens", info.CompletionTokens),
	}
	if k.user != "" {
		attrs = append(attrs, slog.String("user", k.user))
	}
	if k.texts > 0 {
		attrs = append(attrs, slog.Int("texts", k.texts))
	}
	if info.FinishReason != "" {
		attrs = append(attrs, slog.String("finish_reason", info.FinishReason))
	}
	level := slog.LevelInfo
	if err != nil {
		attrs = append(attrs, slog.String("code", info.Code), slog.String("err", err.Error()))
		if info.Outcome == OutcomeFailed {
			level = slog.LevelWarn
		}
	}
	c.log.LogAttrs(context.Background(), level, "model call", attrs...)
	switch transition {
	case BreakerOpen:
		c.log.Warn("model endpoint failing: circuit open, calls fail fast until the cooldown ends",
			"failures", c.cfg.BreakerFailures, "open_until", until.Format(time.TimeOnly))
	case BreakerClosed:
		c.log.Info("model endpoint answering again: circuit closed")
	}
	if c.cfg.OnCall != nil {
		c.cfg.OnCall(info)
	}
}

// backoff sleeps before retry number n (1 for the first): exponential with jitter, or the endpoint's
// Retry-After when that is longer. It returns false without sleeping when the wait would pass ctx's
// deadline (or, without one, exceed maxRetryAfter), and false when ctx ends during the wait.
func (c *Client) backoff(ctx context.Context, n int, retryAfter time.Duration) bool {
	d := c.cfg.RetryBackoff << (n - 1)
	if d > maxBackoff || d <= 0 {
		d = maxBackoff
	}
	d = d/2 + rand.N(d/2+1) // "equal jitter": never zero, and retries of many calls spread out
	if retryAfter > d {
		d = retryAfter
	}
	if deadline, ok := ctx.Deadline(); ok {
		if time.Until(deadline) < d {
			return false
		}
	} else if d > maxRetryAfter {
		return false
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// classify translates an attempt's error. ctx is the call's context, timedOut whether the attempt's own
// timeout ended it.
func (c *Client) classify(ctx context.Context, err error, timedOut bool, hold *attemptState) failure {
	unavailable := func(retry bool, format string, args ...any) failure {
		return failure{err: bot.Errorf(bot.EUNAVAILABLE, format, args...), retry: retry, endpoint: true, retryAfter: hold.retryAfter}
	}
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		return failure{err: bot.Errorf(bot.EUNAVAILABLE, "model call cancelled")}
	case ctx.Err() != nil:
		return unavailable(false, "model endpoint did not answer before the caller's deadline")
	case timedOut:
		return unavailable(true, "model endpoint did not answer within %s", c.cfg.Timeout)
	}

	var (
		apiErr *openaiapi.APIError
		reqErr *openaiapi.RequestError
		reply  *replyError
		status int
		kind   string
	)
	switch {
	case errors.As(err, &apiErr) && apiErr.HTTPStatusCode != 0:
		status, kind = apiErr.HTTPStatusCode, errorKind(apiErr)
	case errors.As(err, &reqErr):
		status = reqErr.HTTPStatusCode
	case errors.As(err, &reply):
		return unavailable(reply.retry, "model endpoint: %s", reply.msg)
	case errors.As(err, new(*json.SyntaxError)), errors.As(err, new(*json.UnmarshalTypeError)), errors.Is(err, io.ErrUnexpectedEOF):
		return unavailable(true, "model endpoint sent a malformed or cut-off response")
	case errors.Is(err, openaiapi.ErrChatCompletionInvalidModel):
		return failure{err: bot.Errorf(bot.EINVALID, "model %q is not a chat model", c.cfg.Model)}
	case errors.As(err, new(*url.Error)), errors.As(err, new(net.Error)), errors.Is(err, io.EOF):
		return unavailable(true, "cannot reach the model endpoint: %v", err)
	case errors.As(err, new(*openaiapi.APIError)):
		// An error object inside a stream (status 200): the endpoint failed while answering.
		return unavailable(true, "model endpoint failed while streaming%s", kindSuffix(errorKind(apiErr)))
	default:
		return unavailable(true, "model call failed: %v", err)
	}

	desc := fmt.Sprintf("%d %s%s", status, http.StatusText(status), kindSuffix(kind))
	switch {
	case status == http.StatusTooManyRequests && kind == "insufficient_quota":
		return unavailable(false, "model endpoint refused the call (%s): the API account is out of quota", desc)
	case status == http.StatusTooManyRequests:
		return unavailable(true, "model endpoint is rate limiting (%s)", desc)
	case status == http.StatusRequestTimeout || status >= 500:
		return unavailable(true, "model endpoint failed (%s)", desc)
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return unavailable(false, "model endpoint refused the API key (%s): check api_key", desc)
	case status == http.StatusNotFound:
		return unavailable(false, "model endpoint answered %s: check base_url (most servers want it to end in /v1) and the model or deployment name", desc)
	default:
		// The request's own fault (too long, a parameter this server rejects): another request may pass,
		// so the endpoint is not counted as failing.
		return failure{err: bot.Errorf(bot.EINVALID, "model endpoint rejected the request (%s)", desc)}
	}
}

// identifier matches the error types and codes worth repeating; anything else from the endpoint is
// left out of messages.
var identifier = regexp.MustCompile(`^[A-Za-z0-9_.\-]{1,64}$`)

// errorKind is an API error's code, or else its type ("context_length_exceeded", "server_error").
func errorKind(e *openaiapi.APIError) string {
	if e == nil {
		return ""
	}
	var code string
	switch v := e.Code.(type) {
	case string:
		code = v
	case int:
		if v != 0 { // go-openai turns "code": null into 0
			code = strconv.Itoa(v)
		}
	}
	for _, s := range []string{code, e.Type} {
		if identifier.MatchString(s) {
			return s
		}
	}
	return ""
}

func kindSuffix(kind string) string {
	if kind == "" {
		return ""
	}
	return ", " + kind
}

// attemptKey carries an attemptState in an attempt's request context to retryAfterDoer.
type attemptKey struct{}

// attemptState is what retryAfterDoer learned about an attempt's response.
type attemptState struct {
	retryAfter time.Duration
}

// retryAfterDoer is the http client handed to go-openai. go-openai's errors (*APIError, *RequestError)
// keep the status but not the response headers, and its streaming calls return no response on an error
// at all, so Retry-After is read here, on the way through, into the attempt's state.
type retryAfterDoer struct{ client *http.Client }

func (d retryAfterDoer) Do(req *http.Request) (*http.Response, error) {
	resp, err := d.client.Do(req)
	if err == nil && resp.StatusCode >= 400 {
		if hold, ok := req.Context().Value(attemptKey{}).(*attemptState); ok {
			hold.retryAfter = retryAfter(resp.Header, time.Now())
		}
	}
	return resp, err
}

// retryAfter reads Azure's retry-after-ms, or Retry-After in seconds or as an HTTP date.
func retryAfter(h http.Header, now time.Time) time.Duration {
	if ms, err := strconv.ParseFloat(h.Get("Retry-After-Ms"), 64); err == nil && ms > 0 {
		return time.Duration(ms * float64(time.Millisecond))
	}
	v := h.Get("Retry-After")
	if s, err := strconv.ParseFloat(v, 64); err == nil && s > 0 {
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
