package engine

import (
	_ "embed"
	"strconv"
	"sync"

	"github.com/kiln-run/kiln/internal/goja"
)

// The guarded ArrayBuffer and typed array constructors, made by the
// sandbox prelude (prelude.js) around goja's originals.

// typedArrays are the typed array constructors and their element sizes.
var typedArrays = map[string]int{
	"Int8Array": 1, "Uint8Array": 1, "Uint8ClampedArray": 1, "Int16Array": 2, "Uint16Array": 2,
	"Int32Array": 4, "Uint32Array": 4, "Float32Array": 4, "Float64Array": 8,
	"BigInt64Array": 8, "BigUint64Array": 8,
}

//go:embed prelude.js
var preludeSource string

// preludeProgram is compiled once per process; a goja.Program is immutable
// and may run in many runtimes.
var preludeProgram = sync.OnceValue(func() *goja.Program {
	return goja.MustCompile("kiln:prelude.js", preludeSource, true)
})

// guardedConstructor returns the guarded ArrayBuffer or typed array
// constructor name (guarding it first), or nil if name is neither. Any
// typed array leads to an ArrayBuffer (`.buffer.constructor`), so guarding
// one guards ArrayBuffer too.
func (vm *VM) guardedConstructor(name string) *goja.Object {
	if g := vm.guarded.ctors[name]; g != nil {
		return g
	}
	size := typedArrays[name]
	if size == 0 && name != "ArrayBuffer" {
		return nil
	}
	if name != "ArrayBuffer" {
		vm.guardedConstructor("ArrayBuffer")
		if size == 8 && name != "Float64Array" {
			vm.guardBigInt() // its elements are BigInts
		}
	} else {
		size = 1
	}
	if vm.guarded.ctors == nil {
		vm.guarded.ctors = map[string]*goja.Object{}
	}
	if vm.guarded.makeGuard == nil {
		vm.guarded.makeGuard = vm.preludeGuardMaker()
	}
	orig := vm.scope.builtin(name)
	ab := vm.scope.builtin("ArrayBuffer")
	if name != "ArrayBuffer" && vm.guarded.typedArrayLength == nil {
		// No script has seen %TypedArray%.prototype yet: its length getter
		// is the original, which plainLength trusts.
		if proto, ok := orig.Get("prototype").(*goja.Object); ok && proto.Prototype() != nil {
			typedArrayProto := proto.Prototype()
			if d := vm.ownDescriptor(typedArrayProto, "length"); d != nil {
				vm.guarded.typedArrayLength, _ = d.Get("get").(*goja.Object)
			}
			vm.guardTypedArrayPrototype(proto.Prototype())
			// %TypedArray%.prototype.toString is the very function
			// Array.prototype.toString is: the guarded one, which also
			// charges a typed array's join.
			if toString := vm.plain.array.Get("toString"); toString != nil {
				_ = typedArrayProto.DefineDataProperty("toString", toString, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
			}
		}
	}
	rt := vm.rt
	v, err := vm.guarded.makeGuard(goja.Undefined(), orig, rt.ToValue(name), rt.ToValue(size), ab)
	if err != nil {
		panic(err)
	}
	g := v.(*goja.Object)
	// Every route back to the original constructor is redirected to the
	// guard: the prototype's constructor link (reached from any instance);
	// the static members are copies, the [[Prototype]] is the original's.
	_ = g.DefineDataProperty("name", rt.ToValue(name), goja.FLAG_FALSE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	_ = g.DefineDataProperty("length", orig.Get("length"), goja.FLAG_FALSE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	proto, _ := orig.Get("prototype").(*goja.Object)
	_ = g.DefineDataProperty("prototype", proto, goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_FALSE)
	_ = g.SetPrototype(orig.Prototype())
	for _, key := range orig.GetOwnPropertyNames() {
		switch key {
		case "prototype", "name", "length":
		case "BYTES_PER_ELEMENT":
			_ = g.DefineDataProperty(key, orig.Get(key), goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_FALSE)
		default:
			_ = g.DefineDataProperty(key, orig.Get(key), goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
		}
	}
	if name == "ArrayBuffer" {
		_ = g.DefineAccessorPropertySymbol(goja.SymSpecies, vm.speciesGetter(), nil, goja.FLAG_TRUE, goja.FLAG_FALSE)
	}
	_ = proto.DefineDataProperty("constructor", g, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	vm.guarded.ctors[name] = g
	return g
}

// speciesGetter is `get [Symbol.species]() { return this }`, shared by the
// guarded constructors.
func (vm *VM) speciesGetter() *goja.Object {
	if vm.guarded.species == nil {
		vm.guarded.species = vm.newNative("get [Symbol.species]", nil, func(call goja.FunctionCall) goja.Value { return call.This })
	}
	return vm.guarded.species
}

// preludeGuardMaker runs the prelude, which returns the function that
// makes a guarded constructor (in JavaScript: only a JS function can tell
// `new C()` from `C()` and pass new.target on). Everything it uses comes
// from natives the engine passes in, never from a global a script could
// have replaced.
func (vm *VM) preludeGuardMaker() goja.Callable {
	rt := vm.rt
	k := rt.NewObject()
	_ = k.Set("size", func(call goja.FunctionCall) goja.Value {
		// size(args, bytesPerElement, ArrayBuffer, name): the bytes
		// new C(...args) asks for. args is the prelude's own arguments
		// object: an argument measured here is replaced in it by what the
		// constructor must see, so that it reads what was measured (an
		// array-like's pinned length, a size's number).
		args, _ := arg(call.Arguments, 0).(*goja.Object)
		if args == nil {
			return rt.ToValue(0)
		}
		a0, per := args.Get("0"), arg(call.Arguments, 1).ToFloat()
		if a0 == nil {
			return rt.ToValue(0)
		}
		switch x := a0.(type) {
		case *goja.Object:
			if ab, ok := arg(call.Arguments, 2).(*goja.Object); ok && vm.isInstance(x, ab) {
				return rt.ToValue(0)
			}
			if arg(call.Arguments, 3).String() == "ArrayBuffer" {
				// new ArrayBuffer(length) converts an object to a number.
				n := x.ToNumber()
				_ = args.Set("0", n)
				return rt.ToValue(allocatable(toCount(n), per))
			}
			pinned, n := vm.arrayLike(x)
			if pinned != a0 {
				_ = args.Set("0", pinned)
			}
			return rt.ToValue(allocatable(n, per))
		case goja.String:
			return rt.ToValue(allocatable(toCount(x), per))
		}
		if goja.IsUndefined(a0) || goja.IsNull(a0) {
			return rt.ToValue(0)
		}
		if _, isSym := a0.(*goja.Symbol); isSym {
			return rt.ToValue(0)
		}
		return rt.ToValue(allocatable(toCount(a0), per))
	})
	// A size past 2^53 - 1 is ToIndex's RangeError, which the
	// constructor throws before it allocates: such a size is not charged.
	_ = k.Set("charge", func(n float64, per float64, what string) bool {
		return n/max(per, 1) > maxSafeInteger || vm.chargeIf(n, what)
	})
	_ = k.Set("notNew", func(call goja.FunctionCall) goja.Value {
		panic(rt.NewTypeError("Constructor %s requires 'new'", arg(call.Arguments, 0).String()))
	})
	_ = k.Set("construct", func(call goja.FunctionCall) goja.Value {
		// construct(C, newTarget, arguments): the prelude's own arguments
		// object, whose elements no script can change.
		c, _ := goja.AssertConstructor(arg(call.Arguments, 0))
		nt, _ := arg(call.Arguments, 1).(*goja.Object)
		list, _ := arg(call.Arguments, 2).(*goja.Object)
		if c == nil || nt == nil || list == nil {
			panic(rt.NewTypeError("Illegal constructor"))
		}
		n := int(list.Get("length").ToInteger())
		vals := make([]goja.Value, n)
		for i := range vals {
			vals[i] = list.Get(strconv.Itoa(i))
		}
		o, err := c(nt, vals...)
		if err != nil {
			panic(err)
		}
		return o
	})
	v, err := rt.RunProgram(preludeProgram())
	if err != nil {
		panic(err)
	}
	setup, _ := goja.AssertFunction(v)
	made, err := setup(goja.Undefined(), k)
	if err != nil {
		panic(err)
	}
	f, _ := goja.AssertFunction(made)
	return f
}

// allocatable is the bytes n elements of per bytes take, or 0 when no
// buffer can hold them: the built-in refuses those itself with the
// language's RangeError, which a script can catch, so the guard leaves
// them to it. That is a count past 2^53 - 1 or infinite (ToIndex), and
// 2^48 bytes or more: the most Go allocates on a 64-bit platform, past
// which goja's allocation fails into a RangeError (a smaller one would be
// attempted, so it is charged).
func allocatable(n, per float64) float64 {
	const maxCount, maxBytes = 1<<53 - 1, 1 << 48
	if b := n * per; n <= maxCount && b < maxBytes {
		return b
	}
	return 0
}

// isInstance reports whether ctor.prototype is on o's prototype chain,
// without running any script code (a proxy ends the walk).
func (vm *VM) isInstance(o, ctor *goja.Object) bool {
	proto, _ := ctor.Get("prototype").(*goja.Object)
	if proto == nil {
		return false
	}
	for i := 0; i < 64 && o != nil; i++ {
		if o.ExportType() == proxyType {
			return false
		}
		o = o.Prototype()
		if o == proto {
			return true
		}
	}
	return false
}
