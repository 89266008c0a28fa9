package redact_test

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/firstline-desk/firstline/redact"
)

// FuzzString checks, for any text, that redaction does not panic; that its findings are ordered,
// separate and within the text; that a secret it found is gone from the output; that redacting the
// output again changes nothing; and that valid UTF-8 stays valid. `go test` runs the seeds (the corpora
// and testdata/fuzz/FuzzString); `go test -fuzz FuzzString -parallel=1 ./redact/` explores.
func FuzzString(f *testing.F) {
	for _, c := range readCorpus(f, "testdata/secrets.txt", true) {
		f.Add(c.text)
	}
	for _, c := range readCorpus(f, "testdata/lookalikes.txt", false) {
		f.Add(c.text)
	}
	markers := regexp.MustCompile(`\[redacted (?:password|token|card number|card security code|private key|recovery key|one-time code)\]`)
	f.Fuzz(func(t *testing.T, s string) {
		out := redact.String(s)
		fs := redact.Find(s)
		if len(fs) == 0 && out != s {
			t.Fatalf("String(%q) = %q without findings", s, out)
		}
		at := 0
		for _, f := range fs {
			if f.Start < at || f.End <= f.Start || f.End > len(s) {
				t.Fatalf("Find(%q) = %+v: out of order, empty or out of range", s, fs)
			}
			at = f.End
		}
		kept := markers.Split(out, -1) // the text between the markers
		for _, f := range fs {
			secret := s[f.Start:f.End]
			if strings.Count(s, secret) != 1 {
				continue // it may also be where it is no secret
			}
			for _, k := range kept {
				if strings.Contains(k, secret) {
					t.Fatalf("String(%q) = %q: the %s %q survives", s, out, f.Kind, secret)
				}
			}
		}
		if again := redact.String(out); again != out {
			t.Fatalf("String(%q) = %q, but String of that is %q", s, out, again)
		}
		if utf8.ValidString(s) && !utf8.ValidString(out) {
			t.Fatalf("String(%q) = %q is not UTF-8", s, out)
		}
	})
}
