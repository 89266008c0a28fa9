package main

// The replica crash test's technicians: two of them react with the claim emoji on every escalation card
// at the same moment, each delivery sent to a different replica (and delivered again, to the next one,
// until answered 2xx), while replicas are killed; short SLA targets make some of those tickets warn and
// breach before anyone claims them. After the run, claimsAndNotices checks from the database and the fake
// Slack that every claimed ticket has one owner, shown on its card, that the other technician was told
// once that it was taken, and that every SLA notice the tickets record was posted once.

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/firstline-desk/firstline/adapters/slack/fakeslack"
	"github.com/firstline-desk/firstline/bot"
)

// The second technician of the replica crash test (the first is loadTechUser).
const loadTechUser2 = "UJAN"

// replicaSLA is the replica crash test's [sla]: a first response due 3 s after the escalation around the
// clock, the warning at half of it, so tickets warn and breach within the run while replicas die. A
// ticket has no resolution target: it would not be met within the run, and its notices would come after.
const replicaSLA = `
[sla]
warn_at = 0.5
[sla.P1]
response = "3s"
business_hours = false
[sla.P2]
response = "3s"
business_hours = false
[sla.P3]
response = "3s"
business_hours = false
[sla.P4]
response = "3s"
business_hours = false
`

// claimMaxDelay is the longest a card waits for its claim: long past the 3 s target, so about half the
// cards breach first (when a replica's SLA tick comes in time) and the others are claimed before.
const claimMaxDelay = 6 * time.Second

var ticketIDPattern = regexp.MustCompile(`T-[0-9]{6}`)

// cardOwnerPattern finds the Owner field in a card's blocks (JSON, the field "*Owner*\nNAME").
var cardOwnerPattern = regexp.MustCompile(`\*Owner\*\\n([^"\\]*)"`)

// claimRace is the two claims of one card.
type claimRace struct {
	ticket, card string
	acked        [2]bool
	attempts     [2]int
	// again: deliver it once more after its 2xx, to another replica, as Slack does when the answer came
	// later than it waits (3 s): the duplicate must change nothing.
	again [2]bool
}

// claimers sends the technicians' claim reactions.
type claimers struct {
	ctx       context.Context // the deliveries' (watch's may end first)
	fake      *fakeslack.Server
	endpoints []string
	rng       *rand.Rand

	mu      sync.Mutex
	races   map[string]*claimRace // ticket id -> its race
	scanned int
	pending sync.WaitGroup
	sent    atomic.Int64
	// redelivered counts deliveries after the first of a reaction (refused, unanswered, or duplicated).
	redelivered int
	// late are the races held back until the end: their tickets breach whatever the SLA loop's timing
	// during the kills (lateRaces).
	late []*claimRace
}

func newClaimers(ctx context.Context, fake *fakeslack.Server, endpoints []string, seed uint64) *claimers {
	return &claimers{ctx: ctx, fake: fake, endpoints: endpoints, rng: rand.New(rand.NewPCG(seed, 5)), races: map[string]*claimRace{}}
}

// watch looks for new cards until ctx ends, and schedules the race of each.
func (c *claimers) watch(ctx context.Context) {
	for {
		c.scan()
		select {
		case <-ctx.Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// scan schedules a race on each card posted since the last look: a top-level post in the tier channel
// that is not a breach notice.
func (c *claimers) scan() {
	posts := c.fake.Posted()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range posts[c.scanned:] {
		if p.Channel != loadTier2 || p.ThreadTS != "" || strings.Contains(p.Text, "breached") {
			continue
		}
		id := ticketIDPattern.FindString(p.Text + string(p.Blocks))
		if id == "" || c.races[id] != nil {
			continue
		}
		race := &claimRace{ticket: id, card: p.TS, again: [2]bool{c.rng.IntN(3) == 0, c.rng.IntN(3) == 0}}
		c.races[id] = race
		if c.rng.IntN(5) == 0 {
			c.late = append(c.late, race)
			continue
		}
		delay := time.Duration(c.rng.Int64N(int64(claimMaxDelay)))
		first := c.rng.IntN(len(c.endpoints))
		c.pending.Add(1)
		time.AfterFunc(delay, func() {
			defer c.pending.Done()
			c.race(c.ctx, race, first)
		})
	}
	c.scanned = len(posts)
}

// race delivers both technicians' reactions at once, to two replicas, each until it is answered 2xx.
func (c *claimers) race(ctx context.Context, race *claimRace, first int) {
	start := make(chan struct{})
	var both sync.WaitGroup
	for i, user := range []string{loadTechUser, loadTechUser2} {
		body := reactionBody("EvClaim"+race.ticket+user, user, "raising_hand", loadTier2, race.card)
		again := race.again[i]
		both.Go(func() {
			client := &http.Client{Timeout: 10 * time.Second}
			defer client.CloseIdleConnections()
			<-start
			for attempt := 0; ctx.Err() == nil; attempt++ {
				// As through a load balancer: the first delivery to this technician's replica, each
				// redelivery to the next.
				endpoint := c.endpoints[(first+i+attempt)%len(c.endpoints)]
				status, err := deliver(ctx, client, endpoint, body, attempt)
				c.sent.Add(1)
				c.mu.Lock()
				race.attempts[i]++
				ok := err == nil && status/100 == 2
				race.acked[i] = race.acked[i] || ok
				if attempt > 0 {
					c.redelivered++
				}
				c.mu.Unlock()
				if ok && again && attempt == 0 {
					continue
				}
				if ok {
					return
				}
				time.Sleep(time.Duration(20+attempt%80) * time.Millisecond)
			}
		})
	}
	close(start)
	both.Wait()
}

// finish schedules the cards posted since the last look and waits for every race but the late ones to
// be answered.
func (c *claimers) finish() {
	c.scan()
	c.pending.Wait()
}

// lateRaces waits, up to limit, until the fake shows a breach notice for every late race's ticket (a
// replica's SLA loop runs as it becomes ready), then runs those races and waits for them. It returns the
// tickets whose breach was not announced in time.
func (c *claimers) lateRaces(limit time.Duration) []string {
	c.mu.Lock()
	late := slices.Clone(c.late)
	c.mu.Unlock()
	var missing []string
	for deadline := time.Now().Add(limit); ; time.Sleep(200 * time.Millisecond) {
		missing = missing[:0]
		posts := c.fake.Posted()
		for _, r := range late {
			if !slices.ContainsFunc(posts, func(p fakeslack.Message) bool {
				return p.Channel == loadTier2 && p.ThreadTS == "" && strings.Contains(p.Text, r.ticket) && strings.Contains(p.Text, "breached its")
			}) {
				missing = append(missing, r.ticket)
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
	}
	var all sync.WaitGroup
	for i, r := range late {
		all.Go(func() { c.race(c.ctx, r, i) })
	}
	all.Wait()
	return missing
}

// reactionBody is the event_callback JSON of a reaction_added on a message.
func reactionBody(eventID, user, reaction, channel, ts string) []byte {
	now := fmt.Sprintf("%d.000100", time.Now().Unix())
	b, err := json.Marshal(map[string]any{
		"token": "unused", "team_id": fakeslack.TeamID, "api_app_id": fakeslack.AppID, "type": "event_callback",
		"event_id": eventID, "event_time": time.Now().Unix(),
		"event": map[string]any{
			"type": "reaction_added", "user": user, "reaction": reaction, "item_user": "UBOT", "event_ts": now,
			"item": map[string]any{"type": "message", "channel": channel, "ts": ts},
		},
	})
	if err != nil {
		panic(err) // plain strings always marshal
	}
	return b
}

// claimReport holds the figures of the claims and SLA notices.
type claimReport struct {
	races, claimed, refusals, deliveries int
	redelivered, late                    int
	warnings, breaches                   int // notices the tickets record
	breachedBeforeClaim                  int
	problems                             []string
}

// verify compares the tickets in the store with what the technicians did and the fake Slack saw.
func (c *claimers) verify(tickets []*bot.Ticket) *claimReport {
	c.mu.Lock()
	defer c.mu.Unlock()
	rep := &claimReport{races: len(c.races), late: len(c.late), deliveries: int(c.sent.Load()), redelivered: c.redelivered}
	problem := func(format string, args ...any) { rep.problems = append(rep.problems, fmt.Sprintf(format, args...)) }
	posts, updates := c.fake.Posted(), c.fake.Updated()
	byID := map[string]*bot.Ticket{}
	for _, tk := range tickets {
		byID[tk.ID] = tk
	}
	count := func(channel, thread string, needles ...string) int {
		n := 0
		for _, p := range posts {
			all := p.Text + string(p.Blocks)
			if p.Channel != channel || p.ThreadTS != thread {
				continue
			}
			hit := true
			for _, s := range needles {
				hit = hit && strings.Contains(all, s)
			}
			if hit {
				n++
			}
		}
		return n
	}
	// What a card may call its owner: the display name, or the id while the directory has no name yet.
	names := map[string][]string{
		"slack:" + loadTechUser: {"tom", loadTechUser}, "slack:" + loadTechUser2: {"jan", loadTechUser2},
	}
	for id, race := range c.races {
		tk := byID[id]
		if tk == nil {
			problem("claims: %s has a card but is not in the store", id)
			continue
		}
		claims := 0
		for _, tr := range tk.Transitions {
			if tr.Type == bot.TransitionClaimed {
				claims++
			}
		}
		if !race.acked[0] && !race.acked[1] {
			continue
		}
		if claims != 1 || tk.Status != bot.StatusClaimed || names[tk.Assignee] == nil {
			problem("claims: %s claimed %d times, status %s, owner %q: %s", id, claims, tk.Status, tk.Assignee, ticketStory(tk))
			continue
		}
		rep.claimed++
		shown := "(never updated)"
		for _, u := range updates {
			if u.Channel == loadTier2 && u.TS == race.card {
				shown = "(no owner field)"
				if m := cardOwnerPattern.FindSubmatch(u.Blocks); m != nil {
					shown = string(m[1])
				}
			}
		}
		if !slices.Contains(names[tk.Assignee], shown) {
			problem("claims: %s is owned by %s, but its card %s shows the owner %q", id, tk.Assignee, race.card, shown)
		}
		refused := count(loadTier2, race.card, id, "already claimed")
		rep.refusals += refused
		if race.acked[0] && race.acked[1] && refused != 1 {
			problem("claims: %s: the losing technician was told %d times that it was claimed, want once", id, refused)
		}
	}
	for _, tk := range tickets {
		warned, breached := 0, 0
		for _, tr := range tk.Transitions {
			switch tr.Type {
			case bot.TransitionSLAWarned:
				warned++
			case bot.TransitionSLABreached:
				breached++
			}
		}
		rep.warnings += warned
		rep.breaches += breached
		if breached > 0 && tk.Status == bot.StatusClaimed {
			rep.breachedBeforeClaim++
		}
		if warned > 1 || breached > 1 {
			problem("SLA: %s records %d warnings and %d breaches of its one clock", tk.ID, warned, breached)
		}
		card := ""
		if race := c.races[tk.ID]; race != nil {
			card = race.card
		}
		if n := count(loadTier2, "", tk.ID, "breached its"); n != breached {
			problem("SLA: %s records %d breaches, its tier channel shows %d breach notices", tk.ID, breached, n)
		}
		if card == "" && warned > 0 {
			problem("SLA: %s records a warning but has no card", tk.ID)
		} else if n := count(loadTier2, card, tk.ID, "target is due"); card != "" && n != warned {
			problem("SLA: %s records %d warnings, its card's thread shows %d", tk.ID, warned, n)
		}
	}
	return rep
}
