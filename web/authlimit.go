package web

// Sign-in endpoints are rate-limited per client address: a token bucket of signInBurst requests,
// refilled one every signInEvery. Links and sessions are long random tokens nobody guesses, so the limit
// is there to keep a client from filling the audit log, the data file's writes or the identity provider
// with requests, not to slow guessing.

import (
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/firstline-desk/firstline/bot"
)

const (
	signInBurst = 10
	signInEvery = 6 * time.Second // 10 a minute, sustained
	// maxBuckets bounds the limiter's memory: past it, full buckets (clients that have been quiet) are
	// forgotten, and if all are busy, the oldest.
	maxBuckets = 10000
)

// limiter is a token bucket per client address. Safe for concurrent use.
type limiter struct {
	clock   bot.Clock
	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newLimiter(clock bot.Clock) *limiter {
	return &limiter{clock: clock, buckets: map[string]*bucket{}}
}

// allow takes a token from key's bucket; when there is none it returns false and how long until one.
func (l *limiter) allow(key string) (bool, time.Duration) {
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= maxBuckets {
			l.evict(now)
		}
		b = &bucket{tokens: signInBurst, at: now}
		l.buckets[key] = b
	}
	b.refill(now)
	if b.tokens < 1 {
		return false, time.Duration((1 - b.tokens) * float64(signInEvery))
	}
	b.tokens--
	return true, 0
}

func (b *bucket) refill(now time.Time) {
	if el := now.Sub(b.at); el > 0 {
		b.tokens = min(signInBurst, b.tokens+float64(el)/float64(signInEvery))
		b.at = now
	}
}

// evict forgets the buckets that have refilled; when none has, the one touched longest ago.
func (l *limiter) evict(now time.Time) {
	var oldest string
	for k, b := range l.buckets {
		b.refill(now)
		if b.tokens >= signInBurst {
			delete(l.buckets, k)
		} else if oldest == "" || b.at.Before(l.buckets[oldest].at) {
			oldest = k
		}
	}
	if len(l.buckets) >= maxBuckets && oldest != "" {
		delete(l.buckets, oldest)
	}
}

// clientKey is who a request is from, for the limiter: its address without the port. Behind a reverse
// proxy every request comes from the proxy's address, and the limit is the proxy's as a whole.
func clientKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// limited refuses a client over the sign-in rate with 429 and Retry-After.
func (s *Server) limited(h viewHandler) viewHandler {
	return func(w http.ResponseWriter, r *http.Request, v *Viewer) {
		ok, wait := s.limits.allow(clientKey(r))
		if !ok {
			secs := int(wait/time.Second) + 1
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			s.log.Warn("sign-in rate limit", "client", clientKey(r), "path", r.URL.Path)
			s.refuse(w, r, v, http.StatusTooManyRequests, "Too many sign-in attempts from here: wait a minute, then try again.")
			return
		}
		h(w, r, v)
	}
}
