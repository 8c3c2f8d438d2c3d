package web

import (
	"math"
	"time"

	"github.com/kiln-run/kiln/internal/goja"
)

// method2 returns the built-in method ctor.prototype[name], looked up once.
func (r *realm) method2(ctor, name string) goja.Callable {
	key := ctor + ".prototype." + name
	if f, ok := r.fns[key]; ok {
		return f
	}
	f, ok := goja.AssertFunction(r.protoProp(r.builtin(ctor), ctor).Get(name))
	if !ok {
		panic(r.typeError(key + " is not available"))
	}
	r.fns[key] = f
	return f
}

// objectPrototype returns %Object.prototype%, which a fresh object has.
func (r *realm) objectPrototype() *goja.Object {
	const key = "Object.prototype"
	if o, ok := r.builtins[key]; ok {
		return o
	}
	p := r.rt.NewObject().Prototype()
	r.builtins[key] = p
	return p
}

// construct calls new ctor(args...) on the built-in named ctor.
func (r *realm) construct(ctor string, args ...goja.Value) *goja.Object {
	o, err := r.rt.New(r.builtin(ctor), args...)
	if err != nil {
		panic(err)
	}
	return o
}

// view copies a typed array or DataView. Its buffer is copied (or found
// already copied), so views that shared a buffer share the copy.
func (c *cloner) view(vw view) *goja.Object {
	r := c.r
	if vw.detached {
		r.throwDOM("DataCloneError", "An ArrayBuffer is detached and could not be cloned.")
	}
	buf := c.value(vw.buffer)
	return r.construct(vw.kind, buf, r.rt.ToValue(vw.offset), r.rt.ToValue(vw.length))
}

func (c *cloner) date(o *goja.Object) *goja.Object {
	ms := math.NaN()
	if t, ok := o.Export().(time.Time); ok {
		ms = float64(t.UnixMilli())
	}
	return c.r.construct("Date", c.r.rt.ToValue(ms))
}

// regexp copies a RegExp's source and flags; lastIndex starts again at 0, as
// the spec says.
func (c *cloner) regexp(o *goja.Object) *goja.Object {
	r := c.r
	re := r.protoProp(r.builtin("RegExp"), "RegExp")
	source := r.call(r.cachedGetter("RegExp.prototype.source", re, "source"), o)
	flags := r.call(r.cachedGetter("RegExp.prototype.flags", re, "flags"), o)
	return r.construct("RegExp", source, flags)
}

// cachedGetter is getterOf, looked up once under key.
func (r *realm) cachedGetter(key string, o *goja.Object, name string) goja.Callable {
	if f, ok := r.fns[key]; ok {
		return f
	}
	f := r.getterOf(o, r.rt.ToValue(name))
	r.fns[key] = f
	return f
}

// collection copies a Map or Set. Its entries are listed first, with the
// built-in forEach (which checks the receiver really is a Map or Set), and
// copied one by one after, as the spec's copiedList is.
func (c *cloner) collection(o *goja.Object, ctor string, kind frameKind) *goja.Object {
	r := c.r
	var vals []goja.Value
	collect := r.fn("", 2, func(call goja.FunctionCall) goja.Value {
		if kind == mapFrame {
			vals = append(vals, call.Argument(1), call.Argument(0))
		} else {
			vals = append(vals, call.Argument(0))
		}
		return goja.Undefined()
	})
	r.call(r.method2(ctor, "forEach"), o, collect)
	d := r.construct(ctor)
	c.memory[o] = d
	c.push(&frame{kind: kind, src: o, dst: d, vals: vals})
	return d
}

// errorNames are the names whose prototype a copied error keeps; any other
// error comes back as a plain Error.
var errorNames = map[string]bool{
	"Error": true, "EvalError": true, "RangeError": true, "ReferenceError": true,
	"SyntaxError": true, "TypeError": true, "URIError": true,
}

// error copies an Error (or DOMException): its name (by prototype), and its
// own message, stack and cause if they are data properties.
func (c *cloner) error(o *goja.Object) *goja.Object {
	r := c.r
	var d *goja.Object
	if s, ok := r.domExceptionState(o); ok {
		d = r.newDOMException(s.message, s.name)
	} else {
		name := "Error"
		if n := o.Get("name"); goja.IsString(n) && errorNames[n.String()] {
			name = n.String()
		}
		msg, hasMsg := c.ownData(o, "message")
		if hasMsg {
			d = r.rt.NewTypeError("%s", r.toDOMString(msg))
		} else {
			d = r.rt.NewTypeError("")
			_ = d.Delete("message")
		}
		_ = d.SetPrototype(r.errorProtoByName(name))
	}
	if stack, ok := c.ownData(o, "stack"); ok && goja.IsString(stack) {
		_ = d.DefineDataProperty("stack", stack, yes, yes, no)
	}
	if cause, ok := c.ownData(o, "cause"); ok {
		c.memory[o] = d
		c.push(&frame{kind: slotFrame, src: o, dst: d, keys: []string{"cause"}, vals: []goja.Value{cause}})
	}
	return d
}

// ownData returns o's own data property key, without running a getter.
func (c *cloner) ownData(o *goja.Object, key string) (goja.Value, bool) {
	r := c.r
	desc, _ := r.call(r.getOwnPropertyDescriptor(), goja.Undefined(), o, r.rt.ToValue(key)).(*goja.Object)
	if desc == nil {
		return nil, false
	}
	// A data descriptor from getOwnPropertyDescriptor has an own "value".
	for _, k := range desc.Keys() {
		if k == "value" {
			return desc.Get("value"), true
		}
	}
	return nil, false
}

// errorProtoByName returns the prototype of the built-in error type name.
func (r *realm) errorProtoByName(name string) *goja.Object {
	switch name {
	case "Error":
		return r.errorPrototype()
	case "TypeError":
		return r.rt.NewTypeError("").Prototype()
	}
	return r.protoProp(r.builtin(name), name)
}

// domExceptionState returns o's state if it is a DOMException. The prototype
// check first spares ordinary errors a state lookup.
func (r *realm) domExceptionState(o *goja.Object) (*domExc, bool) {
	if d := r.domException; d == nil || d.ctor == nil || !inherits(o, d.proto) {
		return nil, false
	}
	return stateAs[*domExc](r, o)
}
