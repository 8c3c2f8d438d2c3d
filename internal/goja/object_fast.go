package goja

import (
	"github.com/kiln-run/kiln/internal/goja/unistring"
)

// Kiln patch 7: plain objects built and read from Go for less (FORK.md).
// An embedder that turns Go data into objects on every call pays, through
// NewObject and Set, three allocations an object, a key list regrown at 1,
// 2, 4 and 8 keys, and a try frame (defer and recover) for every property;
// reading an object's keys allocates an iterator. These are the same
// operations without that overhead, charging the memory meter exactly as
// the general paths do.

// plainObjectAlloc is an ordinary object's Object and baseObject in one
// allocation: they point at each other and live and die together.
type plainObjectAlloc struct {
	obj  Object
	base baseObject
}

// NewObjectSized is NewObject (an ordinary object whose prototype is
// Object.prototype) with room for n own properties: its property map and
// key list are allocated once, for n, and its Object and implementation
// share one allocation. Add the properties with CreateDataProperty.
func (r *Runtime) NewObjectSized(n int) *Object {
	a := &plainObjectAlloc{}
	v, o := &a.obj, &a.base
	v.runtime, v.self = r, o
	o.class, o.val, o.extensible, o.prototype = classObject, v, true, r.global.ObjectPrototype
	if r.meter.limit != 0 { // Kiln meter, as baseObject.init
		r.meterCharge(meterObjectBytes)
	}
	o.values = make(map[unistring.String]Value, n)
	if n > 0 {
		o.propNames = make([]unistring.String, 0, n)
	}
	return v
}

// CreateDataProperty defines an own data property, writable, enumerable
// and configurable, as an object literal or JSON.parse does: no setter
// of the prototype chain is called, and "__proto__" is an own property.
// On an extensible ordinary object that does not have the property yet
// (an object just made by NewObject or NewObjectSized) it is a map insert
// and an append, without a try frame; anywhere else it is
// DefineDataProperty with every flag true, and returns its error. A nil
// value is undefined.
//
// Like NewObject, the fast path does not catch the memory meter's stop:
// outside a run the stop is left pending (the next run stops at its first
// instruction), inside one it unwinds as an Interrupt does.
func (o *Object) CreateDataProperty(name string, value Value) error {
	if value == nil {
		value = _undefined
	}
	if b, ok := o.self.(*baseObject); ok && b.extensible {
		key := unistring.NewFromString(name)
		if _, exists := b.values[key]; !exists {
			b.meterProp() // Kiln meter, as defineOwnPropertyStr
			b.values[key] = value
			b.propNames = append(copyNamesIfNeeded(b.propNames, 1), key)
			return nil
		}
	}
	return o.DefineDataProperty(name, value, FLAG_TRUE, FLAG_TRUE, FLAG_TRUE)
}

// NewStringValue is ToValue of a string, without the string's conversion
// to interface{} (an allocation when it escapes, as it does in ToValue).
func NewStringValue(s string) Value {
	if len(s) <= 16 {
		if u := unistring.Scan(s); u != nil {
			return &importedString{s: s, u: u, scanned: true}
		}
		return asciiString(s)
	}
	return &importedString{s: s}
}

// AppendKeys appends o's own enumerable string keys, in property order,
// to keys and returns the result: the keys Keys returns, without its
// iterator and its list's regrowth (an ordinary object allocates nothing
// when keys has room). Like Keys, it may panic with a JS exception (a
// Proxy's trap); use Runtime.Try around it when that can happen.
func (o *Object) AppendKeys(keys []string) []string {
	b, ok := o.self.(*baseObject)
	if !ok {
		return append(keys, o.Keys()...)
	}
	b.ensurePropOrder()
	for _, name := range b.propNames {
		if prop, ok := b.values[name].(*valueProperty); ok && !prop.enumerable {
			continue
		}
		keys = append(keys, name.String())
	}
	return keys
}
