package engine

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/dop251/goja"
	"github.com/dop251/goja/parser"
	"github.com/kiln-run/kiln/engine/web"
	"github.com/kiln-run/kiln/engine/web/urlapi"
)

//go:embed prelude.js
var preludeSource string

// preludeProgram is compiled once per process; a goja.Program is immutable
// and may run in many runtimes.
var preludeProgram = sync.OnceValue(func() *goja.Program {
	return goja.MustCompile("kiln:prelude.js", preludeSource, true)
})

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
	broken   bool // an invocation was interrupted mid-way; state may be torn
	started  time.Time
	jsonCall goja.Callable // JSON.stringify, captured before scripts run
	jsonObj  goja.Value
	parse    goja.Callable // the original JSON.parse, for inputs
	regexp2  map[string]bool
	promise  *goja.Object
	// errorCtor is the original Error constructor, for host-call errors.
	errorCtor goja.Constructor
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
	vm := &VM{engine: e, rt: goja.New(), started: e.cfg.Clock.Now(), regexp2: map[string]bool{}}
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
	var handler goja.Value
	res := vm.run(ctx, InvokeParams{}, func(inv *invocation) (goja.Value, error) {
		factory, err := rt.RunProgram(p.program)
		if err != nil {
			return nil, err
		}
		fn, ok := goja.AssertFunction(factory)
		if !ok {
			return nil, Errorf(CodeInternal, "bundle did not produce a module factory")
		}
		module := rt.NewObject()
		exports := rt.NewObject()
		_ = module.Set("exports", exports)
		if _, err := fn(goja.Undefined(), module, exports); err != nil {
			return nil, err
		}
		handler = findHandler(rt, module.Get("exports"))
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
// and should be discarded.
func (vm *VM) Usable() bool {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	return !vm.broken
}

// install sets up the sandbox and every global a script may use.
func (vm *VM) install() error {
	rt := vm.rt
	cfg := vm.engine.cfg
	rt.SetMaxCallStackSize(cfg.MaxCallStackSize)
	rt.SetParserOptions(parser.WithDisableSourceMaps)
	rt.SetTimeSource(cfg.Clock.Now)
	rt.SetRandSource(cfg.Random.Float64)
	rt.SetPromiseRejectionTracker(func(p *goja.Promise, op goja.PromiseRejectionOperation) {
		if vm.inv != nil {
			vm.inv.trackRejection(p, op)
		}
	})

	// Capture the built-ins the engine itself relies on before any script
	// code could replace them.
	jsonObj := rt.Get("JSON").ToObject(rt)
	vm.jsonObj = jsonObj
	vm.jsonCall, _ = goja.AssertFunction(jsonObj.Get("stringify"))
	vm.parse, _ = goja.AssertFunction(jsonObj.Get("parse"))
	vm.promise = rt.Get("Promise").ToObject(rt)
	vm.errorCtor, _ = goja.AssertConstructor(rt.Get("Error"))

	natives := rt.NewObject()
	_ = natives.Set("violation", func(what string) goja.Value {
		vm.interrupt(Errorf(CodeSandboxViolation, "%s", what))
		return goja.Undefined()
	})
	_ = natives.Set("charge", func(bytes float64, what string) goja.Value {
		vm.charge(int64(bytes), what)
		return goja.Undefined()
	})
	_ = natives.Set("estimateJSON", func(text string) float64 { return float64(estimateJSON(text)) })
	_ = natives.Set("checkStringify", func(v goja.Value) string {
		if err := vm.checkStringify(v); err != nil {
			return err.Error()
		}
		return ""
	})
	prelude, err := rt.RunProgram(preludeProgram())
	if err != nil {
		return fmt.Errorf("prelude: %w", err)
	}
	setup, _ := goja.AssertFunction(prelude)
	if _, err := setup(goja.Undefined(), natives); err != nil {
		return fmt.Errorf("prelude: %w", err)
	}
	vm.guardRegExp()

	if err := web.Install(rt, web.Host{
		Random:      cfg.Random.Read,
		SetTimeout:  vm.setBackgroundTimeout,
		ReportError: vm.reportListenerError,
		Fetch:       vm.fetch,
	}); err != nil {
		return err
	}
	if err := urlapi.Install(rt); err != nil {
		return err
	}
	vm.installConsole()
	vm.installTimers()
	vm.installPerformance()
	return vm.installModules(cfg.Modules)
}

// setBackgroundTimeout runs fn on the loop after ms, without keeping the
// invocation alive for it (AbortSignal.timeout's timer, like Node's unref).
func (vm *VM) setBackgroundTimeout(ms float64, fn func()) func() {
	if vm.inv == nil {
		return func() {}
	}
	loop := vm.inv.loop
	id := loop.addNativeTimer(time.Duration(min(max(ms, 0), maxTimerMs)*float64(time.Millisecond)), fn)
	return func() { loop.clearTimer(id) }
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
func (vm *VM) charge(bytes int64, what string) {
	inv := vm.inv
	if inv == nil || inv.memory == nil {
		return
	}
	if rem := inv.memory.remaining(); bytes > rem {
		inv.interrupt(&Error{Code: CodeMemoryLimit, Message: fmt.Sprintf(
			"%s would allocate about %s, more than the %s left of this script's %s memory limit",
			what, formatBytes(bytes), formatBytes(max(rem, 0)), formatBytes(inv.memory.limit))})
	}
}

// bytesPerJSONValue is a conservative size of one value in JSON text.
const bytesPerJSONValue = 8

// checkStringify refuses values JSON.stringify cannot write safely in one
// native call: nested too deep (a RangeError, catchable), or expanding past
// the memory budget (MEMORY_LIMIT).
func (vm *VM) checkStringify(v goja.Value) error {
	shape := measureJSON(v)
	if shape.depth > maxJSONNesting {
		return errTooDeep
	}
	if n := shape.values * bytesPerJSONValue; n > 1<<16 {
		vm.charge(n, "JSON.stringify")
	}
	return nil
}

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

// guardRegExp wraps the RegExp methods that run a match (exec, test and
// the Symbol.match/matchAll/replace/search/split protocol) so that a
// backtracking match that hit regexp2's match timeout fails the invocation
// with TIMEOUT instead of silently reporting "no match".
func (vm *VM) guardRegExp() {
	rt := vm.rt
	proto := rt.Get("RegExp").ToObject(rt).Get("prototype").ToObject(rt)
	limit := vm.engine.cfg.RegexpTimeout
	guard := func(name string, orig goja.Callable) goja.Value {
		f := rt.ToValue(func(call goja.FunctionCall) goja.Value {
			start := time.Now()
			v, err := orig(call.This, call.Arguments...)
			if err != nil {
				panic(err)
			}
			if elapsed := time.Since(start); elapsed >= limit && vm.backtracks(call.This) {
				vm.interrupt(Errorf(CodeTimeout, "a regular expression ran for %s in one call and was stopped: it backtracks catastrophically on this input; simplify the pattern (avoid nested quantifiers combined with backreferences or lookarounds)", elapsed.Round(time.Millisecond)))
			}
			return v
		}).ToObject(rt)
		_ = f.DefineDataProperty("name", rt.ToValue(name), goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_TRUE)
		return f
	}
	for _, name := range []string{"exec", "test"} {
		if orig, ok := goja.AssertFunction(proto.Get(name)); ok {
			_ = proto.DefineDataProperty(name, guard(name, orig), goja.FLAG_TRUE, goja.FLAG_FALSE, goja.FLAG_TRUE)
		}
	}
	symbols := rt.Get("Symbol").ToObject(rt)
	for _, name := range []string{"match", "matchAll", "replace", "search", "split"} {
		sym, ok := symbols.Get(name).Export().(*goja.Symbol)
		if !ok {
			continue
		}
		if orig, ok := goja.AssertFunction(proto.GetSymbol(sym)); ok {
			_ = proto.DefineDataPropertySymbol(sym, guard("[Symbol."+name+"]", orig), goja.FLAG_TRUE, goja.FLAG_FALSE, goja.FLAG_TRUE)
		}
	}
}

// backtracks reports whether re is run by the backtracking engine (regexp2)
// rather than Go's linear-time regexp: only patterns Go cannot express.
func (vm *VM) backtracks(re goja.Value) bool {
	obj, ok := re.(*goja.Object)
	if !ok {
		return false
	}
	src := obj.Get("source").String()
	flags := obj.Get("flags").String()
	key := flags + "/" + src
	if v, ok := vm.regexp2[key]; ok {
		return v
	}
	_, err := parser.TransformRegExp(src, strings.Contains(flags, "s"), strings.Contains(flags, "u"))
	v := err != nil
	vm.regexp2[key] = v
	return v
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
