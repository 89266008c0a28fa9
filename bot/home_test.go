package bot_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/bot/bottest"
)

func homeIDs(hs []bot.HomeTicket) string {
	var ids []string
	for _, h := range hs {
		ids = append(ids, h.ID)
	}
	return strings.Join(ids, ",")
}

// lastHome returns the last home published for user, failing when there is none.
func lastHome(t *testing.T, d *bottest.Desk, user string) bot.HomeView {
	t.Helper()
	hs := d.Chat.Homes(user)
	if len(hs) == 0 {
		t.Fatalf("no home published for %s", user)
	}
	return hs[len(hs)-1]
}

// TestHomeForEmployeeAndTechnician: an employee's home lists their tickets and the forms; a technician's
// also lists their tier's queue with Claim, and a claim from there obeys the card's rules and moves the
// ticket to "claimed by you". Homes are published again when a ticket they show changes, at most once per
// HomeEvery.
func TestHomeForEmployeeAndTechnician(t *testing.T) {
	cfg := formConfig()
	cfg.HomeEvery = time.Minute
	db := openStore(t, "")
	d := bottest.NewDesk(t, cfg, db, testLibrary())
	d.Say(alice, "help", "the printer on floor 3 is on fire") // T-000001, waiting in Tier 2
	d.Say(alice, "@alice", "my vpn will not connect")         // T-000002, answered by the desk

	d.OpenHome(alice)
	home := lastHome(t, d, alice)
	if home.Technician || homeIDs(home.Mine) != "T-000002,T-000001" || len(home.Queue) != 0 || len(home.Forms) != 2 {
		t.Fatalf("alice's home: %+v", home)
	}
	if h := home.Mine[1]; h.Status != "waiting for Tier 2" || h.Owner != "" || h.Claim {
		t.Fatalf("alice's T-000001: %+v", h)
	}
	d.OpenHome(tom)
	home = lastHome(t, d, tom)
	if !home.Technician || homeIDs(home.Queue) != "T-000001" || !home.Queue[0].Claim || len(home.Claimed) != 0 {
		t.Fatalf("tom's home: %+v", home)
	}
	// Sara works Tier 3: Tier 2's queue is not hers, and she may not claim its tickets from anywhere.
	d.OpenHome(sara)
	if home = lastHome(t, d, sara); len(home.Queue) != 0 {
		t.Fatalf("sara's home: %+v", home)
	}
	claim := func(user string) error {
		_, name := bot.SplitID(user)
		return d.Handle(bot.Event{Kind: bot.EventAction, ID: "home-claim-" + name, Platform: "test", User: user, UserName: name,
			Ticket: "T-000001", Action: bot.ActionClaim})
	}
	// Refused where she pressed it: privately, in chat (a DM here), with the card's words.
	if err := claim(sara); err != nil {
		t.Fatalf("sara's claim from home: %v", err)
	}
	mustContain(t, "sara's refusal", d.Chat.Last("@sara").Text(), "Only members of Tier 2 can claim **T-000001**")
	if tk := ticket(t, db, "T-000001"); tk.Status != bot.StatusEscalated {
		t.Fatalf("after sara's claim: %s", tk.Status)
	}
	aliceHomes, tomHomes := len(d.Chat.Homes(alice)), len(d.Chat.Homes(tom))
	if err := claim(tom); err != nil {
		t.Fatal(err)
	}
	if tk := ticket(t, db, "T-000001"); tk.Status != bot.StatusClaimed || tk.Assignee != tom {
		t.Fatalf("after a claim from home: %s by %s", tk.Status, tk.Assignee)
	}
	mustContain(t, "the card", d.Chat.Messages("tier2")[0].Field("Owner"), "tom")
	// Tom and alice each saw a home a moment ago: theirs wait for HomeEvery.
	if len(d.Chat.Homes(tom)) != tomHomes || len(d.Chat.Homes(alice)) != aliceHomes {
		t.Fatal("a home was published twice within HomeEvery")
	}
	d.Say(alice, "help", "!status") // another change or two in the meantime is one publish
	d.Clock.Advance(time.Minute)
	if err := d.Engine.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := len(d.Chat.Homes(tom)); got != tomHomes+1 {
		t.Fatalf("%d homes for tom after the claim, want one more than %d", got, tomHomes)
	}
	home = lastHome(t, d, tom)
	if len(home.Queue) != 0 || homeIDs(home.Claimed) != "T-000001" {
		t.Fatalf("tom's home after his claim: %+v", home)
	}
	if h := lastHome(t, d, alice).Mine[1]; h.Status != "claimed" || h.Owner != "tom" {
		t.Fatalf("alice's T-000001 after tom's claim: %+v", h)
	}
	// Nothing changed for sara: no publish.
	if n := len(d.Chat.Homes(sara)); n != 1 {
		t.Fatalf("%d homes for sara", n)
	}
}

// TestHomeFollowsATicketOutOfItsTier: a ticket that leaves a tier's queue, or its owner's hands, changes
// the homes that showed it, though its tier and owner are now others: tina, of the tier it left, sees
// it gone from her queue; tom, whose claim an escalation by someone else took away, sees it gone from
// his claimed tickets.
func TestHomeFollowsATicketOutOfItsTier(t *testing.T) {
	cfg := formConfig()
	cfg.HomeEvery = time.Minute
	db := openStore(t, "")
	d := bottest.NewDesk(t, cfg, db, testLibrary())
	d.Say(alice, "help", "the printer on floor 3 is on fire") // T-000001, waiting in Tier 2
	d.Say(bob, "help", "the printer on floor 2 is on fire")   // T-000002, waiting in Tier 2
	if err := d.Act(tom, "T-000002", bot.ActionClaim, ""); err != nil {
		t.Fatal(err)
	}
	d.OpenHome(tina)
	d.OpenHome(tom)
	if home := lastHome(t, d, tina); homeIDs(home.Queue) != "T-000001" {
		t.Fatalf("tina's queue: %+v", home.Queue)
	}
	if home := lastHome(t, d, tom); homeIDs(home.Claimed) != "T-000002" {
		t.Fatalf("tom's claimed tickets: %+v", home.Claimed)
	}
	tinaHomes, tomHomes := len(d.Chat.Homes(tina)), len(d.Chat.Homes(tom))
	// Sara's Tier 3 takes both over: ada, an admin of no tier, escalates them.
	for _, id := range []string{"T-000001", "T-000002"} {
		if err := d.Act(ada, id, bot.ActionEscalate, ""); err != nil {
			t.Fatal(err)
		}
		if tk := ticket(t, db, id); tk.Tier != "tier3" || tk.Assignee != "" {
			t.Fatalf("%s after the escalation: %s, owner %q", id, tk.Tier, tk.Assignee)
		}
	}
	d.Clock.Advance(time.Minute)
	if err := d.Engine.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if hs := d.Chat.Homes(tina); len(hs) != tinaHomes+1 || len(hs[len(hs)-1].Queue) != 0 {
		t.Fatalf("tina's homes: %d after %d, the last %+v", len(hs), tinaHomes, hs[len(hs)-1])
	}
	if hs := d.Chat.Homes(tom); len(hs) != tomHomes+1 || len(hs[len(hs)-1].Claimed) != 0 {
		t.Fatalf("tom's homes: %d after %d, the last %+v", len(hs), tomHomes, hs[len(hs)-1])
	}
}

// TestHomeWaitsOutARateLimit: a platform that answers a publish with a rate limit is asked for no home
// before its Retry-After has passed, neither that home nor anyone else's; then both are published.
func TestHomeWaitsOutARateLimit(t *testing.T) {
	cfg := formConfig()
	cfg.HomeEvery = time.Second
	db := openStore(t, "")
	d := bottest.NewDesk(t, cfg, db, testLibrary())
	var mu sync.Mutex
	calls, limited := 0, true
	d.Chat.Fail = func(op string, _ bot.Post) error {
		if op != "home" {
			return nil
		}
		mu.Lock()
		defer mu.Unlock()
		calls++
		if limited {
			return &bot.RateLimitError{RetryAfter: 30 * time.Second}
		}
		return nil
	}
	count := func() int {
		mu.Lock()
		defer mu.Unlock()
		return calls
	}
	flush := func() {
		if err := d.Engine.Flush(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	d.OpenHome(alice)
	if n := count(); n != 1 {
		t.Fatalf("%d publishes of alice's home", n)
	}
	d.OpenHome(tom)
	d.Clock.Advance(29 * time.Second)
	d.Say(alice, "help", "the printer on floor 3 is on fire")
	flush()
	if n := count(); n != 1 {
		t.Fatalf("%d publishes within the rate limit's 30 s, want only the first", n)
	}
	mu.Lock()
	limited = false
	mu.Unlock()
	d.Clock.Advance(time.Second)
	flush()
	if n := count(); n != 3 || len(d.Chat.Homes(alice)) != 1 || len(d.Chat.Homes(tom)) != 1 {
		t.Fatalf("%d publishes after the rate limit, %d homes for alice and %d for tom, want 3, 1 and 1", n, len(d.Chat.Homes(alice)), len(d.Chat.Homes(tom)))
	}
}

// TestHomesHoldUpNoReply: while the desk runs, a platform slow to take a home (every member of a tier
// gets one when a ticket in it changes) holds up no reply: homes are published by a loop of their own.
func TestHomesHoldUpNoReply(t *testing.T) {
	cfg := formConfig()
	db := openStore(t, "")
	d := bottest.NewDesk(t, cfg, db, testLibrary())
	entered, gate := make(chan struct{}, 1), make(chan struct{})
	d.Chat.Fail = func(op string, _ bot.Post) error {
		if op == "home" {
			select {
			case entered <- struct{}{}:
			default:
			}
			<-gate
		}
		return nil
	}
	ctx, cancel := context.WithCancel(t.Context())
	ran := make(chan error, 1)
	go func() { ran <- d.Engine.Run(ctx) }()
	defer func() {
		close(gate)
		cancel()
		if err := <-ran; err != nil {
			t.Error(err)
		}
	}()
	handle := func(ev bot.Event) {
		ev.Platform, ev.Time = "test", d.Clock.Now()
		if err := d.Engine.Handle(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	handle(bot.Event{Kind: bot.EventHome, ID: "home-tom", User: tom})
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("tom's home was not published")
	}
	// Tom's home is being published, slowly: alice's question is answered all the same.
	handle(bot.Event{Kind: bot.EventMessage, ID: "q1", Channel: "help", Message: "q1", User: alice, UserName: "alice", Text: "my vpn will not connect"})
	deadline := time.Now().Add(10 * time.Second)
	for len(d.Chat.Messages("help")) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no answer to alice while a home was being published")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestHomeOpenedAgainIsBounded: opening Home again and again (Slack says so on every visit to the tab)
// publishes it at most once per HomeEvery; a visit after that publishes it again (its SLA deadlines and
// recent tickets move with time), and a change in between is published once that time has passed.
func TestHomeOpenedAgainIsBounded(t *testing.T) {
	cfg := formConfig()
	cfg.HomeEvery = 5 * time.Second
	db := openStore(t, "")
	d := bottest.NewDesk(t, cfg, db, testLibrary())
	d.OpenHome(alice)
	d.OpenHome(alice)
	d.Clock.Advance(time.Second)
	d.OpenHome(alice)
	if n := len(d.Chat.Homes(alice)); n != 1 {
		t.Fatalf("%d homes published for three visits within HomeEvery, want 1", n)
	}
	d.Clock.Advance(5 * time.Second)
	d.OpenHome(alice)
	if n := len(d.Chat.Homes(alice)); n != 2 {
		t.Fatalf("%d homes published after a visit past HomeEvery, want 2", n)
	}
	d.Say(alice, "help", "the printer on floor 3 is on fire")
	d.OpenHome(alice)
	if n := len(d.Chat.Homes(alice)); n != 2 {
		t.Fatalf("%d homes published for a change and a visit within HomeEvery, want 2", n)
	}
	d.Clock.Advance(5 * time.Second)
	if err := d.Engine.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if hs := d.Chat.Homes(alice); len(hs) != 3 || homeIDs(hs[2].Mine) != "T-000001" {
		t.Fatalf("%d homes published once HomeEvery passed, want 3 with the new ticket", len(hs))
	}
}
