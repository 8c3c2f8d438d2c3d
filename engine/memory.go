package engine

import (
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"
)

// goja has no memory limit, so the engine enforces one in two layers:
//
//  1. Guarded built-ins (guards*.go) refuse, before it happens, any single
//     native call that would allocate past the invocation's remaining budget.
//     goja cannot interrupt a native call, so this is the only layer that
//     catches `'x'.repeat(2**30)` before the process grows.
//  2. This watchdog samples the Go heap while invocations run and interrupts
//     an invocation whose heap growth since it started passes its limit, after
//     a forced GC confirms the growth is live memory and not garbage.
//
// The heap is the process's, so growth is attributed by time: an invocation
// is charged everything the process allocated since it started. That is exact
// for one invocation at a time and conservative (it may stop an innocent
// invocation) when a neighbour allocates heavily at the same moment; the
// tolerance and this trade-off are measured in docs/limits.md.

const heapMetric = "/memory/classes/heap/objects:bytes"

// gcRetryGrowth is how much the heap must grow after a forced GC that blamed
// nobody before the watchdog forces another one (or 50ms pass).
const gcRetryGrowth = 8 << 20

// lingerTicks is how many idle samples the watchdog takes before it exits.
const lingerTicks = 200

// memoryWatchdog is shared by all VMs of an engine. While it samples, it
// also stops an invocation whose caller's context ended (checkCaller) and
// demotes a CPU turn held past its slice (checkTurn).
type memoryWatchdog struct {
	interval time.Duration

	mu      sync.Mutex
	active  map[*memoryAccount]struct{}
	running bool
	stopped bool
	stopCh  chan struct{}
	done    chan struct{}
	// latest is the last heap sample and latestAt when it was taken (Unix
	// nanoseconds; 0 while the watchdog is not sampling).
	latest   atomic.Int64
	latestAt atomic.Int64
}

// memoryAccount is one invocation's view of the heap. The invocation holds
// it by value (one allocation fewer per invocation); it must not be copied.
type memoryAccount struct {
	limit    int64
	baseline int64
	// used is the latest growth estimate (heap now - baseline).
	used atomic.Int64
	// owner is told at most once, from the watchdog goroutine.
	owner watched
	fired atomic.Bool
	// watchCaller says the owner's caller can end, and watchTurn that it
	// takes CPU turns: the watchdog asks it on every sample.
	watchCaller, watchTurn bool
}

// watched is the invocation as the watchdog sees it (an interface rather
// than closures: no allocation per account).
type watched interface {
	// overMemoryLimit stops the invocation for passing its limit.
	overMemoryLimit(used int64)
	// checkCaller stops the invocation if its caller's context ended. The
	// watchdog polls it instead of each invocation registering a
	// context.AfterFunc: an atomic load per sample costs less than the
	// four allocations and two locks of a watch set up and torn down per
	// run, and a run whose caller is gone stops within a sample.
	checkCaller()
	// checkTurn demotes a CPU turn held past its slice (now is Unix
	// nanoseconds).
	checkTurn(now int64)
}

func newMemoryWatchdog(interval time.Duration) *memoryWatchdog {
	return &memoryWatchdog{interval: interval, active: map[*memoryAccount]struct{}{}, stopCh: make(chan struct{})}
}

func readHeap() int64 {
	var s heapSampler
	return s.read()
}

// heapSampler reads the heap without allocating, so that the watchdog is
// never made to assist the GC it is waiting on: an allocating goroutine
// during a GC cycle pays in assist work, and that delay is exactly when the
// watchdog must be prompt.
type heapSampler struct{ s [1]metrics.Sample }

func (h *heapSampler) read() int64 {
	h.s[0].Name = heapMetric
	metrics.Read(h.s[:])
	return int64(h.s[0].Value.Uint64())
}

// open starts accounting for one invocation in a, which must be zero;
// close it with release. While the watchdog runs, its latest sample is the
// baseline (reading the heap costs more than the rest of a warm
// invocation's bookkeeping).
func (w *memoryWatchdog) open(a *memoryAccount, limit int64, owner watched, watchCaller, watchTurn bool, now time.Time) {
	baseline := w.latest.Load()
	if time.Duration(now.UnixNano()-w.latestAt.Load()) > 2*w.interval {
		baseline = readHeap()
	}
	a.limit, a.baseline, a.owner, a.watchCaller, a.watchTurn = limit, baseline, owner, watchCaller, watchTurn
	w.mu.Lock()
	defer w.mu.Unlock()
	w.active[a] = struct{}{}
	if !w.running && !w.stopped {
		w.running = true
		w.done = make(chan struct{})
		go w.loop(w.done)
	}
}

func (w *memoryWatchdog) release(a *memoryAccount) {
	w.mu.Lock()
	delete(w.active, a)
	w.mu.Unlock()
}

// remaining is how many more bytes the invocation may allocate.
func (a *memoryAccount) remaining() int64 {
	used := a.used.Load()
	if now := readHeap() - a.baseline; now > used {
		used = now
	}
	return a.limit - used
}

func (w *memoryWatchdog) close() {
	w.mu.Lock()
	if w.stopped {
		w.mu.Unlock()
		return
	}
	w.stopped = true
	close(w.stopCh)
	done := w.done
	w.mu.Unlock()
	if done != nil {
		<-done
	}
}

// loop samples the heap while any invocation is active and exits when none
// is, so an idle engine costs nothing.
func (w *memoryWatchdog) loop(done chan struct{}) {
	defer close(done)
	ticker := time.NewTicker(w.interval)
	defer ticker.Stop()
	var (
		lastGC     time.Time
		lastGCHeap int64
		gcRunning  bool
		gcDone     = make(chan int64, 1)
		sampler    heapSampler
		accounts   []*memoryAccount
		idle       int
	)
	for {
		select {
		case <-w.stopCh:
			if gcRunning {
				<-gcDone
			}
			return
		case live := <-gcDone:
			gcRunning = false
			lastGCHeap = live
			accounts = w.snapshot(accounts[:0])
			for _, a := range accounts {
				used := live - a.baseline
				a.used.Store(used)
				if used > a.limit {
					a.fire(used)
				}
			}
			continue
		case <-ticker.C:
		}
		heap := sampler.read()
		now := time.Now().UnixNano()
		w.latest.Store(heap)
		w.latestAt.Store(now)
		accounts = w.snapshot(accounts[:0])
		if len(accounts) == 0 {
			// Linger a while before exiting: invocations tend to come in
			// runs, and restarting the goroutine each time costs more than
			// a few idle ticks.
			if idle++; idle < lingerTicks || gcRunning {
				continue
			}
			w.mu.Lock()
			if len(w.active) == 0 {
				w.running = false
				w.latestAt.Store(0)
				w.mu.Unlock()
				return
			}
			w.mu.Unlock()
			continue
		}
		idle = 0
		confirm := false
		for _, a := range accounts {
			if a.watchCaller {
				a.owner.checkCaller()
			}
			if a.watchTurn {
				a.owner.checkTurn(now)
			}
			used := heap - a.baseline
			a.used.Store(used)
			switch {
			case used > a.limit+a.limit/2:
				// Past one and a half times the limit, stop now rather than
				// wait for a GC: at 2 cores a background GC of a large heap
				// takes long enough for a loop to double its allocation.
				// Garbage alone rarely explains this much (it would mean the
				// script kept close to its limit live and as much again dead).
				a.fire(used)
			case used > a.limit:
				confirm = true
			}
		}
		if !confirm || gcRunning {
			continue
		}
		// Between the limit and one and a half times it the sample may be
		// garbage. Collect
		// in the background, so sampling goes on meanwhile, and judge on the
		// live heap; do not collect again until the heap has grown further.
		if heap-lastGCHeap < gcRetryGrowth && time.Since(lastGC) < 50*time.Millisecond {
			continue
		}
		lastGC, gcRunning = time.Now(), true
		go func() {
			runtime.GC()
			gcDone <- readHeap()
		}()
	}
}

// snapshot appends the active accounts to buf (reused between ticks, so the
// steady state allocates nothing).
func (w *memoryWatchdog) snapshot(buf []*memoryAccount) []*memoryAccount {
	w.mu.Lock()
	defer w.mu.Unlock()
	for a := range w.active {
		buf = append(buf, a)
	}
	return buf
}

// fire reports the account over its limit, once.
func (a *memoryAccount) fire(used int64) {
	if a.fired.CompareAndSwap(false, true) {
		a.owner.overMemoryLimit(used)
	}
}
