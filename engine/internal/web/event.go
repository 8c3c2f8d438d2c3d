package web

import "github.com/kiln-run/kiln/internal/goja"

// This file is a minimal DOM event model (https://dom.spec.whatwg.org/#events):
// enough for AbortSignal and for scripts that use EventTarget as an
// emitter. There is no tree, so every dispatch happens at the target.

// Event phases.
const (
	phaseNone     = 0
	phaseAtTarget = 2
)

// listener is one registered event listener.
type listener struct {
	typ                    string
	callback               *goja.Object // a function, or an object with handleEvent
	capture, once, passive bool
	handler                bool // set through an onX attribute, not addEventListener
	removed                bool
}

// targetState is an EventTarget's internal state.
type targetState struct {
	listeners []*listener
}

// eventTarget is implemented by the state of every kind of EventTarget.
type eventTarget interface{ target() *targetState }

func (t *targetState) target() *targetState { return t }

func (t *targetState) remove(l *listener) {
	l.removed = true
	for i, x := range t.listeners {
		if x == l {
			t.listeners = append(t.listeners[:i:i], t.listeners[i+1:]...)
			return
		}
	}
}

// eventState is an Event's internal state.
type eventState struct {
	typ                           string
	bubbles, cancelable, composed bool
	trusted                       bool
	target, currentTarget         *goja.Object
	phase                         int
	canceled                      bool
	stop, stopImmediate           bool
	dispatching, inPassive        bool
}

// eventTargetClass builds EventTarget.
func (r *realm) eventTargetClass() *classInfo {
	if r.eventTarget != nil {
		return r.eventTarget
	}
	c := r.class("EventTarget", 0, nil, func(this *goja.Object, _ int, _, _ goja.Value) *goja.Object {
		r.setState(this, &targetState{})
		return nil
	})
	r.eventTarget = c
	p := c.proto
	brand := func(call goja.FunctionCall) *targetState {
		t, ok := stateAs[eventTarget](r, call.This)
		if !ok {
			panic(r.typeError("Illegal invocation"))
		}
		return t.target()
	}
	r.method(p, "addEventListener", 2, func(call goja.FunctionCall) goja.Value {
		t := brand(call)
		r.requireArgs("Failed to execute 'addEventListener' on 'EventTarget'", call, 2)
		typ := r.toDOMString(call.Argument(0))
		cb := r.listenerCallback(call.Argument(1), "addEventListener")
		l := &listener{typ: typ, callback: cb}
		var signal *signalState
		switch opts := call.Argument(2).(type) {
		case *goja.Object:
			l.capture = get(opts, "capture").ToBoolean()
			l.once = get(opts, "once").ToBoolean()
			l.passive = get(opts, "passive").ToBoolean()
			if v := get(opts, "signal"); !goja.IsUndefined(v) {
				s, ok := stateAs[*signalState](r, v)
				if !ok {
					panic(r.typeError("Failed to execute 'addEventListener' on 'EventTarget': member signal is not of type 'AbortSignal'."))
				}
				signal = s
			}
		default:
			l.capture = opts.ToBoolean()
		}
		if cb == nil || signal != nil && signal.aborted {
			return goja.Undefined()
		}
		for _, x := range t.listeners {
			if !x.handler && x.typ == typ && x.callback == cb && x.capture == l.capture {
				return goja.Undefined()
			}
		}
		t.listeners = append(t.listeners, l)
		if signal != nil {
			signal.algorithms = append(signal.algorithms, func() { t.remove(l) })
		}
		return goja.Undefined()
	})
	r.method(p, "removeEventListener", 2, func(call goja.FunctionCall) goja.Value {
		t := brand(call)
		r.requireArgs("Failed to execute 'removeEventListener' on 'EventTarget'", call, 2)
		typ := r.toDOMString(call.Argument(0))
		cb := r.listenerCallback(call.Argument(1), "removeEventListener")
		capture := false
		if opts, ok := call.Argument(2).(*goja.Object); ok {
			capture = get(opts, "capture").ToBoolean()
		} else {
			capture = call.Argument(2).ToBoolean()
		}
		for _, x := range t.listeners {
			if !x.handler && x.typ == typ && x.callback == cb && x.capture == capture {
				t.remove(x)
				break
			}
		}
		return goja.Undefined()
	})
	r.method(p, "dispatchEvent", 1, func(call goja.FunctionCall) goja.Value {
		t := brand(call)
		r.requireArgs("Failed to execute 'dispatchEvent' on 'EventTarget'", call, 1)
		ev, ok := stateAs[*eventState](r, call.Argument(0))
		if !ok {
			panic(r.typeError("Failed to execute 'dispatchEvent' on 'EventTarget': parameter 1 is not of type 'Event'."))
		}
		if ev.dispatching {
			r.throwDOM("InvalidStateError", "The event is already being dispatched.")
		}
		ev.trusted = false
		if err := r.dispatch(call.This.(*goja.Object), t, call.Argument(0).(*goja.Object), ev); err != nil {
			panic(err)
		}
		return r.rt.ToValue(!ev.canceled)
	})
	return c
}

// listenerCallback converts an EventListener argument: null and undefined
// mean none (nil); any other non-object is a TypeError.
func (r *realm) listenerCallback(v goja.Value, what string) *goja.Object {
	if goja.IsUndefined(v) || goja.IsNull(v) {
		return nil
	}
	o, ok := v.(*goja.Object)
	if !ok {
		panic(r.typeError("Failed to execute '" + what + "' on 'EventTarget': parameter 2 is not of type 'Object'."))
	}
	return o
}

// dispatch dispatches ev at target. A listener that throws does not stop
// the others: its exception goes to Host.ReportError or, failing that, the
// first one is returned for the caller to rethrow once dispatch is over.
// Interrupts are not caught at all.
func (r *realm) dispatch(target *goja.Object, t *targetState, evObj *goja.Object, ev *eventState) error {
	ev.dispatching = true
	ev.target, ev.currentTarget, ev.phase = target, target, phaseAtTarget
	var first error
	// At the target, capturing listeners run before the others.
	for _, capture := range [2]bool{true, false} {
		if ev.stop {
			break
		}
		for _, l := range append([]*listener(nil), t.listeners...) {
			if l.removed || l.typ != ev.typ || l.capture != capture {
				continue
			}
			if l.once {
				t.remove(l)
			}
			ev.inPassive = l.passive
			err := r.callListener(l, target, evObj)
			ev.inPassive = false
			if err != nil && first == nil {
				first = err
			}
			if ev.stopImmediate {
				break
			}
		}
	}
	ev.dispatching, ev.currentTarget, ev.phase = false, nil, phaseNone
	ev.stop, ev.stopImmediate = false, false
	return first
}

// callListener calls one listener and reports what it throws. It returns
// the exception only when there is no Host.ReportError to take it.
func (r *realm) callListener(l *listener, target, evObj *goja.Object) error {
	ex := r.rt.Try(func() {
		if f, ok := goja.AssertFunction(l.callback); ok {
			r.call(f, target, evObj)
			return
		}
		f, ok := goja.AssertFunction(l.callback.Get("handleEvent"))
		if !ok {
			panic(r.typeError("The listener's handleEvent is not a function."))
		}
		r.call(f, l.callback, evObj)
	})
	if ex == nil {
		return nil
	}
	if r.host.ReportError != nil {
		r.host.ReportError(ex)
		return nil
	}
	return ex
}
