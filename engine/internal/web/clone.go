package web

import (
	"math/big"
	"reflect"

	"github.com/kiln-run/kiln/internal/goja"
)

// cloneGlobals is structuredClone
// (https://html.spec.whatwg.org/multipage/structured-data.html#dom-structuredclone).
var cloneGlobals = []global{
	{name: "structuredClone", enumerable: true, eager: true, build: (*realm).structuredCloneFunc},
}

func (r *realm) structuredCloneFunc() goja.Value {
	return r.fn("structuredClone", 1, func(call goja.FunctionCall) goja.Value {
		r.requireArgs("Failed to execute 'structuredClone'", call, 1)
		var transfer []*goja.Object
		if o := r.dictionary(call.Argument(1), "StructuredSerializeOptions"); o != nil {
			if t := get(o, "transfer"); !goja.IsUndefined(t) {
				transfer = r.objectSequence(t, "transfer")
			}
		}
		return r.structuredClone(call.Argument(0), transfer)
	})
}

// objectSequence converts v as WebIDL converts to sequence<object>.
func (r *realm) objectSequence(v goja.Value, what string) []*goja.Object {
	if _, ok := v.(*goja.Object); !ok {
		panic(r.typeError("The provided value for '" + what + "' cannot be converted to a sequence."))
	}
	var list []*goja.Object
	r.rt.ForOf(v, func(item goja.Value) bool {
		o, ok := item.(*goja.Object)
		if !ok {
			panic(r.typeError("The provided value for '" + what + "' is not an object."))
		}
		list = append(list, o)
		return true
	})
	return list
}

// frameKind says what a clone frame copies.
type frameKind uint8

const (
	propsFrame frameKind = iota // own enumerable properties, keys[i]
	mapFrame                    // Map entries: vals holds key, value, key, value…
	setFrame                    // Set entries: vals holds the values
	slotFrame                   // one non-enumerable property, keys[0] = vals[0]
)

// frame is the part of one object that is still to copy. Clone keeps frames
// on an explicit stack rather than recursing, so a deeply nested value
// cannot overflow the Go stack, and it copies depth-first so that getters
// run in the order the spec's serialization runs them.
type frame struct {
	kind     frameKind
	src, dst *goja.Object
	keys     []string
	vals     []goja.Value
	i        int
	key      goja.Value // mapFrame: the copied key awaiting its value
}

// cloner is one structuredClone call.
type cloner struct {
	r      *realm
	memory map[*goja.Object]*goja.Object // source → copy, for cycles and sharing
	stack  []*frame
}

// structuredClone copies v, moving the ArrayBuffers in transfer into the
// copy. Serialization and deserialization are fused into one pass: nothing a
// script can observe depends on the split, and if any part fails the partial
// copy is simply dropped (transferred buffers are detached only at the end).
func (r *realm) structuredClone(v goja.Value, transfer []*goja.Object) goja.Value {
	c := &cloner{r: r, memory: make(map[*goja.Object]*goja.Object)}
	moved := c.transfer(transfer)
	out := c.value(v)
	for len(c.stack) > 0 {
		if f := c.stack[len(c.stack)-1]; !c.step(f) {
			c.stack[len(c.stack)-1] = nil
			c.stack = c.stack[:len(c.stack)-1]
		}
	}
	// A getter may have transferred one of them away meanwhile, in a nested
	// structuredClone; the copy must not share its bytes with that one.
	for _, ab := range moved {
		if ab.Detached() {
			r.throwDOM("DataCloneError", "An ArrayBuffer was detached while it was being transferred.")
		}
	}
	for _, ab := range moved {
		ab.Detach()
	}
	return out
}

// transfer checks the transfer list and maps each buffer to a new one that
// takes over its bytes.
func (c *cloner) transfer(list []*goja.Object) []goja.ArrayBuffer {
	var moved []goja.ArrayBuffer
	for i, o := range list {
		ab, ok := asArrayBuffer(o)
		if !ok {
			c.r.throwDOM("DataCloneError", "Value at index "+itoa(i)+" does not have a transferable type.")
		}
		if _, dup := c.memory[o]; dup {
			c.r.throwDOM("DataCloneError", "ArrayBuffer at index "+itoa(i)+" is a duplicate of an earlier ArrayBuffer. Duplicate ArrayBuffers cannot be transferred.")
		}
		if ab.Detached() {
			c.r.throwDOM("DataCloneError", "ArrayBuffer at index "+itoa(i)+" is already detached.")
		}
		c.memory[o] = c.r.newArrayBuffer(ab.Bytes())
		moved = append(moved, ab)
	}
	return moved
}

// step copies the next part of f and reports whether f has more.
func (c *cloner) step(f *frame) bool {
	switch f.kind {
	case propsFrame:
		if f.i >= len(f.keys) {
			return false
		}
		k := f.keys[f.i]
		f.i++
		v := c.value(get(f.src, k))
		_ = f.dst.DefineDataProperty(k, v, yes, yes, yes)
	case mapFrame:
		if f.i >= len(f.vals) {
			return false
		}
		v := c.value(f.vals[f.i])
		if f.i%2 == 0 {
			f.key = v
		} else {
			c.r.call(c.r.method2("Map", "set"), f.dst, f.key, v)
		}
		f.i++
	case setFrame:
		if f.i >= len(f.vals) {
			return false
		}
		v := c.value(f.vals[f.i])
		f.i++
		c.r.call(c.r.method2("Set", "add"), f.dst, v)
	case slotFrame:
		if f.i > 0 {
			return false
		}
		f.i++
		_ = f.dst.DefineDataProperty(f.keys[0], c.value(f.vals[0]), yes, yes, no)
	}
	return true
}

// push schedules the rest of a copy.
func (c *cloner) push(f *frame) { c.stack = append(c.stack, f) }

// value returns the copy of v. Objects are created at once (so cycles and
// shared references resolve to them) and their contents pushed as a frame.
func (c *cloner) value(v goja.Value) goja.Value {
	o, ok := v.(*goja.Object)
	if !ok {
		if s, ok := v.(*goja.Symbol); ok {
			c.r.throwDOM("DataCloneError", "Symbol("+s.String()+") could not be cloned.")
		}
		return v // undefined, null, boolean, number, string, bigint
	}
	if d, ok := c.memory[o]; ok {
		return d
	}
	d := c.object(o)
	c.memory[o] = d
	return d
}

// What goja's exotic objects export as.
var (
	bigIntType = reflect.TypeOf((*big.Int)(nil))
	mapType    = reflect.TypeOf([][2]any(nil))
	setType    = reflect.TypeOf([]any(nil))
)

// object makes the copy of o, pushing a frame for whatever it contains.
func (c *cloner) object(o *goja.Object) *goja.Object {
	r := c.r
	if isProxy(o) {
		c.fail(o)
	}
	switch o.ClassName() {
	case "Object":
		return c.ordinary(o)
	case "Array":
		d := r.rt.NewArray()
		_ = d.Set("length", get(o, "length"))
		c.memory[o] = d
		c.push(&frame{kind: propsFrame, src: o, dst: d, keys: o.Keys()})
		return d
	case "Arguments", "Math", "JSON":
		return c.plain(o)
	case "Boolean", "Number":
		return r.rt.ToValue(o.Export()).ToObject(r.rt)
	case "String":
		return r.call(r.method2("String", "valueOf"), o).ToObject(r.rt)
	case "Date":
		return c.date(o)
	case "RegExp":
		return c.regexp(o)
	case "Error":
		return c.error(o)
	}
	c.fail(o) // functions, promises, weak collections, iterators, the global object…
	return nil
}

// ordinary copies an object of class "Object". goja gives that class to
// plain objects but also to many exotic ones, which are told apart by what
// they export as and, failing that, by their prototype chain.
func (c *cloner) ordinary(o *goja.Object) *goja.Object {
	r := c.r
	switch t := o.ExportType(); {
	case t == arrayBufferType:
		ab, _ := asArrayBuffer(o)
		if ab.Detached() {
			r.throwDOM("DataCloneError", "An ArrayBuffer is detached and could not be cloned.")
		}
		return r.newArrayBuffer(append([]byte{}, ab.Bytes()...))
	case typedArrayTypes[t]:
		if vw, ok := r.viewOf(o); ok {
			return c.view(vw)
		}
	case t == mapType:
		return c.collection(o, "Map", mapFrame)
	case t == setType:
		return c.collection(o, "Set", setFrame)
	case t == bigIntType:
		return r.rt.ToValue(o.Export()).ToObject(r.rt)
	case t == plainObjectType:
		if o == r.rt.GlobalObject() {
			break
		}
		// Most objects inherit straight from Object.prototype (or from
		// nothing) and so are neither DataViews, weak collections,
		// iterators nor platform objects: skip those checks for them.
		if p := o.Prototype(); p == nil || p == r.objectPrototype() {
			return c.plain(o)
		}
		switch r.protoKind(o) {
		case protoPlain:
			return c.plain(o)
		case protoDataView:
			if vw, ok := r.viewOf(o); ok {
				return c.view(vw)
			}
			return c.plain(o)
		}
	}
	c.fail(o) // symbol wrappers, weak collections, iterators, host objects…
	return nil
}

// What a prototype chain says about an object of class "Object".
const (
	protoPlain    = iota
	protoDataView // may be a DataView
	protoNoClone  // a platform object, weak collection or iterator
)

// protoKind classifies o by the first telling prototype on its chain.
func (r *realm) protoKind(o *goja.Object) int {
	if r.cloneProtos == nil {
		dv := r.protoProp(r.builtin("DataView"), "DataView")
		r.cloneProtos = map[*goja.Object]int{
			dv: protoDataView,
			r.protoProp(r.builtin("WeakMap"), "WeakMap"): protoNoClone,
			r.protoProp(r.builtin("WeakSet"), "WeakSet"): protoNoClone,
		}
		// %IteratorPrototype%, under every built-in iterator and generator.
		if f, ok := goja.AssertFunction(r.rt.NewArray().Get("values")); ok {
			if it, _ := r.call(f, r.rt.NewArray()).(*goja.Object); it != nil {
				if p := it.Prototype(); p != nil && p.Prototype() != nil {
					r.cloneProtos[p.Prototype()] = protoNoClone
				}
			}
		}
	}
	for i := 0; i < 64; i++ {
		p := o.Prototype()
		if p == nil || isProxy(p) {
			break
		}
		if r.platformProtos[p] {
			return protoNoClone
		}
		if k, ok := r.cloneProtos[p]; ok {
			return k
		}
		o = p
	}
	return protoPlain
}

// plain copies o's own enumerable string-keyed properties into a new object
// that inherits from Object.prototype, as the spec copies any ordinary
// object whatever its prototype.
func (c *cloner) plain(o *goja.Object) *goja.Object {
	d := c.r.rt.NewObject()
	c.memory[o] = d
	c.push(&frame{kind: propsFrame, src: o, dst: d, keys: o.Keys()})
	return d
}

// fail throws the DataCloneError for a value that cannot be cloned.
func (c *cloner) fail(o *goja.Object) {
	what := "#<Object>"
	if !isProxy(o) {
		what = "#<" + o.ClassName() + ">"
	}
	c.r.throwDOM("DataCloneError", what+" could not be cloned.")
}
