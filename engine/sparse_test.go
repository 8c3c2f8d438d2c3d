package engine

import (
	"context"
	"testing"
)

// TestSparseArrays: a sparse array is tiny in memory but huge in length;
// every path that walks or copies it natively — the result's JSON,
// JSON.stringify, console.log, host-call arguments, setTimeout — must
// refuse it up front instead of allocating its full length past the
// script's limits (before, each ran for seconds and allocated gigabytes).
func TestSparseArrays(t *testing.T) {
	e := setup(t, Config{Modules: []Module{{Name: "t", Funcs: []HostFunc{{Name: "iota.t.echo",
		Fn: func(_ context.Context, c HostCall) (any, error) { return len(c.Args), nil }}}}}})
	runGuardCases(t, e, []guardCase{
		{name: "result", src: `export default () => new Array(2 ** 30)`, code: CodeMemoryLimit},
		{name: "JSON.stringify", src: `export default () => JSON.stringify(new Array(2 ** 30)).length`, code: CodeMemoryLimit},
		{name: "console.log", src: `export default () => { console.log(new Array(2 ** 30)); return 1 }`, want: "1"},
		{name: "host-call argument", src: `export default () => iota.t.echo(new Array(2 ** 30))`, code: CodeInvalidArgument},
		{name: "setTimeout argument", src: `export default () => { try { setTimeout(new Array(2 ** 30)) } catch (e) { return e.name } }`, want: `"TypeError"`},
		{name: "small sparse array still works", src: `export default () => JSON.stringify(new Array(3))`, want: `"[null,null,null]"`},
	})
}
