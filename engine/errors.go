package engine

import (
	"errors"
	"fmt"
)

// Code is a stable, machine-readable error code. Codes reach scripts as
// err.code, API clients in error bodies and the CLI in its messages; they
// never change meaning once published.
type Code string

const (
	// CodeSyntaxError: the source does not parse or transform.
	CodeSyntaxError Code = "SYNTAX_ERROR"
	// CodeRuntimeError: the script threw, or its handler is missing.
	CodeRuntimeError Code = "RUNTIME_ERROR"
	// CodeTimeout: the invocation ran past its wall-clock timeout.
	CodeTimeout Code = "TIMEOUT"
	// CodeMemoryLimit: the invocation allocated past its memory limit.
	CodeMemoryLimit Code = "MEMORY_LIMIT"
	// CodeStackOverflow: the call stack grew past its maximum depth.
	CodeStackOverflow Code = "STACK_OVERFLOW"
	// CodeSandboxViolation: the script reached for something the sandbox
	// forbids (eval, Function, require, import of a non-local module).
	CodeSandboxViolation Code = "SANDBOX_VIOLATION"
	// CodeUnhandledRejection: a promise was rejected and nothing handled it.
	CodeUnhandledRejection Code = "UNHANDLED_REJECTION"
	// CodeOutputTooLarge: the handler's result is larger than the output cap.
	CodeOutputTooLarge Code = "OUTPUT_TOO_LARGE"
	// CodeInvalidArgument: a host call or engine call got bad arguments.
	CodeInvalidArgument Code = "INVALID_ARGUMENT"
	// CodeCancelled: the caller cancelled the invocation's context.
	CodeCancelled Code = "CANCELLED"
	// CodeInternal: a fault in Kiln itself; the message never carries Go
	// internals to the script.
	CodeInternal Code = "INTERNAL"
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
