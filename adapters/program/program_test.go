package program_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/adapters/program"
	"github.com/firstline-desk/firstline/bot"
)

// script writes an executable shell script into dir and returns its path.
func script(t *testing.T, dir, body string) string {
	t.Helper()
	p := filepath.Join(dir, "action.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func call(params map[string]string) bot.ActionCall {
	return bot.ActionCall{Action: "restart-spooler", Run: "A-000007", Ticket: "T-000003", Params: params, IdempotencyKey: "fl-key", Attempt: 1, MaxOutput: 4096}
}

// TestShellMetacharactersAreInert: a value full of shell syntax is one argument, passed as it is, and
// nothing in it runs.
func TestShellMetacharactersAreInert(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SLACK_BOT_TOKEN", "xoxb-desk-secret")
	prog := script(t, dir, `for a in "$@"; do printf '[%s]\n' "$a"; done
echo "run=$FIRSTLINE_RUN key=$FIRSTLINE_IDEMPOTENCY_KEY token=$SLACK_BOT_TOKEN api=$API_KEY"
`)
	r, err := program.New(program.Config{Command: []string{prog, "--host", "{{host}}", "fixed arg"}, Env: map[string]string{"API_KEY": "k3y-from-config"}, Dir: dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	evil := `PRN-3; touch pwned1 && $(touch pwned2) | touch pwned3 ` + "`touch pwned4`" + ` > pwned5 "'\`
	res := r.Run(context.Background(), call(map[string]string{"host": evil}))
	if res.Outcome != bot.OutcomeSucceeded {
		t.Fatalf("result %+v", res)
	}
	want := "[--host]\n[" + evil + "]\n[fixed arg]\nrun=A-000007 key=fl-key token= api=[redacted]\n"
	if res.Output != want {
		t.Fatalf("output\n%q\nwant\n%q", res.Output, want)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "pwned") {
			t.Fatalf("the value ran: %s exists", e.Name())
		}
	}
}

func TestOutcomesAndLimits(t *testing.T) {
	dir := t.TempDir()
	fail := script(t, dir, "echo no such printer >&2\nexit 3\n")
	r, _ := program.New(program.Config{Command: []string{fail}}, nil)
	if res := r.Run(context.Background(), call(nil)); res.Outcome != bot.OutcomeFailed || res.Detail != "exit status 3" || res.Output != "no such printer\n" {
		t.Fatalf("exit 3: %+v", res)
	}
	r, _ = program.New(program.Config{Command: []string{filepath.Join(dir, "missing")}}, nil)
	if res := r.Run(context.Background(), call(nil)); res.Outcome != bot.OutcomeFailed {
		t.Fatalf("missing program: %+v", res)
	}
	long := filepath.Join(dir, "long.sh")
	os.WriteFile(long, []byte("#!/bin/sh\nyes abcdefgh | head -c 100000\n"), 0o755)
	r, _ = program.New(program.Config{Command: []string{long}}, nil)
	c := call(nil)
	c.MaxOutput = 100
	if res := r.Run(context.Background(), c); res.Outcome != bot.OutcomeSucceeded || len(res.Output) != 100 {
		t.Fatalf("long output: %s, %d bytes", res.Outcome, len(res.Output))
	}
}

// TestTimeoutStopsTheProgramAndItsChildren: at the deadline the program and what it started are
// killed, and the run is "timed out".
func TestTimeoutStopsTheProgramAndItsChildren(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child.pid")
	// The child's pid is written to a file under another name and then renamed, so the file is whole
	// once it is there; the deadline passes once it is: a deadline of a set time could pass before the
	// shell has even started on a loaded machine.
	hang := script(t, dir, "sleep 60 &\necho $! > "+pidFile+".new\nmv "+pidFile+".new "+pidFile+"\nwait\n")
	r, _ := program.New(program.Config{Command: []string{hang}}, nil)
	ctx := newExpiring()
	go func() {
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if _, err := os.Stat(pidFile); err == nil {
				break
			}
		}
		ctx.expire()
	}()
	if res := r.Run(ctx, call(nil)); res.Outcome != bot.OutcomeTimedOut {
		t.Fatalf("result %+v", res)
	}
	pid, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	// The child was sent SIGKILL with its group: it is soon gone, or a zombie for init to reap. The
	// kernel kills it when it is next scheduled, so this waits for that (a child never killed would
	// run its 60 s).
	for deadline := time.Now().Add(20 * time.Second); ; {
		stat, err := os.ReadFile("/proc/" + strings.TrimSpace(string(pid)) + "/stat")
		fields := strings.Fields(string(stat))
		if err != nil || len(fields) < 3 || fields[2] == "Z" || fields[2] == "X" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the program's child is still running: %s", stat)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// expiring is a context whose deadline passes when expire is called, so that a test decides when.
type expiring struct {
	context.Context
	done chan struct{}
	once sync.Once
}

func newExpiring() *expiring {
	return &expiring{Context: context.Background(), done: make(chan struct{})}
}

func (e *expiring) expire()               { e.once.Do(func() { close(e.done) }) }
func (e *expiring) Done() <-chan struct{} { return e.done }

func (e *expiring) Err() error {
	select {
	case <-e.done:
		return context.DeadlineExceeded
	default:
		return nil
	}
}

func TestCommandIsChecked(t *testing.T) {
	for _, c := range [][]string{nil, {""}, {"{{prog}}"}, {"/bin/echo", "--host={{host}}"}, {"/bin/echo", "{{a}}{{b}}"}} {
		if _, err := program.New(program.Config{Command: c}, nil); err == nil {
			t.Fatalf("%q was taken", c)
		}
	}
	r, err := program.New(program.Config{Command: []string{"/usr/local/bin/restart-spooler", "{{ host }}"}, Env: map[string]string{"TOKEN": "0123456789abc"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := r.Describe(call(map[string]string{"host": "PRN-3; reboot"}))
	if !strings.Contains(d, `argument 1: "PRN-3; reboot"`) || strings.Contains(d, "0123456789abc") {
		t.Fatalf("describe:\n%s", d)
	}
}
