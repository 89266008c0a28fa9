// Package program runs the desk's exec actions: a program with a fixed list of arguments, where a
// parameter fills one whole argument, never a shell and never text spliced into a command line. It
// implements bot.Runner.
package program

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/firstline-desk/firstline/bot"
)

// Config is one action's program.
type Config struct {
	// Command is the program and its arguments: ["/usr/local/bin/restart-spooler", "{{host}}"]. An
	// argument that takes a parameter is exactly one placeholder.
	Command []string
	// Env is the program's whole environment besides PATH and the run's FIRSTLINE_* variables: the
	// desk's own (its tokens) is never passed on.
	Env map[string]string
	// Dir is the working directory; "" is the desk's.
	Dir string
}

// Runner runs an exec action.
type Runner struct {
	cfg Config
	log *slog.Logger
	// secrets are the values of Env, which must never come back in an output.
	secrets []string
}

var _ bot.Runner = (*Runner)(nil)

// New checks the command: a program named, and every argument with a placeholder exactly one.
func New(cfg Config, logger *slog.Logger) (*Runner, error) {
	if len(cfg.Command) == 0 || strings.TrimSpace(cfg.Command[0]) == "" {
		return nil, errors.New("command is empty: name the program to run")
	}
	if len(bot.TemplateNames(cfg.Command[0])) > 0 {
		return nil, fmt.Errorf("command[0] %q takes a placeholder: the program must be fixed", cfg.Command[0])
	}
	for i, a := range cfg.Command[1:] {
		if len(bot.TemplateNames(a)) > 0 && !bot.IsWholePlaceholder(a) {
			return nil, fmt.Errorf("command[%d] %q: a parameter fills a whole argument; write it as its own argument, \"{{name}}\"", i+1, a)
		}
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	r := &Runner{cfg: cfg, log: logger}
	for _, v := range cfg.Env {
		if len(v) >= 8 {
			r.secrets = append(r.secrets, v)
		}
	}
	return r, nil
}

// args is the program's arguments for a call: each placeholder argument replaced by its value, whole.
func (r *Runner) args(call bot.ActionCall) []string {
	out := make([]string, len(r.cfg.Command)-1)
	for i, a := range r.cfg.Command[1:] {
		out[i] = bot.ExpandTemplate(a, call.Params, nil)
	}
	return out
}

func (r *Runner) env(call bot.ActionCall) []string {
	env := []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	for k, v := range r.cfg.Env {
		env = append(env, k+"="+v)
	}
	preview := ""
	if call.Preview {
		preview = "1"
	}
	return append(env, "FIRSTLINE_ACTION="+call.Action, "FIRSTLINE_RUN="+call.Run, "FIRSTLINE_TICKET="+call.Ticket,
		"FIRSTLINE_IDEMPOTENCY_KEY="+call.IdempotencyKey, "FIRSTLINE_PREVIEW="+preview)
}

// Run runs the program once: exit status 0 succeeded; another status, or a program that could not be
// started, failed; one still running at ctx's deadline is killed (with everything it started) and timed
// out. Its output (standard output and error together) is kept to the call's MaxOutput bytes.
func (r *Runner) Run(ctx context.Context, call bot.ActionCall) bot.ActionResult {
	cmd := exec.CommandContext(ctx, r.cfg.Command[0], r.args(call)...)
	cmd.Env = r.env(call)
	cmd.Dir = r.cfg.Dir
	limit := call.MaxOutput
	if limit <= 0 {
		limit = bot.DefaultMaxOutput
	}
	out := &capped{limit: limit}
	cmd.Stdout, cmd.Stderr = out, out
	killGroup(cmd)
	// A program that leaves children holding its output open is not waited for past this.
	cmd.WaitDelay = 2 * time.Second
	began := time.Now()
	err := cmd.Run()
	res := bot.ActionResult{Output: r.mask(out.String())}
	var exit *exec.ExitError
	switch {
	case err == nil:
		res.Outcome, res.Detail = bot.OutcomeSucceeded, "exit status 0"
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		res.Outcome, res.Detail = bot.OutcomeTimedOut, "still running at the timeout: stopped"
	case errors.As(err, &exit) && exit.Exited():
		res.Outcome, res.Detail = bot.OutcomeFailed, fmt.Sprintf("exit status %d", exit.ExitCode())
	case errors.As(err, &exit):
		res.Outcome, res.Detail = bot.OutcomeUnknown, "the program was stopped: "+exit.String()
	case cmd.Process == nil:
		res.Outcome, res.Detail = bot.OutcomeFailed, "the program could not be started"
	default:
		res.Outcome, res.Detail = bot.OutcomeUnknown, "the program's end was not seen"
	}
	// What ran and how it ended, never its arguments' values or output.
	r.log.Info("program run", "run", call.Run, "action", call.Action, "program", r.cfg.Command[0], "outcome", string(res.Outcome),
		"took", time.Since(began).Round(time.Millisecond).String(), "preview", call.Preview)
	return res
}

// mask takes the values of the program's environment out of its output.
func (r *Runner) mask(s string) string {
	for _, v := range r.secrets {
		s = strings.ReplaceAll(s, v, "[redacted]")
	}
	return s
}

// Describe says what Run would run: the program and each argument, quoted, one per line.
func (r *Runner) Describe(call bot.ActionCall) string {
	var b strings.Builder
	fmt.Fprintf(&b, "run %q", r.cfg.Command[0])
	for i, a := range r.args(call) {
		fmt.Fprintf(&b, "\n  argument %d: %q", i+1, a)
	}
	if len(r.cfg.Env) > 0 {
		b.WriteString("\n  with " + fmt.Sprint(len(r.cfg.Env)) + " environment variable(s) from the config (values hidden)")
	}
	return b.String() + "\n"
}

// capped keeps the first limit bytes written to it and drops the rest (the program is not blocked).
type capped struct {
	mu    sync.Mutex
	limit int
	buf   []byte
}

func (c *capped) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if room := c.limit - len(c.buf); room > 0 {
		c.buf = append(c.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (c *capped) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return string(c.buf)
}
