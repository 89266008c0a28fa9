package kb

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/firstline-desk/firstline/internal/plural"
)

// Trace says how a hybrid search went, for evaluation and for explaining a result.
type Trace struct {
	// Lexical is true when the hits are the lexical search's alone: there is no embedder, no article
	// has a vector yet, or the query could not be embedded (Err says why).
	Lexical bool
	Err     error
	// Nearest is the article most similar to the query by embedding, among those not excluded;
	// Cosine its similarity and Lead how far ahead of the next nearest it is. "" when Lexical.
	Nearest      string
	Cosine, Lead float64
	// CosineMean and CosineStd are the mean and standard deviation of the query's cosines with every
	// article (see Agreement).
	CosineMean, CosineStd float64
	// Hits explain the hits returned, in their order.
	Hits []HitTrace
}

// HitTrace is where a hit of a hybrid search comes from.
type HitTrace struct {
	// LexicalRank and VectorRank are the hit's 1-based ranks in each search's candidates, 0 when
	// that search did not find it.
	LexicalRank, VectorRank int
	// LexicalConfidence is its confidence from the lexical search (0 when it did not find it),
	// VectorConfidence that from its embedding alone (see VectorConfidence).
	LexicalConfidence, VectorConfidence float64
	// Vector says the article has a vector; Cosine is then its similarity with the query and LeadZ
	// how far ahead of the nearest other article that puts it (see Agreement).
	Vector        bool
	Cosine, LeadZ float64
}

// Search returns up to limit articles for query, best first, by both searches (limit <= 0: every
// article either search finds). The two rankings are fused (see HybridOptions.Fusion), and hits at or
// above PromoteConfidence are put first, most confident first. A hit's Score is its fused score,
// comparable only within the query. Its Confidence is, for an article the lexical search found, its
// lexical confidence revised by how far ahead of the others the embedding puts it (see Agreement), and
// for an article only the vector search found, that of its cosine (see VectorConfidence).
//
// Excluded articles are left out of both searches, as in Index.Search. When the query cannot be
// embedded in time the hits are the lexical search's: a search never fails.
func (h *Hybrid) Search(ctx context.Context, query string, limit int, exclude ...string) []Hit {
	hits, _ := h.SearchTrace(ctx, query, limit, exclude...)
	return hits
}

// SearchTrace is Search, also saying how the search went.
func (h *Hybrid) SearchTrace(ctx context.Context, query string, limit int, exclude ...string) ([]Hit, Trace) {
	n := h.opts.Candidates
	switch {
	case limit <= 0:
		n = 0
	case limit > n:
		n = limit
	}
	lex := h.lib.Index.Search(query, n, exclude...)
	if h.emb == nil || strings.TrimSpace(query) == "" || !h.hasVectors() {
		return lexicalOnly(lex, limit)
	}
	qv, err := h.queryVector(ctx, query)
	if err == nil {
		want := make([]string, len(lex))
		for i, hit := range lex {
			want[i] = hit.ID
		}
		var v *vectorView
		v, err = h.nearest(qv, n, exclude, want)
		if err == nil {
			h.noteWorking()
			return h.fuse(lex, v, limit)
		}
	}
	h.noteFailing(err)
	hits, tr := lexicalOnly(lex, limit)
	tr.Err = err
	return hits, tr
}

func lexicalOnly(lex []Hit, limit int) ([]Hit, Trace) {
	if limit > 0 && len(lex) > limit {
		lex = lex[:limit]
	}
	tr := Trace{Lexical: true, Hits: make([]HitTrace, len(lex))}
	for i, hit := range lex {
		tr.Hits[i] = HitTrace{LexicalRank: i + 1, LexicalConfidence: hit.Confidence}
	}
	return lex, tr
}

func (h *Hybrid) hasVectors() bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.slots) > len(h.free)
}

// noteFailing logs when query embeddings start failing, and noteWorking when they work again: once
// each, not once per search, so an endpoint that is down does not flood the log.
func (h *Hybrid) noteFailing(err error) {
	if !h.failing.Swap(true) {
		h.log.Warn("hybrid search is lexical only: the query could not be embedded", "model", h.model, "err", err)
	}
}

func (h *Hybrid) noteWorking() {
	if h.failing.Swap(false) {
		h.log.Info("hybrid search embeds queries again", "model", h.model)
	}
}

// queryVector returns the normalized embedding of query, from the cache when it was embedded lately.
func (h *Hybrid) queryVector(ctx context.Context, query string) ([]float32, error) {
	query = clipText(query, h.opts.MaxTextChars)
	if vec, ok := h.cache.get(query); ok {
		return vec, nil
	}
	ctx, cancel := context.WithTimeout(ctx, h.opts.QueryTimeout)
	defer cancel()
	out, err := h.emb.Embed(ctx, []string{query})
	if err != nil {
		return nil, fmt.Errorf("embed query: %w", err)
	}
	if err := ctx.Err(); err != nil {
		// An embedder that ignores ctx must not make a search late without it being told.
		return nil, fmt.Errorf("embed query: %w", err)
	}
	if len(out) != 1 {
		return nil, fmt.Errorf("embed query: %s for 1 text", plural.Count(len(out), "vector", "vectors"))
	}
	vec, err := normalize(out[0])
	if err != nil {
		return nil, fmt.Errorf("embed query: %w", err)
	}
	h.cache.put(query, vec)
	return vec, nil
}

// nearHit is an article the vector search found.
type nearHit struct {
	id, title string
	cosine    float32
}

// vectorView is what the vector search saw of one query.
type vectorView struct {
	// near are the nearest articles, most similar first; lead is how far the first is ahead of the
	// second (1 when it is alone: nothing else is near).
	near []nearHit
	lead float64
	// mean and std are those of the cosines of every article with a vector (excluded ones left out):
	// what "near" means for this query and this model.
	mean, std float64
	// cosines holds the cosines of the articles asked for (the lexical candidates), near or not.
	cosines map[string]float32
}

// leadZ is how far ahead of the nearest other article an article at cosine cos is, in standard
// deviations (see Agreement): for the nearest its lead over the next, for the others how far behind
// the nearest they are. It is 0 when the cosines do not spread (a single article).
func (v *vectorView) leadZ(id string, cos float32) float64 {
	if v.std <= 0 || len(v.near) == 0 {
		return 0
	}
	if id == v.near[0].id {
		return v.lead / v.std
	}
	return float64(cos-v.near[0].cosine) / v.std
}

// z is the cosine's z-score among the query's cosines over the nearest article's, in [0, 1] (see
// FusionScore); 0 when the cosines do not spread.
func (v *vectorView) z(cos float32) float64 {
	if v.std <= 0 || len(v.near) == 0 {
		return 0
	}
	top := (float64(v.near[0].cosine) - v.mean) / v.std
	if top <= 0 {
		return 0
	}
	return max((float64(cos)-v.mean)/v.std/top, 0)
}

// nearest compares the normalized query vector qv with every article's, leaving out exclude, and
// returns the n most similar (n <= 0: all of them), the spread of the cosines, and the cosines of the
// articles in want. It compares qv with every vector: at 1,536 dimensions that is about half a
// millisecond per thousand articles on one core, less than the query's embedding took up to tens of
// thousands of articles (and a sixth of that at 256 dimensions, which text-embedding-3 models can be
// asked for).
func (h *Hybrid) nearest(qv []float32, n int, exclude, want []string) (*vectorView, error) {
	var skip map[string]bool
	if len(exclude) > 0 {
		skip = make(map[string]bool, len(exclude))
		for _, id := range exclude {
			skip[id] = true
		}
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	if len(qv) != h.dim {
		return nil, fmt.Errorf("the query's vector has %d dimensions, the articles' %d", len(qv), h.dim)
	}
	type scored struct {
		slot   int
		cosine float32
	}
	better := func(a, b scored) int {
		switch {
		case a.cosine > b.cosine:
			return -1
		case a.cosine < b.cosine:
			return 1
		}
		return strings.Compare(h.slots[a.slot], h.slots[b.slot])
	}
	var top []scored
	if n > 0 {
		top = make([]scored, 0, n+1)
	}
	var (
		count        int
		sum, sumSq   float64
		first, other = float32(-2), float32(-2) // the two best cosines, for the lead even when n is 1
	)
	for slot, id := range h.slots {
		if id == "" || skip[id] {
			continue
		}
		s := scored{slot, dot(qv, h.rows[slot*h.dim:(slot+1)*h.dim])}
		count++
		sum += float64(s.cosine)
		sumSq += float64(s.cosine) * float64(s.cosine)
		switch {
		case s.cosine > first:
			first, other = s.cosine, first
		case s.cosine > other:
			other = s.cosine
		}
		if n <= 0 {
			top = append(top, s)
			continue
		}
		if len(top) == n && better(s, top[n-1]) >= 0 {
			continue
		}
		i, _ := slices.BinarySearchFunc(top, s, better)
		top = slices.Insert(top, i, s)
		if len(top) > n {
			top = top[:n]
		}
	}
	if n <= 0 {
		slices.SortFunc(top, better)
	}
	v := &vectorView{near: make([]nearHit, len(top)), cosines: make(map[string]float32, len(want))}
	for i, s := range top {
		id := h.slots[s.slot]
		v.near[i] = nearHit{id: id, title: h.docs[id].title, cosine: s.cosine}
	}
	switch {
	case count > 1:
		v.lead = float64(first - other)
		v.mean = sum / float64(count)
		v.std = math.Sqrt(max(sumSq/float64(count)-v.mean*v.mean, 0))
		if v.std < 1e-6 {
			v.std = 0 // all alike: nothing is nearer than the rest
		}
	case count == 1:
		v.lead = 1
	}
	for _, id := range want {
		if d := h.docs[id]; d != nil && d.slot >= 0 && !skip[id] {
			v.cosines[id] = dot(qv, h.rows[d.slot*h.dim:(d.slot+1)*h.dim])
		}
	}
	for _, nh := range v.near {
		v.cosines[nh.id] = nh.cosine
	}
	return v, nil
}

// fuse merges the two searches' candidates into hits (see FusionScore and FusionRRF), gives each its
// confidence, and promotes the confident ones (see Search).
func (h *Hybrid) fuse(lex []Hit, v *vectorView, limit int) ([]Hit, Trace) {
	type fused struct {
		hit     Hit
		lexical float64 // the lexical score, 0 when the lexical search did not find it
		trace   HitTrace
	}
	all := make([]*fused, 0, len(lex)+len(v.near))
	byID := make(map[string]*fused, len(lex)+len(v.near))
	for i, hit := range lex {
		f := &fused{hit: hit, lexical: hit.Score, trace: HitTrace{LexicalRank: i + 1, LexicalConfidence: hit.Confidence}}
		all = append(all, f)
		byID[hit.ID] = f
	}
	for i, nh := range v.near {
		f := byID[nh.id]
		if f == nil {
			f = &fused{hit: Hit{ID: nh.id, Title: nh.title}}
			all = append(all, f)
			byID[nh.id] = f
		}
		f.trace.VectorRank = i + 1
	}
	var bestLexical float64
	if len(lex) > 0 {
		bestLexical = lex[0].Score
	}
	for _, f := range all {
		t := &f.trace
		cos, ok := v.cosines[f.hit.ID]
		if ok {
			t.Vector, t.Cosine, t.LeadZ = true, float64(cos), v.leadZ(f.hit.ID, cos)
			lead := 0.0
			if t.VectorRank == 1 {
				lead = v.lead
			}
			t.VectorConfidence = h.opts.Confidence.Confidence(t.Cosine, lead)
		}
		switch {
		case t.LexicalRank == 0:
			f.hit.Confidence = t.VectorConfidence
		case ok:
			f.hit.Confidence = h.opts.Agreement.Confidence(t.LexicalConfidence, t.LeadZ)
		default:
			f.hit.Confidence = t.LexicalConfidence // not embedded yet
		}
		if h.opts.Fusion == FusionRRF {
			f.hit.Score = 0
			if t.LexicalRank > 0 {
				f.hit.Score += h.opts.LexicalWeight / (h.opts.RRFK + float64(t.LexicalRank))
			}
			if t.VectorRank > 0 {
				f.hit.Score += h.opts.VectorWeight / (h.opts.RRFK + float64(t.VectorRank))
			}
			continue
		}
		f.hit.Score = 0
		if bestLexical > 0 {
			f.hit.Score = h.opts.LexicalWeight * f.lexical / bestLexical
		}
		if ok {
			f.hit.Score += h.opts.VectorWeight * v.z(cos)
		}
	}
	slices.SortFunc(all, func(a, b *fused) int {
		pa, pb := a.hit.Confidence >= h.opts.PromoteConfidence, b.hit.Confidence >= h.opts.PromoteConfidence
		switch {
		case pa && !pb:
			return -1
		case pb && !pa:
			return 1
		case pa && pb && a.hit.Confidence != b.hit.Confidence:
			if a.hit.Confidence > b.hit.Confidence {
				return -1
			}
			return 1
		case a.hit.Score > b.hit.Score:
			return -1
		case a.hit.Score < b.hit.Score:
			return 1
		}
		return strings.Compare(a.hit.ID, b.hit.ID)
	})
	if limit > 0 && len(all) > limit {
		all = all[:limit]
	}
	hits := make([]Hit, len(all))
	tr := Trace{Hits: make([]HitTrace, len(all)), CosineMean: v.mean, CosineStd: v.std}
	if len(v.near) > 0 {
		tr.Nearest, tr.Cosine, tr.Lead = v.near[0].id, float64(v.near[0].cosine), v.lead
	}
	for i, f := range all {
		hits[i], tr.Hits[i] = f.hit, f.trace
	}
	return hits, tr
}
