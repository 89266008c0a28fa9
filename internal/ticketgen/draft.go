package ticketgen

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/firstline-desk/firstline/bot"
)

// draft is a ticket being written: what happened to it, appended in order of time. Steps after now
// are dropped, so a young ticket is still where it would be now.
type draft struct {
	t   *bot.Ticket
	g   *Generator
	msg int
	// posts are where the ticket's messages went, by key.
	posts map[string]bot.MessageRef
	// changed is the time of the ticket's last change, up to which the SLA loop has run.
	changed time.Time
}

func (b *draft) ok(at time.Time) bool { return !at.After(b.g.now) }

func (b *draft) event(at time.Time, typ bot.TransitionType, to bot.Status, by, detail string) {
	b.before(at)
	t := b.t
	e := bot.Transition{At: at, Type: typ, By: by, Tier: t.Tier, Detail: detail}
	if to != "" && to != t.Status {
		e.From, e.To = t.Status, to
		t.Status = to
	}
	t.Transitions = append(t.Transitions, e)
	t.UpdatedAt = at
	b.after(at)
}

func (b *draft) say(at time.Time, author, name, role, text string, internal bool) {
	b.before(at)
	b.t.Transcript = append(b.t.Transcript, bot.Entry{At: at, Author: author, Name: name, Role: role, Text: text, Internal: internal})
	b.t.UpdatedAt = at
	b.after(at)
}

// post records a message the bot posted under key.
func (b *draft) post(key, channel, thread string) {
	b.msg++
	b.posts[key] = bot.MessageRef{Platform: b.g.platform, Channel: channel, Thread: thread, ID: b.t.Conversation.Thread + "." + strconv.Itoa(b.msg)}
}

// offer answers with the topic's article; feedback follows at the given time unless it is "".
func (b *draft) offer(at time.Time, topic topic, n int, feedback string, fbAt time.Time) bool {
	t := b.t
	key := "answer-" + strconv.Itoa(n)
	article, title := topic.article, topic.title
	if n > 1 { // the next best article is usually a neighbour
		other := topics[b.g.rng.IntN(len(topics)-1)]
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

func (b *draft) escalate(at time.Time, tier bot.Tier, by, reason string) {
	b.before(at)
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

func (b *draft) claim(at time.Time) {
	b.before(at)
	tech := b.g.rng.IntN(8) + 1
	b.t.Assignee = fmt.Sprintf("%s:tech%d", b.g.platform, tech)
	b.t.AssigneeName = b.g.pick(firstNames) + " (technician)"
	b.event(at, bot.TransitionClaimed, bot.StatusClaimed, b.t.Assignee, "")
}

// conversation adds technician and requester messages between from and to until the transcript has
// about want entries.
func (b *draft) conversation(from, to time.Time, want int) {
	t := b.t
	for k := 0; len(t.Transcript) < want; k++ {
		at := from.Add(time.Duration(float64(to.Sub(from)) * float64(k+1) / float64(want+1)))
		if !b.ok(at) {
			return
		}
		switch {
		case k%2 == 0 && b.g.rng.Float64() < 0.1:
			b.say(at, t.Assignee, t.AssigneeName, bot.RoleTechnician, b.g.pick(notes), true)
		case k%2 == 0:
			b.say(at, t.Assignee, t.AssigneeName, bot.RoleTechnician, b.g.pick(techLines), false)
		default:
			b.say(at, t.Requester, t.RequesterName, bot.RoleRequester, b.g.pick(replyLines), false)
		}
	}
}

func (b *draft) resolve(at time.Time, by string) {
	b.before(at)
	t := b.t
	done := at
	t.ResolvedAt, t.ResolvedBy = &done, by
	b.event(at, bot.TransitionResolved, bot.StatusResolved, by, "")
}

// rate gives 60% of the tickets a human resolved a rating, mostly good.
func (b *draft) rate(resolved time.Time) {
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
