// Package urlapi installs the WHATWG URL Standard's URL and URLSearchParams
// classes into a goja runtime.
//
// The parser is this package's own (parser.go, path.go, host.go): it
// follows the standard state machine and is linear in its input, because
// goja cannot interrupt a native call and a tenant's script must not be able
// to pin a CPU with one long URL. (github.com/nlnwa/whatwg-url passes the
// same WPT data but builds userinfo and opaque hosts by string
// concatenation: a 400k-character userinfo took over a minute.) International domain names go through
// golang.org/x/net/idna under a work budget (see idnaBudget).
//
// State behind each JS object lives in Go, in weak tables keyed by the
// object, so scripts never see Go values or methods. Strings crossing from
// JS are converted as WebIDL USVStrings: lone surrogates become U+FFFD.
package urlapi

import (
	"fmt"
	"strconv"

	"github.com/kiln-run/kiln/internal/goja"
)

// Install defines URL and URLSearchParams on rt's global object. It builds
// the classes in Go, compiling no JavaScript, so it is cheap enough to run
// for every new runtime. The classes are bound to rt and must not be used
// from another runtime. It returns an error only if the globals cannot be
// defined (for example, a non-configurable URL property already exists).
func Install(rt *goja.Runtime) error {
	_, err := install(rt)
	return err
}

// Classes builds URL and URLSearchParams without defining any global, for
// a host that defines globals itself. proxy must be rt's original Proxy
// constructor. charge, if not nil, is asked before a query string is
// parsed into pairs, with a lower bound of their bytes; false means the
// host has stopped the run, and the list is left empty.
func Classes(rt *goja.Runtime, proxy *goja.Object, charge func(bytes float64, what string) bool) (url, searchParams *goja.Object, err error) {
	in, err := build(rt, proxy)
	if err != nil {
		return nil, nil, err
	}
	in.charge = charge
	return in.urlClass.ctor, in.paramsClass.ctor, nil
}

func install(rt *goja.Runtime) (*installation, error) {
	proxy, err := globalObject(rt, "Proxy")
	if err != nil {
		return nil, err
	}
	in, err := build(rt, proxy)
	if err != nil {
		return nil, err
	}
	g := rt.GlobalObject()
	// Interface objects are writable, configurable and not enumerable, as
	// WebIDL defines them on the global.
	if err := g.DefineDataProperty("URL", in.urlClass.ctor, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE); err != nil {
		return nil, fmt.Errorf("urlapi: define URL: %w", err)
	}
	if err := g.DefineDataProperty("URLSearchParams", in.paramsClass.ctor, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE); err != nil {
		return nil, fmt.Errorf("urlapi: define URLSearchParams: %w", err)
	}
	return in, nil
}

func build(rt *goja.Runtime, proxy *goja.Object) (*installation, error) {
	in := &installation{rt: rt, proxyCtor: proxy}
	var err error
	if in.urlClass, err = in.newLazyClass("URL", 1, in.constructURL, in.buildURL); err != nil {
		return nil, fmt.Errorf("urlapi: URL: %w", err)
	}
	if in.paramsClass, err = in.newLazyClass("URLSearchParams", 0, in.constructParams, in.buildSearchParams); err != nil {
		return nil, fmt.Errorf("urlapi: URLSearchParams: %w", err)
	}
	return in, nil
}

func globalObject(rt *goja.Runtime, name string) (*goja.Object, error) {
	o, ok := rt.Get(name).(*goja.Object)
	if !ok {
		return nil, fmt.Errorf("urlapi: global %s is missing", name)
	}
	return o, nil
}

// installation is one runtime's copy of the classes and their state tables.
type installation struct {
	rt *goja.Runtime

	iterProto *goja.Object // created on first use

	urls   weakTable[urlSlot]
	params weakTable[paramsState]
	iters  weakTable[iterState]

	urlClass, paramsClass *lazyClass

	// Captured at Install, before any script can replace it.
	proxyCtor *goja.Object

	// charge is the host's memory check (Classes), or nil.
	charge func(bytes float64, what string) bool
}

// fn wraps f as a JS function with the given name and length. rt.ToValue
// names functions after the Go symbol, which would show package paths to
// scripts, so the name is always overwritten.
func (in *installation) fn(name string, length int, f func(goja.FunctionCall) goja.Value) *goja.Object {
	o := in.rt.ToValue(f).(*goja.Object)
	in.setNameLength(o, name, length)
	return o
}

func (in *installation) setNameLength(o *goja.Object, name string, length int) {
	_ = o.DefineDataProperty("length", in.rt.ToValue(length), goja.FLAG_FALSE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	_ = o.DefineDataProperty("name", in.rt.ToValue(name), goja.FLAG_FALSE, goja.FLAG_TRUE, goja.FLAG_FALSE)
}

// method defines a WebIDL operation: writable, enumerable, configurable.
func (in *installation) method(o *goja.Object, name string, length int, f func(goja.FunctionCall) goja.Value) *goja.Object {
	m := in.fn(name, length, f)
	_ = o.DefineDataProperty(name, m, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_TRUE)
	return m
}

// accessor defines a WebIDL attribute: enumerable, configurable, with a
// setter only when set is non-nil.
func (in *installation) accessor(o *goja.Object, name string, get, set func(goja.FunctionCall) goja.Value) {
	var s goja.Value
	if set != nil {
		s = in.fn("set "+name, 1, func(call goja.FunctionCall) goja.Value {
			in.requireArgs(call.Arguments, 1, "set "+name)
			return set(call)
		})
	}
	_ = o.DefineAccessorProperty(name, in.fn("get "+name, 0, get), s, goja.FLAG_TRUE, goja.FLAG_TRUE)
}

// ordinaryHasInstance is OrdinaryHasInstance(this, v) for the class
// constructors: is this.prototype on v's prototype chain?
func (in *installation) ordinaryHasInstance(call goja.FunctionCall) goja.Value {
	c, ok := call.This.(*goja.Object)
	o, isObj := call.Argument(0).(*goja.Object)
	if !ok || !isObj {
		return in.rt.ToValue(false)
	}
	p, ok := c.Get("prototype").(*goja.Object)
	if !ok {
		in.throwTypeError("Function has non-object prototype in instanceof check")
	}
	for o = o.Prototype(); o != nil; o = o.Prototype() {
		if o.SameAs(p) {
			return in.rt.ToValue(true)
		}
	}
	return in.rt.ToValue(false)
}

func (in *installation) tag(o *goja.Object, name string) {
	_ = o.DefineDataPropertySymbol(goja.SymToStringTag, in.rt.ToValue(name), goja.FLAG_FALSE, goja.FLAG_TRUE, goja.FLAG_FALSE)
}

func (in *installation) throwTypeError(format string, args ...any) {
	panic(in.rt.NewTypeError(fmt.Sprintf(format, args...)))
}

func (in *installation) requireArgs(args []goja.Value, n int, what string) {
	if len(args) < n {
		in.throwTypeError("%s: %d argument(s) required, but only %d present", what, n, len(args))
	}
}

// usv converts v to a WebIDL USVString. goja's String decodes UTF-16 with
// utf16.Decode, which turns lone surrogates into U+FFFD exactly as the
// conversion requires; objects go through their JS toString.
func (in *installation) usv(v goja.Value) string {
	if _, ok := v.(*goja.Symbol); ok {
		in.throwTypeError("Cannot convert a Symbol value to a string")
	}
	return v.String()
}

func isNullish(v goja.Value) bool {
	return v == nil || goja.IsUndefined(v) || goja.IsNull(v)
}

// safely runs f and reports whether it returned normally. The parser is
// pure Go and never calls into goja, so a panic there is a bug in this
// package; it must surface as a plain TypeError, never as a Go panic with a
// stack trace crossing into the engine.
func safely(f func()) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	f()
	return true
}

// quoteInput renders untrusted input for an error message, bounded so that
// a huge input cannot make a huge message.
func quoteInput(s string) string {
	const max = 256
	if len(s) > max {
		cut := max
		for cut > 0 && s[cut]&0xC0 == 0x80 {
			cut--
		}
		return strconv.Quote(s[:cut]) + "…"
	}
	return strconv.Quote(s)
}
