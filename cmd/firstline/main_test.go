package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigIsBounded checks a config file is read only up to 1 MiB: -config /dev/zero (or a log given
// by mistake) fails at once, naming the file, instead of growing the process until memory runs out.
func TestConfigIsBounded(t *testing.T) {
	big := filepath.Join(t.TempDir(), "big.toml")
	writeFile(t, big, "# "+strings.Repeat("x", maxConfigSize)+"\n")
	for _, name := range []string{"/dev/zero", big} {
		_, errOut, code := runMain(t, "-config", name, "-data", t.TempDir())
		if code != 1 || !strings.Contains(errOut, name+" is larger than 1048576 bytes") {
			t.Fatalf("-config %s: exit %d, stderr %q", name, code, errOut)
		}
	}
	if _, errOut, code := runMain(t, "-config", t.TempDir(), "-data", t.TempDir()); code != 1 || !strings.Contains(errOut, "is a folder") {
		t.Fatalf("-config DIR: exit %d, stderr %q", code, errOut)
	}
}
