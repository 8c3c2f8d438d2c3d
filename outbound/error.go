package outbound

import (
	"fmt"

	"github.com/kiln-run/kiln/kilntype"
)

// Code is Kiln's one error code type (kilntype.Code); the reasons an
// outbound request fails follow under names that read well here. The same
// codes reach scripts as err.code.
type Code = kilntype.Code

// The codes Do returns.
const (
	// CodeSSRFBlocked: the request would connect to an address the guard
	// refuses (loopback, private, link-local, metadata…) and no Allow entry
	// matches it.
	CodeSSRFBlocked = kilntype.ESSRFBlocked
	// CodeTimeout: the request (connection, headers and body) did not finish
	// within its timeout.
	CodeTimeout = kilntype.ETimeout
	// CodeResponseTooLarge: the response body is larger than
	// Config.MaxResponseBytes. The body is never silently truncated.
	CodeResponseTooLarge = kilntype.EResponseTooLarge
	// CodeRequestTooLarge: the request body is larger than
	// Config.MaxRequestBytes.
	CodeRequestTooLarge = kilntype.ERequestTooLarge
	// CodeTooManyRedirects: following redirects went past
	// Config.MaxRedirects.
	CodeTooManyRedirects = kilntype.ETooManyRedirects
	// CodeUnexpectedRedirect: the server redirected a request whose redirect
	// mode is "error".
	CodeUnexpectedRedirect = kilntype.EUnexpectedRedirect
	// CodeInvalidURL: the URL does not parse, has no host, or its scheme is
	// not http or https (a redirect to such a URL included).
	CodeInvalidURL = kilntype.EInvalidURL
	// CodeInvalidArgument: the method, a header or the redirect mode is not
	// valid.
	CodeInvalidArgument = kilntype.EInvalidArgument
	// CodeNetworkError: the host name did not resolve, the connection was
	// refused or reset, TLS failed, or the server sent something that is not
	// HTTP. The message names the host.
	CodeNetworkError = kilntype.ENetworkError
	// CodeRateLimited: the tenant already had Config.MaxConcurrentPerTenant
	// requests in flight and none finished before this request's timeout.
	CodeRateLimited = kilntype.ERateLimited
	// CodeCancelled: the caller's context was cancelled (or its own deadline
	// passed) before the request finished.
	CodeCancelled = kilntype.ECancelled
)

// Error is the one error type Do returns: a stable code and a message a
// script author can act on. It never carries Go stack traces.
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
	// err is the underlying cause, for errors.Is (context errors) and logs.
	err error
}

// Error implements error.
func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// Unwrap returns the underlying cause, if any.
func (e *Error) Unwrap() error { return e.err }

func errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// formatBytes renders a byte count for messages.
func formatBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
