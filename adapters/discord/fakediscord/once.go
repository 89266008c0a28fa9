package fakediscord

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"unicode/utf8"
)

// Loss is how LoseNextCreate loses the answer to a message create the fake has carried out: the crash
// window of a client that sent a request, which Discord acted on, and never learned the outcome.
type Loss int

// The ways of losing an answer.
const (
	// DropConnection closes the connection without answering, as a network cut or a proxy dying does.
	DropConnection Loss = iota + 1
	// ServerError answers HTTP 500 instead of the real answer.
	ServerError
	// BadGateway answers HTTP 502, which discordgo retries by itself, sending the same request again.
	BadGateway
)

// maxNonce is Discord's limit for a nonce's length.
const maxNonce = 25

// LoseNextCreate makes the fake carry out the next POST /channels/{id}/messages as usual (the message
// is created, listed by Sent and the channel's history) and then lose its answer, whatever it was, as how
// says. Scripted losses are used in order, one a create.
func (s *Server) LoseNextCreate(how Loss) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.losses = append(s.losses, how)
}

// ExpireNonces forgets every nonce sent with enforce_nonce, as Discord does after a few minutes: a create
// with one of them makes a new message again.
func (s *Server) ExpireNonces() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.nonces)
}

// lossLocked takes the next scripted loss when the request is a message create, 0 otherwise.
func (s *Server) lossLocked(method string, segs []string) Loss {
	if _, hit := match(segs, "channels", "*", "messages"); !hit || method != http.MethodPost || len(s.losses) == 0 {
		return 0
	}
	how := s.losses[0]
	s.losses = s.losses[1:]
	return how
}

func loseResponse(w http.ResponseWriter, how Loss) {
	switch how {
	case DropConnection:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return
			}
		}
	case BadGateway:
		http.Error(w, "502 Bad Gateway", http.StatusBadGateway)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusInternalServerError)
	_, _ = w.Write([]byte(`{"message": "500: Internal Server Error", "code": 0}`))
}

// nonceOf reads a create's nonce (a string or an integer, as Discord takes both) and enforce_nonce; bad
// is Discord's answer to a nonce it refuses.
func nonceOf(fields map[string]json.RawMessage) (nonce string, enforced bool, bad *reply) {
	raw := bytes.TrimSpace(fields["nonce"])
	if len(raw) == 0 || string(raw) == "null" {
		return "", false, nil
	}
	if err := json.Unmarshal(raw, &nonce); err != nil {
		var n json.Number
		if json.Unmarshal(raw, &n) != nil {
			rep := invalidForm("nonce", "BASE_TYPE_BAD_TYPE", "Must be a string or an integer.")
			return "", false, &rep
		}
		nonce = n.String()
	}
	if utf8.RuneCountInString(nonce) > maxNonce {
		rep := invalidForm("nonce", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
		return "", false, &rep
	}
	_ = json.Unmarshal(fields["enforce_nonce"], &enforced)
	return nonce, enforced, nil
}

// nonceMessageLocked returns the message created in channel with an enforced nonce not yet expired, as
// the answer to a create repeating it. Discord checks the nonce per author; every message created through
// the fake is the bot's, and the fake keeps nonces per channel.
func (s *Server) nonceMessageLocked(channelID, nonce string) (map[string]any, bool) {
	id, seen := s.nonces[channelID+"\x1f"+nonce]
	if !seen {
		return nil, false
	}
	msg, found := s.findMessageLocked(channelID, id)
	if !found {
		return nil, false
	}
	msg = maps.Clone(msg)
	msg["nonce"] = nonce
	return msg, true
}

// withNonceLocked remembers an enforced nonce of the message just created and returns the message as the
// create answers it: with its nonce, which the channel's history does not show.
func (s *Server) withNonceLocked(channelID, id string, msg map[string]any, nonce string, enforced bool) map[string]any {
	if nonce == "" {
		return msg
	}
	if enforced {
		if s.nonces == nil {
			s.nonces = map[string]string{}
		}
		s.nonces[channelID+"\x1f"+nonce] = id
	}
	msg = maps.Clone(msg)
	msg["nonce"] = nonce
	return msg
}
