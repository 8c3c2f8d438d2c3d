package web

import (
	"errors"
	"math"

	"github.com/kiln-run/kiln/internal/goja"
)

// abortGlobals are AbortController and AbortSignal
// (https://dom.spec.whatwg.org/#aborting-ongoing-activities), and the
// EventTarget and Event they are built on. All are built on first use.
var abortGlobals = []global{
	{name: "EventTarget", build: func(r *realm) goja.Value { return r.eventTargetClass().ctor }},
	{name: "Event", build: func(r *realm) goja.Value { return r.eventClass().ctor }},
	{name: "AbortSignal", build: func(r *realm) goja.Value { return r.abortSignalClass().ctor }},
	{name: "AbortController", build: func(r *realm) goja.Value { return r.abortControllerClass().ctor }},
}

// signalState is an AbortSignal's internal state.
type signalState struct {
	targetState
	aborted bool
	reason  goja.Value
	// algorithms run when the signal aborts, before the abort event; a
	// listener added with {signal} is removed by one.
	algorithms []func()
	onabort    *listener
	// A signal made by AbortSignal.any is dependent: it follows its sources
	// (never themselves dependent) and aborts when the first of them does.
	dependent  bool
	sources    []*signalState
	dependents []*signalRef
}

type signalRef struct {
	obj *goja.Object
	s   *signalState
}

// controllerState is an AbortController's internal state.
type controllerState struct {
	signal signalRef
}

// abortSignalClass builds AbortSignal, which scripts cannot construct.
func (r *realm) abortSignalClass() *classInfo {
	if r.abortSignal != nil {
		return r.abortSignal
	}
	c := r.class("AbortSignal", 0, r.eventTargetClass(), nil)
	r.abortSignal = c
	p := c.proto
	brand := func(call goja.FunctionCall) *signalState {
		s, ok := stateAs[*signalState](r, call.This)
		if !ok {
			panic(r.typeError("Illegal invocation"))
		}
		return s
	}
	r.getter(p, "aborted", func(call goja.FunctionCall) goja.Value { return r.rt.ToValue(brand(call).aborted) })
	r.getter(p, "reason", func(call goja.FunctionCall) goja.Value {
		if s := brand(call); s.reason != nil {
			return s.reason
		}
		return goja.Undefined()
	})
	r.method(p, "throwIfAborted", 0, func(call goja.FunctionCall) goja.Value {
		if s := brand(call); s.aborted {
			panic(s.reason)
		}
		return goja.Undefined()
	})
	r.accessor(p, "onabort", func(call goja.FunctionCall) goja.Value {
		if s := brand(call); s.onabort != nil {
			return s.onabort.callback
		}
		return goja.Null()
	}, func(call goja.FunctionCall) goja.Value {
		s := brand(call)
		var fn *goja.Object
		if _, ok := goja.AssertFunction(call.Argument(0)); ok {
			fn = call.Argument(0).(*goja.Object)
		}
		switch {
		case s.onabort != nil && fn != nil:
			s.onabort.callback = fn // keeps its place among the listeners
		case s.onabort != nil:
			s.remove(s.onabort)
			s.onabort = nil
		case fn != nil:
			s.onabort = &listener{typ: "abort", callback: fn, handler: true}
			s.listeners = append(s.listeners, s.onabort)
		}
		return goja.Undefined()
	})
	r.method(c.ctor, "abort", 0, func(call goja.FunctionCall) goja.Value {
		obj, s := r.newSignal()
		s.aborted, s.reason = true, r.abortReason(call.Argument(0))
		return obj
	})
	r.method(c.ctor, "any", 1, func(call goja.FunctionCall) goja.Value {
		r.requireArgs("Failed to execute 'any' on 'AbortSignal'", call, 1)
		var signals []*signalState
		for _, o := range r.objectSequence(call.Argument(0), "signals") {
			s, ok := stateAs[*signalState](r, o)
			if !ok {
				panic(r.typeError("Failed to execute 'any' on 'AbortSignal': Failed to convert value to 'AbortSignal'."))
			}
			signals = append(signals, s)
		}
		return r.anySignal(signals)
	})
	r.method(c.ctor, "timeout", 1, func(call goja.FunctionCall) goja.Value {
		r.requireArgs("Failed to execute 'timeout' on 'AbortSignal'", call, 1)
		ms := call.Argument(0).ToFloat()
		if math.IsNaN(ms) || math.IsInf(ms, 0) || ms <= -1 || ms >= 1<<53 {
			panic(r.typeError("Failed to execute 'timeout' on 'AbortSignal': Value is outside the 'unsigned long long' value range."))
		}
		if r.host.SetTimeout == nil {
			r.throwDOM("NotSupportedError", "AbortSignal.timeout is not supported here.")
		}
		obj, s := r.newSignal()
		r.host.SetTimeout(math.Trunc(ms), func() { r.timedOut(obj, s) })
		return obj
	})
	return c
}

// newSignal makes a new, unaborted AbortSignal.
func (r *realm) newSignal() (*goja.Object, *signalState) {
	s := &signalState{}
	o := r.instance(r.abortSignalClass())
	r.setState(o, s)
	return o, s
}

// abortReason is reason, or a new AbortError if it is undefined.
func (r *realm) abortReason(reason goja.Value) goja.Value {
	if reason == nil || goja.IsUndefined(reason) {
		return r.newDOMException("signal is aborted without reason", "AbortError")
	}
	return reason
}

// anySignal implements AbortSignal.any.
func (r *realm) anySignal(signals []*signalState) *goja.Object {
	obj, res := r.newSignal()
	for _, s := range signals {
		if s.aborted {
			res.aborted, res.reason = true, s.reason
			return obj
		}
	}
	res.dependent = true
	self := &signalRef{obj: obj, s: res}
	link := func(src *signalState) {
		for _, x := range res.sources {
			if x == src {
				return
			}
		}
		res.sources = append(res.sources, src)
		src.dependents = append(src.dependents, self)
	}
	for _, s := range signals {
		if !s.dependent {
			link(s)
			continue
		}
		for _, src := range s.sources {
			link(src)
		}
	}
	return obj
}

// signalAbort aborts the signal and the signals that depend on it. It
// returns the first exception a listener threw, for the caller to rethrow,
// if there is no Host.ReportError to take it.
func (r *realm) signalAbort(obj *goja.Object, s *signalState, reason goja.Value) error {
	if s.aborted {
		return nil
	}
	s.aborted, s.reason = true, r.abortReason(reason)
	var deps []*signalRef
	for _, d := range s.dependents {
		if !d.s.aborted {
			d.s.aborted, d.s.reason = true, s.reason
			deps = append(deps, d)
		}
	}
	s.dependents = nil
	first := r.abortSteps(obj, s)
	for _, d := range deps {
		d.s.sources = nil
		if err := r.abortSteps(d.obj, d.s); first == nil {
			first = err
		}
	}
	return first
}

// abortSteps runs the signal's abort algorithms and fires its abort event.
func (r *realm) abortSteps(obj *goja.Object, s *signalState) error {
	algorithms := s.algorithms
	s.algorithms = nil
	for _, a := range algorithms {
		a()
	}
	// With no listener nobody could see the event, so skip making one:
	// aborting is common, listening less so.
	for _, l := range s.listeners {
		if l.typ == "abort" {
			evObj, ev := r.newEvent("abort")
			return r.dispatch(obj, &s.targetState, evObj, ev)
		}
	}
	return nil
}

var errInternal = errors.New("web: internal error")

// timedOut aborts a signal made by AbortSignal.timeout. The host calls it
// from its event loop, outside any script call, so nothing may escape it:
// exceptions go to Host.ReportError, or nowhere if there is none.
func (r *realm) timedOut(obj *goja.Object, s *signalState) {
	var err error
	defer func() {
		if x := recover(); x != nil {
			err, _ = x.(error)
			if err == nil {
				err = errInternal
			}
		}
		if err != nil && r.host.ReportError != nil {
			r.host.ReportError(err)
		}
	}()
	if ex := r.rt.Try(func() {
		err = r.signalAbort(obj, s, r.newDOMException("signal timed out", "TimeoutError"))
	}); ex != nil {
		err = ex
	}
}

// abortControllerClass builds AbortController.
func (r *realm) abortControllerClass() *classInfo {
	if r.abortCtl != nil {
		return r.abortCtl
	}
	c := r.class("AbortController", 0, nil, func(this *goja.Object, _ int, _, _ goja.Value) *goja.Object {
		obj, s := r.newSignal()
		r.setState(this, &controllerState{signal: signalRef{obj: obj, s: s}})
		return nil
	})
	r.abortCtl = c
	brand := func(call goja.FunctionCall) *controllerState {
		s, ok := stateAs[*controllerState](r, call.This)
		if !ok {
			panic(r.typeError("Illegal invocation"))
		}
		return s
	}
	r.getter(c.proto, "signal", func(call goja.FunctionCall) goja.Value { return brand(call).signal.obj })
	r.method(c.proto, "abort", 0, func(call goja.FunctionCall) goja.Value {
		sig := brand(call).signal
		if err := r.signalAbort(sig.obj, sig.s, call.Argument(0)); err != nil {
			panic(err)
		}
		return goja.Undefined()
	})
	return c
}
