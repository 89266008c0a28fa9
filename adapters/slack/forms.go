package slack

import (
	"context"
	"encoding/json"
	"errors"

	slackapi "github.com/slack-go/slack"

	"github.com/firstline-desk/firstline/bot"
)

// Forms as modals: "/firstline new access", the home tab's buttons and the global shortcut open a form
// in a modal (views.open, with the interaction's trigger id); its submission comes back as a
// view_submission, and a submission the desk refuses is answered in the modal itself, each problem beside
// its field (response_action "errors"), in the acknowledgement Slack waits for.

var _ bot.FormOpener = (*Adapter)(nil)

// Limits of a modal (https://docs.slack.dev/reference/views/modal-views).
const (
	maxModalTitle  = 24
	maxModalBlocks = 100
	maxOptions     = 100
	maxOptionText  = 75
	formActionID   = "value"
)

// OpenForm implements bot.FormOpener: the form as a modal. A trigger that can no longer open one (it
// lasts three seconds and opens one modal) gets the person a private message with a button that opens
// it instead; the button's press comes with a fresh trigger.
func (a *Adapter) OpenForm(ctx context.Context, r bot.FormRequest) error {
	_, err := a.api.OpenViewContext(ctx, r.Trigger, formModal(r.Form))
	switch code := slackError(err); {
	case err == nil:
		return nil
	case code == "expired_trigger_id" || code == "invalid_trigger_id" || code == "exchanged_trigger_id" || r.Trigger == "":
		a.log.Info("slack trigger expired before the form opened; offering a button", "form", r.Form.ID, "err", code)
		p := bot.Post{Channel: r.Channel, To: r.User, ReplyTo: r.ReplyTo,
			Text:    "Press the button to fill in **" + r.Form.Title + "**.",
			Choices: []bot.Choice{{ID: "form:" + r.Form.ID, Label: r.Form.Title, Style: bot.StylePrimary}}}
		_, err := a.PostPrivate(ctx, p)
		return err
	}
	return a.apiError("views.open", err)
}

// formModal renders a form as a modal: an input block per field, whose block id is the field's id.
func formModal(f bot.Form) slackapi.ModalViewRequest {
	md, _ := json.Marshal(formMetadata{Form: f.ID})
	var blocks []slackapi.Block
	for _, field := range f.Fields {
		if len(blocks) == maxModalBlocks {
			break // the config check keeps forms far below this
		}
		in := slackapi.NewInputBlock(field.ID, plainText(field.Label, 2000), nil, fieldElement(field))
		in.Optional = !field.Required
		blocks = append(blocks, in)
	}
	return slackapi.ModalViewRequest{
		Type:            slackapi.VTModal,
		Title:           plainText(oneLine(f.Title), maxModalTitle),
		Submit:          plainText("Send", maxModalTitle),
		Close:           plainText("Cancel", maxModalTitle),
		CallbackID:      formCallbackID,
		PrivateMetadata: string(md),
		Blocks:          slackapi.Blocks{BlockSet: blocks},
	}
}

// fieldElement is the input element of a field's type.
func fieldElement(field bot.FormField) slackapi.BlockElement {
	switch field.Type {
	case bot.FieldSelect, bot.FieldPriority:
		opts := field.Options
		if field.Type == bot.FieldPriority {
			opts = []string{"P1", "P2", "P3", "P4"}
		}
		var options []*slackapi.OptionBlockObject
		for _, o := range opts {
			if len(options) == maxOptions {
				break
			}
			options = append(options, slackapi.NewOptionBlockObject(truncate(o, 150), plainText(o, maxOptionText), nil))
		}
		return slackapi.NewOptionsSelectBlockElement(slackapi.OptTypeStatic, plainText("Choose", 150), formActionID, options...)
	case bot.FieldUser:
		return slackapi.NewOptionsSelectBlockElement(slackapi.OptTypeUser, plainText("Choose a person", 150), formActionID)
	case bot.FieldDate:
		return slackapi.NewDatePickerBlockElement(formActionID)
	}
	in := slackapi.NewPlainTextInputBlockElement(nil, formActionID)
	in.MaxLength = field.MaxLength()
	in.Multiline = field.Type == bot.FieldLongText
	return in
}

// submissionResponse is the acknowledgement of a form's submission the desk refused (refusal, Handle's
// error): the problems beside their fields when the modal has those fields, else the modal replaced by
// the reason. nil when err is not a refusal: the submission is then left unacknowledged, and Slack tells
// the person to try again.
func submissionResponse(cb slackapi.InteractionCallback, err error) *slackapi.ViewSubmissionResponse {
	var be *bot.Error
	if !errors.As(err, &be) || !isRefusal(be.Code) {
		return nil
	}
	inputs := map[string]bool{}
	for _, b := range cb.View.Blocks.BlockSet {
		if in, ok := b.(*slackapi.InputBlock); ok {
			inputs[in.BlockID] = true
		}
	}
	var fe bot.FieldErrors
	if errors.As(err, &fe) {
		shown := map[string]string{}
		for field, problem := range fe {
			if !inputs[field] {
				shown = nil // a field the modal does not have: not one of ours
				break
			}
			shown[field] = problem
		}
		if shown != nil {
			return slackapi.NewErrorsViewSubmissionResponse(shown)
		}
	}
	return slackapi.NewUpdateViewSubmissionResponse(&slackapi.ModalViewRequest{
		Type:   slackapi.VTModal,
		Title:  plainText("Not sent", maxModalTitle),
		Close:  plainText("Close", maxModalTitle),
		Blocks: slackapi.Blocks{BlockSet: []slackapi.Block{slackapi.NewSectionBlock(mrkdwnText(mrkdwn(be.Message)), nil, nil)}},
	})
}

// isRefusal reports whether an error code is the desk refusing an event (nothing kept, nothing to
// retry), rather than failing to keep it.
func isRefusal(code string) bool {
	switch code {
	case bot.EINVALID, bot.ENOTFOUND, bot.EUNAUTHORIZED, bot.ECONFLICT:
		return true
	}
	return false
}

// refused is the acknowledgement of an event Handle refused, nil when it is to be left unacknowledged:
// a submitted form the desk refused is acknowledged with the problems (submissionResponse); anything else
// Handle failed on is not acknowledged, so that Slack delivers it again.
func (a *Adapter) refused(payload []byte, ev bot.Event, err error) *slackapi.ViewSubmissionResponse {
	if ev.Kind != bot.EventForm {
		return nil
	}
	var cb slackapi.InteractionCallback
	if json.Unmarshal(payload, &cb) != nil {
		return nil
	}
	resp := submissionResponse(cb, err)
	if resp != nil {
		a.log.Info("slack form refused", "event_id", ev.ID, "err", err)
	}
	return resp
}
