package engine

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sort"

	"github.com/kiln-run/kiln/engine/internal/web"
)

// FetchFunc sends one request of a script's fetch() for the invocation meta
// describes, and returns the whole response or an error. Return an *Error
// to give the script a TypeError whose err.code is its code (SSRF_BLOCKED,
// TIMEOUT, …); any other error reaches the script as INTERNAL, without its
// text. ctx ends when the invocation does or the script aborts the request.
//
// The engine declares what it consumes and imports no HTTP client: Kiln's
// server wires sdk.Fetch, which sends through an *outbound.Client (the SSRF
// guard, size and time limits, per-tenant concurrency).
type FetchFunc func(ctx context.Context, meta Meta, req FetchRequest) (*FetchResponse, error)

// FetchRequest is one request of a script's fetch(), checked by the web
// layer (method, URL and headers are well-formed as fetch defines them).
type FetchRequest struct {
	// Method is the request's method; standard methods are upper-cased,
	// others (PATCH) sent as the script gave them.
	Method string
	// URL is the absolute URL, as the script's URL parser wrote it.
	URL string
	// Header holds the request's headers; nil when there are none.
	Header http.Header
	// Body is the request body; nil when there is none.
	Body []byte
	// Redirect is "follow", "manual" or "error", as fetch's redirect option.
	Redirect string
}

// FetchResponse is a response read whole.
type FetchResponse struct {
	Status     int
	StatusText string
	Header     http.Header
	Body       []byte
	// URL is the URL of the final response, after redirects.
	URL        string
	Redirected bool
}

// fetchCallName is the name fetch's calls are recorded under by the gate.
const fetchCallName = "fetch"

// fetch is the web package's Host.Fetch: it sends req through the gate as
// an async host call named "fetch" and settles fetch's promise on the loop.
func (vm *VM) fetch(req web.FetchRequest, complete func(*web.FetchResponse, error) error) (cancel func(), err error) {
	inv := vm.inv
	if inv == nil {
		return nil, &web.FetchError{Code: string(CodeInvalidArgument), Message: "fetch can only be called while the handler runs"}
	}
	send := vm.engine.cfg.Fetch
	if send == nil {
		return nil, &web.FetchError{Code: string(CodeNotSupported),
			Message: "fetch is not available here: the application running this script gave Kiln no outbound HTTP client"}
	}
	vm.charge(int64(len(req.Body)), "fetch's request body")
	if e := inv.firstInterrupt(); e != nil {
		// Over the memory limit: the run is ending, so send nothing.
		return nil, &web.FetchError{Code: string(e.Code), Message: e.Message}
	}
	out := FetchRequest{Method: req.Method, URL: req.URL, Body: req.Body, Redirect: req.Redirect}
	if len(req.Headers) > 0 {
		out.Header = make(http.Header, len(req.Headers))
		for _, h := range req.Headers {
			out.Header.Add(h[0], h[1])
		}
	}
	f := HostFunc{Name: fetchCallName, Async: true, Fn: func(ctx context.Context, call HostCall) (any, error) {
		req := out
		if call.IdempotencyKey != "" && out.Header.Get("Idempotency-Key") == "" {
			// A task's request carries its idempotency key: performed
			// again after a crash, it is the same request to the server.
			req.Header = out.Header.Clone()
			if req.Header == nil {
				req.Header = http.Header{}
			}
			req.Header.Set("Idempotency-Key", call.IdempotencyKey)
		}
		resp, err := send(ctx, call.Meta, req)
		if err != nil {
			return nil, err
		}
		if resp == nil {
			return nil, errors.New("engine: Config.Fetch returned neither a response nor an error")
		}
		return resp, nil
	}}
	ctx, cancel := context.WithCancel(inv.context())
	args := []any{req.URL, map[string]any{"method": req.Method, "redirect": req.Redirect}}
	settle := func(result any, err *Error) error {
		cancel()
		if err != nil {
			return complete(nil, &web.FetchError{Code: string(err.Code), Message: err.Message})
		}
		resp := result.(*FetchResponse)
		vm.charge(int64(len(resp.Body)), "fetch's response body")
		return complete(webResponse(resp), nil)
	}
	if vm.task != nil {
		vm.task.asyncCall(ctx, inv, f, args, settle, decodeFetchResponse)
	} else {
		vm.callAsync(ctx, inv, f, args, settle)
	}
	return cancel, nil
}

// decodeFetchResponse reads a task's journaled fetch response back.
func decodeFetchResponse(v json.RawMessage) (any, error) {
	resp := &FetchResponse{}
	if err := json.Unmarshal(v, resp); err != nil {
		return nil, err
	}
	return resp, nil
}

// webResponse converts resp for the web package, headers in name order so
// that what a script sees does not depend on Go's map order.
func webResponse(resp *FetchResponse) *web.FetchResponse {
	names := make([]string, 0, len(resp.Header))
	for name := range resp.Header {
		names = append(names, name)
	}
	sort.Strings(names)
	headers := make([][2]string, 0, len(names))
	for _, name := range names {
		for _, v := range resp.Header[name] {
			headers = append(headers, [2]string{name, v})
		}
	}
	return &web.FetchResponse{Status: resp.Status, StatusText: resp.StatusText, Headers: headers,
		Body: resp.Body, URL: resp.URL, Redirected: resp.Redirected}
}
