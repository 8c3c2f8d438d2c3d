package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/kiln-run/kiln/internal/goja"
)

// plainCases are results for appendPlain: plain ones it must take, and
// others it must leave to JSON.stringify (or get exactly right).
var plainCases = []struct {
	src   string
	plain bool // appendPlain takes it
}{
	{`({hello: "Ada"})`, true},
	{`({a: 1, b: -2, c: 0.1 + 0.2, d: 1e21, e: 1e-7, f: -0, g: 2 ** 53, h: 123456789012, i: NaN, j: -Infinity})`, true},
	{`({s: "quote \" back \\ slash", c: "\b\f\n\r\t\u0000\u0001\u001f\u007f", h: "<html>&"})`, true},
	{`({t: true, f: false, n: null, u: undefined, fn() {}, sym: Symbol("x"), [Symbol("k")]: 1})`, true},
	{`[1, "two", null, undefined, () => 1, Symbol("s"), [], {}, [[]]]`, true},
	{`[1, , 3]`, true},
	{`new Array(5)`, true},
	{`({2: "b", 1: "a", z: 1, y: 2, 10: "c"})`, true},
	{`(() => { const o = {a: 1}; Object.defineProperty(o, "hidden", {value: 2, enumerable: false}); return o })()`, true},
	{`({get a() { return {b: [1, 2]} }})`, true},
	{`(() => { const s = {x: 1}; return {a: s, b: [s, s]} })()`, true},
	{`(() => { const a = [1, 2]; a.extra = 3; return a })()`, true},
	{`({"": 0, "k\"ey": 1, "tab\tkey": 2})`, true},
	{`({deep: {a: {b: {c: {d: {e: [1, {f: "g"}]}}}}}})`, true},
	{`[]`, true},
	{`({})`, true},

	{`({d: new Date(0)})`, false},
	{`({toJSON() { return 1 }})`, false},
	{`({a: {toJSON: () => "x"}})`, false},
	{`(() => { class P { constructor() { this.a = 1 } }; return new P() })()`, false},
	{`Object.create(null)`, false},
	{`Object.create({inherited: 1})`, false},
	{`new Proxy({a: 1}, {})`, false},
	{`new Proxy([1], {})`, false},
	{`({s: "é"})`, false},
	{`({"ключ": 1})`, false},
	{`({b: 10n})`, false},
	{`({s: new String("boxed")})`, false},
	{`({n: new Number(1)})`, false},
	{`({m: new Map([[1, 2]])})`, false},
	{`({r: /x/g, e: new Error("e")})`, false},
	{`new Uint8Array([1, 2])`, false},
	{`(() => { const a = {}; a.self = a; return a })()`, false},
	{`Array.from({length: 40}, (_, i) => [i])`, false},
	{`new Array(100000)`, false},
	{`"x".repeat(20000).split("")`, false},
	{`({big: "x".repeat(20000)})`, false},
}

// TestStringifyPlain: whatever appendPlain writes is what goja's
// JSON.stringify writes, and it takes the plain cases and only those.
func TestStringifyPlain(t *testing.T) {
	rt := goja.New()
	protos := plainProtos{object: rt.NewObject().Prototype(), array: rt.NewArray().Prototype()}
	stringify, _ := goja.AssertFunction(rt.Get("JSON").ToObject(rt).Get("stringify"))
	for _, tc := range plainCases {
		v, err := rt.RunString(tc.src)
		if err != nil {
			t.Fatalf("%s: %v", tc.src, err)
		}
		out, ok := appendPlain(nil, protos, v)
		got := string(out)
		if ok != tc.plain {
			t.Errorf("%s: appendPlain ok = %v, want %v", tc.src, ok, tc.plain)
		}
		if !ok {
			continue
		}
		want, err := stringify(goja.Undefined(), v)
		if err != nil {
			t.Fatalf("%s: JSON.stringify: %v", tc.src, err)
		}
		if got != want.String() {
			t.Errorf("%s:\n plain %s\n  goja %s", tc.src, got, want)
		}
	}
}

// FuzzStringifyPlain evaluates script fragments and compares stringifyPlain
// with goja's JSON.stringify wherever it answers.
func FuzzStringifyPlain(f *testing.F) {
	for _, tc := range plainCases {
		f.Add(tc.src)
	}
	f.Fuzz(func(t *testing.T, src string) {
		if strings.Contains(src, "import") || len(src) > 2000 {
			return
		}
		rt := goja.New()
		timer := time.AfterFunc(100*time.Millisecond, func() { rt.Interrupt("too long") })
		defer timer.Stop()
		v, err := rt.RunString("(" + src + "\n)")
		if err != nil {
			return
		}
		protos := plainProtos{object: rt.NewObject().Prototype(), array: rt.NewArray().Prototype()}
		var got string
		var ok bool
		if ex := rt.Try(func() {
			var out []byte
			out, ok = appendPlain(nil, protos, v)
			got = string(out)
		}); ex != nil || !ok {
			return
		}
		stringify, _ := goja.AssertFunction(rt.Get("JSON").ToObject(rt).Get("stringify"))
		want, err := stringify(goja.Undefined(), v)
		if err != nil {
			return // a getter that throws on its second call
		}
		if got != want.String() {
			t.Errorf("%s:\n plain %s\n  goja %s", src, got, want)
		}
	})
}

// TestResultGetters: a getter in a handler's result that throws or loops
// fails the run as the script's error or its timeout, not as an engine
// fault.
func TestResultGetters(t *testing.T) {
	e := setup(t, Config{})
	tests := []struct {
		src  string
		code Code
	}{
		{`export default () => ({ get a() { throw new Error("boom") } })`, CodeRuntimeError},
		{`export default () => [{ get a() { throw new Error("boom") } }]`, CodeRuntimeError},
		{`export default () => ({ d: new Date(0), x: { get a() { throw new Error("boom") } } })`, CodeRuntimeError},
		{`export default () => ({ get a() { for (;;) {} } })`, CodeTimeout},
		{`export default () => ({ x: { get a() { for (;;) {} } }, d: new Date(0) })`, CodeTimeout},
	}
	for _, tt := range tests {
		// 300 ms for the getters that loop; the others end on their own,
		// and a loaded machine may need long.
		timeout := 10 * time.Second
		if tt.code == CodeTimeout {
			timeout = 300 * time.Millisecond
		}
		res := runSource(t, e, "main.js", tt.src, nil, InvokeParams{Timeout: timeout})
		if res.Err == nil || res.Err.Code != tt.code {
			t.Errorf("%s: %v, want %s", tt.src, res.Err, tt.code)
		}
	}
}
