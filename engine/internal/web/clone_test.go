package web

import (
	"runtime/debug"
	"testing"
)

func TestStructuredClonePrimitives(t *testing.T) {
	runCases(t, Host{}, []jsCase{
		{"primitives", `[undefined, null, true, 0, -0, NaN, 1.5, "s\uD800", 10n ** 30n].map(v => {
			const c = structuredClone(v); return Object.is(c, v) ? "same" : "diff:" + String(c);
		}).join()`, "same,same,same,same,same,same,same,same,same"},
		{"wrappers", `const vs = [new Boolean(false), new Number(-0), new String("ab\uD800"), Object(5n)];
			vs.map(v => { const c = structuredClone(v);
				return [typeof c, c !== v, Object.is(c.valueOf(), v.valueOf()), Object.getPrototypeOf(c) === Object.getPrototypeOf(v)].join("/");
			}).join()`, "object/true/true/true,object/true/true/true,object/true/true/true,object/true/true/true"},
		{"symbol", `thrown(() => structuredClone(Symbol("x")))`, "DataCloneError(25)"},
		{"symbol message", `try { structuredClone(Symbol("x")) } catch (e) { e.message }`, "Symbol(x) could not be cloned."},
		{"needs an argument", `thrown(() => structuredClone())`, "TypeError"},
		{"options must be an object", `thrown(() => structuredClone(1, 2))`, "TypeError"},
	})
}

func TestStructuredCloneObjects(t *testing.T) {
	runCases(t, Host{}, []jsCase{
		{"plain object", `const o = {a: 1, b: {c: "x"}}; const c = structuredClone(o);
			[c !== o, c.b !== o.b, JSON.stringify(c)].join()`, `true,true,{"a":1,"b":{"c":"x"}}`},
		{"only own enumerable string keys", `const p = {inherited: 1}; const o = Object.create(p);
			o.own = 2; Object.defineProperty(o, "hidden", {value: 3}); o[Symbol("s")] = 4;
			const c = structuredClone(o); [Object.getOwnPropertyNames(c).join("+"), Object.getOwnPropertySymbols(c).length].join()`, "own,0"},
		{"prototype dropped", `class K { constructor() { this.x = 1 } m() {} }
			const c = structuredClone(new K()); [Object.getPrototypeOf(c) === Object.prototype, c.x, typeof c.m].join()`,
			"true,1,undefined"},
		{"null prototype becomes Object.prototype", `Object.getPrototypeOf(structuredClone(Object.create(null))) === Object.prototype`, "true"},
		{"getters run, copies are data properties", `let n = 0; const c = structuredClone({get g() { return ++n }});
			[n, Object.getOwnPropertyDescriptor(c, "g").value, typeof Object.getOwnPropertyDescriptor(c, "g").get].join()`, "1,1,undefined"},
		{"getter exception propagates", `thrown(() => structuredClone({get g() { throw new RangeError("x") }}))`, "RangeError"},
		{"__proto__ key stays a key", `const o = JSON.parse('{"__proto__": {"x": 1}}'); const c = structuredClone(o);
			[Object.getPrototypeOf(c) === Object.prototype, c.__proto__.x, Object.keys(c).join()].join()`, "true,1,__proto__"},
		{"setters on Object.prototype are not run", `let hit = 0; Object.defineProperty(Object.prototype, "z", {set(v) { hit++ }, configurable: true});
			const c = structuredClone({z: 1}); delete Object.prototype.z; [hit, c.z].join()`, "0,1"},
		{"array", `const a = [1, "2", [3]]; const c = structuredClone(a); [Array.isArray(c), c !== a, c[2] !== a[2], JSON.stringify(c)].join()`,
			`true,true,true,[1,"2",[3]]`},
		{"array holes and extra properties", `const a = [1, , 3]; a.length = 5; a.extra = "e"; const c = structuredClone(a);
			[c.length, 1 in c, 2 in c, 4 in c, c.extra].join()`, "5,false,true,false,e"},
		{"sparse array", `const a = []; a[1000000] = 1; const c = structuredClone(a); [c.length, c[1000000], Object.keys(c).length].join()`,
			"1000001,1,1"},
		{"cycles", `const o = {a: []}; o.self = o; o.a.push(o, o.a); const c = structuredClone(o);
			[c.self === c, c.a[0] === c, c.a[1] === c.a, c !== o].join()`, "true,true,true,true"},
		{"shared references stay shared", `const s = {}; const c = structuredClone([s, {s}, new Map([[s, s]])]);
			[c[0] === c[1].s, c[2].get(c[0]) === c[0], c[0] !== s].join()`, "true,true,true"},
		{"Date", `const d = new Date(1700000000123); const c = structuredClone(d); [c instanceof Date, c !== d, c.getTime()].join()`,
			"true,true,1700000000123"},
		{"invalid Date", `isNaN(structuredClone(new Date(NaN)).getTime())`, "true"},
		{"RegExp", `const r = /a+b/gimsuy; r.lastIndex = 3; r.extra = 1; const c = structuredClone(r);
			[c instanceof RegExp, c !== r, c.source, c.flags, c.lastIndex, c.extra].join()`, "true,true,a+b,gimsuy,0,"},
		{"Map", `const m = new Map([[1, "a"], [{k: 1}, {v: 2}]]); m.set("x", m); m.extra = 1; const c = structuredClone(m);
			const e = [...c]; [c instanceof Map, c.size, e[0].join(":"), e[1][0].k, e[1][1].v, c.get("x") === c, c.extra].join()`,
			"true,3,1:a,1,2,true,"},
		{"Set", `const o = {}; const s = new Set([3, o, "z"]); s.add(s); const c = structuredClone(s);
			const e = [...c]; [c instanceof Set, c.size, e[0], e[1] !== o, e[3] === c].join()`, "true,4,3,true,true"},
		{"Map order kept", `[...structuredClone(new Map([["b", 1], ["a", 2], [0, 3]])).keys()].join()`, "b,a,0"},
		{"ArrayBuffer is copied", `const b = new Uint8Array([1, 2, 3]).buffer; const c = structuredClone(b);
			new Uint8Array(b)[0] = 9; [c instanceof ArrayBuffer, c !== b, new Uint8Array(c).join()].join()`, "true,true,1,2,3"},
		{"empty ArrayBuffer", `structuredClone(new ArrayBuffer(0)).byteLength`, "0"},
		{"typed arrays", `["Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array", "Uint32Array",
			"Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array"].map(n => {
				const C = globalThis[n]; const big = n.startsWith("Big");
				const a = new C(new ArrayBuffer(C.BYTES_PER_ELEMENT * 6), C.BYTES_PER_ELEMENT, 3);
				a[0] = big ? 1n : 1; a[2] = big ? 7n : 7;
				const c = structuredClone(a);
				return c.constructor === C && c.byteOffset === a.byteOffset && c.length === 3 &&
					c.buffer.byteLength === a.buffer.byteLength && String(c[2]) === "7" && c.buffer !== a.buffer;
			}).every(Boolean)`, "true"},
		{"DataView", `const b = new ArrayBuffer(8); const v = new DataView(b, 2, 4); v.setInt16(0, -2);
			const c = structuredClone(v); [c instanceof DataView, c.byteOffset, c.byteLength, c.getInt16(0), c.buffer !== b].join()`,
			"true,2,4,-2,true"},
		{"views sharing a buffer share its copy", `const b = new ArrayBuffer(8);
			const c = structuredClone({a: new Uint8Array(b), b: new Int32Array(b, 4), d: new DataView(b), raw: b});
			[c.a.buffer === c.b.buffer, c.b.buffer === c.d.buffer, c.d.buffer === c.raw].join()`, "true,true,true"},
		{"extra properties of special objects are dropped", `const m = new Map(); m.x = 1; const d = new Date(0); d.x = 1;
			const u = new Uint8Array(1); u.x = 1; [structuredClone(m).x, structuredClone(d).x, structuredClone(u).x].join()`, ",,"},
		{"Error", `const e = new TypeError("bad", {cause: {why: 1}}); e.extra = 1; const c = structuredClone(e);
			[c instanceof TypeError, c !== e, c.name, c.message, c.cause.why, c.cause !== e.cause, c.stack === e.stack, c.extra].join()`,
			"true,true,TypeError,bad,1,true,true,"},
		{"Error types", `[Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError]
			.every(C => Object.getPrototypeOf(structuredClone(new C("m"))) === C.prototype)`, "true"},
		{"Error without message", `Object.prototype.hasOwnProperty.call(structuredClone(new Error()), "message")`, "false"},
		{"Error subclass becomes Error", `class MyErr extends Error { constructor() { super("m"); this.name = "MyErr" } }
			const c = structuredClone(new MyErr()); [Object.getPrototypeOf(c) === Error.prototype, c.name, c.message].join()`, "true,Error,m"},
		{"Error cause cycle", `const e = new Error("m"); e.cause = e; const c = structuredClone(e); c.cause === c`, "true"},
		{"DOMException", `const e = new DOMException("m", "AbortError"); const c = structuredClone(e);
			[c instanceof DOMException, c !== e, c.name, c.message, c.code].join()`, "true,true,AbortError,m,20"},
		{"Arguments become plain objects", `const c = structuredClone((function() { return arguments })(1, 2));
			[Object.prototype.toString.call(c), c[0], c[1], c.length].join()`, "[object Object],1,2,"},
	})
}

func TestStructuredCloneFailures(t *testing.T) {
	runCases(t, Host{}, []jsCase{
		{"uncloneable values", `[() => 1, function f() {}, class {}, async () => 1, Promise.resolve(), new WeakMap(), new WeakSet(),
			new Proxy({}, {}), new Proxy([], {}), [].values(), new Map().entries(), (function*() {})(), Object(Symbol()),
			globalThis, new AbortController(), new AbortController().signal, new TextEncoder(), new TextDecoder(),
			new EventTarget(), new Event("x"), crypto, {nested: [() => 1]}]
			.map(v => thrown(() => structuredClone(v))).filter(r => r !== "DataCloneError(25)").join()`, ""},
		{"message", `try { structuredClone(new WeakMap()) } catch (e) { e.message }`, "#<Object> could not be cloned."},
		{"subclass of a platform class", `class T extends EventTarget {}; thrown(() => structuredClone(new T()))`, "DataCloneError(25)"},
	})
}

func TestStructuredCloneTransfer(t *testing.T) {
	runCases(t, Host{}, []jsCase{
		{"buffer is moved", `const b = new Uint8Array([1, 2, 3]).buffer; const c = structuredClone(b, {transfer: [b]});
			[c.byteLength, b.byteLength, new Uint8Array(c).join()].join()`, "3,0,1,2,3"},
		{"views move with their buffer", `const u = new Uint8Array([5, 6, 7, 8]); const c = structuredClone({u, v: u.subarray(1)}, {transfer: [u.buffer]});
			[c.u.join(), c.v.join(), c.u.buffer === c.v.buffer, u.length, u.byteLength].join(" ")`, "5,6,7,8 6,7,8 true 0 0"},
		{"transferred but not in the value", `const b = new ArrayBuffer(2); structuredClone(1, {transfer: [b]}); b.byteLength`, "0"},
		{"detached views and buffers cannot be used", `const b = new ArrayBuffer(4); const u = new Uint8Array(b);
			structuredClone(b, {transfer: [b]});
			[thrown(() => structuredClone(b)), thrown(() => structuredClone(u)), thrown(() => new Uint8Array(b)), u[0]].join()`,
			"DataCloneError(25),DataCloneError(25),TypeError,"},
		{"only ArrayBuffers transfer", `[thrown(() => structuredClone(1, {transfer: [{}]})), thrown(() => structuredClone(1, {transfer: [new Uint8Array(1)]}))].join()`,
			"DataCloneError(25),DataCloneError(25)"},
		{"duplicates", `const b = new ArrayBuffer(1); thrown(() => structuredClone(b, {transfer: [b, b]})) + b.byteLength`, "DataCloneError(25)1"},
		{"already detached", `const b = new ArrayBuffer(1); structuredClone(b, {transfer: [b]}); thrown(() => structuredClone(1, {transfer: [b]}))`,
			"DataCloneError(25)"},
		{"nothing detached when cloning fails", `const b = new ArrayBuffer(1); thrown(() => structuredClone([b, () => 1], {transfer: [b]})) + b.byteLength`,
			"DataCloneError(25)1"},
		{"transfer must be a sequence of objects", `[thrown(() => structuredClone(1, {transfer: 5})), thrown(() => structuredClone(1, {transfer: [1]}))].join()`,
			"TypeError,TypeError"},
		{"detached meanwhile by a getter", `const b = new ArrayBuffer(1);
			thrown(() => structuredClone({get x() { structuredClone(b, {transfer: [b]}) }}, {transfer: [b]}))`, "DataCloneError(25)"},
		{"transfer iterable", `const b = new ArrayBuffer(1); structuredClone(b, {transfer: new Set([b])}); b.byteLength`, "0"},
	})
}

// TestTransferredViewsStaySafe exercises every typed array and DataView
// method on views whose buffer was transferred away: goja scripts cannot
// detach a buffer by themselves, so structuredClone's transfer is the only
// way one gets there.
func TestTransferredViewsStaySafe(t *testing.T) {
	rt := newVM(t, Host{})
	got := eval(t, rt, `
		const TA = Object.getPrototypeOf(Uint8Array.prototype), odd = [];
		let calls = 0;
		for (const n of ["Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array",
			"Uint32Array", "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array", "DataView"]) {
			const C = globalThis[n], fns = [];
			for (const p of n === "DataView" ? [C.prototype] : [TA, C.prototype]) {
				for (const k of Reflect.ownKeys(p)) {
					const d = Object.getOwnPropertyDescriptor(p, k);
					for (const f of [d.value, d.get]) if (typeof f === "function") fns.push(f);
				}
			}
			for (const f of fns) {
				for (const args of [[], [0], [1, 2], [new Uint8Array(2)], [[1, 2]], [x => x], [0, 1n], [0, 1]]) {
					const b = new ArrayBuffer(16), v = n === "DataView" ? new C(b, 4, 8) : new C(b, 8, 1);
					structuredClone(b, {transfer: [b]});
					calls++;
					try { f.apply(v, args) } catch (e) { if (!(e instanceof TypeError || e instanceof RangeError)) odd.push(f.name + ": " + e) }
					try { v[0]; v[0] = 1; Object.keys(v); JSON.stringify(v); new C(v) } catch (e) {}
				}
			}
		}
		calls > 1000 ? odd.join("; ") : "too few calls"`)
	if got != "" {
		t.Error(got)
	}
}

// TestStructuredCloneDeep checks that deep nesting is copied without Go
// recursion: the Go stack is capped far below what a recursive copy of this
// depth would need.
func TestStructuredCloneDeep(t *testing.T) {
	rt := newVM(t, Host{})
	if _, err := rt.RunString(`
		var deepArray = [], deepMixed = {};
		for (let i = 0, a = deepArray; i < 50000; i++) { const n = []; a.push(n); a = n; }
		for (let i = 0, o = deepMixed; i < 50000; i++) {
			const n = i % 2 ? {} : new Map();
			if (o instanceof Map) o.set("k", n); else o.k = n;
			o = n;
		}`); err != nil {
		t.Fatal(err)
	}
	defer debug.SetMaxStack(debug.SetMaxStack(1 << 20))
	for src, want := range map[string]string{
		`let c = structuredClone(deepArray), d = 0; while (c.length) { c = c[0]; d++; } return d`:                         "50000",
		`let c = structuredClone(deepMixed), d = 0; while (c) { c = c instanceof Map ? c.get("k") : c.k; d++; } return d`: "50001",
	} {
		if got := eval(t, rt, "(() => {"+src+"})()"); got != want {
			t.Errorf("%s: got %s, want %s", src, got, want)
		}
	}
}
