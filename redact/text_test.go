package redact_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/firstline-desk/firstline/redact"
)

func TestStripControls(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "VPN error 809 on the hotel Wi-Fi", "VPN error 809 on the hotel Wi-Fi"},
		{"tab and newline kept", "line one\n\tline two", "line one\n\tline two"},
		{"right-to-left override", "invoice\u202Efdp.exe", "invoicefdp.exe"},
		{"every embedding, override and isolate", "a\u202Ab\u202Bc\u202Cd\u202De\u202Ef\u2066g\u2067h\u2068i\u2069j", "abcdefghij"},
		{"C0 controls", "bell\a nul\x00 esc\x1b[2J backspace\b", "bell nul esc[2J backspace"},
		{"DEL and C1 controls", "a\x7fb\u0085c\u009bd\u0080e", "abcde"},
		{"carriage returns", "one\r\ntwo\rthree\r", "one\ntwo\nthree\n"},
		{"invalid UTF-8", "caf\xe9 \xff", "caf\uFFFD \uFFFD"},
		{"Arabic kept", "لا أستطيع الاتصال بالشبكة", "لا أستطيع الاتصال بالشبكة"},
		{"Hebrew kept, with its marks", "\u200Fשלום, ה-VPN לא עובד\u200E 809", "\u200Fשלום, ה-VPN לא עובד\u200E 809"},
		{"Arabic letter mark and joiners kept", "\u061Cمرحبا\u200D👩\u200D💻", "\u061Cمرحبا\u200D👩\u200D💻"},
		{"override inside right-to-left text", "שלום\u202Eעולם", "שלוםעולם"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := redact.StripControls(tt.in); got != tt.want {
				t.Fatalf("StripControls(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if got := redact.Text(tt.in); got != tt.want {
				t.Fatalf("Text(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestTextFindsSecretsBehindControls: a control character inside a label or a secret does not hide it.
func TestTextFindsSecretsBehindControls(t *testing.T) {
	for _, in := range []string{
		"my pass\u202Eword is Tr0ub4dor&3x",
		"password:\x00 Tr0ub4dor&3x",
		"token xoxb-123456789012-\u20661234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
	} {
		got := redact.Text(in)
		if !strings.Contains(got, "[redacted") || strings.Contains(got, "Tr0ub4dor") || strings.Contains(got, "AbCdEfGh") {
			t.Errorf("Text(%q) = %q", in, got)
		}
	}
}

// fuzzSeeds reads the seeds saved for FuzzString, so FuzzText starts from every input that once broke
// redaction.
func fuzzSeeds(t testing.TB) []string {
	files, err := filepath.Glob("testdata/fuzz/FuzzString/*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no FuzzString seeds: %v", err)
	}
	var out []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(string(b), "\n") {
			if q, ok := strings.CutPrefix(l, "string("); ok {
				s, err := strconv.Unquote(strings.TrimSuffix(q, ")"))
				if err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				out = append(out, s)
			}
		}
	}
	return out
}

// FuzzText checks, for any text, that Text is idempotent (redacting twice is redacting once), that
// nothing StripControls removes survives it, that it keeps valid UTF-8 and makes invalid UTF-8 valid,
// and that every secret Find sees in the text without its controls is gone. Seeds: both corpora, each
// line also with a right-to-left override and a NUL in it, and the saved FuzzString inputs.
func FuzzText(f *testing.F) {
	var seeds []string
	for _, c := range readCorpus(f, "testdata/secrets.txt", true) {
		seeds = append(seeds, c.text)
	}
	for _, c := range readCorpus(f, "testdata/lookalikes.txt", false) {
		seeds = append(seeds, c.text)
	}
	for _, s := range seeds {
		f.Add(s)
		mid := len(s) / 2
		for mid > 0 && !utf8.RuneStart(s[mid]) {
			mid--
		}
		f.Add(s[:mid] + "\u202E" + s[mid:] + "\x00\r")
	}
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	markers := regexp.MustCompile(`\[redacted (?:password|token|card number|card security code|private key|recovery key|one-time code)\]`)
	cache := redact.NewCache(64)
	f.Fuzz(func(t *testing.T, s string) {
		out := redact.Text(s)
		if again := redact.Text(out); again != out {
			t.Fatalf("Text(%q) = %q, but Text of that is %q", s, out, again)
		}
		for range 2 { // a miss, then a hit
			if c := cache.Text(s); c != out {
				t.Fatalf("Cache.Text(%q) = %q, Text = %q", s, c, out)
			}
		}
		if c := cache.Text(out); c != out {
			t.Fatalf("Cache.Text(%q) = %q, want it unchanged", out, c)
		}
		if !utf8.ValidString(out) {
			t.Fatalf("Text(%q) = %q is not UTF-8", s, out)
		}
		for _, r := range out {
			if r < 0x20 && r != '\t' && r != '\n' || r >= 0x7f && r <= 0x9f || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 {
				t.Fatalf("Text(%q) = %q keeps the control %U", s, out, r)
			}
		}
		clean := redact.StripControls(s)
		kept := markers.Split(out, -1)
		for _, fd := range redact.Find(clean) {
			secret := clean[fd.Start:fd.End]
			if strings.Count(clean, secret) != 1 {
				continue // it may also be where it is no secret
			}
			for _, k := range kept {
				if strings.Contains(k, secret) {
					t.Fatalf("Text(%q) = %q: the %s %q survives", s, out, fd.Kind, secret)
				}
			}
		}
	})
}

// TestTextIsIdempotentOnTheCorpora runs every message of both corpora (and of the fuzz seeds) through
// Text twice, also with controls spliced in: the structural pass redacts what it stores again on every
// write, so a second pass must change nothing.
func TestTextIsIdempotentOnTheCorpora(t *testing.T) {
	var all []string
	for _, c := range readCorpus(t, "testdata/secrets.txt", true) {
		all = append(all, c.text)
	}
	for _, c := range readCorpus(t, "testdata/lookalikes.txt", false) {
		all = append(all, c.text)
	}
	all = append(all, fuzzSeeds(t)...)
	n := 0
	for _, s := range all {
		for _, in := range []string{s, "\u2067" + s + "\u2069", strings.ReplaceAll(s, " ", " \x1b")} {
			once := redact.Text(in)
			if twice := redact.Text(once); twice != once {
				t.Errorf("Text(%q) = %q, but Text of that is %q", in, once, twice)
			}
			n++
		}
	}
	t.Logf("%d texts redacted twice, unchanged the second time", n)
}
