package goja

// Kiln patch 1 (FORK.md): a memory meter per runtime.
//
// This file is the meter's API as the engine uses it, and its accounting:
// the allocation sites of goja charge what they are about to allocate for
// the script (see the meter* calls in the upstream files, each behind a
// single `limit != 0` branch); when the charges since the last measurement
// would take the runtime past its limit, it measures what it can reach
// (measure.go) and stops the script with an uncatchable InterruptedError
// whose value is a *MemoryLimitError when what it holds, plus what the
// native calls in progress have charged (the "pinned" bytes: their results
// are not reachable yet), plus the allocation at hand, is over the limit.

import (
	"fmt"
	"math"
	"sync/atomic"
)

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

// meter is the per-runtime state of the memory meter. It is only touched on
// the runtime's goroutine, except vm.interrupted's memory-check bit.
type meter struct {
	limit int64 // 0: off

	live    int64 // the last measurement
	charged int64 // charged since the last measurement (pinned charges included)
	// pinnedAtMeasure is vm.pinned at the last measurement: bytes that native
	// calls in progress had charged and that the walk could not see.
	pinnedAtMeasure int64
	// budget: charged may grow to this before a measurement is due.
	budget int64

	roots func(visit func(Value))

	// tmpRoots are objects that native calls are building (the result
	// of Array.prototype.map while its callback runs, a Map being filled
	// from an iterable): not reachable yet, but visible to the walk.
	tmpRoots []Value

	// hostPromises are the promises NewPromise made for the embedder that
	// it has not resolved or rejected yet: only the embedder's Go closures
	// hold them (and through their reactions the async functions awaiting
	// them), so the walk takes them as roots. Forgotten between runs.
	hostPromises map[*Object]struct{}

	// jobs is the batch of promise jobs leave() is running
	jobs []promiseJob

	w *walker // reused between measurements
}

const (
	// meterMinGap..meterMaxGap bound how much may be charged after a
	// measurement before the next, when what is held is close to the limit:
	// limit/16 in between. It keeps the walks amortised for a script that
	// holds close to its limit and churns garbage, at the price of letting
	// it hold up to that much more than its limit until the next walk.
	meterMinGap = 256 << 10
	meterMaxGap = 4 << 20
)

func (m *meter) gap() int64 {
	g := m.limit / 16
	if g < meterMinGap {
		g = meterMinGap
	}
	if g > meterMaxGap {
		g = meterMaxGap
	}
	return g
}

func (m *meter) setBudget(used int64) {
	b := m.limit - used
	if g := m.gap(); b < g {
		b = g
	}
	m.budget = b
}

// SetMemoryLimit sets the most the runtime may hold, in bytes, from now on,
// and forgets the charges made so far (it keeps the last measurement).
// 0 turns the meter off. Call it on the runtime's goroutine, between runs.
//
// When the forgotten charges were more than a measurement's slack (the
// previous run allocated a lot since the last measurement, which may still
// be held), the first charge of the next run measures.
func (r *Runtime) SetMemoryLimit(limit int64) {
	if limit < 0 {
		limit = 0
	}
	m := &r.meter
	forgotten := m.charged
	m.limit = limit
	m.charged = 0
	m.pinnedAtMeasure = 0
	m.tmpRoots = m.tmpRoots[:0]
	clear(m.hostPromises)
	r.vm.pinned = 0
	if limit == 0 {
		return
	}
	m.setBudget(m.live)
	if forgotten > m.gap() {
		m.budget = 0
	}
}

// MemoryLimit is the limit SetMemoryLimit set.
func (r *Runtime) MemoryLimit() int64 { return r.meter.limit }

// MemoryUsage is the runtime's last measurement of what it holds and what
// was charged since, in bytes.
func (r *Runtime) MemoryUsage() (live, charged int64) {
	return r.meter.live, r.meter.charged
}

// MeasureMemory walks what the runtime can reach now and returns its size
// in bytes; the charges made so far are forgotten. Call it on the runtime's
// goroutine.
func (r *Runtime) MeasureMemory() int64 {
	r.meterMeasure()
	return r.meter.live
}

// meterMeasure walks, and resets the charges: what native calls in progress
// charged stays counted as pinned.
func (r *Runtime) meterMeasure() {
	m := &r.meter
	m.live = r.measure()
	m.charged = 0
	m.pinnedAtMeasure = r.vm.pinned
	m.setBudget(m.live + m.pinnedAtMeasure)
}

func (m *meter) pinned(vm *vm) int64 {
	// vm.pinned only drops (when a native call returns) after a
	// measurement; what it dropped by is now reachable or garbage.
	if p := vm.pinned; p < m.pinnedAtMeasure {
		return p
	}
	return m.pinnedAtMeasure
}

// MemoryRemaining is how many more bytes the runtime may allocate before it
// is stopped: the limit less the last measurement and the charges since.
// When charges alone would leave nothing, it measures first. Without a
// limit it is math.MaxInt64.
func (r *Runtime) MemoryRemaining() int64 {
	m := &r.meter
	if m.limit == 0 {
		return math.MaxInt64
	}
	rem := m.limit - m.live - m.charged - m.pinned(r.vm)
	if rem <= 0 {
		r.meterMeasure()
		rem = m.limit - m.live - m.pinnedAtMeasure
		if rem < 0 {
			rem = 0
		}
	}
	return rem
}

// ChargeMemory charges n bytes that host code (a native function of the
// embedder's) is about to allocate for the running script, and stops the
// script — by panicking with the uncatchable InterruptedError whose value
// is a *MemoryLimitError, as an Interrupt does — when they would not fit.
// Call it only on the runtime's goroutine, from code that goja called.
// (Called between runs, it does not panic: the next run stops at its first
// instruction if the runtime is still over its limit then.)
func (r *Runtime) ChargeMemory(n int64) {
	if r.meter.limit != 0 && n > 0 {
		r.meterCharge(n)
	}
}

// meterCharge is what every charge site calls, behind `limit != 0`: n bytes
// are about to be allocated for the script. Inside a native call (vm.prg ==
// nil) they are also pinned until the call returns (vm.pinned is saved and
// restored with the call's context), since what a native builds is not
// reachable from the roots until it returns it.
func (r *Runtime) meterCharge(n int64) {
	m := &r.meter
	vm := r.vm
	m.charged += n
	if vm.prg == nil {
		vm.pinned += n
	}
	if m.charged > m.budget {
		r.meterOver(n)
	}
}

// meterChargeInt is meterCharge for the sites that compute sizes in int.
// meterPatternBytes is what compiling a RegExp takes per pattern
// character (the parse tree and the program, measured: about 128 bytes),
// charged before the compile, which is one native call.
const meterPatternBytes = 128

// meterChargeBuffer charges a buffer of size bytes about to be allocated
// by allocByteSlice. A size no buffer can have (2^48 bytes or more, the
// most Go allocates on a 64-bit platform) is not charged: allocByteSlice
// refuses it with the language's RangeError, which a script can catch.
func (r *Runtime) meterChargeBuffer(size int) {
	if size > 0 && size < 1<<48 {
		r.meterCharge(int64(size))
	}
}

func (r *Runtime) meterChargeInt(n int) {
	if n > 0 {
		r.meterCharge(int64(n))
	}
}

// meterOver measures and stops the script if what it holds, the pinned
// bytes and the n bytes at hand do not fit.
func (r *Runtime) meterOver(n int64) {
	m := &r.meter
	var extra int64
	if r.vm.prg != nil {
		// not pinned (vm.pinned has it otherwise) and not reachable yet
		extra = n
	}
	r.meterMeasure()
	used := m.live + m.pinnedAtMeasure + extra
	if used > m.limit {
		r.meterStop(used)
	}
	m.charged = extra
}

// meterStop stops the script: the same uncatchable InterruptedError as an
// Interrupt, with a *MemoryLimitError as its value.
func (r *Runtime) meterStop(used int64) {
	m := &r.meter
	if len(r.vm.tryStack) == 0 && m.jobs == nil {
		// Not in a run (host code building values between runs): nothing
		// would recover the panic. The run stops at its first instruction
		// instead, if what it holds is still over the limit then.
		atomic.OrUint32(&r.vm.interrupted, vmMemoryCheck)
		return
	}
	ex := &InterruptedError{
		iface: &MemoryLimitError{Limit: m.limit, Used: used},
	}
	ex.stack = r.vm.captureStack(nil, 0)
	// what was charged and pinned is released with the unwinding
	m.charged = 0
	m.pinnedAtMeasure = 0
	r.vm.pinned = 0
	m.tmpRoots = m.tmpRoots[:0]
	m.budget = 0 // the next run measures at its first charge
	if meterStopHook != nil {
		meterStopHook(r)
	}
	panic(ex)
}

// meterStopHook, if set (by tests), is called at each stop before the
// unwinding: what the script held is still reachable then.
var meterStopHook func(r *Runtime)

// RequestMemoryCheck asks the runtime to measure itself at its next
// instruction and to stop if it holds more than its limit. It is safe to
// call from any goroutine (the embedder's watchdog calls it when the
// process heap grows by more than the charges explain).
func (r *Runtime) RequestMemoryCheck() {
	atomic.OrUint32(&r.vm.interrupted, vmMemoryCheck)
}

// vmInterrupt and vmMemoryCheck are the bits of vm.interrupted: Interrupt
// sets the first, RequestMemoryCheck the second. The run loop only looks
// closer when the word is not 0, so a pending check costs nothing until then.
const (
	vmInterrupt   = 1
	vmMemoryCheck = 2
)

// memoryCheckOnly is called by the run loop when vm.interrupted != 0. It
// returns false when an Interrupt is pending (which wins: the run stops
// with it, and a pending check stays pending). Otherwise it clears the
// check's bit, measures (if there is a limit) and stops the script if it
// holds more than its limit, and returns true: the run goes on.
func (vm *vm) memoryCheckOnly() bool {
	if atomic.LoadUint32(&vm.interrupted)&vmInterrupt != 0 {
		return false
	}
	atomic.AndUint32(&vm.interrupted, ^uint32(vmMemoryCheck))
	r := vm.r
	if m := &r.meter; m.limit != 0 {
		r.meterMeasure()
		if used := m.live + m.pinnedAtMeasure; used > m.limit {
			r.meterStop(used)
		}
	}
	return true
}

// SetMemoryRoots gives the walk the values the embedder holds for the
// script outside the runtime (timers' callbacks, pending host calls):
// roots is called during each measurement with a function to pass each
// such value to. nil removes them.
func (r *Runtime) SetMemoryRoots(roots func(visit func(Value))) {
	r.meter.roots = roots
}

// meterHostPromise makes p a root of the walk until resolve or reject is
// called (see hostPromises).
func (r *Runtime) meterHostPromise(p *Object, resolve, reject func(interface{}) error) (func(interface{}) error, func(interface{}) error) {
	m := &r.meter
	if m.hostPromises == nil {
		m.hostPromises = map[*Object]struct{}{}
	}
	m.hostPromises[p] = struct{}{}
	settle := func(f func(interface{}) error) func(interface{}) error {
		return func(v interface{}) error {
			delete(m.hostPromises, p)
			return f(v)
		}
	}
	return settle(resolve), settle(reject)
}

// meterLeave: the runtime's hold on the last string it used as an object
// (the String singleton, set at each property access on a primitive string)
// is dropped when a run ends, so that a large string the script dropped
// is not kept until its next run.
func (r *Runtime) meterLeave() {
	if ss := r.stringSingleton; ss != nil {
		ss.value = stringEmpty
		ss.setLength()
	}
}

// meterTmpRoot makes obj, which a native call is building, visible to the
// walk until meterTmpUnroot(the returned mark) — call it deferred.
func (r *Runtime) meterTmpRoot(obj Value) int {
	m := &r.meter
	l := len(m.tmpRoots)
	m.tmpRoots = append(m.tmpRoots, obj)
	return l
}

func (r *Runtime) meterTmpUnroot(mark int) {
	m := &r.meter
	if mark <= len(m.tmpRoots) {
		clear(m.tmpRoots[mark:])
		m.tmpRoots = m.tmpRoots[:mark]
	}
}

// What the charge sites charge: estimates of what goja allocates, rounded
// up (the walk measures what is actually held).
const (
	meterObjectBytes     = 400 // an Object, its implementation struct, its property map
	meterPropBytes       = 80  // a property: its map slot and propNames entry
	meterValueBytes      = 16  // a Value in a slice
	meterStashBytes      = 160 // a scope (stash) and its values
	meterSparseItemBytes = 40  // an item of a sparse array
	meterStringBytes     = 16  // a string's header in an interface
)

// meterOn: the single branch of a charge site when the meter is off.
func (r *Runtime) meterOn() bool { return r.meter.limit != 0 }

// meterProp charges a new own property of o.
func (o *baseObject) meterProp() {
	if r := o.val.runtime; r.meter.limit != 0 {
		r.meterCharge(meterPropBytes)
	}
}

// meterValues charges the growth of a []Value of length l and capacity c
// by n elements, when it reallocates.
func (r *Runtime) meterValues(l, c, n int) {
	if l+n > c {
		r.meterChargeInt(growCap(l+n, l, c) * meterValueBytes)
	}
}

// meterString charges a string of n UTF-16 units about to be built.
func (r *Runtime) meterString(n int, unicode bool) {
	if unicode {
		n *= 2
	}
	r.meterChargeInt(n + meterStringBytes)
}

// meterStrings charges the concatenation of a and b.
func (r *Runtime) meterConcat(a, b String) {
	_, ua := a.(unicodeString)
	_, ub := b.(unicodeString)
	r.meterString(a.Length()+b.Length(), ua || ub)
}

// meterBuilder charges what b grew by since *charged bytes (Kiln meter):
// for the natives that build a string piece by piece.
func (r *Runtime) meterBuilder(b *StringBuilder, charged *int) {
	l := b.asciiBuilder.Len() + 2*len(b.unicodeBuilder.buf)
	if l > *charged {
		r.meterChargeInt(l - *charged)
		*charged = l
	}
}

// meterStringOf charges a string as long as s (or k times as long).
func (r *Runtime) meterStringOf(s String, k int) {
	_, u := s.(unicodeString)
	n := int64(s.Length())
	if k > 0 && n > math.MaxInt64/4/int64(k) {
		r.meterCharge(math.MaxInt64 / 4) // stops
		return
	}
	n *= int64(k)
	if u {
		n *= 2
	}
	r.meterCharge(n + meterStringBytes)
}

// meterSplitBytes is what each element of split's result costs: its slot,
// its string header, the []string strings.Split makes.
const meterSplitBytes = 3 * 16

// meterMatchBytes is what a match found by replaceAll or a RegExp costs
// before its result is built.
const meterMatchBytes = 80

// meterCodeBytes is what compiling a byte of source (eval, new Function)
// costs: the AST is garbage, the code is held while its functions are.
const meterCodeBytes = 32

// meterKeyBytes is what a key listed by Object.keys and the like costs: its
// slot, its string header, a short string.
const meterKeyBytes = 48

// meterMapEntryBytes is what a Map or Set entry costs: the entry, its slot
// in the hash table.
const meterMapEntryBytes = 112

// meterBigInt charges a BigInt result of about bits bits (mul, exp, shift).
func (r *Runtime) meterBigInt(bits float64) {
	n := bits/8 + 64
	if n > math.MaxInt64/4 {
		n = math.MaxInt64 / 4
	}
	r.meterCharge(int64(n))
}
