package control

// The web console's requests: "firstline web link USER" and "firstline web signout USER" reach the running
// desk's console, which holds the key that signs links and the sessions.

import (
	"context"
	"sync/atomic"

	"github.com/firstline-desk/firstline/storage"
)

// Web is the running desk's web console as the control socket needs it: web.Server implements it.
type Web interface {
	// IssueSignInLink makes a one-time sign-in link for user and audits it, by actor.
	IssueSignInLink(ctx context.Context, actor, user, via string) (string, error)
	// SignOutEverywhere ends every session of user and returns how many there were.
	SignOutEverywhere(ctx context.Context, actor, user string) (int, error)
}

// WebSlot holds the web console once it runs: the control socket starts before it (backup works while
// the desk starts), and a request before then, or with the console off, is told so.
type WebSlot struct{ p atomic.Pointer[Web] }

// Set makes w the console the socket's web requests reach.
func (s *WebSlot) Set(w Web) { s.p.Store(&w) }

func (s *WebSlot) get() Web {
	if s == nil {
		return nil
	}
	if w := s.p.Load(); w != nil {
		return *w
	}
	return nil
}

// Option adds to what the control socket serves.
type Option func(*options)

type options struct {
	web *WebSlot
	// file is the data file the socket's desk holds (backup, check); nil on a shared store.
	file *storage.DB
}

// WithWeb serves web_link and web_signout from the console slot holds.
func WithWeb(slot *WebSlot) Option { return func(o *options) { o.web = slot } }

// cliActor is who a request over the socket acts as in the audit log: whoever can reach the socket is
// the desk's own operator (mode 0600).
const cliActor = "cli"

func handleWeb(ctx context.Context, req Request, slot *WebSlot, fail func(error) Response) Response {
	w := slot.get()
	if w == nil {
		return Response{Error: "the web console is off on this desk: set [web] listen and base_url, and restart it"}
	}
	switch req.Op {
	case "web_link":
		link, err := w.IssueSignInLink(ctx, cliActor, req.User, "cli")
		if err != nil {
			return fail(err)
		}
		return Response{OK: true, Link: link}
	default:
		n, err := w.SignOutEverywhere(ctx, cliActor, req.User)
		if err != nil {
			return fail(err)
		}
		return Response{OK: true, Sessions: n}
	}
}
