package kb_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/firstline-desk/firstline/kb"
)

// mustReadFixtures returns the small IT knowledge base in testdata.
func mustReadFixtures(tb testing.TB) []kb.Article {
	tb.Helper()
	articles, err := kb.ReadDir(os.DirFS("testdata/articles"), ".")
	if err != nil {
		tb.Fatalf("read fixtures: %v", err)
	}
	return articles
}

func ids(articles []kb.Article) []string {
	out := make([]string, len(articles))
	for i, a := range articles {
		out[i] = a.ID
	}
	return out
}

func TestReadDirFixtures(t *testing.T) {
	articles := mustReadFixtures(t)
	want := []string{
		"email-phone", "mfa-setup", "outlook-pst", "password-reset",
		"printer-add", "vpn-connect", "wifi-connect", "windows-update-0x80070005",
	}
	if got := ids(articles); !slices.Equal(got, want) {
		t.Fatalf("ids = %v, want %v", got, want)
	}
	vpn := articles[5]
	if vpn.Updated != time.Date(2026, 9, 14, 0, 0, 0, 0, time.UTC) {
		t.Fatalf("vpn updated = %v", vpn.Updated)
	}
	if !strings.HasPrefix(vpn.Body, "You need the VPN") || strings.HasSuffix(vpn.Body, "\n") {
		t.Fatalf("vpn body = %q", vpn.Body)
	}
}

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

func TestReadDir(t *testing.T) {
	good := func(id string) *fstest.MapFile {
		return file("+++\nid = \"" + id + "\"\ntitle = \"T " + id + "\"\n+++\n\nbody of " + id + "\n")
	}
	tests := []struct {
		name    string
		fsys    fstest.MapFS
		dir     string
		wantIDs []string
		wantErr []string // the error's lines, in order
	}{
		{
			name: "sorted by id, not by file name; other files ignored",
			fsys: fstest.MapFS{
				"kb/z.md":            good("alpha"),
				"kb/a.md":            good("zulu"),
				"kb/m.md":            good("mike"),
				"kb/README.txt":      file("not an article"),
				"kb/.#m.md":          file("editor lock file"),
				"kb/.m.md.tmp123":    file("half written"),
				"kb/drafts/draft.md": file("not read: subfolder"),
				"other/x.md":         good("outside"),
			},
			dir:     "kb",
			wantIDs: []string{"alpha", "mike", "zulu"},
		},
		{
			name:    "empty folder",
			fsys:    fstest.MapFS{"kb/notes.txt": file("x")},
			dir:     "kb",
			wantIDs: nil,
		},
		{
			name: "every bad file at once, with file and line",
			fsys: fstest.MapFS{
				"vpn.md":     file("+++\nid = \"vpn\"\ntitel = \"VPN\"\n+++\nbody\n"),
				"printer.md": good("printer"),
				"wifi.md":    file("no front matter\n"),
				"mfa.md":     file("+++\nid = \"MFA\"\ntitle = \"MFA\"\n+++\n"),
			},
			dir: ".",
			wantErr: []string{
				`mfa.md:2: id "MFA" must be`,
				"mfa.md: body is required",
				`vpn.md:3: unknown key "titel"`,
				"wifi.md:1: missing front matter",
			},
		},
		{
			name: "duplicate ids",
			fsys: fstest.MapFS{
				"vpn.md":      good("vpn"),
				"vpn-copy.md": good("vpn"),
				"wifi.md":     good("wifi"),
			},
			dir:     ".",
			wantErr: []string{`vpn.md: duplicate id "vpn": vpn-copy.md has it too`},
		},
		{
			name:    "missing folder",
			fsys:    fstest.MapFS{},
			dir:     "kb",
			wantErr: []string{"read articles in kb:"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := kb.ReadDir(tt.fsys, tt.dir)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("ReadDir: %v", err)
				}
				if !slices.Equal(ids(got), tt.wantIDs) {
					t.Fatalf("ids = %v, want %v", ids(got), tt.wantIDs)
				}
				return
			}
			if err == nil {
				t.Fatalf("ReadDir: no error, got %v", ids(got))
			}
			if got != nil {
				t.Fatalf("ReadDir returned articles with an error: %v", ids(got))
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tt.wantErr) {
				t.Fatalf("error has %d lines, want %d:\n%v", len(lines), len(tt.wantErr), err)
			}
			for i, w := range tt.wantErr {
				if !strings.HasPrefix(lines[i], w) {
					t.Fatalf("error line %d = %q, want prefix %q", i, lines[i], w)
				}
			}
		})
	}
}

func TestWriteDirRoundTrip(t *testing.T) {
	want := append(mustReadFixtures(t), roundTripCases()...)
	dir := filepath.Join(t.TempDir(), "new", "kb")
	if _, err := kb.WriteDir(context.Background(), dir, want); err != nil {
		t.Fatalf("WriteDir: %v", err)
	}
	got, err := kb.ReadDir(os.DirFS(dir), ".")
	if err != nil {
		t.Fatalf("ReadDir after WriteDir: %v", err)
	}
	slices.SortFunc(want, func(a, b kb.Article) int { return strings.Compare(a.ID, b.ID) })
	if len(got) != len(want) {
		t.Fatalf("read %d articles, wrote %d", len(got), len(want))
	}
	for i := range want {
		if diff := sameArticle(got[i], want[i]); diff != "" {
			t.Fatalf("article %s: %s", want[i].ID, diff)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".md") || strings.HasPrefix(e.Name(), ".") {
			t.Fatalf("left over file %s", e.Name())
		}
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if perm := info.Mode().Perm(); perm != 0o644 {
			t.Fatalf("%s has mode %v, want 0644", e.Name(), perm)
		}
	}
}

// TestWriteDirMirrors checks that an export makes the folder hold the knowledge base: an article is
// rewritten in the file that holds it, the file of an article no longer exported is removed, and what is
// not an article (other files, hidden files, subfolders) is left alone.
func TestWriteDirMirrors(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string]string{
		"other.md":         "+++\nid = \"other\"\ntitle = \"Other\"\n+++\n\nremoved by the export\n",
		"README.txt":       "kept",
		".notes.md.swp":    "kept",
		"drafts/draft.md":  "kept",
		"archive.md/x.txt": "a folder named like an article: kept",
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	v1 := kb.Article{ID: "vpn", Title: "VPN", Body: "version 1"}
	v2 := kb.Article{ID: "vpn", Title: "VPN", Body: "version 2"}
	for _, a := range []kb.Article{v1, v2} {
		if _, err := kb.WriteDir(context.Background(), dir, []kb.Article{a}); err != nil {
			t.Fatalf("WriteDir: %v", err)
		}
	}
	got, err := kb.ReadDir(os.DirFS(dir), ".")
	if err != nil {
		t.Fatalf("ReadDir: %v", err)
	}
	if !slices.Equal(ids(got), []string{"vpn"}) || got[0].Body != "version 2" {
		t.Fatalf("read back %+v, want only vpn at version 2", got)
	}
	for _, name := range []string{"README.txt", ".notes.md.swp", "drafts/draft.md", "archive.md/x.txt"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Fatalf("%s was not left alone: %v", name, err)
		}
	}
}

func TestWriteDirRefusesBadArticles(t *testing.T) {
	tests := []struct {
		name     string
		articles []kb.Article
		want     []string
	}{
		{
			name:     "invalid articles, all reported",
			articles: []kb.Article{{ID: "ok", Title: "OK", Body: "b"}, {ID: "../etc/passwd", Title: "x", Body: "b"}, {ID: "x", Body: "b"}},
			want:     []string{`id "../etc/passwd" must be`, "title is required"},
		},
		{
			name:     "duplicate ids",
			articles: []kb.Article{{ID: "a", Title: "A", Body: "b"}, {ID: "a", Title: "A2", Body: "b"}},
			want:     []string{`duplicate id "a"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "kb")
			_, err := kb.WriteDir(context.Background(), dir, tt.articles)
			if err == nil {
				t.Fatal("WriteDir: no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Fatalf("error %q does not mention %q", err, w)
				}
			}
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Fatalf("WriteDir created %s despite the error (stat: %v)", dir, err)
			}
		})
	}
}
