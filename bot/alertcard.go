package bot

// The card of an alert ticket: what the monitor said (its status, summary, description, runbook,
// labels and alerts) and the actions its route suggests, instead of a person's question and the
// articles offered.

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/firstline-desk/firstline/internal/plural"
)

// alertCardPost renders the card of a ticket a monitor opened.
func (e *Engine) alertCardPost(t *Ticket, card *Card) Post {
	cfg := e.cfg
	g := t.Alert
	owner := t.AssigneeName
	if owner == "" {
		owner = "unclaimed"
	}
	status := string(t.Status)
	if t.Status == StatusPendingVendor && t.Vendor != nil {
		status = "with " + t.Vendor.Name
	}
	if !card.Current {
		status, owner = card.Note, card.Owner
		if owner == "" {
			owner = "unclaimed"
		}
	}
	alert := "resolved"
	if g.Status == AlertFiring {
		alert = fmt.Sprintf("firing (%s)", plural.Count(g.Firing+g.Truncated, "alert", "alerts"))
	}
	fields := []Field{
		{Name: "Ticket", Value: t.ID},
		{Name: "Requester", Value: t.RequesterName + " (monitor)"},
		{Name: "Priority", Value: priorityText(t, cfg.CommandPrefix)},
		{Name: "Tier", Value: cfg.tierName(card.Tier)},
		{Name: "Owner", Value: owner},
		{Name: "Status", Value: status},
		{Name: "Alert", Value: alert},
		{Name: "Fired", Value: g.FiredAt.UTC().Format("Mon 2 Jan 15:04 MST")},
	}
	if due := slaDueText(t); due != "" && card.Current {
		fields = append(fields, Field{Name: "SLA due", Value: due})
	}
	title := fmt.Sprintf("%s: %s", t.ID, t.Subject)
	var b strings.Builder
	fmt.Fprintf(&b, "**%s** raised an alert: %s", t.RequesterName, quoteLine(t.Subject))
	if !card.Current {
		fmt.Fprintf(&b, "\nThis card is no longer current (%s).", card.Note)
		return Post{Title: title, Text: b.String(), Fields: fields}
	}
	if card.Note != "" {
		fmt.Fprintf(&b, "\nWhy it is here: %s", card.Note)
	}
	if g.Status == AlertFiring {
		fmt.Fprintf(&b, "\n🔥 **Firing**: %s since %s", plural.Count(g.Firing+g.Truncated, "alert", "alerts"), g.FiredAt.UTC().Format("Mon 2 Jan 15:04 MST"))
	} else {
		fmt.Fprintf(&b, "\n✅ **Resolved**: %s stopped firing", plural.Count(g.Resolved, "alert", "alerts"))
	}
	if s := g.Annotations["summary"]; s != "" && !strings.Contains(t.Subject, quoteLine(s)) {
		fmt.Fprintf(&b, "\nSummary: %s", quoteLine(s))
	}
	if d := strings.TrimSpace(g.Annotations["description"]); d != "" {
		fmt.Fprintf(&b, "\nDescription: %s", clip(strings.Join(strings.Fields(d), " "), 400))
	}
	if r := linkText(g.Annotations["runbook_url"]); r != "" && utf8.RuneCountInString(r) <= 500 {
		fmt.Fprintf(&b, "\nRunbook: %s", r)
	}
	if len(g.Labels) > 0 {
		fmt.Fprintf(&b, "\nLabels: %s", labelCodes(g.Labels, 700))
	}
	if len(g.Actions) > 0 {
		b.WriteString("\nSuggested actions:")
		for _, id := range g.Actions {
			fmt.Fprintf(&b, " `%srun %s`", cfg.CommandPrefix, codeText(id, 60))
		}
	}
	r := cfg.Reactions
	footer := fmt.Sprintf("\nReact :%s: to claim, :%s: to escalate, :%s: to resolve. The requester is a monitor and reads nothing: what you write in this thread stays on the ticket (start with `note:` to mark it internal).",
		r.Claim, r.Escalate, r.Resolve)
	var links []string
	if len(g.Alerts) > 0 {
		if u := linkText(g.Alerts[0].GeneratorURL); u != "" {
			links = append(links, "source "+u)
		}
	}
	if u := linkText(g.ExternalURL); u != "" {
		links = append(links, t.RequesterName+" "+u)
	}
	// The links go last, as they fit: an address cut short would lead somewhere else.
	tail := footer
	for len(links) > 0 {
		tail = "\nLinks: " + strings.Join(links, ", ") + footer
		if utf8.RuneCountInString(b.String()+tail) <= maxCardText-200 {
			break
		}
		links, tail = links[:len(links)-1], footer
	}
	b.WriteString(alertLines(g, maxCardText-utf8.RuneCountInString(b.String()+tail)))
	b.WriteString(tail)
	return Post{Title: title, Text: b.String(), Fields: fields, Choices: alertActionChoices(cfg, t, card)}
}

// alertLines lists the group's alerts, each with the labels that set it apart from the group's, as many
// as fit in room characters; the rest are counted.
func alertLines(g *AlertGroup, room int) string {
	if len(g.Alerts) < 2 && g.Truncated == 0 {
		return "" // one alert: the group's labels are its own
	}
	var b strings.Builder
	b.WriteString("\nAlerts:")
	room -= len("\nAlerts:") + len("\n(and 100000 more)")
	shown := 0
	for _, a := range g.Alerts {
		own := map[string]string{}
		for k, v := range a.Labels {
			if g.Labels[k] != v {
				own[k] = v
			}
		}
		mark, when := "🔥", "since "+a.StartsAt.UTC().Format("15:04")
		if a.Status == AlertResolved {
			mark, when = "✅", "resolved"
		}
		line := fmt.Sprintf("\n- %s %s %s", mark, labelCodes(own, 200), when)
		if room -= utf8.RuneCountInString(line); room < 0 {
			break
		}
		b.WriteString(line)
		shown++
	}
	if more := g.Firing + g.Resolved + g.Truncated - shown; more > 0 {
		fmt.Fprintf(&b, "\n(and %d more)", more)
	}
	return b.String()
}

// labelCodes writes labels as code spans, sorted, in at most room characters: `severity=critical`
// `team=db` (and 3 more).
func labelCodes(labels map[string]string, room int) string {
	var parts []string
	used := 0
	keys := slices.Sorted(maps.Keys(labels))
	for i, k := range keys {
		part := "`" + codeText(k, 40) + "=" + codeText(labels[k], 80) + "`"
		if used += utf8.RuneCountInString(part) + 1; used > room-len(" (and 100 more)") {
			parts = append(parts, fmt.Sprintf("(and %d more)", len(keys)-i))
			break
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, " ")
}

// codeText makes a monitor's text fit in a code span: one line, no backticks, at most n characters.
func codeText(s string, n int) string {
	s = strings.ReplaceAll(strings.Join(strings.Fields(s), " "), "`", "'")
	return clip(s, n)
}

// linkText is an address a monitor gave, when it is a web address: others (javascript:, a file path)
// are not shown as links.
func linkText(s string) string {
	s = strings.TrimSpace(s)
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.ContainsAny(s, " \t\n<>") ||
		utf8.RuneCountInString(s) > 1000 {
		return "" // cut short, an address would lead somewhere else
	}
	return s
}
