package pool

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kiln-run/kiln/engine"
)

// peakWhile runs fn and samples sample until fn returns; it returns the
// largest value seen.
func peakWhile(fn func(), sample func() int) int {
	done := make(chan struct{})
	go func() { fn(); close(done) }()
	peak := 0
	for {
		select {
		case <-done:
			return peak
		default:
			peak = max(peak, sample())
			time.Sleep(200 * time.Microsecond)
		}
	}
}

// runAll runs n copies of job at once and waits for them; it fails t on
// any pool error or script error.
func runAll(t *testing.T, p *Pool, n int, job func(i int) Job) {
	t.Helper()
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := p.Run(context.Background(), job(i))
			if err != nil {
				t.Error(err)
			} else if res.Err != nil {
				t.Error(res.Err)
			}
		}()
	}
	wg.Wait()
}

// A tenant past its VM cap makes room from its own idle VMs, never from
// another tenant's.
func TestTenantVMCap(t *testing.T) {
	p, e := setup(t, Config{MaxVMs: 16, MaxConcurrent: 2, TenantVMs: 2, WarmVMs: -1})
	src := compiler(e, `export default () => 1`)
	run := func(k Key) {
		if res, err := p.Run(context.Background(), Job{Key: k, Compile: src}); err != nil || res.Err != nil {
			t.Fatal(err, res)
		}
	}
	run(Key{"b", "s", 1})
	for i := range 6 {
		run(Key{"a", fmt.Sprint("s", i), 1})
		if vms := p.Stats().Tenants["a"].VMs; vms > 2 {
			t.Fatalf("tenant a holds %d VMs, cap 2", vms)
		}
	}
	if vms := p.Stats().Tenants["b"].VMs; vms != 1 {
		t.Fatalf("tenant b's VM was evicted by tenant a: %d", vms)
	}

	// An override raises one tenant's cap.
	p.SetTenantLimits("a", TenantLimits{VMs: 4})
	for i := range 6 {
		run(Key{"a", fmt.Sprint("s", i), 1})
	}
	if vms := p.Stats().Tenants["a"].VMs; vms != 4 {
		t.Fatalf("tenant a holds %d VMs with its cap raised to 4", vms)
	}
}

// SetTenantLimits changes one tenant's concurrency and leaves the others'.
func TestTenantConcurrencyOverride(t *testing.T) {
	p, e := setup(t, Config{MaxVMs: 16, MaxConcurrent: 6, TenantConcurrent: 3, MaxWait: time.Minute})
	p.SetTenantLimits("a", TenantLimits{Concurrent: 1})
	probe := compiler(e, `export default () => new Promise((r) => setTimeout(r, 5))`)
	for tenant, want := range map[string]int{"a": 1, "b": 3} {
		peak := peakWhile(func() {
			runAll(t, p, 12, func(int) Job { return Job{Key: Key{tenant, "s", 1}, Compile: probe} })
		}, func() int { return p.Stats().Tenants[tenant].Running })
		if peak != want {
			t.Errorf("tenant %s ran %d at once, want %d", tenant, peak, want)
		}
	}
}

// A script's maxConcurrent caps that script only: its waiting executions
// hold no pool slot, so the tenant's other scripts run meanwhile.
func TestScriptMaxConcurrent(t *testing.T) {
	p, e := setup(t, Config{MaxVMs: 16, MaxConcurrent: 4, TenantConcurrent: 4, MaxWait: time.Minute})
	capped := compiler(e, `export default () => new Promise((r) => setTimeout(r, 200))`)
	other := compiler(e, `export default () => 2`)
	done := make(chan struct{})
	go func() {
		defer close(done)
		runAll(t, p, 8, func(int) Job {
			return Job{Key: Key{"a", "capped", 1}, MaxConcurrent: 1, Compile: capped}
		})
	}()
	for p.Stats().Busy < 1 {
		time.Sleep(time.Millisecond)
	}
	// While the capped script's queue drains (8 runs of 200 ms, one at a
	// time: 1.6 s, room for a loaded machine), the other script is not
	// held up behind it: its runs finish before the capped ones do.
	runAll(t, p, 4, func(int) Job { return Job{Key: Key{"a", "other", 1}, Compile: other} })
	select {
	case <-done:
		t.Error("the other script's runs waited until the capped script's queue drained")
	default:
	}
	if peak := peakWhile(func() { <-done }, func() int { return p.Stats().Tenants["a"].Running }); peak > 1 {
		t.Fatalf("the capped script ran %d at once, maxConcurrent 1", peak)
	}
}

// The pool keeps its warm minimum of blank VMs and binds them on a miss.
func TestWarmVMs(t *testing.T) {
	p, e := setup(t, Config{MaxVMs: 8, MaxConcurrent: 2, WarmVMs: 3})
	waitFor(t, func() bool { return p.Stats().Warm == 3 })
	src := compiler(e, `export default () => 1`)
	if res, err := p.Run(context.Background(), Job{Key: Key{"a", "s", 1}, Compile: src}); err != nil || res.Err != nil {
		t.Fatal(err, res)
	}
	waitFor(t, func() bool { s := p.Stats(); return s.Warm == 3 && s.Live == 4 })
	// A bad program consumes a warm VM and gives back nothing.
	bad := compiler(e, `throw new Error('x'); export default () => 1`)
	if res, err := p.Run(context.Background(), Job{Key: Key{"a", "bad", 1}, Compile: bad}); err != nil || res.Err == nil {
		t.Fatalf("a throwing module ran: %v %+v", err, res)
	}
	waitFor(t, func() bool { s := p.Stats(); return s.Warm == 3 && s.Live == 4 })
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met in 10s")
		}
		time.Sleep(time.Millisecond)
	}
}

// Under memory pressure idle VMs are evicted and new versions retire old
// ones while executions run; no running execution is disturbed, and every
// one sees its own version's program.
func TestEvictionUnderMemoryPressure(t *testing.T) {
	p, e := setup(t, Config{MaxVMs: 12, MaxConcurrent: 4, TenantConcurrent: 4, MaxWait: time.Minute, IdleTTL: time.Minute})
	var pressure atomic.Bool
	p.mu.Lock()
	p.heapLive = func() int64 {
		if pressure.Load() {
			return p.cfg.MemoryBudget + 1
		}
		return 0
	}
	p.mu.Unlock()
	job := func(script string, v int) Job {
		src := fmt.Sprintf(`let state = []; export default async () => {
			for (let i = 0; i < 2000; i++) state.push({ i });
			await new Promise((r) => setTimeout(r, 2));
			state = [];
			return %d;
		}`, v)
		return Job{Key: Key{"a", script, v}, Compile: compiler(e, src)}
	}
	check := func(j Job) {
		res, err := p.Run(context.Background(), j)
		if err != nil || res.Err != nil {
			t.Errorf("%v: %v %v", j.Key, err, res.Err)
		} else if got := string(res.Value); got != fmt.Sprint(j.Key.Version) {
			t.Errorf("%v ran version %s", j.Key, got)
		}
	}
	// Idle VMs of other scripts, for the pressure to evict.
	for i := range 6 {
		check(job(fmt.Sprint("other", i), 1))
	}
	pressure.Store(true)
	var wg sync.WaitGroup
	for v := 1; v <= 5; v++ {
		for i := range 12 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				check(job("s", v))
				check(job(fmt.Sprint("other", i%6), 1))
			}()
		}
		time.Sleep(5 * time.Millisecond)
		p.Retire("a", "s", v)
	}
	wg.Wait()
	s := p.Stats()
	if s.MemoryEvictions == 0 {
		t.Fatalf("no evictions under memory pressure: %+v", s)
	}
	if s.Busy != 0 || s.Live > 12 {
		t.Fatalf("pool state after the runs: %+v", s)
	}
}

// ObserveWait hears every execution's wait.
func TestObserveWait(t *testing.T) {
	var n atomic.Int32
	var longest atomic.Int64
	cfg := Config{MaxVMs: 4, MaxConcurrent: 1, TenantConcurrent: 1, MaxWait: time.Minute,
		ObserveWait: func(_ string, d time.Duration) {
			n.Add(1)
			if int64(d) > longest.Load() {
				longest.Store(int64(d))
			}
		}}
	p, e := setup(t, cfg)
	hold := compiler(e, `export default () => new Promise((r) => setTimeout(r, 20))`)
	runAll(t, p, 3, func(int) Job { return Job{Key: Key{"a", "s", 1}, Compile: hold, Params: engine.InvokeParams{}} })
	if n.Load() != 3 || time.Duration(longest.Load()) < 30*time.Millisecond {
		t.Fatalf("observed %d waits, longest %s", n.Load(), time.Duration(longest.Load()))
	}
}
