package engine

import (
	"context"
	"errors"
	"net/http"
	"sort"

	"github.com/kiln-run/kiln/engine/internal/web"
	"github.com/kiln-run/kiln/outbound"
)

// FetchFunc sends one request of a script's fetch() for the invocation meta
// describes, and returns the whole response or an error. An *outbound.Error
// or *Error reaches the script as a TypeError whose err.code is its code;
// any other error as INTERNAL, without its text. ctx ends when the
// invocation does or the script aborts the request.
//
// (*outbound.Client).Do has this shape but for meta; a host wires it as
//
//	Fetch: func(ctx context.Context, m engine.Meta, r outbound.Request) (*outbound.Response, error) {
//		return client.Do(ctx, m.TenantID, r)
//	}
type FetchFunc func(ctx context.Context, meta Meta, req outbound.Request) (*outbound.Response, error)

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
	out := outbound.Request{Method: req.Method, URL: req.URL, Body: req.Body, Redirect: req.Redirect}
	if len(req.Headers) > 0 {
		out.Header = make(http.Header, len(req.Headers))
		for _, h := range req.Headers {
			out.Header.Add(h[0], h[1])
		}
	}
	f := HostFunc{Name: fetchCallName, Async: true, Fn: func(ctx context.Context, call HostCall) (any, error) {
		resp, err := send(ctx, call.Meta, out)
		if err != nil {
			return nil, fetchError(err)
		}
		if resp == nil {
			return nil, errors.New("engine: Config.Fetch returned neither a response nor an error")
		}
		return resp, nil
	}}
	ctx, cancel := context.WithCancel(inv.context())
	args := []any{req.URL, map[string]any{"method": req.Method, "redirect": req.Redirect}}
	vm.callAsync(ctx, inv, f, args, func(result any, err *Error) error {
		cancel()
		if err != nil {
			return complete(nil, &web.FetchError{Code: string(err.Code), Message: err.Message})
		}
		resp := result.(*outbound.Response)
		vm.charge(int64(len(resp.Body)), "fetch's response body")
		return complete(webResponse(resp), nil)
	})
	return cancel, nil
}

// fetchError gives an *outbound.Error the engine's error type, so that the
// gate records its code and the script sees it.
func fetchError(err error) error {
	var oe *outbound.Error
	if errors.As(err, &oe) {
		return &Error{Code: oe.Code, Message: oe.Message}
	}
	return err
}

// webResponse converts resp for the web package, headers in name order so
// that what a script sees does not depend on Go's map order.
func webResponse(resp *outbound.Response) *web.FetchResponse {
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
