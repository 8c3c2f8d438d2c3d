package engine

import (
	"context"
	"testing"
	"time"
)

// TestSparseArrays: a sparse array is tiny in memory but huge in length;
// every path that walks or copies it natively — the result's JSON,
// JSON.stringify, console.log, host-call arguments, setTimeout — must
// refuse it up front instead of allocating its full length past the
// script's limits (before, each ran for seconds and allocated gigabytes).
func TestSparseArrays(t *testing.T) {
	e := setup(t, Config{Modules: []Module{{Name: "t", Funcs: []HostFunc{{Name: "iota.t.echo",
		Fn: func(_ context.Context, c HostCall) (any, error) { return len(c.Args), nil }}}}}})
	for _, tc := range []struct {
		name, src string
		want      Code // "" means success
	}{
		{"result", `export default () => new Array(2 ** 30)`, CodeMemoryLimit},
		{"JSON.stringify", `export default () => JSON.stringify(new Array(2 ** 30)).length`, CodeMemoryLimit},
		{"console.log", `export default () => { console.log(new Array(2 ** 30)); return 1 }`, ""},
		{"host-call argument", `export default () => iota.t.echo(new Array(2 ** 30))`, CodeInvalidArgument},
		{"setTimeout argument", `export default () => { try { setTimeout(new Array(2 ** 30)) } catch (e) { return e.name } }`, ""},
		{"small sparse array still works", `export default () => JSON.stringify(new Array(3))`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			res := runSource(t, e, "sparse.js", tc.src, nil, InvokeParams{Timeout: 2 * time.Second})
			var got Code
			if res.Err != nil {
				got = res.Err.Code
			}
			if got != tc.want {
				t.Fatalf("code %q (%v), want %q", got, res.Err, tc.want)
			}
			// Generous: the point is that nothing walks 2^30 slots.
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}
