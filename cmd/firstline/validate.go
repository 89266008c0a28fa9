package main

// Validate: every problem of a config at once, each naming its key, with what to do about it.

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/internal/plural"
)

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
	c.webProblems(add)
	c.alertsProblems(add)
	c.intakeProblems(add)
	c.actionProblems(add)
	c.storageProblems(add)
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
		add("retention.closed_ticket_days: %s is shorter than desk.reopen_window (%g days): a ticket could be deleted while its requester may still reopen it",
			plural.Count(days, "day", "days"), time.Duration(c.Desk.ReopenWindow).Hours()/24)
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

// problems lists what is wrong with [llm], each naming its key.
func (c LLMConfig) problems() []string {
	if !c.Enabled {
		return nil
	}
	var p []string
	if err := c.client().Validate(); err != nil {
		var list interface{ Unwrap() []error }
		if errors.As(err, &list) {
			for _, e := range list.Unwrap() {
				p = append(p, "llm."+strings.TrimPrefix(e.Error(), bot.EINVALID+": "))
			}
		} else {
			p = append(p, "llm: "+err.Error())
		}
	}
	if c.Sources < 0 || c.Sources > 10 {
		p = append(p, fmt.Sprintf("llm.sources: %d must be between 1 and 10", c.Sources))
	}
	if !(c.MinSourceConfidence >= 0 && c.MinSourceConfidence <= 1) { // written so NaN fails too
		p = append(p, fmt.Sprintf("llm.min_source_confidence: %v must be between 0 and 1", c.MinSourceConfidence))
	}
	if c.MaxAnswerChars < 0 {
		p = append(p, "llm.max_answer_chars: must not be negative")
	}
	for i, cat := range c.Categories {
		if !idPattern.MatchString(cat) {
			p = append(p, fmt.Sprintf("llm.categories[%d]: %q must be lower-case letters, digits, - or _", i, cat))
		}
	}
	if c.EmbeddingModel != "" && c.Hybrid != (HybridConfig{}) {
		// All of [llm.hybrid]: candidates, fusion, rrf_k and the weights, the agreement and the ramp.
		if err := c.hybrid(Config{}, nil).Validate(); err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				p = append(p, "llm.hybrid: "+line)
			}
		}
	}
	return p
}
