package fakeslack

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"testing"
	"unicode/utf8"
)

// Views: modals (views.open, with a trigger_id from an interaction) and App Home tabs (views.publish), as
// Slack checks them: a trigger id is used once and expires (ExpireTriggers acts that out), a modal's
// title and buttons hold 24 characters, a view 100 blocks, an input block needs a label and an element,
// and block ids are unique in a view.

// View is a view the bot opened or published.
type View struct {
	ID   string
	Type string // "modal" or "home"
	// User is whom a home was published for; TriggerID what opened a modal.
	User, TriggerID string
	CallbackID      string
	PrivateMetadata string
	Title           string
	// Blocks is the "blocks" array as sent.
	Blocks json.RawMessage
	// JSON is the whole view as sent.
	JSON json.RawMessage
}

type trigger struct {
	user          string
	used, expired bool
}

// Limits of a view (https://docs.slack.dev/reference/views).
const (
	maxViewBlocks = 100
	maxModalTitle = 24
)

// TriggerID hands out a trigger id for an interaction of user, as Slack puts in a shortcut's, a slash
// command's or a button's payload. It opens one modal, until ExpireTriggers.
func (s *Server) TriggerID(user string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.trigSeq++
	id := fmt.Sprintf("%d.%d.fake%d", 1700000000+s.trigSeq, s.trigSeq, s.trigSeq)
	s.triggers[id] = trigger{user: user}
	return id
}

// ExpiredTriggerID hands out a trigger id that has expired already, as one the app took longer than three
// seconds to use.
func (s *Server) ExpiredTriggerID(user string) string {
	id := s.TriggerID(user)
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.triggers[id]
	t.expired = true
	s.triggers[id] = t
	return id
}

// ExpireTriggers makes every trigger id handed out so far expired, as Slack does three seconds after the
// interaction.
func (s *Server) ExpireTriggers() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, t := range s.triggers {
		t.expired = true
		s.triggers[id] = t
	}
}

// Modals returns the modals opened so far, in order.
func (s *Server) Modals() []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.modals)
}

// WaitModals waits until n modals were opened and returns them all; it fails the test after 10 s.
func (s *Server) WaitModals(t testing.TB, n int) []View {
	t.Helper()
	if !s.wait(func() bool { return len(s.modals) >= n }) {
		t.Fatalf("fakeslack: waited %v for %d modals, have %d; calls seen: %s", waitTimeout, n, len(s.Modals()), s.summary())
	}
	return s.Modals()
}

// Homes returns the home tabs published for user ("" for everyone), in order.
func (s *Server) Homes(user string) []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []View
	for _, v := range s.homes {
		if user == "" || v.User == user {
			out = append(out, v)
		}
	}
	return out
}

// WaitHomes waits until n home tabs were published for user and returns them all; it fails the test
// after 10 s.
func (s *Server) WaitHomes(t testing.TB, user string, n int) []View {
	t.Helper()
	if !s.wait(func() bool {
		c := 0
		for _, v := range s.homes {
			if v.User == user {
				c++
			}
		}
		return c >= n
	}) {
		t.Fatalf("fakeslack: waited %v for %d homes of %s, have %d; calls seen: %s", waitTimeout, n, user, len(s.Homes(user)), s.summary())
	}
	return s.Homes(user)
}

// viewJSON is what the fake reads of a view.
type viewJSON struct {
	Type            string          `json:"type"`
	Title           *textJSON       `json:"title"`
	Submit          *textJSON       `json:"submit"`
	Close           *textJSON       `json:"close"`
	CallbackID      string          `json:"callback_id"`
	PrivateMetadata string          `json:"private_metadata"`
	Blocks          json.RawMessage `json:"blocks"`
}

type textJSON struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// checkView returns the error Slack answers a view with, or "".
func checkView(v viewJSON, wantType string) string {
	if v.Type != wantType {
		return "invalid_arguments"
	}
	if wantType == "modal" {
		for _, t := range []*textJSON{v.Title, v.Submit, v.Close} {
			if t != nil && (t.Type != "plain_text" || utf8.RuneCountInString(t.Text) > maxModalTitle) {
				return "invalid_arguments"
			}
		}
		if v.Title == nil || v.Title.Text == "" {
			return "invalid_arguments"
		}
	}
	if len(v.PrivateMetadata) > 3000 || len(v.CallbackID) > 255 {
		return "invalid_arguments"
	}
	var blocks []struct {
		Type    string          `json:"type"`
		BlockID string          `json:"block_id"`
		Label   *textJSON       `json:"label"`
		Element json.RawMessage `json:"element"`
	}
	if json.Unmarshal(v.Blocks, &blocks) != nil || len(blocks) > maxViewBlocks {
		return "invalid_blocks"
	}
	ids := map[string]bool{}
	for _, b := range blocks {
		if b.BlockID != "" {
			if ids[b.BlockID] || len(b.BlockID) > 255 {
				return "invalid_blocks"
			}
			ids[b.BlockID] = true
		}
		if b.Type == "input" && (b.Label == nil || b.Label.Text == "" || utf8.RuneCountInString(b.Label.Text) > 2000 || len(b.Element) == 0) {
			return "invalid_blocks"
		}
	}
	return ""
}

func (s *Server) viewsOpenLocked(f url.Values) reply {
	var v viewJSON
	if json.Unmarshal([]byte(f.Get("view")), &v) != nil {
		return errReply("invalid_arguments")
	}
	id := f.Get("trigger_id")
	t, ok := s.triggers[id]
	switch {
	case !ok:
		return errReply("invalid_trigger_id")
	case t.expired:
		return errReply("expired_trigger_id")
	case t.used:
		return errReply("exchanged_trigger_id")
	}
	if e := checkView(v, "modal"); e != "" {
		return errReply(e)
	}
	t.used = true
	s.triggers[id] = t
	s.viewSeq++
	view := View{ID: fmt.Sprintf("V%07d", s.viewSeq), Type: "modal", User: t.user, TriggerID: id, CallbackID: v.CallbackID,
		PrivateMetadata: v.PrivateMetadata, Title: v.Title.Text, Blocks: v.Blocks, JSON: json.RawMessage(f.Get("view"))}
	s.modals = append(s.modals, view)
	return okReply(map[string]any{"view": map[string]any{"id": view.ID, "team_id": TeamID, "type": "modal",
		"callback_id": v.CallbackID, "private_metadata": v.PrivateMetadata, "hash": "h" + view.ID, "app_id": AppID, "bot_id": BotID}})
}

func (s *Server) viewsPublishLocked(f url.Values) reply {
	var v viewJSON
	if json.Unmarshal([]byte(f.Get("view")), &v) != nil {
		return errReply("invalid_arguments")
	}
	user := f.Get("user_id")
	if user == "" {
		return errReply("invalid_arguments")
	}
	if _, known := s.users[user]; !known {
		return errReply("user_not_found")
	}
	if e := checkView(v, "home"); e != "" {
		return errReply(e)
	}
	s.viewSeq++
	view := View{ID: fmt.Sprintf("V%07d", s.viewSeq), Type: "home", User: user, CallbackID: v.CallbackID,
		PrivateMetadata: v.PrivateMetadata, Blocks: v.Blocks, JSON: json.RawMessage(f.Get("view"))}
	s.homes = append(s.homes, view)
	return okReply(map[string]any{"view": map[string]any{"id": view.ID, "team_id": TeamID, "type": "home", "hash": "h" + view.ID}})
}

// MessageShortcut builds the interactive envelope of a message shortcut (type message_action) that user
// used on m in channel, for SendEnvelope.
func MessageShortcut(callbackID, user, channel string, m Message, triggerID, responseURL string) map[string]any {
	msg := messageJSON(m)
	return Interactive(map[string]any{
		"type": "message_action", "callback_id": callbackID, "trigger_id": triggerID, "response_url": responseURL,
		"action_ts": m.TS, "message_ts": m.TS, "team": map[string]any{"id": TeamID, "domain": "firstline"},
		"user": map[string]any{"id": user, "name": user, "team_id": TeamID}, "channel": map[string]any{"id": channel, "name": "channel"},
		"message": msg,
	})
}

// ViewSubmission builds the interactive envelope of user submitting the modal v with values (block id
// -> action id -> the element's state, as Slack sends it: {"type":"plain_text_input","value":…}), for
// SendEnvelope.
func ViewSubmission(user string, v View, values map[string]map[string]any) map[string]any {
	return Interactive(map[string]any{
		"type": "view_submission", "trigger_id": v.TriggerID + ".submit", "team": map[string]any{"id": TeamID, "domain": "firstline"},
		"user": map[string]any{"id": user, "name": user, "team_id": TeamID},
		"view": map[string]any{"id": v.ID, "team_id": TeamID, "type": "modal", "callback_id": v.CallbackID,
			"private_metadata": v.PrivateMetadata, "hash": "h" + v.ID, "app_id": AppID, "bot_id": BotID,
			"blocks": v.Blocks, "state": map[string]any{"values": values}},
	})
}

// HomeAction builds the interactive envelope of user pressing a button (actionID, value) on their home
// tab v, for SendEnvelope.
func HomeAction(user string, v View, triggerID, actionID, value string) map[string]any {
	return Interactive(map[string]any{
		"type": "block_actions", "trigger_id": triggerID, "team": map[string]any{"id": TeamID, "domain": "firstline"},
		"user":      map[string]any{"id": user, "name": user, "team_id": TeamID},
		"container": map[string]any{"type": "view", "view_id": v.ID},
		"view":      map[string]any{"id": v.ID, "type": "home", "team_id": TeamID, "app_id": AppID, "bot_id": BotID, "hash": "h" + v.ID},
		"actions": []any{map[string]any{"type": "button", "action_id": actionID, "block_id": "home", "value": value,
			"action_ts": "1700000000.000001"}},
	})
}
