package redact_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"testing/slogtest"

	"github.com/firstline-desk/firstline/redact"
)

// ticketView is a LogValuer, as domain types that log themselves are.
type ticketView struct{ id, subject string }

func (v ticketView) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", v.id), slog.String("subject", v.subject))
}

// config is a struct logged with slog.Any, whose printed form holds a token.
type config struct {
	Channel string
	Token   string
}

func TestHandler(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(redact.Handler(slog.NewJSONHandler(&buf, nil)))
	logger = logger.With("token", slackBot, "component", "bot").WithGroup("req").With(slog.Group("auth", "header", "Bearer "+jwt))
	logger.Info("user said my password is hunter22",
		"text", "password: hunter2",
		slog.Group("nested", slog.Group("deeper", "card", "4111 1111 1111 1111", "n", 42)),
		"err", fmt.Errorf("connect: %w", errors.New("postgres://app:Pg_S3cret!@db01/app refused")),
		"ticket", ticketView{id: "T-000123", subject: "pw is Sunfl0wer99"},
		"cfg", config{Channel: "C123", Token: github},
		"raw", []byte("api_key=0123456789abcdef0123456789abcdef"),
		"ok", "nothing secret here",
		"cardnum", int64(4111111111111111),
	)
	out := buf.String()
	for _, secret := range []string{slackBot, jwt, "hunter22", "hunter2", "4111 1111 1111 1111", "Pg_S3cret!", "Sunfl0wer99", github, "0123456789abcdef0123456789abcdef", "4111111111111111"} {
		if strings.Contains(out, secret) {
			t.Errorf("%q survives in %s", secret, out)
		}
	}
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	req, _ := got["req"].(map[string]any)
	for _, c := range []struct {
		name string
		got  any
		want any
	}{
		{"msg", got["msg"], "user said my password is [redacted password]"},
		{"token", got["token"], "[redacted token]"},
		{"component", got["component"], "bot"},
		{"req.auth.header", path(req, "auth", "header"), "Bearer [redacted token]"},
		{"req.text", req["text"], "password: [redacted password]"},
		{"req.nested.deeper.card", path(req, "nested", "deeper", "card"), "[redacted card number]"},
		{"req.nested.deeper.n", path(req, "nested", "deeper", "n"), 42.0},
		{"req.err", req["err"], "connect: postgres://app:[redacted password]@db01/app refused"},
		{"req.ticket.id", path(req, "ticket", "id"), "T-000123"},
		{"req.ticket.subject", path(req, "ticket", "subject"), "pw is [redacted password]"},
		{"req.cfg", req["cfg"], "{Channel:C123 Token:[redacted token]}"},
		{"req.raw", req["raw"], "api_key=[redacted token]"},
		{"req.ok", req["ok"], "nothing secret here"},
		{"req.cardnum", req["cardnum"], "[redacted card number]"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
}

func path(m map[string]any, keys ...string) any {
	var v any = m
	for _, k := range keys {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[k]
	}
	return v
}

// recorder keeps the records it is handed, to check what the wrapper passes on.
type recorder struct {
	level   slog.Level
	records []slog.Record
}

func (r *recorder) Enabled(_ context.Context, l slog.Level) bool { return l >= r.level }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.records = append(r.records, rec)
	return nil
}
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *recorder) WithGroup(string) slog.Handler      { return r }

func TestHandlerKeepsValuesWithoutSecrets(t *testing.T) {
	rec := &recorder{level: slog.LevelInfo}
	logger := slog.New(redact.Handler(rec))
	errPlain := errors.New("dial tcp 10.0.0.5:443: i/o timeout")
	logger.Debug("not enabled", "text", "password: hunter2")
	logger.Info("hello", "err", errPlain, "n", 7)
	if len(rec.records) != 1 {
		t.Fatalf("%d records passed on, want 1 (Debug is below the level)", len(rec.records))
	}
	r := rec.records[0]
	if r.Message != "hello" || r.NumAttrs() != 2 {
		t.Fatalf("record %q with %d attributes", r.Message, r.NumAttrs())
	}
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "err":
			if a.Value.Kind() != slog.KindAny || a.Value.Any() != errPlain {
				t.Errorf("err = %#v, want the error itself", a.Value.Any())
			}
		case "n":
			if a.Value.Kind() != slog.KindInt64 || a.Value.Int64() != 7 {
				t.Errorf("n = %v", a.Value)
			}
		}
		return true
	})
}

// TestHandlerConforms runs the standard library's checks for slog handlers on the wrapper.
func TestHandlerConforms(t *testing.T) {
	var buf bytes.Buffer
	slogtest.Run(t, func(*testing.T) slog.Handler {
		buf.Reset()
		return redact.Handler(slog.NewJSONHandler(&buf, nil))
	}, func(t *testing.T) map[string]any {
		var m map[string]any
		if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		return m
	})
}
