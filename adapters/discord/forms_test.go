package discord_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/adapters/discord/fakediscord"
	"github.com/firstline-desk/firstline/bot"
)

// formsConfig is the test desk with three forms: one routed to Tier 2, one of seven fields (two modals)
// that is searched like a question, and one only tom may use.
func formsConfig() bot.Config {
	cfg := testConfig("discord:" + tier2)
	cfg.Forms = []bot.Form{
		{ID: "access", Title: "Access request", Tier: "tier2", Priority: "P2", Fields: []bot.FormField{
			{ID: "system", Label: "Which system?", Type: bot.FieldSelect, Options: []string{"Finance share", "VPN", "Jira"}, Required: true},
			{ID: "reason", Label: "Why do you need it?", Type: bot.FieldLongText, Required: true},
			{ID: "manager", Label: "Who approves it?", Type: bot.FieldUser},
			{ID: "until", Label: "Until when?", Type: bot.FieldDate},
		}},
		{ID: "laptop", Title: "New laptop", Fields: []bot.FormField{
			{ID: "model", Label: "Which model?", Type: bot.FieldSelect, Options: []string{"MacBook", "ThinkPad"}, Required: true},
			{ID: "why", Label: "What is wrong with the old one?", Type: bot.FieldLongText, Required: true},
			{ID: "start", Label: "Needed from", Type: bot.FieldDate},
			{ID: "urgency", Label: "How urgent?", Type: bot.FieldPriority},
			{ID: "office", Label: "Office", Type: bot.FieldShortText},
			{ID: "keyboard", Label: "Keyboard layout", Type: bot.FieldShortText, Required: true},
			{ID: "notes", Label: "Anything else?", Type: bot.FieldLongText},
		}},
		{ID: "secret", Title: "Server room key", Audience: []string{"discord:" + tom}, Fields: []bot.FormField{
			{ID: "room", Label: "Which room?", Type: bot.FieldShortText, Required: true},
		}},
	}
	return cfg
}

// input is a modal's text input as the fake received it.
type input struct {
	Type        int    `json:"type"`
	CustomID    string `json:"custom_id"`
	Label       string `json:"label"`
	Style       int    `json:"style"`
	Placeholder string `json:"placeholder"`
	Value       string `json:"value"`
	Required    bool   `json:"required"`
	MaxLength   int    `json:"max_length"`
}

// modal reads a modal response: its custom id, title and inputs.
func modal(t *testing.T, r fakediscord.InteractionResponse) (customID, title string, inputs []input) {
	t.Helper()
	if r.Type != 9 {
		t.Fatalf("response type %d (%s), want a modal", r.Type, r.Data)
	}
	var data struct {
		CustomID   string `json:"custom_id"`
		Title      string `json:"title"`
		Components []struct {
			Components []input `json:"components"`
		} `json:"components"`
	}
	if err := json.Unmarshal(r.Data, &data); err != nil {
		t.Fatal(err)
	}
	for _, row := range data.Components {
		inputs = append(inputs, row.Components...)
	}
	return data.CustomID, data.Title, inputs
}

// submit dispatches a modal's submission with answers by custom id.
func (d *desk) submit(user, channel, customID string, answers map[string]string, roles ...string) string {
	d.t.Helper()
	var rows []any
	for id, v := range answers {
		rows = append(rows, map[string]any{"type": 1, "components": []any{map[string]any{"type": 4, "custom_id": id, "value": v}}})
	}
	return d.interact(user, channel, 5, map[string]any{"custom_id": customID, "components": rows}, roles...)
}

// button returns the custom id of the first button of a response or follow-up's components.
func button(t *testing.T, components []byte) string {
	t.Helper()
	var rows []struct {
		Components []struct {
			CustomID string `json:"custom_id"`
		} `json:"components"`
	}
	if err := json.Unmarshal(components, &rows); err != nil || len(rows) == 0 || len(rows[0].Components) == 0 {
		t.Fatalf("no button in %s", components)
	}
	return rows[0].Components[0].CustomID
}

// text is a response's content, with its flags checked: only the person sees it.
func privateText(t *testing.T, r fakediscord.InteractionResponse) (string, []byte) {
	t.Helper()
	var data struct {
		Content    string          `json:"content"`
		Flags      int             `json:"flags"`
		Components json.RawMessage `json:"components"`
	}
	if err := json.Unmarshal(r.Data, &data); err != nil {
		t.Fatal(err)
	}
	if r.Type != 4 || data.Flags&64 == 0 {
		t.Fatalf("response %d %s, want an ephemeral message", r.Type, r.Data)
	}
	return data.Content, data.Components
}

func ticketCommand(form string) map[string]any {
	data := map[string]any{"id": "1", "name": "ticket", "type": 1}
	if form != "" {
		data["options"] = []any{map[string]any{"name": "form", "type": 3, "value": form}}
	}
	return data
}

// TestFormOnDiscord: /ticket opens a form in a modal; a submission without a required answer is refused
// with the problem beside its question and a button that opens the form again with the answers kept; a
// valid one opens a ticket sent straight to its tier, with the answers on the card, and a receipt in the
// requester's DM, where a reply to it reaches the card's thread.
func TestFormOnDiscord(t *testing.T) {
	d := newDesk(t, formsConfig())
	id := d.interact(alice, help, 4, map[string]any{"id": "1", "name": "ticket", "type": 1,
		"options": []any{map[string]any{"name": "form", "type": 3, "value": "", "focused": true}}})
	r := d.response(id)
	if r.Type != 8 || !strings.Contains(string(r.Data), `"value":"access"`) || !strings.Contains(string(r.Data), `"value":"laptop"`) ||
		strings.Contains(string(r.Data), "secret") {
		t.Fatalf("autocomplete %d %s, want alice's two forms", r.Type, r.Data)
	}

	id = d.interact(alice, help, 2, ticketCommand("access"))
	customID, title, inputs := modal(t, d.response(id))
	if customID != "form:access:0" || title != "Access request" || len(inputs) != 4 {
		t.Fatalf("modal %q %q %+v", customID, title, inputs)
	}
	if in := inputs[0]; in.CustomID != "system" || in.Label != "Which system?" || !in.Required || in.Style != 1 || !strings.Contains(in.Placeholder, "Finance share, VPN, Jira") {
		t.Fatalf("the select as a text input: %+v", in)
	}
	if in := inputs[1]; in.Style != 2 || in.MaxLength != bot.MaxLongText || !in.Required {
		t.Fatalf("the long text: %+v", in)
	}
	if in := inputs[3]; in.Required || !strings.Contains(in.Placeholder, "YYYY-MM-DD") {
		t.Fatalf("the date: %+v", in)
	}

	id = d.submit(alice, help, "form:access:0", map[string]string{"system": "vpn", "reason": " ", "manager": "", "until": ""})
	text, components := privateText(t, d.response(id))
	if !strings.Contains(text, "**Why do you need it?**: Please answer this.") || button(t, components) != "formpage:access:0" {
		t.Fatalf("refusal %q %s", text, components)
	}
	if ids := tickets(t, d.db); len(ids) != 0 {
		t.Fatalf("a refused form made tickets %v", ids)
	}
	id = d.interact(alice, help, 3, map[string]any{"custom_id": "formpage:access:0", "component_type": 2})
	if _, _, again := modal(t, d.response(id)); again[0].Value != "vpn" {
		t.Fatalf("the form opened again without the answers kept: %+v", again)
	}

	id = d.submit(alice, help, "form:access:0", map[string]string{"system": "vpn", "reason": "I joined finance", "manager": "<@" + tom + ">", "until": "2026-12-31"})
	if text, _ := privateText(t, d.response(id)); !strings.Contains(text, "Sent") {
		t.Fatalf("a valid form answered %q", text)
	}
	card := d.find(tier2, "T-000001")
	if embeds := string(card.Embeds); !strings.Contains(embeds, "Which system?") || !strings.Contains(embeds, "VPN") || !strings.Contains(embeds, "I joined finance") {
		t.Fatalf("the card %s, want the answers as labelled lines", embeds)
	}
	tk := ticket(t, d.db, "T-000001")
	if tk.Form == nil || tk.Priority != "P2" || tk.Tier != "tier2" || tk.Intake == nil || tk.Intake.Via != bot.IntakeForm {
		t.Fatalf("ticket %+v form %+v", tk, tk.Form)
	}
	for _, a := range tk.Form.Answers {
		if a.Field == "manager" && a.Value != "discord:"+tom {
			t.Fatalf("the user field: %+v", a)
		}
	}
	d.waitFor("a DM to alice", func() bool { return d.fake.DMChannel(alice) != "" })
	dm := d.fake.DMChannel(alice)
	receipt := d.find(dm, "I've opened **T-000001**")

	// Alice replies to the receipt in her DM: it reaches the card's thread.
	d.fake.Dispatch(t, "MESSAGE_CREATE", map[string]any{"id": d.id(), "channel_id": dm, "content": "I also need the shared calendar",
		"type": 19, "timestamp": time.Now().Format(time.RFC3339), "author": map[string]any{"id": alice, "username": "alice"},
		"message_reference": map[string]any{"message_id": receipt.ID, "channel_id": dm}})
	d.find(card.ID, "I also need the shared calendar")
}

// TestFormPagesOnDiscord: a form of seven fields is two modals; the first page's answers are kept while
// the second is filled in, and the form is sent with it. Without a tier, it is searched like a question.
func TestFormPagesOnDiscord(t *testing.T) {
	d := newDesk(t, formsConfig())
	id := d.interact(alice, help, 2, ticketCommand("New laptop"))
	customID, title, inputs := modal(t, d.response(id))
	if customID != "form:laptop:0" || title != "New laptop (1/2)" || len(inputs) != 5 {
		t.Fatalf("first page %q %q %d inputs", customID, title, len(inputs))
	}
	id = d.submit(alice, help, "form:laptop:0", map[string]string{"model": "thinkpad", "why": "The VPN client crashes on it", "start": "", "urgency": "p2", "office": "Lyon"})
	text, components := privateText(t, d.response(id))
	if !strings.Contains(text, "Page 1 of 2") || button(t, components) != "formpage:laptop:1" {
		t.Fatalf("after page 1: %q %s", text, components)
	}
	id = d.interact(alice, help, 3, map[string]any{"custom_id": "formpage:laptop:1", "component_type": 2})
	customID, title, inputs = modal(t, d.response(id))
	if customID != "form:laptop:1" || title != "New laptop (2/2)" || len(inputs) != 2 || inputs[0].CustomID != "keyboard" {
		t.Fatalf("second page %q %q %+v", customID, title, inputs)
	}
	id = d.submit(alice, help, "form:laptop:1", map[string]string{"keyboard": "AZERTY", "notes": ""})
	if text, _ := privateText(t, d.response(id)); !strings.Contains(text, "Sent") {
		t.Fatalf("the last page answered %q", text)
	}
	tk := ticket(t, d.db, "T-000001")
	got := map[string]string{}
	for _, a := range tk.Form.Answers {
		got[a.Field] = a.Value
	}
	if got["model"] != "ThinkPad" || got["keyboard"] != "AZERTY" || got["office"] != "Lyon" || tk.Priority != "P2" {
		t.Fatalf("answers %v priority %s", got, tk.Priority)
	}
	for _, tr := range tk.Transitions {
		if strings.Contains(tr.Detail, "sent by the form") {
			t.Fatalf("a form without a tier went straight to one: %+v", tr)
		}
	}
}

// TestFormBadInput: forged and bad submissions are refused, privately, and nothing is kept: a question the
// form does not have, an answer longer than the field takes (or than Discord allows), a person who
// cannot be found, a form the person may not see (forged, by command, by button).
func TestFormBadInput(t *testing.T) {
	d := newDesk(t, formsConfig())
	good := map[string]string{"system": "Jira", "reason": "new role", "manager": "", "until": ""}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range good {
			m[a] = b
		}
		m[k] = v
		return m
	}
	for _, c := range []struct {
		name, customID string
		answers        map[string]string
		want           string
	}{
		{"unknown field", "form:access:0", with("salary", "a raise"), "questions it does not have"},
		{"over-long answer", "form:access:0", with("reason", strings.Repeat("x", bot.MaxLongText+1)), "At most 3000 characters"},
		{"longer than Discord allows", "form:access:0", with("reason", strings.Repeat("x", 100000)), "At most 3000 characters"},
		{"not an option", "form:access:0", with("system", "Payroll"), "Please choose one of"},
		{"a person not found", "form:access:0", with("manager", "nobody at all"), "**Who approves it?**"},
		{"a bad date", "form:access:0", with("until", "next week"), "YYYY-MM-DD"},
		{"a form alice may not see", "form:secret:0", map[string]string{"room": "B2"}, `There is no form "secret" that you can use`},
		{"a form that does not exist", "form:payroll:0", map[string]string{"x": "y"}, `There is no form "payroll" that you can use`},
	} {
		id := d.submit(alice, help, c.customID, c.answers)
		text, _ := privateText(t, d.response(id))
		if !strings.Contains(text, c.want) {
			t.Errorf("%s: answered %q, want %q", c.name, text, c.want)
		}
	}
	if ids := tickets(t, d.db); len(ids) != 0 {
		t.Fatalf("bad submissions made tickets %v", ids)
	}

	// By command and by button: the form is not there for her.
	id := d.interact(alice, help, 2, ticketCommand("secret"))
	if r := d.response(id); r.Type != 5 {
		t.Fatalf("/ticket secret answered %d %s", r.Type, r.Data)
	}
	f := d.followup(id, `There is no form "secret" that you can use`)
	if !f.Ephemeral() || !strings.Contains(string(f.Components), "form:access") || strings.Contains(f.Content, "Server room key") {
		t.Fatalf("/ticket secret: %+v", f)
	}
	id = d.interact(alice, help, 3, map[string]any{"custom_id": "form:secret", "component_type": 2})
	if text, _ := privateText(t, d.response(id)); !strings.Contains(text, `There is no form "secret"`) {
		t.Fatalf("the secret form's button for alice: %q", text)
	}
	// Tom may use it.
	id = d.interact(tom, help, 3, map[string]any{"custom_id": "form:secret", "component_type": 2}, techs)
	if customID, _, _ := modal(t, d.response(id)); customID != "form:secret:0" {
		t.Fatalf("tom's form: %q", customID)
	}
}
