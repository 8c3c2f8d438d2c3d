package engine

import (
	"bytes"
	"cmp"
	"slices"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/kiln-run/kiln/internal/goja"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"
	"golang.org/x/text/unicode/norm"
)

// String.prototype.localeCompare, guarded. goja compares the NFD forms of
// the two strings with one call of golang.org/x/text/collate's root
// collation: about 20–150 ns and a 4-byte collation element a character,
// all of it kept until the call returns, and no interrupt reaches it (two
// 4M-character strings: seconds and hundreds of MiB). The guard gives
// short strings to goja; long ones it compares itself, step by step, with
// the same collator and the same result.
//
// The collator compares strings level by level: all the primary weights
// (letters) of both, then, if those are equal, all the secondary ones
// (accents), then the tertiary ones (case); a level ends where a string's
// weights end, and the shorter sequence is less. The weights of a text cut
// where the collator's work on one side cannot reach the other (collateCut)
// are the weights of the pieces one after the other, at every level. So
// the guard
//
//   - skips the longest common prefix of the two strings that ends at such
//     a cut in both, which changes no level's comparison;
//   - compares the rest, if short, with goja's built-in;
//   - otherwise normalizes each string a piece at a time, cuts the NFD text
//     into chunks of about collateChunk bytes, and reads the weights from
//     the chunks' collation keys (a key holds a text's primary, secondary
//     and tertiary weights, each level in an encoding that compares as
//     they do), checking for an interrupt before each chunk. It reads the
//     strings once, as far as their primary weights need, comparing the
//     lower levels' weights as they come; a lower level whose weights pile
//     up on one side is left to a pass of its own, made only if needed.
//
// Where the collator's work on a text can be cut. Collation consumes the
// text a character at a time, except that a contraction start also reads
// the characters that may complete a contraction: at most two more (the
// root collation's contractions have up to three characters), skipping the
// non-starters (canonical combining class not 0) between them, and
// stopping at the first starter that cannot continue the contraction. Most
// stop at the next starter (a Cyrillic letter with a breve, an Arabic one
// with a hamza: only non-starters continue them); collateStarts are the
// others ("l" and "L" before "·", Thai and Lao prevowels, vowel signs of
// Indic scripts). Non-starters are reordered among themselves, never past a
// starter. So NFD text can be cut before a starter d when either
//
//   - d continues no contraction (it is not in collateContinues): a
//     contraction before d stops reading at d; or
//   - at least collateReach starters stand between the last of
//     collateStarts and d: any contraction before d stops reading before
//     it.
//
// (And the collation elements of every starter begin with one of canonical
// combining class 0, which the collator never reorders.) TestCollateTables
// checks all of this against the collator's own tables, TestCollateCuts
// by cutting random strings everywhere these rules allow.
//
// Normalization is cut likewise: NFD of a string cut before a starter that
// cannot combine with what precedes it is the NFD of the pieces one after
// the other (nfdCut). A stretch of a string with no such cut (a run of
// non-starters, or of characters that combine with the one before) is
// normalized in one step, charged: about 80 ns a character.

const (
	// collateDirect is the length, in UTF-16 units of both strings
	// together, up to which goja's built-in compares them (a few ms).
	collateDirect = 1 << 14
	// collatePiece is how many UTF-16 units of a string are normalized at
	// a time, and collateChunk how many bytes of normalized text are keyed
	// at a time (a millisecond or less).
	collatePiece = 1 << 13
	collateChunk = 1 << 14
	// collatePending is how many bytes of secondary or tertiary weights
	// the comparison holds, of both strings, before it leaves that level
	// to a pass of its own.
	collatePending = 1 << 18
	// collateReach is the number of starters after a contraction start
	// past which its contraction cannot read: a contraction's characters
	// after its start (two at most) and the starter that ends it.
	collateReach = 3
	// collateLookBack bounds the common prefix's search for a cut, in
	// UTF-16 units back from where the strings differ.
	collateLookBack = 256
	// collateNFDBytes is what normalizing a UTF-16 unit may allocate: goja's
	// substring (2), its decoding to runes (4), their UTF-8 (3) and the
	// NFD text (3); collateKeyBytes is what keying a byte of NFD text may
	// allocate (the collation elements, their growth, the key).
	collateNFDBytes = 12
	collateKeyBytes = 16
)

// guardLocaleCompare guards String.prototype.localeCompare.
func (vm *VM) guardLocaleCompare(proto *goja.Object) {
	orig, length, ok := original(proto, "localeCompare")
	if !ok {
		return
	}
	f := vm.newNative("localeCompare", length, func(call goja.FunctionCall) goja.Value {
		if isNullish(call.This) {
			return orig(call) // the built-in throws
		}
		// The receiver, then the argument, as the built-in converts them.
		a := vm.toStr(call.This)
		b := vm.toStr(arg(call.Arguments, 0))
		q := 0
		if a.Length()+b.Length() > collateDirect {
			q = commonCut(a, b)
		}
		if a.Length()+b.Length()-2*q <= collateDirect {
			if q > 0 {
				a, b = a.Substring(q, a.Length()), b.Substring(q, b.Length())
			}
			return orig(goja.FunctionCall{This: a, Arguments: []goja.Value{b}})
		}
		r, ok := newCollation(vm).compare(a, b, q)
		if !ok {
			return goja.Undefined() // interrupted
		}
		return vm.rt.ToValue(r)
	})
	_ = proto.DefineDataProperty("localeCompare", f, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
}

// collation compares two long strings as goja's localeCompare does.
type collation struct {
	vm *VM
	c  *collate.Collator // the root collation, as goja's
	// piece, chunk and pending are collatePiece, collateChunk and
	// collatePending; tests make them small, to cut everywhere they can
	// and to drop levels.
	piece, chunk, pending int
}

func newCollation(vm *VM) *collation {
	return &collation{vm: vm, c: collate.New(language.Und), piece: collatePiece, chunk: collateChunk, pending: collatePending}
}

// compare compares a[q:] and b[q:], where q is 0 or a cut of both
// (commonCut). It reports false if the invocation was interrupted.
//
// It reads both strings once, as the primary weights require, and
// compares the secondary and tertiary weights as they come; a lower level
// whose weights pile up on one side (more than co.pending bytes) is
// dropped, and compared on its own at the end if it is needed.
func (co *collation) compare(a, b goja.String, q int) (int, bool) {
	x, y := co.side(a, q), co.side(b, q)
	want := [3]bool{true, true, true}
	var result [3]int
	for {
		for level, w := range want {
			if w && result[level] == 0 {
				if result[level] = compareWeights(&x.weights[level], &y.weights[level]); result[level] != 0 && level > 0 {
					want[level] = false
					x.weights[level], y.weights[level] = nil, nil
				}
			}
		}
		if result[0] != 0 {
			return result[0], true
		}
		// Read the side the primary weights wait for; if both, the one
		// behind, so that the lower levels keep pace.
		needX := len(x.weights[0]) == 0 && !x.ended
		needY := len(y.weights[0]) == 0 && !y.ended
		var s *side
		switch {
		case needX && (!needY || x.text.done <= y.text.done):
			s = x
		case needY:
			s = y
		case len(x.weights[0]) > 0:
			return 1, true
		case len(y.weights[0]) > 0:
			return -1, true
		default:
			return co.lowerLevels(a, b, q, x, y, want, result)
		}
		if !s.read(co, want) {
			return 0, false
		}
		for level := 1; level < 3; level++ {
			if want[level] && len(x.weights[level])+len(y.weights[level]) > co.pending {
				want[level] = false
				x.weights[level], y.weights[level] = nil, nil
			}
		}
	}
}

// lowerLevels ends compare once the primary weights are equal and both
// strings read: the secondary, then the tertiary weights decide.
func (co *collation) lowerLevels(a, b goja.String, q int, x, y *side, want [3]bool, result [3]int) (int, bool) {
	for level := 1; level < 3; level++ {
		switch {
		case result[level] != 0:
			return result[level], true
		case want[level]: // compared to the end of the shorter
			if r := cmp.Compare(len(x.weights[level]), len(y.weights[level])); r != 0 {
				return r, true
			}
		default: // dropped
			if r, ok := co.compareLevel(a, b, q, level); !ok || r != 0 {
				return r, ok
			}
		}
	}
	return 0, true
}

// compareLevel compares a[q:] and b[q:] at one level only.
func (co *collation) compareLevel(a, b goja.String, q, level int) (int, bool) {
	x, y := co.side(a, q), co.side(b, q)
	var want [3]bool
	want[level] = true
	for {
		if r := compareWeights(&x.weights[level], &y.weights[level]); r != 0 {
			return r, true
		}
		var s *side
		switch {
		case len(x.weights[level]) == 0 && !x.ended:
			s = x
		case len(y.weights[level]) == 0 && !y.ended:
			s = y
		default:
			return cmp.Compare(len(x.weights[level]), len(y.weights[level])), true
		}
		if !s.read(co, want) {
			return 0, false
		}
	}
}

// compareWeights compares the weights both sides have read, and drops
// them if equal. A level's encoding in a key compares as its weights do,
// byte by byte.
func compareWeights(x, y *[]byte) int {
	n := min(len(*x), len(*y))
	if r := bytes.Compare((*x)[:n], (*y)[:n]); r != 0 {
		return r
	}
	*x, *y = (*x)[n:], (*y)[n:]
	return 0
}

// side is one string's weights, read a chunk at a time.
type side struct {
	text    nfdStream
	key     collate.Buffer
	weights [3][]byte // each level's weights read and not yet compared
	ended   bool
}

func (co *collation) side(s goja.String, q int) *side {
	return &side{text: nfdStream{co: co, s: s, pos: q, since: collateReach}}
}

// read keys the next chunk and adds the levels wanted to weights, or marks
// the side ended. It reports false if the invocation was interrupted.
func (s *side) read(co *collation, want [3]bool) bool {
	if co.vm.stopped() {
		return false
	}
	chunk, ok := s.text.next()
	if !ok {
		return false
	}
	if len(chunk) == 0 {
		s.ended = true
		return true
	}
	if !co.vm.chargeIf(float64(len(chunk)*collateKeyBytes+2*co.pending), "String.prototype.localeCompare") {
		return false
	}
	s.key.Reset()
	key := co.c.KeyFromString(&s.key, string(chunk))
	for level, w := range want {
		if w {
			s.weights[level] = append(s.weights[level], keyLevel(key, level)...)
		}
	}
	return true
}

// keyLevel returns one level of a root collation key: the primary weights
// (2 bytes each, or 3 with the first byte's high bit set), 0 0, the
// secondary weights (2 bytes each, never 0 0), 0 0, the tertiary weights
// (a byte each).
func keyLevel(key []byte, level int) []byte {
	i := 0
	for i+1 < len(key) && (key[i] != 0 || key[i+1] != 0) {
		if key[i]&0x80 != 0 {
			i += 3
		} else {
			i += 2
		}
	}
	if level == 0 {
		return key[:min(i, len(key))]
	}
	key = key[min(i+2, len(key)):]
	i = 0
	for i+1 < len(key) && (key[i] != 0 || key[i+1] != 0) {
		i += 2
	}
	if level == 1 {
		return key[:min(i, len(key))]
	}
	return key[min(i+2, len(key)):]
}

// nfdStream is the NFD form of a string from pos on, normalized a piece at
// a time and handed out in chunks cut where collateCut allows.
type nfdStream struct {
	co   *collation
	s    goja.String
	pos  int    // the next UTF-16 unit of s to normalize
	text []byte // normalized text not yet handed out
	scan int    // where in text to look for the next cut
	// since is collateCut's count of starters since the last contraction
	// start, at text's start: collateReach at the string's.
	since int
	done  int // bytes of text handed out
}

// next returns the next chunk of the NFD text, empty at its end. It
// reports false if the invocation was interrupted.
func (n *nfdStream) next() ([]byte, bool) {
	for {
		for n.scan = max(n.scan, n.co.chunk); n.scan < len(n.text); n.scan++ {
			if i := n.scan; utf8.RuneStart(n.text[i]) && n.cutAt(i) {
				n.since = n.sinceBefore(i)
				chunk := n.text[:i:i]
				n.text, n.scan, n.done = n.text[i:], 0, n.done+i
				return chunk, true
			}
		}
		if n.pos >= n.s.Length() {
			chunk := n.text
			n.text, n.scan, n.done = nil, 0, n.done+len(chunk)
			return chunk, true
		}
		if !n.load() {
			return nil, false
		}
	}
}

// cutAt reports whether the text may be cut before the character at i.
func (n *nfdStream) cutAt(i int) bool {
	if n.text[i] < utf8.RuneSelf {
		return true // an ASCII character is a starter and continues no contraction
	}
	p := norm.NFD.Properties(n.text[i:])
	if p.CCC() != 0 || p.LeadCCC() != 0 {
		return false
	}
	r, _ := utf8.DecodeRune(n.text[i:])
	return collateCut(r, n.sinceBefore(i))
}

// sinceBefore is collateCut's count at i: the starters before i since the
// last contraction start, up to collateReach, looking back a few
// characters at most (a long run of non-starters counts as 0).
func (n *nfdStream) sinceBefore(i int) int {
	since := 0
	for steps := 0; since < collateReach; steps++ {
		if i == 0 {
			return min(since+n.since, collateReach)
		}
		if steps == 8*collateReach {
			return 0
		}
		r, size := utf8.DecodeLastRune(n.text[:i])
		i -= size
		if inRanges(r, collateStarts) {
			return since
		}
		if p := norm.NFD.Properties(n.text[i:]); p.CCC() == 0 && p.LeadCCC() == 0 {
			since++
		}
	}
	return since
}

// load normalizes the next piece of the string: at least co.piece units,
// up to a cut (nfdCut). It reports false if the invocation was interrupted.
func (n *nfdStream) load() bool {
	vm := n.co.vm
	if vm.stopped() {
		return false
	}
	l := n.s.Length()
	end := min(n.pos+n.co.piece, l)
	for ; end < l && !nfdCut(n.s, end, l); end++ {
		if (end-n.pos)&(1<<16-1) == 0 && vm.stopped() {
			return false
		}
	}
	if !vm.chargeIf(float64((end-n.pos)*collateNFDBytes), "String.prototype.localeCompare") {
		return false
	}
	n.text = append(n.text, norm.NFD.String(n.s.Substring(n.pos, end).String())...)
	n.pos = end
	return true
}

// collateCut reports whether NFD text may be cut before the starter d,
// given the number of starters since the last contraction start (capped
// at collateReach): see the top of this file.
func collateCut(d rune, since int) bool {
	return since >= collateReach || !inRanges(d, collateContinues)
}

// nfdCut reports whether the NFD form of s (l UTF-16 units long) is that
// of s[:i] followed by that of s[i:]: s[i] is not the second half of a
// surrogate pair, and it starts a character that cannot combine with or
// reorder with what precedes it.
func nfdCut(s goja.String, i, l int) bool {
	r, ok := runeAt(s, i, l)
	if !ok {
		return false
	}
	p := runeProperties(r)
	return p.BoundaryBefore() && p.CCC() == 0 && p.LeadCCC() == 0
}

// runeAt decodes the character goja's UTF-8 conversion makes of s at i (a
// lone surrogate becomes U+FFFD); ok is false if s[i] is the second half of
// a surrogate pair.
func runeAt(s goja.String, i, l int) (r rune, ok bool) {
	c := s.CharAt(i)
	switch {
	case !utf16.IsSurrogate(rune(c)):
		return rune(c), true
	case c < 0xDC00: // a first half
		if i+1 < l {
			if d := s.CharAt(i + 1); d >= 0xDC00 && d <= 0xDFFF {
				return utf16.DecodeRune(rune(c), rune(d)), true
			}
		}
	default: // a second half
		if i > 0 {
			if p := s.CharAt(i - 1); p >= 0xD800 && p < 0xDC00 {
				return 0, false
			}
		}
	}
	return utf8.RuneError, true
}

// runeBefore is the character of s that ends just before i, and its
// length in units (i > 0).
func runeBefore(s goja.String, i int) (r rune, size int) {
	c := s.CharAt(i - 1)
	if c >= 0xDC00 && c <= 0xDFFF && i > 1 {
		if p := s.CharAt(i - 2); p >= 0xD800 && p < 0xDC00 {
			return utf16.DecodeRune(rune(p), rune(c)), 2
		}
	}
	if utf16.IsSurrogate(rune(c)) {
		return utf8.RuneError, 1
	}
	return rune(c), 1
}

func runeProperties(r rune) norm.Properties {
	var b [utf8.UTFMax]byte
	return norm.NFD.Properties(utf8.AppendRune(b[:0], r))
}

// commonCut returns the end of the longest common prefix of a and b that
// is a cut of both, for normalization (nfdCut) and collation (collateCut),
// found within collateLookBack units of the first difference; or 0.
func commonCut(a, b goja.String) int {
	la, lb := a.Length(), b.Length()
	n := min(la, lb)
	i := 0
	for i < n && a.CharAt(i) == b.CharAt(i) {
		i++
	}
	for q := i; q > 0 && q >= i-collateLookBack; q-- {
		if cutAt(a, q, la) && cutAt(b, q, lb) {
			return q
		}
	}
	return 0
}

// cutAt reports whether a string s (l units long) may be cut at i for
// both normalization and collation, looking back at what precedes i.
func cutAt(s goja.String, i, l int) bool {
	if i == l {
		return true
	}
	if !nfdCut(s, i, l) {
		return false
	}
	r, _ := runeAt(s, i, l)
	if d := nfdForm(r); len(d) > 0 {
		r, _ = utf8.DecodeRuneInString(d)
	}
	if !inRanges(r, collateContinues) {
		return true
	}
	// Count the starters of the NFD text before i back to a contraction
	// start. Normalizing the characters one by one leaves the starters
	// and what stands between them as normalizing the text does, but for
	// the joiners it may add after long runs of non-starters, which only
	// add to the count.
	since := 0
	for j, steps := i, 0; since < collateReach; steps++ {
		if j == 0 {
			return true // no contraction start before i
		}
		if steps == 8*collateReach {
			return false // a long run of non-starters: give up
		}
		c, size := runeBefore(s, j)
		j -= size
		for d := nfdForm(c); len(d) > 0 && since < collateReach; {
			c, size := utf8.DecodeLastRuneInString(d)
			d = d[:len(d)-size]
			if inRanges(c, collateStarts) {
				return false
			}
			if p := runeProperties(c); p.CCC() == 0 && p.LeadCCC() == 0 {
				since++
			}
		}
	}
	return true
}

// nfdForm is the NFD form of the character r.
func nfdForm(r rune) string {
	var b [utf8.UTFMax]byte
	s := utf8.AppendRune(b[:0], r)
	if norm.NFD.IsNormal(s) {
		return string(s)
	}
	return norm.NFD.String(string(s))
}

// inRanges reports whether r is in one of the sorted ranges.
func inRanges(r rune, ranges [][2]rune) bool {
	if len(ranges) == 0 || r < ranges[0][0] || r > ranges[len(ranges)-1][1] {
		return false
	}
	_, found := slices.BinarySearchFunc(ranges, r, func(e [2]rune, r rune) int {
		switch {
		case e[1] < r:
			return -1
		case e[0] > r:
			return 1
		}
		return 0
	})
	return found
}

// The root collation's contractions that a starter continues
// (TestCollateTables derives both from the collator's tables):
// collateStarts are the characters that start one, collateContinues the
// starters that continue one.
var (
	collateStarts = [][2]rune{
		{0x004C, 0x004C}, {0x006C, 0x006C}, {0x09C7, 0x09C7}, {0x0B47, 0x0B47}, {0x0B92, 0x0B92},
		{0x0BC6, 0x0BC7}, {0x0CBF, 0x0CBF}, {0x0CC6, 0x0CC6}, {0x0CCA, 0x0CCA}, {0x0D46, 0x0D47},
		{0x0DD9, 0x0DD9}, {0x0E40, 0x0E44}, {0x0E4D, 0x0E4D}, {0x0EC0, 0x0EC4}, {0x0ECD, 0x0ECD},
		{0x1025, 0x1025}, {0x1B05, 0x1B05}, {0x1B07, 0x1B07}, {0x1B09, 0x1B09}, {0x1B0B, 0x1B0B},
		{0x1B0D, 0x1B0D}, {0x1B11, 0x1B11}, {0x1B3A, 0x1B3A}, {0x1B3C, 0x1B3C}, {0x1B3E, 0x1B3F},
		{0x1B42, 0x1B42}, {0xAAB5, 0xAAB6}, {0xAAB9, 0xAAB9}, {0xAABB, 0xAABC}, {0x11131, 0x11132},
	}
	collateContinues = [][2]rune{
		{0x00B7, 0x00B7}, {0x0387, 0x0387}, {0x09BE, 0x09BE}, {0x09D7, 0x09D7}, {0x0B3E, 0x0B3E},
		{0x0B56, 0x0B57}, {0x0BBE, 0x0BBE}, {0x0BD7, 0x0BD7}, {0x0CC2, 0x0CC2}, {0x0CD5, 0x0CD6},
		{0x0D3E, 0x0D3E}, {0x0D57, 0x0D57}, {0x0DCF, 0x0DCF}, {0x0DDF, 0x0DDF}, {0x0E01, 0x0E2E},
		{0x0E32, 0x0E32}, {0x0E81, 0x0E82}, {0x0E84, 0x0E84}, {0x0E87, 0x0E88}, {0x0E8A, 0x0E8A},
		{0x0E8D, 0x0E8D}, {0x0E94, 0x0E97}, {0x0E99, 0x0E9F}, {0x0EA1, 0x0EA3}, {0x0EA5, 0x0EA5},
		{0x0EA7, 0x0EA7}, {0x0EAA, 0x0EAB}, {0x0EAD, 0x0EAE}, {0x0EB2, 0x0EB2}, {0x0EDC, 0x0EDF},
		{0x102E, 0x102E}, {0x1B35, 0x1B35}, {0xAA80, 0xAAAF}, {0x11127, 0x11127},
	}
)
