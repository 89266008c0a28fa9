package bot_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/bot/bottest"
	"github.com/firstline-desk/firstline/storage"
)

// onceChat is a platform that posts at most once per key, as Slack (metadata) and Discord (nonce) do.
type onceChat struct {
	*bottest.Chat
	mu    sync.Mutex
	keys  map[string]bot.MessageRef
	calls []bool // maybeSent of each call
}

func (c *onceChat) PostOnce(ctx context.Context, p bot.Post, key string, maybeSent bool) (bot.MessageRef, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, maybeSent)
	if ref, ok := c.keys[key]; ok && maybeSent {
		return ref, nil
	}
	ref, err := c.Chat.Post(ctx, p)
	if err == nil {
		c.keys[key] = ref
	}
	return ref, err
}

// TestPostsSurviveACrashAfterSending: the platform took a post, then the process died before recording
// it. After the restart the post is looked up by its key, not made again.
func TestPostsSurviveACrashAfterSending(t *testing.T) {
	path := filepath.Join(t.TempDir(), "firstline.db")
	db1, err := storage.Open(path, storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	clock := bottest.NewClock(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	e1, err := bot.New(testConfig(), db1, testLibrary(), clock, nil)
	if err != nil {
		t.Fatal(err)
	}
	chat := &onceChat{Chat: bottest.NewChat("test"), keys: map[string]bot.MessageRef{}}
	// The first process's platform accepts the post and then the process dies: its record never commits.
	crash := &onceChat{Chat: chat.Chat, keys: chat.keys}
	crash.Chat.Fail = nil
	e1.AddChat(crashAfterPost{crash})
	ctx := context.Background()
	if err := e1.Handle(ctx, bot.Event{Kind: bot.EventMessage, ID: "x1", Platform: "test", Channel: "help", Message: "m1", User: alice, Text: "vpn broken"}); err != nil {
		t.Fatal(err)
	}
	_ = e1.Flush(ctx) // the answer is posted, then "the process dies" before recording it
	db1.Close()
	if n := len(chat.Thread("help", "m1")); n != 1 {
		t.Fatalf("%d posts before the crash", n)
	}

	clock.Advance(time.Minute)
	db2 := openStore(t, path)
	e2, err := bot.New(testConfig(), db2, testLibrary(), clock, nil)
	if err != nil {
		t.Fatal(err)
	}
	e2.AddChat(chat)
	if err := e2.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(chat.Thread("help", "m1")); n != 1 {
		t.Fatalf("the answer was posted %d times across the crash", n)
	}
	if last := chat.calls[len(chat.calls)-1]; !last {
		t.Fatalf("a post left from before the restart was not marked maybe-sent")
	}
}

// crashAfterPost posts, then fails as if the process had died before it could record the post.
type crashAfterPost struct{ *onceChat }

func (c crashAfterPost) PostOnce(ctx context.Context, p bot.Post, key string, maybeSent bool) (bot.MessageRef, error) {
	if _, err := c.onceChat.PostOnce(ctx, p, key, maybeSent); err != nil {
		return bot.MessageRef{}, err
	}
	return bot.MessageRef{}, bot.Errorf(bot.EUNAVAILABLE, "crashed after posting")
}
