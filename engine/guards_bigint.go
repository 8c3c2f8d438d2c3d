package engine

import (
	"github.com/kiln-run/kiln/internal/goja"
)

// Guards on BigInt. BigInt.asUintN(bits, x) and asIntN compute 2^bits
// whatever x is: BigInt.asUintN(2 ** 40, 1n) asks Go for 128 GiB at once,
// which kills the process. They are charged bits / 8 first.
//
// BigInt is guarded before a script can hold a BigInt: when the global is
// resolved, when a program has a BigInt literal (syntax.go), and with
// BigInt64Array, BigUint64Array and DataView, whose elements can be BigInts.

// guardBigInt installs the guards, once.
func (vm *VM) guardBigInt() {
	if vm.guarded.bigint {
		return
	}
	vm.guarded.bigint = true
	b := vm.scope.builtin("BigInt")
	if b == nil {
		return
	}
	for _, name := range []string{"asIntN", "asUintN"} {
		orig, length, ok := original(b, name)
		if !ok {
			continue
		}
		what := "BigInt." + name
		f := vm.newNative(name, length, func(call goja.FunctionCall) goja.Value {
			// bits is converted once, here, and passed on as a number.
			bits := toNumberArg(arg(call.Arguments, 0))
			call.Arguments = withArg(call.Arguments, 0, bits)
			if n := toCount(bits); n <= maxSafeInteger && !vm.chargeIf(n/8, what) { // past it: ToIndex's RangeError
				return goja.Undefined()
			}
			return orig(call)
		})
		_ = b.DefineDataProperty(name, f, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	}
}
