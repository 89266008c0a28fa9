package slack_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/adapters/slack"
	"github.com/firstline-desk/firstline/adapters/slack/fakeslack"
	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/kb"
	"github.com/firstline-desk/firstline/storage"
)

// BenchmarkReplyLatency is the path of one message as the requester sees it, with no model: a question
// sent as a Socket Mode envelope by the fake Slack, read by the real slack-go client, recorded by the
// engine on a real (fsync'd) data file, searched and answered by its dispatcher, posted through
// chat.postMessage back to the fake. One question at a time, each from one of 50 people in a new
// thread. It reports the ack's latency (what Slack waits for) and the reply's (what the person waits for),
// p50 and p99 in milliseconds. go test -run x -bench ReplyLatency -benchtime 300x ./adapters/slack/
func BenchmarkReplyLatency(b *testing.B) {
	fake := fakeslack.New(b)
	const people = 50
	for i := range people {
		fake.AddUser(fmt.Sprintf("UP%03d", i), fmt.Sprintf("Person %d", i), fmt.Sprintf("p%d", i))
	}
	db, err := storage.Open(filepath.Join(b.TempDir(), "data.db"), storage.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	engine, err := bot.New(deskConfig(), db, kb.NewLibrary(articles, kb.Options{}), bot.SystemClock{}, logger)
	if err != nil {
		b.Fatal(err)
	}
	adapter, err := slack.New(slack.Config{
		Mode: slack.ModeSocket, BotToken: "xoxb-test", AppToken: "xapp-test", APIURL: fake.APIURL(), CommandPrefix: "!",
	}, logger)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := adapter.Connect(ctx); err != nil {
		b.Fatal(err)
	}
	engine.AddChat(adapter)
	done := make(chan struct{}, 2)
	go func() { _ = engine.Run(ctx); done <- struct{}{} }()
	go func() { _ = adapter.RunSocket(ctx, engine); done <- struct{}{} }()
	defer func() { cancel(); <-done; <-done }()
	fake.WaitConnections(b, 1)

	ask := func(n int) (ack, reply time.Duration) {
		ts := fmt.Sprintf("1700%06d.000100", n)
		ev := map[string]any{"type": "message", "channel": "CHELP", "user": fmt.Sprintf("UP%03d", n%people),
			"text": "My VPN will not connect", "ts": ts, "event_ts": ts, "channel_type": "channel"}
		posted := len(fake.Posted())
		start := time.Now()
		fake.WaitAck(b, fake.SendEnvelope(b, fakeslack.EventsAPI("Ev"+ts, ev, 0)))
		ack = time.Since(start)
		m := fake.WaitPosted(b, posted+1)[posted]
		reply = time.Since(start)
		if m.ThreadTS != ts || !strings.Contains(string(m.Blocks), "vpn-connect") {
			b.Fatalf("the reply to %s is not its answer: %+v", ts, m)
		}
		return ack, reply
	}
	// Every person once, not measured: the adapter learns their names and the data file its first pages.
	for i := range people {
		ask(i)
	}
	acks, replies := make([]time.Duration, 0, b.N), make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		ack, reply := ask(people + i)
		acks, replies = append(acks, ack), append(replies, reply)
	}
	b.StopTimer()
	b.ReportMetric(percentile(acks, 50), "ack-p50-ms")
	b.ReportMetric(percentile(acks, 99), "ack-p99-ms")
	b.ReportMetric(percentile(replies, 50), "reply-p50-ms")
	b.ReportMetric(percentile(replies, 99), "reply-p99-ms")
}

// percentile returns the pth percentile of ds in milliseconds (nearest rank).
func percentile(ds []time.Duration, p int) float64 {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := max((len(s)*p+99)/100-1, 0)
	return float64(s[i].Microseconds()) / 1000
}
