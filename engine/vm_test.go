package engine

import (
	"context"
	"strconv"
	"testing"
)

// A blank VM is installed but runs nothing until bound; it binds once, and
// a VM whose program fails to load never runs.
func TestBlankVMBindsOnce(t *testing.T) {
	e := setup(t, Config{})
	ctx := context.Background()
	compile := func(src string) *Program {
		t.Helper()
		p, err := e.Compile(ctx, Source{Name: "m.js", Code: src})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}

	vm, err := e.NewBlankVM()
	if err != nil {
		t.Fatal(err)
	}
	if res := vm.Invoke(ctx, InvokeParams{}); res.Err == nil || res.Err.Code != CodeInternal {
		t.Fatalf("invoking an unbound VM: %+v", res.Err)
	}
	if err := vm.Bind(ctx, compile(`let n = 0; export default () => ++n;`)); err != nil {
		t.Fatal(err)
	}
	for want := 1; want <= 2; want++ {
		res := vm.Invoke(ctx, InvokeParams{})
		if res.Err != nil || string(res.Value) != strconv.Itoa(want) {
			t.Fatalf("run %d: %+v %v", want, res.Value, res.Err)
		}
	}
	if err := vm.Bind(ctx, compile(`export default () => 'other';`)); err == nil {
		t.Fatal("a bound VM took a second program")
	}

	broken, err := e.NewBlankVM()
	if err != nil {
		t.Fatal(err)
	}
	if err := broken.Bind(ctx, compile(`throw new Error('boom'); export default () => 1;`)); err == nil {
		t.Fatal("a throwing module bound")
	}
	if broken.Usable() {
		t.Fatal("a VM whose module threw is still usable")
	}
	if res := broken.Invoke(ctx, InvokeParams{}); res.Err == nil {
		t.Fatal("a VM whose module threw ran")
	}
}
