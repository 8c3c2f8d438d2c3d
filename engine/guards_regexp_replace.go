package engine

import (
	"strconv"

	"github.com/kiln-run/kiln/internal/goja"
)

// RegExp.prototype[Symbol.replace], step by step (guards_regexp.go has the
// stepping): the matches are found one exec at a time, and the result is
// written into a builder that charges what it keeps, with replacement
// patterns ($&, $1, $<name>, …) substituted as the spec's GetSubstitution
// does.

// regexpReplace is RegExp.prototype[Symbol.replace].
func (vm *VM) regexpReplace(rn *regexpNatives, orig native, call goja.FunctionCall) goja.Value {
	p, ok := vm.plan(rn, &call, true)
	if !ok || !p.standard {
		return orig(call)
	}
	repl := arg(call.Arguments, 1)
	fn, functional := goja.AssertFunction(repl)
	var tmpl goja.String
	if !functional {
		tmpl = vm.toStr(repl)
	}
	return vm.replaceSteps(rn, p, tmpl, fn)
}

// replaceMatch is what replace keeps of one match for a function
// replacement: the arguments the function is called with.
type replaceMatch struct {
	args     []goja.Value
	position int
	length   int
}

// replaceSteps runs replace step by step: the result is built as the
// matches are found (a template), or the matches are kept and the function
// called for each once all are found (as the spec orders it), every piece
// charged before it is written.
func (vm *VM) replaceSteps(rn *regexpNatives, p regexpPlan, tmpl goja.String, fn goja.Callable) goja.Value {
	s := p.s
	n := s.Length()
	mt := vm.meter("RegExp.prototype[Symbol.replace]")
	b := builder{mt: mt}
	next := 0
	write := b.write
	var kept []replaceMatch
	if !vm.steps(rn, p, mt, func(res *goja.Object) bool {
		captures := int(max(toLength(res.Get("length"))-1, 0))
		matched := vm.toStr(orUndefined(res.Get("0")))
		position := int(min(max(res.Get("index").ToInteger(), 0), int64(n)))
		caps := make([]goja.Value, 1, captures+4)
		caps[0] = matched
		for i := 1; i <= captures; i++ {
			c := orUndefined(res.Get(strconv.Itoa(i)))
			if !goja.IsUndefined(c) {
				c = vm.toStr(c)
			}
			caps = append(caps, c)
		}
		groups := orUndefined(res.Get("groups"))
		if fn != nil {
			args := append(caps, vm.rt.ToValue(position), s)
			if !goja.IsUndefined(groups) {
				args = append(args, groups)
			}
			if !mt.add(float64(len(args)+4) * valueBytes) {
				return false
			}
			kept = append(kept, replaceMatch{args: args, position: position, length: matched.Length()})
			return true
		}
		if position < next {
			return true
		}
		if !write(s.Substring(next, position)) {
			return false
		}
		groupsObj, _ := groups.(*goja.Object)
		if !vm.substitute(s, position, caps, groupsObj, tmpl, write) {
			return false
		}
		next = position + matched.Length()
		return true
	}) {
		return goja.Undefined()
	}
	for i, m := range kept {
		if i%stopCheckEvery == 0 && vm.stopped() {
			return goja.Undefined()
		}
		r := vm.toStr(call(fn, goja.Undefined(), m.args...))
		if m.position < next {
			continue
		}
		if !write(s.Substring(next, m.position)) || !write(r) {
			return goja.Undefined()
		}
		next = m.position + m.length
	}
	if next < n && !write(s.Substring(next, n)) {
		return goja.Undefined()
	}
	if vm.stopped() {
		return goja.Undefined()
	}
	return b.b.String()
}

// builder is a goja.StringBuilder whose growth is charged to a meter
// before it happens: it grows the buffer itself, doubling, and counts each
// new buffer whole (the old one is garbage the heap still holds).
type builder struct {
	b        goja.StringBuilder
	mt       *meter
	len, cap int
	unicode  bool
}

// write appends s, or reports false if the meter refused the room.
func (b *builder) write(s goja.String) bool {
	n := s.Length()
	if n == 0 {
		return true
	}
	switching := !b.unicode && !isASCII(s)
	if b.len+n > b.cap || switching {
		newCap := max(b.len+n, 2*b.cap, 64)
		if switching {
			b.unicode = true
		}
		per := 1.0
		if b.unicode {
			per = 2
		}
		if !b.mt.add(float64(newCap) * per) {
			return false
		}
		if switching {
			b.b.LikelyUnicode(newCap - b.len)
		} else {
			b.b.Grow(newCap - b.len)
		}
		b.cap = newCap
	}
	b.b.WriteString(s)
	b.len += n
	return true
}

// substitute writes the replacement template for one match, as goja's
// GetSubstitution (writeSubstitution) does: captures[0] is the match, the
// others its groups ($1…$99), groups the named ones ($<name>).
func (vm *VM) substitute(s goja.String, position int, captures []goja.Value, groups *goja.Object, tmpl goja.String, write func(goja.String) bool) bool {
	l, rl := s.Length(), tmpl.Length()
	matched := captures[0].(goja.String)
	tail := position + matched.Length()
	capture := func(i int) goja.String {
		if c, ok := captures[i].(goja.String); ok {
			return c
		}
		return s.Substring(0, 0)
	}
	lit := 0 // start of the pending literal run
	flush := func(end int) bool {
		if end > lit {
			return write(tmpl.Substring(lit, end))
		}
		return true
	}
	for i := 0; i < rl; i++ {
		if tmpl.CharAt(i) != '$' || i == rl-1 {
			continue
		}
		var piece goja.String
		skip := 1 // characters after the $ the piece consumes
		switch ch := tmpl.CharAt(i + 1); ch {
		case '$':
			piece = tmpl.Substring(i, i+1)
		case '`':
			piece = s.Substring(0, position)
		case '\'':
			if tail < l {
				piece = s.Substring(tail, l)
			} else {
				piece = s.Substring(l, l)
			}
		case '&':
			piece = matched
		case '<':
			j := i + 2
			for j < rl && tmpl.CharAt(j) != '>' {
				j++
			}
			if groups == nil || j >= rl {
				continue // written as it is
			}
			ref := tmpl.Substring(i+2, j).String()
			if c := groups.Get(ref); c != nil && !goja.IsUndefined(c) {
				piece = vm.toStr(c)
			} else {
				piece = s.Substring(0, 0)
			}
			skip = j - i
		default:
			index, j := 0, i+1
			for lim := min(j+2, rl); j < lim; j++ {
				c := tmpl.CharAt(j)
				if c < '0' || c > '9' {
					break
				}
				m := index*10 + int(c-'0')
				if m >= len(captures) {
					break
				}
				index = m
			}
			if index == 0 {
				continue // "$" and the character, as they are
			}
			piece = capture(index)
			skip = j - i - 1
		}
		if !flush(i) || !write(piece) {
			return false
		}
		i += skip
		lit = i + 1
	}
	return flush(rl)
}
