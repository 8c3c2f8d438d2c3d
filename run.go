package kiln

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/kiln-run/kiln/engine"
	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/pool"
	"github.com/kiln-run/kiln/store"
)

// RunParams is one execution to perform: which script, why, with what.
type RunParams struct {
	// TenantID or TenantSlug names the tenant; the ID wins when both are
	// set.
	TenantID, TenantSlug string
	// ScriptID or ScriptName names the script; the ID wins when both are
	// set. A name finds the tenant's script that is not archived.
	ScriptID, ScriptName string
	// Trigger is why it runs; kilntype.MayRun decides whether the script
	// may run under it. Required.
	Trigger kilntype.Trigger
	// Input is the handler's input as JSON; empty means null. Run checks
	// that it is valid JSON.
	Input json.RawMessage
	// HTTP, for the HTTP trigger, is the request the handler gets; Run
	// writes it as the input (leave Input empty). The HTTP adapter uses it:
	// the input needs no second reading to be known valid.
	HTTP *kilntype.HTTPInput
	// Async answers once the pending record is durable, with the execution
	// pending; the run goes on in the background (shutdown still ends it).
	Async bool
	// TraceParent and TraceState are the W3C trace context (the
	// traceparent and tracestate headers) of the request that caused the
	// run, if any: with tracing on, the run's span is a child of it. A span
	// in ctx (a host's own) is the parent otherwise.
	TraceParent, TraceState string
}

// RunResult is a run's outcome.
type RunResult struct {
	// Execution is the run's record: status, output, error, logs. A
	// script's failure is here, in Error, not in Run's error.
	Execution *kilntype.Execution
	// Response is the web Response an HTTP handler returned, if it
	// returned one (Execution.Output then holds it as JSON).
	Response *engine.HTTPResponse
}

// Run runs a script's current version once and records the execution.
// It is the one path behind every trigger: HTTP, events, cron, manual and
// embedded runs all come here. It returns once the execution's record is
// durable — except for the HTTP trigger, whose record follows within a
// few milliseconds (group commit), and Async runs, which return once the
// pending record is durable.
//
// The error is for what kept the script from running: INVALID_ARGUMENT
// for bad parameters, NOT_FOUND for an unknown tenant or script, CONFLICT
// when the script may not run under the trigger (kilntype.MayRun),
// UNAVAILABLE while shutting down or when the record could not be
// written, OVERLOADED when the pool had no room in time (the result then
// holds the execution, recorded as failed).
func (c *Client) Run(ctx context.Context, p RunParams) (*RunResult, error) {
	if !p.Trigger.Valid() || p.Trigger == kilntype.TriggerTask {
		return nil, kilntype.Errorf(kilntype.EInvalidArgument, "trigger %q must be one of http, event, cron, manual, embedded (a task starts with Spawn)", p.Trigger)
	}
	switch {
	case p.HTTP != nil:
		if p.Trigger != kilntype.TriggerHTTP || len(p.Input) > 0 {
			return nil, kilntype.Errorf(kilntype.EInvalidArgument, "an HTTP request is the input of the http trigger only, and replaces Input")
		}
		p.Input = p.HTTP.AppendJSON(make([]byte, 0, 256))
	case len(p.Input) == 0:
		p.Input = json.RawMessage("null")
	case !json.Valid(p.Input):
		return nil, kilntype.Errorf(kilntype.EInvalidArgument, "the input is not valid JSON")
	}
	tenant, err := c.resolveTenant(ctx, p.TenantID, p.TenantSlug)
	if err != nil {
		return nil, err
	}
	scriptID := p.ScriptID
	if scriptID == "" {
		if p.ScriptName == "" {
			return nil, kilntype.Errorf(kilntype.EInvalidArgument, "name the script to run: a script ID or a script name")
		}
		s, err := c.store.ScriptGetByName(ctx, tenant.ID, p.ScriptName)
		if err != nil {
			return nil, err
		}
		scriptID = s.ID
	}
	return c.run(ctx, runRequest{Tenant: tenant, ScriptID: scriptID, Trigger: p.Trigger, Input: p.Input, HTTP: p.HTTP,
		Durable: p.Trigger != kilntype.TriggerHTTP, Async: p.Async, TraceParent: p.TraceParent, TraceState: p.TraceState})
}

// resolveTenant finds a tenant by ID, else by slug, through the catalog.
func (c *Client) resolveTenant(ctx context.Context, id, slug string) (*kilntype.Tenant, error) {
	var (
		t   *kilntype.Tenant
		err error
	)
	switch {
	case id != "":
		t, err = c.catalog.tenantByID(ctx, id)
	case slug != "":
		t, err = c.catalog.tenant(ctx, slug)
	default:
		return nil, kilntype.Errorf(kilntype.EInvalidArgument, "name the tenant: a tenant ID or slug")
	}
	if kilntype.ErrorCode(err) == kilntype.ENotFound {
		return nil, kilntype.Errorf(kilntype.ENotFound, "no tenant %q", cmp.Or(slug, id))
	}
	return t, err
}

// runRequest is one execution to perform, as the triggers inside this
// package give it.
type runRequest struct {
	Tenant   *kilntype.Tenant
	ScriptID string
	Trigger  kilntype.Trigger
	Input    json.RawMessage
	// HTTP, for the HTTP trigger, is the request Input holds as JSON: the
	// engine builds the handler's input from it directly.
	HTTP *kilntype.HTTPInput
	// Durable makes run wait until the final record is written.
	Durable bool
	// Async returns once the pending record is durable.
	Async bool
	// ExecutionID, if set, is the execution's ID (event deliveries derive
	// it from the delivery and attempt, so a redelivery reuses it).
	ExecutionID string
	// Attempt is the event delivery's attempt (0 means 1).
	Attempt int
	// FirstRun says that no record with ExecutionID was written before: a
	// completed run's record is then written once (ExecutionID and a
	// completed record are never run again).
	FirstRun bool
	// TraceParent and TraceState are RunParams'.
	TraceParent, TraceState string
}

// run is Run's body: look the script up, check it may run, start, run,
// record, and map a pool refusal to OVERLOADED. With tracing on, all of it
// is the run's span.
func (c *Client) run(ctx context.Context, req runRequest) (*RunResult, error) {
	ctx, span := c.tracing.startRun(ctx, &req)
	s, v, err := c.catalog.current(ctx, req.Tenant.ID, req.ScriptID)
	if err != nil {
		span.end(nil, err)
		return nil, err
	}
	span.ran(s, v)
	if err := kilntype.MayRun(s, req.Trigger); err != nil {
		span.end(nil, err)
		return nil, err
	}
	job := runJob{Script: s, Version: v, Caps: req.Tenant.Settings.Caps, runRequest: req}
	exec, err := c.runner.start(job)
	if err != nil {
		span.end(nil, err)
		return nil, err
	}
	if req.Async {
		// Accepted means recorded: the pending record is durable before
		// the answer. The execution outlives the caller's context;
		// shutdown still cancels it.
		if err := c.runner.accept(exec); err != nil {
			span.end(exec, err)
			return nil, err
		}
		pending := *exec
		job := job // the goroutine's own copy: the caller's stays on the stack
		go func() {
			_, err := c.runner.run(context.WithoutCancel(ctx), job, exec)
			span.end(exec, err)
		}()
		return &RunResult{Execution: &pending}, nil
	}
	res, err := c.runner.run(ctx, job, exec)
	span.end(exec, err)
	if err != nil {
		return nil, err
	}
	out := &RunResult{Execution: exec, Response: res.Response}
	if res.Err != nil && res.Err.Code == kilntype.EOverloaded {
		return out, &kilntype.Error{Code: kilntype.EOverloaded, Message: res.Err.Message, Details: map[string]string{"executionId": exec.ID}}
	}
	return out, nil
}

// runner executes script versions on the global VM pool and records every
// execution.
type runner struct {
	engine   *engine.Engine
	pool     *pool.Pool
	recorder *recorder
	metrics  *metrics
	cfg      Config
	store    store.Store // keeps execution journals

	mu     sync.Mutex
	closed bool
	active sync.WaitGroup
	cancel context.CancelFunc // ends every running execution at shutdown
	ctx    context.Context
}

func newRunner(e *engine.Engine, p *pool.Pool, rec *recorder, m *metrics, cfg Config) *runner {
	ctx, cancel := context.WithCancel(context.Background())
	r := &runner{engine: e, pool: p, recorder: rec, metrics: m, cfg: cfg, cancel: cancel}
	r.ctx = context.WithValue(ctx, runnerKey{}, r)
	return r
}

// runnerKey marks a context derived from a runner's own (Client.Context):
// it ends at shutdown already, so a run under it needs no watch of its own.
type runnerKey struct{}

// runJob is a run request with its script, version and the tenant's caps
// looked up.
type runJob struct {
	runRequest
	Script  *kilntype.Script
	Version *kilntype.Version
	// Caps are the tenant's limit caps (zero: none).
	Caps kilntype.Limits
}

// compile turns a version's source into a program (cached by the engine).
func (r *runner) compile(ctx context.Context, s *kilntype.Script, source string) (*engine.Program, error) {
	name := "script.ts"
	if s.Language == "javascript" {
		name = "script.js"
	}
	return r.engine.Compile(ctx, engine.Source{Name: name, Code: source})
}

// start records a pending execution and returns it; finish completes it.
func (r *runner) start(req runJob) (*kilntype.Execution, error) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil, kilntype.Errorf(kilntype.EUnavailable, "the server is shutting down; retry against another node or in a moment")
	}
	r.active.Add(1)
	r.mu.Unlock()
	now := time.Now()
	id := req.ExecutionID
	if id == "" {
		id = kilntype.NewID(now)
	}
	exec := &kilntype.Execution{ID: id, TenantID: req.Script.TenantID, ScriptID: req.Script.ID, Version: req.Version.Number,
		Trigger: req.Trigger, Attempt: max(req.Attempt, 1), Status: kilntype.ExecPending, Input: req.Input, CreatedAt: now.UTC()}
	r.recorder.begin(exec)
	return exec, nil
}

// accept makes a started execution's pending record durable, for a run
// answered as accepted before it ends (an async execute). On error the
// execution is abandoned: it must not be run.
func (r *runner) accept(exec *kilntype.Execution) error {
	if err := <-r.recorder.persistPending(exec); err != nil {
		r.recorder.end(exec)
		r.active.Done()
		return kilntype.Errorf(kilntype.EUnavailable, "execution %s could not be recorded, so it was not started: %v", exec.ID, err)
	}
	return nil
}

// run performs a started execution and records its outcome.
func (r *runner) run(ctx context.Context, req runJob, exec *kilntype.Execution) (*engine.Result, error) {
	defer r.active.Done()
	// Shutdown cancels r.ctx; the caller's ctx may end too (a client gone).
	// A context derived from r.ctx (kiln serve's requests) ends with it
	// already: watching it again would cost nine allocations a run. One
	// detached from it (context.WithoutCancel: an async run) has no Done
	// channel and is watched.
	if ctx.Value(runnerKey{}) != r || ctx.Done() == nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		defer context.AfterFunc(r.ctx, cancel)()
	}
	times := new([2]time.Time) // started and finished, one allocation
	times[0] = time.Now().UTC()
	exec.StartedAt = &times[0]
	exec.Status = kilntype.ExecRunning
	res := r.invoke(ctx, req, exec)
	times[1] = time.Now().UTC()
	exec.FinishedAt = &times[1]
	exec.DurationMs = float64(res.Metrics.Duration.Microseconds()) / 1000
	exec.HostCalls = res.Metrics.HostCalls
	exec.MemoryBytes = res.Metrics.MemoryBytes
	exec.LogsTruncated = res.LogsTruncated
	exec.Logs = make([]kilntype.LogLine, 0, len(res.Logs))
	for _, l := range res.Logs {
		exec.Logs = append(exec.Logs, kilntype.LogLine{Time: l.Time, Level: string(l.Level), Message: l.Message, Fields: l.Fields})
	}
	switch {
	case res.Err == nil:
		exec.Status = kilntype.ExecCompleted
		exec.Output = res.Value
	case res.Err.Code == engine.CodeTimeout:
		exec.Status = kilntype.ExecTimeout
	case res.Err.Code == engine.CodeCancelled:
		exec.Status = kilntype.ExecCancelled
	default:
		exec.Status = kilntype.ExecFailed
	}
	if res.Err != nil {
		exec.Error = &kilntype.ExecutionError{Code: res.Err.Code, Message: res.Err.Message, Position: res.Err.Position, Stack: res.Err.Stack}
	}
	r.metrics.observe(exec)
	record := req.Script.Limits.Record || req.Tenant.Settings.RecordExecutions
	if len(res.Journal) > 0 && ((res.Err != nil && res.Err.Code != kilntype.EOverloaded) || record) {
		r.keepJournal(exec, res)
	}
	pendingQueued := r.recorder.end(exec) // before redaction changes exec's input
	res.Secrets.RedactExecution(exec)     // every secret the VM ever read: it may keep one between runs
	done := r.recorder.record(exec, req.Durable, writtenOnce(pendingQueued, req.runRequest, exec.Status))
	if req.Durable {
		if err := <-done; err != nil {
			return res, fmt.Errorf("record execution %s: %w", exec.ID, err)
		}
	}
	return res, nil
}

// keepJournal stores the journal of a failed (or recorded) execution for
// kiln replay, with the secrets the VM read cut out of it, as from the
// rest of the record. A journal that could not be kept is logged, not
// the execution's failure.
func (r *runner) keepJournal(exec *kilntype.Execution, res *engine.Result) {
	journal := redactJournal(res.Journal, res.Secrets.Redact)
	b, err := json.Marshal(journal)
	if err == nil {
		err = r.store.ExecutionJournalPut(context.Background(), exec.TenantID, exec.ID, exec.CreatedAt, b)
	}
	if err != nil {
		r.cfg.Logger.Warn("keep an execution's journal", "execution", exec.ID, "err", err)
	}
}

// redactJournal cuts secrets out of journal entries: every secret value
// redact finds, and the result of every iota.secrets.get whole.
func redactJournal(journal []kilntype.JournalEntry, redact func(string) string) []kilntype.JournalEntry {
	out := make([]kilntype.JournalEntry, len(journal))
	for i, e := range journal {
		if e.Name == "iota.secrets.get" && len(e.Value) > 0 && (e.Kind == kilntype.JournalHost) {
			e.Value = json.RawMessage(`"[REDACTED]"`)
		}
		if redact != nil && len(e.Request) > 0 {
			e.Request = json.RawMessage(redact(string(e.Request)))
		}
		if redact != nil && len(e.Value) > 0 {
			e.Value = json.RawMessage(redact(string(e.Value)))
		}
		out[i] = e
	}
	return out
}

// invoke runs the version on the pool. A full pool is an OVERLOADED
// execution (the caller answers 429).
func (r *runner) invoke(ctx context.Context, req runJob, exec *kilntype.Execution) *engine.Result {
	key := pool.Key{Tenant: req.Script.TenantID, Script: req.Script.ID, Version: req.Version.Number}
	r.metrics.nameTenant(req.Tenant) // the pool reports the wait by tenant ID
	// The closure takes the two fields it needs, not req (which would move
	// to the heap with it).
	script, source := req.Script, req.Version.SourceCode
	compile := func(ctx context.Context) (*engine.Program, error) {
		return r.compile(ctx, script, source)
	}
	res, err := r.pool.Run(ctx, pool.Job{Key: key, Compile: compile,
		MaxConcurrent: int(effective(int64(req.Script.Limits.MaxConcurrent), int64(req.Caps.MaxConcurrent), 0)),
		Params: engine.InvokeParams{
			Input: req.Input,
			HTTP:  req.HTTP,
			Meta: engine.Meta{TenantID: req.Script.TenantID, ScriptID: req.Script.ID, Version: req.Version.Number,
				ExecutionID: exec.ID, Trigger: req.Trigger, Attempt: exec.Attempt},
			Timeout:     time.Duration(effective(req.Script.Limits.TimeoutMs, req.Caps.TimeoutMs, r.cfg.Timeout.Milliseconds())) * time.Millisecond,
			MemoryLimit: effective(req.Script.Limits.MemoryBytes, req.Caps.MemoryBytes, r.cfg.MemoryBytes),
			OutputBytes: effective(req.Script.Limits.OutputBytes, req.Caps.OutputBytes, r.cfg.OutputBytes),
			Record:      true,
		}})
	switch {
	case errors.Is(err, pool.ErrOverloaded):
		return &engine.Result{Err: engine.Errorf(kilntype.EOverloaded, "the server is at capacity and this execution could not start in time; retry shortly")}
	case err != nil:
		return &engine.Result{Err: asEngineError(err)}
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

// retire keeps only the script's current version's VMs.
func (r *runner) retire(s *kilntype.Script) {
	r.pool.Retire(s.TenantID, s.ID, s.Version)
}

// shutdown refuses new executions and waits for running ones; past ctx's
// deadline it cancels them (they are recorded as cancelled).
func (r *runner) shutdown(ctx context.Context) {
	r.mu.Lock()
	r.closed = true
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
