package fakeslack

import (
	"encoding/json"
	"maps"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// pingEvery is how often the fake pings each websocket. slack-go's socketmode client reconnects when no
// ping arrived within its ping interval (30 s unless socketmode.OptionPingInterval says otherwise), checked
// on a ticker of that interval; pinging this often keeps a client alive even with a 1 s interval.
const pingEvery = 250 * time.Millisecond

// disconnectGrace is how long Disconnect lets the client close the connection itself, as Slack does
// before it closes it.
const disconnectGrace = 2 * time.Second

const writeTimeout = 5 * time.Second

// socket is one Socket Mode websocket connection.
type socket struct {
	ws *websocket.Conn
	// wmu serializes writes: gorilla/websocket allows one concurrent writer (WriteControl and Close excepted).
	wmu  sync.Mutex
	done chan struct{} // closed when the read loop has ended
}

func (c *socket) writeJSON(v any) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.ws.SetWriteDeadline(time.Now().Add(writeTimeout)); err != nil {
		return err
	}
	return c.ws.WriteJSON(v)
}

// close ends the connection abruptly, without a close frame, like a network failure. Safe to repeat.
func (c *socket) close() { _ = c.ws.Close() }

func (s *Server) serveSocket(w http.ResponseWriter, r *http.Request) {
	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade has answered the client
	}
	c := &socket{ws: ws, done: make(chan struct{})}
	defer c.close()

	// The connection is registered before hello goes out: a test that saw hello may Drop it at once.
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.opened++
	s.current = c
	s.open[c] = true
	s.sockets.Add(1)
	s.notifyLocked()
	s.mu.Unlock()

	hello := map[string]any{
		"type":            "hello",
		"num_connections": 1,
		"debug_info":      map[string]any{"host": "fake", "approximate_connection_time": 18060},
		"connection_info": map[string]any{"app_id": AppID},
	}
	if err := c.writeJSON(hello); err != nil {
		s.sockets.Done()
		s.mu.Lock()
		delete(s.open, c)
		if s.current == c {
			s.current = nil
		}
		s.mu.Unlock()
		return
	}

	go func() {
		defer s.sockets.Done()
		s.ping(c)
	}()
	s.readAcks(c)
	close(c.done)

	s.mu.Lock()
	delete(s.open, c)
	if s.current == c {
		s.current = nil
	}
	s.notifyLocked()
	s.mu.Unlock()
}

func (s *Server) ping(c *socket) {
	tick := time.NewTicker(pingEvery)
	defer tick.Stop()
	for {
		if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeTimeout)); err != nil {
			return
		}
		select {
		case <-c.done:
			return
		case <-tick.C:
		}
	}
}

// readAcks records the acks the client sends until the connection fails.
func (s *Server) readAcks(c *socket) {
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		var ack struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if json.Unmarshal(data, &ack) != nil || ack.EnvelopeID == "" {
			continue
		}
		s.mu.Lock()
		s.acks[ack.EnvelopeID] = ack.Payload
		s.notifyLocked()
		s.mu.Unlock()
	}
}

// takeCurrent returns the current connection and forgets it, so that SendEnvelope waits for the next one.
func (s *Server) takeCurrent() *socket {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.current
	s.current = nil
	s.notifyLocked()
	return c
}

// SendEnvelope sends env on the current websocket connection, waiting up to 10 s for one. It sets
// envelope_id ("env-1", "env-2", …) unless env has one, and returns it. env itself is not changed.
func (s *Server) SendEnvelope(t testing.TB, env map[string]any) string {
	t.Helper()
	var c *socket
	if !s.wait(func() bool { c = s.current; return c != nil }) {
		t.Fatalf("fakeslack: waited %v for a Socket Mode connection to send %v on; calls seen: %s",
			waitTimeout, env["type"], s.summary())
	}
	env = maps.Clone(env)
	id, _ := env["envelope_id"].(string)
	if id == "" {
		s.mu.Lock()
		s.envSeq++
		id = "env-" + strconv.Itoa(s.envSeq)
		s.mu.Unlock()
		env["envelope_id"] = id
	}
	if err := c.writeJSON(env); err != nil {
		t.Fatalf("fakeslack: send envelope %s: %v", id, err)
	}
	return id
}

// Acked reports whether the client acknowledged the envelope.
func (s *Server) Acked(envelopeID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, acked := s.acks[envelopeID]
	return acked
}

// AckPayload returns the payload the client acknowledged the envelope with, nil when it sent none or has
// not acknowledged it.
func (s *Server) AckPayload(envelopeID string) json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.acks[envelopeID]
}

// WaitAck waits until the client acknowledged the envelope; it fails the test after 10 s.
func (s *Server) WaitAck(t testing.TB, envelopeID string) {
	t.Helper()
	if !s.wait(func() bool { _, acked := s.acks[envelopeID]; return acked }) {
		t.Fatalf("fakeslack: waited %v for the ack of envelope %s", waitTimeout, envelopeID)
	}
}

// Connections returns how many websocket connections have been opened so far.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opened
}

// WaitConnections waits until at least n websocket connections have been opened; it fails the test after 10 s.
func (s *Server) WaitConnections(t testing.TB, n int) {
	t.Helper()
	if !s.wait(func() bool { return s.opened >= n }) {
		t.Fatalf("fakeslack: waited %v for %d Socket Mode connections, have %d; calls seen: %s",
			waitTimeout, n, s.Connections(), s.summary())
	}
}

// Drop closes the current websocket connection abruptly, without a close frame, as a network failure
// would. It does nothing when there is no connection.
func (s *Server) Drop() {
	if c := s.takeCurrent(); c != nil {
		c.close()
	}
}

// Disconnect asks the client to reconnect, as Slack does before it recycles a connection: it sends a
// disconnect message with reason ("warning", "refresh_requested", "link_disabled"), gives the client up to
// 2 s to close the connection, then closes it. It does nothing when there is no connection.
func (s *Server) Disconnect(reason string) {
	c := s.takeCurrent()
	if c == nil {
		return
	}
	msg := map[string]any{"type": "disconnect", "reason": reason, "debug_info": map[string]any{"host": "fake"}}
	if err := c.writeJSON(msg); err == nil {
		select {
		case <-c.done:
		case <-time.After(disconnectGrace):
		}
	}
	c.close()
}

// EventsAPI builds an events_api envelope for SendEnvelope carrying event (with at least "type"), as Slack
// delivers it for the retryAttempt-th time (0 for the first delivery; Slack retries unacknowledged events
// with the same event_id). SendEnvelope assigns the envelope_id: a redelivery gets a new one, as in Slack.
func EventsAPI(eventID string, event map[string]any, retryAttempt int) map[string]any {
	reason := ""
	if retryAttempt > 0 {
		reason = "timeout"
	}
	return map[string]any{
		"type": "events_api",
		"payload": map[string]any{
			"token":      "fake-verification-token",
			"type":       "event_callback",
			"team_id":    TeamID,
			"api_app_id": AppID,
			"event_id":   eventID,
			"event_time": time.Now().Unix(),
			"event":      event,
			"authorizations": []map[string]any{
				{"team_id": TeamID, "user_id": BotUserID, "is_bot": true},
			},
		},
		"retry_attempt":            retryAttempt,
		"retry_reason":             reason,
		"accepts_response_payload": false,
	}
}

// Interactive builds an interactive envelope (a block_actions or view_submission payload, say) for
// SendEnvelope.
func Interactive(payload map[string]any) map[string]any {
	return map[string]any{"type": "interactive", "payload": payload, "accepts_response_payload": true}
}

// SlashCommand builds a slash_commands envelope for SendEnvelope from the command's form ("command",
// "text", "user_id", "channel_id", …); team_id and api_app_id default to the fake's.
func SlashCommand(form map[string]string) map[string]any {
	payload := map[string]string{"team_id": TeamID, "api_app_id": AppID}
	maps.Copy(payload, form)
	return map[string]any{"type": "slash_commands", "payload": payload, "accepts_response_payload": true}
}
