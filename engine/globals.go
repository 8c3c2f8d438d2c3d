package engine

import (
	"math"
	"sync"

	"github.com/kiln-run/kiln/internal/goja"

	"github.com/kiln-run/kiln/engine/internal/web"
	"github.com/kiln-run/kiln/engine/internal/web/urlapi"
)

// The global object a script sees is built on demand.
//
// goja keeps its built-ins in a template: a global such as Uint8Array or
// Reflect is created, with every method it has, the first time anything
// reads it. Guarding a built-in means replacing it or its methods, which
// forces that creation; doing it for every guarded global in every VM cost
// most of an idle VM's memory (docs/benchmarks.md). The sandbox has no hook
// inside goja's template, so instead it never lets a script near it:
//
//	script ──▶ globalThis (a plain object, holding what was resolved so far)
//	               │ [[Prototype]]
//	               ▼
//	           resolver (a goja dynamic object: globalScope) ──▶ Object.prototype
//
// goja's own global object (builtins) is referenced only from Go: the
// resolver reads from it and no property, prototype link or closure a script
// can reach leads to it. A name read for the first time misses on globalThis
// and reaches the resolver, which builds the value (guarding it first if it
// is a guarded built-in), defines it on globalThis as an own property, and
// returns it; later reads are ordinary own-property reads. So a guarded
// built-in is created and guarded at the moment a script can first see it,
// and never exists unguarded where a script could see it.
//
// Built-ins that scripts reach without naming a global — Array.prototype
// through any array, RegExp.prototype through a literal — cannot be
// deferred this way; they are guarded eagerly (guards*.go) or, for the ones
// only syntax can create, when a program's syntax needs them (syntax.go).

// globalEntry is a global the engine defines (not a plain goja built-in).
type globalEntry struct {
	group int // entries of one group are installed together
	// build returns the value, or nil when the group's installer defined
	// its globals itself.
	build func(vm *VM, name string) goja.Value
	// writable, enumerable and configurable are the property's attributes.
	writable, enumerable, configurable bool
}

// globalTable maps every lazily built global name to its entry; builtinIndex
// numbers goja's own global names. Both are the same for every VM.
type globalTable struct {
	entries      map[string]globalEntry
	groups       int
	builtinIndex map[string]int
}

// builtinGlobalNames lists goja's own global object's names, read once from
// a throwaway runtime (reading names builds no values).
var builtinGlobalNames = sync.OnceValue(func() []string {
	return goja.New().GlobalObject().GetOwnPropertyNames()
})

// globalScope is the resolver behind a VM's global object. It implements
// goja.DynamicObject; scripts can reach it (Object.getPrototypeOf(
// globalThis)), and all it ever hands out is what globalThis itself would.
type globalScope struct {
	vm       *VM
	global   *goja.Object // what scripts see as globalThis
	builtins *goja.Object // goja's own global object: never reachable from JS
	table    *globalTable
	// groupTaken and builtinTaken mark what was already resolved (or
	// deleted): once a name has been resolved onto globalThis, the resolver
	// never answers for it again, so deleting it from globalThis removes
	// it, as it should.
	groupTaken   []bool
	builtinTaken []uint64
	// modules holds the top-level names of the engine's host modules
	// ("iota"), installed together on first use.
	modules []string
	modTook bool
}

// newGlobalScope replaces rt's global object with an empty one backed by a
// resolver, and returns the resolver.
func newGlobalScope(vm *VM, table *globalTable) *globalScope {
	rt := vm.rt
	s := &globalScope{
		vm:           vm,
		builtins:     rt.GlobalObject(),
		table:        table,
		groupTaken:   make([]bool, table.groups),
		builtinTaken: make([]uint64, (len(table.builtinIndex)+63)/64),
	}
	resolver := rt.NewDynamicObject(s)
	s.global = rt.NewObject()
	_ = s.global.SetPrototype(resolver)
	// The three immutable value properties are defined up front: an
	// assignment to them must fail, and the resolver only answers reads.
	_ = s.global.DefineDataProperty("undefined", goja.Undefined(), goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_FALSE)
	_ = s.global.DefineDataProperty("NaN", rt.ToValue(math.NaN()), goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_FALSE)
	_ = s.global.DefineDataProperty("Infinity", rt.ToValue(math.Inf(1)), goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_FALSE)
	for _, n := range []string{"undefined", "NaN", "Infinity"} {
		s.takeBuiltin(table.builtinIndex[n])
	}
	rt.SetGlobalObject(s.global)
	return s
}

func (s *globalScope) builtinIsTaken(i int) bool { return s.builtinTaken[i/64]&(1<<(i%64)) != 0 }
func (s *globalScope) takeBuiltin(i int)         { s.builtinTaken[i/64] |= 1 << (i % 64) }

// builtin returns goja's original global name, creating it if needed,
// without going through globalThis: what the engine itself captures.
func (s *globalScope) builtin(name string) *goja.Object {
	o, _ := s.builtins.Get(name).(*goja.Object)
	return o
}

// Get resolves name: it is called only when globalThis has no own property
// name.
func (s *globalScope) Get(name string) goja.Value {
	if e, ok := s.table.entries[name]; ok {
		if s.groupTaken[e.group] {
			return nil
		}
		s.groupTaken[e.group] = true
		if i, ok := s.table.builtinIndex[name]; ok {
			s.takeBuiltin(i)
		}
		v := e.build(s.vm, name)
		if v == nil {
			return s.global.Get(name)
		}
		_ = s.global.DefineDataProperty(name, v, goja.ToFlag(e.writable), goja.ToFlag(e.configurable), goja.ToFlag(e.enumerable))
		return v
	}
	if i, ok := s.table.builtinIndex[name]; ok {
		if s.builtinIsTaken(i) {
			return nil
		}
		s.takeBuiltin(i)
		v := s.builtins.Get(name)
		if v == nil {
			return nil
		}
		// goja's built-in globals are all writable, configurable and not
		// enumerable, except the three defined in newGlobalScope.
		_ = s.global.DefineDataProperty(name, v, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
		return v
	}
	if !s.modTook {
		for _, m := range s.modules {
			if m == name {
				s.modTook = true
				_ = s.vm.installModules(s.vm.engine.cfg.Modules)
				return s.global.Get(name)
			}
		}
	}
	return nil
}

// Has reports whether Get would answer for name.
func (s *globalScope) Has(name string) bool {
	if e, ok := s.table.entries[name]; ok {
		return !s.groupTaken[e.group]
	}
	if i, ok := s.table.builtinIndex[name]; ok {
		return !s.builtinIsTaken(i)
	}
	if !s.modTook {
		for _, m := range s.modules {
			if m == name {
				return true
			}
		}
	}
	return false
}

// Set, Delete and Keys make the resolver itself inert: it has no own
// properties a script could change or list.
func (s *globalScope) Set(string, goja.Value) bool { return false }
func (s *globalScope) Delete(string) bool          { return false }
func (s *globalScope) Keys() []string              { return nil }

// globals returns the table of lazily built globals, the same for every VM.
var globals = sync.OnceValue(func() *globalTable {
	t := &globalTable{entries: map[string]globalEntry{}, builtinIndex: map[string]int{}}
	for i, n := range builtinGlobalNames() {
		t.builtinIndex[n] = i
	}
	add := func(build func(vm *VM, name string) goja.Value, writable, enumerable, configurable bool, names ...string) {
		for _, n := range names {
			t.entries[n] = globalEntry{group: t.groups, build: build, writable: writable, enumerable: enumerable, configurable: configurable}
		}
		t.groups++
	}
	// Locked, as they always were: read-only and permanent.
	add(func(vm *VM, _ string) goja.Value {
		return vm.thrower("eval", "eval is not allowed in Kiln scripts")
	}, false, false, false, "eval")
	add(func(vm *VM, _ string) goja.Value { return vm.functionThrower }, false, false, false, "Function")
	// No require: typeof require is "undefined", as in any script that
	// is not CommonJS, so that a UMD bundle that probes for it takes its
	// plain-script path. The linker resolves a script's require of its
	// own files; any other require is refused (compile.go, link.go).

	// Guarded built-ins, guarded as they are resolved.
	add(func(vm *VM, _ string) goja.Value {
		r := vm.scope.builtin("Reflect")
		vm.guardReflect(r)
		return r
	}, true, false, true, "Reflect")
	add(func(vm *VM, _ string) goja.Value {
		j := vm.jsonObj.(*goja.Object)
		vm.guardJSON(j)
		return j
	}, true, false, true, "JSON")
	add(func(vm *VM, _ string) goja.Value {
		vm.guardRegExp()
		return vm.scope.builtin("RegExp")
	}, true, false, true, "RegExp")
	// Number.parseFloat, guarded with Number (guards_text.go).
	add(func(vm *VM, _ string) goja.Value { return vm.scope.builtin("Number").Get("parseFloat") }, true, false, true, "parseFloat")
	// BigInt, and DataView, whose getters return BigInts (guards_bigint.go).
	add(func(vm *VM, _ string) goja.Value {
		vm.guardBigInt()
		return vm.scope.builtin("BigInt")
	}, true, false, true, "BigInt")
	add(func(vm *VM, name string) goja.Value {
		vm.guardBigInt()
		return vm.scope.builtin(name)
	}, true, false, true, "DataView")
	ctor := func(vm *VM, name string) goja.Value { return vm.guardedConstructor(name) }
	add(ctor, true, false, true, "ArrayBuffer")
	for name := range typedArrays {
		add(ctor, true, false, true, name)
	}

	// The web globals and the engine's own.
	for _, g := range web.Names(web.Host{Fetch: func(web.FetchRequest, func(*web.FetchResponse, error) error) (func(), error) { return nil, nil }}) {
		add(func(vm *VM, name string) goja.Value { return vm.web.Build(name) }, true, g.Enumerable, true, g.Name)
	}
	// Two groups: a group is resolved once, and each build defines only
	// the name asked for (urlClass builds both classes together).
	add(func(vm *VM, _ string) goja.Value { return vm.urlClass(0) }, true, false, true, "URL")
	add(func(vm *VM, _ string) goja.Value { return vm.urlClass(1) }, true, false, true, "URLSearchParams")
	add(func(vm *VM, _ string) goja.Value { vm.installConsole(); return nil }, true, true, true, "console")
	add(func(vm *VM, _ string) goja.Value {
		vm.promise = vm.scope.builtin("Promise")
		vm.installTimers()
		return nil
	}, true, true, true, "setTimeout", "setInterval", "clearTimeout", "clearInterval", "queueMicrotask")
	add(func(vm *VM, _ string) goja.Value { vm.installPerformance(); return nil }, true, true, true, "performance")
	return t
})

// urlClass returns URL (0) or URLSearchParams (1), building both on first
// use.
func (vm *VM) urlClass(i int) *goja.Object {
	if vm.url[0] == nil {
		u, p, err := urlapi.Classes(vm.rt, vm.scope.builtin("Proxy"), vm.chargeIf)
		if err != nil {
			panic(vm.rt.NewTypeError("%s", err.Error()))
		}
		vm.url = [2]*goja.Object{u, p}
	}
	return vm.url[i]
}

// guardedBuiltin is web.Host.Builtin: the built-in name as the sandbox
// guards it, whatever the script did to globalThis since.
func (vm *VM) guardedBuiltin(name string) *goja.Object {
	if c := vm.guardedConstructor(name); c != nil {
		return c
	}
	switch name {
	case "URL":
		return vm.urlClass(0)
	case "URLSearchParams":
		return vm.urlClass(1)
	case "RegExp":
		vm.guardRegExp()
	case "JSON":
		vm.guardJSON(vm.jsonObj.(*goja.Object))
	case "Reflect":
		vm.guardReflect(vm.scope.builtin("Reflect"))
	case "eval", "Function":
		return nil // not for the web globals
	}
	if _, ok := vm.scope.table.builtinIndex[name]; !ok {
		return nil
	}
	return vm.scope.builtin(name)
}
