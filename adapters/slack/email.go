package slack

import (
	"context"

	"github.com/firstline-desk/firstline/bot"
)

var _ bot.UserDirectory = (*Adapter)(nil)

// UserEmail returns a person's email address from users.info, for an action whose user or requester
// parameter resolves to one. The engine calls it from the action's job, never while an event waits for
// its ack. Slack shows the address only with the users:read.email scope: without it, or without an
// address, it is an ENOTFOUND error.
func (a *Adapter) UserEmail(ctx context.Context, user string) (string, error) {
	platform, id := bot.SplitID(user)
	if platform != Platform {
		return "", bot.Errorf(bot.ENOTFOUND, "%s is not a Slack user", user)
	}
	u, err := a.api.GetUserInfoContext(ctx, id)
	switch code := slackError(err); {
	case code == "user_not_found" || code == "missing_scope":
		return "", bot.WrapError(err, bot.ENOTFOUND, "Slack does not say the email address of %s (%s)", user, code)
	case err != nil:
		return "", bot.WrapError(err, bot.EUNAVAILABLE, "users.info for %s failed", user)
	case u.Profile.Email == "":
		return "", bot.Errorf(bot.ENOTFOUND, "Slack has no email address for %s (the app needs the users:read.email scope)", user)
	}
	return u.Profile.Email, nil
}
