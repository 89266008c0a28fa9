package slack

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/adapters/slack/fakeslack"
)

// TestDirectoryRefreshesInTheBackground checks that what events are translated from changes only when
// RunDirectory reads Slack again, never while an event is translated: user groups read again when due
// (and kept when the read fails), and people and channels an event named looked up for the next event.
func TestDirectoryRefreshesInTheBackground(t *testing.T) {
	fake := fakeslack.New(t)
	fake.AddUser("UALICE", "Alice Smith", "alice")
	fake.AddUserGroup("STIER2", "UALICE")
	a, err := New(Config{BotToken: "xoxb-t", AppToken: "xapp-t", APIURL: fake.APIURL()}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := a.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	if got := len(fake.Calls("users.list")); got != 1 {
		t.Fatalf("Connect listed people %d times, want once", got)
	}
	fake.AddUser("UBOB", "Bob Jones", "bob")
	fake.AddUserGroup("STIER3", "UBOB")
	fake.AddChannel("CNEW", "new-channel")
	translate := func() (name string, roles []string, text string) {
		ev, ok, err := a.eventsAPI([]byte(`{"type":"event_callback","event_id":"Ev1","event":{"type":"message","channel":"CHELP",` +
			`"channel_type":"channel","user":"UBOB","text":"see <#CNEW>","ts":"1700000001.000100"}}`))
		if err != nil || !ok {
			t.Fatalf("translate: %v, %v", ok, err)
		}
		return ev.UserName, ev.Roles, ev.Text
	}

	// The groups are due again, but the translation does not read them: it asks for nothing but Bob and
	// the channel, which the next round looks up.
	a.dir.mu.Lock()
	a.dir.groupsNext = time.Now().Add(-time.Second)
	a.dir.mu.Unlock()
	if name, roles, text := translate(); name != "" || roles != nil || text != "see #CNEW" {
		t.Fatalf("before the round: %q %v %q", name, roles, text)
	}
	if n := len(fake.Calls("usergroups.list")); n != 1 {
		t.Fatalf("usergroups.list read %d times by the translation of an event, want only Connect's", n)
	}
	a.refreshDirectory(ctx)
	if name, roles, text := translate(); name != "bob" || !slices.Equal(roles, []string{"slack:subteam:STIER3"}) || text != "see #new-channel" {
		t.Fatalf("after the round: %q %v %q, want bob in STIER3 and the channel's name", name, roles, text)
	}

	// A failed read keeps the groups last read, and is tried again groupsRetry later.
	fake.FailNext("usergroups.list", "fatal_error")
	a.dir.mu.Lock()
	a.dir.groupsNext = time.Now().Add(-time.Second)
	a.dir.mu.Unlock()
	if next := a.refreshDirectory(ctx); next > groupsRetry || next < groupsRetry-time.Second {
		t.Errorf("after a failed read the next round is in %v, want %v", next, groupsRetry)
	}
	if _, roles, _ := translate(); !slices.Equal(roles, []string{"slack:subteam:STIER3"}) {
		t.Errorf("after a failed read: roles %v, want the groups last read", roles)
	}
}
