package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/internal/control"
	"github.com/firstline-desk/firstline/internal/escape"
)

// The program as a user runs it: Main, its commands and their flags, and exit codes.

// Main is the program with its inputs and outputs, so tests run it as a user would.
type Main struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) (string, bool)
	// Clock is the desk's time; nil is the system clock. Tests fix it, so the console's output (SLA
	// deadlines on cards) is the same byte for byte in every run.
	Clock bot.Clock
	// WebDefault is where the console demo serves the web console when neither -web nor [web] listen
	// says: main sets 127.0.0.1:8080; tests leave it empty (off) unless they test the console.
	WebDefault string

	// set by the common flags
	dataDir    string
	configFile string

	// retention is the running desk's [retention], for housekeeping.
	retention RetentionConfig
	// web is -web; webSlot lets the control socket reach the web console once it runs.
	web     webFlag
	webSlot *control.WebSlot
	// parts are the running desk's parts the web console reports on (webparts.go).
	parts deskParts
	// httpLimits bound the clients of the HTTP listener; nil is defaultHTTPLimits (tests shorten them).
	httpLimits *httpLimits
	// soloCommits gives every transaction a commit of its own (storage.Options.SoloCommits): the
	// baseline TestCommitFigures measures group commit against.
	soloCommits bool
}

// exitError carries an exit code with a message for the user.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func usageError(format string, args ...any) error {
	return &exitError{code: 2, msg: fmt.Sprintf(format, args...)}
}

// Run runs one command and returns the process exit code. Everything it prints goes through
// escape.Writer: tickets, reports, the audit log, listings and errors quote what people typed in chat, and
// a control character or bidi override in it must reach the operator's terminal as a visible escape, not
// as a command to the terminal (see package escape; JSON stays valid through it).
func (m *Main) Run(ctx context.Context, args []string) int {
	stdout, stderr := escape.NewWriter(m.Stdout), escape.NewWriter(m.Stderr)
	m.Stdout, m.Stderr = stdout, stderr
	defer func() {
		stdout.Flush()
		stderr.Flush()
		m.Stdout, m.Stderr = stdout.Unwrap(), stderr.Unwrap()
	}()
	err := m.run(ctx, args)
	if err == nil {
		return 0
	}
	if ctx.Err() != nil {
		// Told to stop: whatever the command was doing is abandoned. Writes are transactions and files are
		// renamed into place, so nothing is left half-written.
		msg := fmt.Sprintf("interrupted (%v): stopped before finishing", context.Cause(ctx))
		if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
			msg += ": " + err.Error()
		}
		fmt.Fprintln(m.Stderr, "firstline:", msg)
		return 1
	}
	var help *helpRequest
	if errors.As(err, &help) {
		printHelp(m.Stdout, help.fs)
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintln(m.Stderr, "firstline:", ee.msg)
		}
		return ee.code
	}
	// A domain error's message is the sentence for the user, wherever in the chain it is: the context
	// wrapped around it ("list tickets: ...") and its code are for logs.
	fmt.Fprintln(m.Stderr, "firstline:", userMessage(err))
	return 1
}

func (m *Main) run(ctx context.Context, args []string) error {
	fs := m.flagSet("firstline")
	fs.Var(&m.web, "web", "the web console's address (\"\": off)")
	showVersion := fs.Bool("version", false, "print the version and exit")
	rest, err := parseFlags(fs, args, true)
	if err != nil {
		return err
	}
	if *showVersion {
		return m.version(ctx, rest)
	}
	if len(rest) == 0 {
		return m.runDesk(ctx, nil)
	}
	return m.dispatch(ctx, rest)
}

// flagSet returns a flag set with the flags every command takes.
func (m *Main) flagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if m.dataDir == "" {
		m.dataDir = "firstline-data"
	}
	fs.StringVar(&m.dataDir, "data", m.dataDir, "`DIR` holds the data file, firstline.db")
	fs.StringVar(&m.configFile, "config", m.configFile, "the config `FILE` (TOML); without one, the demo desk's")
	return fs
}

// parseFlags parses flags anywhere among the arguments ("tickets show T-000001 -json"); with stopAtWord
// it stops at the first argument that is not a flag (a subcommand) and returns it with the rest.
func parseFlags(fs *flag.FlagSet, args []string, stopAtWord bool) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, &helpRequest{fs: fs}
			}
			return nil, usageError("%v\n\n%s", err, commandUsage(fs.Name()))
		}
		args = fs.Args()
		if err := finiteFlags(fs); err != nil {
			return nil, err
		}
		if len(args) == 0 {
			return positional, nil
		}
		if stopAtWord {
			return args, nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// finiteFlags refuses a float flag given as NaN or an infinity (flag's Float64 parses "NaN" and "Inf"):
// a range check written x < lo || x > hi lets NaN through, so every command's float flags are checked
// here, whatever checks follow.
func finiteFlags(fs *flag.FlagSet) error {
	var err error
	fs.Visit(func(f *flag.Flag) {
		g, ok := f.Value.(flag.Getter)
		if !ok || err != nil {
			return
		}
		if x, ok := g.Get().(float64); ok && (math.IsNaN(x) || math.IsInf(x, 0)) {
			err = usageError("-%s %v is not a number: give one like 0.5", f.Name, x)
		}
	})
	return err
}

// userMessage is the sentence a user sees for err: a domain error's message, else the error.
func userMessage(err error) string {
	var be *bot.Error
	if errors.As(err, &be) {
		return be.Message
	}
	return err.Error()
}

// clock returns the desk's clock.
func (m *Main) clock() bot.Clock {
	if m.Clock == nil {
		return bot.SystemClock{}
	}
	return m.Clock
}
