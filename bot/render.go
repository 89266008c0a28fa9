package bot

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/firstline-desk/firstline/kb"
	"github.com/firstline-desk/firstline/markdown"
)

// maxArticleChars is the most of an article one answer or one "!kb show" holds: a page. Chat
// platforms cap a message's length, and the engine posts a page as several messages where they do
// (splitPost); a longer article ends with the command that shows the next page, so none of it is lost.
const maxArticleChars = 8000

// articlePages cuts an article's body into pages of at most maxArticleChars, at paragraph boundaries
// (markdown.Split): page 1 is what an answer shows.
func articlePages(body string) []string {
	return markdown.Split(body, maxArticleChars)
}

// readOn is the line that ends a page of an article that has more: how to read the next.
func (e *Engine) readOn(a kb.Article, version, page, pages int) string {
	v := ""
	if version > 0 {
		v = fmt.Sprintf(" v%d", version)
	}
	return fmt.Sprintf("_Page %d of %d of this article: read on with `%skb show %s%s page %d`._", page, pages, e.cfg.CommandPrefix, a.ID, v, page+1)
}

// answerText posts the first article whole (or its first page, with how to read on) and lists the
// others.
func (e *Engine) answerText(t *Ticket, intro string, articles []kb.Article) string {
	var b strings.Builder
	first := articles[0]
	pages := articlePages(first.Body)
	fmt.Fprintf(&b, "%s **%s** (`%s`)\n\n%s", intro, first.Title, first.ID, pages[0])
	if len(pages) > 1 {
		b.WriteString("\n\n" + e.readOn(first, 0, 1, len(pages)))
	}
	if len(articles) > 1 {
		b.WriteString("\n\nAlso related:")
		for _, a := range articles[1:] {
			fmt.Fprintf(&b, "\n- **%s** (`%s`)", a.Title, a.ID)
		}
	}
	fmt.Fprintf(&b, "\n\nDid this solve it? (ticket **%s**)", t.ID)
	return b.String()
}

// suggestionText lists articles the bot is not sure about, each with its opening lines, so the requester
// can tell which fits, and says how to read one whole.
func (e *Engine) suggestionText(t *Ticket, intro string, articles []kb.Article) string {
	var b strings.Builder
	b.WriteString(intro)
	for i, a := range articles {
		fmt.Fprintf(&b, "\n%d. **%s** (`%s`): %s", i+1, a.Title, a.ID, quoteLine(excerpt(firstParagraph(a.Body), 200)))
	}
	fmt.Fprintf(&b, "\n\nRead one whole with `%skb show ID` (the id in brackets). Did one of these solve it? (ticket **%s**)", e.cfg.CommandPrefix, t.ID)
	return b.String()
}

func firstParagraph(md string) string {
	p, _, _ := strings.Cut(strings.TrimSpace(md), "\n\n")
	return p
}

// excerpt cuts Markdown at a paragraph boundary before max characters, marking the cut with "…". It is
// for previews that say where the whole text is (a list of suggestions); what a reader needs whole is
// split, not cut (markdown.Split).
func excerpt(body string, max int) string {
	text, cut := cutParagraphs(body, max)
	if cut {
		text += "\n\n…"
	}
	return text
}

// cutParagraphs cuts Markdown to at most max characters, at the last paragraph boundary (or, when that
// would leave less than half, wherever the first part of markdown.Split ends), and reports whether it cut.
// The caller says what was left out and where it is.
func cutParagraphs(body string, max int) (string, bool) {
	body = strings.TrimSpace(body)
	if max <= 0 || utf8.RuneCountInString(body) <= max {
		return body, false
	}
	return markdown.Split(body, max)[0], true
}

// cardPost renders a ticket's handoff card for technicians.
func (e *Engine) cardPost(t *Ticket, card *Card) Post {
	if t.Alert != nil {
		return e.alertCardPost(t, card)
	}
	cfg := e.cfg
	owner := t.AssigneeName
	if owner == "" {
		owner = "unclaimed"
	}
	status := string(t.Status)
	if t.Status == StatusPendingVendor && t.Vendor != nil {
		status = "with " + t.Vendor.Name
		if t.Vendor.Reference != "" {
			status += " (" + t.Vendor.Reference + ")"
		}
	}
	if t.SLA != nil && t.SLA.WaitingSince != nil && t.Status.Active() {
		status += ", waiting on the requester"
	}
	if !card.Current {
		// An old card says who had the ticket and where it went, not who has it now.
		status = card.Note
		owner = card.Owner
		if owner == "" {
			owner = "unclaimed"
		}
	}
	fields := []Field{
		{Name: "Ticket", Value: t.ID},
		{Name: "Requester", Value: t.RequesterName},
		{Name: "Priority", Value: priorityText(t, cfg.CommandPrefix)},
		{Name: "Tier", Value: cfg.tierName(card.Tier)},
		{Name: "Owner", Value: owner},
		{Name: "Status", Value: status},
	}
	if t.Category != "" {
		fields = append(fields, Field{Name: "Category", Value: t.Category})
	}
	if due := slaDueText(t); due != "" && card.Current {
		fields = append(fields, Field{Name: "SLA due", Value: due})
	}
	var b strings.Builder
	fmt.Fprintf(&b, "**%s** asked: %s", t.RequesterName, quoteLine(t.Subject))
	if t.Form != nil {
		b.WriteString("\n" + t.Form.lines())
	}
	if card.Current && card.Note != "" {
		fmt.Fprintf(&b, "\nWhy it is here: %s", card.Note)
	}
	if !card.Current {
		fmt.Fprintf(&b, "\nThis card is no longer current (%s).", card.Note)
		return Post{Title: fmt.Sprintf("%s: %s", t.ID, t.Subject), Text: b.String(), Fields: fields}
	}
	summary, by := factSummary(t), ""
	if t.Summary != nil {
		summary = t.Summary.Text
		if t.Summary.By == "model" {
			by = " (by the AI assistant)"
		}
	}
	if cut, ok := cutParagraphs(summary, maxCardSummary); ok {
		summary = fmt.Sprintf("%s\n(cut short: `%ssummary` in this thread posts it whole)", cut, cfg.CommandPrefix)
	}
	fmt.Fprintf(&b, "\nSummary%s:\n%s", by, summary)
	if len(t.Offers) > 0 {
		b.WriteString("\nArticles offered:")
		for _, o := range t.Offers {
			fb := o.Feedback
			if fb == "" {
				fb = "no feedback"
			}
			fmt.Fprintf(&b, "\n- %s (`%s`): %s", o.Title, o.Article, strings.ReplaceAll(fb, "_", " "))
		}
	} else {
		b.WriteString("\nArticles offered: none")
	}
	b.WriteString(filesText(t))
	r := cfg.Reactions
	footer := fmt.Sprintf("\nReact :%s: to claim, :%s: to escalate, :%s: to resolve. Replies in this thread reach the requester; start with `note:` to keep one internal.",
		r.Claim, r.Escalate, r.Resolve)
	lines, whole := cardConversation(t, maxCardText-utf8.RuneCountInString(b.String()+footer))
	if len(lines) > 0 {
		b.WriteString("\nConversation so far:")
		for _, l := range lines {
			b.WriteString("\n> " + l)
		}
		if !whole {
			b.WriteString("\n(Earlier or longer messages: the whole conversation is in this thread.)")
		}
	}
	b.WriteString(footer)
	return Post{Title: fmt.Sprintf("%s: %s", t.ID, t.Subject), Text: b.String(), Fields: fields}
}

// A card's text must fit where platforms show it whole (Discord shows 4,096 characters of an embed's
// text), instructions included. What does not fit is not lost: the full conversation is posted in the
// card's thread with the card (conversationPost), and "!summary" posts the summary whole.
const (
	maxCardText    = 3600
	maxCardSummary = 1200
	maxCardLines   = 40
)

// cardConversation returns the latest lines of the conversation a technician should read (notes
// included), as many as fit in room characters (at most maxCardLines), each flattened to one line of at
// most 300 characters, and whether they are the whole conversation, unshortened.
func cardConversation(t *Ticket, room int) (lines []string, whole bool) {
	room -= len("\nConversation so far:\n(Earlier or longer messages: the whole conversation is in this thread.)")
	whole = true
	for i := len(t.Transcript) - 1; i >= 0; i-- {
		en := t.Transcript[i]
		text := quoteLine(en.Text)
		if en.Internal {
			text = "(note) " + text
		}
		line := fmt.Sprintf("%s: %s", en.Name, text)
		if room -= utf8.RuneCountInString(line) + 3; room < 0 || len(lines) == maxCardLines {
			whole = false // the oldest give way; the thread has them
			break
		}
		if utf8.RuneCountInString(strings.Join(strings.Fields(en.Text), " ")) > utf8.RuneCountInString(quoteLine(en.Text)) {
			whole = false
		}
		lines = append(lines, line)
	}
	slices.Reverse(lines)
	return lines, whole
}

// conversationPost is a ticket's whole conversation, for its card's thread when the card cannot show
// all of it: every message as it was written (redacted when it was stored), notes marked.
func conversationPost(t *Ticket) string {
	var b strings.Builder
	fmt.Fprintf(&b, "The whole conversation of **%s** so far:", t.ID)
	for _, en := range t.Transcript {
		role := en.Role
		if en.Internal {
			role = "note"
		}
		fmt.Fprintf(&b, "\n\n**%s** (%s, %s):\n%s", en.Name, role, en.At.UTC().Format("Mon 2 Jan 15:04"), strings.TrimSpace(en.Text))
	}
	return b.String()
}

// cardIsWhole reports whether a ticket's card shows its whole conversation unshortened.
func (e *Engine) cardIsWhole(t *Ticket, card *Card) bool {
	return !strings.Contains(e.cardPost(t, card).Text, "the whole conversation is in this thread")
}

// priorityText is a ticket's priority with who set it when that was the model, so technicians know to
// check it, and the model's more urgent suggestion, for a technician to accept.
func priorityText(t *Ticket, prefix string) string {
	p := t.Priority
	if t.PrioritySource == "model" {
		p += " (suggested by AI)"
	}
	if t.SuggestedPriority != "" && t.SuggestedPriority != t.Priority {
		p += fmt.Sprintf(" (AI suggests %s: `%spriority accept`)", t.SuggestedPriority, prefix)
	}
	return p
}

// quoteLine flattens a message to one bounded line for cards and lists.
func quoteLine(s string) string {
	return clip(strings.Join(strings.Fields(s), " "), 300)
}

func (e *Engine) statusText(t *Ticket) string {
	owner := t.AssigneeName
	if owner == "" {
		owner = "nobody yet"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "**%s**: %s\nStatus: %s · Tier: %s · Priority: %s · Owner: %s\nOpened %s by %s",
		t.ID, quoteLine(t.Subject), t.Status, e.cfg.tierName(t.Tier), t.Priority, owner,
		t.CreatedAt.UTC().Format("2006-01-02 15:04 MST"), t.RequesterName)
	if t.ResolvedAt != nil {
		fmt.Fprintf(&b, "\nResolved %s", t.ResolvedAt.UTC().Format("2006-01-02 15:04 MST"))
	}
	if t.CSAT != nil {
		fmt.Fprintf(&b, " · rated %d/5", t.CSAT.Score)
	}
	return b.String()
}

func (e *Engine) listText(empty, heading string, tickets []*Ticket) string {
	if len(tickets) == 0 {
		return empty
	}
	var b strings.Builder
	b.WriteString(heading + ":")
	for _, t := range tickets {
		owner := ""
		if t.AssigneeName != "" {
			owner = ", " + t.AssigneeName
		}
		fmt.Fprintf(&b, "\n- **%s** %s (%s, %s%s)", t.ID, clip(quoteLine(t.Subject), 80), t.Status, e.cfg.tierName(t.Tier), owner)
	}
	return b.String()
}

func (e *Engine) helpText() string {
	p := e.cfg.CommandPrefix
	r := e.cfg.Reactions
	text := fmt.Sprintf(`I'm %s, the IT service desk. Ask your question in a help channel or in a direct message: I answer from the knowledge base, and pass you to a technician when I can't help.
Commands:
- `+"`%shelp`"+`: this help
- `+"`%sstatus`"+`: your open tickets, or the ticket of the thread you are in
- `+"`%sescalate`"+`: talk to a human (in your ticket's thread); technicians: move the ticket to the next tier
- `+"`%sresolve`"+`: resolve the ticket of the thread you are in
- `+"`%spriority P1`"+` (technicians): change the ticket's priority (`+"`accept`"+` takes the AI's suggestion); `+"`%swaiting`"+`: pause its SLA clocks until the requester writes; `+"`%ssummary`"+`: a fresh handoff summary
%s- outside a ticket's threads, name the ticket first: `+"`%sstatus T-000123`"+`
Technicians react on a ticket card: :%s: claim, :%s: escalate, :%s: resolve. Replies in a card's thread reach the requester; start one with `+"`note:`"+` to keep it internal.`,
		e.cfg.Name, p, p, p, p, p, p, p, e.actionsHelp(), p, r.Claim, r.Escalate, r.Resolve)
	if e.signIn != nil {
		text += fmt.Sprintf("\n`%sweb`: a link to the web console, sent to you in a direct message.", p)
	}
	return text
}

// actionsHelp is help's line on actions, on a desk that defines some.
func (e *Engine) actionsHelp() string {
	if len(e.cfg.Actions) == 0 {
		return ""
	}
	p := e.cfg.CommandPrefix
	return fmt.Sprintf("- `%srun ACTION name=value…`: have the desk run an action for you (unlock an account, join a group); `%sactions` lists the ones you can ask for\n", p, p)
}

func nameOf(display, id string) string {
	if display != "" {
		return display
	}
	_, name := SplitID(id)
	return name
}

// maxThreadName bounds a thread's name: Discord's limit, the only platform whose threads have names.
const maxThreadName = 100

// threadName names a ticket's threads (the requester's and its cards'): its id and subject, which is
// redacted and one line, so a thread's name shows no secret and no more than the card does.
func threadName(t *Ticket) string {
	name := t.ID
	if s := strings.Join(strings.Fields(t.Subject), " "); s != "" {
		name += ": " + s
	}
	return clip(name, maxThreadName)
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(line)
}

// humanDuration writes a window like "7 days" or "12 hours".
func humanDuration(d time.Duration) string {
	switch {
	case d >= 48*time.Hour && d%(24*time.Hour) == 0:
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	case d >= 2*time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%d hours", d/time.Hour)
	}
	return d.String()
}

// slaDueText is the nearest running SLA deadline of a ticket, for its card: "response 14:30 (breached)".
func slaDueText(t *Ticket) string {
	if t.SLA == nil || !t.Status.Active() {
		return ""
	}
	var parts []string
	for _, c := range []struct {
		name  string
		clock SLAClock
	}{{"response", t.SLA.Response}, {"resolution", t.SLA.Resolution}} {
		if c.clock.Start == nil || c.clock.Met != nil || c.clock.Due == nil {
			continue
		}
		s := c.name + " " + c.clock.Due.Format("Mon 2 Jan 15:04")
		if c.clock.Breached {
			s += " (breached)"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}
