package goja

import (
	"math"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// A script that makes a lot of garbage but holds little is not stopped,
// also when its loop runs inside a native call (a callback, a Promise
// executor) or across many awaits.
func TestMeterChurnNotStopped(t *testing.T) {
	if meterRace {
		t.Skip("too slow under the race detector")
	}
	const limit = 64 * MiB
	churn := `
	var keep = [];
	for (var i = 0; i < 200000; i++) {
		var o = {a: 'x'.repeat(1000) + i, b: [1, 2, 3, 4, 5, 6, 7, 8], c: {d: i}};
		var s = ''; for (var k = 0; k < 10; k++) s += 'abcdefghij' + k;
		if (i % 200 === 0) keep.push(o);
	}
	`
	cases := []struct{ name, src string }{
		{"top level", churn},
		{"in a forEach callback", `[1].forEach(function() {` + churn + `});`},
		{"in a Promise executor", `new Promise(function(resolve) {` + churn + `resolve(); });`},
		{"in map with JSON", `var r = Array(2000).fill(0).map(function(_, i) { var x; for (var k = 0; k < 100; k++) x = JSON.parse(JSON.stringify({a: 'y'.repeat(1000), i: k})); return i; });`},
		{"across awaits", `(async function() { var keep = []; for (var i = 0; i < 200000; i++) { await null; var o = {a: 'x'.repeat(1000) + i}; if (i % 200 === 0) keep.push(o); } })();`},
		{"caught throws in natives", `for (var i = 0; i < 100000; i++) { try { JSON.parse('[' + '"' + 'x'.repeat(2000) + '", 1, 2, 3,'); } catch (e) {} }`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var ms0, ms1 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			start := time.Now()
			err, _, r := runUnderLimit(t, c.src, limit)
			runtime.ReadMemStats(&ms1)
			if err != nil {
				t.Fatalf("stopped: %v", err)
			}
			live, charged := r.MemoryUsage()
			t.Logf("%-25s %v, %.0f MiB allocated, last measurement %.1f MiB, charged since %.1f MiB",
				c.name, time.Since(start).Round(time.Millisecond), float64(ms1.TotalAlloc-ms0.TotalAlloc)/MiB, float64(live)/MiB, float64(charged)/MiB)
		})
	}
}

// The walk's size of each kind of structure against the Go heap it takes.
func TestMeasureTracksHeap(t *testing.T) {
	if meterRace {
		t.Skip("too slow under the race detector")
	}
	kinds := []struct{ name, src string }{
		{"objects", `var keep = []; for (var i = 0; i < 60000; i++) keep.push({a: i, b: 'x', c: true});`},
		{"dictionary object", `var keep = {}; for (var i = 0; i < 300000; i++) keep['key' + i] = i;`},
		{"arrays of numbers", `var keep = []; for (var i = 0; i < 64; i++) { var a = []; for (var j = 0; j < 32768; j++) a.push(j * 1.5); keep.push(a); }`},
		{"strings", `var keep = []; for (var i = 0; i < 32768; i++) keep.push('x'.repeat(1000) + i);`},
		{"short strings", `var keep = []; for (var i = 0; i < 600000; i++) keep.push('s' + i);`},
		{"unicode strings", `var keep = []; for (var i = 0; i < 16384; i++) keep.push('\u00e9'.repeat(1000) + i);`},
		{"maps", `var m = new Map(); for (var i = 0; i < 200000; i++) m.set(i, {v: i});`},
		{"sets", `var m = new Set(); for (var i = 0; i < 300000; i++) m.add('k' + i);`},
		{"typed arrays", `var keep = []; for (var i = 0; i < 512; i++) keep.push(new Float64Array(8192));`},
		{"closures", `var keep = []; for (var i = 0; i < 100000; i++) { let j = i; keep.push(() => j); }`},
		{"class instances", `class P { constructor(x, y) { this.x = x; this.y = y; } } var keep = []; for (var i = 0; i < 60000; i++) keep.push(new P(i, -i));`},
		{"new Function", `var keep = []; for (var i = 0; i < 20000; i++) keep.push(new Function('a', 'var b = a * ' + i + '; return [b, "` + "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" + `", {c: b + 1}];'));`},
		{"JSON.parse", `var keep = JSON.parse(JSON.stringify(Array.from({length: 60000}, (_, i) => ({id: i, name: 'n' + i}))));`},
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			prg := MustCompile("k.js", k.src, false)
			r := New()
			m0 := r.MeasureMemory()
			h0 := heapNow()
			if _, err := r.RunProgram(prg); err != nil {
				t.Fatal(err)
			}
			h1 := heapNow()
			m1 := r.MeasureMemory()
			runtime.KeepAlive(r)
			dm, dh := m1-m0, h1-h0
			ratio := float64(dm) / float64(dh)
			t.Logf("%-18s measured %6.1f MiB, heap %6.1f MiB, ratio %.2f", k.name, float64(dm)/MiB, float64(dh)/MiB, ratio)
			if ratio < 0.90 || ratio > 1.35 {
				t.Errorf("measured/heap = %.2f, want 0.90..1.35", ratio)
			}
		})
	}
}

func TestMeterSharedStringCountedOnce(t *testing.T) {
	r := New()
	m0 := r.MeasureMemory()
	if _, err := r.RunString(`var s = 'x'.repeat(2**20); var a = []; for (var i = 0; i < 1000; i++) a.push(s);`); err != nil {
		t.Fatal(err)
	}
	dm := r.MeasureMemory() - m0
	t.Logf("1000 references to a 1 MiB string: %.2f MiB", float64(dm)/MiB)
	if dm > 2*MiB {
		t.Fatalf("measured %.1f MiB", float64(dm)/MiB)
	}
}

func TestMeterShortSubstringCopied(t *testing.T) {
	r := New()
	h0 := heapNow()
	v, err := r.RunString(`var s = 'x'.repeat(60 * 2**20) + 'y'; var t = s.substring(5, 15); var u = s.slice(-3); s = null; t + u`)
	if err != nil {
		t.Fatal(err)
	}
	dh := heapNow() - h0
	t.Logf("after dropping the 60 MiB string: heap +%.2f MiB", float64(dh)/MiB)
	if v.String() != "xxxxxxxxxxxxy" {
		t.Fatalf("got %q", v.String())
	}
	if dh > 4*MiB {
		t.Fatalf("a 10-char substring keeps %.1f MiB", float64(dh)/MiB)
	}
	runtime.KeepAlive(r)
}

// holdThenSpin: the first run holds about n MiB without a limit; the
// second spins without allocating under the limit.
func holdThenSpin(t *testing.T, holdMiB int, limit int64) *Runtime {
	r := New()
	if _, err := r.RunString(`var keep = []; for (var i = 0; i < ` + itoa(holdMiB) + `; i++) keep.push(new Uint8Array(2**20));`); err != nil {
		t.Fatal(err)
	}
	r.SetMemoryLimit(limit)
	r.MeasureMemory() // what the spin holds is measured, nothing is charged
	return r
}

func itoa(i int) string { return stringFromInt(i) }

func stringFromInt(i int) string {
	return intToValue(int64(i)).String()
}

const spin = `var n = 0; for (;;) { n++ }`

func TestMeterRequestMemoryCheck(t *testing.T) {
	t.Run("over the limit is stopped", func(t *testing.T) {
		r := holdThenSpin(t, 40, 64*MiB)
		r.SetMemoryLimit(32 * MiB) // lowered: only a check finds out
		go func() {
			time.Sleep(50 * time.Millisecond)
			r.RequestMemoryCheck()
		}()
		timer := time.AfterFunc(5*time.Second, func() { r.Interrupt("timeout") })
		defer timer.Stop()
		_, err := r.RunString(spin)
		if me := asMemoryLimitError(err); me == nil {
			t.Fatalf("want a MemoryLimitError, got %v", err)
		} else {
			t.Logf("stopped: %v", me)
		}
	})
	t.Run("under the limit runs on", func(t *testing.T) {
		r := holdThenSpin(t, 8, 32*MiB)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { // a watchdog asking for checks all the time
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
					r.RequestMemoryCheck()
					time.Sleep(time.Millisecond)
				}
			}
		}()
		timer := time.AfterFunc(300*time.Millisecond, func() { r.Interrupt("timeout") })
		defer timer.Stop()
		_, err := r.RunString(spin)
		close(stop)
		wg.Wait()
		ie, ok := err.(*InterruptedError)
		if !ok || ie.Value() != "timeout" {
			t.Fatalf("want the timeout, got %v", err)
		}
		live, _ := r.MemoryUsage()
		t.Logf("measured %.1f MiB under 32 MiB, then interrupted by the timeout", float64(live)/MiB)
		// the runtime is usable again: the interrupt is cleared, a check may be pending
		if v, err := r.RunString(`keep.length`); err != nil || v.ToInteger() != 8 {
			t.Fatalf("reuse: %v %v", v, err)
		}
	})
	t.Run("interrupt wins over a pending check", func(t *testing.T) {
		r := holdThenSpin(t, 40, 32*MiB)
		r.Interrupt("timeout")
		r.RequestMemoryCheck()
		_, err := r.RunString(spin)
		ie, ok := err.(*InterruptedError)
		if !ok || ie.Value() != "timeout" {
			t.Fatalf("want the timeout, got %v", err)
		}
		// the check stayed pending, and is done at the next run
		_, err = r.RunString(spin)
		if asMemoryLimitError(err) == nil {
			t.Fatalf("want a MemoryLimitError, got %v", err)
		}
	})
	t.Run("a check requested between runs is not lost", func(t *testing.T) {
		r := holdThenSpin(t, 40, 32*MiB)
		r.RequestMemoryCheck()
		timer := time.AfterFunc(5*time.Second, func() { r.Interrupt("timeout") })
		defer timer.Stop()
		_, err := r.RunString(spin)
		if asMemoryLimitError(err) == nil {
			t.Fatalf("want a MemoryLimitError, got %v", err)
		}
	})
	t.Run("allocating while checked", func(t *testing.T) {
		r := New()
		r.SetMemoryLimit(32 * MiB)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
					r.RequestMemoryCheck()
					time.Sleep(100 * time.Microsecond)
				}
			}
		}()
		timer := time.AfterFunc(500*time.Millisecond, func() { r.Interrupt("timeout") })
		defer timer.Stop()
		_, err := r.RunString(`var keep = []; for (var i = 0;; i++) { var o = {s: 'x' + i, a: [i, i + 1]}; if (i % 100 === 0) keep.push(o); if (keep.length > 1000) keep = []; }`)
		close(stop)
		wg.Wait()
		ie, ok := err.(*InterruptedError)
		if !ok || ie.Value() != "timeout" {
			t.Fatalf("want the timeout, got %v", err)
		}
	})
	t.Run("without a limit a check does nothing", func(t *testing.T) {
		r := holdThenSpin(t, 8, 0)
		r.RequestMemoryCheck()
		v, err := r.RunString(`keep.length`)
		if err != nil || v.ToInteger() != 8 {
			t.Fatalf("%v %v", v, err)
		}
	})
}

func TestMeterLimitOff(t *testing.T) {
	r := New()
	if r.MemoryRemaining() != math.MaxInt64 || r.MemoryLimit() != 0 {
		t.Fatal("a limit without SetMemoryLimit")
	}
	r.ChargeMemory(1 << 40) // nothing happens
	if _, err := r.RunString(`var s = 'x'; for (var i = 0; i < 20; i++) s += s; s.length`); err != nil {
		t.Fatal(err)
	}
	if live, charged := r.MemoryUsage(); live != 0 || charged != 0 {
		t.Fatalf("usage without a limit: %d %d", live, charged)
	}
}

func TestMeterChargeMemoryFromHost(t *testing.T) {
	r := New()
	r.Set("alloc", func(n int) Value {
		r.ChargeMemory(int64(n))
		return r.ToValue(string(make([]byte, n)))
	})
	r.SetMemoryLimit(32 * MiB)
	_, err := r.RunString(`var keep = []; for (;;) keep.push(alloc(2**20));`)
	me := asMemoryLimitError(err)
	if me == nil {
		t.Fatalf("want a MemoryLimitError, got %v", err)
	}
	if rem := r.MemoryRemaining(); rem != 0 {
		// what the script held is still held: nothing remains
		t.Logf("remaining after the stop: %d", rem)
	}
	t.Logf("%v", me)
}

func TestMeterRemainingAndRoots(t *testing.T) {
	r := New()
	r.SetMemoryLimit(64 * MiB)
	if rem := r.MemoryRemaining(); rem <= 0 || rem > 64*MiB {
		t.Fatalf("remaining %d", rem)
	}
	held := r.ToValue("y")
	r.SetMemoryRoots(func(visit func(Value)) { visit(held) })
	if _, err := r.RunString(`var big = 'x'.repeat(2**24)`); err != nil {
		t.Fatal(err)
	}
	held, err := r.RunString(`big + '!'`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.RunString(`big = null`); err != nil {
		t.Fatal(err)
	}
	if m := r.MeasureMemory(); m < 16*MiB {
		t.Fatalf("the embedder's root is not counted: %d", m)
	}
	r.SetMemoryRoots(nil)
	if m := r.MeasureMemory(); m > 8*MiB {
		t.Fatalf("without the root: %d", m)
	}
}

// Host code that builds values between runs is never panicked at: the next
// run is stopped at its first instruction instead.
func TestMeterOverBetweenRuns(t *testing.T) {
	r := New()
	r.SetMemoryLimit(16 * MiB)
	keep := r.NewArray()
	for i := 0; i < 1000; i++ {
		o := r.NewObject()
		r.ChargeMemory(32 << 10) // does not panic outside a run
		o.Set("s", strings.Repeat("x", 32<<10)+strconv.Itoa(i))
		keep.Set(strconv.Itoa(i), o)
	}
	r.Set("keep", keep)
	_, err := r.RunString(`keep.length`)
	if asMemoryLimitError(err) == nil {
		t.Fatalf("want a MemoryLimitError, got %v", err)
	}
}

// An async function awaiting a promise only the embedder holds (a host
// call in flight) keeps what its frame holds; the walk sees it through the
// promise until the embedder settles it.
func TestMeterHostPromiseRoots(t *testing.T) {
	r := New()
	r.SetMemoryLimit(64 * MiB)
	var resolve func(interface{}) error
	r.Set("hostCall", func() *Promise {
		p, res, _ := r.NewPromise()
		resolve = res
		return p
	})
	if _, err := r.RunString(`(async () => { const big = 'x'.repeat(2**24) + '!'; await hostCall(); return big.length })()`); err != nil {
		t.Fatal(err)
	}
	if m := r.MeasureMemory(); m < 16*MiB {
		t.Fatalf("the awaiting frame's string is not counted: %d bytes", m)
	}
	if err := resolve(nil); err != nil {
		t.Fatal(err)
	}
	if m := r.MeasureMemory(); m > 8*MiB {
		t.Fatalf("after the promise settled and the function returned: %d bytes", m)
	}
}
