package kbeval

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/firstline-desk/firstline/kb"
)

// minFitQueries is the fewest questions a fit is made on: below it the values it proposes would be
// noise.
const minFitQueries = 30

// ErrTooFew says there are too few questions, or too few right or wrong answers among them, to fit
// anything on.
var ErrTooFew = errors.New("too few questions to fit on")

// FitAgreement fits kb.Agreement on queries of a hybrid evaluation: a logistic regression of "the
// lexical search's top article is right" (out-of-KB questions never are) on the logit of its lexical
// confidence and its lead by embedding (QueryResult.LexicalLeadZ), with the lead's weight kept at 0 or
// more. Questions whose lexical top has no vector, or no lexical confidence at all (kb.Agreement
// leaves those at 0), say nothing and are left out.
func FitAgreement(queries []QueryResult) (kb.Agreement, error) {
	var x [][2]float64
	var y []float64
	var right int
	for _, q := range queries {
		if q.LexicalTop == "" || !q.LexicalVector || q.LexicalConfidence <= 0 {
			continue
		}
		x = append(x, [2]float64{logit(q.LexicalConfidence), q.LexicalLeadZ})
		label := 0.0
		if q.LexicalRelevant {
			label, right = 1, right+1
		}
		y = append(y, label)
	}
	if len(x) < minFitQueries || right < 5 || len(x)-right < 5 {
		return kb.Agreement{}, fmt.Errorf("%w: %d questions with a lexical answer and a vector, %d of them right", ErrTooFew, len(x), right)
	}
	w := fitLogistic(x, y)
	if w[2] < 0 {
		// The embedding's lead goes the wrong way on these questions: the best fit that does not
		// penalize it is the one that ignores it (the constrained fit sits on the bound).
		for i := range x {
			x[i][1] = 0
		}
		w = fitLogistic(x, y)
	}
	a := kb.Agreement{Bias: w[0], Lexical: w[1], Lead: w[2]}
	if err := a.Validate(); err != nil {
		// A fit that makes surer words count for less, or the embedding's favourite the least likely,
		// contradicts every measurement so far: report it rather than propose it.
		return kb.Agreement{}, fmt.Errorf("the fit gives %+v: %w", a, err)
	}
	return a, nil
}

// logit is the log-odds of p, kept finite as kb.Agreement keeps it.
func logit(p float64) float64 {
	const floor = 0.001
	p = min(max(p, floor), 1-floor)
	return math.Log(p / (1 - p))
}

// fitLogistic returns the bias and weights of a logistic regression of y on x, by Newton's method with a
// small ridge penalty on the weights (not the bias), which keeps the fit finite when the data separate.
func fitLogistic(x [][2]float64, y []float64) [3]float64 {
	const (
		ridge      = 0.01
		iterations = 50
	)
	var w [3]float64
	for range iterations {
		var g [3]float64
		var h [3][3]float64
		for i, xi := range x {
			row := [3]float64{1, xi[0], xi[1]}
			p := 1 / (1 + math.Exp(-(w[0] + w[1]*row[1] + w[2]*row[2])))
			for a := range 3 {
				g[a] += (p - y[i]) * row[a]
				for b := range 3 {
					h[a][b] += p * (1 - p) * row[a] * row[b]
				}
			}
		}
		for a := 1; a < 3; a++ {
			g[a] += ridge * w[a]
			h[a][a] += ridge
		}
		step, ok := solve3(h, g)
		if !ok {
			break
		}
		var size float64
		for a := range 3 {
			w[a] -= step[a]
			size += step[a] * step[a]
		}
		if size < 1e-14 {
			break
		}
	}
	return w
}

// solve3 solves h·s = g by Gaussian elimination with partial pivoting.
func solve3(h [3][3]float64, g [3]float64) ([3]float64, bool) {
	m := [3][4]float64{}
	for i := range 3 {
		m[i] = [4]float64{h[i][0], h[i][1], h[i][2], g[i]}
	}
	for c := range 3 {
		p := c
		for r := c + 1; r < 3; r++ {
			if math.Abs(m[r][c]) > math.Abs(m[p][c]) {
				p = r
			}
		}
		if math.Abs(m[p][c]) < 1e-12 {
			return [3]float64{}, false
		}
		m[c], m[p] = m[p], m[c]
		for r := range 3 {
			if r == c {
				continue
			}
			f := m[r][c] / m[c][c]
			for k := c; k < 4; k++ {
				m[r][k] -= f * m[c][k]
			}
		}
	}
	return [3]float64{m[0][3] / m[0][0], m[1][3] / m[1][1], m[2][3] / m[2][2]}, true
}

// FitVectorConfidence fits kb.VectorConfidence, the confidence of an article found by its embedding
// alone, on queries of a hybrid evaluation: the ramp whose confidence is closest (least squares) to
// whether the nearest article is right, over the questions whose nearest article the lexical search
// did not find, the only ones the ramp applies to (an article the words found too is more often right,
// and fitting on those would overrate the others). Out-of-KB questions are always wrong. Low, High and
// Lead are searched among the observed cosines and leads; Max is then the best scale, at most 1. So
// the confidence of such an article at a cosine is about the share of them that are right.
func FitVectorConfidence(queries []QueryResult) (kb.VectorConfidence, error) {
	type obs struct{ cos, lead, y float64 }
	var data []obs
	var cosines, leads []float64
	var right int
	for _, q := range queries {
		if q.Nearest == "" || q.NearestLexical {
			continue
		}
		o := obs{cos: q.Cosine, lead: q.Lead}
		if q.NearestRelevant {
			o.y, right = 1, right+1
		}
		data = append(data, o)
		cosines = append(cosines, q.Cosine)
		if q.Lead > 0 {
			leads = append(leads, q.Lead)
		}
	}
	if len(data) < minFitQueries || right == 0 || len(leads) == 0 {
		return kb.VectorConfidence{}, fmt.Errorf("%w: %d questions whose nearest article only the embedding found, %d of them right", ErrTooFew, len(data), right)
	}
	slices.Sort(cosines)
	slices.Sort(leads)
	quantile := func(s []float64, q float64) float64 { return s[min(int(q*float64(len(s))), len(s)-1)] }
	var best kb.VectorConfidence
	bestLoss := math.Inf(1)
	for lo := 0; lo < 20; lo++ {
		for hi := lo + 1; hi <= 20; hi++ {
			low, high := quantile(cosines, float64(lo)/20), quantile(cosines, float64(hi)/20)
			if high <= low {
				continue
			}
			for _, lq := range []float64{0.25, 0.5, 0.75, 0.9} {
				c := kb.VectorConfidence{Low: low, High: high, Max: 1, Lead: quantile(leads, lq)}
				// For a shape, the least-squares scale has a closed form.
				var sy, ss float64
				for _, o := range data {
					s := c.Confidence(o.cos, o.lead)
					sy += s * o.y
					ss += s * s
				}
				if ss == 0 {
					continue
				}
				c.Max = min(max(sy/ss, 0), 1)
				var loss float64
				for _, o := range data {
					d := c.Confidence(o.cos, o.lead) - o.y
					loss += d * d
				}
				if loss < bestLoss-1e-12 {
					best, bestLoss = c, loss
				}
			}
		}
	}
	if best.Max == 0 {
		return kb.VectorConfidence{}, fmt.Errorf("%w: no cosine tells a right nearest article from a wrong one", ErrTooFew)
	}
	return best, best.Validate()
}
