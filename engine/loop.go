package engine

import (
	"container/heap"
	"context"
	"sync"
	"time"

	"github.com/kiln-run/kiln/internal/goja"
)

// loop is an invocation's event loop. Everything that touches the VM runs
// on the goroutine that calls run; other goroutines (async host calls) hand
// work back through reserve. The loop ends when the handler has settled and
// nothing is queued, reserved or scheduled — except intervals, which are
// cleared then and reported as a warning.
//
// A VM keeps one loop and resets it for each invocation; gen tells the
// invocations apart, so that nothing left over from an earlier one (a
// late host-call completion, a cancel of a background timer) reaches a
// later one.
type loop struct {
	clock Clock

	mu       sync.Mutex
	queue    []func() error
	gen      uint64 // the invocation served; written by reset under mu
	closed   bool
	wake     chan struct{}
	reserved int // async host calls in flight; touched only under mu

	timers timerHeap
	byID   map[int]*timer
	nextID int
	seq    uint64

	// turn, when set, gives up and takes back the invocation's turn to run
	// JavaScript around each wait (an interface, not two method values:
	// those would be two allocations a run).
	turn turnHolder
	// task, for a durable task's VM, journals what the loop delivers and,
	// while the journal is replayed, decides what it delivers next.
	task *taskState
}

// turnHolder is an invocation that takes turns.
type turnHolder interface {
	giveTurn()
	resumeTurn(ctx context.Context) error
}

type timer struct {
	id       int
	due      time.Time
	seq      uint64
	interval time.Duration // 0 for setTimeout
	fn       goja.Callable
	fnValue  goja.Value // fn as the script passed it, for the memory walk
	args     []goja.Value
	// native timers belong to the engine (AbortSignal.timeout); they are
	// "unref'd": they never keep an invocation alive and are not reported.
	native func()
	// own: a task's native timer that journals its own firing (a
	// receive's timeout).
	own   bool
	index int
}

func newLoop(clock Clock) *loop {
	return &loop{clock: clock, wake: make(chan struct{}, 1), closed: true}
}

// reset readies a closed loop for the next invocation. Timer ids start
// again from 1, as in a new loop: what a script sees must not depend on
// the invocations the VM ran before (a replay runs in a fresh VM).
func (l *loop) reset() {
	l.mu.Lock()
	l.gen++
	l.closed = false
	l.queue = nil
	l.reserved = 0
	l.mu.Unlock()
	select {
	case <-l.wake: // a wake-up left from the last invocation
	default:
	}
	l.nextID = 0
	l.turn = nil
}

// reserve records one pending async operation and returns the function that
// completes it: the callback runs on the loop goroutine. Completing after the
// loop has closed (the invocation ended) is a no-op, even once the loop
// serves another invocation, so a host call that outlives its invocation
// cannot touch the VM.
func (l *loop) reserve() func(func() error) {
	l.mu.Lock()
	l.reserved++
	gen := l.gen
	l.mu.Unlock()
	var once sync.Once
	return func(cb func() error) {
		once.Do(func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			if l.closed || l.gen != gen {
				return
			}
			l.queue = append(l.queue, func() error {
				l.mu.Lock()
				l.reserved--
				l.mu.Unlock()
				return cb()
			})
			select {
			case l.wake <- struct{}{}:
			default:
			}
		})
	}
}

// post runs cb on the loop's goroutine, in turn with completions, unless
// the invocation has ended. It keeps nothing alive.
func (l *loop) post(cb func() error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	l.queue = append(l.queue, cb)
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// addTimer schedules fn; it returns the timer's id.
func (l *loop) addTimer(delay time.Duration, interval time.Duration, fnValue goja.Value, fn goja.Callable, args []goja.Value) int {
	if delay < 0 {
		delay = 0
	}
	return l.addTimerAt(l.clock.Now().Add(delay), interval, fnValue, fn, args)
}

// addTimerAt schedules fn at due.
func (l *loop) addTimerAt(due time.Time, interval time.Duration, fnValue goja.Value, fn goja.Callable, args []goja.Value) int {
	l.nextID++
	l.seq++
	t := &timer{id: l.nextID, due: due, seq: l.seq, interval: interval, fn: fn, fnValue: fnValue, args: args}
	heap.Push(&l.timers, t)
	if l.byID == nil {
		l.byID = map[int]*timer{}
	}
	l.byID[t.id] = t
	return t.id
}

// visitRoots passes the meter's walk what the loop holds for the script:
// its timers' callbacks and arguments (goja cannot see into a Callable).
// It runs on the VM's goroutine, as the timers are only touched there.
func (l *loop) visitRoots(visit func(goja.Value)) {
	for _, t := range l.timers {
		if t.fnValue != nil {
			visit(t.fnValue)
		}
		for _, a := range t.args {
			visit(a)
		}
	}
}

// addNativeTimer schedules an engine-owned callback that does not keep the
// invocation alive.
func (l *loop) addNativeTimer(delay time.Duration, fn func()) int {
	id := l.addTimer(delay, 0, nil, nil, nil)
	l.byID[id].native = fn
	return id
}

// addNativeTimerAt is addNativeTimer at a time.
func (l *loop) addNativeTimerAt(due time.Time, fn func()) int {
	id := l.addTimerAt(due, 0, nil, nil, nil)
	l.byID[id].native = fn
	return id
}

func (l *loop) clearTimer(id int) {
	if t, ok := l.byID[id]; ok {
		heap.Remove(&l.timers, t.index)
		delete(l.byID, id)
	}
}

// pendingTimeouts counts scheduled one-shot script timers.
func (l *loop) pendingTimeouts() int {
	n := 0
	for _, t := range l.timers {
		if t.interval == 0 && t.native == nil {
			n++
		}
	}
	return n
}

// intervals counts scheduled script intervals.
func (l *loop) intervals() int {
	n := 0
	for _, t := range l.timers {
		if t.interval > 0 {
			n++
		}
	}
	return n
}

// run drives the loop until settled reports true and nothing but intervals
// is left, or until ctx ends. step runs after every macrotask (the VM drains
// its microtasks itself) and may end the loop with an error. It returns how
// many intervals were still scheduled at the end.
func (l *loop) run(ctx func() context.Context, settled func() bool, step func() error) (danglingIntervals int, err error) {
	for {
		if err := l.runQueued(step); err != nil {
			return 0, err
		}
		if l.task != nil && l.task.replaying() {
			// Replaying: the journal says what happens next, unless the
			// run is over (the rest of the journal is the next run's).
			l.mu.Lock()
			queued, reserved := len(l.queue), l.reserved
			l.mu.Unlock()
			if queued > 0 {
				continue
			}
			if reserved == 0 && l.pendingTimeouts() == 0 && settled() {
				return l.intervals(), nil
			}
			if err := l.task.deliverNext(l); err != nil {
				return 0, err
			}
			if err := step(); err != nil {
				return 0, err
			}
			continue
		}
		if err := l.runDueTimer(step); err != nil {
			return 0, err
		}
		l.mu.Lock()
		queued, reserved := len(l.queue), l.reserved
		l.mu.Unlock()
		if queued > 0 {
			continue
		}
		if len(l.timers) > 0 && !l.clock.Now().Before(l.timers[0].due) {
			continue
		}
		if reserved == 0 && l.pendingTimeouts() == 0 {
			if settled() {
				return l.intervals(), nil
			}
			if l.intervals() == 0 {
				return 0, Errorf(CodeRuntimeError, "the handler's promise never settles: nothing is left that could resolve it (no timer or pending call)")
			}
		}
		if err := l.wait(ctx()); err != nil {
			return 0, err
		}
	}
}

func (l *loop) runQueued(step func() error) error {
	l.mu.Lock()
	q := l.queue
	l.queue = nil
	l.mu.Unlock()
	for _, cb := range q {
		if err := cb(); err != nil {
			return err
		}
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// runDueTimer runs at most one due timer, so queued host-call completions
// interleave with timers in arrival order.
func (l *loop) runDueTimer(step func() error) error {
	if len(l.timers) == 0 || l.clock.Now().Before(l.timers[0].due) {
		return nil
	}
	t := l.timers[0]
	if l.task != nil && !t.own {
		if err := l.task.timerFired(t); err != nil {
			return err
		}
	}
	if err := l.fire(t); err != nil {
		return err
	}
	return step()
}

// fire runs timer t: rescheduled if it is an interval, else removed.
func (l *loop) fire(t *timer) error {
	if t.interval > 0 {
		t.due = t.due.Add(t.interval)
		if now := l.clock.Now(); t.due.Before(now) {
			t.due = now
		}
		l.seq++
		t.seq = l.seq
		heap.Fix(&l.timers, t.index)
	} else {
		heap.Remove(&l.timers, t.index)
		delete(l.byID, t.id)
	}
	if t.native != nil {
		t.native()
	} else if _, err := t.fn(goja.Undefined(), t.args...); err != nil {
		return err
	}
	return nil
}

// wait blocks until work is queued, the next timer is due, or ctx ends.
func (l *loop) wait(ctx context.Context) error {
	if l.task != nil && !l.task.recordOnly {
		return l.task.wait(l, ctx)
	}
	if l.turn != nil {
		// Nothing to run: let another invocation have the turn meanwhile.
		l.turn.giveTurn()
		if err := l.block(ctx); err != nil {
			return err
		}
		return l.turn.resumeTurn(ctx)
	}
	return l.block(ctx)
}

func (l *loop) block(ctx context.Context) error {
	var timerC <-chan time.Time
	if len(l.timers) > 0 {
		c, stop := l.clock.NewTimer(l.timers[0].due.Sub(l.clock.Now()))
		defer stop()
		timerC = c
	}
	select {
	case <-l.wake:
	case <-timerC:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// close drops everything still scheduled; late completions are ignored.
// The timer heap and index keep their memory for the next invocation.
func (l *loop) close() {
	l.mu.Lock()
	l.closed = true
	l.queue = nil
	l.mu.Unlock()
	clear(l.timers) // no callback stays reachable
	l.timers = l.timers[:0]
	clear(l.byID)
}

// timerHeap orders timers by due time, then by scheduling order, so that
// equal delays fire in the order they were set — deterministically.
type timerHeap []*timer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if !h[i].due.Equal(h[j].due) {
		return h[i].due.Before(h[j].due)
	}
	return h[i].seq < h[j].seq
}
func (h timerHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i]; h[i].index = i; h[j].index = j }
func (h *timerHeap) Push(x any)   { t := x.(*timer); t.index = len(*h); *h = append(*h, t) }
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	*h = old[:len(old)-1]
	return t
}
