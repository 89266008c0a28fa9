package kbeval_test

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/firstline-desk/firstline/kb/kbeval"
)

func lineNumbers(bad []kbeval.LineError) []int {
	var lines []int
	for _, e := range bad {
		lines = append(lines, e.Line)
	}
	return lines
}

func TestReadCorpusFile(t *testing.T) {
	articles, bad, err := kbeval.ReadCorpusFile("testdata/corpus.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, a := range articles {
		ids = append(ids, a.ID)
	}
	if want := []string{"vpn", "printer", "wifi", "mail"}; !reflect.DeepEqual(ids, want) {
		t.Fatalf("ids = %v, want %v", ids, want)
	}
	if articles[0].Title != "Connect to the VPN" || !strings.Contains(articles[0].Body, "VPN client") {
		t.Fatalf("the first article is %+v", articles[0])
	}
	// Line 3 is blank; 5 bad JSON, 6 no title, 7 repeats "vpn", 8 an array, 9 a number for the id.
	if got, want := lineNumbers(bad), []int{5, 6, 7, 8, 9}; !reflect.DeepEqual(got, want) {
		t.Fatalf("malformed lines %v, want %v: %v", got, want, bad)
	}
	for i, want := range []string{"bad JSON", "no title", `duplicate id "vpn"`, "not a JSON object", `"id" is not a string`} {
		if !strings.Contains(bad[i].Error(), want) {
			t.Errorf("%v does not say %q", bad[i], want)
		}
	}
	if !strings.HasPrefix(bad[0].Error(), "line 5: ") {
		t.Errorf("a line error reads %q", bad[0].Error())
	}
}

func TestReadCorpusLastLineWithoutNewline(t *testing.T) {
	articles, bad, err := kbeval.ReadCorpusFile("testdata/no-newline.jsonl")
	if err != nil || len(bad) != 0 || len(articles) != 1 || articles[0].ID != "a" {
		t.Fatalf("got %v %v %v", articles, bad, err)
	}
}

func TestReadQueriesFile(t *testing.T) {
	queries, bad, err := kbeval.ReadQueriesFile("testdata/queries.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if len(queries) != 5 || queries[2].ID != "q3" || !reflect.DeepEqual(queries[2].Relevant, []string{"wifi", "gone"}) {
		t.Fatalf("queries = %+v", queries)
	}
	if queries[4].Relevant == nil || len(queries[4].Relevant) != 0 {
		t.Fatalf("an empty relevant list reads as %#v", queries[4].Relevant)
	}
	// Line 6 is blank; 7 has no text, 8 repeats q1, 9 has a string for relevant, 10 is not JSON.
	if got, want := lineNumbers(bad), []int{7, 8, 9, 10}; !reflect.DeepEqual(got, want) {
		t.Fatalf("malformed lines %v, want %v: %v", got, want, bad)
	}
}

func TestReadNothing(t *testing.T) {
	tests := []struct {
		name, file string
		read       func(string) (int, []kbeval.LineError, error)
		target     error
		want       string
	}{
		{"blank corpus", "testdata/blank.jsonl", readCorpus, kbeval.ErrNoArticles, "corpus testdata/blank.jsonl has no articles"},
		{"blank queries", "testdata/blank.jsonl", readQueries, kbeval.ErrNoQueries, "queries file testdata/blank.jsonl has no queries"},
		{"every line bad", "testdata/all-bad.jsonl", readCorpus, kbeval.ErrNoArticles, "has no articles (all 2 non-blank lines are malformed)"},
		{"missing file", "testdata/nowhere.jsonl", readCorpus, nil, "open corpus"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, _, err := tt.read(tt.file)
			if err == nil || n != 0 {
				t.Fatalf("read %d rows, err %v", n, err)
			}
			if tt.target != nil && !errors.Is(err, tt.target) {
				t.Errorf("%v is not %v", err, tt.target)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%q does not say %q", err, tt.want)
			}
		})
	}
}

func readCorpus(name string) (int, []kbeval.LineError, error) {
	a, bad, err := kbeval.ReadCorpusFile(name)
	return len(a), bad, err
}

func readQueries(name string) (int, []kbeval.LineError, error) {
	q, bad, err := kbeval.ReadQueriesFile(name)
	return len(q), bad, err
}

func TestReadLongLine(t *testing.T) {
	body := strings.Repeat("word ", 100_000) // 500 kB, beyond bufio.Scanner's default 64 kB
	in := `{"id": "long", "title": "Long", "body": "` + body + `"}` + "\n" +
		"not json\n" +
		`{"id": "short", "title": "Short", "body": "b"}` + "\n" +
		`{"id": "long2", "title": "Long again", "body": "` + body + `"}`
	articles, bad, err := kbeval.ReadCorpus(strings.NewReader(in))
	if err != nil || len(articles) != 3 || len(articles[0].Body) != len(body) || articles[1].ID != "short" || len(articles[2].Body) != len(body) {
		t.Fatalf("got %d articles, %v", len(articles), err)
	}
	if len(bad) != 1 || bad[0].Line != 2 {
		t.Fatalf("bad lines %v, want line 2", bad)
	}
}

// zeros is an endless stream of zero bytes, as /dev/zero is.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestReadEndlessLine checks a corpus or queries file with no line breaks (a binary, /dev/zero) fails
// past MaxLineSize, naming the line, instead of being read until memory runs out.
func TestReadEndlessLine(t *testing.T) {
	// Cut at four times the limit, so that without it the test fails rather than exhausting memory.
	endless := func() io.Reader { return io.LimitReader(zeros{}, 4*kbeval.MaxLineSize) }
	if _, _, err := kbeval.ReadCorpus(endless()); err == nil || !strings.Contains(err.Error(), "line 1 is longer than") {
		t.Fatalf("ReadCorpus(zeros) = %v", err)
	}
	if _, _, err := kbeval.ReadQueries(endless()); err == nil || !strings.Contains(err.Error(), "line 1 is longer than") {
		t.Fatalf("ReadQueries(zeros) = %v", err)
	}
	// A long line below the limit is still read (TestReadLongLine has 500 kB).
	long := `{"id":"a","title":"A","body":"` + strings.Repeat("w", 2<<20) + `"}` + "\n"
	if articles, _, err := kbeval.ReadCorpus(strings.NewReader(long)); err != nil || len(articles) != 1 {
		t.Fatalf("a 2 MiB line: %d articles, %v", len(articles), err)
	}
}
