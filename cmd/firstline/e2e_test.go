package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/storage"
)

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// firstlineBinary builds the real program once for the end-to-end tests.
func firstlineBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "firstline-e2e")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "firstline")
		args := []string{"build", "-o", binary}
		if raceEnabled {
			args = append(args, "-race")
		}
		out, err := exec.Command("go", append(args, ".")...).CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binary
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binary != "" {
		os.RemoveAll(filepath.Dir(binary))
	}
	os.Exit(code)
}

// console is the real binary's console driven line by line, as a person would type.
type session struct {
	t     *testing.T
	cmd   *exec.Cmd
	in    io.WriteCloser
	out   *bufio.Reader
	marks int
	log   strings.Builder
}

func startConsole(t *testing.T, data string, args ...string) *session {
	t.Helper()
	cmd := exec.Command(firstlineBinary(t), append([]string{"-data", data}, args...)...)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &session{t: t, cmd: cmd, in: in, out: bufio.NewReader(out)}
	c.send("") // read the welcome
	return c
}

// send types lines and returns everything printed until they are all handled.
func (c *session) send(lines ...string) []string {
	c.t.Helper()
	c.marks++
	mark := fmt.Sprintf("--- mark %d ---", c.marks)
	var input strings.Builder
	for _, l := range lines {
		input.WriteString(l + "\n")
	}
	input.WriteString("/echo " + mark + "\n")
	if _, err := io.WriteString(c.in, input.String()); err != nil {
		c.t.Fatalf("write to console: %v", err)
	}
	var got []string
	for {
		line, err := c.out.ReadString('\n')
		c.log.WriteString(line)
		if err != nil {
			c.t.Fatalf("console ended early (%v); output so far:\n%s", err, c.log.String())
		}
		line = strings.TrimRight(line, "\n")
		if line == mark {
			return got
		}
		got = append(got, line)
	}
}

func (c *session) close() {
	c.t.Helper()
	c.in.Close()
	rest, _ := io.ReadAll(c.out)
	c.log.Write(rest)
	if err := c.cmd.Wait(); err != nil {
		c.t.Fatalf("console exited with %v; output:\n%s", err, c.log.String())
	}
}

var msgLine = regexp.MustCompile(`^\[(\S+)\] (m\d+)( \(edited\))? (\S+): (.*)$`)

type printed struct {
	place, id, author, text string
	edited                  bool
	more                    []string // continuation lines
}

func (p printed) all() string { return p.text + "\n" + strings.Join(p.more, "\n") }

func messages(lines []string) []printed {
	var out []printed
	for _, l := range lines {
		if m := msgLine.FindStringSubmatch(l); m != nil {
			out = append(out, printed{place: m[1], id: m[2], edited: m[3] != "", author: m[4], text: m[5]})
		} else if strings.HasPrefix(l, "  ") && len(out) > 0 {
			out[len(out)-1].more = append(out[len(out)-1].more, l)
		}
	}
	return out
}

// find returns the first message printed in place by author whose text contains want.
func (c *session) find(lines []string, place, author, want string) printed {
	c.t.Helper()
	for _, m := range messages(lines) {
		if m.place == place && m.author == author && strings.Contains(m.all(), want) {
			return m
		}
	}
	c.t.Fatalf("no message in %s by %s containing %q in:\n%s", place, author, want, strings.Join(lines, "\n"))
	return printed{}
}

func (c *session) none(lines []string, place string) {
	c.t.Helper()
	for _, m := range messages(lines) {
		if m.place == place {
			c.t.Fatalf("unexpected message in %s: %+v\nall output:\n%s", place, m, strings.Join(lines, "\n"))
		}
	}
}

func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command(firstlineBinary(t), args...).CombinedOutput()
	return string(out), err
}

// TestEndToEnd walks the whole story of a ticket through the real binary's console: ask, answer, not
// helpful, escalate, claim, relay both ways, escalate to Tier 3, resolve, rate; then a restart, and the
// stored ticket as JSON.
func TestEndToEnd(t *testing.T) {
	data := t.TempDir()
	c := startConsole(t, data)

	out := c.send("My VPN will not connect from home")
	c.find(out, "#help", "alice", "My VPN will not connect")
	ans := c.find(out, "#help>m1", "firstline", "vpn-connect")
	if !strings.Contains(ans.all(), "[1] Solved  [2] Not helpful  [3] Talk to a human") {
		t.Fatalf("answer without the three choices: %+v", ans)
	}

	out = c.send("/click " + ans.id + " not helpful")
	next := messages(out)[len(messages(out))-1]
	if next.place != "#help>m1" || next.author != "firstline" {
		t.Fatalf("no follow-up after not helpful:\n%s", strings.Join(out, "\n"))
	}
	if strings.Contains(next.all(), "Not helpful") {
		out = c.send("/click " + next.id + " not helpful") // a second "not helpful" escalates
	} else {
		out = c.send("/click " + next.id + " talk to a human") // the clarifying question offers a human
	}
	card := c.find(out, "#tier2", "firstline", "T-000001")
	c.find(out, "#help>m1", "firstline", "passed T-000001 to Tier 2")
	for _, want := range []string{"Requester: alice", "Priority: P3", "Owner: unclaimed", "Status: escalated", "My VPN will not connect", "vpn-connect", "not helpful"} {
		if !strings.Contains(card.all(), want) {
			t.Fatalf("card lacks %q:\n%s", want, card.all())
		}
	}

	out = c.send("/as sara", "/react "+card.id+" raising_hand")
	c.find(out, "#tier2>"+card.id, "firstline", "Only members of Tier 2 can claim")

	out = c.send("/as tom", "/react "+card.id+" raising_hand")
	if claimed := c.find(out, "#tier2", "firstline", "Owner: tom"); !claimed.edited || claimed.id != card.id {
		t.Fatalf("the card was not edited to show its owner: %+v", claimed)
	}
	c.find(out, "#help>m1", "firstline", "tom (Tier 2) picked up T-000001")

	out = c.send("/thread "+card.id, "Which error do you see on the VPN shield?", "note: probably the expired gateway cert")
	c.find(out, "#help>m1", "firstline", "tom (Tier 2): Which error do you see")
	for _, m := range messages(out) {
		if strings.Contains(m.text, "expired gateway cert") && m.place == "#help>m1" {
			t.Fatalf("an internal note reached the requester: %+v", m)
		}
	}

	out = c.send("/as alice", "/in #help", "/thread m1", "It says error 809")
	c.find(out, "#tier2>"+card.id, "firstline", "alice (requester): It says error 809")
	for _, m := range messages(out) {
		if m.place == "#help>m1" && m.author == "firstline" {
			t.Fatalf("the bot answered while a technician owns the ticket: %+v", m)
		}
	}

	out = c.send("/as tom", "/react "+card.id+" arrow_up")
	card3 := c.find(out, "#tier3", "firstline", "T-000001")
	c.find(out, "#tier2", "firstline", "escalated to Tier 3")
	c.find(out, "#help>m1", "firstline", "moved to Tier 3")

	out = c.send("/as sara", "/react "+card3.id+" raising_hand", "/thread "+card3.id, "I renewed the gateway certificate, please try again", "/react "+card3.id+" white_check_mark")
	c.find(out, "#help>m1", "firstline", "sara (Tier 3): I renewed the gateway certificate")
	csat := c.find(out, "#help>m1", "firstline", "How would you rate")
	if !strings.Contains(csat.all(), "[1] 1  [2] 2  [3] 3  [4] 4  [5] 5") {
		t.Fatalf("rating without buttons 1-5: %s", csat.all())
	}

	out = c.send("/as alice", "/click "+csat.id+" 5")
	c.find(out, "#help>m1", "firstline", "Thank you for rating T-000001 5/5")

	// A second ticket left waiting in Tier 2 across the restart.
	out = c.send("/in #help", "The projector in room 4.12 shows a purple tint")
	q2 := c.find(out, "#help", "alice", "projector")
	out = c.send("/thread "+q2.id, "!escalate")
	waiting := c.find(out, "#tier2", "firstline", "T-000002")
	c.close()

	c = startConsole(t, data)
	out = c.send("/as tom", "/react "+waiting.id+" raising_hand")
	c.find(out, "#tier2", "firstline", "Owner: tom")
	out = c.send("/in #help", "!status")
	c.find(out, "@tom", "firstline", "no open tickets")
	c.close()

	js, err := runCLI(t, "tickets", "show", "T-000001", "-json", "-data", data)
	if err != nil {
		t.Fatalf("tickets show: %v\n%s", err, js)
	}
	var tk struct {
		ID         string                  `json:"id"`
		Status     string                  `json:"status"`
		Tier       string                  `json:"tier"`
		Priority   string                  `json:"priority"`
		Requester  string                  `json:"requester"`
		Assignee   string                  `json:"assignee"`
		CSAT       *struct{ Score int }    `json:"csat"`
		CreatedAt  time.Time               `json:"created_at"`
		ResolvedAt *time.Time              `json:"resolved_at"`
		Events     []struct{ Type string } `json:"events"`
		// Where the bot's messages went, stored apart from the ticket and shown with it.
		Messages map[string]struct{ ID string } `json:"messages"`
	}
	if err := json.Unmarshal([]byte(js), &tk); err != nil {
		t.Fatalf("tickets show -json is not JSON: %v\n%s", err, js)
	}
	if tk.Messages["answer-1"].ID == "" || tk.Messages["card-1"].ID == "" {
		t.Errorf("tickets show -json does not say where the answer and the card went: %v", tk.Messages)
	}
	if tk.ID != "T-000001" || tk.Status != "resolved" || tk.Tier != "tier3" || tk.Priority != "P3" || tk.Requester != "console:alice" ||
		tk.Assignee != "console:sara" || tk.CSAT == nil || tk.CSAT.Score != 5 || tk.CreatedAt.IsZero() || tk.ResolvedAt == nil {
		t.Fatalf("stored ticket: %+v", tk)
	}
	var types []string
	for _, e := range tk.Events {
		types = append(types, e.Type)
	}
	for _, want := range []string{"opened", "answered", "feedback", "escalated", "claimed", "resolved", "rated"} {
		if !strings.Contains(strings.Join(types, " "), want) {
			t.Fatalf("events %v lack %s", types, want)
		}
	}

	list, err := runCLI(t, "tickets", "list", "-data", data, "-status", "claimed")
	if err != nil || !strings.Contains(list, "T-000002") || strings.Contains(list, "T-000001") {
		t.Fatalf("tickets list -status claimed: %v\n%s", err, list)
	}
}

func TestSecondProcessFailsFast(t *testing.T) {
	data := t.TempDir()
	c := startConsole(t, data)
	defer c.close()
	start := time.Now()
	// Reading commands ask the running desk (TestReadsWhileTheDeskRuns); one that writes needs the file.
	out, err := runCLI(t, "kb", "import", "demo/kb", "-data", data)
	if err == nil || !strings.Contains(out, "in use by another Firstline process") {
		t.Fatalf("a second process on the same data: %v\n%s", err, out)
	}
	// The lock is waited for 1 s; the bound is far above it and a loaded machine's slowest start, so
	// only a process that waits for the desk to stop (a lock without a timeout) fails it.
	if d := time.Since(start); d > time.Minute {
		t.Fatalf("the second process took %v to give up", d)
	}
}

func TestCLI(t *testing.T) {
	data := t.TempDir()
	c := startConsole(t, data) // imports the demo KB
	c.close()

	tests := []struct {
		name  string
		args  []string
		fails bool
		want  []string
	}{
		{"version", []string{"version"}, false, []string{"firstline v", fmt.Sprintf("schema %d", storage.SchemaVersion())}},
		{"search", []string{"kb", "search", "-data", data, "outlook", "keeps", "asking", "for", "my", "password"}, false, []string{"outlook-password-prompt", "would answer"}},
		{"search json", []string{"kb", "search", "-json", "-n", "2", "-data", data, "wifi"}, false, []string{`"id": "wifi-office"`, `"confidence"`}},
		{"search nonsense", []string{"kb", "search", "-data", data, "sourdough", "recipe"}, false, []string{"escalate"}},
		{"search without words", []string{"kb", "search", "-data", data}, true, []string{"needs a question"}},
		{"no tickets", []string{"tickets", "list", "-data", data}, false, []string{"No tickets."}},
		{"bad status", []string{"tickets", "list", "-status", "lost", "-data", data}, true, []string{`unknown status "lost"`}},
		{"unknown ticket", []string{"tickets", "show", "T-000042", "-data", data}, true, []string{"no ticket T-000042"}},
		{"no data yet", []string{"tickets", "list", "-data", filepath.Join(data, "nowhere")}, true, []string{"no data file"}},
		{"unknown command", []string{"frobnicate"}, true, []string{`unknown command "frobnicate"`, "Usage:"}},
		{"bad import", []string{"kb", "import", "testdata/badkb", "-data", data}, true, []string{"nothing imported", "broken.md"}},
		{"bad config", []string{"-config", "testdata/broken.toml", "-data", data}, true, []string{"testdata/broken.toml:3:1: unknown key \"desk.nmae\""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runCLI(t, tt.args...)
			if (err != nil) != tt.fails {
				t.Fatalf("err = %v, want failure %v\n%s", err, tt.fails, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Fatalf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}

	// export, edit, import round trip
	dir := filepath.Join(t.TempDir(), "kb")
	if out, err := runCLI(t, "kb", "export", dir, "-data", data); err != nil || !strings.Contains(out, "Exported") {
		t.Fatalf("export: %v %s", err, out)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.md"))
	if len(files) < 25 {
		t.Fatalf("exported %d articles, want the demo's 25+", len(files))
	}
	vpn := filepath.Join(dir, "vpn-connect.md")
	b, err := os.ReadFile(vpn)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(vpn, append(b, []byte("\nAlso try the zeppelin gateway.\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := runCLI(t, "kb", "import", dir, "-data", data)
	if err != nil || !strings.Contains(out, "0 new, 1 changed") {
		t.Fatalf("import: %v %s", err, out)
	}
	out, err = runCLI(t, "kb", "search", "zeppelin", "gateway", "-data", data)
	if err != nil || !strings.Contains(out, "vpn-connect") {
		t.Fatalf("the imported change is not searchable: %v %s", err, out)
	}
}
