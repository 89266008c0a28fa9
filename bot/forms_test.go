package bot_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/bot/bottest"
	"github.com/firstline-desk/firstline/storage"
)

// formConfig is the test desk with three forms: access goes straight to Tier 2; laptop is searched like a
// question; payroll is for admins and the HR group only.
func formConfig() bot.Config {
	cfg := testConfig()
	cfg.Forms = []bot.Form{
		{ID: "access", Title: "Access request", Tier: "tier2", Priority: "P2", Fields: []bot.FormField{
			{ID: "system", Label: "Which system?", Type: bot.FieldSelect, Options: []string{"Finance share", "VPN", "Jira"}, Required: true},
			{ID: "why", Label: "Why do you need it?", Type: bot.FieldLongText, Required: true},
			{ID: "approver", Label: "Who approves?", Type: bot.FieldUser},
			{ID: "by", Label: "Needed by", Type: bot.FieldDate},
		}},
		{ID: "laptop", Title: "Laptop problem", Fields: []bot.FormField{
			{ID: "model", Label: "Model", Type: bot.FieldShortText, Required: true},
			{ID: "what", Label: "What happens?", Type: bot.FieldLongText, Required: true},
			{ID: "urgency", Label: "How urgent?", Type: bot.FieldPriority},
		}},
		{ID: "payroll", Title: "Payroll access", Tier: "tier3", Audience: []string{"test:role:hr"}, Fields: []bot.FormField{
			{ID: "who", Label: "Whose payroll?", Type: bot.FieldShortText, Required: true},
		}},
	}
	return cfg
}

func newFormDesk(t *testing.T) (*bottest.Desk, *storage.DB) {
	t.Helper()
	db := openStore(t, "")
	return bottest.NewDesk(t, formConfig(), db, testLibrary()), db
}

// refusedForm checks that a submission is refused with code, and, for a bad answer, with a problem for
// each field in fields; and that nothing was kept: no ticket, no post.
func refusedForm(t *testing.T, d *bottest.Desk, db *storage.DB, user string, roles []string, form string, values map[string]string, code string, fields ...string) {
	t.Helper()
	posts, before := d.Chat.Count(), len(tickets(t, db))
	err := d.Submit(user, roles, form, values)
	var be *bot.Error
	if !errors.As(err, &be) || be.Code != code {
		t.Fatalf("submission of %s %v: %v, want %s", form, values, err, code)
	}
	var fe bot.FieldErrors
	if len(fields) > 0 && !errors.As(err, &fe) {
		t.Fatalf("no field errors in %v", err)
	}
	for _, f := range fields {
		if fe[f] == "" {
			t.Fatalf("no problem for field %q: %v", f, fe)
		}
	}
	if len(fe) != len(fields) {
		t.Fatalf("problems %v, want for %v", fe, fields)
	}
	if d.Chat.Count() != posts || len(tickets(t, db)) != before {
		t.Fatal("a refused form posted or opened a ticket")
	}
}

// TestFormRefusals: a missing required answer, an unknown field, an over-long answer, a choice that is not
// an option, a bad date, a form the person may not use (the same as one that does not exist). Each is
// refused with nothing kept.
func TestFormRefusals(t *testing.T) {
	d, db := newFormDesk(t)
	refusedForm(t, d, db, alice, nil, "access", map[string]string{"why": "month end"}, bot.EINVALID, "system")
	refusedForm(t, d, db, alice, nil, "laptop", map[string]string{"model": "X1"}, bot.EINVALID, "what")
	refusedForm(t, d, db, alice, nil, "access", map[string]string{"system": "VPN", "why": "x", "admin": "yes"}, bot.EINVALID, "admin")
	refusedForm(t, d, db, alice, nil, "access", map[string]string{"system": "VPN", "why": strings.Repeat("x", bot.MaxLongText+1)}, bot.EINVALID, "why")
	refusedForm(t, d, db, alice, nil, "laptop", map[string]string{"model": strings.Repeat("m", bot.MaxShortText+1), "what": "x"}, bot.EINVALID, "model")
	refusedForm(t, d, db, alice, nil, "access", map[string]string{"system": "Root", "why": "x", "by": "next week"}, bot.EINVALID, "system", "by")
	refusedForm(t, d, db, alice, nil, "laptop", map[string]string{"model": "X1", "what": "x", "urgency": "P0"}, bot.EINVALID, "urgency")
	refusedForm(t, d, db, alice, nil, "access", map[string]string{"system": "VPN", "why": "x", "approver": "bob"}, bot.EINVALID, "approver")
	// A forged submission of a form alice may not see: as if there were none.
	refusedForm(t, d, db, alice, nil, "payroll", map[string]string{"who": "me"}, bot.ENOTFOUND)
	refusedForm(t, d, db, alice, nil, "nope", map[string]string{"who": "me"}, bot.ENOTFOUND)
	// The same form is HR's, and admins'.
	if err := d.Submit(bob, []string{"test:role:hr"}, "payroll", map[string]string{"who": "mine"}); err != nil {
		t.Fatal(err)
	}
	if err := d.Submit(ada, nil, "payroll", map[string]string{"who": "bob's"}); err != nil {
		t.Fatal(err)
	}
}

// TestFormGoesStraightToItsTier: an access request opens a ticket in Tier 2 with no answer from the
// knowledge base, its answers as labelled lines on the card and the receipt; the requester's reply in the
// receipt's thread reaches the card.
func TestFormGoesStraightToItsTier(t *testing.T) {
	d, db := newFormDesk(t)
	err := d.Submit(alice, nil, "access", map[string]string{"system": "vpn", "why": "I start on the\nfinance team", "approver": "test:ada", "by": "2026-11-30"})
	if err != nil {
		t.Fatal(err)
	}
	tk := ticket(t, db, "T-000001")
	if tk.Status != bot.StatusEscalated || tk.Tier != "tier2" || tk.Priority != "P2" || len(tk.Offers) != 0 {
		t.Fatalf("ticket: %s in %s, %s, %d offers", tk.Status, tk.Tier, tk.Priority, len(tk.Offers))
	}
	if tk.Form == nil || tk.Form.ID != "access" || tk.Subject != "Access request: VPN" || tk.Intake.Via != bot.IntakeForm {
		t.Fatalf("form %+v subject %q", tk.Form, tk.Subject)
	}
	card := d.Chat.Messages("tier2")[0]
	mustContain(t, "the card", card.Text(), "**Which system?**: VPN", "**Why do you need it?**\nI start on the\nfinance team", "**Needed by**: 2026-11-30")
	receipt := d.Chat.Messages("@alice")[0]
	mustContain(t, "the receipt", receipt.Text(), "I've opened **T-000001**, your Access request", "**Which system?**: VPN")
	if receipt.Ref.Thread != "" {
		t.Fatalf("the receipt is in a thread: %+v", receipt.Ref)
	}
	// What followed the receipt is in its thread.
	under := d.Chat.Thread("@alice", receipt.Ref.ID)
	if len(under) == 0 || !strings.Contains(under[0].Text(), "passed **T-000001** to **Tier 2**") {
		t.Fatalf("the receipt's thread: %d posts", len(under))
	}
	d.SayIn(alice, "@alice", receipt.Ref.ID, "also the Jira board please")
	mustContain(t, "the card's thread", d.Chat.Last("tier2").Text(), "**alice** (requester): also the Jira board please")
	if c := ticket(t, db, "T-000001").Conversation; c.Channel != "@alice" || c.Thread != receipt.Ref.ID {
		t.Fatalf("conversation after the first reply: %+v", c)
	}
	// A message at the top of the DM is a new question, not this ticket.
	d.Say(alice, "@alice", "my password expired")
	if n := len(tickets(t, db)); n != 2 {
		t.Fatalf("%d tickets", n)
	}
	// Tom replies from the card: it reaches the receipt's thread.
	d.SayIn(tom, "tier2", card.Ref.ID, "done, try now")
	if m := d.Chat.Last("@alice"); m.Ref.Thread != receipt.Ref.ID || !strings.Contains(m.Text(), "done, try now") {
		t.Fatalf("tom's reply: %+v", m)
	}
}

// TestFormWithoutTierIsSearched: a form with no tier is answered from the knowledge base like a question;
// its priority field sets the ticket's priority.
func TestFormWithoutTierIsSearched(t *testing.T) {
	d, db := newFormDesk(t)
	if err := d.Submit(bob, nil, "laptop", map[string]string{"model": "X1 Carbon", "what": "the vpn drops every hour", "urgency": "p1"}); err != nil {
		t.Fatal(err)
	}
	tk := ticket(t, db, "T-000001")
	if tk.Status != bot.StatusOpen || tk.Priority != "P1" || len(tk.Offers) == 0 || tk.Offers[0].Article != "vpn-connect" {
		t.Fatalf("ticket: %s, %s, offers %+v", tk.Status, tk.Priority, tk.Offers)
	}
	receipt := d.Chat.Messages("@bob")[0]
	answer := d.Chat.Thread("@bob", receipt.Ref.ID)
	if len(answer) == 0 || !strings.Contains(answer[0].Text(), "Connect to the VPN") {
		t.Fatalf("no answer in the receipt's thread")
	}
}

// TestNewOffersAndOpensForms: "!new" lists the forms a person may use, with buttons; "!new access" and a
// button open the form where the platform shows forms; a form they may not use is not offered.
func TestNewOffersAndOpensForms(t *testing.T) {
	d, _ := newFormDesk(t)
	d.Command(alice, "random", "!new")
	list := d.Chat.Last("@alice")
	mustContain(t, "the list", list.Text(), "Access request", "Laptop problem")
	if strings.Contains(list.Text(), "Payroll") || choiceLabels(list) != "Access request|Laptop problem" {
		t.Fatalf("the list offers %q: %s", choiceLabels(list), list.Text())
	}
	d.Command(alice, "random", "!new access")
	forms := d.Chat.Forms()
	if len(forms) != 1 || forms[0].Form.ID != "access" || forms[0].User != alice || !strings.HasPrefix(forms[0].Trigger, "trigger-") {
		t.Fatalf("forms shown: %+v", forms)
	}
	d.Click(alice, list, "Laptop problem")
	if forms = d.Chat.Forms(); len(forms) != 2 || forms[1].Form.ID != "laptop" {
		t.Fatalf("forms shown: %+v", forms)
	}
	d.Command(alice, "random", "!new payroll")
	mustContain(t, "payroll for alice", d.Chat.Last("@alice").Text(), `There is no form "payroll" that you can use`)
	if len(d.Chat.Forms()) != 2 {
		t.Fatal("a form alice may not use was shown")
	}
}

// TestFormsConfigChecked: a config's forms are checked when the engine starts.
func TestFormsConfigChecked(t *testing.T) {
	for name, f := range map[string]bot.Form{
		"no fields":      {ID: "a", Title: "A"},
		"unknown tier":   {ID: "a", Title: "A", Tier: "tier9", Fields: []bot.FormField{{ID: "x", Label: "X", Type: bot.FieldShortText}}},
		"select no opts": {ID: "a", Title: "A", Fields: []bot.FormField{{ID: "x", Label: "X", Type: bot.FieldSelect}}},
		"unknown type":   {ID: "a", Title: "A", Fields: []bot.FormField{{ID: "x", Label: "X", Type: "checkbox"}}},
		"bad priority":   {ID: "a", Title: "A", Priority: "urgent", Fields: []bot.FormField{{ID: "x", Label: "X", Type: bot.FieldShortText}}},
	} {
		cfg := testConfig()
		cfg.Forms = []bot.Form{f}
		if _, err := bot.New(cfg, openStore(t, ""), testLibrary(), nil, nil); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
