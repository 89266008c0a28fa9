package fakeslack

import "net/http"

// Loss is how LoseNext loses the answer to a call the fake has carried out: the crash window of a client
// that sent a request, which Slack acted on, and never learned the outcome.
type Loss int

// The ways of losing an answer.
const (
	// DropConnection closes the connection without answering, as a network cut or a proxy dying does.
	DropConnection Loss = iota + 1
	// ServerError answers HTTP 503 instead of the real answer, as a failing proxy or load balancer does.
	ServerError
)

// LoseNext makes the fake carry out the next call of method as usual (a chat.postMessage is posted, and
// listed by Posted and conversations.history) and then lose its answer, whatever it was, as how says.
// Scripted losses are used in order, one a call.
func (s *Server) LoseNext(method string, how Loss) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.losses == nil {
		s.losses = map[string][]Loss{}
	}
	s.losses[method] = append(s.losses[method], how)
}

// lossLocked takes the next scripted loss of method, 0 when there is none.
func (s *Server) lossLocked(method string) Loss {
	q := s.losses[method]
	if len(q) == 0 {
		return 0
	}
	s.losses[method] = q[1:]
	return q[0]
}

func loseResponse(w http.ResponseWriter, how Loss) {
	if how == DropConnection {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return
			}
		}
	}
	http.Error(w, "upstream unavailable", http.StatusServiceUnavailable)
}
