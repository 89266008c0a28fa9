package bot

// An action the model suggests under its answer. The answer prompt lists the actions the requester may
// ask for; the model may end its answer with one line "ACTION: id key=value…". That line is taken out of
// the text, checked against the definitions and the parameters' rules like a `!run`, and, when it passes,
// becomes a button under the answer. The model never runs anything: the button asks the requester to
// confirm, and the run goes through approval like any other request. A suggestion that does not check is
// dropped; the answer is posted without it.

import (
	"fmt"
	"regexp"
	"strings"
)

// ActionSuggestion is an action the model suggested under an answer, with the values it proposed
// (checked), kept on the ticket so the answer's button asks for exactly that.
type ActionSuggestion struct {
	Message string            `json:"message" redact:"-"` // the answer's key
	Action  string            `json:"action" redact:"-"`
	Params  map[string]string `json:"params,omitempty"`
}

// actionLineRE is the model's suggestion line, wherever it is in the answer, with Markdown decoration
// around it tolerated.
var actionLineRE = regexp.MustCompile(`(?m)^[ \t>*_-]*ACTION:[ \t]*(.*?)[ \t*_]*$`)

// maxSuggestableActions bounds the actions listed to the model.
const maxSuggestableActions = 20

// suggestable are the actions t's requester may ask for, as the model is told of them. Their roles
// are not known in a job: an action for a role or group alone is left out.
func (e *Engine) suggestable(t *Ticket) []*ActionDef {
	var out []*ActionDef
	for i := range e.cfg.Actions {
		d := &e.cfg.Actions[i]
		if len(out) < maxSuggestableActions && e.cfg.mayRequest(d, t.Requester, nil) {
			out = append(out, d)
		}
	}
	return out
}

// actionsPrompt is the part of the answer prompt that lists the actions, "" when there are none.
func actionsPrompt(defs []*ActionDef) string {
	if len(defs) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(`
Actions the desk can run for the employee, after they confirm and someone approves:
`)
	for _, d := range defs {
		fmt.Fprintf(&b, "- %s: %s", d.ID, d.Title)
		if d.Description != "" {
			fmt.Fprintf(&b, " (%s)", clip(strings.Join(strings.Fields(d.Description), " "), 200))
		}
		var takes []string
		for _, p := range d.Params {
			switch p.Type {
			case ParamRequester:
				continue
			case ParamEnum:
				takes = append(takes, p.Name+"="+strings.Join(p.Choices, "|"))
			default:
				takes = append(takes, fmt.Sprintf("%s=<%s>", p.Name, p.Type))
			}
		}
		if len(takes) > 0 {
			fmt.Fprintf(&b, "; takes %s", strings.Join(takes, " "))
		}
		b.WriteString("\n")
	}
	b.WriteString(`If, and only if, one of these does exactly what the employee asks, add a last line of its own:
ACTION: <id> name=value ...
with values taken from what the employee wrote. Never say that an action was run or will be run.
`)
	return b.String()
}

// takeSuggestion takes the model's ACTION lines out of text and returns the text without them, with the
// first suggestion if it names an action t's requester may ask for and its values check; nil otherwise,
// and why, for the log (never the values).
func (e *Engine) takeSuggestion(t *Ticket, text string) (string, *ActionSuggestion, string) {
	lines := actionLineRE.FindAllStringSubmatch(text, -1)
	if len(lines) == 0 {
		return text, nil, ""
	}
	text = strings.TrimSpace(actionLineRE.ReplaceAllString(text, ""))
	words := strings.Fields(lines[0][1])
	if len(words) == 0 {
		return text, nil, "an empty suggestion"
	}
	def, ok := e.cfg.action(words[0])
	if !ok {
		return text, nil, "no such action"
	}
	if !e.cfg.mayRequest(def, t.Requester, nil) {
		return text, nil, "an action the requester may not ask for"
	}
	given, err := ParseParams(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(lines[0][1]), words[0])))
	if err != nil {
		return text, nil, "values that do not parse"
	}
	values, err := def.CheckParams(given)
	if err != nil {
		return text, nil, "values that do not check: " + ErrorCode(err)
	}
	return text, &ActionSuggestion{Action: def.ID, Params: values}, ""
}

// suggestionChoice records the model's suggestion on t under the answer key and returns its button, with
// the line that says what it is; none when the answer's articles already offer the action (their button
// asks for it without values).
func (w *work) suggestionChoice(t *Ticket, key string, s *ActionSuggestion, have []Choice) (Choice, string, bool) {
	def, ok := w.cfg().action(s.Action)
	if !ok {
		return Choice{}, "", false
	}
	for _, c := range have {
		if c.ID == choiceRunPrefix+def.ID {
			return Choice{}, "", false
		}
	}
	s.Message = key
	t.Suggestions = append(t.Suggestions, *s)
	line := fmt.Sprintf("\n\n_The assistant suggests **%s**%s: press the button to ask for it. Nothing runs until you confirm._", def.Title, paramsClause(s.Params))
	return Choice{ID: choiceRunPrefix + def.ID, Label: def.Title}, line, true
}

// suggestion returns the values the model suggested for action under the answer key, nil when it
// suggested none there.
func (t *Ticket) suggestion(key, action string) *ActionSuggestion {
	for i := len(t.Suggestions) - 1; i >= 0; i-- {
		if s := &t.Suggestions[i]; s.Message == key && s.Action == action {
			return s
		}
	}
	return nil
}
