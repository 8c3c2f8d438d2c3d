package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/kiln-run/kiln/kilntype"
)

// The journal's rules (docs/tasks.md, "What is journaled"):
//
//   - Every value that enters the script from outside is an entry, in the
//     order the script saw them. Replay serves each from its entry and
//     checks that the script asked for the same thing (kind, name and
//     request); any difference stops the task with NONDETERMINISM.
//   - An entry that delivers something outside the VM made (a call's
//     result, an event) is durable before the script sees it. Readings of
//     the clock and of randomness, timer firings and the issue of an async
//     call are kept in memory until the next durable step, and written
//     before any effect leaves the VM: a crash before that loses only
//     values nothing outside has seen, and replay makes them again.
//   - Deliveries (results, events, timeouts, timers) happen one per
//     macrotask, in the journal's order: while replaying, the loop takes
//     the next one from the journal instead of from the clock or the
//     network, so Promise.all and Promise.race settle as they did.
//   - Values are journaled as the JSON the script saw, and the script sees
//     the JSON, live as in replay, so that key order and number forms are
//     the same both times.

// want consumes the journal's next entry while replaying: it must be of
// kind and name, with request (nil: not compared). It returns nil when the
// task is live. A different entry is a divergence: the task stops with
// NONDETERMINISM and want returns the error.
func (t *taskState) want(kind kilntype.JournalKind, name string, request json.RawMessage, what string) (*kilntype.JournalEntry, *Error) {
	if t.failed {
		return nil, Errorf(CodeCancelled, "the task has stopped")
	}
	if !t.replaying() {
		if t.cfg.ReplayOnly {
			return nil, t.journalEnd("asks for " + describeCall(kind, name, request))
		}
		return nil, nil
	}
	e := &t.journal[t.pos]
	if e.Kind != kind || e.Name != name || (request != nil && !bytes.Equal(e.Request, request)) {
		return nil, t.diverge(e, what+" "+describeCall(kind, name, request))
	}
	t.served(e)
	return e, nil
}

// served advances past e, and goes live after the journal's last entry.
func (t *taskState) served(e *kilntype.JournalEntry) {
	if t.cfg.OnServe != nil {
		t.cfg.OnServe(e)
	}
	t.pos++
	t.durable++
	if !e.At.IsZero() {
		t.at = e.At
	}
	if !t.replaying() {
		t.goLive()
	}
}

// diverge stops the task with NONDETERMINISM at entry e.
func (t *taskState) diverge(e *kilntype.JournalEntry, actual string) *Error {
	err := &Error{Code: kilntype.ENondeterminism, Message: fmt.Sprintf(
		"the script diverged from its journal at index %d: the journal holds %s, but the script %s; a task must make the same calls in the same order when it is replayed (docs/tasks.md, \"Writing replay-safe code\")",
		e.Index, describeCall(e.Kind, e.Name, e.Request), actual)}
	t.stop(err)
	return err
}

// describeCall names an entry for NONDETERMINISM messages.
func describeCall(kind kilntype.JournalKind, name string, request json.RawMessage) string {
	s := string(kind)
	if name != "" {
		s += " " + name
	}
	if len(request) > 0 {
		r := string(request)
		if len(r) > 200 {
			r = r[:200] + "…"
		}
		s += " " + r
	}
	return s
}

// record keeps a live entry in memory until the next durable step and
// returns its index.
func (t *taskState) record(e kilntype.JournalEntry, volatile bool) int64 {
	e.Index = t.durable + int64(len(t.buf))
	if t.recordOnly {
		if t.truncated || len(t.buf) >= maxRecorded {
			t.truncated, t.buf = true, nil
			return e.Index
		}
		volatile = false
	}
	if e.At.IsZero() {
		e.At = t.vm.engine.cfg.Clock.Now()
	}
	t.buf = append(t.buf, e)
	t.volatile = t.volatile || volatile
	return e.Index
}

// flush writes what the journal holds in memory, then step's entries and
// effects (step may be nil), as one durable step.
func (t *taskState) flush(step *TaskStep) error {
	if t.recordOnly {
		if step != nil {
			for _, e := range step.Entries {
				t.record(e, false)
			}
		}
		return nil
	}
	if t.failed {
		return Errorf(CodeCancelled, "the task has stopped")
	}
	if step == nil {
		if len(t.buf) == 0 {
			return nil
		}
		step = &TaskStep{}
	}
	now := t.vm.engine.cfg.Clock.Now()
	entries := make([]kilntype.JournalEntry, 0, len(t.buf)+len(step.Entries))
	entries = append(entries, t.buf...)
	for _, e := range step.Entries {
		e.Index = t.durable + int64(len(entries))
		if e.At.IsZero() {
			e.At = now
		}
		entries = append(entries, e)
	}
	step.Entries = entries
	ctx := context.Background()
	if inv := t.vm.inv; inv != nil {
		ctx = inv.context()
	}
	if err := t.cfg.Host.Append(ctx, step); err != nil {
		return err
	}
	t.durable += int64(len(entries))
	t.buf = t.buf[:0]
	t.volatile = false
	return nil
}

// flushVolatile writes readings of the clock or randomness held in
// memory before an effect that may carry them leaves the VM.
func (t *taskState) flushVolatile() *Error {
	if !t.volatile {
		return nil
	}
	if err := t.flush(nil); err != nil {
		e := t.lose(err)
		t.stop(e)
		return e
	}
	return nil
}

// step writes one durable step whose entry delivers something to the
// script. A *TaskEffectError (a refused send or spawn) is journaled as the
// entry's error instead, and returned for the script; any other failure
// stops the task.
func (t *taskState) step(s *TaskStep) *Error {
	err := t.flush(s)
	if err == nil {
		return nil
	}
	var refused *TaskEffectError
	if errors.As(err, &refused) && len(s.Entries) > 0 {
		e := s.Entries[len(s.Entries)-1] // the step's own entry, after the buffered ones
		e.Value = nil
		e.Error = &kilntype.ExecutionError{Code: refused.Err.Code, Message: refused.Err.Message}
		e.Index, e.At = 0, time.Time{}
		if err := t.flush(&TaskStep{Entries: []kilntype.JournalEntry{e}}); err != nil {
			le := t.lose(err)
			t.stop(le)
			return le
		}
		return &Error{Code: refused.Err.Code, Message: refused.Err.Message}
	}
	le := t.lose(err)
	t.stop(le)
	return le
}

// entryError is the script's error an entry holds.
func entryError(e *kilntype.JournalEntry) *Error {
	if e.Error == nil {
		return nil
	}
	return &Error{Code: e.Error.Code, Message: e.Error.Message}
}

// execError is e as a journal entry holds it.
func execError(e *Error) *kilntype.ExecutionError {
	if e == nil {
		return nil
	}
	return &kilntype.ExecutionError{Code: e.Code, Message: e.Message}
}

// mustJSON marshals a value the engine built; it cannot fail for the
// JSON-like values it is given.
func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage("null")
	}
	return b
}

// now is the time a task's script reads (Date, performance.now).
func (t *taskState) now() time.Time {
	e, err := t.want(kilntype.JournalClock, "", nil, "read the clock")
	if err != nil {
		return t.at
	}
	if e != nil {
		ns, perr := strconv.ParseInt(string(e.Value), 10, 64)
		if perr != nil {
			_ = t.diverge(e, "read the clock (the entry holds no time)")
			return t.at
		}
		return time.Unix(0, ns)
	}
	now := t.vm.engine.cfg.Clock.Now()
	t.record(kilntype.JournalEntry{Kind: kilntype.JournalClock, Value: strconv.AppendInt(nil, now.UnixNano(), 10), At: now}, true)
	return now
}

// randomFloat is Math.random for a task.
func (t *taskState) randomFloat() float64 {
	e, err := t.want(kilntype.JournalRandom, "Math.random", nil, "called Math.random")
	if err != nil {
		return 0
	}
	if e != nil {
		f, perr := strconv.ParseFloat(string(e.Value), 64)
		if perr != nil {
			_ = t.diverge(e, "called Math.random (the entry holds no number)")
		}
		return f
	}
	f := t.vm.engine.cfg.Random.Float64()
	t.record(kilntype.JournalEntry{Kind: kilntype.JournalRandom, Name: "Math.random", Value: strconv.AppendFloat(nil, f, 'g', -1, 64)}, true)
	return f
}

// randomRead is crypto randomness for a task.
func (t *taskState) randomRead(p []byte) {
	req := strconv.AppendInt(nil, int64(len(p)), 10)
	e, err := t.want(kilntype.JournalRandom, "crypto", req, "asked crypto for random bytes")
	if err != nil {
		clear(p)
		return
	}
	if e != nil {
		var b []byte
		if json.Unmarshal(e.Value, &b) != nil || len(b) != len(p) {
			_ = t.diverge(e, "asked crypto for random bytes (the entry holds others)")
			clear(p)
			return
		}
		copy(p, b)
		return
	}
	t.vm.engine.cfg.Random.Read(p)
	t.record(kilntype.JournalEntry{Kind: kilntype.JournalRandom, Name: "crypto", Request: req, Value: mustJSON(p)}, true)
}

// timerFired journals a live timer firing (the loop calls it before the
// callback runs).
func (t *taskState) timerFired(tm *timer) error {
	if t.cfg.ReplayOnly {
		return t.journalEnd("has a timer fire")
	}
	t.record(kilntype.JournalEntry{Kind: kilntype.JournalTimer, Value: strconv.AppendInt(nil, int64(tm.id), 10)}, false)
	return nil
}

// taskCall is an async host call of a task.
type taskCall struct {
	issue    int64 // its issue entry's index
	f        HostFunc
	args     []any
	ctx      context.Context
	inv      *invocation
	complete func(func() error)
	settle   func(any, *Error) error
	decode   func(json.RawMessage) (any, error)
}

// syncCall is a synchronous host call of a task: performed live and
// journaled before the script sees its result, or served from the journal.
func (t *taskState) syncCall(ctx context.Context, inv *invocation, f HostFunc, args []any) (any, *Error) {
	req := mustJSON(args)
	e, err := t.want(kilntype.JournalHost, f.Name, req, "called")
	if err != nil {
		return nil, err
	}
	if e != nil {
		if e.Error != nil {
			return nil, entryError(e)
		}
		return decodeAny(e.Value)
	}
	if err := t.flushVolatile(); err != nil {
		return nil, err
	}
	result, callErr := t.vm.gate.call(ctx, inv, f, args)
	entry := kilntype.JournalEntry{Kind: kilntype.JournalHost, Name: f.Name, Request: req, Error: execError(callErr)}
	if callErr == nil {
		entry.Value = mustJSON(result)
	}
	if err := t.step(&TaskStep{Entries: []kilntype.JournalEntry{entry}}); err != nil {
		return nil, err
	}
	if callErr != nil || t.recordOnly {
		return result, callErr
	}
	return decodeAny(entry.Value)
}

// asyncCall is callAsync for a task: the call's issue is journaled; live,
// it is performed and its result journaled when the loop delivers it;
// replaying, it waits for the journal to deliver its result, or is
// performed once the journal ends without one.
func (t *taskState) asyncCall(ctx context.Context, inv *invocation, f HostFunc, args []any, settle func(any, *Error) error, decode func(json.RawMessage) (any, error)) {
	req := mustJSON(args)
	e, err := t.want(kilntype.JournalCall, f.Name, req, "called")
	if err != nil {
		return
	}
	c := &taskCall{f: f, args: args, ctx: ctx, inv: inv, complete: inv.loop.reserve(), settle: settle, decode: decode}
	if e != nil {
		c.issue = e.Index
		if !t.replaying() {
			// Its issue was the journal's last entry: perform it now.
			t.dispatch(c)
			return
		}
		if t.calls == nil {
			t.calls = map[int64]*taskCall{}
		}
		t.calls[c.issue] = c
		t.pending = append(t.pending, c)
		return
	}
	c.issue = t.record(kilntype.JournalEntry{Kind: kilntype.JournalCall, Name: f.Name, Request: req}, false)
	if err := t.flushVolatile(); err != nil {
		return
	}
	t.dispatch(c)
}

// callKey is an async call's idempotency key: the task and the index of
// the call's issue entry, the same in every replay.
func (t *taskState) callKey(c *taskCall) string {
	return t.cfg.ID + ":" + strconv.FormatInt(c.issue, 10)
}

// dispatch performs c off the VM's goroutine; its result is journaled
// when the loop delivers it.
func (t *taskState) dispatch(c *taskCall) {
	if t.cfg.ReplayOnly {
		return // performed by nothing: the loop's next wait ends the replay
	}
	key := t.callKey(c)
	go func() {
		result, err := t.vm.gate.callKeyed(c.ctx, c.inv, c.f, c.args, key)
		c.complete(func() error { return t.completeLive(c, result, err) })
	}()
}

// completeLive journals a live call's result, durably, then settles it.
func (t *taskState) completeLive(c *taskCall, result any, callErr *Error) error {
	entry := kilntype.JournalEntry{Kind: kilntype.JournalHost, Name: c.f.Name,
		Request: strconv.AppendInt([]byte(`{"call":`), c.issue, 10), Error: execError(callErr)}
	if callErr == nil {
		entry.Value = mustJSON(result)
		entry.Request = append(entry.Request, '}')
	} else {
		entry.Request = append(entry.Request, '}')
	}
	if err := t.step(&TaskStep{Entries: []kilntype.JournalEntry{entry}}); err != nil {
		return err
	}
	if t.recordOnly {
		return c.settle(result, callErr)
	}
	return t.settleFrom(c, &entry)
}

// settleFrom settles c with what entry holds.
func (t *taskState) settleFrom(c *taskCall, e *kilntype.JournalEntry) error {
	if e.Error != nil {
		return c.settle(nil, entryError(e))
	}
	v, err := c.decode(e.Value)
	if err != nil {
		return c.settle(nil, Errorf(CodeInternal, "%s: the journaled result could not be read back", c.f.Name))
	}
	return c.settle(v, nil)
}

// decodeAny reads a journaled value as the JSON-like Go value toJS takes.
func decodeAny(v json.RawMessage) (any, *Error) {
	if len(v) == 0 {
		return nil, nil
	}
	var out any
	if err := json.Unmarshal(v, &out); err != nil {
		return nil, Errorf(CodeInternal, "a journaled value could not be read back")
	}
	return out, nil
}

func decodeAnyErr(v json.RawMessage) (any, error) {
	out, err := decodeAny(v)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// goLive runs when the journal has been served to its end: calls issued
// while replaying that it holds no result of are performed now, in the
// order they were issued, and a pending receive looks at the inbox.
func (t *taskState) goLive() {
	if t.cfg.ReplayOnly {
		return // the loop's next wait ends the replay
	}
	if t.cfg.OnLive != nil {
		t.cfg.OnLive()
	}
	for _, c := range t.pending {
		if t.calls[c.issue] == c {
			t.dispatch(c)
		}
	}
	t.pending, t.calls = nil, nil
	if t.waiter != nil && !t.waiter.blocking {
		t.vm.loop.post(t.checkInbox)
	}
}

// deliverNext serves the journal's next delivery while replaying: a call's
// result, a timer, an event or a receive's timeout. Anything else the
// journal holds next is something the script would have asked for while
// it ran, and it is waiting instead: a divergence.
func (t *taskState) deliverNext(l *loop) error {
	e := &t.journal[t.pos]
	switch e.Kind {
	case kilntype.JournalHost:
		var req struct {
			Call *int64 `json:"call"`
		}
		if json.Unmarshal(e.Request, &req) != nil || req.Call == nil {
			break
		}
		c := t.calls[*req.Call]
		if c == nil || c.f.Name != e.Name {
			break
		}
		delete(t.calls, *req.Call)
		t.served(e)
		c.complete(func() error { return t.settleFrom(c, e) })
		return nil
	case kilntype.JournalTimer:
		id, err := strconv.Atoi(string(e.Value))
		tm := l.byID[id]
		if err != nil || tm == nil || tm.own {
			break
		}
		t.served(e)
		return l.fire(tm)
	case kilntype.JournalReceive, kilntype.JournalTimeout:
		w := t.waiter
		if w == nil || w.blocking {
			break
		}
		t.served(e)
		return t.deliver(w, e)
	}
	return t.diverge(e, "is waiting for an event, a timer or a call's result")
}
