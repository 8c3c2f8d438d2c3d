package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kiln-run/kiln/engine/internal/web"
	"github.com/kiln-run/kiln/internal/goja"
	"github.com/kiln-run/kiln/internal/goja/parser"
	"github.com/kiln-run/kiln/redact"
)

// VM is a sandboxed JavaScript runtime bound to one Program. It runs one
// invocation at a time; Invoke serializes callers. A VM never serves another
// program (and so never another tenant).
type VM struct {
	engine  *Engine
	program *Program
	rt      *goja.Runtime
	handler goja.Callable
	gate    gate

	mu       sync.Mutex // held for a whole invocation
	inv      *invocation
	loop     *loop       // the invocations' event loop, reset for each
	deadline *time.Timer // interrupts the armed invocation at its deadline
	// armed is the invocation the deadline timer watches. The timer holds
	// it rather than the VM: a stopped timer can stay in the Go runtime's
	// timer heap until its time passes, and must not keep a dropped VM
	// (and all its script held) alive until then.
	armed  *armedDeadline
	broken bool // an invocation was interrupted mid-way; state may be torn
	// secrets are the secret values the VM's script has been handed, in
	// any of its runs (secrets.go); never nil.
	secrets     *redact.Set
	started     time.Time
	jsonCall    goja.Callable // JSON.stringify, captured before scripts run
	jsonObj     goja.Value
	parse       goja.Callable   // the original JSON.parse, for inputs
	plain       plainProtos     // for appendPlain
	plainBuf    []byte          // appendPlain's buffer, kept between invocations
	plainKeys   []string        // appendPlain's keys, kept between invocations
	meta        metaMaker       // makes ctx
	httpLast    lastRequest     // the last HTTP input's method and path
	handlerArgs [2]goja.Value   // the handler's arguments, during a call
	regexp2     map[string]bool // by flags/source: does regexp2 run it?
	promise     *goja.Object
	// errorCtor is the original Error constructor, for host-call errors.
	errorCtor goja.Constructor

	scope           *globalScope // resolves the global object's names
	web             *web.Globals
	url             [2]*goja.Object // URL and URLSearchParams, once built
	functionThrower *goja.Object    // Function and Function.prototype.constructor
	guarded         struct {        // guards installed on demand
		async, generator, regexp bool
		json, reflect            bool
		bigint                   bool
		ctors                    map[string]*goja.Object // guarded ArrayBuffer and typed arrays
		makeGuard                goja.Callable           // the prelude's constructor guard maker
		species                  *goja.Object
		// typedArrayLength is %TypedArray%.prototype's original length
		// getter, captured before any script can replace it.
		typedArrayLength *goja.Object
	}
	// getOwnPropertyDescriptor is the original, for the guards' length
	// checks (guards_arraylike.go plainLength).
	getOwnPropertyDescriptor goja.Callable
	// task is set for a durable task's VM (task.go): its clock, randomness
	// and host calls go through the task's journal.
	task *taskState
	// rec records an ordinary invocation's journal (InvokeParams.Record).
	rec *taskState
	// building holds what a guard builds step by step (guards_splice.go),
	// for the meter's walk to see until the guard returns it.
	building []goja.Value
}

// NewVM creates a VM for p: installs the sandbox, the web globals and the
// engine's host modules, runs the program's module code under the engine's
// default limits, and finds its handler (default export, `handler`, `Main`,
// or a CommonJS function export).
func (e *Engine) NewVM(ctx context.Context, p *Program) (*VM, error) {
	vm, err := e.NewBlankVM()
	if err != nil {
		return nil, err
	}
	if err := vm.Bind(ctx, p); err != nil {
		return nil, err
	}
	return vm, nil
}

// NewBlankVM creates a pre-warmed VM: the sandbox, the web globals and the
// host modules are installed, but no program is bound yet. The pool keeps a
// few of these so that a cold start only has to run the script's own
// module code. Bind it before invoking it.
func (e *Engine) NewBlankVM() (*VM, error) {
	vm := &VM{engine: e, rt: goja.New(), started: e.cfg.Clock.Now(), secrets: &redact.Set{}}
	vm.gate = gate{vm: vm}
	if err := vm.install(); err != nil {
		return nil, fmt.Errorf("set up VM: %w", err)
	}
	return vm, nil
}

// Bind runs p's module code in a blank VM and finds its handler. A VM is
// bound once, for life; a VM whose Bind failed must be dropped.
func (vm *VM) Bind(ctx context.Context, p *Program) error {
	if vm.program != nil {
		return Errorf(CodeInternal, "the VM is already bound to %s", vm.program.Name)
	}
	vm.program = p
	rt := vm.rt
	// The intrinsics only syntax can create are guarded before the program
	// can create them (syntax.go).
	vm.guardSyntax(p.syntax)
	var handler goja.Value
	res := vm.run(ctx, InvokeParams{}, func(inv *invocation) (goja.Value, error) {
		exports, err := newLinker(vm, p).load(p.Name)
		if err != nil {
			return nil, err
		}
		handler = findHandler(rt, exports)
		return goja.Undefined(), nil
	})
	if res.Err != nil {
		vm.markBroken()
		return res.Err
	}
	fn, ok := goja.AssertFunction(handler)
	if !ok {
		vm.markBroken()
		return &Error{Code: CodeRuntimeError, Position: p.Name,
			Message: "the script exports no handler: add `export default async function (input, ctx) { … }`, or export a function named `handler` or `Main`"}
	}
	vm.handler = fn
	// What the runtime holds outside goja's own roots: the handler (and
	// through its scopes the module's state) and the loop's timers.
	rt.SetMemoryRoots(func(visit func(goja.Value)) {
		visit(handler)
		if vm.loop != nil {
			vm.loop.visitRoots(visit)
		}
		for _, v := range vm.building {
			visit(v)
		}
	})
	return nil
}

// markBroken keeps a VM whose program could not load from ever running.
func (vm *VM) markBroken() {
	vm.mu.Lock()
	vm.broken = true
	vm.mu.Unlock()
}

func findHandler(rt *goja.Runtime, exports goja.Value) goja.Value {
	if _, ok := goja.AssertFunction(exports); ok {
		return exports
	}
	obj, ok := exports.(*goja.Object)
	if !ok {
		return nil
	}
	for _, name := range []string{"default", "handler", "Main"} {
		if v := obj.Get(name); v != nil {
			if _, ok := goja.AssertFunction(v); ok {
				return v
			}
			// `export default { handler() {} }` style.
			if o, ok := v.(*goja.Object); ok && name == "default" {
				if h := findHandler(rt, o); h != nil {
					return h
				}
			}
		}
	}
	return nil
}

// Program returns the program the VM is bound to.
func (vm *VM) Program() *Program { return vm.program }

// Usable reports whether the VM may run another invocation. A VM whose
// invocation was interrupted (timeout, memory, sandbox) may hold torn state
// and should be discarded, as should one that holds many secret values
// (secrets.go).
func (vm *VM) Usable() bool {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	return !vm.broken && !vm.secretsRetire()
}

// install sets up the sandbox and every global a script may use. Most
// globals are built the first time a script reads them (globals.go); what
// is done here is what a script can reach without naming a global.
func (vm *VM) install() error {
	rt := vm.rt
	cfg := vm.engine.cfg
	rt.SetMaxCallStackSize(cfg.MaxCallStackSize)
	rt.SetParserOptions(parser.WithDisableSourceMaps)
	rt.SetTimeSource(vm.now)
	rt.SetRandSource(vm.randomFloat)
	rt.SetPromiseRejectionTracker(func(p *goja.Promise, op goja.PromiseRejectionOperation) {
		if vm.inv != nil {
			vm.inv.trackRejection(p, op)
		}
	})
	vm.scope = newGlobalScope(vm, globals())
	for _, m := range cfg.Modules {
		for _, f := range m.Funcs {
			root, _, _ := strings.Cut(f.Name, ".")
			if !slices.Contains(vm.scope.modules, root) {
				vm.scope.modules = append(vm.scope.modules, root)
			}
		}
	}

	// Capture the built-ins the engine itself relies on from goja's own
	// global object, which no script can reach.
	jsonObj := vm.scope.builtin("JSON")
	vm.jsonObj = jsonObj
	vm.jsonCall, _ = goja.AssertFunction(jsonObj.Get("stringify"))
	vm.parse, _ = goja.AssertFunction(jsonObj.Get("parse"))
	vm.plain = plainProtos{object: rt.NewObject().Prototype(), array: rt.NewArray().Prototype()}

	vm.guardFunctionPrototype()
	vm.guardArrays()
	vm.guardStrings()
	vm.guardObjectKeys(vm.scope.builtin("Object"))
	vm.web = web.NewGlobals(rt, web.Host{
		Random:      vm.randomRead,
		SetTimeout:  vm.setBackgroundTimeout,
		ReportError: vm.reportListenerError,
		Fetch:       vm.fetch,
		Builtin:     vm.guardedBuiltin,
		Charge:      vm.chargeIf,
	})
	return nil
}

// now is the time a script reads: the engine's clock, or a task's journal.
func (vm *VM) now() time.Time {
	if vm.task != nil && vm.inv != nil {
		return vm.task.now()
	}
	return vm.engine.cfg.Clock.Now()
}

// randomFloat is Math.random's source.
func (vm *VM) randomFloat() float64 {
	if vm.task != nil && vm.inv != nil {
		return vm.task.randomFloat()
	}
	return vm.engine.cfg.Random.Float64()
}

// randomRead is crypto randomness's source.
func (vm *VM) randomRead(p []byte) {
	if vm.task != nil && vm.inv != nil {
		vm.task.randomRead(p)
		return
	}
	vm.engine.cfg.Random.Read(p)
}

// setBackgroundTimeout runs fn on the loop after ms, without keeping the
// invocation alive for it (AbortSignal.timeout's timer, like Node's unref).
func (vm *VM) setBackgroundTimeout(ms float64, fn func()) func() {
	if vm.inv == nil {
		return func() {}
	}
	loop := vm.inv.loop
	id := loop.addNativeTimer(time.Duration(min(max(ms, 0), maxTimerMs)*float64(time.Millisecond)), fn)
	gen := loop.gen
	return func() {
		if loop.gen == gen { // the loop is reused; ids start again in each invocation
			loop.clearTimer(id)
		}
	}
}

// reportListenerError fails the invocation with an exception an event
// listener threw, as an uncaught exception would in Node.
func (vm *VM) reportListenerError(err error) {
	if vm.inv == nil {
		return
	}
	var ex *goja.Exception
	if errors.As(err, &ex) {
		vm.inv.interrupt(vm.errorFromValue(ex.Value()))
	}
}

// interrupt stops the running script with err. The VM's state may then be
// torn, so the VM is retired after the invocation.
func (vm *VM) interrupt(err *Error) {
	if vm.inv != nil {
		vm.inv.interrupt(err)
	}
}

// charge is called by guarded built-ins before a large native allocation.
// It reports whether the allocation may go ahead; if not, it has
// interrupted the invocation, and the caller must not allocate.
func (vm *VM) charge(bytes int64, what string) bool {
	inv := vm.inv
	if inv == nil {
		return true
	}
	if rem := vm.rt.MemoryRemaining(); bytes > rem {
		inv.interrupt(&Error{Code: CodeMemoryLimit, Message: fmt.Sprintf(
			"%s would allocate about %s, more than the %s left of this script's %s memory limit",
			what, formatBytes(bytes), formatBytes(max(rem, 0)), formatBytes(vm.rt.MemoryLimit()))})
		return false
	}
	return true
}

// stopped reports whether the running invocation was interrupted.
func (vm *VM) stopped() bool {
	return vm.inv != nil && vm.inv.firstInterrupt() != nil
}

// bytesPerJSONValue is a conservative size of one value in JSON text.
const bytesPerJSONValue = 8

// measureStringify refuses values JSON.stringify cannot write safely in
// one native call: nested too deep (a RangeError, catchable), or expanding
// past the memory budget (MEMORY_LIMIT), for JSON indented by gap
// characters a level. It returns the lower bound of the JSON's size it
// charged.
func (vm *VM) measureStringify(v goja.Value, gap int64) (int64, error) {
	return vm.checkShape(vm.measureJSON(v), gap)
}

// checkShape is measureStringify for a value already measured.
func (vm *VM) checkShape(shape jsonShape, gap int64) (int64, error) {
	if shape.depth > maxJSONNesting {
		return 0, errTooDeep
	}
	// With a gap every value is on a line of its own, indented.
	n := min(shape.values*(bytesPerJSONValue+gap)+shape.bytes, maxJSONCount)
	if n > 1<<16 && !vm.charge(n, "JSON.stringify") {
		return n, errOverBudget // the invocation is interrupted with MEMORY_LIMIT
	}
	return n, nil
}

var errOverBudget = errors.New("the value's JSON would not fit in the script's memory limit")

var errTooDeep = fmt.Errorf("the value is nested more than %d levels deep", maxJSONNesting)

// estimateJSON bounds the memory JSON.parse needs for text: the strings it
// copies plus a value slot and container overhead per token.
func estimateJSON(text string) int64 {
	tokens := int64(1)
	for i := 0; i < len(text); i++ {
		switch text[i] {
		case ',', ':', '[', '{':
			tokens++
		}
	}
	return int64(len(text)) + tokens*48
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
