package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/internal/plural"
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
	Web           WebConfig               `toml:"web"`
	Log           LogConfig               `toml:"log"`
	LLM           LLMConfig               `toml:"llm"`
	Flood         FloodConfig             `toml:"flood"`
	Alerts        AlertsConfig            `toml:"alerts"`
	AlertRoutes   []AlertRouteConfig      `toml:"alert_routes"`
	Files         FilesConfig             `toml:"files"`
	Forms         []FormConfig            `toml:"forms"`
	Actions       []ActionConfig          `toml:"actions"`
	Storage       StorageConfig           `toml:"storage"`
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
	// ActionsEnabled false turns every action off ([[actions]]); unset is on. "!actions on" cannot undo it.
	ActionsEnabled *bool `toml:"actions_enabled"`
	// ApprovalsChannel ("platform:channel") receives the approval cards of actions that name no channel.
	ApprovalsChannel string `toml:"approvals_channel"`
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
	// Ticket on any message in a channel the bot is in turns it into a ticket ("" for none).
	Ticket string `toml:"ticket"`
}

// KBConfig is the knowledge base.
type KBConfig struct {
	// Dir is a folder of Markdown articles imported (added or updated) at every start; relative to the
	// config file's folder (resolvePaths).
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
	// logs do not interleave with the chat. Relative to the config file's folder (resolvePaths).
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
		Reactions: ReactionsConfig{Claim: r.Claim, Escalate: r.Escalate, Resolve: r.Resolve, Solved: r.Solved, NotHelpful: r.NotHelpful, Human: r.Human, Capture: "books", Urgent: r.Urgent, Ticket: r.Ticket},
		Files:     FilesConfig{MaxBytes: bot.DefaultMaxFileBytes},
		KB:        KBConfig{MinConfidence: kb.DefaultMinConfidence, SuggestConfidence: defaultSuggestConfidence, StaleAfter: Duration(180 * 24 * time.Hour)},
		Console:   ConsoleConfig{User: "alice", Channel: "help"},
		Slack:     SlackConfig{Mode: "socket"},
		CSAT:      CSATConfig{RemindAfter: Duration(24 * time.Hour), CommentWindow: Duration(time.Hour)},
		Log:       LogConfig{Level: "info", Format: "text"},
		LLM:       LLMConfig{APIType: "openai", Timeout: Duration(30 * time.Second), UserCallsPerHour: 30, Temperature: 0.2},
		Flood:     FloodConfig{Messages: 8, Window: Duration(time.Minute), JoinWithin: Duration(30 * time.Second)},
		Alerts:    AlertsConfig{FloodNotices: defaultAlertFloodNotices, FloodWindow: Duration(defaultAlertFloodWindow)},
		Storage:   defaultStorage(),
	}
}

// LoadConfig reads a config file: defaults, then the file (strictly: an unknown key is an error with its
// line and column), then ${ENV} references, then Validate.
func LoadConfig(name string) (Config, error) {
	data, base, err := readConfigFile(name)
	if err != nil {
		return Config{}, err
	}
	return parseConfig(name, base, data, os.LookupEnv, false)
}

// ParseConfig is LoadConfig on bytes; lookup resolves ${ENV} references. Relative paths in it (kb.dir,
// log.file) are resolved against name's folder, so a config means the same whatever the working directory
// of the process (under systemd, /).
func ParseConfig(name string, data []byte, lookup func(string) (string, bool)) (Config, error) {
	return parseConfig(name, filepath.Dir(name), data, lookup, false)
}

// parseConfig is ParseConfig with relative paths resolved against base; with base "" they stay relative
// to the working directory. With offline, the config is read for a command that opens no connection
// (see connectionKey): a connection's credential whose variable is unset is left empty, not a problem.
func parseConfig(name, base string, data []byte, lookup func(string) (string, bool), offline bool) (Config, error) {
	cfg := DefaultConfig()
	dec := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return Config{}, configError(name, err)
	}
	problems := cfg.literalSecrets()
	expandEnv(reflect.ValueOf(&cfg).Elem(), "", lookup, &problems)
	cfg.resolvePaths(base)
	var unset []string
	if offline {
		problems, unset = unsetCredentials(problems)
	}
	if err := cfg.Validate(); err != nil {
		problems = append(problems, withoutKeys(err.(*ConfigError).Problems, unset)...)
	}
	if len(problems) > 0 {
		return Config{}, fmt.Errorf("%s: %w", name, &ConfigError{Problems: problems})
	}
	return cfg, nil
}

// resolvePaths makes the file's relative paths (kb.dir, log.file) relative to base, the config file's
// folder; ${ENV} references are expanded before.
func (c *Config) resolvePaths(base string) {
	if base == "" {
		return
	}
	for _, p := range []*string{&c.KB.Dir, &c.Log.File} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(base, *p)
		}
	}
}

// ConfigError lists everything wrong with a config, each problem naming its key.
type ConfigError struct {
	Problems []string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("%s:\n  %s", plural.Count(len(e.Problems), "problem", "problems"), strings.Join(e.Problems, "\n  "))
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
	case reflect.Pointer:
		if !v.IsNil() {
			expandEnv(v.Elem(), path, lookup, problems)
		}
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

// LLMConfig is [llm]: the connection to a language-model API behind any OpenAI-compatible endpoint
// (OpenAI, Azure OpenAI, llama.cpp, vLLM, Ollama), and the two models it serves: Model for answers written
// from the articles, handoff summaries and triage, EmbeddingModel for hybrid search. The section names the
// endpoint, and keeps its name: a [model] would hold two models and a key named model (docs/configuration.md).
// See docs/model.md.
type LLMConfig struct {
	Enabled bool `toml:"enabled"`
	// BaseURL includes the version path for OpenAI-compatible servers ("http://localhost:11434/v1");
	// for Azure it is the resource endpoint ("https://NAME.openai.azure.com").
	BaseURL    string `toml:"base_url"`
	APIKey     string `toml:"api_key"`
	APIType    string `toml:"api_type"`
	APIVersion string `toml:"api_version"`
	Model      string `toml:"model"`
	// EmbeddingModel turns on hybrid search; empty keeps search lexical.
	EmbeddingModel   string   `toml:"embedding_model"`
	Timeout          Duration `toml:"timeout"`
	MaxTokens        int      `toml:"max_tokens"`
	Temperature      float64  `toml:"temperature"`
	Stream           bool     `toml:"stream"`
	Retries          int      `toml:"retries"`
	CallsPerHour     int      `toml:"calls_per_hour"`
	UserCallsPerHour int      `toml:"user_calls_per_hour"`
	BreakerFailures  int      `toml:"breaker_failures"`
	BreakerCooldown  Duration `toml:"breaker_cooldown"`
	// What the model is used for (all on by default).
	Answers   *bool `toml:"answers"`
	Summaries *bool `toml:"summaries"`
	Triage    *bool `toml:"triage"`
	// Categories the model may put a ticket in.
	Categories []string `toml:"categories"`
	// Sources, MinSourceConfidence and MaxAnswerChars tune grounded answers (see bot.ModelOptions).
	Sources             int          `toml:"sources"`
	MinSourceConfidence float64      `toml:"min_source_confidence"`
	MaxAnswerChars      int          `toml:"max_answer_chars"`
	Hybrid              HybridConfig `toml:"hybrid"`
}

// HybridConfig tunes the fusion of lexical and embedding search (see kb.HybridOptions).
type HybridConfig struct {
	Candidates    int     `toml:"candidates"`
	Fusion        string  `toml:"fusion"`
	RRFK          float64 `toml:"rrf_k"`
	LexicalWeight float64 `toml:"lexical_weight"`
	VectorWeight  float64 `toml:"vector_weight"`
	// The confidence of an article the lexical search found, revised by the embedding (kb.Agreement);
	// pointers, as 0 is a value (lead 0 ignores the embedding) and unset is the default.
	AgreementBias    *float64 `toml:"agreement_bias"`
	AgreementLexical *float64 `toml:"agreement_lexical"`
	AgreementLead    *float64 `toml:"agreement_lead"`
	// The cosine-to-confidence ramp of articles found by embedding alone.
	Low  float64 `toml:"low"`
	High float64 `toml:"high"`
	Max  float64 `toml:"max"`
	Lead float64 `toml:"lead"`
}

// FloodConfig keeps one person from swamping the desk (see bot.FloodConfig).
type FloodConfig struct {
	Messages   int      `toml:"messages"`
	Window     Duration `toml:"window"`
	JoinWithin Duration `toml:"join_within"`
}

// config loads the config file, or the embedded demo config when none is given.
func (m *Main) config() (Config, error) { return m.loadConfig(false) }

// loadConfig is config; with offline, for a command that opens no connection (offlineConfig).
func (m *Main) loadConfig(offline bool) (Config, error) {
	if m.configFile == "" {
		data, err := demoFS.ReadFile("demo/firstline.toml")
		if err != nil {
			return Config{}, fmt.Errorf("read the demo config: %w", err)
		}
		return ParseConfig("demo/firstline.toml", data, m.Getenv)
	}
	data, base, err := readConfigFile(m.configFile)
	if err != nil {
		return Config{}, err
	}
	return parseConfig(m.configFile, base, data, m.Getenv, offline)
}

// maxConfigSize bounds what is read of a config file: a real one is a few kilobytes.
const maxConfigSize = 1 << 20

// readConfigFile reads a config file of at most maxConfigSize bytes, and returns the folder its relative
// paths are relative to: its own, or "" (the working directory) for a pipe. A pipe is allowed (`-config
// <(generate-config)`), so the open may wait for its writer; a signal still ends the wait (exitIfStuck),
// and /dev/zero or a huge file is refused instead of read whole.
func readConfigFile(name string) (data []byte, base string, err error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, "", fmt.Errorf("read config: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err == nil && fi.IsDir() {
		return nil, "", fmt.Errorf("read config: %s is a folder, not a file", name)
	}
	if err == nil && fi.Mode().IsRegular() {
		base = filepath.Dir(name)
	}
	data, err = io.ReadAll(io.LimitReader(f, maxConfigSize+1))
	if err != nil {
		return nil, "", fmt.Errorf("read config: %w", err)
	}
	if len(data) > maxConfigSize {
		return nil, "", fmt.Errorf("read config: %s is larger than %d bytes (1 MiB); is it the right file?", name, maxConfigSize)
	}
	return data, base, nil
}
