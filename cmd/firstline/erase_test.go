package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/storage"
)

// TestEraseLeavesNoWordOfThePersonInTheFile walks a ticket through the real desk (the console): alice
// asks, escalates, the card and its summary quote her, tom claims it and answers quoting her, alice
// writes more, tom resolves, alice rates with a comment; and she writes in bob's ticket too. After
// erase-user console:alice and compact, not one of the words she wrote is anywhere in the data file's
// bytes: not in a ticket, a card, a summary, a post waiting in the outbox, the console's stored chat, the
// audit log or any other record.
func TestEraseLeavesNoWordOfThePersonInTheFile(t *testing.T) {
	data := t.TempDir()
	c := startConsole(t, data)
	// Her words: each unlike anything else in the desk, so finding one anywhere means it was kept.
	words := []string{"zorblax", "periwinkle", "quasimodo", "marzipan", "gribblewort", "xylophonic", "snorkelwick"}

	out := c.send("My zorblax printer leaks periwinkle ink on the quasimodo tray")
	q := c.find(out, "#help", "alice", "zorblax")
	card := c.find(out, "#tier2", "firstline", "T-000001") // nothing in the KB: escalated at once
	if !strings.Contains(card.all(), "zorblax") {
		t.Fatalf("the card does not quote her (the test would prove little):\n%s", card.all())
	}
	out = c.send("/as tom", "/react "+card.id+" raising_hand", "/thread "+card.id,
		"Is the zorblax still leaking periwinkle ink?", "note: she says the quasimodo tray is wet")
	c.find(out, "#help>"+q.id, "firstline", "Is the zorblax still leaking")
	out = c.send("/as alice", "/in #help", "/thread "+q.id, "Yes and it smells of burnt marzipan")
	c.find(out, "#tier2>"+card.id, "firstline", "burnt marzipan")
	out = c.send("/as tom", "/react "+card.id+" white_check_mark")
	csat := c.find(out, "#help>"+q.id, "firstline", "How would you rate")
	c.send("/as alice", "/in #help", "/click "+csat.id+" 2", "/thread "+q.id, "The gribblewort smell is still there")

	// bob's ticket, where alice writes too.
	out = c.send("/as bob", "/in #help", "The office coffee machine is broken again")
	bq := c.find(out, "#help", "bob", "coffee machine")
	c.send("/as alice", "/in #help", "/thread "+bq.id, "Mine makes xylophonic noises too, snorkelwick style")
	c.close()

	path := filepath.Join(data, "firstline.db")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range words {
		if !bytes.Contains(bytes.ToLower(raw), []byte(w)) {
			t.Fatalf("%q is not in the file before the erasure: the test would prove nothing", w)
		}
	}
	if out, err := runCLI(t, "erase-user", "console:alice", "-data", data); err != nil || !strings.Contains(out, "Erased console:alice") {
		t.Fatalf("erase-user: %v\n%s", err, out)
	}
	if out, err := runCLI(t, "compact", "-data", data); err != nil {
		t.Fatalf("compact: %v\n%s", err, out)
	}
	raw, err = os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	low := bytes.ToLower(raw)
	for _, w := range words {
		if i := bytes.Index(low, []byte(w)); i >= 0 {
			t.Errorf("%q is still in the data file: ...%q...", w, raw[max(0, i-120):min(len(raw), i+80)])
		}
	}
	if out, err := runCLI(t, "check", "-data", data); err != nil {
		t.Fatalf("check after the erasure: %v\n%s", err, out)
	}
}

// TestEraseUserCountsWebSessions checks that erase-user says how many of the person's web console
// sessions and sign-in links it deleted, and that a person with nothing else in the file is not "found
// nothing" when they had sessions.
func TestEraseUserCountsWebSessions(t *testing.T) {
	data := t.TempDir()
	db, err := storage.Open(filepath.Join(data, "firstline.db"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, key := range []string{"s1", "s2"} {
		if err := db.PutWebRecord(ctx, "session", key, "slack:UALICE", time.Time{}, []byte(`{}`), bot.AuditEntry{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runMain(t, "erase-user", "-dry-run", "slack:UALICE", "-data", data)
	if code != 0 || !strings.Contains(out, "2 web console sessions and sign-in links deleted") {
		t.Fatalf("erase-user -dry-run: exit %d\n%s%s", code, out, errOut)
	}
	out, errOut, code = runMain(t, "erase-user", "slack:UALICE", "-data", data)
	if code != 0 || !strings.Contains(out, "Erased slack:UALICE") || !strings.Contains(out, "2 web console sessions and sign-in links deleted") {
		t.Fatalf("erase-user: exit %d\n%s%s", code, out, errOut)
	}
	out, _, _ = runMain(t, "erase-user", "slack:UALICE", "-data", data)
	if !strings.Contains(out, "Found nothing of slack:UALICE") {
		t.Fatalf("erase-user again:\n%s", out)
	}
}
