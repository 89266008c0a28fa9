// Package fakediscord is a local, stateful fake of Discord for offline tests of code built on the real
// discordgo client: an httptest server answers the REST API under /api/v9/ the way Discord does (so
// discordgo decodes the answers and its errors), records every call, and serves a gateway websocket that
// speaks HELLO, IDENTIFY/READY, heartbeats, RESUME with replay, INVALID_SESSION and close codes.
// Message creates honour an enforced nonce (until ExpireNonces), and LoseNextCreate acts out the answer to
// a create getting lost after Discord made the message.
//
// discordgo's endpoints are package variables fixed at start, so the fake is not reached by changing a base
// URL: Client returns an http.Client whose transport sends requests for discord.com to the fake, and the
// gateway URL the fake hands out is its own.
//
// Messages read over REST carry no guild_id or member, as on Discord (only the gateway adds them).
//
// Interactions (interactions.go) are answered under Discord's rules: one response of a type that fits,
// modals checked, follow-ups and @original through the interaction's token, tokens that expire.
// Application commands (commands.go) are registered per guild by bulk overwrite, with stable ids. Files
// (files.go) are uploaded as multipart files[n] within a size limit and served from a CDN whose URLs
// expire.
//
// Not modelled: members in GUILD_CREATE, MESSAGE_CREATE echoes of the bot's own messages (dispatch one
// to test that the bot ignores itself), webhooks other than interactions', compression. Requests to
// routes the fake does not serve are answered 404 and marked Call.Unknown.
package fakediscord

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

// The identity of the fake bot, its application and its guild, as READY and the REST API report them.
const (
	BotID   = "900000000000000001"
	AppID   = "900000000000000002"
	GuildID = "900000000000000003"
	BotName = "firstline"
)

// firstID is the first snowflake the fake assigns; ids then grow by one, so later objects sort later.
const firstID = 1000000000000000000

// waitTimeout bounds every Wait method, so a missing call fails the test instead of hanging it.
const waitTimeout = 10 * time.Second

// defaultHeartbeat is the heartbeat interval HELLO announces, Discord's own. Short intervals make tests
// flaky through a discordgo race: a heartbeat tick that coincides with a drop makes discordgo reconnect
// twice (see Drop). Tests of heartbeats shorten it with SetHeartbeatInterval.
const defaultHeartbeat = 41250 * time.Millisecond

// Call is one REST request as the fake received it.
type Call struct {
	Method string
	// Path is the request path, "/api/v9/channels/123/messages", unescaped.
	Path  string
	Query url.Values
	// Body is the JSON body; for multipart requests (messages with files) the payload_json part.
	Body json.RawMessage
	// Status is the HTTP status the fake answered.
	Status int
	// Unknown is true when no route of the fake matched: the call was answered 404 and is probably a
	// mistake of the code under test or a gap in the fake.
	Unknown bool
}

// Message is a message the bot sent (POST /channels/{id}/messages) or edited (PATCH .../messages/{mid}).
type Message struct {
	ID, ChannelID string
	// Content is the text as sent; for an edit, the message's text after the edit.
	Content string
	// Embeds, Components and AllowedMentions are the values of "embeds", "components" and
	// "allowed_mentions" exactly as sent: nil when the field was absent, "null" when it was sent as null
	// (which for an edit clears the field, so the difference matters).
	Embeds, Components, AllowedMentions json.RawMessage
	// Raw is the whole request body.
	Raw json.RawMessage
	// Edited is true for every entry of Edits, and for an entry of Sent when the message was edited since.
	Edited bool
}

// Reaction is a reaction the bot added (PUT .../reactions/{emoji}/@me). Emoji is unescaped: "👍", or
// "name:id" for a custom emoji.
type Reaction struct {
	ChannelID, MessageID, Emoji string
}

// InteractionResponse is an answer to an interaction (POST /interactions/{id}/{token}/callback).
type InteractionResponse struct {
	InteractionID, Token string
	// Type is the callback type: 4 message, 5 deferred message, 6 deferred update, 7 update, 9 modal.
	Type int
	Data json.RawMessage
}

// Thread is a thread the bot started from a message (POST /channels/{cid}/messages/{mid}/threads).
type Thread struct {
	// ID equals the id of the message the thread was started from, as in Discord.
	ID, ParentID, Name string
}

// rateLimit is a scripted 429 for the next requests whose path starts with prefix.
type rateLimit struct {
	prefix     string
	retryAfter time.Duration
	global     bool
	left       int
}

// channel is a channel GET /channels/{id} knows.
type channel struct {
	id, parentID, name string
	typ                int
	recipient          string // of a DM
}

// storedMessage is a message in a channel's history, as Discord JSON.
type storedMessage struct {
	id   string
	data map[string]any
}

// Server is a fake Discord. Its methods are safe for concurrent use.
type Server struct {
	http     *httptest.Server
	wsURL    string
	upgrader websocket.Upgrader
	sockets  sync.WaitGroup // handlers of open websockets
	// dmu orders what goes out with a sequence number (READY, dispatches, a resume's replay) so that the
	// client sees sequence numbers in increasing order; taken before mu.
	dmu sync.Mutex

	mu sync.Mutex
	// changed is closed and replaced on every change of state, waking the Wait methods.
	changed chan struct{}
	closed  bool

	// REST
	nextID       int64
	calls        []Call
	sent         []Message
	edits        []Message
	reactions    []Reaction
	interactions []InteractionResponse
	answered     map[string]bool         // interaction ids answered
	interacts    map[string]*interaction // dispatched interactions by id (interactions.go)
	byToken      map[string]*interaction
	followups    []Followup
	late         bool                  // interactions arrive expired (LateInteractions)
	commands     map[string][]*command // guild id ("" global) → registered commands (commands.go)
	commandPuts  int
	refuseCmds   bool
	threads      []Thread
	channels     map[string]channel
	history      map[string][]storedMessage // per channel, ascending id
	members      map[string][]string        // user id → role ids
	dms          map[string]string          // recipient → DM channel id
	limits       []*rateLimit
	nonces       map[string]string      // channel id + "\x1f" + enforced nonce → message id (once.go)
	losses       []Loss                 // answers of message creates to lose, in order (LoseNextCreate)
	files        map[string]*storedFile // attachment id → file (files.go)
	uploads      []Upload
	uploadLimit  int64
	urlEpoch     int64 // attachment URLs of older epochs have expired
	cdnRequests  int

	// gateway
	heartbeat     time.Duration
	ackHeartbeats bool
	refuseResume  bool
	rejectCode    int
	conns         map[*conn]bool
	latest        *conn    // newest open connection, which Drop and Close act on
	live          *conn    // connection that is READY or RESUMED on the current session
	session       *session // nil before the first IDENTIFY and after the session was invalidated
	sessions      int
	identifies    int
	resumes       int
	connections   int
	heartbeats    int
	intents       int
}

// New starts a fake Discord and closes it at t.Cleanup, websockets first. Close discordgo sessions before
// that (register their cleanup after New, or close them in the test): a session left open reconnects.
func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{
		// discordgo sends no Origin, but a check that can only get in the way has no place in a fake.
		upgrader:      websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }},
		changed:       make(chan struct{}),
		nextID:        firstID,
		answered:      map[string]bool{},
		interacts:     map[string]*interaction{},
		byToken:       map[string]*interaction{},
		commands:      map[string][]*command{},
		channels:      map[string]channel{},
		history:       map[string][]storedMessage{},
		members:       map[string][]string{},
		dms:           map[string]string{},
		files:         map[string]*storedFile{},
		uploadLimit:   DefaultUploadLimit,
		heartbeat:     defaultHeartbeat,
		ackHeartbeats: true,
		conns:         map[*conn]bool{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.serveREST)
	mux.HandleFunc("/attachments/", s.serveCDN)
	// discordgo appends a slash to the gateway URL before its query, so both forms arrive.
	mux.HandleFunc("/gateway", s.serveGateway)
	mux.HandleFunc("/gateway/", s.serveGateway)
	s.http = httptest.NewServer(mux)
	s.wsURL = "ws" + strings.TrimPrefix(s.http.URL, "http") + "/gateway"
	t.Cleanup(s.close)
	return s
}

// URL is the fake's base URL, "http://127.0.0.1:port".
func (s *Server) URL() string { return s.http.URL }

// Client returns an http.Client that sends every request for discord.com, discordapp.com and
// gateway.discord.gg (and their subdomains) to the fake, keeping path and query, and refuses any other
// host, so a test cannot reach the network. Set it as discordgo.Session.Client.
func (s *Server) Client() *http.Client {
	target, _ := url.Parse(s.http.URL) // httptest's own URL always parses
	return &http.Client{
		Transport: &rewriter{target: target, next: s.http.Client().Transport},
		Timeout:   20 * time.Second,
	}
}

// rewriter is the transport of Client.
type rewriter struct {
	target *url.URL
	next   http.RoundTripper
}

func (rt *rewriter) RoundTrip(req *http.Request) (*http.Response, error) {
	host := req.URL.Hostname()
	switch {
	case req.URL.Host == rt.target.Host:
	case isDiscordHost(host):
		// A RoundTripper must not change the caller's request.
		req = req.Clone(req.Context())
		req.URL.Scheme = rt.target.Scheme
		req.URL.Host = rt.target.Host
		req.Host = rt.target.Host
	default:
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, fmt.Errorf("fakediscord: refusing request to %s: not a Discord host", req.URL.Host)
	}
	return rt.next.RoundTrip(req)
}

func isDiscordHost(host string) bool {
	for _, d := range []string{"discord.com", "discordapp.com", "discord.gg"} {
		if host == d || strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	return false
}

// Session returns a discordgo session for token ("Bot " is prefixed) whose Client is the fake's. It does
// not open the gateway. Code under test sets Client itself; this is for tests of the fake.
func (s *Server) Session(t testing.TB, token string) *discordgo.Session {
	t.Helper()
	sess, err := discordgo.New("Bot " + token)
	if err != nil {
		t.Fatalf("fakediscord: new session: %v", err)
	}
	sess.Client = s.Client()
	return sess
}

// RateLimit makes the next times requests whose path starts with routePrefix ("/api/v9/channels/")
// answer 429 as Discord does: a Retry-After header in whole seconds, rounded up, and a body
// {"message":"You are being rate limited.","retry_after":seconds,"global":global}. A route limit also
// carries X-RateLimit-Remaining: 0 and X-RateLimit-Reset-After; a global one X-RateLimit-Global: true and
// X-RateLimit-Scope: global. discordgo reads retry_after from the body, not the header. Scripted limits
// apply in the order they were scripted.
func (s *Server) RateLimit(routePrefix string, retryAfter time.Duration, global bool, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limits = append(s.limits, &rateLimit{prefix: routePrefix, retryAfter: retryAfter, global: global, left: times})
}

// AddChannel makes a channel known to GET /channels/{id}: typ 0 text, 1 DM, 5 announcement, 11 public
// thread (with parentID), 15 forum. Guild channels belong to GuildID, and the gateway tells of them as
// Discord does: in GUILD_CREATE after READY, and while a session is on, with CHANNEL_CREATE (THREAD_CREATE
// for a thread) at once.
func (s *Server) AddChannel(id, parentID string, typ int) {
	ch := channel{id: id, parentID: parentID, typ: typ, name: "channel-" + id}
	s.mu.Lock()
	s.channels[id] = ch
	s.mu.Unlock()
	switch typ {
	case 1, 3:
	case 10, 11, 12:
		s.dispatchNow("THREAD_CREATE", channelJSON(ch))
	default:
		s.dispatchNow("CHANNEL_CREATE", channelJSON(ch))
	}
}

// AddMember makes a member of GuildID known to GET /guilds/{id}/members/{uid}, with these role ids.
func (s *Server) AddMember(userID string, roleIDs ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.members[userID] = slices.Clone(roleIDs)
}

// AddHistory puts a message (Discord JSON: id, channel_id, content, author{id,username}, timestamp, …)
// into channelID's history, for GET /channels/{id}/messages and /messages/{mid}. A missing id is assigned
// and channel_id is set; a message with the id of an existing one replaces it. Messages the bot sends and
// MESSAGE_CREATE events dispatched through the fake are added by the fake itself. It returns the message's
// id. Nothing is dispatched: this is a message the gateway never delivered (sent while the client was
// away), which only a read of the history finds.
func (s *Server) AddHistory(channelID string, m map[string]any) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	m = maps.Clone(m)
	m["channel_id"] = channelID
	id, _ := m["id"].(string)
	if id == "" {
		id = s.newIDLocked()
		m["id"] = id
	}
	s.putHistoryLocked(channelID, id, m, true)
	return id
}

// DMChannel returns the DM channel the bot opened with userID (POST /users/@me/channels), "" when none.
func (s *Server) DMChannel(userID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dms[userID]
}

// DeleteMessage removes a message from its channel's history, as its author deleting it does: reading
// it answers 10008 Unknown Message from then on. Nothing is dispatched.
func (s *Server) DeleteMessage(channelID, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.history[channelID] = slices.DeleteFunc(s.history[channelID], func(m storedMessage) bool { return m.id == id })
	s.notifyLocked()
}

// Calls returns every REST request so far, in order, failed and unknown ones included.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// Sent returns the messages the bot sent successfully, in order, as sent.
func (s *Server) Sent() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.sent)
}

// WaitSent waits until at least n messages were sent and returns them all; it fails the test after 10 s.
func (s *Server) WaitSent(t testing.TB, n int) []Message {
	t.Helper()
	if !s.wait(func() bool { return len(s.sent) >= n }) {
		t.Fatalf("fakediscord: waited %v for %d sent messages, have %d; calls: %s",
			waitTimeout, n, len(s.Sent()), s.summary())
	}
	return s.Sent()
}

// Edits returns the successful message edits, in order.
func (s *Server) Edits() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.edits)
}

// Reactions returns the reactions the bot added, in order.
func (s *Server) Reactions() []Reaction {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.reactions)
}

// InteractionResponses returns the accepted interaction responses, in order.
func (s *Server) InteractionResponses() []InteractionResponse {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.interactions)
}

// WaitInteractionResponses waits until at least n interactions were answered and returns the responses;
// it fails the test after 10 s.
func (s *Server) WaitInteractionResponses(t testing.TB, n int) []InteractionResponse {
	t.Helper()
	if !s.wait(func() bool { return len(s.interactions) >= n }) {
		t.Fatalf("fakediscord: waited %v for %d interaction responses, have %d; calls: %s",
			waitTimeout, n, len(s.InteractionResponses()), s.summary())
	}
	return s.InteractionResponses()
}

// Threads returns the threads the bot started, in order.
func (s *Server) Threads() []Thread {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.threads)
}

// newIDLocked returns a fresh snowflake, greater than every one assigned before.
func (s *Server) newIDLocked() string {
	id := s.nextID
	s.nextID++
	return fmt.Sprint(id)
}

// summary lists the REST calls so far, for failure messages.
func (s *Server) summary() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.calls) == 0 {
		return "none"
	}
	var out []string
	for _, c := range s.calls {
		out = append(out, fmt.Sprintf("%s %s → %d", c.Method, c.Path, c.Status))
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
	s.closed = true
	open := slices.Collect(maps.Keys(s.conns))
	s.live, s.latest = nil, nil
	s.notifyLocked()
	s.mu.Unlock()
	for _, c := range open {
		c.drop()
	}
	s.sockets.Wait()
	s.http.Close()
}
