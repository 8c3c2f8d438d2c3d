package web

import (
	"reflect"
	"strconv"

	"github.com/kiln-run/kiln/internal/goja"
)

const (
	yes = goja.FLAG_TRUE
	no  = goja.FLAG_FALSE
)

var proxyType = reflect.TypeOf(goja.Proxy{})

// isProxy reports whether o is a Proxy, without running any of its traps.
func isProxy(o *goja.Object) bool { return o.ExportType() == proxyType }

func itoa(n int) string { return strconv.Itoa(n) }

// fn makes a native function with the given name and length. goja would name
// it after the Go closure (package path included), which scripts must not
// see, so both are set here.
func (r *realm) fn(name string, length int, f func(goja.FunctionCall) goja.Value) *goja.Object {
	o := r.rt.ToValue(func(call goja.FunctionCall) goja.Value {
		defer r.recoverInternal(name)
		return f(call)
	}).(*goja.Object)
	_ = o.DefineDataProperty("name", r.rt.ToValue(name), no, yes, no)
	if length != 0 {
		_ = o.DefineDataProperty("length", r.rt.ToValue(length), no, yes, no)
	}
	return o
}

// method defines a WebIDL operation on o: writable, enumerable, configurable.
func (r *realm) method(o *goja.Object, name string, length int, f func(goja.FunctionCall) goja.Value) {
	_ = o.DefineDataProperty(name, r.fn(name, length, f), yes, yes, yes)
}

// getter defines a read-only WebIDL attribute on o.
func (r *realm) getter(o *goja.Object, name string, get func(goja.FunctionCall) goja.Value) {
	_ = o.DefineAccessorProperty(name, r.fn("get "+name, 0, get), nil, yes, yes)
}

// accessor defines a read-write WebIDL attribute on o.
func (r *realm) accessor(o *goja.Object, name string, get, set func(goja.FunctionCall) goja.Value) {
	_ = o.DefineAccessorProperty(name, r.fn("get "+name, 0, get), r.fn("set "+name, 1, set), yes, yes)
}

// constant defines a WebIDL constant on o: enumerable, read-only, permanent.
func (r *realm) constant(o *goja.Object, name string, v int) {
	_ = o.DefineDataProperty(name, r.rt.ToValue(v), no, no, yes)
}

// tag sets o[Symbol.toStringTag] as browsers do for interface prototypes.
func (r *realm) tag(o *goja.Object, name string) {
	_ = o.DefineDataPropertySymbol(goja.SymToStringTag, r.rt.ToValue(name), no, yes, no)
}

// classSource is the JavaScript half of every constructor. goja's Go API
// cannot make a native function that tells `new C()` from `C()`, but a class
// can: it throws when called without new, and its `this` already has the
// prototype new.target asks for, which makes subclassing work. The body hands
// `this` and the arguments to Go; what Go returns, if an object, replaces it.
const classSource = `(function (construct) {
	"use strict";
	return class {
		constructor(a, b) {
			return construct(this, arguments.length, a, b);
		}
	};
})`

// classProgram is compiled once; a goja.Program is immutable and safe to run
// in many runtimes at once.
var classProgram = goja.MustCompile("kiln:web/class.js", classSource, true)

// constructFunc initialises a new instance. argc is the number of arguments
// the script passed (so "required argument" errors can be raised), a and b
// the first two of them. It returns nil to keep this, or a replacement.
type constructFunc func(this *goja.Object, argc int, a, b goja.Value) *goja.Object

// class builds a WebIDL interface: a constructor named name with the given
// length whose instances are made by construct (nil for an interface with no
// constructor, which throws "Illegal constructor"), and a prototype tagged
// with name. parent, if not nil, is the class it inherits from.
func (r *realm) class(name string, length int, parent *classInfo, construct constructFunc) *classInfo {
	if r.classFactory == nil {
		v, err := r.rt.RunProgram(classProgram)
		if err != nil {
			panic(err)
		}
		f, ok := goja.AssertFunction(v)
		if !ok {
			panic(r.typeError("class factory is not a function"))
		}
		r.classFactory = f
	}
	native := r.fn(name, 0, func(call goja.FunctionCall) goja.Value {
		if construct == nil {
			panic(r.typeError("Illegal constructor"))
		}
		this, _ := call.Argument(0).(*goja.Object)
		if this == nil {
			panic(r.typeError("Illegal constructor"))
		}
		if o := construct(this, int(call.Argument(1).ToInteger()), call.Argument(2), call.Argument(3)); o != nil {
			return o
		}
		return goja.Undefined()
	})
	ctor, _ := r.call(r.classFactory, goja.Undefined(), native).(*goja.Object)
	if ctor == nil {
		panic(r.typeError("class factory failed"))
	}
	_ = ctor.DefineDataProperty("name", r.rt.ToValue(name), no, yes, no)
	_ = ctor.DefineDataProperty("length", r.rt.ToValue(length), no, yes, no)
	proto := r.protoProp(ctor, name)
	if parent != nil {
		_ = ctor.SetPrototype(parent.ctor)
		_ = proto.SetPrototype(parent.proto)
	}
	r.tag(proto, name)
	r.platformProtos[proto] = true
	return &classInfo{ctor: ctor, proto: proto}
}

// instance makes a new object of class c without running its constructor, as
// the platform does for objects it creates itself (an AbortSignal, say).
func (r *realm) instance(c *classInfo) *goja.Object {
	o := r.rt.NewObject()
	_ = o.SetPrototype(c.proto)
	return o
}

// lazyGlobal defines globalThis[name] as an accessor that builds the value
// on first read and then replaces itself with an ordinary data property, the
// way Node defines its lazily loaded globals. Building every class for every
// VM would cost several times more than all the rest of Install; most
// scripts use few of them. Assigning to the global before reading it simply
// replaces it. Globals that are interfaces are not enumerable, as in
// browsers.
func (r *realm) lazyGlobal(name string, enumerable bool, build func() goja.Value) {
	g := r.rt.GlobalObject()
	enum := goja.ToFlag(enumerable)
	var built goja.Value
	get := r.fn("get "+name, 0, func(goja.FunctionCall) goja.Value {
		if built == nil {
			built = build()
		}
		// If the engine froze the global object this fails, and the
		// accessor goes on returning the one built value.
		_ = g.DefineDataProperty(name, built, yes, yes, enum)
		return built
	})
	// The setter keeps length 0: fixing it would cost Install more than it
	// is worth.
	set := r.fn("set "+name, 0, func(call goja.FunctionCall) goja.Value {
		_ = g.DefineDataProperty(name, call.Argument(0), yes, yes, enum)
		return goja.Undefined()
	})
	_ = g.DefineAccessorProperty(name, get, set, yes, enum)
}

// global defines globalThis[name] = v as browsers define operations:
// writable, enumerable, configurable.
func (r *realm) global(name string, v goja.Value) error {
	return r.rt.GlobalObject().DefineDataProperty(name, v, yes, yes, yes)
}
