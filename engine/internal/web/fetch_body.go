package web

import (
	"bytes"
	"unicode/utf8"

	"github.com/kiln-run/kiln/internal/goja"
)

// body is the body of a Request or Response, held whole (there are no
// streams here; see installFetchClasses).
type body struct {
	present bool   // the body is non-null
	data    []byte // never changed once set, so clones may share it
	used    bool   // the body was read ("disturbed")
	view    *goja.Object
}

// copyBody returns an unread body with the same bytes.
func (b *body) copyBody() body { return body{present: b.present, data: b.data} }

// bodyInit is a converted BodyInit: the bytes and the Content-Type they
// imply ("" for none).
type bodyInit struct {
	data  []byte
	ctype string
}

const (
	typeText = "text/plain;charset=UTF-8"
	typeForm = "application/x-www-form-urlencoded;charset=UTF-8"
	typeJSON = "application/json"
)

// extractBody converts a non-null BodyInit and extracts its bytes and type.
// A BufferSource is copied; a URLSearchParams (the global installed by
// urlapi, looked up now) gives its serialization; anything else is
// converted to a string, as WebIDL converts to the union's USVString.
func (f *fetchRealm) extractBody(v goja.Value) bodyInit {
	r := f.r
	if b, ok := r.bufferSource(v); ok {
		return bodyInit{data: bytes.Clone(b)}
	}
	if o, ok := v.(*goja.Object); ok && f.isURLSearchParams(o) {
		s := r.toDOMString(r.call(f.paramsToString, o))
		return bodyInit{data: []byte(s), ctype: typeForm}
	}
	return bodyInit{data: []byte(validUTF8(r.toDOMString(v))), ctype: typeText}
}

// isURLSearchParams reports whether o is a URLSearchParams of the current
// globalThis.URLSearchParams, and if so caches that class's toString. The
// tag is checked first, so that ordinary objects never touch (and build)
// the URLSearchParams class.
func (f *fetchRealm) isURLSearchParams(o *goja.Object) bool {
	r := f.r
	if isProxy(o) {
		return false
	}
	if tag := o.GetSymbol(goja.SymToStringTag); tag == nil || !goja.IsString(tag) || tag.String() != "URLSearchParams" {
		return false
	}
	ctor, _ := r.rt.GlobalObject().Get("URLSearchParams").(*goja.Object)
	if ctor == nil {
		return false
	}
	proto, _ := ctor.Get("prototype").(*goja.Object)
	if proto == nil || !inherits(o, proto) {
		return false
	}
	fn, ok := goja.AssertFunction(proto.Get("toString"))
	if !ok {
		return false
	}
	f.paramsToString = fn
	return true
}

// utf8Decode runs the Encoding standard's "UTF-8 decode": a leading BOM is
// dropped and invalid bytes become U+FFFD.
func utf8Decode(b []byte) string {
	b = bytes.TrimPrefix(b, []byte("\uFEFF"))
	if utf8.Valid(b) {
		return string(b)
	}
	out, _ := newStreamDecoder(encUTF8, false).decode(make([]byte, 0, len(b)+len(b)/2), b, true)
	return string(out)
}

// bodyMixin defines the Body interface mixin's members on proto. bodyOf is
// the brand check of the interface (named iface in errors).
func (f *fetchRealm) bodyMixin(proto *goja.Object, iface string, bodyOf func(goja.Value) *body) {
	r := f.r
	r.getter(proto, "body", func(call goja.FunctionCall) goja.Value {
		b := bodyOf(call.This)
		if !b.present {
			return goja.Null()
		}
		if b.view == nil {
			b.view = r.newUint8Array(bytes.Clone(b.data))
		}
		return b.view
	})
	r.getter(proto, "bodyUsed", func(call goja.FunctionCall) goja.Value {
		return r.rt.ToValue(bodyOf(call.This).used)
	})
	consume := func(name string, convert func([]byte) goja.Value) {
		ctx := "Failed to execute '" + name + "' on '" + iface + "': "
		r.method(proto, name, 0, func(call goja.FunctionCall) goja.Value {
			promise, resolve, reject := r.rt.NewPromise()
			// Every error, a failed brand check included, rejects.
			if ex := r.rt.Try(func() {
				b := bodyOf(call.This)
				if b.used {
					panic(r.typeError(ctx + "body already used."))
				}
				b.used = b.present // a null body can be read again and again
				_ = resolve(convert(b.data))
			}); ex != nil {
				_ = reject(ex.Value())
			}
			return r.rt.ToValue(promise)
		})
	}
	consume("arrayBuffer", func(b []byte) goja.Value { return r.newArrayBuffer(bytes.Clone(b)) })
	consume("bytes", func(b []byte) goja.Value { return r.newUint8Array(bytes.Clone(b)) })
	consume("json", func(b []byte) goja.Value {
		parse := f.builtinMethod(&f.jsonParse, "JSON", "parse")
		return r.call(parse, goja.Undefined(), r.rt.ToValue(utf8Decode(b)))
	})
	consume("text", func(b []byte) goja.Value { return r.rt.ToValue(utf8Decode(b)) })
}

// setBody gives a new Request or Response the extracted body in, adding its
// Content-Type to h unless h has one.
func setBody(dst *body, h *headersState, in bodyInit) {
	*dst = body{present: true, data: in.data}
	if in.ctype != "" && !h.has("content-type") {
		h.append("Content-Type", in.ctype)
	}
}
