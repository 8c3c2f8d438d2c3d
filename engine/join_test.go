package engine

import (
	"testing"
	"time"
)

// TestJoinElementSizes: join and toString write every string element
// whole, so an array holding one big string many times must be charged for
// the result before the native join runs; a getter element is read once,
// so it cannot answer the measurement small and the join big; ordinary
// joins keep their results.
func TestJoinElementSizes(t *testing.T) {
	e := setup(t, Config{})
	const big = `const big = 'x'.repeat(2 ** 20);`
	for _, tc := range []struct {
		name, src string
		want      string // the result, if it succeeds
		code      Code
	}{
		{"one string many times", big + `export default () => Array(2000).fill(big).join('').length`, "", CodeMemoryLimit},
		{"toString of the same", big + `export default () => Array(2000).fill(big).toString().length`, "", CodeMemoryLimit},
		{"a getter measured once", big + `export default () => {
			const a = [];
			for (let i = 0; i < 2000; i++) { let reads = 0; Object.defineProperty(a, i, { get: () => (reads++ ? big : 'a') }); }
			return a.join('').length;
		}`, "2000", ""},
		{"ordinary joins", `export default () => [[1, 2], 'a', null, undefined, 3, { toString() { return 'o' } }].join('-') +
			'|' + [1, [2, [3]]].toString() + '|' + Array(3).join('x') + '|' + [1, 2].toLocaleString()`, `"1,2-a---3-o|1,2,3|xx|1,2"`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			res := runSource(t, e, "join.js", tc.src, nil, InvokeParams{Timeout: 2 * time.Second})
			var got Code
			if res.Err != nil {
				got = res.Err.Code
			}
			if got != tc.code {
				t.Fatalf("code %q (%v), want %q", got, res.Err, tc.code)
			}
			if tc.code == "" && string(res.Value) != tc.want {
				t.Errorf("result %s, want %s", res.Value, tc.want)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d) // before the fix: 2 GB built natively
			}
		})
	}
}
