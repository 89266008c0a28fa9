package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/bot/bottest"
	"github.com/firstline-desk/firstline/kb"
	"github.com/firstline-desk/firstline/redact"
	"github.com/firstline-desk/firstline/storage"
)

// walkthroughStep is one line of the README's demo: what to type, and what the README says it does.
type walkthroughStep struct {
	input, note string
}

// readmeWalkthrough extracts the ```text block of "The demo, step by step" from README.md.
func readmeWalkthrough(t *testing.T) []walkthroughStep {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## The demo, step by step\n")
	if !ok {
		t.Fatal(`README.md has no "## The demo, step by step"`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	_, block, ok := strings.Cut(section, "\n```text\n")
	if !ok {
		t.Fatal("the demo section has no ```text block")
	}
	block, _, ok = strings.Cut(block, "\n```")
	if !ok {
		t.Fatal("the demo's ```text block does not end")
	}
	var steps []walkthroughStep
	for _, l := range strings.Split(block, "\n") {
		in, note, _ := strings.Cut(l, "←")
		steps = append(steps, walkthroughStep{input: strings.TrimSpace(in), note: strings.TrimSpace(note)})
	}
	if len(steps) < 10 {
		t.Fatalf("the walkthrough has %d lines", len(steps))
	}
	return steps
}

// runWalkthrough types the steps into the real program's console on a fresh data directory, with a
// marker after each, and returns what each step printed and the data directory.
func runWalkthrough(t *testing.T, steps []walkthroughStep) ([]string, string) {
	t.Helper()
	data := t.TempDir()
	var script strings.Builder
	for i, s := range steps {
		fmt.Fprintf(&script, "%s\n/echo --- step %d ---\n", s.input, i)
	}
	var out, errOut bytes.Buffer
	m := &Main{Stdin: strings.NewReader(script.String()), Stdout: &out, Stderr: &errOut, Getenv: noEnv,
		Clock: bottest.NewClock(time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC))}
	if code := m.Run(context.Background(), []string{"-data", data}); code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errOut.String(), out.String())
	}
	segments := make([]string, len(steps))
	rest := out.String()
	for i := range steps {
		var seg string
		var ok bool
		seg, rest, ok = strings.Cut(rest, fmt.Sprintf("--- step %d ---\n", i))
		if !ok {
			t.Fatalf("no marker after step %d (%q):\n%s", i, steps[i].input, out.String())
		}
		segments[i] = seg
	}
	return segments, data
}

var namedID = regexp.MustCompile(`\bm\d+\b`)

// TestReadmeWalkthrough types the README's demo, line by line as it is written there, into the real
// program on a fresh data directory, and checks that what the annotations say happens: every message id
// an annotation names is printed by its line, the claim succeeds, the relays are marked, the note stays
// internal, the rating is stored. Then it runs it again, 20 times, and compares the output byte for byte:
// the same lines on a fresh data directory give the same ids and the same output every time.
func TestReadmeWalkthrough(t *testing.T) {
	steps := readmeWalkthrough(t)
	segs, data := runWalkthrough(t, steps)
	all := strings.Join(segs, "")
	if strings.Contains("\n"+all, "\n! ") {
		t.Fatalf("the console reported a mistake:\n%s", all)
	}
	var note string
	for i, s := range steps {
		for _, id := range namedID.FindAllString(s.note, -1) {
			if !strings.Contains(segs[i], "] "+id+" ") {
				t.Errorf("%q: the README says %s, but it printed no message %s:\n%s", s.input, s.note, id, segs[i])
			}
		}
		if after, ok := strings.CutPrefix(s.input, "note:"); ok {
			note = strings.TrimSpace(after)
		}
	}
	for _, want := range []string{
		"[#help] m1 alice: ",                           // the question
		"[#help>m1] m2 firstline: Here's what I found", // the answer, in its thread
		"[#tier2] m4 firstline: T-000001:",             // the card
		"[#tier2] m4 (edited) firstline: T-000001:",    // claimed: the card shows the owner
		"Owner: tom",
		"firstline: tom (Tier 2) picked up T-000001",
		"firstline: tom (Tier 2): Which error do you see?",
		"[#tier2>m4] m11 firstline: alice (requester): It says error 809",
		"[#tier3] m12 firstline: T-000001:",
		"firstline: sara (Tier 3) picked up T-000001",
		"[#help>m1] m15 firstline: sara resolved T-000001. How would you rate",
		"Thank you for rating T-000001 5/5",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("the walkthrough printed no %q:\n%s", want, all)
		}
	}
	if note == "" {
		t.Fatal("the walkthrough has no internal note")
	}
	for _, l := range strings.Split(all, "\n") {
		if strings.HasPrefix(l, "[#help") && strings.Contains(l, note) {
			t.Errorf("the internal note reached the requester: %s", l)
		}
	}

	db, err := storage.Open(filepath.Join(data, "firstline.db"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var tk *bot.Ticket
	err = db.View(context.Background(), func(tx bot.Tx) error {
		tk, err = tx.Ticket("T-000001")
		return err
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if tk.CSAT == nil || tk.CSAT.Score != 5 || tk.Status != bot.StatusResolved || tk.Assignee != "console:sara" || tk.Tier != "tier3" {
		t.Fatalf("stored ticket: status %s tier %s assignee %s rating %+v", tk.Status, tk.Tier, tk.Assignee, tk.CSAT)
	}
	internal := false
	for _, e := range tk.Transcript {
		if strings.Contains(e.Text, note) {
			internal = e.Internal && e.Role == bot.RoleTechnician
		}
	}
	if !internal {
		t.Fatalf("the note is not stored as tom's internal note: %+v", tk.Transcript)
	}

	runs := 20
	if testing.Short() {
		runs = 3
	}
	for i := range runs {
		again, _ := runWalkthrough(t, steps)
		if got := strings.Join(again, ""); got != all {
			t.Fatalf("run %d printed something else than the first:\n%s", i+2, lineDiff(all, got))
		}
	}
}

// lineDiff shows the first line where two outputs differ.
func lineDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range max(len(al), len(bl)) {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("line %d:\n first: %s\n   now: %s", i+1, x, y)
		}
	}
	return "(same lines)"
}

// TestConsoleMultiLineAndRedaction types, into the real program's console, an article in several lines
// (a trailing backslash continues a message) and a question with a password: the article is added and
// shown, and the password is in neither the output, the data file's bytes nor the log.
func TestConsoleMultiLineAndRedaction(t *testing.T) {
	const secret = "Sh4red-Pw-Kiosk9"
	data := t.TempDir()
	script := strings.Join([]string{
		"/as ada",
		`!kb add\`,
		`Kiosk printer paper jam\`,
		`Open tray 2 and pull the paper out gently.\`,
		`tags: printer`,
		"!kb show kiosk-printer-paper-jam",
		"/as alice",
		"the kiosk asks for a password: " + secret,
	}, "\n") + "\n"
	var out, errOut bytes.Buffer
	m := &Main{Stdin: strings.NewReader(script), Stdout: &out, Stderr: &errOut, Getenv: noEnv}
	if code := m.Run(context.Background(), []string{"-data", data}); code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errOut.String(), out.String())
	}
	for _, want := range []string{
		"[#help] m1 ada: !kb add\n  Kiosk printer paper jam\n  Open tray 2 and pull the paper out gently.\n  tags: printer\n",
		"Open tray 2 and pull the paper out gently.",
		"alice: the kiosk asks for a password: [redacted password]",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if n := strings.Count(out.String(), "Open tray 2 and pull the paper out gently."); n < 2 {
		t.Errorf("the article is not shown by !kb show:\n%s", out.String())
	}
	for _, f := range []string{"firstline.db", "firstline.log"} {
		b, err := os.ReadFile(filepath.Join(data, f))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("%s holds the password typed in the console", f)
		}
	}
	if strings.Contains(out.String(), secret) {
		t.Errorf("the console printed the password")
	}
}

// TestDemoArticlesSurviveRedaction: every post is redacted, answers quoting articles included, so an
// article that redaction changes would reach the demo's users mangled ("the old password: [redacted
// password] Forget network"). The demo's articles must come through unchanged.
func TestDemoArticlesSurviveRedaction(t *testing.T) {
	sub, err := fs.Sub(demoFS, "demo/kb")
	if err != nil {
		t.Fatal(err)
	}
	articles, err := kb.ReadDir(sub, ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range articles {
		r := a
		if redact.Fields(&r) {
			t.Errorf("redaction changes the demo article %s:\n%s", a.ID, lineDiff(a.Title+"\n"+a.Body, r.Title+"\n"+r.Body))
		}
	}
}
