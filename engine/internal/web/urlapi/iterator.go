package urlapi

import "github.com/kiln-run/kiln/internal/goja"

type iterKind uint8

const (
	iterKeys iterKind = iota
	iterValues
	iterEntries
)

// iterState is a URLSearchParams iterator: a cursor into the live list, so
// pairs appended during iteration are still visited, as WebIDL specifies.
type iterState struct {
	params *paramsState
	kind   iterKind
	index  int
}

func (in *installation) newIterator(ps *paramsState, kind iterKind) *goja.Object {
	if in.iterProto == nil {
		in.iterProto = in.buildIteratorProto()
	}
	obj := in.rt.CreateObject(in.iterProto)
	in.iters.put(obj, &iterState{params: ps, kind: kind})
	return obj
}

// buildIteratorProto makes %URLSearchParamsIteratorPrototype%. It is built
// lazily because most scripts never iterate search params and Install must
// stay cheap.
func (in *installation) buildIteratorProto() *goja.Object {
	rt := in.rt
	proto := rt.CreateObject(in.iteratorPrototype())
	in.method(proto, "next", 0, func(call goja.FunctionCall) goja.Value {
		obj, _ := call.This.(*goja.Object)
		it := in.iters.get(obj)
		if it == nil {
			in.throwTypeError("Illegal invocation: receiver is not a URLSearchParams Iterator")
		}
		res := rt.NewObject()
		if it.index >= len(it.params.list) {
			_ = res.Set("value", goja.Undefined())
			_ = res.Set("done", true)
			return res
		}
		p := it.params.list[it.index]
		it.index++
		var v goja.Value
		switch it.kind {
		case iterKeys:
			v = rt.ToValue(p.name)
		case iterValues:
			v = rt.ToValue(p.value)
		default:
			v = rt.NewArray(p.name, p.value)
		}
		_ = res.Set("value", v)
		_ = res.Set("done", false)
		return res
	})
	// WebIDL makes next enumerable, as for any operation; %IteratorPrototype%
	// supplies [Symbol.iterator].
	in.tag(proto, "URLSearchParams Iterator")
	return proto
}

// iteratorPrototype finds %IteratorPrototype% (goja does not export it) as
// the prototype of an array iterator's prototype. Scripts could have
// replaced Array.prototype[Symbol.iterator] by now, so anything unexpected
// falls back to Object.prototype rather than trusting script values.
func (in *installation) iteratorPrototype() *goja.Object {
	rt := in.rt
	fallback := rt.NewObject().Prototype()
	arr := rt.NewArray()
	f, ok := goja.AssertFunction(arr.GetSymbol(goja.SymIterator))
	if !ok {
		return fallback
	}
	var proto *goja.Object
	if ex := rt.Try(func() {
		it, err := f(arr)
		if err != nil {
			return
		}
		if o, ok := it.(*goja.Object); ok && o.Prototype() != nil {
			proto = o.Prototype().Prototype()
		}
	}); ex != nil || proto == nil {
		return fallback
	}
	return proto
}
