package web

import (
	"sync"
	"weak"

	"github.com/kiln-run/kiln/internal/goja"
)

// installFetchClasses defines Headers, Request and Response
// (https://fetch.spec.whatwg.org/#fetch-api), without fetch itself: nothing
// here touches the network. All three are built on first use.
//
// Deviations from the standard, all because there is no network, no
// streams and no document here:
//
//   - A body is held whole, as bytes, never as a ReadableStream. The body
//     attribute is null when there is no body and otherwise a Uint8Array
//     copy of the bytes, made on first read and the same object thereafter;
//     reading it does not mark the body used.
//   - Blob, FormData and ReadableStream bodies are not supported (there are
//     no such globals); such objects, like any other object that is not a
//     BufferSource or a URLSearchParams, are converted to a string body, as
//     WebIDL converts them. blob() and formData() are not defined.
//   - There are no forbidden header names (as in Node and Deno): the
//     "request" and "response" guards accept every valid header; only the
//     "immutable" guard (Response.error(), Response.redirect()) refuses
//     changes.
//   - There is no base URL: a relative URL passed to Request or
//     Response.redirect is a TypeError.
//   - Request has only method, url, headers, redirect, signal and the body
//     members; mode, credentials, cache, referrer and the other RequestInit
//     members are neither read nor exposed.
var fetchClassGlobals = []global{
	{name: "Headers", build: func(r *realm) goja.Value { return r.fetchRealm().headersClass().ctor }},
	{name: "Request", build: func(r *realm) goja.Value { return r.fetchRealm().requestClass().ctor }},
	{name: "Response", build: func(r *realm) goja.Value { return r.fetchRealm().responseClass().ctor }},
}

// installFetchClasses defines Headers, Request and Response, each built on
// first use.
func installFetchClasses(rt *goja.Runtime, host Host) error {
	r := realmFor(rt, host)
	for _, g := range fetchClassGlobals {
		r.define(g)
	}
	return nil
}

// fetchRealm is the per-runtime state of the fetch classes. It lives beside
// the realm rather than in it (the realm's fields are another file's
// business) and is found through fetchRealms. What is installed keeps it
// alive: the lazy globals' closures and, once built, the classes' methods.
// The Go-side state of each Headers, Request and Response lives in the
// realm's state table, so that it stays reachable from its object alone.
type fetchRealm struct {
	r *realm

	headers, request, response *classInfo
	headersIterProto           *goja.Object

	jsonParse, jsonStringify, paramsToString goja.Callable
}

// fetchRealms maps each realm to its fetchRealm. Both sides are weak, as
// for realms: nothing here keeps a runtime alive.
var fetchRealms = struct {
	sync.Mutex
	m         map[weak.Pointer[realm]]weak.Pointer[fetchRealm]
	sweepSize int
}{m: make(map[weak.Pointer[realm]]weak.Pointer[fetchRealm])}

// fetchRealm returns r's fetchRealm, creating it on the first call. A later
// installer (fetch itself) finds the classes through it.
func (r *realm) fetchRealm() *fetchRealm {
	key := weak.Make(r)
	fetchRealms.Lock()
	defer fetchRealms.Unlock()
	if p, ok := fetchRealms.m[key]; ok {
		if f := p.Value(); f != nil {
			return f
		}
	}
	if len(fetchRealms.m) >= fetchRealms.sweepSize {
		for k, v := range fetchRealms.m {
			if k.Value() == nil || v.Value() == nil {
				delete(fetchRealms.m, k)
			}
		}
		fetchRealms.sweepSize = max(2*len(fetchRealms.m), 64)
	}
	f := &fetchRealm{r: r}
	fetchRealms.m[key] = weak.Make(f)
	return f
}

// lookupRealm returns rt's realm if Install ran on rt, without creating one.
func lookupRealm(rt *goja.Runtime) *realm {
	if rt == nil {
		return nil
	}
	realms.Lock()
	defer realms.Unlock()
	if p, ok := realms.m[weak.Make(rt)]; ok {
		return p.Value()
	}
	return nil
}

// builtinMethod returns the built-in obj.name, looked up once per runtime.
func (f *fetchRealm) builtinMethod(cache *goja.Callable, obj, name string) goja.Callable {
	if *cache != nil {
		return *cache
	}
	fn, ok := goja.AssertFunction(f.r.builtin(obj).Get(name))
	if !ok {
		panic(f.r.typeError(obj + "." + name + " is not available"))
	}
	*cache = fn
	return fn
}

// byteString converts v as WebIDL converts to ByteString: a string whose
// every character is at most U+00FF.
func (f *fetchRealm) byteString(v goja.Value, ctx string) string {
	s := f.r.toDOMString(v)
	for i := 0; i < len(s); i++ {
		if s[i] < 0x80 {
			continue
		}
		for _, c := range s[i:] {
			if c > 0xFF {
				panic(f.r.typeError(ctx + "String contains non ISO-8859-1 code point."))
			}
		}
		break
	}
	return s
}

// nullish reports whether v is missing, undefined or null.
func nullish(v goja.Value) bool {
	return v == nil || goja.IsUndefined(v) || goja.IsNull(v)
}

// brandOf returns a brand check for platform objects whose state is a T.
func brandOf[T any](r *realm) func(goja.Value) T {
	return func(v goja.Value) T {
		s, ok := stateAs[T](r, v)
		if !ok {
			panic(r.typeError("Illegal invocation"))
		}
		return s
	}
}
