package kb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// HybridOptions tune a Hybrid. The zero value is the defaults.
type HybridOptions struct {
	// Candidates is how many hits of each search, lexical and vector, are fused. Default 50: the
	// fusion only moves articles up by a few places, so a right article beyond the 50th of both
	// searches would not reach the few the bot offers anyway.
	Candidates int
	// RRFK is reciprocal rank fusion's k: an article at rank r of a search scores weight/(RRFK+r), and
	// its fused score is the sum over both searches. Default 60, the value of the paper that introduced
	// it (Cormack, Clarke and Büttcher, 2009), which most systems keep: large enough that an article
	// both searches rank well beats one that only one of them ranks first.
	RRFK float64
	// LexicalWeight and VectorWeight weigh the two searches in the fusion. When both are zero each is 1.
	LexicalWeight, VectorWeight float64
	// Confidence maps an article's cosine similarity with the query to a confidence (see
	// VectorConfidence); the zero value is DefaultVectorConfidence.
	Confidence VectorConfidence
	// PromoteConfidence puts hits at or above this confidence first, most confident first, ahead of
	// the fused order. The bot acts on the first hit's confidence: without this an article the
	// lexical search is sure of (0.8) could be ranked second behind one the fusion likes better but
	// neither search is sure of, and the bot would escalate where the lexical search alone answers.
	// Default 0.35, the desk's default suggest_confidence: set it to the desk's.
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
	// QueryTimeout bounds the embedding of a query in SearchContext, within the caller's context: a
	// slow endpoint delays an answer by at most this, then the search is lexical. Default 3s.
	QueryTimeout time.Duration
	// Logger reports Sync's progress and when query embeddings start and stop failing. Default: none.
	Logger *slog.Logger
}

// Validate reports every problem at once; zero values are fine (they are the defaults).
func (o HybridOptions) Validate() error {
	var errs []error
	if o.Candidates < 0 || o.BatchSize < 0 || o.MaxTextChars < 0 || o.QueryTimeout < 0 {
		errs = append(errs, fmt.Errorf("hybrid search: candidates %d, batch size %d, max text chars %d and query timeout %v must not be negative",
			o.Candidates, o.BatchSize, o.MaxTextChars, o.QueryTimeout))
	}
	if o.RRFK < 0 || o.LexicalWeight < 0 || o.VectorWeight < 0 {
		errs = append(errs, fmt.Errorf("hybrid search: rrf k %v and the weights %v (lexical) and %v (vector) must not be negative", o.RRFK, o.LexicalWeight, o.VectorWeight))
	}
	if o.PromoteConfidence < 0 {
		errs = append(errs, fmt.Errorf("hybrid search: promote confidence %v is negative", o.PromoteConfidence))
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

// VectorConfidence maps how similar an article is to the query, by embedding, to a Confidence the bot
// can compare with its thresholds like a lexical one. Cosine similarities are not probabilities, and
// their range depends on the model: unrelated texts score about 0.1 with OpenAI's
// text-embedding-3-small but 0.7 with ada-002. So the mapping is a ramp with numbers to measure for
// the model in use (`firstline kb eval` prints the share of right nearest articles by cosine):
//
//	confidence = Max * smoothstep(Low, High, cosine) * (1 + smoothstep(0, Lead, lead)) / 2
//
// where lead is, for the nearest article, its cosine minus the next nearest one's, and 0 for the
// others: like the lexical confidence, an article far ahead of the rest is more likely the one than
// one of several alike, which share half.
//
// A Hybrid gives this confidence to articles the vector search found, and an article both searches
// found the larger of its lexical and vector confidences.
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
// may help") rather than answers with it. Measure with `firstline kb eval` and raise Max once the
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
//
// Edit the articles through the Hybrid's Put and Delete, not the Library's, so the vectors follow.
type Hybrid struct {
	lib   *Library
	emb   Embedder // nil: lexical only
	store VectorStore
	opts  HybridOptions
	log   *slog.Logger
	model string
	cache *queryCache

	syncMu  sync.Mutex  // one Sync at a time
	failing atomic.Bool // the last query embedding failed

	mu   sync.RWMutex // orders edits; searches read the vectors under it
	docs map[string]*hybridDoc
	// The vectors, normalized, one row of dim float32s per slot, contiguous so that a search reads
	// them in order. A slot whose article was edited or deleted is free ("" in slots) and reused.
	dim   int
	rows  []float32
	slots []string
	free  []int
	// growHint is how many vectors the running Sync may add.
	growHint int
}

// hybridDoc is what a Hybrid keeps of an article.
type hybridDoc struct {
	key   string // vectorKey of its current text
	title string
	slot  int // its vector's row, -1 while it has none
}

// NewHybrid returns a hybrid search over lib's articles, with vectors from emb kept in store. A nil
// emb makes it a lexical search; a nil store keeps vectors in memory only. Until Sync has run every
// search is lexical.
func NewHybrid(lib *Library, emb Embedder, store VectorStore, opts HybridOptions) *Hybrid {
	if opts.Candidates <= 0 {
		opts.Candidates = DefaultHybridCandidates
	}
	if opts.RRFK <= 0 {
		opts.RRFK = DefaultRRFK
	}
	if opts.LexicalWeight == 0 && opts.VectorWeight == 0 {
		opts.LexicalWeight, opts.VectorWeight = 1, 1
	}
	if opts.Confidence == (VectorConfidence{}) {
		opts.Confidence = DefaultVectorConfidence
	}
	if opts.PromoteConfidence == 0 {
		opts.PromoteConfidence = DefaultPromoteConfidence
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultEmbedBatchSize
	}
	if opts.MaxTextChars <= 0 {
		opts.MaxTextChars = DefaultEmbedMaxTextChars
	}
	if opts.QueryCache == 0 {
		opts.QueryCache = DefaultQueryCacheSize
	}
	if opts.QueryTimeout <= 0 {
		opts.QueryTimeout = DefaultQueryEmbedTimeout
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if store == nil {
		store = NewMemoryVectors()
	}
	h := &Hybrid{
		lib: lib, emb: emb, store: store, opts: opts, log: log,
		cache: newQueryCache(opts.QueryCache),
		docs:  make(map[string]*hybridDoc),
	}
	if emb != nil {
		h.model = emb.Model()
	}
	for _, a := range lib.Articles() {
		h.docs[a.ID] = &hybridDoc{key: h.key(&a), title: a.Title, slot: -1}
	}
	return h
}

func (h *Hybrid) key(a *Article) string { return vectorKey(h.model, embedText(a, h.opts.MaxTextChars)) }

// Library returns the library searched.
func (h *Hybrid) Library() *Library { return h.lib }

// Article returns the article with id (see Library.Article).
func (h *Hybrid) Article(id string) (Article, bool) { return h.lib.Article(id) }

// Search is the lexical search alone (see Index.Search): it makes no network call, so it can run where
// none may happen, such as inside a storage transaction.
func (h *Hybrid) Search(query string, limit int, exclude ...string) []Hit {
	return h.lib.Search(query, limit, exclude...)
}

// Put adds or replaces the article. The lexical search finds it at once; when its text changed, its
// vector is dropped and the next Sync embeds the new text.
func (h *Hybrid) Put(a Article) {
	key := h.key(&a)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.lib.Put(a)
	d := h.docs[a.ID]
	if d == nil {
		d = &hybridDoc{slot: -1}
		h.docs[a.ID] = d
	}
	d.title = a.Title
	if d.key != key {
		d.key = key
		h.freeLocked(d)
	}
}

// Delete removes the article with id; an unknown id is not an error.
func (h *Hybrid) Delete(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.lib.Delete(id)
	if d := h.docs[id]; d != nil {
		h.freeLocked(d)
		delete(h.docs, id)
	}
}

func (h *Hybrid) freeLocked(d *hybridDoc) {
	if d.slot < 0 {
		return
	}
	h.slots[d.slot] = ""
	h.free = append(h.free, d.slot)
	d.slot = -1
}

// installLocked gives the article id the vector vec of text key, unless the article was edited or
// deleted since key was computed. A vector of another length than those before it fails, unless it is
// fresh from the embedder: then the endpoint's dimensions changed under the same model name, and the
// old vectors are dropped for the next Sync to replace.
func (h *Hybrid) installLocked(id, key string, vec []float32, fresh bool) (bool, error) {
	d := h.docs[id]
	if d == nil || d.key != key || d.slot >= 0 {
		return false, nil
	}
	if h.dim == 0 || len(vec) != h.dim && fresh {
		if h.dim != 0 {
			h.log.Warn("the embedder's vectors changed length: embedding every article again", "model", h.model, "from", h.dim, "to", len(vec))
		}
		for _, d := range h.docs {
			d.slot = -1
		}
		h.dim, h.rows, h.slots, h.free = len(vec), nil, nil, nil
	}
	if len(vec) != h.dim {
		return false, fmt.Errorf("article %s: a vector of %d dimensions where the others have %d", id, len(vec), h.dim)
	}
	if n := len(h.free); n > 0 {
		d.slot, h.free = h.free[n-1], h.free[:n-1]
		copy(h.rows[d.slot*h.dim:], vec)
		h.slots[d.slot] = id
	} else {
		d.slot = len(h.slots)
		if cap(h.rows)-len(h.rows) < h.dim {
			// Room for the vectors Sync is about to add, or doubling: append grows a large slice by a
			// quarter, which would copy the vectors of a knowledge base loaded at start dozens of times.
			h.rows = slices.Grow(h.rows, max(h.growHint*h.dim, len(h.rows), 64*h.dim))
			h.growHint = 0
		}
		h.rows = append(h.rows, vec...)
		h.slots = append(h.slots, id)
	}
	return true, nil
}

// VectorKeys returns the keys of the articles' current texts: the vectors to keep when pruning a
// VectorStore (see storage.DB.PruneVectors).
func (h *Hybrid) VectorKeys() map[string]bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	keep := make(map[string]bool, len(h.docs))
	for _, d := range h.docs {
		keep[d.key] = true
	}
	return keep
}

// SyncStats say what a Sync did.
type SyncStats struct {
	// Articles is how many articles the library holds.
	Articles int
	// Loaded is how many vectors were read from the store, Embedded how many articles were embedded.
	Loaded, Embedded int
	// Pending is how many articles have no vector after the sync: after an error, or edited while
	// it ran. The next Sync takes them.
	Pending int
}

// Sync gives every article without a vector one: from the store when it holds one for the article's
// text, else by embedding the articles, BatchSize at a time, storing each batch as it comes, so an
// interrupted sync keeps what it did. It returns what it did and the first error; ctx bounds it. Run it
// after loading the knowledge base and after edits, away from a request: a large knowledge base takes
// minutes to embed the first time. Syncs run one at a time; searches and edits go on meanwhile.
func (h *Hybrid) Sync(ctx context.Context) (stats SyncStats, err error) {
	h.syncMu.Lock()
	defer h.syncMu.Unlock()
	defer func() { stats.Articles, stats.Pending = h.pending() }()
	if h.emb == nil {
		return stats, nil
	}

	// The articles to do, by key: articles with the same text share a vector.
	h.mu.Lock()
	var need []string
	for id, d := range h.docs {
		if d.slot < 0 {
			need = append(need, id)
		}
	}
	h.growHint = max(len(need)-len(h.free), 0)
	h.mu.Unlock()
	if len(need) == 0 {
		return stats, nil
	}
	slices.Sort(need) // batches in a stable order
	var (
		keys  []string
		texts = make(map[string]string)
		ids   = make(map[string][]string)
	)
	for _, id := range need {
		a, ok := h.lib.Article(id)
		if !ok {
			continue
		}
		text := embedText(&a, h.opts.MaxTextChars)
		key := vectorKey(h.model, text)
		if _, seen := texts[key]; !seen {
			keys = append(keys, key)
			texts[key] = text
		}
		ids[key] = append(ids[key], id)
	}

	stored, err := h.store.Vectors(keys)
	if err != nil {
		return stats, fmt.Errorf("read stored vectors: %w", err)
	}
	var (
		todo     []string
		unusable int
	)
	for _, key := range keys {
		vec, ok := stored[key]
		if !ok {
			todo = append(todo, key)
			continue
		}
		vec, err := normalize(vec)
		if err != nil {
			return stats, fmt.Errorf("stored vector %s: %w", key, err)
		}
		n, err := h.install(ids[key], key, vec, false)
		if err != nil {
			// A stored vector of another length (the endpoint was set to other dimensions under the
			// same model name): embed the article again.
			unusable++
			todo = append(todo, key)
			continue
		}
		stats.Loaded += n
	}
	if unusable > 0 {
		h.log.Warn("stored vectors of another length, embedding again", "model", h.model, "vectors", unusable)
	}
	if len(todo) > 0 {
		h.log.Info("embedding articles", "model", h.model, "articles", len(todo))
	}

	for start := 0; start < len(todo); start += h.opts.BatchSize {
		batch := todo[start:min(start+h.opts.BatchSize, len(todo))]
		in := make([]string, len(batch))
		for i, key := range batch {
			in[i] = texts[key]
		}
		if err := ctx.Err(); err != nil {
			return stats, fmt.Errorf("embed articles: %w", err)
		}
		out, err := h.emb.Embed(ctx, in)
		if err != nil {
			return stats, fmt.Errorf("embed articles: %w", err)
		}
		if len(out) != len(in) {
			return stats, fmt.Errorf("embed articles: %d vectors for %d texts", len(out), len(in))
		}
		put := make(map[string][]float32, len(batch))
		for i, key := range batch {
			vec, err := normalize(out[i])
			if err != nil {
				return stats, fmt.Errorf("embed article %s: %w", ids[key][0], err)
			}
			put[key] = vec
		}
		// Searches use the vectors even when storing them fails; the next start embeds them again.
		for _, key := range batch {
			n, err := h.install(ids[key], key, put[key], true)
			if err != nil {
				return stats, fmt.Errorf("embed articles: %w", err)
			}
			stats.Embedded += n
		}
		if err := h.store.PutVectors(put); err != nil {
			return stats, fmt.Errorf("store vectors: %w", err)
		}
		h.log.Debug("embedded articles", "done", min(start+len(batch), len(todo)), "of", len(todo))
	}
	return stats, nil
}

// install gives each of ids the normalized vector vec of text key, and returns how many took it.
func (h *Hybrid) install(ids []string, key string, vec []float32, fresh bool) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, id := range ids {
		ok, err := h.installLocked(id, key, vec, fresh)
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

func (h *Hybrid) pending() (articles, pending int) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, d := range h.docs {
		if d.slot < 0 {
			pending++
		}
	}
	return len(h.docs), pending
}

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
