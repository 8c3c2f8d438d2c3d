package web

import "testing"

func TestBody(t *testing.T) {
	runFetchCases(t, []jsCase{
		// What a body may be made of, and the Content-Type it implies.
		{"string", `const r = new Response("h\u00e9"); r.text().then(t => t + " " + r.headers.get("content-type"))`,
			"hé text/plain;charset=UTF-8"},
		{"lone surrogate", `new Response("a\ud800").text().then(t => t === "a\ufffd")`, "true"},
		{"ArrayBuffer", `const r = new Response(new Uint8Array([104, 105]).buffer); r.text().then(t => t + " " + r.headers.has("content-type"))`,
			"hi false"},
		{"typed array view", `new Response(new Uint8Array([0, 104, 105, 0]).subarray(1, 3)).text()`, "hi"},
		{"other typed arrays", `new Response(new Uint16Array([0x6968])).text()`, "hi"},
		{"DataView", `new Response(new DataView(new Uint8Array([0, 104, 105]).buffer, 1)).text()`, "hi"},
		{"detached buffer", `const b = new ArrayBuffer(4); structuredClone(b, {transfer: [b]}); new Response(b).arrayBuffer().then(a => a.byteLength)`, "0"},
		{"buffer copied at construction", `const u = new Uint8Array([104, 105]); const r = new Response(u); u[0] = 120; r.text()`, "hi"},
		{"URLSearchParams", `const r = new Response(new URLSearchParams({a: "1 2", b: "é"}));
			r.text().then(t => t + " " + r.headers.get("content-type"))`, "a=1+2&b=%C3%A9 application/x-www-form-urlencoded;charset=UTF-8"},
		{"URLSearchParams subclass", `class P extends URLSearchParams {} new Request(U, {method: "POST", body: new P("x=1")}).headers.get("content-type")`,
			"application/x-www-form-urlencoded;charset=UTF-8"},
		{"fake URLSearchParams", `const r = new Response({[Symbol.toStringTag]: "URLSearchParams", toString() { return "x=1" }});
			r.text().then(t => t + " " + r.headers.get("content-type"))`, "x=1 text/plain;charset=UTF-8"},
		{"URLSearchParams before urlapi use", `new Response({a: 1}).text()`, "[object Object]"},
		{"other values become strings", `Promise.all([42, true, {toString: () => "t"}, [1, 2], new Response("x")].map(v => new Response(v).text())).then(a => a.join("|"))`,
			"42|true|t|1,2|[object Response]"},
		{"symbol", `thrown(() => new Response(Symbol()))`, "TypeError"},
		{"given Content-Type kept", `new Response("x", {headers: {"Content-Type": "a/b"}}).headers.get("content-type")`, "a/b"},
		{"null and undefined", `[new Response(null).body, new Response(undefined).body, new Response().body, new Request(U).body].join() + "|"`, ",,,|"},
		{"empty string is a body", `new Response("").body instanceof Uint8Array`, "true"},

		// Reading.
		{"text", `new Response("x").text()`, "x"},
		{"text decodes UTF-8 with BOM and replacement", `new Response(new Uint8Array([0xEF, 0xBB, 0xBF, 0x61, 0xFF, 0x62])).text().then(t => t === "a\ufffdb")`, "true"},
		{"json", `new Response('{"a": [1, "b"]}').json().then(j => j.a[1] + j.a.length)`, "b2"},
		{"json BOM", `new Response(new Uint8Array([0xEF, 0xBB, 0xBF, 0x31])).json()`, "1"},
		{"json syntax error", `new Response("{").json()`, "rejects SyntaxError"},
		{"json of a null body", `new Response().json()`, "rejects SyntaxError"},
		{"json error marks used", `const r = new Response("{"); r.json().catch(() => r.bodyUsed)`, "true"},
		{"arrayBuffer", `new Response("hé").arrayBuffer().then(b => (b instanceof ArrayBuffer) + " " + new Uint8Array(b).join())`, "true 104,195,169"},
		{"bytes", `new Response("hi").bytes().then(b => (b instanceof Uint8Array) + " " + b.join())`, "true 104,105"},
		{"null body reads empty", `const r = new Response(null); Promise.all([r.text(), r.arrayBuffer(), r.bytes()])
			.then(([t, b, u]) => JSON.stringify(t) + b.byteLength + u.length + r.bodyUsed)`, `""00false`},
		{"read once", `const r = new Response("x"); const p = r.text(); [r.bodyUsed, thrown(() => r.text())].join()`, "true,no throw"},
		{"second read rejects", `const r = new Response("x"); r.text(); r.text()`, "rejects TypeError"},
		{"every reader consumes", `["text", "json", "arrayBuffer", "bytes"].map(m => {
			const r = new Response("1"); r[m](); return r.bodyUsed; }).join()`, "true,true,true,true"},
		{"every reader rejects after use", `Promise.all(["text", "json", "arrayBuffer", "bytes"].map(m => {
			const r = new Request(U, {method: "POST", body: "1"}); r.bytes(); return r[m]().then(() => "ok", e => e.name); })).then(a => a.join())`,
			"TypeError,TypeError,TypeError,TypeError"},
		{"brand check rejects", `Response.prototype.text.call({})`, "rejects TypeError"},
		{"results are fresh copies", `const r = new Response("ab"); const c = r.clone(); r.bytes().then(b => { b[0] = 0; return c.text() })`, "ab"},

		// The body attribute.
		{"body is a Uint8Array copy", `const r = new Response("hi"); const b = r.body; b[0] = 0;
			[b instanceof Uint8Array, r.body === b, r.bodyUsed].join()`, "true,true,false"},
		{"body does not change reads", `const r = new Response("hi"); r.body[0] = 0; r.text()`, "hi"},
	})
}
