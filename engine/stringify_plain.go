package engine

import (
	"math"
	"reflect"
	"strconv"

	"github.com/kiln-run/kiln/internal/goja"
)

// appendPlain is JSON.stringify for the small, plain results handlers
// usually return — object literals, arrays, ASCII strings, numbers,
// booleans and null — written in one walk, without measuring the value
// first and without goja's generic stringify (together a tenth of a warm
// HTTP request). Anything else gives ok false, and the caller takes the
// full path: an object with another prototype, a toJSON anywhere, a
// Proxy, a non-ASCII string, a BigInt, more than plainMaxObjects objects
// or arrays (which also ends a cycle), or more than plainMaxBytes of JSON.
// TestStringifyPlain compares it with goja's JSON.stringify. It appends
// the JSON to buf and returns the extended buffer, which holds a partial
// write when ok is false.
func appendPlain(buf []byte, protos plainProtos, v goja.Value) ([]byte, bool) {
	buf, _, ok := appendPlainKeys(buf, nil, protos, v)
	return buf, ok
}

// appendPlainKeys is appendPlain with a scratch list for the objects' keys
// (keys[:0] is used), returned grown, for the caller to keep.
func appendPlainKeys(buf []byte, keys []string, protos plainProtos, v goja.Value) ([]byte, []string, bool) {
	w := plainWriter{protos: protos, buf: buf, objects: plainMaxObjects, keys: keys[:0]}
	written, ok := w.value(v)
	return w.buf, w.keys, ok && written // !written: undefined, a function or a symbol, the caller's
}

// plainProtos are the intrinsic Object.prototype and Array.prototype: a
// plain object or array has one of them as its prototype.
type plainProtos struct{ object, array *goja.Object }

const (
	plainMaxObjects = 32
	plainMaxBytes   = 16 << 10
)

var (
	plainObjectType = reflect.TypeFor[map[string]any]()
	plainArrayType  = reflect.TypeFor[[]any]()
	stringType      = reflect.TypeFor[string]()
	int64Type       = reflect.TypeFor[int64]()
	float64Type     = reflect.TypeFor[float64]()
	boolType        = reflect.TypeFor[bool]()
)

type plainWriter struct {
	protos  plainProtos
	buf     []byte
	objects int // objects and arrays still allowed
	// keys is a stack of the objects' keys being written: each object's
	// above its parent's (goja's AppendKeys: no iterator, no list each).
	keys []string
}

// value writes v. written is false for what JSON.stringify leaves out of
// an object (undefined, functions, symbols); ok is false to give up.
func (w *plainWriter) value(v goja.Value) (written, ok bool) {
	if len(w.buf) > plainMaxBytes {
		return false, false
	}
	switch x := v.(type) {
	case nil:
		return false, true
	case *goja.Symbol:
		return false, true
	case *goja.Object:
		return w.object(x)
	}
	if goja.IsUndefined(v) {
		return false, true
	}
	if goja.IsNull(v) {
		w.buf = append(w.buf, "null"...)
		return true, true
	}
	switch v.ExportType() {
	case stringType:
		return true, w.str(v.String())
	case int64Type:
		w.buf = strconv.AppendInt(w.buf, v.ToInteger(), 10)
		return true, true
	case float64Type:
		if f := v.ToFloat(); math.IsNaN(f) || math.IsInf(f, 0) {
			w.buf = append(w.buf, "null"...)
		} else {
			w.buf = append(w.buf, v.String()...) // JS number formatting
		}
		return true, true
	case boolType:
		if v.ToBoolean() {
			w.buf = append(w.buf, "true"...)
		} else {
			w.buf = append(w.buf, "false"...)
		}
		return true, true
	}
	return false, false // a BigInt, or a kind this does not know
}

func (w *plainWriter) object(o *goja.Object) (written, ok bool) {
	if _, callable := goja.AssertFunction(o); callable {
		return false, true
	}
	if w.objects--; w.objects < 0 {
		return false, false
	}
	proto := o.Prototype()
	switch {
	case proto == w.protos.object && o.ClassName() == "Object" && o.ExportType() == plainObjectType:
		if hasToJSON(o) {
			return false, false
		}
		return true, w.members(o)
	case proto == w.protos.array && o.ClassName() == "Array" && o.ExportType() == plainArrayType:
		if hasToJSON(o) {
			return false, false
		}
		return true, w.elements(o)
	}
	return false, false
}

// hasToJSON reports whether o has or inherits a toJSON property.
func hasToJSON(o *goja.Object) bool {
	v := o.Get("toJSON") // nil when there is none
	return v != nil && !goja.IsUndefined(v)
}

func (w *plainWriter) members(o *goja.Object) bool {
	w.buf = append(w.buf, '{')
	first := true
	start := len(w.keys)
	w.keys = o.AppendKeys(w.keys)
	end := len(w.keys)
	for i := start; i < end; i++ {
		k := w.keys[i] // w.keys may move while a member is written
		mark := len(w.buf)
		if !first {
			w.buf = append(w.buf, ',')
		}
		if !w.str(k) {
			return false
		}
		w.buf = append(w.buf, ':')
		written, ok := w.value(o.Get(k))
		if !ok {
			return false
		}
		if !written {
			w.buf = w.buf[:mark]
			continue
		}
		first = false
	}
	w.buf = append(w.buf, '}')
	w.keys = w.keys[:start] // (after a failure nothing reads them)
	return true
}

func (w *plainWriter) elements(o *goja.Object) bool {
	n := o.Get("length").ToInteger()
	if n > plainMaxBytes/2 { // each element writes at least "0,"
		return false
	}
	w.buf = append(w.buf, '[')
	for i := range n {
		if i > 0 {
			w.buf = append(w.buf, ',')
		}
		written, ok := w.value(o.Get(strconv.FormatInt(i, 10)))
		if !ok {
			return false
		}
		if !written {
			w.buf = append(w.buf, "null"...)
		}
	}
	w.buf = append(w.buf, ']')
	return true
}

// str writes an ASCII string quoted and escaped as goja's JSON.stringify
// does; false for any other string (the full path knows lone surrogates).
func (w *plainWriter) str(s string) bool {
	if len(w.buf)+len(s) > plainMaxBytes {
		return false // before copying it: a big string is the full path's to charge
	}
	w.buf = append(w.buf, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 0x80:
			return false
		case c == '"' || c == '\\':
			w.buf = append(w.buf, '\\', c)
		case c >= 0x20:
			w.buf = append(w.buf, c)
		case c == '\b':
			w.buf = append(w.buf, `\b`...)
		case c == '\t':
			w.buf = append(w.buf, `\t`...)
		case c == '\n':
			w.buf = append(w.buf, `\n`...)
		case c == '\f':
			w.buf = append(w.buf, `\f`...)
		case c == '\r':
			w.buf = append(w.buf, `\r`...)
		default:
			w.buf = append(w.buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		}
	}
	w.buf = append(w.buf, '"')
	return true
}

const hexDigits = "0123456789abcdef"
