package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestConsoleLogIsNoPlantedLink: the console's log, DATA/firstline.log, is a name anyone can guess; a
// link planted there must not get the desk's log appended to what it points at.
func TestConsoleLogIsNoPlantedLink(t *testing.T) {
	data := t.TempDir()
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, filepath.Join(data, "firstline.log")); err != nil {
		t.Fatal(err)
	}
	mustFail(t, 1, "firstline.log is not a regular file", "-data", data)
	if b, _ := os.ReadFile(victim); string(b) != "precious" {
		t.Fatalf("the log went through the link: %q", b)
	}
}
