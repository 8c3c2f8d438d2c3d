package engine

import (
	"testing"
	"time"
)

// TestFlatGuards: flat and flatMap walk nested arrays natively, so a nested
// hole-filled array (tiny in memory, huge in length) must be charged before
// the walk; their results stay what Node gives.
func TestFlatGuards(t *testing.T) {
	e := setup(t, Config{})
	for _, tc := range []struct {
		name, src string
		want      string
		code      Code
	}{
		{"nested sparse array", `export default () => [new Array(2 ** 30)].flat().length`, "", CodeMemoryLimit},
		{"deep nested sparse array", `export default () => [[[new Array(2 ** 30)]]].flat(Infinity).length`, "", CodeMemoryLimit},
		{"flatMap returning a sparse array", `export default () => [1].flatMap(() => new Array(2 ** 30)).length`, "", CodeMemoryLimit},
		{"a cycle", `export default () => { const a = []; a.push(a); return a.flat(Infinity).length }`, "", CodeRuntimeError},
		// Expected values are Node's for the same expressions.
		{"results", `export default () => {
			class A extends Array {}
			let err = null;
			try { [1].flatMap(() => { throw new Error('boom') }) } catch (e) { err = e.message }
			return [[1, [2, [3, [4]]]].flat(), [1, [2, [3, [4]]]].flat(2), [1, [2, [3, [4]]]].flat(Infinity),
				[1, , 3, [4, , 6]].flat(), [[]].flat(), [1, 2].flatMap((x) => [x, x * 10]), [1, 2].flatMap((x) => [[x]]),
				[1, , 3].flatMap((x) => [, x]), [1, 2].flatMap(function (x) { return this.k + x }, { k: 5 }),
				Array.prototype.flat.call({ length: 2, 0: [1], 1: 2 }), err, A.from([[1], 2]).flat() instanceof A,
				[new Array(5)].flat().length];
		}`, `[[1,2,[3,[4]]],[1,2,3,[4]],[1,2,3,4],[1,3,4,6],[],[1,10,2,20],[[1],[2]],[1,3],[6,7],[1,2],"boom",true,0]`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			res := runSource(t, e, "flat.js", tc.src, nil, InvokeParams{Timeout: 2 * time.Second})
			var got Code
			if res.Err != nil {
				got = res.Err.Code
			}
			if got != tc.code {
				t.Fatalf("code %q (%v), want %q", got, res.Err, tc.code)
			}
			if tc.code == "" && string(res.Value) != tc.want {
				t.Errorf("result %s\n  want %s", res.Value, tc.want)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d) // before the guard: 2^30 native steps
			}
		})
	}
}
