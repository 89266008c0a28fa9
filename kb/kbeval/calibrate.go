package kbeval

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/firstline-desk/firstline/kb"
)

// Calibration is what Calibrate measured and proposes.
type Calibration struct {
	// Folds is how many folds the cross-validation used.
	Folds int
	// Lexical is the lexical search alone, Before the hybrid search with the setup's options: both
	// over every question.
	Lexical, Before Result
	// Agreement and Confidence are fitted on every question: the values to put in [llm.hybrid].
	// ConfidenceErr says why Confidence could not be fitted (ErrTooFew: too few questions whose
	// nearest article only the embedding found); it is then the setup's.
	Agreement     kb.Agreement
	Confidence    kb.VectorConfidence
	ConfidenceErr error
	// After is the hybrid search with fitted values, cross-validated: the questions of each fold
	// searched with values fitted on the other folds alone, so its figures are what the values do on
	// questions they were not fitted on. FoldAgreements are those per-fold fits, whose spread says
	// how much the values depend on the questions.
	After          Result
	FoldAgreements []kb.Agreement
}

// Calibrate measures the hybrid search on an evaluation set and fits the two things that depend on the
// embedding model and the knowledge base: the confidence of an article the lexical search found, by
// how far ahead the embedding puts it (kb.Agreement, see FitAgreement), and that of an article found by
// its embedding alone (kb.VectorConfidence, see FitVectorConfidence). Then it checks the fit by k-fold
// cross-validation grouped by question (see Folds), searching each fold's questions again with values
// fitted without them. The corpus and each question are embedded once.
func Calibrate(ctx context.Context, articles []kb.Article, queries []Query, setup HybridSetup, opts Options, k int) (Calibration, error) {
	if k < 2 {
		k = DefaultFolds
	}
	c := Calibration{Folds: k}
	memo := &memoEmbedder{Embedder: setup.Embedder, vecs: make(map[string][]float32)}
	if setup.Store == nil {
		setup.Store = kb.NewMemoryVectors()
	}
	setup.Embedder = memo
	setup.Options.QueryCache = -1 // the memo keeps them all, across the folds' searches
	var err error
	c.Lexical, c.Before, err = EvaluateSideBySide(ctx, articles, queries, setup, opts)
	if err != nil {
		return c, err
	}
	if c.Before.Fallbacks > 0 {
		return c, fmt.Errorf("%d of %d questions could not be embedded (first: %v): a calibration needs them all", c.Before.Fallbacks, len(queries), c.Before.FallbackErr)
	}
	if c.Agreement, err = FitAgreement(c.Before.PerQuery); err != nil {
		return c, fmt.Errorf("fit the confidence of lexical answers: %w", err)
	}
	c.Agreement = roundAgreement(c.Agreement)
	c.Confidence, c.ConfidenceErr = fitRamp(c.Before.PerQuery, setup.Options.Confidence)

	lib := kb.NewLibrary(articles, setup.Index)
	ids := IDs(articles)
	fold := foldOf(c.Before.PerQuery, k)
	after := make([]QueryResult, len(queries))
	for f := range k {
		var train []QueryResult
		var test []Query
		var at []int
		for i, q := range c.Before.PerQuery {
			if fold[q.Group] == f {
				test = append(test, queries[i])
				at = append(at, i)
			} else {
				train = append(train, q)
			}
		}
		if len(test) == 0 {
			continue
		}
		a, err := FitAgreement(train)
		if err != nil {
			return c, fmt.Errorf("fold %d: %w", f+1, err)
		}
		v, _ := fitRamp(train, setup.Options.Confidence)
		a = roundAgreement(a)
		c.FoldAgreements = append(c.FoldAgreements, a)
		o := setup.Options
		o.Agreement, o.Confidence = a, v
		h := kb.NewHybrid(lib, memo, setup.Store, o)
		if _, err := h.Sync(ctx); err != nil {
			return c, fmt.Errorf("fold %d: %w", f+1, err)
		}
		r := EvaluateWith(ctx, h, test, ids, opts)
		for j, q := range r.PerQuery {
			after[at[j]] = q
		}
	}
	c.After = resultOf(after, opts.Threshold, opts.ModelPath != nil)
	return c, nil
}

// fitRamp is FitVectorConfidence, rounded, or current (filled in with the default) when it cannot fit.
func fitRamp(queries []QueryResult, current kb.VectorConfidence) (kb.VectorConfidence, error) {
	v, err := FitVectorConfidence(queries)
	if err != nil {
		if current == (kb.VectorConfidence{}) {
			current = kb.DefaultVectorConfidence
		}
		return current, err
	}
	return roundVectorConfidence(v), nil
}

// resultOf is the Result of queries already run, without timings.
func resultOf(queries []QueryResult, threshold float64, model bool) Result {
	r := Result{Queries: len(queries), PerQuery: queries, Hybrid: true}
	var p5, r10, ndcg float64
	for _, q := range queries {
		if q.InKB {
			r.InKB++
			r.MAP += q.AP
			r.MRR += q.RR
			r.P1 += q.P1
			p5 += q.P5
			r10 += q.Recall10
			ndcg += q.NDCG10
		} else {
			r.OutOfKB++
		}
		if q.Fallback {
			r.Fallbacks++
		}
	}
	r.MAP, r.MRR, r.P1 = mean(r.MAP, r.InKB), mean(r.MRR, r.InKB), mean(r.P1, r.InKB)
	r.P5, r.Recall10, r.NDCG10 = mean(p5, r.InKB), mean(r10, r.InKB), mean(ndcg, r.InKB)
	r.Answers = Decide(queries, threshold)
	if model {
		r.ModelAnswers, r.ModelAsked = modelDecisions(queries, threshold)
	}
	return r
}

// roundAgreement keeps two decimals: a config value, not a measurement to more places than it holds.
func roundAgreement(a kb.Agreement) kb.Agreement {
	return kb.Agreement{Bias: round2(a.Bias), Lexical: max(round2(a.Lexical), 0.01), Lead: round2(a.Lead)}
}

func roundVectorConfidence(v kb.VectorConfidence) kb.VectorConfidence {
	r := kb.VectorConfidence{Low: round2(v.Low), High: round2(v.High), Max: round2(v.Max), Lead: math.Round(v.Lead*1000) / 1000}
	if r.High <= r.Low {
		r.High = r.Low + 0.01
	}
	r.Lead = max(r.Lead, 0.001)
	return r
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

// memoEmbedder embeds each text once per run: the folds of a calibration search every question again.
type memoEmbedder struct {
	kb.Embedder
	mu   sync.Mutex
	vecs map[string][]float32
}

func (m *memoEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	var todo []string
	m.mu.Lock()
	for i, t := range texts {
		if v, ok := m.vecs[t]; ok {
			out[i] = v
		} else {
			todo = append(todo, t)
		}
	}
	m.mu.Unlock()
	if len(todo) == 0 {
		return out, nil
	}
	vecs, err := m.Embedder.Embed(ctx, todo)
	if err != nil {
		return nil, err
	}
	if len(vecs) != len(todo) {
		return nil, fmt.Errorf("embed: %d vectors for %d texts", len(vecs), len(todo))
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, t := range todo {
		m.vecs[t] = slices.Clone(vecs[i])
	}
	for i, t := range texts {
		if out[i] == nil {
			out[i] = m.vecs[t]
		}
	}
	return out, nil
}
