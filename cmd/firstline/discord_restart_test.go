package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/adapters/discord/fakediscord"
	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/storage"
)

// TestDiscordCatchUpAfterKill runs the real binary on Discord (the fake), kills it with SIGKILL after it
// answered a question, writes on Discord while it is down (a new question in the help channel and a
// follow-up in the first question's thread, which Discord will never dispatch), and starts it again on
// the same data directory: the new question is answered, the follow-up reaches its ticket, and the first
// question, fetched again, is neither answered again nor a second ticket.
func TestDiscordCatchUpAfterKill(t *testing.T) {
	const (
		help  = "100000000000000001"
		tier2 = "100000000000000002"
		alice = "200000000000000001"
		bob   = "200000000000000002"
	)
	fake := fakediscord.New(t)
	fake.AddChannel(help, "", 0)
	fake.AddChannel(tier2, "", 0)
	dir := t.TempDir()
	kbDir, err := filepath.Abs("demo/kb")
	if err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	cfg := filepath.Join(dir, "firstline.toml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`
[discord]
enabled = true
token = "test-token"
api_url = %q
help_channels = [%q]

[http]
listen = %q

[[tiers]]
id = "tier2"
name = "Tier 2"
channel = "discord:%s"
members = ["discord:role:300000000000000001"]

[kb]
dir = %q
`, fake.URL(), help, addr, tier2, kbDir)), 0o600); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	desk := newDeskProcess(t, firstlineBinary(t), data, cfg, addr, filepath.Join(dir, "desk.log"))
	// sentIn waits until at least n messages sent in channel contain want, and returns them all.
	sentIn := func(channel, want string, n int) []string {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			var in []string
			for _, m := range fake.Sent() {
				if m.ChannelID == channel && strings.Contains(m.Content+string(m.Embeds), want) {
					in = append(in, m.Content)
				}
			}
			if len(in) >= n {
				return in
			}
			if time.Now().After(deadline) {
				log, _ := os.ReadFile(filepath.Join(dir, "desk.log"))
				t.Fatalf("%d messages sent in %s containing %q, want %d; desk log:\n%s", len(in), channel, want, n, log)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	desk.start()
	fake.WaitIdentifies(t, 1)
	fake.WaitHeartbeat(t)
	q1 := "500000000000000001"
	fake.Dispatch(t, "MESSAGE_CREATE", map[string]any{"id": q1, "channel_id": help, "guild_id": fakediscord.GuildID,
		"content": "My VPN will not connect", "type": 0, "timestamp": time.Now().Format(time.RFC3339),
		"author": map[string]any{"id": alice, "username": "alice"}, "member": map[string]any{"roles": []string{}}})
	sentIn(q1, "vpn-connect", 1)
	desk.kill()

	// Written while the desk is down: only the channels' history has them.
	now := time.Now().Format(time.RFC3339)
	q2 := fake.AddHistory(help, map[string]any{"type": 0, "content": "How do I add a network printer?", "timestamp": now,
		"author": map[string]any{"id": bob, "username": "bob"}})
	fake.AddHistory(q1, map[string]any{"type": 0, "content": "It did not help, the client says error 809", "timestamp": now,
		"author": map[string]any{"id": alice, "username": "alice"}})

	desk.start()
	fake.WaitIdentifies(t, 2)
	sentIn(q2, "printer", 1)
	sentIn(q1, "", 2) // the answer before the kill, and one to the follow-up
	desk.stop()

	db, err := storage.Open(filepath.Join(data, "firstline.db"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var tickets []*bot.Ticket
	if err := db.View(context.Background(), func(tx bot.Tx) error {
		var err error
		tickets, err = tx.FindTickets(bot.TicketFilter{})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(tickets) != 2 {
		t.Fatalf("%d tickets, want 2 (one per question)", len(tickets))
	}
	var said []string
	for _, e := range tickets[0].Transcript {
		said = append(said, e.Text)
	}
	if !strings.Contains(strings.Join(said, "\n"), "error 809") {
		t.Errorf("the follow-up written while the desk was down is not in %s: %q", tickets[0].ID, said)
	}
	if in := sentIn(q1, "Here's what I found", 1); len(in) != 1 {
		t.Errorf("the first question was answered %d times: %q", len(in), in)
	}
}
