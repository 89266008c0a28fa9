package kb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"syscall"
)

// MaxArticleSize is the largest article file, in bytes (1 MiB). A knowledge-base article is a page of
// text; anything bigger is a mistake (a log pasted in, a binary renamed .md, a link to /dev/zero), and
// reading it whole would let one file fill the desk's memory.
const MaxArticleSize = 1 << 20

// File is an article and the name of the file it was read from.
type File struct {
	// Name is the file's name in its folder ("vpn.md"); it need not be the id.
	Name    string
	Article Article
}

// ReadDir parses every *.md file directly in dir of fsys (subfolders are not
// read, so drafts and assets can sit below). It takes an fs.FS so the demo
// knowledge base can be embedded in the binary and tests can use
// fstest.MapFS; a folder on disk is read with ReadFolder, which also never
// blocks on special files. Files whose names start with "." are skipped: they
// are editor swap and lock files, and WriteDir's temporary files.
//
// Every bad file is reported in one error (errors.Join), each problem prefixed
// with its file name and line ("vpn.md:3: unknown key \"titel\""), so a whole
// folder is fixed in one pass. Two files with the same id are an error; an id
// that differs from the file name is not (the id wins). A *.md entry that is
// not a regular file (a named pipe, a device, a socket) or is larger than
// MaxArticleSize is an error naming it. Articles come back sorted by id. On any
// error no articles are returned.
func ReadDir(fsys fs.FS, dir string) ([]Article, error) {
	files, _, err := readFolder(context.Background(), fsFolder{fsys: fsys, dir: dir})
	if err != nil {
		return nil, err
	}
	return articlesOf(files), nil
}

// ReadFolder reads the articles of a folder on disk as ReadDir does, with the file each came from. It is
// what `kb import`, `kb export` and kb.dir use, because a folder is outside input:
//   - every file is opened without blocking and checked to be a regular file before it is read, so a
//     named pipe called notes.md cannot hang the desk, and at most MaxArticleSize+1 bytes are read from
//     it whatever it claims to be;
//   - a symbolic link is followed only to a file inside the folder (a relative link); one that leads
//     out of it, or is absolute or broken, is an error naming it, so a link cannot pull /dev/zero or a
//     file from elsewhere on the machine into the knowledge base;
//   - a subfolder, even one named x.md, is not read;
//   - ctx is checked before each file, so a large folder stops promptly when the program is told to.
func ReadFolder(ctx context.Context, dir string) ([]File, error) {
	root, err := openFolder(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	files, _, err := readFolder(ctx, rootFolder{root: root})
	if err != nil {
		return nil, err
	}
	return files, nil
}

// openFolder opens dir as an os.Root after checking it is a folder: os.OpenRoot opens without
// O_DIRECTORY, so a named pipe given as the folder would block it.
func openFolder(dir string) (*os.Root, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("open the folder %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a folder", dir)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open the folder %s: %w", dir, err)
	}
	return root, nil
}

func articlesOf(files []File) []Article {
	var out []Article
	for _, f := range files {
		out = append(out, f.Article)
	}
	return out
}

// folder is what readFolder needs of a directory: its entries, a Stat that follows a symbolic link (and
// refuses one it must not follow), and an Open that never blocks.
type folder interface {
	fmt.Stringer
	entries() ([]fs.DirEntry, error)
	stat(name string) (fs.FileInfo, error)
	open(name string) (fs.File, error)
}

// fsFolder is a directory of an fs.FS (the embedded demo, tests).
type fsFolder struct {
	fsys fs.FS
	dir  string
}

func (f fsFolder) String() string { return f.dir }

func (f fsFolder) entries() ([]fs.DirEntry, error) { return fs.ReadDir(f.fsys, f.dir) }
func (f fsFolder) stat(name string) (fs.FileInfo, error) {
	return fs.Stat(f.fsys, path.Join(f.dir, name))
}
func (f fsFolder) open(name string) (fs.File, error) { return f.fsys.Open(path.Join(f.dir, name)) }

// rootFolder is a folder on disk. os.Root refuses any name, symbolic link included, that resolves
// outside the folder; O_NONBLOCK makes opening a named pipe return at once instead of waiting for a
// writer (it changes nothing for a regular file).
type rootFolder struct{ root *os.Root }

func (r rootFolder) String() string { return r.root.Name() }

func (r rootFolder) entries() ([]fs.DirEntry, error) {
	d, err := r.root.Open(".")
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return d.ReadDir(-1)
}
func (r rootFolder) stat(name string) (fs.FileInfo, error) { return r.root.Stat(name) }
func (r rootFolder) open(name string) (fs.File, error) {
	return r.root.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}

// readFolder reads every article of fo, and returns the names of all its entries (for WriteDir, which
// must not write over any of them). The problems of the files are joined, each naming its file.
func readFolder(ctx context.Context, fo folder) ([]File, []string, error) {
	entries, err := fo.entries()
	if err != nil {
		return nil, nil, fmt.Errorf("read articles in %s: %w", fo, err)
	}
	var (
		files  []File
		names  []string
		errs   []error
		fileOf = make(map[string]string)
	)
	for _, e := range entries {
		name := e.Name()
		names = append(names, name)
		if !strings.HasSuffix(name, ".md") || strings.HasPrefix(name, ".") {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		data, skip, err := readArticleFile(fo, e)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if skip {
			continue
		}
		a, err := Parse(data)
		if err != nil {
			errs = append(errs, inFile(name, err)...)
			continue
		}
		if other, dup := fileOf[a.ID]; dup {
			errs = append(errs, &ParseError{File: name, Msg: fmt.Sprintf("duplicate id %q: %s has it too", a.ID, other)})
			continue
		}
		fileOf[a.ID] = name
		files = append(files, File{Name: name, Article: a})
	}
	if len(errs) > 0 {
		return nil, nil, errors.Join(errs...)
	}
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Article.ID, b.Article.ID) })
	return files, names, nil
}

// readArticleFile reads the entry e of fo, after checking what it is: a subfolder is skipped, anything
// but a regular file is refused, and no more than MaxArticleSize+1 bytes are read.
func readArticleFile(fo folder, e fs.DirEntry) (data []byte, skip bool, err error) {
	name := e.Name()
	mode := e.Type()
	if mode&fs.ModeSymlink != 0 {
		fi, err := fo.stat(name)
		if err != nil {
			return nil, false, &ParseError{File: name, Msg: linkProblem(err)}
		}
		mode = fi.Mode().Type()
	}
	if mode.IsDir() {
		return nil, true, nil // a subfolder, whatever its name
	}
	if !mode.IsRegular() {
		return nil, false, notRegular(name, mode)
	}
	f, err := fo.open(name)
	if err != nil {
		return nil, false, &ParseError{File: name, Msg: "cannot be read: " + cause(err)}
	}
	defer f.Close()
	// Check again on the open file: the entry may have been replaced since the folder was listed.
	fi, err := f.Stat()
	if err != nil {
		return nil, false, &ParseError{File: name, Msg: "cannot be read: " + cause(err)}
	}
	if !fi.Mode().IsRegular() {
		return nil, false, notRegular(name, fi.Mode().Type())
	}
	if fi.Size() > MaxArticleSize {
		return nil, false, tooBig(name, fi.Size())
	}
	// The size above is what the file system says; a file that grows while it is read, or one that lies,
	// still stops at the limit.
	data, err = io.ReadAll(io.LimitReader(f, MaxArticleSize+1))
	if err != nil {
		return nil, false, &ParseError{File: name, Msg: "cannot be read: " + cause(err)}
	}
	if len(data) > MaxArticleSize {
		return nil, false, tooBig(name, int64(len(data)))
	}
	return data, false, nil
}

func tooBig(name string, size int64) error {
	return &ParseError{File: name, Msg: fmt.Sprintf("is %d bytes, more than the %d (1 MiB) an article file may have: split it, or link to a document instead", size, MaxArticleSize)}
}

func notRegular(name string, mode fs.FileMode) error {
	what := "not a regular file"
	switch {
	case mode&fs.ModeNamedPipe != 0:
		what = "a named pipe (FIFO)"
	case mode&fs.ModeSocket != 0:
		what = "a socket"
	case mode&fs.ModeDevice != 0:
		what = "a device"
	}
	return &ParseError{File: name, Msg: fmt.Sprintf("is %s, not a regular file: only regular files are read as articles; remove it or rename it so it does not end in .md", what)}
}

// linkProblem says why a symbolic link was not followed.
func linkProblem(err error) string {
	if errors.Is(err, fs.ErrNotExist) {
		return "is a symbolic link to nothing (broken link)"
	}
	if errors.Is(err, syscall.ELOOP) {
		return "is a symbolic link in a loop"
	}
	if errors.Is(err, fs.ErrPermission) {
		return "is a symbolic link whose target cannot be read: " + cause(err)
	}
	// os.Root's error for a link out of the folder is not exported; anything else it refuses is that.
	return "is a symbolic link that leads out of the folder (or is absolute): only relative links to files inside the folder are read"
}

// cause is the system's reason without Go's "openat notes.md:" prefix (the file is named already).
func cause(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// inFile puts the file name on each problem Parse reported.
func inFile(name string, err error) []error {
	var out []error
	for _, e := range leafErrors(err) {
		var pe *ParseError
		if errors.As(e, &pe) {
			c := *pe
			c.File = name
			out = append(out, &c)
			continue
		}
		out = append(out, fmt.Errorf("%s: %w", name, e))
	}
	return out
}

func sortByID(articles []Article) {
	slices.SortFunc(articles, func(a, b Article) int { return strings.Compare(a.ID, b.ID) })
}
