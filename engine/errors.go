package engine

import (
	"errors"
	"fmt"

	"github.com/kiln-run/kiln/kilntype"
)

// Code is Kiln's one error code type (kilntype.Code, whose table gives
// every code's HTTP status and retryability). The engine's names for the
// codes it raises follow; they are the table's constants under names that
// read well in engine code.
type Code = kilntype.Code

// The codes the engine raises.
const (
	CodeSyntaxError        = kilntype.ESyntaxError        // the source does not parse or transform
	CodeRuntimeError       = kilntype.ERuntimeError       // the script threw, or its handler is missing
	CodeTimeout            = kilntype.ETimeout            // the invocation ran past its wall-clock timeout
	CodeMemoryLimit        = kilntype.EMemoryLimit        // the invocation allocated past its memory limit
	CodeStackOverflow      = kilntype.EStackOverflow      // the call stack grew past its maximum depth
	CodeSandboxViolation   = kilntype.ESandboxViolation   // eval, Function, require, import of a non-local module
	CodeUnhandledRejection = kilntype.EUnhandledRejection // a promise was rejected and nothing handled it
	CodeOutputTooLarge     = kilntype.EOutputTooLarge     // the handler's result is larger than the output cap
	CodeInvalidArgument    = kilntype.EInvalidArgument    // a host call or engine call got bad arguments
	CodeCancelled          = kilntype.ECancelled          // the caller cancelled the invocation's context
	CodeInternal           = kilntype.EInternal           // a fault in Kiln itself; never carries Go internals to the script
	CodeNotSupported       = kilntype.ENotSupported       // the host did not provide what the call needs (fetch without Config.Fetch)
)

// Error is the engine's one error type: a stable code, a message a script
// author can act on, and where known the position in the user's source.
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
	// Position is "file.ts:LINE:COL" in the user's original source, or "".
	Position string `json:"position,omitempty"`
	// Stack is the JavaScript stack in original-source positions, or "".
	Stack string `json:"stack,omitempty"`
}

// Error implements error.
func (e *Error) Error() string {
	if e.Position != "" {
		return fmt.Sprintf("%s: %s (at %s)", e.Code, e.Message, e.Position)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf builds an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns err's Code if it is (or wraps) an *Error, else CodeInternal.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}
