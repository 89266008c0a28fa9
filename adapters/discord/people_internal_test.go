package discord

import (
	"log/slog"
	"slices"
	"testing"
	"time"
)

// The web console learns a person's roles from what Discord last reported, in any server, under the rule
// events follow: not known past memberTTL (and fetched for next time), refreshed early for someone
// active, never from a DM's record.
func TestPeopleRoles(t *testing.T) {
	a, err := New(Config{Token: "t", Guild: "G1"}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if roles, known := a.UserRoles("discord:42"); known || roles != nil {
		t.Fatalf("before any event: %v %v", roles, known)
	}
	if members, _ := a.dir.takeWanted(); len(members) != 1 || members[0] != [2]string{"G1", "42"} {
		t.Fatalf("an unknown member is not fetched for next time: %v", members)
	}
	a.dir.note("G1", "42", []string{"discord:role:7"}, "Tom")
	a.dir.note("G2", "42", []string{"discord:role:9"}, "Tom")
	a.dir.note("", "42", nil, "tom")
	a.dir.note("G1", "43", []string{"discord:role:8"}, "Ada")
	roles, known := a.UserRoles("discord:42")
	slices.Sort(roles)
	if !known || !slices.Equal(roles, []string{"discord:role:7", "discord:role:9"}) {
		t.Fatalf("roles: %v %v", roles, known)
	}
	if members, _ := a.dir.takeWanted(); len(members) != 0 {
		t.Fatalf("fresh roles were fetched again: %v", members)
	}
	if n := a.UserName("discord:43"); n != "Ada" {
		t.Fatalf("name %q", n)
	}
	if roles, known := a.UserRoles("slack:U1"); !known || roles != nil {
		t.Fatalf("another platform's user: %v %v", roles, known)
	}

	now := time.Now()
	if _, known, stale := a.dir.userRoles("42", now.Add(memberTTL/2)); !known || !stale {
		t.Fatalf("half-way: known %v stale %v", known, stale)
	}
	if roles, known, _ := a.dir.userRoles("42", now.Add(memberTTL+time.Second)); known || roles != nil {
		t.Fatalf("past memberTTL: %v %v", roles, known)
	}
}
