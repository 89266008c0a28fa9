package discord_test

import (
	"context"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/adapters/discord/fakediscord"
	"github.com/firstline-desk/firstline/bot"
)

// TestDispatchesCallNoREST checks that the gateway's dispatches are translated from what the gateway said
// (the state of GUILD_CREATE and THREAD_CREATE, the members events carried), without a REST lookup while
// every later dispatch waits: a reply in a thread a technician started on a card, and the technician
// taking back their claim by removing the reaction, which carries no member (their roles and name are
// those the claim carried).
func TestDispatchesCallNoREST(t *testing.T) {
	d := newDesk(t, testConfig("discord:"+tier2))
	q := d.say(alice, help, "My VPN will not connect")
	d.click(alice, q, d.find(q, "Talk to a human").ID, bot.FeedbackHuman)
	card := d.find(tier2, "T-000001")
	d.react(tom, tier2, card.ID, "🙋", techs)
	d.find(q, "picked up")

	d.fake.AddChannel(card.ID, tier2, 11) // tom starts a thread on the card himself
	d.say(tom, card.ID, "Looking at it now", techs)
	d.find(q, "Looking at it now")
	d.fake.Dispatch(t, "MESSAGE_REACTION_REMOVE", map[string]any{"user_id": tom, "channel_id": tier2, "message_id": card.ID,
		"guild_id": fakediscord.GuildID, "emoji": map[string]any{"name": "🙋"}})
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := d.engine.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		tk := ticket(t, d.db, "T-000001")
		if tk.Status == bot.StatusEscalated && tk.Assignee == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after tom took back his claim: status %s, assignee %q, want released", tk.Status, tk.Assignee)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// What translating these dispatches once asked Discord for, on the goroutine that reads the gateway:
	// the thread, and tom (catch-up, on its own goroutine, may look up the people of the history it reads
	// at start, before tom wrote).
	lookup := regexp.MustCompile(`^/api/v9/(channels/` + card.ID + `|guilds/\d+/members/` + tom + `|users/` + tom + `)$`)
	for _, c := range d.fake.Calls() {
		if c.Method == "GET" && lookup.MatchString(c.Path) {
			t.Errorf("a lookup while translating dispatches: %s %s", c.Method, c.Path)
		}
	}
}

// recorder is a Handler that keeps the events it is given.
type recorder struct {
	mu     sync.Mutex
	events []bot.Event
}

func (r *recorder) Handle(_ context.Context, ev bot.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
	return nil
}

// wait waits for the nth event (from 0) and returns it.
func (r *recorder) wait(t *testing.T, n int) bot.Event {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r.mu.Lock()
		if len(r.events) > n {
			ev := r.events[n]
			r.mu.Unlock()
			return ev
		}
		r.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("event %d not handled within 10 s", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitCall waits for a REST call of path.
func waitCall(t *testing.T, fake *fakediscord.Server, method, path string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, c := range fake.Calls() {
			if c.Method == method && c.Path == path {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s %s within 10 s", method, path)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestUncachedPlacesAndMembers checks what a dispatch is translated with when the adapter has not seen
// its channel or its member before: a thread started before the desk ran is known from GUILD_CREATE, and
// is reported as its channel and thread, without a REST lookup; a reaction removed by someone whose roles
// no event has carried goes without roles, their member is fetched in the background, and their next
// removal has the roles Discord reported.
func TestUncachedPlacesAndMembers(t *testing.T) {
	fake := fakediscord.New(t)
	fake.AddChannel(help, "", 0)
	fake.AddChannel(tier2, "", 0)
	thread := "100000000000000077"
	fake.AddChannel(thread, help, 11) // someone's thread, from before the desk started
	fake.AddMember(tom, techs)
	a := newAdapter(t, fake)
	rec := &recorder{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = a.Run(ctx, rec); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	fake.WaitIdentifies(t, 1)

	fake.Dispatch(t, "MESSAGE_CREATE", map[string]any{"id": "500000000000000001", "channel_id": thread, "guild_id": fakediscord.GuildID,
		"content": "still broken", "type": 0, "timestamp": time.Now().Format(time.RFC3339),
		"author": map[string]any{"id": alice, "username": "alice"}, "member": map[string]any{"roles": []string{}}})
	if ev := rec.wait(t, 0); ev.Channel != help || ev.Thread != thread {
		t.Errorf("a message in a thread from before the start: channel %s thread %s, want %s and %s", ev.Channel, ev.Thread, help, thread)
	}
	for _, c := range fake.Calls() {
		if c.Method == "GET" && c.Path == "/api/v9/channels/"+thread {
			t.Errorf("the thread was looked up over REST while its message waited")
		}
	}

	unreact := func(user string) {
		fake.Dispatch(t, "MESSAGE_REACTION_REMOVE", map[string]any{"user_id": user, "channel_id": tier2, "message_id": "500000000000000009",
			"guild_id": fakediscord.GuildID, "emoji": map[string]any{"name": "🙋"}})
	}
	unreact(tom)
	if ev := rec.wait(t, 1); len(ev.Roles) != 0 || ev.UserName != "" {
		t.Errorf("the first removal by someone not seen: roles %v, name %q; want none, not a guess", ev.Roles, ev.UserName)
	}
	waitCall(t, fake, "GET", "/api/v9/guilds/"+fakediscord.GuildID+"/members/"+tom)
	// The lookups are made one after another: once the next one (someone else's) is asked for, tom's
	// answer is in.
	other := "200000000000000009"
	unreact(other)
	rec.wait(t, 2)
	waitCall(t, fake, "GET", "/api/v9/guilds/"+fakediscord.GuildID+"/members/"+other)
	unreact(tom)
	if ev := rec.wait(t, 3); !slices.Equal(ev.Roles, []string{"discord:role:" + techs}) {
		t.Errorf("the next removal by tom: roles %v, want what Discord reported", ev.Roles)
	}
}
