package kbeval_test

import (
	"errors"
	"io"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/kb"
	"github.com/firstline-desk/firstline/kb/kbeval"
)

func mustRead(tb testing.TB) ([]kb.Article, []kbeval.Query) {
	tb.Helper()
	articles, _, err := kbeval.ReadCorpusFile("testdata/corpus.jsonl")
	if err != nil {
		tb.Fatal(err)
	}
	queries, _, err := kbeval.ReadQueriesFile("testdata/queries.jsonl")
	if err != nil {
		tb.Fatal(err)
	}
	return articles, queries
}

// The queries of testdata are built so that any sane ranker ranks them the same way: each in-KB query's
// words appear in its article only, q4's words in none, and q5's (out-of-KB) in two articles.
func TestEvaluate(t *testing.T) {
	articles, queries := mustRead(t)
	r := kbeval.EvaluateArticles(articles, queries, kb.Options{}, 0)
	if r.Queries != 5 || r.InKB != 3 || r.OutOfKB != 2 {
		t.Fatalf("queries %d, in KB %d, out of KB %d; want 5, 3 (q3's missing relevant id ignored), 2", r.Queries, r.InKB, r.OutOfKB)
	}
	for name, got := range map[string]float64{"MAP": r.MAP, "MRR": r.MRR, "P@1": r.P1, "Recall@10": r.Recall10, "nDCG@10": r.NDCG10} {
		if got != 1 {
			t.Errorf("%s = %v, want 1", name, got)
		}
	}
	// One relevant article per query: P@5 is at most 1/5.
	if !near(r.P5, 0.2) {
		t.Errorf("P@5 = %v, want 0.2", r.P5)
	}
	// At threshold 0 every query with a hit is answered: q1-q3 rightly, q5 wrongly, q4 has no hit.
	want := kbeval.Decisions{Threshold: 0, AnsweredInKB: 1, AnswerPrecision: 1, AnsweredOutOfKB: 0.5}
	if r.Answers != want {
		t.Errorf("answers %+v, want %+v", r.Answers, want)
	}
	if len(r.PerQuery) != 5 {
		t.Fatalf("%d per-query results", len(r.PerQuery))
	}
	q1, q4, q5 := r.PerQuery[0], r.PerQuery[3], r.PerQuery[4]
	if !q1.InKB || q1.FirstRelevant != 1 || q1.TopID != "vpn" || !q1.TopRelevant || q1.TopConfidence <= 0 {
		t.Errorf("q1 = %+v", q1)
	}
	if q4.InKB || q4.TopID != "" || q4.FirstRelevant != 0 {
		t.Errorf("q4 = %+v", q4)
	}
	if q5.InKB || q5.TopID == "" || q5.TopRelevant {
		t.Errorf("q5 = %+v", q5)
	}
	if r.LatencyP50 <= 0 || r.LatencyP99 < r.LatencyP50 {
		t.Errorf("latency p50 %v, p99 %v", r.LatencyP50, r.LatencyP99)
	}
	if r.BuildTime <= 0 {
		t.Errorf("build time %v", r.BuildTime)
	}
	if rss, ok := kbeval.PeakRSSMB(); ok && (r.PeakRSSMB <= 0 || r.PeakRSSMB > rss) {
		t.Errorf("peak RSS %v MB, now %v MB", r.PeakRSSMB, rss)
	}

	// Above any confidence nothing is answered.
	if got := r.Sweep(1.01)[0]; got != (kbeval.Decisions{Threshold: 1.01}) {
		t.Errorf("at 1.01: %+v", got)
	}
}

func TestEvaluateNothing(t *testing.T) {
	r := kbeval.Evaluate(kb.NewIndex(kb.Options{}), nil, nil, 0.5)
	if r.Queries != 0 || r.InKB != 0 || r.MAP != 0 || r.Answers != (kbeval.Decisions{Threshold: 0.5}) || r.LatencyP99 != 0 {
		t.Fatalf("an empty evaluation: %+v", r)
	}
}

func TestDecide(t *testing.T) {
	queries := []kbeval.QueryResult{
		{ID: "right-sure", InKB: true, TopID: "a", TopConfidence: 0.9, TopRelevant: true},
		{ID: "wrong-sure", InKB: true, TopID: "b", TopConfidence: 0.8},
		{ID: "right-unsure", InKB: true, TopID: "c", TopConfidence: 0.4, TopRelevant: true},
		{ID: "no-hit", InKB: true},
		{ID: "out-sure", TopID: "d", TopConfidence: 0.7},
		{ID: "out-unsure", TopID: "e", TopConfidence: 0.2},
	}
	tests := []struct {
		threshold float64
		want      kbeval.Decisions
	}{
		// 3 of 4 in-KB answered, 2 of them right; 2 of 2 out-of-KB answered.
		{0.1, kbeval.Decisions{Threshold: 0.1, AnsweredInKB: 3.0 / 4, AnswerPrecision: 2.0 / 3, AnsweredOutOfKB: 1}},
		// confidence equal to the threshold answers: 2 of 4, 1 right; out-sure answered.
		{0.7, kbeval.Decisions{Threshold: 0.7, AnsweredInKB: 2.0 / 4, AnswerPrecision: 1.0 / 2, AnsweredOutOfKB: 1.0 / 2}},
		// only right-sure.
		{0.85, kbeval.Decisions{Threshold: 0.85, AnsweredInKB: 1.0 / 4, AnswerPrecision: 1, AnsweredOutOfKB: 0}},
		// nothing answered: precision is 0, not NaN.
		{0.95, kbeval.Decisions{Threshold: 0.95}},
	}
	for _, tt := range tests {
		if got := kbeval.Decide(queries, tt.threshold); got != tt.want {
			t.Errorf("at %v: %+v, want %+v", tt.threshold, got, tt.want)
		}
	}
	r := kbeval.Result{PerQuery: queries}
	sweep := r.Sweep(0.1, 0.7, 0.85, 0.95)
	for i, tt := range tests {
		if sweep[i] != tt.want {
			t.Errorf("sweep[%d] = %+v, want %+v", i, sweep[i], tt.want)
		}
	}
}

// from returns a reader of articles for Bench.
func from(articles []kb.Article) func() (kb.Article, error) {
	return func() (kb.Article, error) {
		if len(articles) == 0 {
			return kb.Article{}, io.EOF
		}
		a := articles[0]
		articles = articles[1:]
		return a, nil
	}
}

func TestBench(t *testing.T) {
	articles, queries := mustRead(t)
	r, err := kbeval.Bench(from(articles), queries, kbeval.BenchOptions{MinQueries: 50, Duration: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if r.Docs != 4 || r.BuildTime <= 0 || r.HeapMB <= 0 {
		t.Errorf("docs %d, build %v, heap %v MB", r.Docs, r.BuildTime, r.HeapMB)
	}
	// Whole passes of 5 queries: at least 50 timed unless 20ms ran out first, and at least one pass.
	if r.Timed < len(queries) || r.Timed%len(queries) != 0 {
		t.Errorf("timed %d searches", r.Timed)
	}
	if r.LatencyP50 <= 0 || r.LatencyP95 < r.LatencyP50 || r.LatencyP99 < r.LatencyP95 {
		t.Errorf("latency p50 %v, p95 %v, p99 %v", r.LatencyP50, r.LatencyP95, r.LatencyP99)
	}
	if r.QPS <= 0 || r.Goroutines < 1 {
		t.Errorf("%v queries/s on %d goroutines", r.QPS, r.Goroutines)
	}

	// A time shorter than any search, as a busy machine makes every time: one pass is timed, and every
	// goroutine of the all-cores run searches once, so the figures are measurements, never 0.
	r, err = kbeval.Bench(from(articles), queries, kbeval.BenchOptions{MinQueries: 50, Duration: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	if r.Timed != len(queries) || r.QPS <= 0 {
		t.Errorf("in 1ns: timed %d searches of %d queries, %v queries/s", r.Timed, len(queries), r.QPS)
	}

	if _, err := kbeval.Bench(from(articles), nil, kbeval.BenchOptions{}); err != kbeval.ErrNoQueries {
		t.Errorf("no queries: %v", err)
	}
	if _, err := kbeval.Bench(from(nil), queries, kbeval.BenchOptions{}); err != kbeval.ErrNoArticles {
		t.Errorf("no articles: %v", err)
	}
	boom := errors.New("disk on fire")
	if _, err := kbeval.Bench(func() (kb.Article, error) { return kb.Article{}, boom }, queries, kbeval.BenchOptions{}); !errors.Is(err, boom) {
		t.Errorf("reader error: %v", err)
	}
}

func TestPeakRSS(t *testing.T) {
	mb, ok := kbeval.PeakRSSMB()
	if !ok {
		t.Skip("the platform does not say")
	}
	if mb < 1 || mb > 1<<20 {
		t.Fatalf("peak RSS %v MB", mb)
	}
}
