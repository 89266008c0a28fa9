package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"

	"github.com/firstline-desk/firstline/bot"
)

// Access is who may reach a route.
type Access int

// The levels of access, each including the ones after it: an admin passes every check.
const (
	// Public routes are for anyone, signed in or not: sign-in, assets.
	Public Access = iota
	// SignedIn routes are for anyone signed in. An employee reaches them too, and sees only their own
	// tickets there (Viewer.MaySee).
	SignedIn
	// Staff routes are for technicians (members of any tier) and admins.
	Staff
	// AdminOnly routes are for admins.
	AdminOnly
)

func (a Access) String() string {
	switch a {
	case Public:
		return "public"
	case SignedIn:
		return "signed in"
	case Staff:
		return "staff"
	case AdminOnly:
		return "admin"
	}
	return "unknown"
}

// Role is what a signed-in person is to the desk.
type Role int

// The roles, from the desk's config and the person's platform roles.
const (
	// RoleEmployee is anyone who is neither a technician nor an admin: a requester.
	RoleEmployee Role = iota + 1
	// RoleTechnician works in one or more tiers.
	RoleTechnician
	// RoleAdmin is listed in [roles] admins (in person or by a role); an admin may also be a technician.
	RoleAdmin
)

func (r Role) String() string {
	switch r {
	case RoleEmployee:
		return "employee"
	case RoleTechnician:
		return "technician"
	case RoleAdmin:
		return "admin"
	}
	return "signed out"
}

// Viewer is the signed-in person a request is from.
type Viewer struct {
	User string // "platform:id", as chat knows them
	Name string // their display name
	// Roles are their platform roles ("slack:subteam:S…", "discord:role:…") as the chat adapter last read
	// them; RolesKnown is false when it has not read them yet, and the person has only the rights the
	// config names them for in person.
	Roles      []string
	RolesKnown bool
	Tiers      []string // the ids of the tiers they work in
	Admin      bool

	session string // the key of their session
}

// Role is what v is to the desk.
func (v *Viewer) Role() Role {
	switch {
	case v == nil:
		return 0
	case v.Admin:
		return RoleAdmin
	case len(v.Tiers) > 0:
		return RoleTechnician
	}
	return RoleEmployee
}

// Staff reports whether v is a technician or an admin: they see the whole console.
func (v *Viewer) Staff() bool { return v != nil && (v.Admin || len(v.Tiers) > 0) }

// Works reports whether v is a member of tier.
func (v *Viewer) Works(tier string) bool { return v != nil && slices.Contains(v.Tiers, tier) }

// MaySee reports whether v may see ticket t: staff see every ticket, an employee their own. A page that
// shows a ticket asks this and answers 404 when not, so a ticket's existence is not told either.
func (v *Viewer) MaySee(t *bot.Ticket) bool {
	return v != nil && t != nil && (v.Staff() || t.Requester == v.User)
}

// Passes reports whether v may reach a route with access a.
func (v *Viewer) Passes(a Access) bool {
	switch a {
	case Public:
		return true
	case SignedIn:
		return v != nil
	case Staff:
		return v.Staff()
	case AdminOnly:
		return v != nil && v.Admin
	}
	return false
}

// Event is an event from v, taken on the web: the engine checks v's rights from User and Roles as it
// does for chat. id deduplicates it: a form carries one (see NewEventID), so a form sent twice acts once.
func (v *Viewer) Event(kind bot.EventKind, id string) bot.Event {
	return bot.Event{Kind: kind, ID: id, Platform: Platform, User: v.User, UserName: v.Name, Roles: slices.Clone(v.Roles)}
}

// NewEventID returns a fresh id for an action's form: rendered in the form (a hidden field) and sent
// back as the event's ID, so a form sent twice (a double click, a resent POST) acts once.
func NewEventID() string { return "web-" + newToken()[:22] }

// Act sends the engine v's action on a ticket: text is a reply's or a note's, choice a value (a
// priority, a rating), id the form's event id (NewEventID). The refusal, if any, is a *bot.Error whose
// message is for v; fail shows it with its status (StatusOf).
func (s *Server) Act(ctx context.Context, v *Viewer, id, ticket string, action bot.Action, text, choice string) error {
	if id == "" {
		id = NewEventID()
	}
	ev := v.Event(bot.EventAction, id)
	ev.Ticket, ev.Action, ev.Text, ev.Choice, ev.Time = ticket, action, text, choice, s.now()
	return s.cfg.Events.Handle(ctx, ev)
}

// Platform is the Event.Platform of what people do on the web.
const Platform = "web"

// Viewer is user ("platform:id") as the console sees them: their tiers and admin rights from the desk's
// config and their platform's roles. name is their display name, "" to take the platform's.
func (s *Server) Viewer(user, name string) *Viewer { return s.viewerFor(user, name) }

// viewerFor is the person user as the desk's config and their platform's roles make them. name is the
// name their session keeps, "" when it keeps none: the platform's is asked for then, on every request, so
// a name the platform learns after the sign-in is used from the next one.
func (s *Server) viewerFor(user, name string) *Viewer {
	if _, short := bot.SplitID(user); name == short {
		// A session from before the platform knew the name kept the id in its place: not a name.
		name = ""
	}
	v := &Viewer{User: user, Name: name}
	platform, _ := bot.SplitID(user)
	v.RolesKnown = true
	for _, p := range s.cfg.People {
		if p.Platform() != platform {
			continue
		}
		roles, known := p.UserRoles(user)
		if !known {
			roles = nil // whatever a cache not yet read holds grants nothing
		}
		v.Roles, v.RolesKnown = roles, known
		if v.Name == "" {
			v.Name = p.UserName(user)
		}
		break
	}
	v.Tiers, v.Admin = s.cfg.Desk.Standing(user, v.Roles)
	if v.Name == "" {
		// Shown, never kept: a session keeps only a name someone gave (platformName).
		_, v.Name = bot.SplitID(user)
	}
	return v
}

// platformName is user's name as their chat platform knows it now, "" when it does not (yet): what a
// new session keeps. The id that stands in for an unknown name is not kept, or it would stand in for the
// whole session, signing the person's replies in chat with a number.
func (s *Server) platformName(user string) string {
	platform, _ := bot.SplitID(user)
	for _, p := range s.cfg.People {
		if p.Platform() == platform {
			return p.UserName(user)
		}
	}
	return ""
}

// guard finds the request's session and lets it through to h when its person may reach access: a
// signed-out visitor of a page is sent to sign in (and back), of an action refused with 401; a signed-in
// person without the rights is refused with 403.
func (s *Server) guard(access Access, h viewHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := s.sessionViewer(w, r)
		if err != nil {
			s.fail(w, r, nil, err)
			return
		}
		switch {
		case v.Passes(access):
			h(w, r, v)
		case v == nil && (r.Method == http.MethodGet || r.Method == http.MethodHead):
			http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		case v == nil:
			s.refuse(w, r, nil, http.StatusUnauthorized, "Your session has ended. Sign in again, then try once more.")
		case access == AdminOnly:
			s.refuse(w, r, v, http.StatusForbidden, "This page is for the desk's admins.")
		default:
			s.refuse(w, r, v, http.StatusForbidden, "This page is for the desk's technicians and admins.")
		}
	})
}

// People is what a chat adapter knows of its platform's people, from the caches it keeps in the
// background (Slack's directory of people and user groups, Discord's guild members): the console asks it
// on every request, so it must answer from memory, without calling the platform, and be safe for
// concurrent use.
type People interface {
	// Platform is the platform whose people it knows: "slack", "discord".
	Platform() string
	// UserName returns the display name of user ("platform:id"), "" when it does not know it.
	UserName(user string) string
	// UserRoles returns the roles of user that tiers and admins may be given as ("slack:subteam:S…",
	// "discord:role:…"). known is false while its cache has not been read (the platform was unreachable
	// at start): the console then gives the person only the rights the config names them for in
	// person, and says so, rather than guess.
	UserRoles(user string) (roles []string, known bool)
}
