package kb

import "math"

// confidenceFeatures describe how well one hit answers the query, each in
// 0..1 and comparable between queries:
//   - coverage: the idf-weighted share of query words the article contains;
//   - norm: the score over the most the query could score, so coverage
//     discounted for words that occur only once in the body;
//   - margin: how far ahead of the best other article it is.
type confidenceFeatures struct {
	coverage float64
	norm     float64
	margin   float64
}

// confidence turns the features into an estimate of the probability that
// the hit answers the query. The form is a logistic model on the logarithms
// of norm and margin, fitted on the StackFAQ dev questions (real paraphrased
// questions, a fifth of them about threads the knowledge base lacks). In that
// form it falls to 0 with norm, and a tie with another article (margin 0)
// keeps it under 0.3, so a weak or ambiguous match never looks certain; raw
// BM25 scores cannot do this, as they grow with query length and corpus.
// It is then gated by coverage: when the words the knowledge
// base does not know carry most of the query's weight ("reset the oil light
// of my car"), one matching word does not make an answer, whatever the other
// features say. StackFAQ could not teach that (its unanswerable questions
// share their vocabulary with the answerable ones), so the gate is set by
// hand, low enough to cost no answer there.
func confidence(f confidenceFeatures) float64 {
	const (
		bias         = 4.48
		normWeight   = 2.05
		marginWeight = 1.16
		floor        = 0.01 // keeps the logarithms finite
		gateLow      = 0.10
		gateHigh     = 0.30
	)
	if f.norm <= 0 {
		return 0
	}
	z := bias + normWeight*math.Log(f.norm+floor) + marginWeight*math.Log(f.margin+floor)
	p := 1 / (1 + math.Exp(-z))
	return min(max(p*smoothstep(gateLow, gateHigh, f.coverage), 0), 1)
}

// smoothstep rises from 0 at lo to 1 at hi without a jump, so a small change
// in a query never flips the confidence abruptly.
func smoothstep(lo, hi, x float64) float64 {
	switch {
	case x <= lo:
		return 0
	case x >= hi:
		return 1
	}
	t := (x - lo) / (hi - lo)
	return t * t * (3 - 2*t)
}
