package engine

import (
	"context"
	"strconv"
	"sync/atomic"
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
// busy one makes the other wait. The slow script reports through host calls
// when it has the turn (started) and when its JavaScript is over (done),
// so the test does not depend on timing.
func TestTurns(t *testing.T) {
	var started chan struct{}
	var done, released atomic.Bool
	e := setup(t, Config{Modules: []Module{{Name: "t", Funcs: []HostFunc{
		{Name: "iota.t.started", Fn: func(context.Context, HostCall) (any, error) { close(started); return nil, nil }},
		{Name: "iota.t.done", Fn: func(context.Context, HostCall) (any, error) { done.Store(true); return nil, nil }},
		{Name: "iota.t.released", Fn: func(context.Context, HostCall) (any, error) { return released.Load(), nil }},
	}}}})
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
		name, src string
		// doneFirst: the slow script's JavaScript must be over before the
		// quick one can run.
		doneFirst bool
		// slice is the turn slice: past it, a waiter gets the turn.
		slice time.Duration
	}{
		{"waiting gives the turn", `export default async () => { iota.t.started(); await new Promise((r) => setTimeout(r, 1000)); iota.t.done() }`, false, 0},
		{"running keeps the turn", `export default () => { iota.t.started(); const end = Date.now() + 300; while (Date.now() < end) {} iota.t.done() }`, true, 0},
		// The slow one loops until the quick one has run (or 20 s): only a
		// demoted turn lets the quick one run meanwhile.
		{"running past the slice gives the turn", `export default () => { iota.t.started(); const end = Date.now() + 20000; while (Date.now() < end && !iota.t.released()) {} iota.t.done() }`, false, 20 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			turns := fair.New(1, 10, func(string) int { return 1 })
			slow := vmOf(tc.src)
			started = make(chan struct{})
			done.Store(false)
			released.Store(false)
			finished := make(chan struct{})
			go func() {
				defer close(finished)
				if res := slow.Invoke(ctx, InvokeParams{Turns: turns, TurnSlice: tc.slice, Timeout: time.Minute, Meta: Meta{TenantID: "a"}}); res.Err != nil {
					t.Error(res.Err)
				}
			}()
			<-started // the slow one holds the turn
			if res := quick.Invoke(ctx, InvokeParams{Turns: turns, TurnSlice: tc.slice, Meta: Meta{TenantID: "b"}}); res.Err != nil {
				t.Fatal(res.Err)
			}
			if got := done.Load(); got != tc.doneFirst {
				t.Errorf("when the quick script ran, the slow one's JavaScript was over: %v, want %v", got, tc.doneFirst)
			}
			released.Store(true)
			<-finished
			if s := turns.Stats(); s.Held != 0 || s.Waiting != 0 || s.Overtime != 0 {
				t.Fatalf("turns left held: %+v", s)
			}
		})
	}
}
