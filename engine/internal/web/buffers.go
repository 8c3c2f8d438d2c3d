package web

import (
	"reflect"

	"github.com/kiln-run/kiln/internal/goja"
)

// viewIntrinsics are the brand-checking getters of %TypedArray%.prototype
// and DataView.prototype. They read a view's internal slots, which its own
// (script-writable) properties may lie about.
type viewIntrinsics struct {
	tag, buffer, byteOffset, byteLength, length goja.Callable
	dvProto                                     *goja.Object
	dvBuffer, dvByteOffset, dvByteLength        goja.Callable
}

func (r *realm) viewIntr() *viewIntrinsics {
	if r.views != nil {
		return r.views
	}
	ta := r.protoProp(r.builtin("Uint8Array"), "Uint8Array").Prototype()
	if ta == nil {
		panic(r.typeError("%TypedArray%.prototype is not available"))
	}
	dv := r.protoProp(r.builtin("DataView"), "DataView")
	key := func(s string) goja.Value { return r.rt.ToValue(s) }
	r.views = &viewIntrinsics{
		tag:          r.getterOf(ta, goja.SymToStringTag),
		buffer:       r.getterOf(ta, key("buffer")),
		byteOffset:   r.getterOf(ta, key("byteOffset")),
		byteLength:   r.getterOf(ta, key("byteLength")),
		length:       r.getterOf(ta, key("length")),
		dvProto:      dv,
		dvBuffer:     r.getterOf(dv, key("buffer")),
		dvByteOffset: r.getterOf(dv, key("byteOffset")),
		dvByteLength: r.getterOf(dv, key("byteLength")),
	}
	return r.views
}

// typedArrayTypes are what goja's typed arrays export as; nothing else a
// script can make exports as one of these and has class "Object".
var typedArrayTypes = map[reflect.Type]bool{
	reflect.TypeOf([]uint8(nil)):   true,
	reflect.TypeOf([]int8(nil)):    true,
	reflect.TypeOf([]uint16(nil)):  true,
	reflect.TypeOf([]int16(nil)):   true,
	reflect.TypeOf([]uint32(nil)):  true,
	reflect.TypeOf([]int32(nil)):   true,
	reflect.TypeOf([]float32(nil)): true,
	reflect.TypeOf([]float64(nil)): true,
	reflect.TypeOf([]int64(nil)):   true,
	reflect.TypeOf([]uint64(nil)):  true,
}

var (
	arrayBufferType = reflect.TypeOf(goja.ArrayBuffer{})
	// plainObjectType is what an ordinary object exports as.
	plainObjectType = reflect.TypeOf(map[string]any(nil))
)

// view describes an ArrayBufferView: a typed array or a DataView.
type view struct {
	kind   string       // "Uint8Array"…, or "DataView"
	buffer *goja.Object // the viewed ArrayBuffer
	offset int          // byte offset into buffer
	length int          // element count (byte count for a DataView)
	// bytes are the viewed bytes, sharing memory with the buffer; empty if
	// the buffer is detached.
	bytes    []byte
	detached bool
}

// asArrayBuffer returns v's ArrayBuffer if v is one.
func asArrayBuffer(v goja.Value) (goja.ArrayBuffer, bool) {
	o, ok := v.(*goja.Object)
	if !ok || o.ExportType() != arrayBufferType {
		return goja.ArrayBuffer{}, false
	}
	ab, ok := o.Export().(goja.ArrayBuffer)
	return ab, ok
}

// isTypedArrayCandidate is the cheap, trap-free half of the typed array
// brand check.
func isTypedArrayCandidate(o *goja.Object) bool {
	return !isProxy(o) && typedArrayTypes[o.ExportType()] && o.ClassName() == "Object"
}

// viewOf reports whether v is a typed array or a DataView and describes it.
func (r *realm) viewOf(v goja.Value) (view, bool) {
	o, ok := v.(*goja.Object)
	if !ok || isProxy(o) {
		return view{}, false
	}
	if isTypedArrayCandidate(o) {
		vi := r.viewIntr()
		name, err := vi.tag(o)
		if err != nil && isFatal(err) {
			panic(err)
		}
		if err != nil || !goja.IsString(name) {
			return view{}, false
		}
		return r.describe(o, name.String(), vi.buffer, vi.byteOffset, vi.byteLength, vi.length), true
	}
	// Only a DataView whose prototype chain still holds DataView.prototype
	// is recognised: calling the brand check on every object would throw
	// (and build a TypeError) for each plain one.
	if o.ClassName() != "Object" || o.ExportType() != plainObjectType {
		return view{}, false
	}
	vi := r.viewIntr()
	if !inherits(o, vi.dvProto) {
		return view{}, false
	}
	if _, err := vi.dvBuffer(o); err != nil {
		if isFatal(err) {
			panic(err)
		}
		return view{}, false
	}
	return r.describe(o, "DataView", vi.dvBuffer, vi.dvByteOffset, vi.dvByteLength, vi.dvByteLength), true
}

func (r *realm) describe(o *goja.Object, kind string, buffer, byteOffset, byteLength, length goja.Callable) view {
	v := view{kind: kind}
	v.buffer, _ = r.call(buffer, o).(*goja.Object)
	ab, ok := asArrayBuffer(v.buffer)
	if !ok || ab.Detached() {
		v.detached = true
		return v
	}
	// A DataView's getters throw on a detached buffer; a typed array's
	// return 0. Both were ruled out above.
	off := int(r.call(byteOffset, o).ToInteger())
	n := int(r.call(byteLength, o).ToInteger())
	data := ab.Bytes()
	if off < 0 || n < 0 || off > len(data) || n > len(data)-off {
		return v
	}
	v.offset = off
	v.length = int(r.call(length, o).ToInteger())
	v.bytes = data[off : off+n : off+n]
	return v
}

// bufferSource returns the bytes of a BufferSource (an ArrayBuffer or an
// ArrayBufferView), sharing memory with it. ok is false for anything else.
func (r *realm) bufferSource(v goja.Value) (b []byte, ok bool) {
	if ab, ok := asArrayBuffer(v); ok {
		return ab.Bytes(), true
	}
	if vw, ok := r.viewOf(v); ok {
		return vw.bytes, true
	}
	return nil, false
}

// newArrayBuffer returns a new ArrayBuffer that owns b.
func (r *realm) newArrayBuffer(b []byte) *goja.Object {
	if b == nil {
		b = []byte{}
	}
	if r.host.Builtin != nil {
		// The new buffer's prototype leads to the ArrayBuffer constructor:
		// the host's guard on it must be in place first.
		r.builtin("ArrayBuffer")
	}
	return r.rt.ToValue(r.rt.NewArrayBuffer(b)).(*goja.Object)
}

// newUint8Array returns a new Uint8Array over a new buffer that owns b.
func (r *realm) newUint8Array(b []byte) *goja.Object {
	o, err := r.rt.New(r.builtin("Uint8Array"), r.newArrayBuffer(b))
	if err != nil {
		panic(err)
	}
	return o
}
