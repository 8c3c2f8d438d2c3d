package web

import (
	"bytes"
	"unicode/utf8"

	"github.com/kiln-run/kiln/internal/goja"
)

// encodingGlobals are TextEncoder and TextDecoder
// (https://encoding.spec.whatwg.org/#api). Both are built on first use.
var encodingGlobals = []global{
	{name: "TextEncoder", build: func(r *realm) goja.Value { return r.textEncoderClass().ctor }},
	{name: "TextDecoder", build: func(r *realm) goja.Value { return r.textDecoderClass().ctor }},
}

// textEncoderClass builds TextEncoder. A TextEncoder has no state, so its
// brand check is its prototype chain rather than a state lookup: that keeps
// `new TextEncoder().encode(s)`, a common idiom, cheap.
func (r *realm) textEncoderClass() *classInfo {
	if r.encoder != nil {
		return r.encoder
	}
	c := r.class("TextEncoder", 0, nil, func(*goja.Object, int, goja.Value, goja.Value) *goja.Object { return nil })
	p := c.proto
	r.encoder = c
	brand := func(call goja.FunctionCall) {
		if o, ok := call.This.(*goja.Object); !ok || !inherits(o, p) {
			panic(r.typeError("Illegal invocation"))
		}
	}
	r.getter(p, "encoding", func(call goja.FunctionCall) goja.Value {
		brand(call)
		return r.rt.ToValue(encUTF8)
	})
	r.method(p, "encode", 0, func(call goja.FunctionCall) goja.Value {
		brand(call)
		s := ""
		if v := call.Argument(0); !goja.IsUndefined(v) {
			// The string's UTF-8 copy, then the bytes: up to 3 bytes a
			// UTF-16 unit, twice.
			if js, ok := v.(goja.String); ok && js.Length() > 1<<14 && !r.charge(2*float64(utf8Len(js)), "TextEncoder.prototype.encode") {
				return goja.Undefined()
			}
			s = r.toDOMString(v)
		}
		return r.newUint8Array([]byte(validUTF8(s)))
	})
	r.method(p, "encodeInto", 2, func(call goja.FunctionCall) goja.Value {
		brand(call)
		r.requireArgs("Failed to execute 'encodeInto' on 'TextEncoder'", call, 2)
		s := validUTF8(r.toDOMString(call.Argument(0)))
		dst, ok := r.viewOf(call.Argument(1))
		if !ok || dst.kind != "Uint8Array" {
			panic(r.typeError("Failed to execute 'encodeInto' on 'TextEncoder': parameter 2 is not of type 'Uint8Array'."))
		}
		read, written := encodeInto(dst.bytes, s)
		res := r.rt.NewObject()
		_ = res.Set("read", read)
		_ = res.Set("written", written)
		return res
	})
	return c
}

// validUTF8 returns s with each invalid byte replaced by U+FFFD. Strings
// from scripts are already valid (goja replaces lone surrogates on the way
// out); a string the host made from raw bytes may not be.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	b := make([]byte, 0, len(s)+8)
	for _, c := range s {
		b = utf8.AppendRune(b, c)
	}
	return string(b)
}

// encodeInto writes as many whole characters of s into dst as fit, and
// returns how many UTF-16 code units it read and bytes it wrote.
func encodeInto(dst []byte, s string) (read, written int) {
	for _, c := range s {
		n := utf8.RuneLen(c)
		if written+n > len(dst) {
			break
		}
		utf8.EncodeRune(dst[written:], c)
		written += n
		read++
		if c >= 0x10000 {
			read++ // a surrogate pair in UTF-16
		}
	}
	return read, written
}

// textDecoder is a TextDecoder's internal state.
type textDecoder struct {
	enc              string
	fatal, ignoreBOM bool
	dec              *streamDecoder
	doNotFlush       bool // the last decode call had {stream: true}
	bomSeen          bool
}

// textDecoderClass builds TextDecoder.
func (r *realm) textDecoderClass() *classInfo {
	if r.decoder != nil {
		return r.decoder
	}
	c := r.class("TextDecoder", 0, nil, func(this *goja.Object, _ int, label, options goja.Value) *goja.Object {
		enc := encUTF8
		if !goja.IsUndefined(label) {
			l := r.toDOMString(label)
			if enc = lookupEncoding(l); enc == "" {
				panic(r.rangeError("Failed to construct 'TextDecoder': The encoding label provided ('" + l + "') is invalid."))
			}
		}
		d := &textDecoder{enc: enc}
		if o := r.dictionary(options, "TextDecoderOptions"); o != nil {
			d.fatal = get(o, "fatal").ToBoolean()
			d.ignoreBOM = get(o, "ignoreBOM").ToBoolean()
		}
		d.dec = newStreamDecoder(enc, d.fatal)
		r.setState(this, d)
		return nil
	})
	p := c.proto
	r.decoder = c
	brand := func(call goja.FunctionCall) *textDecoder {
		d, ok := stateAs[*textDecoder](r, call.This)
		if !ok {
			panic(r.typeError("Illegal invocation"))
		}
		return d
	}
	r.getter(p, "encoding", func(call goja.FunctionCall) goja.Value { return r.rt.ToValue(brand(call).enc) })
	r.getter(p, "fatal", func(call goja.FunctionCall) goja.Value { return r.rt.ToValue(brand(call).fatal) })
	r.getter(p, "ignoreBOM", func(call goja.FunctionCall) goja.Value { return r.rt.ToValue(brand(call).ignoreBOM) })
	r.method(p, "decode", 0, func(call goja.FunctionCall) goja.Value {
		d := brand(call)
		var in []byte
		if v := call.Argument(0); !goja.IsUndefined(v) {
			b, ok := r.bufferSource(v)
			if !ok {
				panic(r.typeError("Failed to execute 'decode' on 'TextDecoder': parameter 1 is not of type 'ArrayBuffer' or 'ArrayBufferView'."))
			}
			in = b
		}
		stream := false
		if o := r.dictionary(call.Argument(1), "TextDecodeOptions"); o != nil {
			stream = get(o, "stream").ToBoolean()
		}
		// The UTF-8 result and its copy as a string.
		if len(in) > 1<<14 && !r.charge(2*float64(decodedLen(d.enc, in)), "TextDecoder.prototype.decode") {
			return goja.Undefined()
		}
		return r.rt.ToValue(d.decode(r, in, stream))
	})
	return c
}

// decodedLen is about how many bytes of UTF-8 decoding in makes: for UTF-8,
// the input with each byte of an invalid sequence replaced by the three of
// U+FFFD (the standard replaces a sequence's longest valid prefix once: at
// most that); for the single-byte encodings, at least a byte a byte.
func decodedLen(enc string, in []byte) int {
	if enc != encUTF8 {
		return len(in)
	}
	n := 0
	for i := 0; i < len(in); {
		r, size := utf8.DecodeRune(in[i:])
		if r == utf8.RuneError && size == 1 {
			n += 3
		} else {
			n += size
		}
		i += size
	}
	return n
}

// decode runs TextDecoder.prototype.decode's steps on in.
func (d *textDecoder) decode(r *realm, in []byte, stream bool) string {
	if !d.doNotFlush {
		d.dec.reset()
		d.bomSeen = false
	}
	d.doNotFlush = stream
	var out []byte
	if d.enc == encUTF8 && d.dec.clean() && utf8.Valid(in) {
		out = in // nothing to replace; string(out) below copies it
	} else {
		var ok bool
		out, ok = d.dec.decode(make([]byte, 0, len(in)+len(in)/2), in, !stream)
		if !ok {
			d.doNotFlush = false
			panic(r.typeError("The encoded data was not valid for encoding " + d.enc))
		}
	}
	if !d.bomSeen && len(out) > 0 {
		d.bomSeen = true
		if !d.ignoreBOM && bytes.HasPrefix(out, []byte("\uFEFF")) {
			out = out[len("\uFEFF"):]
		}
	}
	return string(out)
}

// dictionary converts v as WebIDL converts to a dictionary: undefined and
// null mean all defaults (nil), an object is read, anything else is a
// TypeError.
func (r *realm) dictionary(v goja.Value, what string) *goja.Object {
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return nil
	}
	o, ok := v.(*goja.Object)
	if !ok {
		panic(r.typeError("The provided value is not of type '" + what + "'."))
	}
	return o
}
