package engine

import (
	_ "embed"
	"math"
	"sync"

	"github.com/kiln-run/kiln/internal/goja"
)

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
			this, n, ok := vm.measured(call.This, what)
			if !ok {
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
				pinned := vm.pinCharged(obj, n, depth, what)
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
			this, _, ok := vm.measured(call.This, what)
			if !ok {
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
						if p := vm.pinCharged(ro, toLength(ro.Get("length")), 0, what); p != nil {
							return p
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
		f = vm.walked(m, orig)
		if m == "splice" {
			// On anything but an array, splice's steps run here, one at a
			// time (guards_splice.go): a Proxy's length may be near 2^53
			// and its species constructor may make anything.
			walked := f
			f = func(call goja.FunctionCall) goja.Value {
				if o, ok := call.This.(*goja.Object); ok && o.ClassName() == "Array" {
					return walked(call)
				}
				return vm.spliceSteps(call)
			}
		}
	}
	guarded := f
	f = func(call goja.FunctionCall) goja.Value {
		// Each method begins with ToObject(this) or, for sort and
		// toSorted, with checking the comparator: what fails there fails
		// before the guard reads a length or converts an argument.
		if goja.IsUndefined(call.This) || goja.IsNull(call.This) {
			return orig(call)
		}
		if m == "sort" || m == "toSorted" {
			if c := arg(call.Arguments, 0); !goja.IsUndefined(c) {
				if _, ok := goja.AssertFunction(c); !ok {
					return orig(call)
				}
			}
		}
		return guarded(call)
	}
	return vm.newNative(m, length, f)
}

// walked returns Array.prototype[m] running orig on an array-like whose
// length, and the walk its arguments ask for, are charged first
// (arrayWalk).
func (vm *VM) walked(m string, orig native) native {
	what := "Array.prototype." + m
	return func(call goja.FunctionCall) goja.Value {
		v := call.This
		this, n := vm.arrayLike(v)
		converts := anyObject(call.Arguments)
		call.This = this
		walk, early := arrayWalk(m, v, n, &call)
		if converts {
			// The spec reads the length before it converts the
			// arguments, goja after the guard has converted them: if a
			// conversion (a valueOf) changed the length, goja is handed
			// the receiver with the length read first.
			this = vm.repin(this, v, n)
			call.This = this
		}
		if !early && !vm.chargeIf(walk*valueBytes, what) {
			return goja.Undefined()
		}
		return unpin(orig(call), this, v)
	}
}

// repin returns this, the receiver arrayLike returned for v, pinned to the
// length n it measured if the length has changed since.
func (vm *VM) repin(this, v goja.Value, n float64) goja.Value {
	obj, ok := this.(*goja.Object)
	if !ok || !sameObject(this, v) {
		return this // a primitive, or pinned already
	}
	if l, ok := vm.plainLength(obj); ok && l == n {
		return this
	}
	return vm.pinLength(obj, n)
}

func anyObject(vs []goja.Value) bool {
	for _, v := range vs {
		if isObject(v) {
			return true
		}
	}
	return false
}

// Lengths past which the spec's array built-ins throw before any work.
const (
	maxArrayLength = 1<<32 - 1 // ArrayCreate: a RangeError
	maxSafeInteger = 1<<53 - 1 // a length's arithmetic: a TypeError
)

// arrayWalk is how many indexes Array.prototype[m], called on an
// array-like v of length n, walks (a range the arguments choose, or all
// n), or early true if it throws a TypeError or RangeError before it walks
// anything: a callback that is not callable, a result longer than an array
// can be, a length past 2^53 - 1, an index out of range. The guard lets
// such a call throw rather than refusing the walk with MEMORY_LIMIT, which
// a script cannot catch. The arguments it needs are converted once, here,
// and passed on converted (call is updated).
func arrayWalk(m string, v goja.Value, n float64, call *goja.FunctionCall) (walk float64, early bool) {
	num := func(i int) float64 {
		a := toNumberArg(arg(call.Arguments, i))
		call.Arguments = withArg(call.Arguments, i, a)
		return toInteger(a)
	}
	rel := func(i int, absent float64) float64 { // a relative index, clamped to [0, n]
		if i >= len(call.Arguments) || goja.IsUndefined(call.Arguments[i]) {
			if i < len(call.Arguments) {
				num(i) // undefined converts to 0, nothing runs
			}
			return absent
		}
		r := num(i)
		if r < 0 {
			return max(n+r, 0)
		}
		return min(r, n)
	}
	callable := func(i int) bool {
		_, ok := goja.AssertFunction(arg(call.Arguments, i))
		return ok
	}
	array := false
	if o, ok := v.(*goja.Object); ok {
		array = o.ClassName() == "Array"
	}
	args := float64(len(call.Arguments))
	switch m {
	case "every", "filter", "find", "findIndex", "findLast", "findLastIndex", "forEach", "map", "reduce", "reduceRight", "some":
		return n, !callable(0) || m == "map" && !array && n > maxArrayLength
	case "sort", "toSorted":
		if !goja.IsUndefined(arg(call.Arguments, 0)) && !callable(0) {
			return 0, true
		}
		return n, m == "toSorted" && n > maxArrayLength
	case "toReversed":
		return n, n > maxArrayLength
	case "unshift":
		if args == 0 {
			return 0, false // sets the length only
		}
		return n, n+args > maxSafeInteger
	case "with":
		r := num(0)
		if r < 0 {
			r += n
		}
		return n, r < 0 || r >= n || n > maxArrayLength
	case "slice":
		start := rel(0, 0)
		end := rel(1, n)
		count := max(end-start, 0)
		return count, !array && count > maxArrayLength
	case "fill":
		// fill(value, start, end)
		start := rel(1, 0)
		return max(rel(2, n)-start, 0), false
	case "copyWithin":
		// copyWithin(target, start, end)
		to := rel(0, 0)
		from := rel(1, 0)
		return max(min(rel(2, n)-from, n-to), 0), false
	case "includes", "indexOf":
		// (value, fromIndex). An empty receiver answers before fromIndex
		// is converted, as the spec orders it: nothing to walk.
		if n == 0 {
			return 0, false
		}
		return n - rel(1, 0), false
	case "lastIndexOf":
		if n == 0 {
			return 0, false
		}
		if args < 2 {
			return n, false
		}
		from := num(1)
		if from < 0 {
			from += n
		}
		return min(max(from+1, 0), n), false
	case "splice", "toSpliced":
		start := rel(0, 0)
		del := 0.0
		switch {
		case args == 1:
			del = n - start
		case args > 1:
			del = min(max(num(1), 0), n-start)
		}
		length := n + max(args-2, 0) - del
		if length > maxSafeInteger {
			return 0, true
		}
		if m == "splice" {
			return n, false // an array (spliceSteps takes the others)
		}
		return n, length > maxArrayLength
	}
	return n, false
}

// toInteger is the spec's ToIntegerOrInfinity of a number.
func toInteger(v goja.Value) float64 {
	f := v.ToFloat()
	if math.IsNaN(f) {
		return 0
	}
	return math.Trunc(f)
}
