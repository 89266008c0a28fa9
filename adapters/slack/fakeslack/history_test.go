package fakeslack_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/slack-go/slack"

	"github.com/firstline-desk/firstline/adapters/slack/fakeslack"
)

// TestHistoryAndReplies posts top-level messages and thread replies, some with metadata, and reads them
// back as slack-go decodes conversations.history (newest first, top level only) and conversations.replies
// (oldest first, the thread only), paged, with metadata only when include_all_metadata asks for it.
func TestHistoryAndReplies(t *testing.T) {
	s := fakeslack.New(t)
	api := newAPI(s)
	ctx := context.Background()
	post := func(channel, thread, text string, key string) string {
		t.Helper()
		opts := []slack.MsgOption{slack.MsgOptionText(text, false)}
		if thread != "" {
			opts = append(opts, slack.MsgOptionTS(thread))
		}
		if key != "" {
			opts = append(opts, slack.MsgOptionMetadata(slack.SlackMetadata{EventType: "firstline_post", EventPayload: map[string]any{"key": key}}))
		}
		_, ts, err := api.PostMessageContext(ctx, channel, opts...)
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}
	root := post("C1", "", "card", "k0")
	post("C1", "", "second", "")
	post("C2", "", "elsewhere", "k9")
	var replies []string
	for i := range 3 {
		replies = append(replies, post("C1", root, fmt.Sprint("reply ", i), fmt.Sprint("k", i+1)))
	}

	h, err := api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: "C1", IncludeAllMetadata: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Messages) != 2 || h.Messages[0].Text != "second" || h.Messages[1].Timestamp != root || h.HasMore {
		t.Fatalf("history %+v", h.Messages)
	}
	if md := h.Messages[1].Metadata; md.EventType != "firstline_post" || md.EventPayload["key"] != "k0" || h.Messages[1].User != fakeslack.BotUserID {
		t.Fatalf("root as listed: %+v", h.Messages[1].Msg)
	}
	h, err = api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: "C1"})
	if err != nil || h.Messages[1].Metadata.EventType != "" {
		t.Fatalf("metadata without include_all_metadata: %+v %v", h.Messages, err)
	}

	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		msgs, more, next, err := api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
			ChannelID: "C1", Timestamp: root, Limit: 3, Cursor: cursor, IncludeAllMetadata: true,
		})
		if err != nil || pages > 2 {
			t.Fatalf("page %d: %v", pages, err)
		}
		for _, m := range msgs {
			got = append(got, m.Timestamp+"="+fmt.Sprint(m.Metadata.EventPayload["key"]))
		}
		if !more {
			break
		}
		cursor = next
	}
	want := []string{root + "=k0", replies[0] + "=k1", replies[1] + "=k2", replies[2] + "=k3"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("replies %v, want %v", got, want)
	}
}

// TestLoseNext checks that a call whose answer is lost was carried out all the same, and that the client
// sees a failure: an error for a dropped connection, a StatusCodeError for the 503.
func TestLoseNext(t *testing.T) {
	s := fakeslack.New(t)
	api := newAPI(s)
	ctx := context.Background()
	s.LoseNext("chat.postMessage", fakeslack.DropConnection)
	s.LoseNext("chat.postMessage", fakeslack.ServerError)
	if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("one", false)); err == nil {
		t.Fatal("dropped connection: no error")
	}
	var sc slack.StatusCodeError
	if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("two", false)); !errors.As(err, &sc) || sc.Code != 503 {
		t.Fatalf("server error: %v", err)
	}
	if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("three", false)); err != nil {
		t.Fatal(err)
	}
	if p := s.Posted(); len(p) != 3 || p[0].Text != "one" || p[1].Text != "two" {
		t.Fatalf("posted %+v, want all three", p)
	}
}
