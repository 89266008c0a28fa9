package kbeval_test

import (
	"math"
	"testing"

	"github.com/firstline-desk/firstline/kb/kbeval"
)

func set(ids ...string) map[string]bool {
	s := map[string]bool{}
	for _, id := range ids {
		s[id] = true
	}
	return s
}

func near(got, want float64) bool { return math.Abs(got-want) < 1e-9 }

// The expected values are worked out by hand in the comments, so a wrong formula (MAP divided by the
// relevant articles found instead of all of them, an ideal DCG over k positions) fails here.
func TestRankingMetrics(t *testing.T) {
	tests := []struct {
		name     string
		ranked   []string
		relevant map[string]bool
		metric   func(ranked []string, relevant map[string]bool) float64
		want     float64
	}{
		// a, b, c relevant at ranks 1, 3, 5; d relevant but never ranked:
		// (1/1 + 2/3 + 3/5) / 4 = 2.2667 / 4.
		{"AP divides by all relevant", []string{"a", "x", "b", "y", "c"}, set("a", "b", "c", "d"), kbeval.AveragePrecision, (1.0 + 2.0/3 + 3.0/5) / 4},
		// the only relevant article at rank 3: (1/3) / 1.
		{"AP one relevant", []string{"x", "y", "a"}, set("a"), kbeval.AveragePrecision, 1.0 / 3},
		{"AP none found", []string{"x", "y"}, set("a"), kbeval.AveragePrecision, 0},
		{"AP nothing relevant", []string{"a"}, set(), kbeval.AveragePrecision, 0},
		{"AP empty ranking", nil, set("a"), kbeval.AveragePrecision, 0},
		{"RR first", []string{"a", "x", "b"}, set("a", "b"), kbeval.ReciprocalRank, 1},
		{"RR third", []string{"x", "y", "a"}, set("a"), kbeval.ReciprocalRank, 1.0 / 3},
		{"RR none", []string{"x"}, set("a"), kbeval.ReciprocalRank, 0},
		{"P@1 hit", []string{"a", "x"}, set("a"), at(kbeval.PrecisionAt, 1), 1},
		{"P@1 miss", []string{"x", "a"}, set("a"), at(kbeval.PrecisionAt, 1), 0},
		// 3 relevant in the top 5.
		{"P@5", []string{"a", "x", "b", "y", "c", "d"}, set("a", "b", "c", "d"), at(kbeval.PrecisionAt, 5), 3.0 / 5},
		// a ranking of 3 with 1 relevant still divides by 5.
		{"P@5 short ranking", []string{"x", "y", "a"}, set("a"), at(kbeval.PrecisionAt, 5), 1.0 / 5},
		// 3 of the 4 relevant in the top 10.
		{"R@10", []string{"a", "x", "b", "y", "c"}, set("a", "b", "c", "d"), at(kbeval.RecallAt, 10), 3.0 / 4},
		{"R@2", []string{"a", "x", "b", "y", "c"}, set("a", "b", "c", "d"), at(kbeval.RecallAt, 2), 1.0 / 4},
		// DCG = 1/log2(2) + 1/log2(4) + 1/log2(6) = 1 + 0.5 + 0.3869 = 1.8869;
		// ideal over min(5, 4) = 4 ranks: 1 + 0.6309 + 0.5 + 0.4307 = 2.5616; 1.8869 / 2.5616 = 0.7366.
		{"nDCG@5", []string{"a", "x", "b", "y", "c"}, set("a", "b", "c", "d"), at(kbeval.NDCGAt, 5), 0.7365896932159578},
		// DCG = 1 + 1/log2(4) = 1.5; ideal over min(10, 2) = 2 ranks, not 10: 1 + 1/log2(3) = 1.6309.
		{"nDCG@10 ideal over the relevant", []string{"a", "x", "b"}, set("a", "b"), at(kbeval.NDCGAt, 10), 1.5 / (1 + 1/math.Log2(3))},
		// the only relevant article at rank 3: (1/log2(4)) / 1 = 0.5.
		{"nDCG@10 one relevant", []string{"x", "y", "a"}, set("a"), at(kbeval.NDCGAt, 10), 0.5},
		{"nDCG@2 below the cut", []string{"x", "y", "a"}, set("a"), at(kbeval.NDCGAt, 2), 0},
		{"nDCG perfect", []string{"a", "b", "x"}, set("a", "b"), at(kbeval.NDCGAt, 10), 1},
		{"nDCG nothing relevant", []string{"a"}, set(), at(kbeval.NDCGAt, 10), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.metric(tt.ranked, tt.relevant); !near(got, tt.want) {
				t.Fatalf("got %.6f, want %.6f", got, tt.want)
			}
		})
	}
}

func at(f func(int, []string, map[string]bool) float64, k int) func([]string, map[string]bool) float64 {
	return func(ranked []string, relevant map[string]bool) float64 { return f(k, ranked, relevant) }
}

func TestPercentile(t *testing.T) {
	ten := []float64{10, 1, 9, 2, 8, 3, 7, 4, 6, 5} // 1..10, shuffled
	hundred := make([]float64, 100)
	for i := range hundred {
		hundred[i] = float64(100 - i) // 100..1
	}
	tests := []struct {
		name   string
		values []float64
		p      float64
		want   float64
	}{
		{"empty", nil, 50, 0},
		{"one value", []float64{7}, 99, 7},
		// nearest rank: ceil(50% of 10) = 5th smallest.
		{"median of ten", ten, 50, 5},
		// ceil(99% of 10) = 10th: with few values p99 is the maximum.
		{"p99 of ten", ten, 99, 10},
		// ceil(95% of 10) = ceil(9.5) = 10th.
		{"p95 of ten", ten, 95, 10},
		// ceil(90% of 10) = 9th.
		{"p90 of ten", ten, 90, 9},
		// ceil(99% of 100) = 99th exactly, not 100th by floating-point error.
		{"p99 of a hundred", hundred, 99, 99},
		{"p0 is the minimum", ten, 0, 1},
		{"p100 is the maximum", ten, 100, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := kbeval.Percentile(tt.values, tt.p); got != tt.want {
				t.Fatalf("Percentile(%v) = %v, want %v", tt.p, got, tt.want)
			}
		})
	}
	if ten[0] != 10 || ten[9] != 5 {
		t.Fatalf("Percentile reordered its input: %v", ten)
	}
}
