package bot_test

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"

	"github.com/firstline-desk/firstline/bot"
)

// TestErrorKeepsItsCause: a domain error that translates another keeps it reachable, and the outermost
// code is the one a caller acts on.
func TestErrorKeepsItsCause(t *testing.T) {
	cause := &fs.PathError{Op: "open", Path: "x", Err: fs.ErrNotExist}
	err := fmt.Errorf("load: %w", bot.WrapError(cause, bot.EUNAVAILABLE, "the data file: %v", cause))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("errors.Is does not find the cause in %v", err)
	}
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe != cause {
		t.Errorf("errors.As does not find the cause in %v", err)
	}
	if got := bot.ErrorCode(err); got != bot.EUNAVAILABLE {
		t.Errorf("code %q, want %q", got, bot.EUNAVAILABLE)
	}
	if got, want := err.Error(), "load: unavailable: the data file: open x: file does not exist"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if got := bot.ErrorCode(bot.WrapError(bot.Errorf(bot.ENOTFOUND, "inner"), bot.EINVALID, "outer")); got != bot.EINVALID {
		t.Errorf("code %q, want the outer %q", got, bot.EINVALID)
	}
	if errors.Unwrap(&bot.Error{Code: bot.EINVALID}) != nil {
		t.Error("an error without a cause unwraps to something")
	}
}
