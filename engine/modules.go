package engine

import (
	"context"
	"strconv"
	"strings"

	"github.com/kiln-run/kiln/internal/goja"
)

// installModules exposes every host function at its dotted name. Each call
// converts its arguments to plain Go values and goes through the gate.
func (vm *VM) installModules(modules []Module) error {
	rt := vm.rt
	for _, m := range modules {
		for _, f := range m.Funcs {
			parts := strings.Split(f.Name, ".")
			obj := rt.GlobalObject()
			for _, p := range parts[:len(parts)-1] {
				next, ok := obj.Get(p).(*goja.Object)
				if !ok {
					next = rt.NewObject()
					_ = obj.Set(p, next)
				}
				obj = next
			}
			_ = obj.Set(parts[len(parts)-1], vm.hostFunction(f))
		}
	}
	if vm.task != nil && !vm.task.recordOnly && !vm.task.cfg.ForExecution {
		vm.installTaskModule()
	}
	return nil
}

func (vm *VM) hostFunction(f HostFunc) func(goja.FunctionCall) goja.Value {
	rt := vm.rt
	return func(call goja.FunctionCall) goja.Value {
		inv := vm.inv
		if inv == nil {
			panic(vm.jsError(Errorf(CodeInvalidArgument, "%s can only be called while the handler runs", f.Name)))
		}
		args := make([]any, len(call.Arguments))
		budget := &argBudget{vm: vm, what: f.Name, left: smallAllocation}
		for i, a := range call.Arguments {
			v, e := fromJS(a, budget)
			if e != nil {
				e.Message = f.Name + ": argument " + strconv.Itoa(i+1) + ": " + e.Message
				if f.Async {
					return vm.rejected(e)
				}
				panic(vm.jsError(e))
			}
			args[i] = v
		}
		if !f.Async {
			var (
				result any
				err    *Error
			)
			if vm.task != nil && !f.Output {
				result, err = vm.task.syncCall(inv.context(), inv, f, args)
			} else {
				result, err = vm.gate.call(inv.context(), inv, f, args)
			}
			if err != nil {
				panic(vm.jsError(err))
			}
			return vm.resultToJS(result)
		}
		promise, resolve, reject := rt.NewPromise()
		vm.callAsync(inv.context(), inv, f, args, func(result any, err *Error) error {
			if err != nil {
				return reject(vm.jsError(err))
			}
			return resolve(vm.resultToJS(result))
		})
		return rt.ToValue(promise)
	}
}

// resultToJS converts a host function's result. Bytes become an
// ArrayBuffer, whose prototype leads to the ArrayBuffer constructor: its
// guard is installed first.
func (vm *VM) resultToJS(result any) goja.Value {
	if containsBytes(result, 0) {
		vm.guardedConstructor("ArrayBuffer")
	}
	return toJS(vm.rt, result)
}

// containsBytes reports whether toJS would make an ArrayBuffer from v.
func containsBytes(v any, depth int) bool {
	if depth > maxJSONNesting {
		return true // toJS would go on; assume the worst
	}
	switch x := v.(type) {
	case []byte:
		return true
	case []any:
		for _, e := range x {
			if containsBytes(e, depth+1) {
				return true
			}
		}
	case []map[string]any:
		for _, e := range x {
			if containsBytes(e, depth+1) {
				return true
			}
		}
	case map[string]any:
		for _, e := range x {
			if containsBytes(e, depth+1) {
				return true
			}
		}
	}
	return false
}

// callAsync runs f through the gate off the VM's goroutine and hands the
// outcome to settle on the invocation's loop, which waits for it. If the
// invocation ends first, settle never runs: a late result cannot touch the
// VM. ctx should end with the invocation (inv.context() or a child).
func (vm *VM) callAsync(ctx context.Context, inv *invocation, f HostFunc, args []any, settle func(result any, err *Error) error) {
	if vm.task != nil {
		vm.task.asyncCall(ctx, inv, f, args, settle, decodeAnyErr)
		return
	}
	complete := inv.loop.reserve()
	go func() {
		result, err := vm.gate.call(ctx, inv, f, args)
		complete(func() error { return settle(result, err) })
	}()
}

// jsError builds the JS Error a script sees for e: message and a stable
// code, made with goja's own Error constructor (globals.go), which no
// script can replace.
func (vm *VM) jsError(e *Error) *goja.Object {
	if vm.errorCtor == nil {
		vm.errorCtor, _ = goja.AssertConstructor(vm.scope.builtin("Error"))
	}
	obj, err := vm.errorCtor(nil, vm.rt.ToValue(e.Message))
	if err != nil {
		obj = vm.rt.NewObject()
		_ = obj.Set("message", e.Message)
	}
	_ = obj.Set("code", string(e.Code))
	return obj
}

func (vm *VM) rejected(e *Error) goja.Value {
	p, _, reject := vm.rt.NewPromise()
	_ = reject(vm.jsError(e))
	return vm.rt.ToValue(p)
}
