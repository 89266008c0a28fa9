package escape_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/firstline-desk/firstline/internal/escape"
)

func TestString(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"plain", "VPN token rejected — naïve café 日本", "VPN token rejected — naïve café 日本"},
		{"layout stays", "a\tb\nc", "a\tb\nc"},
		{"clear screen", "\x1b[2J\x1b[H", `\x1b[2J\x1b[H`},
		{"title", "\x1b]0;pwned\x07", `\x1b]0;pwned\x07`},
		{"clipboard", "\x1b]52;c;cm0gLXJmIH4=\x1b\\", `\x1b]52;c;cm0gLXJmIH4=\x1b\`},
		{"carriage return", "ok\rhidden", `ok\x0dhidden`},
		{"delete and NUL", "a\x7fb\x00", `a\x7fb\x00`},
		{"C1 CSI", "x\u009b2Jy", `x\u009b2Jy`},
		{"bidi override", "invoice\u202egnp.exe", `invoice\u202egnp.exe`},
		{"isolates and marks", "\u2066\u2067\u2068\u2069\u200e\u200f\u061c", `\u2066\u2067\u2068\u2069\u200e\u200f\u061c`},
		{"not UTF-8", "a\xffb\x9b", `a\xffb\x9b`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := escape.String(tc.in); got != tc.want {
				t.Fatalf("String(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestWriterSplitRunes: a rune split across writes is escaped (or passed) as a whole, and what never
// completes is escaped at Flush.
func TestWriterSplitRunes(t *testing.T) {
	var out bytes.Buffer
	w := escape.NewWriter(&out)
	in := []byte("é\u202e日\u009bz")
	for i := range in {
		w.Write(in[i : i+1])
	}
	w.Write([]byte{0xe6, 0x97}) // the start of 日, never finished
	w.Flush()
	if want := `é\u202e日\u009bz\xe6\x97`; out.String() != want {
		t.Fatalf("got %q, want %q", out.String(), want)
	}
}

// TestJSONThroughWriter: encoding/json passes C1 and bidi controls raw; through a Writer they become \u
// escapes, and the output still decodes to exactly the text.
func TestJSONThroughWriter(t *testing.T) {
	subject := "a\u202eb\u009bc\x1b[2J\u2066d\u061c"
	var out bytes.Buffer
	w := escape.NewWriter(&out)
	json.NewEncoder(w).Encode(map[string]string{"subject": subject})
	for _, r := range out.String() {
		if escape.Unsafe(r) {
			t.Fatalf("raw %U in %q", r, out.String())
		}
	}
	var back map[string]string
	if err := json.Unmarshal(out.Bytes(), &back); err != nil || back["subject"] != subject {
		t.Fatalf("decoded %q (%v), want %q", back["subject"], err, subject)
	}
	if !strings.Contains(out.String(), `\u202e`) {
		t.Fatalf("no visible escape in %s", out.String())
	}
}
