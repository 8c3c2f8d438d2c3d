package engine

import (
	"context"
	"encoding/json"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// TestTimersUseFakeTime runs timers inside a synctest bubble: a 10-second
// sleep completes at once in real time and exactly 10 s in script time.
func TestTimersUseFakeTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := setup(t, Config{})
		res := runSource(t, e, "sleep.js", `
			const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
			export default async function () {
				const start = Date.now();
				await sleep(10000);
				const mid = Date.now() - start;
				let ticks = 0;
				await new Promise((resolve) => { const id = setInterval(() => { if (++ticks === 5) { clearInterval(id); resolve(); } }, 1000); });
				return { mid, total: Date.now() - start, perf: Math.round(performance.now()) >= 15000 };
			}`, nil, InvokeParams{})
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		if got, want := string(res.Value), `{"mid":10000,"total":15000,"perf":true}`; got != want {
			t.Fatalf("got %s, want %s", got, want)
		}
	})
}

// TestTimeoutWhileWaiting: a script waiting on a timer past its deadline
// ends with TIMEOUT at the deadline, not when the timer would fire.
func TestTimeoutWhileWaiting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := setup(t, Config{})
		start := time.Now()
		res := runSource(t, e, "wait.js", `export default () => new Promise((r) => setTimeout(r, 60000));`, nil, InvokeParams{Timeout: 30 * time.Second})
		if res.Err == nil || res.Err.Code != CodeTimeout {
			t.Fatalf("want TIMEOUT, got %+v", res)
		}
		if elapsed := time.Since(start); elapsed != 30*time.Second {
			t.Fatalf("timed out after %s of fake time, want 30s", elapsed)
		}
	})
}

// TestCPULoopInterruptedPromptly: a busy loop ends within 100 ms of its
// timeout (real time: this is the engine's interrupt path, not a timer). A
// late stop is tried again (retryWhenSlow): a loaded machine can delay one,
// a loop the interrupt does not reach is late every time.
func TestCPULoopInterruptedPromptly(t *testing.T) {
	e := setup(t, Config{})
	for _, src := range []string{
		`export default function () { for (;;) {} }`,
		`export default function () { let x = 0; while (true) { x = (x + 1) % 7; } }`,
		`export default async function () { await null; for (;;) { Math.sqrt(2); } }`,
		`export default function () { return new Promise(() => setTimeout(() => { for (;;) {} }, 1)); }`,
	} {
		var res *Result
		var over time.Duration
		retryWhenSlow(t, func() string {
			res = runSource(t, e, "loop.js", src, nil, InvokeParams{Timeout: 200 * time.Millisecond})
			if over = res.Metrics.Duration - 200*time.Millisecond; over > 100*time.Millisecond {
				return "stopped " + over.String() + " after the timeout"
			}
			return ""
		})
		if res.Err == nil || res.Err.Code != CodeTimeout {
			t.Fatalf("%s: want TIMEOUT, got %+v", src, res.Err)
		}
		if over > 100*time.Millisecond {
			t.Errorf("%s: stopped %s after the timeout, want within 100ms", src, over)
		}
	}
}

// manualClock advances only when a timer is waited on, so that every run
// sees exactly the same times.
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) NewTimer(d time.Duration) (<-chan time.Time, func() bool) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	now := c.now
	c.mu.Unlock()
	ch := make(chan time.Time, 1)
	ch <- now
	return ch, func() bool { return false }
}

// TestDeterministicReplay: two engines with the same seed and clock give
// byte-identical output for a script that reads time and randomness every
// way a script can.
func TestDeterministicReplay(t *testing.T) {
	src := `
		export default async function () {
			const out = [];
			out.push(Date.now(), new Date().toISOString(), Math.random(), performance.now());
			const bytes = crypto.getRandomValues(new Uint8Array(8));
			out.push(Array.from(bytes), crypto.randomUUID());
			await new Promise((r) => setTimeout(r, 250));
			out.push(Date.now(), Math.random(), performance.now());
			return out;
		}`
	run := func() string {
		clock := &manualClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
		e := setup(t, Config{Clock: clock, Random: NewRandom(42)})
		res := runSource(t, e, "replay.js", src, nil, InvokeParams{})
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		return string(res.Value)
	}
	first, second := run(), run()
	if first != second {
		t.Fatalf("runs differ:\n%s\n%s", first, second)
	}
	var values []any
	if err := json.Unmarshal([]byte(first), &values); err != nil || values[0].(float64) != float64(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).UnixMilli()) {
		t.Fatalf("the script did not see the injected clock: %s", first)
	}
	clock := &manualClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	other := setup(t, Config{Clock: clock, Random: NewRandom(43)})
	if res := runSource(t, other, "replay.js", src, nil, InvokeParams{}); string(res.Value) == first {
		t.Fatal("a different seed gave the same output: randomness is not from the injected source")
	}
}

// TestVMReuseAndRetirement: a VM serves many invocations; one interrupted
// by a limit is retired.
func TestVMReuseAndRetirement(t *testing.T) {
	e := setup(t, Config{})
	ctx := context.Background()
	p, err := e.Compile(ctx, Source{Name: "count.js", Code: `let n = 0; export default (input) => { if (input === "spin") for (;;) {} return ++n; }`})
	if err != nil {
		t.Fatal(err)
	}
	vm, err := e.NewVM(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	for want := 1; want <= 3; want++ {
		res := vm.Invoke(ctx, InvokeParams{})
		if res.Err != nil || string(res.Value) != strconv.Itoa(want) {
			t.Fatalf("call %d: %s %v", want, res.Value, res.Err)
		}
	}
	if res := vm.Invoke(ctx, InvokeParams{Input: json.RawMessage(`"spin"`), Timeout: 50 * time.Millisecond}); res.Err == nil || res.Err.Code != CodeTimeout {
		t.Fatalf("want TIMEOUT, got %+v", res.Err)
	}
	if vm.Usable() {
		t.Fatal("an interrupted VM must be retired")
	}
	if res := vm.Invoke(ctx, InvokeParams{}); res.Err == nil {
		t.Fatal("a retired VM must refuse to run")
	}
}

// TestCancelledByCaller: cancelling the context ends the run with CANCELLED.
func TestCancelledByCaller(t *testing.T) {
	e := setup(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	p, _ := e.Compile(ctx, Source{Name: "c.js", Code: `export default () => new Promise(() => setTimeout(() => {}, 1e6));`})
	vm, err := e.NewVM(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(20*time.Millisecond, cancel)
	if res := vm.Invoke(ctx, InvokeParams{}); res.Err == nil || res.Err.Code != CodeCancelled {
		t.Fatalf("want CANCELLED, got %+v", res.Err)
	}
}

// TestCancelledByCallerMidLoop: a CPU-bound script is interrupted when its
// caller's context ends (the watchdog polls it), long before its timeout;
// a context already ended stops the script before it runs.
func TestCancelledByCallerMidLoop(t *testing.T) {
	e := setup(t, Config{})
	p, err := e.Compile(context.Background(), Source{Name: "c.js", Code: `export default () => { for (;;) {} };`})
	if err != nil {
		t.Fatal(err)
	}
	vm, err := e.NewVM(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	start := time.Now()
	res := vm.Invoke(ctx, InvokeParams{Timeout: time.Minute})
	if res.Err == nil || res.Err.Code != CodeCancelled {
		t.Fatalf("want CANCELLED, got %+v", res.Err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("the loop ran %v after its caller left", d)
	}

	vm, err = e.NewVM(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	res = vm.Invoke(ctx, InvokeParams{Timeout: time.Minute})
	if res.Err == nil || res.Err.Code != CodeCancelled {
		t.Fatalf("an ended context: want CANCELLED, got %+v", res.Err)
	}
}
