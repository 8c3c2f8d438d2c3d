package web

import (
	"errors"
	"runtime"
	"sync"
	"weak"

	"github.com/kiln-run/kiln/internal/goja"
)

// realm is the per-runtime state that the five installers share: the classes
// built so far, the Go-side state of platform objects, and the built-ins
// looked up on first use. Scripts never reach it; it lives only in the Go
// closures behind the installed functions.
//
// A realm is used only on its runtime's goroutine, so it needs no locking.
type realm struct {
	rt   *goja.Runtime
	host Host

	// state maps each platform object (a DOMException, TextDecoder,
	// AbortSignal, Event…) to its Go-side state: the WebIDL "internal slots".
	// Keys are weak so that an object the script drops can still be
	// collected; dead entries are swept as the map grows.
	state     map[weak.Pointer[goja.Object]]any
	sweepSize int

	// platformProtos holds the prototype of every class built here, so that
	// structuredClone can tell a platform object from a plain one without a
	// state lookup per object (see protoKind).
	platformProtos map[*goja.Object]bool

	builtins     map[string]*goja.Object
	fns          map[string]goja.Callable // built-in methods and getters
	classFactory goja.Callable
	views        *viewIntrinsics
	cloneProtos  map[*goja.Object]int // see protoKind
	errorProto   *goja.Object         // %Error.prototype%

	domException *domExceptionClass
	encoder      *classInfo
	decoder      *classInfo
	eventTarget  *classInfo
	event        *classInfo
	abortSignal  *classInfo
	abortCtl     *classInfo
	crypto       *goja.Object
}

// classInfo is a built class: its constructor and its prototype.
type classInfo struct {
	ctor, proto *goja.Object
}

// realms finds the realm of a runtime while its installers run. Both sides
// are weak: the runtime's installed functions keep its realm alive, and
// nothing here keeps a runtime alive.
var realms = struct {
	sync.Mutex
	m         map[weak.Pointer[goja.Runtime]]weak.Pointer[realm]
	sweepSize int
}{m: make(map[weak.Pointer[goja.Runtime]]weak.Pointer[realm])}

// realmFor returns rt's realm, creating it on the first call. Every installer
// must keep the returned realm reachable from what it installs, or a later
// installer would get a fresh realm with, say, a second DOMException class.
func realmFor(rt *goja.Runtime, host Host) *realm {
	key := weak.Make(rt)
	realms.Lock()
	defer realms.Unlock()
	if p, ok := realms.m[key]; ok {
		if r := p.Value(); r != nil {
			return r
		}
	}
	if len(realms.m) >= realms.sweepSize {
		for k, v := range realms.m {
			if k.Value() == nil || v.Value() == nil {
				delete(realms.m, k)
			}
		}
		realms.sweepSize = max(2*len(realms.m), 64)
	}
	r := &realm{
		rt:             rt,
		host:           host,
		state:          make(map[weak.Pointer[goja.Object]]any),
		sweepSize:      64,
		platformProtos: make(map[*goja.Object]bool),
		builtins:       make(map[string]*goja.Object),
		fns:            make(map[string]goja.Callable),
	}
	realms.m[key] = weak.Make(r)
	return r
}

// setState records s as o's internal state.
func (r *realm) setState(o *goja.Object, s any) {
	if len(r.state) >= r.sweepSize {
		for k := range r.state {
			if k.Value() == nil {
				delete(r.state, k)
			}
		}
		r.sweepSize = max(2*len(r.state), 64)
	}
	r.state[weak.Make(o)] = s
}

// stateOf returns v's internal state, or nil if v is not a platform object.
func (r *realm) stateOf(v goja.Value) any {
	o, ok := v.(*goja.Object)
	if !ok || o == nil {
		return nil
	}
	return r.state[weak.Make(o)]
}

// stateAs is stateOf with the brand check: ok is false unless v is a
// platform object whose state has type T.
func stateAs[T any](r *realm, v goja.Value) (s T, ok bool) {
	s, ok = r.stateOf(v).(T)
	return
}

// inherits reports whether proto is on o's prototype chain. A proxy, on the
// chain or as o, ends the walk: its traps are not run.
func inherits(o, proto *goja.Object) bool {
	if isProxy(o) {
		return false
	}
	for i := 0; i < 64; i++ {
		p := o.Prototype()
		if p == nil || isProxy(p) {
			return false
		}
		if p == proto {
			return true
		}
		o = p
	}
	return false
}

// builtin returns the global named name as it stood when first asked for.
// Built-ins are looked up lazily because touching one makes goja build it,
// which costs microseconds each; a script that replaced one beforehand only
// confuses itself.
func (r *realm) builtin(name string) *goja.Object {
	if o, ok := r.builtins[name]; ok {
		return o
	}
	var o *goja.Object
	if r.host.Builtin != nil {
		o = r.host.Builtin(name)
	} else {
		o, _ = r.rt.GlobalObject().Get(name).(*goja.Object)
	}
	if o == nil {
		panic(r.typeError(name + " is not available"))
	}
	r.builtins[name] = o
	return o
}

// protoProp returns o.prototype, which must be an object.
func (r *realm) protoProp(o *goja.Object, what string) *goja.Object {
	p, _ := o.Get("prototype").(*goja.Object)
	if p == nil {
		panic(r.typeError(what + ".prototype is not available"))
	}
	return p
}

// getOwnPropertyDescriptor returns Object.getOwnPropertyDescriptor.
func (r *realm) getOwnPropertyDescriptor() goja.Callable {
	const key = "Object.getOwnPropertyDescriptor"
	if f, ok := r.fns[key]; ok {
		return f
	}
	f, ok := goja.AssertFunction(r.builtin("Object").Get("getOwnPropertyDescriptor"))
	if !ok {
		panic(r.typeError(key + " is not available"))
	}
	r.fns[key] = f
	return f
}

// getterOf returns the getter of o's own accessor property key.
func (r *realm) getterOf(o *goja.Object, key goja.Value) goja.Callable {
	desc, _ := r.call(r.getOwnPropertyDescriptor(), goja.Undefined(), o, key).(*goja.Object)
	if desc != nil {
		if g, ok := goja.AssertFunction(desc.Get("get")); ok {
			return g
		}
	}
	panic(r.typeError("getter " + key.String() + " is not available"))
}

// get returns o[key], undefined (rather than goja's nil) if it is missing.
func get(o *goja.Object, key string) goja.Value {
	if v := o.Get(key); v != nil {
		return v
	}
	return goja.Undefined()
}

// call calls f and rethrows whatever it throws, uncatchable interrupts
// included, into the script.
func (r *realm) call(f goja.Callable, this goja.Value, args ...goja.Value) goja.Value {
	v, err := f(this, args...)
	if err != nil {
		panic(err)
	}
	if v == nil {
		return goja.Undefined()
	}
	return v
}

// errorPrototype returns %Error.prototype%, reached through a fresh
// TypeError so that no global a script can replace is involved.
func (r *realm) errorPrototype() *goja.Object {
	if r.errorProto == nil {
		if p := r.rt.NewTypeError("").Prototype(); p != nil {
			r.errorProto = p.Prototype()
		}
		if r.errorProto == nil {
			panic(r.typeError("Error.prototype is not available"))
		}
	}
	return r.errorProto
}

// typeError returns a TypeError with message msg, taken literally.
func (r *realm) typeError(msg string) *goja.Object {
	return r.rt.NewTypeError("%s", msg)
}

// rangeError returns a RangeError with message msg.
func (r *realm) rangeError(msg string) *goja.Object {
	if o, err := r.rt.New(r.builtin("RangeError"), r.rt.ToValue(msg)); err == nil {
		return o
	}
	return r.typeError(msg)
}

// isFatal reports whether err must end the script rather than be caught or
// reported: an interrupt (timeout, cancellation) or a stack overflow.
func isFatal(err error) bool {
	var ie *goja.InterruptedError
	var so *goja.StackOverflowError
	return errors.As(err, &ie) || errors.As(err, &so)
}

// recoverInternal turns a Go runtime panic (a bug in this package) into a
// TypeError, so that a script can neither crash the host nor see a Go stack.
// Everything else (JS exceptions, interrupts) goes on unwinding as it was.
func (r *realm) recoverInternal(name string) {
	if x := recover(); x != nil {
		if _, ok := x.(runtime.Error); ok {
			panic(r.typeError("internal error in " + name))
		}
		panic(x)
	}
}

// toDOMString converts v as WebIDL converts to DOMString (and, since goja
// turns lone surrogates into U+FFFD on the way to Go, to USVString).
// charge asks the host for bytes (see Host.Charge); true if it has no say.
func (r *realm) charge(bytes float64, what string) bool {
	return r.host.Charge == nil || bytes <= 1<<16 || r.host.Charge(bytes, what)
}

// utf8Len is the length of s in UTF-8, a lone surrogate counting as the
// three bytes of U+FFFD it becomes.
func utf8Len(s goja.String) int {
	n, l := 0, s.Length()
	for i := 0; i < l; i++ {
		switch c := s.CharAt(i); {
		case c < 0x80:
			n++
		case c < 0x800:
			n += 2
		case c >= 0xD800 && c < 0xDC00 && i+1 < l && s.CharAt(i+1) >= 0xDC00 && s.CharAt(i+1) < 0xE000:
			n += 4
			i++
		default:
			n += 3
		}
	}
	return n
}

func (r *realm) toDOMString(v goja.Value) string {
	if _, ok := v.(*goja.Symbol); ok {
		panic(r.typeError("Cannot convert a Symbol value to a string"))
	}
	s := v.ToString()
	if _, ok := s.(*goja.Symbol); ok {
		panic(r.typeError("Cannot convert a Symbol value to a string"))
	}
	return s.String()
}

// requireArgs throws the WebIDL TypeError when fewer than n arguments came.
func (r *realm) requireArgs(what string, call goja.FunctionCall, n int) {
	if len(call.Arguments) < n {
		panic(r.typeError(what + ": " + plural(n, "argument") + " required, but only " + itoa(len(call.Arguments)) + " present."))
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return itoa(n) + " " + word + "s"
}
