package web

import (
	"bytes"
	"math"

	"github.com/kiln-run/kiln/internal/goja"
)

// responseState is a Response's internal state.
type responseState struct {
	typ        string // "default", "error", and for fetch "basic", "cors"…
	url        string // the response's URL, "" for none
	redirected bool
	status     int
	statusText string
	headersObj *goja.Object
	headers    *headersState
	body       body
}

// ResponseParts returns the status, headers and body bytes of v if v is a
// Response created in rt by this package (ok=false otherwise). It does not
// consume the body.
//
// The headers are as iterating response.headers shows them: names in lower
// case and sorted, the values of a repeated name joined by ", ", except
// Set-Cookie, which comes once per value. Values are the strings the script
// set, UTF-8 encoded (a header value is a ByteString, so a character from
// U+0080 to U+00FF stands for the Latin-1 byte of the same value). body is a
// copy, nil if the response has a null body; it is returned even if the
// script has already read the body (bodyUsed), which the caller may want to
// treat as an error as Deno does. ResponseParts must be called on rt's
// goroutine, like any use of rt.
func ResponseParts(rt *goja.Runtime, v goja.Value) (status int, headers [][2]string, body []byte, ok bool) {
	r := lookupRealm(rt)
	if r == nil {
		return 0, nil, nil, false
	}
	s, ok := stateAs[*responseState](r, v)
	if !ok {
		return 0, nil, nil, false
	}
	headers = append([][2]string(nil), s.headers.sortAndCombine()...)
	if s.body.present {
		body = bytes.Clone(s.body.data)
		if body == nil {
			body = []byte{}
		}
	}
	return s.status, headers, body, true
}

// newResponse makes a Response object with state s, giving it a headers
// object if it has none.
func (f *fetchRealm) newResponse(s *responseState) *goja.Object {
	if s.headers == nil {
		s.headers = &headersState{guard: guardResponse}
	}
	if s.headersObj == nil {
		s.headersObj = f.newHeaders(s.headers)
	}
	o := f.r.instance(f.responseClass())
	f.r.setState(o, s)
	return o
}

// responseInit is a converted ResponseInit dictionary.
type responseInit struct {
	status     int
	statusText string
	headers    [][2]string
	hasHeaders bool
}

// toUnsignedShort converts v as WebIDL converts to unsigned short (without
// [EnforceRange]): modulo 2^16.
func toUnsignedShort(v goja.Value) int {
	x := v.ToFloat()
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	x = math.Mod(math.Trunc(x), 65536)
	if x < 0 {
		x += 65536
	}
	return int(x)
}

// convertResponseInit converts a ResponseInit, reading its members in
// WebIDL's (alphabetical) order.
func (f *fetchRealm) convertResponseInit(v goja.Value, ctx string) responseInit {
	ri := responseInit{status: 200}
	o := f.r.dictionary(v, "ResponseInit")
	if o == nil {
		return ri
	}
	if h := get(o, "headers"); !goja.IsUndefined(h) {
		ri.headers, ri.hasHeaders = f.headersInit(h, ctx), true
	}
	if s := get(o, "status"); !goja.IsUndefined(s) {
		ri.status = toUnsignedShort(s)
	}
	if s := get(o, "statusText"); !goja.IsUndefined(s) {
		ri.statusText = f.byteString(s, ctx)
	}
	return ri
}

// isReasonPhrase reports whether s matches HTTP's reason-phrase: tabs,
// spaces, visible ASCII and obs-text (U+0080 to U+00FF).
func isReasonPhrase(s string) bool {
	for _, c := range s {
		if c != '\t' && c != ' ' && (c < 0x21 || c == 0x7F) {
			return false
		}
	}
	return true
}

// isNullBodyStatus reports whether a response with this status has no body.
func isNullBodyStatus(status int) bool {
	return status == 101 || status == 103 || status == 204 || status == 205 || status == 304
}

func isRedirectStatus(status int) bool {
	return status == 301 || status == 302 || status == 303 || status == 307 || status == 308
}

// initResponse runs "initialize a response" on s.
func (f *fetchRealm) initResponse(s *responseState, ri responseInit, b *bodyInit, ctx string) {
	r := f.r
	if ri.status < 200 || ri.status > 599 {
		panic(r.rangeError(ctx + "The status provided (" + itoa(ri.status) + ") is outside the range [200, 599]."))
	}
	if !isReasonPhrase(ri.statusText) {
		panic(r.typeError(ctx + "Invalid statusText."))
	}
	s.status, s.statusText = ri.status, ri.statusText
	s.headers = &headersState{guard: guardResponse}
	if ri.hasHeaders {
		f.fillHeaders(s.headers, ri.headers, ctx)
	}
	if b != nil {
		if isNullBodyStatus(s.status) {
			panic(r.typeError(ctx + "Response with null body status cannot have body."))
		}
		setBody(&s.body, s.headers, *b)
	}
}

// parseURL parses s with globalThis.URL (there is no base URL), returning
// its serialization, or throws a TypeError.
func (f *fetchRealm) parseURL(s, ctx string) (href string, u *goja.Object) {
	r := f.r
	u, err := r.rt.New(r.builtin("URL"), r.rt.ToValue(s))
	if err != nil {
		if isFatal(err) {
			panic(err)
		}
		panic(r.typeError(ctx + "Failed to parse URL from " + s))
	}
	return r.toDOMString(get(u, "href")), u
}

// responseClass builds Response.
func (f *fetchRealm) responseClass() *classInfo {
	if f.response != nil {
		return f.response
	}
	r := f.r
	c := r.class("Response", 0, nil, func(this *goja.Object, _ int, bodyV, initV goja.Value) *goja.Object {
		const ctx = "Failed to construct 'Response': "
		var b *bodyInit
		if !nullish(bodyV) {
			in := f.extractBody(bodyV)
			b = &in
		}
		ri := f.convertResponseInit(initV, ctx)
		s := &responseState{typ: "default"}
		f.initResponse(s, ri, b, ctx)
		s.headersObj = f.newHeaders(s.headers)
		r.setState(this, s)
		return nil
	})
	f.response = c
	p := c.proto
	brand := brandOf[*responseState](r)

	r.method(c.ctor, "error", 0, func(goja.FunctionCall) goja.Value {
		return f.newResponse(&responseState{typ: "error", headers: &headersState{guard: guardImmutable}})
	})
	r.method(c.ctor, "redirect", 1, func(call goja.FunctionCall) goja.Value {
		const ctx = "Failed to execute 'redirect' on 'Response': "
		r.requireArgs(ctx[:len(ctx)-2], call, 1)
		raw := r.toDOMString(call.Argument(0))
		status := 302
		if v := call.Argument(1); !goja.IsUndefined(v) {
			status = toUnsignedShort(v)
		}
		href, _ := f.parseURL(raw, ctx)
		if !isRedirectStatus(status) {
			panic(r.rangeError(ctx + "Invalid status code " + itoa(status) + "."))
		}
		h := &headersState{}
		h.append("Location", href)
		h.guard = guardImmutable
		return f.newResponse(&responseState{typ: "default", status: status, headers: h})
	})
	r.method(c.ctor, "json", 1, func(call goja.FunctionCall) goja.Value {
		const ctx = "Failed to execute 'json' on 'Response': "
		r.requireArgs(ctx[:len(ctx)-2], call, 1)
		ri := f.convertResponseInit(call.Argument(1), ctx)
		stringify := f.builtinMethod(&f.jsonStringify, "JSON", "stringify")
		js := r.call(stringify, goja.Undefined(), call.Argument(0))
		if goja.IsUndefined(js) {
			panic(r.typeError(ctx + "The data is not JSON serializable."))
		}
		s := &responseState{typ: "default"}
		f.initResponse(s, ri, &bodyInit{data: []byte(validUTF8(js.String())), ctype: typeJSON}, ctx)
		return f.newResponse(s)
	})

	r.getter(p, "type", func(call goja.FunctionCall) goja.Value { return r.rt.ToValue(brand(call.This).typ) })
	r.getter(p, "url", func(call goja.FunctionCall) goja.Value { return r.rt.ToValue(brand(call.This).url) })
	r.getter(p, "redirected", func(call goja.FunctionCall) goja.Value { return r.rt.ToValue(brand(call.This).redirected) })
	r.getter(p, "status", func(call goja.FunctionCall) goja.Value { return r.rt.ToValue(brand(call.This).status) })
	r.getter(p, "ok", func(call goja.FunctionCall) goja.Value {
		s := brand(call.This)
		return r.rt.ToValue(s.status >= 200 && s.status <= 299)
	})
	r.getter(p, "statusText", func(call goja.FunctionCall) goja.Value { return r.rt.ToValue(brand(call.This).statusText) })
	r.getter(p, "headers", func(call goja.FunctionCall) goja.Value { return brand(call.This).headersObj })
	r.method(p, "clone", 0, func(call goja.FunctionCall) goja.Value {
		s := brand(call.This)
		if s.body.used {
			panic(r.typeError("Failed to execute 'clone' on 'Response': Response body is already used."))
		}
		n := *s
		n.headers = s.headers.clone()
		n.headersObj = nil
		n.body = s.body.copyBody()
		return f.newResponse(&n)
	})
	f.bodyMixin(p, "Response", func(v goja.Value) *body { return &brand(v).body })
	return c
}
