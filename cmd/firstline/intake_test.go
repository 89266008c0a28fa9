package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
)

// TestValidateIntake: every problem of [reactions] ticket, [files] and [[forms]] is listed, naming its key.
func TestValidateIntake(t *testing.T) {
	bad := minimal + `
[reactions]
ticket = "arrow_up"
[files]
max_bytes = -1
refuse = ["exe"]
[[forms]]
id = "access"
title = "Access"
tier = "tier9"
priority = "urgent"
audience = ["hr"]
[[forms.fields]]
id = "system"
label = "Which?"
type = "checkbox"
[[forms.fields]]
id = "system"
label = "Pick"
type = "select"
[[forms]]
id = "access"
title = "Again"
[[forms.fields]]
id = "x"
label = "X"
type = "short_text"
`
	_, err := ParseConfig("bad.toml", []byte(bad), noEnv)
	if err == nil {
		t.Fatal("no error")
	}
	for _, w := range []string{`reactions.ticket: "arrow_up" is already another reaction`, "files: max_bytes -1 is negative", `files: refuse "exe"`,
		`forms[0].audience[0]: "hr"`, `tier "tier9" is not one of the tiers`, `priority "urgent"`, `type "checkbox"`,
		`field "system" is defined twice`, "a select field needs options", `form "access" is defined twice`} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("the error does not mention %s:\n%v", w, err)
		}
	}
	good := minimal + `
[[forms]]
id = "laptop"
title = "Laptop"
[[forms.fields]]
id = "what"
label = "What happens?"
type = "long_text"
required = true
`
	cfg, err := ParseConfig("good.toml", []byte(good), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if b := cfg.Bot(); b.Reactions.Ticket != "ticket" || b.Files.MaxBytes != 20_000_000 || len(b.Forms) != 1 || !b.Forms[0].Fields[0].Required {
		t.Fatalf("bot config: %+v %+v %+v", b.Reactions, b.Files, b.Forms)
	}
}

// TestTicketShowsIntake: tickets show names who opened a ticket from a message or a form, the form's
// answers and the attachments, refused ones with why.
func TestTicketShowsIntake(t *testing.T) {
	at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	tk := &bot.Ticket{ID: "T-000007", Subject: "Access request: VPN", Status: bot.StatusEscalated, Tier: "tier2", Priority: "P2",
		Requester: "slack:UALICE", RequesterName: "alice", CreatedAt: at,
		Intake: &bot.Intake{Via: bot.IntakeForm, By: "slack:UALICE", ByName: "alice"},
		Form:   &bot.FormRecord{ID: "access", Title: "Access request", Answers: []bot.FormAnswer{{Field: "system", Label: "Which system?", Value: "VPN"}, {Field: "approver", Label: "Who approves?", Type: bot.FieldUser, Value: "slack:UADA", Display: "ada"}}},
		Files: []bot.Attachment{
			{File: bot.File{Platform: "slack", ID: "F1", Name: "screen.png", Type: "image/png", Size: 120}, From: "slack:UALICE", FromName: "alice", Side: bot.RoleRequester, At: at},
			{File: bot.File{Platform: "slack", ID: "F2", Name: "setup.exe"}, From: "slack:UALICE", FromName: "alice", Side: bot.RoleRequester, At: at, Refused: "the desk does not take .exe files"},
		},
	}
	var b bytes.Buffer
	showTicket(&b, tk, nil)
	for _, want := range []string{"Opened by:  alice (form)", "Form access (Access request):", "Which system?: VPN", "Who approves?: ada (slack:UADA)",
		"Attachments:", "screen.png (image/png, 120 bytes) from alice [slack F1]", "setup.exe (-) from alice [slack F2] not passed on: the desk does not take .exe files"} {
		if !strings.Contains(b.String(), want) {
			t.Fatalf("tickets show lacks %q:\n%s", want, b.String())
		}
	}
}

// TestTicketShowSaysTheDeskResolvedIt: a ticket the desk resolved on its own (a monitor's "resolved", an
// action request that ended) reads "by the desk", not "by " and nothing.
func TestTicketShowSaysTheDeskResolvedIt(t *testing.T) {
	at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	tk := &bot.Ticket{ID: "T-000009", Subject: "Print spooler down", Status: bot.StatusResolved, Tier: "tier2", Priority: "P2",
		Requester: "alerts:alertmanager", RequesterName: "Alertmanager", CreatedAt: at, ResolvedAt: &at}
	var b bytes.Buffer
	showTicket(&b, tk, nil)
	if !strings.Contains(b.String(), "Resolved:   2026-11-02 09:00:00 by the desk\n") {
		t.Fatalf("tickets show:\n%s", b.String())
	}
}
