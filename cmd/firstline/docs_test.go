package main

import (
	"go/build"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// The documentation in docs/ is what an admin configures the desk from, so these tests keep it true to
// the code: every key the config file may hold is documented, nothing documented is missing from the
// code, and every config example in the docs loads.

// docsConfigKeys reads the keys docs/configuration.md documents: each "## `[section]`" heading (or
// "## `[[section]]`") is followed by a table whose rows start with a key in backticks.
func docsConfigKeys(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	heading := regexp.MustCompile("^## `\\[\\[?([A-Za-z0-9_.]+)\\]?\\]`$")
	row := regexp.MustCompile("^\\| `([a-z0-9_]+)` \\|")
	keys := map[string]bool{}
	section := ""
	for _, line := range strings.Split(string(b), "\n") {
		if m := heading.FindStringSubmatch(line); m != nil {
			section = m[1]
			continue
		}
		if strings.HasPrefix(line, "## ") || strings.HasPrefix(line, "# ") {
			section = ""
			continue
		}
		if m := row.FindStringSubmatch(line); m != nil && section != "" {
			keys[section+"."+m[1]] = true
		}
	}
	return keys
}

// configKeys lists the keys of the config file the program reads, by walking Config's toml tags. A table
// of named entries ([vendors.NAME]) is written with NAME, the four priorities' tables as sla.PN, and a
// table of free keys ([kb.synonyms], [discord.emoji]) as one key.
func configKeys(typ reflect.Type, prefix string, out map[string]bool) {
	for f := range typ.Fields() {
		tag, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		if f.Anonymous && tag == "" {
			configKeys(f.Type, prefix, out) // an embedded struct's keys are its parent's ([[actions]]' runner)
			continue
		}
		if tag == "" || tag == "-" {
			continue
		}
		if regexp.MustCompile(`^P[1-4]$`).MatchString(tag) {
			tag = "PN"
		}
		key := prefix + tag
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch {
		case ft.Kind() == reflect.Struct && ft != reflect.TypeFor[Duration]():
			configKeys(ft, key+".", out)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			configKeys(ft.Elem(), key+".", out)
		case ft.Kind() == reflect.Map && ft.Elem().Kind() == reflect.Struct:
			configKeys(ft.Elem(), key+".NAME.", out)
		default:
			out[key] = true
		}
	}
}

func TestConfigurationDocsEveryKey(t *testing.T) {
	documented := docsConfigKeys(t)
	read := map[string]bool{}
	configKeys(reflect.TypeFor[Config](), "", read)
	if len(read) < 50 {
		t.Fatalf("found only %d config keys: the walk is broken", len(read))
	}
	var missing, stale []string
	for k := range read {
		if !documented[k] {
			missing = append(missing, k)
		}
	}
	for k := range documented {
		if !read[k] {
			stale = append(stale, k)
		}
	}
	slices.Sort(missing)
	slices.Sort(stale)
	if len(missing) > 0 {
		t.Errorf("docs/configuration.md does not document these keys (add a row under their section): %s", strings.Join(missing, ", "))
	}
	if len(stale) > 0 {
		t.Errorf("docs/configuration.md documents keys the program does not read: %s", strings.Join(stale, ", "))
	}
}

// TestDocsConfigExamplesLoad loads every ```toml block of the README and docs/ as a config, so an example
// an admin copies never fails on a key that does not exist or a value of the wrong kind. A block without
// a tier gets one, since every config needs one; ${NAME} references get values of the right shape.
func TestDocsConfigExamplesLoad(t *testing.T) {
	files, err := filepath.Glob("../../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, "../../README.md")
	type block struct{ where, text string }
	var blocks []block
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var cur *strings.Builder
		start := 0
		for i, line := range strings.Split(string(b), "\n") {
			trimmed := strings.TrimSpace(line)
			switch {
			case cur == nil && trimmed == "```toml":
				cur, start = &strings.Builder{}, i+1
			case cur != nil && trimmed == "```":
				blocks = append(blocks, block{filepath.Base(name) + ":" + strconv.Itoa(start), cur.String()})
				cur = nil
			case cur != nil:
				cur.WriteString(strings.TrimPrefix(line, "   ") + "\n")
			}
		}
	}
	if len(blocks) < 5 {
		t.Fatalf("found %d toml blocks in the docs: the reader is broken", len(blocks))
	}
	// Relative paths in an example (kb.dir = "kb") are the admin's folders: give them one.
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "kb"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	env := func(name string) (string, bool) {
		switch {
		case strings.Contains(name, "SLACK_BOT"):
			return "xoxb-1-2-docs", true
		case strings.Contains(name, "SLACK_APP"):
			return "xapp-1-A1-2-docs", true
		case strings.Contains(name, "PG_DSN"):
			return "postgres://firstline@db.example.com:5432/firstline", true
		case strings.Contains(name, "DISCORD"):
			return "MTIzNDU2Nzg5MDEyMzQ1Njc4.docs.example-token-for-the-docs-test", true
		}
		return "docs-example-secret", true
	}
	for _, b := range blocks {
		text := b.text
		if !strings.Contains(text, "[[tiers]]") {
			text += "\n[[tiers]]\nid = \"tier2\"\nname = \"Tier 2\"\nchannel = \"console:tier2\"\nmembers = [\"console:tom\"]\n"
		}
		if _, err := ParseConfig(b.where, []byte(text), env); err != nil {
			t.Errorf("the config example at %s does not load: %v\n%s", b.where, err, b.text)
		}
	}
}

// TestDocsLinksResolve follows every relative link of the README and docs/ (outside code blocks and
// code spans): the file or folder it names exists, and an anchor (#section) is a heading of the page it
// names, as GitHub makes anchors of headings. So a page that is moved, renamed or retitled leaves no
// reader on a dead link.
func TestDocsLinksResolve(t *testing.T) {
	files, err := filepath.Glob("../../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, "../../README.md")
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	code := regexp.MustCompile("`[^`]*`")
	anchors := map[string]map[string]bool{} // a page's anchors, by its clean path
	anchorsOf := func(page string) map[string]bool {
		if a, ok := anchors[page]; ok {
			return a
		}
		a := map[string]bool{}
		b, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		fenced := false
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "```") {
				fenced = !fenced
			}
			if fenced || !strings.HasPrefix(line, "#") {
				continue
			}
			slug := githubAnchor(strings.TrimLeft(line, "# "))
			for n := 1; a[slug]; n++ { // GitHub numbers a repeated heading's anchor: slug-1, slug-2
				slug = strings.TrimSuffix(slug, "-"+strconv.Itoa(n-1)) + "-" + strconv.Itoa(n)
			}
			a[slug] = true
		}
		anchors[page] = a
		return a
	}
	checked := 0
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		fenced := false
		for i, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "```") {
				fenced = !fenced
			}
			if fenced {
				continue
			}
			for _, m := range link.FindAllStringSubmatch(code.ReplaceAllString(line, ""), -1) {
				target := m[1]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				checked++
				where := filepath.Base(name) + ":" + strconv.Itoa(i+1)
				path, anchor, _ := strings.Cut(target, "#")
				page := filepath.Clean(name)
				if path != "" {
					page = filepath.Join(filepath.Dir(name), path)
					if _, err := os.Stat(page); err != nil {
						t.Errorf("%s: the link %s names nothing: %v", where, target, err)
						continue
					}
				}
				if anchor != "" && strings.HasSuffix(page, ".md") && !anchorsOf(page)[anchor] {
					t.Errorf("%s: the link %s: no heading of %s has the anchor #%s", where, target, filepath.Base(page), anchor)
				}
			}
		}
	}
	if checked < 50 {
		t.Fatalf("found %d relative links in the docs: the reader is broken", checked)
	}
}

// githubAnchor is the anchor GitHub gives a heading: lower case, code marks and punctuation dropped
// (letters, digits, "-" and "_" kept), spaces made "-".
func githubAnchor(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(heading)) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// TestDesignImportTable checks the table of docs/design.md that says what each package imports from the
// module against the code (build.ImportDir: the package's files for this platform, tests left out), and
// that it names every package but cmd/firstline and the helpers of tests (fakes, *test packages, the
// examples of docs/, adapters/crossplatform). So the dependency rule as documented is the one the code
// follows, and a new package or import shows up in the design.
func TestDesignImportTable(t *testing.T) {
	const module = "github.com/firstline-desk/firstline/"
	b, err := os.ReadFile("../../docs/design.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(b), "| package | imports from the module |\n| --- | --- |\n")
	if !ok {
		t.Fatal("docs/design.md has no table of imports")
	}
	table, _, _ = strings.Cut(table, "\n\n")
	names := regexp.MustCompile("`([a-z/]+)`")
	documented := map[string][]string{}
	for _, row := range strings.Split(table, "\n") {
		cells := strings.Split(row, "|")
		if len(cells) != 4 {
			t.Fatalf("a row of the imports table is not | packages | imports |: %q", row)
		}
		var imports []string
		for _, m := range names.FindAllStringSubmatch(cells[2], -1) {
			imports = append(imports, m[1])
		}
		slices.Sort(imports)
		for _, m := range names.FindAllStringSubmatch(cells[1], -1) {
			documented[m[1]] = imports
		}
	}
	helper := regexp.MustCompile(`(^|/)(fake[a-z]*|[a-z]*test)$|^docs/|^adapters/crossplatform$`)
	seen := 0
	err = filepath.WalkDir("../..", func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel("../..", path)
		rel = filepath.ToSlash(rel)
		if rel != "." && strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" {
			return filepath.SkipDir
		}
		pkg, err := build.ImportDir(path, 0)
		if _, named := documented[rel]; err != nil || rel == "cmd/firstline" || helper.MatchString(rel) && !named {
			return nil // no Go files, or a package the table leaves out
		}
		var imports []string
		for _, imp := range pkg.Imports {
			if name, ok := strings.CutPrefix(imp, module); ok {
				imports = append(imports, name)
			}
		}
		slices.Sort(imports)
		want, ok := documented[rel]
		switch {
		case !ok:
			t.Errorf("docs/design.md's table of imports does not name %s (it imports %v)", rel, imports)
		case !slices.Equal(imports, want):
			t.Errorf("%s imports %v; docs/design.md says %v", rel, imports, want)
		}
		delete(documented, rel)
		seen++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	delete(documented, "cmd/firstline")
	for name := range documented {
		t.Errorf("docs/design.md's table of imports names %s, which is no package", name)
	}
	if seen < 20 {
		t.Fatalf("found %d packages: the walk is broken", seen)
	}
}

// TestCommandLineDocsEveryCommand: docs/command-line.md's table has a row for every command the program
// has, so a new command is documented where an operator looks for it.
func TestCommandLineDocsEveryCommand(t *testing.T) {
	b, err := os.ReadFile("../../docs/command-line.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range commands {
		if !regexp.MustCompile("(?m)^\\| [^|]*`firstline " + regexp.QuoteMeta(c.name) + "[ `]").Match(b) {
			t.Errorf("docs/command-line.md has no row for firstline %s", c.name)
		}
	}
}

// TestDocsIndexEveryPage: every page of docs/ is listed in the manual's index (docs/README.md) and under
// "Where to go next" in the README, so a new page is found from the front door.
func TestDocsIndexEveryPage(t *testing.T) {
	pages, err := filepath.Glob("../../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	index, err := os.ReadFile("../../docs/README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pages {
		name := filepath.Base(p)
		if name == "README.md" {
			continue
		}
		if !strings.Contains(string(index), "]("+name+")") {
			t.Errorf("docs/README.md does not list %s", name)
		}
		if !strings.Contains(string(readme), "](docs/"+name+")") {
			t.Errorf("README.md does not point to docs/%s", name)
		}
	}
	if len(pages) < 10 {
		t.Fatalf("found %d pages in docs/", len(pages))
	}
}
