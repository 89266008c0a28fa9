package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/storage"
)

// kbFile is a valid article file.
func kbFile(id, title, body string) string {
	return "+++\nid = \"" + id + "\"\ntitle = \"" + title + "\"\n+++\n\n" + body + "\n"
}

// writeKB writes a folder of files (name → content) and returns it.
func writeKB(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "kb")
	for name, data := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, name), data)
	}
	return dir
}

// kbDirConfig writes a config whose kb.dir is dir, with ada as an admin, and returns its path.
func kbDirConfig(t *testing.T, dir string) string {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "firstline.toml")
	writeFile(t, cfg, "[kb]\ndir = "+tomlString(dir)+"\n\n[roles]\nadmins = [\"console:ada\"]\n\n"+
		"[[tiers]]\nid = \"tier2\"\nname = \"Tier 2\"\nchannel = \"console:tier2\"\nmembers = [\"console:tom\"]\n")
	return cfg
}

func tomlString(s string) string {
	return `"` + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `"`, `\"`) + `"`
}

// storedArticles returns the articles of the data file in data, each as its Markdown.
func storedArticles(t *testing.T, data string) []string {
	t.Helper()
	db, err := storage.Open(filepath.Join(data, "firstline.db"), storage.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	articles, err := bot.LiveKBArticles(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range articles {
		out = append(out, string(a.Markdown()))
	}
	return out
}

// TestKBFolderSpecialFiles checks that `kb import` and a desk started with kb.dir refuse a folder holding
// a named pipe, a link to /dev/zero or an oversized file, naming it, instead of hanging or reading
// gigabytes; and that nothing is imported. Without the checks the pipe blocks this test until go test's
// -timeout, and the link to /dev/zero grows the process until memory runs out.
func TestKBFolderSpecialFiles(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string)
		want  string
	}{
		{"named pipe", func(t *testing.T, dir string) {
			if err := syscall.Mkfifo(filepath.Join(dir, "notes.md"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, "notes.md: is a named pipe (FIFO), not a regular file"},
		{"link to /dev/zero", func(t *testing.T, dir string) {
			if err := os.Symlink("/dev/zero", filepath.Join(dir, "zero.md")); err != nil {
				t.Fatal(err)
			}
		}, "zero.md: is a symbolic link that leads out of the folder"},
		{"too big", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "log.md"), kbFile("log", "Log", strings.Repeat("error line\n", 100_000)))
		}, "log.md: is 1100035 bytes, more than the 1048576 (1 MiB) an article file may have"},
		{"not UTF-8", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "cafe.md"), kbFile("cafe", "Caf\xe9", "body"))
		}, "cafe.md:3: the file is not UTF-8 text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeKB(t, map[string]string{"vpn.md": kbFile("vpn", "VPN", "Open the VPN app.")})
			tt.setup(t, dir)

			data := t.TempDir()
			_, errOut, code := runMain(t, "kb", "import", dir, "-data", data)
			if code != 1 || !strings.Contains(errOut, "nothing imported") || !strings.Contains(errOut, tt.want) {
				t.Fatalf("kb import: exit %d, stderr:\n%s\nwant %q", code, errOut, tt.want)
			}

			_, errOut, code = runMain(t, "-config", kbDirConfig(t, dir), "-data", data)
			if code != 1 || !strings.Contains(errOut, tt.want) {
				t.Fatalf("desk with kb.dir: exit %d, stderr:\n%s\nwant %q", code, errOut, tt.want)
			}
			if got := storedArticles(t, data); len(got) != 0 {
				t.Fatalf("%d articles were imported from a folder that was refused", len(got))
			}
		})
	}
}

// TestKBExportImportRoundTrip checks, through the commands, that `kb export` into a folder whose file
// names are not the ids (which import allows) writes each article back into its own file, removes the
// files of articles deleted since, and leaves a folder that imports to the same articles, and that a
// desk with that folder as kb.dir starts. Before, the export wrote vpn.md beside "VPN guide.md" and the
// folder no longer imported (duplicate id).
func TestKBExportImportRoundTrip(t *testing.T) {
	dir := writeKB(t, map[string]string{
		"VPN guide.md":  kbFile("vpn", "VPN", "Open the VPN app."),
		"Printer.md":    kbFile("printer-jam", "Printer jam", "Open tray 2."),
		"old-thing.md":  kbFile("old-thing", "Old", "Gone soon."),
		"wifi.md/x.txt": "a folder named like an article",
		"README.txt":    "not an article",
	})
	data := t.TempDir()
	if _, errOut, code := runMain(t, "kb", "import", dir, "-data", data); code != 0 {
		t.Fatalf("kb import: exit %d: %s", code, errOut)
	}
	// The knowledge base moves on: old-thing is deleted, wifi added, vpn edited (a second data file
	// stands for it, as chat would).
	other := t.TempDir()
	next := writeKB(t, map[string]string{
		"a.md": kbFile("vpn", "VPN", "Open the VPN app, then sign in."),
		"b.md": kbFile("printer-jam", "Printer jam", "Open tray 2."),
		"c.md": kbFile("wifi", "Wi-Fi", "Forget the network and join again."),
	})
	if _, errOut, code := runMain(t, "kb", "import", next, "-data", other); code != 0 {
		t.Fatalf("kb import: exit %d: %s", code, errOut)
	}
	want := storedArticles(t, other)

	for _, target := range []string{dir, filepath.Join(t.TempDir(), "empty")} {
		out, errOut, code := runMain(t, "kb", "export", target, "-data", other)
		if code != 0 {
			t.Fatalf("kb export %s: exit %d: %s", target, code, errOut)
		}
		if target == dir && (!strings.Contains(out, "1 removed") || !strings.Contains(out, "removed old-thing.md")) {
			t.Fatalf("kb export did not say what it removed:\n%s", out)
		}
		fresh := t.TempDir()
		if _, errOut, code := runMain(t, "kb", "import", target, "-data", fresh); code != 0 {
			t.Fatalf("the exported folder does not import: exit %d: %s", code, errOut)
		}
		if got := storedArticles(t, fresh); !slices.Equal(got, want) {
			t.Fatalf("imported back:\n%v\nwant\n%v", got, want)
		}
	}
	names := dirNames(t, dir)
	if wantNames := []string{"Printer.md", "README.txt", "VPN guide.md", "wifi-2.md", "wifi.md"}; !slices.Equal(names, wantNames) {
		t.Fatalf("folder after export = %v, want %v", names, wantNames)
	}
	if _, errOut, code := runMain(t, "-config", kbDirConfig(t, dir), "-data", t.TempDir()); code != 0 {
		t.Fatalf("a desk with the exported folder as kb.dir: exit %d: %s", code, errOut)
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// TestEmptyKnowledgeBaseIsSaid checks that a desk started without a single article says so: a warning in
// its log, and the last line of the console's welcome (the console keeps its log in a file); and that a
// desk with articles says nothing of the kind.
func TestEmptyKnowledgeBaseIsSaid(t *testing.T) {
	data := t.TempDir()
	cfg := filepath.Join(t.TempDir(), "firstline.toml")
	writeFile(t, cfg, "[[tiers]]\nid = \"tier2\"\nname = \"Tier 2\"\nchannel = \"console:tier2\"\nmembers = [\"console:tom\"]\n")
	out := runConsoleDesk(t, cfg, data, "")
	if !strings.Contains(out, "The knowledge base is empty, so every question goes to a technician") {
		t.Fatalf("the welcome does not say the knowledge base is empty:\n%s", out)
	}
	logs, err := os.ReadFile(filepath.Join(data, "firstline.log"))
	if err != nil || !strings.Contains(string(logs), `level=WARN msg="The knowledge base is empty`) {
		t.Fatalf("no warning in the log (%v):\n%s", err, logs)
	}

	mustRun(t, "1 new", "kb", "import", writeKB(t, map[string]string{"vpn.md": kbFile("vpn", "VPN", "Restart the client.")}), "-data", data)
	if out := runConsoleDesk(t, cfg, data, ""); strings.Contains(out, "knowledge base is empty") {
		t.Fatalf("a desk with an article says its knowledge base is empty:\n%s", out)
	}
}
