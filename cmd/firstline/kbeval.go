package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"time"

	"github.com/firstline-desk/firstline/adapters/openai"
	"github.com/firstline-desk/firstline/bot"
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
	hybrid := fset.Bool("hybrid", false, "also search lexically and by embedding, with the config's [llm] embedding_model, and print both")
	modelPath := fset.Bool("model-path", false, "also measure grounded answers, with a stand-in model that answers from whatever sources it is given")
	folds := fset.Int("folds", kbeval.DefaultFolds, "the figures' ranges are over this many folds of the questions, split by question")
	rest, err := parseFlags(fset, args, false)
	if err != nil {
		return err
	}
	if len(rest) > 0 || *corpusFile == "" || *queriesFile == "" {
		return usageError("kb eval needs -corpus FILE and -queries FILE (JSON Lines), like:\n  firstline kb eval -corpus articles.jsonl -queries queries.jsonl")
	}
	if *folds < 2 {
		return usageError("-folds is %d; it must be at least 2", *folds)
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
	opts := kbeval.Options{Threshold: threshold}
	if *modelPath {
		opts.ModelPath = standInModel(cfg, threshold)
	}
	var cols []evalColumn
	if *hybrid {
		setup, err := hybridSetup(cfg)
		if err != nil {
			return err
		}
		lex, hyb, err := kbeval.EvaluateSideBySide(ctx, articles, queries, setup, opts)
		if err != nil {
			return err
		}
		cols = []evalColumn{{"lexical", lex}, {"hybrid", hyb}}
	} else {
		cols = []evalColumn{{"lexical", kbeval.EvaluateArticlesWith(articles, queries, kb.Options{Synonyms: cfg.KB.Synonyms}, opts)}}
	}
	if *asJSON {
		main := cols[len(cols)-1]
		out := evalFiguresJSON(main.r, *folds)
		if len(cols) > 1 {
			lex := evalFiguresJSON(cols[0].r, *folds)
			out.Lexical = &lex
			out.PairedRanges = map[string][2]float64{}
			for _, p := range pairedFolds(cols[0].r, main.r, *folds) {
				out.PairedRanges[p.name] = [2]float64{round(p.lo, 4), round(p.hi, 4)}
			}
		}
		return writeJSON(m.Stdout, out)
	}
	w := m.Stdout
	r := cols[0].r
	fmt.Fprintf(w, "Corpus   %s: %d articles\n", *corpusFile, len(articles))
	fmt.Fprintf(w, "Queries  %s: %d (%d in the KB, %d out of it)\n", *queriesFile, r.Queries, r.InKB, r.OutOfKB)
	fmt.Fprintf(w, "Ranges   (a-b): the lowest and highest figure over %d folds of the questions, split by question (paraphrases stay together): a difference smaller than that is noise\n\n", *folds)
	printEvalTable(w, cols, *folds, threshold)
	if *sweep {
		for _, c := range cols {
			fmt.Fprintf(w, "Thresholds (%s)\n", c.name)
			fmt.Fprintln(w, "  min_confidence  answered_in_kb  answer_precision  answered_out_of_kb")
			var thresholds []float64
			for i := 30; i <= 90; i += 5 {
				thresholds = append(thresholds, float64(i)/100)
			}
			for _, d := range c.r.Sweep(thresholds...) {
				fmt.Fprintf(w, "  %-14.2f  %-14.3f  %-16.3f  %.3f\n", d.Threshold, d.AnsweredInKB, d.AnswerPrecision, d.AnsweredOutOfKB)
			}
			fmt.Fprintln(w)
		}
	}
	if hyb := cols[len(cols)-1].r; hyb.Hybrid {
		c := kbeval.Compare(cols[0].r, hyb)
		fmt.Fprintf(w, "Hybrid search with %s\n", cfg.LLM.EmbeddingModel)
		fmt.Fprintf(w, "  embedded %d articles in %.1fs; %d searches fell back to lexical", hyb.Sync.Embedded, hyb.SyncTime.Seconds(), hyb.Fallbacks)
		if hyb.FallbackErr != nil {
			fmt.Fprintf(w, " (first: %v)", hyb.FallbackErr)
		}
		fmt.Fprintln(w)
		fmt.Fprintf(w, "  against lexical: %d in-KB questions ranked better, %d worse, %d the same\n", c.Better, c.Worse, c.Same)
		fmt.Fprintln(w, "  hybrid minus lexical on each fold (the same questions), lowest to highest:")
		for _, d := range pairedFolds(cols[0].r, hyb, *folds) {
			fmt.Fprintf(w, "    %-19s %+.3f to %+.3f\n", d.name, d.lo, d.hi)
		}
		fmt.Fprintln(w, "  how often the nearest article by embedding is right, by its cosine (kb calibrate fits [llm.hybrid] from this)")
		printCosineBins(w, hyb)
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "Speed")
	for _, c := range cols {
		fmt.Fprintf(w, "  %-8s build_seconds %.3f  latency_p50_ms %.3f  latency_p99_ms %.3f  peak_rss_mb %s\n",
			c.name, c.r.BuildTime.Seconds(), ms(c.r.LatencyP50), ms(c.r.LatencyP99), rssText(c.r.PeakRSSMB, c.r.PeakRSSKnown))
	}
	return nil
}

// foldFigures are the figures whose fold ranges kb eval reports, by their JSON names.
var foldFigures = []struct {
	name  string
	value func(kbeval.Figures) (float64, bool)
}{
	{"map", func(f kbeval.Figures) (float64, bool) { return f.MAP, f.InKB > 0 }},
	{"mrr", func(f kbeval.Figures) (float64, bool) { return f.MRR, f.InKB > 0 }},
	{"p1", func(f kbeval.Figures) (float64, bool) { return f.P1, f.InKB > 0 }},
	{"answered_in_kb", func(f kbeval.Figures) (float64, bool) { return f.Answers.AnsweredInKB, f.InKB > 0 }},
	{"answer_precision", func(f kbeval.Figures) (float64, bool) { return f.Answers.AnswerPrecision, f.Answers.AnsweredInKB > 0 }},
	{"answered_out_of_kb", func(f kbeval.Figures) (float64, bool) { return f.Answers.AnsweredOutOfKB, f.OutOfKB > 0 }},
}

type pairedRange struct {
	name   string
	lo, hi float64
}

// pairedFolds returns, for each figure, the lowest and highest difference b - a over the folds: a and b
// ran the same questions, so fold i of each holds the same ones, and a gain in every fold is not noise.
func pairedFolds(a, b kbeval.Result, folds int) []pairedRange {
	fa, fb := a.Folds(folds), b.Folds(folds)
	var out []pairedRange
	for _, ff := range foldFigures {
		p, any := pairedRange{name: ff.name}, false
		for i := range fa {
			va, oka := ff.value(fa[i])
			vb, okb := ff.value(fb[i])
			if !oka || !okb {
				continue
			}
			d := vb - va
			if !any {
				p.lo, p.hi, any = d, d, true
			}
			p.lo, p.hi = min(p.lo, d), max(p.hi, d)
		}
		if any {
			out = append(out, p)
		}
	}
	return out
}

// evalColumn is one search's evaluation, printed side by side with the others.
type evalColumn struct {
	name string
	r    kbeval.Result
}

// printEvalTable prints the ranking and answer figures of each column, with their fold ranges.
func printEvalTable(w io.Writer, cols []evalColumn, folds int, threshold float64) {
	type row struct {
		name, note string
		value      func(kbeval.Result) float64
		fold       func(kbeval.Figures) (float64, bool)
	}
	table := func(rows []row) {
		fmt.Fprintf(w, "  %-19s", "")
		for _, c := range cols {
			fmt.Fprintf(w, "%-22s", c.name)
		}
		fmt.Fprintln(w)
		for _, rw := range rows {
			fmt.Fprintf(w, "  %-19s", rw.name)
			for _, c := range cols {
				cell := fmt.Sprintf("%.3f", rw.value(c.r))
				if rw.fold != nil {
					fr := kbeval.FoldRange(c.r.Folds(folds), rw.fold)
					cell += fmt.Sprintf("  (%.2f-%.2f)", fr.Low, fr.High)
				}
				fmt.Fprintf(w, "%-22s", cell)
			}
			fmt.Fprintln(w, rw.note)
		}
		fmt.Fprintln(w)
	}
	inKB := func(f kbeval.Figures) bool { return f.InKB > 0 }
	fmt.Fprintf(w, "Ranking of the whole corpus, over the %d in-KB queries\n", cols[0].r.InKB)
	table([]row{
		{"MAP", "", func(r kbeval.Result) float64 { return r.MAP }, func(f kbeval.Figures) (float64, bool) { return f.MAP, inKB(f) }},
		{"MRR", "", func(r kbeval.Result) float64 { return r.MRR }, func(f kbeval.Figures) (float64, bool) { return f.MRR, inKB(f) }},
		{"P@1", "", func(r kbeval.Result) float64 { return r.P1 }, func(f kbeval.Figures) (float64, bool) { return f.P1, inKB(f) }},
		{"P@5", "", func(r kbeval.Result) float64 { return r.P5 }, nil},
		{"Recall@10", "", func(r kbeval.Result) float64 { return r.Recall10 }, nil},
		{"nDCG@10", "", func(r kbeval.Result) float64 { return r.NDCG10 }, nil},
	})
	answerRows := func(d func(kbeval.Result) kbeval.Decisions, fd func(kbeval.Figures) kbeval.Decisions) []row {
		rows := []row{
			{"answered_in_kb", "  in-KB queries answered", func(r kbeval.Result) float64 { return d(r).AnsweredInKB },
				func(f kbeval.Figures) (float64, bool) { return fd(f).AnsweredInKB, f.InKB > 0 }},
			{"answer_precision", "  answered in-KB queries with a relevant article", func(r kbeval.Result) float64 { return d(r).AnswerPrecision },
				func(f kbeval.Figures) (float64, bool) { return fd(f).AnswerPrecision, fd(f).AnsweredInKB > 0 }},
			{"answered_out_of_kb", "  out-of-KB queries answered (should have escalated)", func(r kbeval.Result) float64 { return d(r).AnsweredOutOfKB },
				func(f kbeval.Figures) (float64, bool) { return fd(f).AnsweredOutOfKB, f.OutOfKB > 0 }},
		}
		if fd == nil {
			for i := range rows {
				rows[i].fold = nil
			}
		}
		return rows
	}
	fmt.Fprintf(w, "Answers at min_confidence %.2f\n", threshold)
	table(answerRows(func(r kbeval.Result) kbeval.Decisions { return r.Answers }, func(f kbeval.Figures) kbeval.Decisions { return f.Answers }))
	if cols[0].r.ModelAnswers != nil {
		fmt.Fprintln(w, "Grounded answers, with a stand-in model that answers from whatever sources it is given (the worst case: a model that declines only helps)")
		fmt.Fprintln(w, "- given sources: what such a model would answer if the desk posted whatever it wrote")
		table(answerRows(func(r kbeval.Result) kbeval.Decisions { return *r.ModelAsked }, nil))
		fmt.Fprintln(w, "- posted: the model's answers the desk posts (only where the search is confident of a source, bot.ModelMayAnswer)")
		table(answerRows(func(r kbeval.Result) kbeval.Decisions { return *r.ModelAnswers }, func(f kbeval.Figures) kbeval.Decisions { return *f.ModelAnswers }))
	}
}

// printCosineBins prints how often the nearest article by embedding is right, by its cosine.
func printCosineBins(w io.Writer, r kbeval.Result) {
	fmt.Fprintln(w, "  cosine       queries  right  precision")
	for _, b := range r.CosineBins() {
		if b.Queries > 0 {
			fmt.Fprintf(w, "  %.2f-%.2f    %-7d  %-5d  %.3f\n", b.Low, b.High, b.Queries, b.Right, b.Precision())
		}
	}
}

// hybridSetup is the hybrid search of the config's [llm], for kb eval and kb calibrate.
func hybridSetup(cfg Config) (kbeval.HybridSetup, error) {
	if !cfg.LLM.Enabled || cfg.LLM.EmbeddingModel == "" {
		return kbeval.HybridSetup{}, usageError("-hybrid and kb calibrate need a config (-config FILE) with [llm] enabled and an embedding_model")
	}
	client, err := openai.New(cfg.LLM.client(), slog.New(slog.DiscardHandler))
	if err != nil {
		return kbeval.HybridSetup{}, fmt.Errorf("llm: %w", err)
	}
	opts := cfg.LLM.hybrid(cfg, nil)
	// A measurement waits for each question's embedding as long as [llm] allows a call: the desk's
	// 3 s, after which a live search goes lexical, would measure the lexical search under the
	// hybrid's name whenever the endpoint is slow.
	opts.QueryTimeout = max(time.Duration(cfg.LLM.Timeout), kb.DefaultQueryEmbedTimeout)
	return kbeval.HybridSetup{
		Index:    kb.Options{Synonyms: cfg.KB.Synonyms},
		Embedder: client,
		Options:  opts,
	}, nil
}

// standInModel is the grounded-answer path as the engine runs it (bot.ModelSources, bot.ModelMayAnswer)
// with a stand-in for the model that answers from whatever sources it is given, citing the first. It
// is the worst case for the desk's own abstention: a real model that declines (NO_ANSWER) only helps.
func standInModel(cfg Config, threshold float64) func([]kb.Hit) (string, bool, bool) {
	desk := cfg.Bot()
	desk.MinConfidence = threshold
	opts := cfg.LLM.modelOptions()
	return func(hits []kb.Hit) (string, bool, bool) {
		sources := bot.ModelSources(hits, opts, desk)
		if len(sources) == 0 {
			return "", false, false
		}
		return sources[0].ID, true, bot.ModelMayAnswer(sources, desk.MinConfidence)
	}
}

// evalJSON is the contract of `kb eval -json`: scripts compare runs by these keys, so they only grow.
// With -hybrid the top-level figures are the hybrid search's and lexical holds the lexical search's.
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
	// Ranges are the lowest and highest value of each figure over the folds (see kbeval.Result.Folds).
	Ranges map[string][2]float64 `json:"ranges"`
	// ModelPath holds the grounded-answer figures, with -model-path.
	ModelPath *modelPathJSON `json:"model_path,omitempty"`
	// PairedRanges are, with -hybrid, the lowest and highest difference hybrid - lexical over the folds.
	PairedRanges map[string][2]float64 `json:"paired_ranges,omitempty"`
	// HybridSearch says how a hybrid evaluation went (-hybrid).
	HybridSearch *hybridSearchJSON `json:"hybrid_search,omitempty"`
	Lexical      *evalJSON         `json:"lexical,omitempty"`
}

// hybridSearchJSON: fallbacks are searches that were lexical only because the query could not be embedded.
type hybridSearchJSON struct {
	Embedded    int     `json:"embedded"`
	SyncSeconds float64 `json:"sync_seconds"`
	Fallbacks   int     `json:"fallbacks"`
}

type decisionsJSON struct {
	AnsweredInKB    float64 `json:"answered_in_kb"`
	AnswerPrecision float64 `json:"answer_precision"`
	AnsweredOutOfKB float64 `json:"answered_out_of_kb"`
}

type modelPathJSON struct {
	Asked  decisionsJSON `json:"given_sources"`
	Posted decisionsJSON `json:"posted"`
}

func decisionsOf(d kbeval.Decisions) decisionsJSON {
	return decisionsJSON{AnsweredInKB: round(d.AnsweredInKB, 4), AnswerPrecision: round(d.AnswerPrecision, 4), AnsweredOutOfKB: round(d.AnsweredOutOfKB, 4)}
}

func evalFiguresJSON(r kbeval.Result, folds int) evalJSON {
	out := evalJSON{
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
		Ranges:          map[string][2]float64{},
	}
	fs := r.Folds(folds)
	for _, ff := range foldFigures {
		rg := kbeval.FoldRange(fs, ff.value)
		out.Ranges[ff.name] = [2]float64{round(rg.Low, 4), round(rg.High, 4)}
	}
	if r.ModelAnswers != nil {
		out.ModelPath = &modelPathJSON{Asked: decisionsOf(*r.ModelAsked), Posted: decisionsOf(*r.ModelAnswers)}
	}
	if r.Hybrid {
		out.HybridSearch = &hybridSearchJSON{Embedded: r.Sync.Embedded, SyncSeconds: round(r.SyncTime.Seconds(), 2), Fallbacks: r.Fallbacks}
	}
	return out
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
		return &exitError{code: 1, msg: err.Error() + ": each line must be one JSON object, see docs/knowledge-base.md, \"Search quality and speed\""}
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
