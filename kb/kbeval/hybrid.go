package kbeval

import (
	"context"
	"fmt"
	"time"

	"github.com/firstline-desk/firstline/kb"
)

// HybridSetup is how EvaluateHybrid builds its search.
type HybridSetup struct {
	// Index is how the lexical index is built (synonyms).
	Index kb.Options
	// Embedder embeds the articles and the queries; Store keeps the vectors between runs, so that
	// evaluating again does not embed the corpus again (nil: in memory, for this run).
	Embedder kb.Embedder
	Store    kb.VectorStore
	// Options tune the hybrid search: fusion weights, the vector confidence mapping.
	Options kb.HybridOptions
}

// EvaluateHybrid builds a library of articles and a kb.Hybrid over it, embeds the articles (Sync), and
// evaluates it with EvaluateSearcher. It fails when the articles cannot be embedded; queries that
// cannot be embedded are searched lexically and counted in Fallbacks.
func EvaluateHybrid(ctx context.Context, articles []kb.Article, queries []Query, setup HybridSetup, threshold float64) (Result, error) {
	_, r, err := EvaluateSideBySide(ctx, articles, queries, setup, Options{Threshold: threshold})
	return r, err
}

// EvaluateSideBySide is EvaluateHybrid that also evaluates the lexical search alone, on the same
// library and questions in the same run: the hybrid search's gain is measured against it, never against
// a figure from another run.
func EvaluateSideBySide(ctx context.Context, articles []kb.Article, queries []Query, setup HybridSetup, opts Options) (lexical, hybrid Result, err error) {
	start := time.Now()
	lib := kb.NewLibrary(articles, setup.Index)
	build := time.Since(start)
	h := kb.NewHybrid(lib, setup.Embedder, setup.Store, setup.Options)
	start = time.Now()
	stats, err := h.Sync(ctx)
	if err != nil {
		return Result{}, Result{}, fmt.Errorf("embed the corpus: %w", err)
	}
	syncTime := time.Since(start)
	ids := IDs(articles)
	lexical = EvaluateWith(ctx, Lexical(lib.Index), queries, ids, opts)
	lexical.BuildTime = build
	hybrid = EvaluateWith(ctx, h, queries, ids, opts)
	hybrid.BuildTime, hybrid.Sync, hybrid.SyncTime = build, stats, syncTime
	hybrid.PeakRSSMB, hybrid.PeakRSSKnown = PeakRSSMB()
	lexical.PeakRSSMB, lexical.PeakRSSKnown = hybrid.PeakRSSMB, hybrid.PeakRSSKnown
	return lexical, hybrid, nil
}

func source(t kb.HitTrace) string {
	switch {
	case t.LexicalRank > 0 && t.VectorRank > 0:
		return "both"
	case t.VectorRank > 0:
		return "vector"
	}
	return "lexical"
}

// CosineBin is how often the article nearest a query by embedding is right, over the queries whose
// nearest article is at a cosine similarity in [Low, High). It is what kb.VectorConfidence should
// say: read Precision by cosine to set Low (where it starts to rise above nothing), High (where it
// stops rising) and Max (about the Precision above High).
type CosineBin struct {
	Low, High float64
	// Queries counts the queries in the bin; OutOfKB those of them with no relevant article (their
	// nearest is always wrong); Right the in-KB ones whose nearest article is relevant.
	Queries, OutOfKB, Right int
}

// Precision is the share of the bin's queries whose nearest article is right, 0 for an empty bin.
func (b CosineBin) Precision() float64 { return ratio(b.Right, b.Queries) }

// CosineBins sorts a hybrid evaluation's queries into bins by their nearest article's cosine: [e0, e1),
// [e1, e2) and so on, the last bin including its upper edge; queries outside every bin, and those
// searched lexically only, are left out. Without edges the bins are 0.05 wide from 0 to 1. It returns
// nil for an evaluation that was not hybrid.
func (r Result) CosineBins(edges ...float64) []CosineBin {
	if !r.Hybrid {
		return nil
	}
	if len(edges) == 0 {
		for i := 0; i <= 20; i++ {
			edges = append(edges, float64(i)/20)
		}
	}
	if len(edges) < 2 {
		return nil
	}
	bins := make([]CosineBin, len(edges)-1)
	for i := range bins {
		bins[i].Low, bins[i].High = edges[i], edges[i+1]
	}
	for _, q := range r.PerQuery {
		if q.Nearest == "" {
			continue
		}
		for i := range bins {
			b := &bins[i]
			if q.Cosine >= b.Low && (q.Cosine < b.High || i == len(bins)-1 && q.Cosine <= b.High) {
				b.Queries++
				switch {
				case !q.InKB:
					b.OutOfKB++
				case q.NearestRelevant:
					b.Right++
				}
				break
			}
		}
	}
	return bins
}

// Comparison counts, over the in-KB queries both evaluations ran, those whose first relevant article
// one of them ranks higher.
type Comparison struct {
	// Better counts the queries where b ranks the first relevant article higher than a (or at all),
	// Worse those where it ranks it lower, Same the rest.
	Better, Worse, Same int
}

// Compare compares two evaluations of the same queries, such as the lexical search (a) and the hybrid
// one (b): which questions each gets right that the other misses, not only the means.
func Compare(a, b Result) Comparison {
	var c Comparison
	rank := func(q QueryResult) int {
		if q.FirstRelevant == 0 {
			return int(^uint(0) >> 1)
		}
		return q.FirstRelevant
	}
	for i := range min(len(a.PerQuery), len(b.PerQuery)) {
		qa, qb := a.PerQuery[i], b.PerQuery[i]
		if !qa.InKB || qa.ID != qb.ID {
			continue
		}
		switch ra, rb := rank(qa), rank(qb); {
		case rb < ra:
			c.Better++
		case rb > ra:
			c.Worse++
		default:
			c.Same++
		}
	}
	return c
}
