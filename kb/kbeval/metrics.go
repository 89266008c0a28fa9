package kbeval

import (
	"math"
	"slices"
)

// The ranking metrics take one query's ranked ids, best first and without repeats (as kb.Index.Search
// returns them), and the set of ids relevant to it that are in the corpus. They are the usual
// definitions (as in trec_eval) so figures compare with published baselines; each returns 0 when
// nothing is relevant.

// AveragePrecision is the mean, over the relevant articles, of the precision at the rank where each is
// found; a relevant article never ranked contributes 0. Dividing by all the relevant articles, not just
// those found, is what makes a ranking that misses one worse than one that ranks it last.
func AveragePrecision(ranked []string, relevant map[string]bool) float64 {
	if len(relevant) == 0 {
		return 0
	}
	found, sum := 0, 0.0
	for i, id := range ranked {
		if relevant[id] {
			found++
			sum += float64(found) / float64(i+1)
		}
	}
	return sum / float64(len(relevant))
}

// ReciprocalRank is 1 / the rank of the first relevant article, 0 if none is ranked.
func ReciprocalRank(ranked []string, relevant map[string]bool) float64 {
	for i, id := range ranked {
		if relevant[id] {
			return 1 / float64(i+1)
		}
	}
	return 0
}

// PrecisionAt is the share of the top k positions that hold a relevant article. A ranking shorter than
// k still divides by k: empty positions are not right answers.
func PrecisionAt(k int, ranked []string, relevant map[string]bool) float64 {
	if k <= 0 || len(relevant) == 0 {
		return 0
	}
	return float64(countRelevant(k, ranked, relevant)) / float64(k)
}

// RecallAt is the share of the relevant articles found in the top k.
func RecallAt(k int, ranked []string, relevant map[string]bool) float64 {
	if k <= 0 || len(relevant) == 0 {
		return 0
	}
	return float64(countRelevant(k, ranked, relevant)) / float64(len(relevant))
}

// NDCGAt is the discounted cumulative gain of the top k (gain 1 for a relevant article, discounted by
// log2(rank+1)) divided by that of an ideal ranking, which puts min(k, relevant) articles first.
func NDCGAt(k int, ranked []string, relevant map[string]bool) float64 {
	if k <= 0 || len(relevant) == 0 {
		return 0
	}
	dcg := 0.0
	for i, id := range ranked[:min(k, len(ranked))] {
		if relevant[id] {
			dcg += 1 / math.Log2(float64(i+2))
		}
	}
	ideal := 0.0
	for i := range min(k, len(relevant)) {
		ideal += 1 / math.Log2(float64(i+2))
	}
	return dcg / ideal
}

func countRelevant(k int, ranked []string, relevant map[string]bool) int {
	n := 0
	for _, id := range ranked[:min(k, len(ranked))] {
		if relevant[id] {
			n++
		}
	}
	return n
}

// Percentile returns the p-th percentile (0 < p <= 100) of values by the nearest-rank method: the
// smallest value such that at least p% of the values are less than or equal to it. It always returns
// one of the values, never an interpolation, so p99 of latencies is a latency that really happened.
// It returns 0 for no values and does not reorder values.
func Percentile(values []float64, p float64) float64 {
	if len(values) == 0 {
		return 0
	}
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	// p*n/100 rather than p/100*n: 0.99*100 is not exactly 99 in floating point.
	rank := int(math.Ceil(p * float64(len(sorted)) / 100))
	rank = max(1, min(rank, len(sorted)))
	return sorted[rank-1]
}

func mean(sum float64, n int) float64 {
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}
