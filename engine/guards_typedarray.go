package engine

import (
	"cmp"
	"math"
	"reflect"
	"slices"
	"strings"

	"github.com/kiln-run/kiln/internal/goja"
)

// Guards on %TypedArray%.prototype, installed with the first typed array
// constructor (guardedConstructor): no typed array exists before.
//
//   - join and toLocaleString write every element and a separator between
//     two: `new Uint8Array(2 ** 18).join('x'.repeat(2 ** 10))` is a
//     quarter of a megabyte asking for a gigabyte. They are charged a
//     lower bound of the result (one character an element, the separators)
//     before they run. toString is Array.prototype.toString, which calls
//     join.
//   - sort and toSorted without a comparator ran goja's sort.Stable through
//     an interface, 6 s for 8M elements in one native call: Kiln sorts the
//     elements in Go instead (the same order: numeric, -0 before +0, NaNs
//     last in their order), checking for an interrupt as it goes. With a
//     comparator the original runs; the comparator is script code, where an
//     interrupt stops it.
func (vm *VM) guardTypedArrayPrototype(proto *goja.Object) {
	vm.guardStringMethod(proto, "toLocaleString", func(vm *VM, call *goja.FunctionCall) bool {
		n, ok := vm.typedArrayLength(call.This)
		if !ok || n == 0 {
			return true // not a typed array: the original throws
		}
		return vm.chargeIf(2*n-1, "%TypedArray%.prototype.toLocaleString")
	})
	if orig, length, ok := original(proto, "join"); ok {
		f := vm.newNative("join", length, func(call goja.FunctionCall) goja.Value {
			n, ok := vm.typedArrayLength(call.This)
			if !ok || n == 0 {
				return orig(call) // not a typed array (the original throws), or empty
			}
			sepLen := 1.0
			sep := arg(call.Arguments, 0)
			if !goja.IsUndefined(sep) {
				sep = vm.toStr(sep)
				call.Arguments = withArg(call.Arguments, 0, sep)
				sepLen = stringLength(sep)
			}
			if !vm.chargeIf(n+(n-1)*sepLen, "%TypedArray%.prototype.join") {
				return goja.Undefined()
			}
			if now, _ := vm.typedArrayLength(call.This); now == 0 {
				// Converting the separator detached the buffer: the spec
				// reads every element as undefined (an empty string)
				// after it, where goja's join would throw.
				if goja.IsUndefined(sep) {
					sep = vm.rt.ToValue(",")
				}
				return vm.rt.ToValue(strings.Repeat(sep.String(), int(n)-1))
			}
			return orig(call)
		})
		_ = proto.DefineDataProperty("join", f, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	}
	for _, m := range []string{"sort", "toSorted"} {
		orig, length, ok := original(proto, m)
		if !ok {
			continue
		}
		var reversed native
		if m == "toSorted" {
			if reversed, _, ok = original(proto, "toReversed"); !ok {
				continue
			}
		}
		f := vm.newNative(m, length, func(call goja.FunctionCall) goja.Value {
			if !goja.IsUndefined(arg(call.Arguments, 0)) {
				return orig(call) // a comparator: script code, interruptible
			}
			if _, ok := vm.typedArrayLength(call.This); !ok {
				return orig(call) // not a typed array: the original throws
			}
			target := call.This
			if m == "toSorted" {
				// The copy: as many bytes as the receiver's elements.
				if s, _ := typedArraySlice(target.(*goja.Object)); s != nil {
					if !vm.chargeIf(float64(reflect.ValueOf(s).Len())*float64(reflect.TypeOf(s).Elem().Size()), "%TypedArray%.prototype.toSorted") {
						return goja.Undefined()
					}
				}
				// A copy of the same type (toReversed, like toSorted, does
				// not use the species), put back in order.
				target = reversed(goja.FunctionCall{This: call.This})
				if !vm.sortElements(target.(*goja.Object), true) {
					return goja.Undefined()
				}
				return target
			}
			if !vm.sortElements(target.(*goja.Object), false) {
				return goja.Undefined()
			}
			return target
		})
		_ = proto.DefineDataProperty(m, f, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	}
}

// typedArrayLength is v's length if v is a typed array, read with the
// original length getter (which throws on anything else).
func (vm *VM) typedArrayLength(v goja.Value) (float64, bool) {
	o, ok := v.(*goja.Object)
	if !ok || vm.guarded.typedArrayLength == nil {
		return 0, false
	}
	if _, isSlice := typedArraySlice(o); !isSlice {
		return 0, false
	}
	get, _ := goja.AssertFunction(vm.guarded.typedArrayLength)
	n, err := get(o)
	if err != nil {
		return 0, false
	}
	return n.ToFloat(), true
}

// typedArraySlice is o's elements as the Go slice goja keeps them in (no
// copy), if o is a typed array.
func typedArraySlice(o *goja.Object) (any, bool) {
	switch o.ExportType() {
	case typeInt8s, typeUint8s, typeInt16s, typeUint16s, typeInt32s, typeUint32s,
		typeFloat32s, typeFloat64s, typeInt64s, typeUint64s:
		return o.Export(), true
	}
	return nil, false
}

// sortElements sorts typed array o's elements in place in their default
// order, first reversing them if reverse is set (undoing toReversed). It
// reports false if the invocation was interrupted meanwhile.
func (vm *VM) sortElements(o *goja.Object, reverse bool) (done bool) {
	s, _ := typedArraySlice(o)
	defer func() {
		if p := recover(); p != nil {
			if p != errSortStopped {
				panic(p)
			}
			done = false
		}
	}()
	tick := vm.sortTicker()
	switch s := s.(type) {
	case []int8:
		sortInts(s, reverse, tick)
	case []uint8:
		sortInts(s, reverse, tick)
	case []int16:
		sortInts(s, reverse, tick)
	case []uint16:
		sortInts(s, reverse, tick)
	case []int32:
		sortInts(s, reverse, tick)
	case []uint32:
		sortInts(s, reverse, tick)
	case []int64:
		sortInts(s, reverse, tick)
	case []uint64:
		sortInts(s, reverse, tick)
	case []float32:
		sortFloats(s, reverse, tick)
	case []float64:
		sortFloats(s, reverse, tick)
	}
	return true
}

// The Go slice types of the typed arrays' elements (Export, no copy).
var (
	typeInt8s    = reflect.TypeFor[[]int8]()
	typeUint8s   = reflect.TypeFor[[]uint8]()
	typeInt16s   = reflect.TypeFor[[]int16]()
	typeUint16s  = reflect.TypeFor[[]uint16]()
	typeInt32s   = reflect.TypeFor[[]int32]()
	typeUint32s  = reflect.TypeFor[[]uint32]()
	typeInt64s   = reflect.TypeFor[[]int64]()
	typeUint64s  = reflect.TypeFor[[]uint64]()
	typeFloat32s = reflect.TypeFor[[]float32]()
	typeFloat64s = reflect.TypeFor[[]float64]()
)

var errSortStopped = &Error{Code: CodeInternal, Message: "sort stopped"}

// sortTicker returns a function a comparison calls: every 65,536 calls it
// checks whether the invocation was interrupted, and if so panics with
// errSortStopped.
func (vm *VM) sortTicker() func() {
	n := 0
	return func() {
		if n++; n&(1<<16-1) == 0 && vm.stopped() {
			panic(errSortStopped)
		}
	}
}

type integer interface {
	~int8 | ~uint8 | ~int16 | ~uint16 | ~int32 | ~uint32 | ~int64 | ~uint64
}

// sortInts sorts s ascending. Equal integers cannot be told apart, so an
// unstable sort gives what goja's stable one did.
func sortInts[T integer](s []T, reverse bool, tick func()) {
	if reverse {
		slices.Reverse(s)
	}
	slices.SortFunc(s, func(a, b T) int {
		tick()
		return cmp.Compare(a, b)
	})
}

// sortFloats sorts s as %TypedArray%.prototype.sort does without a
// comparator: ascending, -0 before +0, NaNs last. NaNs are moved to the end
// first, keeping their order (their payloads can be told apart through the
// buffer); the rest, distinct bit patterns for distinct places in the
// order, can be sorted unstably.
func sortFloats[T float32 | float64](s []T, reverse bool, tick func()) {
	if reverse {
		slices.Reverse(s)
	}
	var nans []T
	n := 0
	for _, v := range s {
		if v != v {
			nans = append(nans, v)
			continue
		}
		s[n] = v
		n++
	}
	copy(s[n:], nans)
	slices.SortFunc(s[:n], func(a, b T) int {
		tick()
		if a == b {
			if a == 0 {
				// -0 before +0.
				return cmp.Compare(b2i(!math.Signbit(float64(a))), b2i(!math.Signbit(float64(b))))
			}
			return 0
		}
		if a < b {
			return -1
		}
		return 1
	})
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
