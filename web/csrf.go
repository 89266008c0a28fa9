package web

// Cross-site request forgery: every request that can change something (any method but GET, HEAD and
// OPTIONS) must come from the console's own pages. Go's http.CrossOriginProtection checks what the browser
// says of the request's origin (Sec-Fetch-Site, else Origin against Host); the session cookie is
// SameSite=Lax besides, so another site's form does not even carry it. GET handlers change nothing.

import (
	"net/http"

	"github.com/firstline-desk/firstline/bot"
)

func (s *Server) newCSRF() *http.CrossOriginProtection {
	c := http.NewCrossOriginProtection()
	// Behind a reverse proxy that rewrites Host, a browser without Sec-Fetch-Site is still known by its
	// Origin: the address people use.
	if err := c.AddTrustedOrigin(s.base.Scheme + "://" + s.base.Host); err != nil {
		s.log.Warn("trust the console's own origin", "origin", s.base.Host, "err", err)
	}
	c.SetDenyHandler(http.HandlerFunc(s.crossOriginRefused))
	return c
}

// crossOriginRefused answers a refused cross-origin request with 403 and writes it in the audit log,
// with whose browser it came from when it carried a session. The audit write is rate-limited like
// sign-in, so another site cannot make the desk write without end.
func (s *Server) crossOriginRefused(w http.ResponseWriter, r *http.Request) {
	v, _ := s.sessionViewer(w, r)
	user := ""
	if v != nil {
		user = v.User
	}
	if ok, _ := s.limits.allow("csrf:" + clientKey(r)); ok {
		detail := r.Method + " " + r.URL.Path
		if o := r.Header.Get("Origin"); o != "" {
			detail += " from " + clip(o, 200)
		}
		err := s.cfg.Store.Update(r.Context(), func(tx bot.Tx) error {
			return tx.Audit(bot.AuditEntry{At: s.now(), Actor: user, Action: "web.csrf_refused", Target: user, Detail: detail})
		})
		if err != nil {
			s.log.Warn("audit a refused cross-origin request", "err", err)
		}
	}
	s.log.Warn("cross-origin request refused", "method", r.Method, "path", r.URL.Path, "user", user)
	s.refuse(w, r, v, http.StatusForbidden, "This request came from another site, so it was refused. If you pressed a button on the console, reload the page and try again.")
}

// clip cuts s to at most n bytes, on a character boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
