package bot

import "fmt"

// The ownership rule: which statuses have an owner, and who may claim, release, escalate, resolve, hand to
// a vendor or capture a ticket in each. Written once; every path that changes a ticket's owner or moves it
// (card reactions, commands, the SLA loop) asks it.
//
//	status          owner                     claim          release     escalate        resolve              vendor                vendor back
//	open            none (Level 1)            no             -           (see cmdEscalate: requester, first tier, admins)
//	escalated       none, in the tier's queue tier members   -           members, admins members, admins,     members (who become   no
//	                                                                                     requester            its owner)
//	claimed         exactly one technician    owner: no-op   owner       members, admins members, admins,     owner, admins         no
//	                                          others: no                                 requester
//	pending_vendor  exactly one, who stays    owner: no-op   no: back    no: back from   members, admins,     no: already with one  members, admins
//	                responsible               others: no     first       the vendor      requester
//	resolved        the last one, kept for    no             -           no              no                   no                    no
//	                a reopening
//
// A reopened ticket goes back to claimed (with its owner) or escalated (without one), and follows those rows.

// action is something done to a ticket's ownership or status.
type action string

// The actions the ownership rule decides.
const (
	actClaim      action = "claim"
	actRelease    action = "release"
	actEscalate   action = "escalate"
	actResolve    action = "resolve"
	actVendor     action = "vendor"
	actVendorBack action = "vendor back"
	actCapture    action = "capture"
)

// actor is who acts, as the ownership rule sees them.
type actor struct {
	user      string
	member    bool // a member of the tier the action is taken in
	admin     bool
	requester bool // the ticket's requester
	desk      bool // the desk itself (the SLA loop)
}

// verdict is what the ownership rule says of an action.
type verdict int

const (
	allow  verdict = iota
	refuse         // not allowed: say why
	noop           // allowed, but there is nothing to do (a claim by the owner; a release by someone else)
)

// hasOwner reports whether a ticket in status s has an owner: claimed and pending_vendor have exactly one
// (a technician who hands the case to a vendor stays responsible for it), and a resolved ticket keeps its
// last one for a reopening. Open and escalated tickets have none.
func (s Status) hasOwner() bool {
	return s == StatusClaimed || s == StatusPendingVendor || s == StatusResolved
}

// actorIn is the event's user as the ownership rule sees them in a tier.
func (w *work) actorIn(t *Ticket, tier string) actor {
	ev := w.ev
	return actor{
		user:      ev.User,
		member:    ev.User != "" && w.cfg().isMember(tier, ev.User, ev.Roles),
		admin:     ev.User != "" && w.cfg().isAdmin(ev.User, ev.Roles),
		requester: ev.User != "" && ev.User == t.Requester,
		desk:      ev.User == "",
	}
}

// workTier is the tier whose members work a ticket: its tier, or the first tier for a Level 1 ticket
// (the tier Level 1 hands over to).
func (c *Config) workTier(t *Ticket) string {
	if t.Tier == LevelOne && len(c.Tiers) > 0 {
		return c.Tiers[0].ID
	}
	return t.Tier
}

// mayAct is the ownership rule: whether a may take act on t in tier (the tier of the card acted on, or the
// ticket's), and the sentence to reply when not.
func (c *Config) mayAct(t *Ticket, tier string, a actor, act action) (verdict, string) {
	tierName := c.tierName(tier)
	owner := t.AssigneeName
	if owner == "" {
		owner = nameOf("", t.Assignee)
	}
	isOwner := t.Assignee != "" && a.user == t.Assignee
	vendor := "a vendor"
	if t.Vendor != nil && t.Vendor.Name != "" {
		vendor = t.Vendor.Name
	}
	p := c.CommandPrefix
	switch act {
	case actClaim:
		switch {
		case t.Status == StatusResolved:
			return refuse, fmt.Sprintf("**%s** is already resolved.", t.ID)
		case t.Status == StatusOpen:
			return refuse, fmt.Sprintf("**%s** is still with Level 1: there is nothing to claim yet.", t.ID)
		case !a.member:
			return refuse, fmt.Sprintf("Only members of %s can claim **%s**.", tierName, t.ID)
		case isOwner && t.Status.hasOwner():
			return noop, ""
		case t.Status == StatusClaimed:
			return refuse, fmt.Sprintf("**%s** is already claimed by %s.", t.ID, owner)
		case t.Status == StatusPendingVendor:
			return refuse, fmt.Sprintf("**%s** is with %s, and %s owns it.", t.ID, vendor, owner)
		}
		return allow, ""
	case actRelease:
		switch {
		case !isOwner:
			return noop, "" // someone else taking their own reaction back
		case t.Status == StatusPendingVendor:
			return refuse, fmt.Sprintf("**%s** is with %s and you still own it: take it back with `%svendor back` before you release it.", t.ID, vendor, p)
		case t.Status != StatusClaimed:
			return noop, ""
		}
		return allow, ""
	case actEscalate:
		switch {
		case t.Status == StatusResolved:
			return refuse, fmt.Sprintf("**%s** is already resolved.", t.ID)
		case !a.member && !a.admin && !a.desk:
			return refuse, fmt.Sprintf("Only members of %s can do that on **%s**.", tierName, t.ID)
		case t.Status == StatusPendingVendor:
			return refuse, fmt.Sprintf("**%s** is with %s: take it back with `%svendor back` before you escalate it.", t.ID, vendor, p)
		}
		return allow, ""
	case actResolve:
		switch {
		case t.Status == StatusResolved:
			return refuse, fmt.Sprintf("**%s** is already resolved.", t.ID)
		case !a.member && !a.admin && !a.requester && !a.desk:
			return refuse, fmt.Sprintf("Only %s, members of %s and admins can resolve **%s**.", t.RequesterName, tierName, t.ID)
		}
		return allow, ""
	case actVendor:
		switch {
		case !t.Status.Active() || t.Tier == LevelOne:
			return refuse, fmt.Sprintf("**%s** must be with a tier to go to a vendor.", t.ID)
		case !a.member && !a.admin:
			return refuse, fmt.Sprintf("Only technicians of **%s** can hand it to a vendor.", t.ID)
		case t.Status == StatusPendingVendor:
			return refuse, fmt.Sprintf("**%s** is already with %s; `%svendor back` first.", t.ID, vendor, p)
		case t.Status == StatusClaimed && !isOwner && !a.admin:
			return refuse, fmt.Sprintf("%s owns **%s**: only they or an admin can hand it to a vendor.", owner, t.ID)
		case t.Status == StatusEscalated && !a.member:
			return refuse, fmt.Sprintf("A ticket with a vendor needs an owner: a member of %s claims **%s** first.", tierName, t.ID)
		}
		return allow, ""
	case actVendorBack:
		switch {
		case t.Status != StatusPendingVendor || t.Vendor == nil:
			return refuse, fmt.Sprintf("**%s** is not with a vendor.", t.ID)
		case !a.member && !a.admin:
			return refuse, fmt.Sprintf("Only technicians of **%s** can take it back from the vendor.", t.ID)
		}
		return allow, ""
	case actCapture:
		if !a.member && !a.admin {
			return refuse, fmt.Sprintf("Only members of %s, who work **%s**, and admins can draft an article from it.", tierName, t.ID)
		}
		return allow, ""
	}
	return refuse, "That is not something I can do."
}
