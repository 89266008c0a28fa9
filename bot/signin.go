package bot

// "!web": a one-time link into the web console, sent to the person who asked, in a direct message.

import (
	"fmt"
	"time"
)

// SignIn makes the links "!web" sends: an address that signs its person into the web console, once,
// for a short while. The web console implements it (web.Server). The engine calls it inside the
// transaction of the "!web" that asked, and writes the DM with the link and its audit entry in that same
// transaction, so SignInLink must do no I/O: the link carries its own proof and expiry.
type SignIn interface {
	// SignInLink returns a link that signs user ("platform:id") in, and when it stops working. An error
	// is an *Error with EINVALID when user cannot have one.
	SignInLink(user string, now time.Time) (link string, expires time.Time, err error)
}

// SetSignIn turns "!web" on, with the web console's links. Call it before events arrive.
func (e *Engine) SetSignIn(s SignIn) { e.signIn = s }

// cmdWeb sends the event's user a sign-in link to the web console. A link is a key to their account for
// a few minutes, so it goes to their DMs only, never where others read.
func (w *work) cmdWeb() error {
	if w.e.signIn == nil {
		return w.reply("", "The web console is not turned on for this desk.")
	}
	link, expires, err := w.e.signIn.SignInLink(w.ev.User, w.now)
	if err != nil {
		return err
	}
	if err := w.audit("web.link", w.ev.User, "chat"); err != nil {
		return err
	}
	text := fmt.Sprintf("Here is your link to the %s web console: %s\nIt signs you in once, within %s. Don't share it: it signs in as you.",
		w.cfg().Name, link, roughDuration(expires.Sub(w.now)))
	if w.alone() && !w.ev.Private {
		return w.reply("", text)
	}
	if err := w.reply("", "I've sent you a sign-in link for the web console in a direct message."); err != nil {
		return err
	}
	return w.dm(text)
}

// roughDuration says d in words, rounded to the minute: "15 minutes".
func roughDuration(d time.Duration) string {
	m := int(d.Round(time.Minute) / time.Minute)
	switch {
	case m <= 1:
		return "a minute"
	case m%60 == 0:
		if m == 60 {
			return "an hour"
		}
		return fmt.Sprintf("%d hours", m/60)
	}
	return fmt.Sprintf("%d minutes", m)
}
