package main

// The web console's wiring: [web] in the config, its own listener beside the desk's, the console demo's
// default address and welcome link, and "firstline web link|signout USER" through the control socket.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/internal/control"
	"github.com/firstline-desk/firstline/internal/plural"
	"github.com/firstline-desk/firstline/web"
)

// WebConfig is [web]: the web console.
type WebConfig struct {
	// Listen is the console's address, like "127.0.0.1:8080"; empty turns it off.
	Listen string `toml:"listen"`
	// BaseURL is the address people use to reach it ("https://desk.example.com"): links in chat and the
	// CLI point there.
	BaseURL     string        `toml:"base_url"`
	SessionIdle Duration      `toml:"session_idle"`
	SessionMax  Duration      `toml:"session_max"`
	OIDC        WebOIDCConfig `toml:"oidc"`
}

// WebOIDCConfig is [web.oidc]: "Sign in with …" an OpenID Connect provider.
type WebOIDCConfig struct {
	Issuer       string            `toml:"issuer"`
	ClientID     string            `toml:"client_id"`
	ClientSecret string            `toml:"client_secret"`
	Name         string            `toml:"name"`
	Platform     string            `toml:"platform"`
	UserClaim    string            `toml:"user_claim"`
	Require      map[string]string `toml:"require"`
	Scopes       []string          `toml:"scopes"`
}

// webProblems are what is wrong in [web].
func (c Config) webProblems(add func(format string, args ...any)) {
	w := c.Web
	if w.Listen != "" && w.BaseURL == "" {
		add("web.base_url: required with web.listen: the address people use to reach the console, like \"https://desk.example.com\"")
	}
	if w.BaseURL != "" {
		u, err := url.Parse(w.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.Trim(u.Path, "/") != "" || u.RawQuery != "" {
			add("web.base_url: %q is not an address like \"https://desk.example.com\" (no path: serve the console at its host's root)", w.BaseURL)
		}
	}
	if w.SessionIdle < 0 || w.SessionMax < 0 {
		add("web.session_idle, web.session_max: must not be negative")
	}
	if o := w.OIDC; o.Issuer != "" {
		if u, err := url.Parse(o.Issuer); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			add("web.oidc.issuer: %q is not a URL like \"https://slack.com\"", o.Issuer)
		}
		if o.ClientID == "" {
			add("web.oidc.client_id: required with web.oidc.issuer")
		}
		if o.Platform == "" || strings.Contains(o.Platform, ":") {
			add("web.oidc.platform: the platform whose ids the provider's claim holds (\"slack\", \"discord\", \"console\"), required with web.oidc.issuer")
		}
	}
}

// webConfig is the console's config.
func (c Config) webConfig(base string) web.Config {
	o := c.Web.OIDC
	return web.Config{
		BaseURL:     base,
		Desk:        c.Bot(),
		SessionIdle: time.Duration(c.Web.SessionIdle),
		SessionMax:  time.Duration(c.Web.SessionMax),
		OIDC: web.OIDCConfig{Issuer: o.Issuer, ClientID: o.ClientID, ClientSecret: o.ClientSecret, Name: o.Name,
			Platform: o.Platform, UserClaim: o.UserClaim, Require: o.Require, Scopes: o.Scopes},
	}
}

// defaultWebAddr is where the console demo serves the web console unless told otherwise.
const defaultWebAddr = "127.0.0.1:8080"

// webFlag is -web: set, its value overrides [web] listen ("" turns the console off).
type webFlag struct {
	set  bool
	addr string
}

func (f *webFlag) String() string { return f.addr }
func (f *webFlag) Set(s string) error {
	f.set, f.addr = true, s
	return nil
}

// webListen is where the console listens, "" for nowhere, and whether a taken port may be swapped for
// a free one (the demo's addresses may; an address in the config is the operator's and must be kept).
func (m *Main) webListen(cfg Config, demo bool) (addr string, mayMove bool) {
	switch {
	case m.web.set:
		return m.web.addr, demo
	case cfg.Web.Listen != "":
		return cfg.Web.Listen, false
	case demo:
		return m.WebDefault, true
	}
	return "", false
}

// startWeb serves the web console on r, when it is on, and lets the control socket reach it. The engine
// learns it can make sign-in links (!web) before any event arrives.
func (m *Main) startWeb(r *runner, cfg Config, engine *bot.Engine, db *store, fronts []*front, logger *slog.Logger) error {
	demo := !cfg.Slack.Enabled && !cfg.Discord.Enabled
	addr, mayMove := m.webListen(cfg, demo)
	if addr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil && mayMove && errors.Is(err, syscall.EADDRINUSE) {
		host, _, _ := net.SplitHostPort(addr)
		if ln, err = net.Listen("tcp", net.JoinHostPort(host, "0")); err == nil {
			fmt.Fprintf(m.Stdout, "The web console's address %s is taken: it is on %s instead.\n", addr, ln.Addr())
		}
	}
	if err != nil {
		return fmt.Errorf("web console listener %s: %w", addr, err)
	}
	base := cfg.Web.BaseURL
	if base == "" {
		base = "http://" + ln.Addr().String()
	}
	wcfg := cfg.webConfig(base)
	wcfg.Store, wcfg.Events, wcfg.Sessions, wcfg.Clock = db, engine, db, m.clock()
	wcfg.Library, wcfg.Reports = m.parts.library, deskReporter{db: db, cfg: cfg}
	wcfg.Health = newWebHealth(db, fronts, &m.parts, time.Now)
	for _, f := range fronts {
		if f.people != nil {
			wcfg.People = append(wcfg.People, f.people)
		}
	}
	srv, err := web.New(r.ctx, wcfg, logger)
	if err != nil {
		ln.Close()
		return err
	}
	engine.SetSignIn(srv)
	m.webSlot.Set(srv)
	limits := defaultHTTPLimits
	if m.httpLimits != nil {
		limits = *m.httpLimits
	}
	hs, ln := newHTTPServer(srv, ln, limits)
	r.Go(func(context.Context) error {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("web console listener %s: %w", addr, err)
		}
		return nil
	})
	r.Go(func(ctx context.Context) error {
		t := time.NewTicker(time.Hour)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				shutdown, done := context.WithTimeout(context.Background(), 5*time.Second)
				defer done()
				_ = hs.Shutdown(shutdown)
				return nil
			case <-t.C:
				if n, err := srv.Prune(ctx); err != nil && ctx.Err() == nil {
					logger.Warn("prune web sessions", "err", err)
				} else if n > 0 {
					logger.Debug("pruned web sessions", "count", n)
				}
			}
		}
	})
	if demo && len(cfg.Roles.Admins) > 0 {
		admin := cfg.Roles.Admins[0]
		link, err := srv.IssueSignInLink(r.ctx, "", admin, "demo")
		if err != nil {
			return err
		}
		_, name := bot.SplitID(admin)
		fmt.Fprintf(m.Stdout, "Web console: %s (signs you in as %s, the demo's admin, once, within %d minutes; %sweb in the chat makes another).\n",
			link, name, int(web.DefaultLinkTTL/time.Minute), cfg.Desk.CommandPrefix)
	} else {
		fmt.Fprintf(m.Stdout, "Web console: %s (sign in with %sweb in chat, or `firstline web link USER`).\n", base, cfg.Desk.CommandPrefix)
	}
	return nil
}

// webLink prints a one-time sign-in link to the web console for a person, made by the running desk.
func (m *Main) webLink(ctx context.Context, args []string) error {
	return m.webCall(ctx, "web link", "web_link", args)
}

// webSignout ends every web console session of a person.
func (m *Main) webSignout(ctx context.Context, args []string) error {
	return m.webCall(ctx, "web signout", "web_signout", args)
}

// webCall asks the running desk's web console, over the control socket, to do op for the USER in args.
func (m *Main) webCall(ctx context.Context, name, op string, args []string) error {
	fs := m.flagSet(name)
	rest, err := parseFlags(fs, args, false)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usageError("%s needs one USER, like slack:U0123ABCD or console:ada", name)
	}
	user := rest[0]
	if p, id := bot.SplitID(user); p == "" || id == "" {
		return usageError("%q is not PLATFORM:ID, like slack:U0123ABCD or console:ada", user)
	}
	resp, err := control.Call(ctx, control.Path(m.dataFile()), control.Request{Op: op, User: user})
	if errors.Is(err, control.ErrNotRunning) {
		return &exitError{code: 1, msg: fmt.Sprintf("no Firstline is running with -data %s: the web console runs with the desk, so start it first (or give the -data of the running desk, of one replica on PostgreSQL)", m.dataDir)}
	}
	if err != nil {
		return err
	}
	if op == "web_link" {
		fmt.Fprintln(m.Stdout, resp.Link)
		return nil
	}
	fmt.Fprintf(m.Stdout, "Signed %s out of %s.\n", user, plural.Count(resp.Sessions, "session", "sessions"))
	return nil
}
