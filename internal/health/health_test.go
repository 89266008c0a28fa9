package health

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakePinger is the data file's write check: it fails with err, or blocks while block is open.
type fakePinger struct {
	mu    sync.Mutex
	err   error
	pings int
	block chan struct{}
}

func (p *fakePinger) Ping(context.Context) error {
	p.mu.Lock()
	p.pings++
	block, err := p.block, p.err
	p.mu.Unlock()
	if block != nil {
		<-block
	}
	return err
}

type fakeConn struct {
	up    bool
	since time.Time
}

func (c *fakeConn) Connection() (bool, time.Time) { return c.up, c.since }

// TestHealthz checks /healthz's rules with a fake clock: ok, degraded while a platform has been down for
// less than the grace period, down (503) after it or when the data file takes no writes.
func TestHealthz(t *testing.T) {
	start := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		storeErr error
		slack    fakeConn // connected since / disconnected since, relative to now
		discord  fakeConn
		code     int
		status   string
	}{
		{"all up", nil, fakeConn{true, start.Add(-time.Hour)}, fakeConn{true, start.Add(-time.Minute)}, 200, "ok"},
		{"slack reconnecting", nil, fakeConn{false, start.Add(-30 * time.Second)}, fakeConn{true, start}, 200, "degraded"},
		{"slack down at the grace period", nil, fakeConn{false, start.Add(-Grace)}, fakeConn{true, start}, 200, "degraded"},
		{"slack down past the grace period", nil, fakeConn{false, start.Add(-Grace - time.Second)}, fakeConn{true, start}, 503, "down"},
		{"one down, one reconnecting", nil, fakeConn{false, start.Add(-time.Second)}, fakeConn{false, start.Add(-time.Hour)}, 503, "down"},
		{"store not writable", errors.New("write to the data file f.db: database not open"), fakeConn{true, start}, fakeConn{true, start}, 503, "down"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := start
			h := New(&fakePinger{err: tt.storeErr}, func() time.Time { return now })
			h.Watch("slack", &tt.slack)
			h.Watch("discord", &tt.discord)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
			if rec.Code != tt.code {
				t.Fatalf("HTTP %d, want %d\n%s", rec.Code, tt.code, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Fatalf("Content-Type %q", ct)
			}
			var rep Report
			if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil {
				t.Fatal(err)
			}
			if rep.Status != tt.status {
				t.Fatalf("status %q, want %q\n%s", rep.Status, tt.status, rec.Body)
			}
			if rep.Store.Writable != (tt.storeErr == nil) || (tt.storeErr != nil && !strings.Contains(rep.Store.Error, "database not open")) {
				t.Fatalf("store %+v", rep.Store)
			}
			for name, c := range map[string]fakeConn{"slack": tt.slack, "discord": tt.discord} {
				if got := rep.Adapters[name]; got.Connected != c.up || !got.Since.Equal(c.since) {
					t.Fatalf("%s: %+v, want connected %v since %v", name, got, c.up, c.since)
				}
			}
		})
	}
}

// TestHealthzStoreCheck checks that the write check runs at most every StoreCheckEvery, and that a write
// stuck behind a long transaction makes /healthz answer "down" at once instead of hanging.
func TestHealthzStoreCheck(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	p := &fakePinger{}
	h := New(p, func() time.Time { return now })
	get := func() Report {
		t.Helper()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
		var rep Report
		if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil {
			t.Fatal(err)
		}
		return rep
	}
	for range 3 {
		if rep := get(); rep.Status != "ok" || !rep.Store.Writable {
			t.Fatalf("%+v", rep)
		}
	}
	if p.pings != 1 {
		t.Fatalf("%d writes for three answers within %v, want 1", p.pings, StoreCheckEvery)
	}

	now = now.Add(StoreCheckEvery)
	p.mu.Lock()
	p.block = make(chan struct{})
	p.mu.Unlock()
	h.store.timeout = time.Millisecond
	rep := get()
	if rep.Status != "down" || rep.Store.Writable || !strings.Contains(rep.Store.Error, "has not finished") {
		t.Fatalf("a stuck write: %+v", rep)
	}
	// The write finishes: the next answer has its result, and no second write was started meanwhile.
	h.store.timeout = time.Minute
	close(p.block)
	if rep := get(); rep.Status != "ok" || !rep.Store.Writable {
		t.Fatalf("after the write finished: %+v", rep)
	}
	if p.pings != 2 {
		t.Fatalf("%d writes, want 2", p.pings)
	}
}
