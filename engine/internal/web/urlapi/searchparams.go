package urlapi

import (
	"github.com/kiln-run/kiln/internal/goja"

	"github.com/kiln-run/kiln/engine/internal/web/idl"
)

// paramsState is a URLSearchParams object's list and, for a URL's
// searchParams, the URL it writes back to.
type paramsState struct {
	list []pair
	url  *urlState
}

// updated runs the standard's update steps after every mutation: a URL's
// searchParams rewrites that URL's query.
func (ps *paramsState) updated() {
	if ps.url == nil {
		return
	}
	u := ps.url.rec
	q := serializeFormURLEncoded(ps.list)
	if q == "" {
		u.query, u.hasQuery = "", false
		u.stripTrailingSpacesFromOpaquePath()
	} else {
		u.query, u.hasQuery = q, true
	}
}

func (in *installation) newParams(obj *goja.Object, ps *paramsState) *goja.Object {
	in.params.put(obj, ps)
	return obj
}

func (in *installation) thisParams(call goja.FunctionCall) *paramsState {
	obj, _ := call.This.(*goja.Object)
	ps := in.params.get(obj)
	if ps == nil {
		in.throwTypeError("Illegal invocation: receiver is not a URLSearchParams")
	}
	return ps
}

// constructParams is the URLSearchParams(init) constructor steps.
func (in *installation) constructParams(obj *goja.Object, args []goja.Value) {
	ps := &paramsState{}
	if len(args) > 0 {
		ps.list = in.initList(args[0])
	}
	in.newParams(obj, ps)
}

func (in *installation) buildSearchParams(c *lazyClass) {
	rt, proto := in.rt, c.proto
	in.accessor(proto, "size", func(call goja.FunctionCall) goja.Value {
		return rt.ToValue(len(in.thisParams(call).list))
	}, nil)
	in.method(proto, "append", 2, func(call goja.FunctionCall) goja.Value {
		ps := in.thisParams(call)
		name, value := in.twoStrings(call, "append")
		ps.list = append(ps.list, pair{name, value})
		ps.updated()
		return goja.Undefined()
	})
	in.method(proto, "delete", 1, func(call goja.FunctionCall) goja.Value {
		ps := in.thisParams(call)
		name, value, hasValue := in.nameAndOptionalValue(call, "delete")
		kept := ps.list[:0:0]
		for _, p := range ps.list {
			if p.name != name || (hasValue && p.value != value) {
				kept = append(kept, p)
			}
		}
		ps.list = kept
		ps.updated()
		return goja.Undefined()
	})
	in.method(proto, "get", 1, func(call goja.FunctionCall) goja.Value {
		ps := in.thisParams(call)
		in.requireArgs(call.Arguments, 1, "URLSearchParams.get")
		name := in.usv(call.Arguments[0])
		for _, p := range ps.list {
			if p.name == name {
				return rt.ToValue(p.value)
			}
		}
		return goja.Null()
	})
	in.method(proto, "getAll", 1, func(call goja.FunctionCall) goja.Value {
		ps := in.thisParams(call)
		in.requireArgs(call.Arguments, 1, "URLSearchParams.getAll")
		name := in.usv(call.Arguments[0])
		var vals []any
		for _, p := range ps.list {
			if p.name == name {
				vals = append(vals, p.value)
			}
		}
		return rt.NewArray(vals...)
	})
	in.method(proto, "has", 1, func(call goja.FunctionCall) goja.Value {
		ps := in.thisParams(call)
		name, value, hasValue := in.nameAndOptionalValue(call, "has")
		for _, p := range ps.list {
			if p.name == name && (!hasValue || p.value == value) {
				return rt.ToValue(true)
			}
		}
		return rt.ToValue(false)
	})
	in.method(proto, "set", 2, func(call goja.FunctionCall) goja.Value {
		ps := in.thisParams(call)
		name, value := in.twoStrings(call, "set")
		// Replace the first match, drop the others, append if none.
		out, found := ps.list[:0:0], false
		for _, p := range ps.list {
			if p.name != name {
				out = append(out, p)
			} else if !found {
				out = append(out, pair{name, value})
				found = true
			}
		}
		if !found {
			out = append(out, pair{name, value})
		}
		ps.list = out
		ps.updated()
		return goja.Undefined()
	})
	in.method(proto, "sort", 0, func(call goja.FunctionCall) goja.Value {
		ps := in.thisParams(call)
		sortPairs(ps.list)
		ps.updated()
		return goja.Undefined()
	})
	in.method(proto, "forEach", 1, func(call goja.FunctionCall) goja.Value {
		ps := in.thisParams(call)
		in.requireArgs(call.Arguments, 1, "URLSearchParams.forEach")
		cb, ok := goja.AssertFunction(call.Arguments[0])
		if !ok {
			in.throwTypeError("URLSearchParams.forEach: callback is not a function")
		}
		// The list is re-read every step: the callback may mutate it, and
		// WebIDL iteration is live.
		for i := 0; i < len(ps.list); i++ {
			p := ps.list[i]
			if _, err := cb(call.Argument(1), rt.ToValue(p.value), rt.ToValue(p.name), call.This); err != nil {
				panic(err)
			}
		}
		return goja.Undefined()
	})
	in.method(proto, "keys", 0, func(call goja.FunctionCall) goja.Value {
		return in.newIterator(in.thisParams(call), iterKeys)
	})
	in.method(proto, "values", 0, func(call goja.FunctionCall) goja.Value {
		return in.newIterator(in.thisParams(call), iterValues)
	})
	entries := in.method(proto, "entries", 0, func(call goja.FunctionCall) goja.Value {
		return in.newIterator(in.thisParams(call), iterEntries)
	})
	_ = proto.DefineDataPropertySymbol(goja.SymIterator, entries, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	in.method(proto, "toString", 0, func(call goja.FunctionCall) goja.Value {
		return rt.ToValue(serializeFormURLEncoded(in.thisParams(call).list))
	})
}

func (in *installation) twoStrings(call goja.FunctionCall, what string) (string, string) {
	in.requireArgs(call.Arguments, 2, "URLSearchParams."+what)
	return in.usv(call.Arguments[0]), in.usv(call.Arguments[1])
}

// nameAndOptionalValue converts (name, value?) where an undefined value
// counts as absent, as WebIDL optional arguments do.
func (in *installation) nameAndOptionalValue(call goja.FunctionCall, what string) (string, string, bool) {
	in.requireArgs(call.Arguments, 1, "URLSearchParams."+what)
	name := in.usv(call.Arguments[0])
	if len(call.Arguments) < 2 || goja.IsUndefined(call.Arguments[1]) {
		return name, "", false
	}
	return name, in.usv(call.Arguments[1]), true
}

// initList converts the constructor's init argument, resolving the WebIDL
// union (sequence<sequence<USVString>> or record<USVString, USVString> or
// USVString) the way bindings do: objects with an iterator are sequences,
// other objects records, everything else a string.
func (in *installation) initList(init goja.Value) []pair {
	if goja.IsUndefined(init) {
		return nil
	}
	obj, isObj := init.(*goja.Object)
	if !isObj {
		s := in.usv(init)
		var list []pair
		if !safely(func() { list = in.parseQuery(trimLeading(s, '?')) }) {
			in.throwTypeError("URLSearchParams: cannot parse init")
		}
		return list
	}
	if m := obj.GetSymbol(goja.SymIterator); !isNullish(m) {
		return in.pairsFromSequence(obj)
	}
	// Reflect as the script sees it, as the lazy classes' traps use it: a
	// script that replaced it only changes how its own record is read.
	reflect, ok := in.rt.Get("Reflect").(*goja.Object)
	if !ok {
		in.throwTypeError("Reflect is not available")
	}
	var list []pair
	for _, p := range idl.Record(in.rt, reflect, obj, in.usv, in.usv) {
		list = append(list, pair{p[0], p[1]})
	}
	return list
}

func (in *installation) pairsFromSequence(seq *goja.Object) []pair {
	var list []pair
	in.rt.ForOf(seq, func(item goja.Value) bool {
		inner, ok := item.(*goja.Object)
		if !ok || isNullish(inner.GetSymbol(goja.SymIterator)) {
			in.throwTypeError("URLSearchParams: each init pair must be an iterable of two strings")
		}
		var strs []string
		in.rt.ForOf(inner, func(v goja.Value) bool {
			strs = append(strs, in.usv(v))
			return len(strs) <= 2
		})
		if len(strs) != 2 {
			in.throwTypeError("URLSearchParams: each init pair must have exactly two elements")
		}
		list = append(list, pair{strs[0], strs[1]})
		return true
	})
	return list
}
