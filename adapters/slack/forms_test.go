package slack_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/firstline-desk/firstline/adapters/slack/fakeslack"
	"github.com/firstline-desk/firstline/bot"
)

// slashTrigger types "/firstline TEXT" as user in channel with a trigger id the fake will honour, and
// waits for the ack.
func (d *desk) slashTrigger(user, channel, text string) {
	d.t.Helper()
	d.slashWith(user, channel, text, d.fake.TriggerID(user))
}

// slashWith types "/firstline TEXT" with trigger.
func (d *desk) slashWith(user, channel, text, trigger string) {
	d.t.Helper()
	env := fakeslack.SlashCommand(map[string]string{"command": "/firstline", "text": text, "user_id": user, "user_name": strings.ToLower(user),
		"channel_id": channel, "trigger_id": trigger, "response_url": d.fake.ResponseURL()})
	d.fake.WaitAck(d.t, d.fake.SendEnvelope(d.t, env))
}

// submit sends user's submission of modal v with values (block id -> the element's state) and returns
// the acknowledgement's payload (nil when there is none: the modal closes).
func (d *desk) submit(user string, v fakeslack.View, values map[string]map[string]any) map[string]any {
	d.t.Helper()
	id := d.fake.SendEnvelope(d.t, fakeslack.ViewSubmission(user, v, values))
	d.fake.WaitAck(d.t, id)
	raw := d.fake.AckPayload(id)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		d.t.Fatalf("ack payload %s: %v", raw, err)
	}
	return out
}

func text(v string) map[string]any {
	return map[string]any{"value": map[string]any{"type": "plain_text_input", "value": v}}
}
func option(v string) map[string]any {
	return map[string]any{"value": map[string]any{"type": "static_select", "selected_option": map[string]any{"value": v, "text": map[string]any{"type": "plain_text", "text": v}}}}
}
func person(u string) map[string]any {
	return map[string]any{"value": map[string]any{"type": "users_select", "selected_user": u}}
}
func day(s string) map[string]any {
	return map[string]any{"value": map[string]any{"type": "datepicker", "selected_date": s}}
}

// TestFormsInModals: "/firstline new access" opens the form as a modal; a submission without a required
// answer is refused in the modal, beside its field, and nothing is kept; a good one opens a ticket sent
// straight to Tier 2, with the answers on the card and a receipt in the requester's DM. A form without
// a tier is searched like a question and answered in the receipt's thread.
func TestFormsInModals(t *testing.T) {
	d := newIntakeDesk(t)
	d.slashTrigger("UALICE", "CRANDOM", "new access")
	d.flush()
	modal := d.fake.WaitModals(t, 1)[0]
	if modal.CallbackID != "firstline_form" || modal.Title != "Access request" || !strings.Contains(string(modal.Blocks), `"block_id":"system"`) ||
		!strings.Contains(string(modal.Blocks), `"type":"users_select"`) || !strings.Contains(string(modal.Blocks), `"type":"datepicker"`) {
		t.Fatalf("modal: %+v\n%s", modal, modal.Blocks)
	}
	resp := d.submit("UALICE", modal, map[string]map[string]any{"why": text("month end")})
	errs, _ := resp["errors"].(map[string]any)
	if resp["response_action"] != "errors" || errs["system"] == nil || len(errs) != 1 {
		t.Fatalf("a submission without the system: %v", resp)
	}
	if n := len(d.tickets()); n != 0 {
		t.Fatalf("%d tickets after a refused form", n)
	}
	resp = d.submit("UALICE", modal, map[string]map[string]any{"system": option("VPN"), "why": text("I join finance"), "approver": person("UADA"), "by": day("2026-12-01")})
	if resp != nil {
		t.Fatalf("a good submission was answered %v", resp)
	}
	d.flush()
	card := d.find("CTIER2", "", "T-000001")
	if !strings.Contains(string(card.Blocks), "*Which system?*: VPN") || !strings.Contains(string(card.Blocks), "*Who approves?*: ada") {
		t.Fatalf("card: %s", card.Blocks)
	}
	receipt := d.find("DUALICE", "", "your Access request")
	d.find("DUALICE", receipt.TS, "passed *T-000001* to *Tier 2*")
	if tk := d.ticket("T-000001"); tk.Priority != "P2" || tk.Tier != "tier2" || len(tk.Offers) != 0 {
		t.Fatalf("ticket: %s %s offers %d", tk.Priority, tk.Tier, len(tk.Offers))
	}
	// Alice writes in the receipt's thread: it reaches the card.
	d.sayFiles("UALICE", "DUALICE", receipt.TS, "and Jira too please", "im")
	d.flush()
	d.find("CTIER2", card.TS, "and Jira too please")

	// The laptop form has no tier: its answers are searched.
	d.slashTrigger("UBOB", "CRANDOM", "new laptop")
	d.flush()
	laptop := d.fake.WaitModals(t, 2)[1]
	if d.submit("UBOB", laptop, map[string]map[string]any{"model": text("X1"), "what": text("My VPN will not connect"), "urgency": option("P1")}) != nil {
		t.Fatal("the laptop form was refused")
	}
	d.flush()
	r := d.find("DUBOB", "", "your Laptop problem")
	d.find("DUBOB", r.TS, "vpn-connect")
	if tk := d.ticket("T-000002"); tk.Priority != "P1" || tk.Status != bot.StatusOpen {
		t.Fatalf("laptop ticket: %s %s", tk.Priority, tk.Status)
	}
}

// TestFormBadInput: a submission with a field the form does not have, an over-long answer, a forged
// submission of a form the person may not see, and a trigger that expired before the modal could open.
func TestFormBadInput(t *testing.T) {
	d := newIntakeDesk(t)
	d.slashTrigger("UALICE", "CRANDOM", "new laptop")
	d.flush()
	modal := d.fake.WaitModals(t, 1)[0]
	resp := d.submit("UALICE", modal, map[string]map[string]any{"model": text("X1"), "what": text("broken"), "admin": text("yes")})
	if resp["response_action"] != "update" || !strings.Contains(mustJSON(t, resp), "Some answers need another look") {
		t.Fatalf("a submission with an unknown field: %v", resp)
	}
	resp = d.submit("UALICE", modal, map[string]map[string]any{"model": text(strings.Repeat("m", bot.MaxShortText+1)), "what": text("broken")})
	errs, _ := resp["errors"].(map[string]any)
	if resp["response_action"] != "errors" || errs["model"] == nil {
		t.Fatalf("an over-long answer: %v", resp)
	}
	// Forged: the payroll form's id in the metadata of a modal alice was never shown.
	forged := modal
	forged.ID, forged.PrivateMetadata = "VFORGED", `{"form":"payroll"}`
	resp = d.submit("UALICE", forged, map[string]map[string]any{"who": text("mine")})
	if resp["response_action"] != "update" || !strings.Contains(mustJSON(t, resp), `There is no form \"payroll\" that you can use`) {
		t.Fatalf("a forged submission: %v", resp)
	}
	if n := len(d.tickets()); n != 0 {
		t.Fatalf("%d tickets after bad submissions", n)
	}
	// A trigger past its three seconds: the form is offered with a button instead, privately.
	d.slashWith("UALICE", "CRANDOM", "new access", d.fake.ExpiredTriggerID("UALICE"))
	d.flush()
	got := d.fake.WaitResponses(t, 1)
	if !strings.Contains(string(got[len(got)-1].Blocks), `"value":"form:access"`) {
		t.Fatalf("no button to open the form: %+v", got)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestNewListsFormsWithButtons: "/firstline new" lists the forms the person may use, privately, each a
// button; pressing one on that ephemeral message opens its form in a modal.
func TestNewListsFormsWithButtons(t *testing.T) {
	d := newIntakeDesk(t)
	d.slashTrigger("UALICE", "CRANDOM", "new")
	d.flush()
	resp := d.fake.WaitResponses(t, 1)[0]
	if resp.ResponseType != "ephemeral" || !strings.Contains(string(resp.Blocks), `"value":"form:laptop"`) || strings.Contains(string(resp.Blocks), "form:payroll") {
		t.Fatalf("the list of forms: %+v\n%s", resp, resp.Blocks)
	}
	d.ts++
	payload := map[string]any{
		"type": "block_actions", "trigger_id": d.fake.TriggerID("UALICE"), "response_url": d.fake.ResponseURL(),
		"user":      map[string]any{"id": "UALICE", "name": "alice"},
		"channel":   map[string]any{"id": "CRANDOM"},
		"container": map[string]any{"type": "message", "channel_id": "CRANDOM", "message_ts": tsOf(d.ts), "is_ephemeral": true},
		"actions":   []any{map[string]any{"action_id": "form_laptop", "block_id": "firstline_choices", "value": "form:laptop", "type": "button", "action_ts": tsOf(d.ts)}},
	}
	d.fake.WaitAck(t, d.fake.SendEnvelope(t, fakeslack.Interactive(payload)))
	d.flush()
	if m := d.fake.WaitModals(t, 1)[0]; m.Title != "Laptop problem" || m.User != "UALICE" {
		t.Fatalf("modal: %+v", m)
	}
}
