package engine

import (
	"context"
	"encoding/json"
	"testing"
	"testing/fstest"
)

// setup returns an engine with cfg (defaults filled) that closes with t.
func setup(t testing.TB, cfg Config) *Engine {
	t.Helper()
	e, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

// runSource compiles src as name, creates a VM and invokes it once with
// input. A compile or module-init error is returned as the Result's Err.
func runSource(t testing.TB, e *Engine, name, src string, input any, params InvokeParams) *Result {
	t.Helper()
	ctx := context.Background()
	p, err := e.Compile(ctx, Source{Name: name, Code: src, Files: fstest.MapFS{name: {Data: []byte(src)}}})
	if err != nil {
		return &Result{Err: err.(*Error)}
	}
	vm, err := e.NewVM(ctx, p)
	if err != nil {
		if ee, ok := err.(*Error); ok {
			return &Result{Err: ee}
		}
		t.Fatalf("NewVM: %v", err)
	}
	if input != nil {
		b, _ := json.Marshal(input)
		params.Input = b
	}
	return vm.Invoke(ctx, params)
}
