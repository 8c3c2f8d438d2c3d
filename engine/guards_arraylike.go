package engine

import (
	_ "embed"
	"math"
	"strconv"

	"github.com/kiln-run/kiln/internal/goja"
)

// Measuring the array-likes a built-in is about to walk, and pinning what
// was measured so that the built-in walks exactly that.

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

// measured is arrayLike with the n slots it returns charged; ok is false
// when the budget ran out (the invocation is interrupted).
func (vm *VM) measured(v goja.Value, what string) (this goja.Value, n float64, ok bool) {
	this, n = vm.arrayLike(v)
	return this, n, vm.chargeIf(n*valueBytes, what)
}

// pinCharged charges obj's n slots and copies it as pinNested does; nil
// when the budget ran out.
func (vm *VM) pinCharged(obj *goja.Object, n, depth float64, what string) *goja.Object {
	if !vm.chargeIf(n*valueBytes, what) {
		return nil
	}
	used := n
	return vm.pinNested(obj, n, depth, &used, what, 0)
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
// and traps see obj, as they would without the proxy. A property obj does
// not have reads as nil, not undefined, as goja's own objects answer: the
// built-ins skip an index that answers nil (a hole), as they must, and
// would call their callback for one that answers undefined.
func (vm *VM) pinLength(obj *goja.Object, n float64) *goja.Object {
	length := vm.rt.ToValue(n)
	p := vm.rt.NewProxy(obj, &goja.ProxyTrapConfig{
		Get: func(t *goja.Object, key string, _ goja.Value) goja.Value {
			if key == "length" {
				return length
			}
			return t.Get(key)
		},
		GetIdx: func(t *goja.Object, i int, _ goja.Value) goja.Value {
			return t.Get(strconv.Itoa(i))
		},
		GetSym: func(t *goja.Object, s *goja.Symbol, _ goja.Value) goja.Value {
			return t.GetSymbol(s)
		},
	})
	return vm.rt.ToValue(p).(*goja.Object)
}

// unpin maps a built-in's result back from the proxy pinLength made (in
// place of v) to the object it stands for: fill, reverse, sort… return
// their receiver.
func unpin(ret, pinned, v goja.Value) goja.Value {
	if isObject(pinned) && !sameObject(pinned, v) && ret == pinned {
		if p, ok := pinned.(*goja.Object).Export().(goja.Proxy); ok {
			return p.Target()
		}
	}
	return ret
}
