// Package kilntype holds Kiln's domain words — tenants, keys, scripts, versions,
// executions — and the error type every layer shares. The server, the store
// and embedding hosts speak in these types.
package kilntype

import (
	"errors"
	"fmt"
)

// Error codes reach API clients in error bodies and scripts as err.code; they
// never change meaning once published.
const (
	ENotFound        = "NOT_FOUND"
	EInvalidArgument = "INVALID_ARGUMENT"
	EUnauthorized    = "UNAUTHORIZED"
	EForbidden       = "FORBIDDEN"
	EConflict        = "CONFLICT"
	ESyntaxError     = "SYNTAX_ERROR"
	ETooLarge        = "PAYLOAD_TOO_LARGE"
	EQuotaExceeded   = "QUOTA_EXCEEDED" // a tenant's quota (cache bytes, say) is used up
	EUnavailable     = "UNAVAILABLE"
	EInternal        = "INTERNAL"
)

// Error is the one error type: a stable code, a message a person can act on,
// and optional details (such as a source position).
type Error struct {
	Code    string
	Message string
	Details any
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf returns an *Error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err if it is (or wraps) an *Error, else
// EInternal.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}
