package console_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/firstline-desk/firstline/adapters/console"
	"github.com/firstline-desk/firstline/bot"
)

// memState is State in memory, as storage.AdapterState keeps it in the data file.
type memState struct {
	mu   sync.Mutex
	seq  uint64
	data map[string][]byte
}

func newMemState() *memState { return &memState{data: map[string][]byte{}} }

func (s *memState) NextID(ctx context.Context) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	return s.seq, nil
}

func (s *memState) Put(ctx context.Context, key string, value []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.data[key] = append([]byte(nil), value...)
	return nil
}

func (s *memState) Get(ctx context.Context, key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.data[key]
	if !ok {
		return nil, bot.Errorf(bot.ENOTFOUND, "no %q", key)
	}
	return append([]byte(nil), v...), nil
}

// fakeEngine records the events it is handed and, on Flush, reacts to each event handled since the
// last Flush, as the real engine performs effects on Flush.
type fakeEngine struct {
	mu        sync.Mutex
	events    []bot.Event
	pending   []bot.Event
	handleErr error
	flushErr  error
	onFlush   func(ev bot.Event)
}

func (e *fakeEngine) Handle(ctx context.Context, ev bot.Event) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.handleErr != nil {
		return e.handleErr
	}
	e.events = append(e.events, ev)
	e.pending = append(e.pending, ev)
	return nil
}

func (e *fakeEngine) Flush(ctx context.Context) error {
	e.mu.Lock()
	pending, onFlush := e.pending, e.onFlush
	e.pending = nil
	e.mu.Unlock()
	if onFlush != nil {
		for _, ev := range pending {
			onFlush(ev)
		}
	}
	return e.flushErr
}

func (e *fakeEngine) Forms(user string, roles []string) []bot.Form { return nil }

func (e *fakeEngine) Events() []bot.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]bot.Event(nil), e.events...)
}

var demoConfig = console.Config{
	BotName: "firstline",
	User:    "alice",
	Channel: "help",
	Users: []console.User{
		{Name: "alice", Role: "employee"}, {Name: "tom", Role: "Tier 2"}, {Name: "sara", Role: "Tier 3"}, {Name: "ada", Role: "admin"},
	},
	Channels: []string{"help", "tier2", "tier3"},
}

const welcomeLines = 3

// runScript runs a non-interactive session on script and returns what it printed after the welcome.
func runScript(t testing.TB, a *console.Adapter, eng console.Engine, script string) string {
	t.Helper()
	var out bytes.Buffer
	if err := a.Run(context.Background(), eng, strings.NewReader(script), &out, false); err != nil {
		t.Fatalf("run: %v", err)
	}
	lines := strings.SplitAfterN(out.String(), "\n", welcomeLines+1)
	if len(lines) <= welcomeLines {
		return ""
	}
	return lines[welcomeLines]
}

// mustPost posts from inside a session (Post needs Run) and fails the test on error.
func mustPost(t testing.TB, a *console.Adapter, p bot.Post) bot.MessageRef {
	t.Helper()
	ref, err := a.Post(context.Background(), p)
	if err != nil {
		t.Fatalf("post %+v: %v", p, err)
	}
	return ref
}

// stepReader hands out one line per Read and notes what had been printed when each line was read.
type stepReader struct {
	lines   []string
	out     *bytes.Buffer
	printed []string // out as it was when lines[i] was read
}

func (r *stepReader) Read(p []byte) (int, error) {
	if len(r.printed) == len(r.lines) {
		return 0, io.EOF
	}
	line := r.lines[len(r.printed)] + "\n"
	r.printed = append(r.printed, r.out.String())
	return copy(p, line), nil
}

// chanReader blocks in Read until the test sends a line, and signals each time Run starts to wait.
type chanReader struct {
	waiting chan struct{}
	lines   chan string
}

func (r *chanReader) Read(p []byte) (int, error) {
	r.waiting <- struct{}{}
	line, ok := <-r.lines
	if !ok {
		return 0, io.EOF
	}
	return copy(p, line), nil
}

// syncBuffer is an output written by Run's goroutine and read by the test's.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
