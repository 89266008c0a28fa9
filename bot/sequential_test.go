package bot_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/bot/bottest"
)

// countingChat is a fake platform that notes how many posts are in flight at once.
type countingChat struct {
	*bottest.Chat
	inFlight, most atomic.Int32
}

func (c *countingChat) Post(ctx context.Context, p bot.Post) (bot.MessageRef, error) {
	n := c.inFlight.Add(1)
	defer c.inFlight.Add(-1)
	for {
		m := c.most.Load()
		if n <= m || c.most.CompareAndSwap(m, n) {
			break
		}
	}
	return c.Chat.Post(ctx, p)
}

// TestSequentialDispatch: a sequential engine performs the outbox one effect at a time, in order, and
// runs each job to its end before going on, so several conversations' answers come in the order the
// questions were asked, every time.
func TestSequentialDispatch(t *testing.T) {
	for run := range 10 {
		db := openStore(t, "")
		eng, err := bot.New(testConfig(), db, testLibrary(), bottest.NewClock(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)), nil)
		if err != nil {
			t.Fatal(err)
		}
		chat := &countingChat{Chat: bottest.NewChat("test")}
		eng.AddChat(chat)
		eng.SetSequential()
		ctx := context.Background()
		users := []string{alice, bob, tom, tina, sara, ada}
		for i, u := range users {
			id := fmt.Sprintf("q%d", i)
			if err := eng.Handle(ctx, bot.Event{Kind: bot.EventMessage, ID: id, Platform: "test", Channel: "help", Message: id,
				User: u, UserName: u, Text: "vpn broken"}); err != nil {
				t.Fatal(err)
			}
		}
		if err := eng.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		ms := chat.Messages("help")
		if len(ms) != len(users) {
			t.Fatalf("run %d: %d posts, want %d", run, len(ms), len(users))
		}
		for i, m := range ms {
			if want := fmt.Sprintf("q%d", i); m.Ref.Thread != want || m.Ref.ID != fmt.Sprintf("b%d", i+1) {
				t.Fatalf("run %d: post %d is %s in thread %s, want b%d in %s", run, i, m.Ref.ID, m.Ref.Thread, i+1, want)
			}
		}
		if n := chat.most.Load(); n != 1 {
			t.Fatalf("run %d: %d posts at once", run, n)
		}
	}
}
