package outbound

import "fmt"

// Code is a stable, machine-readable reason an outbound request failed. The
// same codes reach scripts as err.code; they never change meaning.
type Code string

const (
	// CodeSSRFBlocked: the request would connect to an address the guard
	// refuses (loopback, private, link-local, metadata…) and no Allow entry
	// matches it.
	CodeSSRFBlocked Code = "SSRF_BLOCKED"
	// CodeTimeout: the request (connection, headers and body) did not finish
	// within its timeout.
	CodeTimeout Code = "TIMEOUT"
	// CodeResponseTooLarge: the response body is larger than
	// Config.MaxResponseBytes. The body is never silently truncated.
	CodeResponseTooLarge Code = "RESPONSE_TOO_LARGE"
	// CodeRequestTooLarge: the request body is larger than
	// Config.MaxRequestBytes.
	CodeRequestTooLarge Code = "REQUEST_TOO_LARGE"
	// CodeTooManyRedirects: following redirects went past
	// Config.MaxRedirects.
	CodeTooManyRedirects Code = "TOO_MANY_REDIRECTS"
	// CodeUnexpectedRedirect: the server redirected a request whose redirect
	// mode is "error".
	CodeUnexpectedRedirect Code = "UNEXPECTED_REDIRECT"
	// CodeInvalidURL: the URL does not parse, has no host, or its scheme is
	// not http or https (a redirect to such a URL included).
	CodeInvalidURL Code = "INVALID_URL"
	// CodeInvalidArgument: the method, a header or the redirect mode is not
	// valid.
	CodeInvalidArgument Code = "INVALID_ARGUMENT"
	// CodeNetworkError: the host name did not resolve, the connection was
	// refused or reset, TLS failed, or the server sent something that is not
	// HTTP. The message names the host.
	CodeNetworkError Code = "NETWORK_ERROR"
	// CodeRateLimited: the tenant already had Config.MaxConcurrentPerTenant
	// requests in flight and none finished before this request's timeout.
	CodeRateLimited Code = "RATE_LIMITED"
	// CodeCancelled: the caller's context was cancelled (or its own deadline
	// passed) before the request finished.
	CodeCancelled Code = "CANCELLED"
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
