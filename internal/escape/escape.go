// Package escape makes text from outside (what people typed in chat, article titles, file names) safe to
// show on a terminal or in a page: control characters and bidirectional overrides are written as visible
// escapes instead of being sent raw. A raw ESC or CSI can clear the operator's screen, retitle the window,
// write the clipboard (OSC 52) or hide text; a bidi override (U+202E) makes text read in another order
// than it is stored. Newlines and tabs pass as they are: they are the layout of the output.
//
// The escapes are Go's and JSON's: \x1b for C0 controls and DEL, \u009b for C1 controls and the bidi
// controls, \xff for a byte that is not UTF-8. Inside a JSON string (encoding/json already escapes C0 and
// replaces bad UTF-8, but passes C1 and bidi controls raw) the \u form is the same string, so JSON output
// may go through a Writer and stay valid, decoding to exactly what it held.
package escape

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode/utf8"
)

// Unsafe reports whether r is written escaped: a C0 control other than newline and tab, DEL, a C1
// control, or a bidirectional formatting character (embeddings, overrides and isolates U+202A-U+202E and
// U+2066-U+2069, the marks U+200E, U+200F and U+061C).
func Unsafe(r rune) bool {
	switch {
	case r == '\n' || r == '\t':
		return false
	case r < 0x20 || r >= 0x7f && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true
	}
	return false
}

// String returns s with every unsafe rune (see Unsafe) and every byte that is not UTF-8 escaped.
func String(s string) string {
	if clean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	appendEscaped(&b, s)
	return b.String()
}

// clean reports whether s needs no escaping: the common case, checked without allocating.
func clean(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\n' && c != '\t' || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || Unsafe(r) {
			return false
		}
		i += size
	}
	return true
}

func appendEscaped(b *strings.Builder, s string) {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(b, `\x%02x`, s[i])
		case r < 0x20 || r == 0x7f:
			if Unsafe(r) {
				fmt.Fprintf(b, `\x%02x`, r)
			} else {
				b.WriteRune(r)
			}
		case Unsafe(r):
			fmt.Fprintf(b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
}

// Writer escapes everything written through it (see String) before passing it on. A rune split between
// two writes is kept until the next one completes it; Flush writes what is left (a sequence that never
// completed, escaped byte by byte). It is safe for concurrent use.
type Writer struct {
	mu      sync.Mutex
	w       io.Writer
	partial []byte // the start of a multi-byte rune that the last write ended with
}

// NewWriter returns a Writer escaping onto w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Unwrap returns the writer it escapes onto.
func (e *Writer) Unwrap() io.Writer { return e.w }

// Write escapes p onto the underlying writer. It reports len(p) written when the escaped text was.
func (e *Writer) Write(p []byte) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	data := p
	if len(e.partial) > 0 {
		data = append(e.partial, p...)
		e.partial = nil
	}
	// Keep back an incomplete rune at the end: the next write may complete it.
	if cut := incompleteTail(data); cut < len(data) {
		e.partial = append([]byte(nil), data[cut:]...)
		data = data[:cut]
	}
	s := string(data)
	if !clean(s) {
		s = String(s)
	}
	if _, err := io.WriteString(e.w, s); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes a rune left incomplete by the last write, escaped.
func (e *Writer) Flush() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.partial) == 0 {
		return nil
	}
	s := String(string(e.partial))
	e.partial = nil
	_, err := io.WriteString(e.w, s)
	return err
}

// incompleteTail returns where an incomplete UTF-8 sequence at the end of b starts, or len(b).
func incompleteTail(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		c := b[i]
		if c < utf8.RuneSelf {
			return len(b) // ASCII: complete
		}
		if utf8.RuneStart(c) {
			if utf8.FullRune(b[i:]) {
				return len(b)
			}
			return i
		}
	}
	return len(b)
}
