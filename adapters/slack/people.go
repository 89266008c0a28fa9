package slack

// The people the adapter knows, for the web console (web.People): names and user groups from the
// directory, answered from memory, never by calling Slack.

import (
	"strings"

	"github.com/firstline-desk/firstline/bot"
)

// UserName returns the display name of user ("slack:U…") as the directory knows it, "" when it does not
// yet (it is then looked up in the background).
func (a *Adapter) UserName(user string) string {
	id, ok := slackUser(user)
	if !ok {
		return ""
	}
	return a.dir.name(id)
}

// UserRoles returns the user groups user is in ("slack:subteam:S…"). known is false until the groups
// were read once: nobody is given a group's rights on a guess (see the directory's rules). Without the
// usergroups:read scope no group can be a tier, and every answer is known.
func (a *Adapter) UserRoles(user string) (roles []string, known bool) {
	id, ok := slackUser(user)
	if !ok {
		return nil, true
	}
	return a.dir.knownRoles(id)
}

// slackUser is the Slack id of "slack:U…".
func slackUser(user string) (string, bool) {
	p, id := bot.SplitID(user)
	return id, p == Platform && id != "" && !strings.Contains(id, ":")
}

// knownRoles is roles, and whether the groups have been read (or cannot be).
func (d *directory) knownRoles(id string) ([]string, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.groups[id]...), d.groupsOff || !d.groupsRead.IsZero()
}
