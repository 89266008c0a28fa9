package slack_test

import (
	"context"
	"slices"
	"testing"

	"github.com/firstline-desk/firstline/adapters/slack"
	"github.com/firstline-desk/firstline/adapters/slack/fakeslack"
)

// The web console learns people's names and user groups from the directory, without calling Slack; before
// the groups were read, it is told they are not known, rather than that nobody is in a group.
func TestPeopleFromTheDirectory(t *testing.T) {
	fake := fakeslack.New(t)
	fake.AddUser("UALICE", "Alice Smith", "alice")
	fake.AddUserGroup("STIER2", "UALICE")
	a, err := slack.New(slack.Config{BotToken: "xoxb-t", AppToken: "xapp-t", APIURL: fake.APIURL(), CommandPrefix: "!"}, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	if roles, known := a.UserRoles("slack:UALICE"); known || len(roles) != 0 {
		t.Fatalf("before Connect: %v, known %v", roles, known)
	}
	if err := a.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	calls := len(fake.Calls("users.info")) + len(fake.Calls("usergroups.list"))
	if roles, known := a.UserRoles("slack:UALICE"); !known || !slices.Equal(roles, []string{"slack:subteam:STIER2"}) {
		t.Fatalf("alice's roles: %v, known %v", roles, known)
	}
	if name := a.UserName("slack:UALICE"); name != "alice" {
		t.Fatalf("alice's name: %q", name)
	}
	if roles, known := a.UserRoles("slack:UNOBODY"); !known || len(roles) != 0 {
		t.Fatalf("someone in no group: %v, known %v", roles, known)
	}
	if roles, known := a.UserRoles("discord:123"); !known || roles != nil {
		t.Fatalf("another platform's user: %v, known %v", roles, known)
	}
	if n := len(fake.Calls("users.info")) + len(fake.Calls("usergroups.list")); n != calls {
		t.Fatalf("%d Web API calls to answer", n-calls)
	}
}
