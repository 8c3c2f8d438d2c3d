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
//  1. Guarded built-ins (prelude.js) refuse, before it happens, any single
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

// memoryWatchdog is shared by all VMs of an engine.
type memoryWatchdog struct {
	interval time.Duration

	mu       sync.Mutex
	active   map[*memoryAccount]struct{}
	running  bool
	stopped  bool
	stopCh   chan struct{}
	done     chan struct{}
	lastHeap atomic.Int64
}

// memoryAccount is one invocation's view of the heap.
type memoryAccount struct {
	limit    int64
	baseline int64
	// used is the latest growth estimate (heap now - baseline).
	used atomic.Int64
	// overLimit is called at most once, from the watchdog goroutine.
	overLimit func(used int64)
	fired     atomic.Bool
}

func newMemoryWatchdog(interval time.Duration) *memoryWatchdog {
	return &memoryWatchdog{interval: interval, active: map[*memoryAccount]struct{}{}, stopCh: make(chan struct{})}
}

func readHeap() int64 {
	s := []metrics.Sample{{Name: heapMetric}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64())
}

// open starts accounting for one invocation; close it with release.
func (w *memoryWatchdog) open(limit int64, overLimit func(used int64)) *memoryAccount {
	a := &memoryAccount{limit: limit, baseline: readHeap(), overLimit: overLimit}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.active[a] = struct{}{}
	if !w.running && !w.stopped {
		w.running = true
		w.done = make(chan struct{})
		go w.loop(w.done)
	}
	return a
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
	var lastGC time.Time
	var lastGCHeap int64
	for {
		select {
		case <-w.stopCh:
			return
		case <-ticker.C:
		}
		w.mu.Lock()
		if len(w.active) == 0 {
			w.running = false
			w.mu.Unlock()
			return
		}
		accounts := make([]*memoryAccount, 0, len(w.active))
		for a := range w.active {
			accounts = append(accounts, a)
		}
		w.mu.Unlock()

		heap := readHeap()
		w.lastHeap.Store(heap)
		over := false
		for _, a := range accounts {
			a.used.Store(heap - a.baseline)
			if heap-a.baseline > a.limit {
				over = true
			}
		}
		if !over {
			continue
		}
		// The sample counts garbage too. Collect before blaming anyone, but
		// not again until the heap has grown further, so a script that makes
		// garbage quickly does not turn the watchdog into a GC loop.
		if heap-lastGCHeap < gcRetryGrowth && time.Since(lastGC) < 50*time.Millisecond {
			continue
		}
		runtime.GC()
		heap = readHeap()
		lastGC, lastGCHeap = time.Now(), heap
		for _, a := range accounts {
			used := heap - a.baseline
			a.used.Store(used)
			if used > a.limit && a.fired.CompareAndSwap(false, true) {
				a.overLimit(used)
			}
		}
	}
}
