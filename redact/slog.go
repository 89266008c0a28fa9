package redact

import (
	"context"
	"fmt"
	"log/slog"
)

// Handler returns a slog.Handler that redacts each record before passing it on to h: the message, every
// string value, the text of error values and of any other value whose printed form holds a secret (which
// is then logged as its redacted text), numbers long enough to be card numbers, in groups at any depth,
// in LogValuers' values and in attributes added with WithAttrs. Values without secrets are passed on
// as they are. Keys and group names are not redacted: they are written by programmers, not users.
func Handler(h slog.Handler) slog.Handler { return &handler{next: h} }

type handler struct{ next slog.Handler }

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, String(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(redactAttr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h *handler) WithAttrs(as []slog.Attr) slog.Handler {
	out := make([]slog.Attr, len(as))
	for i, a := range as {
		out[i] = redactAttr(a)
	}
	return &handler{next: h.next.WithAttrs(out)}
}

func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{next: h.next.WithGroup(name)}
}

func redactAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		if r := String(v.String()); r != v.String() {
			v = slog.StringValue(r)
		}
	case slog.KindGroup:
		g := v.Group()
		out := make([]slog.Attr, len(g))
		for i, a := range g {
			out[i] = redactAttr(a)
		}
		v = slog.GroupValue(out...)
	case slog.KindInt64, slog.KindUint64:
		// A card number logged as a number.
		if text := v.String(); len(text) >= 13 && String(text) != text {
			v = slog.StringValue(String(text))
		}
	case slog.KindAny:
		// Errors and other values keep their type (and so their formatting downstream) unless their
		// text holds a secret.
		var text string
		switch x := v.Any().(type) {
		case []byte:
			text = string(x)
		default:
			text = fmt.Sprintf("%+v", x)
		}
		if r := String(text); r != text {
			v = slog.StringValue(r)
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
