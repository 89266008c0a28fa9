package bot_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/bot/bottest"
)

// state is what must not change when someone without the right pokes at a ticket.
func state(tk *bot.Ticket) string {
	csat := 0
	if tk.CSAT != nil {
		csat = tk.CSAT.Score
	}
	waiting := tk.SLA != nil && tk.SLA.WaitingSince != nil
	vendor := ""
	if tk.Vendor != nil {
		vendor = tk.Vendor.Name
	}
	var fb []string
	for _, o := range tk.Offers {
		fb = append(fb, o.Feedback)
	}
	return fmt.Sprintf("status=%s tier=%s prio=%s owner=%s vendor=%s waiting=%v csat=%d feedback=%v draft=%v summary=%v",
		tk.Status, tk.Tier, tk.Priority, tk.Assignee, vendor, waiting, csat, fb, tk.Draft != nil, tk.Summary != nil)
}

// TestPrivacyProbes has people without a right to alice's tickets try every command and reaction on
// them, from every place they could: nothing changes, and nothing of hers is shown to them.
func TestPrivacyProbes(t *testing.T) {
	cfg := testConfig()
	cfg.Vendors = map[string]bot.SLATarget{"acme": {}}
	cfg.KBReviewChannel = "test:kb-review"
	cfg.CaptureReaction = "books"
	db := openStore(t, "")
	d := bottest.NewDesk(t, cfg, db, testLibrary())
	d.Engine.SetModel(&fakeModel{reply: answers("NO_ANSWER", "", "Problem: secret")}, bot.ModelOptions{Summaries: true})

	// T-000001: escalated to Tier 2, with a card. T-000002: answered at Level 1, waiting for feedback.
	escQ := d.Say(alice, "help", "the printer on floor 3 eats my payslips")
	card := d.Chat.Messages("tier2")[0]
	ansQ := d.Say(alice, "help", "my vpn won't connect from the hotel")
	answer := d.Chat.Thread("help", ansQ)[0]
	secrets := []string{"payslips", "hotel"}

	before := map[string]string{}
	for _, id := range []string{"T-000001", "T-000002"} {
		before[id] = state(ticket(t, db, id))
	}
	check := func(probe string, since int) {
		t.Helper()
		for _, id := range []string{"T-000001", "T-000002"} {
			if got := state(ticket(t, db, id)); got != before[id] {
				t.Errorf("%s changed %s:\n was %s\n now %s", probe, id, before[id], got)
				before[id] = got
			}
		}
		for _, m := range d.Chat.Messages("")[since:] {
			for _, s := range secrets {
				if strings.Contains(m.Text(), s) {
					t.Errorf("%s showed alice's %q in %s:\n%s", probe, s, m.Ref.Channel, m.Text())
				}
			}
		}
	}

	commands := []string{"!status", "!status T-000001", "!status T-000002", "!escalate", "!resolve", "!priority P1",
		"!waiting", "!vendor acme CASE-1", "!vendor back", "!summary", "!report", "!kb capture", "!kb show vpn-connect"}
	places := []struct {
		name, channel, thread string
	}{
		{"alice's escalated thread", "help", escQ},
		{"alice's answered thread", "help", ansQ},
		{"alice's card thread", "tier2", card.Ref.ID},
		{"a DM", "@", ""},
		{"the help channel", "help", ""},
	}
	// bob is another requester; sara works Tier 3, not Tier 2.
	for _, who := range []string{bob, sara} {
		_, name := bot.SplitID(who)
		for _, p := range places {
			for _, c := range commands {
				if who == sara && p.channel == "tier2" && c == "!report" {
					continue
				}
				since := d.Chat.Count()
				ch := p.channel
				if ch == "@" {
					ch = "@" + name
				}
				if p.thread == "" {
					d.Say(who, ch, c)
				} else {
					d.SayIn(who, ch, p.thread, c)
				}
				check(fmt.Sprintf("%s: %q in %s", name, c, p.name), since)
			}
		}
		r := cfg.Reactions
		for _, reaction := range []string{r.Claim, r.Escalate, r.Resolve, r.Urgent, "books", "one", "five"} {
			since := d.Chat.Count()
			d.React(who, card, reaction)
			check(fmt.Sprintf("%s: :%s: on alice's card", name, reaction), since)
		}
		for _, reaction := range []string{r.Solved, r.NotHelpful, r.Human, "books"} {
			since := d.Chat.Count()
			d.React(who, answer, reaction)
			check(fmt.Sprintf("%s: :%s: on alice's answer", name, reaction), since)
		}
		for _, label := range []string{"Solved", "Not helpful", "Talk to a human"} {
			since := d.Chat.Count()
			d.Click(who, answer, label)
			check(fmt.Sprintf("%s: %s on alice's answer", name, label), since)
		}
	}

	// The right people can: tina (Tier 2) sees the status in the card thread, ada (admin) anywhere.
	d.SayIn(tina, "tier2", card.Ref.ID, "!status")
	mustContain(t, "tina's status", d.Chat.Last("tier2").Text(), "T-000001", "payslips")
	d.SayIn(alice, "help", escQ, "!status")
	mustContain(t, "alice's own status", d.Chat.Last("help").Text(), "T-000001", "payslips")
}
