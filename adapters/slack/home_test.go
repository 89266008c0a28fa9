package slack_test

import (
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/adapters/slack/fakeslack"
	"github.com/firstline-desk/firstline/bot"
)

// openHome sends app_home_opened for user's Home tab and waits for the ack.
func (d *desk) openHome(user string) {
	d.t.Helper()
	d.ts++
	ev := map[string]any{"type": "app_home_opened", "user": user, "channel": "D" + user, "tab": "home", "event_ts": tsOf(d.ts)}
	d.fake.WaitAck(d.t, d.fake.SendEnvelope(d.t, fakeslack.EventsAPI("EvH"+tsOf(d.ts), ev, 0)))
}

// TestHomeTab: an employee's home lists her tickets and the forms; a technician's lists his tier's queue
// with Claim buttons. Claim from the home obeys the card's rules: Sara, of another tier, is refused
// privately; Tom claims, the card shows him, the requester is told, and both homes follow.
func TestHomeTab(t *testing.T) {
	d := newIntakeDesk(t)
	d.escalate() // T-000001, alice's, in Tier 2's queue
	d.openHome("UALICE")
	d.flush()
	home := d.fake.WaitHomes(t, "UALICE", 1)[0]
	for _, want := range []string{"T-000001", "My VPN will not connect", "waiting for Tier 2", `"value":"form:access"`, `"value":"form:laptop"`} {
		if !strings.Contains(string(home.Blocks), want) {
			t.Fatalf("alice's home lacks %q: %s", want, home.Blocks)
		}
	}
	if strings.Contains(string(home.Blocks), "form:payroll") || strings.Contains(string(home.Blocks), "claim:") {
		t.Fatalf("alice's home offers what is not hers: %s", home.Blocks)
	}
	d.openHome("UTOM")
	d.openHome("USARA")
	d.flush()
	tomHome := d.fake.WaitHomes(t, "UTOM", 1)[0]
	if !strings.Contains(string(tomHome.Blocks), `"value":"claim:T-000001"`) || !strings.Contains(string(tomHome.Blocks), "Your tiers' queue") {
		t.Fatalf("tom's home: %s", tomHome.Blocks)
	}
	saraHome := d.fake.WaitHomes(t, "USARA", 1)[0]
	if strings.Contains(string(saraHome.Blocks), "claim:T-000001") {
		t.Fatalf("sara's home offers Tier 2's ticket: %s", saraHome.Blocks)
	}

	// A forged press of Claim by sara: refused where she is, privately.
	d.fake.WaitAck(t, d.fake.SendEnvelope(t, fakeslack.HomeAction("USARA", saraHome, d.fake.TriggerID("USARA"), "claim_T-000001", "claim:T-000001")))
	d.flush()
	dm := d.find("DUSARA", "-", "Only members of Tier 2 can claim")
	if dm.ThreadTS != "" {
		t.Fatalf("sara's refusal: %+v", dm)
	}
	if tk := d.ticket("T-000001"); tk.Status != bot.StatusEscalated {
		t.Fatalf("after sara's press: %s", tk.Status)
	}
	homesBefore := len(d.fake.Homes("UTOM"))
	d.fake.WaitAck(t, d.fake.SendEnvelope(t, fakeslack.HomeAction("UTOM", tomHome, d.fake.TriggerID("UTOM"), "claim_T-000001", "claim:T-000001")))
	d.flush()
	if tk := d.ticket("T-000001"); tk.Status != bot.StatusClaimed || tk.Assignee != "slack:UTOM" {
		t.Fatalf("after tom's claim from home: %s by %s", tk.Status, tk.Assignee)
	}
	d.find("CHELP", "-", "picked up")
	homes := d.fake.WaitHomes(t, "UTOM", homesBefore+1)
	last := homes[len(homes)-1]
	if !strings.Contains(string(last.Blocks), "Claimed by you") || strings.Contains(string(last.Blocks), "claim:T-000001") {
		t.Fatalf("tom's home after his claim: %s", last.Blocks)
	}
	aliceHomes := d.fake.WaitHomes(t, "UALICE", 2)
	if got := string(aliceHomes[len(aliceHomes)-1].Blocks); !strings.Contains(got, "owner tom") {
		t.Fatalf("alice's home after the claim: %s", got)
	}
	// The home's "New request" button opens the form.
	d.fake.WaitAck(t, d.fake.SendEnvelope(t, fakeslack.HomeAction("UALICE", home, d.fake.TriggerID("UALICE"), "form_access", "form:access")))
	d.flush()
	if m := d.fake.WaitModals(t, 1)[0]; m.Title != "Access request" || m.User != "UALICE" {
		t.Fatalf("modal from home: %+v", m)
	}
}

// TestHomeRateLimited: Slack's 429 to views.publish holds back every home for its Retry-After: the
// desk does not ask again for that home, or another, within it.
func TestHomeRateLimited(t *testing.T) {
	d := newIntakeDesk(t)
	d.fake.RateLimit("views.publish", time.Hour, 1)
	d.openHome("UALICE")
	d.flush()
	d.fake.WaitCalls(t, "views.publish", 1)
	d.openHome("UTOM")
	d.escalate() // a ticket both homes show changes
	d.flush()
	if n := len(d.fake.Calls("views.publish")); n != 1 {
		t.Fatalf("%d calls of views.publish within Slack's Retry-After, want the first alone", n)
	}
	if hs := d.fake.Homes("UALICE"); len(hs) != 0 {
		t.Fatalf("homes published through a rate limit: %+v", hs)
	}
}
