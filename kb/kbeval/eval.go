package kbeval

import (
	"context"
	"fmt"
	"time"

	"github.com/firstline-desk/firstline/kb"
)

// latencyLimit is how many hits the timed searches ask for: what the bot needs (an answer and a few
// alternatives), not the whole-corpus ranking the quality metrics need.
const latencyLimit = 10

// Result is an evaluation of the search on one corpus and set of queries.
type Result struct {
	// Queries counts every query; InKB those with a relevant article in the corpus, OutOfKB the rest.
	Queries, InKB, OutOfKB int

	// Ranking quality over the in-KB queries, ranking the whole corpus: means over queries, in 0..1.
	MAP, MRR, P1, P5, Recall10, NDCG10 float64

	// Answers are the answer/escalate figures at the threshold given to Evaluate.
	Answers Decisions

	// LatencyP50 and LatencyP99 are of one top-10 search per query (nearest-rank percentiles).
	LatencyP50, LatencyP99 time.Duration

	// BuildTime is how long kb.Build took over the corpus; PeakRSSMB is the process's peak resident
	// memory in MB, when PeakRSSKnown. EvaluateArticles sets them; Evaluate, given a built index,
	// cannot.
	BuildTime    time.Duration
	PeakRSSMB    float64
	PeakRSSKnown bool

	// PerQuery is how each query fared, in the order given, for sweeps and for finding the misses.
	PerQuery []QueryResult

	// Hybrid says the searcher was a hybrid one (it traces its searches, see kb.Hybrid.SearchTrace),
	// so PerQuery has the vector search's figures and CosineBins can be read.
	Hybrid bool
	// Fallbacks counts the hybrid searches that were lexical only, FallbackErr says why the first
	// was: an endpoint that fails makes a hybrid evaluation measure the lexical search.
	Fallbacks   int
	FallbackErr error
	// Sync and SyncTime are what embedding the corpus did and took; EvaluateHybrid sets them.
	Sync     kb.SyncStats
	SyncTime time.Duration
}

// QueryResult is how one query fared.
type QueryResult struct {
	ID   string
	InKB bool
	// FirstRelevant is the 1-based rank of the first relevant article in the whole-corpus ranking, 0
	// when none is ranked (or the query is out-of-KB).
	FirstRelevant int
	// TopID is the best hit's id, "" when nothing matched; TopConfidence its confidence.
	TopID         string
	TopConfidence float64
	// TopRelevant says the best hit is relevant to the query.
	TopRelevant bool

	// With a hybrid searcher: TopSource says which search found the best hit, "lexical", "vector" or
	// "both"; Nearest is the article nearest the query by embedding, Cosine and Lead its similarity
	// and its lead over the next nearest (see kb.VectorConfidence), NearestRelevant whether it is
	// relevant; Fallback says the search was lexical only.
	TopSource       string
	Nearest         string
	NearestRelevant bool
	Cosine, Lead    float64
	Fallback        bool
}

// Decisions are what the desk would do at one confidence threshold: it answers a query when the top
// hit's confidence reaches the threshold, otherwise it offers choices or escalates.
type Decisions struct {
	Threshold float64
	// AnsweredInKB is the share of in-KB queries answered.
	AnsweredInKB float64
	// AnswerPrecision is the share of answered in-KB queries whose top article is relevant, 0 when none
	// is answered.
	AnswerPrecision float64
	// AnsweredOutOfKB is the share of out-of-KB queries answered: each is a wrong answer where the desk
	// should have escalated.
	AnsweredOutOfKB float64
}

// Searcher is a search Evaluate can measure: a *kb.Hybrid, or an index through Lexical.
type Searcher interface {
	SearchContext(ctx context.Context, query string, limit int, exclude ...string) []kb.Hit
}

// tracer is a Searcher that says how each search went (*kb.Hybrid does): the evaluation then records
// the vector search's figures too.
type tracer interface {
	SearchTrace(ctx context.Context, query string, limit int, exclude ...string) ([]kb.Hit, kb.Trace)
}

// Lexical makes an index a Searcher.
func Lexical(index *kb.Index) Searcher { return lexical{index} }

type lexical struct{ index *kb.Index }

func (l lexical) SearchContext(_ context.Context, query string, limit int, exclude ...string) []kb.Hit {
	return l.index.Search(query, limit, exclude...)
}

// Evaluate runs every query against index and measures the ranking, the answer decisions at
// threshold, and the latency. corpusIDs is the set of article ids in the index (see IDs): relevant ids
// outside it are ignored, and a query with none inside it is out-of-KB.
func Evaluate(index *kb.Index, queries []Query, corpusIDs map[string]bool, threshold float64) Result {
	return EvaluateSearcher(context.Background(), Lexical(index), queries, corpusIDs, threshold)
}

// EvaluateSearcher is Evaluate for any Searcher, so that the lexical and the hybrid search are measured
// on the same questions. ctx is passed to every search. The timed searches of a hybrid searcher embed
// their queries again unless its query cache holds them all, so its latencies include the endpoint's.
func EvaluateSearcher(ctx context.Context, s Searcher, queries []Query, corpusIDs map[string]bool, threshold float64) Result {
	r := Result{Queries: len(queries), PerQuery: make([]QueryResult, 0, len(queries))}
	tr, traced := s.(tracer)
	r.Hybrid = traced
	var sumAP, sumRR, sumP1, sumP5, sumR10, sumNDCG float64
	ranked := make([]string, 0, len(corpusIDs))
	for _, q := range queries {
		relevant := map[string]bool{}
		for _, id := range q.Relevant {
			if corpusIDs[id] {
				relevant[id] = true
			}
		}
		var hits []kb.Hit
		qr := QueryResult{ID: q.ID, InKB: len(relevant) > 0}
		if traced {
			var trace kb.Trace
			hits, trace = tr.SearchTrace(ctx, q.Text, 0)
			qr.Nearest, qr.Cosine, qr.Lead = trace.Nearest, trace.Cosine, trace.Lead
			qr.NearestRelevant = relevant[trace.Nearest]
			if qr.Fallback = trace.Lexical && trace.Err != nil; qr.Fallback {
				r.Fallbacks++
				if r.FallbackErr == nil {
					r.FallbackErr = trace.Err
				}
			}
			if len(trace.Hits) > 0 {
				qr.TopSource = source(trace.Hits[0])
			}
		} else {
			hits = s.SearchContext(ctx, q.Text, 0)
		}
		if len(hits) > 0 {
			qr.TopID, qr.TopConfidence = hits[0].ID, hits[0].Confidence
			qr.TopRelevant = relevant[hits[0].ID]
		}
		if qr.InKB {
			r.InKB++
			ranked = ranked[:0]
			for _, h := range hits {
				ranked = append(ranked, h.ID)
			}
			qr.FirstRelevant = firstRelevant(ranked, relevant)
			sumRR += ReciprocalRank(ranked, relevant)
			sumAP += AveragePrecision(ranked, relevant)
			sumP1 += PrecisionAt(1, ranked, relevant)
			sumP5 += PrecisionAt(5, ranked, relevant)
			sumR10 += RecallAt(10, ranked, relevant)
			sumNDCG += NDCGAt(10, ranked, relevant)
		} else {
			r.OutOfKB++
		}
		r.PerQuery = append(r.PerQuery, qr)
	}
	r.MAP, r.MRR = mean(sumAP, r.InKB), mean(sumRR, r.InKB)
	r.P1, r.P5 = mean(sumP1, r.InKB), mean(sumP5, r.InKB)
	r.Recall10, r.NDCG10 = mean(sumR10, r.InKB), mean(sumNDCG, r.InKB)
	r.Answers = Decide(r.PerQuery, threshold)

	// Timed apart from the pass above, which also warmed the index up: a whole-corpus ranking costs
	// more than the top-10 search the desk runs.
	ms := make([]float64, 0, len(queries))
	for _, q := range queries {
		start := time.Now()
		s.SearchContext(ctx, q.Text, latencyLimit)
		ms = append(ms, float64(time.Since(start))/float64(time.Millisecond))
	}
	r.LatencyP50 = msDuration(Percentile(ms, 50))
	r.LatencyP99 = msDuration(Percentile(ms, 99))
	return r
}

// EvaluateArticles builds an index of articles with opts, timing the build, evaluates it with
// Evaluate, and records the process's peak memory.
func EvaluateArticles(articles []kb.Article, queries []Query, opts kb.Options, threshold float64) Result {
	start := time.Now()
	index := kb.Build(articles, opts)
	build := time.Since(start)
	r := Evaluate(index, queries, IDs(articles), threshold)
	r.BuildTime = build
	r.PeakRSSMB, r.PeakRSSKnown = PeakRSSMB()
	return r
}

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
	start := time.Now()
	lib := kb.NewLibrary(articles, setup.Index)
	build := time.Since(start)
	h := kb.NewHybrid(lib, setup.Embedder, setup.Store, setup.Options)
	start = time.Now()
	stats, err := h.Sync(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("embed the corpus: %w", err)
	}
	syncTime := time.Since(start)
	r := EvaluateSearcher(ctx, h, queries, IDs(articles), threshold)
	r.BuildTime, r.Sync, r.SyncTime = build, stats, syncTime
	r.PeakRSSMB, r.PeakRSSKnown = PeakRSSMB()
	return r, nil
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

// Decide returns the answer decisions at threshold for queries already run.
func Decide(queries []QueryResult, threshold float64) Decisions {
	d := Decisions{Threshold: threshold}
	var inKB, outOfKB, answeredIn, right, answeredOut int
	for _, q := range queries {
		answered := q.TopID != "" && q.TopConfidence >= threshold
		if !q.InKB {
			outOfKB++
			if answered {
				answeredOut++
			}
			continue
		}
		inKB++
		if answered {
			answeredIn++
			if q.TopRelevant {
				right++
			}
		}
	}
	d.AnsweredInKB = ratio(answeredIn, inKB)
	d.AnswerPrecision = ratio(right, answeredIn)
	d.AnsweredOutOfKB = ratio(answeredOut, outOfKB)
	return d
}

// Sweep returns the answer decisions at each threshold, to choose kb.min_confidence: raising it trades
// answered_in_kb for answer_precision and fewer wrong answers out of the KB.
func (r Result) Sweep(thresholds ...float64) []Decisions {
	out := make([]Decisions, 0, len(thresholds))
	for _, t := range thresholds {
		out = append(out, Decide(r.PerQuery, t))
	}
	return out
}

func firstRelevant(ranked []string, relevant map[string]bool) int {
	for i, id := range ranked {
		if relevant[id] {
			return i + 1
		}
	}
	return 0
}

func ratio(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}

func msDuration(ms float64) time.Duration { return time.Duration(ms * float64(time.Millisecond)) }
