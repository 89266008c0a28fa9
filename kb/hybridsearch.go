package kb

import (
	"context"
	"fmt"
	"slices"
	"strings"
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
	// Hits explain the hits returned, in their order.
	Hits []HitTrace
}

// HitTrace is where a hit of a hybrid search comes from.
type HitTrace struct {
	// LexicalRank and VectorRank are the hit's 1-based ranks in each search's candidates, 0 when
	// that search did not find it.
	LexicalRank, VectorRank int
	// LexicalConfidence is its confidence from the lexical search (0 when it did not find it),
	// VectorConfidence that from its embedding (see VectorConfidence), Cosine its similarity.
	LexicalConfidence, VectorConfidence, Cosine float64
}

// SearchContext returns up to limit articles for query, best first, by both searches (limit <= 0: every
// article either search finds). Their ranks are fused by weighted reciprocal rank fusion, and hits at
// or above PromoteConfidence are put first, most confident first. A hit's Score is its fused score,
// comparable only within the query; its Confidence is the larger of its lexical confidence and its
// vector confidence (see VectorConfidence).
//
// Excluded articles are left out of both searches, as in Index.Search. When the query cannot be
// embedded in time the hits are the lexical search's: a search never fails.
func (h *Hybrid) SearchContext(ctx context.Context, query string, limit int, exclude ...string) []Hit {
	hits, _ := h.SearchTrace(ctx, query, limit, exclude...)
	return hits
}

// SearchTrace is SearchContext, also saying how the search went.
func (h *Hybrid) SearchTrace(ctx context.Context, query string, limit int, exclude ...string) ([]Hit, Trace) {
	n := h.opts.Candidates
	switch {
	case limit <= 0:
		n = 0
	case limit > n:
		n = limit
	}
	lex := h.lib.Search(query, n, exclude...)
	if h.emb == nil || strings.TrimSpace(query) == "" || !h.hasVectors() {
		return lexicalOnly(lex, limit)
	}
	qv, err := h.queryVector(ctx, query)
	if err == nil {
		var near []nearHit
		var lead float64
		near, lead, err = h.nearest(qv, n, exclude)
		if err == nil {
			h.noteWorking()
			return h.fuse(lex, near, lead, limit)
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
		return nil, fmt.Errorf("embed query: %d vectors for 1 text", len(out))
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

// nearest returns the n articles most similar to the normalized query vector qv, most similar first
// (n <= 0: every article with a vector), leaving out exclude, and how far the first is ahead of the
// second. It compares qv with every vector: at 1,536 dimensions that is about half a millisecond per
// thousand articles on one core, less than the query's embedding took up to tens of thousands of
// articles (and a sixth of that at 256 dimensions, which text-embedding-3 models can be asked for).
func (h *Hybrid) nearest(qv []float32, n int, exclude []string) ([]nearHit, float64, error) {
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
		return nil, 0, fmt.Errorf("the query's vector has %d dimensions, the articles' %d", len(qv), h.dim)
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
	for slot, id := range h.slots {
		if id == "" || skip[id] {
			continue
		}
		s := scored{slot, dot(qv, h.rows[slot*h.dim:(slot+1)*h.dim])}
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
	var lead float64
	switch {
	case len(top) > 1:
		lead = float64(top[0].cosine - top[1].cosine)
	case len(top) == 1:
		lead = 1 // nothing else is near
	}
	out := make([]nearHit, len(top))
	for i, s := range top {
		id := h.slots[s.slot]
		out[i] = nearHit{id: id, title: h.docs[id].title, cosine: s.cosine}
	}
	return out, lead, nil
}

// fuse merges the two searches' candidates into hits by weighted reciprocal rank fusion, gives each
// its confidence, and promotes the confident ones (see SearchContext).
func (h *Hybrid) fuse(lex []Hit, near []nearHit, lead float64, limit int) ([]Hit, Trace) {
	type fused struct {
		hit   Hit
		trace HitTrace
	}
	k := h.opts.RRFK
	all := make([]*fused, 0, len(lex)+len(near))
	byID := make(map[string]*fused, len(lex)+len(near))
	for i, hit := range lex {
		f := &fused{hit: hit, trace: HitTrace{LexicalRank: i + 1, LexicalConfidence: hit.Confidence}}
		f.hit.Score = h.opts.LexicalWeight / (k + float64(i+1))
		all = append(all, f)
		byID[hit.ID] = f
	}
	for i, v := range near {
		f := byID[v.id]
		if f == nil {
			f = &fused{hit: Hit{ID: v.id, Title: v.title}}
			all = append(all, f)
			byID[v.id] = f
		}
		f.hit.Score += h.opts.VectorWeight / (k + float64(i+1))
		f.trace.VectorRank, f.trace.Cosine = i+1, float64(v.cosine)
		l := 0.0
		if i == 0 {
			l = lead
		}
		f.trace.VectorConfidence = h.opts.Confidence.Confidence(float64(v.cosine), l)
		f.hit.Confidence = max(f.trace.LexicalConfidence, f.trace.VectorConfidence)
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
	tr := Trace{Hits: make([]HitTrace, len(all))}
	if len(near) > 0 {
		tr.Nearest, tr.Cosine, tr.Lead = near[0].id, float64(near[0].cosine), lead
	}
	for i, f := range all {
		hits[i], tr.Hits[i] = f.hit, f.trace
	}
	return hits, tr
}
