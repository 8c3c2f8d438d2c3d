// Package outbound is the one HTTP client that every request a script makes
// (fetch, iota.http) goes through. It guards against server-side request
// forgery at dial time: every connection, redirects included, goes only to
// an address that was checked after DNS resolution, and loopback, private,
// link-local, shared (CGNAT), multicast, reserved and cloud metadata
// addresses are refused unless an operator allow-lists them. It also bounds
// each request (timeout, request and response size, redirects) and the
// requests each tenant has in flight.
//
// Errors are always *Error with a stable Code; see docs/outbound.md.
package outbound

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"
)

// Config holds the client's settings. The zero value is usable: WithDefaults
// fills every unset field.
//
// The json tags name the keys of `kiln serve`'s config file ("outbound":
// {...}, docs/server.md); a field the file cannot set is tagged "-" (the
// server fills Allow from its httpAllow setting).
type Config struct {
	// Timeout is the default and the longest time one request may take,
	// from waiting for a tenant slot to the last byte of the body.
	// Request.Timeout may only shorten it. Default 10s.
	Timeout time.Duration `json:"timeout"`
	// MaxResponseBytes caps a response body (after decompression). A larger
	// body fails the request with RESPONSE_TOO_LARGE. Default 10 MiB.
	MaxResponseBytes int64 `json:"maxResponseBytes"`
	// MaxRequestBytes caps a request body. Default 10 MiB.
	MaxRequestBytes int64 `json:"maxRequestBytes"`
	// MaxRedirects is how many redirects one request may follow before
	// TOO_MANY_REDIRECTS. Default 5.
	MaxRedirects int `json:"maxRedirects"`
	// MaxConcurrentPerTenant caps the requests one tenant has in flight
	// through this client. A request past the cap waits for a slot, within
	// its own timeout; if none frees in time it fails with RATE_LIMITED.
	// Default 16.
	MaxConcurrentPerTenant int `json:"maxConcurrentPerTenant"`
	// Allow lists the addresses the guard would refuse that requests may
	// reach anyway, in ParseAllow's syntax: "127.0.0.1:9000",
	// "10.1.2.0/24", "10.1.2.0/24:443", "[::1]:8080". Empty by default.
	Allow []string `json:"-"`
	// Resolver resolves host names. Default net.DefaultResolver.
	Resolver Resolver `json:"-"`
	// TLSConfig, if not nil, is used for https (a private CA, say). It is
	// cloned. Default: Go's, with the system roots.
	TLSConfig *tls.Config `json:"-"`
	// InjectHeaders, if set, may add headers to every request, after the
	// script's own and before it is sent (redirects carry them as they
	// carry the script's). ctx is the request's caller's. Kiln's tracing
	// puts the W3C traceparent here. Nil adds nothing.
	InjectHeaders func(ctx context.Context, h http.Header) `json:"-"`
}

// WithDefaults returns a copy of c with every unset field set to its default.
func (c Config) WithDefaults() Config {
	if c.Timeout == 0 {
		c.Timeout = 10 * time.Second
	}
	if c.MaxResponseBytes == 0 {
		c.MaxResponseBytes = 10 << 20
	}
	if c.MaxRequestBytes == 0 {
		c.MaxRequestBytes = 10 << 20
	}
	if c.MaxRedirects == 0 {
		c.MaxRedirects = 5
	}
	if c.MaxConcurrentPerTenant == 0 {
		c.MaxConcurrentPerTenant = 16
	}
	if c.Resolver == nil {
		c.Resolver = net.DefaultResolver
	}
	return c
}

// Validate reports the first setting that cannot work, in plain English.
func (c Config) Validate() error {
	switch {
	case c.Timeout < time.Millisecond:
		return fmt.Errorf("outbound timeout %s is too short: use at least 1ms", c.Timeout)
	case c.MaxResponseBytes < 1:
		return fmt.Errorf("outbound response cap %d bytes must be positive", c.MaxResponseBytes)
	case c.MaxRequestBytes < 1:
		return fmt.Errorf("outbound request cap %d bytes must be positive", c.MaxRequestBytes)
	case c.MaxRedirects < 0:
		return fmt.Errorf("outbound max redirects %d must not be negative", c.MaxRedirects)
	case c.MaxConcurrentPerTenant < 1:
		return fmt.Errorf("outbound per-tenant concurrency %d must be positive", c.MaxConcurrentPerTenant)
	}
	if _, err := ParseAllow(c.Allow); err != nil {
		return err
	}
	return nil
}

// Request is one outbound request.
type Request struct {
	// Method is sent as given (PATCH is not upper-cased); "" means GET.
	Method string `json:"method"`
	// URL is absolute, http or https.
	URL    string      `json:"url"`
	Header http.Header `json:"header,omitempty"`
	Body   []byte      `json:"body,omitempty"`
	// Timeout shortens the client's timeout for this request; 0, or more
	// than the client's, means the client's.
	Timeout time.Duration `json:"timeout,omitempty"`
	// Redirect is "follow" (the default when ""), "manual" (a redirect is
	// returned as the response) or "error" (a redirect fails the request
	// with UNEXPECTED_REDIRECT).
	Redirect string `json:"redirect,omitempty"`
}

// Response is a response read whole.
type Response struct {
	Status     int         `json:"status"`
	StatusText string      `json:"statusText"`
	Header     http.Header `json:"header"`
	Body       []byte      `json:"body"`
	// URL is the URL of the final response, after redirects.
	URL        string `json:"url"`
	Redirected bool   `json:"redirected"`
}

// Client sends outbound requests through the guard. It is safe for
// concurrent use; connections are pooled across tenants (a pooled
// connection only ever goes to an address that was checked when dialed).
type Client struct {
	cfg       Config
	transport *http.Transport
	limiter   *tenantLimiter
}

// New returns a client with cfg's settings (defaults filled in), or an
// error naming the first bad setting or allow entry. Call Close when done.
func New(cfg Config) (*Client, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	allow, _ := ParseAllow(cfg.Allow)
	g := &guard{allow: allow, resolver: cfg.Resolver}
	g.dialer = &net.Dialer{Timeout: cfg.Timeout, KeepAlive: 30 * time.Second, Control: g.control}
	t := &http.Transport{
		// Proxy settings from the environment would route requests
		// around the guard (the proxy, not Kiln, would dial the target).
		Proxy:                  nil,
		DialContext:            g.dialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           256,
		MaxIdleConnsPerHost:    16,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    cfg.Timeout,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: 1 << 20,
	}
	if cfg.TLSConfig != nil {
		t.TLSClientConfig = cfg.TLSConfig.Clone()
	}
	return &Client{cfg: cfg, transport: t, limiter: newTenantLimiter(cfg.MaxConcurrentPerTenant)}, nil
}

// Config returns the client's effective configuration.
func (c *Client) Config() Config { return c.cfg }

// Close closes the pooled idle connections. Requests in flight finish.
func (c *Client) Close() error {
	c.transport.CloseIdleConnections()
	return nil
}

// errRequestTimeout is the cause of a request context that hit the
// request's own timeout (rather than its caller's deadline).
var errRequestTimeout = errors.New("outbound request timeout")

// Do sends req on behalf of tenant and reads the whole response. Every
// failure is an *Error: SSRF_BLOCKED, TIMEOUT, RESPONSE_TOO_LARGE,
// REQUEST_TOO_LARGE, TOO_MANY_REDIRECTS, UNEXPECTED_REDIRECT, INVALID_URL,
// INVALID_ARGUMENT, NETWORK_ERROR, RATE_LIMITED, or CANCELLED when ctx is
// cancelled (TIMEOUT when ctx's deadline passes). A response with any
// status, 4xx and 5xx included, is a success.
func (c *Client) Do(ctx context.Context, tenant string, req Request) (*Response, error) {
	u, err := c.checkRequest(&req)
	if err != nil {
		return nil, err
	}
	timeout := req.Timeout
	if timeout <= 0 || timeout > c.cfg.Timeout {
		timeout = c.cfg.Timeout
	}
	reqCtx, cancel := context.WithTimeoutCause(ctx, timeout, errRequestTimeout)
	defer cancel()

	release, err := c.limiter.acquire(reqCtx, tenant)
	if err != nil {
		if ctx.Err() != nil {
			return nil, contextError(ctx, u.Host)
		}
		return nil, errorf(CodeRateLimited, "tenant %q already has %d outbound requests in flight, the most allowed, and none finished within this request's %s timeout; wait for earlier requests (await them) before starting more",
			tenant, c.cfg.MaxConcurrentPerTenant, timeout)
	}
	defer release()

	var body io.Reader
	if req.Body != nil {
		body = bytes.NewReader(req.Body)
	}
	httpReq, err := http.NewRequestWithContext(reqCtx, req.Method, u.String(), body)
	if err != nil {
		return nil, errorf(CodeInvalidURL, "cannot send %s %s: %v", req.Method, redact(u), err)
	}
	for name, values := range req.Header {
		for _, v := range values {
			httpReq.Header.Add(name, v)
		}
	}
	if c.cfg.InjectHeaders != nil {
		c.cfg.InjectHeaders(ctx, httpReq.Header)
	}
	if host := httpReq.Header.Get("Host"); host != "" {
		httpReq.Host = host
	}
	client := &http.Client{Transport: c.transport, CheckRedirect: c.redirectPolicy(req.Redirect)}
	resp, err := client.Do(httpReq)
	if err != nil {
		return nil, c.classify(ctx, reqCtx, err, u, timeout)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.ContentLength > c.cfg.MaxResponseBytes {
		return nil, c.tooLarge(resp.Request.URL, resp.ContentLength)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxResponseBytes+1))
	if err != nil {
		return nil, c.classify(ctx, reqCtx, err, resp.Request.URL, timeout)
	}
	if int64(len(data)) > c.cfg.MaxResponseBytes {
		return nil, c.tooLarge(resp.Request.URL, -1)
	}
	return &Response{
		Status:     resp.StatusCode,
		StatusText: strings.TrimPrefix(resp.Status, strconv.Itoa(resp.StatusCode)+" "),
		Header:     resp.Header,
		Body:       data,
		URL:        resp.Request.URL.String(),
		Redirected: resp.Request != httpReq,
	}, nil
}

// checkRequest validates req before anything is sent, filling defaults.
func (c *Client) checkRequest(req *Request) (*url.URL, error) {
	if req.Method == "" {
		req.Method = http.MethodGet
	}
	if !httpguts.ValidHeaderFieldName(req.Method) { // a method is a token, like a header name
		return nil, errorf(CodeInvalidArgument, "%q is not a valid HTTP method", req.Method)
	}
	switch req.Redirect {
	case "":
		req.Redirect = "follow"
	case "follow", "manual", "error":
	default:
		return nil, errorf(CodeInvalidArgument, "redirect mode %q is not one of follow, manual or error", req.Redirect)
	}
	u, err := checkURL(req.URL)
	if err != nil {
		return nil, err
	}
	for name, values := range req.Header {
		if !httpguts.ValidHeaderFieldName(name) {
			return nil, errorf(CodeInvalidArgument, "%q is not a valid header name", name)
		}
		for _, v := range values {
			if !httpguts.ValidHeaderFieldValue(v) {
				return nil, errorf(CodeInvalidArgument, "the value of header %s contains a character headers may not hold (a line break or a control character)", name)
			}
		}
	}
	if n := int64(len(req.Body)); n > c.cfg.MaxRequestBytes {
		return nil, errorf(CodeRequestTooLarge, "the request body is %s, more than the %s limit", formatBytes(n), formatBytes(c.cfg.MaxRequestBytes))
	}
	return u, nil
}

// checkURL parses raw and accepts only absolute http and https URLs.
func checkURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errorf(CodeInvalidURL, "%q is not a valid URL", raw)
	}
	switch u.Scheme {
	case "http", "https":
	case "":
		return nil, errorf(CodeInvalidURL, "%q is not an absolute URL: start it with https:// or http://", raw)
	default:
		return nil, errorf(CodeInvalidURL, "%s: URLs are not supported, only http and https (in %q)", u.Scheme, redact(u))
	}
	if u.Hostname() == "" {
		return nil, errorf(CodeInvalidURL, "%q has no host", redact(u))
	}
	return u, nil
}

// redact is u without its password, for messages.
func redact(u *url.URL) string { return u.Redacted() }

// redirectPolicy returns the http.Client's CheckRedirect for a mode.
func (c *Client) redirectPolicy(mode string) func(*http.Request, []*http.Request) error {
	return func(next *http.Request, via []*http.Request) error {
		switch mode {
		case "manual":
			return http.ErrUseLastResponse
		case "error":
			return errorf(CodeUnexpectedRedirect, "%s answered with a redirect to %s, and the request's redirect mode is \"error\"",
				redact(via[len(via)-1].URL), redact(next.URL))
		}
		if _, err := checkURL(next.URL.String()); err != nil {
			var e *Error
			if errors.As(err, &e) {
				e.Message = "redirect refused: " + e.Message
			}
			return err
		}
		if len(via) > c.cfg.MaxRedirects {
			return errorf(CodeTooManyRedirects, "the request was redirected more than %d times (the last to %s); check the URL for a redirect loop",
				c.cfg.MaxRedirects, redact(next.URL))
		}
		return nil
	}
}

func (c *Client) tooLarge(u *url.URL, size int64) *Error {
	what := "larger than"
	if size >= 0 {
		what = formatBytes(size) + ", more than"
	}
	return errorf(CodeResponseTooLarge, "the response from %s is %s the %s limit; ask for less data (paging, filters)",
		u.Host, what, formatBytes(c.cfg.MaxResponseBytes))
}

// classify turns what the http.Client returned into an *Error.
func (c *Client) classify(parent, reqCtx context.Context, err error, u *url.URL, timeout time.Duration) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if parent.Err() != nil {
		return contextError(parent, u.Host)
	}
	if errors.Is(context.Cause(reqCtx), errRequestTimeout) {
		return &Error{Code: CodeTimeout, Message: fmt.Sprintf("the request to %s did not finish within its %s timeout", u.Host, timeout), err: err}
	}
	var certErr *tls.CertificateVerificationError
	if errors.As(err, &certErr) {
		return &Error{Code: CodeNetworkError, Message: "the TLS certificate of " + u.Host + " is not valid: " + innermost(err), err: err}
	}
	return &Error{Code: CodeNetworkError, Message: "the request to " + u.Host + " failed: " + innermost(err), err: err}
}

// contextError describes why the caller's context ended.
func contextError(ctx context.Context, host string) *Error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &Error{Code: CodeTimeout, Message: "the request to " + host + " did not finish before its caller's deadline", err: ctx.Err()}
	}
	return &Error{Code: CodeCancelled, Message: "the request to " + host + " was cancelled", err: ctx.Err()}
}

// innermost is err's message without url.Error's "Get \"…\": " prefix.
func innermost(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}
