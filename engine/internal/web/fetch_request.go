package web

import (
	"strings"

	"github.com/kiln-run/kiln/internal/goja"
)

// requestState is a Request's internal state.
type requestState struct {
	method     string
	url        string
	redirect   string // "follow", "error" or "manual"
	headersObj *goja.Object
	headers    *headersState
	// signalObj and signal are nil until first read for a request whose
	// signal follows nothing: such a signal can never abort, so making it
	// (and so the AbortSignal and EventTarget classes) can wait.
	signalObj *goja.Object
	signal    *signalState
	body      body
}

// normalizeMethod upper-cases the methods the Fetch standard normalizes.
// PATCH is deliberately not among them: the standard leaves it, like any
// other method, as given, and so do browsers, Node and Deno.
func normalizeMethod(m string) string {
	switch u := strings.ToUpper(m); u {
	case "DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT":
		return u
	}
	return m
}

// isForbiddenMethod reports whether m is CONNECT, TRACE or TRACK, in any
// case.
func isForbiddenMethod(m string) bool {
	switch strings.ToUpper(m) {
	case "CONNECT", "TRACE", "TRACK":
		return true
	}
	return false
}

// requestInit is a converted RequestInit dictionary: the members this
// package supports, each with whether it was given.
type requestInit struct {
	body                   *bodyInit // nil if absent or null
	headers                [][2]string
	method, redirect       string
	signal                 *signalState
	hasHeaders, hasMethod  bool
	hasRedirect, hasSignal bool
}

// convertRequestInit converts a RequestInit, reading its members in
// WebIDL's (alphabetical) order.
func (f *fetchRealm) convertRequestInit(v goja.Value, ctx string) requestInit {
	r := f.r
	var ri requestInit
	o := r.dictionary(v, "RequestInit")
	if o == nil {
		return ri
	}
	if b := get(o, "body"); !nullish(b) {
		in := f.extractBody(b)
		ri.body = &in
	}
	if h := get(o, "headers"); !goja.IsUndefined(h) {
		ri.headers, ri.hasHeaders = f.headersInit(h, ctx), true
	}
	if m := get(o, "method"); !goja.IsUndefined(m) {
		ri.method, ri.hasMethod = f.byteString(m, ctx), true
	}
	if rd := get(o, "redirect"); !goja.IsUndefined(rd) {
		ri.redirect, ri.hasRedirect = r.toDOMString(rd), true
		switch ri.redirect {
		case "follow", "error", "manual":
		default:
			panic(r.typeError(ctx + "The provided value '" + ri.redirect + "' is not a valid enum value of type RequestRedirect."))
		}
	}
	if sv := get(o, "signal"); !goja.IsUndefined(sv) {
		ri.hasSignal = true
		if !goja.IsNull(sv) {
			s, ok := stateAs[*signalState](r, sv)
			if !ok {
				panic(r.typeError(ctx + "Failed to read the 'signal' property from 'RequestInit': Failed to convert value to 'AbortSignal'."))
			}
			ri.signal = s
		}
	}
	return ri
}

// followSignal returns a new AbortSignal that follows s, as a request's
// signal follows the one it was made with. If s is nil it returns nils: the
// request's signal is made when first read (see requestState).
func (f *fetchRealm) followSignal(s *signalState) (*goja.Object, *signalState) {
	r := f.r
	if s == nil {
		return nil, nil
	}
	obj := r.anySignal([]*signalState{s})
	sig, _ := stateAs[*signalState](r, obj)
	return obj, sig
}

// requestSignal returns s's signal, making it if need be.
func (f *fetchRealm) requestSignal(s *requestState) *goja.Object {
	if s.signalObj == nil {
		s.signalObj, s.signal = f.r.newSignal()
	}
	return s.signalObj
}

// newRequest makes a Request object with state s.
func (f *fetchRealm) newRequest(s *requestState) *goja.Object {
	if s.headersObj == nil {
		s.headersObj = f.newHeaders(s.headers)
	}
	o := f.r.instance(f.requestClass())
	f.r.setState(o, s)
	return o
}

// constructRequest runs the Request(input, init) constructor steps.
func (f *fetchRealm) constructRequest(this *goja.Object, argc int, input, initV goja.Value) {
	const ctx = "Failed to construct 'Request': "
	r := f.r
	if argc < 1 {
		panic(r.typeError(ctx + "1 argument required, but only 0 present."))
	}
	src, fromRequest := stateAs[*requestState](r, input)
	var raw string
	if !fromRequest {
		raw = r.toDOMString(input)
	}
	ri := f.convertRequestInit(initV, ctx)

	s := &requestState{method: "GET", redirect: "follow"}
	var follow *signalState
	if fromRequest {
		s.url, s.method, s.redirect = src.url, src.method, src.redirect
		follow = src.signal
	} else {
		href, u := f.parseURL(raw, ctx)
		if r.toDOMString(get(u, "username")) != "" || r.toDOMString(get(u, "password")) != "" {
			panic(r.typeError(ctx + "Request cannot be constructed from a URL that includes credentials: " + raw))
		}
		s.url = href
	}
	if ri.hasRedirect {
		s.redirect = ri.redirect
	}
	if ri.hasMethod {
		if !isToken(ri.method) {
			panic(r.typeError(ctx + "'" + ri.method + "' is not a valid HTTP method."))
		}
		if isForbiddenMethod(ri.method) {
			panic(r.typeError(ctx + "'" + ri.method + "' HTTP method is unsupported."))
		}
		s.method = normalizeMethod(ri.method)
	}
	if ri.hasSignal {
		follow = ri.signal
	}
	s.signalObj, s.signal = f.followSignal(follow)

	s.headers = &headersState{guard: guardRequest}
	if ri.hasHeaders {
		f.fillHeaders(s.headers, ri.headers, ctx)
	} else if fromRequest {
		s.headers.list = append(s.headers.list, src.headers.list...)
	}

	inputBody := fromRequest && src.body.present
	if (ri.body != nil || inputBody) && (s.method == "GET" || s.method == "HEAD") {
		panic(r.typeError(ctx + "Request with GET/HEAD method cannot have body."))
	}
	switch {
	case ri.body != nil:
		setBody(&s.body, s.headers, *ri.body)
	case inputBody:
		if src.body.used {
			panic(r.typeError(ctx + "Cannot construct a Request with a Request object that has already been used."))
		}
		// The new request takes the input's body, which is then used up.
		s.body = src.body.copyBody()
		src.body.used = true
	}
	s.headersObj = f.newHeaders(s.headers)
	r.setState(this, s)
}

// requestClass builds Request.
func (f *fetchRealm) requestClass() *classInfo {
	if f.request != nil {
		return f.request
	}
	r := f.r
	c := r.class("Request", 1, nil, func(this *goja.Object, argc int, input, init goja.Value) *goja.Object {
		f.constructRequest(this, argc, input, init)
		return nil
	})
	f.request = c
	p := c.proto
	brand := brandOf[*requestState](r)
	r.getter(p, "method", func(call goja.FunctionCall) goja.Value { return r.rt.ToValue(brand(call.This).method) })
	r.getter(p, "url", func(call goja.FunctionCall) goja.Value { return r.rt.ToValue(brand(call.This).url) })
	r.getter(p, "headers", func(call goja.FunctionCall) goja.Value { return brand(call.This).headersObj })
	r.getter(p, "redirect", func(call goja.FunctionCall) goja.Value { return r.rt.ToValue(brand(call.This).redirect) })
	r.getter(p, "signal", func(call goja.FunctionCall) goja.Value { return f.requestSignal(brand(call.This)) })
	r.method(p, "clone", 0, func(call goja.FunctionCall) goja.Value {
		s := brand(call.This)
		if s.body.used {
			panic(r.typeError("Failed to execute 'clone' on 'Request': Request body is already used."))
		}
		n := *s
		n.headers = s.headers.clone()
		n.headersObj = nil
		n.body = s.body.copyBody()
		n.signalObj, n.signal = f.followSignal(s.signal)
		return f.newRequest(&n)
	})
	f.bodyMixin(p, "Request", func(v goja.Value) *body { return &brand(v).body })
	return c
}
