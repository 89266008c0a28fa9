package kbeval_test

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/firstline-desk/firstline/kb"
	"github.com/firstline-desk/firstline/kb/kbeval"
)

// The evaluation files are JSON Lines written by people and scripts. These fuzzers read arbitrary bytes
// as a corpus and as queries and check the readers' contract: every non-blank line is either taken or
// reported, by its 1-based number; what is taken has an id and a title (or text) and no repeated id; and
// the result does not depend on how the reader delivers the bytes. With long set, the first line is
// padded past the 64 KiB read buffer so the long-line path is covered too.

// longPad is leading white space that pushes the first line past the readers' 64 KiB buffer.
var longPad = bytes.Repeat([]byte(" "), 70_000)

func FuzzReadCorpus(f *testing.F) {
	for _, s := range []string{
		`{"id": "vpn", "title": "Connect to the VPN", "body": "Open the VPN client and sign in."}` + "\n" +
			`{"id": "printer", "title": "Add a printer", "body": "Settings > Printers > Add."}`,
		`{"id": "vpn", "title": "VPN"}` + "\n\n   \n" + `{"id": "vpn", "title": "again"}` + "\r\n" + `{"id": "", "title": "no id"}`,
		`{"id": 7, "title": "number id"}` + "\n" + `["not", "an", "object"]` + "\n" + `{"id": "x", "title": "unterminated`,
		`{"id": "x", "title": " "}` + "\n" + `{"id": "y", "title": "T", "body": "\u00e9\ud83d\ude00", "extra": true}`,
		"\n\n", "", "\xef\xbb\xbf{\"id\": \"bom\", \"title\": \"BOM\"}", `{"id": "a", "title": "A"} {"id": "b", "title": "B"}`,
	} {
		f.Add([]byte(s), false)
	}
	f.Add([]byte(`{"id": "long", "title": "Long line", "body": "x"}`+"\n"+`{"id": "short", "title": "S"}`), true)
	f.Fuzz(func(t *testing.T, data []byte, long bool) {
		if long {
			data = append(append([]byte(nil), longPad...), data...)
		}
		articles, bad, err := kbeval.ReadCorpus(bytes.NewReader(data))
		if err != nil && !errors.Is(err, kbeval.ErrNoArticles) {
			t.Fatalf("ReadCorpus failed on an in-memory reader: %v", err)
		}
		if (len(articles) == 0) != (err != nil) {
			t.Fatalf("ReadCorpus = %d articles, error %v", len(articles), err)
		}
		checkLines(t, data, len(articles), bad)
		seen := map[string]bool{}
		for _, a := range articles {
			if strings.TrimSpace(a.ID) == "" || strings.TrimSpace(a.Title) == "" || seen[a.ID] {
				t.Fatalf("ReadCorpus took %+v", a)
			}
			seen[a.ID] = true
		}

		// The streaming reader, fed a byte at a time (or, for a long input, in halves), reads the same.
		var r io.Reader = iotest.OneByteReader(bytes.NewReader(data))
		if len(data) > 4096 {
			r = iotest.HalfReader(bytes.NewReader(data))
		}
		cr := kbeval.NewCorpusReader(r)
		var streamed []kb.Article
		for {
			a, err := cr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("CorpusReader.Next: %v", err)
			}
			streamed = append(streamed, a)
		}
		if !reflect.DeepEqual(streamed, articles) || !reflect.DeepEqual(cr.Bad, bad) {
			t.Fatalf("read in small pieces, the corpus differs:\n%+v %+v\n%+v %+v", streamed, cr.Bad, articles, bad)
		}
	})
}

func FuzzReadQueries(f *testing.F) {
	for _, s := range []string{
		`{"id": "q1", "text": "vpn client", "relevant": ["vpn"]}` + "\n" + `{"id": "q2", "text": "add printers", "relevant": ["printer"]}`,
		`{"id": "q3", "text": "how do I expense a taxi"}` + "\n" + `{"id": "q4", "text": "wifi", "relevant": []}`,
		`{"id": "q1", "text": "dup"}` + "\n" + `{"id": "q1", "text": "dup again"}` + "\n" + `{"id": "q5", "text": ""}`,
		`{"id": "q6", "text": "x", "relevant": "vpn"}` + "\n" + `{"id": "q7", "text": "x", "relevant": [1, 2]}`,
		"\r\n\t\n", `{"id":"q8","text":"no newline at end"}`, "{", `{"id": "q9", "text": "\u0000"}`,
	} {
		f.Add([]byte(s), false)
	}
	f.Add([]byte(`{"id": "long", "text": "long line"}`), true)
	f.Fuzz(func(t *testing.T, data []byte, long bool) {
		if long {
			data = append(append([]byte(nil), longPad...), data...)
		}
		queries, bad, err := kbeval.ReadQueries(bytes.NewReader(data))
		if err != nil && !errors.Is(err, kbeval.ErrNoQueries) {
			t.Fatalf("ReadQueries failed on an in-memory reader: %v", err)
		}
		if (len(queries) == 0) != (err != nil) {
			t.Fatalf("ReadQueries = %d queries, error %v", len(queries), err)
		}
		checkLines(t, data, len(queries), bad)
		seen := map[string]bool{}
		for _, q := range queries {
			if strings.TrimSpace(q.ID) == "" || strings.TrimSpace(q.Text) == "" || seen[q.ID] {
				t.Fatalf("ReadQueries took %+v", q)
			}
			seen[q.ID] = true
		}
		again, badAgain, _ := kbeval.ReadQueries(iotest.HalfReader(bytes.NewReader(data)))
		if !reflect.DeepEqual(again, queries) || !reflect.DeepEqual(badAgain, bad) {
			t.Fatalf("read in small pieces, the queries differ")
		}
	})
}

// checkLines checks that taken and bad together are the non-blank lines of data, and that each bad line
// is reported once, in order, by the number of a non-blank line, with a reason.
func checkLines(t *testing.T, data []byte, taken int, bad []kbeval.LineError) {
	t.Helper()
	lines := bytes.Split(data, []byte("\n"))
	nonBlank := 0
	for _, l := range lines {
		if len(bytes.TrimSpace(l)) > 0 {
			nonBlank++
		}
	}
	if taken+len(bad) != nonBlank {
		t.Fatalf("%d lines taken and %d reported, of %d non-blank lines", taken, len(bad), nonBlank)
	}
	for i, e := range bad {
		if e.Line < 1 || e.Line > len(lines) || len(bytes.TrimSpace(lines[e.Line-1])) == 0 || e.Reason == "" {
			t.Fatalf("bad line %+v: not a non-blank line of %d", e, len(lines))
		}
		if i > 0 && e.Line <= bad[i-1].Line {
			t.Fatalf("bad lines out of order: %+v", bad)
		}
	}
}
