package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/internal/escape"
	"github.com/firstline-desk/firstline/kb"
	"github.com/firstline-desk/firstline/storage"
)

// hostile is what a person can type in chat to reach an operator's terminal: a screen clear, a window
// title, a clipboard write (OSC 52), a bell, the 8-bit CSI and OSC (C1), a carriage return that hides what
// came before, bidi overrides, isolates and marks, and a byte that is not UTF-8.
const hostile = "printer\x1b[2J\x1b]0;owned\x07\x1b]52;c;cm0gLXJmIH4=\x07\u009b2J\u009dx\rfake\u202etxt.exe\u2066\u2069\u200e\u200f\u061c\xff"

// mustHostileData is a data directory whose tickets, audit log and articles hold hostile text in every
// field a command prints.
func mustHostileData(t *testing.T) string {
	t.Helper()
	now := time.Now()
	tk := &bot.Ticket{Version: bot.TicketVersion, Status: bot.StatusEscalated, Tier: bot.LevelOne, Priority: "P3",
		Requester: "console:mallory", RequesterName: "Mallory " + hostile, Assignee: "console:x" + hostile,
		Subject: "my " + hostile + " jams", Conversation: bot.Conversation{Platform: "console", Channel: "help", Thread: "m1"},
		Offers:      []bot.Offer{{Article: "printer-jam", Title: "Jam " + hostile, Confidence: 0.5, Feedback: bot.FeedbackNotHelpful, At: now}},
		Transcript:  []bot.Entry{{At: now, Author: "console:mallory", Name: "Mallory " + hostile, Role: bot.RoleRequester, Text: "help " + hostile}},
		Transitions: []bot.Transition{{At: now, Type: bot.TransitionEscalated, From: bot.StatusOpen, To: bot.StatusEscalated, By: "console:mallory", Detail: "because " + hostile}},
		CSAT:        &bot.Rating{Score: 1, RatedAt: now, By: "console:mallory", Comment: hostile},
		CreatedAt:   now, UpdatedAt: now}
	data := mustStoreData(t, tk)
	db, err := storage.Open(filepath.Join(data, "firstline.db"), storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(context.Background(), func(tx bot.Tx) error {
		return tx.Audit(bot.AuditEntry{At: now, Actor: "console:mallory", Action: "refused", Target: "T-000001", Detail: hostile})
	})
	if err != nil {
		t.Fatal(err)
	}
	valid := strings.ReplaceAll(strings.ToValidUTF8(hostile, ""), "\r", "") // an article is UTF-8, its title one line
	if _, err := bot.ImportKBArticles(context.Background(), db, []kb.Article{{ID: "printer-jam", Title: "Printer jam " + valid, Body: "Open the printer " + valid + " cover."}}, "console:mallory", now); err != nil {
		t.Fatal(err)
	}
	return data
}

// mustBeInert fails when out holds a control character (other than newline and tab), a bidi control or a
// byte that is not UTF-8.
func mustBeInert(t *testing.T, what, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Fatalf("%s: bytes that are not UTF-8 in:\n%q", what, out)
	}
	for i, r := range out {
		if escape.Unsafe(r) {
			t.Fatalf("%s: raw %U at byte %d of:\n%q", what, r, i, out)
		}
	}
}

// TestOutputEscapesWhatPeopleTyped: every human-readable printer (tickets, report text and HTML, the audit
// log, kb search, check, errors quoting input) shows control characters and bidi controls as visible
// escapes, and JSON output stays valid and decodes to exactly what was stored.
func TestOutputEscapesWhatPeopleTyped(t *testing.T) {
	data := mustHostileData(t)
	html := filepath.Join(t.TempDir(), "report.html")
	for _, args := range [][]string{
		{"tickets", "list"}, {"tickets", "show", "T-000001"}, {"report", "-html", html}, {"audit"},
		{"kb", "search", "printer", "jam"}, {"kb", "export", filepath.Join(t.TempDir(), "kb"+hostile)},
		{"tickets", "show", "T-1" + hostile}, {"tickets", "list", "-status", hostile}, {"erase-user", "console:" + hostile + "x", "-dry-run"},
		{"kb", "import", t.TempDir() + hostile}, {"backup", filepath.Join(t.TempDir(), hostile)}, {"report", "-since", hostile},
	} {
		out, errOut, code := runMain(t, append(args, "-data", data)...)
		what := "firstline " + strings.Join(args, " ")
		mustBeInert(t, what+" (stdout)", out)
		mustBeInert(t, what+" (stderr)", errOut)
		if code == 0 && !strings.Contains(out+errOut, `\x1b[2J`) && !strings.Contains(args[0], "kb") && args[0] != "backup" {
			t.Fatalf("%s: no visible escape of what was typed:\n%s", what, out)
		}
	}
	page, err := os.ReadFile(html)
	if err != nil {
		t.Fatal(err)
	}
	mustBeInert(t, "the HTML report", string(page))
	if !strings.Contains(string(page), `\u202etxt.exe`) {
		t.Fatalf("the HTML report does not show the override it quotes")
	}

	for _, args := range [][]string{{"tickets", "show", "T-000001", "-json"}, {"tickets", "list", "-json"}, {"audit", "-json"}, {"report", "-json"}} {
		out, errOut, code := runMain(t, append(args, "-data", data)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		mustBeInert(t, strings.Join(args, " "), out)
		if !json.Valid([]byte(out)) {
			t.Fatalf("%v: not JSON:\n%s", args, out)
		}
	}
	out, _, _ := runMain(t, "tickets", "show", "T-000001", "-json", "-data", data)
	var tk bot.Ticket
	if err := json.Unmarshal([]byte(out), &tk); err != nil || tk.Subject != strings.ToValidUTF8("my "+hostile+" jams", "\uFFFD") {
		t.Fatalf("the JSON does not decode to the stored subject: %q (%v)", tk.Subject, err)
	}
}

// TestOutputEscapesThroughTheBinary: the same from the real program, whose stdout is a pipe here as it is
// a terminal for the operator.
func TestOutputEscapesThroughTheBinary(t *testing.T) {
	data := mustHostileData(t)
	for _, args := range [][]string{{"tickets", "list"}, {"tickets", "show", "T-000001"}, {"report"}, {"audit"}, {"tickets", "show", hostile}} {
		out, _ := exec.Command(firstlineBinary(t), append(args, "-data", data)...).CombinedOutput()
		mustBeInert(t, "firstline "+strings.Join(args, " "), string(out))
	}
}
