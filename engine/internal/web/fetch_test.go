package web

import (
	"fmt"
	"runtime"
	"testing"
	"weak"

	"github.com/kiln-run/kiln/engine/internal/web/urlapi"
	"github.com/kiln-run/kiln/internal/goja"
)

// newFetchVM is newVM with urlapi's URL and URLSearchParams installed too,
// as the engine installs them, and two more helpers: msg(f), which gives
// "Name: message" for what f throws, and U, a URL.
func newFetchVM(t testing.TB) *goja.Runtime {
	t.Helper()
	rt := newVM(t, Host{Random: seqRandom()})
	if err := urlapi.Install(rt); err != nil {
		t.Fatal(err)
	}
	if _, err := rt.RunString(`var U = "https://a.test/";
	function msg(f) {
		try { f(); return "no throw"; } catch (e) { return e.name + ": " + e.message; }
	}`); err != nil {
		t.Fatal(err)
	}
	return rt
}

func runFetchCases(t *testing.T, cases []jsCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := eval(t, newFetchVM(t), c.src); got != c.want {
				t.Errorf("%s\n got: %q\nwant: %q", c.src, got, c.want)
			}
		})
	}
}

func TestFetchGlobals(t *testing.T) {
	runFetchCases(t, []jsCase{
		{"types", `[typeof Headers, typeof Request, typeof Response, typeof fetch].join()`, "function,function,function,undefined"},
		{"lazy accessors", `["Headers", "Request", "Response"].map(n => {
			const d = Object.getOwnPropertyDescriptor(globalThis, n);
			return typeof d.get + "/" + d.enumerable;
		}).join()`, "function/false,function/false,function/false"},
		{"become data properties", `Response; const d = Object.getOwnPropertyDescriptor(globalThis, "Response");
			[d.value === Response, d.writable, d.enumerable, d.configurable].join()`, "true,true,false,true"},
		{"assigning replaces", `Request = 1; Request`, "1"},
		{"names and lengths", `[Headers.name, Headers.length, Request.name, Request.length, Response.name, Response.length,
			Response.json.length, Response.redirect.length, Response.error.length,
			Headers.prototype.append.length, Headers.prototype.forEach.length,
			Object.getOwnPropertyDescriptor(Response.prototype, "status").get.name].join()`,
			"Headers,0,Request,1,Response,0,1,1,0,2,1,get status"},
		{"toStringTag", `[new Headers(), new Request(U), new Response(), new Headers().keys()]
			.map(o => Object.prototype.toString.call(o)).join()`,
			"[object Headers],[object Request],[object Response],[object Headers Iterator]"},
		{"need new", `[thrown(() => Headers()), thrown(() => Request(U)), thrown(() => Response())].join()`,
			"TypeError,TypeError,TypeError"},
		{"no constructor on impostors", `[thrown(() => Response.prototype.status), thrown(() => Object.create(Response.prototype).status),
			thrown(() => Request.prototype.clone.call(new Response()))].join()`, "TypeError,TypeError,TypeError"},
		{"not cloneable", `[thrown(() => structuredClone(new Headers())), thrown(() => structuredClone(new Response())),
			thrown(() => structuredClone(new Request(U))), thrown(() => structuredClone(new Headers().keys()))].join()`,
			"DataCloneError(25),DataCloneError(25),DataCloneError(25),DataCloneError(25)"},
		{"subclassing", `class R extends Response { get twice() { return this.status * 2 } }
			class Q extends Request {}
			const r = new R(null, {status: 201});
			[r.twice, r instanceof Response, r.clone() instanceof R, new Q(U) instanceof Request].join()`, "402,true,false,true"},
		{"prototype members", `Object.keys(Response.prototype).join()`,
			"type,url,redirected,status,ok,statusText,headers,clone,body,bodyUsed,arrayBuffer,bytes,json,text"},
	})
}

// TestFetchInstallIsLazy checks that Install builds none of the classes, and
// that using one builds only what it needs.
func TestFetchInstallIsLazy(t *testing.T) {
	rt := newFetchVM(t)
	f := realmFor(rt, Host{}).fetchRealm()
	if f.headers != nil || f.request != nil || f.response != nil {
		t.Fatal("Install built a fetch class")
	}
	eval(t, rt, `new Response("x").status`)
	if f.response == nil || f.headers == nil {
		t.Error("Response did not build Response and Headers")
	}
	if f.request != nil || f.headersIterProto != nil {
		t.Error("Response built Request or the Headers iterator")
	}
	// A request's own signal, which nothing can abort, is made on first read.
	eval(t, rt, `new Request(U, {method: "POST", body: "x"}).clone().method`)
	if r := realmFor(rt, Host{}); r.abortSignal != nil {
		t.Error("Request built AbortSignal before its signal was read")
	}
	if got := eval(t, rt, `const q = new Request(U); q.signal === q.signal && q.signal instanceof AbortSignal && !q.clone().signal.aborted`); got != "true" {
		t.Errorf("lazy signal: %s", got)
	}
}

// TestFetchInstallCost pins what installFetchClasses adds to every Install:
// three lazy accessors and the fetchRealm, nowhere near the hundreds of
// allocations that building a class takes. BenchmarkInstall (web_test.go)
// times the whole of Install; BenchmarkFetchFirstUse below adds the
// classes' first use.
func TestFetchInstallCost(t *testing.T) {
	const runs = 50
	rts := make([]*goja.Runtime, runs+1)
	realms := make([]*realm, runs+1) // keeps each realm alive, as Install would
	for i := range rts {
		rts[i] = goja.New()
		realms[i] = realmFor(rts[i], Host{})
	}
	i := 0
	allocs := testing.AllocsPerRun(runs, func() {
		if err := installFetchClasses(rts[i], Host{}); err != nil {
			t.Fatal(err)
		}
		i++
	})
	if allocs > 150 {
		t.Errorf("installFetchClasses made %.0f allocations; is it building classes eagerly?", allocs)
	}
	if f := realms[0].fetchRealm(); f.headers != nil || f.request != nil || f.response != nil {
		t.Error("installFetchClasses built a class")
	}
}

func TestFetchNoGoInternalsLeak(t *testing.T) {
	rt := newFetchVM(t)
	got := eval(t, rt, `
		const seen = new Set(), bad = [];
		const visit = (o, path) => {
			if (o === null || (typeof o !== "object" && typeof o !== "function") || seen.has(o)) return;
			seen.add(o);
			if (typeof o === "function" && /[./()*]/.test(o.name)) bad.push(path + " " + o.name);
			for (const k of Reflect.ownKeys(o)) {
				const d = Object.getOwnPropertyDescriptor(o, k);
				for (const v of [d.value, d.get, d.set]) visit(v, path + "." + String(k));
			}
		};
		for (const g of ["Headers", "Request", "Response"]) {
			visit(Object.getOwnPropertyDescriptor(globalThis, g).get, g);
			visit(globalThis[g], g);
		}
		visit(Object.getPrototypeOf(new Headers().keys()), "HeadersIterator");
		bad.join("; ")`)
	if got != "" {
		t.Errorf("functions named after Go code: %s", got)
	}
}

// TestFetchHostileCalls calls every fetch method and accessor on real
// instances and impostors with unsuitable arguments: each must return or
// throw (or reject with) a JS error that shows nothing of Go.
func TestFetchHostileCalls(t *testing.T) {
	rt := newFetchVM(t)
	got := eval(t, rt, `
		const ab = new ArrayBuffer(8), detached = new ArrayBuffer(8);
		const dv = new Uint8Array(detached, 2, 3);
		structuredClone(detached, {transfer: [detached]});
		const weird = [undefined, null, -1, NaN, 1e300, "", "a b", "\u20ac", "\ud800", Symbol("s"), 10n, {}, [[1]], [[1, 2, 3]],
			[1, 2], () => {}, new Proxy({}, {}), new Proxy([], {}), ab, new Uint8Array(ab, 1), new DataView(ab), dv, detached,
			{headers: 5, status: Symbol(), body: {}, method: "TRACE", signal: 1, redirect: "no"},
			{get headers() { throw new Error("getter") }, get body() { throw new Error("getter") }},
			{[Symbol.iterator]: 5}, {[Symbol.iterator]: function* () { yield 1 }}, Object.create(null),
			new URLSearchParams("a=1"), new URL(U), new Headers({a: "1"}), new Response("x"), new Request(U), AbortSignal.abort()];
		const selves = [undefined, {}, new Proxy({}, {}), globalThis, new Headers({a: "1"}), Response.error().headers,
			new Response("x"), Response.error(), new Request(U, {method: "POST", body: "b"}), new Headers().keys()];
		const fns = [];
		for (const g of ["Headers", "Request", "Response"]) {
			const C = globalThis[g];
			fns.push((a, b) => new C(a, b));
			for (const o of [C, C.prototype]) {
				for (const k of Reflect.ownKeys(o)) {
					const d = Object.getOwnPropertyDescriptor(o, k);
					for (const f of [d.value, d.get, d.set]) if (typeof f === "function" && f !== C) fns.push(f);
				}
			}
		}
		const itProto = Object.getPrototypeOf(new Headers().keys());
		fns.push(itProto.next);
		const bad = [];
		const check = e => {
			const m = String(e && e.message);
			if (/runtime error|goroutine|\.go:|internal error|github|kiln/.test(m)) bad.push(m);
		};
		let calls = 0;
		for (const f of fns) {
			for (const self of selves) {
				for (const a of weird) {
					for (const b of [undefined, weird[23], a]) {
						calls++;
						try {
							const p = f.call(self, a, b, a);
							if (p instanceof Promise) p.catch(check);
						} catch (e) { check(e); }
					}
				}
			}
		}
		Promise.resolve().then(() => calls > 10000 ? bad.join("; ") : "too few calls: " + calls)`)
	if got != "" {
		t.Errorf("Go internals reached the script: %s", got)
	}
}

// TestFetchMessages pins some error messages, which must read like a
// browser's and show nothing of Go.
func TestFetchMessages(t *testing.T) {
	runFetchCases(t, []jsCase{
		{"header name", `msg(() => new Headers().append("a b", "1"))`, "TypeError: Failed to execute 'append' on 'Headers': Invalid header name."},
		{"header value", `msg(() => new Headers({a: "x\ny"}))`, "TypeError: Failed to construct 'Headers': Invalid header value."},
		{"non-Latin-1", `msg(() => new Headers().set("a", "\u20ac"))`, "TypeError: Failed to execute 'set' on 'Headers': String contains non ISO-8859-1 code point."},
		{"immutable", `msg(() => Response.error().headers.delete("a"))`, "TypeError: Failed to execute 'delete' on 'Headers': Headers are immutable."},
		{"argument count", `msg(() => new Headers().append("a"))`, "TypeError: Failed to execute 'append' on 'Headers': 2 arguments required, but only 1 present."},
		{"status", `msg(() => new Response("", {status: 600}))`, "RangeError: Failed to construct 'Response': The status provided (600) is outside the range [200, 599]."},
		{"null body status", `msg(() => new Response("x", {status: 204}))`, "TypeError: Failed to construct 'Response': Response with null body status cannot have body."},
		{"redirect status", `msg(() => Response.redirect(U, 200))`, "RangeError: Failed to execute 'redirect' on 'Response': Invalid status code 200."},
		{"bad URL", `msg(() => new Request("/x"))`, "TypeError: Failed to construct 'Request': Failed to parse URL from /x"},
		{"forbidden method", `msg(() => new Request(U, {method: "connect"}))`, "TypeError: Failed to construct 'Request': 'connect' HTTP method is unsupported."},
		{"GET body", `msg(() => new Request(U, {body: "x"}))`, "TypeError: Failed to construct 'Request': Request with GET/HEAD method cannot have body."},
		{"body used", `const r = new Response("x"); r.text(); r.text().catch(e => e.name + ": " + e.message)`,
			"TypeError: Failed to execute 'text' on 'Response': body already used."},
		{"illegal invocation", `Request.prototype.json.call(new Response()).catch(e => e.name + ": " + e.message)`, "TypeError: Illegal invocation"},
	})
}

// TestFetchNoLeaks checks that dropped Headers, Requests and Responses are
// reclaimed, and that the fetch side table keeps no runtime alive.
func TestFetchNoLeaks(t *testing.T) {
	rt := newFetchVM(t)
	r := realmFor(rt, Host{})
	for i := 0; i < 20; i++ {
		if _, err := rt.RunString(`for (let i = 0; i < 500; i++) {
			new Response("x", {headers: {a: "1"}}); new Request(U).headers.keys(); }`); err != nil {
			t.Fatal(err)
		}
		runtime.GC()
	}
	if n := len(r.state); n > 20000 {
		t.Errorf("%d platform objects still tracked out of 60000 dropped", n)
	}

	vm := newFetchVM(t)
	eval(t, vm, `new Response(new Request(U, {method: "POST", body: "x"}).body).headers`)
	w := weak.Make(vm)
	vm = nil //nolint:ineffassign // drop the last reference so the runtime can be collected
	for i := 0; i < 5 && w.Value() != nil; i++ {
		runtime.GC()
	}
	if w.Value() != nil {
		t.Error("a runtime that used the fetch classes was never collected")
	}
}

// TestFetchConcurrentRuntimes is for the race detector: the only state the
// runtimes share is the realm and fetch side tables.
func TestFetchConcurrentRuntimes(t *testing.T) {
	inConcurrentRuntimes(t, func(rt *goja.Runtime) string {
		if err := Install(rt, Host{}); err != nil {
			return err.Error()
		}
		if err := urlapi.Install(rt); err != nil {
			return err.Error()
		}
		v, err := rt.RunString(`Response.json({a: 1}, {headers: new Request("https://a.test/").headers})`)
		if err != nil {
			return err.Error()
		}
		if status, h, body, ok := ResponseParts(rt, v); !ok || status != 200 || len(h) != 1 || string(body) != `{"a":1}` {
			return fmt.Sprint(status, h, string(body), ok)
		}
		return ""
	})
}

// BenchmarkInstall (web_test.go) covers the three lazy globals this file's
// classes add to Install; the benchmarks here measure what they defer.

// BenchmarkFetchFirstUse is Install plus the first Response a script makes,
// which builds Response and Headers.
func BenchmarkFetchFirstUse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		rt := goja.New()
		if err := Install(rt, Host{}); err != nil {
			b.Fatal(err)
		}
		if _, err := rt.RunString(`new Response("x")`); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkResponseText is the steady-state cost of making a Response with
// headers and reading its body.
func BenchmarkResponseText(b *testing.B) {
	rt := newFetchVM(b)
	prog := goja.MustCompile("bench.js", `new Response("hello", {headers: {"x-a": "1"}}).text()`, false)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rt.RunProgram(prog); err != nil {
			b.Fatal(err)
		}
	}
}
