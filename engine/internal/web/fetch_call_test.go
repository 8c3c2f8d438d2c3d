package web

import (
	"errors"
	"reflect"
	"testing"

	"github.com/kiln-run/kiln/engine/internal/web/urlapi"
	"github.com/kiln-run/kiln/internal/goja"
)

// fakeNetwork is a Host.Fetch that keeps each request for the test to
// answer, on the runtime's goroutine, as the engine's loop would.
type fakeNetwork struct {
	requests  []FetchRequest
	completes []func(*FetchResponse, error) error
	cancelled int
	refuse    error // returned at once, if set
}

func (n *fakeNetwork) fetch(req FetchRequest, complete func(*FetchResponse, error) error) (func(), error) {
	if n.refuse != nil {
		return nil, n.refuse
	}
	n.requests = append(n.requests, req)
	n.completes = append(n.completes, complete)
	return func() { n.cancelled++ }, nil
}

// newNetVM is newFetchVM with fetch installed over n, and a global `out`
// that the scripts below fill when their promises settle.
func newNetVM(t *testing.T, n *fakeNetwork) *goja.Runtime {
	t.Helper()
	rt := newVM(t, Host{Random: seqRandom(), Fetch: n.fetch, SetTimeout: func(float64, func()) func() { return func() {} }})
	if err := urlapi.Install(rt); err != nil {
		t.Fatal(err)
	}
	if _, err := rt.RunString(`var U = "https://a.test/", out = "pending";
	function report(p, f) { p.then(async r => { out = await f(r) }, e => {
		out = (e instanceof DOMException ? "DOMException " : e instanceof TypeError ? "TypeError " : "value ") +
			e.name + ": " + e.message + (e.code !== undefined ? " code=" + e.code : "");
	}) }`); err != nil {
		t.Fatal(err)
	}
	return rt
}

func outOf(t *testing.T, rt *goja.Runtime) string {
	t.Helper()
	return rt.Get("out").String()
}

func TestFetchSendsAndResolves(t *testing.T) {
	n := &fakeNetwork{}
	rt := newNetVM(t, n)
	eval(t, rt, `report(fetch(U + "x?q=1#frag", {method: "post", headers: {"X-A": "\u00e9", "x-b": "1"}, body: "hi"}),
		async r => [r.status, r.statusText, r.ok, r.url, r.redirected, r.type, r.headers.get("x-b"), r.headers.get("content-type"),
			Object.prototype.toString.call(r), r.bodyUsed, JSON.stringify(await r.json()), r.bodyUsed,
			(() => { try { r.headers.set("a", "b"); return "mutable" } catch (e) { return e.name } })()].join("|"))`)
	if len(n.requests) != 1 {
		t.Fatalf("requests: %+v", n.requests)
	}
	want := FetchRequest{Method: "POST", URL: "https://a.test/x?q=1#frag", Redirect: "follow", Body: []byte("hi"),
		Headers: [][2]string{{"X-A", "\xe9"}, {"x-b", "1"}, {"Content-Type", "text/plain;charset=UTF-8"}}}
	if !reflect.DeepEqual(n.requests[0], want) {
		t.Fatalf("request\n got %+v\nwant %+v", n.requests[0], want)
	}
	if got := outOf(t, rt); got != "pending" {
		t.Fatalf("settled before the host answered: %s", got)
	}
	err := n.completes[0](&FetchResponse{Status: 201, StatusText: "Cr\xe9ated", URL: "https://a.test/y#f", Redirected: true,
		Headers: [][2]string{{"Content-Type", "application/json"}, {"X-B", "caf\xe9"}}, Body: []byte(`{"a":1}`)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := outOf(t, rt), `201|Créated|true|https://a.test/y|true|basic|café|application/json|[object Response]|false|{"a":1}|true|TypeError`; got != want {
		t.Fatalf("\n got %s\nwant %s", got, want)
	}
	// A second answer is ignored.
	if err := n.completes[0](nil, errors.New("late")); err != nil {
		t.Fatal(err)
	}
}

func TestFetchRequestShapes(t *testing.T) {
	const U = "https://a.test/"
	tests := []struct {
		name, src string
		want      FetchRequest
	}{
		{"string input", `fetch(U)`, FetchRequest{Method: "GET", URL: U, Redirect: "follow"}},
		{"URL input", `fetch(new URL("/p", U), {redirect: "manual"})`, FetchRequest{Method: "GET", URL: U + "p", Redirect: "manual"}},
		{"Request input", `fetch(new Request(U, {method: "PUT", body: new Uint8Array([1, 2])}))`,
			FetchRequest{Method: "PUT", URL: U, Redirect: "follow", Body: []byte{1, 2}}},
		{"init overrides Request", `fetch(new Request(U, {method: "PUT", headers: {a: "1"}}), {method: "delete", headers: {b: "2"}})`,
			FetchRequest{Method: "DELETE", URL: U, Redirect: "follow", Headers: [][2]string{{"b", "2"}}}},
		{"patch is not upper-cased", `fetch(U, {method: "patch", body: new ArrayBuffer(1)})`,
			FetchRequest{Method: "patch", URL: U, Redirect: "follow", Body: []byte{0}}},
		{"URLSearchParams body", `fetch(U, {method: "POST", body: new URLSearchParams({a: "1 2"})})`,
			FetchRequest{Method: "POST", URL: U, Redirect: "follow", Body: []byte("a=1+2"),
				Headers: [][2]string{{"Content-Type", "application/x-www-form-urlencoded;charset=UTF-8"}}}},
		{"empty body", `fetch(U, {method: "POST", body: ""})`, FetchRequest{Method: "POST", URL: U, Redirect: "follow", Body: []byte{},
			Headers: [][2]string{{"Content-Type", "text/plain;charset=UTF-8"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := &fakeNetwork{}
			rt := newNetVM(t, n)
			eval(t, rt, tt.src)
			if len(n.requests) != 1 || !reflect.DeepEqual(n.requests[0], tt.want) {
				t.Fatalf("\n got %+v\nwant %+v", n.requests, tt.want)
			}
		})
	}
}

func TestFetchRejects(t *testing.T) {
	tests := []struct {
		name, src, want string
		sent            int
		answer          error // the host's asynchronous answer, if any
		refuse          error
	}{
		{name: "no arguments", src: `report(fetch(), String)`, want: "TypeError TypeError: Failed to execute 'fetch': 1 argument required, but only 0 present."},
		{name: "bad URL", src: `report(fetch("nope"), String)`, want: "TypeError TypeError: Failed to construct 'Request': Failed to parse URL from nope"},
		{name: "GET with a body", src: `report(fetch(U, {body: "x"}), String)`, want: "TypeError TypeError: Failed to construct 'Request': Request with GET/HEAD method cannot have body."},
		{name: "bad method", src: `report(fetch(U, {method: "CONNECT"}), String)`, want: "TypeError TypeError: Failed to construct 'Request': 'CONNECT' HTTP method is unsupported."},
		{name: "already aborted", src: `report(fetch(U, {signal: AbortSignal.abort()}), String)`, want: "DOMException AbortError: signal is aborted without reason code=20"},
		{name: "already aborted with a reason", src: `report(fetch(U, {signal: AbortSignal.abort("why")}), String)`, want: "value undefined: undefined"},
		{name: "network error with a code", src: `report(fetch(U), String)`, sent: 1,
			answer: &FetchError{Code: "SSRF_BLOCKED", Message: "request to 127.0.0.1:80 refused"},
			want:   "TypeError TypeError: request to 127.0.0.1:80 refused code=SSRF_BLOCKED"},
		{name: "plain error", src: `report(fetch(U), String)`, sent: 1, answer: errors.New("boom"), want: "TypeError TypeError: boom"},
		{name: "host refuses at once", src: `report(fetch(U), String)`, refuse: &FetchError{Code: "NOT_SUPPORTED", Message: "no network here"},
			want: "TypeError TypeError: no network here code=NOT_SUPPORTED"},
		{name: "fetch never throws", src: `try { report(fetch({toString() { throw new RangeError("x") }}), String) } catch (e) { out = "threw" }`,
			want: "value RangeError: x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := &fakeNetwork{refuse: tt.refuse}
			rt := newNetVM(t, n)
			eval(t, rt, tt.src)
			if len(n.requests) != tt.sent {
				t.Fatalf("sent %d requests, want %d", len(n.requests), tt.sent)
			}
			if tt.answer != nil {
				if err := n.completes[0](nil, tt.answer); err != nil {
					t.Fatal(err)
				}
			}
			if got := outOf(t, rt); got != tt.want {
				t.Fatalf("\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestFetchAbort(t *testing.T) {
	n := &fakeNetwork{}
	rt := newNetVM(t, n)
	eval(t, rt, `const c = new AbortController();
		report(fetch(U, {signal: c.signal}), String);
		c.abort();`)
	if n.cancelled != 1 {
		t.Fatalf("cancel called %d times", n.cancelled)
	}
	if got := outOf(t, rt); got != "DOMException AbortError: signal is aborted without reason code=20" {
		t.Fatal(got)
	}
	// The host's late answer does nothing.
	if err := n.completes[0](&FetchResponse{Status: 200}, nil); err != nil {
		t.Fatal(err)
	}
	if got := outOf(t, rt); got != "DOMException AbortError: signal is aborted without reason code=20" {
		t.Fatal(got)
	}
	// Aborting after the answer does nothing either.
	eval(t, rt, `const d = new AbortController(); report(fetch(U, {signal: d.signal}), r => r.status)`)
	if err := n.completes[1](&FetchResponse{Status: 204}, nil); err != nil {
		t.Fatal(err)
	}
	eval(t, rt, `d.abort()`)
	if got := outOf(t, rt); got != "204" || n.cancelled != 1 {
		t.Fatalf("%s, cancelled %d", got, n.cancelled)
	}
}

func TestFetchNullBodies(t *testing.T) {
	tests := []struct {
		method string
		status int
		want   string
	}{
		{"GET", 200, "true|abc"},
		{"HEAD", 200, "false|"},
		{"GET", 204, "false|"},
		{"GET", 304, "false|"},
	}
	for _, tt := range tests {
		n := &fakeNetwork{}
		rt := newNetVM(t, n)
		eval(t, rt, `report(fetch(U, {method: "`+tt.method+`"}), async r => [r.body !== null, await r.text()].join("|"))`)
		if err := n.completes[0](&FetchResponse{Status: tt.status, Body: []byte("abc")}, nil); err != nil {
			t.Fatal(err)
		}
		if got := outOf(t, rt); got != tt.want {
			t.Errorf("%s %d: got %s, want %s", tt.method, tt.status, got, tt.want)
		}
	}
}

func TestFetchGlobalShape(t *testing.T) {
	rt := newNetVM(t, &fakeNetwork{})
	got := eval(t, rt, `const d = Object.getOwnPropertyDescriptor(globalThis, "fetch");
		[typeof fetch, fetch.name, fetch.length, d.writable, d.enumerable, d.configurable, fetch(U) instanceof Promise].join()`)
	if got != "function,fetch,1,true,true,true,true" {
		t.Fatal(got)
	}
}
