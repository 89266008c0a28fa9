package main

// From the config file's sections to the typed Config of each package that needs one (bot.Config,
// console.Config, openai.Config, kb.HybridOptions): the file's layout stays this package's business.

import (
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/firstline-desk/firstline/adapters/console"
	"github.com/firstline-desk/firstline/adapters/openai"
	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/hours"
	"github.com/firstline-desk/firstline/kb"
)

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

// Bot returns the engine's config.
func (c Config) Bot() bot.Config {
	cfg := bot.Config{
		Name:          c.Desk.Name,
		CommandPrefix: c.Desk.CommandPrefix,
		HelpChannels:  c.helpChannels(),
		Admins:        c.Roles.Admins,
		Reactions: bot.Reactions{Claim: c.Reactions.Claim, Escalate: c.Reactions.Escalate, Resolve: c.Reactions.Resolve,
			Solved: c.Reactions.Solved, NotHelpful: c.Reactions.NotHelpful, Human: c.Reactions.Human, Urgent: c.Reactions.Urgent,
			Ticket: c.Reactions.Ticket},
		Files:             bot.FilesConfig{MaxBytes: c.Files.MaxBytes, Refuse: c.Files.Refuse},
		Forms:             c.forms(),
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
	// The actions themselves come with their runners from actionDefs, which the desk's run calls.
	cfg.ActionsOff = c.Desk.ActionsEnabled != nil && !*c.Desk.ActionsEnabled
	cfg.ApprovalsChannel = c.Desk.ApprovalsChannel
	cfg.KBReviewChannel, cfg.KBStaleAfter, cfg.CaptureReaction = c.KB.ReviewChannel, time.Duration(c.KB.StaleAfter), c.Reactions.Capture
	cfg.CSAT = bot.CSATConfig{MinDaysBetween: c.CSAT.MinDaysBetween, RemindAfter: time.Duration(c.CSAT.RemindAfter), CommentWindow: time.Duration(c.CSAT.CommentWindow)}
	cfg.Alerts = c.alertConfig()
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

// agreement is the configured kb.Agreement: the default with the keys that are set.
func (h HybridConfig) agreement() kb.Agreement {
	a := kb.DefaultAgreement
	if h.AgreementBias != nil {
		a.Bias = *h.AgreementBias
	}
	if h.AgreementLexical != nil {
		a.Lexical = *h.AgreementLexical
	}
	if h.AgreementLead != nil {
		a.Lead = *h.AgreementLead
	}
	return a
}

func on(b *bool) bool { return b == nil || *b }

func (c LLMConfig) client() openai.Config {
	return openai.Config{
		BaseURL:          c.BaseURL,
		APIKey:           c.APIKey,
		APIType:          c.APIType,
		APIVersion:       c.APIVersion,
		Model:            c.Model,
		EmbeddingModel:   c.EmbeddingModel,
		Timeout:          time.Duration(c.Timeout),
		MaxTokens:        c.MaxTokens,
		Temperature:      c.Temperature,
		Stream:           c.Stream,
		MaxRetries:       c.Retries,
		CallsPerHour:     c.CallsPerHour,
		UserCallsPerHour: c.UserCallsPerHour,
		BreakerFailures:  c.BreakerFailures,
		BreakerCooldown:  time.Duration(c.BreakerCooldown),
	}
}

func (c LLMConfig) hybrid(desk Config, logger *slog.Logger) kb.HybridOptions {
	h := c.Hybrid
	opts := kb.HybridOptions{
		Candidates:        h.Candidates,
		Fusion:            h.Fusion,
		Agreement:         h.agreement(),
		RRFK:              h.RRFK,
		LexicalWeight:     h.LexicalWeight,
		VectorWeight:      h.VectorWeight,
		PromoteConfidence: desk.KB.SuggestConfidence,
		Logger:            logger,
	}
	if h.Low != 0 || h.High != 0 || h.Max != 0 || h.Lead != 0 {
		opts.Confidence = kb.DefaultVectorConfidence
		if h.Low != 0 || h.High != 0 {
			opts.Confidence.Low, opts.Confidence.High = h.Low, h.High
		}
		if h.Max != 0 {
			opts.Confidence.Max = h.Max
		}
		if h.Lead != 0 {
			opts.Confidence.Lead = h.Lead
		}
	}
	return opts
}

// modelOptions is what the engine is told about the model.
func (c LLMConfig) modelOptions() bot.ModelOptions {
	return bot.ModelOptions{
		Sources:             c.Sources,
		MinSourceConfidence: c.MinSourceConfidence,
		MaxAnswerChars:      c.MaxAnswerChars,
		NoAnswers:           !on(c.Answers),
		Summaries:           on(c.Summaries),
		Triage:              on(c.Triage),
		Categories:          c.Categories,
	}
}

// consoleConfig names the console's people and channels after the desk's config.
func consoleConfig(cfg Config) console.Config {
	c := console.Config{BotName: strings.ToLower(cfg.Desk.Name), User: cfg.Console.User, Channel: cfg.Console.Channel}
	seen := map[string]bool{}
	addUser := func(id, role string) {
		p, name := bot.SplitID(id)
		if p != "console" || seen[name] {
			return
		}
		seen[name] = true
		c.Users = append(c.Users, console.User{Name: name, Role: role})
	}
	addUser("console:"+cfg.Console.User, "employee")
	for _, t := range cfg.Tiers {
		for _, mem := range t.Members {
			addUser(mem, t.Name)
		}
	}
	for _, a := range cfg.Roles.Admins {
		addUser(a, "admin")
	}
	for _, ch := range cfg.Desk.HelpChannels {
		if p, name := bot.SplitID(ch); p == "console" && !slices.Contains(c.Channels, name) {
			c.Channels = append(c.Channels, name)
		}
	}
	for _, t := range cfg.Tiers {
		if p, name := bot.SplitID(t.Channel); p == "console" && !slices.Contains(c.Channels, name) {
			c.Channels = append(c.Channels, name)
		}
	}
	if p, name := bot.SplitID(cfg.KB.ReviewChannel); p == "console" && name != "" && !slices.Contains(c.Channels, name) {
		c.Channels = append(c.Channels, name)
	}
	return c
}
