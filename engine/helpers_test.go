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

// slowAttempts is how many times a check that can fail on time alone runs
// before it fails. Load on a shared machine (the race detector, other
// packages' tests and other processes on two cores) only ever makes a run
// slower, so a slow run is tried again; a missing guard or a native loop
// that no timeout stops is slow every time, and still fails.
const slowAttempts = 3

// retryWhenSlow calls run until it returns "", at most slowAttempts times.
// run returns why its run was too slow ("" when it was not); each slow run
// but the last is logged. The caller then checks the last run as usual.
func retryWhenSlow(t testing.TB, run func() (slow string)) {
	t.Helper()
	for attempt := 1; attempt < slowAttempts; attempt++ {
		slow := run()
		if slow == "" {
			return
		}
		t.Logf("attempt %d of %d was too slow (%s); running it again", attempt, slowAttempts, slow)
	}
	run()
}

// guardCase is a script a guard must stop with code, or let finish (code
// "") with the result want ("" means any result).
type guardCase struct {
	name, src, want string
	code            Code
}

// runGuardCases runs each case under a 2 s timeout and checks its code, its
// result, and that it ended well within 5 s: the guards under test stop
// native loops that otherwise run for seconds past any timeout. A run that
// took too long, or timed out where the case wants no timeout, is tried
// again (retryWhenSlow) before it fails.
func runGuardCases(t *testing.T, e *Engine, cases []guardCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var res *Result
			var d time.Duration
			retryWhenSlow(t, func() string {
				start := time.Now()
				res = runSource(t, e, "guard.js", tc.src, nil, InvokeParams{Timeout: 2 * time.Second})
				d = time.Since(start)
				return slowness(res, d, 5*time.Second, tc.code == CodeTimeout)
			})
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
			if d > 5*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

// slowness says why a run that took d was too slow: past limit, or ended by
// its timeout when the case does not accept TIMEOUT. It returns "" for a run
// that was fast enough.
func slowness(res *Result, d, limit time.Duration, timeoutOK bool) string {
	switch {
	case d > limit:
		return "took " + d.Round(time.Millisecond).String()
	case !timeoutOK && res.Err != nil && res.Err.Code == CodeTimeout:
		return "timed out after " + d.Round(time.Millisecond).String()
	}
	return ""
}
