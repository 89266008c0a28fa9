// Package health answers the desk's /healthz: the process is up (it answers), the data file takes a
// write, and each enabled platform's adapter is connected.
package health

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// Grace is how long an enabled platform may be disconnected (a reconnect in progress: /healthz says
// "degraded") before /healthz says the desk is down.
const Grace = 2 * time.Minute

// The write check of /healthz runs at most every StoreCheckEvery, however often it is asked; a write that
// has not finished after StoreCheckTimeout counts as failed (it goes on, and the next answer has its
// result).
const (
	StoreCheckEvery   = 5 * time.Second
	StoreCheckTimeout = 3 * time.Second
)

// Connection is a chat adapter whose connection /healthz watches (*slack.Adapter, *discord.Adapter).
type Connection interface {
	Connection() (connected bool, since time.Time)
}

// Pinger is the data file as /healthz checks it (*storage.DB).
type Pinger interface {
	Ping(ctx context.Context) error
}

// Report is /healthz's answer.
type Report struct {
	// Status is "ok"; "degraded" while a platform reconnects (for up to Grace); "down" when the data file
	// takes no writes or a platform has been disconnected for longer (HTTP 503).
	Status   string             `json:"status"`
	Store    Store              `json:"store"`
	Adapters map[string]Adapter `json:"adapters"`
}

// Store is the data file's part of the report.
type Store struct {
	Writable  bool      `json:"writable"`
	CheckedAt time.Time `json:"checked_at"`
	Error     string    `json:"error,omitempty"`
}

// Adapter is one platform's part of the report.
type Adapter struct {
	Connected bool `json:"connected"`
	// Since is when the adapter connected, or lost (or had not yet made) its connection.
	Since time.Time `json:"since"`
}

// Checker answers /healthz. Watch its adapters before it serves.
type Checker struct {
	now      func() time.Time
	grace    time.Duration
	store    *storeCheck
	adapters map[string]Connection
}

// New returns the checker of store, with now as its clock.
func New(store Pinger, now func() time.Time) *Checker {
	return &Checker{
		now:      now,
		grace:    Grace,
		store:    &storeCheck{ping: store.Ping, now: now, every: StoreCheckEvery, timeout: StoreCheckTimeout},
		adapters: map[string]Connection{},
	}
}

// Watch adds a platform's connection to the report. Call it before the checker serves.
func (h *Checker) Watch(platform string, c Connection) { h.adapters[platform] = c }

// Report checks the store (at most every StoreCheckEvery) and the adapters.
func (h *Checker) Report() Report {
	rep := Report{Status: "ok", Adapters: map[string]Adapter{}}
	at, err := h.store.check()
	rep.Store = Store{Writable: err == nil, CheckedAt: at.UTC()}
	if err != nil {
		rep.Store.Error = err.Error()
		rep.Status = "down"
	}
	now := h.now()
	for name, c := range h.adapters {
		up, since := c.Connection()
		rep.Adapters[name] = Adapter{Connected: up, Since: since.UTC()}
		switch {
		case up:
		case now.Sub(since) > h.grace:
			rep.Status = "down"
		case rep.Status == "ok":
			rep.Status = "degraded"
		}
	}
	return rep
}

// ServeHTTP writes the report as JSON, with 503 when the desk is down.
func (h *Checker) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	rep := h.Report()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if rep.Status == "down" {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(rep)
}

// storeCheck runs the data file's write check at most once per every, one at a time, and waits for it at
// most timeout: a write blocked behind a long transaction must not hang /healthz.
type storeCheck struct {
	ping    func(ctx context.Context) error
	now     func() time.Time
	every   time.Duration
	timeout time.Duration

	mu      sync.Mutex
	at      time.Time // when the last check ended; zero before the first
	err     error
	running chan struct{} // closed when the check in progress ends; nil when none is
}

// check returns the time and result of a check no older than every, running one if needed.
func (s *storeCheck) check() (time.Time, error) {
	s.mu.Lock()
	if now := s.now(); !s.at.IsZero() && now.Sub(s.at) < s.every && !now.Before(s.at) {
		defer s.mu.Unlock()
		return s.at, s.err
	}
	if s.running == nil {
		done := make(chan struct{})
		s.running = done
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			err := s.ping(ctx)
			s.mu.Lock()
			s.at, s.err, s.running = s.now(), err, nil
			s.mu.Unlock()
			close(done)
		}()
	}
	done := s.running
	s.mu.Unlock()
	timer := time.NewTimer(s.timeout)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		return s.now(), fmt.Errorf("a write to the data file has not finished after %s", s.timeout)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.at, s.err
}
