package bot

// Forms: request types people fill in ("Access request", "New laptop"), defined in the config. This file
// is the forms themselves: their fields, who may use which, and how a submission is checked. What a
// submission does is in formflow.go.

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// FieldType is the kind of answer a form's field takes.
type FieldType string

// The field types.
const (
	FieldShortText FieldType = "short_text" // one line, at most MaxShortText characters
	FieldLongText  FieldType = "long_text"  // several lines, at most MaxLongText characters
	FieldSelect    FieldType = "select"     // one of Options
	FieldUser      FieldType = "user"       // a person of the platform: "platform:id"
	FieldDate      FieldType = "date"       // a day, written 2006-01-02
	FieldPriority  FieldType = "priority"   // P1 (most urgent) to P4; sets the ticket's priority
)

// The longest answers a text field takes, in characters: what a Slack modal's input and a Discord
// modal's short input both hold.
const (
	MaxShortText = 150
	MaxLongText  = 3000
)

// Form is a request type: what people fill in, and where the ticket goes.
type Form struct {
	ID    string // "access": "/firstline new access", "/form access"
	Title string // "Access request"
	// Tier, when set, sends the ticket straight to that tier, with no answer from the knowledge base;
	// otherwise the answers are searched like any question.
	Tier string
	// Priority is the ticket's priority ("P1".."P4"); "" leaves it to the priority rules, or to a
	// priority field.
	Priority string
	// Audience is who may see and use the form: "platform:id" of people, or "platform:role:id" /
	// "slack:subteam:S…" of groups; empty, everyone. Admins may use every form.
	Audience []string
	Fields   []FormField
}

// FormField is one question of a form.
type FormField struct {
	ID       string // the answer's key in a submission
	Label    string // the question: "Which system?"
	Type     FieldType
	Options  []string // a select's choices
	Required bool
}

// MaxLength is the most characters an answer to the field takes.
func (f FormField) MaxLength() int {
	switch f.Type {
	case FieldLongText:
		return MaxLongText
	case FieldSelect:
		n := 0
		for _, o := range f.Options {
			n = max(n, utf8.RuneCountInString(o))
		}
		return n
	}
	return MaxShortText
}

// FormSubmission is a filled-in form, as a platform hands it over (Event.Form).
type FormSubmission struct {
	Form string `redact:"-"`
	// Values are the answers by field id; a field left empty may be missing or "".
	Values map[string]string
	// Names are the display names of the people user fields name, by "platform:id", where the platform
	// knows them.
	Names map[string]string
}

// FormRecord is a form as a ticket keeps it: its title and every answer, in the form's order.
type FormRecord struct {
	ID      string       `json:"id" redact:"-"`
	Title   string       `json:"title"`
	Answers []FormAnswer `json:"answers,omitempty"`
}

// FormAnswer is one answer of a form.
type FormAnswer struct {
	Field string    `json:"field" redact:"-"`
	Label string    `json:"label"`
	Type  FieldType `json:"type" redact:"-"`
	// Value is the answer as given ("platform:id" for a person); Display is how it reads, when that
	// differs (the person's name).
	Value   string `json:"value"`
	Display string `json:"display,omitempty"`
}

// lines are the answers as labelled lines, for the ticket's card and the requester's receipt.
func (r *FormRecord) lines() string {
	var b strings.Builder
	for i, a := range r.Answers {
		if i > 0 {
			b.WriteByte('\n')
		}
		v := firstOf(a.Display, a.Value)
		if a.Type == FieldLongText && strings.Contains(v, "\n") {
			fmt.Fprintf(&b, "**%s**\n%s", a.Label, v)
			continue
		}
		fmt.Fprintf(&b, "**%s**: %s", a.Label, v)
	}
	return b.String()
}

// subject is what the ticket is called: the form's title, and its first answer in words.
func (r *FormRecord) subject() string {
	for _, a := range r.Answers {
		if a.Type == FieldShortText || a.Type == FieldSelect || a.Type == FieldLongText {
			if v := firstLine(a.Value); v != "" {
				return r.Title + ": " + v
			}
		}
	}
	return r.Title
}

// description is what the requester asked in their own words, as the transcript keeps it and a search
// reads it: the answers of the text fields, in order (the labels and the choices are on the ticket's
// form, where the card shows them, and would only be noise to a search); the subject when there are none.
func (r *FormRecord) description() string {
	var parts []string
	for _, a := range r.Answers {
		if a.Type == FieldShortText || a.Type == FieldLongText {
			parts = append(parts, a.Value)
		}
	}
	if len(parts) == 0 {
		return r.subject()
	}
	return strings.Join(parts, "\n")
}

// FieldErrors are the problems of a form's answers, by field id, each a sentence for the person. A
// refused submission's error wraps them (errors.As), so a platform can show each beside its field.
type FieldErrors map[string]string

func (e FieldErrors) Error() string {
	keys := make([]string, 0, len(e))
	for k := range e {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, k+": "+e[k])
	}
	return strings.Join(parts, "; ")
}

// mayUse reports whether a person may see and use the form.
func (c Config) mayUse(f Form, user string, roles []string) bool {
	return len(f.Audience) == 0 || listed(f.Audience, user, roles) || c.isAdmin(user, roles)
}

// formFor returns the form with id when the person may use it.
func (c Config) formFor(id, user string, roles []string) (Form, bool) {
	for _, f := range c.Forms {
		if strings.EqualFold(f.ID, id) && c.mayUse(f, user, roles) {
			return f, true
		}
	}
	return Form{}, false
}

// Forms returns the forms a person ("platform:id", with their roles) may see and use, in the config's
// order. It reads only the config: adapters call it to show a list of forms or to build one (a modal).
func (e *Engine) Forms(user string, roles []string) []Form {
	var out []Form
	for _, f := range e.cfg.Forms {
		if e.cfg.mayUse(f, user, roles) {
			out = append(out, f)
		}
	}
	return out
}

// check validates the answers of a submission against the form: every field known, the required ones
// answered, each answer of its type and length. It returns the form as the ticket records it.
func (f Form) check(sub *FormSubmission) (*FormRecord, error) {
	problems := FieldErrors{}
	for id := range sub.Values {
		if !slices.ContainsFunc(f.Fields, func(x FormField) bool { return x.ID == id }) {
			problems[id] = "This form has no such question."
		}
	}
	rec := &FormRecord{ID: f.ID, Title: f.Title}
	for _, field := range f.Fields {
		v := strings.TrimSpace(sub.Values[field.ID])
		if field.Type != FieldLongText {
			v = strings.Join(strings.Fields(v), " ")
		}
		if v == "" {
			if field.Required {
				problems[field.ID] = "Please answer this."
			}
			continue
		}
		if n := utf8.RuneCountInString(v); n > field.MaxLength() && field.Type != FieldSelect && field.Type != FieldPriority {
			problems[field.ID] = fmt.Sprintf("At most %d characters, please (this is %d).", field.MaxLength(), n)
			continue
		}
		a := FormAnswer{Field: field.ID, Label: field.Label, Type: field.Type, Value: v}
		switch field.Type {
		case FieldSelect:
			i := slices.IndexFunc(field.Options, func(o string) bool { return strings.EqualFold(o, v) })
			if i < 0 {
				problems[field.ID] = "Please choose one of: " + strings.Join(field.Options, ", ") + "."
				continue
			}
			a.Value = field.Options[i]
		case FieldDate:
			d, err := time.Parse("2006-01-02", v)
			if err != nil {
				problems[field.ID] = "Please give a date as YYYY-MM-DD, like 2026-03-31."
				continue
			}
			a.Value = d.Format("2006-01-02")
		case FieldPriority:
			p := strings.ToUpper(v)
			if p != "P1" && p != "P2" && p != "P3" && p != "P4" {
				problems[field.ID] = "Please choose a priority from P1 (most urgent) to P4."
				continue
			}
			a.Value = p
		case FieldUser:
			if platform, id := SplitID(v); platform == "" || id == "" || strings.ContainsAny(id, " \t:") {
				problems[field.ID] = "Please choose a person."
				continue
			}
			a.Display = sub.Names[v]
		}
		rec.Answers = append(rec.Answers, a)
	}
	if len(problems) > 0 {
		var labels []string
		for _, field := range f.Fields {
			if _, bad := problems[field.ID]; bad {
				labels = append(labels, field.Label)
			}
		}
		if len(labels) < len(problems) {
			labels = append(labels, "questions this form does not have")
		}
		return nil, WrapError(problems, EINVALID, "Some answers need another look: %s.", strings.Join(labels, "; "))
	}
	return rec, nil
}

// FormProblems reports what is wrong with the forms of the config, one sentence each: the engine refuses
// to start with any, and cmd/firstline's Validate lists them with the rest.
func (c Config) FormProblems() []string {
	var problems []string
	seen := map[string]bool{}
	for i, f := range c.Forms {
		name := fmt.Sprintf("forms[%d]", i)
		if f.ID != "" {
			name = fmt.Sprintf("form %q", f.ID)
		}
		switch {
		case f.ID == "" || strings.ContainsAny(f.ID, " \t\n") || utf8.RuneCountInString(f.ID) > 40:
			problems = append(problems, name+": id must be one word of at most 40 characters")
		case seen[strings.ToLower(f.ID)]:
			problems = append(problems, name+" is defined twice")
		}
		seen[strings.ToLower(f.ID)] = true
		if strings.TrimSpace(f.Title) == "" {
			problems = append(problems, name+": title is empty")
		}
		if _, _, ok := c.tier(f.Tier); f.Tier != "" && !ok {
			problems = append(problems, fmt.Sprintf("%s: tier %q is not one of the tiers", name, f.Tier))
		}
		if p := f.Priority; p != "" && p != "P1" && p != "P2" && p != "P3" && p != "P4" {
			problems = append(problems, fmt.Sprintf("%s: priority %q is not P1, P2, P3 or P4", name, p))
		}
		if len(f.Fields) == 0 {
			problems = append(problems, name+": it has no fields")
		}
		ids := map[string]bool{}
		for j, fl := range f.Fields {
			fname := fmt.Sprintf("%s field %d", name, j+1)
			if fl.ID != "" {
				fname = fmt.Sprintf("%s field %q", name, fl.ID)
			}
			switch {
			case fl.ID == "" || strings.ContainsAny(fl.ID, " \t\n"):
				problems = append(problems, fname+": id must be one word")
			case ids[fl.ID]:
				problems = append(problems, fname+" is defined twice")
			}
			ids[fl.ID] = true
			if strings.TrimSpace(fl.Label) == "" {
				problems = append(problems, fname+": label is empty")
			}
			switch fl.Type {
			case FieldShortText, FieldLongText, FieldUser, FieldDate, FieldPriority:
				if len(fl.Options) > 0 {
					problems = append(problems, fname+": only a select field has options")
				}
			case FieldSelect:
				if len(fl.Options) == 0 {
					problems = append(problems, fname+": a select field needs options")
				}
				for _, o := range fl.Options {
					if strings.TrimSpace(o) == "" || utf8.RuneCountInString(o) > 75 {
						problems = append(problems, fmt.Sprintf("%s: option %q must be 1 to 75 characters", fname, o))
					}
				}
			default:
				problems = append(problems, fmt.Sprintf("%s: type %q is not short_text, long_text, select, user, date or priority", fname, fl.Type))
			}
		}
	}
	return problems
}

// FormOpener is a Chat that can show a person a form to fill in (Slack: a modal). The dispatcher calls it
// for "!new FORM" when the event that asked came with a Trigger.
type FormOpener interface {
	// OpenForm shows the form to r.User. When r.Trigger can no longer open it (it expired: Slack's last
	// three seconds), the adapter shows the person a private message with a button that opens it
	// instead, never an error for a retry that cannot succeed. Errors are as for Chat.Post.
	OpenForm(ctx context.Context, r FormRequest) error
}

// FormRequest is a form to show a person.
type FormRequest struct {
	User    string // "platform:id"
	Channel string // where they asked, "" when not in a channel (a home tab)
	Trigger string // Event.Trigger
	ReplyTo string // Event.ReplyTo
	Form    Form
}
