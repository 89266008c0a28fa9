package bot

// An action's parameters as people give them ("group=finance"): read, checked against their types, and
// refused with a sentence that says what to write, before anything is recorded or run.

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/firstline-desk/firstline/internal/plural"
)

// maxParamValue bounds a parameter's value, in bytes: a group, a host, a person.
const maxParamValue = 256

// ParseParams reads "key=value" words ("group=finance host=PRN-3", a value in double quotes may hold
// spaces) into a map. A word without "=" or a key given twice is an EINVALID error whose message is for
// the person.
func ParseParams(args string) (map[string]string, error) {
	return parseParams(args, nil)
}

// parseParams is ParseParams for a message that mentions people: a value that is a mention ("@Ann Lee",
// spaces and all, quoted or not) is the identity of the person mentioned ("slack:U0123"), so that a user
// parameter knows who is meant. A value naming two people mentioned by one name is refused.
func parseParams(args string, mentions []Mention) (map[string]string, error) {
	out := map[string]string{}
	rest := strings.TrimSpace(args)
	for rest != "" {
		key, after, ok := strings.Cut(rest, "=")
		if !ok || key == "" || strings.ContainsFunc(key, unicode.IsSpace) {
			word, _, _ := strings.Cut(rest, " ")
			return nil, Errorf(EINVALID, "`%s` is not a parameter: write each one as `name=value`.", clip(word, 40))
		}
		var value string
		switch user, n, ambiguous, mentioned := mentionAt(after, mentions); {
		case mentioned && ambiguous:
			return nil, ambiguousMention(after[:n])
		case mentioned:
			// A name may hold spaces: the mention takes what it names.
			value, rest = user, after[n:]
		case strings.HasPrefix(after, `"`):
			end := strings.Index(after[1:], `"`)
			if end < 0 {
				return nil, Errorf(EINVALID, "The value of `%s` opens a quote that never closes.", clip(key, 40))
			}
			value, rest = after[1:1+end], after[2+end:]
			if user, n, ambiguous, ok := mentionAt(value, mentions); ok && n == len(value) {
				if ambiguous {
					return nil, ambiguousMention(value)
				}
				value = user
			}
		default:
			value, rest, _ = strings.Cut(after, " ")
		}
		key = strings.ToLower(key)
		if _, dup := out[key]; dup {
			return nil, Errorf(EINVALID, "`%s` is given twice.", clip(key, 40))
		}
		out[key] = value
		rest = strings.TrimSpace(rest)
	}
	return out, nil
}

// ambiguousMention refuses a value that names two of the people a message mentions.
func ambiguousMention(name string) error {
	return Errorf(EINVALID, "%s could be more than one of the people mentioned by that name: give their id on the platform (slack:U0123…) or their email address.", clip(name, 60))
}

var (
	platformIdentity = regexp.MustCompile(`^[a-z]+:[A-Za-z0-9._@-]{1,64}$`)
	emailAddress     = regexp.MustCompile(`^[A-Za-z0-9.!#$%&'*+/=?^_` + "`" + `{|}~-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$`)
)

// CheckParams checks the values given for an action's parameters and returns them normalized (an enum
// as its choice is written, a bool as "true" or "false", an int in decimal), with defaults filled in.
// When the action runs a program (Program), no value may begin with "-", which the program would read
// as an option of its own. Every problem is an EINVALID error with a sentence for the person.
func (d *ActionDef) CheckParams(given map[string]string) (map[string]string, error) {
	exec := d.Program
	var problems []string
	for name := range given {
		p, ok := d.param(name)
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("`%s` is not a parameter of %s%s.", clip(name, 40), d.ID, d.takes()))
		case p.Type == ParamRequester:
			problems = append(problems, fmt.Sprintf("`%s` is filled in by the desk: it is who the action is for.", p.Name))
		}
	}
	out := map[string]string{}
	for _, p := range d.Params {
		if p.Type == ParamRequester {
			continue
		}
		v, ok := given[p.Name]
		if !ok || v == "" {
			if p.Default != "" {
				out[p.Name] = p.Default
			} else if p.Required {
				problems = append(problems, fmt.Sprintf("`%s` is required: %s", p.Name, p.hint()))
			}
			continue
		}
		nv, problem := p.check(v)
		if problem == "" && exec && strings.HasPrefix(nv, "-") && p.Type != ParamInt {
			problem = fmt.Sprintf("`%s` may not begin with \"-\".", p.Name)
		}
		if problem != "" {
			problems = append(problems, problem)
			continue
		}
		out[p.Name] = nv
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return nil, Errorf(EINVALID, "%s", strings.Join(problems, " "))
	}
	return out, nil
}

// check checks one value and returns it normalized, or a sentence saying what is wrong.
func (p ActionParam) check(v string) (string, string) {
	if len(v) > maxParamValue {
		return "", fmt.Sprintf("`%s` is too long (at most %s).", p.Name, plural.Count(maxParamValue, "character", "characters"))
	}
	// Control characters, and format characters (a bidi override, a zero-width space) that would make a
	// value read otherwise than it is on the approval card and in the runner's call.
	if strings.ContainsFunc(v, func(r rune) bool {
		return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == unicode.ReplacementChar
	}) {
		return "", fmt.Sprintf("`%s` holds a character that cannot be passed on.", p.Name)
	}
	switch p.Type {
	case ParamEnum:
		for _, c := range p.Choices {
			if strings.EqualFold(c, v) {
				return c, ""
			}
		}
		return "", fmt.Sprintf("`%s` must be one of %s.", p.Name, strings.Join(p.Choices, ", "))
	case ParamInt:
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || (p.Min != nil && n < *p.Min) || (p.Max != nil && n > *p.Max) {
			return "", fmt.Sprintf("`%s` must be %s.", p.Name, p.hint())
		}
		return strconv.FormatInt(n, 10), ""
	case ParamBool:
		switch strings.ToLower(v) {
		case "true", "yes", "on", "1":
			return "true", ""
		case "false", "no", "off", "0":
			return "false", ""
		}
		return "", fmt.Sprintf("`%s` must be true or false.", p.Name)
	case ParamUser:
		switch {
		case emailAddress.MatchString(v) && p.Resolve == "email":
			return v, ""
		case platformIdentity.MatchString(v):
			return v, ""
		case strings.HasPrefix(v, "@"):
			// A name typed, or a mention the platform could not tell the person of: who is meant is
			// not known, and a guess could act on someone else.
			return "", fmt.Sprintf("`%s`: I can't tell who %s is. Mention them (type @ and pick the person, so that your chat shows them as a mention), or give their id on the platform (slack:U0123…)%s.", p.Name, clip(v, 60), map[bool]string{true: " or their email address"}[p.Resolve == "email"])
		}
		return "", fmt.Sprintf("`%s` must be a person: %s.", p.Name, p.hint())
	}
	if p.Pattern != nil && !p.Pattern.MatchString(v) {
		return "", fmt.Sprintf("`%s` is not in the expected form%s.", p.Name, p.describe())
	}
	return v, ""
}

// hint says what a parameter takes.
func (p ActionParam) hint() string {
	switch p.Type {
	case ParamEnum:
		return "one of " + strings.Join(p.Choices, ", ")
	case ParamInt:
		switch {
		case p.Min != nil && p.Max != nil:
			return fmt.Sprintf("a whole number from %d to %d", *p.Min, *p.Max)
		case p.Min != nil:
			return fmt.Sprintf("a whole number of at least %d", *p.Min)
		case p.Max != nil:
			return fmt.Sprintf("a whole number of at most %d", *p.Max)
		}
		return "a whole number"
	case ParamBool:
		return "true or false"
	case ParamUser:
		if p.Resolve == "email" {
			return "a mention of them, their email address, or their id on the platform (slack:U0123…)"
		}
		return "a mention of them, or their id on the platform (slack:U0123…)"
	}
	if p.Description != "" {
		return p.Description
	}
	return "some text" + p.describe()
}

func (p ActionParam) describe() string {
	if p.Description != "" {
		return " (" + p.Description + ")"
	}
	return ""
}

// takes lists what an action takes, for a refusal: " (it takes group, host)".
func (d *ActionDef) takes() string {
	var names []string
	for _, p := range d.Params {
		if p.Type != ParamRequester {
			names = append(names, p.Name)
		}
	}
	if len(names) == 0 {
		return " (it takes none)"
	}
	return " (it takes " + strings.Join(names, ", ") + ")"
}

// usage is how to ask for the action by command: "!run add-to-group group=finance|hr|engineering".
func (d *ActionDef) usage(prefix string) string {
	parts := []string{prefix + "run " + d.ID}
	for _, p := range d.Params {
		if p.Type == ParamRequester {
			continue
		}
		v := strings.ToUpper(p.Name)
		if p.Type == ParamEnum {
			v = strings.Join(p.Choices, "|")
		}
		w := p.Name + "=" + v
		if !p.Required || p.Default != "" {
			w = "[" + w + "]"
		}
		parts = append(parts, w)
	}
	return "`" + strings.Join(parts, " ") + "`"
}

// needsInput reports whether someone must give values before the action can run: a required parameter
// without a default.
func (d *ActionDef) needsInput() bool {
	return slices.ContainsFunc(d.Params, func(p ActionParam) bool {
		return p.Type != ParamRequester && p.Required && p.Default == ""
	})
}

// paramsText lists values for people: "group=finance, host=PRN-3".
func paramsText(values map[string]string) string {
	if len(values) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + values[k]
	}
	return strings.Join(parts, ", ")
}
