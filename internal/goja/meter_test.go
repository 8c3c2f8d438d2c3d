package goja

import (
	"errors"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const MiB = 1 << 20

func heapNow() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

var stopHookMu sync.Mutex

// runUnderLimit runs src in a new runtime under limit; it returns the error
// and the Go heap (after a GC, less the heap before the run) at the stop.
func runUnderLimit(t *testing.T, src string, limit int64) (err error, heapAtStop int64, r *Runtime) {
	t.Helper()
	stopHookMu.Lock()
	defer stopHookMu.Unlock()
	prg, cerr := Compile("bomb.js", src, false)
	if cerr != nil {
		t.Fatal(cerr)
	}
	r = New()
	r.SetMemoryLimit(limit)
	before := heapNow()
	heapAtStop = -1
	meterStopHook = func(*Runtime) {
		heapAtStop = heapNow() - before
	}
	defer func() { meterStopHook = nil }()
	// a safety net: a bomb the meter misses is interrupted, not left to
	// take the machine's memory
	done := make(chan struct{})
	defer close(done)
	go func() {
		tk := time.NewTicker(20 * time.Millisecond)
		defer tk.Stop()
		deadline := time.Now().Add(30 * time.Second)
		for {
			select {
			case <-done:
				return
			case <-tk.C:
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				if int64(ms.HeapAlloc)-before > 4*limit+256*MiB || time.Now().After(deadline) {
					r.Interrupt("safety net: heap " + fmtMiB(int64(ms.HeapAlloc)-before))
					return
				}
			}
		}
	}()
	_, err = r.RunProgram(prg)
	return
}

func fmtMiB(n int64) string { return strconv.FormatFloat(float64(n)/MiB, 'f', 1, 64) + " MiB" }

func asMemoryLimitError(err error) *MemoryLimitError {
	var ie *InterruptedError
	if errors.As(err, &ie) {
		if me, ok := ie.Value().(*MemoryLimitError); ok {
			return me
		}
	}
	return nil
}

var meterBombs = []struct {
	name, src string
}{
	{"string doubling", `var s = 'x'; for (;;) s += s;`},
	{"repeat 2**28", `'x'.repeat(2**28)`},
	{"objects pushed", `var a = []; for (;;) a.push({x: 1});`},
	{"1 MiB strings kept", `var a = []; var i = 0; for (;;) a.push('x'.repeat(2**20) + i++);`},
	{"typed arrays kept", `var a = []; for (;;) a.push(new Uint8Array(2**20));`},
	{"Map.set forever", `var m = new Map(); for (var i = 0;; i++) m.set(i, {i});`},
	{"split of 4 Mi chars", `var x = 'x'.repeat(2**22).split('');`},
	{"fill map", `var a = Array(2**24).fill(0).map(x => x);`},
	{"join", `var a = []; for (var i = 0; i < 2**16; i++) a.push('y'.repeat(2**10)); var j = []; for (;;) j.push(a.join('x'));`},
	{"JSON.stringify", `var a = []; for (var i = 0; i < 2**17; i++) a.push({k: 'v'.repeat(64), i}); var j = []; for (;;) j.push(JSON.stringify(a));`},
	{"Object.keys of a huge object", `var o = {}; for (var i = 0; i < 2**17; i++) o['k' + i] = i; var ks = []; for (;;) ks.push(Object.keys(o));`},
	{"Promise.all of a huge array", `var a = []; for (var i = 0; i < 2**16; i++) a.push(i); var ps = []; for (;;) ps.push(Promise.all(a));`},
	{"closures kept", `var a = []; for (var i = 0;; i++) { let j = i; a.push(() => j); }`},
	{"concat in a loop kept", `var a = []; for (var i = 0;; i++) { var s = ''; for (var k = 0; k < 100; k++) s += 'abcdefghij' + k; a.push(s); }`},
	{"replaceAll", `var x = 'x'.repeat(2**16).replaceAll('x', 'y'.repeat(2**14));`},
	{"normalize", `var s = '\u1E9B\u0323'.repeat(2**20); var a = []; for (;;) a.push(s.normalize('NFD') + a.length);`},
	// BigInts are capped at 2^21 bits (patch 4, TestBigIntLimit); many
	// under the cap are the meter's.
	{"BigInts kept", `var a = []; for (;;) a.push((1n << 2000000n) + BigInt(a.length));`},
	{"numbers pushed", `var a = []; for (var i = 0;; i++) a.push(i + 0.5);`},
	{"String(i) pushed", `var a = []; for (var i = 0;; i++) a.push(String(i));`},
	{"generators kept", `function* g(i) { var big = [i, i, i, i]; yield big; } var a = []; for (var i = 0;; i++) { var it = g(i); it.next(); a.push(it); }`},
	{"Uint8Array join", `var x = new Uint8Array(2**18).join('x'.repeat(2**10));`},
}

func TestMeterBombs(t *testing.T) {
	if meterRace {
		t.Skip("too slow under the race detector")
	}
	const limit = 64 * MiB
	for _, b := range meterBombs {
		t.Run(b.name, func(t *testing.T) {
			start := time.Now()
			err, heap, _ := runUnderLimit(t, b.src, limit)
			me := asMemoryLimitError(err)
			if me == nil {
				t.Fatalf("want a MemoryLimitError, got %v", err)
			}
			t.Logf("%-30s stopped after %v: used %5.1f MiB, heap at stop %5.1f MiB (limit %d MiB)",
				b.name, time.Since(start).Round(time.Millisecond), float64(me.Used)/MiB, float64(heap)/MiB, limit/MiB)
			if heap > limit+16*MiB {
				t.Errorf("heap at stop %.1f MiB > limit + 16 MiB", float64(heap)/MiB)
			}
		})
	}
}

func TestMeterStopUncatchable(t *testing.T) {
	err, _, r := runUnderLimit(t, `
var log = [];
try { var s = 'x'; for (;;) s += s; } catch (e) { log.push('caught') } finally { log.push('finally') }
log.push('after');
`, 16*MiB)
	if asMemoryLimitError(err) == nil {
		t.Fatalf("want a MemoryLimitError, got %v", err)
	}
	if !strings.Contains(err.Error(), "memory limit") {
		t.Errorf("error text: %v", err)
	}
	if v := r.Get("log").Export(); len(v.([]interface{})) != 0 {
		t.Fatalf("catch/finally ran: %v", v)
	}
	// the runtime can be reused
	r.SetMemoryLimit(16 * MiB)
	v, err := r.RunString(`s = null; log.length + 1`)
	if err != nil || v.ToInteger() != 1 {
		t.Fatalf("reuse: %v %v", v, err)
	}
}

func TestMeterCodeBomb(t *testing.T) {
	if meterRace {
		t.Skip("too slow under the race detector")
	}
	const limit = 64 * MiB
	err, heap, _ := runUnderLimit(t, `var keep = []; for (var i = 0;; i++) keep.push(new Function('a', 'var b = a * ' + i + '; return [b, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxx", {c: b + 1}];'));`, limit)
	me := asMemoryLimitError(err)
	if me == nil {
		t.Fatalf("want a MemoryLimitError, got %v", err)
	}
	t.Logf("new Function kept: used %.1f MiB, heap at stop %.1f MiB", float64(me.Used)/MiB, float64(heap)/MiB)
	if heap > limit+16*MiB {
		t.Errorf("heap at stop %.1f MiB > limit + 16 MiB", float64(heap)/MiB)
	}
}
