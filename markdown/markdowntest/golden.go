// Package markdowntest holds the render table of chat Markdown (Cases) and the golden files every
// renderer records its output for it in, so that a change to a renderer shows as a diff to review.
// Run a package's tests with -update to rewrite its golden files.
package markdowntest

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files with the current output")

// Entry is one recorded output: the case's name and what the renderer made of it. Out is written as it
// is, so a renderer quotes what it wants to be readable in a diff (Quote).
type Entry struct {
	Name string
	Out  string
}

// Quote writes s as a Go string literal, so that zero-width spaces, trailing blanks and line breaks
// show in a diff.
func Quote(s string) string { return strconv.Quote(s) }

// Golden compares entries with the golden file at path (testdata/NAME.golden), or writes it under
// -update. Every difference is reported by the name of its case.
func Golden(t *testing.T, path string, entries []Entry) {
	t.Helper()
	var b strings.Builder
	seen := map[string]bool{}
	for _, e := range entries {
		if seen[e.Name] {
			t.Fatalf("two entries named %q", e.Name)
		}
		seen[e.Name] = true
		fmt.Fprintf(&b, "== %s\n%s\n", e.Name, e.Out)
	}
	got := b.String()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to record it)", err)
	}
	want := parse(string(raw))
	have := parse(got)
	diffs := 0
	for _, e := range entries {
		w, ok := want[e.Name]
		switch {
		case !ok:
			t.Errorf("%s: %q is not recorded (run with -update)", path, e.Name)
		case w != have[e.Name]:
			t.Errorf("%s: %q\n got %s\nwant %s", path, e.Name, have[e.Name], w)
		default:
			continue
		}
		if diffs++; diffs == 200 {
			t.Fatal("too many differences")
		}
	}
	for name := range want {
		if !seen[name] {
			t.Errorf("%s: %q is recorded but no longer produced (run with -update)", path, name)
		}
	}
}

// parse reads a golden file into its outputs by case name.
func parse(s string) map[string]string {
	out := map[string]string{}
	name := ""
	var body []string
	flush := func() {
		if name != "" {
			out[name] = strings.Join(body, "\n")
		}
	}
	for _, line := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		if rest, ok := strings.CutPrefix(line, "== "); ok {
			flush()
			name, body = rest, nil
			continue
		}
		body = append(body, line)
	}
	flush()
	return out
}
