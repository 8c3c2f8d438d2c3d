package engine

import (
	"context"
	"encoding/json"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// A VM keeps its event loop, its deadline timer and the JS values of its
// ctx from one invocation to the next (invoke.go, loop.go, convert.go).
// These tests check that nothing of one invocation reaches the next.

// TestLateCompletionIgnored: a handler that throws with a host call in
// flight ends at once, and the VM is reused. The call completes during the
// next invocation, on the same loop; its completion must be dropped: run,
// it would settle the first invocation's promise inside the second and
// leave the loop waiting for a call it never started.
func TestLateCompletionIgnored(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var releaseOnce sync.Once
		free := func() { releaseOnce.Do(func() { close(release) }) }
		defer free() // on failure too: a blocked goroutine would hide the message
		e := setup(t, Config{Modules: []Module{{Name: "test", Funcs: []HostFunc{
			{Name: "host.wait", Async: true, Fn: func(context.Context, HostCall) (any, error) {
				<-release // deaf to the invocation's end, as a slow client may be
				return "done", nil
			}},
		}}}})
		ctx := context.Background()
		p, err := e.Compile(ctx, Source{Name: "late.js", Code: `export default (input) => {
			if (input === "throw") {
				host.wait().then(() => console.log("late"));
				throw new Error("boom");
			}
			return new Promise((resolve) => setTimeout(() => resolve("second"), 50));
		}`})
		if err != nil {
			t.Fatal(err)
		}
		vm, err := e.NewVM(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		first := vm.Invoke(ctx, InvokeParams{Input: json.RawMessage(`"throw"`)})
		if first.Err == nil || first.Err.Code != CodeRuntimeError || !vm.Usable() {
			t.Fatalf("first: %+v", first.Err)
		}
		go func() {
			time.Sleep(10 * time.Millisecond) // inside the second invocation's wait
			free()
		}()
		start := time.Now()
		second := vm.Invoke(ctx, InvokeParams{Timeout: time.Second})
		if second.Err != nil || string(second.Value) != `"second"` || len(second.Logs) != 0 || len(second.HostCalls) != 0 {
			t.Fatalf("second: %s %v logs %+v calls %+v", second.Value, second.Err, second.Logs, second.HostCalls)
		}
		if d := time.Since(start); d != 50*time.Millisecond {
			t.Fatalf("the second invocation took %s of fake time, want 50ms", d)
		}
		// esbuild's compile leaves a goroutine sleeping 250 ms; let it end
		// in fake time.
		time.Sleep(time.Second)
	})
}

// TestStaleDeadlineFiring: the deadline timer, reused, may fire late for
// an invocation that has ended; that firing must not stop the next one.
// The test fires it by hand in the middle of an invocation whose deadline
// is ahead. Invocations after it still time out (TestVMReuseAndRetirement
// spins on a VM that ran before).
func TestStaleDeadlineFiring(t *testing.T) {
	var vm *VM
	e := setup(t, Config{Modules: []Module{{Name: "test", Funcs: []HostFunc{
		{Name: "host.fireDeadline", Fn: func(context.Context, HostCall) (any, error) {
			vm.armed.passed()
			return nil, nil
		}},
	}}}})
	ctx := context.Background()
	p, err := e.Compile(ctx, Source{Name: "stale.js", Code: `export default () => { host.fireDeadline(); let x = 0; for (let i = 0; i < 1000; i++) x += i; return x; }`})
	if err != nil {
		t.Fatal(err)
	}
	if vm, err = e.NewVM(ctx, p); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if res := vm.Invoke(ctx, InvokeParams{Timeout: time.Minute}); res.Err != nil || string(res.Value) != "499500" {
			t.Fatalf("invocation %d: %s %v", i, res.Value, res.Err)
		}
	}
	if !vm.Usable() {
		t.Fatal("the VM was retired")
	}
}

// TestCtxAcrossInvocations: ctx is a new plain object each time, with the
// invocation's own values in the documented order, even when the VM kept
// values from the invocation before; what a script did to the last ctx or
// to Object.prototype does not show in it.
func TestCtxAcrossInvocations(t *testing.T) {
	e := setup(t, Config{})
	ctx := context.Background()
	p, err := e.Compile(ctx, Source{Name: "ctx.js", Code: `let last;
		export default (input, ctx) => {
			const out = [JSON.stringify(ctx), Object.getPrototypeOf(ctx) === Object.prototype, ctx === last, Object.isFrozen(ctx)];
			ctx.tenantId = "changed";
			ctx.extra = 1;
			last = ctx;
			if (input === "setter") Object.defineProperty(Object.prototype, "executionId", { set() { throw new Error("setter called") }, configurable: true });
			return out;
		}`})
	if err != nil {
		t.Fatal(err)
	}
	vm, err := e.NewVM(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	metas := []Meta{
		{TenantID: "acme", ScriptID: "s1", Version: 3, ExecutionID: "ex-1", Trigger: "http", Attempt: 0},
		{TenantID: "acme", ScriptID: "s1", Version: 3, ExecutionID: "ex-2", Trigger: "http", Attempt: 1},
		{TenantID: "acme", ScriptID: "s1", Version: 4, ExecutionID: "ex-3", Trigger: "event", Attempt: 2},
		{},
		{TenantID: "globex", ScriptID: "s2", Version: 1, ExecutionID: "ex-5", Trigger: "cron", Attempt: 1},
	}
	for i, m := range metas {
		input := json.RawMessage(`null`)
		if i == 2 {
			input = json.RawMessage(`"setter"`)
		}
		res := vm.Invoke(ctx, InvokeParams{Input: input, Meta: m})
		if res.Err != nil {
			t.Fatalf("invocation %d: %v", i, res.Err)
		}
		want, _ := json.Marshal(m)
		if m.Attempt == 0 {
			want = []byte(strings.Replace(string(want), `"attempt":0`, `"attempt":1`, 1))
		}
		wantOut, _ := json.Marshal([]any{string(want), true, false, false})
		if string(res.Value) != string(wantOut) {
			t.Errorf("invocation %d:\n got %s\nwant %s", i, res.Value, wantOut)
		}
	}
}

// TestResultsKeepTheirBytes: results are written in a buffer the VM keeps;
// each Result.Value is its own copy, untouched by later invocations.
func TestResultsKeepTheirBytes(t *testing.T) {
	e := setup(t, Config{})
	ctx := context.Background()
	p, err := e.Compile(ctx, Source{Name: "sizes.js", Code: `export default (n) => ({ s: "x".repeat(n), n })`})
	if err != nil {
		t.Fatal(err)
	}
	vm, err := e.NewVM(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	var kept []*Result
	for _, n := range []int{40, 3, 600, 0, 40} {
		res := vm.Invoke(ctx, InvokeParams{Input: json.RawMessage(strconv.Itoa(n))})
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		kept = append(kept, res)
	}
	for i, n := range []int{40, 3, 600, 0, 40} {
		if want := `{"s":"` + strings.Repeat("x", n) + `","n":` + strconv.Itoa(n) + `}`; string(kept[i].Value) != want {
			t.Errorf("result %d = %s, want %s", i, kept[i].Value, want)
		}
	}
}

// TestStoppedVMIsCollected: a VM stopped at its memory limit and dropped
// is garbage at once: nothing of the engine's (its stopped deadline timer,
// which the Go runtime may keep until its time passes, or the watchdog's
// reused slice) keeps it and all its script held alive.
func TestStoppedVMIsCollected(t *testing.T) {
	e := setup(t, Config{MemoryLimit: 64 << 20})
	ctx := context.Background()
	p, err := e.Compile(ctx, Source{Name: "bomb.js", Code: `export default () => { const a = []; for (;;) a.push({ x: 1 }) }`})
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	base := readHeap()
	for range 3 {
		vm, err := e.NewVM(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if res := vm.Invoke(ctx, InvokeParams{Timeout: time.Minute}); res.Err == nil || res.Err.Code != CodeMemoryLimit {
			t.Fatalf("the bomb ended with %v, want MEMORY_LIMIT", res.Err)
		}
	}
	runtime.GC()
	if kept := readHeap() - base; kept > 16<<20 {
		t.Errorf("%s still live after three stopped VMs were dropped", formatBytes(kept))
	}
}
