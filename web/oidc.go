package web

import (
	"log/slog"
	"net/http"
	"net/url"
)

// OIDCConfig is [web.oidc]: sign-in with an OpenID Connect provider ("Sign in with Slack" is issuer
// https://slack.com).
type OIDCConfig struct {
	Issuer       string // the provider's issuer URL; "" turns OpenID Connect off
	ClientID     string
	ClientSecret string
	// Name is the provider's name on the sign-in button ("Slack"); default the issuer's host.
	Name string
	// Platform and UserClaim map a signed-in person to the desk's identity: Platform + ":" + the value
	// of the ID token's claim UserClaim ("slack" and "https://slack.com/user_id" for Slack).
	Platform  string
	UserClaim string
	// Scopes are asked besides "openid" (default "profile").
	Scopes []string
}

// oidcClient signs people in with an OpenID Connect provider.
type oidcClient struct {
	cfg OIDCConfig
}

func newOIDCClient(cfg OIDCConfig, _ *url.URL, _ *slog.Logger) *oidcClient {
	return &oidcClient{cfg: cfg}
}

func (o *oidcClient) label() string { return o.cfg.Name }

func (s *Server) oidcStart(w http.ResponseWriter, r *http.Request, v *Viewer) {
	s.refuse(w, r, v, http.StatusNotImplemented, "Signing in with OpenID Connect is not ready yet.")
}

func (s *Server) oidcCallback(w http.ResponseWriter, r *http.Request, v *Viewer) {
	s.refuse(w, r, v, http.StatusNotImplemented, "Signing in with OpenID Connect is not ready yet.")
}
