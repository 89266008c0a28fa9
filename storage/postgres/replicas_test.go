package postgres_test

// Several engines on one database, as replicas are: each effect of the outbox performed by one of them,
// in order within its lane, and a lane taken over from a replica that died or stalled mid-effect.

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/bot/bottest"
	"github.com/firstline-desk/firstline/kb"
	"github.com/firstline-desk/firstline/storage/postgres"
	"github.com/firstline-desk/firstline/storage/postgres/pgtest"
)

// onceChat is the platform every replica posts to: bottest's Chat with at-most-once posting by key
// (bot.OncePoster), as Slack's and Discord's adapters do it. It counts the posts made under each key.
type onceChat struct {
	*bottest.Chat
	mu    sync.Mutex
	refs  map[string]bot.MessageRef
	posts map[string]int
	order []string // keys in the order posted
	// hold, when set, is called after a post is made and before PostOnce returns (a replica that dies
	// or stalls right after the platform took its post).
	hold func(key string)
}

func newOnceChat() *onceChat {
	return &onceChat{Chat: bottest.NewChat("test"), refs: map[string]bot.MessageRef{}, posts: map[string]int{}}
}

func (c *onceChat) PostOnce(ctx context.Context, p bot.Post, key string, maybeSent bool) (bot.MessageRef, error) {
	c.mu.Lock()
	if ref, ok := c.refs[key]; ok && maybeSent {
		c.mu.Unlock()
		return ref, nil
	}
	c.mu.Unlock()
	ref, err := c.Chat.Post(ctx, p)
	if err != nil {
		return ref, err
	}
	c.mu.Lock()
	c.refs[key] = ref
	c.posts[key]++
	c.order = append(c.order, key)
	hold := c.hold
	c.mu.Unlock()
	if hold != nil {
		hold(key)
	}
	return ref, nil
}

// twice lists the keys posted more than once.
func (c *onceChat) twice() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for k, n := range c.posts {
		if n > 1 {
			out = append(out, fmt.Sprintf("%s ×%d", k, n))
		}
	}
	return out
}

// replica is one engine on its own connection pool to the shared database.
type replica struct {
	db     *postgres.DB
	engine *bot.Engine
}

func replicaConfig() bot.Config {
	return bot.Config{
		Name: "Firstline", CommandPrefix: "!", MinConfidence: 0.5, DefaultPriority: "P3",
		Tiers: []bot.Tier{{ID: "tier2", Name: "Tier 2", Channel: "test:tier2", Members: []string{bottest.User("tom")}}},
	}
}

func replicaLibrary() *bottest.Library {
	return &bottest.Library{
		Articles: []kb.Article{{ID: "vpn-connect", Title: "Connect to the VPN", Body: "Open Example VPN and sign in."}},
		Rules:    []bottest.Rule{{Contains: "vpn", Hits: []kb.Hit{{ID: "vpn-connect", Confidence: 0.9}}}},
	}
}

func newReplica(t *testing.T, dsn string, chat bot.Chat, lib bot.Library, clock bot.Clock) *replica {
	t.Helper()
	db := mustOpen(t, dsn)
	eng, err := bot.New(replicaConfig(), db, lib, clock, nil)
	if err != nil {
		t.Fatal(err)
	}
	eng.AddChat(chat)
	return &replica{db: db, engine: eng}
}

// say hands a DM to an engine without performing what it causes.
func say(t *testing.T, e *bot.Engine, clock bot.Clock, user, id, text string) {
	t.Helper()
	ev := bot.Event{Platform: "test", Kind: bot.EventMessage, ID: id, Channel: "@" + user, Message: id,
		User: bottest.User(user), UserName: user, DM: true, Text: text, Time: clock.Now()}
	if err := e.Handle(context.Background(), ev); err != nil {
		t.Fatalf("handle %s: %v", id, err)
	}
}

// outbox counts the effects left in the outbox.
func outbox(t *testing.T, db *postgres.DB) int {
	t.Helper()
	var n int
	if err := db.Pool().QueryRow(context.Background(), "SELECT count(*) FROM outbox").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// seqOf reads the outbox sequence out of an at-most-once key ("fl" + seq in base 36 + "." + ...).
func seqOf(t *testing.T, key string) uint64 {
	t.Helper()
	s, _, _ := strings.Cut(strings.TrimPrefix(key, "fl"), ".")
	n, err := strconv.ParseUint(s, 36, 64)
	if err != nil {
		t.Fatalf("key %q: %v", key, err)
	}
	return n
}

// TestEachEffectOnceAcrossReplicas: three engines on one database perform one outbox at the same time.
// Every effect is performed (the outbox ends empty), none twice (no key posted twice), and each
// conversation's posts come in outbox order. Without the lane leases every engine performs every effect
// it reads.
func TestEachEffectOnceAcrossReplicas(t *testing.T) {
	dsn := pgtest.DSN(t)
	chat := newOnceChat()
	clock := bottest.NewClock(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	var reps []*replica
	for range 3 {
		reps = append(reps, newReplica(t, dsn, chat, replicaLibrary(), clock))
	}
	const users, messages = 12, 4
	for m := range messages {
		for u := range users {
			r := reps[(u+m)%len(reps)]
			text := "my vpn will not connect"
			if m > 0 {
				text = fmt.Sprintf("still broken, try %d", m)
			}
			say(t, r.engine, clock, fmt.Sprintf("user%d", u), fmt.Sprintf("m%d-%d", u, m), text)
		}
	}
	for round := 0; round < 3 && outbox(t, reps[0].db) > 0; round++ {
		var wg sync.WaitGroup
		for _, r := range reps {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := r.engine.Flush(context.Background()); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	if n := outbox(t, reps[0].db); n != 0 {
		t.Fatalf("%d effects left in the outbox", n)
	}
	if dup := chat.twice(); len(dup) > 0 {
		t.Fatalf("posted twice: %v", dup)
	}
	if len(chat.order) < users {
		t.Fatalf("%d posts for %d conversations", len(chat.order), users)
	}
	last := map[string]uint64{}
	chat.mu.Lock()
	defer chat.mu.Unlock()
	for _, key := range chat.order {
		ref := chat.refs[key]
		seq := seqOf(t, key)
		if seq < last[ref.Channel] {
			t.Fatalf("in %s, effect %d was posted after %d", ref.Channel, seq, last[ref.Channel])
		}
		last[ref.Channel] = seq
	}
}

// expireLeases makes every lease expire now: the time a dead replica's leases take to run out.
func expireLeases(t *testing.T, db *postgres.DB) {
	t.Helper()
	if _, err := db.Pool().Exec(context.Background(), "UPDATE leases SET expires = clock_timestamp() - interval '1 second'"); err != nil {
		t.Fatal(err)
	}
}

// TestALaneTakenOverFromADeadReplicaPostsOnce: a replica dies right after the platform took a post and
// before it recorded it (its connection gone, its lease not released). Once the lease has expired,
// another replica takes the lane and looks the post up by its key instead of posting it again. Without
// TakenOver the second replica, started before the effect was made, posts it a second time.
func TestALaneTakenOverFromADeadReplicaPostsOnce(t *testing.T) {
	dsn := pgtest.DSN(t)
	clock := bottest.NewClock(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	chat := newOnceChat()
	a := newReplica(t, dsn, chat, replicaLibrary(), clock)
	b := newReplica(t, dsn, chat, replicaLibrary(), clock)

	say(t, a.engine, clock, "alice", "m1", "my vpn will not connect")
	died := make(chan struct{})
	var once sync.Once
	chat.hold = func(string) {
		once.Do(func() {
			// The replica dies here: its connections close before it can record the post or release
			// its lane.
			a.db.Close()
			close(died)
		})
	}
	err := a.engine.Flush(context.Background())
	<-died
	if err == nil {
		t.Log("the dead replica's flush reported nothing")
	}
	chat.mu.Lock()
	chat.hold = nil
	posted := len(chat.order)
	chat.mu.Unlock()
	if posted != 1 {
		t.Fatalf("%d posts before the crash, want 1", posted)
	}

	expireLeases(t, b.db)
	if err := b.engine.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if dup := chat.twice(); len(dup) > 0 {
		t.Fatalf("posted twice after the takeover: %v", dup)
	}
	if n := outbox(t, b.db); n != 0 {
		t.Fatalf("%d effects left in the outbox", n)
	}
}

// gatedLibrary blocks the searches of one replica until released: a replica stalled mid-job (a slow
// model, a long pause) while its lease runs out.
type gatedLibrary struct {
	*bottest.Library
	entered chan struct{}
	release chan struct{}
}

func (g *gatedLibrary) Search(ctx context.Context, q string, limit int, exclude ...string) []kb.Hit {
	g.entered <- struct{}{}
	<-g.release
	return g.Library.Search(ctx, q, limit, exclude...)
}

// TestAStalledReplicaDoesNotAnswerTwice: replica A runs a ticket's answer job and stalls; its lease
// expires, B takes the lane, runs the job and answers. When A comes back, what it found is not
// recorded: the job is no longer in the outbox (the check in the transaction that would remove it), so
// the requester gets one answer. Without that check A's answer is posted too.
func TestAStalledReplicaDoesNotAnswerTwice(t *testing.T) {
	dsn := pgtest.DSN(t)
	clock := bottest.NewClock(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	chat := newOnceChat()
	gate := &gatedLibrary{Library: replicaLibrary(), entered: make(chan struct{}), release: make(chan struct{})}
	a := newReplica(t, dsn, chat, gate, clock)
	b := newReplica(t, dsn, chat, replicaLibrary(), clock)

	say(t, a.engine, clock, "alice", "m1", "my vpn will not connect")
	aDone := make(chan error, 1)
	go func() { aDone <- a.engine.Flush(context.Background()) }()
	<-gate.entered // A runs the job, and stalls in it

	expireLeases(t, b.db)
	if err := b.engine.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	answers := len(chat.Messages("@alice"))
	close(gate.release)
	if err := <-aDone; err != nil {
		t.Fatal(err)
	}
	if err := b.engine.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := len(chat.Messages("@alice")); got != answers {
		for _, m := range chat.Messages("@alice") {
			t.Logf("%s: %s", m.Ref.ID, m.Text())
		}
		t.Fatalf("%d messages to alice once A came back, %d before: the stalled replica answered too", got, answers)
	}
	if dup := chat.twice(); len(dup) > 0 {
		t.Fatalf("posted twice: %v", dup)
	}
}

// TestSLACheckOnOneReplicaAtATime: while one replica holds the SLA check's lease, another's tick looks
// at nothing; once it is free, two replicas checking at once announce a breach once. Without the lease
// the second replica checks while the first holds it.
func TestSLACheckOnOneReplicaAtATime(t *testing.T) {
	dsn := pgtest.DSN(t)
	clock := bottest.NewClock(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	chat := newOnceChat()
	cfg := replicaConfig()
	cfg.SLA = map[string]bot.SLATarget{"P3": {Response: time.Hour}}
	var reps []*replica
	for range 2 {
		db := mustOpen(t, dsn)
		eng, err := bot.New(cfg, db, replicaLibrary(), clock, nil)
		if err != nil {
			t.Fatal(err)
		}
		eng.AddChat(chat)
		reps = append(reps, &replica{db: db, engine: eng})
	}
	a, b := reps[0], reps[1]
	say(t, a.engine, clock, "alice", "m1", "the printer is on fire")
	if err := a.engine.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Hour)

	ctx := context.Background()
	held, err := a.db.Lease(ctx, "another replica", []string{"loop:sla"}, time.Minute)
	if err != nil || len(held) != 1 {
		t.Fatalf("take the SLA lease as another replica: %v, %v", held, err)
	}
	if n, err := b.engine.CheckSLAs(ctx, clock.Now()); err != nil || n != 0 {
		t.Fatalf("CheckSLAs while another replica holds the lease looked at %d tickets (%v), want 0", n, err)
	}
	if err := a.db.Release(ctx, "another replica", []string{"loop:sla"}); err != nil {
		t.Fatal(err)
	}

	var wg sync.WaitGroup
	for _, r := range reps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 3 {
				if _, err := r.engine.CheckSLAs(ctx, clock.Now()); err != nil {
					t.Error(err)
				}
				if err := r.engine.Flush(ctx); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	breaches := 0
	for _, m := range chat.Messages("") {
		if strings.Contains(m.Text(), "breached") {
			breaches++
		}
	}
	if breaches != 1 {
		t.Fatalf("%d breach notices, want 1", breaches)
	}
}

// watchedLibrary tells of every article put in a library.
type watchedLibrary struct {
	*bottest.Library
	put chan kb.Article
}

func (w *watchedLibrary) Put(a kb.Article) {
	w.Library.Put(a)
	w.put <- a
}

// putArticle writes an article as a KB edit through a replica would.
func putArticle(t *testing.T, db *postgres.DB, a kb.Article) {
	t.Helper()
	err := db.Update(context.Background(), func(tx bot.Tx) error {
		base := 0
		if cur, err := tx.KBArticle(a.ID); err == nil {
			base = cur.Version
		}
		_, err := tx.PutKBArticle(a, false, "test:ada", time.Now(), base)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// waitPut waits for the library to take the article id; the timeout only keeps a failing test from
// hanging.
func waitPut(t *testing.T, lib *watchedLibrary, id, title string) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case a := <-lib.put:
			if a.ID == id && a.Title == title {
				return
			}
		case <-timeout:
			t.Fatalf("the replica's library never took %s %q", id, title)
		}
	}
}

// TestKBEditReachesEveryReplica: an article written through one replica reaches another's library by a
// notification; one written while that replica was not listening (its connection cut, the notification
// not sent) reaches it when it listens again, by reloading the knowledge base. Without the reload on
// Missed the second article never arrives.
func TestKBEditReachesEveryReplica(t *testing.T) {
	dsn := pgtest.DSN(t)
	clock := bottest.NewClock(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	a := newReplica(t, dsn, newOnceChat(), replicaLibrary(), clock)
	libB := &watchedLibrary{Library: replicaLibrary(), put: make(chan kb.Article, 100)}
	b := newReplica(t, dsn, newOnceChat(), libB, clock)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); b.engine.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	// B listens once it has reloaded the knowledge base (a first article written before makes that seen).
	putArticle(t, a.db, kb.Article{ID: "printer", Title: "Printers", Body: "Turn it off and on."})
	waitPut(t, libB, "printer", "Printers")
	putArticle(t, a.db, kb.Article{ID: "printer", Title: "Printers, again", Body: "Turn it off and on, twice."})
	waitPut(t, libB, "printer", "Printers, again")

	// An edit B is not told of: the trigger off, then B's listening connection cut.
	if _, err := a.db.Pool().Exec(context.Background(), "ALTER TABLE articles DISABLE TRIGGER articles_notify"); err != nil {
		t.Fatal(err)
	}
	putArticle(t, a.db, kb.Article{ID: "scanner", Title: "Scanners", Body: "Scan to email."})
	if _, err := a.db.Pool().Exec(context.Background(), "ALTER TABLE articles ENABLE TRIGGER articles_notify"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.db.Pool().Exec(context.Background(),
		"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN %' AND pid <> pg_backend_pid()"); err != nil {
		t.Fatal(err)
	}
	waitPut(t, libB, "scanner", "Scanners")
}

// TestOneReplicaLeads: of two replicas asking to lead (Discord's gateway session), one leads and the
// other stands by until the leader stops (its lease released); when that one dies (its lease expires
// without being released) a third takes over, and the dead one, unable to renew, stops leading. Without
// the election B leads as soon as it asks, beside A.
func TestOneReplicaLeads(t *testing.T) {
	dsn := pgtest.DSN(t)
	clock := bottest.NewClock(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	type change struct {
		who     string
		leading bool
	}
	changes := make(chan change, 10)
	lead := func(who string) (stop func(), r *replica) {
		r = newReplica(t, dsn, newOnceChat(), replicaLibrary(), clock)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			done <- r.engine.Lead(ctx, "gateway", func(ctx context.Context) error {
				changes <- change{who, true}
				<-ctx.Done()
				changes <- change{who, false}
				return nil
			})
		}()
		t.Cleanup(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("%s: %v", who, err)
			}
		})
		return cancel, r
	}
	next := func() change {
		t.Helper()
		select {
		case c := <-changes:
			return c
		case <-time.After(60 * time.Second):
			t.Fatal("no replica started or stopped leading")
		}
		return change{}
	}
	expect := func(want ...change) {
		t.Helper()
		got := map[change]bool{}
		for range want {
			got[next()] = true
		}
		for _, w := range want {
			if !got[w] {
				t.Fatalf("got %v, want %v", got, want)
			}
		}
	}

	stopA, _ := lead("a")
	expect(change{"a", true})
	_, b := lead("b")
	stopA() // A stops: it gives the lease up, and only then may B lead
	if c := next(); c != (change{"a", false}) {
		t.Fatalf("%+v while a was leading", c)
	}
	expect(change{"b", true})

	// B dies: its connections close, its lease stays until it expires. C takes over; B, unable to renew,
	// stops leading on its side.
	lead("c")
	b.db.Close()
	expireLeases(t, mustOpen(t, dsn))
	expect(change{"c", true}, change{"b", false})
}
