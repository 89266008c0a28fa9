package kb_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/firstline-desk/firstline/kb"
)

// FuzzSearch checks that no query, however odd, breaks a search: hits are
// sorted, confidences are in 0..1, and a query the analyzer finds nothing in
// returns nothing. `go test` runs the seeds; `go test -fuzz FuzzSearch ./kb`
// explores.
func FuzzSearch(f *testing.F) {
	for _, seed := range []string{
		"", "?!", "how do I", "vpn", "wi-fi", "0x80070005", "file.pst", "o365 2fa", "pasword",
		"日本語", "Drucker für Büro", "a-b-c-d-e-f", "'''", "--", "e-mail's", strings.Repeat("printer ", 200),
		"\x00\xff\xfe", "\u200b\u00ad", "x" + strings.Repeat("y", 300),
	} {
		f.Add(seed)
	}
	ix := kb.Build(mustReadFixtures(f), kb.Options{Synonyms: map[string][]string{"pw": {"password"}, "vpn": {"virtual private network"}}})
	f.Fuzz(func(t *testing.T, query string) {
		hits := ix.Search(query, 0)
		if len(kb.Analyze(query)) == 0 && len(hits) != 0 {
			t.Fatalf("Search(%q) = %v for a query with no terms", query, hits)
		}
		for i, h := range hits {
			if h.Confidence < 0 || h.Confidence > 1 || h.Score <= 0 {
				t.Fatalf("Search(%q) hit %d = %+v", query, i, h)
			}
			if i > 0 && h.Score > hits[i-1].Score {
				t.Fatalf("Search(%q) not sorted: %v", query, hits)
			}
		}
		_ = ix.QueryTerms(query)
	})
}

// FuzzParse checks article files: no input makes Parse panic, and an article it accepts survives a round
// trip through Markdown unchanged (what `kb export` writes, `kb import` reads back).
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"+++\nid = \"vpn\"\ntitle = \"VPN\"\n+++\nbody",
		"+++\nid = \"a\"\ntitle = \"A\"\ntags = [\"x\", \"y\"]\naliases = [\"z\"]\nupdated = 2026-09-14\n+++\n# Heading\n\n- item\n",
		"+++\n+++\n", "", "+++", "no front matter", "+++\nid = 1\n+++\n", "+++\r\nid = \"crlf\"\r\ntitle = \"T\"\r\n+++\r\nx\r\n",
		"+++\nid = \"a\"\ntitle = \"\"\"multi\nline\"\"\"\n+++\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data string) {
		a, err := kb.Parse([]byte(data))
		if err != nil {
			return
		}
		b, err := kb.Parse(a.Markdown())
		if err != nil {
			t.Fatalf("an accepted article does not parse back: %v\n%s", err, a.Markdown())
		}
		if !reflect.DeepEqual(normalized(a), normalized(b)) {
			t.Fatalf("round trip changed the article:\n%+v\n%+v", a, b)
		}
	})
}

func normalized(a kb.Article) kb.Article {
	if len(a.Tags) == 0 {
		a.Tags = nil
	}
	if len(a.Aliases) == 0 {
		a.Aliases = nil
	}
	a.Updated = a.Updated.UTC()
	return a
}
