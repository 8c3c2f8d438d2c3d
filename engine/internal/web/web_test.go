package web

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"weak"

	"github.com/kiln-run/kiln/internal/goja"
)

// seqRandom is a reproducible Host.Random: it yields 0, 1, 2, … 255, 0, …
func seqRandom() func([]byte) {
	var n byte
	return func(p []byte) {
		for i := range p {
			p[i] = n
			n++
		}
	}
}

// newVM returns a runtime with the web globals installed, and a helper
// `thrown(f)` that runs f and names what it threw: "no throw", "TypeError",
// or for a DOMException its name and code, as "AbortError(20)".
func newVM(t testing.TB, host Host) *goja.Runtime {
	t.Helper()
	rt := goja.New()
	if err := Install(rt, host); err != nil {
		t.Fatal(err)
	}
	if _, err := rt.RunString(`function thrown(f) {
		try { f(); return "no throw"; } catch (e) {
			if (e instanceof DOMException) return e.name + "(" + e.code + ")";
			return e instanceof Error ? e.name : "value " + String(e);
		}
	}`); err != nil {
		t.Fatal(err)
	}
	return rt
}

// eval runs src and returns its value as a string. An uncaught exception
// gives "throws NAME"; a settled promise gives its value, or "rejects NAME".
func eval(t testing.TB, rt *goja.Runtime, src string) string {
	t.Helper()
	v, err := rt.RunString(src)
	if err != nil {
		var ex *goja.Exception
		if !errors.As(err, &ex) {
			t.Fatalf("%s: %v", src, err)
		}
		return "throws " + errName(ex.Value())
	}
	if p, ok := v.Export().(*goja.Promise); ok {
		switch p.State() {
		case goja.PromiseStateFulfilled:
			v = p.Result()
		case goja.PromiseStateRejected:
			return "rejects " + errName(p.Result())
		default:
			return "pending"
		}
	}
	return v.String()
}

func errName(v goja.Value) string {
	if o, ok := v.(*goja.Object); ok {
		return o.Get("name").String()
	}
	return v.String()
}

// jsCase is a table test: src, evaluated in a fresh VM, must give want.
type jsCase struct {
	name, src, want string
}

func runCases(t *testing.T, host Host, cases []jsCase) {
	t.Helper()
	runCasesWith(t, func() Host { return host }, cases)
}

// runCasesWith is runCases with a fresh Host for each case.
func runCasesWith(t *testing.T, host func() Host, cases []jsCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := eval(t, newVM(t, host()), c.src); got != c.want {
				t.Errorf("%s\n got: %q\nwant: %q", c.src, got, c.want)
			}
		})
	}
}

func TestInstallGlobals(t *testing.T) {
	runCases(t, Host{Random: seqRandom()}, []jsCase{
		{"types", `[typeof DOMException, typeof TextEncoder, typeof TextDecoder, typeof atob, typeof btoa,
			typeof structuredClone, typeof AbortController, typeof AbortSignal, typeof EventTarget,
			typeof Event, typeof crypto].join()`,
			"function,function,function,function,function,function,function,function,function,function,object"},
		{"lazy accessor becomes data property",
			`const before = Object.getOwnPropertyDescriptor(globalThis, "TextEncoder");
			TextEncoder;
			const after = Object.getOwnPropertyDescriptor(globalThis, "TextEncoder");
			[typeof before.get, after.value === TextEncoder, after.writable, after.enumerable, after.configurable].join()`,
			"function,true,true,false,true"},
		{"assigning replaces a lazy global", `AbortController = 5; AbortController`, "5"},
		{"deleting a lazy global", `delete globalThis.Event; typeof Event`, "undefined"},
		{"same value on every read", `TextDecoder === TextDecoder && crypto === crypto`, "true"},
		{"operations are enumerable", `Object.keys(globalThis).filter(k => ["atob", "btoa", "structuredClone", "crypto"].includes(k)).sort().join()`,
			"atob,btoa,crypto,structuredClone"},
		{"interfaces are not enumerable", `Object.keys(globalThis).includes("TextEncoder")`, "false"},
		{"function names", `[atob.name, btoa.length, structuredClone.name, TextDecoder.name, TextDecoder.length,
			Event.length, AbortSignal.any.name, Object.getOwnPropertyDescriptor(AbortSignal.prototype, "aborted").get.name].join()`,
			"atob,1,structuredClone,TextDecoder,0,1,any,get aborted"},
		{"toStringTag", `[new TextEncoder(), new TextDecoder(), new AbortController(), new AbortController().signal,
			new EventTarget(), new Event("x"), new DOMException(), crypto, crypto.subtle].map(o => Object.prototype.toString.call(o)).join()`,
			"[object TextEncoder],[object TextDecoder],[object AbortController],[object AbortSignal],[object EventTarget],[object Event],[object DOMException],[object Crypto],[object SubtleCrypto]"},
		{"prototype methods are enumerable", `Object.keys(TextDecoder.prototype).join()`, "encoding,fatal,ignoreBOM,decode"},
		{"prototype is read-only", `Object.getOwnPropertyDescriptor(TextEncoder, "prototype").writable`, "false"},
		{"subclassing", `class D extends TextDecoder { #x = 1; get x() { return this.#x } }
			const d = new D("latin1"); [d instanceof TextDecoder, d.encoding, d.x].join()`, "true,windows-1252,1"},
	})
}

func TestConstructorsNeedNew(t *testing.T) {
	for _, name := range []string{"DOMException", "TextEncoder", "TextDecoder", "AbortController", "EventTarget", "Event"} {
		t.Run(name, func(t *testing.T) {
			rt := newVM(t, Host{})
			if got := eval(t, rt, `thrown(() => `+name+`("x"))`); got != "TypeError" {
				t.Errorf("%s() without new: got %s", name, got)
			}
			if got := eval(t, rt, `thrown(() => `+name+`.call({}, "x"))`); got != "TypeError" {
				t.Errorf("%s.call without new: got %s", name, got)
			}
		})
	}
}

// TestNoGoInternalsLeak checks that no function a script can reach is named
// after a Go closure, as goja names native functions by default.
func TestNoGoInternalsLeak(t *testing.T) {
	rt := newVM(t, Host{Random: seqRandom()})
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
		const globals = ["DOMException", "TextEncoder", "TextDecoder", "atob", "btoa", "structuredClone",
			"AbortController", "AbortSignal", "EventTarget", "Event", "crypto"];
		for (const g of globals) {
			visit(Object.getOwnPropertyDescriptor(globalThis, g).get, g);
			visit(globalThis[g], g);
		}
		visit(Object.getPrototypeOf(crypto), "Crypto");
		visit(Object.getPrototypeOf(crypto.subtle), "SubtleCrypto");
		bad.join("; ")`)
	if got != "" {
		t.Errorf("functions named after Go code: %s", got)
	}
}

// TestHostileCalls calls every method and accessor, on real instances and
// on impostors, with unsuitable arguments. Each call must return or throw a
// JS error; none may panic in Go or show Go's internals.
func TestHostileCalls(t *testing.T) {
	rt := newVM(t, Host{Random: seqRandom(), SetTimeout: func(float64, func()) func() { return nil }})
	_, err := rt.RunString(`
		const ab = new ArrayBuffer(8), detached = new ArrayBuffer(8);
		const views = [new Uint8Array(detached, 2, 3), new DataView(detached, 1, 2)];
		structuredClone(detached, {transfer: [detached]});
		var weird = [undefined, null, -1, NaN, 1e300, "", "utf-16", Symbol("s"), 10n, {}, [1, 2],
			() => {}, new Proxy({}, {}), ab, new Uint8Array(ab, 1), new Float64Array(2), new DataView(ab),
			...views, detached, {name: "SHA-256", stream: true, fatal: true, signal: 1},
			{get name() { throw new Error("getter") }, get capture() { throw new Error("getter") }},
			Object.create(null), new Event("abort"), AbortSignal.abort(), new DOMException()];
		var selves = [undefined, {}, new Proxy({}, {}), globalThis, new TextEncoder(), new TextDecoder(),
			new TextDecoder("utf-16be", {fatal: true}), new AbortController(), new AbortController().signal,
			new EventTarget(), new Event("x"), new DOMException(), crypto, crypto.subtle];
		var fns = [atob, btoa, structuredClone];
		const targets = [];
		for (const g of ["DOMException", "TextEncoder", "TextDecoder", "AbortController", "AbortSignal", "EventTarget", "Event"]) {
			targets.push(globalThis[g], globalThis[g].prototype);
		}
		targets.push(Object.getPrototypeOf(crypto), Object.getPrototypeOf(crypto.subtle));
		for (const o of targets) {
			for (const k of Reflect.ownKeys(o)) {
				const d = Object.getOwnPropertyDescriptor(o, k);
				for (const f of [d.value, d.get, d.set]) if (typeof f === "function") fns.push(f);
			}
		}
	`)
	if err != nil {
		t.Fatal(err)
	}
	got := eval(t, rt, `
		const bad = [];
		let calls = 0;
		for (const f of fns) {
			for (const self of selves) {
				for (const a of weird) {
					for (const b of [undefined, weird[9], a]) {
						calls++;
						try { f.call(self, a, b, a); } catch (e) {
							const msg = String(e && e.message);
							if (/runtime error|goroutine|\.go:|internal error/.test(msg)) bad.push(f.name + ": " + msg);
						}
					}
				}
			}
		}
		calls > 10000 ? bad.join("; ") : "too few calls: " + calls`)
	if got != "" {
		t.Errorf("Go internals reached the script: %s", got)
	}
}

func TestRealmsAreSeparate(t *testing.T) {
	a, b := newVM(t, Host{}), newVM(t, Host{})
	if _, err := a.RunString(`DOMException.prototype.marker = 1`); err != nil {
		t.Fatal(err)
	}
	if got := eval(t, b, `typeof DOMException.prototype.marker + " " + thrown(() => atob("*"))`); got != "undefined InvalidCharacterError(5)" {
		t.Errorf("got %s", got)
	}
}

// inConcurrentRuntimes runs check in 8 goroutines × 20 fresh runtimes each,
// for the race detector: only the realm registry is shared between runtimes.
// check returns "" or what went wrong.
func inConcurrentRuntimes(t *testing.T, check func(rt *goja.Runtime) string) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				if msg := check(goja.New()); msg != "" {
					errs <- msg
					return
				}
			}
			runtime.GC()
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestConcurrentRuntimes installs into and uses many runtimes at once.
func TestConcurrentRuntimes(t *testing.T) {
	inConcurrentRuntimes(t, func(rt *goja.Runtime) string {
		if err := Install(rt, Host{Random: seqRandom()}); err != nil {
			return err.Error()
		}
		v, err := rt.RunString(`const c = new AbortController(); c.abort();
			[structuredClone(new Map([[1, c.signal.reason.name]])).get(1), atob(btoa("x")),
			new TextDecoder().decode(new TextEncoder().encode("é")), crypto.randomUUID().length].join()`)
		if err != nil || v.String() != "AbortError,x,é,36" {
			return fmt.Sprint(v, err)
		}
		return ""
	})
}

func BenchmarkInstall(b *testing.B) {
	host := Host{Random: seqRandom()}
	b.ReportAllocs()
	for b.Loop() {
		if err := Install(goja.New(), host); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNewRuntime is goja.New alone, to compare BenchmarkInstall with.
func BenchmarkNewRuntime(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		goja.New()
	}
}

// TestNoLeaks checks that the realm registry keeps no runtime alive and that
// the state of platform objects a script dropped is reclaimed.
func TestNoLeaks(t *testing.T) {
	rt := newVM(t, Host{})
	r := realmFor(rt, Host{})
	for i := 0; i < 30; i++ {
		if _, err := rt.RunString(`for (let i = 0; i < 1000; i++) { new TextDecoder(); new AbortController(); }`); err != nil {
			t.Fatal(err)
		}
		runtime.GC()
	}
	if n := len(r.state); n > 20000 {
		t.Errorf("%d platform objects still tracked out of 60000 dropped", n)
	}

	w := weak.Make(newVM(t, Host{}))
	for i := 0; i < 5 && w.Value() != nil; i++ {
		runtime.GC()
	}
	if w.Value() != nil {
		t.Error("a runtime with the web globals installed was never collected")
	}
}

// TestWrappedBuiltins runs the globals after the typed array, ArrayBuffer and
// Array.prototype.values built-ins were replaced by JS wrappers, as the
// engine's prelude replaces them (to charge memory) before Install runs.
func TestWrappedBuiltins(t *testing.T) {
	rt := goja.New()
	if _, err := rt.RunString(`(function () {
		const g = globalThis;
		for (const name of ["ArrayBuffer", "Uint8Array", "Int16Array", "DataView"]) {
			const Orig = g[name];
			const Guard = function (...args) {
				if (new.target === undefined) return Reflect.apply(Orig, this, args);
				return Reflect.construct(Orig, args, new.target === Guard ? Orig : new.target);
			};
			Object.defineProperty(Guard, "prototype", {value: Orig.prototype, writable: false});
			Object.setPrototypeOf(Guard, Object.getPrototypeOf(Orig));
			Object.defineProperty(Orig.prototype, "constructor", {value: Guard, writable: true, configurable: true});
			g[name] = Guard;
		}
		const values = Array.prototype.values;
		Array.prototype.values = function () { return Reflect.apply(values, this, arguments) };
	})()`); err != nil {
		t.Fatal(err)
	}
	if err := Install(rt, Host{Random: seqRandom()}); err != nil {
		t.Fatal(err)
	}
	got := eval(t, rt, `const u = new TextEncoder().encode("hé"); const c = structuredClone({u, d: new DataView(u.buffer), i: new Int16Array(2)});
		[u instanceof Uint8Array, u.join(), c.u.buffer === c.d.buffer, c.i.length, new TextDecoder().decode(c.u),
			crypto.getRandomValues(new Uint8Array(2)).join()].join() + " " + (() => { try { structuredClone([].values()) } catch (e) { return e.name } })()`)
	if want := "true,104,195,169,true,2,hé,0,1 DataCloneError"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
