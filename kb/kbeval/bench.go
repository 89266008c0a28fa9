package kbeval

import (
	"runtime"
	"sync"
	"time"

	"github.com/firstline-desk/firstline/kb"
)

// BenchOptions tune Bench. The zero value is the defaults.
type BenchOptions struct {
	// Index is how the index is built (synonyms).
	Index kb.Options
	// MinQueries and Duration bound the single-thread timing: whole passes over the queries until
	// MinQueries searches are timed or Duration has passed, whichever comes first, and at least one
	// pass. Duration is also how long the all-cores run lasts. Defaults: 2000 and 2s, enough for a
	// stable p99 without making a benchmark a coffee break.
	MinQueries int
	Duration   time.Duration
}

// BenchResult is how fast and how big the search is on a corpus.
type BenchResult struct {
	Docs      int
	BuildTime time.Duration
	// HeapMB is the live heap after the build and a collection; IndexHeapMB is what the build added
	// to it, which is the index (the corpus is read as it is indexed, never held whole).
	HeapMB, IndexHeapMB float64
	PeakRSSMB           float64
	PeakRSSKnown        bool
	// Latencies of single-thread top-10 searches after a warm-up pass (nearest-rank percentiles) and
	// how many were timed.
	LatencyP50, LatencyP95, LatencyP99 time.Duration
	Timed                              int
	// QPS is top-10 searches per second with Goroutines (GOMAXPROCS) searching at once.
	QPS        float64
	Goroutines int
}

// Bench builds an index of the articles next returns (until io.EOF) and times it: the build, the
// memory it takes, single-thread query latency and throughput on all cores. The articles are indexed
// as they are read, as the desk would load a large knowledge base, so peak memory is the index's and
// not a copy of the corpus. The queries need no relevance labels. It fails when there are no articles
// or no queries, and with next's error.
func Bench(next func() (kb.Article, error), queries []Query, opts BenchOptions) (BenchResult, error) {
	if len(queries) == 0 {
		return BenchResult{}, ErrNoQueries
	}
	if opts.MinQueries <= 0 {
		opts.MinQueries = 2000
	}
	if opts.Duration <= 0 {
		opts.Duration = 2 * time.Second
	}
	var r BenchResult
	before := heapMB()
	start := time.Now()
	index, err := kb.BuildFrom(next, opts.Index)
	if err != nil {
		return BenchResult{}, err
	}
	r.BuildTime = time.Since(start)
	if r.Docs = index.Len(); r.Docs == 0 {
		return BenchResult{}, ErrNoArticles
	}
	r.HeapMB = heapMB()
	r.IndexHeapMB = r.HeapMB - before

	for _, q := range queries { // warm-up: caches, scratch pools, the CPU's frequency
		index.Search(q.Text, latencyLimit)
	}
	var ns []float64
	start = time.Now()
	for len(ns) < opts.MinQueries && (len(ns) == 0 || time.Since(start) < opts.Duration) {
		for _, q := range queries {
			t := time.Now()
			index.Search(q.Text, latencyLimit)
			ns = append(ns, float64(time.Since(t)))
		}
	}
	r.Timed = len(ns)
	r.LatencyP50 = time.Duration(Percentile(ns, 50))
	r.LatencyP95 = time.Duration(Percentile(ns, 95))
	r.LatencyP99 = time.Duration(Percentile(ns, 99))

	r.Goroutines = runtime.GOMAXPROCS(0)
	r.QPS = throughput(index, queries, r.Goroutines, opts.Duration)
	r.PeakRSSMB, r.PeakRSSKnown = PeakRSSMB()
	return r, nil
}

// throughput runs top-10 searches on n goroutines for about d and returns searches per second. Each
// goroutine starts at a different place in the queries so they do not all hit the same postings at
// once, and makes at least one search: on a busy machine a goroutine may first run after the deadline,
// and a run that searched nothing would report 0 searches per second, which is no measurement.
func throughput(index *kb.Index, queries []Query, n int, d time.Duration) float64 {
	counts := make([]int, n)
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for g := range n {
		wg.Go(func() {
			c := 0
			for i := g * len(queries) / n; c == 0 || time.Now().Before(deadline); i++ {
				index.Search(queries[i%len(queries)].Text, latencyLimit)
				c++
			}
			counts[g] = c
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	total := 0
	for _, c := range counts {
		total += c
	}
	return float64(total) / elapsed.Seconds()
}

// heapMB is the live heap in MB after a full collection.
func heapMB() float64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapAlloc) / (1 << 20)
}
