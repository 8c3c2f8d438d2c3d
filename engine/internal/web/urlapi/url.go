package urlapi

import "github.com/kiln-run/kiln/internal/goja"

// urlState is what a URL object holds. It must never reference a goja
// object: the URL's URLSearchParams state points back here, and a
// weak-table value that reaches its own key keeps it alive forever.
type urlState struct {
	rec   *urlRecord
	query *paramsState // nil until searchParams is first read
}

// urlSlot is the weak-table entry for a URL object. The searchParams
// object lives here rather than in urlState so the cycle above is avoided.
type urlSlot struct {
	*urlState
	searchParams *goja.Object
}

// parse parses input against an optional base, turning any internal panic
// into a failure.
func parse(input string, base *string) (rec *urlRecord, ok bool, baseOK bool) {
	baseOK = true
	safely(func() {
		var b *urlRecord
		if base != nil {
			if b, baseOK = parseURL(*base, nil); !baseOK {
				return
			}
		}
		rec, ok = parseURL(input, b)
	})
	return rec, ok, baseOK
}

// urlArgs converts the (url, base) arguments shared by the constructor,
// URL.parse and URL.canParse.
func (in *installation) urlArgs(args []goja.Value, what string) (string, *string) {
	in.requireArgs(args, 1, what)
	input := in.usv(args[0])
	if len(args) < 2 || goja.IsUndefined(args[1]) {
		return input, nil
	}
	base := in.usv(args[1])
	return input, &base
}

func (in *installation) newURL(obj *goja.Object, rec *urlRecord) *goja.Object {
	in.urls.put(obj, &urlSlot{urlState: &urlState{rec: rec}})
	return obj
}

func (in *installation) thisURL(call goja.FunctionCall) *urlSlot {
	obj, _ := call.This.(*goja.Object)
	s := in.urls.get(obj)
	if s == nil {
		in.throwTypeError("Illegal invocation: receiver is not a URL")
	}
	return s
}

// constructURL is the URL(url, base) constructor steps.
func (in *installation) constructURL(obj *goja.Object, args []goja.Value) {
	input, base := in.urlArgs(args, "URL constructor")
	rec, ok, baseOK := parse(input, base)
	if !baseOK {
		in.throwTypeError("Invalid base URL: %s", quoteInput(*base))
	}
	if !ok {
		in.throwTypeError("Invalid URL: %s", quoteInput(input))
	}
	in.newURL(obj, rec)
}

func (in *installation) buildURL(c *lazyClass) {
	rt, ctor, proto := in.rt, c.target, c.proto
	in.method(ctor, "parse", 1, func(call goja.FunctionCall) goja.Value {
		input, base := in.urlArgs(call.Arguments, "URL.parse")
		rec, ok, _ := parse(input, base)
		if !ok {
			return goja.Null()
		}
		return in.newURL(rt.CreateObject(proto), rec)
	})
	in.method(ctor, "canParse", 1, func(call goja.FunctionCall) goja.Value {
		input, base := in.urlArgs(call.Arguments, "URL.canParse")
		_, ok, _ := parse(input, base)
		return rt.ToValue(ok)
	})

	href := func(call goja.FunctionCall) goja.Value {
		return rt.ToValue(in.thisURL(call).rec.href())
	}
	in.accessor(proto, "href", href, func(call goja.FunctionCall) goja.Value {
		s := in.thisURL(call)
		v := in.usv(call.Arguments[0])
		rec, ok, _ := parse(v, nil)
		if !ok {
			in.throwTypeError("Invalid URL: %s", quoteInput(v))
		}
		s.rec = rec
		if s.query != nil {
			s.query.list = nil
			if rec.hasQuery {
				s.query.list = in.parseQuery(rec.query)
			}
		}
		return goja.Undefined()
	})
	in.accessor(proto, "origin", func(call goja.FunctionCall) goja.Value {
		s := in.thisURL(call)
		var o string
		if !safely(func() { o = s.rec.origin() }) {
			o = "null"
		}
		return rt.ToValue(o)
	}, nil)
	in.component(proto, "protocol", func(u *urlRecord) string { return u.scheme + ":" }, (*urlRecord).setProtocol)
	in.component(proto, "username", func(u *urlRecord) string { return u.username }, (*urlRecord).setUsername)
	in.component(proto, "password", func(u *urlRecord) string { return u.password }, (*urlRecord).setPassword)
	in.component(proto, "host", (*urlRecord).hostString, (*urlRecord).setHost)
	in.component(proto, "hostname", func(u *urlRecord) string { return u.host }, (*urlRecord).setHostname)
	in.component(proto, "port", (*urlRecord).portString, (*urlRecord).setPort)
	in.component(proto, "pathname", (*urlRecord).pathname, (*urlRecord).setPathname)
	in.accessor(proto, "search", func(call goja.FunctionCall) goja.Value {
		return rt.ToValue(in.thisURL(call).rec.search())
	}, func(call goja.FunctionCall) goja.Value {
		s := in.thisURL(call)
		v := in.usv(call.Arguments[0])
		if in.update(s, v, (*urlRecord).setSearch) && s.query != nil {
			// The standard refreshes the list from the given value rather
			// than from the encoded query; both parse to the same pairs.
			s.query.list = nil
			if v != "" {
				s.query.list = in.parseQuery(trimLeading(v, '?'))
			}
		}
		return goja.Undefined()
	})
	in.accessor(proto, "searchParams", func(call goja.FunctionCall) goja.Value {
		return in.searchParamsOf(in.thisURL(call))
	}, nil)
	in.component(proto, "hash", (*urlRecord).hash, (*urlRecord).setHash)
	in.method(proto, "toJSON", 0, href)
	in.method(proto, "toString", 0, href)
}

// component defines a URL attribute backed by one of the record's setters.
func (in *installation) component(proto *goja.Object, name string, get func(*urlRecord) string, set func(*urlRecord, string)) {
	in.accessor(proto, name, func(call goja.FunctionCall) goja.Value {
		return in.rt.ToValue(get(in.thisURL(call).rec))
	}, func(call goja.FunctionCall) goja.Value {
		s := in.thisURL(call)
		in.update(s, in.usv(call.Arguments[0]), set)
		return goja.Undefined()
	})
}

// update runs set on a copy of the record and keeps the copy only if set
// finished, so an internal fault can never leave a half-updated URL. The
// standard's setters ignore bad values, so a fault is ignored the same way.
func (in *installation) update(s *urlSlot, v string, set func(*urlRecord, string)) bool {
	c := s.rec.clone()
	if !safely(func() { set(c, v) }) {
		return false
	}
	s.rec = c
	return true
}

func trimLeading(s string, c byte) string {
	if len(s) > 0 && s[0] == c {
		return s[1:]
	}
	return s
}

// searchParamsOf returns the URL's URLSearchParams, creating it on first
// use: until a script asks for it, nobody can observe the list, so parsing
// the query eagerly for every URL would be wasted work.
func (in *installation) searchParamsOf(s *urlSlot) *goja.Object {
	if s.searchParams == nil {
		ps := &paramsState{url: s.urlState}
		if s.rec.hasQuery {
			ps.list = in.parseQuery(s.rec.query)
		}
		s.query = ps
		in.paramsClass.ensure()
		s.searchParams = in.newParams(in.rt.CreateObject(in.paramsClass.proto), ps)
	}
	return s.searchParams
}
