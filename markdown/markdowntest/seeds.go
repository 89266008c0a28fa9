package markdowntest

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// Seed is one input of a fuzz test's corpus file (testdata/fuzz/FuzzX/NAME): its name and its values,
// strings, ints and uint8s, in order.
type Seed struct {
	Name   string
	Values []any
}

// Seeds reads the corpus files of a fuzz test ("testdata/fuzz/FuzzBlocks"), in the order of their names.
// It knows the types the renderers' fuzz tests take: string, int and uint8.
func Seeds(t *testing.T, dir string) []Seed {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	var out []Seed
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s := Seed{Name: filepath.Base(f)}
		for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n")[1:] {
			typ, arg, ok := strings.Cut(strings.TrimSuffix(line, ")"), "(")
			if !ok {
				t.Fatalf("%s: cannot read %q", f, line)
			}
			switch typ {
			case "string":
				v, err := strconv.Unquote(arg)
				if err != nil {
					t.Fatalf("%s: %q: %v", f, line, err)
				}
				s.Values = append(s.Values, v)
			case "int", "uint8":
				n, err := strconv.Atoi(arg)
				if err != nil {
					t.Fatalf("%s: %q: %v", f, line, err)
				}
				if typ == "uint8" {
					s.Values = append(s.Values, uint8(n))
				} else {
					s.Values = append(s.Values, n)
				}
			default:
				t.Fatalf("%s: type %s is not read here", f, typ)
			}
		}
		out = append(out, s)
	}
	return out
}
