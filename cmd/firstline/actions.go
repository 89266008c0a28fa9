package main

// firstline actions list | test: the actions the config defines, and a dry run of one.

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"text/tabwriter"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/redact"
)

// actionsList prints the actions: what each runs, what it takes, who may ask and who approves.
func (m *Main) actionsList(_ context.Context, args []string) error {
	fs := m.flagSet("actions list")
	asJSON := fs.Bool("json", false, "print JSON")
	if rest, err := parseFlags(fs, args, false); err != nil {
		return err
	} else if len(rest) > 0 {
		return usageError("actions list takes no arguments, got %q", rest)
	}
	cfg, err := m.offlineConfig()
	if err != nil {
		return err
	}
	type row struct {
		ID, Title, Runs, Takes, Requesters, Approval string
	}
	var rows []row
	for _, a := range cfg.Actions {
		r := row{ID: a.ID, Title: a.Title, Runs: a.RunnerConfig.summary(), Requesters: "everyone"}
		var takes []string
		for _, p := range a.Params {
			if p.Type == string(bot.ParamRequester) {
				continue
			}
			t := p.Name + " (" + p.Type
			if len(p.Choices) > 0 {
				t += ": " + strings.Join(p.Choices, "|")
			}
			if p.Required {
				t += ", required"
			}
			takes = append(takes, t+")")
		}
		r.Takes = strings.Join(takes, ", ")
		if len(a.Requesters) > 0 {
			r.Requesters = strings.Join(a.Requesters, ", ")
		}
		r.Approval = "none (the requester confirms)"
		if ap := a.Approval; ap != nil {
			r.Approval = fmt.Sprintf("%d of %s", max(ap.Quorum, 1), strings.Join(ap.Approvers, ", "))
		}
		rows = append(rows, r)
	}
	if *asJSON {
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		if rows == nil {
			rows = []row{}
		}
		return enc.Encode(rows)
	}
	if len(rows) == 0 {
		fmt.Fprintln(m.Stdout, "No actions are defined: see [[actions]] in docs/actions.md.")
		return nil
	}
	if cfg.Desk.ActionsEnabled != nil && !*cfg.Desk.ActionsEnabled {
		fmt.Fprintln(m.Stdout, "Actions are turned off in the config (desk.actions_enabled = false).")
	}
	w := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tTITLE\tRUNS\tTAKES\tREQUESTERS\tAPPROVAL")
	for _, r := range rows {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Title, r.Runs, dash(r.Takes), r.Requesters, r.Approval)
	}
	return w.Flush()
}

// summary says what a runner runs, without its secrets: "POST https://idp.example.com/…", "exec /usr/…".
func (r RunnerConfig) summary() string {
	if r.Runner == "exec" && len(r.Command) > 0 {
		return "exec " + r.Command[0]
	}
	method := r.Method
	if method == "" {
		method = "POST"
	}
	u := r.URL
	if i := strings.Index(u, "?"); i >= 0 {
		u = u[:i] + "?…"
	}
	return strings.ToUpper(method) + " " + u
}

// actionsTest is a dry run: the values checked as the desk checks them, and what the runner would
// send or run, its secrets hidden, without doing it. With -preview, the action's preview (itself a dry
// run) is run and its output printed.
func (m *Main) actionsTest(ctx context.Context, args []string) error {
	fs := m.flagSet("actions test")
	as := fs.String("as", "", "who the action is for: platform:id, or an email address (default cli:$USER)")
	preview := fs.Bool("preview", false, "run the action's preview and print its output")
	rest, err := parseFlags(fs, args, false)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		return usageError("actions test needs an action id: firstline actions test ID key=value…")
	}
	cfg, err := m.config()
	if err != nil {
		return err
	}
	logger := slog.New(slog.DiscardHandler)
	defs, err := cfg.actionDefs(logger)
	if err != nil {
		return err
	}
	var def *bot.ActionDef
	for i := range defs {
		if defs[i].ID == rest[0] {
			def = &defs[i]
		}
	}
	if def == nil {
		return &exitError{code: 1, msg: fmt.Sprintf("there is no action %q: `firstline actions list` lists them", rest[0])}
	}
	given, err := bot.ParseParams(strings.Join(rest[1:], " "))
	if err != nil {
		return err
	}
	values, err := def.CheckParams(given)
	if err != nil {
		return err
	}
	who := *as
	if who == "" {
		who = "cli:" + currentUser()
	}
	values["requester"], values["ticket"], values["run"] = who, "T-000000", "A-000000"
	for _, p := range def.Params {
		if p.Type == bot.ParamRequester {
			values[p.Name] = who
		}
	}
	call := bot.ActionCall{Action: def.ID, Run: "A-000000", Ticket: "T-000000", Params: values, IdempotencyKey: "fl-dry-run", Attempt: 1, MaxOutput: def.MaxOutput}
	fmt.Fprintf(m.Stdout, "%s (%s): the values are valid. It would send, once approved:\n\n%s", def.Title, def.ID, def.Runner.Describe(call))
	if !*preview {
		return nil
	}
	if def.Preview == nil {
		return &exitError{code: 1, msg: fmt.Sprintf("%s has no preview", def.ID)}
	}
	call.Preview, call.IdempotencyKey = true, "fl-dry-run-preview"
	timeout := def.Timeout
	if timeout <= 0 {
		timeout = bot.DefaultActionTimeout
	}
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	res := def.Preview.Run(pctx, call)
	fmt.Fprintf(m.Stdout, "\nPreview: %s (%s)\n%s\n", res.Outcome, res.Detail, redact.String(res.Output))
	if res.Outcome != bot.OutcomeSucceeded {
		return &exitError{code: 1}
	}
	return nil
}
