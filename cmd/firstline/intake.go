package main

// The config of chat-native intake: the reaction that turns any message into a ticket, which files the
// desk passes on, and the forms people fill in.

import (
	"github.com/firstline-desk/firstline/bot"
)

// FilesConfig says which attachments the desk passes on.
type FilesConfig struct {
	// MaxBytes is the largest file the desk passes on; larger ones are refused with a reply.
	MaxBytes int64 `toml:"max_bytes"`
	// Refuse are kinds of file refused: media types ("application/x-msdownload"), families
	// ("video/*") or name endings (".exe").
	Refuse []string `toml:"refuse"`
}

// FormConfig is one [[forms]]: a request type people fill in.
type FormConfig struct {
	ID    string `toml:"id"`
	Title string `toml:"title"`
	// Tier sends the ticket straight to that tier, with no answer from the knowledge base.
	Tier     string `toml:"tier"`
	Priority string `toml:"priority"`
	// Audience is who may see and use the form ("slack:subteam:S…", "discord:role:…", people); empty,
	// everyone.
	Audience []string          `toml:"audience"`
	Fields   []FormFieldConfig `toml:"fields"`
}

// FormFieldConfig is one [[forms.fields]].
type FormFieldConfig struct {
	ID    string `toml:"id"`
	Label string `toml:"label"`
	// Type is short_text, long_text, select, user, date or priority.
	Type     string   `toml:"type"`
	Options  []string `toml:"options"`
	Required bool     `toml:"required"`
}

// forms converts the [[forms]] to the engine's.
func (c Config) forms() []bot.Form {
	var out []bot.Form
	for _, f := range c.Forms {
		form := bot.Form{ID: f.ID, Title: f.Title, Tier: f.Tier, Priority: f.Priority, Audience: f.Audience}
		for _, fl := range f.Fields {
			form.Fields = append(form.Fields, bot.FormField{ID: fl.ID, Label: fl.Label, Type: bot.FieldType(fl.Type), Options: fl.Options, Required: fl.Required})
		}
		out = append(out, form)
	}
	return out
}

// intakeProblems adds what is wrong with the intake config.
func (c Config) intakeProblems(add func(format string, args ...any)) {
	r := c.Reactions
	if t := r.Ticket; t != "" && !reactionPattern.MatchString(t) {
		add("reactions.ticket: %q is not a reaction name (like \"ticket\", without colons)", t)
	} else if t != "" && (t == r.Claim || t == r.Escalate || t == r.Resolve || t == r.Solved || t == r.NotHelpful || t == r.Human || t == r.Urgent || t == r.Capture) {
		add("reactions.ticket: %q is already another reaction of the desk's", t)
	}
	for _, p := range (bot.FilesConfig{MaxBytes: c.Files.MaxBytes, Refuse: c.Files.Refuse}).Problems() {
		add("%s", p)
	}
	for i, f := range c.Forms {
		for j, m := range f.Audience {
			if !validRef(m) {
				add("forms[%d].audience[%d]: %q is not platform:user or platform:role:id", i, j, m)
			}
		}
	}
	cfg := bot.Config{Forms: c.forms()}
	for _, t := range c.Tiers {
		cfg.Tiers = append(cfg.Tiers, bot.Tier{ID: t.ID})
	}
	for _, p := range cfg.FormProblems() {
		add("forms: %s", p)
	}
}
