package kilntype

import "net/http"

// Code is a stable error code. Codes reach API clients in error bodies,
// scripts as err.code and execution records as error.code; once published
// a code never changes meaning. Every code is declared here, in the one
// table below, and nowhere else (a test scans the source for stray code
// literals).
type Code string

// The codes. The table below gives each one's HTTP status and whether
// retrying the same call later can succeed.
const (
	// Requests and resources.
	ENotFound         Code = "NOT_FOUND"          // no such tenant, script, version, execution, key, secret or route
	EInvalidArgument  Code = "INVALID_ARGUMENT"   // the request or the script's call is malformed
	EUnauthorized     Code = "UNAUTHORIZED"       // no API key, or an unknown or revoked one
	EForbidden        Code = "FORBIDDEN"          // the key's role does not allow it
	EConflict         Code = "CONFLICT"           // the state does not allow it (a taken name, an archived script)
	ETooLarge         Code = "PAYLOAD_TOO_LARGE"  // a request body is over its size cap
	EValueTooLarge    Code = "TOO_LARGE"          // a value given to a call (a document, a cache value, an event payload) is over its cap
	EMethodNotAllowed Code = "METHOD_NOT_ALLOWED" // an HTTP script serves the path, not with this method
	EQuotaExceeded    Code = "QUOTA_EXCEEDED"     // a tenant's quota (cache bytes, say) is used up
	ERateLimited      Code = "RATE_LIMITED"       // too many calls this minute
	EOverloaded       Code = "OVERLOADED"         // the server had no room for the run in time
	EUnavailable      Code = "UNAVAILABLE"        // a dependency (store, queue) is down, or the server is stopping
	EInternal         Code = "INTERNAL"           // a bug; the details are in the server's log
	ENotSupported     Code = "NOT_SUPPORTED"      // the feature is not available here

	// A script's source.
	ESyntaxError      Code = "SYNTAX_ERROR"      // the source does not compile
	ESandboxViolation Code = "SANDBOX_VIOLATION" // the source reaches for eval, Function, require or another forbidden door

	// A script's run.
	ERuntimeError        Code = "RUNTIME_ERROR"         // the script threw
	EUnhandledRejection  Code = "UNHANDLED_REJECTION"   // a promise was rejected and nobody handled it
	ETimeout             Code = "TIMEOUT"               // the run (or an outbound call) passed its time limit
	EMemoryLimit         Code = "MEMORY_LIMIT"          // the run passed its memory limit
	EStackOverflow       Code = "STACK_OVERFLOW"        // the call stack passed its depth limit
	EOutputTooLarge      Code = "OUTPUT_TOO_LARGE"      // the result is over the output cap
	ECancelled           Code = "CANCELLED"             // stopped by shutdown or a caller that went away
	ESkipped             Code = "SKIPPED"               // a scheduled run not started: the previous one was still going
	EScriptResponseError Code = "SCRIPT_RESPONSE_ERROR" // an HTTP script returned Response.error()
	ENondeterminism      Code = "NONDETERMINISM"        // a task's script asked for another effect than its journal holds at that index

	// Outbound requests (fetch, iota.http).
	ESSRFBlocked        Code = "SSRF_BLOCKED"        // the address is private, loopback, link-local or metadata
	EInvalidURL         Code = "INVALID_URL"         // the URL does not parse or its scheme is not http(s)
	ENetworkError       Code = "NETWORK_ERROR"       // the connection failed
	ETooManyRedirects   Code = "TOO_MANY_REDIRECTS"  // more redirects than allowed
	EUnexpectedRedirect Code = "UNEXPECTED_REDIRECT" // a redirect with redirect: 'error'
	ERequestTooLarge    Code = "REQUEST_TOO_LARGE"   // the request body is over its cap
	EResponseTooLarge   Code = "RESPONSE_TOO_LARGE"  // the response body is over its cap
)

// CodeInfo is what the table says of a code.
type CodeInfo struct {
	// Status is the HTTP status an API answer with this code has.
	Status int
	// Retryable says that the same call may succeed later unchanged; an
	// event delivery whose attempt failed with a code that is not
	// retryable is still retried (the script may be fixed in between).
	Retryable bool
	// Script says that an SDK or host call may fail with this code as
	// err.code, and that a script which does not catch such an error
	// fails with it (any other code thrown is RUNTIME_ERROR). The codes of
	// the run's own outcome (TIMEOUT aside) are not the script's to throw.
	Script bool
}

// codes is the one table of codes.
var codes = map[Code]CodeInfo{
	ENotFound:         {Status: http.StatusNotFound, Retryable: false, Script: true},
	EInvalidArgument:  {Status: http.StatusBadRequest, Retryable: false, Script: true},
	EUnauthorized:     {Status: http.StatusUnauthorized, Retryable: false, Script: false},
	EForbidden:        {Status: http.StatusForbidden, Retryable: false, Script: false},
	EConflict:         {Status: http.StatusConflict, Retryable: false, Script: true},
	ETooLarge:         {Status: http.StatusRequestEntityTooLarge, Retryable: false, Script: true},
	EValueTooLarge:    {Status: http.StatusRequestEntityTooLarge, Retryable: false, Script: true},
	EMethodNotAllowed: {Status: http.StatusMethodNotAllowed, Retryable: false, Script: false},
	EQuotaExceeded:    {Status: http.StatusTooManyRequests, Retryable: true, Script: true},
	ERateLimited:      {Status: http.StatusTooManyRequests, Retryable: true, Script: true},
	EOverloaded:       {Status: http.StatusTooManyRequests, Retryable: true, Script: false},
	EUnavailable:      {Status: http.StatusServiceUnavailable, Retryable: true, Script: true},
	EInternal:         {Status: http.StatusInternalServerError, Retryable: false, Script: true},
	ENotSupported:     {Status: http.StatusNotImplemented, Retryable: false, Script: true},

	ESyntaxError:      {Status: http.StatusUnprocessableEntity, Retryable: false, Script: false},
	ESandboxViolation: {Status: http.StatusUnprocessableEntity, Retryable: false, Script: false},

	ERuntimeError:        {Status: http.StatusInternalServerError, Retryable: false, Script: false},
	EUnhandledRejection:  {Status: http.StatusInternalServerError, Retryable: false, Script: false},
	ETimeout:             {Status: http.StatusGatewayTimeout, Retryable: true, Script: true},
	EMemoryLimit:         {Status: http.StatusInternalServerError, Retryable: false, Script: false},
	ENondeterminism:      {Status: http.StatusConflict, Retryable: false, Script: false},
	EStackOverflow:       {Status: http.StatusInternalServerError, Retryable: false, Script: false},
	EOutputTooLarge:      {Status: http.StatusInternalServerError, Retryable: false, Script: false},
	ECancelled:           {Status: http.StatusServiceUnavailable, Retryable: true, Script: true},
	ESkipped:             {Status: http.StatusConflict, Retryable: false, Script: false},
	EScriptResponseError: {Status: http.StatusBadGateway, Retryable: false, Script: false},

	ESSRFBlocked:        {Status: http.StatusForbidden, Retryable: false, Script: true},
	EInvalidURL:         {Status: http.StatusBadRequest, Retryable: false, Script: true},
	ENetworkError:       {Status: http.StatusBadGateway, Retryable: true, Script: true},
	ETooManyRedirects:   {Status: http.StatusBadGateway, Retryable: false, Script: true},
	EUnexpectedRedirect: {Status: http.StatusBadGateway, Retryable: false, Script: true},
	ERequestTooLarge:    {Status: http.StatusRequestEntityTooLarge, Retryable: false, Script: true},
	EResponseTooLarge:   {Status: http.StatusBadGateway, Retryable: false, Script: true},
}

// Info returns what the table says of c; for a code not in it, Status
// 500 and nothing else.
func (c Code) Info() CodeInfo {
	info, ok := codes[c]
	if !ok {
		info.Status = http.StatusInternalServerError
	}
	return info
}

// Known reports whether c is in the table.
func (c Code) Known() bool {
	_, ok := codes[c]
	return ok
}

// HTTPStatus is the status an API answer with this code has (500 for a
// code not in the table).
func (c Code) HTTPStatus() int { return c.Info().Status }

// Retryable reports whether the same call may succeed later unchanged.
func (c Code) Retryable() bool { return codes[c].Retryable }

// Codes lists every code in the table, for docs and tests.
func Codes() []Code {
	out := make([]Code, 0, len(codes))
	for c := range codes {
		out = append(out, c)
	}
	return out
}
