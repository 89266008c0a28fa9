package discord

// The people the adapter knows, for the web console (web.People): names and roles from the directory,
// answered from memory, never by calling Discord while a page waits. The web console asks about a person,
// not about a person in a server: their roles are those of every server the desk serves (role ids are
// unique across servers, and a role grants only what the config names it for).

import (
	"strings"
	"time"

	"github.com/firstline-desk/firstline/bot"
)

// UserName returns user's ("discord:ID") name as Discord last reported it, "" when not known yet (it is
// then fetched for next time, in the server the desk serves when it serves one).
func (a *Adapter) UserName(user string) string {
	id, ok := discordUser(user)
	if !ok {
		return ""
	}
	if n := a.dir.anyName(id); n != "" {
		return n
	}
	if a.cfg.Guild != "" {
		return a.dir.name(a.cfg.Guild, id)
	}
	return ""
}

// UserRoles returns user's roles ("discord:role:ID") as Discord reported them within memberTTL, the rule
// the engine's events follow: known is false when there are none that recent, and the member is fetched
// for next time. Roles past half their time are fetched again while still answered, so a technician
// working in the console keeps them.
func (a *Adapter) UserRoles(user string) ([]string, bool) {
	id, ok := discordUser(user)
	if !ok {
		return nil, true
	}
	roles, known, stale := a.dir.userRoles(id, time.Now())
	if (!known || stale) && a.cfg.Guild != "" {
		a.dir.mu.Lock()
		a.dir.wantMemberLocked(a.cfg.Guild, id)
		a.dir.mu.Unlock()
	}
	return roles, known
}

// discordUser is the Discord id of "discord:ID".
func discordUser(user string) (string, bool) {
	p, id := bot.SplitID(user)
	return id, p == Platform && id != "" && !strings.Contains(id, ":")
}

// userRoles is the union of user's roles in every server they were seen in within memberTTL; stale says
// the newest report is past half of it.
func (d *directory) userRoles(user string, now time.Time) (roles []string, known, stale bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	suffix := "/" + user
	var newest time.Time
	for k, m := range d.members {
		if !strings.HasSuffix(k, suffix) || strings.HasPrefix(k, "/") || now.Sub(m.at) >= memberTTL {
			continue // another person, a DM's record (no roles), or too old to act on
		}
		known = true
		roles = append(roles, m.roles...)
		if m.at.After(newest) {
			newest = m.at
		}
	}
	return roles, known, known && now.Sub(newest) >= memberTTL/2
}

// anyName is user's name as last reported anywhere, "" when never.
func (d *directory) anyName(user string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	suffix := "/" + user
	for k, m := range d.members {
		if strings.HasSuffix(k, suffix) && m.name != "" {
			return m.name
		}
	}
	return ""
}
