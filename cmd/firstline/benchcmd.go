package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/report"
	"github.com/firstline-desk/firstline/storage"
)

// bench runs the storage benchmarks. There is one: "tickets".
func (m *Main) bench(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "tickets" {
		return usageError("bench needs tickets, like:\n  firstline bench tickets -n 100000")
	}
	return m.benchTickets(ctx, args[1:])
}

// benchBatch is how many tickets one fill transaction writes: large enough that the fill is not a
// commit per ticket, small enough that a transaction's dirty pages stay a few MB.
const benchBatch = 2000

// benchTicks is how many CheckSLAs ticks are timed, 30 s apart as the desk runs them.
const benchTicks = 7

// benchTicketsJSON is the contract of `bench tickets -json`.
type benchTicketsJSON struct {
	Tickets          int     `json:"tickets"`
	FileMB           float64 `json:"file_mb"`
	FillSeconds      float64 `json:"fill_seconds"`
	CheckSLAsMs      float64 `json:"check_slas_ms"`
	Report30dSeconds float64 `json:"report_30d_seconds"`
}

// benchTickets fills a fresh data file with n tickets of three years of a desk's life and times what
// grows with it: the SLA loop's tick and a 30-day report.
func (m *Main) benchTickets(ctx context.Context, args []string) error {
	fset := m.flagSet("bench tickets")
	n := fset.Int("n", 100000, "how many tickets to write")
	asJSON := fset.Bool("json", false, "print JSON")
	rest, err := parseFlags(fset, args, false)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError("bench tickets takes no arguments, got %q", rest)
	}
	if *n <= 0 {
		return usageError("-n is %d; it must be a positive number of tickets, like 100000", *n)
	}
	cfg, err := m.config()
	if err != nil {
		return err
	}
	desk := cfg.Bot()
	if len(desk.Tiers) == 0 || len(desk.SLA) == 0 {
		return usageError("bench tickets needs tiers and SLA targets ([sla.P1] ... [sla.P4]) in the config, or no -config for the demo desk's")
	}
	dir := m.dataDir
	if isSet(fset, "data") {
		// Only a fresh file measures a fill; and a real desk's data must never be the bench's.
		entries, err := os.ReadDir(dir)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("read -data %s: %w", dir, err)
		}
		if len(entries) > 0 {
			return usageError("-data %s is not empty: bench tickets fills a fresh data file, so give it a new or empty directory", dir)
		}
	} else {
		if dir, err = os.MkdirTemp("", "firstline-bench-"); err != nil {
			return fmt.Errorf("create a temporary data directory: %w", err)
		}
		defer os.RemoveAll(dir)
	}
	path := filepath.Join(dir, "firstline.db")
	now := time.Now()

	if !*asJSON {
		fmt.Fprintf(m.Stderr, "filling %s with %d tickets...\n", path, *n)
	}
	start := time.Now()
	mix, err := fillBenchTickets(ctx, path, *n, desk, now)
	if err != nil {
		return err
	}
	fill := time.Since(start)
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("measure the data file: %w", err)
	}
	fileMB := float64(st.Size()) / (1 << 20)

	tick, looked, err := timeCheckSLAs(ctx, path, desk, now)
	if err != nil {
		return err
	}
	rep, err := timeReport(ctx, path, cfg, now)
	if err != nil {
		return err
	}

	if *asJSON {
		return writeJSON(m.Stdout, benchTicketsJSON{
			Tickets:          *n,
			FileMB:           round(fileMB, 1),
			FillSeconds:      round(fill.Seconds(), 3),
			CheckSLAsMs:      round(ms(tick), 3),
			Report30dSeconds: round(rep.total.Seconds(), 3),
		})
	}
	w := m.Stdout
	fmt.Fprintf(w, "tickets             %d  (%d deflected, %d resolved by a human, %d of them reopened, %d active; %d with an SLA event pending)\n",
		*n, mix.deflected, mix.human, mix.reopened, mix.active, mix.pending)
	fmt.Fprintf(w, "file_mb             %.1f\n", fileMB)
	fmt.Fprintf(w, "fill_seconds        %.3f  (%d tickets a transaction, without fsync)\n", fill.Seconds(), benchBatch)
	fmt.Fprintf(w, "check_slas_ms       %.3f  (median of %d ticks 30 s apart from now, with fsync; %d tickets due and read in all)\n", ms(tick), benchTicks, looked)
	fmt.Fprintf(w, "report_30d_seconds  %.3f  (%d tickets read in %.3f s, built in %.3f s, text in %.3f s)\n",
		rep.total.Seconds(), rep.tickets, rep.read.Seconds(), rep.build.Seconds(), rep.text.Seconds())
	return nil
}

// benchMix counts what the fill wrote.
type benchMix struct {
	deflected, human, reopened, active, pending int
}

// fillBenchTickets writes n tickets created over the three years up to now. The file is opened with
// NoSync: a crash during the fill loses a bench file, nothing else, and fsync per batch would measure the
// disk rather than the store. Everything after the fill runs on the file opened normally.
func fillBenchTickets(ctx context.Context, path string, n int, desk bot.Config, now time.Time) (benchMix, error) {
	var mix benchMix
	db, err := storage.Open(path, storage.Options{NoSync: true})
	if err != nil {
		return mix, err
	}
	defer db.Close()
	g := newBenchGen(desk, now, n)
	created := g.arrivals(n)
	for i := 0; i < n; i += benchBatch {
		batch := make([]*bot.Ticket, 0, benchBatch)
		for _, at := range created[i:min(i+benchBatch, n)] {
			t := g.ticket(at)
			switch {
			case t.Status.Active():
				mix.active++
			case t.Tier == bot.LevelOne:
				mix.deflected++
			default:
				mix.human++
			}
			if slices.ContainsFunc(t.Events, func(e bot.Transition) bool { return e.Type == bot.TransitionReopened }) {
				mix.reopened++
			}
			if _, ok := t.NextSLAEvent(); ok && t.Status.Active() {
				mix.pending++
			}
			batch = append(batch, t)
		}
		if err := db.Update(ctx, func(tx bot.Tx) error {
			for _, t := range batch {
				if err := tx.CreateTicket(t); err != nil {
					return err
				}
				if err := tx.LinkConversation(t.Conversation, t.ID); err != nil {
					return err
				}
				for key, ref := range t.Messages {
					if err := tx.LinkMessage(ref, bot.MessageLink{Ticket: t.ID, Key: key}); err != nil {
						return err
					}
				}
			}
			return nil
		}); err != nil {
			return mix, fmt.Errorf("fill the bench data file: %w", err)
		}
	}
	return mix, db.Close()
}

// timeCheckSLAs runs the SLA loop's tick on the filled file, opened as the desk opens it (fsync on
// commit), at now and every 30 s after, and returns the median tick and how many tickets the ticks
// looked at. A tick that looks at a ticket that is not due fails the bench: the loop must read only
// what the due index points at.
func timeCheckSLAs(ctx context.Context, path string, desk bot.Config, now time.Time) (time.Duration, int, error) {
	db, err := storage.Open(path, storage.Options{})
	if err != nil {
		return 0, 0, err
	}
	defer db.Close()
	engine, err := bot.New(desk, db, nil, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		return 0, 0, err
	}
	var ticks []time.Duration
	looked := 0
	for i := range benchTicks {
		at := now.Add(time.Duration(i) * 30 * time.Second)
		var due []string
		if err := db.View(ctx, func(tx bot.Tx) error {
			due, err = tx.DueTickets(at, 0)
			return err
		}); err != nil {
			return 0, 0, err
		}
		start := time.Now()
		got, err := engine.CheckSLAs(ctx, at)
		ticks = append(ticks, time.Since(start))
		if err != nil {
			return 0, 0, fmt.Errorf("check SLAs: %w", err)
		}
		if got > len(due) {
			return 0, 0, fmt.Errorf("check SLAs looked at %d tickets with %d due", got, len(due))
		}
		looked += got
	}
	slices.Sort(ticks)
	return ticks[len(ticks)/2], looked, nil
}

type reportTimes struct {
	tickets                  int
	read, build, text, total time.Duration
}

// timeReport does what `firstline report -since 30d` does, timing each part: open the file read-only,
// read the tickets the window needs, build the figures, write the text.
func timeReport(ctx context.Context, path string, cfg Config, now time.Time) (reportTimes, error) {
	var rt reportTimes
	start := time.Now()
	db, err := storage.Open(path, storage.Options{ReadOnly: true})
	if err != nil {
		return rt, err
	}
	defer db.Close()
	since := now.AddDate(0, 0, -30)
	tickets, err := db.TicketsActiveOrUpdatedSince(ctx, since)
	if err != nil {
		return rt, err
	}
	rt.tickets = len(tickets)
	rt.read = time.Since(start)
	r := report.Build(tickets, report.Options{Since: since, Until: now, Tiers: cfg.Bot().Tiers, SLA: cfg.Bot().SLAPolicy()})
	rt.build = time.Since(start) - rt.read
	if err := r.Text(io.Discard); err != nil {
		return rt, err
	}
	rt.total = time.Since(start)
	rt.text = rt.total - rt.read - rt.build
	return rt, nil
}

// benchTopic is a kind of question: how people phrase it and the article that answers it.
type benchTopic struct {
	subjects []string
	article  string
	title    string
}

var benchTopics = []benchTopic{
	{[]string{"VPN will not connect from home", "Can't connect to the VPN", "VPN error 809"}, "vpn-connect", "Connect to Example VPN (or fix VPN that won't connect)"},
	{[]string{"VPN keeps disconnecting", "VPN is very slow today"}, "vpn-slow", "VPN is slow or keeps disconnecting"},
	{[]string{"Forgot my password", "Password expired and I can't log in", "Need a password reset"}, "password-reset", "Reset a forgotten or expired password"},
	{[]string{"Account locked out", "Locked out after too many attempts"}, "account-locked", "Unlock your account after too many failed sign-in attempts"},
	{[]string{"Outlook keeps asking for my password", "Outlook password prompt every few minutes"}, "outlook-password-prompt", "Outlook keeps asking for your password"},
	{[]string{"Printer on floor 3 is offline", "Printer jammed again", "Print job stuck in the queue"}, "printer-jammed", "Printer offline, paper jam or print job stuck in the queue"},
	{[]string{"How do I add the office printer", "Can't find the printer on my laptop"}, "printer-setup", "Add an office printer to your laptop"},
	{[]string{"New phone, need to move MFA", "Lost my MFA phone"}, "mfa-new-phone", "Move MFA to a new phone, or sign in after losing your MFA phone"},
	{[]string{"Laptop is very slow", "Laptop freezing and overheating"}, "laptop-slow", "Laptop running slow, freezing or overheating"},
	{[]string{"Second monitor not detected", "Docking station not working"}, "external-monitor", "Second monitor or docking station not detected"},
	{[]string{"OneDrive not syncing", "SharePoint files not syncing"}, "onedrive-sync", "OneDrive or SharePoint files not syncing"},
	{[]string{"Need access to the finance shared drive", "Access to the HR SharePoint site"}, "shared-drive-access", "Request access to a shared drive, folder or SharePoint site"},
	{[]string{"Need Photoshop installed", "Please install Visio", "Request for a new app"}, "software-install", "Install software from Company Portal or request a new app"},
	{[]string{"Microphone not working in Teams", "No sound in Teams meetings"}, "teams-audio", "Microphone, camera or speakers not working in Teams meetings"},
	{[]string{"Can't share my screen in Zoom", "Screen sharing greyed out in Teams"}, "screen-sharing", "Can't share your screen in Teams or Zoom (macOS permissions)"},
	{[]string{"Mailbox full", "Can't send email, mailbox over quota"}, "mailbox-full", "Mailbox full: free up space and use your online archive"},
	{[]string{"Suspicious email asking for my login", "I think I got a phishing email"}, "phishing-report", "Report a suspicious or phishing email"},
	{[]string{"BitLocker recovery key screen", "Laptop asks for a recovery key"}, "bitlocker-recovery", "BitLocker recovery key screen at startup"},
	{[]string{"Wi-Fi in the office keeps dropping", "Guest Wi-Fi password"}, "wifi-office", "Connect to office Wi-Fi and guest Wi-Fi"},
	{[]string{"Deleted a file by mistake", "Restore an older version of a spreadsheet"}, "backup-restore", "Restore a deleted file or an earlier version of a document"},
	{[]string{"New starter on Monday needs a laptop", "Accounts for a new starter"}, "new-starter", "Onboarding a new starter: accounts, laptop and access"},
	{[]string{"Need admin rights to install a driver", "Local admin rights request"}, "admin-rights", "Request local administrator rights on your laptop"},
	{[]string{"Disk full, can't save files", "Low disk space warning"}, "disk-space", "Free up disk space when your laptop is full"},
	{[]string{"Set up work email on my iPhone", "Teams on my Android phone"}, "email-phone", "Set up work email and Teams on your iPhone or Android phone"},
	// Questions the knowledge base has no article for: the knowledge gaps of a report.
	{[]string{"ERP invoice export fails with error 500", "Badge reader at the back door not working", "Payroll app shows the wrong cost centre", "CAD licence server unreachable"}, "", ""},
}

var benchSuffixes = []string{"", "", "", " since this morning", " after the update", " again", " on my new laptop", " urgent"}

var (
	benchFirst = []string{"Ana", "Ben", "Chloe", "David", "Emma", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Kim", "Leo", "Maya", "Noah", "Olga", "Priya", "Quentin", "Rosa", "Sam", "Tara"}
	benchLast  = []string{"Smith", "Garcia", "Müller", "Rossi", "Nowak", "Dubois", "Kim", "Silva", "Jensen", "Okafor", "Tanaka", "Novak"}
	benchTech  = []string{"I'll take a look now.", "Can you restart and try again?", "Which error do you see exactly?",
		"I've reset it on our side, please try again.", "Could you send a screenshot?", "That should be fixed now."}
	benchReply = []string{"Still the same.", "It works now, thanks!", "Here is the screenshot.", "I restarted, no change.", "OK, trying now."}
	benchNotes = []string{"probably the gateway cert", "known issue with the last update", "needs a licence from procurement"}
)

// benchGen makes the tickets of a plausible desk. It follows the engine's rules (the transitions each
// action records, the SLA clocks syncSLA keeps, the flags the SLA loop sets) so the indexes and the
// report see what a real desk would have left, and it is seeded so two runs write the same file.
type benchGen struct {
	rng      *rand.Rand
	desk     bot.Config
	now      time.Time
	platform string
	people   int
	seq      int
}

func newBenchGen(desk bot.Config, now time.Time, n int) *benchGen {
	platform, _ := bot.SplitID(desk.Tiers[0].Channel)
	// About one employee for every 20 tickets in three years: a few tickets a person a year.
	return &benchGen{rng: rand.New(rand.NewPCG(1, 2)), desk: desk, now: now, platform: platform, people: max(n/20, 10)}
}

// arrivals returns n creation times over the three years up to now, in order, mostly on weekdays in
// office hours.
func (g *benchGen) arrivals(n int) []time.Time {
	span := 3 * 365 * 24 * time.Hour
	from := g.now.Add(-span)
	out := make([]time.Time, 0, n)
	for len(out) < n {
		at := from.Add(time.Duration(g.rng.Int64N(int64(span))))
		if wd := at.Weekday(); (wd == time.Saturday || wd == time.Sunday) && g.rng.Float64() < 0.9 {
			continue
		}
		if h := at.Hour(); (h < 8 || h >= 18) && g.rng.Float64() < 0.85 {
			continue
		}
		out = append(out, at)
	}
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return out
}

// duration returns a random duration around mean (exponential): most things are quick, a few slow.
func (g *benchGen) duration(mean time.Duration) time.Duration {
	return time.Duration(g.rng.ExpFloat64() * float64(mean))
}

func (g *benchGen) pick(list []string) string { return list[g.rng.IntN(len(list))] }

func (g *benchGen) priority() string {
	switch p := g.rng.Float64(); {
	case p < 0.05:
		return "P1"
	case p < 0.20:
		return "P2"
	case p < 0.80:
		return "P3"
	}
	return "P4"
}

// outcome picks what becomes of a ticket. The backlog is a desk's real one: 30% of the last two weeks'
// tickets are still active, and a stale tail of 0.2% of older ones was never closed (at 1M tickets over
// three years, about 4,000 young and 2,000 stale: a busy desk, not a neglected one). Of those that
// finish, 40 : 45 : 5 are deflected, resolved by a human, and resolved, reopened and resolved again.
func (g *benchGen) outcome(created time.Time) string {
	active := 0.002
	if g.now.Sub(created) < 14*24*time.Hour {
		active = 0.3
	}
	if g.rng.Float64() < active {
		return "active"
	}
	// A deflection that picks a question without an article becomes a human's, so slightly more than
	// 40% are drawn for it.
	switch p := g.rng.Float64() * 0.9; {
	case p < 0.40*float64(len(benchTopics))/float64(len(benchTopics)-1):
		return "deflected"
	case p < 0.85:
		return "human"
	}
	return "reopened"
}

// benchTicket is a ticket being written: what happened to it, appended in order of time. Steps after now
// are dropped, so a young ticket is still where it would be now.
type benchTicket struct {
	t   *bot.Ticket
	g   *benchGen
	msg int
}

func (b *benchTicket) ok(at time.Time) bool { return !at.After(b.g.now) }

func (b *benchTicket) event(at time.Time, typ bot.TransitionType, to bot.Status, by, detail string) {
	t := b.t
	e := bot.Transition{At: at, Type: typ, By: by, Tier: t.Tier, Detail: detail}
	if to != "" && to != t.Status {
		e.From, e.To = t.Status, to
		t.Status = to
	}
	t.Events = append(t.Events, e)
	t.UpdatedAt = at
}

func (b *benchTicket) say(at time.Time, author, name, role, text string, internal bool) {
	b.t.Transcript = append(b.t.Transcript, bot.Entry{At: at, Author: author, Name: name, Role: role, Text: text, Internal: internal})
	b.t.UpdatedAt = at
}

// post records a message the bot posted under key.
func (b *benchTicket) post(key, channel, thread string) {
	b.msg++
	b.t.Messages[key] = bot.MessageRef{Platform: b.g.platform, Channel: channel, Thread: thread, ID: b.t.Conversation.Thread + "." + strconv.Itoa(b.msg)}
}

// offer answers with the topic's article; feedback follows at the given time unless it is "".
func (b *benchTicket) offer(at time.Time, topic benchTopic, n int, feedback string, fbAt time.Time) bool {
	t := b.t
	key := "answer-" + strconv.Itoa(n)
	article, title := topic.article, topic.title
	if n > 1 { // the next best article is usually a neighbour
		other := benchTopics[b.g.rng.IntN(len(benchTopics)-1)]
		article, title = other.article, other.title
	}
	t.Offers = append(t.Offers, bot.Offer{Article: article, Title: title, Confidence: 0.55 + 0.4*b.g.rng.Float64(), Message: key, At: at})
	b.post(key, t.Conversation.Channel, t.Conversation.Thread)
	b.event(at, bot.TransitionAnswered, "", "", "offered "+article)
	b.say(at, "", b.g.desk.Name, bot.RoleBot, "Offered: "+title+" ("+article+")", false)
	if feedback == "" || !b.ok(fbAt) {
		return false
	}
	t.Offers[len(t.Offers)-1].Feedback = feedback
	b.event(fbAt, bot.TransitionFeedback, "", t.Requester, feedback+" "+article)
	b.say(fbAt, t.Requester, t.RequesterName, bot.RoleRequester, "("+strings.ReplaceAll(feedback, "_", " ")+")", false)
	return true
}

func (b *benchTicket) escalate(at time.Time, tier bot.Tier, by, reason string) {
	t := b.t
	for i := range t.Cards {
		t.Cards[i].Current = false
	}
	key := "card-" + strconv.Itoa(len(t.Cards)+1)
	t.Cards = append(t.Cards, bot.Card{Key: key, Tier: tier.ID, Current: true, Note: reason, PostedAt: at})
	_, ch := bot.SplitID(tier.Channel)
	b.post(key, ch, "")
	t.Tier, t.Assignee, t.AssigneeName = tier.ID, "", ""
	b.event(at, bot.TransitionEscalated, bot.StatusEscalated, by, reason)
	b.say(at, "", b.g.desk.Name, bot.RoleBot, "Escalated to "+tier.Name+": "+reason, false)
}

func (b *benchTicket) claim(at time.Time) {
	tech := b.g.rng.IntN(8) + 1
	b.t.Assignee = fmt.Sprintf("%s:tech%d", b.g.platform, tech)
	b.t.AssigneeName = b.g.pick(benchFirst) + " (technician)"
	b.event(at, bot.TransitionClaimed, bot.StatusClaimed, b.t.Assignee, "")
}

// conversation adds technician and requester messages between from and to until the transcript has
// about want entries.
func (b *benchTicket) conversation(from, to time.Time, want int) {
	t := b.t
	for k := 0; len(t.Transcript) < want; k++ {
		at := from.Add(time.Duration(float64(to.Sub(from)) * float64(k+1) / float64(want+1)))
		if !b.ok(at) {
			return
		}
		switch {
		case k%2 == 0 && b.g.rng.Float64() < 0.1:
			b.say(at, t.Assignee, t.AssigneeName, bot.RoleTechnician, b.g.pick(benchNotes), true)
		case k%2 == 0:
			b.say(at, t.Assignee, t.AssigneeName, bot.RoleTechnician, b.g.pick(benchTech), false)
		default:
			b.say(at, t.Requester, t.RequesterName, bot.RoleRequester, b.g.pick(benchReply), false)
		}
	}
}

func (b *benchTicket) resolve(at time.Time, by string) {
	t := b.t
	done := at
	t.ResolvedAt, t.ResolvedBy = &done, by
	b.event(at, bot.TransitionResolved, bot.StatusResolved, by, "")
}

// rate gives 60% of the tickets a human resolved a rating, mostly good.
func (b *benchTicket) rate(resolved time.Time) {
	t := b.t
	b.post("csat", t.Conversation.Channel, t.Conversation.Thread)
	at := resolved.Add(time.Minute + b.g.duration(2*time.Hour))
	if b.g.rng.Float64() >= 0.6 || !b.ok(at) {
		return
	}
	score := 5
	switch p := b.g.rng.Float64(); {
	case p < 0.05:
		score = 1
	case p < 0.10:
		score = 2
	case p < 0.20:
		score = 3
	case p < 0.45:
		score = 4
	}
	t.CSAT = &bot.Rating{Score: score, RatedAt: at, By: t.Requester}
	b.event(at, bot.TransitionRated, "", t.Requester, fmt.Sprintf("%d/5", score))
}

// ticket makes one ticket opened at created.
func (g *benchGen) ticket(created time.Time) *bot.Ticket {
	g.seq++
	topic := benchTopics[g.rng.IntN(len(benchTopics))]
	person := g.rng.IntN(g.people)
	t := &bot.Ticket{
		Version: bot.TicketVersion, Tier: bot.LevelOne, Priority: g.priority(), PrioritySource: "default",
		Requester:     fmt.Sprintf("%s:u%06d", g.platform, person),
		RequesterName: benchFirst[person%len(benchFirst)] + " " + benchLast[person/len(benchFirst)%len(benchLast)],
		Conversation:  bot.Conversation{Platform: g.platform, Channel: "help", Thread: "q" + strconv.Itoa(g.seq)},
		Subject:       g.pick(topic.subjects) + g.pick(benchSuffixes),
		Messages:      map[string]bot.MessageRef{},
		CreatedAt:     created,
	}
	b := &benchTicket{t: t, g: g}
	b.event(created, bot.TransitionOpened, bot.StatusOpen, t.Requester, "")
	b.say(created, t.Requester, t.RequesterName, bot.RoleRequester, t.Subject, false)
	outcome := g.outcome(created)
	if outcome == "deflected" && topic.article == "" {
		outcome = "human" // nothing to deflect with
	}
	answered := created.Add(2 * time.Second)

	if outcome == "deflected" {
		n := 1
		if g.rng.Float64() < 0.25 {
			if b.offer(answered, topic, 1, bot.FeedbackNotHelpful, created.Add(time.Minute+g.duration(3*time.Minute))) {
				n, answered = 2, t.UpdatedAt.Add(2*time.Second)
			}
		}
		solved := answered.Add(time.Minute + g.duration(8*time.Minute))
		if b.offer(answered, topic, n, bot.FeedbackSolved, solved) {
			b.resolve(solved, t.Requester)
		}
		g.syncSLA(t)
		return t
	}

	// Toward a human: no article, one answered "talk to a human", or two with "not helpful" first.
	reason := "no article matched"
	step := created.Add(time.Minute + g.duration(4*time.Minute))
	if topic.article != "" {
		switch p := g.rng.Float64(); {
		case outcome == "active" && p < 0.2:
			// Still with the bot, waiting for the requester's feedback.
			b.offer(answered, topic, 1, "", time.Time{})
			g.syncSLA(t)
			return t
		case p < 0.5:
			if !b.offer(answered, topic, 1, bot.FeedbackNotHelpful, step) {
				break
			}
			step = step.Add(time.Minute + g.duration(2*time.Minute))
			b.offer(t.UpdatedAt.Add(2*time.Second), topic, 2, bot.FeedbackHuman, step)
			reason = "the requester asked for a human"
		default:
			b.offer(answered, topic, 1, bot.FeedbackHuman, step)
			reason = "the requester asked for a human"
		}
	}
	if !b.ok(step) {
		g.syncSLA(t)
		return t
	}
	b.escalate(step, g.desk.Tiers[0], t.Requester, reason)
	target := g.desk.SLA[t.Priority]
	// Most responses and resolutions come well within their targets; some (about 6% and 4%) do not.
	claimed := g.add(t.Priority, step, time.Minute+g.duration(cmp.Or(target.Response, time.Hour)*35/100))
	if outcome == "active" && g.rng.Float64() < 0.35 || !b.ok(claimed) {
		g.syncSLA(t) // waiting in the tier's queue
		return t
	}
	b.claim(claimed)
	resolved := g.add(t.Priority, created, max(g.duration(cmp.Or(target.Resolution, 8*time.Hour)*3/10), claimed.Sub(created)+30*time.Minute))
	if len(g.desk.Tiers) > 1 && g.rng.Float64() < 0.2 {
		// A fifth go on to the next tier.
		up := claimed.Add(time.Duration(g.rng.Float64() * float64(resolved.Sub(claimed)) / 3))
		if b.ok(up) {
			b.escalate(up, g.desk.Tiers[1], t.Assignee, "needs "+g.desk.Tiers[1].Name)
			if at := up.Add(time.Minute + g.duration(30*time.Minute)); b.ok(at) {
				b.claim(at)
				claimed = at
			}
		}
	}
	b.conversation(claimed, resolved, 4+g.rng.IntN(7))
	if outcome == "active" {
		if g.rng.Float64() < 0.3 {
			// Waiting on the requester: the clocks are paused.
			if at := t.UpdatedAt.Add(time.Minute); b.ok(at) {
				b.event(at, bot.TransitionWaiting, "", t.Assignee, "waiting on the requester")
				t.SLA = &bot.SLA{WaitingSince: &at}
			}
		}
		g.syncSLA(t)
		return t
	}
	if !b.ok(resolved) || t.Status != bot.StatusClaimed {
		g.syncSLA(t)
		return t
	}
	b.resolve(resolved, t.Assignee)
	if outcome == "reopened" {
		back := resolved.Add(time.Hour + g.duration(24*time.Hour))
		if b.ok(back) {
			b.event(back, bot.TransitionReopened, bot.StatusClaimed, t.Requester, "")
			b.say(back, t.Requester, t.RequesterName, bot.RoleRequester, "It happened again.", false)
			t.ResolvedAt = nil
			again := back.Add(time.Hour + g.duration(8*time.Hour))
			if !b.ok(again) {
				g.syncSLA(t)
				return t
			}
			b.say(again.Add(-time.Minute), t.Assignee, t.AssigneeName, bot.RoleTechnician, "Fixed for good this time, I hope.", false)
			b.resolve(again, t.Assignee)
			resolved = again
		}
	}
	b.rate(resolved)
	g.syncSLA(t)
	return t
}

// add is business time after from for the priority's calendar.
func (g *benchGen) add(priority string, from time.Time, d time.Duration) time.Time {
	if h := g.desk.SLA[priority].Hours; h != nil {
		return h.Add(from, d)
	}
	return from.Add(d)
}

// syncSLA sets the clocks as the engine's syncSLA would from the ticket's history, then the flags and
// transitions of the warnings and breaches the SLA loop (every 30 s) would have announced by now.
func (g *benchGen) syncSLA(t *bot.Ticket) {
	target, ok := g.desk.SLA[t.Priority]
	if !ok {
		return
	}
	s := &bot.SLA{Priority: t.Priority}
	if t.SLA != nil {
		s.WaitingSince = t.SLA.WaitingSince
	}
	t.SLA = s
	share := g.desk.SLAWarnAt
	if share <= 0 || share >= 1 {
		share = bot.DefaultSLAWarnAt
	}
	at := func(x time.Time) *time.Time { return &x }
	set := func(c *bot.SLAClock, start time.Time, d time.Duration) {
		c.Start = at(start)
		c.Due = at(g.add(t.Priority, start, d))
		c.WarnAt = at(g.add(t.Priority, start, time.Duration(float64(d)*share)))
	}
	if target.Resolution > 0 {
		set(&s.Resolution, t.CreatedAt, target.Resolution)
		if t.Status == bot.StatusResolved && t.ResolvedAt != nil {
			s.Resolution.Met = at(*t.ResolvedAt)
		}
	}
	if target.Response > 0 {
		for _, e := range t.Events {
			if e.Type == bot.TransitionEscalated {
				set(&s.Response, e.At, target.Response)
				break
			}
		}
		if s.Response.Start != nil {
			for _, e := range t.Events {
				if e.Type == bot.TransitionClaimed && (s.Response.Met == nil || e.At.Before(*s.Response.Met)) {
					s.Response.Met = at(e.At)
				}
			}
			for _, e := range t.Transcript {
				if e.Role == bot.RoleTechnician && !e.Internal && !e.At.Before(*s.Response.Start) && (s.Response.Met == nil || e.At.Before(*s.Response.Met)) {
					s.Response.Met = at(e.At)
				}
			}
		}
	}
	g.announce(t)
}

// announce sets what the SLA loop would have sent by its last tick before now: a warning or breach on a
// clock still running at the tick, each once, with its transition at the tick.
func (g *benchGen) announce(t *bot.Ticket) {
	s := t.SLA
	if s == nil {
		return
	}
	horizon := g.now.Add(-30 * time.Second)
	if s.WaitingSince != nil && s.WaitingSince.Before(horizon) {
		horizon = *s.WaitingSince
	}
	tick := func(x time.Time) time.Time { return x.Truncate(30 * time.Second).Add(30 * time.Second) }
	for _, c := range []struct {
		name  string
		clock *bot.SLAClock
	}{{"first response", &s.Response}, {"resolution", &s.Resolution}} {
		cl := c.clock
		if cl.Start == nil {
			continue
		}
		running := func(x time.Time) bool {
			return !tick(x).After(horizon) && (cl.Met == nil || tick(x).Before(*cl.Met))
		}
		if !cl.Warned && running(*cl.WarnAt) && tick(*cl.WarnAt).Before(tick(*cl.Due)) {
			cl.Warned = true
			t.Events = append(t.Events, bot.Transition{At: tick(*cl.WarnAt), Type: bot.TransitionSLAWarned, Tier: t.Tier, Detail: c.name})
		}
		if !cl.Breached && running(*cl.Due) {
			cl.Breached, cl.Warned = true, true
			t.Events = append(t.Events, bot.Transition{At: tick(*cl.Due), Type: bot.TransitionSLABreached, Tier: t.Tier, Detail: c.name})
		}
	}
	slices.SortStableFunc(t.Events, func(a, b bot.Transition) int { return a.At.Compare(b.At) })
	if last := t.Events[len(t.Events)-1].At; last.After(t.UpdatedAt) {
		t.UpdatedAt = last
	}
}
