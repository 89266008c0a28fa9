// Package fakeslack is a local, stateful fake of Slack for offline tests of code built on the real
// slack-go client: an httptest server answers the Web API at /api/<method> the way Slack does (so
// slack-go decodes the answers), records every call, and serves a Socket Mode websocket on which a test
// sends envelopes and sees the client's acks. conversations.history and conversations.replies list the
// bot's posts with their message metadata; LoseNext acts out an answer lost after Slack acted on a call.
//
// slack-go's own slacktest speaks RTM, not Socket Mode, hence this package.
package fakeslack

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// The identity of the fake workspace and its bot, as auth.test and envelopes report them.
const (
	BotUserID = "UBOT"
	BotID     = "BBOT"
	TeamID    = "T1"
	AppID     = "A1"
	BotName   = "firstline"
)

// waitTimeout bounds every Wait method, so a missing call fails the test instead of hanging it.
const waitTimeout = 10 * time.Second

// Call is one Web API call as the fake received it.
type Call struct {
	// Method is the Web API method, "chat.postMessage".
	Method string
	// Form holds the query and form values; for JSON-bodied calls, the top-level fields of the body, strings
	// as they are and anything else as its JSON text.
	Form url.Values
	// JSON is the raw body of a JSON-bodied call, nil otherwise.
	JSON json.RawMessage
	// Token is the bearer token of the Authorization header, or else the "token" form value (slack-go sends
	// form-encoded methods' token that way).
	Token string
	Time  time.Time
}

// Message is a message the bot posted with chat.postMessage (or with a file, files.completeUploadExternal)
// or changed with chat.update, or one a person wrote (AddMessage).
type Message struct {
	Channel, ThreadTS, TS, Text string
	// User is the person who wrote it; "" for the bot's own messages.
	User string
	// Broadcast: a reply also sent to the channel (subtype thread_broadcast).
	Broadcast bool
	// Files are the files posted with it.
	Files []File
	// Blocks is the "blocks" value as sent (a JSON array), nil when none was sent.
	Blocks json.RawMessage
	// Metadata is the "metadata" value as sent ({"event_type":…,"event_payload":{…}}), nil when none was
	// sent. conversations.history and conversations.replies return it with include_all_metadata.
	Metadata json.RawMessage
}

// fault is a scripted answer that replaces the next normal one of a method.
type fault struct {
	retryAfter time.Duration // answer 429 with it when slackError is ""
	slackError string
}

type user struct{ id, realName, displayName, email string }

type reaction struct{ channel, ts, name string }

// Server is a fake Slack. Its methods are safe for concurrent use.
type Server struct {
	http     *httptest.Server
	upgrader websocket.Upgrader
	sockets  sync.WaitGroup // pingers of open websockets

	mu sync.Mutex
	// changed is closed and replaced on every change of state, waking the Wait methods.
	changed   chan struct{}
	closed    bool
	calls     []Call
	posted    []Message
	updated   []Message
	users     map[string]user
	groups    map[string][]string // user group id -> members (usergroups.list)
	reactions map[reaction]bool
	dms       map[string]bool
	faults    map[string][]fault
	losses    map[string][]Loss // method -> answers to lose, in order (LoseNext)
	tsSeq     int
	envSeq    int
	tickets   int
	opened    int // websocket connections opened so far
	current   *socket
	open      map[*socket]bool
	acks      map[string]json.RawMessage
	channels  map[string]string // channel id -> name (conversations.info)

	responses   []Response
	respSeq     int // response URLs handed out
	respExpired int // response URLs up to this one are expired
	holds       map[string]chan struct{}
	done        chan struct{} // closed when the server closes

	written  []Message        // what people wrote (AddMessage)
	files    map[string]*File // by id (AddFile, uploads)
	fileSeq  int
	triggers map[string]trigger // trigger ids handed out (TriggerID)
	trigSeq  int
	modals   []View // views.open
	homes    []View // views.publish
	viewSeq  int
}

// New starts a fake Slack and closes it at t.Cleanup, websockets first. The bot user (BotUserID) is known
// to users.info from the start.
func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{
		// slack-go dials with Origin https://api.slack.com, which the default check rejects.
		upgrader:  websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }},
		changed:   make(chan struct{}),
		users:     map[string]user{BotUserID: {id: BotUserID, realName: BotName, displayName: BotName}},
		reactions: map[reaction]bool{},
		dms:       map[string]bool{},
		faults:    map[string][]fault{},
		open:      map[*socket]bool{},
		acks:      map[string]json.RawMessage{},
		channels:  map[string]string{},
		done:      make(chan struct{}),
		files:     map[string]*File{},
		triggers:  map[string]trigger{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.serveAPI)
	mux.HandleFunc("/commands/", s.serveResponse)
	mux.HandleFunc("/socket", s.serveSocket)
	mux.HandleFunc("/files/", s.serveFile)
	mux.HandleFunc("/upload/", s.serveUpload)
	s.http = httptest.NewServer(mux)
	t.Cleanup(s.close)
	return s
}

// APIURL is the Web API's base URL, for slack.OptionAPIURL.
func (s *Server) APIURL() string { return s.http.URL + "/api/" }

// AddChannel makes a channel's name known to conversations.info.
func (s *Server) AddChannel(id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channels[id] = name
}

// AddUserGroup makes usergroups.list report a user group with its members.
func (s *Server) AddUserGroup(id string, members ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.groups == nil {
		s.groups = map[string][]string{}
	}
	s.groups[id] = members
}

// AddUser makes a user known to users.info and users.list.
func (s *Server) AddUser(id, realName, displayName string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[id] = user{id: id, realName: realName, displayName: displayName}
}

// SetUserEmail gives a known user an email address in users.info's profile (Slack shows it to apps with
// the users:read.email scope).
func (s *Server) SetUserEmail(id, email string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[id]
	u.email = email
	s.users[id] = u
}

// RateLimit makes the next times calls of method answer HTTP 429 with Retry-After (whole seconds, rounded
// up) and {"ok":false,"error":"ratelimited"}. Scripted answers (RateLimit, FailNext) are used in the order
// they were scripted.
func (s *Server) RateLimit(method string, retryAfter time.Duration, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range times {
		s.faults[method] = append(s.faults[method], fault{retryAfter: retryAfter})
	}
}

// FailNext makes the next call of method answer {"ok":false,"error":slackError}.
func (s *Server) FailNext(method, slackError string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[method] = append(s.faults[method], fault{slackError: slackError})
}

// Calls returns the calls of method made so far, in order, failed ones included; all calls when method is "".
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.callsLocked(method)
}

func (s *Server) callsLocked(method string) []Call {
	var out []Call
	for _, c := range s.calls {
		if method == "" || c.Method == method {
			c.Form = maps.Clone(c.Form)
			out = append(out, c)
		}
	}
	return out
}

// WaitCalls waits until at least n calls of method were made and returns them all; it fails the test
// after 10 s, listing the calls seen.
func (s *Server) WaitCalls(t testing.TB, method string, n int) []Call {
	t.Helper()
	if !s.wait(func() bool { return len(s.callsLocked(method)) >= n }) {
		t.Fatalf("fakeslack: waited %v for %d %s calls; calls seen: %s", waitTimeout, n, method, s.summary())
	}
	return s.Calls(method)
}

// Posted returns the messages the bot posted successfully, in order.
func (s *Server) Posted() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.posted)
}

// WaitPosted waits until at least n messages were posted and returns them all; it fails the test after 10 s.
func (s *Server) WaitPosted(t testing.TB, n int) []Message {
	t.Helper()
	if !s.wait(func() bool { return len(s.posted) >= n }) {
		t.Fatalf("fakeslack: waited %v for %d posted messages, have %d; calls seen: %s",
			waitTimeout, n, len(s.Posted()), s.summary())
	}
	return s.Posted()
}

// Updated returns the successful chat.update calls, in order, with the thread of the message they changed.
func (s *Server) Updated() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.updated)
}

// summary lists the methods called so far with their counts, for failure messages.
func (s *Server) summary() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.calls) == 0 {
		return "none"
	}
	var out []string
	for _, c := range s.calls {
		out = append(out, c.Method)
	}
	return strings.Join(out, ", ")
}

// wait blocks until cond, called with s.mu held, is true, or until waitTimeout; it reports which.
func (s *Server) wait(cond func() bool) bool {
	deadline := time.NewTimer(waitTimeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		ok, changed := cond(), s.changed
		s.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-changed:
		case <-deadline.C:
			return false
		}
	}
}

func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// close ends the websockets, so their handlers return, before the HTTP server, which waits for handlers.
func (s *Server) close() {
	s.mu.Lock()
	if !s.closed {
		close(s.done)
	}
	s.closed = true
	open := slices.Collect(maps.Keys(s.open))
	s.current = nil
	s.mu.Unlock()
	for _, c := range open {
		c.close()
	}
	s.sockets.Wait()
	s.http.Close()
}
