// Package idl holds the WebIDL conversions that more than one package of
// web globals needs.
package idl

import (
	"strconv"

	"github.com/kiln-run/kiln/internal/goja"
)

// Record converts o as WebIDL converts an object to a record<K, V>: for
// each of o's own keys, in the order of one [[OwnPropertyKeys]] call
// (string keys and symbols alike), it reads the key's descriptor and, if
// the property exists and is enumerable, converts the key with key, reads
// the value and converts it with value — one key at a time, which a Proxy
// can observe. key receives symbols too, and must throw a TypeError for
// them (a symbol converts to no string type).
//
// reflect is the Reflect object whose ownKeys, getOwnPropertyDescriptor
// and get do the reading. Whatever they or the converters throw is thrown
// on, as a goja panic, into the calling script.
func Record(rt *goja.Runtime, reflect, o *goja.Object, key, value func(goja.Value) string) [][2]string {
	ownKeys := method(rt, reflect, "ownKeys")
	describe := method(rt, reflect, "getOwnPropertyDescriptor")
	getter := method(rt, reflect, "get")
	keys, ok := call(ownKeys, o).(*goja.Object)
	if !ok {
		panic(rt.NewTypeError("Reflect.ownKeys returned no list"))
	}
	var n int64
	if l := keys.Get("length"); l != nil {
		n = l.ToInteger()
	}
	var out [][2]string
	for i := range n {
		k := keys.Get(strconv.FormatInt(i, 10))
		if k == nil {
			k = goja.Undefined()
		}
		desc, ok := call(describe, o, k).(*goja.Object)
		if !ok {
			continue
		}
		if e := desc.Get("enumerable"); e == nil || !e.ToBoolean() {
			continue
		}
		name := key(k)
		out = append(out, [2]string{name, value(call(getter, o, k))})
	}
	return out
}

// method returns reflect[name], which must be a function.
func method(rt *goja.Runtime, reflect *goja.Object, name string) goja.Callable {
	f, ok := goja.AssertFunction(reflect.Get(name))
	if !ok {
		panic(rt.NewTypeError("Reflect." + name + " is not a function"))
	}
	return f
}

// call calls f with args and throws on what it throws.
func call(f goja.Callable, args ...goja.Value) goja.Value {
	v, err := f(goja.Undefined(), args...)
	if err != nil {
		panic(err)
	}
	if v == nil {
		return goja.Undefined()
	}
	return v
}
