package goja

// Kiln patch 1 (FORK.md): a memory meter per runtime.
//
// This file is the meter's API as the engine uses it. The implementation
// (charges at the allocation sites, the reachability walk, the stop) is
// being built; until it lands every method here is inert: nothing is
// charged, a measurement finds 0 bytes, and nothing is ever stopped.

import "fmt"

// MemoryLimitError is the value of the InterruptedError with which a
// runtime stops when what it holds would pass its memory limit.
type MemoryLimitError struct {
	// Limit is the runtime's limit, Used what it held (or was about to
	// hold) when it stopped, both in bytes.
	Limit, Used int64
}

func (e *MemoryLimitError) Error() string {
	return fmt.Sprintf("memory limit of %d bytes exceeded: the script holds about %d bytes", e.Limit, e.Used)
}

// SetMemoryLimit sets the most the runtime may hold, in bytes, from now on,
// and forgets the charges made so far (it keeps the last measurement).
// 0 turns the meter off. Call it on the runtime's goroutine, between runs.
func (r *Runtime) SetMemoryLimit(limit int64) {}

// MemoryLimit is the limit SetMemoryLimit set.
func (r *Runtime) MemoryLimit() int64 { return 0 }

// MemoryUsage is the runtime's last measurement of what it holds and what
// was charged since, in bytes.
func (r *Runtime) MemoryUsage() (live, charged int64) { return 0, 0 }

// MeasureMemory walks what the runtime can reach now and returns its size
// in bytes; the charges made so far are forgotten. Call it on the runtime's
// goroutine.
func (r *Runtime) MeasureMemory() int64 { return 0 }

// MemoryRemaining is how many more bytes the runtime may allocate before it
// is stopped: the limit less the last measurement and the charges since.
// When charges alone would leave nothing, it measures first. Without a
// limit it is math.MaxInt64.
func (r *Runtime) MemoryRemaining() int64 { return 1<<63 - 1 }

// ChargeMemory charges n bytes that host code (a native function of the
// embedder's) is about to allocate for the running script, and stops the
// script — by panicking with the uncatchable InterruptedError whose value
// is a *MemoryLimitError, as an Interrupt does — when they would not fit.
// Call it only on the runtime's goroutine, from code that goja called.
func (r *Runtime) ChargeMemory(n int64) {}

// RequestMemoryCheck asks the runtime to measure itself at its next
// instruction and to stop if it holds more than its limit. It is safe to
// call from any goroutine (the embedder's watchdog calls it when the
// process heap grows by more than the charges explain).
func (r *Runtime) RequestMemoryCheck() {}

// SetMemoryRoots gives the walk the values the embedder holds for the
// script outside the runtime (timers' callbacks, pending host calls):
// roots is called during each measurement with a function to pass each
// such value to. nil removes them.
func (r *Runtime) SetMemoryRoots(roots func(visit func(Value))) {}
