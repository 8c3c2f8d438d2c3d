package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/kiln-run/kiln"
	"github.com/kiln-run/kiln/engine"
)

// runner executes script versions and records every execution. It keeps a
// few idle VMs per script version; the global VM pool with tenant quotas
// (issue #4) will replace this small cache.
type runner struct {
	engine   *engine.Engine
	recorder *recorder
	metrics  *metrics
	cfg      Config

	mu     sync.Mutex
	idle   map[string][]*engine.VM // by version key
	closed bool
	active sync.WaitGroup
	cancel context.CancelFunc // ends every running execution at shutdown
	ctx    context.Context
}

const maxIdlePerVersion = 4

func newRunner(e *engine.Engine, rec *recorder, m *metrics, cfg Config) *runner {
	ctx, cancel := context.WithCancel(context.Background())
	return &runner{engine: e, recorder: rec, metrics: m, cfg: cfg, idle: map[string][]*engine.VM{}, ctx: ctx, cancel: cancel}
}

// runRequest is one execution to perform.
type runRequest struct {
	Script  *kiln.Script
	Version *kiln.Version
	Trigger string
	Input   json.RawMessage
	// Caps are the tenant's limit caps (zero: none).
	Caps kiln.Limits
	// Durable makes run wait until the final record is written.
	Durable bool
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	// Time-prefixed, so executions sort by creation.
	return fmt.Sprintf("%012x", time.Now().UnixMilli()) + hex.EncodeToString(b[:10])
}

// compile turns a version's source into a program (cached by the engine).
func (r *runner) compile(ctx context.Context, s *kiln.Script, source string) (*engine.Program, error) {
	name := "script.ts"
	if s.Language == "javascript" {
		name = "script.js"
	}
	return r.engine.Compile(ctx, engine.Source{Name: name, Code: source})
}

// start records a pending execution and returns it; finish completes it.
func (r *runner) start(req runRequest) (*kiln.Execution, error) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil, kiln.Errorf(kiln.EUnavailable, "the server is shutting down; retry against another node or in a moment")
	}
	r.active.Add(1)
	r.mu.Unlock()
	exec := &kiln.Execution{ID: newID(), TenantID: req.Script.TenantID, ScriptID: req.Script.ID, Version: req.Version.Number,
		Trigger: req.Trigger, Status: kiln.ExecPending, Input: req.Input, CreatedAt: time.Now().UTC()}
	r.recorder.record(*exec)
	return exec, nil
}

// run performs a started execution and records its outcome.
func (r *runner) run(ctx context.Context, req runRequest, exec *kiln.Execution) (*engine.Result, error) {
	defer r.active.Done()
	// Shutdown cancels r.ctx; the caller's ctx may end too (a client gone).
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(r.ctx, cancel)()
	started := time.Now().UTC()
	exec.StartedAt = &started
	exec.Status = kiln.ExecRunning
	res := r.invoke(ctx, req, exec)
	finished := time.Now().UTC()
	exec.FinishedAt = &finished
	exec.DurationMs = float64(res.Metrics.Duration.Microseconds()) / 1000
	exec.HostCalls = res.Metrics.HostCalls
	exec.MemoryBytes = res.Metrics.MemoryBytes
	exec.LogsTruncated = res.LogsTruncated
	exec.Logs = make([]kiln.LogLine, 0, len(res.Logs))
	for _, l := range res.Logs {
		exec.Logs = append(exec.Logs, kiln.LogLine{Time: l.Time, Level: string(l.Level), Message: l.Message, Fields: l.Fields})
	}
	switch {
	case res.Err == nil:
		exec.Status = kiln.ExecCompleted
		exec.Output = res.Value
	case res.Err.Code == engine.CodeTimeout:
		exec.Status = kiln.ExecTimeout
	case res.Err.Code == engine.CodeCancelled:
		exec.Status = kiln.ExecCancelled
	default:
		exec.Status = kiln.ExecFailed
	}
	if res.Err != nil {
		exec.Error = &kiln.ExecutionError{Code: string(res.Err.Code), Message: res.Err.Message, Position: res.Err.Position, Stack: res.Err.Stack}
	}
	r.metrics.observe(exec)
	done := r.recorder.record(*exec)
	if req.Durable {
		if err := <-done; err != nil {
			return res, fmt.Errorf("record execution %s: %w", exec.ID, err)
		}
	}
	return res, nil
}

func versionKey(s *kiln.Script, v *kiln.Version) string {
	return s.TenantID + "/" + s.ID + "/" + fmt.Sprint(v.Number)
}

// invoke runs the version on an idle VM of it, or a new one.
func (r *runner) invoke(ctx context.Context, req runRequest, exec *kiln.Execution) *engine.Result {
	key := versionKey(req.Script, req.Version)
	vm := r.takeIdle(key)
	if vm == nil {
		prog, err := r.compile(ctx, req.Script, req.Version.SourceCode)
		if err != nil {
			return &engine.Result{Err: asEngineError(err)}
		}
		vm, err = r.engine.NewVM(ctx, prog)
		if err != nil {
			return &engine.Result{Err: asEngineError(err)}
		}
	}
	res := vm.Invoke(ctx, engine.InvokeParams{
		Input: req.Input,
		Meta: engine.Meta{TenantID: req.Script.TenantID, ScriptID: req.Script.ID, Version: req.Version.Number,
			ExecutionID: exec.ID, Trigger: req.Trigger, Attempt: 1},
		Timeout:     time.Duration(effective(req.Script.Limits.TimeoutMs, req.Caps.TimeoutMs, r.cfg.Timeout.Milliseconds())) * time.Millisecond,
		MemoryLimit: effective(req.Script.Limits.MemoryBytes, req.Caps.MemoryBytes, r.cfg.MemoryBytes),
		OutputBytes: effective(req.Script.Limits.OutputBytes, req.Caps.OutputBytes, r.cfg.OutputBytes),
	})
	if vm.Usable() {
		r.putIdle(key, vm)
	}
	return res
}

// effective is the limit a run gets: the script's own, else the server
// default, never above the tenant's cap (zero means unset).
func effective(asked, limit, def int64) int64 {
	v := asked
	if v <= 0 {
		v = def
	}
	if limit > 0 && v > limit {
		v = limit
	}
	return v
}

func (r *runner) takeIdle(key string) *engine.VM {
	r.mu.Lock()
	defer r.mu.Unlock()
	list := r.idle[key]
	if len(list) == 0 {
		return nil
	}
	vm := list[len(list)-1]
	r.idle[key] = list[:len(list)-1]
	return vm
}

func (r *runner) putIdle(key string, vm *engine.VM) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.idle[key]) < maxIdlePerVersion && !r.closed {
		r.idle[key] = append(r.idle[key], vm)
	}
}

// retire drops the idle VMs of a script's old versions.
func (r *runner) retire(s *kiln.Script) {
	r.mu.Lock()
	defer r.mu.Unlock()
	prefix := s.TenantID + "/" + s.ID + "/"
	current := prefix + fmt.Sprint(s.Version)
	for k := range r.idle {
		if len(k) > len(prefix) && k[:len(prefix)] == prefix && k != current {
			delete(r.idle, k)
		}
	}
}

// shutdown refuses new executions and waits for running ones; past ctx's
// deadline it cancels them (they are recorded as cancelled).
func (r *runner) shutdown(ctx context.Context) {
	r.mu.Lock()
	r.closed = true
	r.idle = map[string][]*engine.VM{}
	r.mu.Unlock()
	done := make(chan struct{})
	go func() { r.active.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		r.cancel()
		<-done
	}
	r.cancel()
}

func asEngineError(err error) *engine.Error {
	var e *engine.Error
	if errors.As(err, &e) {
		return e
	}
	return engine.Errorf(engine.CodeInternal, "%v", err)
}
