package engine

import (
	_ "embed"
	"math"
	"reflect"
	"strconv"
	"sync"
	"time"

	"github.com/dop251/goja"
	"github.com/dop251/goja/parser"
)

// Guarded built-ins. goja cannot interrupt a single native call, so any
// built-in whose one call can allocate (or loop) in proportion to a number
// the script chooses is checked against the invocation's remaining memory
// budget first: `'x'.repeat(2**30)`, `new Array(2**32 - 1).join()`,
// `new Float64Array(2**28)`. Small sizes skip the check to keep hot paths
// fast.
//
// A guard replaces the built-in's function object with a native one that
// runs the check and then the original's Go implementation directly (taken
// from the original with Export, so the original function object itself is
// dropped). The checks are Go: nothing a script can replace — Number,
// Math.floor, Reflect.apply — takes part in deciding a size.
//
// Which guards exist when is the sandbox's memory trade-off (globals.go):
// the prototypes every script reaches without naming a global (Function,
// Array, String) are guarded when the VM is made; the others when their
// global is first resolved or, for the intrinsics only syntax creates, when
// the program's syntax needs them.

const (
	smallAllocation = 1 << 16 // sizes up to this skip the memory check
	valueBytes      = 16      // bytes of one goja value slot
)

// check inspects a guarded call before the original runs. It refuses the
// call by panicking (with a JS error) or by interrupting the invocation and
// returning false; the original must not run then, as nothing would stop it
// before it returns.
type check func(vm *VM, this goja.Value, args []goja.Value) bool

// native is a built-in's implementation: what a goja native function
// object exports.
type native = func(goja.FunctionCall) goja.Value

// original returns obj[name]'s implementation and length, or ok false if
// it is not a native function.
func original(obj *goja.Object, name string) (f native, length goja.Value, ok bool) {
	o, _ := obj.Get(name).(*goja.Object)
	if o == nil {
		return nil, nil, false
	}
	f, ok = o.Export().(native)
	return f, o.Get("length"), ok
}

// newNative makes a native function with the given name and length.
func (vm *VM) newNative(name string, length goja.Value, f native) *goja.Object {
	rt := vm.rt
	o := rt.ToValue(f).(*goja.Object)
	_ = o.DefineDataProperty("name", rt.ToValue(name), goja.FLAG_FALSE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	if length == nil {
		length = rt.ToValue(0)
	}
	_ = o.DefineDataProperty("length", length, goja.FLAG_FALSE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	return o
}

// guardNative returns a function that runs chk and then orig.
func (vm *VM) guardNative(name string, length goja.Value, orig native, chk check) *goja.Object {
	return vm.newNative(name, length, func(call goja.FunctionCall) goja.Value {
		if !chk(vm, call.This, call.Arguments) {
			return goja.Undefined()
		}
		return orig(call)
	})
}

// guardMethod replaces obj[name] with a guarded copy (writable,
// configurable, not enumerable, as built-in methods are) and returns it.
func (vm *VM) guardMethod(obj *goja.Object, name string, chk check) *goja.Object {
	orig, length, ok := original(obj, name)
	if !ok {
		return nil
	}
	f := vm.guardNative(name, length, orig, chk)
	_ = obj.DefineDataProperty(name, f, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	return f
}

// arrayLike measures v, an array-like a built-in is about to walk: it
// returns the length the built-in will read and the value to hand the
// built-in in v's place. A guard must never measure one length while the
// built-in reads another, so a length that script code decides — a getter,
// a Proxy trap, an object's valueOf, anywhere on the prototype chain — is
// read once here (running that code once, as the built-in would have), and
// v is replaced by a proxy that answers that same length to the built-in
// (pinLength). Arrays, strings and array-likes with a plain numeric length
// are measured without running any script code and passed on unchanged.
func (vm *VM) arrayLike(v goja.Value) (goja.Value, float64) {
	if s, ok := v.(goja.String); ok {
		return v, float64(s.Length())
	}
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return v, 0
	}
	obj := v.ToObject(vm.rt)
	if n, ok := vm.plainLength(obj); ok {
		return v, n
	}
	n := toLength(obj.Get("length"))
	return vm.pinLength(obj, n), n
}

// lengthOf is the length arrayLike measures, for guards that only charge:
// a length script code decides is not read (0), since the built-in will
// read it itself; such guards must be backed by a check the built-in's
// loop runs into (the array iterator's next).
func (vm *VM) lengthOf(v goja.Value) float64 {
	if s, ok := v.(goja.String); ok {
		return float64(s.Length())
	}
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return 0
	}
	n, _ := vm.plainLength(v.ToObject(vm.rt))
	return n
}

// pinElements reads obj[0…n-1] once each (running any getter once) into a
// new array, and returns it with the total length of its string elements.
// n is a length already charged for.
func (vm *VM) pinElements(obj *goja.Object, n int) (*goja.Object, float64) {
	vals := make([]any, n)
	size := 0.0
	for i := range vals {
		v := obj.Get(strconv.Itoa(i))
		if v == nil {
			v = goja.Undefined()
		}
		if s, ok := v.(goja.String); ok {
			size += float64(s.Length())
		}
		vals[i] = v
	}
	return vm.rt.NewArray(vals...), size
}

// pinNested copies obj[0…n-1] into a new array, keeping holes and reading
// each element once; elements that are arrays are copied the same way down
// depth more levels (flat flattens them away, so copies are not
// observable). Every length is charged to *used; nil when the budget ran
// out (the invocation is interrupted).
func (vm *VM) pinNested(obj *goja.Object, n, depth float64, used *float64, what string, level int) *goja.Object {
	if level > maxJoinDepth {
		panic(vm.rangeError(what + ": arrays are nested more than 1000 levels deep"))
	}
	out := vm.rt.NewArray()
	for i := 0; i < int(n); i++ {
		key := strconv.Itoa(i)
		v := obj.Get(key)
		if v == nil {
			continue // a hole stays a hole
		}
		if eo, ok := v.(*goja.Object); ok && depth >= 1 && eo.ClassName() == "Array" {
			en := toLength(eo.Get("length"))
			*used += en
			if !vm.chargeIf(*used*valueBytes, what) {
				return nil
			}
			inner := vm.pinNested(eo, en, depth-1, used, what, level+1)
			if inner == nil {
				return nil
			}
			v = inner
		}
		_ = out.Set(key, v)
	}
	_ = out.Set("length", n)
	return out
}

// toDepth is flat's depth argument (ToIntegerOrInfinity).
func toDepth(v goja.Value) float64 {
	f := v.ToFloat()
	if math.IsNaN(f) || f < 0 {
		return 0
	}
	return math.Floor(f)
}

// toLength is the spec's ToLength, for a length read once.
func toLength(v goja.Value) float64 {
	if v == nil {
		return 0
	}
	if f := v.ToFloat(); f > 0 {
		return math.Min(math.Floor(f), 1<<53-1)
	}
	return 0
}

// plainLength returns obj.length when reading it runs no script code, and
// ok false otherwise: obj or an object on its prototype chain is a Proxy,
// or the length property found is an accessor (other than the typed
// arrays' own getter) or holds an object.
func (vm *VM) plainLength(obj *goja.Object) (float64, bool) {
	if obj.ClassName() == "Array" {
		// An array's length is its own data property, a number; a Go slice
		// or dynamic array answers from Go.
		return toLength(obj.Get("length")), true
	}
	for o, depth := obj, 0; o != nil; o, depth = o.Prototype(), depth+1 {
		if o.ExportType() == proxyType || depth > maxPrototypeDepth {
			return 0, false
		}
		d := vm.ownDescriptor(o, "length")
		if d == nil {
			continue
		}
		for _, k := range d.Keys() { // own keys only: Object.prototype may have a "get"
			switch k {
			case "value":
				if isObject(d.Get("value")) {
					return 0, false
				}
				return toLength(d.Get("value")), true
			case "get":
				if g, ok := d.Get("get").(*goja.Object); ok && g == vm.guarded.typedArrayLength {
					return toLength(obj.Get("length")), true
				}
				return 0, false
			}
		}
		return 0, false
	}
	return 0, true
}

// maxPrototypeDepth bounds plainLength's walk; a longer chain is measured
// like a getter.
const maxPrototypeDepth = 256

// ownDescriptor is the original Object.getOwnPropertyDescriptor(o, key), or
// nil. o must not be a Proxy (its trap is script code).
func (vm *VM) ownDescriptor(o *goja.Object, key string) *goja.Object {
	if vm.getOwnPropertyDescriptor == nil {
		vm.getOwnPropertyDescriptor, _ = goja.AssertFunction(vm.scope.builtin("Object").Get("getOwnPropertyDescriptor"))
	}
	d, err := vm.getOwnPropertyDescriptor(goja.Undefined(), o, vm.rt.ToValue(key))
	if err != nil {
		panic(err)
	}
	obj, _ := d.(*goja.Object)
	return obj
}

// pinLength returns a proxy for obj whose length is always n and which
// forwards every other operation to obj: a built-in walking it reads the
// length its guard charged. Element reads go to obj itself, so its getters
// and traps see obj, as they would without the proxy.
func (vm *VM) pinLength(obj *goja.Object, n float64) *goja.Object {
	length := vm.rt.ToValue(n)
	p := vm.rt.NewProxy(obj, &goja.ProxyTrapConfig{
		Get: func(t *goja.Object, key string, _ goja.Value) goja.Value {
			if key == "length" {
				return length
			}
			return orUndefined(t.Get(key))
		},
		GetIdx: func(t *goja.Object, i int, _ goja.Value) goja.Value {
			return orUndefined(t.Get(strconv.Itoa(i)))
		},
		GetSym: func(t *goja.Object, s *goja.Symbol, _ goja.Value) goja.Value {
			return orUndefined(t.GetSymbol(s))
		},
	})
	return vm.rt.ToValue(p).(*goja.Object)
}

func orUndefined(v goja.Value) goja.Value {
	if v == nil {
		return goja.Undefined()
	}
	return v
}

// unpin maps a built-in's result back from the proxy pinLength made (in
// place of v) to the object it stands for: fill, reverse, sort… return
// their receiver.
func unpin(ret, pinned, v goja.Value) goja.Value {
	if pinned != v && ret == pinned {
		if p, ok := pinned.(*goja.Object).Export().(goja.Proxy); ok {
			return p.Target()
		}
	}
	return ret
}

// toNumberArg and toStringArg convert an argument a guard measures the way
// the built-in would, once: the guard passes the result on in the
// argument's place, so no valueOf or toString can answer the guard one
// thing and the built-in another. Primitives are returned as they are.
func toNumberArg(v goja.Value) goja.Value {
	if isObject(v) {
		return v.ToNumber()
	}
	return v
}

func toStringArg(v goja.Value) goja.Value {
	if isObject(v) {
		return v.ToString()
	}
	return v
}

// withArg returns args with args[i] set to v, copying args first (the
// caller's slice may be the script's own arguments).
func withArg(args []goja.Value, i int, v goja.Value) []goja.Value {
	if i < len(args) && args[i] == v {
		return args
	}
	n := max(len(args), i+1)
	out := make([]goja.Value, n)
	copy(out, args)
	for j := len(args); j < n; j++ {
		out[j] = goja.Undefined()
	}
	out[i] = v
	return out
}

// stringLength is String(v).length.
func stringLength(v goja.Value) float64 {
	if v == nil {
		return 0
	}
	s := v.ToString()
	if gs, ok := s.(goja.String); ok {
		return float64(gs.Length())
	}
	return float64(len(s.String()))
}

// toCount is the non-negative integer a size argument asks for.
func toCount(v goja.Value) float64 {
	if v == nil {
		return 0
	}
	if n := v.ToFloat(); n > 0 {
		return math.Floor(n)
	}
	return 0
}

// chargeIf charges n bytes against the invocation's budget if n is large,
// and reports whether the allocation may go ahead.
func (vm *VM) chargeIf(n float64, what string) bool {
	if n > smallAllocation {
		return vm.charge(int64(min(n, math.MaxInt64/2)), what)
	}
	return true
}

func arg(args []goja.Value, i int) goja.Value {
	if i < len(args) {
		return args[i]
	}
	return goja.Undefined()
}

// guardFunctionPrototype guards Function.prototype: its constructor (and
// the global Function) throw, and apply is checked.
func (vm *VM) guardFunctionPrototype() {
	t := vm.thrower("Function", "Function constructor is not allowed in Kiln scripts (it compiles code from a string)")
	proto := t.Prototype()
	vm.lockConstructor(proto, t)
	vm.functionThrower = t
	vm.guardArgList(proto, "apply", 1, "Function.prototype.apply")
}

// guardArgList guards obj[name], whose argument i is an array-like the
// built-in copies into an argument list: the copy is charged, and the
// built-in reads the length that was charged (arrayLike).
func (vm *VM) guardArgList(obj *goja.Object, name string, i int, what string) {
	orig, length, ok := original(obj, name)
	if !ok {
		return
	}
	f := vm.newNative(name, length, func(call goja.FunctionCall) goja.Value {
		list := arg(call.Arguments, i)
		if !isObject(list) {
			return orig(call) // not an array-like: the built-in throws
		}
		pinned, n := vm.arrayLike(list)
		if !vm.chargeIf(n*valueBytes, what) {
			return goja.Undefined()
		}
		call.Arguments = withArg(call.Arguments, i, pinned)
		return orig(call)
	})
	_ = obj.DefineDataProperty(name, f, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
}

// lockConstructor makes t the constructor of proto, read-only and
// permanent, and t's prototype proto (so `instanceof` keeps working).
func (vm *VM) lockConstructor(proto, t *goja.Object) {
	_ = t.DefineDataProperty("prototype", proto, goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_FALSE)
	_ = proto.DefineDataProperty("constructor", t, goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_FALSE)
}

// thrower returns a function that fails any call or construction with
// SANDBOX_VIOLATION.
func (vm *VM) thrower(name, what string) *goja.Object {
	o := vm.rt.ToValue(func(goja.ConstructorCall) *goja.Object {
		vm.interrupt(Errorf(CodeSandboxViolation, "%s", what))
		return nil
	}).(*goja.Object)
	_ = o.DefineDataProperty("name", vm.rt.ToValue(name), goja.FLAG_FALSE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	_ = o.DefineDataProperty("length", vm.rt.ToValue(0), goja.FLAG_FALSE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	return o
}

// samplePrograms make one function of each hidden kind, to reach its
// prototype.
var (
	asyncSample     = sync.OnceValue(func() *goja.Program { return goja.MustCompile("kiln:async", "(async function () {})", true) })
	generatorSample = sync.OnceValue(func() *goja.Program { return goja.MustCompile("kiln:generator", "(function* () {})", true) })
)

// guardFunctionKind locks the constructor of the prototype shared by every
// function sample makes (%AsyncFunction.prototype%,
// %GeneratorFunction.prototype%).
func (vm *VM) guardFunctionKind(sample *goja.Program, name string) {
	v, err := vm.rt.RunProgram(sample)
	if err != nil {
		return
	}
	proto := v.(*goja.Object).Prototype()
	vm.lockConstructor(proto, vm.thrower(name, name+" constructor is not allowed in Kiln scripts (it compiles code from a string)"))
}

// guardSyntax installs the guards of the intrinsics p's syntax can create.
func (vm *VM) guardSyntax(s syntaxFeatures) {
	if s.has(syntaxAsync) && !vm.guarded.async {
		vm.guarded.async = true
		vm.guardFunctionKind(asyncSample(), "AsyncFunction")
	}
	if s.has(syntaxGenerator) && !vm.guarded.generator {
		vm.guarded.generator = true
		vm.guardFunctionKind(generatorSample(), "GeneratorFunction")
	}
	if s.has(syntaxRegExp) {
		vm.guardRegExp()
	}
}

// arrayMethods are the Array.prototype methods that walk or copy every
// index natively: an array longer than the memory budget allows can only be
// sparse. Iterators (keys, entries) are lazy and for-of over them stays
// interruptible; values is the iterator guarded below.
var arrayMethods = [...]string{"concat", "copyWithin", "every", "fill", "filter", "find", "findIndex",
	"findLast", "findLastIndex", "flat", "flatMap", "forEach", "includes", "indexOf", "join",
	"lastIndexOf", "map", "reduce", "reduceRight", "reverse", "shift", "slice", "some", "sort", "splice",
	"toLocaleString", "toReversed", "toSorted", "toSpliced", "toString", "unshift", "with"}

// maxJoinDepth bounds how deeply join and toString recurse natively into
// nested arrays: goja unwinds a deep native recursion slowly (each level
// re-captures the stack).
const maxJoinDepth = 1000

// guardArrays guards Array.prototype and Array.from.
//
// Every array reaches Array.prototype, so its methods cannot wait for a
// global to be resolved; but guarding all of them up front cost a third of
// an idle VM. So each guarded method is removed from Array.prototype, its
// implementation kept in Go (arrayMethodsResolver), and a resolver inserted
// between Array.prototype and Object.prototype builds the guarded method the
// first time a lookup misses on Array.prototype and reaches it, defines it
// back on Array.prototype, and returns it. No script can reach an original:
// the function objects are gone, and the resolver hands out only guarded
// methods.
func (vm *VM) guardArrays() {
	array := vm.scope.builtin("Array")
	proto, _ := array.Get("prototype").(*goja.Object)
	res := &arrayMethodsResolver{vm: vm, proto: proto}
	for i, m := range arrayMethods {
		orig, length, ok := original(proto, m)
		if !ok {
			continue
		}
		if proto.Delete(m) == nil {
			res.origs[i] = orig
		} else {
			// Not removable: guard it now instead.
			_ = proto.DefineDataProperty(m, vm.arrayMethod(m, orig, length), goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
		}
	}
	resolver := vm.rt.NewDynamicObject(res)
	_ = resolver.SetPrototype(proto.Prototype())
	_ = proto.SetPrototype(resolver)

	// Spread, Array.from, new Set/Map and Promise.all walk an iterator in
	// one native loop that goja cannot interrupt. Guarding where the
	// iterator is made costs one check per loop, not per element: values
	// charges an array's length up front. But an array iterator reads its
	// array-like's length again at every step, and values is not the only
	// way to make one (keys, entries, the typed arrays' iterators, and the
	// original values every arguments object carries, which goja keeps out
	// of reach of any guard), so next itself stops once the invocation has
	// been interrupted (timeout, memory): the loop ends at its next step.
	if orig, length, ok := original(proto, "values"); ok {
		f := vm.guardNative("values", length, orig, func(vm *VM, this goja.Value, _ []goja.Value) bool {
			return vm.chargeIf(vm.lengthOf(this)*valueBytes, "Array.prototype[Symbol.iterator]")
		})
		_ = proto.DefineDataProperty("values", f, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
		_ = proto.DefineDataPropertySymbol(goja.SymIterator, f, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
		if it, ok := orig(goja.FunctionCall{This: vm.rt.NewArray()}).(*goja.Object); ok && it.Prototype() != nil {
			vm.guardMethod(it.Prototype(), "next", func(vm *VM, _ goja.Value, _ []goja.Value) bool {
				return !vm.stopped()
			})
		}
	}

	vm.guardArgList(array, "from", 0, "Array.from")
}

// arrayMethodsResolver is Array.prototype's lazy parent (see guardArrays).
// It implements goja.DynamicObject.
type arrayMethodsResolver struct {
	vm    *VM
	proto *goja.Object
	origs [len(arrayMethods)]native // nil once built, or if never there
}

// arrayMethodIndex numbers arrayMethods.
var arrayMethodIndex = func() map[string]int {
	m := make(map[string]int, len(arrayMethods))
	for i, name := range arrayMethods {
		m[name] = i
	}
	return m
}()

// arrayMethodLengths are the methods' length properties, read once.
var arrayMethodLengths = sync.OnceValue(func() (lengths [len(arrayMethods)]int64) {
	rt := goja.New()
	proto := rt.NewArray().Prototype()
	for i, m := range arrayMethods {
		if o, ok := proto.Get(m).(*goja.Object); ok {
			lengths[i] = o.Get("length").ToInteger()
		}
	}
	return lengths
})

func (a *arrayMethodsResolver) Get(key string) goja.Value {
	i, ok := arrayMethodIndex[key]
	if !ok || a.origs[i] == nil {
		return nil
	}
	f := a.vm.arrayMethod(key, a.origs[i], a.vm.rt.ToValue(arrayMethodLengths()[i]))
	a.origs[i] = nil
	_ = a.proto.DefineDataProperty(key, f, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	return f
}

func (a *arrayMethodsResolver) Has(key string) bool {
	i, ok := arrayMethodIndex[key]
	return ok && a.origs[i] != nil
}

func (a *arrayMethodsResolver) Set(string, goja.Value) bool { return false }
func (a *arrayMethodsResolver) Delete(string) bool          { return false }
func (a *arrayMethodsResolver) Keys() []string              { return nil }

// arrayMethod returns the guarded Array.prototype[m] running orig.
func (vm *VM) arrayMethod(m string, orig native, length goja.Value) *goja.Object {
	what := "Array.prototype." + m
	var f native
	switch m {
	case "concat":
		f = func(call goja.FunctionCall) goja.Value {
			this, n := vm.arrayLike(call.This)
			var args []goja.Value
			for i, a := range call.Arguments {
				if !isObject(a) {
					n++
					continue
				}
				pinned, l := vm.arrayLike(a)
				n += l
				if pinned != a {
					if args == nil {
						args = append([]goja.Value(nil), call.Arguments...)
					}
					args[i] = pinned
				}
			}
			if !vm.chargeIf(n*valueBytes, what) {
				return goja.Undefined()
			}
			if args != nil {
				call.Arguments = args
			}
			v := call.This
			call.This = this
			return unpin(orig(call), this, v)
		}
	case "join", "toString", "toLocaleString":
		depth := 0
		f = func(call goja.FunctionCall) goja.Value {
			this, n := vm.arrayLike(call.This)
			sepLen := 1.0 // ","
			if m == "join" && len(call.Arguments) > 0 {
				// The separator is converted here, after the length as
				// the built-in would, so that its size is known.
				sep := toStringArg(call.Arguments[0])
				call.Arguments = withArg(call.Arguments, 0, sep)
				if s, ok := sep.(goja.String); ok {
					sepLen = float64(s.Length())
				}
			}
			if !vm.chargeIf(n*(valueBytes+sepLen), what) {
				return goja.Undefined()
			}
			if depth >= maxJoinDepth {
				panic(vm.rangeError(what + ": arrays are nested more than 1000 levels deep"))
			}
			// The result holds every string element whole: an array that
			// holds one big string many times joins to far more than
			// anything in memory. The elements are read once here and the
			// built-in joins that copy, so a getter cannot answer the
			// measurement and the join differently.
			if obj, ok := this.(*goja.Object); ok && n > 0 {
				pinned, size := vm.pinElements(obj, int(n))
				if !vm.chargeIf(size, what) {
					return goja.Undefined()
				}
				this = pinned
			}
			depth++
			defer func() { depth-- }()
			call.This = this
			return orig(call)
		}
	case "flat":
		f = func(call goja.FunctionCall) goja.Value {
			this, n := vm.arrayLike(call.This)
			if !vm.chargeIf(n*valueBytes, what) {
				return goja.Undefined()
			}
			depth := 1.0
			if a := arg(call.Arguments, 0); !goja.IsUndefined(a) {
				d := toNumberArg(a)
				call.Arguments = withArg(call.Arguments, 0, d)
				depth = toDepth(d)
			}
			if obj, ok := this.(*goja.Object); ok {
				// The nested arrays flat walks are read once into copies,
				// their lengths charged: a hole-filled inner array (new
				// Array(2**26)) costs nothing in memory but a native loop
				// over every index.
				used := n
				pinned := vm.pinNested(obj, n, depth, &used, what, 0)
				if pinned == nil {
					return goja.Undefined()
				}
				// The result is made by the receiver's species, as the
				// built-in would from the original (read once here).
				_ = pinned.Set("constructor", obj.Get("constructor"))
				this = pinned
			}
			call.This = this
			return orig(call)
		}
	case "flatMap":
		f = func(call goja.FunctionCall) goja.Value {
			this, n := vm.arrayLike(call.This)
			if !vm.chargeIf(n*valueBytes, what) {
				return goja.Undefined()
			}
			if cb, ok := goja.AssertFunction(arg(call.Arguments, 0)); ok {
				// Each array the callback returns is flattened natively:
				// it is copied, its length charged, before flatMap sees it.
				wrapped := vm.newNative("", goja.Undefined(), func(fc goja.FunctionCall) goja.Value {
					r, err := cb(fc.This, fc.Arguments...)
					if err != nil {
						panic(err)
					}
					if ro, ok := r.(*goja.Object); ok && ro.ClassName() == "Array" {
						rn := toLength(ro.Get("length"))
						used := rn
						if vm.chargeIf(rn*valueBytes, what) {
							if p := vm.pinNested(ro, rn, 0, &used, what, 0); p != nil {
								return p
							}
						}
						return goja.Undefined() // interrupted
					}
					return r
				})
				call.Arguments = withArg(call.Arguments, 0, wrapped)
			}
			call.This = this
			return orig(call)
		}
	default:
		f = func(call goja.FunctionCall) goja.Value {
			this, n := vm.arrayLike(call.This)
			if !vm.chargeIf(n*valueBytes, what) {
				return goja.Undefined()
			}
			v := call.This
			call.This = this
			return unpin(orig(call), this, v)
		}
	}
	return vm.newNative(m, length, f)
}

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
	vm.guardStringMethod(proto, "split", func(vm *VM, call *goja.FunctionCall) bool {
		// Splitting into single characters makes one value per character.
		sep := arg(call.Arguments, 0)
		if s, ok := sep.(goja.String); (ok && s.Length() == 0) || isObject(sep) {
			call.This = toStringArg(call.This)
			return vm.chargeIf(stringLength(call.This)*valueBytes*2, "String.prototype.split")
		}
		return true
	})
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

func isObject(v goja.Value) bool {
	_, ok := v.(*goja.Object)
	return ok
}

// originalSymbol is original for a symbol-keyed method.
func originalSymbol(obj *goja.Object, sym *goja.Symbol) (f native, length goja.Value, ok bool) {
	o, _ := obj.GetSymbol(sym).(*goja.Object)
	if o == nil {
		return nil, nil, false
	}
	f, ok = o.Export().(native)
	return f, o.Get("length"), ok
}

// rangeError makes a RangeError with the original constructor.
func (vm *VM) rangeError(msg string) *goja.Object {
	if c, ok := goja.AssertConstructor(vm.scope.builtin("RangeError")); ok {
		if o, err := c(nil, vm.rt.ToValue(msg)); err == nil {
			return o
		}
	}
	return vm.rt.NewTypeError("%s", msg)
}

// guardReflect guards Reflect.apply and Reflect.construct, which copy an
// array-like into an argument list natively.
func (vm *VM) guardReflect(reflect *goja.Object) {
	if vm.guarded.reflect {
		return
	}
	vm.guarded.reflect = true
	vm.guardArgList(reflect, "apply", 2, "Reflect.apply")
	vm.guardArgList(reflect, "construct", 1, "Reflect.construct")
}

// guardJSON guards JSON.stringify and JSON.parse, each one native call.
// stringify's cost grows with the square of the nesting depth, and shared
// references are written out once per path: the value is measured first
// (refusing absurd depths as a RangeError, like V8) and its expanded size
// charged. parse's result size is estimated from the text.
func (vm *VM) guardJSON(json *goja.Object) {
	if vm.guarded.json {
		return
	}
	vm.guarded.json = true
	vm.guardMethod(json, "stringify", func(vm *VM, _ goja.Value, a []goja.Value) bool {
		if v, ok := arg(a, 0).(*goja.Object); ok {
			if err := vm.checkStringify(v); err != nil {
				panic(vm.rangeError("JSON.stringify: " + err.Error()))
			}
			return !vm.stopped()
		}
		return true
	})
	vm.guardMethod(json, "parse", func(vm *VM, _ goja.Value, a []goja.Value) bool {
		if s, ok := arg(a, 0).(goja.String); ok && s.Length() > smallAllocation {
			return vm.charge(estimateJSON(s.String()), "JSON.parse")
		}
		return true
	})
}

// guardRegExp wraps the RegExp methods that run a match (exec, test and
// the Symbol.match/matchAll/replace/search/split protocol) so that a
// backtracking match that hit regexp2's match timeout fails the invocation
// with TIMEOUT instead of silently reporting "no match". It runs before any
// RegExp can exist: at Bind for a program with a regular expression
// literal, when the RegExp global is resolved, and before String's match,
// matchAll and search make one from a string.
func (vm *VM) guardRegExp() {
	if vm.guarded.regexp {
		return
	}
	vm.guarded.regexp = true
	proto := vm.scope.builtin("RegExp").Get("prototype").(*goja.Object)
	limit := vm.engine.cfg.RegexpTimeout
	guard := func(name string, orig native, length goja.Value) *goja.Object {
		return vm.newNative(name, length, func(call goja.FunctionCall) goja.Value {
			start := time.Now()
			v := orig(call)
			if elapsed := time.Since(start); elapsed >= limit && vm.backtracks(call.This) {
				vm.interrupt(Errorf(CodeTimeout, "a regular expression ran for %s in one call and was stopped: it backtracks catastrophically on this input; simplify the pattern (avoid nested quantifiers combined with backreferences or lookarounds)", elapsed.Round(time.Millisecond)))
			}
			return v
		})
	}
	for _, name := range []string{"exec", "test"} {
		if orig, length, ok := original(proto, name); ok {
			_ = proto.DefineDataProperty(name, guard(name, orig, length), goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
		}
	}
	for _, s := range []struct {
		sym  *goja.Symbol
		name string
	}{{goja.SymMatch, "match"}, {goja.SymMatchAll, "matchAll"}, {goja.SymReplace, "replace"}, {goja.SymSearch, "search"}, {goja.SymSplit, "split"}} {
		if orig, length, ok := originalSymbol(proto, s.sym); ok {
			_ = proto.DefineDataPropertySymbol(s.sym, guard("[Symbol."+s.name+"]", orig, length), goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
		}
	}
}

// backtracks reports whether re is run by the backtracking engine (regexp2)
// rather than Go's linear-time regexp: only patterns Go cannot express.
func (vm *VM) backtracks(re goja.Value) bool {
	obj, ok := re.(*goja.Object)
	if !ok {
		return false
	}
	src := obj.Get("source").String()
	flags := obj.Get("flags").String()
	key := flags + "/" + src
	if v, ok := vm.regexp2[key]; ok {
		return v
	}
	_, err := parser.TransformRegExp(src, containsByte(flags, 's'), containsByte(flags, 'u'))
	v := err != nil
	if vm.regexp2 == nil {
		vm.regexp2 = map[string]bool{}
	}
	vm.regexp2[key] = v
	return v
}

func containsByte(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return true
		}
	}
	return false
}

var proxyType = reflect.TypeOf(goja.Proxy{})

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
			if d := vm.ownDescriptor(proto.Prototype(), "length"); d != nil {
				vm.guarded.typedArrayLength, _ = d.Get("get").(*goja.Object)
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
				return rt.ToValue(toCount(n) * per)
			}
			pinned, n := vm.arrayLike(x)
			if pinned != a0 {
				_ = args.Set("0", pinned)
			}
			return rt.ToValue(n * per)
		case goja.String:
			return rt.ToValue(toCount(x) * per)
		}
		if goja.IsUndefined(a0) || goja.IsNull(a0) {
			return rt.ToValue(0)
		}
		if _, isSym := a0.(*goja.Symbol); isSym {
			return rt.ToValue(0)
		}
		return rt.ToValue(toCount(a0) * per)
	})
	_ = k.Set("charge", func(n float64, what string) bool { return vm.chargeIf(n, what) })
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
