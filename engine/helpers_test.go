package engine

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"testing/fstest"
	"time"
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

// guardCase is a script a guard must stop with code, or let finish (code
// "") with the result want ("" means any result).
type guardCase struct {
	name, src, want string
	code            Code
}

// runGuardCases runs each case under a 2 s timeout and checks its code, its
// result, and that it ended well within 5 s: the guards under test stop
// native loops that otherwise run for seconds past any timeout.
func runGuardCases(t *testing.T, e *Engine, cases []guardCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			res := runSource(t, e, "guard.js", tc.src, nil, InvokeParams{Timeout: 2 * time.Second})
			var got Code
			if res.Err != nil {
				got = res.Err.Code
			}
			if got != tc.code {
				t.Fatalf("code %q (%v), want %q", got, res.Err, tc.code)
			}
			if tc.code == "" && tc.want != "" && string(res.Value) != tc.want {
				t.Errorf("result %s\n  want %s", res.Value, tc.want)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}
