package alerts

// Reading a payload: JSON decoded into its shape, with every problem said in a sentence that names the
// field, for whoever set up the monitor.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"
)

// Bounds of what one notification may say, beyond the body's size: a key or a label is an identifier,
// not a document.
const (
	maxAlerts     = 5000
	maxKey        = 1024
	maxLabels     = 64
	maxLabelName  = 128
	maxLabelValue = 4096
)

// decode reads body, one JSON object, into v. strict refuses fields v does not have (Firstline's own
// shape, where an unknown field is a typo); Alertmanager's may grow fields, which are ignored.
func decode(body []byte, v any, strict bool) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return errors.New("the body is empty: it must be a JSON object")
	}
	if !utf8.Valid(body) {
		return errors.New("the body is not UTF-8 text")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		return jsonProblem(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("the body holds more than one JSON value: send one object")
	}
	return nil
}

// jsonProblem says what is wrong with a body that did not decode.
func jsonProblem(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Errorf("the body is not valid JSON (at byte %d)", syntax.Offset)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return fmt.Errorf("the body must be a JSON object, not %s", typ.Value)
		}
		return fmt.Errorf("%s: %s, where %s was expected", typ.Field, typ.Value, kindName(typ.Type))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("the body is not valid JSON: it ends too soon")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return fmt.Errorf("unknown field %s", clipName(strings.TrimPrefix(err.Error(), "json: unknown field ")))
	}
	return fmt.Errorf("the body is not a notification: %s", strings.TrimPrefix(err.Error(), "json: "))
}

// kindName says what a Go type holds, in JSON's words.
func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64, reflect.Uint64, reflect.Uint, reflect.Int32, reflect.Uint32:
		return "a whole number"
	}
	return "another type"
}

// parseTime reads an RFC 3339 time; "" and Go's zero time (Alertmanager's endsAt of a firing alert) are
// the zero time.
func parseTime(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: not a time like \"2026-11-02T09:00:00Z\" (RFC 3339)", field)
	}
	if t.Year() <= 1 {
		return time.Time{}, nil
	}
	return t, nil
}

// checkLabels bounds a map of labels or annotations.
func checkLabels(field string, m map[string]string, value int) error {
	if len(m) > maxLabels {
		return fmt.Errorf("%s: %d entries; at most %d", field, len(m), maxLabels)
	}
	for k, v := range m {
		switch {
		case k == "" || len(k) > maxLabelName:
			return fmt.Errorf("%s: a name must be 1 to %d bytes", field, maxLabelName)
		case len(v) > value:
			return fmt.Errorf("%s.%s: longer than %d bytes", field, clipName(k), value)
		}
	}
	return nil
}

// clipName bounds a name from the payload quoted in a refusal.
func clipName(s string) string {
	if len(s) <= 64 {
		return s
	}
	for i := 61; i > 0; i-- {
		if utf8.RuneStart(s[i]) {
			return s[:i] + "..."
		}
	}
	return "..."
}
