package kb_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode"

	"github.com/firstline-desk/firstline/kb"
)

// conceptEmbedder is a deterministic stand-in for an embedding model: words of one concept (a small
// synonym table) share a dimension, and weigh three times as much as other words, each of which gets a
// dimension by hash. So "laptop won't power on" is near "Computer does not start" without sharing a
// word with it, as a real model would have it, and unrelated texts are far apart.
type conceptEmbedder struct {
	model string
	calls atomic.Int32 // Embed calls
	texts atomic.Int32 // texts embedded
	// mode: 0 works, 1 fails, 2 blocks until ctx is done.
	mode atomic.Int32
	// failAfter, when > 0, makes the Embed calls after that many fail.
	failAfter int32
}

const (
	conceptDims = 16
	embedDims   = 96
)

var concepts = map[string]int{
	"laptop": 0, "computer": 0, "pc": 0, "notebook": 0, "machine": 0,
	"power": 1, "start": 1, "starts": 1, "boot": 1, "boots": 1, "turn": 1,
	"password": 2, "passphrase": 2, "credentials": 2, "login": 2,
	"printer": 3, "printers": 3, "print": 3, "printing": 3,
	"vpn": 4, "tunnel": 4, "remote": 4,
	"wifi": 5, "wireless": 5, "network": 5, "internet": 5,
	"email": 6, "mail": 6, "outlook": 6, "inbox": 6,
	"phone": 7, "mobile": 7, "iphone": 7, "android": 7,
	"monitor": 8, "screen": 8, "display": 8,
	"nothing": 9, "blank": 9, "black": 9, "dead": 9,
}

var stopWords = map[string]bool{"the": true, "and": true, "for": true, "your": true, "my": true, "on": true, "to": true, "a": true, "i": true, "is": true, "it": true, "of": true, "in": true, "with": true, "then": true, "its": true, "that": true}

func (e *conceptEmbedder) Model() string {
	if e.model == "" {
		return "concepts-v1"
	}
	return e.model
}

func (e *conceptEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	n := e.calls.Add(1)
	switch {
	case e.mode.Load() == 1, e.failAfter > 0 && n > e.failAfter:
		return nil, errors.New("embeddings endpoint: 503 Service Unavailable")
	case e.mode.Load() == 2:
		<-ctx.Done()
		return nil, ctx.Err()
	}
	e.texts.Add(int32(len(texts)))
	out := make([][]float32, len(texts))
	for i, t := range texts {
		out[i] = embedConcepts(t)
	}
	return out, nil
}

func embedConcepts(text string) []float32 {
	vec := make([]float32, embedDims)
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if stopWords[w] {
			continue
		}
		if d, ok := concepts[w]; ok {
			vec[d] += 3
			continue
		}
		h := fnv.New32a()
		h.Write([]byte(w))
		vec[conceptDims+int(h.Sum32()%(embedDims-conceptDims))]++
	}
	return vec
}

func helpdeskArticles() []kb.Article {
	return []kb.Article{
		{ID: "computer-start", Title: "Computer does not start", Body: "Hold the button for ten seconds, then check that the charger is plugged in and its light is lit."},
		{ID: "password-reset", Title: "Reset your password", Aliases: []string{"forgot my password"}, Body: "Open the self-service portal, choose Forgot password, and follow the link sent by text message."},
		{ID: "vpn", Title: "Connect to the VPN", Tags: []string{"remote"}, Body: "Open the GlobalProtect client and sign in with your company account."},
		{ID: "printer", Title: "Add a printer", Body: "Open Settings, then Printers, then Add, and pick the office printer."},
		{ID: "wifi", Title: "Join the office Wi-Fi", Body: "Pick the CorpNet network and sign in."},
		{ID: "mail-phone", Title: "Email on your phone", Body: "Install Outlook on the phone and sign in."},
		{ID: "monitor", Title: "External monitor shows nothing", Body: "Check the cable at both ends and press the input button until the picture appears."},
		{ID: "software", Title: "Request new software", Body: "Fill in the software request form; your manager approves it."},
	}
}

// mustHybrid returns a synced hybrid search over articles with the embedder, and its library.
func mustHybrid(tb testing.TB, articles []kb.Article, emb kb.Embedder, store kb.VectorStore, opts kb.HybridOptions) *kb.Hybrid {
	tb.Helper()
	h := kb.NewHybrid(kb.NewLibrary(articles, kb.Options{}), emb, store, opts)
	if _, err := h.Sync(context.Background()); err != nil {
		tb.Fatalf("sync: %v", err)
	}
	return h
}

func TestHybridFindsWhatLexicalMisses(t *testing.T) {
	h := mustHybrid(t, helpdeskArticles(), &conceptEmbedder{}, nil, kb.HybridOptions{})
	ctx := context.Background()
	const q = "laptop won't power on"
	if lex := h.Library().Index.Search(q, 5); len(lex) != 0 {
		t.Fatalf("the lexical search finds %v; the test needs a question it misses", lex)
	}
	hits, tr := h.SearchTrace(ctx, q, 5)
	if len(hits) == 0 || hits[0].ID != "computer-start" || hits[0].Title != "Computer does not start" {
		t.Fatalf("hybrid hits %+v, want computer-start first", hits)
	}
	if tr.Lexical || tr.Err != nil || tr.Nearest != "computer-start" {
		t.Fatalf("trace %+v", tr)
	}
	want := kb.DefaultVectorConfidence.Confidence(tr.Cosine, tr.Lead)
	if hits[0].Confidence != want || tr.Hits[0].VectorRank != 1 || tr.Hits[0].LexicalRank != 0 {
		t.Fatalf("confidence %v (trace %+v), want %v from the cosine %v and lead %v", hits[0].Confidence, tr.Hits[0], want, tr.Cosine, tr.Lead)
	}
	// Found by its embedding alone, it is offered (at or above the default suggest_confidence, 0.35)
	// but not answered with (below min_confidence).
	if c := hits[0].Confidence; c < 0.35 || c >= kb.DefaultMinConfidence {
		t.Fatalf("a vector-only hit at cosine %.2f has confidence %v; want it offered, not answered", tr.Cosine, c)
	}
	for _, hit := range hits[1:] {
		if hit.Confidence >= 0.35 {
			t.Errorf("runner-up %+v is offered too", hit)
		}
	}
}

func TestHybridKeepsWhatLexicalFinds(t *testing.T) {
	h := mustHybrid(t, helpdeskArticles(), &conceptEmbedder{}, nil, kb.HybridOptions{})
	ctx := context.Background()
	for _, q := range []string{"reset password", "forgot my password", "add printer", "connect vpn", "office wifi", "email on phone", "external monitor", "request software"} {
		t.Run(q, func(t *testing.T) {
			lex := h.Library().Index.Search(q, 10)
			if len(lex) == 0 || lex[0].Confidence < kb.DefaultMinConfidence {
				t.Fatalf("lexical hits %+v: the test needs a confident one", lex)
			}
			hits := h.Search(ctx, q, 10)
			if len(hits) == 0 || hits[0].ID != lex[0].ID || hits[0].Confidence < lex[0].Confidence {
				t.Fatalf("hybrid %+v, lexical %+v: want the same confident first hit", hits, lex[0])
			}
		})
	}
}

func TestHybridOutOfKBStaysUnsure(t *testing.T) {
	h := mustHybrid(t, helpdeskArticles(), &conceptEmbedder{}, nil, kb.HybridOptions{})
	hits, tr := h.SearchTrace(context.Background(), "sourdough bread recipe", 5)
	if tr.Lexical || len(hits) == 0 {
		t.Fatalf("hits %+v, trace %+v: the vector search always has a nearest article", hits, tr)
	}
	if hits[0].Confidence >= 0.2 {
		t.Fatalf("an unrelated question gets %+v (cosine %.2f); the bot would offer it", hits[0], tr.Cosine)
	}
}

func TestHybridExclude(t *testing.T) {
	h := mustHybrid(t, helpdeskArticles(), &conceptEmbedder{}, nil, kb.HybridOptions{})
	hits, tr := h.SearchTrace(context.Background(), "laptop won't power on", 0, "computer-start")
	for _, hit := range hits {
		if hit.ID == "computer-start" {
			t.Fatalf("excluded article in %+v", hits)
		}
	}
	if tr.Nearest == "computer-start" || len(hits) != len(helpdeskArticles())-1 {
		t.Fatalf("trace %+v, %d hits: limit 0 should rank every other article", tr, len(hits))
	}
}

// The bot acts on the first hit: the one the desk is surest of comes first even when the fused order,
// here weighted to the words, puts another ahead of it. "vpn on phone" matches the phone article best
// by its words, the VPN article by its meaning, and the embedding's lead makes the VPN article the
// surer one.
func TestHybridPromotesConfidentHits(t *testing.T) {
	const q = "vpn on phone"
	ctx := context.Background()
	opts := kb.HybridOptions{LexicalWeight: 10, VectorWeight: 1, PromoteConfidence: 1.01}
	fused := mustHybrid(t, helpdeskArticles(), &conceptEmbedder{}, nil, opts).Search(ctx, q, 10)
	opts.PromoteConfidence = 0
	hits := mustHybrid(t, helpdeskArticles(), &conceptEmbedder{}, nil, opts).Search(ctx, q, 10)
	surest := hits[0]
	for _, hit := range hits {
		if hit.Confidence > surest.Confidence {
			surest = hit
		}
	}
	if surest.Confidence < kb.DefaultPromoteConfidence || fused[0].ID == surest.ID {
		t.Fatalf("fused order %+v, surest %+v: the test needs a confident hit the fusion ranks lower", fused, surest)
	}
	if hits[0].ID != surest.ID {
		t.Fatalf("promoted: first %+v, want the surest %+v", hits[0], surest)
	}
}

func TestHybridSyncEmbedsOnlyWhatChanged(t *testing.T) {
	ctx := context.Background()
	emb := &conceptEmbedder{}
	store := kb.NewMemoryVectors()
	articles := helpdeskArticles()
	h := kb.NewHybrid(kb.NewLibrary(articles, kb.Options{}), emb, store, kb.HybridOptions{BatchSize: 3})
	if hits, tr := h.SearchTrace(ctx, "laptop won't power on", 5); !tr.Lexical || len(hits) != 0 {
		t.Fatalf("before the first sync: %+v %+v, want lexical (nothing)", hits, tr)
	}
	stats, err := h.Sync(ctx)
	n := len(articles)
	if err != nil || stats != (kb.SyncStats{Articles: n, Embedded: n}) || emb.calls.Load() != 3 || store.Len() != n {
		t.Fatalf("first sync: %+v, %v; %d calls, %d stored", stats, err, emb.calls.Load(), store.Len())
	}

	// An unchanged article is not embedded again; an edited one is, alone.
	h.Put(articles[1])
	changed := articles[0]
	changed.Body = "Hold the power button for ten seconds."
	h.Put(changed)
	if hits := h.Search(ctx, "laptop won't power on", 5); len(hits) == 0 || hits[0].ID != "computer-start" {
		t.Fatalf("after the edit the lexical search finds it by %q at once: %+v", "power", hits)
	}
	if hits := h.Search(ctx, "notebook boots", 5); len(hits) > 0 && hits[0].ID == "computer-start" {
		t.Fatalf("the edited article's old vector is still searched: %+v", hits)
	}
	emb.texts.Store(0)
	stats, err = h.Sync(ctx)
	if err != nil || stats != (kb.SyncStats{Articles: n, Embedded: 1}) || emb.texts.Load() != 1 {
		t.Fatalf("sync after an edit: %+v, %v, %d texts embedded", stats, err, emb.texts.Load())
	}
	if hits := h.Search(ctx, "notebook boots", 5); len(hits) == 0 || hits[0].ID != "computer-start" {
		t.Fatalf("after the sync the new vector is searched: %+v", hits)
	}
	if stats, err := h.Sync(ctx); err != nil || stats.Embedded != 0 || stats.Loaded != 0 {
		t.Fatalf("a sync with nothing to do: %+v, %v", stats, err)
	}

	// A restart reads the vectors from the store; another model embeds everything.
	emb.texts.Store(0)
	lib := kb.NewLibrary(append([]kb.Article{changed}, articles[1:]...), kb.Options{})
	stats, err = kb.NewHybrid(lib, emb, store, kb.HybridOptions{}).Sync(ctx)
	if err != nil || stats != (kb.SyncStats{Articles: n, Loaded: n}) || emb.texts.Load() != 0 {
		t.Fatalf("after a restart: %+v, %v, %d texts embedded", stats, err, emb.texts.Load())
	}
	other := &conceptEmbedder{model: "concepts-v2"}
	stats, err = kb.NewHybrid(lib, other, store, kb.HybridOptions{}).Sync(ctx)
	if err != nil || stats.Embedded != n || stats.Loaded != 0 {
		t.Fatalf("another model: %+v, %v", stats, err)
	}
}

func TestHybridDeleteDropsTheVector(t *testing.T) {
	h := mustHybrid(t, helpdeskArticles(), &conceptEmbedder{}, nil, kb.HybridOptions{})
	h.Delete("computer-start")
	h.Delete("no-such-article")
	hits, tr := h.SearchTrace(context.Background(), "laptop won't power on", 0)
	for _, hit := range hits {
		if hit.ID == "computer-start" {
			t.Fatalf("deleted article found: %+v", hits)
		}
	}
	if tr.Nearest == "computer-start" {
		t.Fatalf("trace %+v", tr)
	}
	if keys := h.VectorKeys(); len(keys) != len(helpdeskArticles())-1 {
		t.Fatalf("%d keys to keep", len(keys))
	}
}

func TestHybridSyncStopsAtAnError(t *testing.T) {
	ctx := context.Background()
	store := kb.NewMemoryVectors()
	articles := helpdeskArticles()
	emb := &conceptEmbedder{failAfter: 1}
	h := kb.NewHybrid(kb.NewLibrary(articles, kb.Options{}), emb, store, kb.HybridOptions{BatchSize: 3})
	stats, err := h.Sync(ctx)
	n := len(articles)
	if err == nil || !strings.Contains(err.Error(), "503") || stats != (kb.SyncStats{Articles: n, Embedded: 3, Pending: n - 3}) || store.Len() != 3 {
		t.Fatalf("sync with a failing endpoint: %+v, %v, %d stored", stats, err, store.Len())
	}
	// Searches use what was embedded.
	emb.failAfter = 0
	if _, tr := h.SearchTrace(ctx, "laptop won't power on", 5); tr.Lexical {
		t.Fatalf("trace %+v", tr)
	}
	emb.texts.Store(0)
	stats, err = h.Sync(ctx)
	if err != nil || stats.Embedded != n-3 || emb.texts.Load() != int32(n-3) || stats.Pending != 0 {
		t.Fatalf("the next sync: %+v, %v", stats, err)
	}

	canceled, cancel := context.WithCancel(ctx)
	cancel()
	h.Put(kb.Article{ID: "new", Title: "A new article"})
	if _, err := h.Sync(canceled); !errors.Is(err, context.Canceled) {
		t.Fatalf("sync with a canceled context: %v", err)
	}
}

// syncLog collects what a Hybrid logs.
type syncLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *syncLog) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.buf.String(), s)
}

func TestHybridFallsBackToLexical(t *testing.T) {
	ctx := context.Background()
	logs := &syncLog{}
	emb := &conceptEmbedder{}
	h := mustHybrid(t, helpdeskArticles(), emb, nil, kb.HybridOptions{
		QueryTimeout: 20 * time.Millisecond,
		Logger:       slog.New(slog.NewTextHandler(logs, nil)),
	})
	const q = "reset password"
	lex := h.Library().Index.Search(q, 5)

	for _, tc := range []struct {
		name    string
		mode    int32
		ctx     func() (context.Context, context.CancelFunc)
		wantErr error
	}{
		{"endpoint fails", 1, func() (context.Context, context.CancelFunc) { return ctx, func() {} }, nil},
		{"caller's deadline passes", 2, func() (context.Context, context.CancelFunc) { return context.WithTimeout(ctx, time.Millisecond) }, context.DeadlineExceeded},
		{"query timeout passes", 2, func() (context.Context, context.CancelFunc) { return ctx, func() {} }, context.DeadlineExceeded},
		{"caller canceled", 2, func() (context.Context, context.CancelFunc) {
			c, cancel := context.WithCancel(ctx)
			cancel()
			return c, cancel
		}, context.Canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			emb.mode.Store(tc.mode)
			c, cancel := tc.ctx()
			defer cancel()
			// Each case a new query: a cached embedding would not ask the endpoint.
			query := q + " " + tc.name
			hits, tr := h.SearchTrace(c, query, 5)
			if want := h.Library().Index.Search(query, 5); !reflect.DeepEqual(hits, want) {
				t.Fatalf("hits %+v, want the lexical %+v", hits, want)
			}
			if !tr.Lexical || tr.Err == nil || (tc.wantErr != nil && !errors.Is(tr.Err, tc.wantErr)) {
				t.Fatalf("trace %+v, want lexical with %v", tr, tc.wantErr)
			}
		})
	}
	if n := logs.count("lexical only"); n != 1 {
		t.Fatalf("the failure is logged %d times, want once:\n%s", n, logs.buf.String())
	}
	emb.mode.Store(0)
	// The query timeout is 20ms, so that the case above is quick: on a loaded machine a search whose
	// embedding works can still be paused past it, and stays lexical. The hybrid is back at the first
	// search that was not (it was failing already, so such a search logs nothing more).
	for deadline := time.Now().Add(10 * time.Second); ; {
		hits, tr := h.SearchTrace(ctx, q, 5)
		if !tr.Lexical {
			if hits[0].ID != lex[0].ID {
				t.Fatalf("after recovery: %+v %+v", hits, tr)
			}
			break
		}
		if !errors.Is(tr.Err, context.DeadlineExceeded) || time.Now().After(deadline) {
			t.Fatalf("after recovery: %+v %+v", hits, tr)
		}
	}
	if n := logs.count("embeds queries again"); n != 1 {
		t.Fatalf("the recovery is logged %d times:\n%s", n, logs.buf.String())
	}
}

func TestHybridCachesQueryEmbeddings(t *testing.T) {
	ctx := context.Background()
	emb := &conceptEmbedder{}
	h := mustHybrid(t, helpdeskArticles(), emb, nil, kb.HybridOptions{QueryCache: 2})
	emb.calls.Store(0)
	for _, q := range []string{"a laptop", "a laptop", "a printer", "a laptop", "a phone", "a laptop", "a printer"} {
		h.Search(ctx, q, 5)
	}
	// laptop, printer, phone (evicts printer: laptop was used after it), printer again.
	if n := emb.calls.Load(); n != 4 {
		t.Fatalf("%d query embeddings, want 4", n)
	}
}

func TestHybridWithoutEmbedderIsLexical(t *testing.T) {
	lib := kb.NewLibrary(helpdeskArticles(), kb.Options{})
	h := kb.NewHybrid(lib, nil, nil, kb.HybridOptions{})
	if stats, err := h.Sync(context.Background()); err != nil || stats.Embedded != 0 {
		t.Fatalf("sync: %+v, %v", stats, err)
	}
	hits, tr := h.SearchTrace(context.Background(), "reset password", 3)
	if !tr.Lexical || tr.Err != nil || !reflect.DeepEqual(hits, lib.Index.Search("reset password", 3)) {
		t.Fatalf("%+v %+v", hits, tr)
	}
}

func TestVectorConfidence(t *testing.T) {
	c := kb.VectorConfidence{Low: 0.3, High: 0.6, Max: 0.5, Lead: 0.05}
	for _, tc := range []struct {
		cosine, lead, want float64
	}{
		{0.1, 1, 0},
		{0.3, 1, 0},
		{0.6, 0.05, 0.5},
		{0.9, 0.2, 0.5},
		{0.9, 0, 0.25},     // tied with another article: half
		{0.45, 0.05, 0.25}, // halfway up the ramp
	} {
		if got := c.Confidence(tc.cosine, tc.lead); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("Confidence(%v, %v) = %v, want %v", tc.cosine, tc.lead, got, tc.want)
		}
	}
	if err := kb.DefaultVectorConfidence.Validate(); err != nil {
		t.Fatal(err)
	}
	err := kb.VectorConfidence{Low: 0.6, High: 0.3, Max: 2, Lead: -1}.Validate()
	if err == nil || strings.Count(err.Error(), "\n") != 2 {
		t.Fatalf("every problem at once: %v", err)
	}
}

// TestHybridConcurrent runs searches, edits and syncs at once, for the race detector.
func TestHybridConcurrent(t *testing.T) {
	ctx := context.Background()
	articles := helpdeskArticles()
	h := mustHybrid(t, articles, &conceptEmbedder{}, kb.NewMemoryVectors(), kb.HybridOptions{BatchSize: 2, QueryCache: 4})
	var wg sync.WaitGroup
	queries := []string{"laptop won't power on", "reset password", "printer", "vpn remote", "screen blank"}
	for g := range 3 {
		wg.Go(func() {
			for i := range 200 {
				q := queries[(g+i)%len(queries)]
				for _, hit := range h.Search(ctx, q, 5, "vpn") {
					if hit.ID == "vpn" || hit.ID == "" {
						t.Errorf("hit %+v", hit)
					}
				}
				h.Library().Index.Search(q, 5)
				h.Article("printer")
			}
		})
	}
	wg.Go(func() {
		for i := range 200 {
			a := articles[i%len(articles)]
			a.Body += fmt.Sprintf(" Edit %d.", i)
			h.Put(a)
			if i%7 == 0 {
				h.Delete(a.ID)
			}
		}
	})
	wg.Go(func() {
		for range 50 {
			if _, err := h.Sync(ctx); err != nil {
				t.Errorf("sync: %v", err)
			}
			h.VectorKeys()
		}
	})
	wg.Wait()
	stats, err := h.Sync(ctx)
	if err != nil || stats.Pending != 0 {
		t.Fatalf("final sync: %+v, %v", stats, err)
	}
}

// randomEmbedder gives each text a pseudo-random vector seeded by its hash: no meaning, the size and
// cost of a real model's, for benchmarks.
type randomEmbedder struct{ dims int }

func (randomEmbedder) Model() string { return "random" }

func (e randomEmbedder) Embed(_ context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		h := fnv.New64a()
		h.Write([]byte(t))
		rng := rand.New(rand.NewPCG(h.Sum64(), 1))
		v := make([]float32, e.dims)
		for j := range v {
			v[j] = float32(rng.NormFloat64())
		}
		out[i] = v
	}
	return out, nil
}

// BenchmarkHybridSearch compares a top-10 hybrid search with the lexical one on the same corpus, at
// 1k and 10k articles and 1,536 dimensions (OpenAI's text-embedding-3-small) and 256. Query
// embeddings are cached, as they are on a follow-up: this is the search's own cost, without the
// endpoint's round trip.
func BenchmarkHybridSearch(b *testing.B) {
	ctx := context.Background()
	queries := make([]string, 64)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range queries {
		queries[i] = fmt.Sprintf("how do I w%dx w%dx w%dx w%dx", rng.IntN(10), 10+rng.IntN(200), 10+rng.IntN(2000), 10+rng.IntN(2000))
	}
	for _, n := range []int{1_000, 10_000} {
		lib := kb.NewLibrary(syntheticArticles(n), kb.Options{})
		b.Run(fmt.Sprintf("n=%d/lexical", n), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				lib.Index.Search(queries[i%len(queries)], 10)
				i++
			}
		})
		for _, dims := range []int{1536, 256} {
			h := kb.NewHybrid(lib, randomEmbedder{dims}, nil, kb.HybridOptions{})
			if _, err := h.Sync(ctx); err != nil {
				b.Fatal(err)
			}
			for _, q := range queries {
				h.Search(ctx, q, 10)
			}
			b.Run(fmt.Sprintf("n=%d/hybrid-%dd", n, dims), func(b *testing.B) {
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					h.Search(ctx, queries[i%len(queries)], 10)
					i++
				}
			})
		}
	}
}

// truncated cuts an embedder's vectors to n dimensions: the same model name with other dimensions, as
// when an endpoint's dimensions setting changes.
type truncated struct {
	kb.Embedder
	n int
}

func (e truncated) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out, err := e.Embedder.Embed(ctx, texts)
	for i := range out {
		out[i] = out[i][:e.n]
	}
	return out, err
}

func TestHybridDimensionsChange(t *testing.T) {
	ctx := context.Background()
	store := kb.NewMemoryVectors()
	articles := helpdeskArticles()
	mustHybrid(t, articles, &conceptEmbedder{}, store, kb.HybridOptions{})

	// Restarted with shorter vectors: the stored ones load, and queries cannot be compared with them.
	short := truncated{&conceptEmbedder{}, 48}
	h := mustHybrid(t, articles, short, store, kb.HybridOptions{})
	if _, tr := h.SearchTrace(ctx, "reset password", 3); !tr.Lexical || tr.Err == nil || !strings.Contains(tr.Err.Error(), "48 dimensions") {
		t.Fatalf("trace %+v", tr)
	}
	// The first article embedded anew shows the new length: the next syncs replace the old vectors.
	changed := articles[0]
	changed.Body += " Still nothing? Call the desk."
	h.Put(changed)
	if stats, err := h.Sync(ctx); err != nil || stats.Embedded != 1 || stats.Pending != len(articles)-1 {
		t.Fatalf("sync: %+v, %v", stats, err)
	}
	if stats, err := h.Sync(ctx); err != nil || stats.Embedded != len(articles)-1 || stats.Pending != 0 {
		t.Fatalf("sync: %+v, %v", stats, err)
	}
	if hits, tr := h.SearchTrace(ctx, "laptop won't power on", 3); tr.Lexical || hits[0].ID != "computer-start" {
		t.Fatalf("%+v %+v", hits, tr)
	}
}

func TestHybridOptionsValidate(t *testing.T) {
	if err := (kb.HybridOptions{}).Validate(); err != nil {
		t.Fatalf("the defaults: %v", err)
	}
	err := kb.HybridOptions{Candidates: -1, Fusion: "bm25", VectorWeight: -1, PromoteConfidence: -0.1,
		Agreement: kb.Agreement{Lexical: -1}, Confidence: kb.VectorConfidence{Low: 0.5, High: 0.4, Max: 0.5}}.Validate()
	if err == nil || strings.Count(err.Error(), "\n") != 5 {
		t.Fatalf("every problem at once: %v", err)
	}
}
