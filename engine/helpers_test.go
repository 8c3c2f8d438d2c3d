package engine

import (
	"context"
	"encoding/json"
	"errors"
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
	var ee *Error
	if errors.As(err, &ee) {
		return &Result{Err: ee}
	} else if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	vm, err := e.NewVM(ctx, p)
	if errors.As(err, &ee) {
		return &Result{Err: ee}
	} else if err != nil {
		t.Fatalf("NewVM: %v", err)
	}
	if input != nil {
		b, _ := json.Marshal(input)
		params.Input = b
	}
	return vm.Invoke(ctx, params)
}
