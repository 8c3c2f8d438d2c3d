package engine

import (
	_ "embed"
	"math"

	"github.com/dop251/goja"
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
	vm.guardSplit(proto)
	for _, m := range []string{"match", "matchAll", "search"} {
		vm.guardMethod(proto, m, func(vm *VM, _ goja.Value, _ []goja.Value) bool {
			vm.guardRegExp()
			return true
		})
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

// guardSplit guards String.prototype.split: splitting into single
// characters makes one value per character. An object separator is
// handled as the built-in's first steps do, each run once: its
// Symbol.split method, if it has one, is called with the receiver as it is
// (RegExp's is guarded itself, guardRegExp); else the receiver, the limit
// and the separator are converted, in that order, and the built-in gets the
// results, so that it reads nothing twice.
func (vm *VM) guardSplit(proto *goja.Object) {
	orig, length, ok := original(proto, "split")
	if !ok {
		return
	}
	const what = "String.prototype.split"
	f := vm.newNative("split", length, func(call goja.FunctionCall) goja.Value {
		if goja.IsUndefined(call.This) || goja.IsNull(call.This) {
			return orig(call) // the built-in throws
		}
		sep, limit := arg(call.Arguments, 0), arg(call.Arguments, 1)
		if sepObj, ok := sep.(*goja.Object); ok {
			if splitter := sepObj.GetSymbol(goja.SymSplit); splitter != nil && !goja.IsUndefined(splitter) && !goja.IsNull(splitter) {
				fn, ok := goja.AssertFunction(splitter)
				if !ok {
					panic(vm.rt.NewTypeError("%s is not a function", splitter.String()))
				}
				v, err := fn(sepObj, call.This, limit)
				if err != nil {
					panic(err)
				}
				return v
			}
			call.This = toStringArg(call.This)
			if !goja.IsUndefined(limit) {
				limit = vm.rt.ToValue(toUint32(limit))
			}
			sep = sep.ToString()
			call.Arguments = []goja.Value{sep, limit}
		}
		if s, ok := sep.(goja.String); ok && s.Length() == 0 {
			call.This = toStringArg(call.This)
			if !vm.chargeIf(stringLength(call.This)*valueBytes*2, what) {
				return goja.Undefined()
			}
		}
		return orig(call)
	})
	_ = proto.DefineDataProperty("split", f, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
}

// toUint32 is the spec's ToUint32.
func toUint32(v goja.Value) uint32 {
	f := v.ToFloat()
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return uint32(int64(math.Mod(math.Trunc(f), 1<<32)))
}
