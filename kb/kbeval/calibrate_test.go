package kbeval_test

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/firstline-desk/firstline/kb"
	"github.com/firstline-desk/firstline/kb/kbeval"
)

// FitAgreement recovers the weights of data drawn from a known logistic model.
func TestFitAgreementRecoversWeights(t *testing.T) {
	truth := kb.Agreement{Bias: 0.5, Lexical: 0.9, Lead: 1.4}
	rng := rand.New(rand.NewPCG(1, 2))
	var qs []kbeval.QueryResult
	for i := range 4000 {
		conf := 0.02 + 0.96*rng.Float64()
		lead := rng.NormFloat64()
		p := truth.Confidence(conf, lead)
		qs = append(qs, kbeval.QueryResult{ID: fmt.Sprint(i), LexicalTop: "a", LexicalVector: true,
			LexicalConfidence: conf, LexicalLeadZ: lead, LexicalRelevant: rng.Float64() < p})
	}
	got, err := kbeval.FitAgreement(qs)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got.Bias-truth.Bias) > 0.15 || math.Abs(got.Lexical-truth.Lexical) > 0.1 || math.Abs(got.Lead-truth.Lead) > 0.15 {
		t.Fatalf("fitted %+v, drawn from %+v", got, truth)
	}
	// Questions without a vector, or without any lexical confidence, say nothing: too few are left.
	for i := range qs[29:] {
		qs[29+i].LexicalVector = false
	}
	if _, err := kbeval.FitAgreement(qs); !errors.Is(err, kbeval.ErrTooFew) {
		t.Fatalf("29 usable questions: %v, want ErrTooFew", err)
	}
	// A lead that goes the wrong way is not used, rather than counted against the embedding's favourite.
	for i := range qs {
		qs[i].LexicalVector, qs[i].LexicalLeadZ = true, -qs[i].LexicalLeadZ
	}
	if got, err := kbeval.FitAgreement(qs); err != nil || got.Lead != 0 || math.Abs(got.Lexical-truth.Lexical) > 0.3 {
		t.Fatalf("a lead that goes the wrong way: %+v, %v", got, err)
	}
}

// FitVectorConfidence finds a ramp close to one the data were drawn from, on questions whose nearest
// article the lexical search missed; the others do not count.
func TestFitVectorConfidence(t *testing.T) {
	truth := kb.VectorConfidence{Low: 0.4, High: 0.7, Max: 0.8, Lead: 0.05}
	rng := rand.New(rand.NewPCG(3, 4))
	var qs []kbeval.QueryResult
	for i := range 3000 {
		cos, lead := 0.2+0.7*rng.Float64(), 0.1*rng.Float64()
		qs = append(qs, kbeval.QueryResult{ID: fmt.Sprint(i), Nearest: "a", Cosine: cos, Lead: lead,
			NearestRelevant: rng.Float64() < truth.Confidence(cos, lead)})
		// A question whose nearest article the words found too, always right: left out.
		qs = append(qs, kbeval.QueryResult{ID: fmt.Sprint("l", i), Nearest: "b", NearestLexical: true, Cosine: cos, Lead: lead, NearestRelevant: true})
	}
	got, err := kbeval.FitVectorConfidence(qs)
	if err != nil {
		t.Fatal(err)
	}
	var worst float64
	for cos := 0.2; cos < 0.9; cos += 0.05 {
		for _, lead := range []float64{0, 0.02, 0.1} {
			worst = max(worst, math.Abs(got.Confidence(cos, lead)-truth.Confidence(cos, lead)))
		}
	}
	if worst > 0.12 {
		t.Fatalf("fitted %+v, drawn from %+v: confidences differ by up to %.2f", got, truth, worst)
	}
	if _, err := kbeval.FitVectorConfidence(qs[:40]); !errors.Is(err, kbeval.ErrTooFew) {
		t.Fatalf("20 usable questions: %v, want ErrTooFew", err)
	}
}

// Folds keep a question's paraphrases together, deal in-KB and out-of-KB questions into every fold,
// and are the same on every run.
func TestFolds(t *testing.T) {
	articles, queries := syntheticSet()
	r := kbeval.EvaluateArticles(articles, queries, kb.Options{}, 0.6)
	folds := r.Folds(5)
	total := 0
	for i, f := range folds {
		total += f.Queries
		if f.InKB == 0 || f.OutOfKB == 0 {
			t.Errorf("fold %d: %+v, want both kinds of question", i, f)
		}
		if f.InKB%4 != 0 || f.OutOfKB%4 != 0 {
			t.Errorf("fold %d has %d in-KB and %d out-of-KB questions: a question's 4 paraphrases were split", i, f.InKB, f.OutOfKB)
		}
	}
	if total != len(queries) {
		t.Fatalf("folds hold %d questions of %d", total, len(queries))
	}
	again := r.Folds(5)
	for i := range folds {
		if folds[i].Queries != again[i].Queries || folds[i].MAP != again[i].MAP {
			t.Fatalf("fold %d differs between two calls: %+v, %+v", i, folds[i], again[i])
		}
	}
	rg := kbeval.FoldRange(folds, func(f kbeval.Figures) (float64, bool) { return f.MRR, f.InKB > 0 })
	if rg.Low > r.MRR || rg.High < r.MRR {
		t.Errorf("MRR %v outside its fold range %+v", r.MRR, rg)
	}
}

// The model path is measured as given: a question counts as answered when the path posts, rightly
// when the article it cites is relevant; ModelAsked counts every question given sources.
func TestEvaluateModelPath(t *testing.T) {
	articles, queries := mustRead(t)
	path := func(hits []kb.Hit) (string, bool, bool) {
		if len(hits) == 0 {
			return "", false, false
		}
		return hits[0].ID, true, hits[0].Confidence >= 0.99
	}
	r := kbeval.EvaluateWith(context.Background(), kbeval.Lexical(kb.Build(articles, kb.Options{})), queries, kbeval.IDs(articles), kbeval.Options{Threshold: 0.6, ModelPath: path})
	if r.ModelAnswers == nil || r.ModelAsked == nil {
		t.Fatal("no model figures")
	}
	// q1-q3 and q5 have hits, so the model is asked; q5 is out-of-KB.
	if a := *r.ModelAsked; a.AnsweredInKB != 1 || a.AnswerPrecision != 1 || a.AnsweredOutOfKB != 0.5 {
		t.Errorf("asked %+v", a)
	}
	if a := *r.ModelAnswers; a.AnsweredOutOfKB != 0 || a.AnsweredInKB != 0 {
		t.Errorf("posted %+v: nothing reaches 0.99", a)
	}
}

// Calibrate fits, then searches each fold's questions again with values fitted on the others.
func TestCalibrate(t *testing.T) {
	articles, queries := syntheticSet()
	c, err := kbeval.Calibrate(context.Background(), articles, queries, kbeval.HybridSetup{Embedder: bagEmbedder{}}, kbeval.Options{Threshold: 0.6}, 4)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Agreement.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.ConfidenceErr != nil && !errors.Is(c.ConfidenceErr, kbeval.ErrTooFew) {
		t.Fatal(c.ConfidenceErr)
	}
	if len(c.FoldAgreements) != 4 || c.Folds != 4 {
		t.Fatalf("%d fold fits over %d folds", len(c.FoldAgreements), c.Folds)
	}
	if c.Lexical.Hybrid || !c.Before.Hybrid || !c.After.Hybrid || c.After.Queries != len(queries) || c.After.InKB != c.Before.InKB {
		t.Fatalf("lexical %v, before %v, after %v with %d queries", c.Lexical.Hybrid, c.Before.Hybrid, c.After.Hybrid, c.After.Queries)
	}
	for i, q := range c.After.PerQuery {
		if q.ID != queries[i].ID || q.Nearest == "" {
			t.Fatalf("after, query %d: %+v, want %s searched by both", i, q, queries[i].ID)
		}
	}
	if _, err := kbeval.Calibrate(context.Background(), articles, queries[:12], kbeval.HybridSetup{Embedder: bagEmbedder{}}, kbeval.Options{Threshold: 0.6}, 4); !errors.Is(err, kbeval.ErrTooFew) {
		t.Fatalf("12 questions: %v, want ErrTooFew", err)
	}
}

// syntheticSet is 20 articles, each with 4 paraphrased questions, and 5 questions' worth of articles
// left out (their questions share some words with the articles kept).
func syntheticSet() ([]kb.Article, []kbeval.Query) {
	var articles []kb.Article
	var queries []kbeval.Query
	topic := func(i int) []string {
		return []string{fmt.Sprintf("alpha%d", i), fmt.Sprintf("beta%d", i), fmt.Sprintf("gamma%d", i%5), fmt.Sprintf("delta%d", i%3)}
	}
	for i := range 25 {
		w := topic(i)
		id := fmt.Sprintf("a%02d", i)
		if i < 20 {
			articles = append(articles, kb.Article{ID: id, Title: w[0] + " " + w[1], Body: strings.Join(w, " ") + " and some common words"})
		}
		for j := range 4 {
			text := []string{w[j%2], w[2+j%2], "common", fmt.Sprintf("noise%d", (i*4+j)%7)}
			if j == 3 {
				text = append(text, topic((i + 1) % 20)[0]) // a word of a neighbour
			}
			queries = append(queries, kbeval.Query{ID: fmt.Sprintf("%s-q%d", id, j), Text: strings.Join(text, " "), Relevant: []string{id}})
		}
	}
	return articles, queries
}

// bagEmbedder embeds a text by its meaning as syntheticSet has it: alphaN and betaN mean topic N, and
// weigh three times other words, which are hashed into buckets.
type bagEmbedder struct{}

func (bagEmbedder) Model() string { return "bag" }

func (bagEmbedder) Embed(_ context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, text := range texts {
		v := make([]float32, 64)
		for _, w := range strings.Fields(strings.ToLower(text)) {
			var n int
			if _, err := fmt.Sscanf(strings.TrimLeft(w, "alphbet"), "%d", &n); err == nil && (strings.HasPrefix(w, "alpha") || strings.HasPrefix(w, "beta")) {
				v[n%32] += 3
				continue
			}
			h := fnv.New32a()
			h.Write([]byte(w))
			v[32+h.Sum32()%32]++
		}
		out[i] = v
	}
	return out, nil
}
