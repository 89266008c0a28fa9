package kb_test

import (
	"slices"
	"testing"

	"github.com/firstline-desk/firstline/kb"
)

func TestAnalyze(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string
	}{
		{name: "lower-case, stop words out", text: "How do I Reset my PASSWORD?", want: []string{"reset", "password"}},
		{name: "only stop words", text: "how do I do it?", want: nil},
		{name: "empty", text: "", want: nil},
		{name: "hyphenated: whole, joined, parts", text: "Wi-Fi", want: []string{"wi-fi", "wifi", "wi", "fi"}},
		{name: "joined form is stemmed", text: "e-mails", want: []string{"e-mails", "email", "e", "mail"}},
		{name: "stop word part dropped", text: "sign-in", want: []string{"sign-in", "signin", "sign"}},
		{name: "letters and digits stay one term", text: "o365 2fa 0x80070005", want: []string{"o365", "2fa", "0x80070005"}},
		{name: "file extension", text: "open the .pst", want: []string{"open", "pst"}},
		{name: "dotted compound is not joined", text: "file.pst 802.1x", want: []string{"file.pst", "file", "pst", "802.1x", "802", "1x"}},
		{name: "sentence dot is not a connector", text: "printer. Then", want: []string{"printer"}},
		{name: "possessive and contraction", text: "user's laptop doesn't boot", want: []string{"user", "laptop", "boot"}},
		{name: "curly apostrophe", text: "Alice’s phone", want: []string{"alic", "phone"}},
		{name: "plurals", text: "printers policies passwords boxes", want: []string{"printer", "polici", "password", "box"}},
		{name: "-ing and -ed", text: "connecting connected connects", want: []string{"connect", "connect", "connect"}},
		{name: "final e and doubled consonant", text: "update updated updating setting", want: []string{"updat", "updat", "updat", "set"}},
		{name: "acronyms and short words keep their s", text: "dns status gas", want: []string{"dns", "status", "gas"}},
		{name: "derivations meet (Porter2)", text: "deletion delete deleting", want: []string{"delet", "delet", "delet"}},
		{name: "no vowel, no -ing cut", text: "string thing", want: []string{"string", "thing"}},
		{name: "unicode letters", text: "Drucker für Büro, 日本語", want: []string{"drucker", "für", "büro", "日本語"}},
		{name: "very long tokens dropped", text: "key aGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8", want: []string{"key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := kb.Analyze(tt.text); !slices.Equal(got, tt.want) {
				t.Fatalf("Analyze(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}
