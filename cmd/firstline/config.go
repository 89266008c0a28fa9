package main

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/hours"
	"github.com/firstline-desk/firstline/kb"
)

// Config is the whole configuration file. Only this package reads it; each package gets the typed
// config it needs (bot.Config, console.Config, ...).
type Config struct {
	Desk          DeskConfig              `toml:"desk"`
	Roles         RolesConfig             `toml:"roles"`
	Tiers         []TierConfig            `toml:"tiers"`
	Reactions     ReactionsConfig         `toml:"reactions"`
	KB            KBConfig                `toml:"kb"`
	Console       ConsoleConfig           `toml:"console"`
	BusinessHours BusinessHoursConfig     `toml:"business_hours"`
	SLA           SLAConfig               `toml:"sla"`
	PriorityRules []PriorityRuleConfig    `toml:"priority_rules"`
	Vendors       map[string]VendorConfig `toml:"vendors"`
	CSAT          CSATConfig              `toml:"csat"`
	Retention     RetentionConfig         `toml:"retention"`
	Slack         SlackConfig             `toml:"slack"`
	Discord       DiscordConfig           `toml:"discord"`
	HTTP          HTTPConfig              `toml:"http"`
	Log           LogConfig               `toml:"log"`
	LLM           LLMConfig               `toml:"llm"`
	Flood         FloodConfig             `toml:"flood"`
}

// BusinessHoursConfig is when the desk works: SLA clocks count only this time (unless a priority runs
// around the clock).
type BusinessHoursConfig struct {
	Timezone string   `toml:"timezone"`
	Days     []string `toml:"days"`
	Start    string   `toml:"start"`
	End      string   `toml:"end"`
	Holidays []string `toml:"holidays"`
}

// SLAConfig holds the targets of each priority.
type SLAConfig struct {
	// WarnAt is the share of a target after which the card's thread is warned.
	WarnAt float64            `toml:"warn_at"`
	P1     *SLAPriorityConfig `toml:"P1"`
	P2     *SLAPriorityConfig `toml:"P2"`
	P3     *SLAPriorityConfig `toml:"P3"`
	P4     *SLAPriorityConfig `toml:"P4"`
}

// SLAPriorityConfig is one priority's targets, in business time.
type SLAPriorityConfig struct {
	Response   Duration `toml:"response"`
	Resolution Duration `toml:"resolution"`
	// BusinessHours false runs this priority's clocks around the clock (P1 often is 24×7).
	BusinessHours *bool `toml:"business_hours"`
}

// VendorConfig is an outside supplier's response target, for "!vendor NAME".
type VendorConfig struct {
	Response Duration `toml:"response"`
	// BusinessHours false runs the vendor's clock around the clock.
	BusinessHours *bool `toml:"business_hours"`
}

// CSATConfig tunes the satisfaction survey.
type CSATConfig struct {
	MinDaysBetween int      `toml:"min_days_between"`
	RemindAfter    Duration `toml:"remind_after"`
	CommentWindow  Duration `toml:"comment_window"`
}

// RetentionConfig is how long the data file keeps what is done with.
type RetentionConfig struct {
	// ClosedTicketDays deletes a resolved ticket this many days after it was resolved (and last changed);
	// 0 keeps resolved tickets forever. Reports then no longer count the deleted tickets.
	ClosedTicketDays int `toml:"closed_ticket_days"`
}

// PriorityRuleConfig sets a new ticket's priority from the requester's words.
type PriorityRuleConfig struct {
	Name     string   `toml:"name"`
	Priority string   `toml:"priority"`
	Phrases  []string `toml:"phrases"`
}

// SlackConfig connects the desk to a Slack workspace (see README, "Connect to Slack").
type SlackConfig struct {
	Enabled bool `toml:"enabled"`
	// Mode is "socket" (Socket Mode, no public URL) or "http" (the Events API at http.listen + /slack/events).
	Mode          string `toml:"mode"`
	BotToken      string `toml:"bot_token"`
	AppToken      string `toml:"app_token"`
	SigningSecret string `toml:"signing_secret"`
	// APIURL is the Web API's base; empty is Slack's own. Tests and proxies set it.
	APIURL string `toml:"api_url"`
	// HelpChannels are channel ids (C0123...) where every top-level message opens a ticket; the same as
	// "slack:C0123" in desk.help_channels.
	HelpChannels []string `toml:"help_channels"`
}

// DiscordConfig connects the desk to a Discord server (see README, "Connect to Discord").
type DiscordConfig struct {
	Enabled bool   `toml:"enabled"`
	Token   string `toml:"token"`
	// Guild limits the desk to one server (its id); empty serves every server the bot is in.
	Guild string `toml:"guild"`
	// APIURL replaces https://discord.com; empty is Discord's own. Tests and proxies set it.
	APIURL string `toml:"api_url"`
	// HelpChannels are channel ids where every message opens a ticket; the same as "discord:ID" in
	// desk.help_channels.
	HelpChannels []string `toml:"help_channels"`
	// Emoji names the server's custom emoji: emoji id or name -> reaction name.
	Emoji map[string]string `toml:"emoji"`
}

// HTTPConfig is the desk's HTTP listener: /healthz, /metrics, and Slack's request URL in HTTP mode.
type HTTPConfig struct {
	// Listen is the address, like ":8080"; Slack's request URL is then https://HOST/slack/events.
	Listen string `toml:"listen"`
}

// DeskConfig is how the desk behaves.
type DeskConfig struct {
	Name            string   `toml:"name"`
	CommandPrefix   string   `toml:"command_prefix"`
	HelpChannels    []string `toml:"help_channels"`
	ReopenWindow    Duration `toml:"reopen_window"`
	DefaultPriority string   `toml:"default_priority"`
}

// RolesConfig names the people with powers beyond a tier's.
type RolesConfig struct {
	Admins []string `toml:"admins"`
}

// TierConfig is one tier of technicians.
type TierConfig struct {
	ID      string   `toml:"id"`
	Name    string   `toml:"name"`
	Channel string   `toml:"channel"`
	Members []string `toml:"members"`
	// EscalateOnBreach moves a ticket to the next tier when it breaches an SLA target here.
	EscalateOnBreach bool `toml:"escalate_on_breach"`
	// OnCall is pinged with breach notices: "slack:subteam:S0123" (a user group) or "discord:role:123".
	OnCall string `toml:"oncall"`
}

// ReactionsConfig maps actions to reaction names.
type ReactionsConfig struct {
	Claim      string `toml:"claim"`
	Escalate   string `toml:"escalate"`
	Resolve    string `toml:"resolve"`
	Solved     string `toml:"solved"`
	NotHelpful string `toml:"not_helpful"`
	Human      string `toml:"human"`
	// Capture on a ticket's card or answer drafts a knowledge-base article from it.
	Capture string `toml:"capture"`
	// Urgent on a card, by a technician of its tier, makes the ticket P1.
	Urgent string `toml:"urgent"`
}

// KBConfig is the knowledge base.
type KBConfig struct {
	// Dir is a folder of Markdown articles imported (added or updated) at every start.
	Dir string `toml:"dir"`
	// ReviewChannel ("platform:channel") receives articles drafted from tickets, for admins to publish.
	ReviewChannel string `toml:"review_channel"`
	// StaleAfter: "!kb stale" lists articles not updated for this long.
	StaleAfter        Duration            `toml:"stale_after"`
	MinConfidence     float64             `toml:"min_confidence"`
	SuggestConfidence float64             `toml:"suggest_confidence"`
	Synonyms          map[string][]string `toml:"synonyms"`
}

// ConsoleConfig is the terminal chat.
type ConsoleConfig struct {
	User    string `toml:"user"`
	Channel string `toml:"channel"`
}

// LogConfig says where logs go.
type LogConfig struct {
	Level  string `toml:"level"`
	Format string `toml:"format"`
	// File receives the logs; "" means stderr, except in the console where it means DATA/firstline.log so
	// logs do not interleave with the chat.
	File string `toml:"file"`
}

// Duration is a time.Duration written as a string: "90s", "15m", "4h", "7d".
type Duration time.Duration

// UnmarshalText reads "7d" as well as Go durations.
func (d *Duration) UnmarshalText(b []byte) error {
	s := strings.TrimSpace(string(b))
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseFloat(days, 64)
		// Past ~100,000 years a duration overflows; NaN and infinities are no number of days.
		if err != nil || math.IsNaN(n) || math.Abs(n) > 36_500_000 {
			return fmt.Errorf("bad duration %q: want a number of days like \"7d\"", s)
		}
		*d = Duration(n * float64(24*time.Hour))
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("bad duration %q: want something like \"90s\", \"15m\", \"4h\" or \"7d\"", s)
	}
	*d = Duration(v)
	return nil
}

// MarshalText writes the duration back.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// defaultSuggestConfidence is where the bot starts offering a list to choose from instead of escalating:
// on the demo KB, off-topic questions stay under 0.2 while ambiguous ones land between 0.3 and the answer
// threshold.
const defaultSuggestConfidence = 0.35

// DefaultConfig is what a file does not say.
func DefaultConfig() Config {
	r := bot.DefaultReactions
	return Config{
		Desk: DeskConfig{
			Name:            "Firstline",
			CommandPrefix:   "!",
			ReopenWindow:    Duration(7 * 24 * time.Hour),
			DefaultPriority: "P3",
		},
		Reactions: ReactionsConfig{Claim: r.Claim, Escalate: r.Escalate, Resolve: r.Resolve, Solved: r.Solved, NotHelpful: r.NotHelpful, Human: r.Human, Capture: "books", Urgent: r.Urgent},
		KB:        KBConfig{MinConfidence: kb.DefaultMinConfidence, SuggestConfidence: defaultSuggestConfidence, StaleAfter: Duration(180 * 24 * time.Hour)},
		Console:   ConsoleConfig{User: "alice", Channel: "help"},
		Slack:     SlackConfig{Mode: "socket"},
		CSAT:      CSATConfig{RemindAfter: Duration(24 * time.Hour), CommentWindow: Duration(time.Hour)},
		Log:       LogConfig{Level: "info", Format: "text"},
		LLM:       LLMConfig{APIType: "openai", Timeout: Duration(30 * time.Second), UserCallsPerHour: 30, Temperature: 0.2},
		Flood:     FloodConfig{Messages: 8, Window: Duration(time.Minute), JoinWithin: Duration(30 * time.Second)},
	}
}

// LoadConfig reads a config file: defaults, then the file (strictly: an unknown key is an error with its
// line and column), then ${ENV} references, then Validate.
func LoadConfig(name string) (Config, error) {
	data, err := readConfigFile(name)
	if err != nil {
		return Config{}, err
	}
	return ParseConfig(name, data, os.LookupEnv)
}

// ParseConfig is LoadConfig on bytes; lookup resolves ${ENV} references.
func ParseConfig(name string, data []byte, lookup func(string) (string, bool)) (Config, error) {
	cfg := DefaultConfig()
	dec := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return Config{}, configError(name, err)
	}
	var problems []string
	expandEnv(reflect.ValueOf(&cfg).Elem(), "", lookup, &problems)
	if err := cfg.Validate(); err != nil {
		problems = append(problems, err.(*ConfigError).Problems...)
	}
	if len(problems) > 0 {
		return Config{}, fmt.Errorf("%s: %w", name, &ConfigError{Problems: problems})
	}
	return cfg, nil
}

// ConfigError lists everything wrong with a config, each problem naming its key.
type ConfigError struct {
	Problems []string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("%d problem(s):\n  %s", len(e.Problems), strings.Join(e.Problems, "\n  "))
}

// configError turns go-toml's errors into file:line:col: reason.
func configError(name string, err error) error {
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) {
		var lines []string
		for _, e := range strict.Errors {
			row, col := e.Position()
			lines = append(lines, fmt.Sprintf("%s:%d:%d: unknown key %q", name, row, col, strings.Join(e.Key(), ".")))
		}
		return errors.New(strings.Join(lines, "\n"))
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		row, col := de.Position()
		reason := de.Error()
		if k := de.Key(); len(k) > 0 {
			reason = strings.Join(k, ".") + ": " + reason
		}
		return fmt.Errorf("%s:%d:%d: %s", name, row, col, reason)
	}
	return fmt.Errorf("%s: %w", name, err)
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expandEnv replaces ${NAME} in every string of v, so secrets stay out of the file.
func expandEnv(v reflect.Value, path string, lookup func(string) (string, bool), problems *[]string) {
	switch v.Kind() {
	case reflect.String:
		s := v.String()
		if !strings.Contains(s, "${") {
			return
		}
		v.SetString(envRef.ReplaceAllStringFunc(s, func(ref string) string {
			name := envRef.FindStringSubmatch(ref)[1]
			val, ok := lookup(name)
			if !ok {
				*problems = append(*problems, fmt.Sprintf("%s: environment variable %s is not set", path, name))
			}
			return val
		}))
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			key, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("toml"), ",")
			expandEnv(v.Field(i), joinKey(path, key), lookup, problems)
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			expandEnv(v.Index(i), fmt.Sprintf("%s[%d]", path, i), lookup, problems)
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			elem := reflect.New(v.Type().Elem()).Elem()
			elem.Set(v.MapIndex(k))
			expandEnv(elem, joinKey(path, fmt.Sprint(k.Interface())), lookup, problems)
			v.SetMapIndex(k, elem)
		}
	}
}

func joinKey(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

var (
	idPattern       = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	reactionPattern = regexp.MustCompile(`^[a-z0-9_+-]+$`)
)

// Validate reports every problem with the config at once, as a *ConfigError, or nil.
func (c Config) Validate() error {
	if p := c.problems(); len(p) > 0 {
		return &ConfigError{Problems: p}
	}
	return nil
}

func (c Config) problems() []string {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	nonFinite(reflect.ValueOf(c), "", add)
	if strings.TrimSpace(c.Desk.Name) == "" {
		add("desk.name: must not be empty")
	}
	if c.Desk.CommandPrefix == "" || strings.ContainsAny(c.Desk.CommandPrefix, " \t\n") {
		add("desk.command_prefix: %q must be non-empty and without spaces", c.Desk.CommandPrefix)
	}
	for i, ch := range c.Desk.HelpChannels {
		if !validRef(ch) {
			add("desk.help_channels[%d]: %q is not platform:channel (like \"console:help\" or \"slack:C0123\")", i, ch)
		}
	}
	if c.Desk.ReopenWindow < 0 {
		add("desk.reopen_window: must not be negative")
	}
	if days := c.Retention.ClosedTicketDays; days < 0 || days > maxDays {
		// Past maxDays the cut-off date overflows into the future, and every resolved ticket would go.
		add("retention.closed_ticket_days: %d must be 0 (keep resolved tickets forever) or a number of days up to %d", days, maxDays)
	} else if days > 0 && time.Duration(days)*24*time.Hour < time.Duration(c.Desk.ReopenWindow) {
		add("retention.closed_ticket_days: %d days is shorter than desk.reopen_window (%g days): a ticket could be deleted while its requester may still reopen it",
			days, time.Duration(c.Desk.ReopenWindow).Hours()/24)
	}
	if !validPriority(c.Desk.DefaultPriority) {
		add("desk.default_priority: %q is not one of P1, P2, P3, P4", c.Desk.DefaultPriority)
	}
	for i, a := range c.Roles.Admins {
		if !validRef(a) {
			add("roles.admins[%d]: %q is not platform:user (like \"console:ada\" or \"slack:U0123\")", i, a)
		}
	}
	if len(c.Tiers) == 0 {
		add("tiers: at least one [[tiers]] is needed to escalate to")
	}
	ids, channels := map[string]bool{}, map[string]string{}
	for i, t := range c.Tiers {
		key := fmt.Sprintf("tiers[%d]", i)
		switch {
		case !idPattern.MatchString(t.ID):
			add("%s.id: %q must be lower-case letters, digits, - or _", key, t.ID)
		case ids[t.ID]:
			add("%s.id: %q is used by another tier", key, t.ID)
		}
		ids[t.ID] = true
		if strings.TrimSpace(t.Name) == "" {
			add("%s.name: must not be empty", key)
		}
		if !validRef(t.Channel) {
			add("%s.channel: %q is not platform:channel", key, t.Channel)
		} else if other, dup := channels[t.Channel]; dup {
			add("%s.channel: %q is already the channel of tier %q", key, t.Channel, other)
		}
		channels[t.Channel] = t.ID
		if len(t.Members) == 0 {
			add("%s.members: a tier needs at least one member to claim its tickets", key)
		}
		if t.OnCall != "" && !onCallPattern.MatchString(t.OnCall) {
			add("%s.oncall: %q must be a Slack user group (\"slack:subteam:S0123ABCD\") or a Discord role (\"discord:role:123...\")", key, t.OnCall)
		}
		for j, m := range t.Members {
			if !validRef(m) {
				add("%s.members[%d]: %q is not platform:user", key, j, m)
			}
		}
	}
	for _, ch := range c.Desk.HelpChannels {
		if id, dup := channels[ch]; dup {
			add("desk.help_channels: %q is also the channel of tier %q", ch, id)
		}
	}
	r := c.Reactions
	for _, f := range []struct{ key, v string }{{"claim", r.Claim}, {"escalate", r.Escalate}, {"resolve", r.Resolve},
		{"solved", r.Solved}, {"not_helpful", r.NotHelpful}, {"human", r.Human}} {
		if !reactionPattern.MatchString(f.v) {
			add("reactions.%s: %q is not a reaction name (like \"raising_hand\", without colons)", f.key, f.v)
		}
	}
	if r.Claim == r.Escalate || r.Claim == r.Resolve || r.Escalate == r.Resolve {
		add("reactions: claim, escalate and resolve must be different reactions")
	}
	if r.Solved == r.NotHelpful || r.Solved == r.Human || r.NotHelpful == r.Human {
		add("reactions: solved, not_helpful and human must be different reactions")
	}
	if c.KB.ReviewChannel != "" && !validRef(c.KB.ReviewChannel) {
		add("kb.review_channel: %q is not platform:channel", c.KB.ReviewChannel)
	}
	if c.Reactions.Capture != "" && !reactionPattern.MatchString(c.Reactions.Capture) {
		add("reactions.capture: %q is not a reaction name", c.Reactions.Capture)
	}
	if u := c.Reactions.Urgent; u != "" && !reactionPattern.MatchString(u) {
		add("reactions.urgent: %q is not a reaction name", u)
	} else if u != "" && (u == r.Claim || u == r.Escalate || u == r.Resolve) {
		add("reactions.urgent: %q is already the claim, escalate or resolve reaction", u)
	}
	if !(c.KB.MinConfidence >= 0 && c.KB.MinConfidence <= 1) { // written so NaN fails too
		add("kb.min_confidence: %v must be between 0 and 1", c.KB.MinConfidence)
	}
	if !(c.KB.SuggestConfidence > 0 && c.KB.SuggestConfidence <= c.KB.MinConfidence) {
		add("kb.suggest_confidence: %v must be above 0 and at most kb.min_confidence (%v)", c.KB.SuggestConfidence, c.KB.MinConfidence)
	}
	if c.KB.Dir != "" {
		if fi, err := os.Stat(c.KB.Dir); err != nil || !fi.IsDir() {
			add("kb.dir: %q is not a readable folder", c.KB.Dir)
		}
	}
	if !idPattern.MatchString(c.Console.User) {
		add("console.user: %q is not a user name", c.Console.User)
	}
	if !idPattern.MatchString(c.Console.Channel) {
		add("console.channel: %q is not a channel name (without #)", c.Console.Channel)
	}
	c.validateSLA(add)
	if c.Slack.Enabled {
		c.validateSlack(add)
	}
	if c.Discord.Enabled {
		c.validateDiscord(add)
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		add("log.level: %q is not debug, info, warn or error", c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		add("log.format: %q is not text or json", c.Log.Format)
	}
	p = append(p, c.LLM.problems()...)
	if c.Flood.Messages < 0 || c.Flood.Window < 0 || c.Flood.JoinWithin < 0 {
		add("flood: messages, window and join_within must not be negative (0 turns each off)")
	}
	return p
}

// maxDays bounds a number of days in the config: a hundred years. Dates computed from more overflow.
const maxDays = 36_500

// nonFinite reports, by key, every float in v (the config, walked whole) that is NaN or infinite: TOML
// has nan and inf, and a range check written x < lo || x > hi lets NaN through. Walking every field means
// a float added to the config later is covered without a check of its own.
func nonFinite(v reflect.Value, path string, add func(string, ...any)) {
	switch v.Kind() {
	case reflect.Float32, reflect.Float64:
		if f := v.Float(); math.IsNaN(f) || math.IsInf(f, 0) {
			add("%s: %v is not a number; give one like 0.5", path, f)
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			nonFinite(v.Elem(), path, add)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if !v.Type().Field(i).IsExported() {
				continue
			}
			key, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("toml"), ",")
			nonFinite(v.Field(i), joinKey(path, key), add)
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			nonFinite(v.Index(i), fmt.Sprintf("%s[%d]", path, i), add)
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			nonFinite(v.MapIndex(k), joinKey(path, fmt.Sprint(k.Interface())), add)
		}
	}
}

// slaPriorities lists the configured SLA targets by priority.
func (c Config) slaPriorities() map[string]*SLAPriorityConfig {
	out := map[string]*SLAPriorityConfig{}
	for p, v := range map[string]*SLAPriorityConfig{"P1": c.SLA.P1, "P2": c.SLA.P2, "P3": c.SLA.P3, "P4": c.SLA.P4} {
		if v != nil {
			out[p] = v
		}
	}
	return out
}

// calendar is the desk's business hours; nil when none are configured (clocks then run 24×7).
func (c Config) calendar() (*hours.Calendar, error) {
	b := c.BusinessHours
	if b.Timezone == "" && len(b.Days) == 0 && b.Start == "" && b.End == "" && len(b.Holidays) == 0 {
		return nil, nil
	}
	return hours.ParseCalendar(b.Timezone, b.Days, b.Start, b.End, b.Holidays)
}

func (c Config) validateSLA(add func(string, ...any)) {
	if _, err := c.calendar(); err != nil {
		add("business_hours: %v", err)
	}
	if !(c.SLA.WarnAt >= 0 && c.SLA.WarnAt < 1) {
		add("sla.warn_at: %v must be a share between 0 and 1, like 0.75", c.SLA.WarnAt)
	}
	for p, t := range c.slaPriorities() {
		if t.Response < 0 || t.Resolution < 0 || (t.Response == 0 && t.Resolution == 0) {
			add("sla.%s: give response and/or resolution as durations, like \"1h\" and \"8h\"", p)
		}
	}
	for name, v := range c.Vendors {
		if !idPattern.MatchString(name) {
			add("vendors.%s: the name must be lower-case letters, digits, - or _ (it is typed as !vendor %s)", name, name)
		}
		if v.Response < 0 {
			add("vendors.%s.response: must not be negative", name)
		}
	}
	if c.CSAT.MinDaysBetween < 0 || c.CSAT.RemindAfter < 0 || c.CSAT.CommentWindow < 0 {
		add("csat: min_days_between, remind_after and comment_window must not be negative")
	}
	if c.CSAT.MinDaysBetween > maxDays {
		add("csat.min_days_between: %d must be at most %d days", c.CSAT.MinDaysBetween, maxDays)
	}
	for i, r := range c.PriorityRules {
		if !validPriority(r.Priority) {
			add("priority_rules[%d].priority: %q is not P1, P2, P3 or P4", i, r.Priority)
		}
		if strings.TrimSpace(r.Name) == "" {
			add("priority_rules[%d].name: must not be empty", i)
		}
		if len(r.Phrases) == 0 {
			add("priority_rules[%d].phrases: a rule needs at least one phrase", i)
		}
	}
}

// slackChannelPattern is a Slack channel id: people often paste a name ("#help") instead.
var slackChannelPattern = regexp.MustCompile(`^[CGD][A-Z0-9]{2,}$`)

// validateSlack explains each missing piece of a Slack connection, pointing at where Slack shows it.
func (c Config) validateSlack(add func(string, ...any)) {
	s := c.Slack
	if !strings.HasPrefix(s.BotToken, "xoxb-") {
		add("slack.bot_token: must be the Bot User OAuth Token, starting xoxb- (the app's OAuth & Permissions page, after installing it); put it in an environment variable and write \"${SLACK_BOT_TOKEN}\"")
	}
	switch s.Mode {
	case "socket":
		if !strings.HasPrefix(s.AppToken, "xapp-") {
			add("slack.app_token: socket mode needs an app-level token starting xapp- with the connections:write scope (Basic Information > App-Level Tokens); or set slack.mode = \"http\"")
		}
	case "http":
		if s.SigningSecret == "" {
			add("slack.signing_secret: http mode needs the Signing Secret (Basic Information > App Credentials) to verify Slack's requests")
		}
		if c.HTTP.Listen == "" {
			add("http.listen: http mode needs an address to listen on, like \":8080\"; Slack's request URL is then https://YOUR-HOST/slack/events")
		}
	default:
		add("slack.mode: %q must be \"socket\" or \"http\"", s.Mode)
	}
	for i, ch := range s.HelpChannels {
		if !slackChannelPattern.MatchString(ch) {
			add("slack.help_channels[%d]: %q is not a channel id: open the channel's details in Slack and copy the id at the bottom (like C0123ABCD)", i, ch)
		}
	}
	if s.APIURL != "" && !httpURL(s.APIURL) {
		add("slack.api_url: %q is not an http(s) URL", s.APIURL)
	}
}

// onCallPattern is a group a breach notice may ping.
var onCallPattern = regexp.MustCompile(`^(slack:subteam:S[A-Z0-9]+|discord:role:[0-9]{15,21})$`)

// snowflakePattern is a Discord id.
var snowflakePattern = regexp.MustCompile(`^[0-9]{15,21}$`)

// validateDiscord explains each missing piece of a Discord connection.
func (c Config) validateDiscord(add func(string, ...any)) {
	d := c.Discord
	switch tok := strings.TrimSpace(d.Token); {
	case tok == "":
		add("discord.token: must be the bot's token (Developer Portal > your application > Bot > Reset Token); put it in an environment variable and write \"${DISCORD_TOKEN}\"")
	case strings.HasPrefix(tok, "xox"):
		add("discord.token: %q looks like a Slack token", tok[:min(len(tok), 4)]+"...")
	}
	if d.Guild != "" && !snowflakePattern.MatchString(d.Guild) {
		add("discord.guild: %q is not a server id (Developer Mode on, then right-click the server > Copy Server ID)", d.Guild)
	}
	for i, ch := range d.HelpChannels {
		if !snowflakePattern.MatchString(ch) {
			add("discord.help_channels[%d]: %q is not a channel id (Developer Mode on, then right-click the channel > Copy Channel ID)", i, ch)
		}
	}
	for id, name := range d.Emoji {
		if !reactionPattern.MatchString(name) {
			add("discord.emoji.%s: %q is not a reaction name (like \"raising_hand\")", id, name)
		}
	}
	if d.APIURL != "" && !httpURL(d.APIURL) {
		add("discord.api_url: %q is not an http(s) URL", d.APIURL)
	}
}

func validRef(s string) bool {
	p, id, ok := strings.Cut(s, ":")
	return ok && idPattern.MatchString(p) && strings.TrimSpace(id) != "" && !strings.ContainsAny(id, " \t\n")
}

// httpURL reports whether s is an http(s) URL with a host ("http://" alone is not one).
func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func validPriority(p string) bool { return p == "P1" || p == "P2" || p == "P3" || p == "P4" }

// Bot returns the engine's config.
func (c Config) Bot() bot.Config {
	cfg := bot.Config{
		Name:          c.Desk.Name,
		CommandPrefix: c.Desk.CommandPrefix,
		HelpChannels:  c.helpChannels(),
		Admins:        c.Roles.Admins,
		Reactions: bot.Reactions{Claim: c.Reactions.Claim, Escalate: c.Reactions.Escalate, Resolve: c.Reactions.Resolve,
			Solved: c.Reactions.Solved, NotHelpful: c.Reactions.NotHelpful, Human: c.Reactions.Human, Urgent: c.Reactions.Urgent},
		MinConfidence:     c.KB.MinConfidence,
		SuggestConfidence: c.KB.SuggestConfidence,
		ReopenWindow:      time.Duration(c.Desk.ReopenWindow),
		DefaultPriority:   c.Desk.DefaultPriority,
	}
	for _, t := range c.Tiers {
		cfg.Tiers = append(cfg.Tiers, bot.Tier{ID: t.ID, Name: t.Name, Channel: t.Channel, Members: t.Members, EscalateOnBreach: t.EscalateOnBreach, OnCall: t.OnCall})
	}
	for _, r := range c.PriorityRules {
		cfg.PriorityRules = append(cfg.PriorityRules, bot.PriorityRule{Name: r.Name, Priority: r.Priority, Phrases: r.Phrases})
	}
	cfg.SLAWarnAt = c.SLA.WarnAt
	cfg.KBReviewChannel, cfg.KBStaleAfter, cfg.CaptureReaction = c.KB.ReviewChannel, time.Duration(c.KB.StaleAfter), c.Reactions.Capture
	cfg.CSAT = bot.CSATConfig{MinDaysBetween: c.CSAT.MinDaysBetween, RemindAfter: time.Duration(c.CSAT.RemindAfter), CommentWindow: time.Duration(c.CSAT.CommentWindow)}
	cfg.Flood = bot.FloodConfig{Messages: c.Flood.Messages, Window: time.Duration(c.Flood.Window), JoinWithin: time.Duration(c.Flood.JoinWithin)}
	cal, _ := c.calendar() // Validate has refused a bad one
	for name, v := range c.Vendors {
		target := bot.SLATarget{Response: time.Duration(v.Response)}
		if cal != nil && (v.BusinessHours == nil || *v.BusinessHours) {
			target.Hours = cal
		}
		if cfg.Vendors == nil {
			cfg.Vendors = map[string]bot.SLATarget{}
		}
		cfg.Vendors[name] = target
	}
	for p, t := range c.slaPriorities() {
		target := bot.SLATarget{Response: time.Duration(t.Response), Resolution: time.Duration(t.Resolution)}
		if cal != nil && (t.BusinessHours == nil || *t.BusinessHours) {
			target.Hours = cal
		}
		if cfg.SLA == nil {
			cfg.SLA = map[string]bot.SLATarget{}
		}
		cfg.SLA[p] = target
	}
	return cfg
}

// helpChannels are desk.help_channels and each platform's own help_channels, as "platform:channel".
func (c Config) helpChannels() []string {
	out := append([]string(nil), c.Desk.HelpChannels...)
	if c.Slack.Enabled {
		for _, ch := range c.Slack.HelpChannels {
			out = append(out, bot.JoinID("slack", ch))
		}
	}
	if c.Discord.Enabled {
		for _, ch := range c.Discord.HelpChannels {
			out = append(out, bot.JoinID("discord", ch))
		}
	}
	return out
}
