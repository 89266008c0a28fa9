package kb_test

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"

	"github.com/firstline-desk/firstline/kb"
)

// article is a valid article file for id.
func article(id string) string {
	return "+++\nid = \"" + id + "\"\ntitle = \"T " + id + "\"\n+++\n\nbody of " + id + "\n"
}

// mustWrite writes files (name → content) under dir, creating folders.
func mustWrite(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func fileIDs(files []kb.File) []string {
	var out []string
	for _, f := range files {
		out = append(out, f.Article.ID)
	}
	return out
}

// TestReadFolderSpecialFiles checks that what is named *.md but is not a regular file is refused with
// its name and what it is, at once: a named pipe (which blocks an ordinary open until someone writes), a
// socket, a link to a device or out of the folder, a sparse 5 GB file, a file just over the limit. A
// subfolder named x.md and a link to a file inside the folder are not errors. Without the checks the
// pipe hangs this test (go test -timeout), and the link to /dev/zero reads until memory runs out.
func TestReadFolderSpecialFiles(t *testing.T) {
	good := map[string]string{"vpn.md": article("vpn"), "sub/real.md": article("linked")}
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string)
		want  string // a line of the error; "" when the folder reads
	}{
		{"named pipe", func(t *testing.T, dir string) {
			if err := syscall.Mkfifo(filepath.Join(dir, "notes.md"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, "notes.md: is a named pipe (FIFO), not a regular file"},
		{"socket", func(t *testing.T, dir string) {
			// A Unix socket's path must be short: listen in a short temporary folder and link it in.
			short, err := os.MkdirTemp("", "s")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.RemoveAll(short) })
			l, err := net.Listen("unix", filepath.Join(short, "s.md"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { l.Close() })
			if err := os.Rename(filepath.Join(short, "s.md"), filepath.Join(dir, "sock.md")); err != nil {
				t.Fatal(err)
			}
		}, "sock.md: is a socket, not a regular file"},
		{"link to /dev/zero", func(t *testing.T, dir string) {
			if err := os.Symlink("/dev/zero", filepath.Join(dir, "zero.md")); err != nil {
				t.Fatal(err)
			}
		}, "zero.md: is a symbolic link that leads out of the folder"},
		{"relative link to /dev/zero", func(t *testing.T, dir string) {
			rel, err := filepath.Rel(dir, "/dev/zero")
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(rel, filepath.Join(dir, "zero.md")); err != nil {
				t.Fatal(err)
			}
		}, "zero.md: is a symbolic link that leads out of the folder"},
		{"link to a file outside", func(t *testing.T, dir string) {
			outside := filepath.Join(t.TempDir(), "outside.md")
			mustWrite(t, filepath.Dir(outside), map[string]string{"outside.md": article("outside")})
			if err := os.Symlink(outside, filepath.Join(dir, "outside.md")); err != nil {
				t.Fatal(err)
			}
		}, "outside.md: is a symbolic link that leads out of the folder"},
		{"broken link", func(t *testing.T, dir string) {
			if err := os.Symlink("nowhere.md", filepath.Join(dir, "broken.md")); err != nil {
				t.Fatal(err)
			}
		}, "broken.md: is a symbolic link to nothing"},
		{"link loop", func(t *testing.T, dir string) {
			if err := os.Symlink("loop.md", filepath.Join(dir, "loop.md")); err != nil {
				t.Fatal(err)
			}
		}, "loop.md: is a symbolic link in a loop"},
		{"sparse 5 GB file", func(t *testing.T, dir string) {
			f, err := os.Create(filepath.Join(dir, "huge.md"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if err := f.Truncate(5 << 30); err != nil {
				t.Fatal(err)
			}
		}, "huge.md: is 5368709120 bytes, more than the 1048576 (1 MiB) an article file may have"},
		{"one byte over the limit", func(t *testing.T, dir string) {
			head := "+++\nid = \"big\"\ntitle = \"Big\"\n+++\n"
			mustWrite(t, dir, map[string]string{"big.md": head + strings.Repeat("x", kb.MaxArticleSize+1-len(head))})
		}, "big.md: is 1048577 bytes, more than the 1048576 (1 MiB)"},
		{"just under the limit is read", func(t *testing.T, dir string) {
			mustWrite(t, dir, map[string]string{"long.md": article("long") + strings.Repeat("text\n", (kb.MaxArticleSize-100)/5)})
		}, ""},
		{"a folder named x.md is a subfolder, not read", func(t *testing.T, dir string) {
			mustWrite(t, dir, map[string]string{"archive.md/old.md": article("old")})
		}, ""},
		{"a link to a file inside the folder is read", func(t *testing.T, dir string) {
			if err := os.Symlink("sub/real.md", filepath.Join(dir, "linked.md")); err != nil {
				t.Fatal(err)
			}
		}, ""},
		{"a link to a folder inside is a subfolder", func(t *testing.T, dir string) {
			if err := os.Symlink("sub", filepath.Join(dir, "sub.md")); err != nil {
				t.Fatal(err)
			}
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			mustWrite(t, dir, good)
			tt.setup(t, dir)
			files, err := kb.ReadFolder(context.Background(), dir)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("ReadFolder: %v", err)
				}
				if got := fileIDs(files); !slices.Contains(got, "vpn") {
					t.Fatalf("ids = %v", got)
				}
				return
			}
			if err == nil || files != nil {
				t.Fatalf("ReadFolder = %v, %v; want the error %q", fileIDs(files), err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not say %q", err, tt.want)
			}
		})
	}
}

// TestReadFolderLinkInside checks the article a link inside the folder leads to is read under the
// link's name.
func TestReadFolderLinkInside(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, dir, map[string]string{"drafts/printer.md": article("printer")})
	if err := os.Symlink("drafts/printer.md", filepath.Join(dir, "printer.md")); err != nil {
		t.Fatal(err)
	}
	files, err := kb.ReadFolder(context.Background(), dir)
	if err != nil || len(files) != 1 || files[0].Name != "printer.md" || files[0].Article.ID != "printer" {
		t.Fatalf("ReadFolder = %+v, %v", files, err)
	}
}

// TestReadFolderStopsWhenCancelled checks a cancelled context stops the read before the next file.
func TestReadFolderStopsWhenCancelled(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, dir, map[string]string{"a.md": article("a"), "b.md": article("b")})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if files, err := kb.ReadFolder(ctx, dir); !errors.Is(err, context.Canceled) || files != nil {
		t.Fatalf("ReadFolder after cancel = %v, %v", fileIDs(files), err)
	}
}

// TestReadFolderNotAFolder checks kb.dir naming a named pipe or a file fails at once, naming it.
func TestReadFolderNotAFolder(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "kb")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := kb.ReadFolder(context.Background(), fifo); err == nil || !strings.Contains(err.Error(), fifo) {
		t.Fatalf("ReadFolder(fifo) = %v", err)
	}
}

// deniedFS is a folder whose file locked.md cannot be opened, as a file of another user is (the tests
// may run as root, which reads everything).
type deniedFS struct{ fstest.MapFS }

func (d deniedFS) Open(name string) (fs.File, error) {
	if name == "locked.md" {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
	}
	return d.MapFS.Open(name)
}

// TestReadDirEncodingAndPermission checks a file that is not UTF-8, or cannot be read, is named with
// the reason, beside the problems of the other files.
func TestReadDirEncodingAndPermission(t *testing.T) {
	fsys := deniedFS{fstest.MapFS{
		"latin1.md": file("+++\nid = \"latin1\"\ntitle = \"Caf\xe9\"\n+++\nbody\n"),
		"utf16.md":  file("\xff\xfe+\x00+\x00+\x00\n\x00"),
		"locked.md": file(article("locked")),
		"ok.md":     file(article("ok")),
	}}
	_, err := kb.ReadDir(fsys, ".")
	if err == nil {
		t.Fatal("ReadDir: no error")
	}
	for _, want := range []string{
		"latin1.md:3: the file is not UTF-8 text",
		"utf16.md:1: the file is UTF-16 text: save it as UTF-8",
		"locked.md: cannot be read: permission denied",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
}
