package web

import "github.com/kiln-run/kiln/internal/goja"

// domExc is a DOMException's internal state.
type domExc struct {
	name, message string
}

type domExceptionClass struct {
	classInfo
}

// legacyCodes are the names that have a legacy DOMException code, in code
// order; the constants on DOMException and its prototype name them.
var legacyCodes = [...]struct{ name, constant string }{
	{"IndexSizeError", "INDEX_SIZE_ERR"},
	{"DOMStringSizeError", "DOMSTRING_SIZE_ERR"},
	{"HierarchyRequestError", "HIERARCHY_REQUEST_ERR"},
	{"WrongDocumentError", "WRONG_DOCUMENT_ERR"},
	{"InvalidCharacterError", "INVALID_CHARACTER_ERR"},
	{"NoDataAllowedError", "NO_DATA_ALLOWED_ERR"},
	{"NoModificationAllowedError", "NO_MODIFICATION_ALLOWED_ERR"},
	{"NotFoundError", "NOT_FOUND_ERR"},
	{"NotSupportedError", "NOT_SUPPORTED_ERR"},
	{"InUseAttributeError", "INUSE_ATTRIBUTE_ERR"},
	{"InvalidStateError", "INVALID_STATE_ERR"},
	{"SyntaxError", "SYNTAX_ERR"},
	{"InvalidModificationError", "INVALID_MODIFICATION_ERR"},
	{"NamespaceError", "NAMESPACE_ERR"},
	{"InvalidAccessError", "INVALID_ACCESS_ERR"},
	{"ValidationError", "VALIDATION_ERR"},
	{"TypeMismatchError", "TYPE_MISMATCH_ERR"},
	{"SecurityError", "SECURITY_ERR"},
	{"NetworkError", "NETWORK_ERR"},
	{"AbortError", "ABORT_ERR"},
	{"URLMismatchError", "URL_MISMATCH_ERR"},
	{"QuotaExceededError", "QUOTA_EXCEEDED_ERR"},
	{"TimeoutError", "TIMEOUT_ERR"},
	{"InvalidNodeTypeError", "INVALID_NODE_TYPE_ERR"},
	{"DataCloneError", "DATA_CLONE_ERR"},
}

// legacyCode returns the legacy code of a DOMException name, or 0. The
// names of three codes are historical (WebIDL's error names table has
// none for them): their constants remain, but no name has their code.
func legacyCode(name string) int {
	switch name {
	case "DOMStringSizeError", "NoDataAllowedError", "ValidationError":
		return 0
	}
	for i, c := range legacyCodes {
		if c.name == name {
			return i + 1
		}
	}
	return 0
}

// domExceptionGlobals is the DOMException global.
var domExceptionGlobals = []global{
	{name: "DOMException", build: func(r *realm) goja.Value { return r.domExceptionClass().ctor }},
}

// domExceptionRecord returns the realm's DOMException record, creating an
// empty one (class not yet built) on first use.
func (r *realm) domExceptionRecord() *domExceptionClass {
	if r.domException == nil {
		r.domException = &domExceptionClass{}
	}
	return r.domException
}

// domExceptionClass returns DOMException, building it on first use. Its
// instances are real Error objects (so they carry a stack, and the engine
// reports where they were thrown) whose prototype is DOMException.prototype,
// which in turn inherits from Error.prototype.
func (r *realm) domExceptionClass() *classInfo {
	d := r.domExceptionRecord()
	if d.ctor != nil {
		return &d.classInfo
	}
	c := r.class("DOMException", 0, nil, func(this *goja.Object, argc int, a, b goja.Value) *goja.Object {
		message := ""
		if !goja.IsUndefined(a) {
			message = r.toDOMString(a)
		}
		name := "Error"
		var cause goja.Value
		if opts, ok := b.(*goja.Object); ok {
			// The options form, new DOMException(message, {name, cause}),
			// as in Node; members are read in WebIDL (alphabetical) order.
			cause = get(opts, "cause")
			if n := get(opts, "name"); !goja.IsUndefined(n) {
				name = r.toDOMString(n)
			}
		} else if !goja.IsUndefined(b) {
			name = r.toDOMString(b)
		}
		o := r.makeDOMException(this.Prototype(), message, name)
		if cause != nil && !goja.IsUndefined(cause) {
			_ = o.DefineDataProperty("cause", cause, yes, yes, no)
		}
		return o
	})
	_ = c.proto.SetPrototype(r.errorPrototype())
	p := c.proto
	brand := func(call goja.FunctionCall) *domExc {
		s, ok := stateAs[*domExc](r, call.This)
		if !ok {
			panic(r.typeError("Illegal invocation"))
		}
		return s
	}
	r.getter(p, "name", func(call goja.FunctionCall) goja.Value { return r.rt.ToValue(brand(call).name) })
	r.getter(p, "message", func(call goja.FunctionCall) goja.Value { return r.rt.ToValue(brand(call).message) })
	r.getter(p, "code", func(call goja.FunctionCall) goja.Value { return r.rt.ToValue(legacyCode(brand(call).name)) })
	for i, lc := range legacyCodes {
		r.constant(c.ctor, lc.constant, i+1)
		r.constant(p, lc.constant, i+1)
	}
	d.classInfo = *c
	return &d.classInfo
}

// makeDOMException makes a DOMException with the given prototype.
func (r *realm) makeDOMException(proto *goja.Object, message, name string) *goja.Object {
	o := r.rt.NewTypeError("")
	// The TypeError constructor gave it an own "message"; a DOMException's
	// message is the prototype's getter.
	_ = o.Delete("message")
	if proto != nil {
		_ = o.SetPrototype(proto)
	}
	r.setState(o, &domExc{name: name, message: message})
	return o
}

// newDOMException returns a new DOMException.
func (r *realm) newDOMException(message, name string) *goja.Object {
	return r.makeDOMException(r.domExceptionClass().proto, message, name)
}

// throwDOM throws a new DOMException into the script.
func (r *realm) throwDOM(name, message string) {
	panic(r.newDOMException(message, name))
}
