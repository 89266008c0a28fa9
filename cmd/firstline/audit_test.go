package main

import (
	"context"
	"encoding/json"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/storage"
)

// mustAuditData writes a data file whose audit log holds entries, appended through the store as the desk
// appends them.
func mustAuditData(t *testing.T, entries ...bot.AuditEntry) string {
	t.Helper()
	dir := t.TempDir()
	db, err := storage.Open(filepath.Join(dir, "firstline.db"), storage.Options{LockTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, e := range entries {
		if err := db.Update(context.Background(), func(tx bot.Tx) error { return tx.Audit(e) }); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestAuditCommand(t *testing.T) {
	now := time.Now()
	data := mustAuditData(t,
		bot.AuditEntry{At: time.Date(2020, 2, 1, 8, 0, 0, 0, time.UTC), Actor: "slack:U1", Action: "kb.add", Target: "vpn-connect"},
		bot.AuditEntry{At: time.Date(2020, 3, 2, 9, 30, 0, 0, time.UTC), Actor: "slack:U1", Action: "kb.edit", Target: "vpn-connect", Detail: "version 2:\tnew\nsteps"},
		bot.AuditEntry{At: now.Add(-10 * 24 * time.Hour), Actor: "slack:U1", Action: "kb.delete", Target: "vpn-connect"},
		bot.AuditEntry{At: now.Add(-2 * time.Hour), Actor: "discord:42", Action: "ticket.claimed", Target: "T-000007"},
		bot.AuditEntry{At: now.Add(-time.Hour), Action: "refused", Target: "T-000007", Detail: "not a technician"},
	)

	t.Run("default window is a week", func(t *testing.T) {
		out, errOut, code := runMain(t, "audit", "-data", data, "-json")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		var got []bot.AuditEntry
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("not a JSON array: %v\n%s", err, out)
		}
		if len(got) != 2 || got[0].Action != "ticket.claimed" || got[1].Action != "refused" || !got[1].At.Equal(now.Add(-time.Hour)) {
			t.Fatalf("got %+v, want the claim and the refusal, oldest first", got)
		}
		if got[1].Actor != "desk" {
			t.Fatalf("the desk's refusal has actor %q in the JSON, want \"desk\" as in the table", got[1].Actor)
		}
	})

	t.Run("text from a date", func(t *testing.T) {
		out, errOut, code := runMain(t, "audit", "-data", data, "-since", "2020-03-01")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if len(lines) != 5 || !strings.HasPrefix(lines[0], "TIME (UTC)") {
			t.Fatalf("want a header and four entries:\n%s", out)
		}
		if got := strings.Fields(lines[1]); strings.Join(got, " ") != "2020-03-02 09:30:00 slack:U1 kb.edit vpn-connect version 2: new steps" {
			t.Fatalf("first entry %q: want UTC time, actor, action, target and the detail on one line", lines[1])
		}
		if got := strings.Fields(lines[4]); strings.Join(got[2:], " ") != "desk refused T-000007 not a technician" {
			t.Fatalf("last entry %q: want the desk's refusal", lines[4])
		}
		// Aligned: every column starts where its heading does.
		for _, heading := range []string{"ACTOR", "ACTION", "TARGET", "DETAIL"} {
			col := strings.Index(lines[0], heading)
			for _, l := range lines[1:] {
				if col >= len(l) || l[col-1] != ' ' || l[col] == ' ' {
					t.Fatalf("column %s (at %d) not aligned in %q\n%s", heading, col, l, out)
				}
			}
		}
	})

	t.Run("nothing in the window", func(t *testing.T) {
		out, errOut, code := runMain(t, "audit", "-data", data, "-since", "30m")
		if code != 0 || !strings.HasPrefix(out, "No audit entries since ") {
			t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
		}
		out, _, code = runMain(t, "audit", "-data", data, "-since", "30m", "-json")
		if code != 0 || strings.TrimSpace(out) != "[]" {
			t.Fatalf("exit %d, want an empty JSON array: %q", code, out)
		}
	})

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"bad since", []string{"audit", "-data", data, "-since", "last week"}, `-since "last week" is neither a span`},
		{"arguments", []string{"audit", "-data", data, "kb"}, "audit takes no arguments"},
		{"no data yet", []string{"audit", "-data", filepath.Join(data, "nowhere")}, "no data file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, code := runMain(t, tc.args...)
			if code == 0 || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, stderr %q; want an error with %q", code, errOut, tc.want)
			}
		})
	}
}

// TestKBImportIsAudited checks that kb import from the command line leaves an audit entry per article it
// adds or changes, naming the user who ran it, and none for an article it leaves as it was.
func TestKBImportIsAudited(t *testing.T) {
	data := t.TempDir()
	dir := writeKB(t, map[string]string{"vpn.md": kbFile("vpn", "VPN", "Restart the client."), "wifi.md": kbFile("wifi", "Wi-Fi", "Forget the network.")})
	mustRun(t, "2 new", "kb", "import", dir, "-data", data)
	writeFile(t, filepath.Join(dir, "vpn.md"), kbFile("vpn", "VPN", "Restart the client, then the laptop."))
	mustRun(t, "1 changed, 1 unchanged", "kb", "import", dir, "-data", data)

	out := mustRun(t, "[", "audit", "-json", "-data", data)
	var got []bot.AuditEntry
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, e := range got {
		lines = append(lines, e.Actor+" "+e.Action+" "+e.Target+" "+e.Detail)
	}
	actor := "cli:" + currentUser()
	want := []string{actor + " kb.import vpn v1", actor + " kb.import wifi v1", actor + " kb.import vpn v2"}
	slices.Sort(lines[:2])
	if !slices.Equal(lines, want) {
		t.Fatalf("audit after two imports:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}

// TestCLIActorWithoutUSER: a command run where $USER is not set (cron, a systemd unit, docker exec) is
// audited as the account that ran it, not as "unknown" or nobody.
func TestCLIActorWithoutUSER(t *testing.T) {
	want, err := user.Current()
	if err != nil || want.Username == "" {
		t.Fatalf("this system cannot say who runs the test: %v", err)
	}
	t.Setenv("USER", "")
	t.Setenv("USERNAME", "")
	if got := currentUser(); got != want.Username {
		t.Fatalf("currentUser() = %q without $USER, want the account's name %q", got, want.Username)
	}
}
