package web

import (
	"regexp"
	"testing"
)

func TestCryptoRandom(t *testing.T) {
	runCasesWith(t, func() Host { return Host{Random: seqRandom()} }, []jsCase{
		{"getRandomValues draws from Host.Random", `crypto.getRandomValues(new Uint8Array(4)).join() + " " + crypto.getRandomValues(new Uint8Array(2)).join()`,
			"0,1,2,3 4,5"},
		{"returns its argument", `const a = new Uint16Array(2); crypto.getRandomValues(a) === a`, "true"},
		{"fills the view's bytes only", `const b = new Uint8Array(6); crypto.getRandomValues(b.subarray(2, 4)); b.join()`, "0,0,0,1,0,0"},
		{"wider integer arrays", `const a = crypto.getRandomValues(new Uint16Array(2)); a.join()`, "256,770"},
		{"every integer type", `["Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array", "Uint32Array",
			"BigInt64Array", "BigUint64Array"].map(n => thrown(() => crypto.getRandomValues(new globalThis[n](1)))).join()`,
			"no throw,no throw,no throw,no throw,no throw,no throw,no throw,no throw,no throw"},
		{"float arrays and DataView", `[new Float32Array(1), new Float64Array(1), new DataView(new ArrayBuffer(1))]
			.map(a => thrown(() => crypto.getRandomValues(a))).join()`, "TypeMismatchError(17),TypeMismatchError(17),TypeMismatchError(17)"},
		{"not a view", `[new ArrayBuffer(1), [1], {}, undefined].map(a => thrown(() => crypto.getRandomValues(a))).join()`,
			"TypeError,TypeError,TypeError,TypeError"},
		{"quota", `[thrown(() => crypto.getRandomValues(new Uint8Array(65536))), thrown(() => crypto.getRandomValues(new Uint8Array(65537))),
			thrown(() => crypto.getRandomValues(new Uint32Array(16385)))].join()`, "no throw,QuotaExceededError(22),QuotaExceededError(22)"},
		{"needs an argument", `thrown(() => crypto.getRandomValues())`, "TypeError"},
		{"randomUUID", `crypto.randomUUID()`, "00010203-0405-4607-8809-0a0b0c0d0e0f"},
		{"randomUUID draws new bytes", `crypto.randomUUID() !== crypto.randomUUID()`, "true"},
		{"methods check their receiver", `const {getRandomValues, randomUUID} = crypto;
			[thrown(() => getRandomValues(new Uint8Array(1))), thrown(() => randomUUID()), thrown(() => randomUUID.call({}))].join()`,
			"TypeError,TypeError,TypeError"},
		{"shape", `[typeof crypto.subtle, crypto.subtle === crypto.subtle, Object.keys(Object.getPrototypeOf(crypto)).join("+")].join()`,
			"object,true,subtle+getRandomValues+randomUUID"},
	})
}

func TestCryptoWithoutRandom(t *testing.T) {
	runCases(t, Host{}, []jsCase{
		{"getRandomValues", `thrown(() => crypto.getRandomValues(new Uint8Array(1)))`, "NotSupportedError(9)"},
		{"randomUUID", `thrown(() => crypto.randomUUID())`, "NotSupportedError(9)"},
	})
}

func TestRandomUUIDFormat(t *testing.T) {
	rt := newVM(t, Host{Random: func(p []byte) {
		for i := range p {
			p[i] = 0xFF
		}
	}})
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	for i := 0; i < 3; i++ {
		if got := eval(t, rt, `crypto.randomUUID()`); !re.MatchString(got) || got != "ffffffff-ffff-4fff-bfff-ffffffffffff" {
			t.Errorf("randomUUID() = %q", got)
		}
	}
}

func TestDigest(t *testing.T) {
	hex := `const hex = b => [...new Uint8Array(b)].map(x => x.toString(16).padStart(2, "0")).join("");
		const abc = new TextEncoder().encode("abc");`
	runCases(t, Host{}, []jsCase{
		{"SHA-1", hex + `crypto.subtle.digest("SHA-1", abc).then(hex)`, "a9993e364706816aba3e25717850c26c9cd0d89d"},
		{"SHA-256", hex + `crypto.subtle.digest("SHA-256", abc).then(hex)`, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"SHA-384", hex + `crypto.subtle.digest("SHA-384", abc).then(hex)`,
			"cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"},
		{"SHA-512", hex + `crypto.subtle.digest("SHA-512", abc).then(hex)`,
			"ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"},
		{"case-insensitive name in an object", hex + `crypto.subtle.digest({name: "sha-256"}, abc).then(hex)`,
			"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"empty input, ArrayBuffer", hex + `crypto.subtle.digest("sha-1", new ArrayBuffer(0)).then(hex)`, "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
		{"DataView and offsets", hex + `const b = new Uint8Array([0, 97, 98, 99, 0]);
			crypto.subtle.digest("SHA-256", new DataView(b.buffer, 1, 3)).then(hex)`, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"resolves to an ArrayBuffer", `crypto.subtle.digest("SHA-256", new Uint8Array(1)).then(b => b instanceof ArrayBuffer && b.byteLength)`, "32"},
		{"returns a Promise", `crypto.subtle.digest("SHA-256", new Uint8Array(1)) instanceof Promise`, "true"},
		{"unknown algorithm", `crypto.subtle.digest("MD5", new Uint8Array(1))`, "rejects NotSupportedError"},
		{"unknown algorithm is a DOMException", `crypto.subtle.digest("SHA-3", new Uint8Array(1)).catch(e => e instanceof DOMException && e.code)`, "9"},
		{"algorithm object without name", `crypto.subtle.digest({}, new Uint8Array(1))`, "rejects TypeError"},
		{"bad data", `crypto.subtle.digest("SHA-256", "abc")`, "rejects TypeError"},
		{"missing arguments", `crypto.subtle.digest("SHA-256")`, "rejects TypeError"},
		{"getter that throws", `crypto.subtle.digest({get name() { throw new RangeError("x") }}, new Uint8Array(1))`, "rejects RangeError"},
		{"receiver check", `crypto.subtle.digest.call({}, "SHA-256", new Uint8Array(1))`, "rejects TypeError"},
	})
}
