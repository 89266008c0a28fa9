package kb

import (
	"errors"
	"fmt"
	"math"
)

// Agreement is the confidence of an article the lexical search found once the query's embedding has had
// its say: a logistic model of two numbers,
//
//	confidence = 1 / (1 + exp(-(Bias + Lexical*logit(lexical) + Lead*leadZ)))
//
// where lexical is the article's lexical confidence (see Index.Search) and leadZ how far the embedding
// puts it ahead of the nearest other article, in standard deviations of the query's cosines with all
// the articles: for the nearest article by embedding its lead over the next one, positive; for any
// other how far behind the nearest it is, negative. An article both searches put first gains; one the
// embedding puts behind another loses, by how far behind. Standard deviations rather than cosines
// make the weights hold for any embedding model: cosines spread over a range each model has its own.
//
// The cosine itself, its z-score, and whether the two searches rank the same article first were
// measured too and add nothing the lead does not already say (docs/model.md, "Hybrid search").
//
// A lexical confidence of 0 stays 0: a question whose words the knowledge base does not know at all is
// not answered because an embedding finds something near it. With Lexical 1, Bias 0 and Lead 0 the
// confidence is the lexical one.
type Agreement struct {
	Bias, Lexical, Lead float64
}

// DefaultAgreement was fitted (logistic regression, label: the lexical search's top article is a right
// one) on the StackFAQ dev questions against the partial knowledge base, with a small real sentence
// encoder (Universal Sentence Encoder lite, 512 dimensions), and checked by 5-fold cross-validation
// grouped by thread. `firstline kb calibrate` fits it on your own questions and embedding model.
var DefaultAgreement = Agreement{Bias: 0.38, Lexical: 0.95, Lead: 1.33}

// agreementFloor keeps the logit finite, and a lexical confidence of 0.001 from counting as 0.
const agreementFloor = 0.001

// Confidence returns the confidence of an article of lexical confidence lexical, leadZ standard
// deviations ahead of (or behind) the nearest other article by embedding.
func (a Agreement) Confidence(lexical, leadZ float64) float64 {
	if lexical <= 0 {
		return 0
	}
	p := min(max(lexical, agreementFloor), 1-agreementFloor)
	z := a.Bias + a.Lexical*math.Log(p/(1-p)) + a.Lead*leadZ
	return 1 / (1 + math.Exp(-z))
}

// Validate reports every problem at once.
func (a Agreement) Validate() error {
	var errs []error
	if !(a.Lexical > 0) {
		errs = append(errs, fmt.Errorf("agreement: lexical weight %v must be above 0, or a surer lexical match would count for less", a.Lexical))
	}
	if a.Lead < 0 {
		errs = append(errs, fmt.Errorf("agreement: lead weight %v is negative, which would make the embedding's favourite the least likely", a.Lead))
	}
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
	if !finite(a.Bias) || !finite(a.Lexical) || !finite(a.Lead) {
		errs = append(errs, fmt.Errorf("agreement: bias %v, lexical %v and lead %v must be finite", a.Bias, a.Lexical, a.Lead))
	}
	return errors.Join(errs...)
}
