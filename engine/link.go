package engine

import "github.com/kiln-run/kiln/internal/goja"

// linker runs a program's files in a VM as CommonJS modules: each file's
// factory runs once, the first time something requires it, with the
// module object, its exports and a require that reaches only the files the
// program imports. A cycle gets the exports as they are so far, as in
// Node. It lives for one Bind.
type linker struct {
	vm      *VM
	program *Program
	loaded  map[string]*goja.Object // module objects by path
}

func newLinker(vm *VM, p *Program) *linker {
	return &linker{vm: vm, program: p, loaded: make(map[string]*goja.Object, len(p.modules))}
}

// load runs the file at p, if it has not run yet, and returns its exports.
func (l *linker) load(p string) (goja.Value, error) {
	if m := l.loaded[p]; m != nil {
		return m.Get("exports"), nil
	}
	rt := l.vm.rt
	mod := l.program.modules[p]
	if mod == nil {
		return nil, Errorf(CodeInternal, "the program has no file %s", p)
	}
	factory, err := rt.RunProgram(mod.program)
	if err != nil {
		return nil, err
	}
	fn, ok := goja.AssertFunction(factory)
	if !ok {
		return nil, Errorf(CodeInternal, "%s did not compile to a module factory", p)
	}
	module, exports := rt.NewObject(), rt.NewObject()
	_ = module.Set("exports", exports)
	l.loaded[p] = module
	if _, err := fn(goja.Undefined(), module, exports, l.require(mod)); err != nil {
		return nil, err
	}
	return module.Get("exports"), nil
}

// require returns the require function of mod: it runs the file a
// specifier of mod's imports names, and refuses any other specifier as the
// global require does.
func (l *linker) require(mod *module) goja.Value {
	return l.vm.rt.ToValue(func(call goja.FunctionCall) goja.Value {
		target, ok := mod.imports[call.Argument(0).String()]
		if !ok {
			l.vm.interrupt(Errorf(CodeSandboxViolation, "%s", requireRefusal))
			return goja.Undefined()
		}
		v, err := l.load(target)
		if err != nil {
			panic(err) // a JS exception stays catchable; an interrupt is not
		}
		return v
	})
}

// requireRefusal is the message of every refused require.
const requireRefusal = "require is not allowed in Kiln scripts: import files from the script's own folder instead"
