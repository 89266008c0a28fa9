//go:build linux

package main

// The desk when its disk fills up, and when it comes back (ARCHITECTURE.md §3: an event is acknowledged
// only once it is committed). The real binary serves Slack over HTTP against a fake Slack; the test makes
// the data file unwritable by lowering the running process's RLIMIT_FSIZE with prlimit(2): a write or a
// truncate past the limit then fails with EFBIG, as a write on a full disk fails with ENOSPC (Go ignores
// the SIGXFSZ that comes with it). Raising the limit again is space coming back, without a restart.
//
// The limit holds for every file the process writes, so the desk's output comes through a pipe, which
// no limit touches.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/firstline-desk/firstline/adapters/openai/fakeopenai"
	"github.com/firstline-desk/firstline/adapters/slack/fakeslack"
	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/storage"
)

// diskHelp2 is the disk-full test's second help channel.
const diskHelp2 = "CHELP2"

// rlimit64 is struct rlimit64 of prlimit(2).
type rlimit64 struct{ Cur, Max uint64 }

// prlimitFSize sets (set != nil) and reads (old != nil) RLIMIT_FSIZE of process pid. The syscall package
// has prlimit for the calling process only, and golang.org/x/sys is no direct dependency of the module.
func prlimitFSize(pid int, set, old *rlimit64) error {
	_, _, errno := syscall.RawSyscall6(syscall.SYS_PRLIMIT64, uintptr(pid), uintptr(syscall.RLIMIT_FSIZE),
		uintptr(unsafe.Pointer(set)), uintptr(unsafe.Pointer(old)), 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}

// TestDiskFullWhileRunning: a desk serving Slack has its disk fill up under it, then freed.
//
//   - before: events are acknowledged 200 and their replies posted as usual;
//   - while full: every event, first delivery and Slack's retry alike, is refused (a non-2xx answer, so
//     Slack delivers it again later), the desk keeps running, its log says which file cannot be written
//     and that the disk may be full, and /healthz reports the store down;
//   - after space returns (no restart): Slack's next retry of each refused event (same event_id,
//     X-Slack-Retry-Num) is accepted and makes exactly one ticket; a redelivery of an event committed
//     before the disk filled changes nothing; every acknowledged event is in the store; no reply is
//     posted twice (the desk knew all along which posts it had made); `firstline check` passes.
func TestDiskFullWhileRunning(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary for ~10 s; skipped with -short")
	}
	fake := fakeslack.New(t)
	const people = 12
	for i := 1; i <= people; i++ {
		id := fmt.Sprintf("UDF%02d", i)
		fake.AddUser(id, "Person "+id, strings.ToLower(id))
	}
	fake.AddUser(loadTechUser, "Tom Tech", "tom")
	// Two gates that hold requests: the disk fills while a reply is being posted (Slack accepts it, the
	// desk cannot record that it did), and while an answer job waits for the model (it gets its answer,
	// and cannot commit it).
	posts := newHoldGate(t, fake.APIURL(), func(path string, _ []byte) bool {
		return strings.HasSuffix(path, "/chat.postMessage")
	})
	model := fakeopenai.New(t)
	const inFlight = "ref00000" // the question whose answer job is in flight
	calls := newHoldGate(t, model.URL(), func(path string, body []byte) bool {
		return strings.HasSuffix(path, "/chat/completions") && bytes.Contains(body, []byte(inFlight))
	})
	apiURL := posts.url + "/api/"

	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	dataFile := filepath.Join(data, "firstline.db")
	addr := freeAddr(t)
	cfg := writeLoadConfig(t, dir, apiURL, addr, fmt.Sprintf("\n[llm]\nenabled = true\nbase_url = %q\napi_key = \"sk-disk\"\nmodel = \"gpt-disk\"\n", calls.url+"/v1"))
	// A second help channel for the question whose answer job is in flight, so that the other's reply is
	// not queued behind that job (the outbox keeps the effects of a conversation in order).
	if text, err := os.ReadFile(cfg); err != nil {
		t.Fatal(err)
	} else if err := os.WriteFile(cfg, []byte(strings.Replace(string(text), fmt.Sprintf("help_channels = [%q]", loadHelp),
		fmt.Sprintf("help_channels = [%q, %q]", loadHelp, diskHelp2), 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "desk.log")
	if keep := os.Getenv("FIRSTLINE_DISKFULL_LOG"); keep != "" {
		logPath = keep
	}
	bin := firstlineBinary(t)
	began := time.Now()
	desk := startPipedDesk(t, bin, data, cfg, addr, logPath)
	desk.waitHealthy(t, 30*time.Second)
	startup := time.Since(began)

	var old rlimit64
	if err := prlimitFSize(desk.pid(), nil, &old); err != nil {
		t.Skipf("prlimit(2) on the desk's process: %v", err)
	}
	// The two meta pages stay writable, as blocks a file already has do on a full disk; every data page is
	// past the limit, so every commit fails.
	limit := uint64(2 * os.Getpagesize())
	if old.Max < limit {
		t.Skipf("the hard RLIMIT_FSIZE (%d) is below %d bytes", old.Max, limit)
	}

	endpoint := "http://" + addr + slackEventsPath
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	ctx := context.Background()
	var events []*diskEvent
	newEvent := func(phase, channel, text string) *diskEvent {
		n := len(events)
		ev := &diskEvent{phase: phase, msg: slackMessage{
			EventID: fmt.Sprintf("EvDF%04d", n), Channel: channel, User: fmt.Sprintf("UDF%02d", n+1),
			TS: fmt.Sprintf("1800000000.%06d", n+1), Text: fmt.Sprintf("ref%05d %s", n, text),
		}}
		events = append(events, ev)
		return ev
	}
	send := func(ev *diskEvent) int {
		status, err := deliver(ctx, client, endpoint, ev.msg.body(), ev.deliveries)
		if err != nil {
			t.Fatalf("event %s: %v", ev.msg.EventID, err)
		}
		ev.deliveries++
		ev.statuses = append(ev.statuses, status)
		if status/100 == 2 {
			ev.acked = true
		}
		return status
	}

	// Before: four questions, acknowledged. The first one's answer job waits for the model; the second
	// one's reply waits at Slack's door (and the dispatcher with it); the other two wait in the outbox.
	posts.hold()
	calls.hold()
	for i, q := range []struct{ channel, text string }{
		{diskHelp2, "Outlook keeps asking for my password"}, {loadHelp, "My VPN will not connect from home"},
		{diskHelp2, "the zorblat quinfram is broken"}, {diskHelp2, "the wizplo gratvex is broken"},
	} {
		if st := send(newEvent("before", q.channel, q.text)); st != http.StatusOK {
			t.Fatalf("before the disk filled, an event was answered %d; log:\n%s", st, desk.output())
		}
		if g := []*holdGate{calls, posts}; i < len(g) && !g[i].waitHeld(10*time.Second) {
			t.Fatalf("no request of event %d reached the gate; log:\n%s", i, desk.output())
		}
	}

	// The disk fills; then the held reply goes through, and the model answers.
	if err := prlimitFSize(desk.pid(), &rlimit64{Cur: limit, Max: old.Max}, nil); err != nil {
		t.Skipf("cannot lower the desk's RLIMIT_FSIZE: %v", err)
	}
	fullAt := time.Now()
	callsBefore := calls.matched()
	posts.release()
	calls.release()
	desk.note(fmt.Sprintf("=== test: RLIMIT_FSIZE lowered to %d bytes at %s ===\n", limit, fullAt.Format(time.RFC3339Nano)))

	// While full: six new events, each delivered and retried once; one event from before, redelivered.
	var full []*diskEvent
	for _, q := range []string{"The office wifi drops every few minutes", "the kelmub dravex is broken",
		"I need to restore a file from backup", "the snifyol tavbrek is broken", "My laptop disk is full",
		"the plowiz framquin is broken"} {
		full = append(full, newEvent("full", []string{loadHelp, diskHelp2}[len(full)%2], q))
	}
	refused, acceptedWhileFull := 0, 0
	for retry := range 2 {
		for _, ev := range full {
			if st := send(ev); st/100 == 2 {
				acceptedWhileFull++
			} else {
				refused++
			}
		}
		if retry == 0 {
			time.Sleep(300 * time.Millisecond) // Slack waits before retrying; the dispatcher meanwhile tries its posts
		}
	}
	if acceptedWhileFull == 2*len(full) {
		t.Skipf("every event was accepted with RLIMIT_FSIZE at %d bytes: the limit is not enforced here", limit)
	}
	// /healthz checks a write every 5 s: it must say so. The wait is a guard against a desk that never
	// does, not a time it must keep: a loaded machine may take longer than 5 s.
	health, healthBody := desk.waitHealth(t, http.StatusServiceUnavailable, time.Minute)
	lateRefused := 0
	for _, ev := range full {
		if st := send(ev); st/100 == 2 {
			acceptedWhileFull++
		} else {
			lateRefused++
		}
	}
	fullFor := time.Since(fullAt)
	callsWhileFull := calls.matched() - callsBefore

	// Space returns.
	if err := prlimitFSize(desk.pid(), &old, nil); err != nil {
		t.Fatalf("cannot raise the desk's RLIMIT_FSIZE again: %v", err)
	}
	desk.note(fmt.Sprintf("=== test: RLIMIT_FSIZE back to %d at %s ===\n", old.Cur, time.Now().Format(time.RFC3339Nano)))
	accepted := 0
	for _, ev := range full {
		if st := send(ev); st == http.StatusOK {
			accepted++
		} else {
			t.Errorf("after space returned, Slack's retry %d of event %s was answered %d", ev.deliveries-1, ev.msg.EventID, st)
		}
	}
	if st := send(events[0]); st != http.StatusOK { // a redelivery of a committed event: ignored, and acknowledged
		t.Errorf("a redelivery of an event committed before the disk filled was answered %d", st)
	}
	// /healthz takes up to 5 s to notice; the replies due are posted meanwhile. The desk has drained
	// when its outbox is empty (what is checked below after the stop), not when Slack has heard nothing
	// for a while: a loaded machine can pause longer than any such while.
	spaceAt := time.Now()
	recovered := make(chan int, 1)
	go func() {
		code, _ := desk.waitHealth(t, http.StatusOK, time.Minute)
		recovered <- code
	}()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		if n, ok := scrapeMetrics(addr)["firstline_outbox_effects"]; ok && n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the outbox was not empty a minute after space returned:\n%s", desk.output())
		}
	}
	drained := time.Since(spaceAt)
	healthAfter := <-recovered
	desk.stop(t)
	// The desk's log lines of the time the disk was full (by their time=, as the pipe may lag).
	var fullLog strings.Builder
	fullLines := 0
	for _, line := range strings.Split(desk.output(), "\n") {
		stamp, _, _ := strings.Cut(strings.TrimPrefix(line, "time="), " ")
		if at, err := time.Parse(time.RFC3339Nano, stamp); err == nil && !at.Before(fullAt) && at.Before(spaceAt) {
			fullLog.WriteString(line + "\n")
			fullLines++
		}
	}

	// What the store holds, what Slack saw, what the desk logged.
	tickets, postRefs := readTickets(t, dataFile)
	where := map[string][]string{} // token -> tickets whose transcript has it
	opened := map[string]int{}     // token -> tickets it opened
	for _, tk := range tickets {
		for _, e := range tk.Transcript {
			if tok := tokenOf(e.Text); tok != "" && e.Role != bot.RoleBot {
				where[tok] = append(where[tok], tk.ID)
			}
		}
		if len(tk.Transcript) > 0 {
			opened[tokenOf(tk.Transcript[0].Text)]++
		}
	}
	for _, ev := range events {
		tok := tokenOf(ev.msg.Text)
		switch {
		case ev.acked && len(where[tok]) == 0:
			t.Errorf("lost: event %s (%s) was acknowledged but is in no ticket (answers %v)", ev.msg.EventID, ev.phase, ev.statuses)
		case len(where[tok]) > 1:
			t.Errorf("event %s is recorded %d times: %v", ev.msg.EventID, len(where[tok]), where[tok])
		case opened[tok] != 1:
			t.Errorf("event %s opened %d tickets, want 1", ev.msg.EventID, opened[tok])
		}
	}
	if len(tickets) != len(events) {
		t.Errorf("%d tickets for %d questions from %d people", len(tickets), len(events), len(events))
	}
	if outbox := readOutbox(t, dataFile); len(outbox) > 0 {
		t.Errorf("%d effects still in the outbox after the desk drained, first: %+v", len(outbox), outbox[0])
	}
	posted := fake.Posted()
	seen := map[string]int{}
	var order []string
	for _, p := range posted {
		k := p.Channel + "\x1f" + p.ThreadTS + "\x1f" + p.Text + "\x1f" + string(p.Blocks)
		if seen[k]++; seen[k] == 1 {
			order = append(order, k)
		}
	}
	var dups []string
	extra := 0
	for _, k := range order {
		if n := seen[k]; n > 1 {
			extra += n - 1
			f := strings.Split(k, "\x1f")
			dups = append(dups, fmt.Sprintf("%d× in %s thread %s: %.70q", n, f[0], f[1], f[2]))
		}
	}
	if extra > 0 {
		t.Errorf("%d extra copies of replies were posted:\n  %s", extra, strings.Join(dups, "\n  "))
	}
	for _, tk := range tickets {
		if len(postRefs[tk.ID]) == 0 {
			t.Errorf("%s: no reply was recorded as posted (requester %s)", tk.ID, tk.Requester)
		}
	}

	// The log: the reason an event was refused names the file and says what to look at.
	clearLine := ""
	refusals, errorLines, fileLines := 0, 0, 0
	for _, line := range strings.Split(fullLog.String(), "\n") {
		if !strings.Contains(line, "level=ERROR") {
			continue
		}
		errorLines++
		if strings.Contains(line, "slack event not recorded") {
			refusals++
		}
		if strings.Contains(line, "cannot write the data file "+dataFile) && strings.Contains(line, "disk full") {
			fileLines++
			if clearLine == "" {
				clearLine = line
			}
		}
	}
	if clearLine == "" {
		t.Errorf("no ERROR line while the disk was full names the data file %s and says the disk may be full:\n%s", dataFile, fullLog.String())
	}
	// Refusing an event costs a line or two; what else fails (replies being posted, a search job) waits
	// for its retry time like any failed effect, instead of trying again at once and flooding the log.
	if most := 10*(refused+lateRefused) + 100; fullLines > most {
		t.Errorf("the desk logged %d lines in the %v the disk was full (at most %d expected):\n%s", fullLines, fullFor.Round(100*time.Millisecond), most, clipLine(fullLog.String(), 3000))
	}
	// The job whose answer could not be committed runs again at its retry times (1 s, 2 s, 4 s), not at
	// once, over and over, calling the model each time.
	if callsWhileFull > 12 {
		t.Errorf("the model was called %d times in %v for the answer job that could not commit", callsWhileFull, fullFor.Round(100*time.Millisecond))
	}
	if refusals != refused+lateRefused {
		t.Errorf("%d refusals logged for %d refused deliveries", refusals, refused+lateRefused)
	}
	if health != http.StatusServiceUnavailable || !strings.Contains(healthBody, dataFile) {
		t.Errorf("/healthz while full: %d %s, want 503 naming the data file", health, healthBody)
	}
	out, err := runCheck(t, data)
	if err != nil {
		t.Errorf("firstline check: %v\n%s", err, out)
	}
	t.Logf(`disk full while running (RLIMIT_FSIZE %d bytes for %v, then back to %d)
  before                    %d events acknowledged
  while full                %d deliveries of %d events refused (%d accepted), %d more after /healthz said 503;
                            model calls of the answer job that could not commit: %d
  after space returned      %d of %d retries accepted; a redelivery of a committed event acknowledged
  tickets                   %d for %d events; posts %d, extra copies %d
  desk log while full       %d lines, %d ERROR, %d name the data file; %d refusals logged, e.g.
                            %s
  /healthz                  %d while full, %d after
  firstline check           %s
  time                      start %v, replies drained %v after space returned, total %v`,
		limit, fullFor.Round(100*time.Millisecond), old.Cur,
		4, refused, len(full), acceptedWhileFull, lateRefused, callsWhileFull,
		accepted, len(full), len(tickets), len(events), len(posted), extra,
		fullLines, errorLines, fileLines, refusals, clipLine(clearLine, 300), health, healthAfter, firstLineOf(out),
		startup.Round(10*time.Millisecond), drained.Round(10*time.Millisecond), time.Since(began).Round(100*time.Millisecond))
}

// holdGate is a reverse proxy in front of a fake server that holds the requests match picks while it is
// held, and counts them.
type holdGate struct {
	url   string
	match func(path string, body []byte) bool

	mu      sync.Mutex
	open    chan struct{} // closed while requests pass
	held    int           // requests waiting now
	count   int           // requests matched, held or not
	changed chan struct{} // closed and replaced when held changes
}

// newHoldGate serves backend (its scheme and host; the request's path is kept) at gate.url.
func newHoldGate(t *testing.T, backend string, match func(path string, body []byte) bool) *holdGate {
	t.Helper()
	target, err := url.Parse(backend)
	if err != nil {
		t.Fatal(err)
	}
	target.Path = ""
	g := &holdGate{match: match, open: make(chan struct{}), changed: make(chan struct{})}
	close(g.open)
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if g.match(r.URL.Path, body) {
			g.mu.Lock()
			open := g.open
			g.count++
			g.setHeld(+1)
			g.mu.Unlock()
			select {
			case <-open:
			case <-r.Context().Done():
			}
			g.mu.Lock()
			g.setHeld(-1)
			g.mu.Unlock()
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { g.release(); srv.Close() })
	g.url = srv.URL
	return g
}

func (g *holdGate) setHeld(d int) {
	g.held += d
	close(g.changed)
	g.changed = make(chan struct{})
}

func (g *holdGate) hold() {
	g.mu.Lock()
	defer g.mu.Unlock()
	select {
	case <-g.open:
		g.open = make(chan struct{})
	default:
	}
}

func (g *holdGate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	select {
	case <-g.open:
	default:
		close(g.open)
	}
}

func (g *holdGate) matched() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.count
}

// waitHeld waits until a request is held at the gate.
func (g *holdGate) waitHeld(timeout time.Duration) bool {
	deadline := time.After(timeout)
	for {
		g.mu.Lock()
		held, changed := g.held, g.changed
		g.mu.Unlock()
		if held > 0 {
			return true
		}
		select {
		case <-changed:
		case <-deadline:
			return false
		}
	}
}

// diskEvent is one event of the disk-full test and its deliveries.
type diskEvent struct {
	phase      string
	msg        slackMessage
	deliveries int
	statuses   []int
	acked      bool
}

func clipLine(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// readTickets reads every ticket of a data file, and where each one's messages went (by ticket id).
func readTickets(t *testing.T, path string) ([]*bot.Ticket, map[string]map[string]bot.MessageRef) {
	t.Helper()
	db, err := storage.Open(path, storage.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var tickets []*bot.Ticket
	posted := map[string]map[string]bot.MessageRef{}
	if err := db.View(context.Background(), func(tx bot.Tx) error {
		tickets, err = tx.FindTickets(bot.TicketFilter{})
		for _, tk := range tickets {
			if err != nil {
				break
			}
			posted[tk.ID], err = tx.PostRefs(tk.ID)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return tickets, posted
}

// pipedDesk is the real binary serving Slack over HTTP, its output copied through a pipe into a buffer
// and a file: a file the desk wrote itself would fall under its RLIMIT_FSIZE.
type pipedDesk struct {
	cmd     *exec.Cmd
	addr    string
	log     *os.File
	mu      sync.Mutex
	out     strings.Builder
	exited  chan struct{}
	exitErr error
}

func startPipedDesk(t *testing.T, bin, data, cfg, addr, logPath string) *pipedDesk {
	t.Helper()
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	d := &pipedDesk{addr: addr, log: f, exited: make(chan struct{})}
	d.cmd = exec.Command(bin, "-data", data, "-config", cfg)
	d.cmd.Stdout, d.cmd.Stderr = d, d
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		d.exitErr = d.cmd.Wait()
		close(d.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-d.exited:
		default:
			_ = d.cmd.Process.Kill()
			<-d.exited
		}
		f.Close()
		if t.Failed() {
			t.Logf("the desk's output is in %s (FIRSTLINE_DISKFULL_LOG=FILE keeps it)", logPath)
		}
	})
	return d
}

// Write takes the desk's output (exec copies the pipe into it).
func (d *pipedDesk) Write(p []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.out.Write(p)
	return d.log.Write(p)
}

// note writes a line of the test's into the desk's log file.
func (d *pipedDesk) note(line string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	fmt.Fprintln(d.log, line)
}

func (d *pipedDesk) output() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.out.String()
}

func (d *pipedDesk) pid() int { return d.cmd.Process.Pid }

// waitHealthy waits until /healthz answers 200.
func (d *pipedDesk) waitHealthy(t *testing.T, timeout time.Duration) {
	t.Helper()
	if code, _ := d.waitHealth(t, http.StatusOK, timeout); code != http.StatusOK {
		t.Fatalf("the desk did not answer /healthz 200 within %v (last: %d):\n%s", timeout, code, d.output())
	}
}

// waitHealth polls /healthz until it answers want or timeout passes, and returns the last answer.
func (d *pipedDesk) waitHealth(t *testing.T, want int, timeout time.Duration) (int, string) {
	t.Helper()
	client := &http.Client{Timeout: 4 * time.Second}
	deadline := time.Now().Add(timeout)
	code, body := 0, ""
	for {
		if resp, err := client.Get("http://" + d.addr + "/healthz"); err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			code, body = resp.StatusCode, string(b)
			if code == want {
				return code, body
			}
		}
		select {
		case <-d.exited:
			t.Fatalf("the desk exited (%v):\n%s", d.exitErr, d.output())
		default:
		}
		if time.Now().After(deadline) {
			return code, body
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop asks the desk to stop as Ctrl-C would and fails the test unless it exits 0 in time.
func (d *pipedDesk) stop(t *testing.T) {
	t.Helper()
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
	case <-time.After(20 * time.Second):
		_ = d.cmd.Process.Kill()
		<-d.exited
		t.Fatalf("the desk did not stop within 20 s of SIGTERM:\n%s", d.output())
	}
	if d.exitErr != nil {
		t.Fatalf("the desk stopped with %v:\n%s", d.exitErr, d.output())
	}
}
