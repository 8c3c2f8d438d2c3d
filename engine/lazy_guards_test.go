package engine

import (
	"context"
	"slices"
	"testing"
	"time"
)

// TestLazyGuards reaches every guard the VM installs on demand (globals.go,
// guards*.go) through every indirect route we know of: each must still end
// the way the guard makes it end, whichever route comes first. A case whose
// route skipped the guard would instead allocate gigabytes, compile code,
// or hang until the test times out.
func TestLazyGuards(t *testing.T) {
	bytesModule := []Module{{Name: "test", Funcs: []HostFunc{
		{Name: "host.bytes", Fn: func(context.Context, HostCall) (any, error) {
			return map[string]any{"data": []byte("hi")}, nil
		}},
	}}}
	e := setup(t, Config{MemoryLimit: 64 << 20, Modules: bytesModule})
	const (
		violation = "SANDBOX_VIOLATION"
		memory    = "MEMORY_LIMIT"
		timeout   = "TIMEOUT"
	)
	// big is a size no guard lets through under a 64 MiB limit, small enough
	// that a missing guard fails the test rather than the machine.
	const big = "2 ** 27"
	tests := []struct {
		name, src string
		code      string // the error code, or "" for success
		want      string // the result, as JSON, when code is ""
	}{
		// The Function constructor and its cousins.
		{"Function global", `Function('return 1')()`, violation, ""},
		{"Function through globalThis", `globalThis['Fun' + 'ction']('return 1')()`, violation, ""},
		{"Function through the resolver", `Object.getPrototypeOf(globalThis).Function('return 1')()`, violation, ""},
		{"Function through the resolver's descriptor", `Object.getOwnPropertyDescriptor(Object.getPrototypeOf(globalThis), 'Function').value('return 1')()`, violation, ""},
		{"Function after deleting it", `(delete globalThis.Function, typeof Function === 'function' ? Function('return 1')() : 'gone')`, violation, ""},
		{"native method constructor", `[].map.constructor('return 1')()`, violation, ""},
		{"class constructor", `(class {}).constructor('return 1')()`, violation, ""},
		{"new Function", `new Function('return 1')()`, violation, ""},
		{"Reflect.construct Function", `Reflect.construct(Function, ['return 1'])()`, violation, ""},
		{"async function", `(async function () {}).constructor('return 1')`, violation, ""},
		{"async arrow", `(async () => 1).constructor('return 1')`, violation, ""},
		{"async method", `({ async m() {} }).m.constructor('return 1')`, violation, ""},
		{"async class method", `new (class { async m() {} })().m.constructor('return 1')`, violation, ""},
		{"async default parameter", `(function (f = async () => 1) { return f; })().constructor('return 1')`, violation, ""},
		{"generator function", `(function* () {}).constructor('yield 1')`, violation, ""},
		{"generator method", `({ *g() {} }).g.constructor('yield 1')`, violation, ""},
		{"generator object", `Object.getPrototypeOf(Object.getPrototypeOf((function* () {})())).constructor.constructor('yield 1')`, violation, ""},
		{"eval", `eval('1')`, violation, ""},
		{"indirect eval", `(0, eval)('1')`, violation, ""},
		{"eval through the resolver", `Object.getPrototypeOf(globalThis).eval('1')`, violation, ""},
		{"require", `require('fs')`, violation, ""},

		// Typed arrays and ArrayBuffer, by every way to their constructors.
		{"Uint8Array global", `new Uint8Array(` + big + `).length`, memory, ""},
		{"ArrayBuffer global", `new ArrayBuffer(` + big + `).byteLength`, memory, ""},
		{"computed global name", `new globalThis['Float64' + 'Array'](` + big + `).length`, memory, ""},
		{"through the resolver", `new (Object.getPrototypeOf(globalThis).Int32Array)(` + big + `).length`, memory, ""},
		{"TextEncoder's array", `new (new TextEncoder().encode('x').constructor)(` + big + `).length`, memory, ""},
		{"TextEncoder's buffer", `new (new TextEncoder().encode('x').buffer.constructor)(` + big + `).byteLength`, memory, ""},
		{"TextEncoder's prototype", `new (Object.getPrototypeOf(new TextEncoder().encode('x')).constructor)(` + big + `).length`, memory, ""},
		{"Response.arrayBuffer", `new Response('x').arrayBuffer().then((b) => new b.constructor(` + big + `).byteLength)`, memory, ""},
		{"Response.bytes", `new Response('x').bytes().then((b) => new b.buffer.constructor(` + big + `).byteLength)`, memory, ""},
		{"crypto.subtle.digest", `crypto.subtle.digest('SHA-256', new TextEncoder().encode('x')).then((b) => new b.constructor(` + big + `).byteLength)`, memory, ""},
		{"structuredClone", `new (structuredClone(new TextEncoder().encode('x')).constructor)(` + big + `).length`, memory, ""},
		{"host call bytes", `new (host.bytes().data.constructor)(` + big + `).byteLength`, memory, ""},
		{"subclass", `new (class extends Uint16Array {})(` + big + `).length`, memory, ""},
		{"Reflect.construct", `Reflect.construct(Float32Array, [` + big + `]).length`, memory, ""},
		{"Reflect.construct new.target", `Reflect.construct(Float32Array, [` + big + `], class extends Float32Array {}).length`, memory, ""},
		{"TypedArray.from", `Object.getPrototypeOf(Uint8Array).from.call(Uint8Array, { length: ` + big + ` }).length`, memory, ""},
		{"DataView's buffer", `new (new DataView(new ArrayBuffer(8)).buffer.constructor)(` + big + `).byteLength`, memory, ""},
		{"array-like length", `new BigInt64Array({ length: ` + big + ` }).length`, memory, ""},
		{"typed arrays still work", `[new Uint8Array([1, 2]).length, new Uint8Array(4).buffer.constructor === ArrayBuffer,
			new Int8Array(2).constructor === Int8Array, Uint8Array.BYTES_PER_ELEMENT, Float64Array.name, Uint8Array.length,
			new (class extends Uint8Array {})(3) instanceof Uint8Array, ArrayBuffer[Symbol.species] === ArrayBuffer,
			Object.getPrototypeOf(Uint8Array) === Object.getPrototypeOf(Int8Array)]`, "", `[2,true,true,1,"Float64Array",3,true,true,true]`},
		{"typed array without new", `(() => { try { Uint8Array(2) } catch (e) { return e instanceof TypeError } })()`, "", `true`},

		// Reflect and Function.prototype.apply.
		{"Reflect.apply", `Reflect.apply(Math.max, null, { length: ` + big + ` })`, memory, ""},
		{"Reflect through the resolver", `Object.getPrototypeOf(globalThis).Reflect.apply(Math.max, null, { length: ` + big + ` })`, memory, ""},
		{"Reflect.construct array-like", `Reflect.construct(Object, { length: ` + big + ` })`, memory, ""},
		{"Function.prototype.apply", `Math.max.apply(null, { length: ` + big + ` })`, memory, ""},

		// JSON.
		{"JSON.stringify depth", `(() => { let v = 1; for (let i = 0; i < 5000; i++) v = [v]; try { JSON.stringify(v); return 'no' } catch (e) { return e.name } })()`, "", `"RangeError"`},
		{"JSON through the resolver", `(() => { let v = 1; for (let i = 0; i < 5000; i++) v = [v]; try { Object.getPrototypeOf(globalThis).JSON.stringify(v); return 'no' } catch (e) { return e.name } })()`, "", `"RangeError"`},

		// RegExp: every way to make one. Only the last two programs have a
		// literal, so for the others the guard comes from elsewhere.
		{"RegExp global", `new RegExp('^((a|aa)+)\\1*c$').test('a'.repeat(45) + 'b')`, timeout, ""},
		{"RegExp through the resolver", `new (Object.getPrototypeOf(globalThis).RegExp)('^((a|aa)+)\\1*c$').test('a'.repeat(45) + 'b')`, timeout, ""},
		{"String.prototype.match", `'a'.repeat(45).concat('b').match('^((a|aa)+)\\1*c$')`, timeout, ""},
		{"String.prototype.search", `'a'.repeat(45).concat('b').search('^((a|aa)+)\\1*c$')`, timeout, ""},
		{"String.prototype.matchAll", `[...'a'.repeat(45).concat('b').matchAll('^((a|aa)+)\\1*c$')]`, timeout, ""},
		{"RegExp literal", `/^((a|aa)+)\1*c$/.test('a'.repeat(45) + 'b')`, timeout, ""},
		{"literal's constructor", `new (/x/.constructor)('^((a|aa)+)\\1*c$').test('a'.repeat(45) + 'b')`, timeout, ""},

		// Array.prototype's methods, built when first looked up.
		{"method of a sparse array", `new Array(` + big + `).join('x').length`, memory, ""},
		{"method through call", `Array.prototype.includes.call({ length: 2 ** 27 }, 1)`, memory, ""},
		{"method from the resolver", `Object.getPrototypeOf(Array.prototype).fill.call(new Array(` + big + `), 0).length`, memory, ""},
		{"method from the resolver's descriptor", `Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Array.prototype), 'indexOf').value.call({ length: 2 ** 27 }, 1)`, memory, ""},
		{"method through super", `new (class extends Array { f() { return super.lastIndexOf(1) } })(` + big + `).f()`, memory, ""},
		{"method through Reflect.get", `Reflect.get(Array.prototype, 'reverse').call({ length: 2 ** 27 })`, memory, ""},
		{"typed array toString", `Object.getPrototypeOf(Uint8Array.prototype).toString.call(new Array(` + big + `)).length`, memory, ""},
		{"method looked up twice", `[].map === [].map && [].map === Array.prototype.map && Object.getPrototypeOf(Array.prototype).map === undefined`, "", `true`},
		{"methods still work", `[[1, 2, 3].map((x) => x * 2).join('-'), [3, 1, 2].toSorted().toString(), Array.prototype.map.name,
			Array.prototype.map.length, Array.prototype.reduce.length, 'map' in [], Object.keys([1]).join(),
			(() => { const k = []; for (const i in [5, 6]) k.push(i); return k.join() })()]`, "", `["2-4-6","1,2,3","map",1,1,true,"0","0,1"]`},
		// A method deleted after its first read stays deleted; deleting one
		// never read does nothing (docs/web-globals.md).
		{"deleted method stays deleted", `([].map, delete Array.prototype.map, typeof [].map)`, "", `"undefined"`},
		{"deleting an unread method", `(delete Array.prototype.some, [1].some((x) => x === 1))`, "", `true`},
		{"replaced method", `(Array.prototype.join = () => 'mine', [1].join())`, "", `"mine"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src := "export default async function () { return " + tt.src + "; }"
			res := runSource(t, e, "lazy.js", src, nil, InvokeParams{})
			if tt.code != "" {
				if res.Err == nil || string(res.Err.Code) != tt.code {
					t.Fatalf("want %s, got %v (value %s)", tt.code, res.Err, res.Value)
				}
				return
			}
			if res.Err != nil {
				t.Fatalf("unexpected error: %v", res.Err)
			}
			if !jsonEqual(t, tt.want, string(res.Value)) {
				t.Fatalf("want %s, got %s", tt.want, res.Value)
			}
		})
	}
}

// TestSyntaxFeatures checks what the syntax scan finds: a program is
// spared a guard only if it cannot create the intrinsic it guards.
func TestSyntaxFeatures(t *testing.T) {
	e := setup(t, Config{})
	tests := []struct {
		src  string
		want syntaxFeatures
	}{
		{`export default function () { return 1; }`, syntaxKnown},
		{`export default function () { return "async function* () {} /x/"; }`, syntaxKnown},
		{`export default async function () {}`, syntaxKnown | syntaxAsync},
		{`export default function () { return [1].map(async (x) => x); }`, syntaxKnown | syntaxAsync},
		{`export default function () { return class { async m() {} }; }`, syntaxKnown | syntaxAsync},
		{`export default function () { return { *g() {} }; }`, syntaxKnown | syntaxGenerator},
		{`export default function (a = function* () {}) { return a; }`, syntaxKnown | syntaxGenerator},
		{"export default function () { return `${/x/.source}`; }", syntaxKnown | syntaxRegExp},
		{`export default function () { return { [/k/.source]: 1 }; }`, syntaxKnown | syntaxRegExp},
	}
	for _, tt := range tests {
		p, err := e.Compile(context.Background(), Source{Name: "s.js", Code: tt.src})
		if err != nil {
			t.Fatal(err)
		}
		if p.syntax != tt.want {
			t.Errorf("%s: syntax %04b, want %04b", tt.src, p.syntax, tt.want)
		}
	}
	if s := (&Program{}).syntax; !s.has(syntaxAsync) || !s.has(syntaxGenerator) || !s.has(syntaxRegExp) {
		t.Error("a program of unknown syntax must get every guard")
	}
}

// TestLazyGlobalsShape checks the global object a script sees: built-ins
// and web globals appear as own data properties once read, with their
// usual attributes, and reading one does not build the others.
func TestLazyGlobalsShape(t *testing.T) {
	e := setup(t, Config{})
	res := runSource(t, e, "shape.js", `export default function () {
		const d = (n) => { const x = Object.getOwnPropertyDescriptor(globalThis, n); return x && [typeof x.value, x.writable, x.enumerable, x.configurable].join(); };
		const before = d('Math');
		Math; TextEncoder; setTimeout; URL; Uint8Array; eval;
		return [before, d('Math'), d('TextEncoder'), d('setTimeout'), d('URL'), d('Uint8Array'), d('eval'),
			d('NaN'), globalThis === globalThis.globalThis, typeof process, 'fetch' in globalThis,
			(() => { 'use strict'; try { NaN = 1; return 'assigned' } catch (e) { return e.name } })(),
			(() => { globalThis.Reflect = 5; return Reflect })(),
			(() => { delete globalThis.URL; return typeof URL })()];
	}`, nil, InvokeParams{})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	want := `[null,"object,true,false,true","function,true,false,true","function,true,true,true","function,true,false,true",` +
		`"function,true,false,true","function,false,false,false","number,false,false,false",true,"undefined",true,"TypeError",5,"undefined"]`
	if !jsonEqual(t, want, string(res.Value)) {
		t.Fatalf("got %s\nwant %s", res.Value, want)
	}
}

// TestArrayLikeBypasses runs guarded built-ins on values that answer the
// guard one thing and the built-in another: an array-like whose length is a
// getter, a Proxy or an object with valueOf (small on the first read, huge
// on the next), a size argument or string that converts differently each
// time, and the iterators that walk an array-like one native next() at a
// time. Each must end within a 500 ms timeout, and within 3 s in all: with
// the value the guard measured, or stopped (TIMEOUT, MEMORY_LIMIT). Under
// the race detector both bounds are raceSlowdown times longer for a case
// that must end on its own, and the total for the others; a case that
// times out where it must not, or takes too long, runs again
// (retryWhenSlow) before it fails: a loaded machine can be slow once, an
// unguarded native loop is slow every time. Before the guards pinned
// what they measure, each ran a native loop or allocation of 2^25 or more
// that no timeout could stop.
func TestArrayLikeBypasses(t *testing.T) {
	e := setup(t, Config{MemoryLimit: 64 << 20})
	const (
		// flip is an array-like whose length is 1 the first time it is read
		// and 2^25 after; proxy and valueOf do the same through a Proxy trap
		// and a length object.
		flip    = `(() => { let n = 0; return { get length() { return n++ === 0 ? 1 : 2 ** 25 } } })()`
		proxy   = `(() => { let n = 0; return new Proxy({}, { get: (t, k) => k === 'length' ? (n++ === 0 ? 1 : 2 ** 25) : undefined }) })()`
		valueOf = `(() => { let n = 0; return { length: { valueOf: () => n++ === 0 ? 1 : 2 ** 25 } } })()`
		// big is a string of 2^20 characters; grow converts to '' the first
		// time and to big after.
		big  = `'x'.repeat(2 ** 20)`
		grow = `(() => { let n = 0; const b = ` + big + `; return { toString: () => n++ === 0 ? '' : b, valueOf: () => n++ === 0 ? 1 : 2 ** 28 } })()`
	)
	stopped := []string{"TIMEOUT", "MEMORY_LIMIT"}
	type tc struct {
		name, src string
		want      string   // the result as JSON, or "" when any result will do
		codes     []string // error codes that are also acceptable
	}
	var tests []tc
	for _, m := range arrayMethods {
		for kind, obj := range map[string]string{"getter": flip, "proxy": proxy, "valueOf": valueOf} {
			tests = append(tests, tc{name: m + " " + kind,
				src: `(() => { try { Array.prototype.` + m + `.call(` + obj + `, () => false); return 'ok' } catch (e) { return e.name } })()`})
		}
	}
	tests = append(tests, []tc{
		{name: "join of a getter length", src: `Array.prototype.join.call(` + flip + `)`, want: `""`},
		{name: "proxy of an array still works", src: `(() => { const p = new Proxy([1, 2, 3], {}); return [p.map((x) => x * 2).join(), p.indexOf(3), p.fill(0, 1) === p, Array.from(p).length, [].concat(p).length] })()`,
			want: `["2,4,6",2,true,3,3]`},
		{name: "getter length still works", src: `Array.prototype.map.call({ get length() { return 2 }, 0: 'a', 1: 'b' }, (x) => x + x).join()`, want: `"aa,bb"`},
		{name: "concat spreadable getter", src: `[].concat({ [Symbol.isConcatSpreadable]: true, ...{}, get length() { return this.n++ === 0 ? 1 : 2 ** 25 }, n: 0 }).length`, want: `1`},
		{name: "Function.prototype.apply", src: `Math.max.apply(null, ` + flip + `)`, want: `null`},
		{name: "Reflect.apply", src: `Reflect.apply(Math.max, null, ` + proxy + `)`, want: `null`},
		{name: "Reflect.construct", src: `Reflect.construct(Array, ` + valueOf + `).length`, want: `1`},
		{name: "Array.from", src: `Array.from(` + flip + `).length`, want: `1`},
		{name: "typed array from an array-like", src: `new Float64Array(` + flip + `).length`, want: `1`},
		{name: "TypedArray.from", src: `Float64Array.from(` + proxy + `).length`, want: `1`},
		{name: "ArrayBuffer valueOf", src: `new ArrayBuffer({ valueOf: () => 2 ** 28 }).byteLength`, codes: []string{"MEMORY_LIMIT"}},
		{name: "padStart valueOf", src: `'x'.padStart(` + grow + `).length`, want: `1`},
		{name: "repeat valueOf", src: `'x'.repeat(` + grow + `).length`, want: `1`},
		{name: "repeat this", src: `String.prototype.repeat.call(` + grow + `, 256).length`, want: `0`},
		{name: "String concat", src: `(() => { const b = 'x'.repeat(2 ** 21); const g = () => { let n = 0; return { toString: () => n++ === 0 ? '' : b } }; return ''.concat(...Array.from({ length: 64 }, g)).length })()`, want: `0`},
		{name: "join separator object", src: `(() => { const b = ` + big + `; return new Array(256).join({ toString: () => b }).length })()`, codes: []string{"MEMORY_LIMIT"}},
		{name: "string iterator of an object", src: `(() => { const b = 'x'.repeat(2 ** 22); return [...String.prototype[Symbol.iterator].call({ toString: () => b })].length })()`, codes: stopped},
		{name: "values of a getter length", src: `[...Array.prototype.values.call(` + flip + `)].length`, codes: stopped},

		// Iterators: %ArrayIteratorPrototype%.next walks any array-like.
		{name: "arguments iterator", src: `(function () { return [...arguments[Symbol.iterator].call({ length: 2 ** 25 })].length })()`, codes: stopped},
		{name: "arguments iterator, for-of", src: `(function () { let n = 0; for (const _ of arguments[Symbol.iterator].call({ length: 2 ** 25 })) n++; return n })()`, codes: stopped},
		{name: "keys of an array-like", src: `[...Array.prototype.keys.call({ length: 2 ** 25 })].length`, codes: stopped},
		{name: "entries of an array-like", src: `Array.from(Array.prototype.entries.call({ length: 2 ** 25 })).length`, codes: stopped},
		{name: "keys of a sparse array", src: `[...new Array(2 ** 25).keys()].length`, codes: stopped},
		{name: "Set from an arguments iterator", src: `(function () { return new Set(arguments[Symbol.iterator].call({ length: 2 ** 25 })).size })()`, codes: stopped},
		{name: "typed array from an iterator", src: `(function () { const values = arguments[Symbol.iterator]; return new Uint8Array({ [Symbol.iterator]: () => values.call({ length: 2 ** 25 }) }).length })()`, codes: stopped},
		{name: "one next for every array iterator", src: `(function () { const p = (it) => Object.getPrototypeOf(it).next; return p(arguments[Symbol.iterator].call([])) === p([].keys()) && p([][Symbol.iterator]()) === p(new Uint8Array(1).values()) })()`, want: `true`},
		{name: "iterators still work", src: `(function () { return [[...arguments].join(), [...[1, 2].entries()].join(';'), Array.from({ length: 3 }, (_, i) => i).join(), [...new Uint8Array([7, 8])].join()] })(1, 2)`,
			want: `["1,2","0,1;1,2","0,1,2","7,8"]`},
	}...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src := "export default async function () { return " + tt.src + "; }"
			// A case that may stop with TIMEOUT keeps 500 ms even under the
			// race detector: only its total time is checked.
			timeoutOK := slices.Contains(tt.codes, string(CodeTimeout))
			timeout, limit := raceSlowdown*500*time.Millisecond, raceSlowdown*3*time.Second
			if timeoutOK {
				timeout = 500 * time.Millisecond
			}
			var res *Result
			var took time.Duration
			retryWhenSlow(t, func() string {
				start := time.Now()
				res = runSource(t, e, "arraylike.js", src, nil, InvokeParams{Timeout: timeout})
				took = time.Since(start)
				return slowness(res, took, limit, timeoutOK)
			})
			if took > limit {
				t.Errorf("took %s: a native call ran past the %s timeout", took.Round(time.Millisecond), timeout)
			}
			if res.Err != nil {
				if !slices.Contains(tt.codes, string(res.Err.Code)) {
					t.Fatalf("unexpected error %v", res.Err)
				}
				return
			}
			if len(tt.codes) > 0 && tt.want == "" {
				t.Fatalf("want one of %v, got %s", tt.codes, res.Value)
			}
			if tt.want != "" && !jsonEqual(t, tt.want, string(res.Value)) {
				t.Fatalf("want %s, got %s", tt.want, res.Value)
			}
		})
	}
}
