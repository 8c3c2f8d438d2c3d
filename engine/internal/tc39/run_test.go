package tc39

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing/fstest"
	"time"

	"github.com/kiln-run/kiln/internal/goja"
	"github.com/kiln-run/kiln/internal/goja/ast"
	"github.com/kiln-run/kiln/internal/goja/parser"

	"github.com/kiln-run/kiln/engine"
)

// A test runs in one or two modes (INTERPRETING.md): non-strict and strict
// code. Through Kiln a non-strict run is a CommonJS script (what a .js file
// that assigns module.exports is) and a strict run is an ES module (what a
// script with `export default` is): the two kinds of script Kiln runs. A
// module is strict code by itself, so its run gets no "use strict" prefix:
// the test relies on the module being strict, as a script author does.
type mode string

const (
	sloppy mode = "sloppy"
	strict mode = "strict"
)

// modes returns the modes m asks a test to run in.
func (m *meta) modes() []mode {
	switch {
	case m.hasFlag("raw"), m.hasFlag("noStrict"):
		return []mode{sloppy}
	case m.hasFlag("onlyStrict"):
		return []mode{strict}
	}
	return []mode{sloppy, strict}
}

// runTimeout stops a run that does not end (both runs): a test that loops
// fails rather than hanging the suite.
const runTimeout = 20 * time.Second

// ending is how one run of a test ended, before it is judged against what
// the test expects.
type ending struct {
	// thrown is the name of the error's constructor ("" for a value that is
	// not an error, or when nothing was thrown); threw says whether
	// anything was; early, whether it was thrown before the test's code ran
	// (a syntax error).
	thrown       string
	threw, early bool
	// message describes what was thrown, or what else went wrong.
	message string
	// broken is set when the run failed in a way no test expects (a
	// timeout, a Go panic, a Kiln error other than a thrown exception):
	// it fails the test whatever the test expects.
	broken bool
	// ignored is set when the test threw IgnorableTestError: it needs what
	// the runner does not provide ($262.createRealm).
	ignored bool
	// printed is what the test printed (an async test's $DONE prints).
	printed []string
}

// verdict is a judged run.
type verdict struct {
	pass, ignored bool
	why           string // why it failed
}

// judge compares e with what m expects.
func judge(m *meta, e ending) verdict {
	switch {
	case e.ignored:
		return verdict{ignored: true}
	case e.broken:
		return verdict{why: e.message}
	case m.negativeType != "":
		if !e.threw {
			return verdict{why: fmt.Sprintf("expected %s (%s), nothing was thrown", m.negativeType, m.negativePhase)}
		}
		wantEarly := m.negativePhase == "parse" || m.negativePhase == "early"
		if wantEarly != e.early {
			return verdict{why: fmt.Sprintf("expected a %s error, got one at the other phase: %s", m.negativePhase, e.message)}
		}
		if e.thrown != m.negativeType {
			return verdict{why: fmt.Sprintf("expected %s, got %s", m.negativeType, e.message)}
		}
		return verdict{pass: true}
	case e.threw:
		return verdict{why: e.message}
	case m.hasFlag("async"):
		for _, line := range e.printed {
			if strings.HasPrefix(line, "Test262:AsyncTestFailure:") {
				return verdict{why: line}
			}
		}
		for _, line := range e.printed {
			if line == "Test262:AsyncTestComplete" {
				return verdict{pass: true}
			}
		}
		return verdict{why: "Test262:AsyncTestComplete was not printed"}
	}
	return verdict{pass: true}
}

// harness holds test262's harness files: their text, for Kiln, which runs
// them in one script with the test, and compiled, for bare goja, which runs
// each as a script of its own as test262 runners do.
type harness struct {
	text     map[string]string
	programs map[string]*goja.Program
	// modules holds the harness files as Kiln modules (kilnSource), and
	// the shim, under harness/.
	modules fstest.MapFS
	// sabStub makes SharedArrayBuffer, which goja lacks, throw
	// IgnorableTestError, as goja's own runner does.
	sabStub *goja.Program
}

const sabStubSource = `Object.defineProperty(this, "SharedArrayBuffer", {
	get: function () { throw IgnorableTestError; }, configurable: true
});`

func loadHarness(dir string) (*harness, error) {
	h := &harness{text: map[string]string{}, programs: map[string]*goja.Program{},
		modules: fstest.MapFS{shimModule: {Data: []byte(kilnShim)}}}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		h.text[e.Name()] = string(b)
		if h.programs[e.Name()], err = goja.Compile(e.Name(), string(b), false); err != nil {
			return nil, fmt.Errorf("harness %s: %w", e.Name(), err)
		}
		mod, err := harnessModule(e.Name(), string(b))
		if err != nil {
			return nil, fmt.Errorf("harness %s: %w", e.Name(), err)
		}
		h.modules["harness/"+e.Name()] = &fstest.MapFile{Data: []byte(mod)}
	}
	h.sabStub = goja.MustCompile("sabStub.js", sabStubSource, false)
	return h, nil
}

// includes lists the harness files a test runs before its own code.
func (tc *test) includes() []string {
	if tc.meta.hasFlag("raw") {
		return nil
	}
	list := []string{"assert.js", "sta.js"}
	if tc.meta.hasFlag("async") {
		list = append(list, "doneprintHandle.js")
	}
	return append(list, tc.meta.includes...)
}

// bareRuntime is a goja runtime set up as goja's own test262 runner sets
// one up: $262, print, IgnorableTestError and the SharedArrayBuffer stub
// as globals.
type bareRuntime struct {
	rt        *goja.Runtime
	ignorable goja.Value
	printed   []string
}

func newBareRuntime(h *harness) (*bareRuntime, error) {
	rt := goja.New()
	b := &bareRuntime{rt: rt, ignorable: goja.NewSymbol("IgnorableTestError")}
	t262 := rt.NewObject()
	_ = t262.Set("global", rt.GlobalObject())
	_ = t262.Set("createRealm", func(goja.FunctionCall) goja.Value { panic(rt.ToValue(b.ignorable)) })
	_ = t262.Set("detachArrayBuffer", func(call goja.FunctionCall) goja.Value {
		if o, ok := call.Argument(0).(*goja.Object); ok {
			if buf, ok := o.Export().(goja.ArrayBuffer); ok {
				buf.Detach()
				return goja.Null()
			}
		}
		panic(rt.NewTypeError("detachArrayBuffer: not an ArrayBuffer"))
	})
	_ = t262.Set("evalScript", func(call goja.FunctionCall) goja.Value {
		v, err := rt.RunString(call.Argument(0).String())
		if err != nil {
			panic(err)
		}
		return v
	})
	_ = rt.Set("$262", t262)
	_ = rt.Set("IgnorableTestError", b.ignorable)
	_ = rt.Set("print", func(msg string) { b.printed = append(b.printed, msg) })
	if _, err := rt.RunProgram(h.sabStub); err != nil {
		return nil, err
	}
	return b, nil
}

// end describes how err (from compiling, if early, or running) ended a
// bare run.
func (b *bareRuntime) end(err error, early bool) ending {
	e := ending{printed: b.printed}
	if err == nil {
		return e
	}
	e.threw, e.early, e.message = true, early, err.Error()
	var (
		exc         *goja.Exception
		syntax      *goja.CompilerSyntaxError
		reference   *goja.CompilerReferenceError
		interrupted *goja.InterruptedError
	)
	switch {
	case errors.As(err, &interrupted):
		e.broken, e.message = true, "interrupted: "+fmt.Sprint(interrupted.Value())
	case errors.As(err, &exc):
		if exc.Value() == b.ignorable {
			e.ignored = true
		}
		e.thrown = constructorName(exc.Value())
	case errors.As(err, &syntax):
		e.thrown = "SyntaxError"
	case errors.As(err, &reference):
		e.thrown = "ReferenceError"
	default:
		e.broken = true
	}
	return e
}

// constructorName is v.constructor.name, or "" (goja's runner's rule).
func constructorName(v goja.Value) (name string) {
	defer func() {
		if recover() != nil {
			name = ""
		}
	}()
	o, ok := v.(*goja.Object)
	if !ok {
		return ""
	}
	c, ok := o.Get("constructor").(*goja.Object)
	if !ok {
		return ""
	}
	return c.Get("name").String()
}

// guard runs f, turning a goja panic into a broken ending, and interrupts
// a run that takes longer than runTimeout.
func (b *bareRuntime) guard(f func() ending) (e ending) {
	timer := time.AfterFunc(runTimeout, func() { b.rt.Interrupt("timeout") })
	defer timer.Stop()
	defer func() {
		if p := recover(); p != nil {
			e = ending{broken: true, message: fmt.Sprintf("goja panicked: %v", p)}
		}
	}()
	return f()
}

// runBare runs tc on bare goja in mode m, as goja's own runner does: each
// harness file, then the test, as scripts of their own in one runtime.
func runBare(h *harness, tc *test, m mode) ending {
	b, err := newBareRuntime(h)
	if err != nil {
		return ending{broken: true, message: err.Error()}
	}
	return b.guard(func() ending {
		for _, inc := range tc.includes() {
			if _, err := b.rt.RunProgram(h.programs[inc]); err != nil {
				return ending{broken: true, message: "harness " + inc + ": " + err.Error()}
			}
		}
		src := tc.src
		if m == strict {
			src = "'use strict';\n" + src
		}
		prg, err := goja.Compile(tc.path, src, false)
		if err != nil {
			return b.end(err, true)
		}
		_, err = b.rt.RunProgram(prg)
		return b.end(err, false)
	})
}

// runModuleShaped runs tc on bare goja shaped as Kiln runs it, without
// Kiln: the harness as scripts, then the test in a function body standing
// for the module (strict, with an undefined `this`, for an ES module;
// non-strict, with `this` the exports object, for CommonJS). A test that fails so
// fails because Kiln runs every script as a module, not as a global
// script: it is a known failure for that reason, and no fault of the
// transform, the sandbox or the guards.
func runModuleShaped(h *harness, tc *test, m mode) ending {
	b, err := newBareRuntime(h)
	if err != nil {
		return ending{broken: true, message: err.Error()}
	}
	return b.guard(func() ending {
		for _, inc := range tc.includes() {
			if _, err := b.rt.RunProgram(h.programs[inc]); err != nil {
				return ending{broken: true, message: "harness " + inc + ": " + err.Error()}
			}
		}
		var sb strings.Builder
		sb.WriteString("(function (module, exports) {")
		if m == strict {
			sb.WriteString("'use strict';")
		}
		sb.WriteString("\n")
		sb.WriteString(tc.src)
		sb.WriteString("\n})")
		prg, err := goja.Compile(tc.path, sb.String(), false)
		if err != nil {
			return b.end(err, true)
		}
		v, err := b.rt.RunProgram(prg)
		if err != nil {
			return b.end(err, true)
		}
		fn, _ := goja.AssertFunction(v)
		module, exports := b.rt.NewObject(), b.rt.NewObject()
		_ = module.Set("exports", exports)
		this := goja.Value(exports)
		if m == strict {
			this = goja.Undefined()
		}
		_, err = fn(this, module, exports)
		return b.end(err, false)
	})
}

// Through Kiln, the harness files are modules the test's script imports,
// each one ending by copying its top-level declarations onto globalThis:
// a test sees them as globals, as it does when the harness runs as scripts
// (asyncHelpers.js looks for $DONE on the global object), and each file is
// transformed and compiled once for the whole suite, through the engine's
// file cache.

// kilnShim is the first module of a test's script. It gives the test what
// test262's INTERPRETING.md asks of a host, made of what any script may
// use: print collects lines for the handler to return (defining them, so
// that no setter a test puts on Array.prototype runs);
// $262.detachArrayBuffer transfers the buffer away with structuredClone;
// $262.evalScript is an indirect eval (which the sandbox refuses);
// createRealm and SharedArrayBuffer, which the runner does not provide,
// throw an error the runner recognises (as bare goja's do).
const kilnShim = `var define = Object.defineProperty;
var printed = [];
function IgnorableTestError() {}
IgnorableTestError.prototype.name = "Test262Ignorable";
IgnorableTestError.prototype.message = "needs what the runner does not provide";
globalThis.__test262Printed = printed;
globalThis.print = function (msg) {
  define(printed, printed.length, { value: "" + msg, writable: true, enumerable: true, configurable: true });
};
globalThis.$262 = (function (clone) {
  return {
    global: globalThis,
    createRealm: function () { throw new IgnorableTestError(); },
    detachArrayBuffer: function (buffer) { clone(undefined, { transfer: [buffer] }); return null; },
    evalScript: function (source) { return (0, eval)(source); }
  };
})(structuredClone);
define(globalThis, "SharedArrayBuffer", {
  get: function () { throw new IgnorableTestError(); }, configurable: true
});
`

// shimModule is the shim's path in a test's script.
const shimModule = "harness/kiln-shim.js"

// fnGlobalObject is harness/fnGlobalObject.js for Kiln: the original gets
// the global object from `Function("return this;")()`, which the sandbox
// refuses; test262 lets a host replace harness functions.
const fnGlobalObject = "function fnGlobalObject() { return globalThis; }\n"

// harnessModule is the text of harness file name as a Kiln module: the
// file, then its top-level declarations copied onto globalThis.
func harnessModule(name, text string) (string, error) {
	if name == "fnGlobalObject.js" {
		text = fnGlobalObject
	}
	prg, err := parser.ParseFile(nil, name, text, 0)
	if err != nil {
		return "", err
	}
	var names []string
	for _, st := range prg.Body {
		switch d := st.(type) {
		case *ast.FunctionDeclaration:
			names = append(names, d.Function.Name.Name.String())
		case *ast.VariableStatement:
			for _, b := range d.List {
				if id, ok := b.Target.(*ast.Identifier); ok {
					names = append(names, id.Name.String())
				}
			}
		}
	}
	var sb strings.Builder
	sb.WriteString(text)
	sb.WriteString("\n;")
	for _, n := range names {
		fmt.Fprintf(&sb, "globalThis.%s = %s;", n, n)
	}
	sb.WriteString("\n")
	return sb.String(), nil
}

// kilnSource is the script Kiln runs for tc in mode m: an entry file that
// imports the shim and the harness files (from files, which holds them),
// then holds the test and a handler that returns what was printed (as
// module.exports for a CommonJS run, export default for an ES module run),
// which is how Kiln finds a script's handler.
func kilnSource(h *harness, tc *test, m mode) engine.Source {
	var sb strings.Builder
	if !tc.meta.hasFlag("raw") {
		// One line, so that the test's lines keep their numbers but one.
		for _, inc := range append([]string{"kiln-shim.js"}, tc.includes()...) {
			if m == strict {
				fmt.Fprintf(&sb, "import \"./harness/%s\";", inc)
			} else {
				fmt.Fprintf(&sb, "require(\"./harness/%s\");", inc)
			}
		}
		sb.WriteString("\n")
	}
	sb.WriteString(tc.src)
	const handler = "function () { var p = globalThis.__test262Printed; return p === undefined ? [] : p; }"
	if m == strict {
		sb.WriteString("\n;export default " + handler + "\n")
	} else {
		sb.WriteString("\n;module.exports = " + handler + ";\n")
	}
	return engine.Source{Name: path.Base(tc.path), Code: sb.String(), Files: h.modules}
}

// runKiln runs tc through Kiln's engine in mode m, as a script runs: the
// source is compiled (the transform), a VM is made for it (the sandbox,
// the guards, the lazily resolved globals) and runs its module code, which
// is the test; then its handler is invoked once for what an async test
// printed.
func runKiln(e *engine.Engine, h *harness, tc *test, m mode) ending {
	ctx := context.Background()
	p, err := e.Compile(ctx, kilnSource(h, tc, m))
	if err != nil {
		return kilnEnd(err, true)
	}
	vm, err := e.NewVM(ctx, p)
	if err != nil {
		return kilnEnd(err, false)
	}
	res := vm.Invoke(ctx, engine.InvokeParams{Timeout: runTimeout})
	if res.Err != nil {
		return kilnEnd(res.Err, false)
	}
	var printed []string
	if err := json.Unmarshal(res.Value, &printed); err != nil {
		return ending{broken: true, message: "the handler returned " + string(res.Value)}
	}
	return ending{printed: printed}
}

// kilnEnd describes how err ended a Kiln run: a SYNTAX_ERROR from Compile
// is a SyntaxError at parse time; a RUNTIME_ERROR is an exception, whose
// constructor's name starts the message ("TypeError: …"); any other code
// (SANDBOX_VIOLATION, INTERNAL, a limit) is no exception a test expects.
func kilnEnd(err error, early bool) ending {
	var ee *engine.Error
	if !errors.As(err, &ee) {
		return ending{broken: true, message: err.Error()}
	}
	e := ending{threw: true, early: early, message: string(ee.Code) + ": " + ee.Message}
	switch ee.Code {
	case engine.CodeSyntaxError:
		e.thrown = "SyntaxError"
	case engine.CodeRuntimeError:
		name, _, _ := strings.Cut(ee.Message, ": ")
		if strings.HasPrefix(name, "Test262Ignorable") {
			e.ignored = true
		}
		e.thrown = name
	default:
		e.broken = true
	}
	return e
}
