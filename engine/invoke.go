package engine

import (
	"context"
	"encoding/json"
	"errors"
	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/redact"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kiln-run/kiln/internal/goja"
)

// Meta identifies an invocation. It is what the script sees as its second
// argument, `ctx`, and what host functions use to scope their effects.
type Meta struct {
	TenantID    string `json:"tenantId"`
	ScriptID    string `json:"scriptId"`
	Version     int    `json:"version"`
	ExecutionID string `json:"executionId"`
	// Trigger is why the script runs (ctx.trigger).
	Trigger kilntype.Trigger `json:"trigger"`
	// Attempt is 1 for a first run and counts retries of an event.
	Attempt int `json:"attempt"`
}

// InvokeParams is one call of a handler. Zero limits take the engine's.
type InvokeParams struct {
	// Input is the handler's first argument, as JSON. Empty means null.
	Input json.RawMessage
	// HTTP, if set, is the first argument instead of Input: an HTTP
	// request, built as JS objects directly (the same value Input would
	// be with HTTP.AppendJSON in it, for less).
	HTTP *kilntype.HTTPInput
	Meta Meta
	// Timeout is the wall-clock limit; CPU-bound loops are interrupted.
	Timeout time.Duration
	// MemoryLimit is the heap the invocation may grow, in bytes.
	MemoryLimit int64
	// OutputBytes caps the result's JSON size.
	OutputBytes int64
	// Turns, if set, is asked for a turn (keyed by Meta.TenantID) before
	// the invocation runs JavaScript, and given the turn back whenever the
	// invocation's event loop waits on a timer or a host call, and when it
	// ends. The pool passes a fair semaphore with one turn per core, so a
	// CPU-bound script cannot keep another tenant's from running for longer
	// than one stretch of JavaScript. Waiting for a turn counts against the
	// timeout.
	Turns Turns
	// Record keeps a journal of the values that enter the script (host
	// calls' results, timers, Date, Math.random, crypto), as a durable
	// task's, in Result.Journal: kiln replay re-runs a failed execution
	// from it. The script sees what it would without it.
	Record bool
	// TurnSlice, with Turns, is how long the invocation may hold a turn
	// while others wait: past it, the turn is demoted (Turns.Demote) and
	// the invocation runs on without one, so a CPU-bound loop cannot
	// keep other tenants waiting until its timeout. Zero: never demoted.
	TurnSlice time.Duration
}

// Turns hands out turns to run JavaScript; *fair.Semaphore is one.
type Turns interface {
	Acquire(ctx context.Context, key string, deadline time.Time) error
	Release(key string)
	// Demote gives a held turn back to the waiters, if there are any, while
	// its holder goes on as overtime; it reports whether it did.
	Demote(key string) bool
	// EndOvertime ends a demoted turn's overtime.
	EndOvertime(key string)
}

// An invocation's turn: none, held, or demoted to overtime.
const (
	turnNone = iota
	turnHeld
	turnOvertime
)

// Result is what an invocation produced. Err is nil on success.
type Result struct {
	// Value is the handler's result as JSON ("null" for undefined).
	Value json.RawMessage `json:"value,omitempty"`
	// Err is the failure, with a stable code and a source position.
	Err *Error `json:"error,omitempty"`
	// Response is set when the handler returned a web Response; Value then
	// holds it as {status, headers, body} JSON.
	Response *HTTPResponse `json:"-"`
	// Logs are console and log lines, in order, capped.
	Logs []LogEntry `json:"logs"`
	// LogsTruncated is true when lines were dropped past the caps.
	LogsTruncated bool             `json:"logsTruncated,omitempty"`
	HostCalls     []HostCallRecord `json:"hostCalls,omitempty"`
	Metrics       Metrics          `json:"metrics"`
	// Journal is what InvokeParams.Record kept, unless JournalTruncated:
	// the run made more than maxRecorded entries and none are kept.
	Journal          []kilntype.JournalEntry `json:"-"`
	JournalTruncated bool                    `json:"-"`
	// Secrets are the secret values the VM has handed its script in this
	// invocation or any before it (HostCall.Secret): cut them out of
	// whatever is kept of the run. Never nil for a Result of a VM.
	Secrets *redact.Set `json:"-"`
}

// Metrics describe one invocation's cost.
type Metrics struct {
	Duration time.Duration `json:"durationNs"`
	// MemoryBytes is the heap growth the watchdog last attributed to the
	// invocation: an estimate, see docs/limits.md.
	MemoryBytes int64 `json:"memoryBytes"`
	HostCalls   int   `json:"hostCalls"`
}

var promiseType = reflect.TypeFor[*goja.Promise]()

// invocation is the state of one run of a VM.
type invocation struct {
	vm       *VM
	meta     Meta
	parent   context.Context
	deadline time.Time
	ctx      context.Context // see context()
	cancel   context.CancelFunc
	finished bool // set under mu when the invocation ends
	timeout  time.Duration
	loop     *loop
	account  memoryAccount
	turns    Turns
	slice    time.Duration // TurnSlice
	// turn and turnAt (Unix nanoseconds, when it was taken) are under mu:
	// the watchdog demotes a turn held too long (checkTurn).
	turn   int
	turnAt int64
	// callerGone is set (by the watchdog's goroutine only) once
	// checkCaller has interrupted the invocation.
	callerGone bool

	mu          sync.Mutex
	interrupted *Error // the first limit or sandbox error, if any

	logs       []LogEntry
	logBytes   int
	truncated  bool
	hostCalls  []HostCallRecord
	callStarts []time.Time
	sealed     bool
	rejections map[*goja.Promise]struct{}
	result     *goja.Promise // the handler's promise, excluded from tracking
}

// takeTurn waits for a turn to run JavaScript, if the invocation takes
// turns, and sets the loop to give it back while it waits.
func (inv *invocation) takeTurn(turns Turns, slice time.Duration) error {
	if turns == nil {
		return nil
	}
	inv.turns, inv.slice = turns, slice
	if err := inv.resumeTurn(inv.parent); err != nil {
		return err
	}
	inv.loop.turn = inv
	return nil
}

// resumeTurn takes the turn back, before the deadline.
func (inv *invocation) resumeTurn(ctx context.Context) error {
	if err := inv.turns.Acquire(ctx, inv.meta.TenantID, inv.deadline); err != nil {
		return ctxError(inv.parent, inv.timeout)
	}
	inv.mu.Lock()
	inv.turn, inv.turnAt = turnHeld, time.Now().UnixNano()
	inv.mu.Unlock()
	return nil
}

// giveTurn gives the turn back, or ends its overtime.
func (inv *invocation) giveTurn() {
	if inv.turns == nil {
		return
	}
	inv.mu.Lock()
	defer inv.mu.Unlock()
	switch inv.turn {
	case turnHeld:
		inv.turns.Release(inv.meta.TenantID)
	case turnOvertime:
		inv.turns.EndOvertime(inv.meta.TenantID)
	}
	inv.turn = turnNone
}

// checkTurn demotes the invocation's turn once it has held it for longer
// than its slice while others wait; the watchdog calls it on every sample.
// goja cannot pause a script, but the Go scheduler shares the cores among
// goroutines: the demoted invocation runs on beside the ones that take
// the turn, instead of keeping them waiting until its timeout.
func (inv *invocation) checkTurn(now int64) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	if inv.turn == turnHeld && inv.slice > 0 && time.Duration(now-inv.turnAt) > inv.slice &&
		inv.turns.Demote(inv.meta.TenantID) {
		inv.turn = turnOvertime
	}
}

func (inv *invocation) interrupt(err *Error) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	if inv.finished {
		return
	}
	if inv.interrupted == nil {
		inv.interrupted = err
	}
	inv.vm.rt.Interrupt(err)
}

// context returns the invocation's context (the caller's, with the
// deadline), made on first use: host calls and the loop's waits need it.
func (inv *invocation) context() context.Context {
	if inv.ctx == nil {
		inv.ctx, inv.cancel = context.WithDeadline(inv.parent, inv.deadline)
	}
	return inv.ctx
}

func (inv *invocation) cancelContext() {
	if inv.cancel != nil {
		inv.cancel()
	}
}

func (inv *invocation) firstInterrupt() *Error {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	return inv.interrupted
}

// startHostCall records a call as in flight and returns its index.
func (inv *invocation) startHostCall(name string) int {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	inv.hostCalls = append(inv.hostCalls, HostCallRecord{Name: name, Error: callInFlight})
	inv.callStarts = append(inv.callStarts, time.Now())
	return len(inv.hostCalls) - 1
}

// finishHostCall completes record i, unless the invocation already ended
// and sealed its records.
func (inv *invocation) finishHostCall(i int, d time.Duration, code Code) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	if inv.sealed {
		return
	}
	inv.hostCalls[i].Duration, inv.hostCalls[i].Error = d, code
}

// callInFlight marks a record whose call has not returned yet.
const callInFlight Code = "IN_FLIGHT"

// sealHostCalls returns the records; calls still in flight were abandoned
// when the invocation ended and are recorded as CANCELLED.
func (inv *invocation) sealHostCalls() []HostCallRecord {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	inv.sealed = true
	for i := range inv.hostCalls {
		if inv.hostCalls[i].Error == callInFlight {
			inv.hostCalls[i].Error = CodeCancelled
			inv.hostCalls[i].Duration = time.Since(inv.callStarts[i])
		}
	}
	return inv.hostCalls
}

func (inv *invocation) trackRejection(p *goja.Promise, op goja.PromiseRejectionOperation) {
	switch op {
	case goja.PromiseRejectionReject:
		if inv.rejections == nil {
			inv.rejections = map[*goja.Promise]struct{}{}
		}
		inv.rejections[p] = struct{}{}
	case goja.PromiseRejectionHandle:
		delete(inv.rejections, p)
	}
}

// unhandled returns the first rejection nothing handled, other than the
// handler's own promise (whose rejection is the invocation's error).
func (inv *invocation) unhandled() error {
	for p := range inv.rejections {
		if p == inv.result {
			continue
		}
		e := inv.vm.errorFromValue(p.Result())
		e.Code = CodeUnhandledRejection
		e.Message = "a promise was rejected and nothing handled it: " + e.Message
		return e
	}
	return nil
}

// Invoke calls the VM's handler with params.Input and a ctx built from
// params.Meta, runs the event loop until the handler settles, and returns
// the result. It never returns a nil Result; failures are in Result.Err.
func (vm *VM) Invoke(ctx context.Context, params InvokeParams) *Result {
	if vm.handler == nil {
		return &Result{Err: Errorf(CodeInternal, "the VM has no program bound; call Bind first")}
	}
	return vm.run(ctx, params, func(inv *invocation) (goja.Value, error) {
		var (
			input goja.Value
			err   error
		)
		if params.HTTP != nil {
			input, err = vm.httpInput(params.HTTP)
		} else {
			input, err = vm.parseInput(params.Input)
		}
		if err != nil {
			return nil, err
		}
		meta, err := vm.metaObject(params.Meta)
		if err != nil {
			return nil, err
		}
		// The arguments in the VM's array: a variadic call through a
		// func value puts them on the heap (goja copies them to its stack).
		args := &vm.handlerArgs
		args[0], args[1] = input, meta
		defer clear(args[:]) // hold nothing between runs
		return vm.handler(goja.Undefined(), args[:]...)
	})
}

// run executes body as one invocation under limits, then drives the event
// loop and turns the outcome into a Result.
func (vm *VM) run(ctx context.Context, params InvokeParams, body func(*invocation) (goja.Value, error)) *Result {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	cfg := vm.engine.cfg
	start := time.Now()
	if vm.broken {
		return &Result{Err: Errorf(CodeInternal, "this VM was retired after an interrupted run; create a new one")}
	}
	timeout, memLimit, outputCap := params.Timeout, params.MemoryLimit, params.OutputBytes
	if timeout <= 0 {
		timeout = cfg.Timeout
	}
	if memLimit <= 0 {
		memLimit = cfg.MemoryLimit
	}
	if outputCap <= 0 {
		outputCap = cfg.OutputBytes
	}
	if vm.loop == nil {
		vm.loop = newLoop(cfg.Clock)
	}
	vm.loop.reset()
	inv := &invocation{vm: vm, meta: params.Meta, parent: ctx, deadline: start.Add(timeout), timeout: timeout, loop: vm.loop}
	defer inv.cancelContext()
	// Interrupt a running script when the deadline passes or the caller
	// cancels; a waiting loop notices through inv.context() itself. The
	// VM's one deadline timer and the watchdog's polling of the caller's
	// context (if it can end at all) cost less than deriving a context for
	// every invocation, which only host calls and waits need.
	vm.rt.SetMemoryLimit(memLimit)
	vm.engine.memory.open(&inv.account, memLimit, inv, ctx.Done() != nil, params.Turns != nil && params.TurnSlice > 0)
	vm.inv = inv
	if ctx.Err() != nil {
		inv.interrupt(ctxError(ctx, timeout))
	}
	if vm.armed == nil {
		vm.armed = &armedDeadline{}
	}
	vm.armed.inv.Store(inv)
	res := &Result{Secrets: vm.secrets}
	if params.Record && vm.task == nil {
		rec := vm.recorder()
		vm.task, vm.loop.task = rec, rec
		defer func() {
			res.Journal, res.JournalTruncated = rec.buf, rec.truncated
			vm.task, vm.loop.task = nil, nil
		}()
	} else if vm.task != nil {
		vm.task.begin(inv)
		defer vm.task.end()
	}
	if vm.deadline == nil {
		vm.deadline = time.AfterFunc(timeout, vm.armed.passed)
	} else {
		vm.deadline.Reset(timeout)
	}

	err := inv.takeTurn(params.Turns, params.TurnSlice)
	if err == nil {
		err = vm.contain(func() error {
			value, err := body(inv)
			if err != nil {
				return err
			}
			return vm.settle(inv, value, res, outputCap)
		})
	}
	inv.giveTurn()

	vm.deadline.Stop()
	vm.armed.inv.Store(nil)
	// A watcher may be mid-interrupt: finishing under the lock means it
	// either landed before ClearInterrupt below or will find the
	// invocation finished and do nothing.
	inv.mu.Lock()
	inv.finished = true
	inv.mu.Unlock()
	vm.engine.memory.release(&inv.account)
	inv.loop.close()
	vm.rt.ClearInterrupt()
	vm.inv = nil

	if err != nil {
		res.Err = vm.toError(inv, err)
		res.Value = nil
		if ie := inv.firstInterrupt(); ie != nil || res.Err.Code == CodeStackOverflow || res.Err.Code == CodeMemoryLimit {
			vm.broken = true
		}
	}
	inv.mu.Lock()
	res.Logs, res.LogsTruncated = inv.logs, inv.truncated
	inv.mu.Unlock()
	res.HostCalls = inv.sealHostCalls()
	live, charged := vm.rt.MemoryUsage()
	res.Metrics = Metrics{Duration: time.Since(start), MemoryBytes: live + charged, HostCalls: len(res.HostCalls)}
	return res
}

// armedDeadline is what a VM's deadline timer watches: the invocation
// armed, nil between runs.
type armedDeadline struct{ inv atomic.Pointer[invocation] }

// passed is the VM's deadline timer's function: it interrupts the armed
// invocation once its deadline has passed. The timer is reused from one
// invocation to the next, so a firing meant for an earlier invocation that
// arrives late finds no invocation armed, or one whose deadline is still
// ahead (its own firing is due then), and does nothing. A timer never
// fires early: the deadline is taken before the timer is set.
func (a *armedDeadline) passed() {
	if inv := a.inv.Load(); inv != nil && !time.Now().Before(inv.deadline) {
		inv.interrupt(ctxError(inv.parent, inv.timeout))
	}
}

// checkCaller interrupts the invocation once its caller's context has
// ended; the watchdog calls it on every sample while the invocation runs.
func (inv *invocation) checkCaller() {
	if !inv.callerGone && inv.parent.Err() != nil {
		inv.callerGone = true
		inv.interrupt(ctxError(inv.parent, inv.timeout))
	}
}

// checkMemory asks the runtime to measure what it holds at its next
// instruction (the watchdog's backstop, from the watchdog's goroutine).
func (inv *invocation) checkMemory() {
	inv.vm.rt.RequestMemoryCheck()
}

// memoryLimitError is the MEMORY_LIMIT of a runtime its meter stopped.
func memoryLimitError(e *goja.MemoryLimitError) *Error {
	return &Error{Code: CodeMemoryLimit, Message: "the script holds about " + formatBytes(e.Used) +
		" of memory, more than its limit of " + formatBytes(e.Limit) + "; process data in smaller pieces or raise limits.memoryBytes"}
}

// contain runs f, turning a Go panic inside it — a fault in goja (some
// uses of an arrow function's outer arguments index past goja's stack) or
// in a host function — into an INTERNAL error of this invocation instead of
// a crash of the process. The VM is retired: its state is unknown. The
// caller holds vm.mu.
func (vm *VM) contain(f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			vm.broken = true
			err = Errorf(CodeInternal, "the engine failed while running the script (%v) and stopped it; if this repeats, report it with the script", p)
		}
	}()
	return f()
}

// ctxError describes why an invocation under parent stopped: its caller
// cancelled (or the caller's own deadline passed), or its timeout did.
func ctxError(parent context.Context, timeout time.Duration) *Error {
	if parent.Err() != nil && !errors.Is(parent.Err(), context.DeadlineExceeded) {
		return Errorf(CodeCancelled, "the invocation was cancelled by its caller")
	}
	return Errorf(CodeTimeout, "the script ran longer than its %s timeout and was stopped", timeout)
}

// settle waits for value (if it is a promise) through the event loop, then
// serializes it into res.Value.
func (vm *VM) settle(inv *invocation, value goja.Value, res *Result, outputCap int64) error {
	var promise *goja.Promise
	if obj, ok := value.(*goja.Object); ok && obj.ExportType() == promiseType {
		// Export only promises: exporting any other object copies it.
		promise, _ = obj.Export().(*goja.Promise)
		inv.result = promise
	}
	settled := func() bool { return promise == nil || promise.State() != goja.PromiseStatePending }
	step := func() error {
		if ie := inv.firstInterrupt(); ie != nil {
			return ie
		}
		return inv.unhandled()
	}
	if err := step(); err != nil {
		return err
	}
	dangling, err := inv.loop.run(inv.context, settled, step)
	if err != nil {
		if ctxErr := inv.context().Err(); ctxErr != nil && errors.Is(err, ctxErr) {
			return ctxError(inv.parent, inv.timeout)
		}
		return err
	}
	if dangling > 0 {
		inv.log(LogEntry{Level: LevelWarn, Source: "kiln", Message: plural(dangling, "interval was", "intervals were") +
			" still scheduled when the handler finished; cleared (call clearInterval when you are done)"})
	}
	if promise != nil {
		switch promise.State() {
		case goja.PromiseStateRejected:
			return vm.errorFromValue(promise.Result())
		default:
			value = promise.Result()
		}
	}
	if isResponse, err := vm.asResponse(value, res, outputCap); isResponse || err != nil {
		return err
	}
	out, err := vm.stringifyResult(value, outputCap)
	if err != nil {
		return err
	}
	if int64(len(out)) > outputCap {
		return Errorf(CodeOutputTooLarge, "the result is %s of JSON, more than the %s output limit; return less data or store it with iota.db", formatBytes(int64(len(out))), formatBytes(outputCap))
	}
	res.Value = json.RawMessage(out)
	return nil
}
