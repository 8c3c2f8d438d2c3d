package engine

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// knownCodes are the codes an invocation may end with. INTERNAL is not
// among them: whatever a script does, it must not reach Kiln's own faults.
var knownCodes = map[Code]bool{
	CodeSyntaxError: true, CodeRuntimeError: true, CodeTimeout: true, CodeMemoryLimit: true,
	CodeStackOverflow: true, CodeSandboxViolation: true, CodeUnhandledRejection: true,
	CodeOutputTooLarge: true, CodeInvalidArgument: true,
}

// FuzzSandbox runs arbitrary script text under tight limits. Whatever the
// text, the engine must not panic, must end with a known code, and a fresh
// VM afterwards must still refuse eval and the Function constructor.
func FuzzSandbox(f *testing.F) {
	for _, dir := range []string{"testdata/sandbox", "testdata/scripts", "testdata/limits"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.js"))
		for _, file := range files {
			if b, err := os.ReadFile(file); err == nil {
				f.Add(string(b))
			}
		}
	}
	f.Add(`export default () => Object.getPrototypeOf(async function*(){}).constructor("yield 1")`)
	e, err := New(Config{Timeout: 100 * time.Millisecond, MemoryLimit: 16 << 20})
	if err != nil {
		f.Fatal(err)
	}
	defer func() { _ = e.Close() }()
	ctx := context.Background()
	probe, err := e.Compile(ctx, Source{Name: "probe.js", Code: `export default () => { try { Function("return 1"); return "escaped"; } catch { return "caught"; } }`})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, src string) {
		p, err := e.Compile(ctx, Source{Name: "fuzz.js", Code: src})
		var ee *Error
		if err != nil {
			if !errors.As(err, &ee) || !knownCodes[ee.Code] {
				t.Fatalf("compile: unexpected error %v", err)
			}
			return
		}
		vm, err := e.NewVM(ctx, p)
		if err == nil {
			res := vm.Invoke(ctx, InvokeParams{Input: []byte(`{"n":1}`)})
			if res.Err != nil && !knownCodes[res.Err.Code] {
				t.Fatalf("invoke: unexpected %v", res.Err)
			}
		} else if !errors.As(err, &ee) || !knownCodes[ee.Code] {
			t.Fatalf("new VM: unexpected error %v", err)
		}
		check, err := e.NewVM(ctx, probe)
		if err != nil {
			t.Fatal(err)
		}
		if res := check.Invoke(ctx, InvokeParams{}); res.Err == nil || res.Err.Code != CodeSandboxViolation {
			t.Fatalf("after the fuzz input, a fresh VM let Function run: %+v %s", res.Err, res.Value)
		}
	})
}
