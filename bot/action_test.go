package bot_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/bot/bottest"
	"github.com/firstline-desk/firstline/storage"
)

// escalatedDesk is a desk with alice's T-000001 waiting in Tier 2, unclaimed.
func escalatedDesk(t *testing.T) (*bottest.Desk, *storage.DB, string) {
	t.Helper()
	d, db := newDesk(t)
	q := d.Say(alice, "help", "the printer on floor 3 is on fire")
	if tk := ticket(t, db, "T-000001"); tk.Status != bot.StatusEscalated || tk.Tier != "tier2" {
		t.Fatalf("fixture: T-000001 is %s in %s", tk.Status, tk.Tier)
	}
	return d, db, q
}

// mustAct takes an action and fails the test on a refusal.
func mustAct(t *testing.T, d *bottest.Desk, user, id string, a bot.Action, arg string) {
	t.Helper()
	if err := d.Act(user, id, a, arg); err != nil {
		t.Fatalf("%s %s by %s: %v", a, id, user, err)
	}
}

// refused checks that an action is refused with code and a sentence containing want, and that nothing
// was written: the ticket is as it was.
func refused(t *testing.T, d *bottest.Desk, db *storage.DB, user, id string, a bot.Action, arg, code, want string) {
	t.Helper()
	before := ticket(t, db, id)
	posts := d.Chat.Count()
	err := d.Act(user, id, a, arg)
	var be *bot.Error
	if !errors.As(err, &be) || be.Code != code || !strings.Contains(be.Message, want) {
		t.Fatalf("%s by %s: %v, want %s %q", a, user, err, code, want)
	}
	after := ticket(t, db, id)
	if after.Status != before.Status || after.Assignee != before.Assignee || after.Priority != before.Priority ||
		len(after.Transcript) != len(before.Transcript) || len(after.Transitions) != len(before.Transitions) {
		t.Fatalf("a refused %s changed the ticket", a)
	}
	if d.Chat.Count() != posts {
		t.Fatalf("a refused %s posted in chat", a)
	}
}

// A claim from the web is the card's claim: the card shows the owner, the requester is told, the
// transition is audited.
func TestActionClaimEditsTheCard(t *testing.T) {
	d, db, q := escalatedDesk(t)
	refused(t, d, db, sara, "T-000001", bot.ActionClaim, "", bot.EUNAUTHORIZED, "Only members of Tier 2")
	refused(t, d, db, alice, "T-000001", bot.ActionClaim, "", bot.EUNAUTHORIZED, "Only members of Tier 2")
	refused(t, d, db, ada, "T-000001", bot.ActionClaim, "", bot.EUNAUTHORIZED, "Only members of Tier 2")
	mustAct(t, d, tom, "T-000001", bot.ActionClaim, "")
	card := d.Chat.Messages("tier2")[0]
	if card.Field("Owner") != "tom" || card.Field("Status") != "claimed" {
		t.Fatalf("card after a web claim: owner %q status %q", card.Field("Owner"), card.Field("Status"))
	}
	mustContain(t, "requester's thread", d.Chat.Last("help").Text(), "**tom** (Tier 2) picked up **T-000001**")
	if d.Chat.Last("help").Ref.Thread != q {
		t.Fatalf("the notice is not in the requester's thread")
	}
	// Claimed again by its owner: nothing to do. By another member: refused, with who owns it.
	mustAct(t, d, tom, "T-000001", bot.ActionClaim, "")
	refused(t, d, db, tina, "T-000001", bot.ActionClaim, "", bot.ECONFLICT, "already claimed by tom")
	if tk := ticket(t, db, "T-000001"); tk.Status != bot.StatusClaimed || tk.Assignee != tom {
		t.Fatalf("ticket: %s by %s", tk.Status, tk.Assignee)
	}
	entries, err := db.AuditEntries(context.Background(), time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	claims := 0
	for _, e := range entries {
		if e.Action == "ticket.claimed" && e.Actor == tom && e.Target == "T-000001" {
			claims++
		}
	}
	if claims != 1 {
		t.Fatalf("%d ticket.claimed audit entries by tom, want 1", claims)
	}
	noWebEffects(t, db)
}

// A reply from the web reaches the requester's thread, marked with the technician's name and tier, and
// shows in the card's thread; a note reaches only the card's thread.
func TestActionReplyAndNote(t *testing.T) {
	d, db, q := escalatedDesk(t)
	mustAct(t, d, tom, "T-000001", bot.ActionClaim, "")
	refused(t, d, db, sara, "T-000001", bot.ActionReply, "hello", bot.EUNAUTHORIZED, "Only members of Tier 2 and admins")
	refused(t, d, db, alice, "T-000001", bot.ActionNote, "hmm", bot.EUNAUTHORIZED, "Only members of Tier 2 and admins")
	refused(t, d, db, tom, "T-000001", bot.ActionReply, "   ", bot.EINVALID, "Write something")

	mustAct(t, d, tom, "T-000001", bot.ActionReply, "Unplug it and step away, please.")
	last := d.Chat.Last("help")
	if last.Ref.Thread != q || last.Text() != "**tom** (Tier 2): Unplug it and step away, please." {
		t.Fatalf("requester's thread: %q in %q", last.Text(), last.Ref.Thread)
	}
	card := d.Chat.Messages("tier2")[0]
	mustContain(t, "card thread", d.Chat.Last("tier2").Text(), "**tom** replied to the requester: Unplug it")
	if d.Chat.Last("tier2").Ref.Thread != card.Ref.ID {
		t.Fatalf("the reply's copy is not in the card's thread")
	}

	helpBefore := len(d.Chat.Messages("help"))
	mustAct(t, d, ada, "T-000001", bot.ActionNote, "Facilities called.")
	if len(d.Chat.Messages("help")) != helpBefore {
		t.Fatalf("a note reached the requester: %q", d.Chat.Last("help").Text())
	}
	mustContain(t, "card thread", d.Chat.Last("tier2").Text(), "**ada** added a note (internal): Facilities called.")
	tk := ticket(t, db, "T-000001")
	n := len(tk.Transcript)
	if e := tk.Transcript[n-1]; !e.Internal || e.Author != ada || e.Text != "Facilities called." {
		t.Fatalf("note in the transcript: %+v", e)
	}
	if e := tk.Transcript[n-2]; e.Internal || e.Author != tom || e.Role != bot.RoleTechnician {
		t.Fatalf("reply in the transcript: %+v", e)
	}
	noWebEffects(t, db)
}

func TestActionPriorityEscalateResolveRateReopen(t *testing.T) {
	d, db, _ := escalatedDesk(t)
	refused(t, d, db, tom, "T-000001", bot.ActionPriority, "P9", bot.EINVALID, "P1 (most urgent) to P4")
	refused(t, d, db, alice, "T-000001", bot.ActionPriority, "P1", bot.EUNAUTHORIZED, "Only technicians")
	refused(t, d, db, tom, "T-000001", bot.ActionPriority, "p3", bot.ECONFLICT, "already P3")
	mustAct(t, d, tom, "T-000001", bot.ActionPriority, "p1")
	if tk := ticket(t, db, "T-000001"); tk.Priority != "P1" {
		t.Fatalf("priority %s", tk.Priority)
	}
	if got := d.Chat.Messages("tier2")[0].Field("Priority"); got != "P1" {
		t.Fatalf("card priority %q", got)
	}
	mustContain(t, "card thread", d.Chat.Last("tier2").Text(), "**tom** made **T-000001** P1 (was P3)")

	refused(t, d, db, sara, "T-000001", bot.ActionEscalate, "", bot.EUNAUTHORIZED, "Only members of Tier 2")
	mustAct(t, d, tina, "T-000001", bot.ActionEscalate, "")
	if tk := ticket(t, db, "T-000001"); tk.Tier != "tier3" || tk.Status != bot.StatusEscalated {
		t.Fatalf("after escalating: %s %s", tk.Tier, tk.Status)
	}
	if len(d.Chat.Messages("tier3")) != 1 {
		t.Fatalf("no card in Tier 3")
	}
	mustAct(t, d, sara, "T-000001", bot.ActionClaim, "")
	refused(t, d, db, sara, "T-000001", bot.ActionEscalate, "", bot.ECONFLICT, "the last tier")

	refused(t, d, db, tom, "T-000001", bot.ActionResolve, "", bot.EUNAUTHORIZED, "members of Tier 3 and admins can resolve")
	refused(t, d, db, alice, "T-000001", bot.ActionReopen, "", bot.ECONFLICT, "not resolved")
	mustAct(t, d, alice, "T-000001", bot.ActionResolve, "")
	if tk := ticket(t, db, "T-000001"); tk.Status != bot.StatusResolved || tk.ResolvedBy != alice {
		t.Fatalf("after resolving: %s by %s", tk.Status, tk.ResolvedBy)
	}
	refused(t, d, db, alice, "T-000001", bot.ActionResolve, "", bot.ECONFLICT, "already resolved")

	refused(t, d, db, sara, "T-000001", bot.ActionRate, "5", bot.EUNAUTHORIZED, "Only alice can rate")
	refused(t, d, db, alice, "T-000001", bot.ActionRate, "6", bot.EINVALID, "from 1 (poor) to 5")
	mustAct(t, d, alice, "T-000001", bot.ActionRate, "4")
	if tk := ticket(t, db, "T-000001"); tk.CSAT == nil || tk.CSAT.Score != 4 {
		t.Fatalf("rating: %+v", tk.CSAT)
	}
	refused(t, d, db, alice, "T-000001", bot.ActionRate, "5", bot.ECONFLICT, "already rated")

	refused(t, d, db, tom, "T-000001", bot.ActionReopen, "", bot.EUNAUTHORIZED, "Only alice, members of Tier 3 and admins")
	mustAct(t, d, sara, "T-000001", bot.ActionReopen, "")
	tk := ticket(t, db, "T-000001")
	if tk.Status != bot.StatusClaimed || tk.Assignee != sara {
		t.Fatalf("after reopening: %s, %s", tk.Status, tk.Assignee)
	}
	cards := d.Chat.Messages("tier3")
	var newest *bottest.Message
	for _, m := range cards {
		if m.Post.Title != "" {
			newest = m
		}
	}
	mustContain(t, "new card", newest.Text(), "reopened by sara")
	noWebEffects(t, db)
}

func TestActionReopenWindowAndLevelOne(t *testing.T) {
	d, db, _ := escalatedDesk(t)
	mustAct(t, d, tom, "T-000001", bot.ActionResolve, "")
	d.Clock.Advance(testConfig().ReopenWindow + time.Hour)
	refused(t, d, db, alice, "T-000001", bot.ActionReopen, "", bot.ECONFLICT, "more than 7 days ago")
	mustAct(t, d, tom, "T-000001", bot.ActionReopen, "") // the tier may, at any time

	// A ticket the knowledge base solved is reopened by writing in its thread.
	q := d.Say(bob, "help", "I forgot my password")
	d.Click(bob, d.Chat.Thread("help", q)[0], "Solved")
	refused(t, d, db, bob, "T-000002", bot.ActionReopen, "", bot.ECONFLICT, "writing in its thread")
}

func TestActionRelease(t *testing.T) {
	d, db, _ := escalatedDesk(t)
	refused(t, d, db, tom, "T-000001", bot.ActionRelease, "", bot.ECONFLICT, "not claimed")
	mustAct(t, d, tom, "T-000001", bot.ActionClaim, "")
	refused(t, d, db, tina, "T-000001", bot.ActionRelease, "", bot.EUNAUTHORIZED, "Only tom, who owns")
	refused(t, d, db, ada, "T-000001", bot.ActionRelease, "", bot.EUNAUTHORIZED, "Only tom, who owns")
	mustAct(t, d, tom, "T-000001", bot.ActionRelease, "")
	if tk := ticket(t, db, "T-000001"); tk.Status != bot.StatusEscalated || tk.Assignee != "" {
		t.Fatalf("after release: %s %q", tk.Status, tk.Assignee)
	}
	if got := d.Chat.Messages("tier2")[0].Field("Owner"); got != "unclaimed" {
		t.Fatalf("card owner after release: %q", got)
	}
}

// Someone else's ticket is not found for an employee; an unknown ticket or action is refused; an
// action sent twice (a form submitted twice) acts once.
func TestActionVisibilityAndDedup(t *testing.T) {
	d, db, _ := escalatedDesk(t)
	refused(t, d, db, bob, "T-000001", bot.ActionResolve, "", bot.ENOTFOUND, "not yours to see")
	if err := d.Act(tom, "T-000099", bot.ActionClaim, ""); bot.ErrorCode(err) != bot.ENOTFOUND {
		t.Fatalf("claim of an unknown ticket: %v", err)
	}
	refused(t, d, db, tom, "T-000001", bot.Action("delete"), "", bot.EINVALID, "not something")

	ev := bot.Event{Kind: bot.EventAction, ID: "form-1", Platform: bottest.ActionPlatform, User: tom, UserName: "tom", Ticket: "T-000001", Action: bot.ActionReply, Text: "on my way"}
	mustAct(t, d, tom, "T-000001", bot.ActionClaim, "")
	for range 2 {
		if err := d.Handle(ev); err != nil {
			t.Fatal(err)
		}
	}
	replies := 0
	for _, m := range d.Chat.Messages("help") {
		if strings.Contains(m.Text(), "on my way") {
			replies++
		}
	}
	if replies != 1 {
		t.Fatalf("a reply sent twice was relayed %d times", replies)
	}
}

// noWebEffects checks that nothing waits in the outbox: no effect was addressed to the web.
func noWebEffects(t *testing.T, db *storage.DB) {
	t.Helper()
	var effs []bot.Effect
	if err := db.View(context.Background(), func(tx bot.Tx) error {
		var err error
		effs, err = tx.Effects(0, 0)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for _, e := range effs {
		t.Errorf("effect left in the outbox: %s to %s (%q)", e.Kind, e.Platform, e.Post.Text)
	}
}
