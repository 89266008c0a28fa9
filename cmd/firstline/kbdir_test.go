package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/storage"
)

// runDesk runs the console desk in this process on config cfg and data, typing input, and returns what
// it printed.
func runConsoleDesk(t *testing.T, cfg, data, input string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	m := &Main{Stdin: strings.NewReader(input), Stdout: &out, Stderr: &errOut, Getenv: noEnv}
	if code := m.Run(context.Background(), []string{"-config", cfg, "-data", data}); code != 0 {
		t.Fatalf("desk: exit %d: %s", code, errOut.String())
	}
	return out.String()
}

// articleVersions returns the versions of id in the data file in data, as "vN author [deleted]".
func articleVersions(t *testing.T, data, id string) []string {
	t.Helper()
	db, err := storage.Open(filepath.Join(data, "firstline.db"), storage.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var out []string
	err = db.View(context.Background(), func(tx bot.Tx) error {
		all, err := tx.KBVersions(id)
		for _, a := range all {
			s := a.Article.Title + " by " + a.Author
			if a.Deleted {
				s += " (deleted)"
			}
			out = append(out, s)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestKBDirKeepsChatEditsAcrossRestarts is issue 14's item 11 through the desk: kb.dir was re-imported at
// every start, so an article an admin edited or deleted in chat came back as a new version "by kb.dir"
// after a restart. Now chat's edits stay, a restart with nothing changed makes no version, a file that
// changed is imported unless its article changed too, and then the conflict is logged and listed under
// an admin's `!kb list`.
func TestKBDirKeepsChatEditsAcrossRestarts(t *testing.T) {
	dir := writeKB(t, map[string]string{
		"vpn.md":     kbFile("vpn", "VPN", "Open the VPN app."),
		"printer.md": kbFile("printer", "Printer", "Open tray 2."),
		"wifi.md":    kbFile("wifi", "Wi-Fi", "Join CORP."),
	})
	cfg, data := kbDirConfig(t, dir), t.TempDir()
	runConsoleDesk(t, cfg, data, "/as ada\n!kb edit vpn v1 title: VPN, edited in chat\n!kb delete printer v1\n")
	runConsoleDesk(t, cfg, data, "")
	if got, want := articleVersions(t, data, "vpn"), []string{"VPN by config:kb.dir", "VPN, edited in chat by console:ada"}; !slices.Equal(got, want) {
		t.Fatalf("vpn after a restart: %q, want %q", got, want)
	}
	if got, want := articleVersions(t, data, "printer"), []string{"Printer by config:kb.dir", "Printer by console:ada (deleted)"}; !slices.Equal(got, want) {
		t.Fatalf("printer after a restart: %q, want %q", got, want)
	}

	writeFile(t, filepath.Join(dir, "vpn.md"), kbFile("vpn", "VPN", "Open the VPN app, then sign in."))
	writeFile(t, filepath.Join(dir, "wifi.md"), kbFile("wifi", "Wi-Fi", "Join CORP with your laptop."))
	out := runConsoleDesk(t, cfg, data, "/as ada\n!kb list\n/as alice\n!kb list\n")
	if got := articleVersions(t, data, "vpn"); len(got) != 2 {
		t.Fatalf("vpn, changed in both places, after a restart: %q", got)
	}
	if got := articleVersions(t, data, "wifi"); len(got) != 2 || got[1] != "Wi-Fi by config:kb.dir" {
		t.Fatalf("wifi, changed in its file only, after a restart: %q", got)
	}
	if !strings.Contains(out, "`vpn` (vpn.md): the file changed, and so did the article (v2 by ada): v2 is kept") {
		t.Fatalf("!kb list by an admin does not list the conflict:\n%s", out)
	}
	if n := strings.Count(out, "(kb.dir)"); n != 1 {
		t.Fatalf("the conflict is listed %d times for an admin and an employee, want once (the admin's):\n%s", n, out)
	}
	logged, err := os.ReadFile(filepath.Join(data, "firstline.log"))
	if err != nil || !strings.Contains(string(logged), "knowledge base conflict") || !strings.Contains(string(logged), "article_id=vpn") {
		t.Fatalf("the conflict is not logged (%v):\n%s", err, logged)
	}
}
