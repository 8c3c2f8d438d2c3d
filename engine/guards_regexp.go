package engine

import (
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/kiln-run/kiln/internal/goja"
)

// The RegExp built-ins whose work grows with the subject. goja finds every
// match of a global match, replace or split in one native call (4M matches
// of /x/g took 29 s and 3 GiB), and a replacement pattern writes the
// matches times its length. Kiln runs these three itself, one exec at a
// time, with the spec's algorithm — the one goja runs too here: the
// sandbox's guard on RegExp.prototype.exec turns off goja's fast paths, so
// goja itself calls exec once a match (and split once a character) — but
// it charges what it keeps as it goes, checks for an interrupt between
// matches, and times each match against the regexp timeout. Split finds
// each piece with one search from where the last ended instead of a
// sticky match at every position: the same pieces, a call a match.
//
// A RegExp whose exec is not the built-in (a script's own) runs goja's
// algorithm: each match then calls script code, which an interrupt stops.
//
// exec and test (and search, matchAll, which call exec) are charged the
// copy goja makes of the subject when the backtracking engine runs: a rune
// per character, and a position map with the u flag.

const (
	// runeBytes is what goja's regexp2 path copies a subject into: a rune
	// per UTF-16 unit, and with the u flag an int position for each.
	runeBytes, runePosBytes = 4, 8
	// stepMatchBytes is what the step-by-step algorithm keeps per match of
	// a match or split: the array slot and the string.
	stepMatchBytes = 2 * valueBytes
	// stopCheckEvery is how many matches run between two checks for an
	// interrupt.
	stopCheckEvery = 64
)

// patternBytes is a lower bound of what compiling a pattern costs a
// character, in Go's regexp and in regexp2 alike (measured: 125 to 145
// bytes; new RegExp('a'.repeat(2 ** 22)) peaked at 526 MiB and ran 4.8 s).
const patternBytes = 128

// chargePattern charges compiling v if it is a primitive pattern: an
// object is a RegExp, or has its own Symbol.match, or converts through
// script code.
func (vm *VM) chargePattern(v goja.Value, what string) bool {
	if isObject(v) || isNullish(v) {
		return true
	}
	return vm.chargeIf(stringLength(v)*patternBytes, what)
}

// regexpNatives are RegExp.prototype's original implementations, captured
// by guardRegExp before any script could see them.
type regexpNatives struct {
	exec   native       // the original exec
	execFn *goja.Object // exec as guardRegExp installs it: "the built-in exec"
	ctor   *goja.Object // the original RegExp constructor
	limit  time.Duration
}

// guardRegExpSubjects installs the step-by-step Symbol.match, replace and
// split on proto.
func (vm *VM) guardRegExpSubjects(proto *goja.Object, rn *regexpNatives) {
	for _, s := range []struct {
		sym  *goja.Symbol
		name string
		f    func(rn *regexpNatives, orig native, call goja.FunctionCall) goja.Value
	}{
		{goja.SymMatch, "match", vm.regexpMatch},
		{goja.SymReplace, "replace", vm.regexpReplace},
		{goja.SymSplit, "split", vm.regexpSplit},
	} {
		orig, length, ok := originalSymbol(proto, s.sym)
		if !ok {
			continue
		}
		f := s.f
		g := vm.newNative("[Symbol."+s.name+"]", length, func(call goja.FunctionCall) goja.Value {
			return f(rn, orig, call)
		})
		_ = proto.DefineDataPropertySymbol(s.sym, g, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	}
}

// chargeSubject charges the copy of subject s goja's regexp2 path makes
// for a match of rx: when regexp2 runs the pattern, a global or sticky
// match starts past 0 (or will: pastZero), or the u flag meets a string
// that is not ASCII.
func (vm *VM) chargeSubject(rx goja.Value, s goja.Value, what string, pastZero bool) bool {
	_, ok := vm.subjectCopy(rx, s, what, pastZero)
	return ok
}

// subjectCopy is chargeSubject, also returning the bytes charged.
func (vm *VM) subjectCopy(rx goja.Value, s goja.Value, what string, pastZero bool) (float64, bool) {
	str, ok := s.(goja.String)
	o, isObj := rx.(*goja.Object)
	if !ok || !isObj || float64(str.Length())*runeBytes <= smallAllocation {
		return 0, true
	}
	flags := ""
	if f := o.Get("flags"); f != nil {
		flags = f.String()
	}
	unicode := strings.ContainsRune(flags, 'u')
	copies := pastZero || vm.backtracks(rx) || unicode && !isASCII(str)
	if !copies && (strings.ContainsAny(flags, "gy")) {
		copies = toLength(o.Get("lastIndex")) > 0
	}
	if !copies {
		return 0, true
	}
	per := float64(runeBytes)
	if unicode {
		per += runePosBytes
	}
	n := float64(str.Length()) * per
	return n, vm.chargeIf(n, what)
}

// isASCII reports whether s is one of goja's ASCII strings (a string of
// another kind may still hold only ASCII: this errs towards charging).
func isASCII(s goja.String) bool {
	return reflect.TypeOf(s).Name() == "asciiString"
}

// regexpPlan is what a match, replace or split of rx over s reads before it
// runs: the subject, the flags, and whether exec is the built-in.
type regexpPlan struct {
	rx       *goja.Object
	s        goja.String
	flags    string
	global   bool
	unicode  bool
	standard bool // exec is the built-in: no script code runs per match
}

// plan converts call's subject (argument 0) once, passing it on, and reads
// rx's flags. For match and replace (resetLastIndex), a global RegExp's
// lastIndex is set to 0 before exec is read, in the spec's order: an exec
// getter that throws finds it reset.
func (vm *VM) plan(rn *regexpNatives, call *goja.FunctionCall, resetLastIndex bool) (regexpPlan, bool) {
	rx, ok := call.This.(*goja.Object)
	if !ok || rx.ClassName() != "RegExp" {
		// Not a RegExp: the built-in exec would refuse it, so goja's own
		// method runs it, reading everything once in the spec's order.
		return regexpPlan{}, false
	}
	s := vm.toStr(arg(call.Arguments, 0))
	call.Arguments = withArg(call.Arguments, 0, s)
	p := regexpPlan{rx: rx, s: s}
	if f := rx.Get("flags"); !isNullish(f) {
		p.flags = f.String()
	}
	p.global = strings.ContainsRune(p.flags, 'g')
	p.unicode = strings.ContainsRune(p.flags, 'u')
	if resetLastIndex && p.global {
		// An own data property of a RegExp: setting it again later is not
		// observable; a frozen one throws here, where the spec throws.
		if err := rx.Set("lastIndex", 0); err != nil {
			panic(err)
		}
	}
	exec, _ := rx.Get("exec").(*goja.Object)
	p.standard = exec == rn.execFn
	return p, true
}

// steps runs exec over p.s from lastIndex 0 (or once, if not global),
// calling each with every match result until it returns false. It times
// each match against the regexp timeout, checks for an interrupt every
// stopCheckEvery matches, and reports false if the invocation was
// interrupted.
func (vm *VM) steps(rn *regexpNatives, p regexpPlan, mt *meter, each func(res *goja.Object) bool) bool {
	// Past the first match exec starts from a lastIndex past 0: goja
	// copies the subject for regexp2, which the meter's budget must leave
	// room for.
	copied, ok := vm.subjectCopy(p.rx, p.s, mt.what, p.global)
	if !ok {
		return false
	}
	mt.rem -= copied
	if p.global {
		setLastIndex(p.rx, 0)
	}
	args := []goja.Value{p.s}
	for n := 1; ; n++ {
		start := time.Now()
		v := rn.exec(goja.FunctionCall{This: p.rx, Arguments: args})
		if !vm.inTime(rn, p.rx, v, start) {
			return false
		}
		res, ok := v.(*goja.Object)
		if !ok || !each(res) || !p.global {
			return !vm.stopped()
		}
		if m := res.Get("0"); m == nil || m.String() == "" {
			i := toLength(p.rx.Get("lastIndex"))
			setLastIndex(p.rx, advance(p.s, int64(i), p.unicode))
		}
		if n%stopCheckEvery == 0 && vm.stopped() {
			return false
		}
	}
}

// inTime checks one exec that started at start and returned v: one that
// ran for the regexp timeout and found nothing hit regexp2's match timeout
// (which reads as no match), and one of a backtracking pattern ran away.
// Either interrupts the invocation with TIMEOUT and reports false.
func (vm *VM) inTime(rn *regexpNatives, rx *goja.Object, v goja.Value, start time.Time) bool {
	elapsed := time.Since(start)
	if elapsed < rn.limit || !goja.IsNull(v) && !vm.backtracks(rx) {
		return true
	}
	vm.interrupt(errBacktracking(elapsed))
	return false
}

func errBacktracking(elapsed time.Duration) *Error {
	return Errorf(CodeTimeout, "a regular expression ran for %s in one call and was stopped: it backtracks catastrophically on this input; simplify the pattern (avoid nested quantifiers combined with backreferences or lookarounds)", elapsed.Round(time.Millisecond))
}

func setLastIndex(rx *goja.Object, i int64) {
	if err := rx.Set("lastIndex", i); err != nil {
		panic(err)
	}
}

// advance is the spec's AdvanceStringIndex.
func advance(s goja.String, i int64, unicode bool) int64 {
	if !unicode || i+1 >= int64(s.Length()) {
		return i + 1
	}
	if c := s.CharAt(int(i)); c >= 0xD800 && c < 0xDC00 {
		if d := s.CharAt(int(i + 1)); d >= 0xDC00 && d < 0xE000 {
			return i + 2
		}
	}
	return i + 1
}

// substringBytes is what goja allocates for a substring of length n of s (an
// ASCII substring shares its bytes).
func substringBytes(s goja.String, n int) float64 {
	if isASCII(s) {
		return valueBytes
	}
	return valueBytes + 2*float64(n)
}

// meter counts what a step-by-step built-in keeps against the budget the
// invocation had when it started.
type meter struct {
	vm        *VM
	what      string
	rem, used float64
}

func (vm *VM) meter(what string) *meter { return &meter{vm: vm, what: what, rem: vm.budget()} }

// add counts n more bytes and reports whether they fit; if not, the
// invocation has been interrupted with MEMORY_LIMIT.
func (m *meter) add(n float64) bool {
	if m == nil {
		return true
	}
	m.used += n
	if m.used <= m.rem {
		return true
	}
	// Garbage collected meanwhile may have made room.
	if !m.vm.charge(int64(m.used), m.what) {
		return false
	}
	m.rem = m.used + m.vm.budget()
	return true
}

// regexpMatch is RegExp.prototype[Symbol.match].
func (vm *VM) regexpMatch(rn *regexpNatives, orig native, call goja.FunctionCall) goja.Value {
	p, ok := vm.plan(rn, &call, true)
	if !ok || !p.global || !p.standard {
		return orig(call)
	}
	mt := vm.meter("RegExp.prototype[Symbol.match]")
	var found []any
	if !vm.steps(rn, p, mt, func(res *goja.Object) bool {
		m := vm.toStr(orUndefined(res.Get("0")))
		if !mt.add(stepMatchBytes + substringBytes(p.s, m.Length())) {
			return false
		}
		found = append(found, m)
		return true
	}) {
		return goja.Undefined()
	}
	if len(found) == 0 {
		return goja.Null()
	}
	return vm.rt.NewArray(found...)
}

// regexpSplit is RegExp.prototype[Symbol.split]. goja's own runs unless
// the subject is large or the pattern backtracks, and the splitter is the
// built-in one (the species is RegExp and exec the built-in); then the
// pieces are found with a global copy of the pattern, each search going
// from where the last piece ended to the next match — what the spec's
// sticky match at every position finds, without a call per position.
func (vm *VM) regexpSplit(rn *regexpNatives, orig native, call goja.FunctionCall) goja.Value {
	p, ok := vm.plan(rn, &call, false)
	if !ok || !p.standard {
		return orig(call)
	}
	if c := p.rx.Get("constructor"); c != nil && !goja.IsUndefined(c) {
		co, isObj := c.(*goja.Object)
		if !isObj {
			return orig(call)
		}
		if sp := co.GetSymbol(goja.SymSpecies); !isNullish(sp) {
			if spo, ok := sp.(*goja.Object); !ok || spo != rn.ctor {
				return orig(call)
			}
		}
	}
	limit := float64(1<<32 - 1)
	if l := arg(call.Arguments, 1); !goja.IsUndefined(l) {
		limit = toUint32(l.ToFloat())
	}
	if limit == 0 {
		return vm.rt.NewArray()
	}
	ctor, _ := goja.AssertConstructor(rn.ctor)
	flags := strings.ReplaceAll(p.flags, "y", "")
	if !p.global {
		flags += "g"
	}
	splitter, err := ctor(nil, p.rx, vm.rt.ToValue(flags))
	if err != nil {
		panic(err)
	}
	s, size := p.s, int64(p.s.Length())
	if size == 0 {
		if v := rn.exec(goja.FunctionCall{This: splitter, Arguments: []goja.Value{s}}); !goja.IsNull(v) {
			return vm.rt.NewArray()
		}
		return vm.rt.NewArray(s)
	}
	mt := vm.meter("RegExp.prototype[Symbol.split]")
	copied, ok := vm.subjectCopy(splitter, s, mt.what, true)
	if !ok {
		return goja.Undefined()
	}
	mt.rem -= copied
	var out []any
	push := func(v goja.Value) bool {
		n := 0
		if str, ok := v.(goja.String); ok {
			n = str.Length()
		}
		if !mt.add(stepMatchBytes + substringBytes(s, n)) {
			return false
		}
		out = append(out, v)
		return float64(len(out)) < limit
	}
	args := []goja.Value{s}
	last, q := int64(0), int64(0)
	for n := 1; q < size; n++ {
		if n%stopCheckEvery == 0 && vm.stopped() {
			return goja.Undefined()
		}
		setLastIndex(splitter, q)
		start := time.Now()
		v := rn.exec(goja.FunctionCall{This: splitter, Arguments: args})
		if !vm.inTime(rn, splitter, v, start) {
			return goja.Undefined()
		}
		z, ok := v.(*goja.Object)
		if !ok {
			break // no match from q on
		}
		at := z.Get("index").ToInteger()
		e := min(toLength(splitter.Get("lastIndex")), float64(size))
		if at >= size {
			break
		}
		if int64(e) == last {
			q = advance(s, max(at, q), p.unicode)
			continue
		}
		if !push(s.Substring(int(last), int(at))) {
			return vm.splitResult(out)
		}
		last = int64(e)
		captures := int(max(toLength(z.Get("length"))-1, 0))
		for i := 1; i <= captures; i++ {
			if !push(orUndefined(z.Get(strconv.Itoa(i)))) {
				return vm.splitResult(out)
			}
		}
		q = last
	}
	if vm.stopped() {
		return goja.Undefined()
	}
	push(s.Substring(int(last), int(size)))
	return vm.splitResult(out)
}

// splitResult is split's array, unless the invocation was stopped.
func (vm *VM) splitResult(out []any) goja.Value {
	if vm.stopped() {
		return goja.Undefined()
	}
	return vm.rt.NewArray(out...)
}
