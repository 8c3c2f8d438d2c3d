package web

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/kiln-run/kiln/internal/goja"

	"github.com/kiln-run/kiln/internal/lineartime"
)

func TestHeaders(t *testing.T) {
	runFetchCases(t, []jsCase{
		// Constructor paths.
		{"empty", `[...new Headers()].length + " " + [...new Headers(undefined)].length`, "0 0"},
		{"record", `[...new Headers({b: "2", A: "1", c: 3})].join("|")`, "a,1|b,2|c,3"},
		{"pairs", `[...new Headers([["x", "1"], ["X", "2"], ["a", "0"]])].join("|")`, "a,0|x,1, 2"},
		{"from Headers", `const a = new Headers({a: "1"}); const b = new Headers(a); b.set("a", "2");
			a.get("a") + b.get("a")`, "12"},
		{"from Map", `new Headers(new Map([["k", "v"]])).get("K")`, "v"},
		{"from generator", `new Headers((function* () { yield ["a", "1"]; yield new Set(["b", "2"]) })()).get("b")`, "2"},
		{"record ignores inherited and non-enumerable", `const o = Object.create({a: "1"});
			Object.defineProperty(o, "b", {value: "2", enumerable: false}); o.c = "3"; [...new Headers(o)].join("|")`, "c,3"},
		// WebIDL's record conversion: one ownKeys, then each key's
		// descriptor and value in turn; a symbol key that is enumerable is
		// a TypeError, one that is not is skipped.
		{"record reads each key's descriptor, then its value", `const log = [];
			const p = new Proxy({a: "1", b: "2"}, {
				ownKeys(t) { log.push("ownKeys"); return Reflect.ownKeys(t) },
				getOwnPropertyDescriptor(t, k) { log.push("gopd " + String(k)); return Reflect.getOwnPropertyDescriptor(t, k) },
				get(t, k) { if (k !== Symbol.iterator) log.push("get " + String(k)); return Reflect.get(t, k) } });
			new Headers(p); log.join("|")`, "ownKeys|gopd a|get a|gopd b|get b"},
		{"record with a symbol key", `[thrown(() => new Headers({a: "1", [Symbol("s")]: "x"})),
			[...new Headers(Object.defineProperty({a: "1"}, Symbol("hidden"), {value: "x", enumerable: false}))].join()].join(" ")`,
			"TypeError a,1"},
		{"not objects", `[null, 5, "a: b", true].map(v => thrown(() => new Headers(v))).join()`,
			"TypeError,TypeError,TypeError,TypeError"},
		{"bad pairs", `[[["a"]], [["a", "b", "c"]], ["ab"], [5], {[Symbol.iterator]: 5}].map(v => thrown(() => new Headers(v))).join()`,
			"TypeError,TypeError,TypeError,TypeError,TypeError"},
		{"invalid names", `["", "a b", "a:b", "é", "\u20ac", "a\n", "(a)"].map(n => thrown(() => new Headers([[n, "x"]]))).join()`,
			"TypeError,TypeError,TypeError,TypeError,TypeError,TypeError,TypeError"},
		{"valid token names", `new Headers({"!#$%&'*+-.^_\x60|~09azAZ": "1"}).has("!#$%&'*+-.^_\x60|~09AZAZ")`, "true"},
		{"invalid values", `["a\nb", "a\rb", "a\0b", "\u0100"].map(v => thrown(() => new Headers({a: v}))).join()`,
			"TypeError,TypeError,TypeError,TypeError"},
		{"values are normalized", `const h = new Headers({a: " \t x y \r\n"}); h.append("b", "\n"); JSON.stringify([...h])`,
			`[["a","x y"],["b",""]]`},
		{"Latin-1 values", `new Headers({a: "caf\u00e9"}).get("a") === "caf\u00e9"`, "true"},

		// Methods.
		{"get combines", `const h = new Headers(); h.append("a", "1"); h.append("A", "2"); h.append("b", "");
			[h.get("a"), h.get("B"), h.get("c")].join("|")`, "1, 2||"},
		{"get missing is null", `new Headers().get("x")`, "null"},
		{"has and delete", `const h = new Headers({"X-A": "1", b: "2"}); const r = [h.has("x-a")]; h.delete("X-a");
			r.push(h.has("x-a"), h.has("b")); r.join()`, "true,false,true"},
		{"set replaces all", `const h = new Headers([["a", "1"], ["b", "x"], ["A", "2"]]); h.set("A", " 3 ");
			[...h].join("|")`, "a,3|b,x"},
		{"set appends", `const h = new Headers({a: "1"}); h.set("b", "2"); [...h].join("|")`, "a,1|b,2"},
		{"validation everywhere", `const h = new Headers();
			["get", "has", "delete"].map(m => thrown(() => h[m]("a b"))).concat(thrown(() => h.set("a", "\n\0"))).join()`,
			"TypeError,TypeError,TypeError,TypeError"},
		{"argument counts", `const h = new Headers();
			[thrown(() => h.append("a")), thrown(() => h.set("a")), thrown(() => h.get()), thrown(() => h.has()), thrown(() => h.delete()),
			thrown(() => h.forEach())].join()`, "TypeError,TypeError,TypeError,TypeError,TypeError,TypeError"},
		{"getSetCookie", `const h = new Headers(); h.append("Set-Cookie", "a=1"); h.append("x", "y"); h.append("set-cookie", "b=2, c");
			[h.getSetCookie().join("|"), h.get("set-cookie"), JSON.stringify([...h])].join(" ")`,
			`a=1|b=2, c a=1, b=2, c [["set-cookie","a=1"],["set-cookie","b=2, c"],["x","y"]]`},
		{"getSetCookie empty", `Array.isArray(new Headers().getSetCookie()) && new Headers().getSetCookie().length`, "0"},
		{"brand checks", `["append", "delete", "get", "getSetCookie", "has", "set", "forEach", "keys", "values", "entries"]
			.map(m => thrown(() => Headers.prototype[m].call({}, "a", "b"))).join()`,
			"TypeError,TypeError,TypeError,TypeError,TypeError,TypeError,TypeError,TypeError,TypeError,TypeError"},

		// Iteration.
		{"sorted lower case", `const h = new Headers([["Zed", "1"], ["alpha", "2"], ["Beta", "3"], ["ALPHA", "4"]]);
			[[...h.keys()].join(), [...h.values()].join("|"), [...h.entries()].join("|")].join(" ")`,
			"alpha,beta,zed 2, 4|3|1 alpha,2, 4|beta,3|zed,1"},
		{"iterator is entries", `Headers.prototype[Symbol.iterator] === Headers.prototype.entries`, "true"},
		{"iterator protocol", `const it = new Headers({a: "1"}).keys();
			[it[Symbol.iterator]() === it, JSON.stringify(it.next()), JSON.stringify(it.next()), JSON.stringify(it.next())].join(" ")`,
			`true {"value":"a","done":false} {"done":true} {"done":true}`},
		{"iterator inherits %IteratorPrototype%", `const ip = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]()));
			Object.getPrototypeOf(Object.getPrototypeOf(new Headers().entries())) === ip`, "true"},
		{"iterator brand", `const next = Object.getPrototypeOf(new Headers().keys()).next; thrown(() => next.call({}))`, "TypeError"},
		{"iteration is live", `const h = new Headers({b: "1"}); const it = h.keys(); const a = it.next().value;
			h.append("c", "2"); h.append("a", "0"); [a, it.next().value, it.next().value, it.next().done].join()`, "b,b,c,true"},
		{"forEach", `const h = new Headers({b: "2", a: "1"}); const out = [];
			h.forEach(function (v, k, o) { out.push(k + "=" + v + ":" + (o === h) + ":" + this.x) }, {x: 7}); out.join()`,
			"a=1:true:7,b=2:true:7"},
		{"forEach sees changes", `const h = new Headers({b: "1"}); const seen = [];
			h.forEach((v, k) => { seen.push(k); if (k === "b") h.append("c", "2"); }); seen.join()`, "b,c"},
		{"forEach needs a function", `thrown(() => new Headers().forEach({}))`, "TypeError"},
		{"forEach rethrows", `msg(() => new Headers({a: "1"}).forEach(() => { throw new RangeError("cb") }))`, "RangeError: cb"},

		// Guards.
		{"immutable", `const h = Response.error().headers;
			[thrown(() => h.set("a", "1")), thrown(() => h.append("a", "1")), thrown(() => h.delete("a")), h.get("a"), h.has("a"), [...h].length].join()`,
			"TypeError,TypeError,TypeError,,false,0"},
		{"redirect headers are immutable", `const h = Response.redirect(U).headers; [thrown(() => h.set("location", "/")), h.get("location")].join()`,
			"TypeError,https://a.test/"},
		{"response and request headers are mutable", `const a = new Response().headers, b = new Request(U).headers;
			a.set("set-cookie", "x"); b.set("host", "y"); a.get("set-cookie") + b.get("host")`, "xy"},
	})
}

// TestHeadersLinearTime fills, reads and iterates a long header list in
// single native calls; a quadratic step would make it many times slower (and
// goja cannot interrupt native code). lineartime compares 10,000 headers
// with 40,000, so that a loaded machine cannot fail it.
func TestHeadersLinearTime(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	rt := newFetchVM(t)
	v, err := rt.RunString(`(n) => {
		const o = {};
		for (let i = 0; i < n; i++) o["h" + i] = "v";
		const h = new Headers(o);
		const pairs = [];
		for (let i = 0; i < n; i++) pairs.push(["Same", "" + i]);
		const s = new Headers(pairs);
		return [[...h.keys()].length, s.get("same").length, [...s].length, new Response(null, {headers: h}).headers.has("h" + (n - 1))].join();
	}`)
	if err != nil {
		t.Fatal(err)
	}
	fill, _ := goja.AssertFunction(v)
	lineartime.Check(t, "headers", 10_000, func(n int) {
		got, err := fill(goja.Undefined(), rt.ToValue(n))
		if err != nil {
			t.Fatal(err)
		}
		// "same" joins "0" to n-1 with ", ".
		joined := 2 * (n - 1)
		for i := range n {
			joined += len(strconv.Itoa(i))
		}
		if want := fmt.Sprintf("%d,%d,1,true", n, joined); got.String() != want {
			t.Errorf("%d headers: got %s, want %s", n, got, want)
		}
	})
}
