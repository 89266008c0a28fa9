package bot

// Actions the desk runs for people: their definitions (the admins', from the config), the runners that
// perform them, and the placeholders of their templates. The flow of one run is actionflow.go.

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"time"
)

// ActionDef is an action an admin defined (`[[actions]]` in the config): a fixed procedure the desk
// runs for people, with typed parameters, who may ask for it, who must approve it, and its limits.
// Actions are defined only in the config, never from chat.
type ActionDef struct {
	ID          string // "unlock-account": what !run and an article's front matter name it by
	Title       string // what its button says: "Unlock my account"
	Description string
	Params      []ActionParam
	// Requesters are who may ask for it: "everyone" (for themselves), "technicians", "admins", a tier
	// id, a person ("slack:U…") or a group or role ("slack:subteam:S…", "discord:role:…"). Empty is
	// everyone.
	Requesters []string
	// Approval is who must approve a run before it starts; nil: it runs once the requester confirms.
	Approval *ActionApproval
	// Timeout bounds one call (default DefaultActionTimeout); MaxOutput is how many bytes of its output
	// are kept (default DefaultMaxOutput).
	Timeout   time.Duration
	MaxOutput int
	// Rate limits the requests of one person: at most Rate.Count in any Rate.Per (zero: no limit).
	Rate RequestRate
	// Runner performs the action; Preview, when set, performs a dry run whose output approvers see
	// before they decide.
	Runner  Runner
	Preview Runner
	// Program says the runner runs a program with the values as its arguments: no value may then begin
	// with "-", which the program would take for an option of its own.
	Program bool
}

// ActionApproval is who must approve a run of an action, and for how long they may.
type ActionApproval struct {
	// Approvers are people, tiers and groups, written as Requesters are.
	Approvers []string
	// Quorum is how many different approvers must approve (default 1).
	Quorum int
	// AllowSelfApproval lets someone approve a run they asked for, or that is for them. The default
	// (false) is the config's forbid_self_approval = true: nobody approves their own request,
	// technicians included.
	AllowSelfApproval bool
	// Expires is how long a request waits for its approvals (default DefaultApprovalExpiry); then it
	// expires and the requester is told.
	Expires time.Duration
	// Channel is where the approval card goes ("platform:channel"); "" is Config.ApprovalsChannel, or
	// else the channel of the first tier among the approvers.
	Channel string
}

// RequestRate is a per-person limit on requests of one action.
type RequestRate struct {
	Count int
	Per   time.Duration
}

// Defaults of an action's limits.
const (
	DefaultActionTimeout  = 30 * time.Second
	DefaultMaxOutput      = 4096
	DefaultApprovalExpiry = 4 * time.Hour
	// confirmWindow is how long a request made with a button waits for the requester's confirmation.
	confirmWindow = time.Hour
)

// ParamType is the type of an action's parameter.
type ParamType string

// The parameter types.
const (
	ParamString ParamType = "string" // text matching Pattern, when set
	ParamEnum   ParamType = "enum"   // one of Choices
	ParamInt    ParamType = "int"    // a whole number within Min and Max, when set
	ParamBool   ParamType = "bool"   // true or false (yes/no)
	// ParamUser is a person on a chat platform, given as "platform:id" or an email address, and passed
	// to the runner as Resolve says.
	ParamUser ParamType = "user"
	// ParamRequester is the person the run is for, filled in by the desk, never by the person asking.
	ParamRequester ParamType = "requester"
)

// ActionParam is one typed parameter of an action.
type ActionParam struct {
	Name        string
	Type        ParamType
	Description string
	Choices     []string       // enum
	Pattern     *regexp.Regexp // string: the whole value must match (the config anchors it)
	Min, Max    *int64         // int
	Required    bool
	Default     string
	// Resolve is what a user or requester parameter becomes for the runner: "id" (the default: the
	// platform identity, "slack:U123") or "email" (looked up through the platform, see UserDirectory).
	Resolve string
}

// Runner performs an action: an HTTP call, a program. It is declared here and implemented outside the
// core (adapters/webhook, adapters/program); cmd/firstline builds one per action from the config.
//
// The engine calls Run from a job, outside any transaction, at most once per attempt of a run: the run
// is recorded as started, durably, before Run is called, so a crash during the call leaves it "outcome
// unknown" and it is never called again by itself. Run must honour ctx (it carries the action's
// timeout), must not retry a call that may have reached its target, and must keep its own secrets (a
// token, a signing key) out of what it returns. Run may be called from several goroutines at once.
type Runner interface {
	// Run performs the call and says how it went. It never returns a Go error: what went wrong is the
	// result (OutcomeFailed when the call surely did not happen or was refused, OutcomeUnknown or
	// OutcomeTimedOut when it may have happened).
	Run(ctx context.Context, call ActionCall) ActionResult
	// Describe says what Run would do with call (method, URL, headers and body; or the program and its
	// arguments), its secrets masked, without doing it: a dry run for `firstline actions test`.
	Describe(call ActionCall) string
}

// ActionCall is what a runner is asked to do.
type ActionCall struct {
	Action string // the action's id
	Run    string // the run's id, "A-000003"
	Ticket string // the ticket it is recorded on
	// Params are the values of the action's parameters, validated and resolved, by name, with the
	// desk's own: "requester" (the person it is for, when no parameter of that type is declared),
	// "ticket" and "run".
	Params map[string]string
	// IdempotencyKey is the same for every attempt of one run (a technician's retry sends it again), so
	// a target that honours it does the work once.
	IdempotencyKey string
	Attempt        int
	// Preview: this is the action's dry run, shown to approvers.
	Preview bool
	// MaxOutput is how many bytes of output the runner keeps.
	MaxOutput int
}

// Outcome is how a call ended.
type Outcome string

// The outcomes of a call.
const (
	OutcomeSucceeded Outcome = "succeeded"
	OutcomeFailed    Outcome = "failed"    // it surely did not happen, or the target refused it
	OutcomeTimedOut  Outcome = "timed_out" // no answer within the timeout: it may have happened
	OutcomeUnknown   Outcome = "unknown"   // the call was cut off: it may have happened
)

// ActionResult is what a runner says of one call.
type ActionResult struct {
	Outcome Outcome
	// Output is what the target answered (a response body, a program's output), at most the call's
	// MaxOutput bytes, without the runner's secrets. The engine redacts it before it is stored or
	// posted; it never reaches the logs.
	Output string
	// Detail says what happened in a few words: "HTTP 200", "exit status 1", "no answer within 30s".
	Detail string
}

// UserDirectory is a Chat that can tell a person's email address, for user and requester parameters
// that resolve to one. The engine calls it from the action's job, outside any transaction; ENOTFOUND
// when the platform does not say.
type UserDirectory interface {
	UserEmail(ctx context.Context, user string) (string, error)
}

// placeholder is {{name}} in an action's template (a URL, a header, a body, an argument), spaces
// allowed inside the braces.
var placeholder = regexp.MustCompile(`\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}`)

// ExpandTemplate replaces each {{name}} in tmpl with escape(values[name]) ("" for a name without a
// value), in one pass: a value that itself contains "{{x}}" is inserted as it is, never expanded. escape
// makes the value safe where it goes (JSON-escaped in a JSON body, escaped in a URL's path); nil inserts
// it as it is.
func ExpandTemplate(tmpl string, values map[string]string, escape func(string) string) string {
	return placeholder.ReplaceAllStringFunc(tmpl, func(m string) string {
		v := values[placeholder.FindStringSubmatch(m)[1]]
		if escape != nil {
			return escape(v)
		}
		return v
	})
}

// TemplateNames returns the names of the placeholders in tmpl, in order, each once.
func TemplateNames(tmpl string) []string {
	var names []string
	for _, m := range placeholder.FindAllStringSubmatch(tmpl, -1) {
		if !slices.Contains(names, m[1]) {
			names = append(names, m[1])
		}
	}
	return names
}

// IsWholePlaceholder reports whether s is one placeholder and nothing else ("{{host}}"): what an exec
// action's argument must be when it takes a parameter, so a value is always one whole argument.
func IsWholePlaceholder(s string) bool {
	loc := placeholder.FindStringIndex(s)
	return loc != nil && loc[0] == 0 && loc[1] == len(s)
}

// BuiltinParams are the placeholders every template may use besides the action's parameters.
var BuiltinParams = []string{"requester", "ticket", "run"}

// param returns the parameter named name.
func (d *ActionDef) param(name string) (ActionParam, bool) {
	for _, p := range d.Params {
		if p.Name == name {
			return p, true
		}
	}
	return ActionParam{}, false
}

// requesterParam is the name of the action's requester parameter, "requester" when it declares none.
func (d *ActionDef) requesterParam() ActionParam {
	for _, p := range d.Params {
		if p.Type == ParamRequester {
			return p
		}
	}
	return ActionParam{Name: "requester", Type: ParamRequester, Resolve: "id"}
}

func (d *ActionDef) timeout() time.Duration {
	if d.Timeout > 0 {
		return d.Timeout
	}
	return DefaultActionTimeout
}

func (d *ActionDef) maxOutput() int {
	if d.MaxOutput > 0 {
		return d.MaxOutput
	}
	return DefaultMaxOutput
}

func (a *ActionApproval) quorum() int { return max(a.Quorum, 1) }

func (a *ActionApproval) expires() time.Duration {
	if a.Expires > 0 {
		return a.Expires
	}
	return DefaultApprovalExpiry
}

// action returns the definition of the action with id.
func (c *Config) action(id string) (*ActionDef, bool) {
	for i := range c.Actions {
		if strings.EqualFold(c.Actions[i].ID, id) {
			return &c.Actions[i], true
		}
	}
	return nil, false
}

// inGroup reports whether user (with roles) is in one of the groups of an action's requesters or
// approvers: "everyone", "technicians", "admins", a tier id, a person or a group or role.
func (c Config) inGroup(groups []string, user string, roles []string) bool {
	for _, g := range groups {
		switch {
		case g == "everyone":
			return true
		case g == "technicians" && c.isTechnician(user, roles):
			return true
		case g == "admins" && c.isAdmin(user, roles):
			return true
		case c.isMember(g, user, roles):
			return true
		case listed([]string{g}, user, roles):
			return true
		}
	}
	return false
}

// mayRequest reports whether user may ask for the action for themselves.
func (c Config) mayRequest(d *ActionDef, user string, roles []string) bool {
	return len(d.Requesters) == 0 || c.inGroup(d.Requesters, user, roles)
}

// approvalChannel is where the approval cards of d go: its own channel, the desk's approvals channel,
// or the channel of the first tier among its approvers.
func (c Config) approvalChannel(d *ActionDef) string {
	if d.Approval == nil {
		return ""
	}
	if d.Approval.Channel != "" {
		return d.Approval.Channel
	}
	if c.ApprovalsChannel != "" {
		return c.ApprovalsChannel
	}
	for _, g := range d.Approval.Approvers {
		if t, _, ok := c.tier(g); ok {
			return t.Channel
		}
	}
	return ""
}
