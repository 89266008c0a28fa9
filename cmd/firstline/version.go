package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/firstline-desk/firstline/storage"
)

// version and commit are stamped at build time by scripts/release.sh and the Dockerfile:
//
//	go build -ldflags "-X main.version=v1.2.3 -X main.commit=$(git rev-parse HEAD)" ./cmd/firstline
//
// Without them, the version is the module's (go install of a tagged release) and the commit is the one Go
// records when it builds from a git checkout (go build, go install ./cmd/firstline).
var (
	version = ""
	commit  = ""
)

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "v0.1.0-dev"
}

// buildCommit is the commit the binary was built from, "-dirty" when the checkout had changes; "" when
// nobody knows.
func buildCommit() string {
	if commit != "" {
		return commit
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev != "" && modified == "true" {
		rev += "-dirty"
	}
	return rev
}

// version prints the version, the commit, the Go version and the data file's schema.
func (m *Main) version(ctx context.Context, args []string) error {
	fs := m.flagSet("version")
	rest, err := parseFlags(fs, args, false)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError("version takes no arguments, got %q", rest)
	}
	built := ""
	if c := buildCommit(); c != "" {
		built = "commit " + c + ", "
	}
	fmt.Fprintf(m.Stdout, "firstline %s (%s%s, schema %d)\n", buildVersion(), built, runtime.Version(), storage.SchemaVersion())
	return nil
}
