package engine

import (
	"strconv"
	"sync"

	"github.com/kiln-run/kiln/internal/goja"
)

// Array.prototype.splice on anything but an array: a Proxy (whose length
// may be near 2^53 and whose species constructor, if it stands for an
// array, may make anything), an array-like, a string. goja's own splice
// walks such a receiver in one native loop no interrupt reaches, and the
// guard cannot charge the walk up front without refusing what the spec
// allows (a species result that throws on its third element, a walk of a
// few elements at indexes near 2^53), nor pin the length without a Proxy
// of its own, whose invariant checks a Proxy receiver would see. So the
// spec's steps run here, in its order — every read, presence test, write
// and delete on the receiver, each through its own traps and accessors,
// the length read once — checking for an interrupt every spliceCheck
// steps. What they make is goja's meter's: the result is shown to its walk
// while it is built.

// spliceCheck is how many steps run between checks for an interrupt.
const spliceCheck = 1 << 10

// hasSample makes the function HasProperty is computed by: the `in`
// operator, which no script can replace.
var hasSample = sync.OnceValue(func() *goja.Program {
	return goja.MustCompile("kiln:has", "(function (o, k) { return k in o })", true)
})

// spliceSteps is Array.prototype.splice(start, deleteCount, ...items) on
// call.This, which is not an array.
func (vm *VM) spliceSteps(call goja.FunctionCall) goja.Value {
	o := call.This.ToObject(vm.rt)
	n := toLength(o.Get("length"))
	args := call.Arguments
	start := relativeIndex(arg(args, 0), n)
	var del float64
	switch len(args) {
	case 0:
	case 1:
		del = n - start
	default:
		del = min(max(toInteger(toNumberArg(args[1])), 0), n-start)
	}
	var items []goja.Value
	if len(args) > 2 {
		items = args[2:]
	}
	count := float64(len(items))
	if n+count-del > maxSafeInteger {
		panic(vm.rt.NewTypeError("Invalid array length"))
	}
	s := spliceState{vm: vm, o: o}
	a := vm.arraySpeciesCreate(o, del)
	defer vm.build(a)()
	length, first, deleted, added := int64(n), int64(start), int64(del), int64(count)
	for k := int64(0); k < deleted; k++ {
		from := key(first + k)
		if !s.step() {
			return goja.Undefined()
		}
		if s.has(from) {
			throwIf(a.CreateDataProperty(key(k), s.get(from)))
		}
	}
	throwIf(a.Set("length", deleted))
	switch {
	case added < deleted:
		for k := first; k < length-deleted; k++ {
			if !s.move(k+deleted, k+added) {
				return goja.Undefined()
			}
		}
		for k := length; k > length-deleted+added; k-- {
			if !s.step() {
				return goja.Undefined()
			}
			throwIf(o.Delete(key(k - 1)))
		}
	case added > deleted:
		for k := length - deleted; k > first; k-- {
			if !s.move(k+deleted-1, k+added-1) {
				return goja.Undefined()
			}
		}
	}
	for i, item := range items {
		throwIf(o.Set(key(first+int64(i)), item))
	}
	throwIf(o.Set("length", length-deleted+added))
	return a
}

// spliceState is what spliceSteps' loops share.
type spliceState struct {
	vm    *VM
	o     *goja.Object
	in    goja.Callable // hasSample's function
	steps int
}

// step counts a step, and reports false if the invocation was interrupted.
func (s *spliceState) step() bool {
	s.steps++
	return s.steps%spliceCheck != 0 || !s.vm.stopped()
}

// has is HasProperty(o, k).
func (s *spliceState) has(k string) bool {
	if s.in == nil {
		v, err := s.vm.rt.RunProgram(hasSample())
		throwIf(err)
		s.in, _ = goja.AssertFunction(v)
	}
	v, err := s.in(goja.Undefined(), s.o, s.vm.rt.ToValue(k))
	throwIf(err)
	return v.ToBoolean()
}

// get is Get(o, k).
func (s *spliceState) get(k string) goja.Value {
	return orUndefined(s.o.Get(k))
}

// move is one step of shifting o's elements: o[to] = o[from] if o has
// from, else delete o[to]. It reports false if the invocation was
// interrupted.
func (s *spliceState) move(from, to int64) bool {
	if !s.step() {
		return false
	}
	if f := key(from); s.has(f) {
		throwIf(s.o.Set(key(to), s.get(f)))
	} else {
		throwIf(s.o.Delete(key(to)))
	}
	return true
}

// build makes v visible to the meter's walk until the returned function is
// called: a guard building it step by step holds it only in Go until it
// returns it.
func (vm *VM) build(v goja.Value) func() {
	n := len(vm.building)
	vm.building = append(vm.building, v)
	return func() {
		clear(vm.building[n:])
		vm.building = vm.building[:n]
	}
}

// arraySpeciesCreate is the spec's ArraySpeciesCreate(o, size), as goja
// has it.
func (vm *VM) arraySpeciesCreate(o *goja.Object, size float64) *goja.Object {
	if vm.isArray(o) {
		c := o.Get("constructor")
		if co, ok := c.(*goja.Object); ok {
			c = co.GetSymbol(goja.SymSpecies)
			if goja.IsNull(c) {
				c = nil
			}
		}
		if c != nil && !goja.IsUndefined(c) {
			if co, ok := c.(*goja.Object); ok {
				if ctor, ok := goja.AssertConstructor(co); ok {
					a, err := ctor(co, vm.rt.ToValue(int64(size)))
					throwIf(err)
					return a
				}
			}
			panic(vm.rt.NewTypeError("Species is not a constructor"))
		}
	}
	a := vm.rt.NewArray()
	throwIf(a.Set("length", int64(size))) // a RangeError past 2^32 - 1
	return a
}

// isArray is the spec's IsArray: a Proxy is an array if its target is.
func (vm *VM) isArray(o *goja.Object) bool {
	for o.ExportType() == proxyType {
		o = o.Export().(goja.Proxy).Target()
		if o == nil {
			panic(vm.rt.NewTypeError("Cannot perform 'IsArray' on a proxy that has been revoked"))
		}
	}
	return o.ClassName() == "Array"
}

// relativeIndex is a relative index argument (start, end), converted and
// clamped to [0, n].
func relativeIndex(v goja.Value, n float64) float64 {
	r := toInteger(toNumberArg(v))
	if r < 0 {
		return max(n+r, 0)
	}
	return min(r, n)
}

func key(i int64) string { return strconv.FormatInt(i, 10) }

// throwIf rethrows an error goja returned (a JS exception, or the
// invocation's interrupt) into the running script.
func throwIf(err error) {
	if err != nil {
		panic(err)
	}
}
