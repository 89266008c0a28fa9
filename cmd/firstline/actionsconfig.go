package main

// The config's actions ([[actions]], desk.actions_enabled, desk.approvals_channel): their shape, what is
// checked of them, and the bot.ActionDef each becomes, with its runner (adapters/webhook for "http",
// adapters/program for "exec").

import (
	"fmt"
	"log/slog"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/firstline-desk/firstline/internal/plural"

	"github.com/firstline-desk/firstline/adapters/program"
	"github.com/firstline-desk/firstline/adapters/webhook"
	"github.com/firstline-desk/firstline/bot"
)

// ActionConfig is one [[actions]]: something the desk runs for people.
type ActionConfig struct {
	ID          string `toml:"id"`
	Title       string `toml:"title"`
	Description string `toml:"description"`
	RunnerConfig
	Timeout    Duration              `toml:"timeout"`
	MaxOutput  int                   `toml:"max_output"`
	Requesters []string              `toml:"requesters"`
	Rate       ActionRateConfig      `toml:"rate"`
	Approval   *ActionApprovalConfig `toml:"approval"`
	Params     []ActionParamConfig   `toml:"params"`
	// Preview is a dry run (the same runner kinds) whose output approvers see before they decide.
	Preview *RunnerConfig `toml:"preview"`
}

// RunnerConfig is how an action (or its preview) is run: an HTTP call or a program.
type RunnerConfig struct {
	Runner  string            `toml:"runner"` // "http" or "exec"
	URL     string            `toml:"url"`
	Method  string            `toml:"method"`
	Headers map[string]string `toml:"headers"`
	Body    string            `toml:"body"`
	Secret  string            `toml:"secret"`
	Command []string          `toml:"command"`
	Env     map[string]string `toml:"env"`
	Dir     string            `toml:"dir"`
}

// ActionRateConfig limits one person's requests of an action: at most count in any per.
type ActionRateConfig struct {
	Count int      `toml:"count"`
	Per   Duration `toml:"per"`
}

// ActionApprovalConfig is who must approve a run before it starts.
type ActionApprovalConfig struct {
	Approvers          []string `toml:"approvers"`
	Quorum             int      `toml:"quorum"`
	ForbidSelfApproval *bool    `toml:"forbid_self_approval"`
	Expires            Duration `toml:"expires"`
	Channel            string   `toml:"channel"`
}

// ActionParamConfig is one [[actions.params]].
type ActionParamConfig struct {
	Name        string   `toml:"name"`
	Type        string   `toml:"type"`
	Description string   `toml:"description"`
	Choices     []string `toml:"choices"`
	Pattern     string   `toml:"pattern"`
	Min         *int64   `toml:"min"`
	Max         *int64   `toml:"max"`
	Required    bool     `toml:"required"`
	Default     string   `toml:"default"`
	Resolve     string   `toml:"resolve"`
}

var (
	actionIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
	paramNamePat    = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,31}$`)
)

// maxActionOutput bounds max_output: what is kept goes into the run, the ticket and a chat message.
const maxActionOutput = 64 << 10

// actionProblems adds every problem of the actions to add.
func (c Config) actionProblems(add func(string, ...any)) {
	if ch := c.Desk.ApprovalsChannel; ch != "" && !validRef(ch) {
		add("desk.approvals_channel: %q is not platform:channel (like \"slack:C0APPROVALS\")", ch)
	}
	tiers := map[string]bool{}
	for _, t := range c.Tiers {
		tiers[t.ID] = true
	}
	seen := map[string]bool{}
	defined := make([]string, 0, len(c.Actions))
	for _, a := range c.Actions {
		defined = append(defined, a.ID)
	}
	// An alert route suggests actions by id: one the desk does not define would be a button that does
	// nothing, so it is a mistake said here rather than a card that offers it.
	for i, r := range c.AlertRoutes {
		for j, id := range r.Actions {
			if actionIDPattern.MatchString(id) && !slices.Contains(defined, id) {
				have := "none is defined"
				if len(defined) > 0 {
					have = "the actions are " + strings.Join(defined, ", ")
				}
				add("alert_routes[%d].actions[%d]: no action %q in [[actions]] (%s)", i, j, id, have)
			}
		}
	}
	for i, a := range c.Actions {
		key := fmt.Sprintf("actions[%d]", i)
		switch {
		case !actionIDPattern.MatchString(a.ID):
			add("%s.id: %q must be lower-case letters, digits, '.', '_' or '-' (an article's front matter names it)", key, a.ID)
		case seen[a.ID]:
			add("%s.id: %q is used by another action", key, a.ID)
		}
		seen[a.ID] = true
		key = fmt.Sprintf("actions[%d] (%s)", i, a.ID)
		if strings.TrimSpace(a.Title) == "" || len([]rune(a.Title)) > 75 {
			add("%s.title: must be set, and short enough for a button (at most 75 characters)", key)
		}
		if a.Timeout < 0 {
			add("%s.timeout: must not be negative", key)
		}
		if a.MaxOutput < 0 || a.MaxOutput > maxActionOutput {
			add("%s.max_output: %d must be between 0 (the default, %s) and %d", key, a.MaxOutput, plural.Count(bot.DefaultMaxOutput, "byte", "bytes"), maxActionOutput)
		}
		if (a.Rate.Count != 0 || a.Rate.Per != 0) && (a.Rate.Count <= 0 || a.Rate.Per <= 0) {
			add("%s.rate: give both count (at least 1) and per (a duration like \"1h\")", key)
		}
		for j, g := range a.Requesters {
			if !validGroup(g, tiers) {
				add("%s.requesters[%d]: %q is not \"everyone\", \"technicians\", \"admins\", a tier id or platform:id", key, j, g)
			}
		}
		names := a.paramProblems(key, add)
		a.RunnerConfig.problems(key, names, add)
		if a.Preview != nil {
			if a.Approval == nil {
				add("%s.preview: only an action with [actions.approval] has approvers to show a preview to", key)
			}
			a.Preview.problems(key+".preview", names, add)
		}
		if ap := a.Approval; ap != nil {
			if len(ap.Approvers) == 0 {
				add("%s.approval.approvers: name who approves (a tier id, \"admins\", platform:id)", key)
			}
			for j, g := range ap.Approvers {
				if g == "everyone" || !validGroup(g, tiers) {
					add("%s.approval.approvers[%d]: %q is not \"technicians\", \"admins\", a tier id or platform:id", key, j, g)
				}
			}
			if ap.Quorum < 0 {
				add("%s.approval.quorum: must be at least 1", key)
			}
			if ap.Expires < 0 {
				add("%s.approval.expires: must not be negative", key)
			}
			if ap.Channel != "" && !validRef(ap.Channel) {
				add("%s.approval.channel: %q is not platform:channel", key, ap.Channel)
			}
			if ap.Channel == "" && c.Desk.ApprovalsChannel == "" && !slices.ContainsFunc(ap.Approvers, func(g string) bool { return tiers[g] }) {
				add("%s.approval: no channel for its approval cards: set desk.approvals_channel or approval.channel, or name a tier among the approvers", key)
			}
		}
	}
}

// validGroup reports whether g names people as requesters and approvers are written.
func validGroup(g string, tiers map[string]bool) bool {
	switch g {
	case "everyone", "technicians", "admins":
		return true
	}
	return tiers[g] || validRef(g)
}

// paramProblems checks the parameters and returns the names templates may use.
func (a ActionConfig) paramProblems(key string, add func(string, ...any)) []string {
	names := slices.Clone(bot.BuiltinParams)
	requesters := 0
	for j, p := range a.Params {
		pk := fmt.Sprintf("%s.params[%d]", key, j)
		switch {
		case !paramNamePat.MatchString(p.Name):
			add("%s.name: %q must be lower-case letters, digits or _, starting with a letter", pk, p.Name)
		case slices.Contains(names, p.Name) && !(p.Type == string(bot.ParamRequester) && p.Name == "requester"):
			add("%s.name: %q is another parameter's, or one the desk fills in (%s)", pk, p.Name, strings.Join(bot.BuiltinParams, ", "))
		}
		names = append(names, p.Name)
		switch bot.ParamType(p.Type) {
		case bot.ParamString:
			if p.Pattern != "" {
				if _, err := regexp.Compile(p.Pattern); err != nil {
					add("%s.pattern: %v", pk, err)
				}
			}
		case bot.ParamEnum:
			if len(p.Choices) == 0 {
				add("%s.choices: an enum needs its choices", pk)
			}
		case bot.ParamInt:
			if p.Min != nil && p.Max != nil && *p.Min > *p.Max {
				add("%s: min %d is above max %d", pk, *p.Min, *p.Max)
			}
		case bot.ParamBool:
		case bot.ParamUser, bot.ParamRequester:
			if p.Resolve != "" && p.Resolve != "id" && p.Resolve != "email" {
				add("%s.resolve: %q is not \"id\" or \"email\"", pk, p.Resolve)
			}
			if p.Type == string(bot.ParamRequester) {
				requesters++
				if p.Required || p.Default != "" {
					add("%s: the desk fills in a requester parameter: it takes no required or default", pk)
				}
			}
		default:
			add("%s.type: %q is not string, enum, int, bool, user or requester", pk, p.Type)
		}
		if p.Type != string(bot.ParamString) && p.Pattern != "" {
			add("%s.pattern: only a string parameter has a pattern", pk)
		}
		if p.Default != "" && p.Type != string(bot.ParamRequester) {
			if _, err := (&bot.ActionDef{ID: a.ID, Params: []bot.ActionParam{convertParam(p)}}).CheckParams(map[string]string{p.Name: p.Default}); err != nil {
				add("%s.default: %q is not a value it takes", pk, p.Default)
			}
		}
	}
	if requesters > 1 {
		add("%s.params: at most one parameter is of type requester", key)
	}
	return names
}

// literalSecrets lists the secrets of actions written into the config itself instead of taken from the
// environment: a signing secret, and a header that carries credentials (Authorization, or a name with
// token, key, secret, password, auth or cookie in it). It is checked before ${ENV} references are
// expanded, the only time the two can be told apart.
func (c Config) literalSecrets() []string {
	var out []string
	check := func(key string, r *RunnerConfig) {
		if r.Secret != "" && !envRef.MatchString(r.Secret) {
			out = append(out, fmt.Sprintf("%s.secret: write it as \"${NAME}\", with the secret in the environment variable NAME: a secret is never written in the config", key))
		}
		for _, h := range slices.Sorted(maps.Keys(r.Headers)) {
			if credentialHeader(h) && !envRef.MatchString(r.Headers[h]) {
				out = append(out, fmt.Sprintf("%s.headers.%s: carries a credential: write it with \"${NAME}\" (like \"Bearer ${IDP_TOKEN}\"), with the credential in the environment variable NAME", key, h))
			}
		}
	}
	for i := range c.Actions {
		a := &c.Actions[i]
		key := fmt.Sprintf("actions[%d] (%s)", i, a.ID)
		check(key, &a.RunnerConfig)
		if a.Preview != nil {
			check(key+".preview", a.Preview)
		}
	}
	return out
}

// credentialHeader reports whether an HTTP header's name says it carries a credential.
func credentialHeader(name string) bool {
	n := strings.ToLower(name)
	for _, w := range []string{"authorization", "token", "key", "secret", "password", "auth", "cookie"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// problems checks a runner's settings; names are the placeholders its templates may use.
func (r RunnerConfig) problems(key string, names []string, add func(string, ...any)) {
	unknown := func(field, tmpl string) {
		for _, n := range bot.TemplateNames(tmpl) {
			if !slices.Contains(names, n) {
				add("%s.%s: {{%s}} is no parameter of the action (it has %s)", key, field, n, strings.Join(names, ", "))
			}
		}
	}
	switch r.Runner {
	case "http":
		if len(r.Command) > 0 || len(r.Env) > 0 || r.Dir != "" {
			add("%s: command, env and dir are for runner = \"exec\"", key)
		}
		if _, err := r.webhookRunner(nil); err != nil {
			add("%s: %v", key, err)
		}
		unknown("url", r.URL)
		unknown("body", r.Body)
		for h, v := range r.Headers {
			unknown("headers."+h, v)
		}
	case "exec":
		if r.URL != "" || r.Body != "" || len(r.Headers) > 0 || r.Secret != "" || r.Method != "" {
			add("%s: url, method, headers, body and secret are for runner = \"http\"", key)
		}
		if _, err := r.programRunner(nil); err != nil {
			add("%s.command: %v", key, err)
		}
		for j, arg := range r.Command {
			unknown(fmt.Sprintf("command[%d]", j), arg)
		}
	default:
		add("%s.runner: %q is not \"http\" or \"exec\"", key, r.Runner)
	}
}

func (r RunnerConfig) webhookRunner(logger *slog.Logger) (*webhook.Runner, error) {
	return webhook.New(webhook.Config{URL: r.URL, Method: r.Method, Headers: r.Headers, Body: r.Body, Secret: r.Secret}, logger)
}

func (r RunnerConfig) programRunner(logger *slog.Logger) (*program.Runner, error) {
	return program.New(program.Config{Command: r.Command, Env: r.Env, Dir: r.Dir}, logger)
}

// runner builds the runner; Validate has refused a config it would fail on.
func (r RunnerConfig) runner(logger *slog.Logger) (bot.Runner, error) {
	if r.Runner == "exec" {
		return r.programRunner(logger)
	}
	return r.webhookRunner(logger)
}

// convertParam is a parameter as the engine takes it. A pattern must match the whole value.
func convertParam(p ActionParamConfig) bot.ActionParam {
	out := bot.ActionParam{Name: p.Name, Type: bot.ParamType(p.Type), Description: p.Description, Choices: p.Choices,
		Min: p.Min, Max: p.Max, Required: p.Required, Default: p.Default, Resolve: p.Resolve}
	if p.Pattern != "" {
		out.Pattern, _ = regexp.Compile(`^(?:` + p.Pattern + `)$`)
	}
	if out.Resolve == "" && (out.Type == bot.ParamUser || out.Type == bot.ParamRequester) {
		out.Resolve = "id"
	}
	return out
}

// actionDefs are the actions as the engine takes them, with their runners.
func (c Config) actionDefs(logger *slog.Logger) ([]bot.ActionDef, error) {
	var out []bot.ActionDef
	for _, a := range c.Actions {
		d := bot.ActionDef{ID: a.ID, Title: a.Title, Description: a.Description, Requesters: a.Requesters,
			Timeout: time.Duration(a.Timeout), MaxOutput: a.MaxOutput, Program: a.Runner == "exec",
			Rate: bot.RequestRate{Count: a.Rate.Count, Per: time.Duration(a.Rate.Per)}}
		for _, p := range a.Params {
			d.Params = append(d.Params, convertParam(p))
		}
		if ap := a.Approval; ap != nil {
			d.Approval = &bot.ActionApproval{Approvers: ap.Approvers, Quorum: ap.Quorum, Expires: time.Duration(ap.Expires), Channel: ap.Channel,
				AllowSelfApproval: ap.ForbidSelfApproval != nil && !*ap.ForbidSelfApproval}
		}
		var err error
		if d.Runner, err = a.RunnerConfig.runner(logger.With("action", a.ID)); err != nil {
			return nil, fmt.Errorf("action %s: %w", a.ID, err)
		}
		if a.Preview != nil {
			if d.Preview, err = a.Preview.runner(logger.With("action", a.ID, "preview", true)); err != nil {
				return nil, fmt.Errorf("action %s preview: %w", a.ID, err)
			}
		}
		out = append(out, d)
	}
	return out, nil
}
