package web

import (
	"encoding/base64"

	"github.com/kiln-run/kiln/internal/goja"
)

// base64Globals are atob and btoa
// (https://html.spec.whatwg.org/multipage/webappapis.html#atob). Each is a
// single function, cheaper to make now than to make lazily.
var base64Globals = []global{
	{name: "btoa", enumerable: true, eager: true, build: (*realm).btoaFunc},
	{name: "atob", enumerable: true, eager: true, build: (*realm).atobFunc},
}

func (r *realm) btoaFunc() goja.Value {
	return r.fn("btoa", 1, func(call goja.FunctionCall) goja.Value {
		r.requireArgs("Failed to execute 'btoa'", call, 1)
		s := r.toDOMString(call.Argument(0))
		b := make([]byte, 0, len(s))
		for _, c := range s {
			if c > 0xFF {
				r.throwDOM("InvalidCharacterError", "The string to be encoded contains characters outside of the Latin1 range.")
			}
			b = append(b, byte(c))
		}
		return r.rt.ToValue(base64.StdEncoding.EncodeToString(b))
	})
}

func (r *realm) atobFunc() goja.Value {
	return r.fn("atob", 1, func(call goja.FunctionCall) goja.Value {
		r.requireArgs("Failed to execute 'atob'", call, 1)
		b, ok := forgivingBase64Decode(r.toDOMString(call.Argument(0)))
		if !ok {
			r.throwDOM("InvalidCharacterError", "The string to be decoded is not correctly encoded.")
		}
		return latin1String(r.rt, b)
	})
}

// base64Values maps each byte to its base64 value, or 0xFF if it is not in
// the standard alphabet.
var base64Values = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xFF
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = byte(i)
	}
	return t
}()

// forgivingBase64Decode implements the HTML spec's forgiving-base64 decode
// (https://infra.spec.whatwg.org/#forgiving-base64-decode): whitespace is
// ignored, padding is optional, and leftover bits need not be zero. ok is
// false where the spec returns failure.
func forgivingBase64Decode(s string) (_ []byte, ok bool) {
	buf := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\t', '\n', '\f', '\r', ' ':
		default:
			buf = append(buf, c)
		}
	}
	if len(buf)%4 == 0 {
		for i := 0; i < 2 && len(buf) > 0 && buf[len(buf)-1] == '='; i++ {
			buf = buf[:len(buf)-1]
		}
	}
	if len(buf)%4 == 1 {
		return nil, false
	}
	out := make([]byte, 0, len(buf)*3/4)
	var acc uint32
	n := 0
	for _, c := range buf {
		v := base64Values[c]
		if v == 0xFF {
			return nil, false
		}
		acc = acc<<6 | uint32(v)
		if n++; n == 4 {
			out = append(out, byte(acc>>16), byte(acc>>8), byte(acc))
			acc, n = 0, 0
		}
	}
	switch n {
	case 2:
		out = append(out, byte(acc>>4))
	case 3:
		out = append(out, byte(acc>>10), byte(acc>>2))
	}
	return out, true
}

// latin1String returns the JS string whose code units are the bytes of b.
func latin1String(rt *goja.Runtime, b []byte) goja.Value {
	ascii := true
	for _, c := range b {
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return rt.ToValue(string(b))
	}
	u := make([]uint16, len(b))
	for i, c := range b {
		u[i] = uint16(c)
	}
	return goja.StringFromUTF16(u)
}
