package metrics_test

import (
	"go/build"
	"strings"
	"testing"
)

// TestImportsNoImplementation checks the dependency rule for metrics: it reads the data file through an
// interface it declares, and imports no implementation (storage, an adapter).
func TestImportsNoImplementation(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range pkg.Imports {
		if strings.HasPrefix(imp, "github.com/firstline-desk/firstline/") && imp != "github.com/firstline-desk/firstline/bot" {
			t.Errorf("metrics imports %s; it may import only bot from this module", imp)
		}
	}
}
