package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/firstline-desk/firstline/storage"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3"; otherwise the module version.
var version = ""

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "v0.1.0-dev"
}

// version prints the version, the Go version and the data file's schema.
func (m *Main) version(ctx context.Context, args []string) error {
	fs := m.flagSet("version")
	rest, err := parseFlags(fs, args, false)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError("version takes no arguments, got %q", rest)
	}
	fmt.Fprintf(m.Stdout, "firstline %s (%s, schema %d)\n", buildVersion(), runtime.Version(), storage.SchemaVersion())
	return nil
}
