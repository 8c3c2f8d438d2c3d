package web

import "github.com/kiln-run/kiln/internal/goja"

// eventClass builds Event.
func (r *realm) eventClass() *classInfo {
	if r.event != nil {
		return r.event
	}
	c := r.class("Event", 1, nil, func(this *goja.Object, argc int, typ, init goja.Value) *goja.Object {
		if argc < 1 {
			panic(r.typeError("Failed to construct 'Event': 1 argument required, but only 0 present."))
		}
		ev := &eventState{typ: r.toDOMString(typ)}
		if o := r.dictionary(init, "EventInit"); o != nil {
			ev.bubbles = get(o, "bubbles").ToBoolean()
			ev.cancelable = get(o, "cancelable").ToBoolean()
			ev.composed = get(o, "composed").ToBoolean()
		}
		r.setState(this, ev)
		return nil
	})
	r.event = c
	p := c.proto
	brand := func(call goja.FunctionCall) *eventState {
		ev, ok := stateAs[*eventState](r, call.This)
		if !ok {
			panic(r.typeError("Illegal invocation"))
		}
		return ev
	}
	object := func(o *goja.Object) goja.Value {
		if o == nil {
			return goja.Null()
		}
		return o
	}
	flag := func(name string, get func(*eventState) bool) {
		r.getter(p, name, func(call goja.FunctionCall) goja.Value { return r.rt.ToValue(get(brand(call))) })
	}
	r.getter(p, "type", func(call goja.FunctionCall) goja.Value { return r.rt.ToValue(brand(call).typ) })
	r.getter(p, "target", func(call goja.FunctionCall) goja.Value { return object(brand(call).target) })
	r.getter(p, "currentTarget", func(call goja.FunctionCall) goja.Value { return object(brand(call).currentTarget) })
	r.getter(p, "eventPhase", func(call goja.FunctionCall) goja.Value { return r.rt.ToValue(brand(call).phase) })
	flag("bubbles", func(ev *eventState) bool { return ev.bubbles })
	flag("cancelable", func(ev *eventState) bool { return ev.cancelable })
	flag("composed", func(ev *eventState) bool { return ev.composed })
	flag("defaultPrevented", func(ev *eventState) bool { return ev.canceled })
	flag("isTrusted", func(ev *eventState) bool { return ev.trusted })
	r.method(p, "composedPath", 0, func(call goja.FunctionCall) goja.Value {
		if ev := brand(call); ev.currentTarget != nil {
			return r.rt.NewArray(ev.currentTarget)
		}
		return r.rt.NewArray()
	})
	r.method(p, "stopPropagation", 0, func(call goja.FunctionCall) goja.Value {
		brand(call).stop = true
		return goja.Undefined()
	})
	r.method(p, "stopImmediatePropagation", 0, func(call goja.FunctionCall) goja.Value {
		ev := brand(call)
		ev.stop, ev.stopImmediate = true, true
		return goja.Undefined()
	})
	r.method(p, "preventDefault", 0, func(call goja.FunctionCall) goja.Value {
		if ev := brand(call); ev.cancelable && !ev.inPassive {
			ev.canceled = true
		}
		return goja.Undefined()
	})
	for i, name := range [...]string{"NONE", "CAPTURING_PHASE", "AT_TARGET", "BUBBLING_PHASE"} {
		r.constant(c.ctor, name, i)
		r.constant(p, name, i)
	}
	return c
}

// newEvent makes an event the platform fires, such as an AbortSignal's
// "abort": trusted, and neither bubbling nor cancelable.
func (r *realm) newEvent(typ string) (*goja.Object, *eventState) {
	ev := &eventState{typ: typ, trusted: true}
	o := r.instance(r.eventClass())
	r.setState(o, ev)
	return o, ev
}
