package engine

import (
	"errors"
	"time"

	"github.com/kiln-run/kiln/internal/goja"
)

// maxTimerMs is the longest delay browsers honour (2^31-1 ms); longer ones
// are clamped rather than overflowing.
const maxTimerMs = 2147483647

// installTimers defines setTimeout, setInterval, clearTimeout,
// clearInterval and queueMicrotask on the invocation's event loop.
func (vm *VM) installTimers() {
	rt := vm.rt
	schedule := func(repeat bool) func(goja.FunctionCall) goja.Value {
		return func(call goja.FunctionCall) goja.Value {
			fn, ok := goja.AssertFunction(call.Argument(0))
			if !ok {
				if isString(call.Argument(0)) {
					vm.interrupt(Errorf(CodeSandboxViolation, "setTimeout/setInterval with a string would evaluate code, which Kiln scripts may not do; pass a function"))
					return goja.Undefined()
				}
				panic(rt.NewTypeError("the first argument of setTimeout/setInterval must be a function"))
			}
			if vm.inv == nil {
				return rt.ToValue(0)
			}
			ms := call.Argument(1).ToFloat()
			if !(ms > 0) { // also catches NaN
				ms = 0
			}
			delay := time.Duration(min(ms, maxTimerMs) * float64(time.Millisecond))
			var interval time.Duration
			if repeat {
				// Browsers clamp intervals; a zero interval would spin.
				interval = max(delay, time.Millisecond)
			}
			var args []goja.Value
			if len(call.Arguments) > 2 {
				args = append(args, call.Arguments[2:]...)
			}
			return rt.ToValue(vm.inv.loop.addTimer(delay, interval, call.Argument(0), fn, args))
		}
	}
	clear := func(call goja.FunctionCall) goja.Value {
		if vm.inv != nil {
			vm.inv.loop.clearTimer(int(call.Argument(0).ToInteger()))
		}
		return goja.Undefined()
	}
	_ = rt.Set("setTimeout", schedule(false))
	_ = rt.Set("setInterval", schedule(true))
	_ = rt.Set("clearTimeout", clear)
	_ = rt.Set("clearInterval", clear)

	// queueMicrotask rides on the promise job queue; an exception in the
	// callback fails the invocation like an uncaught error, not as a
	// rejection.
	resolved := rt.ToValue(vm.promise.Get("resolve")).ToObject(rt)
	resolve, _ := goja.AssertFunction(resolved)
	_ = rt.Set("queueMicrotask", func(call goja.FunctionCall) goja.Value {
		fn, ok := goja.AssertFunction(call.Argument(0))
		if !ok {
			panic(rt.NewTypeError("queueMicrotask needs a function"))
		}
		p, err := resolve(vm.promise)
		if err != nil {
			panic(err)
		}
		then, _ := goja.AssertFunction(p.ToObject(rt).Get("then"))
		_, err = then(p, rt.ToValue(func(goja.FunctionCall) goja.Value {
			if _, err := fn(goja.Undefined()); err != nil && vm.inv != nil {
				var ex *goja.Exception
				if errors.As(err, &ex) {
					vm.inv.interrupt(vm.errorFromValue(ex.Value()))
				} else {
					panic(err)
				}
			}
			return goja.Undefined()
		}))
		if err != nil {
			panic(err)
		}
		return goja.Undefined()
	})
}

// installPerformance defines performance.now(): milliseconds since the VM
// was created, read from the injected clock.
func (vm *VM) installPerformance() {
	rt := vm.rt
	perf := rt.NewObject()
	_ = perf.Set("now", func() float64 {
		return float64(vm.now().Sub(vm.started)) / float64(time.Millisecond)
	})
	_ = perf.Set("timeOrigin", float64(vm.started.UnixNano())/1e6)
	_ = rt.Set("performance", perf)
}
