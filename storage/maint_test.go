package storage_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/kb"
	"github.com/firstline-desk/firstline/storage"
)

// The desk every maintenance test starts from, at deskNow:
//
//	T-000001  test:alice, escalated, claimed by test:bob who wrote in it; SLA warning due; a card and an answer
//	T-000002  test:bob, resolved 100 days ago; its rating question asked twice (one link no longer its csat)
//	T-000003  test:carol, in her DM, resolved 10 days ago (reopened after T-000004), rated with a comment
//	T-000004  test:carol, in the same DM, resolved 100 days ago; the DM links to it (the newest)
//
// plus an article written by test:bob, audit entries, pending effects for T-000001 and T-000002, and two
// threads joined to tickets (a quick second question added to the asker's ticket of a moment ago):
// test/help/m-1b to T-000001, test/help/m-2b to T-000002.
var deskNow = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

const bobsWords = "I reset the token for the purple-elephant-7731 gateway, try again now please"

func ago(d time.Duration) *time.Time { t := deskNow.Add(-d); return &t }

const day = 24 * time.Hour

func ref(ch, id string) bot.MessageRef { return bot.MessageRef{Platform: "test", Channel: ch, ID: id} }

func deskTickets() []*bot.Ticket {
	t1 := &bot.Ticket{Version: bot.TicketVersion, Status: bot.StatusClaimed, Tier: "t2", Priority: "P2", Requester: "test:alice", RequesterName: "Alice",
		Assignee: "test:bob", AssigneeName: "Bob Builder", Subject: "VPN token rejected",
		Conversation: bot.Conversation{Platform: "test", Channel: "help", Thread: "m-1"},
		Cards:        []bot.Card{{Key: "card-1", Tier: "t2", Current: true, Note: "bob said he knows this one", PostedAt: *ago(2 * time.Hour)}},
		Transcript: []bot.Entry{
			{At: *ago(3 * time.Hour), Author: "test:alice", Name: "Alice", Role: bot.RoleRequester, Text: "My VPN token is rejected"},
			{At: *ago(2 * time.Hour), Author: "test:bob", Name: "Bob Builder", Role: bot.RoleTechnician, Text: bobsWords},
			{At: *ago(time.Hour), Author: "test:alice", Name: "Alice", Role: bot.RoleRequester, Text: "Thanks Bob Builder! Off to my bobsled race."},
		},
		Transitions: []bot.Transition{
			{At: *ago(3 * time.Hour), Type: bot.TransitionOpened, To: bot.StatusOpen, By: "test:alice"},
			{At: *ago(2 * time.Hour), Type: bot.TransitionClaimed, From: bot.StatusEscalated, To: bot.StatusClaimed, By: "test:bob"},
		},
		CreatedAt: *ago(3 * time.Hour), UpdatedAt: *ago(time.Hour),
		SLA: &bot.SLA{Priority: "P2", Resolution: bot.SLAClock{Start: ago(3 * time.Hour), Due: ago(-5 * time.Hour), WarnAt: ago(-3 * time.Hour)}},
	}
	t2 := &bot.Ticket{Version: bot.TicketVersion, Status: bot.StatusResolved, Tier: bot.LevelOne, Priority: "P3", Requester: "test:bob", RequesterName: "Bob Builder",
		Subject: "purple-elephant-7731 gateway down", Conversation: bot.Conversation{Platform: "test", Channel: "help", Thread: "m-2"},
		Transcript:  []bot.Entry{{At: *ago(101 * day), Author: "test:bob", Name: "Bob Builder", Role: bot.RoleRequester, Text: "purple-elephant-7731 gateway down"}},
		Transitions: []bot.Transition{{At: *ago(101 * day), Type: bot.TransitionOpened, To: bot.StatusOpen, By: "test:bob"}},
		CreatedAt:   *ago(101 * day), UpdatedAt: *ago(100 * day), ResolvedAt: ago(100 * day), ResolvedBy: "test:alice",
	}
	dm := bot.Conversation{Platform: "test", Channel: "@carol", DM: true}
	t3 := &bot.Ticket{Version: bot.TicketVersion, Status: bot.StatusResolved, Tier: bot.LevelOne, Priority: "P3", Requester: "test:carol", RequesterName: "Carol",
		Subject: "printer", Conversation: dm, Transcript: []bot.Entry{{At: *ago(120 * day), Author: "test:carol", Name: "Carol", Role: bot.RoleRequester, Text: "printer"}},
		CreatedAt: *ago(120 * day), UpdatedAt: *ago(10 * day), ResolvedAt: ago(10 * day), ResolvedBy: "test:bob",
		Transitions: []bot.Transition{{At: *ago(10 * day), Type: bot.TransitionResolved, To: bot.StatusResolved, By: "test:bob", Detail: "bob fixed the tray"}},
		CSAT:        &bot.Rating{Score: 5, RatedAt: *ago(10 * day), By: "test:carol", Comment: "Bob Builder was great"},
	}
	t4 := &bot.Ticket{Version: bot.TicketVersion, Status: bot.StatusResolved, Tier: bot.LevelOne, Priority: "P3", Requester: "test:carol", RequesterName: "Carol",
		Subject: "wifi", Conversation: dm, Transcript: []bot.Entry{{At: *ago(101 * day), Author: "test:carol", Name: "Carol", Role: bot.RoleRequester, Text: "wifi"}},
		CreatedAt: *ago(101 * day), UpdatedAt: *ago(100 * day), ResolvedAt: ago(100 * day),
	}
	return []*bot.Ticket{t1, t2, t3, t4}
}

// deskPosts are where the desk above posted its tickets' messages, by ticket and key, in the order they
// were posted: T-000002's rating question was asked twice.
var deskPosts = []struct {
	ticket, key string
	ref         bot.MessageRef
}{
	{"T-000001", "card-1", ref("tier2", "c-1")},
	{"T-000001", "answer-1", ref("help", "a-1")},
	{"T-000002", "csat", ref("help", "q-2a")},
	{"T-000002", "csat", ref("help", "q-2b")},
}

// mustDesk writes the desk above into a new data file and returns its path, closed.
func mustDesk(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "firstline.db")
	db, err := storage.Open(path, storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	err = db.Update(ctx, func(tx bot.Tx) error {
		for _, tk := range deskTickets() {
			if err := tx.CreateTicket(tk); err != nil {
				return err
			}
			if err := tx.LinkConversation(tk.Conversation, tk.ID); err != nil {
				return err
			}
		}
		for _, p := range deskPosts {
			if err := tx.RecordPost(p.ref, bot.MessageLink{Ticket: p.ticket, Key: p.key}); err != nil {
				return err
			}
		}
		for thread, id := range map[string]string{"m-1b": "T-000001", "m-2b": "T-000002"} {
			if err := tx.LinkConversation(bot.Conversation{Platform: "test", Channel: "help", Thread: thread}, id); err != nil {
				return err
			}
		}
		for _, e := range []bot.Effect{
			{Kind: bot.EffectPost, Platform: "test", Lane: "test/tier2", Ticket: "T-000001", Post: bot.Post{Channel: "tier2", Text: "**Bob Builder** wrote: " + bobsWords}},
			{Kind: bot.EffectPost, Platform: "test", Lane: "test/help", Ticket: "T-000002", Post: bot.Post{Channel: "help", Text: "resolved"}},
			{Kind: bot.EffectPost, Platform: "test", Lane: "test/dm:test:bob", Post: bot.Post{DM: "test:bob", Text: "you were mentioned"}},
		} {
			if err := tx.Enqueue(&e); err != nil {
				return err
			}
		}
		for _, a := range []bot.AuditEntry{
			{At: *ago(2 * time.Hour), Actor: "test:bob", Action: "ticket.claimed", Target: "T-000001"},
			{At: *ago(time.Hour), Actor: "test:alice", Action: "refused", Target: "T-000001", Detail: "Bob Builder already claimed it"},
			{At: *ago(time.Hour), Actor: "test:alice", Action: "kb.edit", Target: "vpn-connect"},
		} {
			if err := tx.Audit(a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(ctx, func(tx bot.Tx) error {
		_, err := tx.PutKBArticle(kb.Article{ID: "vpn-connect", Title: "Connect to the VPN", Body: "Open the VPN client."}, false, "test:bob", *ago(day), 0)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return path
}

// rawUpdate changes the file behind Firstline's back, as a bug or a crash in the middle of a hand edit would.
func rawUpdate(t *testing.T, path string, fn func(*bolt.Tx) error) {
	t.Helper()
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Update(fn); err != nil {
		t.Fatal(err)
	}
}

func be(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

func copyTo(t *testing.T, src string) string {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "firstline.db")
	if err := os.WriteFile(dst, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return dst
}

func mustCheckClean(t *testing.T, path string) storage.CheckReport {
	t.Helper()
	r, err := storage.CheckFile(context.Background(), path, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Problems) > 0 {
		t.Fatalf("check found problems in a sound file:\n%s", strings.Join(r.Problems, "\n"))
	}
	return r
}

func TestCheckFindsEachBrokenInvariant(t *testing.T) {
	base := mustDesk(t)
	r := mustCheckClean(t, base)
	if r.Tickets != 4 || r.Schema != storage.SchemaVersion() {
		t.Fatalf("checked %d tickets at schema %d, want 4 at %d", r.Tickets, r.Schema, storage.SchemaVersion())
	}
	conv1 := []byte("test\x1fhelp\x1fm-1")
	tests := []struct {
		name    string
		corrupt func(*bolt.Tx) error
		want    string
	}{
		{"conversation link to a missing ticket", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("tickets_by_conversation")).Put([]byte("test\x1fhelp\x1fghost"), []byte("T-000099"))
		}, "tickets_by_conversation: conversation test/help/ghost points at T-000099, which does not exist"},
		{"ticket unreachable from its conversation", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("tickets_by_conversation")).Delete(conv1)
		}, "T-000001: its conversation (test/help/m-1) links to no ticket"},
		{"conversation linked to another conversation's ticket", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("tickets_by_conversation")).Put(conv1, []byte("T-000002"))
		}, "T-000001: its conversation links to T-000002, a ticket in another conversation"},
		{"message link to a missing ticket", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("messages")).Put([]byte("test\x1fhelp\x1fzz"), []byte(`{"ticket":"T-000099","key":"card-1"}`))
		}, "messages: message test/help/zz (card-1) points at T-000099, which does not exist"},
		{"posted message without its link", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("messages")).Delete([]byte("test\x1ftier2\x1fc-1"))
		}, "T-000001: its message card-1 (test/tier2/c-1) is not in messages"},
		{"where a missing ticket's message went", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("ticket_messages")).Put(append(be(99), "csat"...), []byte(`{"platform":"test","channel":"help","id":"zz"}`))
		}, "ticket_messages: message csat points at T-000099, which does not exist"},
		{"where a message went, unreadable", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("ticket_messages")).Put(append(be(1), "card-1"...), []byte(`{not json`))
		}, "T-000001: where its message card-1 went cannot be read"},
		{"a ticket's message linked to another", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("messages")).Put([]byte("test\x1ftier2\x1fc-1"), []byte(`{"ticket":"T-000002","key":"card-1"}`))
		}, "T-000001: its message card-1 (test/tier2/c-1) is linked to T-000002"},
		{"requester entry of a missing ticket", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("tickets_by_requester")).Put(append([]byte("test:ghost\x00"), be(99)...), nil)
		}, `tickets_by_requester: the entry under requester "test:ghost" points at T-000099, which does not exist`},
		{"requester entry missing", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("tickets_by_requester")).Delete(append([]byte("test:alice\x00"), be(1)...))
		}, "T-000001: missing from tickets_by_requester"},
		{"stale status entry", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("tickets_by_status")).Put(append([]byte("open\x00"), be(1)...), nil)
		}, `tickets_by_status: T-000001 is listed under status "open", which is not its status`},
		{"status entry missing", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("tickets_by_status")).Delete(append([]byte("claimed\x00"), be(1)...))
		}, "T-000001: missing from tickets_by_status (status claimed)"},
		{"last change not indexed", func(tx *bolt.Tx) error {
			return deleteWhere(tx.Bucket([]byte("tickets_by_updated")), func(k []byte) bool { return bytes.Equal(k[8:], be(1)) })
		}, "T-000001: missing from tickets_by_updated"},
		{"last change of a missing ticket", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("tickets_by_updated")).Put(append(be(uint64(deskNow.UnixNano())), be(99)...), nil)
		}, "tickets_by_updated: the entry at 2026-03-02 10:00:00 UTC points at T-000099, which does not exist"},
		{"running SLA clock without its due entry", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("tickets_by_due")).Delete(tx.Bucket([]byte("due_by_ticket")).Get(be(1)))
		}, "T-000001: its next SLA event (2026-03-02 13:00:00 UTC) has no entry in tickets_by_due"},
		{"due entry of a missing ticket", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("tickets_by_due")).Put(append(be(uint64(deskNow.UnixNano())), be(99)...), nil)
		}, "tickets_by_due: the entry due at 2026-03-02 10:00:00 UTC points at T-000099, which does not exist"},
		{"due entry at the wrong time", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("tickets_by_due")).Put(append(be(uint64(deskNow.UnixNano())), be(1)...), nil)
		}, "tickets_by_due: T-000001 is listed as due at 2026-03-02 10:00:00 UTC, which is not its next SLA event"},
		{"due_by_ticket lost", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("due_by_ticket")).Delete(be(1))
		}, "T-000001: due_by_ticket does not point at its tickets_by_due entry"},
		{"due_by_ticket of a missing ticket", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("due_by_ticket")).Put(be(99), append(be(1), be(99)...))
		}, "due_by_ticket: an entry points at T-000099, which does not exist"},
		{"outbox effect for a missing ticket", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("outbox")).Put(be(2), []byte(`{"seq":2,"kind":"post","platform":"test","ticket":"T-000099"}`))
		}, "outbox: effect 2 (post on test) is for T-000099, which does not exist"},
		{"outbox sequence behind", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("outbox")).SetSequence(1)
		}, "outbox: the sequence is at 1, below the highest entry 3"},
		{"ticket sequence behind", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("tickets")).SetSequence(2)
		}, "tickets: the id sequence is at 2, below the highest ticket T-000004"},
		{"unreadable ticket", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("tickets")).Put(be(4), []byte("{not json"))
		}, "T-000004: cannot be read"},
		{"ticket under another id", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("tickets")).Put(be(9), tx.Bucket([]byte("tickets")).Get(be(4)))
		}, `T-000009: stored under its key with the id "T-000004"`},
		{"article version missing", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("article_versions")).Delete(append([]byte("vpn-connect\x00"), be(1)...))
		}, "articles: vpn-connect is at version 1, which is missing from article_versions"},
		{"old schema", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("meta")).Put([]byte("schema_version"), be(uint64(storage.SchemaVersion()-1)))
		}, "meta: schema version"},
		{"newer schema", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("meta")).Put([]byte("schema_version"), be(uint64(storage.SchemaVersion()+1)))
		}, "newer than this Firstline's"},
		{"missing bucket", func(tx *bolt.Tx) error {
			return tx.DeleteBucket([]byte("tickets_by_due"))
		}, "tickets_by_due: the bucket is missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := copyTo(t, base)
			rawUpdate(t, path, tt.corrupt)
			r, err := storage.CheckFile(context.Background(), path, storage.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.ContainsFunc(r.Problems, func(p string) bool { return strings.Contains(p, tt.want) }) {
				t.Fatalf("check did not report %q; it reported:\n%s", tt.want, strings.Join(r.Problems, "\n"))
			}
		})
	}
}

func deleteWhere(b *bolt.Bucket, match func(k []byte) bool) error {
	var keys [][]byte
	b.ForEach(func(k, _ []byte) error {
		if match(k) {
			keys = append(keys, bytes.Clone(k))
		}
		return nil
	})
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// TestCheckAllWhileWriting checks the open file, as the running desk does for "firstline check", while
// another goroutine commits: the race detector watches the page check, and a broken invariant is found.
func TestCheckAllWhileWriting(t *testing.T) {
	path := mustDesk(t)
	rawUpdate(t, path, func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("tickets_by_due")).Delete(tx.Bucket([]byte("due_by_ticket")).Get(be(1)))
	})
	db, err := storage.Open(path, storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ctx.Err() == nil; i++ {
			tk := deskTickets()[0]
			tk.Conversation.Thread = "w-" + time.Now().String()
			if err := db.Update(ctx, func(tx bot.Tx) error {
				if err := tx.CreateTicket(tk); err != nil {
					return err
				}
				return tx.LinkConversation(tk.Conversation, tk.ID)
			}); err != nil && ctx.Err() == nil {
				t.Error(err)
				return
			}
		}
	})
	var r storage.CheckReport
	for range 5 {
		if r, err = db.CheckAll(ctx); err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	wg.Wait()
	if len(r.Problems) != 1 || !strings.Contains(r.Problems[0], "T-000001: its next SLA event") {
		t.Fatalf("got problems %q, want the one missing due entry", r.Problems)
	}
	if r.Tickets < 4 {
		t.Fatalf("checked %d tickets", r.Tickets)
	}
}

func TestPurgeResolved(t *testing.T) {
	path := mustDesk(t)
	db, err := storage.Open(path, storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	res, err := db.PurgeResolved(ctx, deskNow.Add(-30*day), 1) // one ticket a transaction
	if err != nil {
		t.Fatal(err)
	}
	if res.Tickets != 2 || res.Effects != 1 || res.Links != 4 {
		t.Fatalf("purged %+v, want T-000002 and T-000004, T-000002's effect, and the links of both its rating questions, its thread and the thread joined to it", res)
	}
	err = db.Update(ctx, func(tx bot.Tx) error {
		var ids []string
		all, err := tx.FindTickets(bot.TicketFilter{})
		for _, tk := range all {
			ids = append(ids, tk.ID)
		}
		if err != nil || strings.Join(ids, " ") != "T-000001 T-000003" {
			t.Errorf("left %v (%v), want T-000001 T-000003", ids, err)
		}
		// Carol's DM linked to T-000004, which is gone: it now reaches her remaining ticket.
		if tk, err := tx.TicketByConversation(bot.Conversation{Platform: "test", Channel: "@carol", DM: true}); err != nil || tk.ID != "T-000003" {
			t.Errorf("carol's DM reaches %v (%v), want T-000003", tk, err)
		}
		for _, thread := range []string{"m-2", "m-2b"} {
			if _, err := tx.TicketByConversation(bot.Conversation{Platform: "test", Channel: "help", Thread: thread}); !bot.IsNotFound(err) {
				t.Errorf("thread %s of T-000002 still reaches a ticket: %v", thread, err)
			}
		}
		if tk, err := tx.TicketByConversation(bot.Conversation{Platform: "test", Channel: "help", Thread: "m-1b"}); err != nil || tk.ID != "T-000001" {
			t.Errorf("the thread joined to T-000001 reaches %v (%v)", tk, err)
		}
		// Ids are never reused.
		tk := &bot.Ticket{Requester: "test:dave", Status: bot.StatusOpen}
		if err := tx.CreateTicket(tk); err != nil || tk.ID != "T-000005" {
			t.Errorf("a new ticket got %s (%v), want T-000005", tk.ID, err)
		}
		return errors.New("roll back")
	})
	if err == nil {
		t.Fatal("the test transaction committed")
	}
	again, err := db.PurgeResolved(ctx, deskNow.Add(-30*day), 1)
	if err != nil || again != (storage.Purge{}) {
		t.Fatalf("a second purge removed %+v (%v)", again, err)
	}
	db.Close()
	mustCheckClean(t, path)
}

func TestPurgeResolvedStopsWithTheContext(t *testing.T) {
	db := mustOpen(t, mustDesk(t))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if res, err := db.PurgeResolved(ctx, deskNow, 1); !errors.Is(err, context.Canceled) || res.Tickets != 0 {
		t.Fatalf("purge with a canceled context: %+v, %v", res, err)
	}
}

func TestEraseUser(t *testing.T) {
	path := mustDesk(t)
	before, _ := os.ReadFile(path)
	db, err := storage.Open(path, storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	dry, err := db.EraseUser(ctx, "test:bob", true)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Fatal("a dry run changed the file")
	}
	db, err = storage.Open(path, storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	got, err := db.EraseUser(ctx, "test:bob", false)
	if err != nil {
		t.Fatal(err)
	}
	want := storage.Erasure{
		User:           "test:bob",
		DeletedTickets: []string{"T-000002"},
		ChangedTickets: []string{"T-000001", "T-000003"},
		Messages:       1, // his message in alice's ticket
		Assignments:    1, // alice's ticket
		Fields:         3, // he claimed alice's ticket; he resolved carol's (the ticket and its history say so)
		// "Bob Builder" in alice's message, the card's note, carol's rating comment and history, the
		// relayed message in the outbox, the refusal in the audit log
		Mentions:        6,
		AuditEntries:    2, // the claim he made, the refusal that names him
		ArticleVersions: 1,
		Effects:         3, // the DM to him and T-000002's post dropped; the relay of his words scrubbed
		Links:           4, // T-000002's rating questions, its thread, the thread joined to it
	}
	if !equalJSON(got, want) || !equalJSON(dry, want) {
		t.Fatalf("erasure\n got %s\n dry %s\nwant %s", js(got), js(dry), js(want))
	}
	err = db.View(ctx, func(tx bot.Tx) error {
		if _, err := tx.Ticket("T-000002"); !bot.IsNotFound(err) {
			t.Errorf("bob's own ticket is still there: %v", err)
		}
		t1, err := tx.Ticket("T-000001")
		if err != nil {
			return err
		}
		if t1.Assignee != "erased" || t1.AssigneeName != "erased" || t1.Transitions[1].By != "erased" {
			t.Errorf("assignee %q/%q, claim by %q", t1.Assignee, t1.AssigneeName, t1.Transitions[1].By)
		}
		if e := t1.Transcript[1]; e.Author != "erased" || e.Name != "erased" || e.Text != "[erased]" {
			t.Errorf("his message is now %+v", e)
		}
		if e := t1.Transcript[2]; e.Text != "Thanks erased! Off to my bobsled race." {
			t.Errorf("alice's message is now %q: his name goes, other words stay", e.Text)
		}
		if n := t1.Cards[0].Note; n != "erased said he knows this one" {
			t.Errorf("card note %q", n)
		}
		t3, err := tx.Ticket("T-000003")
		if err != nil {
			return err
		}
		if t3.CSAT.Comment != "erased was great" || t3.ResolvedBy != "erased" || t3.Transitions[0].Detail != "erased fixed the tray" {
			t.Errorf("carol's ticket: comment %q, resolved by %q, detail %q", t3.CSAT.Comment, t3.ResolvedBy, t3.Transitions[0].Detail)
		}
		effects, err := tx.Effects(0, 0)
		if err != nil {
			return err
		}
		if len(effects) != 1 || effects[0].Post.Text != "**erased** wrote: [erased]" {
			t.Errorf("outbox %+v", effects)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	entries, err := db.AuditEntries(ctx, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if entries[0].Actor != "erased" || entries[1].Detail != "erased already claimed it" || entries[2].Actor != "test:alice" {
		t.Fatalf("audit %+v", entries)
	}
	var versions []bot.KBArticle
	err = db.View(ctx, func(tx bot.Tx) error {
		versions, err = tx.KBVersions("vpn-connect")
		return err
	})
	if err != nil || versions[0].Author != "erased" {
		t.Fatalf("article versions %+v %v", versions, err)
	}
	if _, err := db.EraseUser(ctx, "bob", false); bot.ErrorCode(err) != bot.EINVALID {
		t.Fatalf("an id without a platform: %v", err)
	}
	db.Close()
	mustCheckClean(t, path)
}

func equalJSON(a, b any) bool { return js(a) == js(b) }

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestCompactRemovesErasedBytes erases a person and shows their words are still in the file's free pages
// until Compact, and gone after it.
func TestCompactRemovesErasedBytes(t *testing.T) {
	const phrase = "purple-elephant-7731"
	path := mustDesk(t)
	if raw, _ := os.ReadFile(path); !bytes.Contains(raw, []byte(phrase)) {
		t.Fatal("the phrase is not in the file to begin with")
	}
	db, err := storage.Open(path, storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.EraseUser(context.Background(), "test:bob", false); err != nil {
		t.Fatal(err)
	}
	if _, _, err := storage.Compact(context.Background(), path, storage.Options{LockTimeout: 50 * time.Millisecond}); bot.ErrorCode(err) != bot.EUNAVAILABLE || !strings.Contains(err.Error(), "stop Firstline first") {
		t.Fatalf("compact while the file is held: %v", err)
	}
	db.Close()
	if raw, _ := os.ReadFile(path); !bytes.Contains(raw, []byte(phrase)) {
		t.Fatal("the erased phrase left the file without a compaction: this test would prove nothing")
	}

	before, after, err := storage.Compact(context.Background(), path, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(phrase)) {
		t.Fatalf("the erased phrase is still in the file after compaction")
	}
	if after != int64(len(raw)) || before <= 0 {
		t.Fatalf("sizes before %d after %d, file %d", before, after, len(raw))
	}
	if leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*")); len(leftovers) > 0 {
		t.Fatalf("left behind %v", leftovers)
	}
	mustCheckClean(t, path)
	db = mustOpen(t, path)
	err = db.Update(context.Background(), func(tx bot.Tx) error {
		tk := &bot.Ticket{Requester: "test:dave", Status: bot.StatusOpen}
		if err := tx.CreateTicket(tk); err != nil {
			return err
		}
		if tk.ID != "T-000005" {
			t.Errorf("after compaction a new ticket is %s, want T-000005: the id sequence was lost", tk.ID)
		}
		return tx.LinkConversation(tk.Conversation, tk.ID)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestBackupWhileWriting backs up an open file while another goroutine commits tickets: the backup is one
// consistent state (its indexes agree with its tickets), however far the writer got.
func TestBackupWhileWriting(t *testing.T) {
	path := mustDesk(t)
	db := mustOpen(t, path)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		for ctx.Err() == nil {
			tk := deskTickets()[0]
			tk.Conversation.Thread = "w-" + time.Now().String()
			err := db.Update(ctx, func(tx bot.Tx) error {
				if err := tx.CreateTicket(tk); err != nil {
					return err
				}
				return tx.LinkConversation(tk.Conversation, tk.ID)
			})
			if err != nil && ctx.Err() == nil {
				t.Error(err)
				return
			}
		}
	})
	dir := t.TempDir()
	var infos []storage.FileInfo
	for i := range 3 {
		dest := filepath.Join(dir, "backup.db")
		info, err := db.Backup(ctx, dest)
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 && info.Tickets < infos[i-1].Tickets {
			t.Fatalf("backup %d has %d tickets, fewer than the one before", i, info.Tickets)
		}
		infos = append(infos, info)
		verified, err := storage.VerifyFile(dest, storage.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if verified.Tickets != info.Tickets || verified.Schema != storage.SchemaVersion() || verified.Size != info.Size {
			t.Fatalf("wrote %+v, read back %+v", info, verified)
		}
		mustCheckClean(t, dest)
	}
	cancel()
	wg.Wait()
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("the backup folder holds %d files, want only the backup", len(entries))
	}
	if st, err := os.Stat(filepath.Join(dir, "backup.db")); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("backup mode %v (%v), want 0600: it holds what the data file holds", st.Mode(), err)
	}
}

func TestBackupRefusals(t *testing.T) {
	path := mustDesk(t)
	db := mustOpen(t, path)
	if _, err := db.Backup(context.Background(), path); bot.ErrorCode(err) != bot.EINVALID {
		t.Fatalf("a backup over the data file itself: %v", err)
	}
	if _, err := storage.BackupFile(context.Background(), path, filepath.Join(t.TempDir(), "b.db"), storage.Options{LockTimeout: 50 * time.Millisecond}); bot.ErrorCode(err) != bot.EUNAVAILABLE {
		t.Fatalf("an offline backup of a held file: %v", err)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := db.Backup(ctx, filepath.Join(dir, "b.db")); !errors.Is(err, context.Canceled) {
		t.Fatalf("a backup with a canceled context: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("a canceled backup left %d files", len(entries))
	}
}

// TestBackupFileDoesNotMigrate backs up a file of an older schema as it is: a backup before an upgrade.
func TestBackupFileDoesNotMigrate(t *testing.T) {
	path := mustDesk(t)
	rawUpdate(t, path, func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("meta")).Put([]byte("schema_version"), be(uint64(storage.SchemaVersion()-1)))
	})
	orig, _ := os.ReadFile(path)
	dest := filepath.Join(t.TempDir(), "b.db")
	info, err := storage.BackupFile(context.Background(), path, dest, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if info.Schema != storage.SchemaVersion()-1 || info.Tickets != 4 {
		t.Fatalf("backup %+v", info)
	}
	if now, _ := os.ReadFile(path); !bytes.Equal(orig, now) {
		t.Fatal("backing up changed the data file")
	}
}

func TestRestore(t *testing.T) {
	path := mustDesk(t)
	backup := filepath.Join(t.TempDir(), "backup.db")
	if _, err := storage.BackupFile(context.Background(), path, backup, storage.Options{}); err != nil {
		t.Fatal(err)
	}
	backupBytes, _ := os.ReadFile(backup)
	db, err := storage.Open(path, storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(context.Background(), func(tx bot.Tx) error {
		tk := &bot.Ticket{Requester: "test:dave", Status: bot.StatusOpen}
		if err := tx.CreateTicket(tk); err != nil {
			return err
		}
		return tx.LinkConversation(tk.Conversation, tk.ID)
	}); err != nil {
		t.Fatal(err)
	}
	_, err = storage.Restore(context.Background(), path, backup, deskNow, storage.Options{LockTimeout: 50 * time.Millisecond})
	if bot.ErrorCode(err) != bot.EUNAVAILABLE || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "stop Firstline first") {
		t.Fatalf("restore while the file is held: %v", err)
	}
	db.Close()

	res, err := storage.Restore(context.Background(), path, backup, deskNow, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Tickets != 4 || res.Path != path || res.Previous != path+".before-restore-20260302T100000Z" {
		t.Fatalf("restored %+v", res)
	}
	if r := mustCheckClean(t, path); r.Tickets != 4 {
		t.Fatalf("the restored file has %d tickets", r.Tickets)
	}
	if r := mustCheckClean(t, res.Previous); r.Tickets != 5 {
		t.Fatalf("the file kept aside has %d tickets, want the 5 it had", r.Tickets)
	}
	if now, _ := os.ReadFile(backup); !bytes.Equal(now, backupBytes) {
		t.Fatal("restoring changed the backup")
	}
	if _, err := storage.Restore(context.Background(), path, backup, deskNow, storage.Options{}); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("a second restore in the same second: %v", err)
	}
}

func TestRestoreRefusesBadBackups(t *testing.T) {
	path := mustDesk(t)
	dir := t.TempDir()
	newer := copyTo(t, path)
	rawUpdate(t, newer, func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("meta")).Put([]byte("schema_version"), be(uint64(storage.SchemaVersion()+1)))
	})
	foreign := filepath.Join(dir, "foreign.db")
	rawUpdate(t, foreign, func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("x")); return err })
	garbage := filepath.Join(dir, "garbage.db")
	os.WriteFile(garbage, bytes.Repeat([]byte("not a database "), 1000), 0o600)
	tests := []struct {
		name, backup, want string
	}{
		{"newer schema", newer, "newer than this Firstline understands"},
		{"another program's bbolt file", foreign, "not a Firstline data file"},
		{"not bbolt", garbage, "not a Firstline data file (nor any bbolt file)"},
		{"missing", filepath.Join(dir, "nothing.db"), "there is no data file at"},
		{"the data file itself", path, "is the data file itself"},
	}
	orig, _ := os.ReadFile(path)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := storage.Restore(context.Background(), path, tt.backup, deskNow, storage.Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
			if now, _ := os.ReadFile(path); !bytes.Equal(orig, now) {
				t.Fatal("a refused restore changed the data file")
			}
		})
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Fatalf("refused restores left files next to the data file: %d entries", len(entries))
	}
}

// TestRestoreOverADamagedFile restores where the data file cannot even be opened: that is when one restores.
func TestRestoreOverADamagedFile(t *testing.T) {
	path := mustDesk(t)
	backup := filepath.Join(t.TempDir(), "backup.db")
	if _, err := storage.BackupFile(context.Background(), path, backup, storage.Options{}); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(f, strings.Repeat("\xff", 8192)) // both meta pages
	f.Close()
	if _, err := storage.VerifyFile(path, storage.Options{}); err == nil {
		t.Fatal("the damaged file verifies")
	}
	res, err := storage.Restore(context.Background(), path, backup, deskNow, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustCheckClean(t, path)
	if _, err := os.Stat(res.Previous); err != nil {
		t.Fatalf("the damaged file was not kept: %v", err)
	}
}
