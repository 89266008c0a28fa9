package bot_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/bot/bottest"
	"github.com/firstline-desk/firstline/kb"
	"github.com/firstline-desk/firstline/storage"
)

var (
	alice = bottest.User("alice")
	bob   = bottest.User("bob")
	tom   = bottest.User("tom")
	tina  = bottest.User("tina")
	sara  = bottest.User("sara")
	ada   = bottest.User("ada")
)

func testConfig() bot.Config {
	return bot.Config{
		Name:          "Firstline",
		CommandPrefix: "!",
		HelpChannels:  []string{"test:help"},
		Tiers: []bot.Tier{
			{ID: "tier2", Name: "Tier 2", Channel: "test:tier2", Members: []string{tom, tina}},
			{ID: "tier3", Name: "Tier 3", Channel: "test:tier3", Members: []string{sara}},
		},
		Admins:            []string{ada},
		Reactions:         bot.DefaultReactions,
		MinConfidence:     0.5,
		SuggestConfidence: 0.35,
		ReopenWindow:      7 * 24 * time.Hour,
		DefaultPriority:   "P3",
	}
}

func testLibrary() *bottest.Library {
	return &bottest.Library{
		Articles: []kb.Article{
			{ID: "vpn-connect", Title: "Connect to the VPN", Body: "Open Example VPN and sign in."},
			{ID: "vpn-slow", Title: "VPN is slow", Body: "Switch to the nearest gateway."},
			{ID: "wifi-office", Title: "Office Wi-Fi", Body: "Join the CORP network."},
			{ID: "password-reset", Title: "Reset your password", Body: "Go to https://id.example.com/reset."},
		},
		Rules: []bottest.Rule{
			{Contains: "gateway", Hits: []kb.Hit{{ID: "vpn-slow", Confidence: 0.8}}},
			{Contains: "vpn", Hits: []kb.Hit{{ID: "vpn-connect", Confidence: 0.9}, {ID: "vpn-slow", Confidence: 0.4}, {ID: "wifi-office", Confidence: 0.3}}},
			{Contains: "password", Hits: []kb.Hit{{ID: "password-reset", Confidence: 0.95}}},
			{Contains: "laptop", Hits: []kb.Hit{{ID: "wifi-office", Confidence: 0.4}, {ID: "vpn-slow", Confidence: 0.38}, {ID: "password-reset", Confidence: 0.2}}},
			{Contains: "keyboard", Hits: []kb.Hit{{ID: "wifi-office", Confidence: 0.4}}},
			{Contains: "printer", Hits: []kb.Hit{{ID: "wifi-office", Confidence: 0.1}}},
		},
	}
}

// openStore opens a real data file in a temp dir, checked for consistency when the test ends.
func openStore(t testing.TB, path string) *storage.DB {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "firstline.db")
	}
	db, err := storage.Open(path, storage.Options{NoSync: true})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Check(); err != nil {
			t.Errorf("data file check: %v", err)
		}
		db.Close()
	})
	return db
}

func newDesk(t *testing.T) (*bottest.Desk, *storage.DB) {
	t.Helper()
	db := openStore(t, "")
	return bottest.NewDesk(t, testConfig(), db, testLibrary()), db
}

func ticket(t *testing.T, db bot.Store, id string) *bot.Ticket {
	t.Helper()
	var tk *bot.Ticket
	if err := db.View(context.Background(), func(tx bot.Tx) error {
		var err error
		tk, err = tx.Ticket(id)
		return err
	}); err != nil {
		t.Fatalf("ticket %s: %v", id, err)
	}
	return tk
}

func mustContain(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Fatalf("%s does not contain %q:\n%s", what, w, got)
		}
	}
}

func choiceLabels(m *bottest.Message) string {
	var l []string
	for _, c := range m.Post.Choices {
		l = append(l, c.Label)
	}
	return strings.Join(l, "|")
}

func TestAnswerCitesArticleAndOffersChoices(t *testing.T) {
	d, db := newDesk(t)
	q := d.Say(alice, "help", "My VPN won't connect from home")
	thread := d.Chat.Thread("help", q)
	if len(thread) != 1 {
		t.Fatalf("want one answer in the question's thread, got %d", len(thread))
	}
	ans := thread[0]
	mustContain(t, "answer", ans.Text(), "Connect to the VPN", "vpn-connect", "Open Example VPN", "T-000001")
	if got := choiceLabels(ans); got != "Solved|Not helpful|Talk to a human" {
		t.Fatalf("choices = %s", got)
	}
	tk := ticket(t, db, "T-000001")
	if tk.Status != bot.StatusOpen || tk.Tier != bot.LevelOne || tk.Requester != alice || len(tk.Offers) != 1 || tk.Offers[0].Article != "vpn-connect" {
		t.Fatalf("ticket after answer: %+v", tk)
	}
}

func TestSolvedResolvesAtLevelOne(t *testing.T) {
	d, db := newDesk(t)
	q := d.Say(alice, "help", "I forgot my password")
	d.Click(alice, d.Chat.Thread("help", q)[0], "Solved")
	tk := ticket(t, db, "T-000001")
	if tk.Status != bot.StatusResolved || tk.Tier != bot.LevelOne || tk.ResolvedAt == nil || tk.Offers[0].Feedback != bot.FeedbackSolved {
		t.Fatalf("ticket after solved: status %s tier %s offers %+v", tk.Status, tk.Tier, tk.Offers)
	}
	last := d.Chat.Last("help")
	mustContain(t, "thanks", last.Text(), "Glad that helped")
	if len(last.Post.Choices) != 0 {
		t.Fatalf("a Level 1 deflection asks for no rating: %+v", last.Post.Choices)
	}
	if n := len(d.Chat.Messages("tier2")); n != 0 {
		t.Fatalf("nothing should reach Tier 2, got %d messages", n)
	}
}

func TestNotHelpfulTwiceEscalatesWithHandoffCard(t *testing.T) {
	d, db := newDesk(t)
	q := d.Say(alice, "help", "vpn broken")
	d.Click(alice, d.Chat.Thread("help", q)[0], "Not helpful")
	next := d.Chat.Last("help")
	mustContain(t, "next best", next.Text(), "VPN is slow", "vpn-slow")
	if strings.Contains(next.Text(), "Wi-Fi") {
		t.Fatalf("an article below suggest_confidence was offered:\n%s", next.Text())
	}
	d.Click(alice, next, "Not helpful")

	cards := d.Chat.Messages("tier2")
	if len(cards) != 1 {
		t.Fatalf("want one card in tier2, got %d", len(cards))
	}
	card := cards[0]
	for name, want := range map[string]string{"Ticket": "T-000001", "Requester": "alice", "Priority": "P3", "Tier": "Tier 2", "Owner": "unclaimed", "Status": "escalated"} {
		if got := card.Field(name); got != want {
			t.Fatalf("card field %s = %q, want %q", name, got, want)
		}
	}
	mustContain(t, "card", card.Text(), "vpn broken", "Connect to the VPN (`vpn-connect`): not helpful", "VPN is slow (`vpn-slow`): not helpful", "two answers did not help", "alice: vpn broken")
	mustContain(t, "requester notice", d.Chat.Last("help").Text(), "passed **T-000001** to **Tier 2**")
	tk := ticket(t, db, "T-000001")
	if tk.Status != bot.StatusEscalated || tk.Tier != "tier2" || tk.NotHelpful != 2 {
		t.Fatalf("ticket after escalation: %s %s %d", tk.Status, tk.Tier, tk.NotHelpful)
	}
}

func TestNotHelpfulWithoutAlternativesAsksOneQuestion(t *testing.T) {
	d, db := newDesk(t)
	q := d.Say(alice, "help", "password expired")
	d.Click(alice, d.Chat.Thread("help", q)[0], "Not helpful")
	ask := d.Chat.Last("help")
	mustContain(t, "clarifying question", ask.Text(), "tell me a bit more")
	if got := choiceLabels(ask); got != "Talk to a human" {
		t.Fatalf("clarifying question choices = %s", got)
	}
	// The details lead nowhere new: escalate rather than ask again.
	d.SayIn(alice, "help", q, "it says my account is disabled")
	if tk := ticket(t, db, "T-000001"); tk.Status != bot.StatusEscalated {
		t.Fatalf("after unhelpful details the ticket should be escalated, is %s", tk.Status)
	}
}

func TestClarifyingDetailsFindTheAnswer(t *testing.T) {
	d, db := newDesk(t)
	d.Engine.AddChat(d.Chat)
	q := d.Say(alice, "help", "my vpn is slow")
	d.Click(alice, d.Chat.Thread("help", q)[0], "Not helpful") // next best: vpn-slow offered
	d.SayIn(alice, "help", q, "I am far from the gateway")
	tk := ticket(t, db, "T-000001")
	if tk.Status != bot.StatusOpen {
		t.Fatalf("status = %s", tk.Status)
	}
}

func TestLowConfidenceEscalatesAtOnce(t *testing.T) {
	d, db := newDesk(t)
	q := d.Say(alice, "help", "the printer on floor 3 eats paper")
	if tk := ticket(t, db, "T-000001"); tk.Status != bot.StatusEscalated || len(tk.Offers) != 0 {
		t.Fatalf("status %s offers %d, want escalated with none", tk.Status, len(tk.Offers))
	}
	mustContain(t, "card", d.Chat.Last("tier2").Text(), "no confident answer", "Articles offered: none")
	mustContain(t, "requester notice", d.Chat.Thread("help", q)[0].Text(), "Tier 2")
}

func TestUnsureSuggestsAShortList(t *testing.T) {
	d, db := newDesk(t)
	q := d.Say(alice, "help", "my laptop does odd things")
	list := d.Chat.Thread("help", q)[0]
	mustContain(t, "suggestions", list.Text(), "may help", "1. **Office Wi-Fi** (`wifi-office`): Join the CORP network.", "2. **VPN is slow** (`vpn-slow`)")
	if strings.Contains(list.Text(), "Reset your password") {
		t.Fatalf("a hit below suggest_confidence was suggested:\n%s", list.Text())
	}
	if got := choiceLabels(list); got != "Solved|Not helpful|Talk to a human" {
		t.Fatalf("choices = %s", got)
	}
	d.Click(alice, list, "Not helpful") // nothing else likely: one clarifying question
	mustContain(t, "clarifying", d.Chat.Last("help").Text(), "tell me a bit more")
	if tk := ticket(t, db, "T-000001"); tk.Status != bot.StatusOpen || len(tk.Offers) != 2 || tk.Offers[1].Feedback != bot.FeedbackNotHelpful {
		t.Fatalf("ticket: %s %+v", tk.Status, tk.Offers)
	}
}

func TestOneLikelyArticleIsShownWhole(t *testing.T) {
	d, _ := newDesk(t)
	q := d.Say(alice, "help", "my keyboard types odd letters")
	ans := d.Chat.Thread("help", q)[0]
	mustContain(t, "single suggestion", ans.Text(), "I'm not sure I understood, but this may help: **Office Wi-Fi** (`wifi-office`)\n\nJoin the CORP network.")
}

// escalated opens a ticket and asks for a human; it returns the question's id and the Tier 2 card.
func escalated(t *testing.T, d *bottest.Desk) (string, *bottest.Message) {
	t.Helper()
	q := d.Say(alice, "help", "vpn broken")
	d.Click(alice, d.Chat.Thread("help", q)[0], "Talk to a human")
	card := d.Chat.Last("tier2")
	if card == nil || card.Ref.Thread != "" {
		t.Fatalf("no top-level card in tier2: %+v", card)
	}
	return q, card
}

func TestClaimExactlyOneWinsAndOnlyMembers(t *testing.T) {
	d, db := newDesk(t)
	q, card := escalated(t, d)

	d.React(sara, card, "raising_hand") // Tier 3, not Tier 2
	mustContain(t, "refusal", d.Chat.Last("tier2").Text(), "Only members of Tier 2 can claim")
	if tk := ticket(t, db, "T-000001"); tk.Status != bot.StatusEscalated {
		t.Fatalf("a non-member claimed: %s", tk.Status)
	}

	d.React(tom, card, "raising_hand")
	if card.Field("Owner") != "tom" || card.Field("Status") != "claimed" || card.Edits == 0 {
		t.Fatalf("card after claim: owner %q status %q edits %d", card.Field("Owner"), card.Field("Status"), card.Edits)
	}
	mustContain(t, "requester notice", d.Chat.Last("help").Text(), "**tom** (Tier 2) picked up **T-000001**")

	d.React(tina, card, "raising_hand")
	mustContain(t, "second claim", d.Chat.Last("tier2").Text(), "already claimed by tom")
	tk := ticket(t, db, "T-000001")
	if tk.Assignee != tom || tk.Status != bot.StatusClaimed {
		t.Fatalf("assignee %s status %s", tk.Assignee, tk.Status)
	}
	_ = q
}

func TestRacingClaimsHaveOneWinner(t *testing.T) {
	d, db := newDesk(t)
	_, card := escalated(t, d)
	var wg sync.WaitGroup
	for _, u := range []string{tom, tina, tom, tina} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, name := bot.SplitID(u)
			ev := bot.Event{Kind: bot.EventReactionAdded, Platform: "test", Channel: "tier2", Message: card.Ref.ID, User: u, UserName: name, Reaction: "raising_hand"}
			if err := d.Engine.Handle(context.Background(), ev); err != nil {
				t.Errorf("claim: %v", err)
			}
		}()
	}
	wg.Wait()
	if err := d.Engine.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	tk := ticket(t, db, "T-000001")
	claims := 0
	for _, e := range tk.Transitions {
		if e.Type == bot.TransitionClaimed {
			claims++
		}
	}
	if claims != 1 {
		t.Fatalf("%d claims recorded, want exactly 1", claims)
	}
	notices := 0
	for _, m := range d.Chat.Messages("help") {
		if strings.Contains(m.Text(), "picked up") {
			notices++
		}
	}
	if notices != 1 {
		t.Fatalf("requester told %d times, want once", notices)
	}
}

func TestRelayBothWaysAndNotes(t *testing.T) {
	d, db := newDesk(t)
	q, card := escalated(t, d)
	d.React(tom, card, "raising_hand")
	before := len(d.Chat.Messages("help"))

	d.SayIn(tom, "tier2", card.Ref.ID, "Can you restart the VPN client?")
	mustContain(t, "relay to requester", d.Chat.Last("help").Text(), "**tom** (Tier 2): Can you restart the VPN client?")
	if d.Chat.Last("help").Ref.Thread != q {
		t.Fatalf("relay went to thread %q, want the question's thread %q", d.Chat.Last("help").Ref.Thread, q)
	}

	d.SayIn(tom, "tier2", card.Ref.ID, "note: probably the expired cert again")
	if n := len(d.Chat.Messages("help")); n != before+1 {
		t.Fatalf("an internal note reached the requester (%d messages, want %d)", n, before+1)
	}

	d.SayIn(alice, "help", q, "done, still failing with vpn error 809")
	relayed := d.Chat.Last("tier2")
	if relayed.Ref.Thread != card.Ref.ID {
		t.Fatalf("requester's message went to %q, want the card's thread", relayed.Ref.Thread)
	}
	mustContain(t, "relay to card", relayed.Text(), "**alice** (requester): done, still failing")
	// While a human owns the ticket, the bot does not answer with articles.
	if n := len(d.Chat.Messages("help")); n != before+1 {
		t.Fatalf("the bot answered while a technician owns the ticket")
	}

	d.SayIn(bob, "tier2", card.Ref.ID, "I can fix it")
	mustContain(t, "non-member", d.Chat.Last("tier2").Text(), "Only members of Tier 2 can reply")

	tk := ticket(t, db, "T-000001")
	var notes int
	for _, e := range tk.Transcript {
		if e.Internal {
			notes++
			if e.Text != "probably the expired cert again" {
				t.Fatalf("note text %q", e.Text)
			}
		}
	}
	if notes != 1 {
		t.Fatalf("%d internal notes, want 1", notes)
	}
}

func TestEscalateToNextTierAndResolveWithRating(t *testing.T) {
	d, db := newDesk(t)
	q, card := escalated(t, d)
	d.React(tom, card, "raising_hand")
	d.React(bob, card, "arrow_up")
	mustContain(t, "refusal", d.Chat.Last("tier2").Text(), "Only members of Tier 2")

	d.React(tom, card, "arrow_up")
	if !strings.Contains(card.Field("Status"), "escalated to Tier 3") {
		t.Fatalf("old card status = %q", card.Field("Status"))
	}
	card3 := d.Chat.Last("tier3")
	if card3 == nil || card3.Field("Tier") != "Tier 3" || card3.Field("Owner") != "unclaimed" {
		t.Fatalf("tier3 card: %+v", card3)
	}
	mustContain(t, "requester notice", d.Chat.Last("help").Text(), "moved to **Tier 3**")

	d.React(tom, card, "raising_hand") // the old card no longer works
	mustContain(t, "stale card", d.Chat.Last("tier2").Text(), "out of date")

	d.React(sara, card3, "raising_hand")
	d.React(sara, card3, "arrow_up")
	mustContain(t, "last tier", d.Chat.Last("tier3").Text(), "last tier")

	d.React(sara, card3, "white_check_mark")
	tk := ticket(t, db, "T-000001")
	if tk.Status != bot.StatusResolved || tk.ResolvedBy != sara {
		t.Fatalf("after resolve: %s by %s", tk.Status, tk.ResolvedBy)
	}
	if card3.Field("Status") != "resolved" {
		t.Fatalf("card status = %q", card3.Field("Status"))
	}
	csat := d.Chat.Last("help")
	if csat.Ref.Thread != q || choiceLabels(csat) != "1|2|3|4|5" {
		t.Fatalf("rating question: thread %q choices %s", csat.Ref.Thread, choiceLabels(csat))
	}
	d.Click(bob, csat, "5")
	mustContain(t, "stranger rating", d.Chat.Last("help").Text(), "Only alice can rate")
	d.Click(alice, csat, "4")
	if err := d.Handle(bot.Event{Kind: bot.EventClick, Channel: "help", Thread: q, Message: csat.Ref.ID, User: alice, Choice: "csat-1"}); err != nil {
		t.Fatal(err)
	}
	mustContain(t, "second rating", d.Chat.Last("help").Text(), "already rated **T-000001** 4/5")
	tk = ticket(t, db, "T-000001")
	if tk.CSAT == nil || tk.CSAT.Score != 4 {
		t.Fatalf("csat = %+v, want 4", tk.CSAT)
	}
	if len(csat.Post.Choices) != 0 {
		t.Fatalf("rating buttons still there after rating")
	}
	var types []string
	for _, e := range tk.Transitions {
		types = append(types, string(e.Type))
	}
	want := "opened answered feedback escalated claimed escalated claimed resolved rated"
	if got := strings.Join(types, " "); got != want {
		t.Fatalf("events = %s\nwant %s", got, want)
	}
}

func TestReopenWithinWindowElseNewTicket(t *testing.T) {
	d, db := newDesk(t)
	q, card := escalated(t, d)
	d.React(tom, card, "raising_hand")
	d.React(tom, card, "white_check_mark")

	d.Clock.Advance(2 * 24 * time.Hour)
	d.SayIn(alice, "help", q, "it broke again")
	tk := ticket(t, db, "T-000001")
	if tk.Status != bot.StatusClaimed || tk.Assignee != tom || tk.ResolvedAt != nil {
		t.Fatalf("reopened ticket: %s %s", tk.Status, tk.Assignee)
	}
	fresh := d.Chat.Last("tier2")
	if fresh == card || fresh.Ref.Thread != "" || !strings.Contains(fresh.Text(), "reopened") || !strings.Contains(fresh.Text(), "it broke again") {
		t.Fatalf("want a fresh card saying reopened, got %q", fresh.Text())
	}
	d.React(tom, fresh, "white_check_mark")

	d.Clock.Advance(8 * 24 * time.Hour)
	d.SayIn(alice, "help", q, "vpn broken once more")
	if tk := ticket(t, db, "T-000002"); tk.Status != bot.StatusOpen || tk.Conversation.Thread != q {
		t.Fatalf("after the window a new ticket opens in the same thread: %+v", tk)
	}
	if tk := ticket(t, db, "T-000001"); tk.Status != bot.StatusResolved {
		t.Fatalf("old ticket status %s", tk.Status)
	}
}

func TestCommands(t *testing.T) {
	d, db := newDesk(t)
	q, card := escalated(t, d)

	d.Say(bob, "help", "!help")
	mustContain(t, "help", d.Chat.Last("help").Text(), "!status", "!escalate", "!resolve", ":raising_hand:")
	d.Say(bob, "help", "!frobnicate")
	mustContain(t, "unknown", d.Chat.Last("help").Text(), "I don't know `!frobnicate`", "!status")

	d.SayIn(alice, "help", q, "!status")
	mustContain(t, "status in thread", d.Chat.Last("help").Text(), "T-000001", "escalated", "Tier 2")

	d.Say(alice, "help", "!status")
	mustContain(t, "status pointer", d.Chat.Last("help").Text(), "direct message")
	mustContain(t, "status by DM", d.Chat.Last("@alice").Text(), "Your open tickets", "T-000001")

	d.Say(tom, "tier2", "!status")
	mustContain(t, "tier queue", d.Chat.Last("tier2").Text(), "Tier 2 queue", "T-000001")

	d.SayIn(alice, "help", q, "!escalate")
	mustContain(t, "already", d.Chat.Last("help").Text(), "already with Tier 2")

	d.SayIn(bob, "help", q, "!resolve")
	mustContain(t, "refused", d.Chat.Last("help").Text(), "Only alice, members of Tier 2 and admins")

	d.SayIn(tom, "tier2", card.Ref.ID, "!escalate")
	if tk := ticket(t, db, "T-000001"); tk.Tier != "tier3" {
		t.Fatalf("!escalate in the card thread: tier %s", tk.Tier)
	}
	d.SayIn(ada, "help", q, "!resolve")
	if tk := ticket(t, db, "T-000001"); tk.Status != bot.StatusResolved || tk.ResolvedBy != ada {
		t.Fatalf("admin !resolve: %s by %s", tk.Status, tk.ResolvedBy)
	}

	d.Say(bob, "random", "!escalate")
	mustContain(t, "no ticket", d.Chat.Last("random").Text(), "There's no ticket here")

	q2 := d.Say(bob, "help", "vpn down")
	d.SayIn(bob, "help", q2, "!escalate")
	if tk := ticket(t, db, "T-000002"); tk.Status != bot.StatusEscalated {
		t.Fatalf("requester !escalate: %s", tk.Status)
	}
}

func TestDirectMessagesAndMentions(t *testing.T) {
	d, db := newDesk(t)
	d.Say(alice, "@alice", "how do I reset my password")
	ans := d.Chat.Last("@alice")
	if ans == nil || ans.Ref.Thread != "" || !strings.Contains(ans.Text(), "password-reset") {
		t.Fatalf("DM answer: %+v", ans)
	}
	d.Say(alice, "@alice", "thanks, and my vpn too")
	if tk := ticket(t, db, "T-000001"); len(tk.Offers) != 2 {
		t.Fatalf("a DM follow-up belongs to the open ticket: %d offers", len(tk.Offers))
	}

	d.Say(bob, "random", "lunch anyone?")
	if n := len(d.Chat.Messages("random")); n != 0 {
		t.Fatalf("the bot spoke in a channel it was not asked in")
	}
	m := d.Say(bob, "random", "@firstline my vpn is broken")
	if len(d.Chat.Thread("random", m)) != 1 {
		t.Fatalf("a mention opens a ticket answered in its thread")
	}
	d.SayIn(bob, "help", "u999", "chatting in someone's thread")
	if n := len(d.Chat.Thread("help", "u999")); n != 0 {
		t.Fatalf("a reply in an unrelated help thread was answered")
	}
}

func TestBadInputIsIgnored(t *testing.T) {
	d, _ := newDesk(t)
	d.Say(alice, "help", "   \n\t ")
	d.Say(alice, "help", "")
	d.React(tom, &bottest.Message{Ref: bot.MessageRef{Channel: "help", ID: "nope"}}, "raising_hand")
	if err := d.Handle(bot.Event{Kind: bot.EventClick, Channel: "help", Message: "nope", User: alice, Choice: "solved"}); err != nil {
		t.Fatalf("click on an unknown message: %v", err)
	}
	if n := d.Chat.Count(); n != 0 {
		t.Fatalf("bad input caused %d posts", n)
	}
}

func TestRedeliveredEventChangesNothing(t *testing.T) {
	d, db := newDesk(t)
	ev := bot.Event{Kind: bot.EventMessage, ID: "Ev123", Channel: "help", Message: "m1", User: alice, UserName: "alice", Text: "vpn broken"}
	for range 3 {
		if err := d.Handle(ev); err != nil {
			t.Fatal(err)
		}
	}
	if n := d.Chat.Count(); n != 1 {
		t.Fatalf("%d replies to one event delivered three times", n)
	}
	var all []*bot.Ticket
	if err := db.View(context.Background(), func(tx bot.Tx) error {
		var err error
		all, err = tx.FindTickets(bot.TicketFilter{})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 {
		t.Fatalf("%d tickets, want 1", len(all))
	}
}

func TestRestartKeepsCardsWorking(t *testing.T) {
	path := filepath.Join(t.TempDir(), "firstline.db")
	db1, err := storage.Open(path, storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	d1 := bottest.NewDesk(t, testConfig(), db1, testLibrary())
	_, card := escalated(t, d1)
	db1.Close()

	db2 := openStore(t, path)
	d2 := bottest.NewDesk(t, testConfig(), db2, testLibrary())
	d2.Clock = d1.Clock
	d2.React(tom, card, "raising_hand") // a card posted before the restart
	if tk := ticket(t, db2, "T-000001"); tk.Status != bot.StatusClaimed || tk.Assignee != tom {
		t.Fatalf("claim after restart: %s %s", tk.Status, tk.Assignee)
	}
	// The new process's platform has never seen the card, so the edit fails and is dropped; the
	// requester notice still goes out.
	if last := d2.Chat.Last("help"); last == nil || !strings.Contains(last.Text(), "picked up") {
		t.Fatalf("requester not told after restart: %+v", last)
	}
}

func TestEffectsSurviveACrashBeforeDispatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "firstline.db")
	db1, err := storage.Open(path, storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	e1, err := bot.New(testConfig(), db1, testLibrary(), bottest.NewClock(time.Now()), nil)
	if err != nil {
		t.Fatal(err)
	}
	// Handled (acknowledged) but never dispatched: the process dies here.
	if err := e1.Handle(context.Background(), bot.Event{Kind: bot.EventMessage, ID: "x1", Platform: "test", Channel: "help", Message: "m1", User: alice, Text: "vpn broken"}); err != nil {
		t.Fatal(err)
	}
	db1.Close()

	db2 := openStore(t, path)
	d := bottest.NewDesk(t, testConfig(), db2, testLibrary())
	if err := d.Engine.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := d.Chat.Thread("help", "m1"); len(got) != 1 || !strings.Contains(got[0].Text(), "vpn-connect") {
		t.Fatalf("the answer due before the crash was not posted after restart: %+v", got)
	}
}

func TestFailedPostsRetryInOrder(t *testing.T) {
	d, _ := newDesk(t)
	fails := 2
	d.Chat.Fail = func(op string, p bot.Post) error {
		if fails > 0 && op == "post" {
			fails--
			return errors.New("connection reset")
		}
		return nil
	}
	q := d.Say(alice, "help", "vpn broken")
	if n := len(d.Chat.Thread("help", q)); n != 0 {
		t.Fatalf("posted despite failure")
	}
	d.Clock.Advance(time.Second)
	if err := d.Engine.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	d.Clock.Advance(2 * time.Second)
	if err := d.Engine.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(d.Chat.Thread("help", q)); n != 1 {
		t.Fatalf("answer posted %d times after retries, want 1", n)
	}

	// A rate limit holds the whole lane back for Retry-After; later replies wait behind it.
	limited := true
	d.Chat.Fail = func(op string, p bot.Post) error {
		if limited && p.Channel == "tier2" {
			limited = false
			return &bot.RateLimitError{RetryAfter: 30 * time.Second}
		}
		return nil
	}
	d.Click(alice, d.Chat.Thread("help", q)[0], "Talk to a human") // the card is rate limited
	mustContain(t, "notice in another lane", d.Chat.Last("help").Text(), "passed **T-000001**")
	d.React(alice, d.Chat.Thread("help", q)[0], "+1") // refused: the refusal goes to #help, unaffected
	d.SayIn(alice, "help", q, "it still fails")       // relayed under the card: queued in tier2's lane behind it
	d.Say(bob, "help", "!status")                     // a thread of its own: not held up
	d.Clock.Advance(29 * time.Second)
	if err := d.Engine.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(d.Chat.Messages("tier2")); n != 0 {
		t.Fatalf("%d posts in tier2 before Retry-After passed", n)
	}
	if last := d.Chat.Last("help"); !strings.Contains(last.Text(), "open tickets") {
		t.Fatalf("bob's reply, in another lane, waited for the rate limit: last in help is %q", last.Text())
	}
	d.Clock.Advance(time.Second)
	if err := d.Engine.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	tier2 := d.Chat.Messages("tier2")
	if len(tier2) != 2 || tier2[0].Field("Ticket") != "T-000001" || !strings.Contains(tier2[1].Text(), "it still fails") {
		t.Fatalf("after Retry-After want the card then the relay, in order: %d messages", len(tier2))
	}

	// A permanent error drops the effect instead of retrying forever.
	d.Chat.Fail = func(op string, p bot.Post) error { return bot.Errorf(bot.ENOTFOUND, "channel_not_found") }
	q3 := d.Say(alice, "help", "password reset")
	d.Chat.Fail = nil
	d.Clock.Advance(time.Hour)
	if err := d.Engine.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(d.Chat.Thread("help", q3)); n != 0 {
		t.Fatalf("a permanently failed post was retried: %d", n)
	}
	if err := d.Engine.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestRolesAsMembers checks that a tier can list a role instead of people: whoever has the role claims,
// whoever lacks it cannot.
func TestRolesAsMembers(t *testing.T) {
	cfg := testConfig()
	cfg.Tiers[0].Members = []string{"test:role:helpdesk"}
	db := openStore(t, "")
	d := bottest.NewDesk(t, cfg, db, testLibrary())
	_, card := escalated(t, d)

	claim := func(user string, roles ...string) {
		t.Helper()
		_, name := bot.SplitID(user)
		ev := bot.Event{Kind: bot.EventReactionAdded, ID: "r-" + name, Platform: "test", Channel: "tier2", Message: card.Ref.ID,
			User: user, UserName: name, Roles: roles, Reaction: "raising_hand"}
		if err := d.Engine.Handle(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
		if err := d.Engine.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	claim(tom, "test:role:other")
	if tk := ticket(t, db, "T-000001"); tk.Status != bot.StatusEscalated {
		t.Fatalf("claimed without the role: %s", tk.Status)
	}
	claim(tina, "test:role:other", "test:role:helpdesk")
	if tk := ticket(t, db, "T-000001"); tk.Status != bot.StatusClaimed || tk.Assignee != tina {
		t.Fatalf("with the role: status %s assignee %s", tk.Status, tk.Assignee)
	}
}
