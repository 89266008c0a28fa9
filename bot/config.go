package bot

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Config is what the engine needs to know about the desk. cmd/firstline fills it from the TOML file.
type Config struct {
	Name          string   // the bot's name in messages: "Firstline"
	CommandPrefix string   // "!"
	HelpChannels  []string // "platform:channel" where every top-level message opens a ticket
	Tiers         []Tier   // in escalation order: the first receives escalations from Level 1
	Admins        []string // "platform:id" of admins, or "platform:role:id" of a role (Discord)
	Reactions     Reactions
	// MinConfidence is the search confidence at or above which the bot answers with an article.
	MinConfidence float64
	// SuggestConfidence is the lower bar: from it up to MinConfidence the bot is not sure and offers a
	// short list of articles to choose from; below it, it escalates. Zero means no such band.
	SuggestConfidence float64
	// ReopenWindow is how long after resolution a requester's message reopens the ticket instead of
	// opening a new one.
	ReopenWindow    time.Duration
	DefaultPriority string // "P3"
	// PriorityRules set a new ticket's priority from the requester's words; the most urgent match wins.
	PriorityRules []PriorityRule
	// SLA is the service level of each priority ("P1".."P4"); priorities without one have no clocks.
	SLA map[string]SLATarget
	// SLAWarnAt is the share of a target after which the card's thread is warned (default 0.75).
	SLAWarnAt float64
	// Vendors are the outside suppliers, by the name used in "!vendor NAME", with their response target.
	Vendors map[string]SLATarget
	// CSAT says how satisfaction surveys are run.
	CSAT CSATConfig
	// KBReviewChannel ("platform:channel") receives articles drafted from tickets for an admin to publish.
	KBReviewChannel string
	// KBStaleAfter: "!kb stale" lists articles not updated for this long (0: by feedback only).
	KBStaleAfter time.Duration
	// CaptureReaction on a ticket's card or answer drafts an article from it ("books").
	CaptureReaction string
	// Flood keeps one person from swamping the desk.
	Flood FloodConfig
	// Files says which attachments the desk takes and passes on (files.go).
	Files FilesConfig
	// Forms are the request types people fill in (forms.go), in the order they are offered.
	Forms []Form
	// HomeEvery is the least time between two publishes of one person's home (HomePublisher): a burst
	// of changes to their tickets is one publish. 0: DefaultHomeEvery.
	HomeEvery time.Duration
	// Alerts route monitors' alert groups to tiers (alertroute.go).
	Alerts AlertConfig
	// Actions are what the desk runs for people (actiondef.go); ActionsOff turns every one of them off
	// (the config's desk.actions_enabled = false: "!actions on" cannot undo it). ApprovalsChannel
	// ("platform:channel") receives the approval cards of actions that name no channel of their own.
	Actions          []ActionDef
	ActionsOff       bool
	ApprovalsChannel string
}

// CSATConfig tunes the satisfaction survey after a human resolved a ticket.
type CSATConfig struct {
	// MinDaysBetween: a requester surveyed less than this many days ago is not asked again.
	MinDaysBetween int
	// RemindAfter is when one reminder goes to a requester who has not rated; 0 sends none.
	RemindAfter time.Duration
	// CommentWindow is how long after rating the requester's next message is taken as a comment on the
	// rating rather than a reopening; 0 takes none.
	CommentWindow time.Duration
}

// Tier is a group of technicians working tickets from a channel.
type Tier struct {
	ID      string   // "tier2"
	Name    string   // "Tier 2"
	Channel string   // "platform:channel"
	Members []string // "platform:id", or "platform:role:id" for everyone with a role (Discord)
	// EscalateOnBreach moves a ticket to the next tier when one of its SLA targets is breached here.
	EscalateOnBreach bool
	// OnCall is a group pinged with breach notices: "slack:subteam:S0123" or "discord:role:123".
	OnCall string
}

// Reactions maps actions to normalized reaction names.
type Reactions struct {
	Claim      string // on a card: take the ticket
	Escalate   string // on a card: move it to the next tier
	Resolve    string // on a card: resolve it
	Solved     string // on an answer, where buttons are missing: it helped
	NotHelpful string // on an answer: it did not help
	Human      string // on an answer: talk to a human
	Urgent     string // on a card, by its tier: make the ticket P1 ("" for none)
	// Ticket on any message in a channel the bot is in turns it into a ticket ("" for none).
	Ticket string
}

// DefaultReactions are the reaction names used when the config names none.
var DefaultReactions = Reactions{
	Claim:      "raising_hand",
	Escalate:   "arrow_up",
	Resolve:    "white_check_mark",
	Solved:     "+1",
	NotHelpful: "-1",
	Human:      "raising_hand",
	Urgent:     "rotating_light",
	Ticket:     "ticket",
}

// check reports what makes the config unusable by the engine.
func (c Config) check() error {
	var problems []string
	if strings.TrimSpace(c.CommandPrefix) == "" {
		problems = append(problems, "command prefix is empty")
	}
	if len(c.Tiers) == 0 {
		problems = append(problems, "no tiers: escalations need at least one tier channel")
	}
	seen := map[string]bool{}
	for _, t := range c.Tiers {
		if seen[t.ID] {
			problems = append(problems, fmt.Sprintf("tier %q is defined twice", t.ID))
		}
		seen[t.ID] = true
		if p, ch := SplitID(t.Channel); p == "" || ch == "" {
			problems = append(problems, fmt.Sprintf("tier %q: channel %q is not platform:channel", t.ID, t.Channel))
		}
	}
	if c.MinConfidence < 0 || c.MinConfidence > 1 {
		problems = append(problems, fmt.Sprintf("min confidence %v is not between 0 and 1", c.MinConfidence))
	}
	if c.SuggestConfidence < 0 || c.SuggestConfidence > c.MinConfidence {
		problems = append(problems, fmt.Sprintf("suggest confidence %v is not between 0 and the min confidence %v", c.SuggestConfidence, c.MinConfidence))
	}
	problems = append(problems, c.Files.Problems()...)
	problems = append(problems, c.FormProblems()...)
	problems = append(problems, c.alertProblems()...)
	if len(problems) > 0 {
		return Errorf(EINVALID, "%s", strings.Join(problems, "; "))
	}
	return nil
}

func (c Config) tier(id string) (Tier, int, bool) {
	for i, t := range c.Tiers {
		if t.ID == id {
			return t, i, true
		}
	}
	return Tier{}, -1, false
}

func (c Config) tierName(id string) string { return TierName(c.Tiers, id) }

// TierName is what people see of the tier id among tiers: its configured name ("Tier 2"), "Level 1" for
// the bot's own (LevelOne), or the id itself when no tier has it (a tier removed from the config since).
// Cards, chat, reports and the command line all show tiers so.
func TierName(tiers []Tier, id string) string {
	for _, t := range tiers {
		if t.ID == id {
			return t.Name
		}
	}
	if id == LevelOne {
		return "Level 1"
	}
	return id
}

// tierByChannel returns the tier working from a channel.
func (c Config) tierByChannel(platform, channel string) (Tier, bool) {
	for _, t := range c.Tiers {
		if t.Channel == JoinID(platform, channel) {
			return t, true
		}
	}
	return Tier{}, false
}

// listed reports whether a list of people (tier members, admins) names user, or one of the user's
// roles: on Discord a team is usually a role ("discord:role:123"), not a list of people.
func listed(list []string, user string, roles []string) bool {
	if slices.Contains(list, user) {
		return true
	}
	for _, r := range roles {
		if slices.Contains(list, r) {
			return true
		}
	}
	return false
}

func (c Config) isMember(tierID, user string, roles []string) bool {
	t, _, ok := c.tier(tierID)
	return ok && listed(t.Members, user, roles)
}

func (c Config) isAdmin(user string, roles []string) bool { return listed(c.Admins, user, roles) }

// isTechnician reports whether user works in any tier.
func (c Config) isTechnician(user string, roles []string) bool {
	for _, t := range c.Tiers {
		if listed(t.Members, user, roles) {
			return true
		}
	}
	return false
}

// Standing is what a person is to the desk: the ids of the tiers they work in, and whether they are an
// admin, from the tiers' members and the admins, listed in person or by one of their roles. Anyone else
// is a requester only. The engine's checks read the same lists (isMember, isAdmin); the web console asks
// this to know what to show.
func (c Config) Standing(user string, roles []string) (tiers []string, admin bool) {
	if user == "" {
		return nil, false
	}
	for _, t := range c.Tiers {
		if listed(t.Members, user, roles) {
			tiers = append(tiers, t.ID)
		}
	}
	return tiers, c.isAdmin(user, roles)
}

func (c Config) isHelpChannel(platform, channel string) bool {
	return slices.Contains(c.HelpChannels, JoinID(platform, channel))
}
