package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"time"

	"github.com/firstline-desk/firstline/adapters/openai"
	"github.com/firstline-desk/firstline/kb"
	"github.com/firstline-desk/firstline/kb/kbeval"
)

// maxLineErrors is how many malformed lines of a file are listed before only counting the rest: a file
// in the wrong format would otherwise print one line per row.
const maxLineErrors = 10

// kbEval measures the search on an evaluation set, in memory: it never opens the data file, so it runs
// beside a live desk.
func (m *Main) kbEval(ctx context.Context, args []string) error {
	fset := m.flagSet("kb eval")
	corpusFile := fset.String("corpus", "", "the articles, JSON Lines")
	queriesFile := fset.String("queries", "", "the questions with their relevant articles, JSON Lines")
	asJSON := fset.Bool("json", false, "print JSON")
	minConfidence := fset.Float64("min-confidence", 0, "the answer threshold (default: the config's kb.min_confidence)")
	sweep := fset.Bool("sweep", false, "also print the answer figures at thresholds 0.30 to 0.90")
	hybrid := fset.Bool("hybrid", false, "search lexically and by embedding, with the config's [llm] embedding_model")
	rest, err := parseFlags(fset, args, false)
	if err != nil {
		return err
	}
	if len(rest) > 0 || *corpusFile == "" || *queriesFile == "" {
		return usageError("kb eval needs -corpus FILE and -queries FILE (JSON Lines), like:\n  firstline kb eval -corpus articles.jsonl -queries queries.jsonl")
	}
	cfg, err := m.config()
	if err != nil {
		return err
	}
	threshold := cfg.KB.MinConfidence
	if isSet(fset, "min-confidence") {
		if !(*minConfidence >= 0 && *minConfidence <= 1) { // written so NaN fails too
			return usageError("-min-confidence is %v; it must be between 0 and 1", *minConfidence)
		}
		threshold = *minConfidence
	}
	articles, queries, err := m.readEvalSet(*corpusFile, *queriesFile)
	if err != nil {
		return err
	}
	var r kbeval.Result
	if *hybrid {
		if !cfg.LLM.Enabled || cfg.LLM.EmbeddingModel == "" {
			return usageError("-hybrid needs a config (-config FILE) with [llm] enabled and an embedding_model")
		}
		client, err := openai.New(cfg.LLM.client(), slog.New(slog.DiscardHandler))
		if err != nil {
			return fmt.Errorf("llm: %w", err)
		}
		r, err = kbeval.EvaluateHybrid(ctx, articles, queries, kbeval.HybridSetup{
			Index:    kb.Options{Synonyms: cfg.KB.Synonyms},
			Embedder: client,
			Options:  cfg.LLM.hybrid(cfg, nil),
		}, threshold)
		if err != nil {
			return err
		}
	} else {
		r = kbeval.EvaluateArticles(articles, queries, kb.Options{Synonyms: cfg.KB.Synonyms}, threshold)
	}
	if *asJSON {
		return writeJSON(m.Stdout, evalJSON{
			Queries:         r.Queries,
			InKB:            r.InKB,
			OutOfKB:         r.OutOfKB,
			MAP:             round(r.MAP, 4),
			MRR:             round(r.MRR, 4),
			P1:              round(r.P1, 4),
			P5:              round(r.P5, 4),
			Recall10:        round(r.Recall10, 4),
			NDCG10:          round(r.NDCG10, 4),
			AnsweredInKB:    round(r.Answers.AnsweredInKB, 4),
			AnswerPrecision: round(r.Answers.AnswerPrecision, 4),
			AnsweredOutOfKB: round(r.Answers.AnsweredOutOfKB, 4),
			BuildSeconds:    round(r.BuildTime.Seconds(), 4),
			LatencyP50ms:    round(ms(r.LatencyP50), 4),
			LatencyP99ms:    round(ms(r.LatencyP99), 4),
			PeakRSSMB:       round(r.PeakRSSMB, 1),
		})
	}
	w := m.Stdout
	fmt.Fprintf(w, "Corpus   %s: %d articles\n", *corpusFile, len(articles))
	fmt.Fprintf(w, "Queries  %s: %d (%d in the KB, %d out of it)\n\n", *queriesFile, r.Queries, r.InKB, r.OutOfKB)
	fmt.Fprintf(w, "Ranking of the whole corpus, over the %d in-KB queries\n", r.InKB)
	fmt.Fprintf(w, "  MAP        %.3f\n  MRR        %.3f\n  P@1        %.3f\n  P@5        %.3f\n  Recall@10  %.3f\n  nDCG@10    %.3f\n\n",
		r.MAP, r.MRR, r.P1, r.P5, r.Recall10, r.NDCG10)
	fmt.Fprintf(w, "Answers at min_confidence %.2f\n", threshold)
	fmt.Fprintf(w, "  answered_in_kb      %.3f  in-KB queries answered\n", r.Answers.AnsweredInKB)
	fmt.Fprintf(w, "  answer_precision    %.3f  answered in-KB queries with a relevant top article\n", r.Answers.AnswerPrecision)
	fmt.Fprintf(w, "  answered_out_of_kb  %.3f  out-of-KB queries answered (should have escalated)\n\n", r.Answers.AnsweredOutOfKB)
	if *sweep {
		fmt.Fprintln(w, "Thresholds")
		fmt.Fprintln(w, "  min_confidence  answered_in_kb  answer_precision  answered_out_of_kb")
		var thresholds []float64
		for i := 30; i <= 90; i += 5 {
			thresholds = append(thresholds, float64(i)/100)
		}
		for _, d := range r.Sweep(thresholds...) {
			fmt.Fprintf(w, "  %-14.2f  %-14.3f  %-16.3f  %.3f\n", d.Threshold, d.AnsweredInKB, d.AnswerPrecision, d.AnsweredOutOfKB)
		}
		fmt.Fprintln(w)
	}
	if r.Hybrid {
		fmt.Fprintf(w, "Hybrid search with %s\n", cfg.LLM.EmbeddingModel)
		fmt.Fprintf(w, "  embedded %d articles in %.1fs; %d searches fell back to lexical", r.Sync.Embedded, r.SyncTime.Seconds(), r.Fallbacks)
		if r.FallbackErr != nil {
			fmt.Fprintf(w, " (first: %v)", r.FallbackErr)
		}
		fmt.Fprintln(w)
		fmt.Fprintln(w, "  how often the nearest article by embedding is right, by its cosine (set [llm.hybrid] low/high/max from this)")
		fmt.Fprintln(w, "  cosine       queries  right  precision")
		for _, b := range r.CosineBins() {
			if b.Queries > 0 {
				fmt.Fprintf(w, "  %.2f-%.2f    %-7d  %-5d  %.3f\n", b.Low, b.High, b.Queries, b.Right, b.Precision())
			}
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "Speed")
	fmt.Fprintf(w, "  build_seconds   %.3f\n", r.BuildTime.Seconds())
	fmt.Fprintf(w, "  latency_p50_ms  %.3f\n", ms(r.LatencyP50))
	fmt.Fprintf(w, "  latency_p99_ms  %.3f\n", ms(r.LatencyP99))
	fmt.Fprintf(w, "  peak_rss_mb     %s\n", rssText(r.PeakRSSMB, r.PeakRSSKnown))
	return nil
}

// evalJSON is the contract of `kb eval -json`: scripts compare runs by these keys, so they only grow.
type evalJSON struct {
	Queries         int     `json:"queries"`
	InKB            int     `json:"in_kb"`
	OutOfKB         int     `json:"out_of_kb"`
	MAP             float64 `json:"map"`
	MRR             float64 `json:"mrr"`
	P1              float64 `json:"p1"`
	P5              float64 `json:"p5"`
	Recall10        float64 `json:"recall10"`
	NDCG10          float64 `json:"ndcg10"`
	AnsweredInKB    float64 `json:"answered_in_kb"`
	AnswerPrecision float64 `json:"answer_precision"`
	AnsweredOutOfKB float64 `json:"answered_out_of_kb"`
	BuildSeconds    float64 `json:"build_seconds"`
	LatencyP50ms    float64 `json:"latency_p50_ms"`
	LatencyP99ms    float64 `json:"latency_p99_ms"`
	PeakRSSMB       float64 `json:"peak_rss_mb"`
}

// kbBench times the search on a corpus: build, memory, latency, throughput. Like kb eval it works in
// memory.
func (m *Main) kbBench(ctx context.Context, args []string) error {
	fset := m.flagSet("kb bench")
	corpusFile := fset.String("corpus", "", "the articles, JSON Lines")
	queriesFile := fset.String("queries", "", "the questions, JSON Lines (relevant may be empty)")
	asJSON := fset.Bool("json", false, "print JSON")
	duration := fset.Duration("time", 2*time.Second, "how long to time searches, single-thread and on all cores each")
	rest, err := parseFlags(fset, args, false)
	if err != nil {
		return err
	}
	if len(rest) > 0 || *corpusFile == "" || *queriesFile == "" {
		return usageError("kb bench needs -corpus FILE and -queries FILE (JSON Lines), like:\n  firstline kb bench -corpus /tmp/scale/corpus.jsonl -queries /tmp/scale/queries.jsonl")
	}
	if *duration <= 0 {
		return usageError("-time is %v; it must be positive, like 2s", *duration)
	}
	cfg, err := m.config()
	if err != nil {
		return err
	}
	queries, bad, err := kbeval.ReadQueriesFile(*queriesFile)
	m.reportLineErrors(*queriesFile, bad)
	if err != nil {
		return evalFileError(*queriesFile, err)
	}
	// The corpus is indexed as it is read, never held whole: at 100,000 articles that is the
	// difference between the index's memory and the index's plus the corpus's.
	f, err := os.Open(*corpusFile)
	if err != nil {
		return evalFileError(*corpusFile, fmt.Errorf("open corpus: %w", err))
	}
	defer f.Close()
	corpus := kbeval.NewCorpusReader(f)
	// A signal stops the build of a large corpus between two articles.
	next := func() (kb.Article, error) {
		if err := ctx.Err(); err != nil {
			return kb.Article{}, err
		}
		return corpus.Next()
	}
	r, err := kbeval.Bench(next, queries, kbeval.BenchOptions{Index: kb.Options{Synonyms: cfg.KB.Synonyms}, Duration: *duration})
	m.reportLineErrors(*corpusFile, corpus.Bad)
	if err != nil {
		return evalFileError(*corpusFile, kbeval.FileError("corpus", *corpusFile, corpus.Bad, err))
	}
	if *asJSON {
		return writeJSON(m.Stdout, benchJSON{
			Docs:         r.Docs,
			BuildSeconds: round(r.BuildTime.Seconds(), 4),
			HeapMB:       round(r.HeapMB, 1),
			PeakRSSMB:    round(r.PeakRSSMB, 1),
			LatencyP50ms: round(ms(r.LatencyP50), 4),
			LatencyP95ms: round(ms(r.LatencyP95), 4),
			LatencyP99ms: round(ms(r.LatencyP99), 4),
			QPSAllCores:  math.Round(r.QPS),
		})
	}
	w := m.Stdout
	fmt.Fprintf(w, "docs            %d\n", r.Docs)
	fmt.Fprintf(w, "build_seconds   %.3f\n", r.BuildTime.Seconds())
	fmt.Fprintf(w, "heap_mb         %.1f  (%.1f of it the index; the corpus is indexed as it is read)\n", r.HeapMB, r.IndexHeapMB)
	fmt.Fprintf(w, "peak_rss_mb     %s\n", rssText(r.PeakRSSMB, r.PeakRSSKnown))
	fmt.Fprintf(w, "latency_p50_ms  %.3f\n", ms(r.LatencyP50))
	fmt.Fprintf(w, "latency_p95_ms  %.3f\n", ms(r.LatencyP95))
	fmt.Fprintf(w, "latency_p99_ms  %.3f  (%d single-thread top-10 searches of %d queries)\n", ms(r.LatencyP99), r.Timed, len(queries))
	fmt.Fprintf(w, "qps_all_cores   %.0f  (%d goroutines)\n", r.QPS, r.Goroutines)
	return nil
}

// benchJSON is the contract of `kb bench -json`.
type benchJSON struct {
	Docs         int     `json:"docs"`
	BuildSeconds float64 `json:"build_seconds"`
	HeapMB       float64 `json:"heap_mb"`
	PeakRSSMB    float64 `json:"peak_rss_mb"`
	LatencyP50ms float64 `json:"latency_p50_ms"`
	LatencyP95ms float64 `json:"latency_p95_ms"`
	LatencyP99ms float64 `json:"latency_p99_ms"`
	QPSAllCores  float64 `json:"qps_all_cores"`
}

// readEvalSet reads a corpus and its queries. Malformed lines are listed on stderr as FILE:LINE and
// skipped, so one bad row does not void a long run; a file without any valid row is an error.
func (m *Main) readEvalSet(corpusFile, queriesFile string) ([]kb.Article, []kbeval.Query, error) {
	articles, bad, err := kbeval.ReadCorpusFile(corpusFile)
	m.reportLineErrors(corpusFile, bad)
	if err != nil {
		return nil, nil, evalFileError(corpusFile, err)
	}
	queries, bad, err := kbeval.ReadQueriesFile(queriesFile)
	m.reportLineErrors(queriesFile, bad)
	if err != nil {
		return nil, nil, evalFileError(queriesFile, err)
	}
	return articles, queries, nil
}

func (m *Main) reportLineErrors(file string, bad []kbeval.LineError) {
	for i, e := range bad {
		if i == maxLineErrors {
			fmt.Fprintf(m.Stderr, "firstline: %s: ... and %d more\n", file, len(bad)-maxLineErrors)
			break
		}
		fmt.Fprintf(m.Stderr, "firstline: %s:%d: %s\n", file, e.Line, e.Reason)
	}
	switch len(bad) {
	case 0:
	case 1:
		fmt.Fprintf(m.Stderr, "firstline: %s: skipped 1 malformed line\n", file)
	default:
		fmt.Fprintf(m.Stderr, "firstline: %s: skipped %d malformed lines\n", file, len(bad))
	}
}

func evalFileError(file string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &exitError{code: 1, msg: fmt.Sprintf("there is no file %s", file)}
	case errors.Is(err, kbeval.ErrNoArticles), errors.Is(err, kbeval.ErrNoQueries):
		return &exitError{code: 1, msg: err.Error() + ": each line must be one JSON object, see the README"}
	}
	return &exitError{code: 1, msg: err.Error()}
}

// isSet says whether a flag was given, to tell "-min-confidence 0" from no flag.
func isSet(fset *flag.FlagSet, name string) bool {
	set := false
	fset.Visit(func(f *flag.Flag) {
		if f.Name == name {
			set = true
		}
	})
	return set
}

func rssText(mb float64, known bool) string {
	if !known {
		return "unknown on this system"
	}
	return fmt.Sprintf("%.1f", mb)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// round keeps JSON figures readable (0.744, not 0.7440000000000001) without losing what matters.
func round(x float64, decimals int) float64 {
	p := math.Pow(10, float64(decimals))
	return math.Round(x*p) / p
}
