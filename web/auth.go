package web

// Signing in with a link and signing out. A link from chat opens a page that asks to confirm: only the
// POST signs in, because chat platforms fetch the links they are sent (Slack's unfurling) and a GET that
// spent the link would spend it before its owner clicked.

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/internal/plural"
)

func (s *Server) registerAuth() {
	s.handle("GET /signin", Public, s.signInPage)
	s.handle("GET /signin/link/{token}", Public, s.linkPage)
	s.handle("POST /signin/link/{token}", Public, s.limited(s.useLink))
	s.handle("POST /signout", SignedIn, s.signOut)
	s.handle("POST /signout/everywhere", SignedIn, s.signOutEverywhere)
	if s.oidc != nil {
		s.handle("GET /auth/oidc/start", Public, s.limited(s.oidcStart))
		s.handle("GET /auth/oidc/callback", Public, s.limited(s.oidcCallback))
	}
}

// signInData is the sign-in page's.
type signInData struct {
	OIDC    string // the provider's name on the button, "" when OpenID Connect is off
	Next    string // where to go once signed in
	Prefix  string // the chat command prefix, for "!web"
	LinkTTL string
}

func (s *Server) signInPage(w http.ResponseWriter, r *http.Request, v *Viewer) {
	next := localPath(r.URL.Query().Get("next"))
	if v != nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	d := signInData{Next: next, Prefix: s.cfg.Desk.CommandPrefix, LinkTTL: humanDuration(s.cfg.LinkTTL)}
	if d.Prefix == "" {
		d.Prefix = "!"
	}
	if s.oidc != nil {
		d.OIDC = s.oidc.label()
	}
	s.render(w, r, nil, http.StatusOK, "signin", "Sign in", d)
}

// linkData is the link page's: who the link signs in.
type linkData struct {
	User, Name string
}

// linkPage shows whom a link signs in, with the button that does it. It spends nothing.
func (s *Server) linkPage(w http.ResponseWriter, r *http.Request, v *Viewer) {
	lk, err := s.links.check(r.PathValue("token"), s.now())
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	name := s.viewerFor(lk.User, "").Name
	s.render(w, r, v, http.StatusOK, "signin_link", "Sign in", linkData{User: lk.User, Name: name})
}

// useLink spends a link and signs its person in.
func (s *Server) useLink(w http.ResponseWriter, r *http.Request, _ *Viewer) {
	ctx := r.Context()
	now := s.now()
	lk, err := s.links.check(r.PathValue("token"), now)
	if err != nil {
		s.auditRefusal(r, "", "link: "+linkProblem(err))
		s.fail(w, r, nil, err)
		return
	}
	err = s.cfg.Sessions.AddWebRecord(ctx, kindSpent, lk.Nonce, lk.User, lk.Expires, []byte(now.UTC().Format(time.RFC3339)), bot.AuditEntry{})
	if bot.ErrorCode(err) == bot.ECONFLICT {
		s.auditRefusal(r, lk.User, "link: used already")
		s.refuse(w, r, nil, http.StatusConflict, "This sign-in link was used already: a link signs in once. Ask the desk for a new one in chat.")
		return
	}
	if err != nil {
		s.fail(w, r, nil, fmt.Errorf("spend sign-in link: %w", err))
		return
	}
	if err := s.startSession(ctx, w, r, lk.User, s.platformName(lk.User), "link"); err != nil {
		s.fail(w, r, nil, err)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// linkProblem names what was wrong with a link, for the audit log.
func linkProblem(err error) string {
	if bot.ErrorCode(err) == bot.ECONFLICT {
		return "expired"
	}
	return "not valid"
}

// auditRefusal writes a refused sign-in in the audit log. It is written on its own: the refusal stands
// whether or not the log takes it, so a failure is logged, not shown.
func (s *Server) auditRefusal(r *http.Request, user, detail string) {
	err := s.cfg.Store.Update(r.Context(), func(tx bot.Tx) error {
		return tx.Audit(bot.AuditEntry{At: s.now(), Actor: user, Action: "web.signin_refused", Target: user, Detail: detail})
	})
	if err != nil {
		s.log.Warn("audit a refused sign-in", "err", err)
	}
}

func (s *Server) signOut(w http.ResponseWriter, r *http.Request, v *Viewer) {
	if err := s.endSession(r.Context(), w, v); err != nil {
		s.fail(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/signin?done=signedout", http.StatusSeeOther)
}

func (s *Server) signOutEverywhere(w http.ResponseWriter, r *http.Request, v *Viewer) {
	if _, err := s.endAllSessions(r.Context(), v.User, v.User); err != nil {
		s.fail(w, r, v, err)
		return
	}
	s.clearCookie(w)
	http.Redirect(w, r, "/signin?done=everywhere", http.StatusSeeOther)
}

// localPath returns raw when it is a path on this site ("/tickets?status=open"), else "/": a sign-in
// must never send its person on to another site.
func localPath(raw string) string {
	if raw == "" || raw[0] != '/' || strings.HasPrefix(raw, "//") || strings.ContainsAny(raw, "\\\r\n") {
		return "/"
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	return raw
}

// humanDuration says d in words: "15 minutes", "2 hours".
func humanDuration(d time.Duration) string {
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return plural.Count(int(d/time.Hour), "hour", "hours")
	case d >= time.Minute:
		return plural.Count(int(d/time.Minute), "minute", "minutes")
	}
	return plural.Count(int(d/time.Second), "second", "seconds")
}
