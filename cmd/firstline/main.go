// Command firstline is the Level 1 IT service desk: run without arguments it starts a console chat on a
// demo knowledge base; with a config it serves the configured chat platforms. Its subcommands read and
// manage the data file: tickets, the knowledge base, the version.
package main

import (
	"context"
	"embed"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// demoFS holds the demo desk: its config and knowledge base, compiled into the binary.
//
//go:embed demo/firstline.toml demo/kb/*.md
var demoFS embed.FS

func main() {
	// The one place signals are turned into a context: every command gets ctx and stops at its next
	// check of it, with "interrupted" and exit status 1 (the desk stops cleanly, with 0).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go exitIfStuck(ctx, stop, stuckGrace, os.Stderr, os.Exit)
	m := &Main{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.LookupEnv, WebDefault: defaultWebAddr}
	os.Exit(m.Run(ctx, os.Args[1:]))
}

// stuckGrace is how long the program may take to stop after SIGINT or SIGTERM. The desk's clean stop
// (the HTTP listener's drain is 5 s) fits well within it.
const stuckGrace = 10 * time.Second

// exitIfStuck is the last resort once ctx is done: a command blocked in a system call (reading a pipe
// nobody writes to, a hung network file system) never looks at ctx, and the signal that cancelled it
// no longer kills the process, so it would hang until SIGKILL. Once ctx is done, a second signal kills
// the process at once (stop restores the default action), and if the program is still running grace
// later, exit ends it with status 1. Every write that matters is a transaction or a rename, so this is
// no worse than a crash, which Firstline is built to survive.
func exitIfStuck(ctx context.Context, stop func(), grace time.Duration, stderr io.Writer, exit func(int)) {
	<-ctx.Done()
	stop()
	t := time.NewTimer(grace)
	defer t.Stop()
	<-t.C
	fmt.Fprintf(stderr, "firstline: %v, and still busy %s later (blocked reading or writing?): exiting now\n", context.Cause(ctx), grace)
	exit(1)
}
