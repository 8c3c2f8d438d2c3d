package web

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"strings"

	"github.com/kiln-run/kiln/internal/goja"
)

// cryptoGlobals is crypto (https://w3c.github.io/webcrypto/): the
// getRandomValues and randomUUID methods, which draw only from
// Host.Random so that a run can be replayed, and crypto.subtle.digest.
var cryptoGlobals = []global{
	{name: "crypto", enumerable: true, build: func(r *realm) goja.Value { return r.cryptoObject() }},
}

// maxRandomBytes is the most getRandomValues fills in one call.
const maxRandomBytes = 65536

// integerArrays are the typed arrays getRandomValues accepts.
var integerArrays = map[string]bool{
	"Int8Array": true, "Uint8Array": true, "Uint8ClampedArray": true,
	"Int16Array": true, "Uint16Array": true, "Int32Array": true, "Uint32Array": true,
	"BigInt64Array": true, "BigUint64Array": true,
}

// digests are the algorithms crypto.subtle.digest supports, by upper-case
// name.
var digests = map[string]func([]byte) []byte{
	"SHA-1":   func(b []byte) []byte { s := sha1.Sum(b); return s[:] },
	"SHA-256": func(b []byte) []byte { s := sha256.Sum256(b); return s[:] },
	"SHA-384": func(b []byte) []byte { s := sha512.Sum384(b); return s[:] },
	"SHA-512": func(b []byte) []byte { s := sha512.Sum512(b); return s[:] },
}

// cryptoObject builds the crypto object. Its interfaces (Crypto,
// SubtleCrypto) are not exposed as globals, but their prototypes carry the
// methods and tags browsers have.
func (r *realm) cryptoObject() *goja.Object {
	if r.crypto != nil {
		return r.crypto
	}
	proto, subtleProto := r.rt.NewObject(), r.rt.NewObject()
	r.tag(proto, "Crypto")
	r.tag(subtleProto, "SubtleCrypto")
	crypto, subtle := r.rt.NewObject(), r.rt.NewObject()
	_ = crypto.SetPrototype(proto)
	_ = subtle.SetPrototype(subtleProto)
	r.platformProtos[proto], r.platformProtos[subtleProto] = true, true
	r.crypto = crypto

	brand := func(call goja.FunctionCall) {
		if call.This != crypto {
			panic(r.typeError("Illegal invocation"))
		}
	}
	r.getter(proto, "subtle", func(call goja.FunctionCall) goja.Value {
		brand(call)
		return subtle
	})
	r.method(proto, "getRandomValues", 1, func(call goja.FunctionCall) goja.Value {
		brand(call)
		r.requireArgs("Failed to execute 'getRandomValues' on 'Crypto'", call, 1)
		vw, ok := r.viewOf(call.Argument(0))
		if !ok {
			panic(r.typeError("Failed to execute 'getRandomValues' on 'Crypto': parameter 1 is not of type 'ArrayBufferView'."))
		}
		if !integerArrays[vw.kind] {
			r.throwDOM("TypeMismatchError", "The provided ArrayBufferView is of type '"+vw.kind+"', which is not an integer array type.")
		}
		if len(vw.bytes) > maxRandomBytes {
			r.throwDOM("QuotaExceededError", "The ArrayBufferView's byte length ("+itoa(len(vw.bytes))+") exceeds the number of bytes of entropy available via this API ("+itoa(maxRandomBytes)+").")
		}
		r.random(vw.bytes)
		return call.Argument(0)
	})
	r.method(proto, "randomUUID", 0, func(call goja.FunctionCall) goja.Value {
		brand(call)
		return r.rt.ToValue(r.uuid())
	})
	r.method(subtleProto, "digest", 2, func(call goja.FunctionCall) goja.Value {
		promise, resolve, reject := r.rt.NewPromise()
		// A promise-returning method reports every error, bad arguments
		// included, as a rejection.
		if ex := r.rt.Try(func() {
			if call.This != subtle {
				panic(r.typeError("Illegal invocation"))
			}
			r.requireArgs("Failed to execute 'digest' on 'SubtleCrypto'", call, 2)
			data, ok := r.bufferSource(call.Argument(1))
			if !ok {
				panic(r.typeError("Failed to execute 'digest' on 'SubtleCrypto': parameter 2 is not of type 'ArrayBuffer' or 'ArrayBufferView'."))
			}
			name := r.algorithmName(call.Argument(0))
			sum, ok := digests[strings.ToUpper(name)]
			if !ok {
				r.throwDOM("NotSupportedError", "Unrecognized algorithm name: "+name)
			}
			_ = resolve(r.newArrayBuffer(sum(data)))
		}); ex != nil {
			_ = reject(ex.Value())
		}
		return r.rt.ToValue(promise)
	})
	return crypto
}

// algorithmName normalizes an AlgorithmIdentifier (a name, or an object
// with one) to its name.
func (r *realm) algorithmName(v goja.Value) string {
	if o, ok := v.(*goja.Object); ok {
		name := get(o, "name")
		if goja.IsUndefined(name) {
			panic(r.typeError("Algorithm: name: Missing or not a string"))
		}
		return r.toDOMString(name)
	}
	return r.toDOMString(v)
}

// random fills b from Host.Random.
func (r *realm) random(b []byte) {
	if r.host.Random == nil {
		r.throwDOM("NotSupportedError", "No source of randomness is available.")
	}
	if len(b) > 0 {
		r.host.Random(b)
	}
}

// uuid returns a new version 4 UUID in lower case.
func (r *realm) uuid() string {
	var b [16]byte
	r.random(b[:])
	b[6] = b[6]&0x0F | 0x40 // version 4
	b[8] = b[8]&0x3F | 0x80 // variant 10
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}
