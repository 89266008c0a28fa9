package web

import "net/http"

// home is the console's front page: the queue for staff, their own tickets for an employee.
func (s *Server) home(w http.ResponseWriter, r *http.Request, v *Viewer) {
	s.render(w, r, v, http.StatusOK, "home", "", nil)
}
