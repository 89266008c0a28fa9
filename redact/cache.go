package redact

import "sync"

// Cache redacts like Text and Fields, remembering the texts it found clean (those Text leaves as they
// are, its own results included), so a text written again and again is not examined again: a ticket is
// rewritten whole on every event, and its transcript was redacted when each entry was first written.
// Only texts with a hint of a secret are remembered; the others are as cheap to scan as to look up.
// It is safe for concurrent use, and holds at most its size in texts (it forgets them all when full).
type Cache struct {
	mu    sync.Mutex
	size  int
	clean map[string]struct{}
}

// NewCache returns a cache that remembers up to size texts.
func NewCache(size int) *Cache { return &Cache{size: size, clean: map[string]struct{}{}} }

// Text returns Text(s).
func (c *Cache) Text(s string) string {
	if firstControl(s) < 0 && scan(s) == 0 {
		return s // the fast path: nothing to strip, no hint of a secret
	}
	c.mu.Lock()
	_, ok := c.clean[s]
	c.mu.Unlock()
	if ok {
		return s
	}
	r := Text(s)
	c.mu.Lock()
	if len(c.clean) >= c.size {
		clear(c.clean)
	}
	c.clean[r] = struct{}{} // Text(r) == r: redacting is idempotent
	c.mu.Unlock()
	return r
}

// Fields is Fields, with the cache.
func (c *Cache) Fields(ptr any) bool { return walkPtr(ptr, c.Text) }
