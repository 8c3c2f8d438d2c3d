package web

import (
	"sort"
	"strings"

	"github.com/kiln-run/kiln/internal/goja"

	"github.com/kiln-run/kiln/engine/internal/web/idl"
)

// headerGuard is a Headers object's guard. Only "immutable" refuses
// anything: there are no forbidden header names here (see
// installFetchClasses).
type headerGuard uint8

const (
	guardNone headerGuard = iota
	guardRequest
	guardResponse
	guardImmutable
)

// headerField is one entry of a header list. Names keep the case they were
// first given in; lower is the name in lower case, for comparisons.
type headerField struct {
	name, lower, value string
}

// headersState is a Headers object's internal state: its header list and
// guard. A Request or Response shares it with its headers object.
type headersState struct {
	guard headerGuard
	list  []headerField
	// sorted caches sortAndCombine's result; nil when the list changed.
	sorted [][2]string
	// firstName maps each lower-case name in list to the case it was
	// first given in, so that filling a Headers stays linear; nil when
	// stale (after a removal).
	firstName map[string]string
}

// isTokenByte reports whether c may appear in an HTTP token (RFC 9110
// tchar), which is what header names and methods are made of.
func isTokenByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// isToken reports whether s is a non-empty HTTP token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTokenByte(s[i]) {
			return false
		}
	}
	return true
}

// isHTTPWhitespace reports whether c is HTTP whitespace (tab, LF, CR, space).
func isHTTPWhitespace(c byte) bool { return c == '\t' || c == '\n' || c == '\r' || c == ' ' }

// normalizeHeaderValue strips leading and trailing HTTP whitespace.
func normalizeHeaderValue(s string) string {
	i, j := 0, len(s)
	for i < j && isHTTPWhitespace(s[i]) {
		i++
	}
	for j > i && isHTTPWhitespace(s[j-1]) {
		j--
	}
	return s[i:j]
}

// isHeaderValue reports whether a normalized value is a valid header value:
// no NUL, CR or LF.
func isHeaderValue(s string) bool { return !strings.ContainsAny(s, "\x00\r\n") }

// lowerASCII lower-cases s's ASCII letters, allocating only when needed.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

func (h *headersState) changed() { h.sorted = nil }

// removed notes that headers left the list.
func (h *headersState) removed() {
	h.sorted = nil
	h.firstName = nil
}

// get returns the values of every header named lower, joined by ", ".
func (h *headersState) get(lower string) (string, bool) {
	var b strings.Builder
	found := false
	for _, f := range h.list {
		if f.lower == lower {
			if found {
				b.WriteString(", ")
			}
			b.WriteString(f.value)
			found = true
		}
	}
	return b.String(), found
}

func (h *headersState) has(lower string) bool {
	for _, f := range h.list {
		if f.lower == lower {
			return true
		}
	}
	return false
}

// append adds a header; name and value are already validated. A name
// already present keeps the case it was first given in.
func (h *headersState) append(name, value string) {
	lower := lowerASCII(name)
	if h.firstName == nil {
		h.firstName = make(map[string]string, len(h.list)+1)
		for _, f := range h.list {
			if _, ok := h.firstName[f.lower]; !ok {
				h.firstName[f.lower] = f.name
			}
		}
	}
	if first, ok := h.firstName[lower]; ok {
		name = first
	} else {
		h.firstName[lower] = name
	}
	h.list = append(h.list, headerField{name: name, lower: lower, value: value})
	h.changed()
}

func (h *headersState) remove(lower string) {
	out := h.list[:0]
	for _, f := range h.list {
		if f.lower != lower {
			out = append(out, f)
		}
	}
	clear(h.list[len(out):])
	h.list = out
	h.removed()
}

// set replaces the first header named like name and removes the others, or
// appends one.
func (h *headersState) set(name, value string) {
	lower := lowerASCII(name)
	out, found := h.list[:0], false
	for _, f := range h.list {
		if f.lower != lower {
			out = append(out, f)
		} else if !found {
			f.value = value
			out = append(out, f)
			found = true
		}
	}
	clear(h.list[len(out):])
	h.list = out
	h.removed()
	if !found {
		h.list = append(h.list, headerField{name: name, lower: lower, value: value})
	}
}

// sortAndCombine returns the list as iteration shows it: names in lower
// case and sorted, each name once with its values joined by ", ", except
// set-cookie, which appears once per value. The result is shared: callers
// must not change it.
func (h *headersState) sortAndCombine() [][2]string {
	if h.sorted != nil {
		return h.sorted
	}
	// One pass and a sort: a script may build a list of any length, and
	// goja cannot interrupt native code, so nothing here may be quadratic.
	type group struct {
		name   string
		values []string
	}
	groups := make([]group, 0, len(h.list))
	index := make(map[string]int, len(h.list))
	for _, f := range h.list {
		if i, ok := index[f.lower]; ok && f.lower != "set-cookie" {
			groups[i].values = append(groups[i].values, f.value)
			continue
		}
		index[f.lower] = len(groups)
		groups = append(groups, group{f.lower, []string{f.value}})
	}
	sort.SliceStable(groups, func(i, j int) bool { return groups[i].name < groups[j].name })
	out := make([][2]string, len(groups))
	for i, g := range groups {
		out[i] = [2]string{g.name, strings.Join(g.values, ", ")}
	}
	h.sorted = out
	return out
}

// clone returns a copy of h with the same guard.
func (h *headersState) clone() *headersState {
	return &headersState{guard: h.guard, list: append([]headerField(nil), h.list...)}
}

// headerName converts and validates a header name argument.
func (f *fetchRealm) headerName(v goja.Value, ctx string) string {
	name := f.byteString(v, ctx)
	if !isToken(name) {
		panic(f.r.typeError(ctx + "Invalid header name."))
	}
	return name
}

// headerValue converts, normalizes and validates a header value argument.
func (f *fetchRealm) headerValue(v goja.Value, ctx string) string {
	value := normalizeHeaderValue(f.byteString(v, ctx))
	if !isHeaderValue(value) {
		panic(f.r.typeError(ctx + "Invalid header value."))
	}
	return value
}

// checkMutable throws if h's guard forbids changing it.
func (f *fetchRealm) checkMutable(h *headersState, ctx string) {
	if h.guard == guardImmutable {
		panic(f.r.typeError(ctx + "Headers are immutable."))
	}
}

// appendHeader runs the "append" steps of a Headers object on raw strings.
func (f *fetchRealm) appendHeader(h *headersState, name, value, ctx string) {
	if !isToken(name) {
		panic(f.r.typeError(ctx + "Invalid header name."))
	}
	value = normalizeHeaderValue(value)
	if !isHeaderValue(value) {
		panic(f.r.typeError(ctx + "Invalid header value."))
	}
	f.checkMutable(h, ctx)
	h.append(name, value)
}

// headersInit converts v as WebIDL converts to HeadersInit, a
// sequence<sequence<ByteString>> or a record<ByteString, ByteString>, into
// name/value pairs, not yet validated as headers.
func (f *fetchRealm) headersInit(v goja.Value, ctx string) [][2]string {
	r := f.r
	o, ok := v.(*goja.Object)
	if !ok {
		panic(r.typeError(ctx + "The provided value is not of type '(record<ByteString, ByteString> or sequence<sequence<ByteString>>)'."))
	}
	var pairs [][2]string
	if it := o.GetSymbol(goja.SymIterator); !nullish(it) {
		if _, ok := goja.AssertFunction(it); !ok {
			panic(r.typeError(ctx + "The object's [Symbol.iterator] is not a function."))
		}
		r.rt.ForOf(o, func(item goja.Value) bool {
			if _, ok := item.(*goja.Object); !ok {
				panic(r.typeError(ctx + "The provided value cannot be converted to a sequence."))
			}
			var pair []string
			r.rt.ForOf(item, func(s goja.Value) bool {
				pair = append(pair, f.byteString(s, ctx))
				return len(pair) <= 2 // a third is already an error
			})
			if len(pair) != 2 {
				panic(r.typeError(ctx + "Invalid value: each header must be a [name, value] pair."))
			}
			pairs = append(pairs, [2]string{pair[0], pair[1]})
			return true
		})
		return pairs
	}
	convert := func(v goja.Value) string { return f.byteString(v, ctx) }
	return idl.Record(r.rt, r.builtin("Reflect"), o, convert, convert)
}

// fillHeaders appends pairs to h, validating each.
func (f *fetchRealm) fillHeaders(h *headersState, pairs [][2]string, ctx string) {
	for _, p := range pairs {
		f.appendHeader(h, p[0], p[1], ctx)
	}
}

// newHeaders makes a Headers object whose state is h.
func (f *fetchRealm) newHeaders(h *headersState) *goja.Object {
	o := f.r.instance(f.headersClass())
	f.r.setState(o, h)
	return o
}

// headersClass builds Headers.
func (f *fetchRealm) headersClass() *classInfo {
	if f.headers != nil {
		return f.headers
	}
	r := f.r
	c := r.class("Headers", 0, nil, func(this *goja.Object, _ int, init, _ goja.Value) *goja.Object {
		const ctx = "Failed to construct 'Headers': "
		h := &headersState{}
		if !goja.IsUndefined(init) {
			f.fillHeaders(h, f.headersInit(init, ctx), ctx)
		}
		r.setState(this, h)
		return nil
	})
	f.headers = c
	p := c.proto
	brand := brandOf[*headersState](r)
	ctxOf := func(method string) string { return "Failed to execute '" + method + "' on 'Headers': " }

	r.method(p, "append", 2, func(call goja.FunctionCall) goja.Value {
		h, ctx := brand(call.This), ctxOf("append")
		r.requireArgs(ctx[:len(ctx)-2], call, 2)
		name, value := f.byteString(call.Argument(0), ctx), f.byteString(call.Argument(1), ctx)
		f.appendHeader(h, name, value, ctx)
		return goja.Undefined()
	})
	r.method(p, "delete", 1, func(call goja.FunctionCall) goja.Value {
		h, ctx := brand(call.This), ctxOf("delete")
		r.requireArgs(ctx[:len(ctx)-2], call, 1)
		name := f.headerName(call.Argument(0), ctx)
		f.checkMutable(h, ctx)
		h.remove(lowerASCII(name))
		return goja.Undefined()
	})
	r.method(p, "get", 1, func(call goja.FunctionCall) goja.Value {
		h, ctx := brand(call.This), ctxOf("get")
		r.requireArgs(ctx[:len(ctx)-2], call, 1)
		if v, ok := h.get(lowerASCII(f.headerName(call.Argument(0), ctx))); ok {
			return r.rt.ToValue(v)
		}
		return goja.Null()
	})
	r.method(p, "getSetCookie", 0, func(call goja.FunctionCall) goja.Value {
		h := brand(call.This)
		var vals []any
		for _, fld := range h.list {
			if fld.lower == "set-cookie" {
				vals = append(vals, fld.value)
			}
		}
		return r.rt.NewArray(vals...)
	})
	r.method(p, "has", 1, func(call goja.FunctionCall) goja.Value {
		h, ctx := brand(call.This), ctxOf("has")
		r.requireArgs(ctx[:len(ctx)-2], call, 1)
		return r.rt.ToValue(h.has(lowerASCII(f.headerName(call.Argument(0), ctx))))
	})
	r.method(p, "set", 2, func(call goja.FunctionCall) goja.Value {
		h, ctx := brand(call.This), ctxOf("set")
		r.requireArgs(ctx[:len(ctx)-2], call, 2)
		name := f.headerName(call.Argument(0), ctx)
		value := f.headerValue(call.Argument(1), ctx)
		f.checkMutable(h, ctx)
		h.set(name, value)
		return goja.Undefined()
	})
	r.method(p, "forEach", 1, func(call goja.FunctionCall) goja.Value {
		h, ctx := brand(call.This), ctxOf("forEach")
		r.requireArgs(ctx[:len(ctx)-2], call, 1)
		cb, ok := goja.AssertFunction(call.Argument(0))
		if !ok {
			panic(r.typeError(ctx + "The callback provided as parameter 1 is not a function."))
		}
		// As WebIDL says, the pairs are recomputed after each call, so the
		// callback sees its own changes.
		for i := 0; ; i++ {
			pairs := h.sortAndCombine()
			if i >= len(pairs) {
				break
			}
			r.call(cb, call.Argument(1), r.rt.ToValue(pairs[i][1]), r.rt.ToValue(pairs[i][0]), call.This)
		}
		return goja.Undefined()
	})
	iter := func(kind iterKind) func(goja.FunctionCall) goja.Value {
		return func(call goja.FunctionCall) goja.Value {
			h := brand(call.This)
			o := r.rt.CreateObject(f.headersIteratorProto())
			r.setState(o, &headersIter{h: h, kind: kind})
			return o
		}
	}
	r.method(p, "keys", 0, iter(iterKeys))
	r.method(p, "values", 0, iter(iterValues))
	r.method(p, "entries", 0, iter(iterEntries))
	_ = p.DefineDataPropertySymbol(goja.SymIterator, p.Get("entries"), yes, no, yes)
	return c
}

type iterKind uint8

const (
	iterKeys iterKind = iota
	iterValues
	iterEntries
)

// headersIter is a Headers iterator's state: a cursor into the sorted and
// combined list, which is recomputed on every step, so that changes made
// during iteration are seen as WebIDL specifies.
type headersIter struct {
	h     *headersState
	kind  iterKind
	index int
}

// headersIteratorProto builds %HeadersIteratorPrototype%.
func (f *fetchRealm) headersIteratorProto() *goja.Object {
	if f.headersIterProto != nil {
		return f.headersIterProto
	}
	r := f.r
	proto := r.rt.CreateObject(f.iteratorPrototype())
	brand := brandOf[*headersIter](r)
	r.method(proto, "next", 0, func(call goja.FunctionCall) goja.Value {
		it := brand(call.This)
		res := r.rt.NewObject()
		pairs := it.h.sortAndCombine()
		if it.index >= len(pairs) {
			_ = res.Set("value", goja.Undefined())
			_ = res.Set("done", true)
			return res
		}
		pair := pairs[it.index]
		it.index++
		var v goja.Value
		switch it.kind {
		case iterKeys:
			v = r.rt.ToValue(pair[0])
		case iterValues:
			v = r.rt.ToValue(pair[1])
		default:
			v = r.rt.NewArray(pair[0], pair[1])
		}
		_ = res.Set("value", v)
		_ = res.Set("done", false)
		return res
	})
	r.tag(proto, "Headers Iterator")
	r.platformProtos[proto] = true
	f.headersIterProto = proto
	return proto
}

// iteratorPrototype finds %IteratorPrototype% as the prototype of an array
// iterator's prototype, falling back to Object.prototype if a script has
// made that impossible.
func (f *fetchRealm) iteratorPrototype() *goja.Object {
	r := f.r
	fallback := r.rt.NewObject().Prototype()
	arr := r.rt.NewArray()
	fn, ok := goja.AssertFunction(arr.GetSymbol(goja.SymIterator))
	if !ok {
		return fallback
	}
	it, err := fn(arr)
	if err != nil {
		if isFatal(err) {
			panic(err)
		}
		return fallback
	}
	if o, ok := it.(*goja.Object); ok && o.Prototype() != nil && o.Prototype().Prototype() != nil {
		return o.Prototype().Prototype()
	}
	return fallback
}
