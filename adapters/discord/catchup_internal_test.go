package discord

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// historyAPI serves GET /channels/{id}/messages from a list of message ids, oldest first, each written
// one minute after the one before and the last one now. Its modes misbehave as a server might: ignore
// before (always the newest page), or list oldest first.
type historyAPI struct {
	ids          []int
	now          time.Time
	ignoreBefore bool
	oldestFirst  bool
	requests     *atomic.Int64
}

func (h historyAPI) RoundTrip(r *http.Request) (*http.Response, error) {
	h.requests.Add(1)
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	before, _ := strconv.Atoi(q.Get("before"))
	var page []map[string]any
	for i := len(h.ids) - 1; i >= 0 && len(page) < limit; i-- {
		if before != 0 && !h.ignoreBefore && h.ids[i] >= before {
			continue
		}
		at := h.now.Add(-time.Duration(len(h.ids)-1-i) * time.Minute)
		page = append(page, map[string]any{"id": strconv.Itoa(h.ids[i]), "type": 0, "content": "m",
			"timestamp": at.Format(time.RFC3339), "author": map[string]any{"id": "2", "username": "u"}})
	}
	if h.oldestFirst {
		slices.Reverse(page)
	}
	body, _ := json.Marshal(page)
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(string(body))), Request: r}, nil
}

// TestHistoryBounds checks what one channel's catch-up reads: what came after the cursor, within the
// window and the count, the newest kept, oldest first; and that it ends whatever order or paging the
// server answers with.
func TestHistoryBounds(t *testing.T) {
	ids := func(n int) []int {
		out := make([]int, n)
		for i := range out {
			out[i] = 1000 + i
		}
		return out
	}
	now := time.Now()
	for _, tc := range []struct {
		name        string
		api         historyAPI
		last        string
		since       time.Duration // before now
		first, want int           // the first id returned and how many
	}{
		{name: "all of a short history", api: historyAPI{ids: ids(30)}, since: time.Hour, first: 1000, want: 30},
		{name: "after the cursor", api: historyAPI{ids: ids(30)}, last: "1024", since: time.Hour, first: 1025, want: 5},
		{name: "nothing after the cursor", api: historyAPI{ids: ids(30)}, last: "1029", since: time.Hour, want: 0},
		{name: "within the window", api: historyAPI{ids: ids(30)}, since: 10*time.Minute + time.Second, first: 1019, want: 11},
		{name: "the newest 300 of 450", api: historyAPI{ids: ids(450)}, since: 24 * time.Hour, first: 1150, want: catchUpPerChannel},
		{name: "a cursor on another page", api: historyAPI{ids: ids(250)}, last: "1100", since: 24 * time.Hour, first: 1101, want: 149},
		{name: "a server that ignores before", api: historyAPI{ids: ids(250), ignoreBefore: true}, since: 24 * time.Hour, first: 1150, want: 100},
		{name: "a server that lists oldest first", api: historyAPI{ids: ids(250), oldestFirst: true}, since: 24 * time.Hour, first: 1000, want: 250},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.api.now, tc.api.requests = now, &atomic.Int64{}
			a, err := New(Config{Token: "t", HTTPClient: &http.Client{Transport: tc.api}}, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				t.Fatal(err)
			}
			msgs, err := a.history(context.Background(), "100", tc.last, now.Add(-tc.since))
			if err != nil {
				t.Fatal(err)
			}
			if len(msgs) != tc.want {
				t.Fatalf("%d messages, want %d", len(msgs), tc.want)
			}
			for i, m := range msgs {
				if want := strconv.Itoa(tc.first + i); m.ID != want {
					t.Fatalf("message %d is %s, want %s (oldest first, no gaps)", i, m.ID, want)
				}
			}
			if n := tc.api.requests.Load(); n > 5 {
				t.Fatalf("%d requests for one channel", n)
			}
		})
	}
}
