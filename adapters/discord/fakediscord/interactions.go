package fakediscord

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"testing"
	"time"
	"unicode/utf8"
)

// Interactions, as Discord handles them. The fake remembers every INTERACTION_CREATE it dispatches (its
// id, token, type and channel) and holds the answers to the rules Discord does:
//   - one response per interaction (POST /interactions/{id}/{token}/callback), of a type the interaction
//     takes: a modal (9) answers a command or a button, never a modal's submission; autocomplete results
//     (8) answer autocomplete only; a deferred update (6) or an update (7) a button or a modal submission;
//   - a modal holds 1 to 5 action rows of one text input each, with Discord's lengths;
//   - follow-ups (POST /webhooks/{application}/{token}) need the response first; the first one after a
//     deferred message (5) replaces its "thinking…" message and keeps the deferral's flags (so an
//     ephemeral deferral makes an ephemeral answer), later ones are new messages with their own flags;
//   - the token works for 15 minutes: ExpireInteractions acts out the end of it (and of the 3 seconds a
//     response must come within).
// An interaction the fake did not dispatch is taken as it comes: only the one-response rule applies.

// Interaction types and response types (https://discord.com/developers/docs/interactions/receiving-and-responding).
const (
	interactionCommand      = 2
	interactionComponent    = 3
	interactionAutocomplete = 4
	interactionModalSubmit  = 5

	flagEphemeral = 1 << 6
)

// interaction is what the fake knows of an interaction it dispatched.
type interaction struct {
	id, token, channelID string
	typ                  int
	responded            int  // the response type, 0 before the response
	flags                int  // the response's flags
	thinking             bool // a deferred message (5) that no follow-up or edit has replaced yet
	expired              bool
	original             map[string]any // the response's message, once there is one
}

// Followup is a message sent with an interaction's token: a follow-up, or the edit of the response.
type Followup struct {
	InteractionID, Token, ID string
	// Original is true when the message is the interaction's response: a follow-up that replaced a
	// deferred "thinking…" message, or an edit of @original.
	Original bool
	Content  string
	// Flags are the message's flags as Discord keeps them (64: ephemeral, seen by the user alone).
	Flags                               int
	Embeds, Components, AllowedMentions json.RawMessage
	Raw                                 json.RawMessage
}

// Ephemeral reports whether only the person who used the interaction sees the message.
func (f Followup) Ephemeral() bool { return f.Flags&flagEphemeral != 0 }

// Followups returns the follow-ups and response edits the bot sent, in order.
func (s *Server) Followups() []Followup {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.followups)
}

// WaitFollowups waits until at least n follow-ups were sent and returns them; it fails the test after 10 s.
func (s *Server) WaitFollowups(t testing.TB, n int) []Followup {
	t.Helper()
	if !s.wait(func() bool { return len(s.followups) >= n }) {
		t.Fatalf("fakediscord: waited %v for %d follow-ups, have %d; calls: %s", waitTimeout, n, len(s.Followups()), s.summary())
	}
	return s.Followups()
}

// ExpireInteractions ends every interaction dispatched so far, as time does: a response is refused with
// 10062 (Unknown interaction, past 3 seconds) and a follow-up with 50027 (Invalid Webhook Token, past 15
// minutes).
func (s *Server) ExpireInteractions() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, it := range s.interacts {
		it.expired = true
	}
}

// LateInteractions makes the interactions dispatched while on arrive too late, as a gateway's delivery
// held up past the deadlines does: they are expired from the start (see ExpireInteractions).
func (s *Server) LateInteractions(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.late = on
}

// rememberInteractionLocked notes an interaction the fake dispatches.
func (s *Server) rememberInteractionLocked(data json.RawMessage) {
	var in struct {
		ID        string `json:"id"`
		Token     string `json:"token"`
		Type      int    `json:"type"`
		ChannelID string `json:"channel_id"`
	}
	if json.Unmarshal(data, &in) != nil || in.ID == "" {
		return
	}
	it := &interaction{id: in.ID, token: in.Token, typ: in.Type, channelID: in.ChannelID, expired: s.late}
	s.interacts[in.ID] = it
	if in.Token != "" {
		s.byToken[in.Token] = it
	}
}

// respondLocked answers POST /interactions/{id}/{token}/callback.
func (s *Server) respondLocked(id, token string, fields map[string]json.RawMessage) reply {
	var typ int
	if err := json.Unmarshal(fields["type"], &typ); err != nil || typ == 0 {
		return invalidForm("type", "BASE_TYPE_REQUIRED", "This field is required")
	}
	it := s.interacts[id]
	if it != nil && (it.token != token || it.expired) {
		return apiError(http.StatusNotFound, 10062, "Unknown interaction")
	}
	if s.answered[id] {
		return apiError(http.StatusBadRequest, 40060, "Interaction has already been acknowledged.")
	}
	var data map[string]json.RawMessage
	if raw := fields["data"]; !emptyJSON(raw) {
		if err := json.Unmarshal(raw, &data); err != nil {
			return invalidForm("data", "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType")
		}
	}
	if it != nil && !responseFits(it.typ, typ) {
		return invalidForm("type", "INTERACTION_RESPONSE_TYPE_INVALID", fmt.Sprintf("Interaction response type %d is not valid for an interaction of type %d.", typ, it.typ))
	}
	switch typ {
	case 4:
		if bad := checkMessage(data); bad != nil {
			return *bad
		}
	case 8:
		if bad := checkChoices(data); bad != nil {
			return *bad
		}
	case 9:
		if bad := checkModal(data); bad != nil {
			return *bad
		}
	}
	s.answered[id] = true
	s.interactions = append(s.interactions, InteractionResponse{InteractionID: id, Token: token, Type: typ, Data: fields["data"]})
	if it != nil {
		it.responded, it.flags = typ, intField(data, "flags")
		switch typ {
		case 4:
			it.original = s.webhookMessageLocked(it, data, it.flags)
		case 5:
			it.thinking = true
			it.original = map[string]any{"id": s.newIDLocked(), "channel_id": it.channelID, "content": "", "flags": it.flags | 1<<7} // LOADING
		}
	}
	return noContent()
}

// responseFits reports whether Discord takes a response of type resp to an interaction of type typ.
func responseFits(typ, resp int) bool {
	switch resp {
	case 1:
		return typ == 1
	case 4, 5:
		return typ == interactionCommand || typ == interactionComponent || typ == interactionModalSubmit
	case 6, 7:
		return typ == interactionComponent || typ == interactionModalSubmit
	case 8:
		return typ == interactionAutocomplete
	case 9:
		return typ == interactionCommand || typ == interactionComponent
	}
	return false
}

func intField(fields map[string]json.RawMessage, key string) int {
	var n int
	_ = json.Unmarshal(fields[key], &n)
	return n
}

// checkMessage checks a message an interaction sends: some content, within 2,000 characters.
func checkMessage(data map[string]json.RawMessage) *reply {
	content := stringField(data, "content")
	if utf8.RuneCountInString(content) > 2000 {
		rep := invalidForm("data.content", "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length.")
		return &rep
	}
	if content == "" && emptyJSON(data["embeds"]) && emptyJSON(data["components"]) && emptyJSON(data["attachments"]) {
		rep := apiError(http.StatusBadRequest, 50006, "Cannot send an empty message")
		return &rep
	}
	return nil
}

// checkChoices checks autocomplete results: at most 25, names 1–100 characters, string values up to 100.
func checkChoices(data map[string]json.RawMessage) *reply {
	var choices []struct {
		Name  string `json:"name"`
		Value any    `json:"value"`
	}
	if err := json.Unmarshal(data["choices"], &choices); err != nil && !emptyJSON(data["choices"]) {
		rep := invalidForm("data.choices", "BASE_TYPE_BAD_TYPE", "Must be an array.")
		return &rep
	}
	if len(choices) > 25 {
		rep := invalidForm("data.choices", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
		return &rep
	}
	for i, c := range choices {
		v, isString := c.Value.(string)
		if n := utf8.RuneCountInString(c.Name); n < 1 || n > 100 || (isString && utf8.RuneCountInString(v) > 100) {
			rep := invalidForm(fmt.Sprintf("data.choices.%d", i), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
			return &rep
		}
	}
	return nil
}

// checkModal checks a modal as Discord does: a title of 1–45 characters, a custom_id of 1–100, and 1 to
// 5 action rows of exactly one text input each, whose custom_ids differ, labels are 1–45 characters,
// style 1 or 2, lengths within 0–4000 (min) and 1–4000 (max), placeholders up to 100 and values up to
// 4000 characters.
func checkModal(data map[string]json.RawMessage) *reply {
	bad := func(field, message string) *reply {
		rep := invalidForm("data."+field, "BASE_TYPE_BAD_LENGTH", message)
		return &rep
	}
	if n := utf8.RuneCountInString(stringField(data, "title")); n < 1 || n > 45 {
		return bad("title", "Must be between 1 and 45 in length.")
	}
	if n := utf8.RuneCountInString(stringField(data, "custom_id")); n < 1 || n > 100 {
		return bad("custom_id", "Must be between 1 and 100 in length.")
	}
	var rows []struct {
		Type       int                          `json:"type"`
		Components []map[string]json.RawMessage `json:"components"`
	}
	if err := json.Unmarshal(data["components"], &rows); err != nil {
		return bad("components", "Must be an array of action rows.")
	}
	if len(rows) < 1 || len(rows) > 5 {
		return bad("components", "Must be between 1 and 5 in length.")
	}
	seen := map[string]bool{}
	for i, row := range rows {
		at := fmt.Sprintf("components.%d", i)
		if row.Type != 1 || len(row.Components) != 1 {
			return bad(at, "An action row of a modal holds one text input.")
		}
		in := row.Components[0]
		at += ".components.0"
		if intField(in, "type") != 4 {
			return bad(at+".type", "Only text inputs go in a modal.")
		}
		id := stringField(in, "custom_id")
		if n := utf8.RuneCountInString(id); n < 1 || n > 100 || seen[id] {
			return bad(at+".custom_id", "Must be between 1 and 100 in length, and unique.")
		}
		seen[id] = true
		if n := utf8.RuneCountInString(stringField(in, "label")); n < 1 || n > 45 {
			return bad(at+".label", "Must be between 1 and 45 in length.")
		}
		if style := intField(in, "style"); style != 1 && style != 2 {
			return bad(at+".style", "Must be 1 (short) or 2 (paragraph).")
		}
		minLen, maxLen := intField(in, "min_length"), intField(in, "max_length")
		if _, set := in["max_length"]; set && (maxLen < 1 || maxLen > 4000) {
			return bad(at+".max_length", "Must be between 1 and 4000.")
		}
		if minLen < 0 || minLen > 4000 || (maxLen > 0 && minLen > maxLen) {
			return bad(at+".min_length", "Must be between 0 and 4000, and at most max_length.")
		}
		if utf8.RuneCountInString(stringField(in, "placeholder")) > 100 {
			return bad(at+".placeholder", "Must be 100 or fewer in length.")
		}
		if utf8.RuneCountInString(stringField(in, "value")) > 4000 {
			return bad(at+".value", "Must be 4000 or fewer in length.")
		}
	}
	return nil
}

// webhookMessageLocked makes the message an interaction's response or follow-up sends; one that is not
// ephemeral also enters its channel's history.
func (s *Server) webhookMessageLocked(it *interaction, data map[string]json.RawMessage, flags int) map[string]any {
	id := s.newIDLocked()
	msg := map[string]any{
		"id": id, "channel_id": it.channelID, "type": 20, "content": stringField(data, "content"), "author": botUser(),
		"webhook_id": AppID, "application_id": AppID, "flags": flags,
		"timestamp": time.Now().UTC().Format(time.RFC3339Nano), "embeds": arrayOrEmpty(data["embeds"]),
		"components": arrayOrEmpty(data["components"]), "attachments": []any{}, "mentions": []any{},
	}
	if flags&flagEphemeral == 0 && it.channelID != "" {
		s.putHistoryLocked(it.channelID, id, maps.Clone(msg), true)
	}
	return msg
}

// webhookLocked answers the routes of an interaction's token: POST /webhooks/{app}/{token} (a
// follow-up), and GET or PATCH /webhooks/{app}/{token}/messages/@original.
func (s *Server) webhookLocked(method string, segs []string, body json.RawMessage, fields map[string]json.RawMessage, wait bool) reply {
	app, token := segs[1], segs[2]
	it := s.byToken[token]
	if app != AppID || it == nil || it.responded == 0 {
		return apiError(http.StatusNotFound, 10015, "Unknown Webhook")
	}
	if it.expired {
		return apiError(http.StatusUnauthorized, 50027, "Invalid Webhook Token")
	}
	record := func(msg map[string]any, original bool) {
		flags, _ := msg["flags"].(int)
		s.followups = append(s.followups, Followup{
			InteractionID: it.id, Token: token, ID: msg["id"].(string), Original: original,
			Content: stringField(fields, "content"), Flags: flags &^ (1 << 7),
			Embeds: fields["embeds"], Components: fields["components"], AllowedMentions: fields["allowed_mentions"], Raw: body,
		})
	}
	switch {
	case len(segs) == 3 && method == http.MethodPost:
		if bad := checkMessage(fields); bad != nil {
			return *bad
		}
		var msg map[string]any
		original := it.thinking && (it.typ == interactionCommand || it.typ == interactionModalSubmit)
		if original {
			// The first follow-up of a deferred message replaces it, keeping the deferral's flags.
			msg = s.webhookMessageLocked(it, fields, it.flags)
			msg["id"] = it.original["id"]
			it.original, it.thinking = msg, false
		} else {
			msg = s.webhookMessageLocked(it, fields, intField(fields, "flags"))
		}
		record(msg, original)
		if !wait {
			return noContent()
		}
		return ok(msg)
	case len(segs) == 5 && segs[3] == "messages" && segs[4] == "@original":
		if it.original == nil {
			return apiError(http.StatusNotFound, 10008, "Unknown Message")
		}
		switch method {
		case http.MethodGet:
			return ok(it.original)
		case http.MethodPatch:
			msg := maps.Clone(it.original)
			if _, sent := fields["content"]; sent {
				msg["content"] = stringField(fields, "content")
			}
			for _, k := range []string{"embeds", "components"} {
				if raw, sent := fields[k]; sent {
					msg[k] = arrayOrEmpty(raw)
				}
			}
			msg["flags"] = it.flags
			it.original, it.thinking = msg, false
			record(msg, true)
			return ok(msg)
		}
	}
	rep := apiError(http.StatusNotFound, 0, "404: Not Found")
	rep.unknown = true
	return rep
}
