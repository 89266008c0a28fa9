package bottest

import "github.com/firstline-desk/firstline/bot"

// Alert hands a monitor's notification to the engine, as the alert receiver does (the monitor is
// "alerts:" + its source), and performs what it causes. It returns the engine's error.
func (d *Desk) Alert(n bot.AlertNotice) error {
	d.T.Helper()
	return d.Handle(bot.Event{Kind: bot.EventAlert, Platform: bot.AlertPlatform, User: bot.JoinID(bot.AlertPlatform, n.Source),
		UserName: n.Monitor, Alert: &n})
}
