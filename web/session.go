package web

// Sessions: a signed-in browser holds a random token in an HttpOnly cookie; the data file holds only its
// hash, so a copy of the file (a backup) signs nobody in. A session ends after SessionIdle without a
// request, after SessionMax in any case, at sign-out, or when its person signs out everywhere.

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/firstline-desk/firstline/bot"
)

// session is a signed-in browser as the data file keeps it.
type session struct {
	User    string    `json:"user"`
	Name    string    `json:"name"`
	Method  string    `json:"method"` // how they signed in: "link", "oidc"
	Created time.Time `json:"created"`
	Seen    time.Time `json:"seen"` // the last request, to within touchEvery
}

// touchEvery is how stale a session's Seen may get before a request writes it again: a page that polls
// must not make a write a second.
const touchEvery = time.Minute

// expires is when s ends if nothing more happens.
func (s session) expires(idle, maxAge time.Duration) time.Time {
	end := s.Seen.Add(idle)
	if hard := s.Created.Add(maxAge); hard.Before(end) {
		end = hard
	}
	return end
}

// cookieName is the session cookie's name. Over https it has the __Host- prefix, which browsers accept
// only from a secure origin, for the whole host and no other: a neighbouring subdomain cannot plant one.
func (s *Server) cookieName() string {
	if s.secure {
		return "__Host-firstline"
	}
	return "firstline"
}

// newToken returns 32 random bytes, base64url: a session cookie or an OpenID Connect state.
func newToken() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// sessionKey is what the data file keeps of a session's token.
func sessionKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// startSession signs a browser in as user: a new session (a browser that had one loses it, so a token
// planted before sign-in is worth nothing after), its cookie, and "web.signin" in the audit log.
func (s *Server) startSession(ctx context.Context, w http.ResponseWriter, r *http.Request, user, name, method string) error {
	now := s.now()
	if c, err := r.Cookie(s.cookieName()); err == nil && c.Value != "" {
		if _, err := s.cfg.Sessions.DeleteWebRecord(ctx, kindSession, sessionKey(c.Value), bot.AuditEntry{}); err != nil {
			return err
		}
	}
	token := newToken()
	rec := session{User: user, Name: name, Method: method, Created: now, Seen: now}
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode session: %w", err)
	}
	audit := bot.AuditEntry{At: now, Actor: user, Action: "web.signin", Target: user, Detail: method}
	if err := s.cfg.Sessions.AddWebRecord(ctx, kindSession, sessionKey(token), user, rec.expires(s.cfg.SessionIdle, s.cfg.SessionMax), b, audit); err != nil {
		return fmt.Errorf("start session: %w", err)
	}
	http.SetCookie(w, s.sessionCookie(token, int(s.cfg.SessionMax/time.Second)))
	s.log.Info("signed in", "user", user, "method", method)
	return nil
}

// sessionCookie is the cookie that carries token: HttpOnly (no script reads it), Secure over https,
// SameSite=Lax (another site's form or fetch never carries it; a link from chat does).
func (s *Server) sessionCookie(token string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: s.cookieName(), Value: token, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode}
}

// clearCookie tells the browser to forget its session cookie.
func (s *Server) clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, s.sessionCookie("", -1))
}

// sessionViewer returns the person signed in on r's browser, nil when nobody is (no cookie, an unknown,
// ended or expired session: its cookie is then cleared). An error is the store's.
func (s *Server) sessionViewer(w http.ResponseWriter, r *http.Request) (*Viewer, error) {
	c, err := r.Cookie(s.cookieName())
	if err != nil || c.Value == "" {
		return nil, nil
	}
	ctx := r.Context()
	key := sessionKey(c.Value)
	b, err := s.cfg.Sessions.WebRecord(ctx, kindSession, key)
	if bot.IsNotFound(err) {
		s.clearCookie(w)
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read session: %w", err)
	}
	var rec session
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("decode session: %w", err)
	}
	now := s.now()
	if !now.Before(rec.expires(s.cfg.SessionIdle, s.cfg.SessionMax)) {
		if _, err := s.cfg.Sessions.DeleteWebRecord(ctx, kindSession, key, bot.AuditEntry{}); err != nil {
			return nil, err
		}
		s.clearCookie(w)
		return nil, nil
	}
	if now.Sub(rec.Seen) >= touchEvery {
		rec.Seen = now
		if b, err = json.Marshal(rec); err != nil {
			return nil, fmt.Errorf("encode session: %w", err)
		}
		if err := s.cfg.Sessions.PutWebRecord(ctx, kindSession, key, rec.User, rec.expires(s.cfg.SessionIdle, s.cfg.SessionMax), b, bot.AuditEntry{}); err != nil {
			return nil, fmt.Errorf("touch session: %w", err)
		}
	}
	v := s.viewerFor(rec.User, rec.Name)
	v.session = key
	return v, nil
}

// endSession signs v's browser out.
func (s *Server) endSession(ctx context.Context, w http.ResponseWriter, v *Viewer) error {
	audit := bot.AuditEntry{At: s.now(), Actor: v.User, Action: "web.signout", Target: v.User}
	if _, err := s.cfg.Sessions.DeleteWebRecord(ctx, kindSession, v.session, audit); err != nil {
		return fmt.Errorf("sign out: %w", err)
	}
	s.clearCookie(w)
	return nil
}

// endAllSessions signs user out of every browser and returns how many sessions ended.
func (s *Server) endAllSessions(ctx context.Context, actor, user string) (int, error) {
	audit := bot.AuditEntry{At: s.now(), Actor: actor, Action: "web.signout_all", Target: user}
	n, err := s.cfg.Sessions.DeleteUserWebRecords(ctx, kindSession, user, audit)
	if err != nil {
		return 0, fmt.Errorf("sign %s out everywhere: %w", user, err)
	}
	s.log.Info("signed out everywhere", "user", user, "sessions", n)
	return n, nil
}

// SignOutEverywhere ends every session of user ("platform:id"), for an admin or the CLI, and returns how
// many there were.
func (s *Server) SignOutEverywhere(ctx context.Context, actor, user string) (int, error) {
	if p, id := bot.SplitID(user); p == "" || id == "" {
		return 0, bot.Errorf(bot.EINVALID, "%q is not a user like slack:U0123", user)
	}
	return s.endAllSessions(ctx, actor, user)
}

// Prune drops the sessions and spent-link marks that expired; housekeeping calls it now and then.
func (s *Server) Prune(ctx context.Context) (int, error) {
	return s.cfg.Sessions.PruneWebRecords(ctx, s.now())
}
