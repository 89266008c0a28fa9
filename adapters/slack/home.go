package slack

import (
	"context"
	"fmt"
	"strings"

	slackapi "github.com/slack-go/slack"

	"github.com/firstline-desk/firstline/bot"
)

// The App Home tab: what the engine says a person's home shows (bot.HomeView), as Block Kit, published
// with views.publish. Its buttons come back as block_actions from a view (homeAction): "form:ID" opens a
// form, "claim:T-…" claims a ticket.

var _ bot.HomePublisher = (*Adapter)(nil)

// maxHomeBlocks is what a home tab holds.
const maxHomeBlocks = 100

// PublishHome implements bot.HomePublisher.
func (a *Adapter) PublishHome(ctx context.Context, v bot.HomeView) error {
	platform, user := bot.SplitID(v.User)
	if platform != Platform || user == "" {
		return bot.Errorf(bot.EINVALID, "slack: no home for %q, not a Slack user", v.User)
	}
	_, err := a.api.PublishViewContext(ctx, slackapi.PublishViewContextRequest{UserID: user, View: homeView(v)})
	if err != nil {
		return a.apiError("views.publish", err)
	}
	return nil
}

// homeView renders a home: the forms as "New request" buttons, the person's tickets, and for a
// technician their tiers' queue with Claim buttons and the tickets they own.
func homeView(v bot.HomeView) slackapi.HomeTabViewRequest {
	var blks []slackapi.Block
	add := func(b ...slackapi.Block) {
		for _, x := range b {
			if len(blks) < maxHomeBlocks {
				blks = append(blks, x)
			}
		}
	}
	add(slackapi.NewHeaderBlock(plainText(firstOf(oneLine(v.Desk), "Firstline")+" service desk", maxHeader)))
	if len(v.Forms) > 0 {
		add(slackapi.NewSectionBlock(mrkdwnText("*New request*: choose what you need, or ask in a direct message."), nil, nil))
		var buttons []slackapi.BlockElement
		for _, f := range v.Forms {
			if len(buttons) == maxActions {
				add(slackapi.NewActionBlock(fmt.Sprintf("home_forms_%d", len(blks)), buttons...))
				buttons = nil
			}
			buttons = append(buttons, slackapi.NewButtonBlockElement("form_"+truncate(f.ID, 200), "form:"+f.ID, plainText(f.Title, maxButtonText)))
		}
		add(slackapi.NewActionBlock(fmt.Sprintf("home_forms_%d", len(blks)), buttons...))
	}
	section := func(title, empty string, tickets []bot.HomeTicket) {
		// Leave room for the sections after this one.
		add(slackapi.NewDividerBlock(), slackapi.NewSectionBlock(mrkdwnText("*"+title+"*"), nil, nil))
		if len(tickets) == 0 {
			add(slackapi.NewContextBlock("", mrkdwnText(empty)))
		}
		for _, t := range tickets {
			if len(blks) >= maxHomeBlocks-8 {
				add(slackapi.NewContextBlock("", mrkdwnText("… and more: `/firstline status` lists them all.")))
				return
			}
			add(homeTicket(t))
		}
	}
	section("Your tickets", "You have no open tickets.", v.Mine)
	if v.Technician {
		section("Your tiers' queue", "Nothing is waiting in your tiers.", v.Queue)
		section("Claimed by you", "You own no open ticket.", v.Claimed)
	}
	return slackapi.HomeTabViewRequest{Type: slackapi.VTHomeTab, Blocks: slackapi.Blocks{BlockSet: blks}}
}

// homeTicket is one ticket of a home: its id and subject, then its status, tier, owner and SLA, with a
// Claim button when the person may claim it.
func homeTicket(t bot.HomeTicket) slackapi.Block {
	var about []string
	for _, s := range []string{t.Status, t.Tier, t.Priority} {
		if s != "" {
			about = append(about, s)
		}
	}
	if t.Owner != "" {
		about = append(about, "owner "+t.Owner)
	}
	if t.SLA != "" {
		about = append(about, "SLA "+t.SLA)
	}
	text := "*" + inlineMrkdwn(t.ID) + "* " + inlineMrkdwn(oneLine(t.Subject)) + "\n" + inlineMrkdwn(strings.Join(about, " · "))
	var accessory *slackapi.Accessory
	if t.Claim {
		btn := slackapi.NewButtonBlockElement("claim_"+t.ID, "claim:"+t.ID, plainText("Claim", maxButtonText))
		btn.WithStyle(slackapi.StylePrimary)
		accessory = slackapi.NewAccessory(btn)
	}
	return slackapi.NewSectionBlock(mrkdwnText(clip(text, maxSectionText)), nil, accessory)
}
