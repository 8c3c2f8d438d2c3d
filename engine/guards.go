package engine

import (
	"math"
	"reflect"
	"sync"
	"time"

	"github.com/kiln-run/kiln/internal/goja"
	"github.com/kiln-run/kiln/internal/goja/parser"
)

// Guarded built-ins. goja cannot interrupt a single native call, so any
// built-in whose one call can allocate (or loop) in proportion to a number
// the script chooses is checked against the invocation's remaining memory
// budget first: `'x'.repeat(2**30)`, `new Array(2**32 - 1).join()`,
// `new Float64Array(2**28)`. Small sizes skip the check to keep hot paths
// fast.
//
// A guard replaces the built-in's function object with a native one that
// runs the check and then the original's Go implementation directly (taken
// from the original with Export, so the original function object itself is
// dropped). The checks are Go: nothing a script can replace — Number,
// Math.floor, Reflect.apply — takes part in deciding a size.
//
// Which guards exist when is the sandbox's memory trade-off (globals.go):
// the prototypes every script reaches without naming a global (Function,
// Array, String) are guarded when the VM is made; the others when their
// global is first resolved or, for the intrinsics only syntax creates, when
// the program's syntax needs them.

const (
	smallAllocation = 1 << 16 // sizes up to this skip the memory check
	valueBytes      = 16      // bytes of one goja value slot
)

// check inspects a guarded call before the original runs. It refuses the
// call by panicking (with a JS error) or by interrupting the invocation and
// returning false; the original must not run then, as nothing would stop it
// before it returns.
type check func(vm *VM, this goja.Value, args []goja.Value) bool

// native is a built-in's implementation: what a goja native function
// object exports.
type native = func(goja.FunctionCall) goja.Value

// original returns obj[name]'s implementation and length, or ok false if
// it is not a native function.
func original(obj *goja.Object, name string) (f native, length goja.Value, ok bool) {
	o, _ := obj.Get(name).(*goja.Object)
	if o == nil {
		return nil, nil, false
	}
	f, ok = o.Export().(native)
	return f, o.Get("length"), ok
}

// newNative makes a native function with the given name and length.
func (vm *VM) newNative(name string, length goja.Value, f native) *goja.Object {
	rt := vm.rt
	o := rt.ToValue(f).(*goja.Object)
	_ = o.DefineDataProperty("name", rt.ToValue(name), goja.FLAG_FALSE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	if length == nil {
		length = rt.ToValue(0)
	}
	_ = o.DefineDataProperty("length", length, goja.FLAG_FALSE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	return o
}

// guardNative returns a function that runs chk and then orig.
func (vm *VM) guardNative(name string, length goja.Value, orig native, chk check) *goja.Object {
	return vm.newNative(name, length, func(call goja.FunctionCall) goja.Value {
		if !chk(vm, call.This, call.Arguments) {
			return goja.Undefined()
		}
		return orig(call)
	})
}

// guardMethod replaces obj[name] with a guarded copy (writable,
// configurable, not enumerable, as built-in methods are) and returns it.
func (vm *VM) guardMethod(obj *goja.Object, name string, chk check) *goja.Object {
	orig, length, ok := original(obj, name)
	if !ok {
		return nil
	}
	f := vm.guardNative(name, length, orig, chk)
	_ = obj.DefineDataProperty(name, f, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	return f
}

// toNumberArg and toStringArg convert an argument a guard measures the way
// the built-in would, once: the guard passes the result on in the
// argument's place, so no valueOf or toString can answer the guard one
// thing and the built-in another. Primitives are returned as they are.
func toNumberArg(v goja.Value) goja.Value {
	if isObject(v) {
		return v.ToNumber()
	}
	return v
}

func toStringArg(v goja.Value) goja.Value {
	if isObject(v) {
		return v.ToString()
	}
	return v
}

// withArg returns args with args[i] set to v, copying args first (the
// caller's slice may be the script's own arguments).
func withArg(args []goja.Value, i int, v goja.Value) []goja.Value {
	if i < len(args) && sameObject(args[i], v) {
		return args
	}
	n := max(len(args), i+1)
	out := make([]goja.Value, n)
	copy(out, args)
	for j := len(args); j < n; j++ {
		out[j] = goja.Undefined()
	}
	out[i] = v
	return out
}

// sameObject reports whether a and b are the same object. Values are not
// compared with ==: a goja string may be a slice, which == panics on.
func sameObject(a, b goja.Value) bool {
	ao, ok := a.(*goja.Object)
	bo, ok2 := b.(*goja.Object)
	return ok && ok2 && ao == bo
}

// stringLength is String(v).length.
func stringLength(v goja.Value) float64 {
	if v == nil {
		return 0
	}
	s := v.ToString()
	if gs, ok := s.(goja.String); ok {
		return float64(gs.Length())
	}
	return float64(len(s.String()))
}

// toCount is the non-negative integer a size argument asks for.
func toCount(v goja.Value) float64 {
	if v == nil {
		return 0
	}
	if n := v.ToFloat(); n > 0 {
		return math.Floor(n)
	}
	return 0
}

// chargeIf charges n bytes against the invocation's budget if n is large,
// and reports whether the allocation may go ahead.
func (vm *VM) chargeIf(n float64, what string) bool {
	if n > smallAllocation {
		return vm.charge(int64(min(n, math.MaxInt64/2)), what)
	}
	return true
}

// orUndefined is v, or undefined for a missing value (nil).
func orUndefined(v goja.Value) goja.Value {
	if v == nil {
		return goja.Undefined()
	}
	return v
}

func arg(args []goja.Value, i int) goja.Value {
	if i < len(args) {
		return args[i]
	}
	return goja.Undefined()
}

// guardFunctionPrototype guards Function.prototype: its constructor (and
// the global Function) throw, and apply is checked.
func (vm *VM) guardFunctionPrototype() {
	t := vm.thrower("Function", "Function constructor is not allowed in Kiln scripts (it compiles code from a string)")
	proto := t.Prototype()
	vm.lockConstructor(proto, t)
	vm.functionThrower = t
	vm.guardArgList(proto, "apply", 1, "Function.prototype.apply")
}

// guardArgList guards obj[name], whose argument i is an array-like the
// built-in copies into an argument list: the copy is charged, and the
// built-in reads the length that was charged (arrayLike).
func (vm *VM) guardArgList(obj *goja.Object, name string, i int, what string) {
	orig, length, ok := original(obj, name)
	if !ok {
		return
	}
	f := vm.newNative(name, length, func(call goja.FunctionCall) goja.Value {
		list := arg(call.Arguments, i)
		if !isObject(list) {
			return orig(call) // not an array-like: the built-in throws
		}
		pinned, n := vm.arrayLike(list)
		if !vm.chargeIf(n*valueBytes, what) {
			return goja.Undefined()
		}
		call.Arguments = withArg(call.Arguments, i, pinned)
		return orig(call)
	})
	_ = obj.DefineDataProperty(name, f, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
}

// lockConstructor makes t the constructor of proto, read-only and
// permanent, and t's prototype proto (so `instanceof` keeps working).
func (vm *VM) lockConstructor(proto, t *goja.Object) {
	_ = t.DefineDataProperty("prototype", proto, goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_FALSE)
	_ = proto.DefineDataProperty("constructor", t, goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_FALSE)
}

// thrower returns a function that fails any call or construction with
// SANDBOX_VIOLATION.
func (vm *VM) thrower(name, what string) *goja.Object {
	o := vm.rt.ToValue(func(goja.ConstructorCall) *goja.Object {
		vm.interrupt(Errorf(CodeSandboxViolation, "%s", what))
		return nil
	}).(*goja.Object)
	_ = o.DefineDataProperty("name", vm.rt.ToValue(name), goja.FLAG_FALSE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	_ = o.DefineDataProperty("length", vm.rt.ToValue(0), goja.FLAG_FALSE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	return o
}

// samplePrograms make one function of each hidden kind, to reach its
// prototype.
var (
	asyncSample     = sync.OnceValue(func() *goja.Program { return goja.MustCompile("kiln:async", "(async function () {})", true) })
	generatorSample = sync.OnceValue(func() *goja.Program { return goja.MustCompile("kiln:generator", "(function* () {})", true) })
)

// guardFunctionKind locks the constructor of the prototype shared by every
// function sample makes (%AsyncFunction.prototype%,
// %GeneratorFunction.prototype%).
func (vm *VM) guardFunctionKind(sample *goja.Program, name string) {
	v, err := vm.rt.RunProgram(sample)
	if err != nil {
		return
	}
	proto := v.(*goja.Object).Prototype()
	vm.lockConstructor(proto, vm.thrower(name, name+" constructor is not allowed in Kiln scripts (it compiles code from a string)"))
}

// guardSyntax installs the guards of the intrinsics p's syntax can create.
func (vm *VM) guardSyntax(s syntaxFeatures) {
	if s.has(syntaxAsync) && !vm.guarded.async {
		vm.guarded.async = true
		vm.guardFunctionKind(asyncSample(), "AsyncFunction")
	}
	if s.has(syntaxGenerator) && !vm.guarded.generator {
		vm.guarded.generator = true
		vm.guardFunctionKind(generatorSample(), "GeneratorFunction")
	}
	if s.has(syntaxRegExp) {
		vm.guardRegExp()
	}
	if s.has(syntaxBigInt) {
		vm.guardBigInt()
	}
}

func isObject(v goja.Value) bool {
	_, ok := v.(*goja.Object)
	return ok
}

// originalSymbol is original for a symbol-keyed method.
func originalSymbol(obj *goja.Object, sym *goja.Symbol) (f native, length goja.Value, ok bool) {
	o, _ := obj.GetSymbol(sym).(*goja.Object)
	if o == nil {
		return nil, nil, false
	}
	f, ok = o.Export().(native)
	return f, o.Get("length"), ok
}

// rangeError makes a RangeError with the original constructor.
func (vm *VM) rangeError(msg string) *goja.Object {
	if c, ok := goja.AssertConstructor(vm.scope.builtin("RangeError")); ok {
		if o, err := c(nil, vm.rt.ToValue(msg)); err == nil {
			return o
		}
	}
	return vm.rt.NewTypeError("%s", msg)
}

// guardReflect guards Reflect.apply and Reflect.construct, which copy an
// array-like into an argument list natively, and Reflect.ownKeys
// (guards_keys.go).
func (vm *VM) guardReflect(reflect *goja.Object) {
	if vm.guarded.reflect {
		return
	}
	vm.guarded.reflect = true
	vm.guardArgList(reflect, "apply", 2, "Reflect.apply")
	vm.guardArgList(reflect, "construct", 1, "Reflect.construct")
	vm.guardMethod(reflect, "ownKeys", func(vm *VM, _ goja.Value, a []goja.Value) bool {
		return vm.chargeIf(vm.indexKeys(arg(a, 0), false)*keyBytes, "Reflect.ownKeys")
	})
}

// guardJSON guards JSON.stringify and JSON.parse, each one native call.
// stringify's cost grows with the square of the nesting depth, and shared
// references are written out once per path: the value is measured first
// (refusing absurd depths as a RangeError, like V8) and its expanded size
// charged. parse's result size is estimated from the text.
func (vm *VM) guardJSON(json *goja.Object) {
	if vm.guarded.json {
		return
	}
	vm.guarded.json = true
	vm.guardMethod(json, "stringify", func(vm *VM, _ goja.Value, a []goja.Value) bool {
		switch v := arg(a, 0).(type) {
		case *goja.Object:
			if _, err := vm.measureStringify(v, jsonGap(arg(a, 2))); err != nil {
				panic(vm.rangeError("JSON.stringify: " + err.Error()))
			}
			return !vm.stopped()
		case goja.String:
			return vm.chargeIf(float64(v.Length()), "JSON.stringify")
		}
		return true
	})
	vm.guardMethod(json, "parse", func(vm *VM, _ goja.Value, a []goja.Value) bool {
		if s, ok := arg(a, 0).(goja.String); ok && s.Length() > smallAllocation {
			return vm.charge(estimateJSON(s.String()), "JSON.parse")
		}
		return true
	})
}

// jsonGap is the indent JSON.stringify's space argument asks for, if it is
// a primitive (a Number or String object converts through script code: 0,
// a lower bound).
func jsonGap(space goja.Value) int64 {
	switch space.(type) {
	case goja.String:
		return int64(min(stringLength(space), 10))
	case *goja.Object:
		return 0
	}
	if goja.IsNumber(space) {
		return int64(min(max(space.ToFloat(), 0), 10))
	}
	return 0
}

// guardRegExp wraps the RegExp methods that run a match (exec, test and
// the Symbol.match/matchAll/replace/search/split protocol) so that a
// backtracking match that hit regexp2's match timeout fails the invocation
// with TIMEOUT instead of silently reporting "no match". It runs before any
// RegExp can exist: at Bind for a program with a regular expression
// literal, when the RegExp global is resolved, and before String's match,
// matchAll and search make one from a string.
func (vm *VM) guardRegExp() {
	if vm.guarded.regexp {
		return
	}
	vm.guarded.regexp = true
	ctor := vm.scope.builtin("RegExp")
	proto := ctor.Get("prototype").(*goja.Object)
	limit := vm.engine.cfg.RegexpTimeout
	rn := &regexpNatives{ctor: ctor, limit: limit}
	guard := func(name string, orig native, length goja.Value) *goja.Object {
		return vm.newNative(name, length, func(call goja.FunctionCall) goja.Value {
			if !vm.chargeSubject(call.This, arg(call.Arguments, 0), "RegExp.prototype."+name, false) {
				return goja.Undefined()
			}
			start := time.Now()
			v := orig(call)
			// regexp2 reports a match that hit its timeout as no match: a
			// call that took that long and found nothing was stopped.
			if elapsed := time.Since(start); elapsed >= limit && (vm.backtracks(call.This) || noMatch(name, v)) {
				vm.interrupt(errBacktracking(elapsed))
			}
			return v
		})
	}
	for _, name := range []string{"exec", "test"} {
		if orig, length, ok := original(proto, name); ok {
			g := guard(name, orig, length)
			if name == "exec" {
				rn.exec, rn.execFn = orig, g
			}
			_ = proto.DefineDataProperty(name, g, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
		}
	}
	for _, s := range []struct {
		sym  *goja.Symbol
		name string
	}{{goja.SymMatchAll, "matchAll"}, {goja.SymSearch, "search"}} {
		if orig, length, ok := originalSymbol(proto, s.sym); ok {
			if s.sym == goja.SymSplit {
				orig = vm.splitCharged(orig)
			}
			_ = proto.DefineDataPropertySymbol(s.sym, guard("[Symbol."+s.name+"]", orig, length), goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
		}
	}
	// match, replace and split run many matches in one call: step by step
	// for large subjects (guards_regexp.go).
	if rn.exec != nil {
		vm.guardRegExpSubjects(proto, rn)
	}
	// compile compiles a new pattern.
	vm.guardMethod(proto, "compile", func(vm *VM, _ goja.Value, a []goja.Value) bool {
		return vm.chargePattern(arg(a, 0), "RegExp.prototype.compile")
	})
}

// noMatch reports whether v is what the method name returns for no match.
func noMatch(name string, v goja.Value) bool {
	switch name {
	case "exec":
		return goja.IsNull(v)
	case "test":
		return !v.ToBoolean()
	case "[Symbol.search]":
		return v.ToInteger() == -1
	}
	return false
}

// splitCharged runs RegExp.prototype[Symbol.split] (orig) after charging
// the values splitting the string into single characters would make. It
// converts the string first, as the built-in does once it knows the
// receiver is an object. A primitive limit is converted to the built-in's
// uint32 too: goja's own conversion of it is wrong (ToLength, not
// ToUint32: a limit of -1 split into nothing) on the path it takes once
// exec is guarded.
func (vm *VM) splitCharged(orig native) native {
	return func(call goja.FunctionCall) goja.Value {
		if !isObject(call.This) {
			return orig(call) // the built-in throws
		}
		str := arg(call.Arguments, 0).ToString()
		if !vm.chargeIf(stringLength(str)*valueBytes*2, "RegExp.prototype[Symbol.split]") {
			return goja.Undefined()
		}
		limit := arg(call.Arguments, 1)
		if !goja.IsUndefined(limit) && !isObject(limit) {
			limit = vm.rt.ToValue(toUint32(limit.ToFloat()))
		}
		call.Arguments = []goja.Value{str, limit}
		return orig(call)
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
	_, err := parser.TransformRegExp(src, containsByte(flags, 's'), containsByte(flags, 'u'))
	v := err != nil
	if vm.regexp2 == nil {
		vm.regexp2 = map[string]bool{}
	}
	vm.regexp2[key] = v
	return v
}

func containsByte(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return true
		}
	}
	return false
}

var proxyType = reflect.TypeOf(goja.Proxy{})
