package kb_test

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/firstline-desk/firstline/kb"
)

func TestIDFromTitle(t *testing.T) {
	tests := []struct {
		name, title, want string
	}{
		{name: "words", title: "Reset your password", want: "reset-your-password"},
		{name: "punctuation and spaces", title: "  VPN -- keeps   dropping!! (Windows 11) ", want: "vpn-keeps-dropping-windows-11"},
		{name: "apostrophes join", title: "Can't print? Don’t panic", want: "cant-print-dont-panic"},
		{name: "accents", title: "Café Wi-Fi: Ärger mit Straße, Łódź", want: "cafe-wi-fi-arger-mit-strasse-lodz"},
		{name: "other scripts dropped", title: "VPN для дома 2", want: "vpn-2"},
		{name: "no letters", title: "!!! ??? …", want: ""},
		{name: "only other scripts", title: "打印机", want: ""},
		{name: "empty", title: "", want: ""},
		{
			name:  "cut at a word boundary",
			title: "How to configure the corporate VPN client on a personally owned laptop",
			want:  "how-to-configure-the-corporate-vpn-client-on-a-personally", // 58 bytes; "-owned" would make 64
		},
		{name: "exactly sixty", title: strings.Repeat("a", 29) + " " + strings.Repeat("b", 30), want: strings.Repeat("a", 29) + "-" + strings.Repeat("b", 30)},
		{name: "one long word is cut", title: strings.Repeat("x", 70) + " tail", want: strings.Repeat("x", 60)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := kb.IDFromTitle(tt.title); got != tt.want {
				t.Fatalf("IDFromTitle(%q) = %q, want %q", tt.title, got, tt.want)
			}
		})
	}
}

func FuzzIDFromTitle(f *testing.F) {
	for _, s := range []string{"", "Reset your password", "Café Łódź", "!!!", "打印机 2", strings.Repeat("ab ", 40), "Can't"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, title string) {
		id := kb.IDFromTitle(title)
		if len(id) > 60 {
			t.Fatalf("IDFromTitle(%q) = %q, %d bytes", title, id, len(id))
		}
		if id != "" && !isID(id) {
			t.Fatalf("IDFromTitle(%q) = %q, not an article id", title, id)
		}
		if id == "" && strings.ContainsFunc(title, func(r rune) bool { return r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)) }) {
			t.Fatalf("IDFromTitle(%q) = \"\", but the title has ASCII letters or digits", title)
		}
	})
}

// isID is kb's id rule, ^[a-z0-9][a-z0-9._-]{0,99}$, written out here so the tests do not
// trust the code they test.
func isID(id string) bool {
	if id == "" || len(id) > kb.MaxIDLength {
		return false
	}
	for i, c := range []byte(id) {
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || i > 0 && (c == '.' || c == '_' || c == '-')
		if !ok {
			return false
		}
	}
	return true
}
