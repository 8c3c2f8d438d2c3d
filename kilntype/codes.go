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
}

// codes is the one table of codes.
var codes = map[Code]CodeInfo{
	ENotFound:         {http.StatusNotFound, false},
	EInvalidArgument:  {http.StatusBadRequest, false},
	EUnauthorized:     {http.StatusUnauthorized, false},
	EForbidden:        {http.StatusForbidden, false},
	EConflict:         {http.StatusConflict, false},
	ETooLarge:         {http.StatusRequestEntityTooLarge, false},
	EValueTooLarge:    {http.StatusRequestEntityTooLarge, false},
	EMethodNotAllowed: {http.StatusMethodNotAllowed, false},
	EQuotaExceeded:    {http.StatusTooManyRequests, true},
	ERateLimited:      {http.StatusTooManyRequests, true},
	EOverloaded:       {http.StatusTooManyRequests, true},
	EUnavailable:      {http.StatusServiceUnavailable, true},
	EInternal:         {http.StatusInternalServerError, false},
	ENotSupported:     {http.StatusNotImplemented, false},

	ESyntaxError:      {http.StatusUnprocessableEntity, false},
	ESandboxViolation: {http.StatusUnprocessableEntity, false},

	ERuntimeError:        {http.StatusInternalServerError, false},
	EUnhandledRejection:  {http.StatusInternalServerError, false},
	ETimeout:             {http.StatusGatewayTimeout, true},
	EMemoryLimit:         {http.StatusInternalServerError, false},
	EStackOverflow:       {http.StatusInternalServerError, false},
	EOutputTooLarge:      {http.StatusInternalServerError, false},
	ECancelled:           {http.StatusServiceUnavailable, true},
	ESkipped:             {http.StatusConflict, false},
	EScriptResponseError: {http.StatusBadGateway, false},

	ESSRFBlocked:        {http.StatusForbidden, false},
	EInvalidURL:         {http.StatusBadRequest, false},
	ENetworkError:       {http.StatusBadGateway, true},
	ETooManyRedirects:   {http.StatusBadGateway, false},
	EUnexpectedRedirect: {http.StatusBadGateway, false},
	ERequestTooLarge:    {http.StatusRequestEntityTooLarge, false},
	EResponseTooLarge:   {http.StatusBadGateway, false},
}

// Info returns what the table says of c; ok is false for a code that is
// not in it (then Status is 500).
func (c Code) Info() (info CodeInfo, ok bool) {
	info, ok = codes[c]
	if !ok {
		info.Status = http.StatusInternalServerError
	}
	return info, ok
}

// HTTPStatus is the status an API answer with this code has (500 for a
// code not in the table).
func (c Code) HTTPStatus() int {
	info, _ := c.Info()
	return info.Status
}

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
