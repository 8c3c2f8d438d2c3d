package engine

import (
	"runtime/metrics"
	"sync"
	"time"
)

// Memory is charged to the runtime that allocates it: every VM's goja
// runtime carries a meter (internal/goja, FORK.md patch 1) that counts what
// its script allocates and, when the count nears the invocation's limit,
// measures what the runtime can reach, and stops the script past the limit.
// A neighbour's allocation is never charged to an innocent run. On top of
// it the engine keeps two layers:
//
//  1. Guarded built-ins (guards*.go) refuse, before it happens, any single
//     native call that would allocate past the runtime's remaining room
//     (goja.Runtime.MemoryRemaining), with a message that names the call.
//  2. This watchdog, the backstop for allocation sites the meter does not
//     charge: it samples the process's heap while invocations run, and when
//     the heap has grown by backstopGrowth more than it was at the last
//     check, asks every running runtime to measure itself at its next
//     instruction (goja.Runtime.RequestMemoryCheck). Only a runtime that
//     holds more than its limit is stopped.
//
// The same goroutine also stops an invocation whose caller's context ended
// (checkCaller) and demotes a CPU turn held past its slice (checkTurn), and
// keeps the Go runtime's soft memory limit at what the running invocations
// may hold (softLimit), so that their garbage is collected before the
// process grows past the sum of their limits.

const heapMetric = "/memory/classes/heap/objects:bytes"

// backstopGrowth is how much the process heap may grow, beyond what it was
// at the last check, before every running runtime is asked to measure
// itself.
const backstopGrowth = 32 << 20

// lingerTicks is how many idle samples the watchdog takes before it exits.
const lingerTicks = 200

// memoryWatchdog is shared by all VMs of an engine.
type memoryWatchdog struct {
	interval time.Duration
	// limiter, when set, is told the limits of the invocations that start
	// and end (Config.ManageHeapLimit).
	limiter *heapLimiter

	mu      sync.Mutex
	active  map[*memoryAccount]struct{}
	running bool
	stopped bool
	stopCh  chan struct{}
	done    chan struct{}
}

// memoryAccount is one running invocation as the watchdog sees it. The
// invocation holds it by value (one allocation fewer per invocation).
type memoryAccount struct {
	limit int64
	owner watched
	// watchCaller says the owner's caller can end, and watchTurn that it
	// takes CPU turns: the watchdog asks it on every sample.
	watchCaller, watchTurn bool
}

// watched is the invocation as the watchdog sees it (an interface rather
// than closures: no allocation per account).
type watched interface {
	// checkMemory asks the invocation's runtime to measure what it holds
	// at its next instruction (the backstop), from the watchdog's
	// goroutine.
	checkMemory()
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

func newMemoryWatchdog(interval time.Duration, limiter *heapLimiter) *memoryWatchdog {
	return &memoryWatchdog{interval: interval, limiter: limiter, active: map[*memoryAccount]struct{}{}, stopCh: make(chan struct{})}
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

// open starts watching one invocation through a, which must be zero;
// close it with release.
func (w *memoryWatchdog) open(a *memoryAccount, limit int64, owner watched, watchCaller, watchTurn bool) {
	a.limit, a.owner, a.watchCaller, a.watchTurn = limit, owner, watchCaller, watchTurn
	if w.limiter != nil {
		w.limiter.add(limit)
	}
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
	if w.limiter != nil {
		w.limiter.add(-a.limit)
	}
}

// close stops the watchdog; it reports false if it was already stopped.
func (w *memoryWatchdog) close() bool {
	w.mu.Lock()
	if w.stopped {
		w.mu.Unlock()
		return false
	}
	w.stopped = true
	close(w.stopCh)
	done := w.done
	w.mu.Unlock()
	if done != nil {
		<-done
	}
	return true
}

// loop samples while any invocation is active and exits when none is, so
// an idle engine costs nothing.
func (w *memoryWatchdog) loop(done chan struct{}) {
	defer close(done)
	ticker := time.NewTicker(w.interval)
	defer ticker.Stop()
	var (
		sampler  heapSampler
		accounts []*memoryAccount
		idle     int
		// checked is the heap at the last backstop check, lowered when
		// the heap shrinks (a collection).
		checked = sampler.read()
	)
	for {
		select {
		case <-w.stopCh:
			return
		case <-ticker.C:
		}
		if w.limiter != nil {
			w.limiter.apply()
		}
		accounts = w.snapshot(accounts[:0])
		if len(accounts) == 0 {
			// Linger a while before exiting: invocations tend to come in
			// runs, and restarting the goroutine each time costs more than
			// a few idle ticks.
			if idle++; idle < lingerTicks {
				continue
			}
			w.mu.Lock()
			if len(w.active) == 0 {
				w.running = false
				w.mu.Unlock()
				return
			}
			w.mu.Unlock()
			continue
		}
		idle = 0
		heap := sampler.read()
		check := heap > checked+backstopGrowth
		if check || heap < checked {
			checked = heap
		}
		now := time.Now().UnixNano()
		for _, a := range accounts {
			if a.watchCaller {
				a.owner.checkCaller()
			}
			if a.watchTurn {
				a.owner.checkTurn(now)
			}
			if check {
				a.owner.checkMemory()
			}
		}
		// The slice is reused: keep no finished invocation (and through
		// it a VM and all its script held) reachable from it.
		clear(accounts)
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
