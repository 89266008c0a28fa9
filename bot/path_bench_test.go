package bot_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firstline-desk/firstline/bot/bottest"
	"github.com/firstline-desk/firstline/storage"
)

// BenchmarkAnsweredQuestion is the path of one question through the engine on a real data file: a new
// requester asks in the help channel, the engine opens a ticket and schedules the search, the dispatcher
// runs it and posts the answer. Beside the time, it reports what the data file did per answered question:
// the read-write transactions committed and the tickets decoded (storage.DB.Counts), the figures the
// path of one message is judged by. go test -run x -bench AnsweredQuestion ./bot/
func BenchmarkAnsweredQuestion(b *testing.B) {
	db, err := storage.Open(filepath.Join(b.TempDir(), "firstline.db"), storage.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	d := bottest.NewDesk(b, testConfig(), db, testLibrary())
	before := db.Counts()
	b.ResetTimer()
	for i := range b.N {
		// A new requester each time: one person's questions would meet the flood guard.
		d.Say(bottest.User(fmt.Sprintf("p%d", i)), "help", "my vpn won't connect")
	}
	b.StopTimer()
	after := db.Counts()
	answers := 0
	for _, m := range d.Chat.Messages("help") {
		if strings.Contains(m.Text(), "Connect to the VPN") {
			answers++
		}
	}
	if answers != b.N {
		b.Fatalf("%d answers posted for %d questions", answers, b.N)
	}
	b.ReportMetric(float64(after.Commits-before.Commits)/float64(b.N), "commits/answer")
	b.ReportMetric(float64(after.TicketDecodes-before.TicketDecodes)/float64(b.N), "decodes/answer")
}
