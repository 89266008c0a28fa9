package bot

// The approval card of a run: posted in the action's approval channel with Approve and Deny (reactions
// where a platform has no buttons), and updated at each step after, so it always says where the run is.

import (
	"fmt"
	"strconv"
	"strings"
)

// postApprovalCard posts the run's approval card, recorded on its ticket under approvalKey.
func (w *work) postApprovalCard(t *Ticket, r *ActionRun, def *ActionDef) error {
	platform, channel := SplitID(w.cfg().approvalChannel(def))
	if platform == "" || channel == "" {
		return Errorf(EINTERNAL, "action %s has no approval channel", def.ID)
	}
	key := approvalKey(r.ID)
	t.offerChoices(key)
	p := w.e.approvalPost(t, r, def)
	p.Channel = channel
	return w.enqueue(Effect{Kind: EffectPost, Platform: platform, Lane: lane(platform, channel), Ticket: t.ID, Key: key, Post: p})
}

// updateApprovalCard shows the run's new state on its card; once it is decided, without its buttons.
func (w *work) updateApprovalCard(t *Ticket, r *ActionRun, def *ActionDef) error {
	key := approvalKey(r.ID)
	if r.State != RunPending {
		t.dropLive(key)
	}
	if r.Preview == nil && def.Preview != nil && r.State != RunPending {
		// The card was never posted: the preview job ends a run decided meanwhile without posting it.
		if _, err := w.tx.PostRef(t.ID, key); IsNotFound(err) {
			return nil
		} else if err != nil {
			return err
		}
	}
	platform, channel := SplitID(w.cfg().approvalChannel(def))
	return w.enqueue(Effect{Kind: EffectUpdate, Platform: platform, Lane: lane(platform, channel), Ticket: t.ID, Key: key,
		Post: w.e.approvalPost(t, r, def)})
}

// approvalPost is a run's approval card as it is now.
func (e *Engine) approvalPost(t *Ticket, r *ActionRun, def *ActionDef) Post {
	var b strings.Builder
	who := "**" + r.RequestedByName + "**"
	if r.For != r.RequestedBy {
		who += " for **" + r.ForName + "**"
	}
	fmt.Fprintf(&b, "%s asks to run **%s**%s.", who, def.Title, paramsClause(r.Params))
	if def.Description != "" {
		b.WriteString("\n" + def.Description)
	}
	if pv := r.Preview; pv != nil {
		fmt.Fprintf(&b, "\n\nPreview (%s%s):%s", stateText(RunState(pv.Outcome)), colon(pv.Detail), outputBlock(pv.Output, pv.Truncated))
	}
	quorum := def.Approval.quorum()
	fields := []Field{
		{Name: "Action", Value: r.ID},
		{Name: "Ticket", Value: t.ID},
		{Name: "Requested by", Value: r.RequestedByName},
		{Name: "For", Value: r.ForName},
		{Name: "Parameters", Value: paramsText(r.Params)},
		{Name: "Approvals", Value: strconv.Itoa(len(r.Approvals)) + " of " + strconv.Itoa(quorum)},
		{Name: "Status", Value: runStatus(r)},
	}
	p := Post{Title: "Approval needed: " + def.Title, Text: b.String(), Fields: fields}
	if r.State == RunPending {
		fields = append(fields, Field{Name: "Expires", Value: r.ExpiresAt.Format("Mon 2 Jan 15:04")})
		p.Fields = fields
		p.Choices = []Choice{
			{ID: choiceApprove, Label: "Approve", Style: StylePrimary, Reaction: reactionApprove},
			{ID: choiceDeny, Label: "Deny", Style: StyleDanger, Reaction: reactionDeny},
		}
		if quorum == 1 && !def.Approval.AllowSelfApproval {
			p.Text += "\n_Someone other than the requester must decide._"
		}
	}
	return p
}

// runStatus says where a run is, for its card: "denied by tom", "succeeded (HTTP 200)".
func runStatus(r *ActionRun) string {
	switch r.State {
	case RunPending, RunConfirming, RunDenied:
		return decidedText(r)
	case RunExpired:
		return "expired: nobody decided in time"
	case RunApproved:
		return decidedText(r) + "; about to run"
	case RunRunning:
		return decidedText(r) + "; running"
	}
	s := stateText(r.State)
	if r.Result != nil && r.Result.Detail != "" {
		s += " (" + r.Result.Detail + ")"
	}
	if r.Decision != nil && r.Decision.Approve {
		s = "approved by " + approvers(r) + "; " + s
	}
	return s
}
