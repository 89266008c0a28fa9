package kb

import (
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"unicode"
)

// embedText is what an article is embedded from: what it is about (title, aliases, tags and category)
// before what it says, clipped to maxChars characters, since embedding endpoints cap their input (about
// 8,000 tokens for OpenAI's) and the start of an article says most of what it is about.
func embedText(a *Article, maxChars int) string {
	var b strings.Builder
	b.WriteString(a.Title)
	for _, s := range a.Aliases {
		b.WriteByte('\n')
		b.WriteString(s)
	}
	if len(a.Tags) > 0 || a.Category != "" {
		b.WriteByte('\n')
		b.WriteString(strings.Join(append(slices.Clone(a.Tags), a.Category), ", "))
	}
	if a.Body != "" {
		b.WriteString("\n\n")
		b.WriteString(a.Body)
	}
	return clipText(b.String(), maxChars)
}

// clipText returns s cut to at most maxChars characters, at a space when one is near the end.
func clipText(s string, maxChars int) string {
	if maxChars <= 0 || len(s) <= maxChars {
		return s // fewer bytes than maxChars, so fewer characters too
	}
	n := 0
	for i := range s {
		if n == maxChars {
			cut := s[:i]
			if sp := strings.LastIndexFunc(cut, unicode.IsSpace); sp > len(cut)*9/10 {
				cut = cut[:sp]
			}
			return cut
		}
		n++
	}
	return s
}

// vectorKey names the vector of text embedded by model: a hash of both, so an article is embedded again
// only when its text changes, and a vector of another model is never read for this one.
func vectorKey(model, text string) string {
	h := sha256.New()
	h.Write([]byte(model))
	h.Write([]byte{0})
	h.Write([]byte(text))
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// normalize returns vec scaled to length 1, as a new slice, so a dot product is the cosine similarity.
// It fails on an empty vector and on a value that is not a finite number; an all-zero vector stays zero
// (similar to nothing).
func normalize(vec []float32) ([]float32, error) {
	if len(vec) == 0 {
		return nil, fmt.Errorf("an empty vector")
	}
	var sum float64
	for _, x := range vec {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return nil, fmt.Errorf("a vector with %v in it", x)
		}
		sum += float64(x) * float64(x)
	}
	out := make([]float32, len(vec))
	if sum == 0 {
		return out, nil
	}
	inv := 1 / math.Sqrt(sum)
	for i, x := range vec {
		out[i] = float32(float64(x) * inv)
	}
	return out, nil
}

// dot is the dot product of two vectors of the same length; it is most of the time a hybrid search
// takes, so it keeps four sums, which lets the CPU overlap the multiplications.
func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		x, y := a[i:i+4:i+4], b[i:i+4:i+4]
		s0 += x[0] * y[0]
		s1 += x[1] * y[1]
		s2 += x[2] * y[2]
		s3 += x[3] * y[3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// MemoryVectors is a VectorStore in memory, for evaluations and tests, or a desk that does not mind
// embedding its articles again at each start. It is safe for concurrent use.
type MemoryVectors struct {
	mu   sync.Mutex
	vecs map[string][]float32
}

// NewMemoryVectors returns an empty store.
func NewMemoryVectors() *MemoryVectors { return &MemoryVectors{vecs: make(map[string][]float32)} }

// Vectors returns copies of the stored vectors of keys.
func (m *MemoryVectors) Vectors(keys []string) (map[string][]float32, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string][]float32, len(keys))
	for _, k := range keys {
		if v, ok := m.vecs[k]; ok {
			out[k] = slices.Clone(v)
		}
	}
	return out, nil
}

// PutVectors stores copies of vecs.
func (m *MemoryVectors) PutVectors(vecs map[string][]float32) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, v := range vecs {
		m.vecs[k] = slices.Clone(v)
	}
	return nil
}

// Len returns how many vectors are stored.
func (m *MemoryVectors) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.vecs)
}

// queryCache keeps the embeddings of recent queries, least recently used out first: the bot searches a
// ticket's text again on each follow-up, and an embedding costs a round trip to the endpoint.
type queryCache struct {
	mu    sync.Mutex
	max   int
	order *list.List // of *cachedQuery, most recent first
	byKey map[string]*list.Element
}

type cachedQuery struct {
	query string
	vec   []float32 // normalized, never changed once cached
}

func newQueryCache(size int) *queryCache {
	return &queryCache{max: size, order: list.New(), byKey: make(map[string]*list.Element)}
}

func (c *queryCache) get(query string) ([]float32, bool) {
	if c.max <= 0 {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byKey[query]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*cachedQuery).vec, true
}

func (c *queryCache) put(query string, vec []float32) {
	if c.max <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byKey[query]; ok {
		c.order.MoveToFront(e)
		e.Value.(*cachedQuery).vec = vec
		return
	}
	c.byKey[query] = c.order.PushFront(&cachedQuery{query: query, vec: vec})
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.byKey, last.Value.(*cachedQuery).query)
	}
}
