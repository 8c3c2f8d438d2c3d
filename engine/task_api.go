package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/kiln-run/kiln/internal/goja"
	"github.com/kiln-run/kiln/kilntype"
)

// maxTaskWait is the longest a receive may wait: ten years.
const maxTaskWait = 10 * 365 * 24 * time.Hour

// TaskLifetime is the invocation timeout a task runs under: a task ends
// when its script does, and its CPU is bounded between waits instead
// (Task.ActivationTimeout).
const TaskLifetime = 20 * 365 * 24 * time.Hour

// Run invokes the task's handler with params (JSON) and meta, and returns
// its Result once the handler settles, the task hibernates or continues
// as new, or the task is stopped (Outcome says which). Entries still in
// memory are written before it returns; a script that returns while its
// journal holds entries it did not ask for has diverged.
func (h *TaskHandle) Run(ctx context.Context, vm *VM, params json.RawMessage, meta Meta, memoryLimit int64) *Result {
	t := h.t
	if !t.cfg.ForExecution {
		meta.Trigger = kilntype.TriggerTask
	}
	res := vm.Invoke(ctx, InvokeParams{Input: params, Meta: meta, Timeout: TaskLifetime, MemoryLimit: memoryLimit})
	if t.outcome.Hibernated || t.outcome.ContinueAsNew != nil || t.outcome.Lost != nil || t.outcome.JournalEnd {
		return res
	}
	if !t.failed && t.replaying() {
		e := &t.journal[t.pos]
		res.Err = &Error{Code: kilntype.ENondeterminism, Message: "the script ended at journal index " + strconv.FormatInt(e.Index, 10) +
			", but its journal goes on with " + describeCall(e.Kind, e.Name, e.Request) + "; a task must make the same calls in the same order when it is replayed"}
		res.Value = nil
		return res
	}
	if !t.failed {
		if err := t.flush(nil); err != nil {
			_ = t.lose(err)
		}
	}
	return res
}

// installTaskGlobals defines a task's blocking globals, for scripts that
// export Main; iota.tasks is installed with the host modules.
func (vm *VM) installTaskGlobals() {
	rt, t := vm.rt, vm.task
	vm.started = t.cfg.Started
	if !slices.Contains(vm.scope.modules, "iota") {
		vm.scope.modules = append(vm.scope.modules, "iota")
	}
	_ = rt.Set("ThisTask", func() string { return t.cfg.ID })
	_ = rt.Set("ParentTask", vm.taskParent)
	_ = rt.Set("Spawn", func(call goja.FunctionCall) goja.Value {
		id, err := t.spawn(vm.taskArgs(call, "Spawn"))
		if err != nil {
			panic(vm.jsError(err))
		}
		return rt.ToValue(id)
	})
	_ = rt.Set("SendEvent", func(call goja.FunctionCall) goja.Value {
		if err := t.send(vm.sendArgs(call, "SendEvent")); err != nil {
			panic(vm.jsError(err))
		}
		return goja.Undefined()
	})
	_ = rt.Set("ReadInput", func(call goja.FunctionCall) goja.Value {
		wait := vm.waitArg(call.Argument(0), "ReadInput")
		return t.readInput(wait)
	})
}

// TaskFunctions are the iota.tasks functions a task's VM has, each with
// whether it returns a promise (sdk/iota.d.ts declares them; its test
// checks them against this list).
var TaskFunctions = map[string]bool{
	"iota.tasks.self": false, "iota.tasks.parent": false, "iota.tasks.continueAsNew": false,
	"iota.tasks.spawn": true, "iota.tasks.send": true, "iota.tasks.receive": true,
}

// installTaskModule defines iota.tasks on a task VM's iota object.
func (vm *VM) installTaskModule() {
	rt, t := vm.rt, vm.task
	iota, ok := rt.GlobalObject().Get("iota").(*goja.Object)
	if !ok {
		iota = rt.NewObject()
		_ = rt.GlobalObject().Set("iota", iota)
	}
	tasks := rt.NewObject()
	_ = tasks.Set("self", func() string { return t.cfg.ID })
	_ = tasks.Set("parent", vm.taskParent)
	_ = tasks.Set("spawn", func(call goja.FunctionCall) goja.Value {
		return vm.settled(t.spawn(vm.taskArgs(call, "iota.tasks.spawn")))
	})
	_ = tasks.Set("send", func(call goja.FunctionCall) goja.Value {
		err := t.send(vm.sendArgs(call, "iota.tasks.send"))
		return vm.settled(nil, err)
	})
	_ = tasks.Set("receive", func(call goja.FunctionCall) goja.Value {
		var types []string
		var wait time.Duration = -1
		if opts, ok := call.Argument(0).(*goja.Object); ok {
			wait = vm.waitArg(opts.Get("timeout"), "iota.tasks.receive: timeout")
			if v := opts.Get("types"); v != nil && !goja.IsUndefined(v) && !goja.IsNull(v) {
				raw, e := fromJS(v, &argBudget{vm: vm, what: "iota.tasks.receive", left: smallAllocation})
				list, ok := raw.([]any)
				if e != nil || !ok {
					panic(vm.jsError(Errorf(CodeInvalidArgument, "iota.tasks.receive: types must be an array of event type names")))
				}
				for _, x := range list {
					s, ok := x.(string)
					if !ok || s == "" {
						panic(vm.jsError(Errorf(CodeInvalidArgument, "iota.tasks.receive: types must be an array of event type names")))
					}
					types = append(types, s)
				}
			}
		}
		return t.receive(types, wait)
	})
	_ = tasks.Set("continueAsNew", func(call goja.FunctionCall) goja.Value {
		params := vm.jsonArg(call.Argument(0), "iota.tasks.continueAsNew: params")
		t.continueAsNew(params)
		return goja.Undefined()
	})
	_ = iota.Set("tasks", tasks)
}

func (vm *VM) taskParent() goja.Value {
	if vm.task.cfg.ParentID == "" {
		return goja.Null()
	}
	return vm.rt.ToValue(vm.task.cfg.ParentID)
}

// settled returns a promise already resolved with v, or rejected with err.
func (vm *VM) settled(v any, err *Error) goja.Value {
	if err != nil {
		return vm.rejected(err)
	}
	p, resolve, _ := vm.rt.NewPromise()
	if v == nil {
		_ = resolve(goja.Undefined())
	} else {
		_ = resolve(v)
	}
	return vm.rt.ToValue(p)
}

// jsonArg is a script's value as JSON, for a call's journal request.
func (vm *VM) jsonArg(v goja.Value, what string) json.RawMessage {
	raw, e := fromJS(v, &argBudget{vm: vm, what: what, left: smallAllocation})
	if e != nil {
		e.Message = what + ": " + e.Message
		panic(vm.jsError(e))
	}
	return mustJSON(raw)
}

// stringArg is a required, non-empty string argument.
func (vm *VM) stringArg(v goja.Value, what string) string {
	if !isString(v) || v.String() == "" {
		panic(vm.jsError(Errorf(CodeInvalidArgument, "%s must be a non-empty string", what)))
	}
	return v.String()
}

func (vm *VM) taskArgs(call goja.FunctionCall, name string) (string, json.RawMessage) {
	return vm.stringArg(call.Argument(0), name+": the script name"), vm.jsonArg(call.Argument(1), name+": params")
}

func (vm *VM) sendArgs(call goja.FunctionCall, name string) TaskMessage {
	return TaskMessage{To: vm.stringArg(call.Argument(0), name+": the task ID"), Type: vm.stringArg(call.Argument(1), name+": the event type"),
		Payload: vm.jsonArg(call.Argument(2), name+": payload")}
}

// waitArg reads a wait in seconds: undefined or null wait for ever (-1).
func (vm *VM) waitArg(v goja.Value, what string) time.Duration {
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return -1
	}
	s := v.ToFloat()
	if math.IsNaN(s) || s < 0 || time.Duration(s*float64(time.Second)) > maxTaskWait {
		panic(vm.jsError(Errorf(CodeInvalidArgument, "%s must be a number of seconds from 0 to ten years (315360000)", what)))
	}
	return time.Duration(s * float64(time.Second))
}

// spawn starts a child task running script with params, in the same
// durable step as its journal entry; it returns the child's ID.
func (t *taskState) spawn(script string, params json.RawMessage) (string, *Error) {
	e, err := t.want(kilntype.JournalSpawn, script, params, "spawned")
	if err != nil {
		return "", err
	}
	if e != nil {
		if e.Error != nil {
			return "", entryError(e)
		}
		var id string
		if json.Unmarshal(e.Value, &id) != nil {
			return "", t.diverge(e, "spawned (the entry holds no task ID)")
		}
		return id, nil
	}
	id := t.cfg.NewID()
	entry := kilntype.JournalEntry{Kind: kilntype.JournalSpawn, Name: script, Request: params, Value: mustJSON(id)}
	if err := t.step(&TaskStep{Entries: []kilntype.JournalEntry{entry}, Spawns: []TaskSpawn{{ID: id, Script: script, Params: params}}}); err != nil {
		return "", err
	}
	return id, nil
}

// send stores an event in another task's inbox, in the same durable step
// as its journal entry.
func (t *taskState) send(m TaskMessage) *Error {
	req := mustJSON(struct {
		To      string          `json:"to"`
		Payload json.RawMessage `json:"payload"`
	}{m.To, m.Payload})
	e, err := t.want(kilntype.JournalSend, m.Type, req, "sent")
	if err != nil {
		return err
	}
	if e != nil {
		return entryError(e)
	}
	entry := kilntype.JournalEntry{Kind: kilntype.JournalSend, Name: m.Type, Request: req}
	return t.step(&TaskStep{Entries: []kilntype.JournalEntry{entry}, Sends: []TaskMessage{m}})
}

// continueAsNew ends the task's journal: the runtime starts the script
// again with params, in a fresh one.
func (t *taskState) continueAsNew(params json.RawMessage) {
	if t.replaying() {
		_ = t.diverge(&t.journal[t.pos], "called continueAsNew")
		return
	}
	if err := t.flush(nil); err != nil {
		t.stop(t.lose(err))
		return
	}
	t.outcome.ContinueAsNew = params
	t.stop(errTaskContinued)
}

// taskWaiter is a pending receive.
type taskWaiter struct {
	req      json.RawMessage // the receive's types and timeout, journaled
	types    []string
	timer    int // the loop timer of its timeout, 0 for none
	resolve  func(any) error
	complete func(func() error) // releases the loop's reservation
	blocking bool
}

// receiveRequest is what a receive journals as its request.
func receiveRequest(types []string, wait time.Duration) json.RawMessage {
	r := struct {
		Types   []string `json:"types,omitempty"`
		Timeout *float64 `json:"timeout,omitempty"`
	}{Types: types}
	if wait >= 0 {
		s := wait.Seconds()
		r.Timeout = &s
	}
	return mustJSON(r)
}

// waitBase is the time a receive's timeout counts from: a clock reading,
// journaled, so that a replayed receive times out when the first did.
func (t *taskState) waitBase() (time.Time, bool) {
	e, err := t.want(kilntype.JournalClock, "wait", nil, "waited")
	if err != nil {
		return time.Time{}, false
	}
	if e != nil {
		ns, perr := strconv.ParseInt(string(e.Value), 10, 64)
		if perr != nil {
			_ = t.diverge(e, "waited (the entry holds no time)")
			return time.Time{}, false
		}
		return time.Unix(0, ns), true
	}
	now := t.vm.engine.cfg.Clock.Now()
	t.record(kilntype.JournalEntry{Kind: kilntype.JournalClock, Name: "wait", Value: strconv.AppendInt(nil, now.UnixNano(), 10), At: now}, false)
	return now, true
}

// receive is iota.tasks.receive: a promise of the next event of types, or
// of null once wait (-1: for ever) has passed. Delivery is always a
// macrotask of its own, live or replayed.
func (t *taskState) receive(types []string, wait time.Duration) goja.Value {
	vm := t.vm
	if t.waiter != nil {
		return vm.rejected(Errorf(CodeInvalidArgument, "iota.tasks.receive: a receive is already pending; a task receives one event at a time, so await it first"))
	}
	if t.failed {
		return vm.rejected(Errorf(CodeCancelled, "the task has stopped"))
	}
	inv := vm.inv
	w := &taskWaiter{req: receiveRequest(types, wait), types: types}
	if wait >= 0 {
		base, ok := t.waitBase()
		if !ok {
			return goja.Undefined()
		}
		w.timer = inv.loop.addNativeTimerAt(base.Add(wait), func() { t.timeoutFired(w) })
		inv.loop.byID[w.timer].own = true
	}
	p, resolve, _ := vm.rt.NewPromise()
	w.resolve = resolve
	w.complete = inv.loop.reserve()
	t.waiter = w
	if !t.replaying() {
		inv.loop.post(t.checkInbox)
	}
	return vm.rt.ToValue(p)
}

// checkInbox delivers the oldest event a live pending receive wants, if
// the inbox holds one: consumed in the same step as its journal entry.
func (t *taskState) checkInbox() error {
	w := t.waiter
	if w == nil || w.blocking || t.replaying() || t.failed || t.cfg.ReplayOnly {
		return nil
	}
	ev, err := t.cfg.Host.NextEvent(t.vm.inv.context(), w.types)
	if err != nil {
		e := t.lose(err)
		t.stop(e)
		return e
	}
	if ev == nil {
		return nil
	}
	entry := kilntype.JournalEntry{Kind: kilntype.JournalReceive, Name: ev.Type, Request: w.req, Value: eventJSON(ev)}
	if err := t.step(&TaskStep{Entries: []kilntype.JournalEntry{entry}, Receive: ev.Seq}); err != nil {
		return err
	}
	return t.deliver(w, &entry)
}

// timeoutFired ends a live receive with null: journaled, durably, with the
// removal of its waiter, so an event that arrives after it stays queued
// for the next receive.
func (t *taskState) timeoutFired(w *taskWaiter) {
	if t.waiter != w || t.failed {
		return
	}
	if t.cfg.ReplayOnly {
		_ = t.journalEnd("has its receive time out")
		return
	}
	// The inbox first: an event that is there when the timeout runs (a
	// task resumed long after its deadline, or the same instant) is
	// delivered instead.
	if err := t.checkInbox(); err != nil || t.waiter != w {
		return
	}
	entry := kilntype.JournalEntry{Kind: kilntype.JournalTimeout, Request: w.req}
	if t.step(&TaskStep{Entries: []kilntype.JournalEntry{entry}}) != nil {
		return
	}
	_ = t.deliver(w, &entry)
}

// deliver settles a pending receive with what e holds.
func (t *taskState) deliver(w *taskWaiter, e *kilntype.JournalEntry) error {
	if !bytes.Equal(e.Request, w.req) {
		return t.diverge(e, "received "+string(w.req))
	}
	t.waiter = nil
	if w.timer != 0 {
		t.vm.loop.clearTimer(w.timer)
	}
	w.complete(func() error { return nil })
	if e.Kind == kilntype.JournalTimeout {
		return w.resolve(goja.Null())
	}
	v, err := decodeJSON(t.vm.rt, e.Value)
	if err != nil {
		return Errorf(CodeInternal, "a journaled event could not be read back")
	}
	return w.resolve(v)
}

// eventJSON is the event a script receives.
func eventJSON(ev *kilntype.TaskEvent) json.RawMessage {
	var from *string
	if ev.From != "" {
		from = &ev.From
	}
	payload := ev.Payload
	if len(payload) == 0 {
		payload = json.RawMessage("null")
	}
	return mustJSON(struct {
		Seq     int64           `json:"seq"`
		Type    string          `json:"type"`
		Payload json.RawMessage `json:"payload"`
		From    *string         `json:"from"`
		At      string          `json:"at"`
	}{ev.Seq, ev.Type, payload, from, ev.At.UTC().Format(time.RFC3339Nano)})
}

// readInput is ReadInput: it blocks the task's own goroutine until an
// event arrives (returned) or wait passes (null).
func (t *taskState) readInput(wait time.Duration) goja.Value {
	vm := t.vm
	if t.failed {
		return goja.Undefined()
	}
	req := receiveRequest(nil, wait)
	var deadline time.Time
	if wait >= 0 {
		base, ok := t.waitBase()
		if !ok {
			return goja.Undefined()
		}
		deadline = base.Add(wait)
	}
	if t.replaying() {
		e := &t.journal[t.pos]
		if (e.Kind != kilntype.JournalReceive && e.Kind != kilntype.JournalTimeout) || !bytes.Equal(e.Request, req) {
			_ = t.diverge(e, "called ReadInput "+string(req))
			return goja.Undefined()
		}
		t.served(e)
		return t.inputValue(e)
	}
	if t.cfg.ReplayOnly {
		_ = t.journalEnd("calls ReadInput " + string(req))
		return goja.Undefined()
	}
	ctx := vm.inv.context()
	for {
		ev, err := t.cfg.Host.NextEvent(ctx, nil)
		if err != nil {
			t.stop(t.lose(err))
			return goja.Undefined()
		}
		if ev != nil {
			entry := kilntype.JournalEntry{Kind: kilntype.JournalReceive, Name: ev.Type, Request: req, Value: eventJSON(ev)}
			if t.step(&TaskStep{Entries: []kilntype.JournalEntry{entry}, Receive: ev.Seq}) != nil {
				return goja.Undefined()
			}
			return t.inputValue(&entry)
		}
		woke, end := t.block(ctx, deadline)
		if end != nil {
			t.stop(end)
			return goja.Undefined()
		}
		if !woke {
			entry := kilntype.JournalEntry{Kind: kilntype.JournalTimeout, Request: req}
			if t.step(&TaskStep{Entries: []kilntype.JournalEntry{entry}}) != nil {
				return goja.Undefined()
			}
			return goja.Null()
		}
	}
}

// inputValue is what ReadInput returns for e.
func (t *taskState) inputValue(e *kilntype.JournalEntry) goja.Value {
	if e.Kind == kilntype.JournalTimeout {
		return goja.Null()
	}
	v, err := decodeJSON(t.vm.rt, e.Value)
	if err != nil {
		t.stop(Errorf(CodeInternal, "a journaled event could not be read back"))
		return goja.Undefined()
	}
	return v
}

// block waits in ReadInput until notified (true), the deadline passes
// (false; zero deadline: never), or the task must end (an error: it
// hibernated, or ctx ended).
func (t *taskState) block(ctx context.Context, deadline time.Time) (bool, *Error) {
	t.pause()
	defer t.resume()
	var timerC <-chan time.Time
	if !deadline.IsZero() {
		clock := t.vm.engine.cfg.Clock
		c, stop := clock.NewTimer(deadline.Sub(clock.Now()))
		defer stop()
		timerC = c
	}
	var hibernate <-chan time.Time
	if t.cfg.HibernateAfter > 0 {
		tm := time.NewTimer(t.cfg.HibernateAfter)
		defer tm.Stop()
		hibernate = tm.C
	}
	sleep := func() (bool, *Error) {
		if err := t.flush(nil); err != nil {
			return false, t.lose(err)
		}
		t.outcome.Hibernated = true
		if !deadline.IsZero() {
			at := deadline
			t.outcome.WakeAt = &at
		}
		return false, errTaskHibernated
	}
	select {
	case <-t.notifyC:
		return true, nil
	case <-timerC:
		return false, nil
	case <-hibernate:
		return sleep()
	case <-t.evictC:
		return sleep()
	case <-ctx.Done():
		return false, ctxError(t.vm.inv.parent, t.vm.inv.timeout)
	}
}
