package web

import (
	"errors"
	"testing"

	"github.com/kiln-run/kiln/internal/goja"
)

func TestAbortController(t *testing.T) {
	runCases(t, Host{}, []jsCase{
		{"signal is stable", `const c = new AbortController(); c.signal === c.signal && c.signal instanceof AbortSignal`, "true"},
		{"before abort", `const s = new AbortController().signal; [s.aborted, s.reason, thrown(() => s.throwIfAborted())].join()`, "false,,no throw"},
		{"default reason", `const c = new AbortController(); c.abort(); const r = c.signal.reason;
			[c.signal.aborted, r instanceof DOMException, r.name, r.code, r.message].join()`,
			"true,true,AbortError,20,signal is aborted without reason"},
		{"custom reasons", `[new Error("e"), "str", 0, null].map(r => { const c = new AbortController(); c.abort(r);
			return c.signal.reason === r; }).join()`, "true,true,true,true"},
		{"undefined means default", `const c = new AbortController(); c.abort(undefined); c.signal.reason.name`, "AbortError"},
		{"throwIfAborted throws the reason", `const c = new AbortController(); c.abort("why");
			try { c.signal.throwIfAborted() } catch (e) { e }`, "why"},
		{"abort event", `const c = new AbortController(), log = [];
			c.signal.addEventListener("abort", function (e) {
				log.push(e.type, e.isTrusted, e.target === c.signal, e.currentTarget === c.signal, this === c.signal, e.eventPhase, c.signal.aborted);
			});
			c.abort(); log.join()`, "abort,true,true,true,true,2,true"},
		{"fires once", `const c = new AbortController(); let n = 0; c.signal.onabort = () => n++; c.abort(); c.abort(); n`, "1"},
		{"second abort keeps the first reason", `const c = new AbortController(); c.abort(1); c.abort(2); c.signal.reason`, "1"},
		{"listener order with onabort", `const c = new AbortController(), log = [];
			c.signal.addEventListener("abort", () => log.push("a"));
			c.signal.onabort = () => log.push("on1");
			c.signal.addEventListener("abort", () => log.push("b"));
			c.signal.onabort = () => log.push("on2");
			c.abort(); log.join()`, "a,on2,b"},
		{"onabort null removes", `const c = new AbortController(); let n = 0; c.signal.onabort = () => n++; c.signal.onabort = null;
			c.abort(); [n, c.signal.onabort].join()`, "0,"},
		{"onabort ignores non-functions", `const s = new AbortController().signal; s.onabort = 5; s.onabort`, "null"},
		{"removeEventListener", `const c = new AbortController(); let n = 0; const f = () => n++;
			c.signal.addEventListener("abort", f); c.signal.addEventListener("abort", f); c.signal.removeEventListener("abort", f);
			c.abort(); n`, "0"},
		{"once", `const t = new EventTarget(); let n = 0; t.addEventListener("x", () => n++, {once: true});
			t.dispatchEvent(new Event("x")); t.dispatchEvent(new Event("x")); n`, "1"},
		{"listener added with an aborted signal is not added", `const t = new EventTarget(); let n = 0;
			t.addEventListener("x", () => n++, {signal: AbortSignal.abort()}); t.dispatchEvent(new Event("x")); n`, "0"},
		{"listener removed when its signal aborts", `const t = new EventTarget(), c = new AbortController(); let n = 0;
			t.addEventListener("x", () => n++, {signal: c.signal}); t.dispatchEvent(new Event("x")); c.abort(); t.dispatchEvent(new Event("x")); n`, "1"},
		{"signal option must be a signal", `thrown(() => new EventTarget().addEventListener("x", () => {}, {signal: {}}))`, "TypeError"},
		{"AbortSignal.abort", `const s = AbortSignal.abort(); [s.aborted, s.reason.name, AbortSignal.abort(7).reason].join()`, "true,AbortError,7"},
		{"AbortSignal.any follows the first", `const a = new AbortController(), b = new AbortController(); const s = AbortSignal.any([a.signal, b.signal]);
			let n = 0; s.onabort = () => n++; const before = s.aborted; b.abort("b"); a.abort("a"); [before, s.aborted, s.reason, n].join()`,
			"false,true,b,1"},
		{"AbortSignal.any already aborted", `const s = AbortSignal.any([new AbortController().signal, AbortSignal.abort("x")]); [s.aborted, s.reason].join()`,
			"true,x"},
		{"AbortSignal.any of any", `const c = new AbortController(); const s = AbortSignal.any([AbortSignal.any([c.signal])]); const log = [];
			s.onabort = () => log.push(s.reason); c.abort("r"); log.join()`, "r"},
		{"AbortSignal.any order of events", `const c = new AbortController(), log = []; const d = AbortSignal.any([c.signal]);
			d.onabort = () => log.push("dependent:" + c.signal.aborted); c.signal.onabort = () => log.push("source:" + d.aborted);
			c.abort(); log.join()`, "source:true,dependent:true"},
		{"AbortSignal.any empty", `AbortSignal.any([]).aborted`, "false"},
		{"AbortSignal.any needs signals", `[thrown(() => AbortSignal.any([{}])), thrown(() => AbortSignal.any(5)), thrown(() => AbortSignal.any())].join()`,
			"TypeError,TypeError,TypeError"},
		{"AbortSignal.timeout without host timers", `thrown(() => AbortSignal.timeout(10))`, "NotSupportedError(9)"},
		{"not constructible", `thrown(() => new AbortSignal())`, "TypeError"},
		{"brand checks", `[thrown(() => AbortController.prototype.abort.call({})),
			thrown(() => Object.getOwnPropertyDescriptor(AbortSignal.prototype, "aborted").get.call(new EventTarget())),
			thrown(() => AbortSignal.prototype.throwIfAborted.call(new AbortController()))].join()`, "TypeError,TypeError,TypeError"},
		{"a throwing listener does not stop the others", `const c = new AbortController(), log = [];
			c.signal.addEventListener("abort", () => { log.push(1); throw new RangeError("first") });
			c.signal.addEventListener("abort", () => { log.push(2); throw new TypeError("second") });
			c.signal.addEventListener("abort", () => log.push(3));
			const r = thrown(() => c.abort()); [r, log.join("")].join()`, "RangeError,123"},
	})
}

func TestEventTarget(t *testing.T) {
	runCases(t, Host{}, []jsCase{
		{"dispatch", `const t = new EventTarget(), log = []; t.addEventListener("ping", e => log.push(e.type, e.target === t));
			const r = t.dispatchEvent(new Event("ping")); [r, log.join()].join()`, "true,ping,true"},
		{"other types not called", `const t = new EventTarget(); let n = 0; t.addEventListener("a", () => n++); t.dispatchEvent(new Event("b")); n`, "0"},
		{"handleEvent objects", `const t = new EventTarget(), h = {n: 0, handleEvent(e) { this.n++ }}; t.addEventListener("x", h);
			t.dispatchEvent(new Event("x")); h.n`, "1"},
		{"capture listeners first", `const t = new EventTarget(), log = []; t.addEventListener("x", () => log.push("bubble"));
			t.addEventListener("x", () => log.push("capture"), true); t.dispatchEvent(new Event("x")); log.join()`, "capture,bubble"},
		{"capture is part of identity", `const t = new EventTarget(); let n = 0; const f = () => n++;
			t.addEventListener("x", f, {capture: true}); t.addEventListener("x", f); t.removeEventListener("x", f, true);
			t.dispatchEvent(new Event("x")); n`, "1"},
		{"preventDefault", `const t = new EventTarget(); t.addEventListener("x", e => e.preventDefault());
			[t.dispatchEvent(new Event("x")), t.dispatchEvent(new Event("x", {cancelable: true}))].join()`, "true,false"},
		{"passive listeners cannot cancel", `const t = new EventTarget(); t.addEventListener("x", e => e.preventDefault(), {passive: true});
			t.dispatchEvent(new Event("x", {cancelable: true}))`, "true"},
		{"stopImmediatePropagation", `const t = new EventTarget(), log = []; t.addEventListener("x", e => { log.push(1); e.stopImmediatePropagation() });
			t.addEventListener("x", () => log.push(2)); t.dispatchEvent(new Event("x")); log.join()`, "1"},
		{"listener added during dispatch waits", `const t = new EventTarget(), log = []; t.addEventListener("x", () => { log.push(1); t.addEventListener("x", () => log.push(2)) });
			t.dispatchEvent(new Event("x")); log.join()`, "1"},
		{"listener removed during dispatch is skipped", `const t = new EventTarget(), log = []; const g = () => log.push(2);
			t.addEventListener("x", () => { log.push(1); t.removeEventListener("x", g) }); t.addEventListener("x", g);
			t.dispatchEvent(new Event("x")); log.join()`, "1"},
		{"event state after dispatch", `const t = new EventTarget(), e = new Event("x"); let during;
			t.addEventListener("x", ev => during = [ev.currentTarget === t, ev.eventPhase, ev.composedPath().length].join("/"));
			t.dispatchEvent(e); [during, e.currentTarget, e.eventPhase, e.target === t, e.composedPath().length, e.isTrusted].join()`,
			"true/2/1,,0,true,0,false"},
		{"event being dispatched cannot be redispatched", `const t = new EventTarget(); let r;
			t.addEventListener("x", e => r = thrown(() => t.dispatchEvent(e))); t.dispatchEvent(new Event("x")); r`, "InvalidStateError(11)"},
		{"dispatchEvent needs an Event", `[thrown(() => new EventTarget().dispatchEvent({type: "x"})), thrown(() => new EventTarget().dispatchEvent())].join()`,
			"TypeError,TypeError"},
		{"callback must be an object", `[thrown(() => new EventTarget().addEventListener("x", 5)), thrown(() => new EventTarget().addEventListener("x", null))].join()`,
			"TypeError,no throw"},
		{"Event init", `const e = new Event("t", {bubbles: true, cancelable: 1}); [e.type, e.bubbles, e.cancelable, e.composed, e.defaultPrevented, Event.AT_TARGET, e.NONE].join()`,
			"t,true,true,false,false,2,0"},
		{"Event needs a type", `thrown(() => new Event())`, "TypeError"},
		{"subclass with private fields", `class Emitter extends EventTarget { #n = 0; ping() { this.#n++; this.dispatchEvent(new Event("ping")); return this.#n } }
			const em = new Emitter(); let got = 0; em.addEventListener("ping", () => got++); [em.ping(), got, em instanceof EventTarget].join()`, "1,1,true"},
	})
}

// fakeTimers is a Host.SetTimeout that fires only when told to.
type fakeTimers struct {
	pending []func()
	delays  []float64
}

func (f *fakeTimers) SetTimeout(ms float64, fn func()) func() {
	f.pending = append(f.pending, fn)
	f.delays = append(f.delays, ms)
	return func() {}
}

func (f *fakeTimers) fire() {
	p := f.pending
	f.pending = nil
	for _, fn := range p {
		fn()
	}
}

func TestAbortSignalTimeout(t *testing.T) {
	timers := &fakeTimers{}
	var reported []error
	rt := newVM(t, Host{SetTimeout: timers.SetTimeout, ReportError: func(err error) { reported = append(reported, err) }})
	if got := eval(t, rt, `var s = AbortSignal.timeout(25.9), log = [];
		s.onabort = () => { log.push(s.reason.name + ":" + s.reason.code); throw new Error("from listener") };
		s.addEventListener("abort", () => log.push("second"));
		[s.aborted, thrown(() => AbortSignal.timeout(-1)), thrown(() => AbortSignal.timeout(NaN)), thrown(() => AbortSignal.timeout())].join()`); got != "false,TypeError,TypeError,TypeError" {
		t.Fatalf("got %s", got)
	}
	if len(timers.delays) != 1 || timers.delays[0] != 25 {
		t.Fatalf("timers set: %v", timers.delays)
	}
	timers.fire()
	if got := eval(t, rt, `[s.aborted, log.join()].join()`); got != "true,TimeoutError:23,second" {
		t.Errorf("after the timer: %s", got)
	}
	var ex *goja.Exception
	if len(reported) != 1 || !errors.As(reported[0], &ex) || ex.Value().(*goja.Object).Get("message").String() != "from listener" {
		t.Errorf("reported: %v", reported)
	}
}

func TestReportError(t *testing.T) {
	var reported []error
	rt := newVM(t, Host{ReportError: func(err error) { reported = append(reported, err) }})
	if got := eval(t, rt, `const c = new AbortController(); c.signal.onabort = () => { throw new Error("x") }; thrown(() => c.abort())`); got != "no throw" {
		t.Errorf("abort() with ReportError set: %s", got)
	}
	if len(reported) != 1 {
		t.Errorf("reported %d errors, want 1", len(reported))
	}
}

// TestTimeoutInterrupted checks that an interrupt during a timer-driven
// dispatch reaches the host as an error, not as a panic.
func TestTimeoutInterrupted(t *testing.T) {
	timers := &fakeTimers{}
	var reported []error
	rt := newVM(t, Host{SetTimeout: timers.SetTimeout, ReportError: func(err error) { reported = append(reported, err) }})
	eval(t, rt, `AbortSignal.timeout(1).onabort = () => { for (;;) {} }`)
	rt.Interrupt("stop")
	timers.fire()
	var ie *goja.InterruptedError
	if len(reported) != 1 || !errors.As(reported[0], &ie) {
		t.Errorf("reported: %v", reported)
	}
}
