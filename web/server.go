package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/firstline-desk/firstline/bot"
)

// Config is what the console needs. cmd/firstline fills it from [web] and wires the desk's parts in.
type Config struct {
	// BaseURL is the address people use to reach the console ("https://desk.example.com"): sign-in links
	// point there, its origin is trusted for cross-origin checks, and an https address makes cookies
	// Secure. Required.
	BaseURL string
	// Desk is the engine's config: the tiers, their members and the admins decide who sees what.
	Desk bot.Config
	// Store is the data file: pages read it (View), and sign-in, sessions and refused requests are
	// written to its audit log.
	Store bot.Store
	// Events is the engine: a web action goes in as a bot.EventAction, like a reaction from chat; a
	// refusal comes back as Handle's *bot.Error.
	Events bot.Handler
	// Sessions keeps sign-in links' spent marks and sessions (storage.DB.Web).
	Sessions SessionStore
	// People are the chat adapters that know people's names and roles (Slack user groups, Discord
	// roles); a platform without one gives its people only the rights the config names them for.
	People []People
	// OIDC turns on "Sign in with …" (OpenID Connect); a zero Issuer leaves it off.
	OIDC OIDCConfig
	// Clock tells the time; nil is the system clock.
	Clock bot.Clock

	// Library is the knowledge base's search, for the knowledge base's page; nil lists articles
	// without searching them.
	Library bot.Library
	// Reports builds the service-desk report of a period for the reports page; nil turns the page off.
	Reports Reports
	// Health tells how the desk's parts are (chat adapters, the SLA loop, the model) for the health
	// page; nil shows what the console sees itself (the outbox).
	Health Health

	// PollEvery is how often a list that updates itself asks for fresh results while it is open (default
	// 15s).
	PollEvery time.Duration

	// SessionIdle is how long a session lasts without a request (default 12h); SessionMax how long it
	// lasts at most (default 7 days). LinkTTL is how long a sign-in link is valid (default 15 minutes).
	SessionIdle, SessionMax, LinkTTL time.Duration
}

// The defaults of Config's durations.
const (
	DefaultSessionIdle = 12 * time.Hour
	DefaultSessionMax  = 7 * 24 * time.Hour
	DefaultLinkTTL     = 15 * time.Minute
	DefaultPollEvery   = 15 * time.Second
)

// Server is the web console: an http.Handler.
type Server struct {
	cfg    Config
	log    *slog.Logger
	clock  bot.Clock
	base   *url.URL
	secure bool // served over https: Secure cookies, the __Host- prefix, HSTS

	mux     *http.ServeMux
	routes  []Route
	handler http.Handler
	csrf    *http.CrossOriginProtection
	tmpl    *templates
	limits  *limiter
	links   *linkSigner
	oidc    *oidcClient // nil: OpenID Connect is off
}

// New returns the console. It reads (or, the first time, makes) the key that signs sign-in links from
// the session store.
func New(ctx context.Context, cfg Config, logger *slog.Logger) (*Server, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = bot.SystemClock{}
	}
	if cfg.SessionIdle <= 0 {
		cfg.SessionIdle = DefaultSessionIdle
	}
	if cfg.SessionMax <= 0 {
		cfg.SessionMax = DefaultSessionMax
	}
	if cfg.PollEvery <= 0 {
		cfg.PollEvery = DefaultPollEvery
	}
	if cfg.LinkTTL <= 0 {
		cfg.LinkTTL = DefaultLinkTTL
	}
	base, err := parseBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	if cfg.Store == nil || cfg.Events == nil || cfg.Sessions == nil {
		return nil, errors.New("web console: Store, Events and Sessions are required")
	}
	tmpl, err := parseTemplates()
	if err != nil {
		return nil, fmt.Errorf("web console templates: %w", err)
	}
	links, err := loadLinkSigner(ctx, cfg.Sessions, cfg.Clock)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:    cfg,
		log:    logger.With("component", "web"),
		clock:  cfg.Clock,
		base:   base,
		secure: base.Scheme == "https",
		mux:    http.NewServeMux(),
		tmpl:   tmpl,
		limits: newLimiter(cfg.Clock),
		links:  links,
	}
	if cfg.OIDC.Issuer != "" {
		s.oidc = newOIDCClient(cfg.OIDC, s.base, s.log)
	}
	s.csrf = s.newCSRF()
	s.registerRoutes()
	s.handler = s.headers(s.csrf.Handler(s.mux))
	return s, nil
}

// parseBaseURL checks base_url: an absolute http(s) address without a query, its path the console's root.
func parseBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(strings.TrimSpace(raw), "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, bot.Errorf(bot.EINVALID, "web base_url %q is not an address like https://desk.example.com", raw)
	}
	if u.Path != "" {
		// The console's pages are at the root: a reverse proxy that serves it under a path strips it.
		return nil, bot.Errorf(bot.EINVALID, "web base_url %q has a path: serve the console at the root of its host", raw)
	}
	return u, nil
}

// ServeHTTP serves the console.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// BaseURL is the console's address, without a trailing slash.
func (s *Server) BaseURL() string { return s.base.String() }

// Route is a page or action of the console and who may reach it.
type Route struct {
	Pattern string // as http.ServeMux takes it: "GET /tickets/{id}"
	Access  Access
}

// Routes returns every route the console serves, in the order they were registered. The permission
// matrix test checks that each one has rows.
func (s *Server) Routes() []Route { return append([]Route(nil), s.routes...) }

// viewHandler serves a route; v is the signed-in person, nil on a Public route when nobody is.
type viewHandler func(w http.ResponseWriter, r *http.Request, v *Viewer)

// handle registers h at pattern behind access: the guard finds the session and refuses who may not pass
// before h runs.
func (s *Server) handle(pattern string, access Access, h viewHandler) {
	s.routes = append(s.routes, Route{Pattern: pattern, Access: access})
	s.mux.Handle(pattern, s.guard(access, h))
}

// registerRoutes lists every page and action. Sign-in's are in auth.go; each page's handler lives in its
// own file.
func (s *Server) registerRoutes() {
	s.mux.Handle("GET /assets/", assetHandler())
	s.registerAuth()
	s.registerPages()
}

// cspPolicy allows the console's own scripts, styles and images only: no inline script or style, no
// other site, no framing, no form posting elsewhere.
const cspPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// headers sets the security headers every answer carries.
func (s *Server) headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", cspPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		// Sign-in links carry their token in the path: no page passes its address on.
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if !strings.HasPrefix(r.URL.Path, "/assets/") {
			// Pages show tickets and people: no shared cache keeps them.
			h.Set("Cache-Control", "no-store")
		}
		if s.secure {
			h.Set("Strict-Transport-Security", "max-age=15552000")
		}
		next.ServeHTTP(w, r)
	})
}

// now is the console's time.
func (s *Server) now() time.Time { return s.clock.Now() }
