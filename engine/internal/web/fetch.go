package web

import (
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/kiln-run/kiln/internal/goja"
)

// FetchRequest is what fetch() asks the host to send. Header names and
// values, and the method, are the bytes to put on the wire.
type FetchRequest struct {
	Method string
	// URL is the request's URL as the URL standard serializes it.
	URL string
	// Headers are in the order the script gave them; a name may repeat.
	Headers [][2]string
	// Body is nil when the request has no body.
	Body []byte
	// Redirect is "follow", "error" or "manual".
	Redirect string
}

// FetchResponse is what the host received for a FetchRequest. Header names,
// values and StatusText are bytes as they came off the wire.
type FetchResponse struct {
	Status     int
	StatusText string
	Headers    [][2]string
	Body       []byte
	// URL is the URL of the final response, after redirects.
	URL        string
	Redirected bool
}

// FetchError is a network error with a stable code. fetch() rejects with a
// TypeError (as the Fetch standard does for every network error) whose
// message is Message and whose code property is Code.
type FetchError struct {
	Code    string
	Message string
}

// Error implements error.
func (e *FetchError) Error() string { return e.Code + ": " + e.Message }

// fetchGlobal is fetch() (https://fetch.spec.whatwg.org/#fetch-method)
// when the host can send requests. Everything it does on the network is the
// host's business: see Host.Fetch.
//
// Deviations from the standard, besides those of the fetch classes (see
// installFetchClasses): there is no CORS, no cache, no cookies and no
// credentials mode; the response's type is "basic"; redirect: "manual"
// gives the redirect response itself (status 3xx, Location header), as
// Node and Deno do, not an opaque-redirect filtered response.
var fetchGlobal = global{name: "fetch", enumerable: true, eager: true,
	build: func(r *realm) goja.Value { return r.fn("fetch", 1, r.fetchRealm().fetch) }}

// fetch implements fetch(input, init). It never throws: every error
// rejects the returned promise.
func (f *fetchRealm) fetch(call goja.FunctionCall) goja.Value {
	r := f.r
	promise, resolve, reject := r.rt.NewPromise()
	settle := func(fn func(any) error, v any) {
		if err := fn(v); err != nil {
			panic(err) // only uncatchable errors (an interrupt) come back
		}
	}
	var s *requestState
	if ex := r.rt.Try(func() {
		r.requireArgs("Failed to execute 'fetch'", call, 1)
		o := r.instance(f.requestClass())
		f.constructRequest(o, len(call.Arguments), call.Argument(0), call.Argument(1))
		s, _ = stateAs[*requestState](r, o)
	}); ex != nil {
		settle(reject, ex.Value())
		return r.rt.ToValue(promise)
	}
	if s.signal != nil && s.signal.aborted {
		settle(reject, s.signal.reason)
		return r.rt.ToValue(promise)
	}

	req := FetchRequest{Method: s.method, URL: s.url, Redirect: s.redirect}
	for _, h := range s.headers.list {
		req.Headers = append(req.Headers, [2]string{h.name, byteStringToWire(h.value)})
	}
	if s.body.present {
		req.Body = s.body.data
		if req.Body == nil {
			req.Body = []byte{}
		}
	}

	// settled is set by whichever comes first: the host's answer or an
	// abort. The other then does nothing.
	settled := false
	complete := func(resp *FetchResponse, err error) (out error) {
		if settled {
			return nil
		}
		settled = true
		defer func() {
			if x := recover(); x != nil {
				if out, _ = x.(error); out == nil {
					out = errInternal
				}
			}
		}()
		if err != nil {
			return reject(f.networkError(err))
		}
		return resolve(f.fetchedResponse(resp, s.method))
	}
	cancel, err := r.host.Fetch(req, complete)
	if err != nil {
		settled = true
		settle(reject, f.networkError(err))
		return r.rt.ToValue(promise)
	}
	if sig := s.signal; sig != nil {
		sig.algorithms = append(sig.algorithms, func() {
			if settled {
				return
			}
			settled = true
			if cancel != nil {
				cancel()
			}
			settle(reject, sig.reason)
		})
	}
	return r.rt.ToValue(promise)
}

// networkError is the TypeError fetch rejects with when the host failed:
// the error's message, and for a *FetchError its code as err.code.
func (f *fetchRealm) networkError(err error) *goja.Object {
	msg, code := err.Error(), ""
	var fe *FetchError
	if errors.As(err, &fe) {
		msg, code = fe.Message, fe.Code
	}
	o := f.r.typeError(msg)
	if code != "" {
		_ = o.DefineDataProperty("code", f.r.rt.ToValue(code), yes, no, yes)
	}
	return o
}

// fetchedResponse makes the Response fetch resolves with. Its headers are
// immutable; a null-body status or a HEAD request gives a null body.
func (f *fetchRealm) fetchedResponse(resp *FetchResponse, method string) *goja.Object {
	h := &headersState{}
	for _, kv := range resp.Headers {
		h.append(wireToByteString(kv[0]), wireToByteString(kv[1]))
	}
	h.guard = guardImmutable
	url, _, _ := strings.Cut(resp.URL, "#")
	s := &responseState{
		typ:        "basic",
		url:        url,
		redirected: resp.Redirected,
		status:     resp.Status,
		statusText: wireToByteString(resp.StatusText),
		headers:    h,
	}
	if !isNullBodyStatus(resp.Status) && method != "HEAD" {
		s.body = body{present: true, data: resp.Body}
		if s.body.data == nil {
			s.body.data = []byte{}
		}
	}
	return f.newResponse(s)
}

// wireToByteString turns wire bytes into the string a ByteString holds: each
// byte is the character of the same value.
func wireToByteString(b string) string {
	for i := 0; i < len(b); i++ {
		if b[i] >= utf8.RuneSelf {
			var sb strings.Builder
			sb.Grow(len(b) + len(b)/2)
			for j := 0; j < len(b); j++ {
				sb.WriteRune(rune(b[j]))
			}
			return sb.String()
		}
	}
	return b
}

// byteStringToWire is wireToByteString's inverse for a ByteString (every character
// at most U+00FF, which the Headers class has checked).
func byteStringToWire(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			out := make([]byte, 0, len(s))
			for _, c := range s {
				out = append(out, byte(c))
			}
			return string(out)
		}
	}
	return s
}
