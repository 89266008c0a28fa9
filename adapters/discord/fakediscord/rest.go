package fakediscord

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// apiPrefix matches the versioned API root; discordgo uses v9, the gateway v10, so accept any.
var apiPrefix = regexp.MustCompile(`^/api/v[0-9]+`)

// reply is a REST answer.
type reply struct {
	status  int
	header  map[string]string
	body    any // nil for 204
	unknown bool
}

func ok(body any) reply      { return reply{status: http.StatusOK, body: body} }
func created(body any) reply { return reply{status: http.StatusCreated, body: body} }
func noContent() reply       { return reply{status: http.StatusNoContent} }

// apiError is Discord's JSON error, which discordgo decodes into RESTError.Message.
func apiError(status, code int, message string) reply {
	return reply{status: status, body: map[string]any{"code": code, "message": message}}
}

// invalidForm is Discord's 50035, naming the field at fault.
func invalidForm(field, code, message string) reply {
	return reply{status: http.StatusBadRequest, body: map[string]any{
		"code": 50035, "message": "Invalid Form Body",
		"errors": map[string]any{field: map[string]any{"_errors": []any{map[string]any{"code": code, "message": message}}}},
	}}
}

func (s *Server) serveREST(w http.ResponseWriter, r *http.Request) {
	body, files, err := readBody(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var segs []string
	if prefix := apiPrefix.FindString(r.URL.EscapedPath()); prefix != "" {
		segs, err = segments(strings.TrimPrefix(r.URL.EscapedPath(), prefix))
	}

	s.mu.Lock()
	var rep reply
	if err != nil || segs == nil {
		rep = reply{status: http.StatusNotFound, body: map[string]any{"code": 0, "message": "404: Not Found"}, unknown: true}
	} else {
		rep = s.routeLocked(r, segs, body, files)
	}
	s.calls = append(s.calls, Call{
		Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Body: body,
		Status: rep.status, Unknown: rep.unknown,
	})
	loss := s.lossLocked(r.Method, segs)
	s.notifyLocked()
	s.mu.Unlock()

	if loss != 0 {
		loseResponse(w, loss)
		return
	}

	for k, v := range rep.header {
		w.Header().Set(k, v)
	}
	if rep.body == nil {
		w.WriteHeader(rep.status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rep.status)
	_ = json.NewEncoder(w).Encode(rep.body)
}

// segments splits an escaped path into unescaped segments, so an emoji or a "/" inside one stays whole.
func segments(escaped string) ([]string, error) {
	parts := strings.Split(strings.Trim(escaped, "/"), "/")
	for i, p := range parts {
		u, err := url.PathUnescape(p)
		if err != nil {
			return nil, err
		}
		parts[i] = u
	}
	return parts, nil
}

// readBody returns a request's JSON body; for multipart requests (discordgo sends messages with files
// that way) the payload_json part, and the files that came with it.
func readBody(r *http.Request) (body json.RawMessage, files []upload, err error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "multipart/form-data" {
		if err := r.ParseMultipartForm(10 << 20); err != nil {
			return nil, nil, fmt.Errorf("parse multipart form: %w", err)
		}
		defer func() { _ = r.MultipartForm.RemoveAll() }()
		if files, err = readUploads(r.MultipartForm); err != nil {
			return nil, nil, fmt.Errorf("read the files: %w", err)
		}
		if p := r.FormValue("payload_json"); p != "" {
			return json.RawMessage(p), files, nil
		}
		return nil, files, nil
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, nil, fmt.Errorf("read body: %w", err)
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil, nil
	}
	return raw, nil, nil
}

// match reports whether segs has the shape of pattern, where "*" matches any one segment, and returns
// the segments the stars matched.
func match(segs []string, pattern ...string) ([]string, bool) {
	if len(segs) != len(pattern) {
		return nil, false
	}
	var vars []string
	for i, p := range pattern {
		switch {
		case p == "*":
			vars = append(vars, segs[i])
		case p != segs[i]:
			return nil, false
		}
	}
	return vars, true
}

func (s *Server) routeLocked(r *http.Request, segs []string, body json.RawMessage, files []upload) reply {
	if rep, limited := s.rateLimitLocked(r.URL.Path); limited {
		return rep
	}
	isGateway := len(segs) > 0 && segs[0] == "gateway"
	// An interaction's token is its own authorization: its routes take no bot token.
	isWebhook := len(segs) >= 3 && segs[0] == "webhooks"
	if !isGateway && !isWebhook && !strings.HasPrefix(r.Header.Get("Authorization"), "Bot ") {
		// Bot tokens go as "Bot <token>"; Discord answers anything else 401.
		return apiError(http.StatusUnauthorized, 0, "401: Unauthorized")
	}

	m := r.Method
	var fields map[string]json.RawMessage
	if len(body) > 0 && !bytes.HasPrefix(bytes.TrimSpace(body), []byte("[")) { // a bulk overwrite is an array
		if err := json.Unmarshal(body, &fields); err != nil {
			return apiError(http.StatusBadRequest, 50109, "The request body contains invalid JSON.")
		}
	}
	if isWebhook {
		return s.webhookLocked(m, segs, body, fields, r.URL.Query().Get("wait") == "true")
	}
	if rep, hit := s.commandsLocked(m, segs, body); hit {
		return rep
	}
	if _, hit := match(segs, "gateway"); hit && m == http.MethodGet {
		return ok(map[string]any{"url": s.wsURL})
	}
	if _, hit := match(segs, "gateway", "bot"); hit && m == http.MethodGet {
		return ok(map[string]any{
			"url": s.wsURL, "shards": 1,
			"session_start_limit": map[string]any{"total": 1000, "remaining": 999, "reset_after": 86400000, "max_concurrency": 1},
		})
	}
	if _, hit := match(segs, "users", "@me"); hit && m == http.MethodGet {
		return ok(botUser())
	}
	if _, hit := match(segs, "users", "@me", "channels"); hit && m == http.MethodPost {
		return s.createDMLocked(fields)
	}
	if v, hit := match(segs, "channels", "*"); hit && m == http.MethodGet {
		ch, known := s.channels[v[0]]
		if !known {
			return apiError(http.StatusNotFound, 10003, "Unknown Channel")
		}
		return ok(channelJSON(ch))
	}
	if v, hit := match(segs, "channels", "*", "messages"); hit {
		switch m {
		case http.MethodGet:
			return s.listMessagesLocked(v[0], r.URL.Query())
		case http.MethodPost:
			return s.sendLocked(v[0], body, fields, files)
		}
	}
	if v, hit := match(segs, "channels", "*", "messages", "*"); hit {
		switch m {
		case http.MethodGet:
			msg, found := s.findMessageLocked(v[0], v[1])
			if !found {
				return apiError(http.StatusNotFound, 10008, "Unknown Message")
			}
			return ok(s.restMessageLocked(msg))
		case http.MethodPatch:
			return s.editLocked(v[0], v[1], body, fields)
		}
	}
	if v, hit := match(segs, "channels", "*", "messages", "*", "reactions", "*", "@me"); hit && m == http.MethodPut {
		if _, found := s.findMessageLocked(v[0], v[1]); !found {
			return apiError(http.StatusNotFound, 10008, "Unknown Message")
		}
		s.reactions = append(s.reactions, Reaction{ChannelID: v[0], MessageID: v[1], Emoji: v[2]})
		return noContent()
	}
	if v, hit := match(segs, "channels", "*", "messages", "*", "threads"); hit && m == http.MethodPost {
		return s.startThreadLocked(v[0], v[1], fields)
	}
	if v, hit := match(segs, "interactions", "*", "*", "callback"); hit && m == http.MethodPost {
		return s.respondLocked(v[0], v[1], fields)
	}
	if v, hit := match(segs, "guilds", "*", "members", "*"); hit && m == http.MethodGet {
		if v[0] != GuildID {
			return apiError(http.StatusNotFound, 10004, "Unknown Guild")
		}
		roles, known := s.members[v[1]]
		if !known {
			return apiError(http.StatusNotFound, 10007, "Unknown Member")
		}
		return ok(map[string]any{
			"user":  map[string]any{"id": v[1], "username": "user" + v[1], "discriminator": "0"},
			"roles": append([]string{}, roles...), "joined_at": "2024-01-01T00:00:00.000000+00:00",
			"deaf": false, "mute": false, "flags": 0,
		})
	}
	rep := apiError(http.StatusNotFound, 0, "404: Not Found")
	rep.unknown = true
	return rep
}

// rateLimitLocked answers a scripted 429 when one applies to path.
func (s *Server) rateLimitLocked(path string) (reply, bool) {
	i := slices.IndexFunc(s.limits, func(l *rateLimit) bool { return strings.HasPrefix(path, l.prefix) })
	if i < 0 {
		return reply{}, false
	}
	l := s.limits[i]
	if l.left--; l.left <= 0 {
		s.limits = slices.Delete(s.limits, i, i+1)
	}
	secs := l.retryAfter.Seconds()
	h := map[string]string{"Retry-After": strconv.Itoa(int(math.Ceil(secs)))}
	if l.global {
		h["X-RateLimit-Global"] = "true"
		h["X-RateLimit-Scope"] = "global"
	} else {
		h["X-RateLimit-Limit"] = "5"
		h["X-RateLimit-Remaining"] = "0"
		h["X-RateLimit-Reset-After"] = strconv.FormatFloat(secs, 'f', 3, 64)
		h["X-RateLimit-Reset"] = strconv.FormatFloat(float64(time.Now().Add(l.retryAfter).UnixMilli())/1000, 'f', 3, 64)
		h["X-RateLimit-Bucket"] = "fakebucket"
		h["X-RateLimit-Scope"] = "user"
	}
	return reply{status: http.StatusTooManyRequests, header: h, body: map[string]any{
		"message": "You are being rate limited.", "retry_after": secs, "global": l.global,
	}}, true
}

func botUser() map[string]any {
	return map[string]any{"id": BotID, "username": BotName, "discriminator": "0", "global_name": nil, "bot": true}
}

func channelJSON(ch channel) map[string]any {
	out := map[string]any{"id": ch.id, "type": ch.typ}
	if ch.typ == 1 || ch.typ == 3 { // DMs belong to no guild
		out["recipients"] = []any{map[string]any{"id": ch.recipient, "username": "user" + ch.recipient, "discriminator": "0"}}
		out["last_message_id"] = nil
		return out
	}
	out["guild_id"] = GuildID
	out["name"] = ch.name
	if ch.parentID != "" {
		out["parent_id"] = ch.parentID
	}
	if ch.typ == 10 || ch.typ == 11 || ch.typ == 12 {
		out["owner_id"] = BotID
		out["thread_metadata"] = map[string]any{"archived": false, "auto_archive_duration": 1440, "locked": false}
	}
	return out
}

// stringField decodes a string field, "" when absent or not a string.
func stringField(fields map[string]json.RawMessage, key string) string {
	var v string
	_ = json.Unmarshal(fields[key], &v)
	return v
}

// emptyJSON reports whether a raw field is absent, null or an empty array.
func emptyJSON(raw json.RawMessage) bool {
	t := string(bytes.TrimSpace(raw))
	return t == "" || t == "null" || t == "[]"
}

func (s *Server) createDMLocked(fields map[string]json.RawMessage) reply {
	recipient := stringField(fields, "recipient_id")
	if recipient == "" {
		return invalidForm("recipient_id", "BASE_TYPE_REQUIRED", "This field is required")
	}
	// The same recipient always gets the same channel, as in Discord.
	id, exists := s.dms[recipient]
	if !exists {
		id = s.newIDLocked()
		s.dms[recipient] = id
		s.channels[id] = channel{id: id, typ: 1, recipient: recipient}
	}
	return ok(channelJSON(s.channels[id]))
}

// snowflakeCmp orders ids numerically: shorter decimal strings are smaller numbers.
func snowflakeCmp(a, b string) int {
	return cmp.Or(cmp.Compare(len(a), len(b)), strings.Compare(a, b))
}

// putHistoryLocked adds or, when replace, replaces a message in a channel's history, keeping id order.
func (s *Server) putHistoryLocked(channelID, id string, data map[string]any, replace bool) {
	h := s.history[channelID]
	i, found := slices.BinarySearchFunc(h, id, func(m storedMessage, id string) int { return snowflakeCmp(m.id, id) })
	switch {
	case found && replace:
		h[i].data = data
	case !found:
		s.history[channelID] = slices.Insert(h, i, storedMessage{id: id, data: data})
	}
}

func (s *Server) findMessageLocked(channelID, id string) (map[string]any, bool) {
	h := s.history[channelID]
	i, found := slices.BinarySearchFunc(h, id, func(m storedMessage, id string) int { return snowflakeCmp(m.id, id) })
	if !found {
		return nil, false
	}
	return h[i].data, true
}

// listMessagesLocked answers GET /channels/{id}/messages as Discord does: at most limit (default 50,
// 1–100) messages, newest first whatever the parameters; with after, the ones right after it (the oldest
// newer ones), with before the ones right before it.
func (s *Server) listMessagesLocked(channelID string, q url.Values) reply {
	limit := 50
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 100 {
			return invalidForm("limit", "NUMBER_TYPE_MAX", "int value should be between 1 and 100.")
		}
		limit = n
	}
	if q.Get("around") != "" {
		rep := apiError(http.StatusNotImplemented, 0, "fakediscord: around is not supported")
		rep.unknown = true
		return rep
	}
	h := s.history[channelID]
	var page []storedMessage
	switch after, before := q.Get("after"), q.Get("before"); {
	case after != "":
		for _, m := range h {
			if snowflakeCmp(m.id, after) > 0 && len(page) < limit {
				page = append(page, m)
			}
		}
	case before != "":
		for _, m := range h {
			if snowflakeCmp(m.id, before) < 0 {
				page = append(page, m)
			}
		}
		page = page[max(0, len(page)-limit):]
	default:
		page = h[max(0, len(h)-limit):]
	}
	out := make([]any, 0, len(page))
	for i := len(page) - 1; i >= 0; i-- {
		out = append(out, s.restMessageLocked(page[i].data))
	}
	return ok(out)
}

// restMessageLocked is a message as the REST API returns it: without guild_id and member (and the
// members of its mentions), which only the gateway's MESSAGE_CREATE and MESSAGE_UPDATE carry, and with
// attachment URLs that work now. Code that reads history must find a message's server and its author's
// roles another way.
func (s *Server) restMessageLocked(data map[string]any) map[string]any {
	out := maps.Clone(data)
	s.refreshAttachmentsLocked(out)
	delete(out, "guild_id")
	delete(out, "member")
	if mentions, ok := out["mentions"].([]any); ok {
		clean := make([]any, 0, len(mentions))
		for _, u := range mentions {
			if um, ok := u.(map[string]any); ok {
				um = maps.Clone(um)
				delete(um, "member")
				u = um
			}
			clean = append(clean, u)
		}
		out["mentions"] = clean
	}
	return out
}

// sendLocked answers POST /channels/{id}/messages. Any channel id is accepted: the fake does not make
// tests declare the channels they post to.
func (s *Server) sendLocked(channelID string, body json.RawMessage, fields map[string]json.RawMessage, files []upload) reply {
	content := stringField(fields, "content")
	if content == "" && len(files) == 0 && emptyJSON(fields["embeds"]) && emptyJSON(fields["components"]) && emptyJSON(fields["sticker_ids"]) {
		return apiError(http.StatusBadRequest, 50006, "Cannot send an empty message")
	}
	if utf8.RuneCountInString(content) > 2000 {
		return invalidForm("content", "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length.")
	}
	nonce, enforced, bad := nonceOf(fields)
	if bad != nil {
		return *bad
	}
	if enforced {
		if msg, seen := s.nonceMessageLocked(channelID, nonce); seen {
			return ok(msg)
		}
	}
	attachments, stored, bad := s.attachmentsLocked(channelID, fields, files)
	if bad != nil {
		return *bad
	}
	id := s.newIDLocked()
	msg := map[string]any{
		"id": id, "channel_id": channelID, "type": 0, "content": content, "author": botUser(),
		"timestamp": time.Now().UTC().Format(time.RFC3339Nano), "edited_timestamp": nil,
		"tts": false, "mention_everyone": false, "mentions": []any{}, "mention_roles": []any{},
		"attachments": append([]any{}, attachments...), "embeds": arrayOrEmpty(fields["embeds"]),
		"components": arrayOrEmpty(fields["components"]), "pinned": false, "flags": 0,
	}
	if ch, known := s.channels[channelID]; !known || ch.typ != 1 {
		msg["guild_id"] = GuildID
	}
	if ref := fields["message_reference"]; !emptyJSON(ref) {
		msg["type"] = 19 // a reply
		msg["message_reference"] = ref
	}
	s.putHistoryLocked(channelID, id, msg, true)
	for _, fid := range stored {
		f := s.files[fid]
		f.messageID = id
		s.uploads = append(s.uploads, Upload{MessageID: id, ChannelID: channelID, AttachmentID: fid, Filename: f.filename, ContentType: f.typ, Data: f.data})
	}
	s.sent = append(s.sent, Message{
		ID: id, ChannelID: channelID, Content: content,
		Embeds: fields["embeds"], Components: fields["components"], AllowedMentions: fields["allowed_mentions"],
		Raw: body,
	})
	return ok(s.withNonceLocked(channelID, id, msg, nonce, enforced))
}

func arrayOrEmpty(raw json.RawMessage) any {
	if emptyJSON(raw) {
		return []any{}
	}
	return raw
}

// editLocked answers PATCH /channels/{id}/messages/{mid}: only the bot's own messages can be edited, and
// null for embeds or components clears them.
func (s *Server) editLocked(channelID, id string, body json.RawMessage, fields map[string]json.RawMessage) reply {
	old, found := s.findMessageLocked(channelID, id)
	if !found {
		return apiError(http.StatusNotFound, 10008, "Unknown Message")
	}
	if author, _ := old["author"].(map[string]any); author == nil || author["id"] != BotID {
		return apiError(http.StatusForbidden, 50005, "Cannot edit a message authored by another user")
	}
	msg := maps.Clone(old)
	if raw, sent := fields["content"]; sent {
		msg["content"] = stringField(fields, "content")
		if string(raw) == "null" {
			msg["content"] = ""
		}
	}
	for _, k := range []string{"embeds", "components"} {
		if raw, sent := fields[k]; sent {
			msg[k] = arrayOrEmpty(raw)
		}
	}
	content, _ := msg["content"].(string)
	if utf8.RuneCountInString(content) > 2000 {
		return invalidForm("content", "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length.")
	}
	msg["edited_timestamp"] = time.Now().UTC().Format(time.RFC3339Nano)
	s.putHistoryLocked(channelID, id, msg, true)
	for i := range s.sent {
		if s.sent[i].ID == id {
			s.sent[i].Edited = true
		}
	}
	s.edits = append(s.edits, Message{
		ID: id, ChannelID: channelID, Content: content,
		Embeds: fields["embeds"], Components: fields["components"], AllowedMentions: fields["allowed_mentions"],
		Raw: body, Edited: true,
	})
	return ok(msg)
}

// startThreadLocked answers POST /channels/{cid}/messages/{mid}/threads: the thread takes the message's
// id, so a message has at most one.
func (s *Server) startThreadLocked(channelID, messageID string, fields map[string]json.RawMessage) reply {
	name := stringField(fields, "name")
	if name == "" {
		return invalidForm("name", "BASE_TYPE_REQUIRED", "This field is required")
	}
	if utf8.RuneCountInString(name) > 100 {
		return invalidForm("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
	}
	if _, found := s.findMessageLocked(channelID, messageID); !found {
		return apiError(http.StatusNotFound, 10008, "Unknown Message")
	}
	if _, exists := s.channels[messageID]; exists {
		return apiError(http.StatusBadRequest, 160004, "A thread has already been created for this message")
	}
	ch := channel{id: messageID, parentID: channelID, typ: 11, name: name}
	s.channels[messageID] = ch
	s.threads = append(s.threads, Thread{ID: messageID, ParentID: channelID, Name: name})
	return created(channelJSON(ch))
}
