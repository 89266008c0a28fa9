package fakeslack

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// The Web API: one handler for /api/<method>, the answer of each method, and the limits Slack puts on
// what is posted.

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
