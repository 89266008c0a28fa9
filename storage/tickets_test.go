package storage_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/storage"
)

// windowTickets are the tickets of TestTicketsActiveOrUpdatedSince and the migration test, by subject; the
// window starts at since.
func windowTickets(since time.Time) []*bot.Ticket {
	day := 24 * time.Hour
	at := func(t time.Time) *time.Time { return &t }
	resolved := func(subject string, created, done time.Time) *bot.Ticket {
		tk := newTicket("test:" + subject)
		tk.Subject, tk.CreatedAt, tk.UpdatedAt = subject, created, done
		tk.Status, tk.ResolvedAt = bot.StatusResolved, at(done)
		tk.Transitions = []bot.Transition{{At: created, Type: bot.TransitionOpened, To: bot.StatusOpen}, {At: done, Type: bot.TransitionResolved, From: bot.StatusOpen, To: bot.StatusResolved}}
		return tk
	}
	active := func(subject string, created time.Time) *bot.Ticket {
		tk := newTicket("test:" + subject)
		tk.Subject, tk.CreatedAt, tk.UpdatedAt, tk.Status = subject, created, created, bot.StatusEscalated
		return tk
	}
	// Written by hand: nothing moved UpdatedAt, but the ticket was resolved in the window.
	byHand := resolved("by hand", since.Add(-90*day), since.Add(2*day))
	byHand.UpdatedAt = time.Time{}
	return []*bot.Ticket{
		resolved("old, resolved in the window", since.Add(-60*day), since.Add(day)),
		resolved("old and resolved long ago", since.Add(-60*day), since.Add(-59*day)),
		active("old, still waiting", since.Add(-400*day)),
		active("opened in the window", since.Add(3*day)),
		resolved("resolved at the start", since.Add(-day), since),
		resolved("resolved just before", since.Add(-day), since.Add(-time.Nanosecond)),
		byHand,
	}
}

var wantInWindow = []string{"old, resolved in the window", "old, still waiting", "opened in the window", "resolved at the start", "by hand"}

func subjects(tickets []*bot.Ticket) []string {
	var out []string
	for _, tk := range tickets {
		out = append(out, tk.Subject)
	}
	return out
}

func TestTicketsActiveOrUpdatedSince(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.db")
	// Not mustOpen: the index is counted below with the file closed.
	db, err := storage.Open(path, storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	since := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	if err := db.Update(ctx, func(tx bot.Tx) error {
		for _, tk := range windowTickets(since) {
			if err := tx.CreateTicket(tk); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	got, err := db.TicketsActiveOrUpdatedSince(ctx, since)
	if err != nil {
		t.Fatal(err)
	}
	if s := subjects(got); !slices.Equal(s, wantInWindow) {
		t.Fatalf("got %q\nwant %q", s, wantInWindow)
	}

	// Rating the ticket resolved long ago is a change in the window; resolving the waiting one keeps it
	// (it changed now). Each index entry moves: one per ticket, never a stale one left behind.
	now := since.Add(5 * 24 * time.Hour)
	if err := db.Update(ctx, func(tx bot.Tx) error {
		for id, change := range map[string]func(*bot.Ticket){
			"T-000002": func(tk *bot.Ticket) {
				tk.CSAT = &bot.Rating{Score: 5, RatedAt: now}
				tk.UpdatedAt = now
			},
			"T-000003": func(tk *bot.Ticket) {
				tk.Status, tk.ResolvedAt, tk.UpdatedAt = bot.StatusResolved, &now, now
			},
		} {
			tk, err := tx.Ticket(id)
			if err != nil {
				return err
			}
			change(tk)
			if err := tx.PutTicket(tk); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	got, err = db.TicketsActiveOrUpdatedSince(ctx, since)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"old, resolved in the window", "old and resolved long ago", "old, still waiting", "opened in the window", "resolved at the start", "by hand"}
	if s := subjects(got); !slices.Equal(s, want) {
		t.Fatalf("after changes got %q\nwant %q", s, want)
	}
	got, err = db.TicketsActiveOrUpdatedSince(ctx, now.Add(time.Nanosecond))
	if err != nil {
		t.Fatal(err)
	}
	if s := subjects(got); !slices.Equal(s, []string{"opened in the window"}) {
		t.Fatalf("after the last change got %q, want only the active ticket", s)
	}
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if n := countKeys(t, path, "tickets_by_updated"); n != 7 {
		t.Fatalf("%d entries in the last-change index for 7 tickets", n)
	}
}

// TestMigrationIndexesExistingTickets writes a schema 1 file by hand, as the first release left it, and
// checks that opening it builds the last-change index.
func TestMigrationIndexesExistingTickets(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.db")
	since := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	b, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = b.Update(func(btx *bolt.Tx) error {
		for _, name := range []string{"meta", "tickets", "tickets_by_conversation", "tickets_by_requester", "tickets_by_status",
			"messages", "dedup", "outbox", "articles", "article_versions", "adapters"} {
			if _, err := btx.CreateBucket([]byte(name)); err != nil {
				return err
			}
		}
		for i, tk := range windowTickets(since) {
			seq := binary.BigEndian.AppendUint64(nil, uint64(i+1))
			tk.ID = bot.TicketID(uint64(i + 1))
			data, err := json.Marshal(tk)
			if err != nil {
				return err
			}
			if err := btx.Bucket([]byte("tickets")).Put(seq, data); err != nil {
				return err
			}
			key := append(append([]byte(tk.Status), 0), seq...)
			if err := btx.Bucket([]byte("tickets_by_status")).Put(key, nil); err != nil {
				return err
			}
		}
		return btx.Bucket([]byte("meta")).Put([]byte("schema_version"), binary.BigEndian.AppendUint64(nil, 1))
	})
	b.Close()
	if err != nil {
		t.Fatal(err)
	}
	db := mustOpen(t, path)
	got, err := db.TicketsActiveOrUpdatedSince(context.Background(), since)
	if err != nil {
		t.Fatal(err)
	}
	if s := subjects(got); !slices.Equal(s, wantInWindow) {
		t.Fatalf("got %q\nwant %q", s, wantInWindow)
	}
}

func TestTicketsActiveOrUpdatedSinceStopsOnACancelledContext(t *testing.T) {
	db := mustOpen(t, filepath.Join(t.TempDir(), "f.db"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := db.TicketsActiveOrUpdatedSince(ctx, time.Time{}); err == nil || !strings.Contains(err.Error(), "canceled") {
		t.Fatalf("err %v, want the context's", err)
	}
}

func countKeys(t *testing.T, path, bucket string) int {
	t.Helper()
	b, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	n := 0
	if err := b.View(func(btx *bolt.Tx) error {
		n = btx.Bucket([]byte(bucket)).Stats().KeyN
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return n
}
