package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/firstline-desk/firstline/kb"
)

// runMain runs the program in this process, as the binary would with args, and returns what it printed
// and its exit code.
func runMain(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Getenv: noEnv}
	code = m.Run(context.Background(), args)
	return out.String(), errOut.String(), code
}

// jsonKeys returns the sorted keys of a JSON object and its numbers, failing when out is not exactly one
// object. Keys whose values are not numbers (the ranges of kb eval) are listed, not returned as numbers.
func jsonKeys(t *testing.T, out string) ([]string, map[string]float64) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(out))
	var raw map[string]json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		t.Fatalf("not a JSON object: %v\n%s", err, out)
	}
	if dec.More() {
		t.Fatalf("more than one JSON value:\n%s", out)
	}
	var keys []string
	obj := make(map[string]float64)
	for k, v := range raw {
		keys = append(keys, k)
		var f float64
		if json.Unmarshal(v, &f) == nil {
			obj[k] = f
		}
	}
	slices.Sort(keys)
	return keys, obj
}

func sorted(s ...string) []string {
	slices.Sort(s)
	return s
}

const (
	evalCorpus  = "testdata/eval/corpus.jsonl"
	evalQueries = "testdata/eval/queries.jsonl"
)

func TestKBEvalJSON(t *testing.T) {
	out, errOut, code := runMain(t, "kb", "eval", "-corpus", evalCorpus, "-queries", evalQueries, "-json", "-min-confidence", "0")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	keys, got := jsonKeys(t, out)
	want := sorted("queries", "in_kb", "out_of_kb", "map", "mrr", "p1", "p5", "recall10", "ndcg10",
		"answered_in_kb", "answer_precision", "answered_out_of_kb", "build_seconds", "latency_p50_ms",
		"latency_p99_ms", "peak_rss_mb", "ranges")
	if !slices.Equal(keys, want) {
		t.Fatalf("keys %v\nwant %v", keys, want)
	}
	var withRanges struct {
		Ranges map[string][2]float64 `json:"ranges"`
	}
	if err := json.Unmarshal([]byte(out), &withRanges); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"map", "mrr", "p1", "answered_in_kb", "answer_precision", "answered_out_of_kb"} {
		if r, ok := withRanges.Ranges[k]; !ok || r[0] > r[1] {
			t.Errorf("range of %s: %v (present %v)", k, r, ok)
		}
	}
	// The corpus's "mail" line is malformed, so q5 is out-of-KB like q4; q6 has no text and is skipped.
	// Each in-KB query's words appear in its article only: a perfect ranking whatever the ranker.
	for k, v := range map[string]float64{"queries": 5, "in_kb": 3, "out_of_kb": 2, "map": 1, "mrr": 1, "p1": 1, "p5": 0.2, "recall10": 1, "ndcg10": 1, "answered_in_kb": 1, "answer_precision": 1} {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	for _, k := range []string{"build_seconds", "latency_p50_ms", "latency_p99_ms"} {
		if got[k] < 0 {
			t.Errorf("%s = %v", k, got[k])
		}
	}
	// Skipped lines are reported on stderr, with file:line, and counted; the run goes on.
	for _, w := range []string{
		evalCorpus + ":4: bad JSON",
		evalCorpus + `:5: duplicate id "vpn"`,
		evalCorpus + ": skipped 2 malformed lines",
		evalQueries + `:6: query "q6" has no text`,
		evalQueries + ": skipped 1 malformed line\n",
	} {
		if !strings.Contains(errOut, w) {
			t.Errorf("stderr lacks %q:\n%s", w, errOut)
		}
	}
}

func TestKBEvalReport(t *testing.T) {
	out, _, code := runMain(t, "kb", "eval", "-corpus", evalCorpus, "-queries", evalQueries, "-sweep")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	for _, w := range []string{
		"5 (3 in the KB, 2 out of it)",
		"MAP                1.000  (1.00-1.00)", "MRR", "P@1", "P@5                0.200", "Recall@10", "nDCG@10",
		"the lowest and highest figure over 5 folds",
		// No -config and no -min-confidence: the default threshold.
		fmt.Sprintf("Answers at min_confidence %.2f", kb.DefaultMinConfidence), "answered_in_kb", "answer_precision", "answered_out_of_kb",
		"min_confidence  answered_in_kb", "\n  0.30  ", "\n  0.90  ",
		"build_seconds", "latency_p50_ms", "latency_p99_ms", "peak_rss_mb",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("the report lacks %q:\n%s", w, out)
		}
	}
	if n := strings.Count(out, "\n  0."); n != 13 {
		t.Errorf("%d sweep rows, want 13 (0.30 to 0.90 by 0.05):\n%s", n, out)
	}
}

func TestKBEvalThresholdFromConfig(t *testing.T) {
	cfg := t.TempDir() + "/firstline.toml"
	writeFile(t, cfg, "[kb]\nmin_confidence = 0.99\nsuggest_confidence = 0.3\n\n"+
		"[[tiers]]\nid = \"tier2\"\nname = \"Tier 2\"\nchannel = \"console:tier2\"\nmembers = [\"console:tom\"]\n")
	out, errOut, code := runMain(t, "kb", "eval", "-config", cfg, "-corpus", evalCorpus, "-queries", evalQueries)
	if code != 0 || !strings.Contains(out, "Answers at min_confidence 0.99") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	// The flag wins over the config, 0 included.
	out, _, _ = runMain(t, "kb", "eval", "-config", cfg, "-min-confidence", "0", "-corpus", evalCorpus, "-queries", evalQueries)
	if !strings.Contains(out, "Answers at min_confidence 0.00") {
		t.Fatalf("-min-confidence 0 was not used:\n%s", out)
	}
}

func TestKBEvalAndBenchFail(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"eval without files", []string{"kb", "eval"}, 2, "kb eval needs -corpus FILE and -queries FILE"},
		{"eval without queries", []string{"kb", "eval", "-corpus", evalCorpus}, 2, "needs -corpus FILE and -queries FILE"},
		{"empty corpus", []string{"kb", "eval", "-corpus", "testdata/eval/empty.jsonl", "-queries", evalQueries}, 1, "corpus testdata/eval/empty.jsonl has no articles"},
		{"blank corpus", []string{"kb", "eval", "-corpus", "testdata/eval/blank.jsonl", "-queries", evalQueries}, 1, "has no articles"},
		{"empty queries", []string{"kb", "eval", "-corpus", evalCorpus, "-queries", "testdata/eval/empty.jsonl"}, 1, "queries file testdata/eval/empty.jsonl has no queries"},
		{"corpus of queries", []string{"kb", "eval", "-corpus", evalQueries, "-queries", evalQueries}, 1, "(all 6 non-blank lines are malformed)"},
		{"missing corpus", []string{"kb", "eval", "-corpus", "testdata/eval/nowhere.jsonl", "-queries", evalQueries}, 1, "there is no file testdata/eval/nowhere.jsonl"},
		{"threshold out of range", []string{"kb", "eval", "-corpus", evalCorpus, "-queries", evalQueries, "-min-confidence", "1.5"}, 2, "between 0 and 1"},
		{"bench without files", []string{"kb", "bench"}, 2, "kb bench needs -corpus FILE and -queries FILE"},
		{"bench empty queries", []string{"kb", "bench", "-corpus", evalCorpus, "-queries", "testdata/eval/empty.jsonl"}, 1, "has no queries"},
		{"bench bad time", []string{"kb", "bench", "-corpus", evalCorpus, "-queries", evalQueries, "-time", "0s"}, 2, "-time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := runMain(t, tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.want) {
				t.Fatalf("exit %d (want %d), stderr lacks %q:\n%s%s", code, tt.code, tt.want, out, errOut)
			}
			if strings.Contains(errOut, "open ") && strings.Contains(errOut, "no such file") {
				t.Errorf("a Go error for the user: %s", errOut)
			}
		})
	}
}

func TestKBBench(t *testing.T) {
	// Timing queries have empty or missing relevance labels.
	args := []string{"kb", "bench", "-corpus", evalCorpus, "-queries", "testdata/eval/timing.jsonl", "-time", "20ms"}
	out, errOut, code := runMain(t, append(args, "-json")...)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	keys, got := jsonKeys(t, out)
	want := sorted("docs", "build_seconds", "heap_mb", "peak_rss_mb", "latency_p50_ms", "latency_p95_ms", "latency_p99_ms", "qps_all_cores")
	if !slices.Equal(keys, want) {
		t.Fatalf("keys %v\nwant %v", keys, want)
	}
	// What is asserted is that the figures are there and consistent, not how fast the search is: the
	// rate depends on the machine and its load (kbeval's TestBench checks that the rate is measured).
	if got["docs"] != 3 || got["heap_mb"] <= 0 || got["qps_all_cores"] < 0 || got["latency_p50_ms"] < 0 ||
		got["latency_p95_ms"] < got["latency_p50_ms"] || got["latency_p99_ms"] < got["latency_p95_ms"] {
		t.Errorf("figures %v", got)
	}

	out, _, code = runMain(t, args...)
	for _, w := range []string{"docs            3", "build_seconds", "heap_mb", "peak_rss_mb", "latency_p50_ms", "latency_p95_ms", "latency_p99_ms", "qps_all_cores"} {
		if code != 0 || !strings.Contains(out, w) {
			t.Errorf("exit %d, the report lacks %q:\n%s", code, w, out)
		}
	}
}

// TestKBSearchSnippets imports the demo knowledge base in this process and checks that search results
// show why an article was found.
func TestKBSearchSnippets(t *testing.T) {
	data := t.TempDir()
	if out, errOut, code := runMain(t, "kb", "import", "demo/kb", "-data", data); code != 0 {
		t.Fatalf("import: exit %d\n%s%s", code, out, errOut)
	}
	out, errOut, code := runMain(t, "kb", "search", "-data", data, "-n", "3", "-json", "my", "printers", "are", "jammed")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	var hits []struct {
		ID         string  `json:"id"`
		Score      float64 `json:"score"`
		Confidence float64 `json:"confidence"`
		Snippet    string  `json:"snippet"`
	}
	if err := json.Unmarshal([]byte(out), &hits); err != nil || len(hits) == 0 {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, h := range hits {
		if !strings.Contains(strings.ToLower(h.Snippet), "**printer") {
			t.Errorf("%s: the snippet %q does not mark the printer", h.ID, h.Snippet)
		}
		if strings.Contains(h.Snippet, "\n") {
			t.Errorf("%s: a line break in the snippet %q", h.ID, h.Snippet)
		}
	}

	out, _, code = runMain(t, "kb", "search", "-data", data, "-n", "2", "outlook", "keeps", "asking", "for", "my", "password")
	for _, w := range []string{"1. Outlook keeps asking", "[outlook-password-prompt]", "confidence 0.", "score ", "**password**", "would answer"} {
		if code != 0 || !strings.Contains(out, w) {
			t.Errorf("exit %d, the results lack %q:\n%s", code, w, out)
		}
	}
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
