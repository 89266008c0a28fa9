package discord

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
)

// The directory is what the adapter knows of where channels are and who people are, so that the gateway's
// dispatches are translated without calling Discord's REST API: discordgo hands them over one at a time on
// the goroutine that reads the gateway, and a button press must be answered within 3 seconds. It reads
// discordgo's state (the channels and active threads of GUILD_CREATE, THREAD_CREATE and THREAD_UPDATE,
// kept before the adapter sees a dispatch), the members events carried, and what lookupLoop fetched in the
// background for next time.
//
// What a dispatch cannot learn from the directory it goes without:
//   - a guild channel neither the state nor the adapter knows is taken for a channel, not a thread (it is
//     fetched for the next dispatch); in practice the state knows every channel and active thread;
//   - roles are those the event carries (messages, reactions added and button presses in a server carry
//     the member); a reaction removed carries none, and takes the roles Discord last reported for the
//     member, if within memberTTL, else none, and the member is fetched for next time. So a technician
//     whose roles are not known may be refused once (taking back a claim made long ago), for no longer
//     than one fetch, and nobody acts on roles Discord reported more than memberTTL ago;
//   - a name not carried nor known is left out (the engine shows the id), and fetched for next time.

// memberTTL is how long the roles an event carried are trusted for an event that carries none.
const memberTTL = 10 * time.Minute

// maxMembers bounds the members remembered; maxWanted the lookups waiting.
const (
	maxMembers = 10000
	maxWanted  = 1024
)

// member is what the directory knows of a person in a guild (guild "" for a user met in a DM).
type member struct {
	roles []string // "discord:role:ID"
	name  string
	at    time.Time // when Discord said so
}

// directory is the adapter's cache of members and the lookups waiting for lookupLoop. Safe for
// concurrent use.
type directory struct {
	mu      sync.Mutex
	members map[string]member // guild + "/" + user
	// wantMembers and wantChannels are what dispatches needed and the directory did not know.
	wantMembers  map[string][2]string // key -> guild, user
	wantChannels map[string]bool
	wake         chan struct{}
}

func newDirectory() *directory {
	return &directory{members: map[string]member{}, wantMembers: map[string][2]string{}, wantChannels: map[string]bool{},
		wake: make(chan struct{}, 1)}
}

func memberKey(guild, user string) string { return guild + "/" + user }

// note remembers what Discord said of a member (a user in a DM when m carries no roles and guild is "").
func (d *directory) note(guild, user string, roles []string, name string) {
	if user == "" {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.members) >= maxMembers {
		for k := range d.members { // an arbitrary one: they are refreshed by every event that carries them
			delete(d.members, k)
			break
		}
	}
	d.members[memberKey(guild, user)] = member{roles: roles, name: name, at: time.Now()}
}

// roles returns the roles Discord last reported for a member within memberTTL; ok is false when there are
// none that recent, and the member is then fetched for next time.
func (d *directory) roles(guild, user string) ([]string, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	m, known := d.members[memberKey(guild, user)]
	if known && time.Since(m.at) < memberTTL {
		return append([]string(nil), m.roles...), true
	}
	d.wantMemberLocked(guild, user)
	return nil, false
}

// name returns a member's name as last reported, whenever that was, or "" (and the member is fetched).
func (d *directory) name(guild, user string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	m, known := d.members[memberKey(guild, user)]
	if !known {
		d.wantMemberLocked(guild, user)
	}
	return m.name
}

// findName returns the one member of guild the directory knows by name (any case), as a form's user
// field names them; ok is false when none is, or several are.
func (d *directory) findName(guild, name string) (user, shown string, ok bool) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", "", false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	prefix := guild + "/"
	for k, m := range d.members {
		id, in := strings.CutPrefix(k, prefix)
		if !in || !strings.EqualFold(m.name, name) {
			continue
		}
		if user != "" && user != id {
			return "", "", false
		}
		user, shown = id, m.name
	}
	return user, shown, user != ""
}

func (d *directory) wantMemberLocked(guild, user string) {
	if len(d.wantMembers) < maxWanted {
		d.wantMembers[memberKey(guild, user)] = [2]string{guild, user}
		d.kick()
	}
}

func (d *directory) wantChannel(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.wantChannels) < maxWanted {
		d.wantChannels[id] = true
		d.kick()
	}
}

func (d *directory) kick() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// takeWanted returns the lookups waiting, and forgets them.
func (d *directory) takeWanted() (members [][2]string, channels []string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, gu := range d.wantMembers {
		members = append(members, gu)
	}
	for id := range d.wantChannels {
		channels = append(channels, id)
	}
	clear(d.wantMembers)
	clear(d.wantChannels)
	return members, channels
}

// noteMember remembers the member an event carried (nil: nothing to remember).
func (a *Adapter) noteMember(guild string, u *discordgo.User, m *discordgo.Member) {
	if m == nil || guild == "" {
		return
	}
	if u == nil {
		u = m.User
	}
	if u == nil {
		return
	}
	a.dir.note(guild, u.ID, roles(m), displayName(u, m))
}

// lookupLoop fetches what dispatches needed and the directory did not know, until ctx ends.
func (a *Adapter) lookupLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-a.dir.wake:
		}
		a.lookUpWanted(ctx)
	}
}

// lookUpWanted fetches the members and channels waiting, one request each.
func (a *Adapter) lookUpWanted(ctx context.Context) {
	members, channels := a.dir.takeWanted()
	for _, gu := range members {
		guild, user := gu[0], gu[1]
		if guild == "" {
			if u, err := a.s.User(user, discordgo.WithContext(ctx)); err == nil {
				a.dir.note("", user, nil, displayName(u, nil))
			}
			continue
		}
		if m := a.fetchMember(ctx, guild, user); m != nil {
			a.noteMember(guild, m.User, m)
		}
	}
	for _, id := range channels {
		a.lookUpChannel(ctx, id)
	}
}

// fetchMember reads a member over REST; nil when Discord does not say.
func (a *Adapter) fetchMember(ctx context.Context, guild, user string) *discordgo.Member {
	m, err := a.s.GuildMember(guild, user, discordgo.WithContext(ctx))
	if err != nil {
		if ctx.Err() == nil && restStatus(err) != http.StatusNotFound {
			a.log.Warn("discord member not found", "user", user, "err", err)
		}
		return nil
	}
	return m
}

// lookUpChannel reads a channel over REST: where it is (a thread's parent) and its name.
func (a *Adapter) lookUpChannel(ctx context.Context, id string) {
	ch, err := a.s.Channel(id, discordgo.WithContext(ctx))
	if err != nil {
		if restStatus(err) == http.StatusNotFound || restStatus(err) == http.StatusForbidden {
			// Not asked again: a channel the bot cannot see is no thread of its, and shows as its id.
			a.mu.Lock()
			a.parents[id] = ""
			a.mu.Unlock()
			a.channelNames.Store(id, "")
		} else if ctx.Err() == nil {
			a.log.Warn("discord channel not found", "channel", id, "err", err)
		}
		return
	}
	a.knowChannel(ch)
}

// knowChannel remembers where a channel is and its name.
func (a *Adapter) knowChannel(ch *discordgo.Channel) {
	parent := ""
	if ch.IsThread() {
		parent = ch.ParentID
	}
	a.mu.Lock()
	a.parents[ch.ID] = parent
	a.mu.Unlock()
	a.channelNames.Store(ch.ID, ch.Name)
}

// stateChannel returns a channel from discordgo's state, nil when the state does not hold it.
func (a *Adapter) stateChannel(id string) *discordgo.Channel {
	if a.s.State == nil {
		return nil
	}
	ch, err := a.s.State.Channel(id)
	if err != nil {
		return nil
	}
	return ch
}

// place maps a channel to where the engine thinks the message is: a thread is reported as its parent
// channel and the thread (whose id is the message it was started on), so a ticket's conversation and a
// card's thread look alike on every platform. guild is the event's ("" in a DM, which has no threads).
// fetch allows a REST lookup of a channel the directory does not know: catch-up's, off the gateway's
// goroutine; a dispatch takes an unknown channel for a channel, and it is looked up for the next.
func (a *Adapter) place(ctx context.Context, channelID, guild string, fetch bool) (channel, thread string) {
	a.mu.Lock()
	parent, known := a.parents[channelID]
	a.mu.Unlock()
	switch {
	case known:
	case guild == "":
		// A DM: no threads there. Not remembered, since a catch-up's message does not always know.
	default:
		ch := a.stateChannel(channelID)
		if ch == nil && fetch {
			a.lookUpChannel(ctx, channelID)
			a.mu.Lock()
			parent, known = a.parents[channelID]
			a.mu.Unlock()
			break
		}
		if ch == nil {
			a.log.Debug("discord channel not in the state; taken for a channel, looked up for next time", "channel", channelID)
			a.dir.wantChannel(channelID)
			break
		}
		a.knowChannel(ch)
		if ch.IsThread() {
			parent = ch.ParentID
		}
	}
	if parent == "" {
		return channelID, ""
	}
	return parent, channelID
}

// channelName returns a channel's name, for a <#id> in a message: remembered, or from discordgo's state;
// "" when neither knows it (the id is shown), and it is looked up for next time.
func (a *Adapter) channelName(id string) string {
	if n, ok := a.channelNames.Load(id); ok {
		return n.(string)
	}
	if ch := a.stateChannel(id); ch != nil {
		a.channelNames.Store(id, ch.Name)
		return ch.Name
	}
	a.dir.wantChannel(id)
	return ""
}
