package fakeslack

import (
	"net/url"
	"strconv"
	"strings"
)

// The page sizes of conversations.history and conversations.replies: Slack's default and its maximum.
const (
	defaultPage = 100
	maxPage     = 1000
)

// historyLocked answers conversations.history from the messages the bot posted and those people wrote
// (AddMessage): the channel's top-level messages (and replies also sent to the channel), newest first,
// at most limit of them (from the cursor on), and only those after oldest and before latest when given.
// A message's metadata is included only with include_all_metadata. A channel with no message has an
// empty history.
func (s *Server) historyLocked(f url.Values) reply {
	channel := f.Get("channel")
	if channel == "" {
		return errReply("channel_not_found")
	}
	var top []Message
	all := s.messagesLocked(channel)
	for i := len(all) - 1; i >= 0; i-- {
		m := all[i]
		if (m.ThreadTS == "" || m.ThreadTS == m.TS || m.Broadcast) && inRange(m.TS, f) {
			top = append(top, m)
		}
	}
	return s.pageLocked(top, f)
}

// repliesLocked answers conversations.replies: the thread's root, then its replies, oldest first, paged
// like historyLocked. ts may be the root or any message of the thread, as in Slack; a message with no
// replies is a thread of one. A thread the fake has no message of is empty rather than thread_not_found
// (script that with FailNext).
func (s *Server) repliesLocked(f url.Values) reply {
	channel, ts := f.Get("channel"), f.Get("ts")
	switch {
	case channel == "":
		return errReply("channel_not_found")
	case ts == "":
		return errReply("invalid_arguments")
	}
	all := s.messagesLocked(channel)
	for _, m := range all {
		if m.TS == ts && m.ThreadTS != "" && m.ThreadTS != m.TS {
			ts = m.ThreadTS // a reply: its thread
		}
	}
	var thread []Message
	for _, m := range all {
		if (m.TS == ts || m.ThreadTS == ts) && inRange(m.TS, f) {
			thread = append(thread, m)
		}
	}
	return s.pageLocked(thread, f)
}

// pageLocked answers one page of msgs, in the order given, with has_more and a next_cursor.
func (s *Server) pageLocked(msgs []Message, f url.Values) reply {
	limit := defaultPage
	if l := f.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			return errReply("invalid_limit")
		}
		limit = min(n, maxPage)
	}
	start := 0
	if c := f.Get("cursor"); c != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(c, "next:"))
		if err != nil || n < 0 || !strings.HasPrefix(c, "next:") {
			return errReply("invalid_cursor")
		}
		start = min(n, len(msgs))
	}
	end := min(start+limit, len(msgs))
	withMetadata := truthy(f.Get("include_all_metadata"))
	out := make([]any, 0, end-start)
	for _, m := range msgs[start:end] {
		out = append(out, s.historyJSONLocked(m, withMetadata))
	}
	next := ""
	if end < len(msgs) {
		next = "next:" + strconv.Itoa(end)
	}
	return okReply(map[string]any{
		"messages": out, "has_more": next != "", "pin_count": 0,
		"response_metadata": map[string]any{"next_cursor": next},
	})
}

// historyJSONLocked is a message as the history methods list it: as last updated, with its metadata when
// asked for.
func (s *Server) historyJSONLocked(m Message, withMetadata bool) map[string]any {
	for i := len(s.updated) - 1; i >= 0; i-- {
		if u := s.updated[i]; u.Channel == m.Channel && u.TS == m.TS {
			m.Text, m.Blocks = u.Text, u.Blocks
			break
		}
	}
	msg := messageJSON(m)
	if withMetadata && m.Metadata != nil {
		msg["metadata"] = m.Metadata
	}
	return msg
}

// inRange reports whether ts is after oldest and before latest, when they are given (inclusive with
// inclusive=1), comparing Slack timestamps as numbers.
func inRange(ts string, f url.Values) bool {
	t, err := strconv.ParseFloat(ts, 64)
	if err != nil {
		return false
	}
	inclusive := truthy(f.Get("inclusive"))
	if o, err := strconv.ParseFloat(f.Get("oldest"), 64); err == nil && (t < o || t == o && !inclusive) {
		return false
	}
	if l, err := strconv.ParseFloat(f.Get("latest"), 64); err == nil && l > 0 && (t > l || t == l && !inclusive) {
		return false
	}
	return true
}

func truthy(v string) bool { return v == "1" || v == "true" }
