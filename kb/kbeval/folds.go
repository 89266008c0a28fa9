package kbeval

import (
	"hash/fnv"
	"slices"
	"strings"
)

// DefaultFolds is how many folds the figures' ranges and Calibrate's cross-validation use.
const DefaultFolds = 5

// group names a query's relevant articles: paraphrases of one question share it.
func group(relevant []string) string {
	ids := slices.Clone(relevant)
	slices.Sort(ids)
	return strings.Join(slices.Compact(ids), "\x00")
}

// foldOf deals the queries' groups into k folds: whole groups, so that no question is in two folds
// (its paraphrases would otherwise teach a fit the answer), and in-KB and out-of-KB groups dealt
// separately, so that each fold has its share of both. The order is fixed by a hash of each group's
// name: the same queries always make the same folds.
func foldOf(queries []QueryResult, k int) map[string]int {
	seen := make(map[string]bool)
	var in, out []string
	for _, q := range queries {
		if seen[q.Group] {
			continue
		}
		seen[q.Group] = true
		if q.InKB {
			in = append(in, q.Group)
		} else {
			out = append(out, q.Group)
		}
	}
	byHash := func(a, b string) int {
		ha, hb := hashOf(a), hashOf(b)
		switch {
		case ha < hb:
			return -1
		case ha > hb:
			return 1
		}
		return strings.Compare(a, b)
	}
	slices.SortFunc(in, byHash)
	slices.SortFunc(out, byHash)
	folds := make(map[string]int, len(in)+len(out))
	for _, groups := range [][]string{in, out} {
		for i, g := range groups {
			folds[g] = i % k
		}
	}
	return folds
}

func hashOf(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// Figures are the main figures of an evaluation over some of its queries.
type Figures struct {
	Queries, InKB, OutOfKB int
	MAP, MRR, P1           float64
	Answers                Decisions
	// ModelAnswers are the grounded-answer path's, when the evaluation measured it.
	ModelAnswers *Decisions
}

// Figures returns the figures over queries, with answers at threshold.
func figures(queries []QueryResult, threshold float64, model bool) Figures {
	f := Figures{Queries: len(queries)}
	for _, q := range queries {
		if !q.InKB {
			f.OutOfKB++
			continue
		}
		f.InKB++
		f.MAP += q.AP
		f.MRR += q.RR
		f.P1 += q.P1
	}
	f.MAP, f.MRR, f.P1 = mean(f.MAP, f.InKB), mean(f.MRR, f.InKB), mean(f.P1, f.InKB)
	f.Answers = Decide(queries, threshold)
	if model {
		f.ModelAnswers, _ = modelDecisions(queries, threshold)
	}
	return f
}

// Folds splits the queries into k folds by question (see QueryResult.Group) and returns each fold's
// figures, at the evaluation's threshold. How far a figure moves from fold to fold is how much it
// depends on which questions were asked: a difference smaller than that range is noise.
func (r Result) Folds(k int) []Figures {
	if k < 2 {
		k = DefaultFolds
	}
	fold := foldOf(r.PerQuery, k)
	parts := make([][]QueryResult, k)
	for _, q := range r.PerQuery {
		parts[fold[q.Group]] = append(parts[fold[q.Group]], q)
	}
	out := make([]Figures, k)
	for i, p := range parts {
		out[i] = figures(p, r.Answers.Threshold, r.ModelAnswers != nil)
	}
	return out
}

// Range is the lowest and the highest value of a figure over folds.
type Range struct{ Low, High float64 }

// FoldRange returns the range of figure over the folds that have queries it is defined on: in-KB
// queries for the ranking figures and answered_in_kb, out-of-KB ones for answered_out_of_kb (a fold
// without any says nothing about it).
func FoldRange(folds []Figures, figure func(Figures) (value float64, defined bool)) Range {
	r, any := Range{}, false
	for _, f := range folds {
		v, ok := figure(f)
		if !ok {
			continue
		}
		if !any {
			r, any = Range{v, v}, true
			continue
		}
		r.Low, r.High = min(r.Low, v), max(r.High, v)
	}
	return r
}
