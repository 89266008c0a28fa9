package web

// Signing in with OpenID Connect: the authorization code flow with PKCE (S256), a state bound to the
// browser that started the flow, and a nonce checked in the ID token. The state, nonce and PKCE verifier
// live in a short-lived HttpOnly cookie, not in the data file: starting a sign-in writes nothing, and a
// callback that does not carry its own browser's cookie (a link someone else crafted, to sign a victim
// in as the attacker) is refused. The ID token's signature, issuer, audience and expiry are go-oidc's
// checks; one of its claims names the person, as the platform identity the desk knows.

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/firstline-desk/firstline/bot"
)

// OIDCConfig is [web.oidc]: sign-in with an OpenID Connect provider ("Sign in with Slack" is issuer
// https://slack.com).
type OIDCConfig struct {
	Issuer       string // the provider's issuer URL; "" turns OpenID Connect off
	ClientID     string
	ClientSecret string
	// Name is the provider's name on the sign-in button ("Slack"); default "Slack" for Slack's issuer,
	// else the issuer's host.
	Name string
	// Platform and UserClaim make a signed-in person the desk's identity: Platform + ":" + the value of
	// the ID token's claim UserClaim (default "sub"; Slack's sub is the user's id, U…).
	Platform  string
	UserClaim string
	// Require are claims the ID token must carry with these values, or the sign-in is refused: Slack's
	// "https://slack.com/team_id" to admit one workspace only, Google's "hd" one domain.
	Require map[string]string
	// Scopes are asked besides "openid" (default "profile").
	Scopes []string
}

// oidcTimeout bounds a call to the provider: discovery, the code's exchange, its keys.
const oidcTimeout = 10 * time.Second

// oidcFlowTTL is how long a browser has between starting a sign-in and coming back.
const oidcFlowTTL = 10 * time.Minute

// oidcClient signs people in with an OpenID Connect provider. Its discovery is done on first use, and
// again after a failure, so a provider unreachable when the desk starts does not stop the desk.
type oidcClient struct {
	cfg      OIDCConfig
	redirect string
	log      *slog.Logger
	http     *http.Client

	mu       sync.Mutex
	oauth    *oauth2.Config
	verifier *oidc.IDTokenVerifier
}

func newOIDCClient(cfg OIDCConfig, base *url.URL, logger *slog.Logger) *oidcClient {
	if cfg.UserClaim == "" {
		cfg.UserClaim = "sub"
	}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = []string{"profile"}
	}
	return &oidcClient{cfg: cfg, redirect: base.String() + "/auth/oidc/callback", log: logger.With("issuer", cfg.Issuer),
		http: &http.Client{Timeout: oidcTimeout}}
}

// label is the provider's name on the sign-in button.
func (o *oidcClient) label() string {
	if o.cfg.Name != "" {
		return o.cfg.Name
	}
	u, err := url.Parse(o.cfg.Issuer)
	switch {
	case err != nil:
		return "single sign-on"
	case u.Host == "slack.com":
		return "Slack"
	}
	return u.Host
}

// setup discovers the provider, once it succeeds.
func (o *oidcClient) setup(ctx context.Context) (*oauth2.Config, *oidc.IDTokenVerifier, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.oauth != nil {
		return o.oauth, o.verifier, nil
	}
	ctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, o.http), oidcTimeout)
	defer cancel()
	p, err := oidc.NewProvider(ctx, o.cfg.Issuer)
	if err != nil {
		return nil, nil, fmt.Errorf("discover the OpenID Connect provider %s: %w", o.cfg.Issuer, err)
	}
	o.oauth = &oauth2.Config{ClientID: o.cfg.ClientID, ClientSecret: o.cfg.ClientSecret, Endpoint: p.Endpoint(),
		RedirectURL: o.redirect, Scopes: append([]string{oidc.ScopeOpenID}, o.cfg.Scopes...)}
	// The keys are fetched with a client of its own, which outlives this request's context.
	o.verifier = p.VerifierContext(oidc.ClientContext(context.Background(), o.http), &oidc.Config{ClientID: o.cfg.ClientID})
	return o.oauth, o.verifier, nil
}

// oidcFlow is what the browser keeps between starting a sign-in and coming back.
type oidcFlow struct {
	State    string    `json:"s"`
	Nonce    string    `json:"n"`
	Verifier string    `json:"v"`
	Next     string    `json:"x"`
	Expires  time.Time `json:"e"`
}

func (s *Server) oidcCookieName() string {
	if s.secure {
		return "__Host-firstline_oidc"
	}
	return "firstline_oidc"
}

// oidcStart sends the browser to the provider.
func (s *Server) oidcStart(w http.ResponseWriter, r *http.Request, v *Viewer) {
	oauth, _, err := s.oidc.setup(r.Context())
	if err != nil {
		s.log.Warn("OpenID Connect provider unreachable", "err", err)
		s.refuse(w, r, v, http.StatusServiceUnavailable, fmt.Sprintf("%s cannot be reached just now. Try again in a minute, or ask the desk for a sign-in link in chat.", s.oidc.label()))
		return
	}
	f := oidcFlow{State: newToken(), Nonce: newToken(), Verifier: oauth2.GenerateVerifier(),
		Next: localPath(r.URL.Query().Get("next")), Expires: s.now().Add(oidcFlowTTL)}
	b, _ := json.Marshal(f)
	http.SetCookie(w, &http.Cookie{Name: s.oidcCookieName(), Value: base64.RawURLEncoding.EncodeToString(b), Path: "/",
		MaxAge: int(oidcFlowTTL / time.Second), HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, oauth.AuthCodeURL(f.State, oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier)), http.StatusSeeOther)
}

// oidcCallback finishes a sign-in the provider sent back.
func (s *Server) oidcCallback(w http.ResponseWriter, r *http.Request, _ *Viewer) {
	// The flow is spent whatever happens next: a callback is answered once.
	http.SetCookie(w, &http.Cookie{Name: s.oidcCookieName(), Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
	user, name, next, err := s.oidcIdentity(r)
	if err != nil {
		var be *bot.Error
		msg := "Signing in did not work. Start again from the sign-in page."
		if errors.As(err, &be) {
			msg = be.Message
		}
		s.log.Warn("OpenID Connect sign-in refused", "err", err)
		s.auditRefusal(r, user, "oidc: "+clip(oidcProblem(err), 200))
		s.refuse(w, r, nil, http.StatusUnauthorized, msg)
		return
	}
	if err := s.startSession(r.Context(), w, r, user, name, "oidc"); err != nil {
		s.fail(w, r, nil, err)
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// oidcProblem is what went wrong, for the audit log: the *bot.Error's message, or the error.
func oidcProblem(err error) string {
	var be *bot.Error
	if errors.As(err, &be) && be.Err != nil {
		return be.Message + " (" + be.Err.Error() + ")"
	}
	return err.Error()
}

// oidcIdentity checks the callback and returns whom it signs in, and where to send them. user is set
// once the ID token was verified, so a refusal after that names them in the audit log.
func (s *Server) oidcIdentity(r *http.Request) (user, name, next string, err error) {
	c, cerr := r.Cookie(s.oidcCookieName())
	var f oidcFlow
	if cerr != nil {
		return "", "", "", bot.Errorf(bot.EUNAUTHORIZED, "This sign-in was not started from this browser, or took too long. Start again from the sign-in page.")
	}
	if b, derr := base64.RawURLEncoding.DecodeString(c.Value); derr != nil || json.Unmarshal(b, &f) != nil || f.State == "" {
		return "", "", "", bot.Errorf(bot.EUNAUTHORIZED, "This sign-in was not started from this browser. Start again from the sign-in page.")
	}
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		return "", "", "", bot.Errorf(bot.EUNAUTHORIZED, "%s did not sign you in (%s). Start again from the sign-in page.", s.oidc.label(), clip(e, 60))
	}
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(f.State)) != 1 {
		return "", "", "", bot.Errorf(bot.EUNAUTHORIZED, "This sign-in was not started from this browser. Start again from the sign-in page.")
	}
	if !s.now().Before(f.Expires) {
		return "", "", "", bot.Errorf(bot.EUNAUTHORIZED, "This sign-in took too long. Start again from the sign-in page.")
	}
	oauth, verifier, err := s.oidc.setup(r.Context())
	if err != nil {
		return "", "", "", bot.WrapError(err, bot.EUNAVAILABLE, "%s cannot be reached just now. Try again in a minute.", s.oidc.label())
	}
	ctx, cancel := context.WithTimeout(oidc.ClientContext(r.Context(), s.oidc.http), oidcTimeout)
	defer cancel()
	tok, err := oauth.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(f.Verifier))
	if err != nil {
		return "", "", "", bot.WrapError(err, bot.EUNAUTHORIZED, "%s did not confirm the sign-in. Start again from the sign-in page.", s.oidc.label())
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return "", "", "", bot.Errorf(bot.EUNAUTHORIZED, "%s sent no ID token. Start again from the sign-in page.", s.oidc.label())
	}
	idt, err := verifier.Verify(ctx, raw)
	if err != nil {
		return "", "", "", bot.WrapError(err, bot.EUNAUTHORIZED, "The sign-in could not be verified. Start again from the sign-in page.")
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(f.Nonce)) != 1 {
		return "", "", "", bot.Errorf(bot.EUNAUTHORIZED, "The sign-in could not be verified (its nonce). Start again from the sign-in page.")
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return "", "", "", bot.WrapError(err, bot.EUNAUTHORIZED, "The sign-in could not be read. Start again from the sign-in page.")
	}
	id, _ := claims[s.oidc.cfg.UserClaim].(string)
	if strings.TrimSpace(id) == "" || len(id) > maxLinkUser || strings.ContainsAny(id, " \t\r\n\x00") {
		return "", "", "", bot.Errorf(bot.EUNAUTHORIZED, "%s did not say who you are on %s (claim %q). Ask the desk's admin.", s.oidc.label(), s.oidc.cfg.Platform, s.oidc.cfg.UserClaim)
	}
	user = bot.JoinID(s.oidc.cfg.Platform, id)
	for claim, want := range s.oidc.cfg.Require {
		if got, _ := claims[claim].(string); got != want {
			return user, "", "", bot.Errorf(bot.EUNAUTHORIZED, "This desk is not for your %s account (%s). Sign in with the account you use at work.", s.oidc.label(), claim)
		}
	}
	for _, k := range []string{"name", "preferred_username", "given_name", "email"} {
		if n, _ := claims[k].(string); strings.TrimSpace(n) != "" {
			name = clip(strings.TrimSpace(n), 100)
			break
		}
	}
	if name == "" {
		name = s.platformName(user)
	}
	return user, name, f.Next, nil
}
