package engine

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kiln-run/kiln/kilntype"
)

// A durable task is a script instance that mostly waits (docs/tasks.md).
// Its VM is its own, never pooled, and everything that enters its script
// from outside goes through one journal (journal.go): each SDK or host
// call's result, each event received, each timer that fires, each reading
// of the clock and of randomness. A task that waits long enough is
// dropped from memory; a fresh VM that runs the same program replays the
// journal — the script is served from it, nothing is performed again —
// and goes on live from where the journal ends.

// TaskHost is what a task's VM needs from outside the engine: the task's
// durable journal and its inbox. Kiln implements it over store.Tasks.
type TaskHost interface {
	// Append makes step durable: its entries at the end of the journal and
	// its effects, in one transaction, or nothing. A send or a spawn the
	// script may be told about (an unknown receiver, a full inbox, a quota)
	// is a *TaskEffectError; the engine then journals the refusal in a step
	// of its own and the script's call fails with it. Any other error stops
	// the task (TaskOutcome.Lost).
	Append(ctx context.Context, step *TaskStep) error
	// NextEvent returns the oldest event in the task's inbox whose type is
	// one of types (any type when types is empty), or nil when there is
	// none. Reading consumes nothing: an append with Receive does.
	NextEvent(ctx context.Context, types []string) (*kilntype.TaskEvent, error)
}

// TaskStep is one durable step of a task.
type TaskStep struct {
	// Entries go at the end of the journal; their Index is set, from the
	// journal's length on.
	Entries []kilntype.JournalEntry
	// Receive, if not 0, is the Seq of the inbox event the step consumes.
	Receive int64
	// Sends go to other tasks' inboxes, Spawns start children, with the
	// step.
	Sends  []TaskMessage
	Spawns []TaskSpawn
}

// TaskMessage is an event a task sends to another.
type TaskMessage struct {
	To, Type string
	Payload  json.RawMessage
}

// TaskSpawn is a child task to start: ID chosen by the engine (and
// journaled), the script by name, params as JSON.
type TaskSpawn struct {
	ID, Script string
	Params     json.RawMessage
}

// TaskEffectError is a send or spawn the store refused for a reason the
// script may see and handle.
type TaskEffectError struct{ Err *kilntype.Error }

func (e *TaskEffectError) Error() string { return e.Err.Error() }

// Unwrap returns the *kilntype.Error.
func (e *TaskEffectError) Unwrap() error { return e.Err }

// Task makes a VM run a durable task (Engine.NewTaskVM).
type Task struct {
	// ID and ParentID ("" for none) are what iota.tasks.self and parent
	// return.
	ID, ParentID string
	Host         TaskHost
	// Journal is the task's journal so far: the VM replays it before it
	// goes on live. Empty for a task that starts.
	Journal []kilntype.JournalEntry
	// Started is the task's start, performance.timeOrigin.
	Started time.Time
	// HibernateAfter is how long the task may wait with nothing in flight
	// before its invocation ends with TaskOutcome.Hibernated. 0: never.
	HibernateAfter time.Duration
	// ActivationTimeout is how long the script may run between two waits;
	// past it the task fails with TIMEOUT. 0: the engine's timeout.
	ActivationTimeout time.Duration
	// NewID makes the IDs of spawned children. Required.
	NewID func() string
	// ReplayOnly replays the journal and performs nothing: where the
	// journal ends and the script asks for anything more, or waits, the
	// run stops with TaskOutcome.JournalEnd (kiln replay).
	ReplayOnly bool
	// OnServe, if set, is told of each journal entry as replay serves it.
	OnServe func(e *kilntype.JournalEntry)
	// OnLive, if set, is called when the journal has been replayed to its
	// end, on the VM's goroutine (by NewTaskVM when the module's code or
	// an empty journal left nothing to replay; it may be called twice).
	OnLive func()
	// ForExecution replays an ordinary execution's journal (Result.Journal)
	// rather than a task's: the script gets no task globals, and its module
	// code runs before the journal starts, as it ran (earlier) in the pool.
	ForExecution bool
}

// TaskOutcome is how a task's invocation ended, besides its Result.
type TaskOutcome struct {
	// Hibernated: the task waits with nothing in flight and its journal is
	// durable; drop the VM and resume by replay at WakeAt (nil: only an
	// event wakes it).
	Hibernated bool
	WakeAt     *time.Time
	// ContinueAsNew, if not nil, is the params the script asked to go on
	// with, in a fresh journal.
	ContinueAsNew json.RawMessage
	// Lost is the error that stopped the task outside the script: the
	// journal could not be written (the store failed, or another owner
	// fenced this one). The task's durable state is as before the failed
	// step; whoever owns it resumes it by replay.
	Lost error
	// JournalLen is the journal's durable length.
	JournalLen int64
	// JournalEnd, under ReplayOnly, says the replay reached the journal's
	// end with the script asking for more: what, is the run's error.
	JournalEnd bool
}

// TaskHandle controls a running task's VM from any goroutine.
type TaskHandle struct{ t *taskState }

// Notify tells the task that its inbox may hold an event it waits for.
func (h *TaskHandle) Notify() { h.t.notify() }

// Evict asks the task to hibernate at once when it next waits with
// nothing in flight (memory pressure, shutdown).
func (h *TaskHandle) Evict() { h.t.evictOnce.Do(func() { close(h.t.evictC) }) }

// Stop interrupts the task's script with CANCELLED wherever it is.
func (h *TaskHandle) Stop() {
	if inv := h.t.active.Load(); inv != nil {
		inv.interrupt(Errorf(CodeCancelled, "the task was stopped by the server"))
	}
	h.Evict()
}

// Outcome returns how the last invocation ended. Call it after Invoke.
func (h *TaskHandle) Outcome() TaskOutcome {
	o := h.t.outcome
	o.JournalLen = h.t.durable
	return o
}

// Replaying reports whether the VM is still serving its script from the
// journal.
func (h *TaskHandle) Replaying() bool { return h.t.replaying() }

// NewTaskVM creates a VM that runs p as task t: the task's globals are
// installed, the program's module code runs (replaying what the journal
// holds of it), and the handler is found. Invoke it once with the task's
// params; its Result is the task's, and the handle's Outcome says whether
// it hibernated instead of ending.
func (e *Engine) NewTaskVM(ctx context.Context, p *Program, t Task) (*VM, *TaskHandle, error) {
	if t.Host == nil || t.NewID == nil || t.ID == "" {
		return nil, nil, Errorf(CodeInternal, "a task needs an ID, a TaskHost and NewID")
	}
	vm, err := e.NewBlankVM()
	if err != nil {
		return nil, nil, err
	}
	ts := &taskState{vm: vm, cfg: t, journal: t.Journal, notifyC: make(chan struct{}, 1), evictC: make(chan struct{})}
	if ts.cfg.ActivationTimeout <= 0 {
		ts.cfg.ActivationTimeout = e.cfg.Timeout
	}
	if len(t.Journal) > 0 {
		ts.at = t.Journal[0].At
	} else {
		ts.at = t.Started
	}
	vm.loop = newLoop(taskClock{ts})
	if t.ForExecution {
		vm.started = t.Started
		if err := vm.Bind(ctx, p); err != nil {
			return nil, nil, err
		}
		vm.task, vm.loop.task = ts, ts
		return vm, &TaskHandle{t: ts}, nil
	}
	vm.task = ts
	vm.loop.task = ts
	vm.installTaskGlobals()
	if err := vm.Bind(ctx, p); err != nil {
		return nil, nil, err
	}
	if !ts.replaying() && t.OnLive != nil {
		t.OnLive()
	}
	return vm, &TaskHandle{t: ts}, nil
}

// taskClock is a task's loop clock: the journal's time while replaying
// (so that timers set then fall due when they did the first time), the
// engine's clock after.
type taskClock struct{ t *taskState }

func (c taskClock) Now() time.Time {
	if c.t.replaying() {
		return c.t.at
	}
	return c.t.vm.engine.cfg.Clock.Now()
}

func (c taskClock) NewTimer(d time.Duration) (<-chan time.Time, func() bool) {
	return c.t.vm.engine.cfg.Clock.NewTimer(d)
}

// taskState is a task VM's side of the journal.
type taskState struct {
	vm  *VM
	cfg Task
	// journal is what is replayed; pos is the next entry to serve. The
	// task is live once pos reaches the end.
	journal []kilntype.JournalEntry
	pos     int
	// durable counts the journal's durable entries; buf holds entries
	// made live and not yet written (their indexes follow durable).
	durable int64
	buf     []kilntype.JournalEntry
	// volatile: buf holds a reading of the clock or of randomness, which
	// must be durable before any effect that may carry it leaves the VM.
	volatile bool
	// at is the task's time while replaying: the last entry's.
	at time.Time
	// calls are async calls issued while replaying whose results the
	// journal has not served yet, by their issue entry's index.
	calls   map[int64]*taskCall
	pending []*taskCall // the same, in issue order
	waiter  *taskWaiter
	// failed: the journal stopped growing (divergence or a lost write).
	failed  bool
	outcome TaskOutcome

	// recordOnly: an ordinary invocation's recorder (InvokeParams.Record):
	// entries are kept in buf, never written; the script gets what it
	// would without it. truncated: more than maxRecorded were made.
	recordOnly, truncated bool

	notifyC   chan struct{}
	evictC    chan struct{}
	evictOnce sync.Once
	// active is the invocation running, for Stop and the activation timer.
	active   atomic.Pointer[invocation]
	activity *time.Timer
}

// maxRecorded caps what a recorded invocation keeps: a run with more
// entries keeps none (JournalTruncated).
const maxRecorded = 10_000

// recorder returns the VM's recorder, reset for an invocation.
func (vm *VM) recorder() *taskState {
	if vm.rec == nil {
		vm.rec = &taskState{vm: vm, recordOnly: true}
	}
	r := vm.rec
	r.buf, r.truncated, r.durable, r.failed = nil, false, 0, false
	return r
}

// replaying reports whether the journal still has entries to serve.
func (t *taskState) replaying() bool { return t.pos < len(t.journal) }

// notify is TaskHandle.Notify.
func (t *taskState) notify() {
	select {
	case t.notifyC <- struct{}{}:
	default:
	}
	t.vm.loop.post(t.checkInbox)
}

// begin and end bracket an invocation of the task's VM: the activation
// timer runs while the script does.
func (t *taskState) begin(inv *invocation) {
	t.active.Store(inv)
	d := t.cfg.ActivationTimeout
	if t.activity == nil {
		t.activity = time.AfterFunc(d, t.activationPassed)
	} else {
		t.activity.Reset(d)
	}
}

func (t *taskState) end() {
	t.activity.Stop()
	t.active.Store(nil)
}

func (t *taskState) activationPassed() {
	if inv := t.active.Load(); inv != nil {
		inv.interrupt(Errorf(CodeTimeout, "the task's script ran for %s without waiting; a task may compute for at most its timeout between two waits", t.cfg.ActivationTimeout))
	}
}

// pause and resume stop the activation timer while the task waits.
func (t *taskState) pause()  { t.activity.Stop() }
func (t *taskState) resume() { t.activity.Reset(t.cfg.ActivationTimeout) }

// errTaskHibernated ends a task's invocation when it hibernates.
var errTaskHibernated = &Error{Code: CodeCancelled, Message: "the task hibernated: it waits in the store, not in memory"}

// errTaskContinued ends a task's invocation at continueAsNew.
var errTaskContinued = &Error{Code: CodeCancelled, Message: "the task continues as new"}

// wait is the task's loop wait: until work is queued, a timer falls due,
// the task may hibernate, or ctx ends.
func (t *taskState) wait(l *loop, ctx context.Context) error {
	if t.cfg.ReplayOnly {
		return t.journalEnd("waits for an event, a timer or a call's result")
	}
	t.pause()
	defer t.resume()
	var timerC <-chan time.Time
	if len(l.timers) > 0 {
		c, stop := l.clock.NewTimer(l.timers[0].due.Sub(l.clock.Now()))
		defer stop()
		timerC = c
	}
	hibernate, stop := t.hibernateTimer(l)
	defer stop()
	for {
		select {
		case <-l.wake:
			return nil
		case <-timerC:
			return nil
		case <-hibernate:
			return t.hibernate(l)
		case <-t.evictC:
			if t.canHibernate(l) {
				return t.hibernate(l)
			}
			t.evictC = nil // keep waiting; hibernate at the next idle wait
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// hibernateTimer returns a channel that fires when the task has waited
// HibernateAfter with nothing in flight, or nil.
func (t *taskState) hibernateTimer(l *loop) (<-chan time.Time, func()) {
	if t.cfg.HibernateAfter <= 0 || !t.canHibernate(l) {
		return nil, func() {}
	}
	tm := time.NewTimer(t.cfg.HibernateAfter)
	return tm.C, func() { tm.Stop() }
}

// canHibernate reports whether nothing but a receive and timers is in
// flight: the journal then holds all the task needs to be rebuilt.
func (t *taskState) canHibernate(l *loop) bool {
	if t.replaying() || t.failed {
		return false
	}
	l.mu.Lock()
	queued, reserved := len(l.queue), l.reserved
	l.mu.Unlock()
	waiting := 0
	if t.waiter != nil {
		waiting = 1
	}
	return queued == 0 && reserved == waiting
}

// hibernate writes what the journal holds in memory and ends the
// invocation with the time the task wants to wake.
func (t *taskState) hibernate(l *loop) error {
	if err := t.flush(nil); err != nil {
		return t.lose(err)
	}
	t.outcome.Hibernated = true
	if len(l.timers) > 0 {
		at := l.timers[0].due
		t.outcome.WakeAt = &at
	}
	return errTaskHibernated
}

const journalEndPrefix = "the journal ends at index "

// IsJournalEnd reports whether err is where a ReplayOnly run reached the
// end of its journal (from NewTaskVM, when the module's own code does).
func IsJournalEnd(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == CodeCancelled && strings.HasPrefix(e.Message, journalEndPrefix)
}

// journalEnd stops a ReplayOnly run where the journal ends.
func (t *taskState) journalEnd(what string) *Error {
	t.outcome.JournalEnd = true
	err := Errorf(CodeCancelled, journalEndPrefix+"%d, and here the script %s: in production the task goes on live from this point", t.durable, what)
	t.stop(err)
	return err
}

// lose stops the task after a write that failed: its durable state is as
// before the write.
func (t *taskState) lose(err error) *Error {
	t.failed = true
	if t.outcome.Lost == nil {
		t.outcome.Lost = err
	}
	code := kilntype.ErrorCode(err)
	if code == kilntype.EQuotaExceeded {
		return &Error{Code: code, Message: "the task's journal is full: " + errorMessage(err) + "; call iota.tasks.continueAsNew to start a fresh journal"}
	}
	return Errorf(kilntype.EUnavailable, "the task's journal could not be written (%s); it resumes from its last durable step", errorMessage(err))
}

func errorMessage(err error) string {
	var ke *kilntype.Error
	if errors.As(err, &ke) {
		return ke.Message
	}
	return err.Error()
}

// stop interrupts the running script with err (uncatchable).
func (t *taskState) stop(err *Error) {
	t.failed = true
	if inv := t.vm.inv; inv != nil {
		inv.interrupt(err)
	}
}
