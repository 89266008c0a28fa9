package kb

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/firstline-desk/firstline/internal/plural"
)

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
	if opts.Fusion == "" {
		opts.Fusion = FusionScore
	}
	if opts.LexicalWeight == 0 && opts.VectorWeight == 0 {
		opts.LexicalWeight, opts.VectorWeight = 1, 1
		if opts.Fusion == FusionScore {
			opts.LexicalWeight, opts.VectorWeight = DefaultScoreLexicalWeight, DefaultScoreVectorWeight
		}
	}
	if opts.Agreement == (Agreement{}) {
		opts.Agreement = DefaultAgreement
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
			return stats, fmt.Errorf("embed articles: %s for %s", plural.Count(len(out), "vector", "vectors"), plural.Count(len(in), "text", "texts"))
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
