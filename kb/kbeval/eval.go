package kbeval

import (
	"context"
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
	// ModelAnswers are the same figures for the grounded-answer path, when Options.ModelPath was given:
	// a query counts as answered when the model path posts an answer, whose article is the one it cites.
	// ModelAsked counts a query as answered whenever the model is given sources: what a model that never
	// declines would answer if the desk posted whatever it wrote.
	ModelAnswers, ModelAsked *Decisions

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
	// Group names the query's relevant articles (all of them, in the corpus or not): queries with the
	// same group are paraphrases of one question, and cross-validation keeps them in one fold (see
	// Folds), or a question would be learnt from its own paraphrases.
	Group string
	// FirstRelevant is the 1-based rank of the first relevant article in the whole-corpus ranking, 0
	// when none is ranked (or the query is out-of-KB).
	FirstRelevant int
	// AP, RR, P1, P5, Recall10 and NDCG10 are the query's own ranking figures (in-KB queries only), whose
	// means are the Result's.
	AP, RR, P1, P5, Recall10, NDCG10 float64
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
	// NearestLexical says the lexical search found the nearest article too; when it did not, the
	// article's confidence is kb.VectorConfidence's, which FitVectorConfidence fits on such queries.
	NearestLexical bool
	Cosine, Lead   float64
	Fallback       bool
	// LexicalTop is the lexical search's best article (with a hybrid searcher too), LexicalConfidence its
	// lexical confidence, LexicalRelevant whether it is relevant. With a hybrid searcher, LexicalLeadZ is
	// how far ahead of the nearest other article the embedding puts it, when LexicalVector says it has
	// a vector: what kb.Agreement weighs, and what Calibrate fits it on.
	LexicalTop        string
	LexicalConfidence float64
	LexicalRelevant   bool
	LexicalVector     bool
	LexicalLeadZ      float64

	// ModelAsked says the grounded-answer path gives the model sources for the query, ModelAnswered
	// that it posts the model's answer (see Options.ModelPath), citing ModelArticle; ModelRelevant
	// says that article is relevant.
	ModelAsked    bool
	ModelAnswered bool
	ModelArticle  string
	ModelRelevant bool
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
	Search(ctx context.Context, query string, limit int, exclude ...string) []kb.Hit
}

// tracer is a Searcher that says how each search went (*kb.Hybrid does): the evaluation then records
// the vector search's figures too.
type tracer interface {
	SearchTrace(ctx context.Context, query string, limit int, exclude ...string) ([]kb.Hit, kb.Trace)
}

// Lexical makes an index a Searcher.
func Lexical(index *kb.Index) Searcher { return lexical{index} }

type lexical struct{ index *kb.Index }

func (l lexical) Search(_ context.Context, query string, limit int, exclude ...string) []kb.Hit {
	return l.index.Search(query, limit, exclude...)
}

// Options are what EvaluateWith measures besides the ranking.
type Options struct {
	// Threshold is the confidence at which the desk answers (kb.min_confidence).
	Threshold float64
	// ModelPath, when set, is the grounded-answer path with a stand-in model: given a query's hits, best
	// first, it returns the article a model answer would cite, whether the model is asked at all (given
	// sources), and whether the desk would post its answer.
	ModelPath func(hits []kb.Hit) (article string, asked, answered bool)
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
	return EvaluateWith(ctx, s, queries, corpusIDs, Options{Threshold: threshold})
}

// EvaluateWith is EvaluateSearcher with Options.
func EvaluateWith(ctx context.Context, s Searcher, queries []Query, corpusIDs map[string]bool, opts Options) Result {
	threshold := opts.Threshold
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
		qr := QueryResult{ID: q.ID, InKB: len(relevant) > 0, Group: group(q.Relevant)}
		if traced {
			var trace kb.Trace
			hits, trace = tr.SearchTrace(ctx, q.Text, 0)
			for i, t := range trace.Hits {
				if hits[i].ID == trace.Nearest {
					qr.NearestLexical = t.LexicalRank > 0
				}
				if t.LexicalRank == 1 {
					qr.LexicalTop, qr.LexicalConfidence = hits[i].ID, t.LexicalConfidence
					qr.LexicalVector, qr.LexicalLeadZ = t.Vector, t.LeadZ
				}
			}
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
			hits = s.Search(ctx, q.Text, 0)
			if len(hits) > 0 {
				qr.LexicalTop, qr.LexicalConfidence = hits[0].ID, hits[0].Confidence
			}
		}
		qr.LexicalRelevant = relevant[qr.LexicalTop]
		if len(hits) > 0 {
			qr.TopID, qr.TopConfidence = hits[0].ID, hits[0].Confidence
			qr.TopRelevant = relevant[hits[0].ID]
		}
		if opts.ModelPath != nil {
			qr.ModelArticle, qr.ModelAsked, qr.ModelAnswered = opts.ModelPath(hits)
			qr.ModelRelevant = qr.ModelAsked && relevant[qr.ModelArticle]
		}
		if qr.InKB {
			r.InKB++
			ranked = ranked[:0]
			for _, h := range hits {
				ranked = append(ranked, h.ID)
			}
			qr.FirstRelevant = firstRelevant(ranked, relevant)
			qr.RR, qr.AP = ReciprocalRank(ranked, relevant), AveragePrecision(ranked, relevant)
			qr.P1, qr.P5 = PrecisionAt(1, ranked, relevant), PrecisionAt(5, ranked, relevant)
			qr.Recall10, qr.NDCG10 = RecallAt(10, ranked, relevant), NDCGAt(10, ranked, relevant)
			sumRR += qr.RR
			sumAP += qr.AP
			sumP1 += qr.P1
			sumP5 += qr.P5
			sumR10 += qr.Recall10
			sumNDCG += qr.NDCG10
		} else {
			r.OutOfKB++
		}
		r.PerQuery = append(r.PerQuery, qr)
	}
	r.MAP, r.MRR = mean(sumAP, r.InKB), mean(sumRR, r.InKB)
	r.P1, r.P5 = mean(sumP1, r.InKB), mean(sumP5, r.InKB)
	r.Recall10, r.NDCG10 = mean(sumR10, r.InKB), mean(sumNDCG, r.InKB)
	r.Answers = Decide(r.PerQuery, threshold)
	if opts.ModelPath != nil {
		r.ModelAnswers, r.ModelAsked = modelDecisions(r.PerQuery, threshold)
	}

	// Timed apart from the pass above, which also warmed the index up: a whole-corpus ranking costs
	// more than the top-10 search the desk runs.
	ms := make([]float64, 0, len(queries))
	for _, q := range queries {
		start := time.Now()
		s.Search(ctx, q.Text, latencyLimit)
		ms = append(ms, float64(time.Since(start))/float64(time.Millisecond))
	}
	r.LatencyP50 = msDuration(Percentile(ms, 50))
	r.LatencyP99 = msDuration(Percentile(ms, 99))
	return r
}

// EvaluateArticles builds an index of articles with opts, timing the build, evaluates it with
// Evaluate, and records the process's peak memory.
func EvaluateArticles(articles []kb.Article, queries []Query, opts kb.Options, threshold float64) Result {
	return EvaluateArticlesWith(articles, queries, opts, Options{Threshold: threshold})
}

// EvaluateArticlesWith is EvaluateArticles with Options.
func EvaluateArticlesWith(articles []kb.Article, queries []Query, index kb.Options, opts Options) Result {
	start := time.Now()
	ix := kb.Build(articles, index)
	build := time.Since(start)
	r := EvaluateWith(context.Background(), Lexical(ix), queries, IDs(articles), opts)
	r.BuildTime = build
	r.PeakRSSMB, r.PeakRSSKnown = PeakRSSMB()
	return r
}

// Decide returns the answer decisions at threshold for queries already run.
func Decide(queries []QueryResult, threshold float64) Decisions {
	return decide(queries, threshold, func(q QueryResult) (bool, bool) {
		return q.TopID != "" && q.TopConfidence >= threshold, q.TopRelevant
	})
}

// modelDecisions returns the decisions of the grounded-answer path (see Options.ModelPath) for queries
// already run: as the desk posts them, and whenever the model is asked.
func modelDecisions(queries []QueryResult, threshold float64) (answered, asked *Decisions) {
	a := decide(queries, threshold, func(q QueryResult) (bool, bool) { return q.ModelAnswered, q.ModelRelevant })
	k := decide(queries, threshold, func(q QueryResult) (bool, bool) { return q.ModelAsked, q.ModelRelevant })
	return &a, &k
}

// decide counts the decisions answer makes: whether a query is answered, and rightly.
func decide(queries []QueryResult, threshold float64, answer func(QueryResult) (answered, right bool)) Decisions {
	d := Decisions{Threshold: threshold}
	var inKB, outOfKB, answeredIn, right, answeredOut int
	for _, q := range queries {
		answered, ok := answer(q)
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
			if ok {
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
