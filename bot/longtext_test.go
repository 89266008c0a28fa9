package bot_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/bot/bottest"
	"github.com/firstline-desk/firstline/kb"
	"github.com/firstline-desk/firstline/storage"
)

// longArticle is an article of about n characters: numbered paragraphs, a code block in the middle,
// and a last line a reader must not miss.
func longArticle(n int) kb.Article {
	var b strings.Builder
	for i := 1; b.Len() < n; i++ {
		fmt.Fprintf(&b, "Step %d. Open **Settings**, choose the network named CORP-%d and wait until it says connected; then check the icon.\n\n", i, i)
		if i == 12 {
			b.WriteString("```powershell\n")
			for j := 1; j <= 30; j++ {
				fmt.Fprintf(&b, "netsh wlan show profile name=\"CORP-%d\" key=clear\n", j)
			}
			b.WriteString("```\n\n")
		}
	}
	b.WriteString("Last: if none of this worked, restart the laptop with the power button held for ten seconds.")
	return kb.Article{ID: "wifi-long", Title: "Office Wi-Fi, every step", Body: b.String()}
}

func longLibrary(a kb.Article) *bottest.Library {
	s := testLibrary()
	s.Articles = append(s.Articles, a)
	s.Rules = append([]bottest.Rule{{Contains: "wifi", Hits: []kb.Hit{{ID: a.ID, Confidence: 0.9}}}}, s.Rules...)
	return s
}

// checkWhole fails unless every paragraph of body is in text, in order.
func checkWhole(t *testing.T, body, text string) {
	t.Helper()
	at := 0
	for _, para := range strings.Split(body, "\n\n") {
		for _, line := range strings.Split(para, "\n") {
			if strings.HasPrefix(line, "```") {
				continue
			}
			i := strings.Index(text[at:], line)
			if i < 0 {
				t.Fatalf("the answer lost %q (or has it out of order)", line)
			}
			at += i + len(line)
		}
	}
}

// TestLongArticleIsPostedWhole: an article is posted whole, not cut at 2,500 characters with a bare "…".
func TestLongArticleIsPostedWhole(t *testing.T) {
	a := longArticle(6000)
	d := bottest.NewDesk(t, testConfig(), openStore(t, ""), longLibrary(a))
	q := d.Say(alice, "help", "office wifi drops")
	msgs := d.Chat.Thread("help", q)
	if len(msgs) != 1 {
		t.Fatalf("%d messages on a platform without a length limit", len(msgs))
	}
	checkWhole(t, a.Body, msgs[0].Text())
	if strings.Contains(msgs[0].Text(), "…") {
		t.Errorf("the answer is still cut:\n%s", msgs[0].Text())
	}
}

// TestLongAnswerIsSplitForThePlatform: where a platform takes a limited length, the answer is several
// messages, in order, none over the limit, each code block closed in its message, the buttons on the
// last, which is the one reactions and clicks count on.
func TestLongAnswerIsSplitForThePlatform(t *testing.T) {
	a := longArticle(6000)
	db := openStore(t, "")
	d := bottest.NewDesk(t, testConfig(), db, longLibrary(a))
	d.Chat.TextLimit = 1000
	q := d.Say(alice, "help", "office wifi drops")
	msgs := d.Chat.Thread("help", q)
	if len(msgs) < 6 {
		t.Fatalf("%d messages for a 6,000-character answer with a limit of 1,000", len(msgs))
	}
	var all []string
	for i, m := range msgs {
		if n := utf8.RuneCountInString(m.Post.Text); n > 1000 {
			t.Errorf("message %d has %d characters", i, n)
		}
		if strings.Count(m.Post.Text, "```")%2 != 0 {
			t.Errorf("message %d leaves a code block open:\n%s", i, m.Post.Text)
		}
		if i < len(msgs)-1 && len(m.Post.Choices) > 0 {
			t.Errorf("message %d of %d has buttons", i, len(msgs))
		}
		all = append(all, m.Post.Text)
	}
	checkWhole(t, a.Body, strings.Join(all, "\n"))
	last := msgs[len(msgs)-1]
	if got := choiceLabels(last); got != "Solved|Not helpful|Talk to a human" {
		t.Fatalf("last message's choices = %q", got)
	}
	mustContain(t, "last message", last.Text(), "Did this solve it?")
	d.React(alice, msgs[0], "+1") // not the answer's message: nothing happens
	if tk := ticket(t, db, "T-000001"); tk.Status != bot.StatusOpen {
		t.Fatalf("a reaction on the first part changed the ticket: %s", tk.Status)
	}
	d.Click(alice, last, "Solved")
	if tk := ticket(t, db, "T-000001"); tk.Status != bot.StatusResolved {
		t.Fatalf("Solved on the last part: status %s", tk.Status)
	}
}

// TestVeryLongArticleIsPaged: an article longer than a page ends the answer with the command that shows
// the rest, and "!kb show ID page N" shows every page, so nothing is out of reach.
func TestVeryLongArticleIsPaged(t *testing.T) {
	a := longArticle(20000)
	db := openStore(t, "")
	if _, err := bot.ImportKBArticles(context.Background(), db, []kb.Article{a}, "import", time.Now()); err != nil {
		t.Fatal(err)
	}
	d := bottest.NewDesk(t, testConfig(), db, longLibrary(a))
	q := d.Say(alice, "help", "office wifi drops")
	ans := d.Chat.Thread("help", q)[0].Text()
	mustContain(t, "answer", ans, "Step 1.", "read on with `!kb show wifi-long page 2`")
	var pages []string
	pages = append(pages, ans)
	for p := 2; p < 10; p++ {
		d.Say(bob, "@bob", fmt.Sprintf("!kb show wifi-long page %d", p))
		text := d.Chat.Last("@bob").Text()
		pages = append(pages, text)
		if !strings.Contains(text, fmt.Sprintf("page %d", p+1)) {
			mustContain(t, "last page", text, "Last: if none of this worked")
			break
		}
	}
	checkWhole(t, a.Body, strings.Join(pages, "\n"))
}

// TestLongRelayIsSplit: a technician's long message reaches the requester whole, in parts the platform
// takes.
func TestLongRelayIsSplit(t *testing.T) {
	d, _ := newDesk(t)
	d.Chat.TextLimit = 500
	q, card := escalated(t, d)
	long := strings.Repeat("Please try the following and tell me what you see. ", 40) + "END-OF-RELAY"
	d.SayIn(tom, "tier2", card.Ref.ID, long)
	var got []string
	for _, m := range d.Chat.Thread("help", q) {
		if n := utf8.RuneCountInString(m.Post.Text); n > 500 {
			t.Errorf("a relay part has %d characters", n)
		}
		got = append(got, m.Post.Text)
	}
	all := strings.Join(got, " ")
	if strings.Count(all, "Please try the following") != 40 || !strings.Contains(all, "END-OF-RELAY") {
		t.Fatalf("the relay lost text:\n%s", all)
	}
}

// TestModelAnswerCutSaysWhereTheRest: a model's answer cut to max_answer_chars, or by the endpoint's
// token limit, says so and where all of it is, rather than ending in a bare "…".
func TestModelAnswerCutSaysWhereTheRest(t *testing.T) {
	long := strings.Repeat("Open the app and sign in again [1].\n\n", 60)
	m := &fakeModel{reply: func(bot.ModelRequest) (bot.ModelReply, error) {
		return bot.ModelReply{Text: long, FinishReason: "length"}, nil
	}}
	d, _ := modelDesk(t, testConfig(), m, bot.ModelOptions{MaxAnswerChars: 400})
	q := d.Say(alice, "help", "vpn broken")
	got := d.Chat.Thread("help", q)[0].Text()
	mustContain(t, "answer", got, "cut short", "`!kb show vpn-connect`")
	if strings.Contains(got, "…") {
		t.Errorf("a bare ellipsis:\n%s", got)
	}
}

// crashOnPost posts through a onceChat and, on the post number crashAt (from 1), fails after the
// platform took it, as a process dying before it recorded the post.
type crashOnPost struct {
	*onceChat
	mu      sync.Mutex
	n       int
	crashAt int
}

func (c *crashOnPost) PostOnce(ctx context.Context, p bot.Post, key string, maybeSent bool) (bot.MessageRef, error) {
	ref, err := c.onceChat.PostOnce(ctx, p, key, maybeSent)
	c.mu.Lock()
	c.n++
	crash := c.n == c.crashAt
	c.mu.Unlock()
	if err == nil && crash {
		return bot.MessageRef{}, bot.Errorf(bot.EUNAVAILABLE, "crashed after posting")
	}
	return ref, err
}

// TestSplitAnswerIsPostedOnceAcrossACrash: each part of a long answer is its own effect with its own
// key, so a crash after the platform took the second part neither repeats it nor loses the rest.
func TestSplitAnswerIsPostedOnceAcrossACrash(t *testing.T) {
	a := longArticle(3000)
	path := filepath.Join(t.TempDir(), "firstline.db")
	db1, err := storage.Open(path, storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	clock := bottest.NewClock(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	e1, err := bot.New(testConfig(), db1, longLibrary(a), clock, nil)
	if err != nil {
		t.Fatal(err)
	}
	chat := &onceChat{Chat: bottest.NewChat("test"), keys: map[string]bot.MessageRef{}}
	chat.TextLimit = 800
	e1.AddChat(&crashOnPost{onceChat: chat, crashAt: 2})
	ctx := context.Background()
	if err := e1.Handle(ctx, bot.Event{Kind: bot.EventMessage, ID: "x1", Platform: "test", Channel: "help", Message: "m1", User: alice, Text: "office wifi drops"}); err != nil {
		t.Fatal(err)
	}
	_ = e1.Flush(ctx) // part 1 posted and recorded; part 2 posted, then "the process dies"
	db1.Close()
	if n := len(chat.Thread("help", "m1")); n != 2 {
		t.Fatalf("%d posts before the crash, want 2", n)
	}

	clock.Advance(time.Minute)
	db2 := openStore(t, path)
	e2, err := bot.New(testConfig(), db2, longLibrary(a), clock, nil)
	if err != nil {
		t.Fatal(err)
	}
	e2.AddChat(chat)
	if err := e2.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	msgs := chat.Thread("help", "m1")
	var all []string
	for _, m := range msgs {
		all = append(all, m.Post.Text)
	}
	if len(chat.keys) != len(msgs) {
		t.Fatalf("%d keys for %d messages: each part needs its own", len(chat.keys), len(msgs))
	}
	checkWhole(t, a.Body, strings.Join(all, "\n"))
	for i, m := range msgs[:len(msgs)-1] {
		if strings.Contains(msgs[len(msgs)-1].Post.Text, m.Post.Text) || (i > 0 && m.Post.Text == msgs[i-1].Post.Text) {
			t.Fatalf("part %d was posted twice", i)
		}
	}
	if len(msgs[len(msgs)-1].Post.Choices) == 0 {
		t.Fatal("the buttons are not on the last part")
	}
}

// TestCardKeepsTheWholeConversation: a card shows the last lines of the conversation, shortened to fit
// where platforms show a card whole; what it cannot show is posted whole in the card's thread, so a
// technician can read the log the requester pasted to the end.
func TestCardKeepsTheWholeConversation(t *testing.T) {
	d, _ := newDesk(t)
	var log strings.Builder
	for i := range 60 {
		fmt.Fprintf(&log, "2026-11-02 08:%02d spooler: job %d failed, error 0x0000011b\n", i, i)
	}
	d.Say(alice, "help", "the printer eats paper, here is the log:\n"+log.String()+"END-OF-LOG")
	card := d.Chat.Messages("tier2")[0]
	if n := utf8.RuneCountInString(card.Post.Text); n > 3600 {
		t.Errorf("the card's text has %d characters", n)
	}
	mustContain(t, "card", card.Text(), "the whole conversation is in this thread", "React :raising_hand: to claim")
	thread := d.Chat.Thread("tier2", card.Ref.ID)
	if len(thread) == 0 {
		t.Fatal("nothing in the card's thread")
	}
	mustContain(t, "the card's thread", thread[0].Text(), "The whole conversation of **T-000001**", "job 59 failed", "END-OF-LOG")

	// A short conversation fits on the card: nothing more is posted.
	d2, _ := newDesk(t)
	d2.Say(alice, "help", "the printer eats paper")
	card2 := d2.Chat.Messages("tier2")[0]
	if n := len(d2.Chat.Thread("tier2", card2.Ref.ID)); n != 0 || strings.Contains(card2.Text(), "whole conversation") {
		t.Fatalf("a short conversation got %d thread posts:\n%s", n, card2.Text())
	}
}

// TestLongRatingCommentIsKept: a requester's comment on their rating is kept whole, not cut at 1,000
// characters.
func TestLongRatingCommentIsKept(t *testing.T) {
	cfg := testConfig()
	cfg.CSAT = bot.CSATConfig{CommentWindow: time.Hour}
	d := bottest.NewDesk(t, cfg, openStore(t, ""), testLibrary())
	q, card := escalated(t, d)
	d.React(tom, card, "raising_hand")
	d.React(tom, card, "white_check_mark")
	var ask *bottest.Message
	for _, m := range d.Chat.Thread("help", q) {
		if len(m.Post.Choices) == 5 {
			ask = m
		}
	}
	d.Click(alice, ask, "2")
	comment := strings.Repeat("It took three days and nobody told me what was going on. ", 30) + "Please call back."
	d.SayIn(alice, "help", q, comment)
	if tk := ticketOf(t, d, "T-000001"); tk.CSAT == nil || tk.CSAT.Comment != comment {
		t.Fatalf("comment kept as %d of %d characters", len(tk.CSAT.Comment), len(comment))
	}
}
