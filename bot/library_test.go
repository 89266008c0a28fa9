package bot_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/bot/bottest"
	"github.com/firstline-desk/firstline/kb"
)

// writeWatch is a Store that knows when a write transaction is running.
type writeWatch struct {
	bot.Store
	writing atomic.Int32
}

func (s *writeWatch) Update(ctx context.Context, fn func(bot.Tx) error) error {
	return s.Store.Update(ctx, func(tx bot.Tx) error {
		s.writing.Add(1)
		defer s.writing.Add(-1)
		return fn(tx)
	})
}

// slowLibrary is a Library whose search may call out (as a hybrid one embeds the query): it notes every
// search made while the store's writer is held.
type slowLibrary struct {
	*bottest.Library
	store          *writeWatch
	searches, inTx atomic.Int32
}

func (l *slowLibrary) Search(ctx context.Context, query string, limit int, exclude ...string) []kb.Hit {
	l.searches.Add(1)
	if l.store.writing.Load() > 0 {
		l.inTx.Add(1)
	}
	return l.Library.Search(ctx, query, limit, exclude...)
}

// TestLibrarySearchOutsideTransactions: every search the engine makes (an answer, the next best after
// "Not helpful", a follow-up, "!kb search") runs outside a write transaction, since a search may wait on
// an embeddings endpoint and the writer is what every event waits for.
func TestLibrarySearchOutsideTransactions(t *testing.T) {
	store := &writeWatch{Store: openStore(t, "")}
	lib := &slowLibrary{Library: testLibrary(), store: store}
	d := bottest.NewDesk(t, testConfig(), store, lib)

	d.Say(alice, "help", "my vpn is broken")
	ans := d.Chat.Last("help")
	if ans == nil || !strings.Contains(ans.Text(), "Connect to the VPN") {
		t.Fatalf("no answer: %v", ans)
	}
	d.Click(alice, ans, "Not helpful")
	d.Say(alice, "help", "!kb search gateway")
	if got := lastText(d, "help"); !strings.Contains(got, "`vpn-slow`") {
		t.Fatalf("!kb search answered %q", got)
	}
	if lib.searches.Load() < 3 {
		t.Fatalf("%d searches, want at least 3", lib.searches.Load())
	}
	if n := lib.inTx.Load(); n > 0 {
		t.Errorf("%d of %d searches ran inside a write transaction", n, lib.searches.Load())
	}
}
