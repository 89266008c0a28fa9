package kb

import "math"

// confidenceFeatures describe how well one hit answers the query, each
// comparable between queries and knowledge bases:
//   - coverage: the idf-weighted share of the query's words the article has;
//   - norm: the score over the most the query could score, so coverage
//     discounted for words that occur only in passing;
//   - margin: how far ahead of the best other article it is;
//   - title: the idf-weighted share of the query's words in the article's
//     title or aliases, what the article says it is about;
//   - titleUsed: the idf-weighted share of the title the query accounts for;
//   - words: how many words the query has;
//   - ties: for the top hit, how many other articles score (nearly) the
//     same, see shareTies.
type confidenceFeatures struct {
	ties      float64
	coverage  float64
	norm      float64
	margin    float64
	title     float64
	titleUsed float64
	words     int
}

// confidence turns the features into an estimate of the probability that
// the hit answers the query. It is a logistic model fitted on the StackFAQ
// dev questions against the partial knowledge base (500 questions it can
// answer, 125 about threads it lacks; the label is "the top article is the
// right one"), so 0.7 means about seven in ten such answers are right; raw
// BM25 scores cannot be read that way, as they grow with query length and
// corpus. norm and margin enter as logarithms, so a weak match or a tie with
// another article (margin 0) pulls the estimate down whatever else holds. A
// longer question that still matches scores higher: many words matching is
// harder by chance than two.
//
// The estimate is then gated by coverage: when the words the knowledge base
// does not know carry most of the query's weight ("reset the oil light of my
// car"), one matching word does not make an answer. StackFAQ could not teach
// that (its unanswerable questions share their vocabulary with the
// answerable ones), so the gate is set by hand, low enough to cost no answer
// there.
func confidence(f confidenceFeatures) float64 {
	const (
		bias            = 0.29
		normWeight      = 1.04
		marginWeight    = 1.23
		titleWeight     = 1.67
		titleUsedWeight = 2.12
		wordsWeight     = 1.12
		floor           = 0.01 // keeps the logarithms finite
		gateLow         = 0.10
		gateHigh        = 0.30
	)
	if f.norm <= 0 || f.words == 0 {
		return 0
	}
	z := bias + normWeight*math.Log(f.norm+floor) + marginWeight*math.Log(f.margin+floor) +
		titleWeight*f.title + titleUsedWeight*f.titleUsed + wordsWeight*math.Log(float64(f.words))
	p := 1 / (1 + math.Exp(-z))
	p *= smoothstep(gateLow, gateHigh, f.coverage)
	return min(max(p, 0), 1)
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
