package engine

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kiln-run/kiln/internal/goja"
	"github.com/kiln-run/kiln/internal/goja/parser"
	"golang.org/x/text/unicode/norm"
)

// Guards on the String built-ins whose result is a function of their
// arguments' values rather than of the strings the script holds: split,
// replace and replaceAll with a string pattern, normalize, String.raw, and
// parseFloat's slow scan. Each converts its receiver and arguments once,
// in the order the built-in would (the spec's), measures the result —
// searching under the budget, so that counting costs no more than the
// budget allows — and hands the built-in the converted values, or refuses.
//
// An object pattern dispatches to its Symbol.split or Symbol.replace
// method as the built-in would (the RegExp ones are guarded in
// guards_regexp.go); the method is read once, here.

// Per-item costs of goja's native results, for the charges.
const (
	// pieceBytes is one string of a split: the array's slot, goja's
	// []string entry, and the string value itself.
	pieceBytes = 3 * valueBytes
	// matchBytes is one match goja records before it replaces: a
	// regexpResult (two slice headers) and its indexes.
	matchBytes = 64
)

// toStr is ToString(v) as a goja.String (goja's own ToString leaves a
// number as it is).
func (vm *VM) toStr(v goja.Value) goja.String {
	s := v.ToString()
	if _, ok := s.(*goja.Symbol); ok {
		// A Symbol, or an object whose toString or valueOf gives one:
		// goja's ToString leaves it a Symbol (its String describes it);
		// the spec's ToString throws.
		panic(vm.rt.NewTypeError("Cannot convert a Symbol value to a string"))
	}
	if gs, ok := s.(goja.String); ok {
		return gs
	}
	return vm.rt.ToValue(s.String()).(goja.String)
}

// budget is how many more bytes the running invocation may allocate
// (effectively unlimited outside an invocation).
func (vm *VM) budget() float64 {
	if vm.inv != nil {
		return float64(vm.rt.MemoryRemaining())
	}
	return math.MaxInt64
}

// method returns o[sym] if it is callable, nil if it is undefined or null,
// and ok false if it is anything else (the built-in throws on it).
func method(o *goja.Object, sym *goja.Symbol) (f goja.Callable, ok bool) {
	v := o.GetSymbol(sym)
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return nil, true
	}
	f, ok = goja.AssertFunction(v)
	return f, ok
}

// call calls f, turning a JS exception into a panic, as natives do.
func call(f goja.Callable, this goja.Value, args ...goja.Value) goja.Value {
	v, err := f(this, args...)
	if err != nil {
		panic(err)
	}
	return v
}

func isNullish(v goja.Value) bool {
	return v == nil || goja.IsUndefined(v) || goja.IsNull(v)
}

// guardStringSearches installs the guards on String.prototype's split,
// replace, replaceAll and normalize.
func (vm *VM) guardStringSearches(proto *goja.Object) {
	indexOf, _, ok := original(proto, "indexOf")
	if !ok {
		return
	}
	// each calls f with the position of every occurrence of sub in s
	// from 0, each advanced past the last by at least one, until f
	// returns false.
	each := func(s, sub goja.String, f func(pos int) bool) {
		step := max(sub.Length(), 1)
		for pos := 0; pos <= s.Length(); pos += step {
			v := indexOf(goja.FunctionCall{This: s, Arguments: []goja.Value{sub, vm.rt.ToValue(pos)}})
			if pos = int(v.ToInteger()); pos < 0 || !f(pos) {
				return
			}
		}
	}

	vm.guardObjectDispatch(proto, "split", goja.SymSplit, func(call *goja.FunctionCall, orig native) goja.Value {
		// The receiver, then the limit, then the separator: the spec's
		// order of conversions.
		s := vm.toStr(call.This)
		limit := float64(math.MaxUint32)
		if l := arg(call.Arguments, 1); !goja.IsUndefined(l) {
			n := toNumberArg(l)
			call.Arguments = withArg(call.Arguments, 1, n)
			limit = toUint32(n.ToFloat())
		}
		call.This = s
		sepArg := arg(call.Arguments, 0)
		if goja.IsUndefined(sepArg) || limit == 0 {
			return orig(*call)
		}
		sep := vm.toStr(sepArg)
		call.Arguments = withArg(call.Arguments, 0, sep)
		var pieces float64
		rem := vm.budget()
		switch {
		case sep.Length() == 0:
			pieces = min(float64(s.Length()), limit)
		case min(float64(s.Length()/sep.Length()+1), limit)*pieceBytes <= rem:
			return orig(*call) // even a separator everywhere fits: no need to count
		default:
			pieces = 1
			each(s, sep, func(int) bool {
				pieces++
				return pieces < limit && pieces*pieceBytes <= rem
			})
			pieces = min(pieces, limit)
		}
		if !vm.chargeIf(pieces*pieceBytes, "String.prototype.split") {
			return goja.Undefined()
		}
		return orig(*call)
	})

	vm.guardObjectDispatch(proto, "replace", goja.SymReplace, func(call *goja.FunctionCall, orig native) goja.Value {
		s, search, functional := vm.stringReplaceArgs(call)
		if functional {
			return orig(*call) // one call of the script's function
		}
		t := parseTemplate(arg(call.Arguments, 1).(goja.String))
		pos := -1
		each(s, search, func(p int) bool { pos = p; return false })
		if pos < 0 {
			return orig(*call)
		}
		n, m := float64(s.Length()), float64(search.Length())
		size := n - m + t.size(float64(pos), m, n)
		if !vm.chargeIf(size, "String.prototype.replace") {
			return goja.Undefined()
		}
		return orig(*call)
	})

	vm.guardObjectDispatch(proto, "replaceAll", goja.SymReplace, func(call *goja.FunctionCall, orig native) goja.Value {
		s, search, functional := vm.stringReplaceArgs(call)
		var t template
		if !functional {
			t = parseTemplate(arg(call.Arguments, 1).(goja.String))
		}
		n, m := float64(s.Length()), float64(search.Length())
		rem := vm.budget()
		// At most a match a position (or every m characters): if even that
		// fits, there is no need to count.
		most := n/max(m, 1) + 1
		if worst := most*matchBytes + n + most*(t.literal+t.match*m+(t.before+t.after)*n); worst <= rem {
			return orig(*call)
		}
		var matches, sumPos float64
		// The matches goja records, and the result: the unmatched text
		// and each replacement.
		size := func() float64 {
			out := matches * matchBytes
			if !functional {
				out += n - matches*m + matches*(t.literal+t.match*m+t.after*(n-m)) + (t.before-t.after)*sumPos
			}
			return out
		}
		each(s, search, func(pos int) bool {
			matches++
			sumPos += float64(pos)
			return size() <= rem
		})
		if !vm.chargeIf(size(), "String.prototype.replaceAll") {
			return goja.Undefined()
		}
		return orig(*call)
	})

	if orig, length, ok := original(proto, "normalize"); ok {
		f := vm.newNative("normalize", length, func(call goja.FunctionCall) goja.Value {
			if isNullish(call.This) {
				return orig(call)
			}
			return vm.normalize(call, orig)
		})
		_ = proto.DefineDataProperty("normalize", f, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	}
}

// guardObjectDispatch replaces proto[name], a String method that hands an
// object argument 0 to its sym method (split, replace, replaceAll), with
// one that reads that method once, calls it if there is one, and
// otherwise runs guard, which converts the arguments and calls orig.
func (vm *VM) guardObjectDispatch(proto *goja.Object, name string, sym *goja.Symbol, guard func(call *goja.FunctionCall, orig native) goja.Value) {
	orig, length, ok := original(proto, name)
	if !ok {
		return
	}
	f := vm.newNative(name, length, func(c goja.FunctionCall) goja.Value {
		if isNullish(c.This) {
			return orig(c) // the built-in throws
		}
		if o, ok := arg(c.Arguments, 0).(*goja.Object); ok {
			if name == "replaceAll" && isRegExp(o) {
				// A RegExp without the g flag is a TypeError. Thrown
				// here rather than left to the built-in, which would
				// read flags a second time.
				flags := o.Get("flags")
				if isNullish(flags) {
					panic(vm.rt.NewTypeError("String.prototype.replaceAll called with a RegExp whose flags are " + flags.String()))
				}
				if !strings.Contains(vm.toStr(flags).String(), "g") {
					panic(vm.rt.NewTypeError("String.prototype.replaceAll called with a non-global RegExp argument"))
				}
			}
			m, ok := method(o, sym)
			if !ok {
				return orig(c) // not callable: the built-in throws
			}
			if m != nil {
				return call(m, o, c.This, arg(c.Arguments, 1))
			}
		}
		return guard(&c, orig)
	})
	_ = proto.DefineDataProperty(name, f, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
}

// isRegExp is the spec's IsRegExp: Symbol.match if defined, else whether o
// is a RegExp.
func isRegExp(o *goja.Object) bool {
	if m := o.GetSymbol(goja.SymMatch); !isNullish(m) {
		return m.ToBoolean()
	}
	return o.ClassName() == "RegExp"
}

// stringReplaceArgs converts replace's receiver, pattern and replacement
// (a function stays one) in the spec's order, in place in call.
func (vm *VM) stringReplaceArgs(call *goja.FunctionCall) (s, search goja.String, functional bool) {
	s = vm.toStr(call.This)
	search = vm.toStr(arg(call.Arguments, 0))
	call.This = s
	call.Arguments = withArg(call.Arguments, 0, search)
	repl := arg(call.Arguments, 1)
	if _, functional = goja.AssertFunction(repl); !functional {
		call.Arguments = withArg(call.Arguments, 1, vm.toStr(repl))
	}
	return s, search, functional
}

// template is a replacement pattern without captures (a string pattern
// has none): its literal length and how many times it copies the match
// ($&), the text before it ($`) and the text after it ($').
type template struct{ literal, match, before, after float64 }

// parseTemplate reads a replacement pattern as GetSubstitution does with
// no captures: "$$" is one character, "$1" and "$<" are literal.
func parseTemplate(r goja.String) template {
	var t template
	n := r.Length()
	for i := 0; i < n; i++ {
		if r.CharAt(i) != '$' || i == n-1 {
			t.literal++
			continue
		}
		switch r.CharAt(i + 1) {
		case '$':
			t.literal++
		case '&':
			t.match++
		case '`':
			t.before++
		case '\'':
			t.after++
		default:
			t.literal += 2
		}
		i++
	}
	return t
}

// size is the length of one replacement of a match of length m at pos in
// a subject of length n.
func (t template) size(pos, m, n float64) float64 {
	return t.literal + t.match*m + t.before*pos + t.after*max(n-pos-m, 0)
}

// normalize is String.prototype.normalize: goja's, with the result's size
// counted, under the budget, before it is made. goja converts the string
// to UTF-8, normalizes that and converts the result back to UTF-16: a
// compatibility form can make 18 characters of one.
func (vm *VM) normalize(call goja.FunctionCall, orig native) goja.Value {
	s := vm.toStr(call.This)
	call.This = s
	form := "NFC"
	if f := arg(call.Arguments, 0); !goja.IsUndefined(f) {
		fs := f.ToString()
		call.Arguments = withArg(call.Arguments, 0, fs)
		form = fs.String()
	}
	var f norm.Form
	switch form {
	case "NFC":
		f = norm.NFC
	case "NFD":
		f = norm.NFD
	case "NFKC":
		f = norm.NFKC
	case "NFKD":
		f = norm.NFKD
	default:
		return orig(call) // a RangeError
	}
	if s.Length()*3 <= smallAllocation {
		return orig(call)
	}
	utf8Len, ascii := utf8Length(s)
	if ascii || utf8Len <= smallAllocation {
		return orig(call) // unchanged, or small
	}
	if !vm.chargeIf(float64(utf8Len), "String.prototype.normalize") {
		return goja.Undefined()
	}
	// Bound the result from the form's decomposition table, a lookup a
	// character, before normalizing: the UTF-8 result, then its UTF-16
	// copy. The decomposed length is exact for NFD and NFKD and an upper
	// bound for NFC and NFKC (composing only shortens). Counting with the
	// normalizer itself cost as much as normalizing, for as much output as
	// the budget allowed, before a refusal.
	src := s.String()
	rem := vm.budget()
	out := 0.0
	for i := 0; i < len(src) && out <= rem; {
		p := f.PropertiesString(src[i:])
		n := max(p.Size(), 1)
		d := p.Decomposition()
		if d == nil {
			r, _ := utf8.DecodeRuneInString(src[i:])
			if r >= 0xAC00 && r <= 0xD7A3 {
				out += 3 * (3 + 2) // a Hangul syllable: up to three jamo
			} else {
				out += utf8Units(r, n)
			}
		} else {
			for len(d) > 0 {
				r, m := utf8.DecodeRune(d)
				d = d[m:]
				out += utf8Units(r, m)
			}
		}
		i += n
	}
	if !vm.chargeIf(out, "String.prototype.normalize") {
		return goja.Undefined()
	}
	return vm.rt.ToValue(f.String(src))
}

// utf8Units is what one character of n UTF-8 bytes takes in a string's
// UTF-8 form and its UTF-16 copy.
func utf8Units(r rune, n int) float64 {
	if r >= 0x10000 {
		return float64(n) + 4
	}
	return float64(n) + 2
}

// utf8Length is the length of s in UTF-8 (a lone surrogate becomes the
// three bytes of U+FFFD, as goja converts it) and whether s is ASCII.
func utf8Length(s goja.String) (n int, ascii bool) {
	ascii = true
	l := s.Length()
	for i := 0; i < l; i++ {
		c := s.CharAt(i)
		switch {
		case c < 0x80:
			n++
		case c < 0x800:
			n += 2
			ascii = false
		case c >= 0xD800 && c < 0xDC00 && i+1 < l && s.CharAt(i+1) >= 0xDC00 && s.CharAt(i+1) < 0xE000:
			n += 4
			i++
			ascii = false
		default:
			n += 3
			ascii = false
		}
	}
	return n, ascii
}

// guardStringStatics guards String.raw, which walks its template's raw
// array-like: the length is charged like an array walk's, and the
// elements, read once, are charged their lengths (the result holds each
// whole; a raw array holding one long string many times joins to far more
// than anything in memory).
func (vm *VM) guardStringStatics(str *goja.Object) {
	orig, length, ok := original(str, "raw")
	if !ok {
		return
	}
	f := vm.newNative("raw", length, func(call goja.FunctionCall) goja.Value {
		tmpl, ok := arg(call.Arguments, 0).(*goja.Object)
		if !ok {
			return orig(call) // a TypeError, or a primitive's own raw
		}
		raw, ok := tmpl.Get("raw").(*goja.Object)
		if !ok {
			return orig(call)
		}
		_, n := vm.arrayLike(raw)
		if !vm.chargeIf(n*valueBytes, "String.raw") {
			return goja.Undefined()
		}
		pinned, size := vm.pinElements(raw, int(n))
		for i, a := range call.Arguments {
			if i > 0 && float64(i) < n {
				size += stringLength(a)
			}
		}
		if !vm.chargeIf(size, "String.raw") {
			return goja.Undefined()
		}
		t := vm.rt.NewObject()
		_ = t.Set("raw", pinned)
		call.Arguments = withArg(call.Arguments, 0, t)
		return orig(call)
	})
	_ = str.DefineDataProperty("raw", f, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
}

// parseFloatSmall is the longest string parseFloat hands to goja's own,
// which finds the number with a capturing Go regexp: about 190 ns a
// character (6 s for 32M digits).
const parseFloatSmall = 1 << 12

// parseFloat is goja's parseFloat, with the number's prefix found by a
// scan instead of goja's regexp for long strings.
func (vm *VM) parseFloat(orig native) native {
	return func(call goja.FunctionCall) goja.Value {
		s := vm.toStr(arg(call.Arguments, 0))
		if s.Length() <= parseFloatSmall {
			return orig(goja.FunctionCall{This: call.This, Arguments: []goja.Value{s}})
		}
		// Leading white space, as goja trims it; then the longest prefix
		// of ^[+-]?(?:Infinity|[0-9]*\.?[0-9]*(?:[eE][+-]?[0-9]+)?).
		l, i := s.Length(), 0
		for i < l && strings.ContainsRune(parser.WhitespaceChars, rune(s.CharAt(i))) {
			i++
		}
		start := i
		at := func(j int) uint16 {
			if j < l {
				return s.CharAt(j)
			}
			return 0
		}
		digits := func(j int) int {
			for j < l && at(j) >= '0' && at(j) <= '9' {
				j++
			}
			return j
		}
		if c := at(i); c == '+' || c == '-' {
			i++
		}
		if i+8 <= l && s.Substring(i, i+8).String() == "Infinity" {
			i += 8
		} else {
			i = digits(i)
			if at(i) == '.' {
				i = digits(i + 1)
			}
			if c := at(i); c == 'e' || c == 'E' {
				j := i + 1
				if c := at(j); c == '+' || c == '-' {
					j++
				}
				if k := digits(j); k > j {
					i = k
				}
			}
		}
		prefix := s.Substring(start, i).String()
		switch prefix {
		case "", "+", "-":
			return goja.NaN()
		case "Infinity", "+Infinity":
			return goja.PositiveInf()
		case "-Infinity":
			return goja.NegativeInf()
		}
		f, err := strconv.ParseFloat(prefix, 64)
		if err != nil && !isRangeErr(err) {
			return goja.NaN()
		}
		return vm.rt.ToValue(f)
	}
}

// toUint32 is the spec's ToUint32.
func toUint32(f float64) float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	f = math.Mod(math.Trunc(f), 1<<32)
	if f < 0 {
		f += 1 << 32
	}
	return f
}

func isRangeErr(err error) bool {
	return errors.Is(err, strconv.ErrRange)
}
