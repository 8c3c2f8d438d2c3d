package web

import (
	"strings"
	"testing"
)

func TestTextEncoder(t *testing.T) {
	runCases(t, Host{}, []jsCase{
		{"encoding", `new TextEncoder().encoding`, "utf-8"},
		{"ascii", `new TextEncoder().encode("hi").join()`, "104,105"},
		{"multi-byte", `new TextEncoder().encode("é€😀").join()`, "195,169,226,130,172,240,159,152,128"},
		{"lone surrogates become U+FFFD", `new TextEncoder().encode("a\uD800b\uDC00").join()`, "97,239,191,189,98,239,191,189"},
		{"no argument", `new TextEncoder().encode().length`, "0"},
		{"undefined", `new TextEncoder().encode(undefined).length`, "0"},
		{"null is 'null'", `new TextEncoder().encode(null).length`, "4"},
		{"result is a fresh Uint8Array", `const e = new TextEncoder(), a = e.encode("x");
			[a instanceof Uint8Array, a.buffer.byteLength, a !== e.encode("x")].join()`, "true,1,true"},
		{"symbol", `thrown(() => new TextEncoder().encode(Symbol()))`, "TypeError"},
		{"brand check", `thrown(() => TextEncoder.prototype.encode.call({}, "x"))`, "TypeError"},
		{"brand check runs no proxy trap", `const p = new Proxy({}, {getPrototypeOf() { throw new RangeError("trap") }});
			thrown(() => TextEncoder.prototype.encode.call(p))`, "TypeError"},
		{"encodeInto fits", `const d = new Uint8Array(8); const r = new TextEncoder().encodeInto("hé", d);
			[r.read, r.written, d.join()].join(" ")`, "2 3 104,195,169,0,0,0,0,0"},
		{"encodeInto stops before a character that does not fit",
			`JSON.stringify(new TextEncoder().encodeInto("a😀b", new Uint8Array(4)))`, `{"read":1,"written":1}`},
		{"encodeInto counts a surrogate pair as two read",
			`JSON.stringify(new TextEncoder().encodeInto("a😀b", new Uint8Array(5)))`, `{"read":3,"written":5}`},
		{"encodeInto writes at the view's offset", `const b = new Uint8Array(6);
			new TextEncoder().encodeInto("xyz", b.subarray(2, 4)); b.join()`, "0,0,120,121,0,0"},
		{"encodeInto lone surrogate", `const d = new Uint8Array(3);
			JSON.stringify(new TextEncoder().encodeInto("\uD800", d)) + d.join()`, `{"read":1,"written":3}239,191,189`},
		{"encodeInto needs a Uint8Array", `[new Uint8ClampedArray(4), new Int8Array(4), new ArrayBuffer(4), new DataView(new ArrayBuffer(4)), [0, 0]]
			.map(d => thrown(() => new TextEncoder().encodeInto("x", d))).join()`, "TypeError,TypeError,TypeError,TypeError,TypeError"},
		{"encodeInto needs two arguments", `thrown(() => new TextEncoder().encodeInto("x"))`, "TypeError"},
	})
}

func TestTextDecoder(t *testing.T) {
	runCases(t, Host{}, []jsCase{
		{"defaults", `const d = new TextDecoder(); [d.encoding, d.fatal, d.ignoreBOM].join()`, "utf-8,false,false"},
		{"options", `const d = new TextDecoder("utf8", {fatal: 1, ignoreBOM: "yes"}); [d.encoding, d.fatal, d.ignoreBOM].join()`,
			"utf-8,true,true"},
		{"labels", `["utf-8", "UTF8", " unicode-1-1-utf-8\n", "utf-16le", "utf-16", "UTF-16BE", "latin1", "iso-8859-1", "ascii", "windows-1252", "us-ascii"]
			.map(l => new TextDecoder(l).encoding).join()`,
			"utf-8,utf-8,utf-8,utf-16le,utf-16le,utf-16be,windows-1252,windows-1252,windows-1252,windows-1252,windows-1252"},
		{"unknown label", `[thrown(() => new TextDecoder("utf-7")), thrown(() => new TextDecoder("")), thrown(() => new TextDecoder("replacement"))].join()`,
			"RangeError,RangeError,RangeError"},
		{"options must be an object", `thrown(() => new TextDecoder("utf-8", 5))`, "TypeError"},
		{"null options", `new TextDecoder("utf-8", null).fatal`, "false"},
		{"decode nothing", `new TextDecoder().decode() + "|" + new TextDecoder().decode(undefined)`, "|"},
		{"decode Uint8Array", `new TextDecoder().decode(new Uint8Array([104, 195, 169]))`, "hé"},
		{"decode ArrayBuffer", `new TextDecoder().decode(new Uint8Array([104, 105]).buffer)`, "hi"},
		{"decode DataView", `new TextDecoder().decode(new DataView(new Uint8Array([0, 104, 105, 0]).buffer, 1, 2))`, "hi"},
		{"decode subarray", `new TextDecoder().decode(new Uint8Array([120, 104, 105, 120]).subarray(1, 3))`, "hi"},
		{"decode wider typed array as bytes", `new TextDecoder("utf-16le").decode(new Uint16Array([104, 0x20AC]))`, "h€"},
		{"decode non-buffer", `[thrown(() => new TextDecoder().decode("abc")), thrown(() => new TextDecoder().decode([104])),
			thrown(() => new TextDecoder().decode(null))].join()`, "TypeError,TypeError,TypeError"},
		{"decode options must be an object", `thrown(() => new TextDecoder().decode(new Uint8Array(1), 1))`, "TypeError"},
		{"UTF-8 BOM removed", `new TextDecoder().decode(new Uint8Array([0xEF, 0xBB, 0xBF, 104])).length`, "1"},
		{"UTF-8 BOM kept with ignoreBOM", `new TextDecoder("utf-8", {ignoreBOM: true}).decode(new Uint8Array([0xEF, 0xBB, 0xBF, 104])).charCodeAt(0)`, "65279"},
		{"only a leading BOM is removed", `new TextDecoder().decode(new Uint8Array([104, 0xEF, 0xBB, 0xBF])).length`, "2"},
		{"BOM removed once per stream", `const d = new TextDecoder(), b = new Uint8Array([0xEF, 0xBB, 0xBF]);
			[d.decode(b, {stream: true}), d.decode(b, {stream: true}).charCodeAt(0), d.decode(b).charCodeAt(0)].join()`, ",65279,65279"},
		{"BOM removed again after a flush", `const d = new TextDecoder(), b = new Uint8Array([0xEF, 0xBB, 0xBF, 120]);
			d.decode(b) + d.decode(b)`, "xx"},
		{"BOM split across chunks", `const d = new TextDecoder();
			d.decode(new Uint8Array([0xEF]), {stream: true}) + d.decode(new Uint8Array([0xBB, 0xBF, 104]))`, "h"},
		{"UTF-16LE BOM", `new TextDecoder("utf-16le").decode(new Uint8Array([0xFF, 0xFE, 104, 0])).length`, "1"},
		{"UTF-16BE", `new TextDecoder("utf-16be").decode(new Uint8Array([0xFE, 0xFF, 0, 104, 0xD8, 0x3D, 0xDE, 0x00]))`, "h😀"},
		{"stream splits a character", `const d = new TextDecoder(), e = new TextEncoder().encode("€😀");
			[...e].map(b => d.decode(new Uint8Array([b]), {stream: true})).join("") + d.decode()`, "€😀"},
		{"stream end flushes an incomplete sequence", `const d = new TextDecoder();
			d.decode(new Uint8Array([0xE2, 0x82]), {stream: true}) + "|" + d.decode()`, "|\uFFFD"},
		{"invalid UTF-8 replaced (maximal subparts)", `new TextDecoder().decode(new Uint8Array([0xE2, 0x82, 0x41, 0xF0, 0x80, 0x42, 0xFF, 0xED, 0xA0, 0x80, 0xC0, 0xAF]))`,
			"\uFFFDA\uFFFD\uFFFDB\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD"},
		{"truncated at end", `new TextDecoder().decode(new Uint8Array([0x61, 0xF0, 0x9F, 0x98]))`, "a\uFFFD"},
		{"fatal throws TypeError", `thrown(() => new TextDecoder("utf-8", {fatal: true}).decode(new Uint8Array([0xFF])))`, "TypeError"},
		{"fatal incomplete at end", `thrown(() => new TextDecoder("utf-8", {fatal: true}).decode(new Uint8Array([0xE2, 0x82])))`, "TypeError"},
		{"fatal decoder is usable after an error", `const d = new TextDecoder("utf-8", {fatal: true});
			thrown(() => d.decode(new Uint8Array([0xE2]), {stream: true}) + d.decode(new Uint8Array([0x41])));
			d.decode(new Uint8Array([0x41]))`, "A"},
		{"fatal valid input", `new TextDecoder("utf-8", {fatal: true}).decode(new Uint8Array([0xE2, 0x82, 0xAC]))`, "€"},
		{"UTF-16 lone surrogates", `new TextDecoder("utf-16le").decode(new Uint16Array([0xDC00, 104, 0xD800, 105, 0xD800]))`,
			"\uFFFDh\uFFFDi\uFFFD"},
		{"UTF-16 odd byte", `new TextDecoder("utf-16le").decode(new Uint8Array([104, 0, 105]))`, "h\uFFFD"},
		{"UTF-16 fatal", `thrown(() => new TextDecoder("utf-16le", {fatal: true}).decode(new Uint16Array([0xD800])))`, "TypeError"},
		{"windows-1252", `new TextDecoder("latin1").decode(new Uint8Array([0x41, 0x80, 0x81, 0x9F, 0xA0, 0xE9, 0xFF]))`,
			"A\u20AC\u0081\u0178\u00A0\u00E9\u00FF"},
		{"detached buffer decodes as empty", `const b = new ArrayBuffer(4); const v = new Uint8Array(b);
			structuredClone(b, {transfer: [b]}); new TextDecoder().decode(v) + "|" + new TextDecoder().decode(b)`, "|"},
		{"brand checks", `[thrown(() => TextDecoder.prototype.decode.call({})),
			thrown(() => Object.getOwnPropertyDescriptor(TextDecoder.prototype, "encoding").get.call(new TextEncoder()))].join()`,
			"TypeError,TypeError"},
	})
}

func TestLookupEncoding(t *testing.T) {
	for label, want := range map[string]string{
		"UTF-8": encUTF8, "\t utf8 \f": encUTF8, "Latin1": encWin1252, "ucs-2": encUTF16LE,
		"unicodeFFFE": encUTF16BE, "utf-32": "", "utf 8": "", "": "",
	} {
		if got := lookupEncoding(label); got != want {
			t.Errorf("lookupEncoding(%q) = %q, want %q", label, got, want)
		}
	}
}

// TestStreamDecoderChunking checks that decoding in chunks split anywhere
// gives what decoding in one go gives.
func TestStreamDecoderChunking(t *testing.T) {
	// Valid and invalid UTF-8, then (as UTF-16LE) a surrogate pair, a lone
	// trail surrogate, a lone lead surrogate and an odd final byte.
	input := []byte("a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xFF\xE2\x82b\xED\xA0\x80\xF4\x90\x80\x80z\xF0\x9F" +
		"\x3D\xD8\x00\xDE\x00\xDC\x00\xD8\x41\x00\x41")
	for _, enc := range []string{encUTF8, encUTF16LE, encUTF16BE, encWin1252} {
		whole, _ := newStreamDecoder(enc, false).decode(nil, input, true)
		for split := 0; split <= len(input); split++ {
			for split2 := split; split2 <= len(input); split2++ {
				d := newStreamDecoder(enc, false)
				out, _ := d.decode(nil, input[:split], false)
				out, _ = d.decode(out, input[split:split2], false)
				out, _ = d.decode(out, input[split2:], true)
				if string(out) != string(whole) {
					t.Fatalf("%s split at %d,%d: %q, want %q", enc, split, split2, out, whole)
				}
			}
		}
		if !strings.Contains(string(whole), "\uFFFD") && (enc == encUTF8 || enc == encUTF16LE) {
			t.Errorf("%s: expected replacement characters in %q", enc, whole)
		}
	}
}
