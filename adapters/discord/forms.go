package discord

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/firstline-desk/firstline/bot"
)

// Forms as modals. /ticket (or a form's button) opens a form in a Discord modal, which must be the very
// answer to the interaction, within 3 seconds: so the adapter builds it from the forms the engine holds
// (FormLister, no I/O), and nothing is recorded until the form is sent. The submission is a bot.EventForm
// recorded before it is acknowledged; the engine checks it, and a refusal (a missing answer, an answer
// too long, a form the person may not use) is shown to the person with each problem beside its question
// and a button to correct the answers, which the modal keeps.
//
// A Discord modal holds at most five text inputs, and nothing but text inputs (discordgo v0.29 knows no
// other modal component). So:
//   - short_text and long_text are a short and a paragraph input;
//   - select is a short input whose placeholder names the choices, checked by the engine (any case);
//   - date is a short input for YYYY-MM-DD, priority one for P1 to P4, both checked by the engine;
//   - user is a short input for a mention (<@id>), a user id, or the name of a member the desk has met,
//     resolved here; one it cannot resolve is refused like any bad answer;
//   - a form of more than five fields is shown in pages of five: each page's answers are kept in memory
//     (formSessions) and a button opens the next page; the form is sent with the last page. Answers kept
//     are lost when the desk restarts mid-form, and the person starts again.

// FormLister gives the forms a person may see and use: bot.Engine.Forms, from the config alone.
type FormLister interface {
	Forms(user string, roles []string) []bot.Form
}

// SetForms gives the adapter the forms it shows; call it before Run. Without it, /ticket lists no form.
func (a *Adapter) SetForms(f FormLister) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.formList = f
}

// Discord's limits for modals (https://discord.com/developers/docs/components/reference#text-input).
const (
	fieldsPerModal = 5
	maxModalTitle  = 45
	maxInputLabel  = 45
	maxPlaceholder = 100
	maxInputValue  = 4000
	maxChoices     = 25 // autocomplete results
)

// Custom ids: a modal is "form:ID:PAGE"; a button that opens a form's first page is "form:ID" (the
// engine's choice for a form, bot's "form:" prefix), one that opens a later page, or the page to correct,
// "formpage:ID:PAGE".
const (
	formPrefix     = "form:"
	formPagePrefix = "formpage:"
)

// formsFor is the forms u may use.
func (a *Adapter) formsFor(u *discordgo.User, m *discordgo.Member) []bot.Form {
	a.mu.Lock()
	fl := a.formList
	a.mu.Unlock()
	if fl == nil {
		return nil
	}
	return fl.Forms(bot.JoinID(Platform, u.ID), roles(m))
}

// findForm returns the form named by id or title (any case).
func findForm(forms []bot.Form, name string) (bot.Form, bool) {
	name = strings.TrimSpace(name)
	for _, f := range forms {
		if strings.EqualFold(f.ID, name) || strings.EqualFold(strings.TrimSpace(f.Title), name) {
			return f, true
		}
	}
	return bot.Form{}, false
}

// ticketCommand answers /ticket [form]: the form's modal when the person names one they may use, or may
// use only one; otherwise the engine's list of forms ("!new"), each with a button that opens it.
func (a *Adapter) ticketCommand(i *discordgo.Interaction, u *discordgo.User, name string) {
	forms := a.formsFor(u, i.Member)
	if name = strings.TrimSpace(name); name != "" {
		if f, ok := findForm(forms, name); ok {
			a.showForm(i, u, f, 0)
			return
		}
		a.privateCommand(i, u, "new "+strings.Join(strings.Fields(clip(name, 40)), "_"))
		return
	}
	if len(forms) == 1 {
		a.showForm(i, u, forms[0], 0)
		return
	}
	a.privateCommand(i, u, "new")
}

// autocomplete offers the forms the person may use whose id or title contains what they typed.
func (a *Adapter) autocomplete(i *discordgo.Interaction, u *discordgo.User) {
	data, ok := i.Data.(discordgo.ApplicationCommandInteractionData)
	if !ok {
		return
	}
	typed := strings.ToLower(strings.TrimSpace(optionString(data.Options, optionForm)))
	choices := []*discordgo.ApplicationCommandOptionChoice{}
	for _, f := range a.formsFor(u, i.Member) {
		if len(choices) == maxChoices {
			break
		}
		if typed == "" || strings.Contains(strings.ToLower(f.ID), typed) || strings.Contains(strings.ToLower(f.Title), typed) {
			choices = append(choices, &discordgo.ApplicationCommandOptionChoice{Name: clip(oneLine(f.Title), 100), Value: clip(f.ID, 100)})
		}
	}
	a.respond(i, &discordgo.InteractionResponse{Type: discordgo.InteractionApplicationCommandAutocompleteResult,
		Data: &discordgo.InteractionResponseData{Choices: choices}})
}

// formButton opens a form for a button that says so ("form:ID", "formpage:ID:PAGE"); false for other
// buttons, which are the engine's.
func (a *Adapter) formButton(i *discordgo.Interaction, u *discordgo.User, customID string) bool {
	id, page := "", 0
	switch {
	case strings.HasPrefix(customID, formPagePrefix):
		var ok bool
		if id, page, ok = parseFormID(strings.TrimPrefix(customID, formPagePrefix)); !ok {
			a.respond(i, ephemeral("That button no longer opens anything."))
			return true
		}
	case strings.HasPrefix(customID, formPrefix):
		id = strings.TrimPrefix(customID, formPrefix)
	default:
		return false
	}
	f, ok := findForm(a.formsFor(u, i.Member), id)
	if !ok || !strings.EqualFold(f.ID, id) {
		a.respond(i, ephemeral(fmt.Sprintf("There is no form %q that you can use.", clip(id, 40))))
		return true
	}
	if page*fieldsPerModal >= len(f.Fields) {
		page = 0
	}
	a.showForm(i, u, f, page)
	return true
}

// parseFormID reads "ID:PAGE".
func parseFormID(s string) (id string, page int, ok bool) {
	i := strings.LastIndexByte(s, ':')
	if i <= 0 {
		return "", 0, false
	}
	page, err := strconv.Atoi(s[i+1:])
	if err != nil || page < 0 || page > 100 {
		return "", 0, false
	}
	return s[:i], page, true
}

// showForm answers the interaction with a page of the form, its answers so far filled in.
func (a *Adapter) showForm(i *discordgo.Interaction, u *discordgo.User, f bot.Form, page int) {
	a.respond(i, formModal(f, page, a.sessions.values(u.ID, f.ID)))
}

// pages is how many modals a form takes.
func pages(f bot.Form) int { return max(1, (len(f.Fields)+fieldsPerModal-1)/fieldsPerModal) }

// formModal is a page of a form as a modal, with values filled in.
func formModal(f bot.Form, page int, values map[string]string) *discordgo.InteractionResponse {
	n := pages(f)
	title := oneLine(f.Title)
	if n > 1 {
		more := fmt.Sprintf(" (%d/%d)", page+1, n)
		title = clip(title, maxModalTitle-count(more)) + more
	}
	var rows []discordgo.MessageComponent
	for _, field := range pageFields(f, page) {
		maxLen := min(field.MaxLength(), maxInputValue)
		in := discordgo.TextInput{
			CustomID:    inputID(field),
			Label:       clip(oneLine(field.Label), maxInputLabel),
			Style:       discordgo.TextInputShort,
			Placeholder: clip(inputHint(field), maxPlaceholder),
			Value:       clipRunes(values[field.ID], maxLen),
			Required:    field.Required,
			MaxLength:   maxLen,
		}
		if field.Type == bot.FieldLongText {
			in.Style = discordgo.TextInputParagraph
		}
		rows = append(rows, discordgo.ActionsRow{Components: []discordgo.MessageComponent{in}})
	}
	return &discordgo.InteractionResponse{Type: discordgo.InteractionResponseModal, Data: &discordgo.InteractionResponseData{
		CustomID: formPrefix + f.ID + ":" + strconv.Itoa(page), Title: firstOf(clip(title, maxModalTitle), "Request"), Components: rows,
	}}
}

// pageFields are the fields of a page of a form.
func pageFields(f bot.Form, page int) []bot.FormField {
	start := min(page*fieldsPerModal, len(f.Fields))
	return f.Fields[start:min(start+fieldsPerModal, len(f.Fields))]
}

// inputID is a field's custom_id in a modal: its id, within Discord's 100 characters.
func inputID(field bot.FormField) string { return clipRunes(field.ID, 100) }

// clipRunes cuts s to at most n characters, without an ellipsis (a value, not a text).
func clipRunes(s string, n int) string {
	if count(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// inputHint says what a text input takes for a field type Discord has no input for.
func inputHint(field bot.FormField) string {
	switch field.Type {
	case bot.FieldSelect:
		return "One of: " + strings.Join(field.Options, ", ")
	case bot.FieldDate:
		return "A date: YYYY-MM-DD, like 2026-03-31"
	case bot.FieldPriority:
		return "P1 (most urgent), P2, P3 or P4"
	case bot.FieldUser:
		return "@name, or their user id"
	}
	return ""
}

// maxSubmitted bounds the inputs read from a submission, and maxSubmittedValue each one: a real modal has
// at most five inputs of 4,000 characters, and a forged one must not fill the memory. A value cut at
// maxSubmittedValue is still longer than any field takes, so the engine refuses it as too long.
const (
	maxSubmitted      = 25
	maxSubmittedValue = maxInputValue + 1
)

// submitted reads a modal's answers by custom_id.
func submitted(components []discordgo.MessageComponent) map[string]string {
	values := map[string]string{}
	var walk func(cs []discordgo.MessageComponent)
	walk = func(cs []discordgo.MessageComponent) {
		for _, c := range cs {
			if len(values) == maxSubmitted {
				return
			}
			switch c := c.(type) {
			case *discordgo.ActionsRow:
				walk(c.Components)
			case *discordgo.TextInput:
				if c.CustomID != "" {
					values[c.CustomID] = clipRunes(c.Value, maxSubmittedValue)
				}
			}
		}
	}
	walk(components)
	return values
}

// submitForm handles a modal's submission: a page kept for the next, or the whole form sent to the
// engine.
func (a *Adapter) submitForm(i *discordgo.Interaction, u *discordgo.User) {
	data, ok := i.Data.(discordgo.ModalSubmitInteractionData)
	id, page, parsed := parseFormID(strings.TrimPrefix(data.CustomID, formPrefix))
	if !ok || !strings.HasPrefix(data.CustomID, formPrefix) || !parsed {
		a.respond(i, ephemeral("That form is not one I know."))
		return
	}
	values := submitted(data.Components)
	f, found := findForm(a.formsFor(u, i.Member), id)
	if !found || !strings.EqualFold(f.ID, id) {
		// A form the person may not use (forged, or gone from the config): the engine refuses it, in its
		// own words, and nothing is kept.
		a.sendForm(i, u, bot.Form{ID: id}, values)
		return
	}
	// Answers by field id; an input the form does not have keeps its custom_id, for the engine to refuse.
	answers := map[string]string{}
	for k, v := range values {
		key := k
		for _, field := range f.Fields {
			if inputID(field) == k {
				key = field.ID
			}
		}
		answers[key] = v
	}
	all := a.sessions.merge(u.ID, f.ID, answers)
	if n := pages(f); page < n-1 {
		a.respond(i, formNext(f, page+1, fmt.Sprintf("Page %d of %d of **%s** is kept.", page+1, n, f.Title), "Next page"))
		return
	}
	a.sendForm(i, u, f, all)
}

// formNext is an ephemeral line with a button that opens a page of a form.
func formNext(f bot.Form, page int, text, label string) *discordgo.InteractionResponse {
	resp := ephemeral(text)
	resp.Data.Components = []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
		discordgo.Button{CustomID: formPagePrefix + f.ID + ":" + strconv.Itoa(page), Label: label, Style: discordgo.PrimaryButton},
	}}}
	return resp
}

// sendForm hands the whole form to the engine and answers the person: sent, or what to correct.
func (a *Adapter) sendForm(i *discordgo.Interaction, u *discordgo.User, f bot.Form, answers map[string]string) {
	sub := &bot.FormSubmission{Form: f.ID, Values: map[string]string{}, Names: map[string]string{}}
	problems := bot.FieldErrors{}
	for k, v := range answers {
		sub.Values[k] = v
	}
	for _, field := range f.Fields {
		v := strings.TrimSpace(sub.Values[field.ID])
		if field.Type != bot.FieldUser || v == "" {
			continue
		}
		id, name, ok := a.resolveUser(i.GuildID, v)
		if !ok {
			problems[field.ID] = "Please give the person as @name (someone I have seen here), a mention or their user id."
			continue
		}
		sub.Values[field.ID] = bot.JoinID(Platform, id)
		if name != "" {
			sub.Names[bot.JoinID(Platform, id)] = name
		}
	}
	if len(problems) > 0 {
		a.respond(i, a.formRefused(f, bot.WrapError(problems, bot.EINVALID, "Some answers need another look.")))
		return
	}
	ev := a.event(bot.EventForm, i, u)
	// The ticket's conversation is the requester's DM, under the receipt of their answers: a form's
	// answers are theirs, not a channel's.
	ev.Channel, ev.Thread, ev.DM, ev.Form = "", "", true, sub
	done := a.expectAck(i)
	defer done()
	err := a.handleErr(ev)
	var refusal *bot.Error
	switch {
	case err == nil:
		a.sessions.drop(u.ID, f.ID)
		a.respond(i, ephemeral(fmt.Sprintf("Sent: your **%s** is a ticket now. I've sent you its receipt in a direct message; reply to it there to add anything.", firstOf(f.Title, "request"))))
	case errors.As(err, &refusal) && isRefusal(refusal.Code):
		a.log.Info("discord form refused", "form", clip(f.ID, 40), "err", err)
		a.respond(i, a.formRefused(f, err))
	default:
		a.respond(i, formNext(f, 0, "Sorry, your form did not go through. Please send it again: your answers are kept.", "Send it again"))
	}
}

// formRefused tells the person why the desk refused their form, each problem beside its question, with
// a button that opens the page of the first one to correct, the answers kept.
func (a *Adapter) formRefused(f bot.Form, err error) *discordgo.InteractionResponse {
	var refusal *bot.Error
	text := "I can't take that form."
	if errors.As(err, &refusal) {
		text = refusal.Message
	}
	var fe bot.FieldErrors
	first := -1
	if errors.As(err, &fe) {
		var lines []string
		for n, field := range f.Fields {
			if p, bad := fe[field.ID]; bad {
				lines = append(lines, fmt.Sprintf("- **%s**: %s", oneLine(field.Label), p))
				if first < 0 {
					first = n
				}
			}
		}
		if len(lines) < len(fe) {
			lines = append(lines, "- The form was sent with questions it does not have.")
		}
		text = "Some answers need another look:\n" + strings.Join(lines, "\n")
	}
	if len(f.Fields) == 0 {
		return ephemeral(text)
	}
	return formNext(f, max(first, 0)/fieldsPerModal, clip(text, maxContent-100), "Correct my answers")
}

// isRefusal reports whether an error code is the desk refusing an event (nothing kept, nothing to retry).
func isRefusal(code string) bool {
	switch code {
	case bot.EINVALID, bot.ENOTFOUND, bot.EUNAUTHORIZED, bot.ECONFLICT:
		return true
	}
	return false
}

// resolveUser reads a person as typed in a form: a mention, a user id, or a name the directory knows
// (one member of the server by that name). No REST call: this is before the acknowledgement.
func (a *Adapter) resolveUser(guild, typed string) (id, name string, ok bool) {
	typed = strings.TrimSpace(typed)
	if inner, found := strings.CutPrefix(typed, "<@"); found && strings.HasSuffix(inner, ">") {
		typed = strings.TrimPrefix(strings.TrimSuffix(inner, ">"), "!")
	}
	if isDigits(typed) && len(typed) >= 15 && len(typed) <= 20 {
		return typed, a.dir.anyName(typed), true
	}
	return a.dir.findName(guild, strings.TrimPrefix(typed, "@"))
}

// --- the answers kept between the pages of a form ---

// formSessionTTL is how long the answers of a form being filled in are kept; maxFormSessions bounds them.
const (
	formSessionTTL  = 30 * time.Minute
	maxFormSessions = 1000
)

// formSessions are the answers given so far to forms being filled in, by person and form. Safe for
// concurrent use.
type formSessions struct {
	mu sync.Mutex
	m  map[string]*formSession
}

type formSession struct {
	values map[string]string
	at     time.Time
}

func sessionKey(user, form string) string { return user + "\x1f" + strings.ToLower(form) }

// values returns a copy of the answers kept for user's form.
func (s *formSessions) values(user, form string) map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]string{}
	if fs := s.m[sessionKey(user, form)]; fs != nil && time.Since(fs.at) < formSessionTTL {
		for k, v := range fs.values {
			out[k] = v
		}
	}
	return out
}

// merge adds answers to those kept for user's form and returns them all.
func (s *formSessions) merge(user, form string, answers map[string]string) map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]*formSession{}
	}
	now := time.Now()
	for k, fs := range s.m {
		if now.Sub(fs.at) >= formSessionTTL {
			delete(s.m, k)
		}
	}
	key := sessionKey(user, form)
	fs := s.m[key]
	if fs == nil {
		if len(s.m) >= maxFormSessions {
			for k := range s.m { // an arbitrary one: someone who left a form half done
				delete(s.m, k)
				break
			}
		}
		fs = &formSession{values: map[string]string{}}
		s.m[key] = fs
	}
	fs.at = now
	for k, v := range answers {
		if _, kept := fs.values[k]; kept || len(fs.values) < maxSubmitted {
			fs.values[k] = v
		}
	}
	out := map[string]string{}
	for k, v := range fs.values {
		out[k] = v
	}
	return out
}

// drop forgets user's form once it was sent.
func (s *formSessions) drop(user, form string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, sessionKey(user, form))
}
