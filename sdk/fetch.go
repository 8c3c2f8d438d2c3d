package sdk

import (
	"context"
	"errors"

	"github.com/kiln-run/kiln/engine"
	"github.com/kiln-run/kiln/outbound"
)

// Fetch returns the engine's fetch hook (engine.Config.Fetch) backed by c:
// each request of a script's fetch() goes through c's SSRF guard, limits
// and per-tenant concurrency cap for the invocation's tenant. An
// *outbound.Error becomes an *engine.Error with the same code and message,
// so that the script sees err.code; any other error is passed on (the
// engine reports it as INTERNAL).
//
// The engine declares the request and response it consumes and knows no
// HTTP client; this is the adapter between the two, beside HTTPModule,
// which gives iota.http the same client.
func Fetch(c *outbound.Client) engine.FetchFunc {
	return func(ctx context.Context, m engine.Meta, r engine.FetchRequest) (*engine.FetchResponse, error) {
		resp, err := c.Do(ctx, m.TenantID, outbound.Request{Method: r.Method, URL: r.URL, Header: r.Header, Body: r.Body, Redirect: r.Redirect})
		if err != nil {
			return nil, outboundError(err, "")
		}
		return &engine.FetchResponse{Status: resp.Status, StatusText: resp.StatusText, Header: resp.Header,
			Body: resp.Body, URL: resp.URL, Redirected: resp.Redirected}, nil
	}
}

// outboundError gives an *outbound.Error the engine's error type, its
// message after prefix, so that the gate records its code and the script
// sees it. Any other error is returned as it is.
func outboundError(err error, prefix string) error {
	var oe *outbound.Error
	if errors.As(err, &oe) {
		return &engine.Error{Code: oe.Code, Message: prefix + oe.Message}
	}
	return err
}
