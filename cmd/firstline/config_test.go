package main

import (
	"github.com/firstline-desk/firstline/bot"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/kb"
)

func noEnv(string) (string, bool) { return "", false }

// TestExampleConfigLoads keeps config.example.toml true: every key in it exists, and its values are the
// defaults it claims.
func TestExampleConfigLoads(t *testing.T) {
	data, err := os.ReadFile("../../config.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ParseConfig("config.example.toml", data, noEnv)
	if err != nil {
		t.Fatalf("the example config does not load: %v", err)
	}
	def := DefaultConfig()
	if cfg.Desk.ReopenWindow != def.Desk.ReopenWindow || cfg.KB.MinConfidence != kb.DefaultMinConfidence || cfg.KB.SuggestConfidence != def.KB.SuggestConfidence ||
		cfg.Reactions != def.Reactions || cfg.Desk.CommandPrefix != def.Desk.CommandPrefix || cfg.Log != def.Log {
		t.Fatalf("the example's values differ from the defaults it documents:\nexample %+v\ndefault %+v", cfg, def)
	}
	if cfg.Slack.Enabled != def.Slack.Enabled || cfg.Slack.Mode != def.Slack.Mode || cfg.HTTP != def.HTTP {
		t.Fatalf("the example's [slack] or [http] differ from the defaults: %+v %+v", cfg.Slack, cfg.HTTP)
	}
	if cfg.Alerts != def.Alerts || len(cfg.AlertRoutes) != 0 {
		t.Fatalf("the example's [alerts] differ from the defaults: %+v %+v", cfg.Alerts, cfg.AlertRoutes)
	}
	if len(cfg.Tiers) != 2 || cfg.Bot().Tiers[1].Channel != "console:tier3" {
		t.Fatalf("tiers = %+v", cfg.Tiers)
	}
	if cfg.Files.MaxBytes != def.Files.MaxBytes || len(cfg.Files.Refuse) != 0 {
		t.Fatalf("the example's [files] differ from the defaults: %+v", cfg.Files)
	}
	if f := cfg.Bot().Forms; len(f) != 1 || f[0].ID != "access" || len(f[0].Fields) != 3 || f[0].Fields[0].Type != bot.FieldSelect {
		t.Fatalf("forms = %+v", f)
	}
}

func TestDemoConfigLoads(t *testing.T) {
	data, err := demoFS.ReadFile("demo/firstline.toml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseConfig("demo", data, noEnv); err != nil {
		t.Fatal(err)
	}
}

const minimal = `
[desk]
help_channels = ["console:help"]
[[tiers]]
id = "tier2"
name = "Tier 2"
channel = "console:tier2"
members = ["console:tom"]
`

func TestBrokenConfigSaysWhereAndWhy(t *testing.T) {
	tests := []struct {
		name string
		toml string
		want []string
	}{
		{"unknown key", minimal + "[desk]\n", []string{"x.toml:"}},
		{"unknown key in table", "[desk]\nnmae = \"x\"\n", []string{`x.toml:2:1: unknown key "desk.nmae"`}},
		{"two unknown keys", "[desk]\nnmae = \"x\"\n[kb]\nmin_confidense = 1\n", []string{`x.toml:2:1: unknown key "desk.nmae"`, `x.toml:4:1: unknown key "kb.min_confidense"`}},
		{"syntax", "[desk\nname = 1\n", []string{"x.toml:1:"}},
		{"type", "[desk]\nname = 12\n", []string{"x.toml:2:", "desk.name"}},
		{"bad duration", "[desk]\nreopen_window = \"a week\"\n", []string{"x.toml:2:", `bad duration "a week"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig("x.toml", []byte(tt.toml), noEnv)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Fatalf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestValidateListsEveryProblem(t *testing.T) {
	bad := `
[desk]
command_prefix = ""
help_channels = ["help"]
default_priority = "P9"
[roles]
admins = ["ada"]
[[tiers]]
id = "Tier 2"
name = ""
channel = "tier2"
members = []
[[tiers]]
id = "t3"
name = "T3"
channel = "console:tier3"
members = ["console:sara"]
[reactions]
claim = ":raising_hand:"
escalate = "arrow_up"
resolve = "arrow_up"
[kb]
min_confidence = 1.5
[log]
level = "loud"
`
	_, err := ParseConfig("bad.toml", []byte(bad), noEnv)
	if err == nil {
		t.Fatal("no error")
	}
	for _, w := range []string{"desk.command_prefix", "desk.help_channels[0]", "desk.default_priority", "roles.admins[0]",
		"tiers[0].id", "tiers[0].name", "tiers[0].channel", "tiers[0].members", "reactions.claim", "reactions: claim, escalate and resolve",
		"kb.min_confidence", "log.level"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("the error does not mention %s:\n%v", w, err)
		}
	}
	if strings.Contains(err.Error(), "tiers[1]") {
		t.Errorf("a good tier was reported: %v", err)
	}
}

func TestEnvExpansion(t *testing.T) {
	env := map[string]string{"DESK_NAME": "Helpdesk", "TECH": "console:tom"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	cfg, err := ParseConfig("x.toml", []byte(minimal+"members2 = 1\n"), lookup)
	if err == nil {
		t.Fatalf("unknown key accepted: %+v", cfg)
	}
	src := strings.Replace(minimal, `members = ["console:tom"]`, `members = ["${TECH}"]`, 1) + "\n[console]\nuser = \"alice\"\n"
	src = strings.Replace(src, "[desk]\n", "[desk]\nname = \"${DESK_NAME}\"\n", 1)
	cfg, err = ParseConfig("x.toml", []byte(src), lookup)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Desk.Name != "Helpdesk" || cfg.Tiers[0].Members[0] != "console:tom" {
		t.Fatalf("not expanded: %q %q", cfg.Desk.Name, cfg.Tiers[0].Members)
	}
	_, err = ParseConfig("x.toml", []byte(strings.Replace(src, "${TECH}", "${MISSING_TOKEN}", 1)), lookup)
	if err == nil || !strings.Contains(err.Error(), "tiers[0].members[0]: environment variable MISSING_TOKEN is not set") {
		t.Fatalf("missing variable: %v", err)
	}
}

func TestDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{{"7d", 7 * 24 * time.Hour}, {"1.5d", 36 * time.Hour}, {"90s", 90 * time.Second}, {"4h", 4 * time.Hour}}
	for _, tt := range tests {
		var d Duration
		if err := d.UnmarshalText([]byte(tt.in)); err != nil || time.Duration(d) != tt.want {
			t.Errorf("%s = %v, %v; want %v", tt.in, time.Duration(d), err, tt.want)
		}
	}
	var d Duration
	if err := d.UnmarshalText([]byte("xd")); err == nil {
		t.Error("xd accepted")
	}
}

// TestSlackConfig checks that each missing piece of a Slack connection is explained, and that a complete
// one loads with its help channels joined to the desk's.
func TestSlackConfig(t *testing.T) {
	env := func(k string) (string, bool) {
		v, ok := map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}[k]
		return v, ok
	}
	tests := []struct {
		name  string
		slack string
		want  []string // problems that must be reported; none means the config loads
	}{
		{name: "socket mode complete", slack: `enabled = true
bot_token = "${SLACK_BOT_TOKEN}"
app_token = "${SLACK_APP_TOKEN}"
help_channels = ["C0HELP"]`},
		{name: "nothing set", slack: `enabled = true`, want: []string{"slack.bot_token", "xoxb-", "slack.app_token", "xapp-"}},
		{name: "tokens swapped", slack: `enabled = true
bot_token = "xapp-1"
app_token = "xoxb-1"`, want: []string{"slack.bot_token", "slack.app_token"}},
		{name: "http mode needs a secret and a listener", slack: `enabled = true
mode = "http"
bot_token = "xoxb-1"`, want: []string{"slack.signing_secret", "http.listen"}},
		{name: "unknown mode", slack: `enabled = true
mode = "rtm"
bot_token = "xoxb-1"`, want: []string{"slack.mode"}},
		{name: "channel name instead of id", slack: `enabled = true
bot_token = "xoxb-1"
app_token = "xapp-1"
help_channels = ["#help"]`, want: []string{"slack.help_channels[0]", "channel id"}},
		{name: "disabled is not checked", slack: `enabled = false`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ParseConfig("f.toml", []byte(minimal+"[slack]\n"+tt.slack+"\n"), env)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if tt.name == "socket mode complete" && !slices.Contains(cfg.Bot().HelpChannels, "slack:C0HELP") {
					t.Fatalf("help channels %v lack slack:C0HELP", cfg.Bot().HelpChannels)
				}
				return
			}
			if err == nil {
				t.Fatal("loaded; want problems")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestDiscordConfig(t *testing.T) {
	tests := []struct {
		name    string
		discord string
		want    []string
	}{
		{name: "complete", discord: `enabled = true
token = "${DISCORD_TOKEN}"
help_channels = ["123456789012345678"]
guild = "223456789012345678"
[discord.emoji]
"323456789012345678" = "raising_hand"`},
		{name: "no token", discord: `enabled = true`, want: []string{"discord.token", "Reset Token"}},
		{name: "names instead of ids", discord: `enabled = true
token = "abc"
help_channels = ["#help"]
guild = "My Company"`, want: []string{"discord.help_channels[0]", "Copy Channel ID", "discord.guild"}},
		{name: "bad emoji name", discord: `enabled = true
token = "abc"
[discord.emoji]
claim = ":raising_hand:"`, want: []string{"discord.emoji.claim"}},
	}
	env := func(k string) (string, bool) { return "tok", k == "DISCORD_TOKEN" }
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ParseConfig("f.toml", []byte(minimal+"[discord]\n"+tt.discord+"\n"), env)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Contains(cfg.Bot().HelpChannels, "discord:123456789012345678") {
					t.Fatalf("help channels %v", cfg.Bot().HelpChannels)
				}
				return
			}
			if err == nil {
				t.Fatal("loaded; want problems")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

// TestSLAConfig checks that business hours, targets and priority rules reach the engine, a 24×7
// priority runs on the wall clock, and mistakes are explained.
func TestSLAConfig(t *testing.T) {
	good := minimal + `
[business_hours]
timezone = "Europe/Paris"
days = ["mon", "tue", "wed", "thu", "fri"]
start = "09:00"
end = "17:00"
holidays = ["2026-12-25"]
[sla]
warn_at = 0.8
[sla.P1]
response = "15m"
resolution = "4h"
business_hours = false
[sla.P3]
response = "4h"
resolution = "16h"
[[priority_rules]]
name = "outage"
priority = "P2"
phrases = ["outage"]
`
	cfg, err := ParseConfig("f.toml", []byte(good), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	b := cfg.Bot()
	if b.SLAWarnAt != 0.8 || len(b.PriorityRules) != 1 || b.PriorityRules[0].Priority != "P2" {
		t.Fatalf("bot config %+v", b)
	}
	if b.SLA["P1"].Hours != nil || b.SLA["P3"].Hours == nil || b.SLA["P3"].Resolution != 16*time.Hour {
		t.Fatalf("SLA targets %+v", b.SLA)
	}
	// Friday 16:00 in Paris plus 4 business hours is Monday 12:00.
	paris, _ := time.LoadLocation("Europe/Paris")
	friday := time.Date(2026, 11, 6, 16, 0, 0, 0, paris)
	if got := b.SLA["P3"].Hours.Add(friday, 4*time.Hour); !got.Equal(time.Date(2026, 11, 9, 12, 0, 0, 0, paris)) {
		t.Fatalf("Friday 16:00 + 4h = %v", got)
	}

	bad := minimal + `
[business_hours]
timezone = "Mars/Olympus"
days = ["funday"]
start = "9"
end = "17:00"
[sla]
warn_at = 1.5
[sla.P2]
[[priority_rules]]
name = "x"
priority = "P9"
`
	_, err = ParseConfig("f.toml", []byte(bad), noEnv)
	for _, w := range []string{"business_hours", "Mars/Olympus", "funday", "sla.warn_at", "sla.P2", "priority_rules[0].priority", "priority_rules[0].phrases"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q: %v", w, err)
		}
	}
}

// TestConfigRefusesNonNumbers: NaN compares false with everything, so a range check written the usual way
// lets it through; and a day count past what a duration holds used to wrap to a negative one.
func TestConfigRefusesNonNumbers(t *testing.T) {
	for _, tc := range []struct{ toml, key string }{
		{"[kb]\nmin_confidence = nan\n", "kb.min_confidence"},
		{"[kb]\nsuggest_confidence = nan\n", "kb.suggest_confidence"},
		{"[sla]\nwarn_at = nan\n", "sla.warn_at"},
		{"[desk]\nreopen_window = \"NaNd\"\n", "bad duration"},
		{"[desk]\nreopen_window = \"1e300d\"\n", "bad duration"},
		{"[desk]\nreopen_window = \"Infd\"\n", "bad duration"},
	} {
		data := "[[tiers]]\nid = \"t2\"\nname = \"Tier 2\"\nchannel = \"console:t2\"\nmembers = [\"console:tom\"]\n" + tc.toml
		_, err := ParseConfig("f.toml", []byte(data), noEnv)
		if err == nil || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("%q: err = %v, want one naming %s", tc.toml, err, tc.key)
		}
	}
}

func TestAPIURLsNeedAHost(t *testing.T) {
	for _, tc := range []struct{ toml, key string }{
		{"[discord]\nenabled = true\ntoken = \"x\"\napi_url = \"http://\"\n", "discord.api_url"},
		{"[slack]\nenabled = true\nbot_token = \"xoxb-1\"\napp_token = \"xapp-1\"\napi_url = \"https:///api\"\n", "slack.api_url"},
	} {
		data := "[[tiers]]\nid = \"t2\"\nname = \"Tier 2\"\nchannel = \"console:t2\"\nmembers = [\"console:tom\"]\n" + tc.toml
		_, err := ParseConfig("f.toml", []byte(data), noEnv)
		if err == nil || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("%q: err = %v, want one naming %s", tc.toml, err, tc.key)
		}
	}
}

// TestRelativePathsFollowTheConfigFile checks that kb.dir and log.file, written relative, are found beside
// the config file whatever the working directory (under systemd it is /), that absolute ones stay as they
// are, and that ${ENV} references are expanded first.
func TestRelativePathsFollowTheConfigFile(t *testing.T) {
	etc := t.TempDir()
	if err := os.Mkdir(filepath.Join(etc, "kb"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(etc, "kb", "vpn.md"), kbFile("vpn", "VPN", "Restart the client."))
	elsewhere := t.TempDir()
	t.Chdir(elsewhere) // not the config's folder
	name := filepath.Join(etc, "firstline.toml")
	tiers := "\n[[tiers]]\nid = \"tier2\"\nname = \"Tier 2\"\nchannel = \"console:tier2\"\nmembers = [\"console:tom\"]\n"
	writeFile(t, name, "[kb]\ndir = \"kb\"\n\n[log]\nfile = \"${LOGS}/firstline.log\"\n"+tiers)
	env := func(k string) (string, bool) { return map[string]string{"LOGS": "logs"}[k], k == "LOGS" }
	m := &Main{configFile: name, Getenv: env}
	cfg, err := m.config()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.KB.Dir != filepath.Join(etc, "kb") || cfg.Log.File != filepath.Join(etc, "logs", "firstline.log") {
		t.Fatalf("kb.dir %q, log.file %q: want them in %s", cfg.KB.Dir, cfg.Log.File, etc)
	}
	abs := filepath.Join(elsewhere, "kb")
	if err := os.Mkdir(abs, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(abs, "wifi.md"), kbFile("wifi", "Wi-Fi", "Forget the network."))
	writeFile(t, name, "[kb]\ndir = "+tomlString(abs)+"\n"+tiers)
	if cfg, err := LoadConfig(name); err != nil || cfg.KB.Dir != abs {
		t.Fatalf("an absolute kb.dir: %q, %v", cfg.KB.Dir, err)
	}

	// The desk itself imports the folder beside its config, run from another directory.
	writeFile(t, name, "[kb]\ndir = \"kb\"\n"+tiers)
	data := t.TempDir()
	runConsoleDesk(t, name, data, "")
	if got := articleVersions(t, data, "vpn"); len(got) != 1 {
		t.Fatalf("the desk did not import kb/ beside its config: %v", got)
	}
}
