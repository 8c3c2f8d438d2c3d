// Package kilntype holds Kiln's domain words — tenants, keys, scripts,
// versions, executions, triggers, dead letters — and the one error
// vocabulary every layer shares (codes.go). It imports nothing of Kiln's,
// so every other package can import it without a cycle.
package kilntype

import (
	"errors"
	"fmt"
)

// Error is the one error type: a stable code, a message a person can act
// on, and optional details (such as a source position). Scripts see the
// code as err.code; API clients see it in the {"error": …} body.
type Error struct {
	Code    Code
	Message string
	Details any
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// Errorf returns an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err if it is (or wraps) an *Error, else
// EInternal.
func ErrorCode(err error) Code {
	// Most errors asked about are nil or an *Error: answer those without
	// errors.As, whose target escapes (an allocation per call).
	switch e := err.(type) { //nolint:errorlint // a fast path; wrapped errors fall through to errors.As below
	case nil:
		return EInternal
	case *Error:
		return e.Code
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}
