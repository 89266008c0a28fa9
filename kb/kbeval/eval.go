package kbeval

import (
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

// Evaluate runs every query against index and measures the ranking, the answer decisions at
// threshold, and the latency. corpusIDs is the set of article ids in the index (see IDs): relevant ids
// outside it are ignored, and a query with none inside it is out-of-KB.
func Evaluate(index *kb.Index, queries []Query, corpusIDs map[string]bool, threshold float64) Result {
	r := Result{Queries: len(queries), PerQuery: make([]QueryResult, 0, len(queries))}
	var sumAP, sumRR, sumP1, sumP5, sumR10, sumNDCG float64
	ranked := make([]string, 0, len(corpusIDs))
	for _, q := range queries {
		relevant := map[string]bool{}
		for _, id := range q.Relevant {
			if corpusIDs[id] {
				relevant[id] = true
			}
		}
		hits := index.Search(q.Text, 0)
		qr := QueryResult{ID: q.ID, InKB: len(relevant) > 0}
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
		index.Search(q.Text, latencyLimit)
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
