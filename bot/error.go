package bot

import (
	"errors"
	"fmt"
)

// Error codes a caller can act on.
const (
	ECONFLICT     = "conflict"     // the change lost a race or contradicts the current state
	EINTERNAL     = "internal"     // a bug or an unexpected failure
	EINVALID      = "invalid"      // bad input; retrying the same thing will not help
	ENOTFOUND     = "not_found"    // the thing asked for does not exist
	EUNAVAILABLE  = "unavailable"  // a dependency is down or busy; retry later
	EUNAUTHORIZED = "unauthorized" // the person may not do this
	ELIMITED      = "limited"      // a configured limit refused it (calls per hour, messages per minute)
)

// Error is a domain error: a code for programs and a message for people, and the error it translates,
// if any.
type Error struct {
	Code    string
	Message string
	// Err is the cause, when the error translates another (a platform's, a library's, the store's): it
	// stays reachable through errors.Is and errors.As. Error does not print it; Message says what the
	// reader needs, and quotes the cause where that helps.
	Err error
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Unwrap returns the cause, nil when there is none.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// WrapError returns an *Error with the code and a formatted message that keeps err as its cause.
func WrapError(err error, code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// ErrorCode returns the code of the first (outermost) *Error in err's chain, EINTERNAL for other errors, "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// IsNotFound reports whether err says something does not exist.
func IsNotFound(err error) bool { return ErrorCode(err) == ENOTFOUND }
