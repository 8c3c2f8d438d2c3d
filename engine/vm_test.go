package engine

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/kiln-run/kiln/internal/fair"
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

// An invocation holds its turn while it runs JavaScript and gives it back
// while it waits: with one turn, a waiting script lets another run, and a
// busy one makes the other wait.
func TestTurns(t *testing.T) {
	var started chan struct{} // the slow script calls iota.t.started first
	e := setup(t, Config{Modules: []Module{{Name: "t", Funcs: []HostFunc{{Name: "iota.t.started",
		Fn: func(context.Context, HostCall) (any, error) { close(started); return nil, nil }}}}}})
	ctx := context.Background()
	vmOf := func(src string) *VM {
		p, err := e.Compile(ctx, Source{Name: "t.js", Code: src})
		if err != nil {
			t.Fatal(err)
		}
		vm, err := e.NewVM(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		return vm
	}
	quick := vmOf(`export default () => 1`)
	for _, tc := range []struct {
		name, src  string
		quickFirst bool
	}{
		{"waiting gives the turn", `export default () => { iota.t.started(); return new Promise((r) => setTimeout(r, 300)) }`, true},
		{"running keeps the turn", `export default () => { iota.t.started(); const end = Date.now() + 300; while (Date.now() < end) {} }`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			turns := fair.New(1, 10, func(string) int { return 1 })
			slow := vmOf(tc.src)
			order := make(chan string, 2)
			started = make(chan struct{})
			go func() {
				slow.Invoke(ctx, InvokeParams{Turns: turns, Meta: Meta{TenantID: "a"}})
				order <- "slow"
			}()
			// The slow one holds the turn from here; a sleep instead of
			// this signal let a loaded CI machine start quick first.
			<-started
			time.Sleep(20 * time.Millisecond) // into its wait or its loop
			if res := quick.Invoke(ctx, InvokeParams{Turns: turns, Meta: Meta{TenantID: "b"}}); res.Err != nil {
				t.Fatal(res.Err)
			}
			order <- "quick"
			first := <-order
			<-order
			if (first == "quick") != tc.quickFirst {
				t.Fatalf("%s finished first", first)
			}
			if s := turns.Stats(); s.Held != 0 || s.Waiting != 0 {
				t.Fatalf("turns left held: %+v", s)
			}
		})
	}
}
