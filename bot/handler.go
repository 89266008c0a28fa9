package bot

import "context"

// Handler takes the inbound events of every chat platform: each adapter translates what its platform
// delivers into an Event and hands it to Handle. *Engine implements it.
//
// The ack rule: Handle returns nil only once the event is durable, that is once it has been recorded,
// with the ticket change it makes and the effects it causes, in one committed transaction. An adapter
// acknowledges an event to its platform only then, and leaves an event Handle refused unacknowledged, so
// that the platform delivers it again (Slack: no envelope ack, or an HTTP 5xx; Discord: the message is
// fetched again by the catch-up, a button press is answered "press it again"). A redelivered event (the
// same Event.ID, or the same message) changes nothing, so delivering twice is safe, and losing one that
// was acknowledged is what the rule prevents.
//
// Handle may be called from several goroutines at once. It does no I/O but the store's: replies are
// performed later by the dispatcher, so it returns in the time of one commit, well within a platform's
// ack deadline. An adapter must not do slow I/O (a Web API call) between receiving an event and calling
// Handle either. Errors: EINVALID for an event that is not one (no user or platform); anything else
// (EUNAVAILABLE from a store that takes no writes, a full disk) means nothing of the event was kept. An
// EventAction from a platform without a chat (the web console) and an EventForm are refused the same
// way, nothing kept, with an *Error whose message is for the person (EUNAUTHORIZED, ECONFLICT, EINVALID,
// ENOTFOUND: see action.go, forms.go; a form's bad answers are FieldErrors, errors.As), which the adapter
// shows them (Slack: in the modal, with the acknowledgement) and then acknowledges. An EventAction from a
// chat platform (a home tab's button) that is refused is answered privately in chat, and Handle returns
// nil.
type Handler interface {
	Handle(ctx context.Context, ev Event) error
}

var _ Handler = (*Engine)(nil)
