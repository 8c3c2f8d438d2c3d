package urlapi

import (
	"testing"

	"github.com/kiln-run/kiln/internal/goja"
)

func newTestRuntime(t testing.TB) *goja.Runtime {
	t.Helper()
	rt := goja.New()
	if err := Install(rt); err != nil {
		t.Fatal(err)
	}
	return rt
}

// run evaluates src in a fresh runtime and returns the result exported to
// Go; a thrown exception fails the test.
func run(t testing.TB, src string) any {
	t.Helper()
	v, err := newTestRuntime(t).RunString(src)
	if err != nil {
		t.Fatalf("%v\nsource:\n%s", err, src)
	}
	return v.Export()
}
