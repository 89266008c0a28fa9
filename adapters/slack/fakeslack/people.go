package fakeslack

import (
	"slices"
	"strconv"
)

// What people write: the fake keeps the messages a test says people wrote, so that conversations.history
// and conversations.replies list them beside the bot's, as Slack does.

// AddMessage records a message a person wrote (m.User set, m.TS given or made), and returns it as
// stored. It only records: the test sends the event that tells the app, if any.
func (s *Server) AddMessage(m Message) Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m.TS == "" {
		m.TS = s.nextTSLocked()
	}
	s.written = append(s.written, m)
	s.notifyLocked()
	return m
}

// DeleteMessage forgets a message a person wrote, as Slack does once they delete it.
func (s *Server) DeleteMessage(channel, ts string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.written = slices.DeleteFunc(s.written, func(m Message) bool { return m.Channel == channel && m.TS == ts })
	s.notifyLocked()
}

// messagesLocked returns every message of channel, the bot's and people's, oldest first.
func (s *Server) messagesLocked(channel string) []Message {
	var out []Message
	for _, m := range s.posted {
		if m.Channel == channel {
			out = append(out, m)
		}
	}
	for _, m := range s.written {
		if m.Channel == channel {
			out = append(out, m)
		}
	}
	slices.SortStableFunc(out, func(a, b Message) int {
		x, _ := strconv.ParseFloat(a.TS, 64)
		y, _ := strconv.ParseFloat(b.TS, 64)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	})
	return out
}
