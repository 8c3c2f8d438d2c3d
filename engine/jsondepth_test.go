package engine

import (
	"testing"

	"github.com/kiln-run/kiln/internal/goja"
)

// TestMeasureSmallMatchesLarge: where measureSmall answers, it answers what
// measureLarge does; it gives up on cycles and on more than its budget.
func TestMeasureSmallMatchesLarge(t *testing.T) {
	tests := []struct {
		src   string
		small bool // measureSmall answers
	}{
		{`({a: 1, b: "x", c: null})`, true},
		{`[1, 2, 3]`, true},
		{`({a: {b: {c: [1, {d: 2}]}}, e: [[], [[]], {}]})`, true},
		{`new Array(100)`, true},
		{`[1, , 3, new Array(5)]`, true},
		{`(() => { const s = {x: 1, y: [1, 2]}; return {a: s, b: s, c: [s, s]} })()`, true},
		{`({d: new Date(0), f() {}, g: function () {}, r: /x/})`, true},
		{`({get a() { return {b: 1} }})`, true},
		{`(() => { const a = {}; a.self = a; return a })()`, false},
		{`(() => { const a = [1]; a.push([a]); return a })()`, false},
		{`Array.from({length: 40}, (_, i) => ({i}))`, false},
		{`(() => { let o = {}; for (let i = 0; i < 40; i++) o = {o}; return o })()`, false},
		{`(() => { const s = 'x'.repeat(100); return {a: s, b: [s, s, {c: s}]} })()`, true},
		{`({s: new String('abc'), t: new Uint8Array(4), k: 'é'})`, true},
	}
	rt := goja.New()
	vm := &VM{}
	for _, tt := range tests {
		v, err := rt.RunString(tt.src)
		if err != nil {
			t.Fatalf("%s: %v", tt.src, err)
		}
		o := v.(*goja.Object)
		budget := smallJSONNodes
		small, ok := vm.measureSmall(o, &budget)
		if ok != tt.small {
			t.Errorf("%s: measureSmall ok = %v, want %v", tt.src, ok, tt.small)
		}
		if large := vm.measureLarge(o); ok && small != large {
			t.Errorf("%s: measureSmall %+v, measureLarge %+v", tt.src, small, large)
		}
	}
}
