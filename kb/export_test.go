package kb_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/firstline-desk/firstline/kb"
)

// exportIDs are the ids the round-trip property test draws from: names that collide once a number is
// added (vpn, vpn-2), that Windows reserves (con, nul.txt), that look like other files' names.
var exportIDs = []string{"vpn", "vpn-2", "wifi", "printer", "con", "nul.txt", "a", "b.c", "readme", "x-1"}

// TestWriteDirRoundTripAnyFolder is the export/import property: for any folder import accepts (file names
// that are not the ids, that differ only in case, that are another article's id; stale articles; hidden
// files, other files, subfolders named x.md), exporting a knowledge base into it, and into an empty
// folder, gives a folder that reads back to exactly that knowledge base, and a second export changes
// nothing. Each case is drawn from a seeded generator, so a failure names its seed.
func TestWriteDirRoundTripAnyFolder(t *testing.T) {
	for seed := uint64(1); seed <= 80; seed++ {
		rng := rand.New(rand.NewPCG(seed, 7))
		dir := t.TempDir()
		before := randomFolder(t, rng, dir)
		if _, err := kb.ReadFolder(context.Background(), dir); err != nil {
			t.Fatalf("seed %d: the generated folder does not import: %v", seed, err)
		}
		want := randomKB(rng)
		for _, target := range []string{dir, filepath.Join(t.TempDir(), "empty")} {
			res, err := kb.WriteDir(context.Background(), target, want)
			if err != nil {
				t.Fatalf("seed %d: WriteDir: %v", seed, err)
			}
			files, err := kb.ReadFolder(context.Background(), target)
			if err != nil {
				t.Fatalf("seed %d: the exported folder does not import: %v\nfolder before: %v\nexport: %+v", seed, err, before, res)
			}
			if got := articlesMarkdown(fileArticles(files)); !slices.Equal(got, articlesMarkdown(want)) {
				t.Fatalf("seed %d: read back\n%v\nwant\n%v\nfolder before: %v", seed, got, articlesMarkdown(want), before)
			}
			checkNoCaseCollision(t, seed, target, before)
			if again, err := kb.WriteDir(context.Background(), target, want); err != nil || again.Written != 0 || len(again.Removed) != 0 {
				t.Fatalf("seed %d: a second export = %+v, %v; want nothing written", seed, again, err)
			}
		}
	}
}

// randomFolder fills dir with a folder import accepts and returns its entries' names.
func randomFolder(t *testing.T, rng *rand.Rand, dir string) []string {
	t.Helper()
	used := map[string]bool{}
	files := map[string]string{}
	for _, id := range exportIDs {
		if rng.IntN(2) == 0 {
			continue
		}
		var name string
		for name == "" || used[name] {
			switch rng.IntN(5) {
			case 0:
				name = id + ".md"
			case 1:
				name = strings.ToUpper(id) + ".md" // differs from another file's only in case
			case 2:
				name = fmt.Sprintf("Note %d.md", rng.IntN(4))
			case 3:
				name = exportIDs[rng.IntN(len(exportIDs))] + ".md" // another article's id
			default:
				name = id + "-2.md"
			}
		}
		used[name] = true
		files[name] = fmt.Sprintf("+++\nid = %q\ntitle = \"Old %s\"\n+++\n\nold body %d\n", id, id, rng.IntN(3))
	}
	// What import does not read: hidden files, other extensions, subfolders (one named like an article).
	junk := map[string]string{".vpn.md.swp": "garbage", "README.txt": "kb", "drafts/x.md": "garbage", "wifi.md/keep": "a folder named wifi.md"}
	for name, data := range junk {
		if first, _, _ := strings.Cut(name, "/"); !used[first] && rng.IntN(2) == 0 {
			used[first] = true
			files[name] = data
		}
	}
	mustWrite(t, dir, files)
	var names []string
	for n := range used {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// randomKB is a knowledge base over some of exportIDs, some with the folder's old text.
func randomKB(rng *rand.Rand) []kb.Article {
	var out []kb.Article
	for _, id := range exportIDs {
		if rng.IntN(3) == 0 {
			continue
		}
		body := fmt.Sprintf("old body %d", rng.IntN(3))
		title := "Old " + id
		if rng.IntN(2) == 0 {
			title, body = "New "+id, "new body"
		}
		out = append(out, kb.Article{ID: id, Title: title, Body: body})
	}
	return out
}

// checkNoCaseCollision fails when a file the export created has the name of another entry of the folder
// but for case: on a case-insensitive file system it would have overwritten it.
func checkNoCaseCollision(t *testing.T, seed uint64, dir string, before []string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, e := range entries {
		lower := strings.ToLower(e.Name())
		if other, ok := seen[lower]; ok && !(slices.Contains(before, e.Name()) && slices.Contains(before, other)) {
			t.Fatalf("seed %d: the export made %s beside %s", seed, e.Name(), other)
		}
		seen[lower] = e.Name()
	}
}

func fileArticles(files []kb.File) []kb.Article {
	var out []kb.Article
	for _, f := range files {
		out = append(out, f.Article)
	}
	return out
}

func articlesMarkdown(articles []kb.Article) []string {
	var out []string
	for _, a := range articles {
		out = append(out, string(a.Markdown()))
	}
	slices.Sort(out)
	return out
}

// TestWriteDirRefusesFolderImportRefuses checks an export into a folder import would refuse (a broken
// article, two files with one id, a named pipe) writes nothing and lists the problems.
func TestWriteDirRefusesFolderImportRefuses(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, dir, map[string]string{"broken.md": "no front matter", "a.md": article("dup"), "b.md": article("dup")})
	_, err := kb.WriteDir(context.Background(), dir, []kb.Article{{ID: "vpn", Title: "VPN", Body: "b"}})
	if err == nil || !strings.Contains(err.Error(), "broken.md:1: missing front matter") || !strings.Contains(err.Error(), `duplicate id "dup"`) {
		t.Fatalf("WriteDir = %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "vpn.md")); !os.IsNotExist(err) {
		t.Fatalf("vpn.md was written: %v", err)
	}
}

// TestWriteDirFileNames checks the names an export chooses: the file that holds an article keeps it;
// a new article gets <id>.md unless any entry has that name but for case, or Windows reserves it.
func TestWriteDirFileNames(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, dir, map[string]string{"VPN Guide.md": article("vpn"), "WIFI.md": article("printer"), "Con.txt": "x"})
	want := []kb.Article{
		{ID: "vpn", Title: "VPN", Body: "new"},
		{ID: "printer", Title: "Printer", Body: "new"},
		{ID: "wifi", Title: "Wi-Fi", Body: "new"},
		{ID: "con", Title: "Con", Body: "new"},
	}
	if _, err := kb.WriteDir(context.Background(), dir, want); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if wantNames := []string{"Con.txt", "VPN Guide.md", "WIFI.md", "con-2.md", "wifi-2.md"}; !slices.Equal(names, wantNames) {
		t.Fatalf("files = %v, want %v", names, wantNames)
	}
	data, err := os.ReadFile(filepath.Join(dir, "WIFI.md"))
	if err != nil || !bytes.Contains(data, []byte(`id = "printer"`)) {
		t.Fatalf("WIFI.md = %q, %v; want the printer article", data, err)
	}
}

// TestWriteDirStopsWhenCancelled checks a cancelled export writes nothing.
func TestWriteDirStopsWhenCancelled(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "kb")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := kb.WriteDir(ctx, dir, []kb.Article{{ID: "a", Title: "A", Body: "b"}}); err == nil {
		t.Fatal("WriteDir after cancel: no error")
	}
	if _, err := os.Stat(filepath.Join(dir, "a.md")); !os.IsNotExist(err) {
		t.Fatalf("a.md was written: %v", err)
	}
}
