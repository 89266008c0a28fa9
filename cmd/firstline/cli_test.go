package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHelp checks every command's help as a user asks for it: COMMAND -h and firstline help COMMAND print
// the command's synopsis, what it does and its flags with their defaults on stdout, exit 0, and do
// nothing else (no data directory is created, no desk is started).
func TestHelp(t *testing.T) {
	data := filepath.Join(t.TempDir(), "nowhere")
	for _, c := range commands {
		t.Run(c.name, func(t *testing.T) {
			args := append(strings.Fields(c.name), "-h", "-data", data)
			out, errOut, code := runMain(t, args...)
			if code != 0 || errOut != "" {
				t.Fatalf("%s -h: exit %d, stderr %q", c.name, code, errOut)
			}
			for _, want := range []string{"Usage: firstline " + c.name, c.help, "Flags:", "-data DIR", `(default "firstline-data")`, "-config FILE"} {
				if !strings.Contains(out, want) {
					t.Fatalf("%s -h lacks %q:\n%s", c.name, want, out)
				}
			}
			viaHelp, errOut, code := runMain(t, append([]string{"help"}, strings.Fields(c.name)...)...)
			if code != 0 || errOut != "" || viaHelp != out {
				t.Fatalf("help %s: exit %d, stderr %q\n%s\nwant what -h prints:\n%s", c.name, code, errOut, viaHelp, out)
			}
		})
	}
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Fatalf("asking for help touched the data directory: %v", err)
	}

	for _, args := range [][]string{{"-h"}, {"--help"}, {"help"}} {
		out, errOut, code := runMain(t, args...)
		if code != 0 || errOut != "" || out != usageText() {
			t.Fatalf("%q: exit %d, stderr %q\n%s", args, code, errOut, out)
		}
	}
	for _, c := range commands {
		if !strings.Contains(usageText(), "firstline "+c.name) {
			t.Fatalf("the usage does not list %s:\n%s", c.name, usageText())
		}
	}
	// In every list of commands (firstline help, a group's -h) each summary starts at usageColumn, apart
	// from the command before it, also after a synopsis too long for the column.
	lists := map[string]string{"help": usageText()}
	for _, c := range commands {
		if first, _, ok := strings.Cut(c.name, " "); ok {
			lists[first+" -h"], _, _ = runMain(t, first, "-h")
		}
	}
	for name, list := range lists {
		for _, c := range commands {
			if name != "help" && !strings.HasPrefix(name, strings.Fields(c.name)[0]+" ") {
				continue
			}
			found := false
			for _, line := range strings.Split(list, "\n") {
				if i := len(line) - len(c.summary); strings.HasSuffix(line, c.summary) {
					found = true
					if i != usageColumn || !strings.HasSuffix(line[:i], "  ") {
						t.Errorf("%s: the summary of %s is not apart at column %d:\n%s", name, c.name, usageColumn, line)
					}
				}
			}
			if !found {
				t.Errorf("%s does not list %s:\n%s", name, c.name, list)
			}
		}
	}

	out, _, code := runMain(t, "tickets", "-h")
	if code != 0 || !strings.Contains(out, "tickets list [-status S] [-json]") || !strings.Contains(out, "tickets show ID") {
		t.Fatalf("tickets -h: exit %d\n%s", code, out)
	}
	if out2, _, _ := runMain(t, "help", "tickets"); out2 != out {
		t.Fatalf("help tickets:\n%s\nwant what tickets -h prints:\n%s", out2, out)
	}
	version, _, _ := runMain(t, "version")
	if out, _, code := runMain(t, "--version"); code != 0 || out != version || !strings.HasPrefix(out, "firstline v") {
		t.Fatalf("--version: exit %d, %q; version says %q", code, out, version)
	}

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"tickets"}, "tickets needs a command: list or show"},
		{[]string{"tickets", "lst"}, `unknown command "tickets lst"`},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"tickets", "list", "-bogus"}, "Usage: firstline tickets list [-status S] [-json]\nRun firstline help tickets list for its flags."},
		{[]string{"help", "frobnicate"}, `no command "frobnicate"`},
	} {
		out, errOut, code := runMain(t, tt.args...)
		if code != 2 || out != "" || !strings.Contains(errOut, tt.want) {
			t.Fatalf("%q: exit %d, stdout %q, stderr %q; want exit 2 and %q on stderr", tt.args, code, out, errOut, tt.want)
		}
	}
}
