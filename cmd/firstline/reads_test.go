package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestReadsWhileTheDeskRuns runs every read command through the real binary on a data file with the desk
// stopped, then again while the desk runs on it (holding the file's lock, so they can only read through
// its control socket): each prints the same, byte for byte, and writes the same files.
func TestReadsWhileTheDeskRuns(t *testing.T) {
	data := t.TempDir()
	c := startConsole(t, data)
	c.send("my printer jams", "My VPN will not connect from home")
	c.close()

	day := time.Now().Format(time.DateOnly)
	reads := [][]string{
		{"tickets", "list"},
		{"tickets", "list", "-json"},
		{"tickets", "list", "-status", "open"},
		{"tickets", "show", "T-000001"},
		{"tickets", "show", "t-000001", "-json"},
		{"tickets", "show", "T-000099"}, // fails the same way: no such ticket
		{"report", "-until", day},
		{"report", "-until", day, "-json"},
		{"report", "-until", day, "-html", "HTML"},
		{"audit", "-since", "2000-01-01"},
		{"audit", "-since", "2000-01-01", "-json"},
		{"kb", "search", "vpn", "will", "not", "connect"},
		{"kb", "search", "-json", "-n", "3", "printer"},
		{"kb", "export", "EXPORT"},
	}
	// Each of them says so in its help.
	for _, args := range reads {
		name := args[0]
		if len(group(name)) > 0 {
			name += " " + args[1]
		}
		if c := findCommand(name); c == nil || !strings.Contains(c.help, "Works while the desk runs") {
			t.Errorf("firstline help %s does not say that it works while the desk runs", name)
		}
	}
	// run runs every read; HTML and EXPORT stand for a file and a folder of its own in dir, and are
	// written back as HTML and EXPORT in the output, so the runs compare.
	run := func(dir string) (outputs []string, files map[string]string) {
		t.Helper()
		html, export := filepath.Join(dir, "report.html"), filepath.Join(dir, "kb")
		for _, args := range reads {
			args = append(append([]string(nil), args...), "-data", data)
			for i, a := range args {
				args[i] = strings.NewReplacer("HTML", html, "EXPORT", export).Replace(a)
			}
			out, err := runCLI(t, args...)
			failed := ""
			if err != nil {
				failed = "failed: " + err.Error() + "\n"
			}
			outputs = append(outputs, failed+strings.NewReplacer(html, "HTML", export, "EXPORT").Replace(out))
		}
		files = map[string]string{}
		filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				b, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				rel, _ := filepath.Rel(dir, path)
				files[rel] = string(b)
			}
			return nil
		})
		return outputs, files
	}
	stopped, stoppedFiles := run(t.TempDir())

	// The desk again, on the same file; without the web console, whose sign-in link at start would add to
	// the audit log between the two runs.
	c = startConsole(t, data, "-web", "")
	defer c.close()
	running, runningFiles := run(t.TempDir())

	for i, args := range reads {
		if running[i] != stopped[i] {
			t.Errorf("firstline %s prints differently while the desk runs:\n%s\nthan when it is stopped:\n%s", strings.Join(args, " "), running[i], stopped[i])
		}
		wantFail := strings.Join(args, " ") == "tickets show T-000099"
		if strings.HasPrefix(stopped[i], "failed") != wantFail {
			t.Errorf("firstline %s: %s", strings.Join(args, " "), stopped[i])
		}
	}
	if len(stoppedFiles) < 25 || len(runningFiles) != len(stoppedFiles) {
		t.Fatalf("%d files written while the desk runs, %d when it is stopped, want the report and the demo's 25+ articles", len(runningFiles), len(stoppedFiles))
	}
	for name, b := range stoppedFiles {
		if runningFiles[name] != b {
			t.Errorf("%s differs when written while the desk runs", name)
		}
	}
	if !strings.Contains(stopped[0], "T-000001") || !strings.Contains(stopped[3], "printer") || !strings.Contains(stopped[5], "no ticket T-000099") {
		t.Fatalf("the reads did not read the desk's tickets:\n%s", strings.Join(stopped, "\n"))
	}
}
