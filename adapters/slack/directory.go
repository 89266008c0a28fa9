package slack

import (
	"context"
	"errors"
	"sync"
	"time"

	slackapi "github.com/slack-go/slack"
)

// The directory is what the adapter knows of the workspace: people's names, who is in which user group,
// channels' names. Events are translated from it alone, because Slack waits for the ack while an event is
// translated and handled, and a Web API call there would make every event wait for Slack (the group list
// used to be read again inline on one unlucky event every five minutes). Connect loads it; RunDirectory
// keeps it fresh in the background and looks up, for next time, the people and channels events named
// that it did not know.
//
// What an event cannot learn from the directory it goes without:
//   - a person not known yet is named as the event names them (a button press and a slash command carry
//     the user name; a message and a reaction carry none, and the engine shows the id), and looked up;
//   - roles are the user groups the directory last read, never anything an event says. Before the first
//     read succeeds (usergroups.list failing at start) nobody is in a group: a technician whose tier is a
//     user group is refused as anyone else would be until the next read (groupsRetry later), and nobody
//     is ever granted a group's rights it has not reported. A change of membership takes effect within
//     groupsTTL, as it did when the list was read inline.

// groupsTTL is how often the user groups are read again; groupsRetry how soon after a failed read.
const (
	groupsTTL   = 5 * time.Minute
	groupsRetry = 30 * time.Second
)

// loadBudget bounds the directory's first load in Connect: a workspace too large to list within it is
// listed on by RunDirectory.
const loadBudget = 10 * time.Second

// maxWanted bounds the people and channels waiting to be looked up: beyond it, an unknown one is looked
// up when an event names it again.
const maxWanted = 1024

// directory is the adapter's cache of the workspace. Its methods are safe for concurrent use.
type directory struct {
	mu       sync.Mutex
	names    map[string]string   // user id -> display name
	channels map[string]string   // channel id -> name, for <#C…> references that come without one
	groups   map[string][]string // user id -> "slack:subteam:S…"
	// groupsRead is when the user groups were last read successfully (zero: never); groupsNext is when
	// RunDirectory reads them next.
	groupsRead, groupsNext time.Time
	// usersListed: users.list went through to its last page once, so every name is known (newer people
	// are looked up one by one as events name them); until then it is tried again from listNext.
	usersListed bool
	listNext    time.Time
	// The app may lack a scope: usergroups:read (no groups, so no user group can be a tier),
	// users:read (no names), channels:read (references show the channel's id). Not asked again.
	groupsOff, namesOff, channelsOff bool
	// wantUsers and wantChannels are ids events named that the directory did not know; wake tells
	// RunDirectory.
	wantUsers, wantChannels map[string]bool
	wake                    chan struct{}
	// every is groupsTTL, shorter in tests.
	every time.Duration
}

func newDirectory() *directory {
	return &directory{
		names: map[string]string{}, channels: map[string]string{}, groups: map[string][]string{},
		wantUsers: map[string]bool{}, wantChannels: map[string]bool{}, wake: make(chan struct{}, 1),
		every: groupsTTL,
	}
}

// name returns a user's display name, or "" when the directory does not know it yet: the user is then
// looked up in the background, for the next event.
func (d *directory) name(id string) string {
	if id == "" {
		return ""
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	n, ok := d.names[id]
	if !ok && !d.namesOff {
		d.wantLocked(d.wantUsers, id)
	}
	return n
}

// roles returns the user groups a user is in, as "slack:subteam:S…", for tier and admin checks.
func (d *directory) roles(id string) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.groups[id]...)
}

// channelName returns a channel's name, or "" when the directory does not know it yet: it is then looked
// up in the background, and the reference shows the id meanwhile.
func (d *directory) channelName(id string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	n, ok := d.channels[id]
	if !ok && !d.channelsOff {
		d.wantLocked(d.wantChannels, id)
	}
	return n
}

func (d *directory) wantLocked(set map[string]bool, id string) {
	if len(set) >= maxWanted {
		return
	}
	set[id] = true
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// takeWanted returns the ids waiting to be looked up, and forgets them.
func (d *directory) takeWanted() (users, channels []string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for id := range d.wantUsers {
		if _, known := d.names[id]; !known {
			users = append(users, id)
		}
	}
	for id := range d.wantChannels {
		if _, known := d.channels[id]; !known {
			channels = append(channels, id)
		}
	}
	clear(d.wantUsers)
	clear(d.wantChannels)
	return users, channels
}

// displayName is what the desk calls a Slack user: their display name, else their real name, else their
// user name.
func displayName(u slackapi.User) string {
	switch {
	case u.Profile.DisplayName != "":
		return u.Profile.DisplayName
	case u.RealName != "":
		return u.RealName
	}
	return u.Name
}

// loadDirectory reads what the directory needs: the user groups when they are due, and every person's
// name until users.list has been read to its end once. Failures are logged; the next round tries again.
func (a *Adapter) loadDirectory(ctx context.Context) {
	d := a.dir
	d.mu.Lock()
	groupsDue := !d.groupsOff && !time.Now().Before(d.groupsNext)
	namesDue := !d.namesOff && !d.usersListed && !time.Now().Before(d.listNext)
	d.mu.Unlock()
	if groupsDue {
		a.readGroups(ctx)
	}
	if namesDue {
		a.listUsers(ctx)
	}
}

// readGroups reads usergroups.list into the directory.
func (a *Adapter) readGroups(ctx context.Context) {
	groups, err := a.api.GetUserGroupsContext(ctx, slackapi.GetUserGroupsOptionIncludeUsers(true))
	d := a.dir
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case err != nil && slackError(err) == "missing_scope":
		d.groupsOff = true
		a.log.Warn("user groups are not readable (add the usergroups:read scope to use them as tiers or admins)")
	case err != nil:
		d.groupsNext = time.Now().Add(min(groupsRetry, d.every))
		if ctx.Err() == nil {
			a.log.Warn("usergroups.list failed; the user groups last read stay in use", "err", err, "retry_in", groupsRetry.String())
		}
	default:
		d.groups = map[string][]string{}
		for _, g := range groups {
			for _, u := range g.Users {
				d.groups[u] = append(d.groups[u], Platform+":subteam:"+g.ID)
			}
		}
		d.groupsRead, d.groupsNext = time.Now(), time.Now().Add(d.every)
	}
}

// listUsers reads every person's name from users.list, a page at a time, keeping each page as it comes:
// a listing cut short (by Connect's budget, a failure) keeps what it read, and the next round starts over.
func (a *Adapter) listUsers(ctx context.Context) {
	p := a.api.GetUsersPaginated(slackapi.GetUsersOptionLimit(200))
	for {
		var err error
		p, err = p.Next(ctx)
		if p.Done(err) {
			a.dir.mu.Lock()
			a.dir.usersListed = true
			a.dir.mu.Unlock()
			return
		}
		var rl *slackapi.RateLimitedError
		switch {
		case errors.As(err, &rl):
			select {
			case <-ctx.Done():
				return
			case <-time.After(rl.RetryAfter):
			}
			continue
		case slackError(err) == "missing_scope":
			a.dir.mu.Lock()
			a.dir.namesOff = true
			a.dir.mu.Unlock()
			a.log.Warn("people's names are not readable (add the users:read scope); the desk shows their ids")
			return
		case err != nil:
			a.dir.mu.Lock()
			a.dir.listNext = time.Now().Add(groupsRetry)
			a.dir.mu.Unlock()
			if ctx.Err() == nil {
				a.log.Warn("users.list failed; names are looked up one by one meanwhile", "err", err)
			}
			return
		}
		a.dir.mu.Lock()
		for _, u := range p.Users {
			a.dir.names[u.ID] = displayName(u)
		}
		a.dir.mu.Unlock()
	}
}

// RunDirectory keeps the directory fresh until ctx ends: it reads the user groups again every groupsTTL
// (every groupsRetry after a failure), finishes listing people if Connect could not, and looks up the
// people and channels events named that the directory did not know. Run it beside RunSocket or
// HTTPHandler, after Connect.
func (a *Adapter) RunDirectory(ctx context.Context) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-a.dir.wake:
			timer.Stop()
		}
		timer.Reset(a.refreshDirectory(ctx))
	}
}

// refreshDirectory is one round of RunDirectory: what is due read again, what events asked for looked
// up. It returns how long until the next round is due.
func (a *Adapter) refreshDirectory(ctx context.Context) time.Duration {
	a.loadDirectory(ctx)
	users, channels := a.dir.takeWanted()
	for _, id := range users {
		a.lookUpUser(ctx, id)
	}
	for _, id := range channels {
		a.lookUpChannel(ctx, id)
	}
	d := a.dir
	d.mu.Lock()
	defer d.mu.Unlock()
	next := time.Until(d.groupsNext)
	if d.groupsOff {
		next = d.every
	}
	if !d.usersListed && !d.namesOff {
		next = min(next, time.Until(d.listNext))
	}
	return max(next, 0)
}

// lookUpUser reads one person's name with users.info.
func (a *Adapter) lookUpUser(ctx context.Context, id string) {
	u, err := a.api.GetUserInfoContext(ctx, id)
	if slackError(err) == "user_not_found" {
		a.dir.mu.Lock()
		a.dir.names[id] = "" // not asked again: the engine shows the id
		a.dir.mu.Unlock()
		return
	}
	if err != nil {
		if ctx.Err() == nil {
			a.log.Warn("users.info failed", "user", id, "err", err)
		}
		return
	}
	a.dir.mu.Lock()
	a.dir.names[id] = displayName(*u)
	a.dir.mu.Unlock()
}

// lookUpChannel reads one channel's name with conversations.info.
func (a *Adapter) lookUpChannel(ctx context.Context, id string) {
	ch, err := a.api.GetConversationInfoContext(ctx, &slackapi.GetConversationInfoInput{ChannelID: id})
	a.dir.mu.Lock()
	defer a.dir.mu.Unlock()
	switch {
	case err != nil && slackError(err) == "missing_scope":
		a.dir.channelsOff = true
		a.log.Warn("channel names are not readable (add the channels:read scope to show #name for channel links)")
	case slackError(err) == "channel_not_found":
		a.dir.channels[id] = "" // not asked again: the reference shows the id
	case err != nil:
		if ctx.Err() == nil {
			a.log.Warn("conversations.info failed", "channel", id, "err", err)
		}
	default:
		a.dir.channels[id] = ch.Name
	}
}

// resolver is what fromSlack needs to name the users and channels a message refers to.
func (a *Adapter) resolver() names {
	return names{bot: a.botUserID, user: a.dir.name, channel: a.dir.channelName}
}
