package discord

// channelName returns a channel's name, for a <#id> in a message: from discordgo's state when it holds
// the channel, else from GET /channels/{id}, cached; "" when Discord will not say, and the id is shown.
func (a *Adapter) channelName(id string) string {
	if n, ok := a.channelNames.Load(id); ok {
		return n.(string)
	}
	name := ""
	if a.s.State != nil {
		if ch, err := a.s.State.Channel(id); err == nil && ch != nil {
			name = ch.Name
		}
	}
	if name == "" {
		ch, err := a.s.Channel(id)
		if err != nil {
			a.log.Warn("discord channel name not found", "channel", id, "err", err)
			return ""
		}
		name = ch.Name
	}
	a.channelNames.Store(id, name)
	return name
}
