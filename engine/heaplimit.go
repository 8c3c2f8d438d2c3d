package engine

import (
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
)

// heapMargin is what the process may hold beyond its idle live heap and the
// limits of the invocations running: the engine's own bookkeeping, requests
// in flight, the store's buffers, and the garbage the collector has not
// reached yet.
const heapMargin = 64 << 20

// heapLimiter keeps the Go runtime's soft memory limit (debug.SetMemoryLimit)
// at the process's idle live heap plus the limits of the invocations running
// plus heapMargin. Each runtime's meter bounds what a script holds; the
// garbage it drops is the collector's, and at the default GOGC the heap may
// reach twice what is live before a collection. The soft limit makes the
// collector run before the process passes what its running scripts may hold.
//
// The limit is the process's, so there is one limiter (processHeapLimiter)
// for all engines that ask for it (Config.ManageHeapLimit). It leaves a
// limit the process already has (GOMEMLIMIT, or the host's own
// debug.SetMemoryLimit) alone.
type heapLimiter struct {
	// running is the sum of the limits of the invocations running, changed
	// by every start and end (an atomic add); the watchdogs apply it.
	running atomic.Int64

	mu      sync.Mutex
	engines int   // engines that use the limiter
	managed bool  // the limiter sets the limit (the process had none)
	base    int64 // the live heap when nothing ran
	set     int64 // the limit last set
	sample  [1]metrics.Sample
}

var processHeapLimiter heapLimiter

// acquire registers an engine.
func (h *heapLimiter) acquire() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.engines == 0 {
		h.managed = debug.SetMemoryLimit(-1) == math.MaxInt64
		if h.managed {
			// The last collection's live heap may be from a busier time
			// (another engine's scripts holding memory, in a process that
			// makes several): collect once to start from what is held.
			runtime.GC()
		}
		h.base = h.liveHeap()
		h.set = 0
	}
	h.engines++
}

// release unregisters an engine; the last one gives the process back its
// unlimited soft limit.
func (h *heapLimiter) release() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.engines--; h.engines == 0 && h.managed {
		debug.SetMemoryLimit(math.MaxInt64)
		h.managed = false
	}
}

// add records an invocation's limit as it starts (positive) or ends.
func (h *heapLimiter) add(delta int64) { h.running.Add(delta) }

// apply sets the soft limit for what runs now. The watchdogs call it on
// their samples rather than each invocation on its start: setting the limit
// takes the Go heap's lock, too dear for every run.
func (h *heapLimiter) apply() {
	running := h.running.Load()
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.managed {
		return
	}
	// The base is what the host holds of its own (its caches, the store's
	// pages, the VMs kept warm): the live heap when nothing runs, and
	// otherwise never more than the live heap (which then also holds the
	// running scripts' data), so that a base taken while a neighbour held
	// memory does not stay high.
	if live := h.liveHeap(); running == 0 || live < h.base {
		h.base = live
	}
	limit := h.base + running + heapMargin
	// Nudging the runtime for a change smaller than a sixteenth of the
	// margin is not worth its lock.
	if d := limit - h.set; d > heapMargin/16 || d < -heapMargin/16 {
		debug.SetMemoryLimit(limit)
		h.set = limit
	}
}

// liveHeap is the heap the last collection found live (h.mu held).
func (h *heapLimiter) liveHeap() int64 {
	h.sample[0].Name = "/gc/heap/live:bytes"
	metrics.Read(h.sample[:])
	return int64(h.sample[0].Value.Uint64())
}
