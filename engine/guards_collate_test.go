package engine

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"github.com/kiln-run/kiln/internal/goja"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"
	"golang.org/x/text/unicode/norm"
)

// The localeCompare guard (guards_collate.go) must give goja's result for
// every input. These tests check the two things that rest on: where text
// may be cut (against the collator's own tables, and by cutting), and the
// chunked comparison (against goja's one call, on strings made to hit
// every kind of cut).

// rootTable is what TestCollateTables reads of the root collation's
// tables. x/text keeps them in an internal package: reflect reaches them
// through the Collator's unexported fields.
type rootTable struct {
	weighter reflect.Value // the colltab.Weighter, callable
	index0   []uint16
	values0  []uint32
	index    []uint16
	values   []uint32
	tries    []struct{ L, H, N, I uint8 } // colltab.ContractTrieSet
	contract []uint32                     // ContractElem
	expand   []uint32                     // ExpandElem
}

func readRootTable(t *testing.T) rootTable {
	t.Helper()
	c := collate.New(language.Und)
	field := reflect.ValueOf(c).Elem().FieldByName("t")
	if !field.IsValid() || field.Kind() != reflect.Interface {
		t.Fatal("collate.Collator has no Weighter field t: x/text changed, check guards_collate.go")
	}
	w := reflect.NewAt(field.Type(), unsafe.Pointer(field.UnsafeAddr())).Elem()
	tbl := w.Elem().Elem()
	if tbl.Type().String() != "colltab.Table" {
		t.Fatalf("the root Weighter is a %s, not a colltab.Table", tbl.Type())
	}
	at := func(v reflect.Value) unsafe.Pointer { return unsafe.Pointer(v.UnsafeAddr()) }
	idx := tbl.FieldByName("Index")
	var rt rootTable
	rt.weighter = w
	rt.index0 = *(*[]uint16)(at(idx.FieldByName("Index0")))
	rt.values0 = *(*[]uint32)(at(idx.FieldByName("Values0")))
	rt.index = *(*[]uint16)(at(idx.FieldByName("Index")))
	rt.values = *(*[]uint32)(at(idx.FieldByName("Values")))
	tries := tbl.FieldByName("ContractTries")
	if tries.Type().Elem().Size() != 4 {
		t.Fatal("ContractTrieSet entries are not 4 bytes")
	}
	rt.tries = *(*[]struct{ L, H, N, I uint8 })(at(tries))
	rt.contract = *(*[]uint32)(at(tbl.FieldByName("ContractElem")))
	rt.expand = *(*[]uint32)(at(tbl.FieldByName("ExpandElem")))
	return rt
}

// lookup is colltab.Trie.lookup for a valid rune.
func (rt rootTable) lookup(r rune) uint32 {
	s := []byte(string(r))
	switch len(s) {
	case 1:
		return rt.values0[s[0]]
	case 2:
		return rt.values[int(rt.index0[s[0]])<<6+int(s[1])]
	case 3:
		i := rt.index[int(rt.index0[s[0]])<<6+int(s[1])]
		return rt.values[int(i)<<6+int(s[2])]
	}
	i := rt.index[int(rt.index0[s[0]])<<6+int(s[1])]
	i = rt.index[int(i)<<6+int(s[2])]
	return rt.values[int(i)<<6+int(s[3])]
}

// The colltab.Elem encodings TestCollateTables needs (collelem.go).
func isContraction(ce uint32) bool { return ce >= 0xC0000000 && ce <= 0xDFFFFFFF }
func isExpansion(ce uint32) bool   { return ce >= 0xE0000000 && ce <= 0xEFFFFFFF }

func elemCCC(ce uint32) uint8 {
	if ce&0x80000000 != 0 {
		if ce&0xA0000000 == 0x80000000 {
			return uint8(ce >> 16)
		}
		return uint8(ce >> 20)
	}
	return 0
}

// firstCCC is the combining class of the first element of a contraction's
// (or expansion's) elements.
func (rt rootTable) firstCCC(ce uint32) uint8 {
	if isExpansion(ce) {
		return elemCCC(rt.expand[int(uint16(ce))+1])
	}
	return elemCCC(ce)
}

// appendNextCCC is the combining class of the first collation element
// the table gives s's first character, without contractions.
func (rt rootTable) appendNextCCC(t *testing.T, s string) uint8 {
	m := rt.weighter.MethodByName("AppendNextString")
	out := m.Call([]reflect.Value{reflect.Zero(m.Type().In(0)), reflect.ValueOf(s)})
	if out[0].Len() == 0 {
		t.Fatalf("no collation elements for %+q", s)
	}
	return uint8(out[0].Index(0).MethodByName("CCC").Call(nil)[0].Uint())
}

// TestCollateTables derives from the root collation's tables what
// guards_collate.go states about them: which characters start a
// contraction (collateStarts), which starters continue one
// (collateContinues), that contractions have at most collateReach
// characters, and that every starter's collation elements begin with one
// of combining class 0, whatever contraction it starts.
func TestCollateTables(t *testing.T) {
	t.Parallel()
	rt := readRootTable(t)
	var starts, continues []rune
	longest := 0
	for r := rune(0); r <= utf8.MaxRune; r++ {
		if utf16.IsSurrogate(r) {
			continue
		}
		p := runeProperties(r)
		starter := p.CCC() == 0 && p.LeadCCC() == 0
		ce := rt.lookup(r)
		if !isContraction(ce) {
			if starter && rt.appendNextCCC(t, string(r)) != 0 {
				t.Errorf("U+%04X, a starter, has a first collation element of non-zero combining class", r)
			}
			continue
		}
		// Walk the contraction's trie (colltab.ctScanner): every path is
		// the UTF-8 of the characters after r; each index is a
		// contraction's elements (0: r alone).
		n, index, offset := int(ce&0xF), int(ce>>4)&0xFFF, int(ce>>16)&0x1FFF
		indexes := []int{0}
		reaches := false // does a starter continue one of r's contractions?
		var walk func(states []struct{ L, H, N, I uint8 }, n int, path []byte)
		walk = func(states []struct{ L, H, N, I uint8 }, n int, path []byte) {
			for _, e := range states[:n] {
				var ends [][]byte
				if e.N != 0 {
					p := append(slices.Clip(path), e.L)
					if e.I != 0xFF {
						ends = append(ends, p)
						indexes = append(indexes, int(e.I))
					}
					walk(states[int(e.H)+n:], int(e.N), p)
				} else {
					for c := int(e.L); c <= int(e.H); c++ {
						ends = append(ends, append(slices.Clip(path), byte(c)))
						indexes = append(indexes, c-int(e.L)+int(e.I))
					}
				}
				for _, p := range ends {
					if !utf8.Valid(p) {
						t.Fatalf("U+%04X: a contraction ends within a character: %x", r, p)
					}
					rs := []rune(string(p))
					longest = max(longest, 1+len(rs))
					for _, c := range rs {
						if q := runeProperties(c); q.LeadCCC() == 0 {
							reaches = true
							if q.CCC() == 0 && !slices.Contains(continues, c) {
								continues = append(continues, c)
							}
						}
					}
				}
			}
		}
		walk(rt.tries[index:], n, nil)
		if reaches {
			starts = append(starts, r)
		}
		for _, i := range indexes {
			if starter && rt.firstCCC(rt.contract[i+offset]) != 0 {
				t.Errorf("U+%04X, a starter, starts a contraction whose first element has a non-zero combining class", r)
			}
		}
	}
	if longest > collateReach {
		t.Errorf("the longest contraction has %d characters, more than collateReach (%d)", longest, collateReach)
	}
	slices.Sort(continues)
	if len(continues) > 0 && continues[0] < utf8.RuneSelf {
		t.Errorf("U+%04X continues a contraction: nfdStream.cutAt takes no ASCII character to", continues[0])
	}
	if got, want := ranges(continues), collateContinues; !slices.Equal(got, want) {
		t.Errorf("collateContinues should be\n%s", formatRanges(got))
	}
	if got, want := ranges(starts), collateStarts; !slices.Equal(got, want) {
		t.Errorf("collateStarts should be\n%s", formatRanges(got))
	}
	t.Logf("%d characters start a contraction a starter continues, %d starters continue one, the longest has %d characters", len(starts), len(continues), longest)
}

// ranges groups sorted runes into ranges.
func ranges(rs []rune) [][2]rune {
	var out [][2]rune
	for _, r := range rs {
		if n := len(out); n > 0 && out[n-1][1] == r-1 {
			out[n-1][1] = r
			continue
		}
		out = append(out, [2]rune{r, r})
	}
	return out
}

func formatRanges(rs [][2]rune) string {
	var b strings.Builder
	for i, r := range rs {
		fmt.Fprintf(&b, "{0x%04X, 0x%04X},", r[0], r[1])
		if i%5 == 4 {
			b.WriteString("\n")
		} else {
			b.WriteString(" ")
		}
	}
	return b.String()
}

// collateAlphabet holds what makes cutting hard: contraction starts and
// continuations (Latin "l·", Cyrillic with breve, Thai, Lao, Kannada,
// Tibetan, Sinhala, Arabic, Balinese, Tai Viet), non-starters of several
// combining classes, characters that decompose (into non-starters too),
// Hangul, the joiner NFD inserts, compatibility characters, characters
// outside the BMP, lone surrogates and plain letters.
var collateAlphabet = func() [][]uint16 {
	var out [][]uint16
	for _, s := range []string{
		"a", "A", "e", "E", "z", " ", "1", "-", "L", "l", "\u00b7", "\u0387",
		"\u0438", "\u0418", "\u0435", "\u0306", "\u0308", "\u0439", "\u0451",
		"\u0e40", "\u0e01", "\u0e02", "\u0e32", "\u0e48", "\u0e31", "\u0ec0", "\u0e81", "\u0eb2",
		"\u0cc6", "\u0cc2", "\u0cd5", "\u0cca", "\u0cbf",
		"\u0fb2", "\u0f71", "\u0f72", "\u0f74", "\u0f80", "\u0f73", "\u0f81",
		"\u0dd9", "\u0dcf", "\u0dca", "\u0627", "\u0653", "\u0654",
		"\u1b05", "\u1b35", "\uaab5", "\uaa80",
		"\u0300", "\u0301", "\u0316", "\u0327", "\u0345", "\u0344", "\u093c", "\u034f",
		"\u00e9", "\u00c9", "\u01d6", "\u1e09", "\u0390", "\u1fc1",
		"\uac00", "\uac01", "\u1100", "\u1161", "\u11a8",
		"\ufb00", "\u3392", "\u00bd", "\u4e2d", "\U0001d15e", "\U0001f600", "\U00011127", "\U00011131",
	} {
		out = append(out, utf16.Encode([]rune(s)))
	}
	return append(out, []uint16{0xD800}, []uint16{0xDC00}, []uint16{0xDBFF})
}()

// randomUnits is a random string of units: characters of collateAlphabet,
// now and then a long run of one, or of non-starters.
func randomUnits(rng *rand.Rand, n int) []uint16 {
	var out []uint16
	for len(out) < n {
		switch rng.IntN(16) {
		case 0:
			c := collateAlphabet[rng.IntN(len(collateAlphabet))]
			for range 10 + rng.IntN(40) {
				out = append(out, c...)
			}
		case 1:
			marks := []string{"\u0300", "\u0301", "\u0316", "\u0f71", "\u0344", "\u0f72"}
			for range 25 + rng.IntN(20) {
				out = append(out, utf16.Encode([]rune(marks[rng.IntN(len(marks))]))...)
			}
		default:
			out = append(out, collateAlphabet[rng.IntN(len(collateAlphabet))]...)
		}
	}
	return out
}

// mutate changes s somewhere (often near its end): a character replaced,
// inserted or removed, or case or accents changed.
func mutate(rng *rand.Rand, s []uint16) []uint16 {
	out := slices.Clone(s)
	if len(out) == 0 || rng.IntN(8) == 0 {
		return append(out, collateAlphabet[rng.IntN(len(collateAlphabet))]...)
	}
	i := len(out) - 1 - min(rng.IntN(len(out)), rng.IntN(len(out)))
	c := collateAlphabet[rng.IntN(len(collateAlphabet))]
	switch rng.IntN(4) {
	case 0:
		return slices.Replace(out, i, i+1, c...)
	case 1:
		return slices.Insert(out, i, c...)
	case 2:
		return slices.Delete(out, i, i+1)
	}
	for j := i; j < len(out); j++ {
		switch out[j] {
		case 'a':
			out[j] = 'A'
		case 'e':
			out[j] = 0xE9
		case 0xE9:
			out[j] = 0xC9
		}
	}
	return out
}

// gojaCompare is goja's localeCompare.
func gojaCompare(c *collate.Collator, a, b goja.String) int {
	return c.CompareString(norm.NFD.String(a.String()), norm.NFD.String(b.String()))
}

// levels is the three levels of NFD text's root collation key.
func levels(c *collate.Collator, text string) [3][]byte {
	var buf collate.Buffer
	key := c.KeyFromString(&buf, text)
	return [3][]byte{bytes.Clone(keyLevel(key, 0)), bytes.Clone(keyLevel(key, 1)), bytes.Clone(keyLevel(key, 2))}
}

func catLevels(x, y [3][]byte) [3][]byte {
	return [3][]byte{append(x[0], y[0]...), append(x[1], y[1]...), append(x[2], y[2]...)}
}

// TestCollateCuts cuts random strings everywhere guards_collate.go allows
// and checks that the pieces' normalized forms and collation weights,
// one after the other, are the whole's.
func TestCollateCuts(t *testing.T) {
	t.Parallel()
	c := collate.New(language.Und)
	rng := rand.New(rand.NewPCG(14, 1))
	cuts := 0
	for range 3000 {
		units := randomUnits(rng, 1+rng.IntN(60))
		s := goja.StringFromUTF16(units)
		l := s.Length()
		whole := norm.NFD.String(s.String())
		wholeLevels := levels(c, whole)
		// Cuts of the string itself: the common prefix's.
		for i := 1; i < l; i++ {
			if nfdCut(s, i, l) {
				head, tail := norm.NFD.String(s.Substring(0, i).String()), norm.NFD.String(s.Substring(i, l).String())
				if head+tail != whole {
					t.Fatalf("NFD of %+q cut at %d: %+q + %+q, not %+q", s.String(), i, head, tail, whole)
				}
			}
			if cutAt(s, i, l) {
				cuts++
				head, tail := norm.NFD.String(s.Substring(0, i).String()), norm.NFD.String(s.Substring(i, l).String())
				if got := catLevels(levels(c, head), levels(c, tail)); !reflect.DeepEqual(got, wholeLevels) {
					t.Fatalf("%+q cut at %d: the weights differ", s.String(), i)
				}
			}
		}
		// Cuts of the normalized text: the chunks'.
		text := nfdStream{text: []byte(whole), since: collateReach}
		for i := 1; i < len(whole); i++ {
			if utf8.RuneStart(whole[i]) && text.cutAt(i) {
				cuts++
				if got := catLevels(levels(c, whole[:i]), levels(c, whole[i:])); !reflect.DeepEqual(got, wholeLevels) {
					t.Fatalf("NFD text %+q cut at byte %d: the weights differ", whole, i)
				}
			}
		}
	}
	t.Logf("%d cuts checked", cuts)
}

// TestCollateCompare compares random pairs of strings, alike up to
// somewhere, in pieces and chunks of every size down to one, and checks
// the result is goja's.
func TestCollateCompare(t *testing.T) {
	t.Parallel()
	c := collate.New(language.Und)
	rng := rand.New(rand.NewPCG(14, 2))
	vm := &VM{} // outside an invocation: never stopped, never over budget
	sizes := []struct{ piece, chunk, pending int }{
		{1, 1, 0}, {1, 1, 1 << 20}, {2, 3, 2}, {7, 16, 9}, {64, 64, 1 << 20}, {collatePiece, collateChunk, collatePending},
	}
	skipped := 0
	for range 3000 {
		a := randomUnits(rng, rng.IntN(80))
		b := mutate(rng, a)
		if rng.IntN(4) == 0 {
			b = randomUnits(rng, rng.IntN(80))
		}
		x, y := goja.StringFromUTF16(a), goja.StringFromUTF16(b)
		want := gojaCompare(c, x, y)
		for _, size := range sizes {
			co := collation{vm: vm, c: collate.New(language.Und), piece: size.piece, chunk: size.chunk, pending: size.pending}
			if got, ok := co.compare(x, y, 0); !ok || got != want {
				t.Fatalf("%+q vs %+q with %+v: %d, want %d", x.String(), y.String(), size, got, want)
			}
		}
		// As the guard does: skip the common prefix, then compare the
		// rest in chunks or with goja's built-in.
		q := commonCut(x, y)
		if q > 0 {
			skipped++
		}
		co := collation{vm: vm, c: collate.New(language.Und), piece: 3, chunk: 5, pending: 4}
		if got, ok := co.compare(x, y, q); !ok || got != want {
			t.Fatalf("%+q vs %+q from %d: %d, want %d", x.String(), y.String(), q, got, want)
		}
		if got := gojaCompare(c, x.Substring(q, x.Length()), y.Substring(q, y.Length())); got != want {
			t.Fatalf("%+q vs %+q, the rests from %d: %d, want %d", x.String(), y.String(), q, got, want)
		}
	}
	t.Logf("%d of the pairs' common prefixes skipped", skipped)
}

// TestLocaleCompareGuard runs localeCompare in a script, on strings long
// enough for each of the guard's ways (the common prefix skipped, the rest
// compared by goja or in chunks) and on the built-in's edge cases, and
// checks the results are raw goja's.
func TestLocaleCompareGuard(t *testing.T) {
	t.Parallel()
	const calls = `(() => {
		const n = 20000, r = (s, k = n) => s.repeat(k);
		const log = [];
		const logged = (name, s) => ({ toString() { log.push(name); return s } });
		const throws = f => { try { f(); return 'no' } catch (e) { return e.constructor.name } };
		return [
			r('x').localeCompare(r('x')),
			(r('\u00e9') + 'a').localeCompare(r('\u00e9') + 'b'),
			(r('\u00e9') + 'a').localeCompare(r('e\u0301') + 'a'),
			r('a').localeCompare(r('A')),
			r('A').localeCompare(r('a')),
			r('a').localeCompare(r('a') + '\u0301'),
			r('\u00e9').localeCompare(r('\u00c9')),
			(r('l') + '\u00b7').localeCompare(r('l') + '\u00b7a'),
			(r('\u0e01', 10) + r('\u0e40\u0e01')).localeCompare(r('\u0e01', 10) + r('\u0e40\u0e02')),
			r('\u0cc6\u0cc2').localeCompare(r('\u0cca')),
			r('\u0301', 3 * n).localeCompare(r('\u0300', 3 * n)),
			(r('\u4e2d') + '\ud800').localeCompare(r('\u4e2d') + '\udc00'),
			r('\ud83d\ude00').localeCompare(r('\ud83d\ude01')),
			r('ab').localeCompare(r('a') + 'b'),
			'abc'.localeCompare('abd'),
			String.prototype.localeCompare.call(12345, 12346),
			'undefined'.localeCompare(),
			String.prototype.localeCompare.call(logged('this', r('y')), logged('that', 'z')),
			log.join(),
			throws(() => String.prototype.localeCompare.call(null, 'a')),
			throws(() => String.prototype.localeCompare.call(Symbol(), logged('not read', 'a'))),
			throws(() => 'a'.localeCompare(Symbol())),
			log.join(),
			String.prototype.localeCompare.length,
			String.prototype.localeCompare.name,
		];
	})()`
	rt := goja.New()
	v, err := rt.RunString("JSON.stringify(" + calls + ")")
	if err != nil {
		t.Fatal(err)
	}
	runGuardCases(t, setup(t, Config{}), []guardCase{
		{name: "as goja", src: "export default () => " + calls, want: v.String()},
	})
}
