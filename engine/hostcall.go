package engine

import (
	"context"
	"errors"
	"fmt"
	"github.com/kiln-run/kiln/kilntype"
	"regexp"
	"time"
)

// Module is a named group of host functions, such as the iota SDK's db
// calls. Each function appears to scripts at its dotted Name.
type Module struct {
	Name  string
	Funcs []HostFunc
}

// HostFunc is a Go function that scripts can call. Every call, sync or
// async, passes through the VM's single gate, which records it and is where
// quotas, tenant scoping, tracing and the task journal live.
type HostFunc struct {
	// Name is where the function appears, e.g. "iota.db.query".
	Name string
	// Async functions run off the VM's goroutine and return a promise;
	// sync functions return their value directly and must be quick.
	Async bool
	// Output marks a function that only writes the run's output (iota.log):
	// it gives the script nothing to depend on, so a durable task performs
	// it without journaling it, and a replay performs it again.
	Output bool
	// Fn does the work. Args are JSON-like values (nil, bool, float64/int64,
	// string, []any, map[string]any). Its result is converted the same way.
	// Return an *Error to give the script a stable err.code; any other error
	// reaches the script as INTERNAL with no Go details.
	Fn func(ctx context.Context, call HostCall) (any, error)
}

var hostNamePattern = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*(\.[A-Za-z_$][A-Za-z0-9_$]*)+$`)

func (f HostFunc) validate() error {
	if !hostNamePattern.MatchString(f.Name) {
		return fmt.Errorf("host function name %q must be a dotted path such as \"iota.db.query\"", f.Name)
	}
	if f.Fn == nil {
		return fmt.Errorf("host function %q has no Fn", f.Name)
	}
	return nil
}

// HostCall is one call from a script.
type HostCall struct {
	// Name is the function's dotted name.
	Name string
	// Args are the script's arguments, converted to JSON-like Go values.
	Args []any
	// Meta identifies the invocation (tenant, script, execution) so that the
	// host function can scope what it touches.
	Meta Meta
	// IdempotencyKey is set for the calls of a durable task: the task's ID
	// and the journal index of the call, the same each time the task is
	// replayed and the call performed again (an effect outside Kiln is
	// at-least-once). Forward it to services that deduplicate by key.
	IdempotencyKey string

	inv *invocation // the calling invocation, for Log (hostlog.go)
}

// HostCallRecord is what the gate keeps of each call.
type HostCallRecord struct {
	Name     string        `json:"name"`
	Duration time.Duration `json:"durationNs"`
	// Error is the error code the call ended with, or "".
	Error Code `json:"error,omitempty"`
}

// gate is the one path from a script to the outside world.
type gate struct {
	vm *VM
}

// call runs f for inv and records it. It may run on any goroutine: it reads
// nothing from the VM but its immutable engine config.
func (g gate) call(ctx context.Context, inv *invocation, f HostFunc, args []any) (any, *Error) {
	return g.callKeyed(ctx, inv, f, args, "")
}

// callKeyed is call with a task's idempotency key for the call.
func (g gate) callKeyed(ctx context.Context, inv *invocation, f HostFunc, args []any, key string) (any, *Error) {
	clock := g.vm.engine.cfg.Clock
	start := clock.Now()
	i := inv.startHostCall(f.Name)
	var end func(Code)
	if hook := g.vm.engine.cfg.OnHostCall; hook != nil {
		ctx, end = hook(ctx, inv.meta, f.Name)
	}
	var result any
	var fnErr error
	if guard := g.vm.engine.cfg.HostCallGuard; guard != nil {
		fnErr = guard(ctx, inv.meta, f.Name)
	}
	if fnErr == nil {
		result, fnErr = callFn(ctx, f, HostCall{Name: f.Name, Args: args, Meta: inv.meta, IdempotencyKey: key, inv: inv})
	}
	err := scriptError(fnErr)
	var code Code
	if err != nil {
		code = err.Code
	}
	inv.finishHostCall(i, clock.Now().Sub(start), code)
	if end != nil {
		end(code)
	}
	return result, err
}

// callFn calls f.Fn, turning a panic into an INTERNAL error: an async host
// function runs on a goroutine of its own, where a panic would end the
// process. The panic's text stays out of the script's view, as any Go
// error's does.
func callFn(ctx context.Context, f HostFunc, call HostCall) (result any, err error) {
	defer func() {
		if p := recover(); p != nil {
			result, err = nil, Errorf(CodeInternal, "%s crashed inside Kiln; the run can go on, but tell the operator", f.Name)
		}
	}()
	return f.Fn(ctx, call)
}

// scriptError turns a host function's error into what a script may see: an
// *Error with a stable code. Go error text is never passed through unless the
// function chose it by returning an *Error or a *kilntype.Error (the one
// error type of the rest of Kiln, whose codes are the same table's).
func scriptError(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var ke *kilntype.Error
	if errors.As(err, &ke) && ke.Code != kilntype.EInternal && ke.Code.Info().Script {
		return &Error{Code: ke.Code, Message: ke.Message}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return Errorf(CodeTimeout, "the call did not finish before the script's timeout")
	}
	if errors.Is(err, context.Canceled) {
		return Errorf(CodeCancelled, "the call was cancelled")
	}
	return Errorf(CodeInternal, "the call failed inside Kiln; the error was logged for the operator")
}
