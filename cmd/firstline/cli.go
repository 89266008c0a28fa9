package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"runtime"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/internal/control"
	"github.com/firstline-desk/firstline/internal/escape"
	"github.com/firstline-desk/firstline/storage"
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

const usage = `Firstline, the Level 1 IT service desk in chat.

Usage:
  firstline [-data DIR] [-config FILE] [-web ADDR]
                                               run the desk (no config: the console demo, with the web
                                               console on 127.0.0.1:8080; -web "" turns it off)
  firstline run [-data DIR] [-config FILE]     the same
  firstline tickets list [-status S] [-json]   list tickets (S: open, escalated, claimed, resolved)
  firstline tickets show ID [-json]            one ticket with its history and conversation
  firstline kb import DIR                      add or update the articles in a folder of Markdown files
  firstline kb export DIR                      write every article to a folder as Markdown
  firstline kb search [-n N] [-json] QUERY     search the knowledge base as the bot would
  firstline kb eval -corpus C -queries Q [-json] [-min-confidence X] [-sweep] [-hybrid] [-model-path]
                                               measure search quality on an evaluation set (JSON Lines)
  firstline kb calibrate -corpus C -queries Q [-json] [-min-confidence X] [-folds 5]
                                               fit [llm.hybrid] to the embedding model on an evaluation set
  firstline kb bench -corpus C -queries Q [-json] [-time 2s]
                                               measure index build, memory, latency and throughput
  firstline report [-since 30d] [-until DATE] [-json] [-html FILE]
                                               the service-desk report: volumes, SLA, CSAT, backlog, gaps
  firstline audit [-since 7d] [-json]          the audit log: knowledge-base changes, ticket transitions, refusals
  firstline backup [-force] FILE               copy the data file to FILE, also while the desk runs; verified
  firstline restore FILE                       put a backup in place of the data file (stop Firstline first)
  firstline check                              check the data file: bbolt's pages and Firstline's indexes
  firstline erase-user [-dry-run] PLATFORM:ID  delete a person's tickets and erase them from all others
  firstline compact                            rewrite the data file so deleted data leaves the disk
  firstline bench tickets [-n N] [-data DIR] [-json]
                                               fill a fresh data file with N tickets; time the SLA loop and a report
  firstline discord invite [APPLICATION_ID]    print the link that adds the bot to a Discord server
  firstline web link USER                      a one-time sign-in link to the web console for USER (the desk runs)
  firstline web signout USER                   end every web console session of USER (the desk runs)
  firstline version                            print the version

Every command takes -data DIR (default ./firstline-data) and -config FILE.
`

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
	rest, err := parseFlags(fs, args, true)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		return m.runDesk(ctx, nil)
	}
	cmd, rest := rest[0], rest[1:]
	switch cmd {
	case "run":
		return m.runDesk(ctx, rest)
	case "tickets":
		return m.tickets(ctx, rest)
	case "kb":
		return m.kb(ctx, rest)
	case "report":
		return m.report(ctx, rest)
	case "audit":
		return m.audit(ctx, rest)
	case "backup":
		return m.backup(ctx, rest)
	case "restore":
		return m.restore(ctx, rest)
	case "check":
		return m.check(ctx, rest)
	case "erase-user":
		return m.eraseUser(ctx, rest)
	case "compact":
		return m.compact(ctx, rest)
	case "bench":
		return m.bench(ctx, rest)
	case "discord":
		return m.discord(rest)
	case "web":
		return m.webCommand(ctx, rest)
	case "version":
		fmt.Fprintf(m.Stdout, "firstline %s (%s, schema %d)\n", buildVersion(), runtime.Version(), storage.SchemaVersion())
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(m.Stdout, usage)
		return nil
	}
	return usageError("unknown command %q\n\n%s", cmd, usage)
}

// flagSet returns a flag set with the flags every command takes.
func (m *Main) flagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if m.dataDir == "" {
		m.dataDir = "firstline-data"
	}
	fs.StringVar(&m.dataDir, "data", m.dataDir, "the data directory")
	fs.StringVar(&m.configFile, "config", m.configFile, "the config file")
	return fs
}

// parseFlags parses flags anywhere among the arguments ("tickets show T-000001 -json"); with stopAtWord
// it stops at the first argument that is not a flag (a subcommand) and returns it with the rest.
func parseFlags(fs *flag.FlagSet, args []string, stopAtWord bool) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, usageError("%s", usage)
			}
			return nil, usageError("%v\n\n%s", err, usage)
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
