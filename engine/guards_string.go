package engine

import (
	_ "embed"
	"math"

	"github.com/kiln-run/kiln/internal/goja"
)

// guardStrings guards String.prototype: the methods whose result length
// the arguments decide, the iterator, and the methods that make a RegExp
// from a string (the RegExp guard must be in place first).
func (vm *VM) guardStrings() {
	proto := vm.rt.ToValue("").ToObject(vm.rt).Prototype()
	// Each guard converts what it measures (the receiver, a count, the
	// strings to concatenate) once, and passes the converted value on.
	vm.guardStringMethod(proto, "repeat", func(vm *VM, call *goja.FunctionCall) bool {
		call.This = toStringArg(call.This)
		count := toNumberArg(arg(call.Arguments, 0))
		call.Arguments = withArg(call.Arguments, 0, count)
		if c := count.ToFloat(); c < 0 || math.IsInf(c, 1) {
			return true // a RangeError, before any work
		}
		return vm.chargeIf(stringLength(call.This)*toCount(count), "String.prototype.repeat")
	})
	for _, m := range []string{"padStart", "padEnd"} {
		what := "String.prototype." + m
		vm.guardStringMethod(proto, m, func(vm *VM, call *goja.FunctionCall) bool {
			call.This = toStringArg(call.This)
			n := toNumberArg(arg(call.Arguments, 0))
			call.Arguments = withArg(call.Arguments, 0, n)
			return vm.chargeIf(toCount(n), what)
		})
	}
	vm.guardStringMethod(proto, "concat", func(vm *VM, call *goja.FunctionCall) bool {
		call.This = toStringArg(call.This)
		n := stringLength(call.This)
		args := make([]goja.Value, len(call.Arguments))
		for i, a := range call.Arguments {
			args[i] = toStringArg(a)
			n += stringLength(args[i])
		}
		call.Arguments = args
		return vm.chargeIf(n, "String.prototype.concat")
	})
	for _, m := range []string{"match", "matchAll", "search"} {
		what := "String.prototype." + m
		vm.guardMethod(proto, m, func(vm *VM, _ goja.Value, a []goja.Value) bool {
			vm.guardRegExp()
			// A string pattern is compiled (guards_regexp.go).
			return vm.chargePattern(arg(a, 0), what)
		})
	}
	vm.guardStringSearches(proto)
	vm.guardLocaleCompare(proto)
	if str, ok := proto.Get("constructor").(*goja.Object); ok {
		vm.guardStringStatics(str)
	}
	// Number, like String, is reached from any of its values.
	if num := vm.scope.builtin("Number"); num != nil {
		if orig, length, ok := original(num, "parseFloat"); ok {
			f := vm.newNative("parseFloat", length, vm.parseFloat(orig))
			_ = num.DefineDataProperty("parseFloat", f, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
		}
	}
	if orig, length, ok := originalSymbol(proto, goja.SymIterator); ok {
		f := vm.newNative("[Symbol.iterator]", length, func(call goja.FunctionCall) goja.Value {
			if goja.IsUndefined(call.This) || goja.IsNull(call.This) {
				return orig(call) // the built-in throws
			}
			call.This = toStringArg(call.This)
			if !vm.chargeIf(stringLength(call.This)*valueBytes*2, "String.prototype[Symbol.iterator]") {
				return goja.Undefined()
			}
			return orig(call)
		})
		_ = proto.DefineDataPropertySymbol(goja.SymIterator, f, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	}
}

// guardStringMethod replaces obj[name] with a copy that first runs chk,
// which may convert the call's receiver and arguments in place. A null or
// undefined receiver goes straight to the original, which throws.
func (vm *VM) guardStringMethod(obj *goja.Object, name string, chk func(vm *VM, call *goja.FunctionCall) bool) {
	orig, length, ok := original(obj, name)
	if !ok {
		return
	}
	f := vm.newNative(name, length, func(call goja.FunctionCall) goja.Value {
		if goja.IsUndefined(call.This) || goja.IsNull(call.This) {
			return orig(call)
		}
		if !chk(vm, &call) {
			return goja.Undefined()
		}
		return orig(call)
	})
	_ = obj.DefineDataProperty(name, f, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
}
