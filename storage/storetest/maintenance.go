package storetest

// What cmd/firstline and the web console use of a store beyond bot.Store: adapters' state, vectors, the
// web console's records, reports' and the audit command's reads, and the retention purge. Each is a
// capability (an interface the store implements), or, where its result is the store's own type, a
// function of the Harness.

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
)

// AdapterState is the key/value state of one adapter (storage.AdapterState, postgres.AdapterState).
type AdapterState interface {
	NextID(ctx context.Context) (uint64, error)
	Put(ctx context.Context, key string, value []byte) error
	Get(ctx context.Context, key string) ([]byte, error)
}

// VectorStore keeps article vectors (kb.VectorStore, and what the desk prunes and counts).
type VectorStore interface {
	Vectors(keys []string) (map[string][]float32, error)
	PutVectors(vecs map[string][]float32) error
	PruneVectors(keep map[string]bool) (int, error)
	CountVectors() (int, error)
}

// WebStore keeps the web console's records (web.SessionStore).
type WebStore interface {
	PutWebRecord(ctx context.Context, kind, key, user string, expires time.Time, rec []byte, audit bot.AuditEntry) error
	AddWebRecord(ctx context.Context, kind, key, user string, expires time.Time, rec []byte, audit bot.AuditEntry) error
	WebRecord(ctx context.Context, kind, key string) ([]byte, error)
	DeleteWebRecord(ctx context.Context, kind, key string, audit bot.AuditEntry) (bool, error)
	DeleteUserWebRecords(ctx context.Context, kind, user string, audit bot.AuditEntry) (int, error)
	PruneWebRecords(ctx context.Context, now time.Time) (int, error)
}

// ReportReader reads what reports and the audit command read.
type ReportReader interface {
	TicketsActiveOrUpdatedSince(ctx context.Context, since time.Time) ([]*bot.Ticket, error)
	AuditEntries(ctx context.Context, since time.Time, limit int) ([]bot.AuditEntry, error)
}

// PurgeResult is what a retention purge removed.
type PurgeResult struct{ Tickets, Links, Effects int }

func init() {
	cases = append(cases,
		testCase{"AdapterState", nil, testAdapterState},
		testCase{"Vectors", nil, testVectors},
		testCase{"WebRecords", nil, testWebRecords},
		testCase{"TicketsActiveOrUpdatedSince", nil, testTicketsActiveOrUpdatedSince},
		testCase{"AuditEntries", nil, testAuditEntries},
		testCase{"PurgeResolved", nil, testPurgeResolved},
	)
}

// testAdapterState: a sequence per adapter that goes on after reopening, values by key, adapters apart.
func testAdapterState(t *testing.T, h Harness) {
	if h.Adapter == nil {
		t.Fatal("the harness has no Adapter: every store keeps adapters' state")
	}
	s := h.Open(t)
	st := h.Adapter(s, "console")
	for want := uint64(1); want <= 3; want++ {
		if id, err := st.NextID(ctx); err != nil || id != want {
			t.Fatalf("NextID = %d, %v; want %d", id, err, want)
		}
	}
	if id, err := h.Adapter(s, "discord").NextID(ctx); err != nil || id != 1 {
		t.Fatalf("another adapter's first id: %d, %v", id, err)
	}
	if err := st.Put(ctx, "m1", []byte(`{"x":1}`)); err != nil {
		t.Fatal(err)
	}
	if err := st.Put(ctx, "empty", nil); err != nil {
		t.Fatal(err)
	}
	if err := st.Put(ctx, "m1", []byte(`{"x":2}`)); err != nil {
		t.Fatal(err)
	}
	if h.Reopen != nil {
		s = h.Reopen(t, s)
		st = h.Adapter(s, "console")
		if id, err := st.NextID(ctx); err != nil || id != 4 {
			t.Fatalf("NextID after reopening = %d, %v; want 4", id, err)
		}
	}
	if v, err := st.Get(ctx, "m1"); err != nil || string(v) != `{"x":2}` {
		t.Fatalf("Get = %s, %v", v, err)
	}
	if v, err := st.Get(ctx, "empty"); err != nil || len(v) != 0 {
		t.Fatalf("an empty value: %q, %v", v, err)
	}
	if _, err := h.Adapter(s, "slack").Get(ctx, "m1"); !bot.IsNotFound(err) {
		t.Fatalf("another adapter's state leaked: %v", err)
	}
	if _, err := st.Get(ctx, "never"); !bot.IsNotFound(err) {
		t.Fatalf("a key never put: %v, want ENOTFOUND", err)
	}
}

// testVectors: vectors by key, exactly; the missing ones left out; pruning keeps only what it is told.
func testVectors(t *testing.T, h Harness) {
	s := h.Open(t)
	v := capability[VectorStore](t, s)
	in := map[string][]float32{"m1:a": {0.5, -1.25, 3e-9}, "m1:b": {1, 2}, "m2:a": {}}
	if err := v.PutVectors(in); err != nil {
		t.Fatal(err)
	}
	got, err := v.Vectors([]string{"m1:a", "m1:b", "m2:a", "nope"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || !slices.Equal(got["m1:a"], in["m1:a"]) || !slices.Equal(got["m1:b"], in["m1:b"]) || len(got["m2:a"]) != 0 {
		t.Fatalf("vectors %v, want %v", got, in)
	}
	if n, err := v.CountVectors(); err != nil || n != 3 {
		t.Fatalf("count %d, %v", n, err)
	}
	if n, err := v.PruneVectors(map[string]bool{"m1:a": true}); err != nil || n != 2 {
		t.Fatalf("pruned %d, %v; want 2", n, err)
	}
	if got, err := v.Vectors([]string{"m1:a", "m1:b"}); err != nil || !maps.EqualFunc(got, map[string][]float32{"m1:a": in["m1:a"]}, slices.Equal) {
		t.Fatalf("after pruning: %v, %v", got, err)
	}
}

// testWebRecords: sessions and spent marks by kind and key, one add of a key wins, sign out everywhere
// removes one kind of one user's records, pruning removes what expired and never what does not, and
// the audit entries given are appended with the change.
func testWebRecords(t *testing.T, h Harness) {
	s := h.Open(t)
	w := capability[WebStore](t, s)
	r := capability[ReportReader](t, s)
	now := base
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.WebRecord(ctx, "session", "a"); !bot.IsNotFound(err) {
		t.Fatalf("before any: %v", err)
	}
	must(w.AddWebRecord(ctx, "session", "a", "slack:tom", now.Add(time.Hour), []byte("one"), bot.AuditEntry{At: now, Actor: "slack:tom", Action: "web.signin", Target: "slack:tom"}))
	wantCode(t, "add twice", w.AddWebRecord(ctx, "session", "a", "slack:tom", now.Add(time.Hour), []byte("two"), bot.AuditEntry{}), bot.ECONFLICT)
	must(w.PutWebRecord(ctx, "session", "b", "slack:tom", now.Add(2*time.Hour), []byte("b"), bot.AuditEntry{}))
	must(w.PutWebRecord(ctx, "session", "c", "slack:sara", now.Add(3*time.Hour), []byte("c"), bot.AuditEntry{}))
	must(w.PutWebRecord(ctx, "spent", "a", "slack:tom", now.Add(time.Minute), nil, bot.AuditEntry{}))
	must(w.PutWebRecord(ctx, "key", "k", "", time.Time{}, []byte("key"), bot.AuditEntry{}))
	// Replacing a record moves its expiry: the old one no longer prunes it.
	must(w.PutWebRecord(ctx, "session", "a", "slack:tom", now.Add(5*time.Hour), []byte("one again"), bot.AuditEntry{}))
	if got, err := w.WebRecord(ctx, "session", "a"); err != nil || string(got) != "one again" {
		t.Fatalf("session a: %q, %v", got, err)
	}
	n, err := w.DeleteUserWebRecords(ctx, "session", "slack:tom", bot.AuditEntry{At: now, Actor: "slack:tom", Action: "web.signout_all"})
	if err != nil || n != 2 {
		t.Fatalf("delete tom's sessions: %d, %v", n, err)
	}
	for _, k := range [][2]string{{"session", "a"}, {"session", "b"}} {
		if _, err := w.WebRecord(ctx, k[0], k[1]); !bot.IsNotFound(err) {
			t.Fatalf("%v after sign out everywhere: %v", k, err)
		}
	}
	for _, k := range [][2]string{{"session", "c"}, {"spent", "a"}, {"key", "k"}} {
		if _, err := w.WebRecord(ctx, k[0], k[1]); err != nil {
			t.Fatalf("%v: %v", k, err)
		}
	}
	n, err = w.PruneWebRecords(ctx, now.Add(4*time.Hour))
	if err != nil || n != 2 {
		t.Fatalf("prune: %d, %v; want sara's session and tom's spent link", n, err)
	}
	if found, err := w.DeleteWebRecord(ctx, "key", "k", bot.AuditEntry{}); err != nil || !found {
		t.Fatalf("delete key: %v, %v", found, err)
	}
	if found, err := w.DeleteWebRecord(ctx, "key", "k", bot.AuditEntry{}); err != nil || found {
		t.Fatalf("delete key again: %v, %v", found, err)
	}
	wantCode(t, "a key with a zero byte", w.PutWebRecord(ctx, "session", "a\x00b", "", time.Time{}, nil, bot.AuditEntry{}), bot.EINVALID)
	entries, err := r.AuditEntries(ctx, time.Time{}, 0)
	if err != nil || len(entries) != 2 || entries[0].Action != "web.signin" || entries[1].Action != "web.signout_all" {
		t.Fatalf("audit: %+v, %v", entries, err)
	}
}

// testTicketsActiveOrUpdatedSince: every ticket changed at or after since, and every active one, once
// each, oldest first.
func testTicketsActiveOrUpdatedSince(t *testing.T, h Harness) {
	s := h.Open(t)
	r := capability[ReportReader](t, s)
	mk := func(status bot.Status, changed time.Time) {
		tk := newTicket("slack:UALICE", "")
		tk.Status, tk.CreatedAt, tk.UpdatedAt = status, changed.Add(-time.Hour), changed
		tk.Transcript[0].At = tk.CreatedAt
		if status == bot.StatusResolved {
			tk.ResolvedAt = &changed
		}
		createTicket(t, s, tk)
	}
	mk(bot.StatusResolved, at(-600)) // T-000001: resolved long ago: not counted
	mk(bot.StatusOpen, at(-600))     // T-000002: active: counted
	mk(bot.StatusResolved, at(10))   // T-000003: changed in the window
	mk(bot.StatusClaimed, at(20))    // T-000004: both
	// T-000005: resolved before the window, rated in it: its last change is the rating.
	tk := newTicket("slack:UBOB", "")
	tk.Status, tk.CreatedAt, tk.UpdatedAt, tk.ResolvedAt = bot.StatusResolved, at(-700), at(-650), ptr(at(-650))
	tk.Transcript[0].At = tk.CreatedAt
	tk.CSAT = &bot.Rating{Score: 5, RatedAt: at(5), By: "slack:UBOB"}
	createTicket(t, s, tk)
	got, err := r.TicketsActiveOrUpdatedSince(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"T-000002", "T-000003", "T-000004", "T-000005"}; !slices.Equal(ids(got), want) {
		t.Fatalf("got %v, want %v", ids(got), want)
	}
}

// testAuditEntries: the entries at or after since, oldest first, the most recent limit of them.
func testAuditEntries(t *testing.T, h Harness) {
	s := h.Open(t)
	r := capability[ReportReader](t, s)
	auditLog(t, s)
	got, err := r.AuditEntries(ctx, at(90), 0)
	if err != nil || len(got) != 10 || !got[0].At.Equal(at(90)) || !got[9].At.Equal(at(99)) {
		t.Fatalf("since 90: %d entries, %v", len(got), err)
	}
	got, err = r.AuditEntries(ctx, time.Time{}, 3)
	if err != nil || len(got) != 3 || !got[0].At.Equal(at(97)) || got[2].Detail != "entry 99" {
		t.Fatalf("the last 3: %+v, %v", got, err)
	}
	if got, err := r.AuditEntries(ctx, time.Time{}, 0); err != nil || len(got) != 100 {
		t.Fatalf("all: %d, %v", len(got), err)
	}
}

// testPurgeResolved: tickets resolved (and last changed) before the cutoff go, in batches, with their
// links and effects; a DM's link moves to its requester's newest remaining ticket there; a thread joined
// to a purged ticket is unlinked; what stays is untouched, and numbers are never reused.
func testPurgeResolved(t *testing.T, h Harness) {
	if h.PurgeResolved == nil {
		t.Fatal("the harness has no PurgeResolved: every store purges resolved tickets")
	}
	s := h.Open(t)
	dm := bot.Conversation{Platform: "slack", Channel: "D1", DM: true}
	old := at(-60 * 24 * 100)
	mk := func(c bot.Conversation, status bot.Status, resolved time.Time) string {
		tk := newTicket("slack:UCAROL", c.Thread)
		tk.Conversation = c
		tk.Status, tk.CreatedAt, tk.UpdatedAt = status, old, old
		tk.Transcript[0].At = old
		if !resolved.IsZero() {
			tk.ResolvedAt, tk.UpdatedAt = &resolved, resolved
		}
		id := createTicket(t, s, tk)
		update(t, s, func(tx bot.Tx) error { return tx.LinkConversation(c, id) })
		return id
	}
	thread := bot.Conversation{Platform: "slack", Channel: "help", Thread: "1.1"}
	gone := mk(thread, bot.StatusResolved, old)                                                          // T-000001: purged
	kept := mk(dm, bot.StatusResolved, base)                                                             // T-000002: resolved recently
	mk(bot.Conversation{Platform: "slack", Channel: "help", Thread: "2.2"}, bot.StatusOpen, time.Time{}) // T-000003: active
	dmGone := mk(dm, bot.StatusResolved, old)                                                            // T-000004: purged; the DM goes back to T-000002
	update(t, s, func(tx bot.Tx) error {
		if err := tx.LinkConversation(bot.Conversation{Platform: "slack", Channel: "help", Thread: "1.9"}, gone); err != nil {
			return err
		}
		for _, p := range []struct {
			id, key, msg string
		}{{gone, "card-1", "c1"}, {gone, "csat", "q1"}, {kept, "card-1", "c2"}} {
			if err := tx.RecordPost(ref("tier2", p.msg), bot.MessageLink{Ticket: p.id, Key: p.key}); err != nil {
				return err
			}
		}
		for _, id := range []string{gone, dmGone, kept} {
			if err := tx.Enqueue(&bot.Effect{Kind: bot.EffectPost, Lane: "l", Ticket: id, CreatedAt: base}); err != nil {
				return err
			}
			// An action run on each: it goes with its ticket (it names the person it was for).
			if err := tx.CreateActionRun(&bot.ActionRun{Action: "unlock", State: bot.RunSucceeded, Ticket: id, For: "slack:UCAROL", CreatedAt: old}); err != nil {
				return err
			}
		}
		return nil
	})
	res, err := h.PurgeResolved(s, base.Add(-30*24*time.Hour), 1) // one ticket a transaction
	if err != nil {
		t.Fatal(err)
	}
	// Links: T-000001's card and rating question, its thread and the thread joined to it.
	if res != (PurgeResult{Tickets: 2, Links: 4, Effects: 2}) {
		t.Fatalf("purged %+v, want 2 tickets, 4 links, 2 effects", res)
	}
	view(t, s, func(tx bot.Tx) error {
		all, err := tx.FindTickets(bot.TicketFilter{})
		if err != nil {
			return err
		}
		if got := ids(all); !slices.Equal(got, []string{"T-000002", "T-000003"}) {
			t.Errorf("left %v", got)
		}
		if tk, err := tx.TicketByConversation(dm); err != nil || tk.ID != kept {
			t.Errorf("the DM reaches %v, %v; want %s", tk, err, kept)
		}
		for _, th := range []string{"1.1", "1.9"} {
			if _, err := tx.TicketByConversation(bot.Conversation{Platform: "slack", Channel: "help", Thread: th}); !bot.IsNotFound(err) {
				t.Errorf("thread %s still reaches a ticket: %v", th, err)
			}
		}
		if _, err := tx.MessageLink(ref("tier2", "c1")); !bot.IsNotFound(err) {
			t.Errorf("a purged ticket's card is still linked: %v", err)
		}
		if l, err := tx.MessageLink(ref("tier2", "c2")); err != nil || l.Ticket != kept {
			t.Errorf("a kept ticket's card: %+v, %v", l, err)
		}
		if refs, err := tx.PostRefs(gone); err != nil || len(refs) != 0 {
			t.Errorf("a purged ticket's messages: %v, %v", refs, err)
		}
		effs, err := tx.Effects(0, 0)
		if err != nil || len(effs) != 1 || effs[0].Ticket != kept {
			t.Errorf("effects left: %+v, %v", effs, err)
		}
		if runs, err := tx.FindActionRuns(bot.ActionRunFilter{}); err != nil || len(runs) != 1 || runs[0].Ticket != kept {
			t.Errorf("action runs left: %+v, %v", runs, err)
		}
		if runs, err := tx.FindActionRuns(bot.ActionRunFilter{For: "slack:UCAROL"}); err != nil || len(runs) != 1 {
			t.Errorf("action runs found by the person they were for: %d, %v", len(runs), err)
		}
		if tks, err := tx.FindTickets(bot.TicketFilter{Text: "printer"}); err != nil || len(tks) != 2 {
			t.Errorf("the text search after the purge: %v, %v", ids(tks), err)
		}
		return nil
	})
	if res, err := h.PurgeResolved(s, base.Add(-30*24*time.Hour), 1); err != nil || res != (PurgeResult{}) {
		t.Fatalf("a second purge removed %+v, %v", res, err)
	}
	if id := createTicket(t, s, newTicket("slack:UDAVE", "9.9")); id != "T-000005" {
		t.Fatalf("a ticket after the purge is %s, want T-000005", id)
	}
}
