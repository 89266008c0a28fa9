package bot_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/bot/bottest"
	"github.com/firstline-desk/firstline/kb"
)

// writerWatch is a Store and a Library in one test: the store notes when a write transaction is open,
// and the library notes every call made while one is. The knowledge base may be slow (embeddings, a large
// index) and the writer is the desk's one lock: nothing should wait for the one while holding the other.
type writerWatch struct {
	bot.Store
	lib     bot.Library
	writing atomic.Int32
	mu      sync.Mutex
	inside  []string // library calls made inside a write transaction
}

func (w *writerWatch) Update(ctx context.Context, fn func(bot.Tx) error) error {
	return w.Store.Update(ctx, func(tx bot.Tx) error {
		w.writing.Add(1)
		defer w.writing.Add(-1)
		return fn(tx)
	})
}

func (w *writerWatch) note(call string) {
	if w.writing.Load() > 0 {
		w.mu.Lock()
		w.inside = append(w.inside, call)
		w.mu.Unlock()
	}
}

func (w *writerWatch) Search(ctx context.Context, q string, limit int, exclude ...string) []kb.Hit {
	w.note("Search")
	return w.lib.Search(ctx, q, limit, exclude...)
}

func (w *writerWatch) Article(id string) (kb.Article, bool) {
	w.note("Article(" + id + ")")
	return w.lib.Article(id)
}

func (w *writerWatch) Put(a kb.Article) { w.note("Put"); w.lib.Put(a) }
func (w *writerWatch) Delete(id string) { w.note("Delete"); w.lib.Delete(id) }

// TestJobsReadTheKnowledgeBaseBeforeTheWriter checks that the answer job reads what it needs of the
// knowledge base (the hits' articles) before it takes the writer, on every path that posts articles: an
// answer, the next one after "Not helpful", a follow-up that finds the same article, a model's answer.
func TestJobsReadTheKnowledgeBaseBeforeTheWriter(t *testing.T) {
	watch := &writerWatch{Store: openStore(t, ""), lib: testLibrary()}
	d := bottest.NewDesk(t, testConfig(), watch, watch)
	q := d.Say(alice, "help", "vpn broken")
	d.Click(alice, d.Chat.Thread("help", q)[0], "Not helpful")
	p := d.Say(bob, "help", "password expired")
	d.SayIn(bob, "help", p, "the reset link says it has expired too")
	mustContain(t, "follow-up", d.Chat.Last("help").Text(), "the closest article is still")

	m := &fakeModel{reply: answers("Open Example VPN and sign in with your company account [1].", "", "")}
	d.Engine.SetModel(m, bot.ModelOptions{MinSourceConfidence: 0.35})
	r := d.Say(bottest.User("carol"), "help", "my vpn won't connect")
	mustContain(t, "model answer", d.Chat.Thread("help", r)[0].Text(), "[1] **Connect to the VPN** (`vpn-connect`)")

	if len(watch.inside) > 0 {
		t.Errorf("the knowledge base was read while the writer was held: %v", watch.inside)
	}
}
