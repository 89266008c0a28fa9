package kb

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// HybridOptions tune a Hybrid. The zero value is the defaults.
type HybridOptions struct {
	// Candidates is how many hits of each search, lexical and vector, are fused. Default 50: the
	// fusion only moves articles up by a few places, so a right article beyond the 50th of both
	// searches would not reach the few the bot offers anyway.
	Candidates int
	// Fusion is how the two rankings are merged: FusionScore (the default) or FusionRRF.
	Fusion string
	// RRFK is reciprocal rank fusion's k (FusionRRF only): an article at rank r of a search scores
	// weight/(RRFK+r), and its fused score is the sum over both searches. Default 60, the value of the
	// paper that introduced it (Cormack, Clarke and Büttcher, 2009).
	RRFK float64
	// LexicalWeight and VectorWeight weigh the two searches in the fusion. When both are zero they are
	// DefaultScoreLexicalWeight and DefaultScoreVectorWeight for FusionScore, 1 and 1 for FusionRRF.
	LexicalWeight, VectorWeight float64
	// Agreement gives an article the lexical search found its confidence, from its lexical confidence
	// and how far the query's embedding puts it ahead of the other articles (see Agreement); the zero
	// value is DefaultAgreement.
	Agreement Agreement
	// Confidence maps the cosine similarity of an article that only the vector search found to a
	// confidence (see VectorConfidence); the zero value is DefaultVectorConfidence.
	Confidence VectorConfidence
	// PromoteConfidence puts hits at or above this confidence first, most confident first, ahead of
	// the fused order. The bot acts on the first hit's confidence: without this an article it would
	// answer with could be ranked second behind one the fusion likes better but neither search is
	// sure of, and the bot would escalate instead. Default 0.35, the desk's default
	// suggest_confidence: set it to the desk's.
	PromoteConfidence float64
	// BatchSize is how many articles Sync embeds in one call. Default 64.
	BatchSize int
	// MaxTextChars clips the text an article is embedded from, in characters. Default 8000, about
	// 2,000 tokens of English: under every endpoint's input limit, and more than an IT article needs
	// to say what it is about.
	MaxTextChars int
	// QueryCache is how many query embeddings are kept, least recently used out first. Default 256;
	// negative keeps none.
	QueryCache int
	// QueryTimeout bounds the embedding of a query in Search, within the caller's context: a
	// slow endpoint delays an answer by at most this, then the search is lexical. Default 3s.
	QueryTimeout time.Duration
	// Logger reports Sync's progress and when query embeddings start and stop failing. Default: none.
	Logger *slog.Logger
}

// Fusions of a Hybrid's two rankings.
const (
	// FusionScore adds the article's lexical score, over the best lexical score of the query, and its
	// embedding's similarity to the query's, as a z-score among all the articles (how many standard
	// deviations above their mean cosine) over the nearest article's, both weighted. Each part is 1
	// for the article its search ranks first and scales with how close the others come, so an article
	// both searches rank near the top wins, and articles that score alike on the words (the answers of
	// one question) stay together unless their meaning sets them apart. The z-score makes it the same
	// for every embedding model, whatever its range of cosines.
	FusionScore = "score"
	// FusionRRF is weighted reciprocal rank fusion (see HybridOptions.RRFK): ranks only, so it demotes
	// the second and third right articles of a question whenever the other search ranks them apart.
	FusionRRF = "rrf"
)

// DefaultScoreLexicalWeight and DefaultScoreVectorWeight are FusionScore's weights. Measured on
// StackFAQ dev with a real sentence encoder (see docs/model.md, "Hybrid search"): a vector weight from 0.2 to
// 0.4 ranks better than the lexical search alone on all three setups, best around 0.3; from 0.6 the
// embedding overrides the words and ranks worse than lexical.
const (
	DefaultScoreLexicalWeight = 0.7
	DefaultScoreVectorWeight  = 0.3
)

// Validate reports every problem at once; zero values are fine (they are the defaults).
func (o HybridOptions) Validate() error {
	var errs []error
	if o.Candidates < 0 || o.BatchSize < 0 || o.MaxTextChars < 0 || o.QueryTimeout < 0 {
		errs = append(errs, fmt.Errorf("hybrid search: candidates %d, batch size %d, max text chars %d and query timeout %v must not be negative",
			o.Candidates, o.BatchSize, o.MaxTextChars, o.QueryTimeout))
	}
	if o.Fusion != "" && o.Fusion != FusionScore && o.Fusion != FusionRRF {
		errs = append(errs, fmt.Errorf("hybrid search: fusion %q is not %q or %q", o.Fusion, FusionScore, FusionRRF))
	}
	if o.RRFK < 0 || o.LexicalWeight < 0 || o.VectorWeight < 0 {
		errs = append(errs, fmt.Errorf("hybrid search: rrf k %v and the weights %v (lexical) and %v (vector) must not be negative", o.RRFK, o.LexicalWeight, o.VectorWeight))
	}
	if o.PromoteConfidence < 0 {
		errs = append(errs, fmt.Errorf("hybrid search: promote confidence %v is negative", o.PromoteConfidence))
	}
	if o.Agreement != (Agreement{}) {
		if err := o.Agreement.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if o.Confidence != (VectorConfidence{}) {
		if err := o.Confidence.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Defaults of HybridOptions.
const (
	DefaultHybridCandidates  = 50
	DefaultRRFK              = 60
	DefaultPromoteConfidence = 0.35
	DefaultEmbedBatchSize    = 64
	DefaultEmbedMaxTextChars = 8000
	DefaultQueryCacheSize    = 256
	DefaultQueryEmbedTimeout = 3 * time.Second
)

// VectorConfidence maps how similar an article that only the vector search found is to the query to a
// Confidence the bot can compare with its thresholds like a lexical one. Cosine similarities are not
// probabilities, and their range depends on the model: unrelated texts score about 0.1 with OpenAI's
// text-embedding-3-small, 0.7 with ada-002, 0.5 with Universal Sentence Encoder lite. So the mapping is
// a ramp with numbers to measure for the model in use (`firstline kb calibrate` proposes them from the
// share of right nearest articles by cosine):
//
//	confidence = Max * smoothstep(Low, High, cosine) * (1 + smoothstep(0, Lead, lead)) / 2
//
// where lead is, for the nearest article, its cosine minus the next nearest one's, and 0 for the
// others: like the lexical confidence, an article far ahead of the rest is more likely the one than
// one of several alike, which share half.
//
// An article the lexical search also found gets its confidence from Agreement instead, which weighs
// both searches.
type VectorConfidence struct {
	// Low is the cosine at or below which the confidence is 0; High the one from which it is Max.
	Low, High float64
	// Max is the highest confidence the embedding alone gives.
	Max float64
	// Lead is the lead over the next nearest article from which the nearest one keeps its whole
	// confidence.
	Lead float64
}

// DefaultVectorConfidence is set for OpenAI's text-embedding-3 models, by published measurements
// rather than this project's: they put a question at about 0.45 from a long article that answers it
// (higher for a short one, as IT articles are), at 0.1 or less from an unrelated text, and two
// related words at about 0.45. Max 0.50 sits between the desk's default suggest_confidence (0.35)
// and min_confidence (0.60): an article found by its embedding alone shares no searched word with the
// question, and until the mapping is measured on the desk's own questions the bot offers it ("this
// may help") rather than answers with it. Measure with `firstline kb calibrate` and raise Max once the
// nearest articles above High are right often enough.
var DefaultVectorConfidence = VectorConfidence{Low: 0.30, High: 0.60, Max: 0.50, Lead: 0.05}

// Confidence returns the confidence of an article at cosine similarity cosine with the query, lead
// ahead of the next nearest article (0 when it is not the nearest).
func (c VectorConfidence) Confidence(cosine, lead float64) float64 {
	p := c.Max * smoothstep(c.Low, c.High, cosine) * (1 + smoothstep(0, c.Lead, lead)) / 2
	return min(max(p, 0), 1)
}

// Validate reports every problem at once.
func (c VectorConfidence) Validate() error {
	var errs []error
	if c.Low < -1 || c.High > 1 || c.Low >= c.High {
		errs = append(errs, fmt.Errorf("vector confidence: low %v and high %v must be cosines with -1 <= low < high <= 1", c.Low, c.High))
	}
	if c.Max < 0 || c.Max > 1 {
		errs = append(errs, fmt.Errorf("vector confidence: max %v is not between 0 and 1", c.Max))
	}
	if c.Lead < 0 {
		errs = append(errs, fmt.Errorf("vector confidence: lead %v is negative", c.Lead))
	}
	return errors.Join(errs...)
}

// Hybrid is a Library searched two ways: lexically (BM25F, see Index) and by the similarity of
// embeddings, which finds an article that says the same thing in other words ("laptop won't power
// on" for "Computer does not start"). It is safe for concurrent use.
//
// Articles are embedded by Sync, not by Put: embedding is a network call, and Put runs where none may
// happen. Until an article has its vector it is found lexically only. Vectors are kept in a
// VectorStore under a hash of the embedding model and the article's text, so an article is embedded
// once per text and model, across restarts.
