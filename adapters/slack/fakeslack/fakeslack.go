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
	"fmt"
	"io"
	"maps"
	"math"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

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

// reply is a Web API answer.
type reply struct {
	status     int
	retryAfter string
	body       any
}

func okReply(fields map[string]any) reply {
	body := map[string]any{"ok": true}
	maps.Copy(body, fields)
	return reply{status: http.StatusOK, body: body}
}

func errReply(slackError string) reply {
	return reply{status: http.StatusOK, body: map[string]any{"ok": false, "error": slackError}}
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	form, raw, err := readForm(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c := Call{
		Method: strings.TrimPrefix(r.URL.Path, "/api/"),
		Form:   form,
		JSON:   raw,
		Token:  strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "),
		Time:   time.Now(),
	}
	if c.Token == "" {
		c.Token = form.Get("token")
	}
	s.hold(c.Method)

	s.mu.Lock()
	s.calls = append(s.calls, c)
	rep := s.answerLocked(c, r.Host)
	loss := s.lossLocked(c.Method)
	s.notifyLocked()
	s.mu.Unlock()

	if loss != 0 {
		loseResponse(w, loss)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if rep.retryAfter != "" {
		w.Header().Set("Retry-After", rep.retryAfter)
	}
	w.WriteHeader(rep.status)
	_ = json.NewEncoder(w).Encode(rep.body)
}

// readForm returns a request's values, from the query and a form or JSON body.
func readForm(r *http.Request) (url.Values, json.RawMessage, error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		raw, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, nil, fmt.Errorf("read JSON body: %w", err)
		}
		form := r.URL.Query()
		if len(raw) == 0 { // apps.connections.open sends no body
			return form, nil, nil
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(raw, &fields); err != nil {
			return nil, nil, fmt.Errorf("decode JSON body: %w", err)
		}
		for k, v := range fields {
			var str string
			if json.Unmarshal(v, &str) == nil {
				form.Set(k, str)
			} else {
				form.Set(k, string(v))
			}
		}
		return form, raw, nil
	case "multipart/form-data":
		if err := r.ParseMultipartForm(10 << 20); err != nil {
			return nil, nil, fmt.Errorf("parse multipart form: %w", err)
		}
		return r.Form, nil, nil
	default:
		if err := r.ParseForm(); err != nil {
			return nil, nil, fmt.Errorf("parse form: %w", err)
		}
		return r.Form, nil, nil
	}
}

func (s *Server) answerLocked(c Call, host string) reply {
	if q := s.faults[c.Method]; len(q) > 0 {
		f := q[0]
		s.faults[c.Method] = q[1:]
		if f.slackError != "" {
			return errReply(f.slackError)
		}
		secs := int(math.Ceil(f.retryAfter.Seconds()))
		return reply{
			status:     http.StatusTooManyRequests,
			retryAfter: fmt.Sprint(secs),
			body:       map[string]any{"ok": false, "error": "ratelimited"},
		}
	}

	// Slack refuses a bot token where an app-level token is required and the other way round; a fake that
	// did not would let a wiring mistake pass.
	appToken := strings.HasPrefix(c.Token, "xapp-")
	switch {
	case c.Token == "":
		return errReply("not_authed")
	case c.Method == "apps.connections.open" && !appToken:
		return errReply("not_allowed_token_type")
	case c.Method != "apps.connections.open" && appToken:
		return errReply("not_allowed_token_type")
	}

	f := c.Form
	switch c.Method {
	case "auth.test":
		return okReply(map[string]any{
			"url": "https://firstline.slack.com/", "team": "Firstline", "user": BotName,
			"team_id": TeamID, "user_id": BotUserID, "bot_id": BotID,
		})
	case "apps.connections.open":
		s.tickets++ // a fresh URL each time, as Slack's are
		return okReply(map[string]any{"url": fmt.Sprintf("ws://%s/socket?ticket=%d", host, s.tickets)})
	case "chat.postMessage":
		return s.postMessageLocked(f)
	case "chat.update":
		return s.updateLocked(f)
	case "chat.postEphemeral":
		switch {
		case f.Get("channel") == "":
			return errReply("channel_not_found")
		case f.Get("user") == "":
			return errReply("user_not_in_channel")
		}
		return okReply(map[string]any{"message_ts": s.nextTSLocked()})
	case "reactions.add":
		key := reaction{channel: f.Get("channel"), ts: f.Get("timestamp"), name: f.Get("name")}
		switch {
		case key.name == "":
			return errReply("invalid_name")
		case key.channel == "" || key.ts == "":
			return errReply("no_item_specified")
		case s.reactions[key]:
			return errReply("already_reacted")
		}
		s.reactions[key] = true
		return okReply(nil)
	case "usergroups.list":
		var list []map[string]any
		for id, members := range s.groups {
			list = append(list, map[string]any{"id": id, "team_id": TeamID, "is_usergroup": true, "handle": strings.ToLower(id), "users": members})
		}
		return okReply(map[string]any{"usergroups": list})
	case "users.info":
		u, found := s.users[f.Get("user")]
		if !found {
			return errReply("user_not_found")
		}
		return okReply(map[string]any{"user": u.json()})
	case "users.list":
		return s.usersListLocked(f)
	case "conversations.info":
		name, found := s.channels[f.Get("channel")]
		if !found {
			return errReply("channel_not_found")
		}
		return okReply(map[string]any{"channel": map[string]any{"id": f.Get("channel"), "name": name, "is_channel": true}})
	case "conversations.open":
		return s.openLocked(f)
	case "conversations.history":
		return s.historyLocked(f)
	case "conversations.replies":
		return s.repliesLocked(f)
	case "files.info":
		return s.fileInfoLocked(f)
	case "files.getUploadURLExternal":
		return s.uploadURLLocked(f, host)
	case "files.completeUploadExternal":
		return s.completeUploadLocked(f)
	case "views.open":
		return s.viewsOpenLocked(f)
	case "views.publish":
		return s.viewsPublishLocked(f)
	default:
		return errReply("unknown_method")
	}
}

// nextTSLocked returns a fresh message timestamp, later than every earlier one.
func (s *Server) nextTSLocked() string {
	s.tsSeq++
	micros := s.tsSeq * 100
	return fmt.Sprintf("%d.%06d", 1700000000+micros/1e6, micros%1e6)
}

func (s *Server) postMessageLocked(f url.Values) reply {
	m := Message{Channel: f.Get("channel"), ThreadTS: f.Get("thread_ts"), Text: f.Get("text")}
	if m.Channel == "" {
		return errReply("channel_not_found")
	}
	blocks, valid := blocksOf(f)
	if !valid {
		return errReply("invalid_blocks")
	}
	if e := blockLimits(blocks); e != "" {
		return errReply(e)
	}
	if m.Text == "" && blocks == nil && f.Get("attachments") == "" {
		return errReply("no_text")
	}
	m.Blocks = blocks
	if md := strings.TrimSpace(f.Get("metadata")); md != "" {
		if !strings.HasPrefix(md, "{") || !json.Valid([]byte(md)) {
			return errReply("invalid_metadata_format")
		}
		m.Metadata = json.RawMessage(md)
	}
	m.TS = s.nextTSLocked()
	s.posted = append(s.posted, m)
	return okReply(map[string]any{"channel": m.Channel, "ts": m.TS, "message": messageJSON(m)})
}

func (s *Server) updateLocked(f url.Values) reply {
	m := Message{Channel: f.Get("channel"), TS: f.Get("ts"), Text: f.Get("text")}
	i := slices.IndexFunc(s.posted, func(p Message) bool { return p.Channel == m.Channel && p.TS == m.TS })
	if i < 0 {
		// Slack can only update messages the bot posted; catching a wrong channel or ts here is the point.
		return errReply("message_not_found")
	}
	blocks, valid := blocksOf(f)
	if !valid {
		return errReply("invalid_blocks")
	}
	if e := blockLimits(blocks); e != "" {
		return errReply(e)
	}
	m.Blocks = blocks
	m.ThreadTS = s.posted[i].ThreadTS
	s.updated = append(s.updated, m)
	return okReply(map[string]any{"channel": m.Channel, "ts": m.TS, "text": m.Text, "message": messageJSON(m)})
}

// blocksOf returns the "blocks" value, which must be a JSON array when present.
func blocksOf(f url.Values) (json.RawMessage, bool) {
	b := strings.TrimSpace(f.Get("blocks"))
	if b == "" {
		return nil, true
	}
	return json.RawMessage(b), strings.HasPrefix(b, "[") && json.Valid([]byte(b))
}

// Slack's length limits on a message's blocks: 50 blocks, 3,000 characters in a section's text, and, not
// documented but observed (slackapi/bolt-js#2509: msg_blocks_too_long at about 13,200 characters of
// blocks), a total the fake puts at 12,000 characters of section text.
const (
	MaxBlocks      = 50
	MaxSectionText = 3000
	MaxBlocksText  = 12000
)

// blockLimits returns the error Slack answers blocks over its limits with, or "".
func blockLimits(raw json.RawMessage) string {
	if raw == nil {
		return ""
	}
	var blocks []struct {
		Type string `json:"type"`
		Text *struct {
			Text string `json:"text"`
		} `json:"text"`
	}
	if json.Unmarshal(raw, &blocks) != nil {
		return "invalid_blocks"
	}
	if len(blocks) > MaxBlocks {
		return "invalid_blocks"
	}
	total := 0
	for _, b := range blocks {
		if b.Text == nil {
			continue
		}
		n := utf8.RuneCountInString(b.Text.Text)
		if b.Type == "section" && n > MaxSectionText {
			return "invalid_blocks"
		}
		total += n
	}
	if total > MaxBlocksText {
		return "msg_blocks_too_long"
	}
	return ""
}

func messageJSON(m Message) map[string]any {
	msg := map[string]any{
		"type": "message", "user": BotUserID, "bot_id": BotID, "app_id": AppID, "team": TeamID,
		"text": m.Text, "ts": m.TS,
	}
	if m.User != "" {
		msg = map[string]any{"type": "message", "user": m.User, "team": TeamID, "text": m.Text, "ts": m.TS}
	}
	if m.Broadcast {
		msg["subtype"] = "thread_broadcast"
	}
	if len(m.Files) > 0 {
		var files []any
		for _, f := range m.Files {
			files = append(files, f.json())
		}
		msg["files"] = files
		if m.User != "" {
			msg["subtype"] = "file_share"
		}
	}
	if m.ThreadTS != "" {
		msg["thread_ts"] = m.ThreadTS
	}
	if m.Blocks != nil {
		msg["blocks"] = m.Blocks
	}
	return msg
}

func (s *Server) openLocked(f url.Values) reply {
	if ch := f.Get("channel"); ch != "" {
		return okReply(map[string]any{"channel": map[string]any{"id": ch}, "no_op": true, "already_open": true})
	}
	var users []string
	for u := range strings.SplitSeq(f.Get("users"), ",") {
		if u = strings.TrimSpace(u); u != "" {
			users = append(users, u)
		}
	}
	var ch map[string]any
	switch len(users) {
	case 0:
		return errReply("users_list_not_supplied")
	case 1:
		ch = map[string]any{"id": "D" + users[0], "is_im": true, "user": users[0]}
	default:
		ch = map[string]any{"id": "G" + strings.Join(users, ""), "is_mpim": true}
	}
	id := ch["id"].(string)
	already := s.dms[id]
	s.dms[id] = true
	return okReply(map[string]any{"channel": ch, "no_op": already, "already_open": already})
}
