package redact

import (
	"strings"
	"unicode/utf8"
)

// Text returns s as the desk may store and post it: control characters neutralised (StripControls),
// then secrets redacted (String). It is the one function every stored or posted text goes through, and
// like String it is idempotent: Text(Text(s)) == Text(s). Controls go first, so a secret cannot hide
// from the detectors behind a bidi override or a NUL inside its label.
func Text(s string) string { return String(StripControls(s)) }

// StripControls removes the characters that let text in chat disguise itself or others: the bidi
// embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069), which make "txt.exe" read
// "exe.txt" on a card title; C0 controls but tab and newline (a carriage return becomes a newline);
// DEL; and C1 controls (U+0080–U+009F), which terminals take as escape sequences. Invalid UTF-8 becomes
// U+FFFD. Right-to-left text itself is kept: Arabic and Hebrew letters, and the marks that only hint at a
// direction (U+200E, U+200F, U+061C), are left as they are.
//
// A text without any of them, as nearly all are, is returned as it is without allocating.
func StripControls(s string) string {
	i := firstControl(s)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			b.WriteRune(utf8.RuneError)
		case r == '\r':
			if i+1 >= len(s) || s[i+1] != '\n' {
				b.WriteByte('\n')
			}
		case isControl(r):
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// isControl reports whether StripControls removes r.
func isControl(r rune) bool {
	switch {
	case r < 0x20:
		return r != '\t' && r != '\n'
	case r >= 0x7f && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// firstControl returns the index of the first byte StripControls changes, or -1. It looks at bytes, not
// runes: only ASCII controls, 0xC2 (the first byte of C1 controls), 0xE2 (the first byte of the bidi
// controls) and invalid UTF-8 need a closer look.
func firstControl(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c < 0x20:
			if c != '\t' && c != '\n' {
				return i
			}
		case c == 0x7f:
			return i
		case c < utf8.RuneSelf:
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size <= 1 || isControl(r) {
				return i
			}
			i += size - 1
		}
	}
	return -1
}
