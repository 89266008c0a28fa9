package fakediscord

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

const writeTimeout = 5 * time.Second

// closeGrace is how long the fake waits, after its close frame, for the client to close the connection
// before it closes it itself. Closing at once could reset the TCP connection before the client has read
// the frame (when client data is still unread), and the client would then see an error instead of the
// close code.
const closeGrace = 2 * time.Second

// Gateway opcodes, https://discord.com/developers/docs/topics/opcodes-and-status-codes.
const (
	opDispatch       = 0
	opHeartbeat      = 1
	opIdentify       = 2
	opResume         = 6
	opInvalidSession = 9
	opHello          = 10
	opHeartbeatACK   = 11
)

// session is a gateway session: what a RESUME continues.
type session struct {
	id  string
	seq int64 // of the last dispatch sent
	// sent holds every dispatch of the session, for replay on RESUME. Tests are short; no need to trim it.
	sent []frame
}

type frame struct {
	seq  int64
	data []byte
}

// payload is a gateway message, both directions.
type payload struct {
	Op   int             `json:"op"`
	Data json.RawMessage `json:"d"`
	Seq  *int64          `json:"s"`
	Type *string         `json:"t"`
}

// conn is one gateway websocket connection.
type conn struct {
	ws *websocket.Conn
	// wmu serializes writes: gorilla/websocket allows one concurrent writer (WriteControl and Close excepted).
	wmu sync.Mutex

	// Guarded by Server.mu.
	sessionID  string // the session this connection is READY or RESUMED on
	heartbeats int    // received on this connection
	// closing is set once the fake closed or began closing the connection: what the client sends after that
	// no longer counts.
	closing bool
}

func (c *conn) write(p payload) error {
	data, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return c.writeRaw(data)
}

func (c *conn) writeRaw(data []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.ws.SetWriteDeadline(time.Now().Add(writeTimeout)); err != nil {
		return err
	}
	return c.ws.WriteMessage(websocket.TextMessage, data)
}

// drop ends the connection abruptly, without a close frame, like a network failure. Safe to repeat.
func (c *conn) drop() { _ = c.ws.Close() }

// closeWith sends a close frame with code and lets the read loop end the connection when the client has
// closed it or closeGrace has passed.
func (c *conn) closeWith(code int) {
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, closeReason(code)),
		time.Now().Add(writeTimeout))
	_ = c.ws.SetReadDeadline(time.Now().Add(closeGrace))
}

func closeReason(code int) string {
	switch code {
	case 4004:
		return "Authentication failed."
	case 4014:
		return "Disallowed intent(s)."
	default:
		return ""
	}
}

// endsSession reports whether Discord allows no RESUME after closing with code.
func endsSession(code int) bool {
	return code == 4004 || code == 4007 || (code >= 4009 && code <= 4014)
}

func (s *Server) serveGateway(w http.ResponseWriter, r *http.Request) {
	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade has answered the client
	}
	c := &conn{ws: ws}
	defer c.drop()

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.sockets.Add(1)
	defer s.sockets.Done()
	s.connections++
	// One connection at a time, as discordgo keeps: an older one is dead or dying, and must not be what
	// Drop or Close act on.
	var older []*conn
	for o := range s.conns {
		o.closing = true
		older = append(older, o)
	}
	s.conns[c] = true
	s.latest = c
	interval := s.heartbeat
	s.notifyLocked()
	s.mu.Unlock()
	for _, o := range older {
		o.drop()
	}

	hello, _ := json.Marshal(map[string]any{"heartbeat_interval": interval.Milliseconds()})
	if c.write(payload{Op: opHello, Data: hello}) == nil {
		s.readLoop(c)
	}

	s.mu.Lock()
	delete(s.conns, c)
	if s.latest == c {
		s.latest = nil
	}
	if s.live == c {
		s.live = nil
	}
	s.notifyLocked()
	s.mu.Unlock()
}

// readLoop answers the client's messages until the connection ends.
func (s *Server) readLoop(c *conn) {
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) && (ce.Code == websocket.CloseNormalClosure || ce.Code == websocket.CloseGoingAway) {
				s.clientClosed(c)
			}
			return
		}
		s.mu.Lock()
		closing := c.closing
		s.mu.Unlock()
		if closing {
			continue // drain until the client closes or closeGrace passes
		}
		var p payload
		if err := json.Unmarshal(data, &p); err != nil {
			s.mu.Lock()
			c.closing = true
			s.mu.Unlock()
			c.closeWith(4002) // Discord's "decode error"
			continue
		}
		switch p.Op {
		case opHeartbeat:
			s.mu.Lock()
			s.heartbeats++
			c.heartbeats++
			ack := s.ackHeartbeats
			s.notifyLocked()
			s.mu.Unlock()
			if ack {
				_ = c.write(payload{Op: opHeartbeatACK})
			}
		case opIdentify:
			s.identify(c, p.Data)
		case opResume:
			s.resume(c, p.Data)
		}
	}
}

// clientClosed handles a close frame with 1000 or 1001 from the client, which Discord takes as the end
// of the session: a RESUME after it is refused. (discordgo closes with 1000 when it notices missing
// heartbeat ACKs.)
func (s *Server) clientClosed(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !c.closing && s.session != nil && c.sessionID == s.session.id {
		s.endSessionLocked()
	}
}

// endSessionLocked invalidates the current session; what it buffered is lost, as in Discord.
func (s *Server) endSessionLocked() {
	s.session = nil
	s.live = nil
	s.notifyLocked()
}

func (s *Server) identify(c *conn, data json.RawMessage) {
	var id struct {
		Intents int `json:"intents"`
	}
	_ = json.Unmarshal(data, &id)

	s.mu.Lock()
	s.identifies++
	s.intents = id.Intents
	reject := s.rejectCode
	if reject != 0 {
		c.closing = true
	}
	s.notifyLocked()
	s.mu.Unlock()
	if reject != 0 {
		c.closeWith(reject)
		return
	}

	s.dmu.Lock()
	defer s.dmu.Unlock()
	s.mu.Lock()
	s.sessions++
	sess := &session{id: fmt.Sprintf("fakesession%d", s.sessions), seq: 1}
	s.session = sess
	s.live = c
	c.sessionID = sess.id
	s.notifyLocked()
	s.mu.Unlock()

	ready, _ := json.Marshal(map[string]any{
		"v": 10, "user": botUser(), "session_id": sess.id, "session_type": "normal",
		"resume_gateway_url": s.wsURL,
		"guilds":             []any{map[string]any{"id": GuildID, "unavailable": true}},
		"application":        map[string]any{"id": AppID, "flags": 0},
		"private_channels":   []any{},
	})
	if c.write(dispatchPayload("READY", sess.seq, ready)) != nil {
		return
	}
	// As Discord does after READY: the guild, with its channels and active threads, which discordgo's
	// state then knows.
	s.mu.Lock()
	sess.seq++
	guild, _ := json.Marshal(s.guildLocked())
	f := frame{seq: sess.seq}
	f.data, _ = json.Marshal(dispatchPayload("GUILD_CREATE", f.seq, guild))
	sess.sent = append(sess.sent, f)
	s.mu.Unlock()
	_ = c.writeRaw(f.data)
}

// guildLocked is the fake's guild as GUILD_CREATE describes it: its channels, and its threads apart.
func (s *Server) guildLocked() map[string]any {
	channels, threads := []any{}, []any{}
	for _, id := range slices.Sorted(maps.Keys(s.channels)) {
		switch ch := s.channels[id]; ch.typ {
		case 1, 3: // DMs belong to no guild
		case 10, 11, 12:
			threads = append(threads, channelJSON(ch))
		default:
			channels = append(channels, channelJSON(ch))
		}
	}
	return map[string]any{"id": GuildID, "name": "Firstline test", "owner_id": BotID, "channels": channels,
		"threads": threads, "roles": []any{}, "members": []any{}}
}

// dispatchNow sends a dispatch the fake itself causes (a channel made by AddChannel) on the current
// session, as Dispatch does, and does nothing without a session: the next GUILD_CREATE has it.
func (s *Server) dispatchNow(eventType string, data any) {
	d, err := json.Marshal(data)
	if err != nil {
		return
	}
	s.dmu.Lock()
	defer s.dmu.Unlock()
	s.mu.Lock()
	sess := s.session
	if sess == nil || s.closed {
		s.mu.Unlock()
		return
	}
	sess.seq++
	f := frame{seq: sess.seq}
	f.data, _ = json.Marshal(dispatchPayload(eventType, f.seq, d))
	sess.sent = append(sess.sent, f)
	live := s.live
	s.notifyLocked()
	s.mu.Unlock()
	if live != nil {
		_ = live.writeRaw(f.data)
	}
}

func dispatchPayload(eventType string, seq int64, data json.RawMessage) payload {
	return payload{Op: opDispatch, Type: &eventType, Seq: &seq, Data: data}
}

func (s *Server) resume(c *conn, data json.RawMessage) {
	var r struct {
		SessionID string `json:"session_id"`
		Seq       int64  `json:"seq"`
	}
	_ = json.Unmarshal(data, &r)

	s.mu.Lock()
	s.resumes++
	reject := s.rejectCode
	if reject != 0 {
		c.closing = true
	}
	s.notifyLocked()
	s.mu.Unlock()
	if reject != 0 {
		c.closeWith(reject)
		return
	}

	s.dmu.Lock()
	defer s.dmu.Unlock()
	s.mu.Lock()
	sess := s.session
	if s.refuseResume || sess == nil || sess.id != r.SessionID || r.Seq > sess.seq {
		s.refuseResume = false
		if sess != nil {
			s.endSessionLocked()
		}
		s.mu.Unlock()
		// d false: the session cannot be resumed; the client must IDENTIFY (on this connection).
		_ = c.write(payload{Op: opInvalidSession, Data: json.RawMessage("false")})
		return
	}
	i := slices.IndexFunc(sess.sent, func(f frame) bool { return f.seq > r.Seq })
	var replay []frame
	if i >= 0 {
		replay = slices.Clone(sess.sent[i:])
	}
	sess.seq++
	resumed := sess.seq
	s.live = c
	c.sessionID = sess.id
	s.notifyLocked()
	s.mu.Unlock()

	// As Discord does: the missed dispatches, then RESUMED. RESUMED carries a sequence number because
	// discordgo stores the "s" of every dispatch; one without would reset the client's to 0.
	for _, f := range replay {
		if c.writeRaw(f.data) != nil {
			return
		}
	}
	_ = c.write(dispatchPayload("RESUMED", resumed, json.RawMessage(`{"_trace":["fakediscord"]}`)))
}

// Dispatch sends a dispatch (op 0) of eventType ("MESSAGE_CREATE", "INTERACTION_CREATE", …) with data,
// marshalled with encoding/json (pass a json.RawMessage for JSON as is), under the session's next
// sequence number, which it returns. It waits up to 10 s for a session (a READY), then sends the event on
// the live connection, or, while the client is disconnected, only keeps it: a RESUME replays it, a refused
// RESUME loses it. A MESSAGE_CREATE's message (with id and channel_id) also enters its channel's history,
// as a message on Discord exists whether or not the gateway delivered it.
func (s *Server) Dispatch(t testing.TB, eventType string, data any) int64 {
	t.Helper()
	d, err := json.Marshal(data)
	if err != nil {
		t.Fatalf("fakediscord: marshal %s: %v", eventType, err)
	}
	for {
		if !s.wait(func() bool { return s.session != nil || s.closed }) {
			t.Fatalf("fakediscord: waited %v for a gateway session to dispatch %s on; identifies %d, resumes %d",
				waitTimeout, eventType, s.Identifies(), s.Resumes())
		}
		s.dmu.Lock()
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			s.dmu.Unlock()
			t.Fatalf("fakediscord: dispatch %s: the fake is closed", eventType)
		}
		sess := s.session
		if sess == nil { // invalidated between the wait and the locks
			s.mu.Unlock()
			s.dmu.Unlock()
			continue
		}
		sess.seq++
		f := frame{seq: sess.seq}
		f.data, err = json.Marshal(dispatchPayload(eventType, f.seq, d))
		if err != nil {
			s.mu.Unlock()
			s.dmu.Unlock()
			t.Fatalf("fakediscord: marshal %s: %v", eventType, err)
		}
		sess.sent = append(sess.sent, f)
		switch eventType {
		case "MESSAGE_CREATE":
			s.rememberMessageLocked(d)
		case "INTERACTION_CREATE":
			s.rememberInteractionLocked(d)
		}
		live := s.live
		s.notifyLocked()
		s.mu.Unlock()
		if live != nil {
			_ = live.writeRaw(f.data) // a dispatch that did not get through is replayed on RESUME
		}
		s.dmu.Unlock()
		return f.seq
	}
}

// rememberMessageLocked adds a dispatched message to its channel's history unless it is there already.
func (s *Server) rememberMessageLocked(data json.RawMessage) {
	var m map[string]any
	if json.Unmarshal(data, &m) != nil {
		return
	}
	id, _ := m["id"].(string)
	ch, _ := m["channel_id"].(string)
	if id != "" && ch != "" {
		s.putHistoryLocked(ch, id, m, false)
	}
}

// takeLatest returns the newest connection, marked as closing by the fake, or nil. If that connection is
// live but discordgo's heartbeat goroutine has not sent its first heartbeat yet, it first waits for that
// heartbeat (up to 10 s): discordgo starts the goroutine when Open returns, and if the connection fails
// before the goroutine's first iteration, the goroutine writes on the dead connection once discordgo's
// Close is done, fails, and starts a second Close and reconnect, which closes the connection the first
// reconnect has just made. A test that drops right after Open would otherwise be flaky.
func (s *Server) takeLatest() *conn {
	s.wait(func() bool { return s.latest == nil || s.latest != s.live || s.latest.heartbeats > 0 })
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.latest
	if c == nil {
		return nil
	}
	c.closing = true
	if s.live == c {
		s.live = nil
	}
	s.notifyLocked()
	return c
}

// WaitHeartbeat waits until the newest gateway connection has sent a heartbeat; it fails the test after
// 10 s. Call it before closing a discordgo session that has just connected: discordgo's Close does not
// stop a heartbeat goroutine that has not yet run, which then fails to write and reconnects the closed
// session (see Drop).
func (s *Server) WaitHeartbeat(t testing.TB) {
	t.Helper()
	if !s.wait(func() bool { return s.latest != nil && s.latest.heartbeats > 0 }) {
		t.Fatalf("fakediscord: waited %v for a heartbeat on the newest gateway connection (connections %d)",
			waitTimeout, s.Connections())
	}
}

// Drop closes the newest gateway connection abruptly, without a close frame, as a network failure would.
// The session stays resumable. It does nothing when there is no connection. A live connection is dropped
// only after its first heartbeat: dropping it earlier makes discordgo reconnect twice (a discordgo race).
func (s *Server) Drop() {
	if c := s.takeLatest(); c != nil {
		c.drop()
	}
}

// Close closes the newest gateway connection with a close frame with code (4000 unknown error, 4004
// authentication failed, 4014 disallowed intents, …). After the codes after which Discord allows no
// RESUME (4004, 4007, 4009–4014) the session ends, so a RESUME is then answered with op 9. It does nothing
// when there is no connection.
func (s *Server) Close(code int) {
	c := s.takeLatest()
	if c == nil {
		return
	}
	if endsSession(code) {
		s.mu.Lock()
		if s.session != nil && s.session.id == c.sessionID {
			s.endSessionLocked()
		}
		s.mu.Unlock()
	}
	c.closeWith(code)
}

// RefuseNextResume makes the next RESUME (op 6) be answered with op 9 (invalid session, d false), which
// ends the session: dispatches the client missed are not replayed, and the client must IDENTIFY again.
func (s *Server) RefuseNextResume() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuseResume = true
}

// RejectIdentify makes every IDENTIFY and RESUME (both carry the token) be answered by closing the
// connection with code (4004 for a bad token, 4014 for disallowed intents), until called with 0.
func (s *Server) RejectIdentify(code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejectCode = code
}

// AckHeartbeats sets whether heartbeats are answered with op 11 (they are by default). Without ACKs a
// connection looks like a zombie to the client.
func (s *Server) AckHeartbeats(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ackHeartbeats = on
}

// SetHeartbeatInterval sets the interval that the HELLO of later connections announces (41.25 s by
// default, as Discord's).
// discordgo gives up on a connection after five intervals without an ACK.
func (s *Server) SetHeartbeatInterval(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.heartbeat = d
}

// Identifies returns how many IDENTIFYs (op 2) the fake received, rejected ones included.
func (s *Server) Identifies() int { return s.count(&s.identifies) }

// Resumes returns how many RESUMEs (op 6) the fake received, refused and rejected ones included.
func (s *Server) Resumes() int { return s.count(&s.resumes) }

// Connections returns how many gateway connections have been opened.
func (s *Server) Connections() int { return s.count(&s.connections) }

// Heartbeats returns how many heartbeats (op 1) the fake received.
func (s *Server) Heartbeats() int { return s.count(&s.heartbeats) }

// Intents returns the intents of the last IDENTIFY, 0 before the first.
func (s *Server) Intents() int { return s.count(&s.intents) }

func (s *Server) count(n *int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *n
}

// WaitIdentifies waits until at least n IDENTIFYs arrived; it fails the test after 10 s.
func (s *Server) WaitIdentifies(t testing.TB, n int) {
	t.Helper()
	s.waitCount(t, "IDENTIFYs", &s.identifies, n)
}

// WaitResumes waits until at least n RESUMEs arrived; it fails the test after 10 s.
func (s *Server) WaitResumes(t testing.TB, n int) {
	t.Helper()
	s.waitCount(t, "RESUMEs", &s.resumes, n)
}

// WaitConnections waits until at least n gateway connections were opened; it fails the test after 10 s.
func (s *Server) WaitConnections(t testing.TB, n int) {
	t.Helper()
	s.waitCount(t, "gateway connections", &s.connections, n)
}

func (s *Server) waitCount(t testing.TB, what string, counter *int, n int) {
	t.Helper()
	if !s.wait(func() bool { return *counter >= n }) {
		t.Fatalf("fakediscord: waited %v for %d %s, have %d (connections %d, identifies %d, resumes %d)",
			waitTimeout, n, what, s.count(counter), s.Connections(), s.Identifies(), s.Resumes())
	}
}
