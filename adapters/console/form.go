package console

// Forms in the console: "/form" lists the forms you may use, "/form ID" asks for each field in turn (a
// line answers the question; /skip leaves an optional one empty; /cancel stops), then hands the answers
// to the engine as a submitted form. What the engine refuses is said on a line starting with "! ", and
// the questions it names are asked again.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/internal/plural"
)

// filling is a form being filled in: the questions left to ask, and the answers so far.
type filling struct {
	form   bot.Form
	ask    []bot.FormField
	values map[string]string
	names  map[string]string // a person's name by "console:name", for the card to show the name
}

// formCommand handles "/form" and "/form ID".
func (s *session) formCommand(ctx context.Context, args []string) {
	forms := s.eng.Forms(s.userID(), nil)
	if len(forms) == 0 {
		s.fail("there are no forms on this desk: ask your question in #help or a direct message")
		return
	}
	if len(args) == 0 {
		lines := []string{"Forms you can fill in (/form ID):"}
		for _, f := range forms {
			lines = append(lines, fmt.Sprintf("  %-12s %s", f.ID, oneLine(f.Title)))
		}
		s.a.print(lines...)
		return
	}
	for _, f := range forms {
		if strings.EqualFold(f.ID, args[0]) {
			s.form = &filling{form: f, ask: f.Fields, values: map[string]string{}, names: map[string]string{}}
			s.a.print(fmt.Sprintf("%s: answer each question on a line; /skip leaves an optional one empty, /cancel stops.", oneLine(f.Title)))
			s.askNext(ctx)
			return
		}
	}
	s.fail(fmt.Sprintf("there is no form %q you can use; /form lists them", args[0]))
}

// formPassThrough reports whether a line typed while a form is filled in is a console command that does
// not touch the form (/echo, /help, /quit): scripts mark their place with /echo.
func formPassThrough(line string) bool {
	name, _, _ := strings.Cut(strings.TrimSpace(line), " ")
	switch strings.ToLower(name) {
	case "/echo", "/help", "/quit":
		return true
	}
	return false
}

// question is how the console asks for a field.
func question(f bot.FormField) string {
	var hint []string
	switch f.Type {
	case bot.FieldSelect:
		hint = append(hint, "one of: "+strings.Join(f.Options, ", "))
	case bot.FieldDate:
		hint = append(hint, "YYYY-MM-DD")
	case bot.FieldPriority:
		hint = append(hint, "P1 to P4")
	case bot.FieldUser:
		hint = append(hint, "a user name or @name")
	case bot.FieldLongText:
		hint = append(hint, "end a line with \\ to go on")
	}
	if f.Required {
		hint = append(hint, "required")
	} else {
		hint = append(hint, "optional: /skip")
	}
	return fmt.Sprintf("? %s (%s)", oneLine(f.Label), strings.Join(hint, "; "))
}

// formLine handles a line typed while a form is being filled in, and reports whether it was the form's.
func (s *session) formLine(ctx context.Context, line string) bool {
	f := s.form
	switch cmd := strings.ToLower(strings.TrimSpace(line)); {
	case cmd == "/cancel":
		s.form = nil
		s.a.print("Form cancelled; nothing was sent.")
		return true
	case cmd == "/skip":
		if f.ask[0].Required {
			s.fail("this question needs an answer (or /cancel)")
		} else {
			f.ask = f.ask[1:]
			s.askNext(ctx)
		}
		return true
	case strings.HasPrefix(cmd, "/"):
		s.fail("finish the form first: answer the question, /skip it, or /cancel")
		return true
	}
	field := f.ask[0]
	value := strings.TrimSpace(line)
	if field.Type == bot.FieldUser {
		value = strings.TrimPrefix(value, "@") // "@tom", as a message mentions him, is tom
	}
	if field.Type == bot.FieldUser && validName(value) {
		f.names[bot.JoinID(platform, value)] = value
		value = bot.JoinID(platform, value) // a person is "console:name"
	}
	f.values[field.ID] = value
	f.ask = f.ask[1:]
	s.askNext(ctx)
	return true
}

// askNext asks the next question, or, when none is left, sends the form.
func (s *session) askNext(ctx context.Context) {
	f := s.form
	if len(f.ask) > 0 {
		s.a.print(question(f.ask[0]))
		return
	}
	ev := bot.Event{Kind: bot.EventForm, ID: s.newFormID(ctx), Platform: platform, Channel: "@" + s.user, DM: true,
		User: s.userID(), UserName: s.user, Form: &bot.FormSubmission{Form: f.form.ID, Values: f.values, Names: f.names}}
	err := s.eng.Handle(ctx, ev)
	var be *bot.Error
	var fe bot.FieldErrors
	switch {
	case err == nil:
		s.form = nil
		s.flush(ctx)
	case errors.As(err, &fe):
		// Ask again what the desk refused, keeping the rest.
		s.fail(messageOf(err))
		for _, field := range f.form.Fields {
			if problem, bad := fe[field.ID]; bad {
				s.fail(fmt.Sprintf("%s: %s", oneLine(field.Label), problem))
				f.ask = append(f.ask, field)
				delete(f.values, field.ID)
			}
		}
		if len(f.ask) == 0 {
			s.form = nil
			return
		}
		s.askNext(ctx)
	case errors.As(err, &be) && be.Code != bot.EUNAVAILABLE && be.Code != bot.EINTERNAL:
		s.form = nil
		s.fail(be.Message)
	default:
		s.a.log.Error("handle form", "form", f.form.ID, "err", err)
		s.fail(fmt.Sprintf("your form could not be recorded, try /form %s again (%v)", f.form.ID, err))
		s.form = nil
	}
}

// messageOf is the sentence of the first *bot.Error in err.
func messageOf(err error) string {
	var be *bot.Error
	if errors.As(err, &be) {
		return be.Message
	}
	return err.Error()
}

// newFormID is the dedup key of a submitted form: a number from the data file's sequence, unique across
// restarts.
func (s *session) newFormID(ctx context.Context) string {
	n, err := s.a.state.NextID(ctx)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("form%d", n)
}

var _ bot.FileUploader = (*Adapter)(nil)

// Upload implements bot.FileUploader: the console cannot show a file, so it prints the message that
// comes with it and a line naming the file, once it has read it whole (the desk's limit bounds it).
func (a *Adapter) Upload(ctx context.Context, u bot.Upload, key string, maybeSent bool) (bot.MessageRef, error) {
	n, err := io.Copy(io.Discard, u.Body)
	if err != nil {
		return bot.MessageRef{}, err
	}
	p := u.Post
	about := []string{}
	if u.File.Type != "" {
		about = append(about, u.File.Type)
	}
	about = append(about, plural.Count(n, "byte", "bytes"))
	p.Text = strings.TrimRight(p.Text, "\n") + fmt.Sprintf("\n[file: %s (%s)]", oneLine(u.File.Name), strings.Join(about, ", "))
	return a.Post(ctx, p)
}
