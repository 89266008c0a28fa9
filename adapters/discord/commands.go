package discord

import (
	"context"
	"slices"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/firstline-desk/firstline/bot"
)

// Application commands: /ticket (a request form, forms.go), /status [ID], /help and the message command
// "Create ticket", registered in every server the desk serves when it connects. Registration is a bulk
// overwrite of the server's commands, made only when what Discord has differs from what the desk
// wants (one read per server per start), so a restart changes nothing and spends none of Discord's
// daily command creations. It runs off the gateway's goroutine, like every REST call.

// The commands' names.
const (
	commandTicket       = "ticket"
	commandStatus       = "status"
	commandHelp         = "help"
	commandCreateTicket = "Create ticket"

	optionForm   = "form"
	optionTicket = "ticket"
)

// registerRetry is how long a server's registration waits after a failure that may pass.
const registerRetry = time.Minute

// commands are the application commands the desk registers.
func commands() []*discordgo.ApplicationCommand {
	return []*discordgo.ApplicationCommand{
		{Type: discordgo.ChatApplicationCommand, Name: commandTicket, Description: "Open a ticket with a request form",
			Options: []*discordgo.ApplicationCommandOption{{Type: discordgo.ApplicationCommandOptionString, Name: optionForm,
				Description: "Which request (leave it out to see the forms)", Autocomplete: true, MaxLength: 100}}},
		{Type: discordgo.ChatApplicationCommand, Name: commandStatus, Description: "The status of your tickets, or of one",
			Options: []*discordgo.ApplicationCommandOption{{Type: discordgo.ApplicationCommandOptionString, Name: optionTicket,
				Description: "A ticket's id, like T-000123", MaxLength: 40}}},
		{Type: discordgo.ChatApplicationCommand, Name: commandHelp, Description: "What the help desk can do for you"},
		{Type: discordgo.MessageApplicationCommand, Name: commandCreateTicket},
	}
}

// wantCommands asks commandsLoop to register the commands in guild, once per start.
func (a *Adapter) wantCommands(guild string) {
	if guild == "" || (a.cfg.Guild != "" && guild != a.cfg.Guild) {
		return
	}
	a.mu.Lock()
	if _, known := a.guilds[guild]; !known {
		a.guilds[guild] = time.Time{} // due now
	}
	a.mu.Unlock()
	select {
	case a.registerNow <- struct{}{}:
	default:
	}
}

// commandsLoop registers the commands in the servers that are due, until ctx ends. A server done is
// marked registered, so a new session (a resume refused, a reconnect) does not register again.
func (a *Adapter) commandsLoop(ctx context.Context) {
	retry := time.NewTicker(registerRetry)
	defer retry.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-a.registerNow:
		case <-retry.C:
		}
		a.mu.Lock()
		app := a.appID
		var due []string
		for g, at := range a.guilds {
			if !time.Now().Before(at) {
				due = append(due, g)
			}
		}
		a.mu.Unlock()
		if app == "" {
			continue
		}
		for _, g := range due {
			next := registered
			if err := a.registerCommands(ctx, app, g); err != nil {
				if ctx.Err() != nil {
					return
				}
				next = time.Now().Add(registerRetry)
				if bot.ErrorCode(err) == bot.EINVALID {
					a.log.Warn("discord commands not registered: invite the bot again with the applications.commands scope (docs/discord.md)", "guild", g, "err", err)
					next = time.Now().Add(24 * time.Hour)
				} else {
					a.log.Warn("discord commands not registered; trying again", "guild", g, "err", err, "in", registerRetry)
				}
			}
			a.mu.Lock()
			a.guilds[g] = next
			a.mu.Unlock()
		}
	}
}

// registered marks a server whose commands are registered: never due again in this process.
var registered = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// registerCommands makes guild's commands the desk's, writing only when they differ.
func (a *Adapter) registerCommands(ctx context.Context, app, guild string) error {
	want := commands()
	have, err := a.s.ApplicationCommands(app, guild, discordgo.WithContext(ctx))
	if err != nil {
		return a.apiError("read the commands", err)
	}
	if sameCommands(have, want) {
		a.log.Debug("discord commands up to date", "guild", guild)
		return nil
	}
	if _, err := a.s.ApplicationCommandBulkOverwrite(app, guild, want, discordgo.WithContext(ctx)); err != nil {
		return a.apiError("register the commands", err)
	}
	a.log.Info("discord commands registered", "guild", guild, "commands", len(want))
	return nil
}

// sameCommands reports whether the registered commands are the wanted ones, by what people see: kinds,
// names, descriptions and options.
func sameCommands(have, want []*discordgo.ApplicationCommand) bool {
	if len(have) != len(want) {
		return false
	}
	for _, w := range want {
		i := slices.IndexFunc(have, func(h *discordgo.ApplicationCommand) bool {
			return commandType(h) == commandType(w) && h.Name == w.Name
		})
		if i < 0 || have[i].Description != w.Description || !sameOptions(have[i].Options, w.Options) {
			return false
		}
	}
	return true
}

func commandType(c *discordgo.ApplicationCommand) discordgo.ApplicationCommandType {
	if c.Type == 0 {
		return discordgo.ChatApplicationCommand
	}
	return c.Type
}

func sameOptions(have, want []*discordgo.ApplicationCommandOption) bool {
	if len(have) != len(want) {
		return false
	}
	for i, w := range want {
		h := have[i]
		if h.Type != w.Type || h.Name != w.Name || h.Description != w.Description || h.Required != w.Required ||
			h.Autocomplete != w.Autocomplete || h.MaxLength != w.MaxLength {
			return false
		}
	}
	return true
}

// onCommand answers a slash command or the message command.
func (a *Adapter) onCommand(i *discordgo.Interaction, u *discordgo.User) {
	data := i.ApplicationCommandData()
	if data.CommandType == discordgo.MessageApplicationCommand {
		a.createTicket(i, u, data.TargetID)
		return
	}
	switch data.Name {
	case commandTicket:
		a.ticketCommand(i, u, optionString(data.Options, optionForm))
	case commandStatus:
		a.privateCommand(i, u, "status "+oneLine(clip(optionString(data.Options, optionTicket), 40)))
	case commandHelp:
		a.privateCommand(i, u, "help")
	default:
		a.respond(i, ephemeral("I don't know that command any more. Try `/help`."))
	}
}

// optionString is a string option's value, "" when absent.
func optionString(opts []*discordgo.ApplicationCommandInteractionDataOption, name string) string {
	for _, o := range opts {
		if o != nil && o.Name == name {
			if s, ok := o.Value.(string); ok {
				return s
			}
		}
	}
	return ""
}

// event is the neutral event of an interaction by u, in the place it was used.
func (a *Adapter) event(kind bot.EventKind, i *discordgo.Interaction, u *discordgo.User) bot.Event {
	channel, thread := a.place(a.runCtx(), i.ChannelID, i.GuildID, false)
	a.noteMember(i.GuildID, u, i.Member)
	return bot.Event{
		Kind:     kind,
		ID:       "int:" + i.ID,
		Platform: Platform,
		Channel:  channel,
		Thread:   thread,
		User:     bot.JoinID(Platform, u.ID),
		UserName: displayName(u, i.Member),
		Roles:    roles(i.Member),
		DM:       i.GuildID == "",
		Time:     time.Now(),
		Private:  true, // an application command is seen by the person alone, and so are its answers
		ReplyTo:  replyHandle(i),
	}
}

// privateCommand hands the engine a command (text without its prefix) typed as an application command,
// and acknowledges it with a deferred ephemeral answer, which the engine's first reply replaces.
func (a *Adapter) privateCommand(i *discordgo.Interaction, u *discordgo.User, text string) {
	ev := a.event(bot.EventMessage, i, u)
	ev.Text = a.prefix() + text
	a.record(i, ev, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral}})
}

// createTicket asks the engine to turn a message into a ticket ("Create ticket" on it), and tells the
// person at once that it is being done: the ticket's news comes in the message's thread, and only a
// refusal comes back privately.
func (a *Adapter) createTicket(i *discordgo.Interaction, u *discordgo.User, target string) {
	ev := a.event(bot.EventCreateTicket, i, u)
	ev.Message = target
	a.record(i, ev, ephemeral("On it: I'm turning that message into a ticket, whose conversation is the message's thread (unless it has a ticket already)."))
}

// record hands ev to the engine and answers the interaction with resp once it is recorded, or with an
// apology when it is not; follow-ups wait for the answer.
func (a *Adapter) record(i *discordgo.Interaction, ev bot.Event, resp *discordgo.InteractionResponse) {
	done := a.expectAck(i)
	defer done()
	if !a.handle(ev) {
		resp = ephemeral("Sorry, that did not go through. Please try again.")
	}
	a.respond(i, resp)
}

// respond sends an interaction's response, logging a failure (there is no one else to tell).
func (a *Adapter) respond(i *discordgo.Interaction, resp *discordgo.InteractionResponse) {
	if err := a.s.InteractionRespond(i, resp); err != nil {
		a.log.Warn("discord interaction not acknowledged", "interaction", i.ID, "err", err)
	}
}

// ephemeral is a response only the person sees, mentioning nobody.
func ephemeral(text string) *discordgo.InteractionResponse {
	return &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Content: markdown(text), Flags: discordgo.MessageFlagsEphemeral, AllowedMentions: noMentions()}}
}

// prefix is the engine's command prefix ("!").
func (a *Adapter) prefix() string {
	if a.cfg.CommandPrefix == "" {
		return "!"
	}
	return a.cfg.CommandPrefix
}
