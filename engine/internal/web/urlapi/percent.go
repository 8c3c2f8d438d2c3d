package urlapi

import "unicode/utf8"

// encodeSet is a WHATWG percent-encode set restricted to ASCII. Every set in
// the standard also contains all code points above U+007E, so those are
// encoded unconditionally and need no bits here.
type encodeSet [2]uint64

func (s *encodeSet) has(b byte) bool {
	return b >= 0x7F || s[b>>6]&(1<<(b&63)) != 0
}

func (s encodeSet) with(chars string) encodeSet {
	for i := 0; i < len(chars); i++ {
		c := chars[i]
		s[c>>6] |= 1 << (c & 63)
	}
	return s
}

func c0Set() encodeSet {
	var s encodeSet
	s[0] = 1<<0x20 - 1
	return s
}

// The sets nest exactly as the standard defines them, each built from the
// previous one, so a change in one propagates the way the spec intends.
var (
	c0ControlSet     = c0Set()
	fragmentSet      = c0ControlSet.with(" \"<>`")
	querySet         = c0ControlSet.with(" \"#<>")
	specialQuerySet  = querySet.with("'")
	pathSet          = querySet.with("?`{}")
	userinfoSet      = pathSet.with("/:;=@[\\]^|")
	componentSet     = userinfoSet.with("$%&+,")
	formURLEncodeSet = componentSet.with("!'()~")
)

const upperHex = "0123456789ABCDEF"

// appendEncodedRune appends r, UTF-8 percent-encoded with set, to dst.
func appendEncodedRune(dst []byte, r rune, set *encodeSet) []byte {
	if r < utf8.RuneSelf {
		return appendEncodedByte(dst, byte(r), set)
	}
	var tmp [utf8.UTFMax]byte
	n := utf8.EncodeRune(tmp[:], r)
	for _, b := range tmp[:n] {
		dst = append(dst, '%', upperHex[b>>4], upperHex[b&15])
	}
	return dst
}

func appendEncodedByte(dst []byte, b byte, set *encodeSet) []byte {
	if set.has(b) {
		return append(dst, '%', upperHex[b>>4], upperHex[b&15])
	}
	return append(dst, b)
}

// percentEncodeString UTF-8 percent-encodes s (valid UTF-8) with set.
func percentEncodeString(s string, set *encodeSet) string {
	for i := 0; i < len(s); i++ {
		if set.has(s[i]) {
			out := make([]byte, i, len(s)+16)
			copy(out, s[:i])
			for j := i; j < len(s); j++ {
				out = appendEncodedByte(out, s[j], set)
			}
			return string(out)
		}
	}
	return s
}

func hexVal(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// percentDecode returns the bytes of s with every valid %XX sequence
// replaced by the byte it names; invalid sequences are kept verbatim.
func percentDecode(s string) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' && i+2 < len(s) {
			hi, ok1 := hexVal(s[i+1])
			lo, ok2 := hexVal(s[i+2])
			if ok1 && ok2 {
				out = append(out, hi<<4|lo)
				i += 2
				continue
			}
		}
		out = append(out, c)
	}
	return out
}

// utf8DecodeLossy implements the Encoding Standard's "UTF-8 decode without
// BOM": each maximal invalid subpart becomes one U+FFFD. Go's own
// conversion replaces byte by byte, which gives different output for
// truncated sequences such as %F0%9F.
func utf8DecodeLossy(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	out := make([]byte, 0, len(b)+8)
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			out = append(out, b[i])
			i++
			continue
		}
		if r, n := utf8.DecodeRune(b[i:]); r != utf8.RuneError || n > 1 {
			out = append(out, b[i:i+n]...)
			i += n
			continue
		}
		out = append(out, "\uFFFD"...)
		i += invalidSubpartLen(b[i:])
	}
	return string(out)
}

// invalidSubpartLen is the length of the maximal subpart of an ill-formed
// sequence starting at b[0] (at least 1), per the Encoding Standard's
// UTF-8 decoder.
func invalidSubpartLen(b []byte) int {
	lead := b[0]
	var need int
	lower, upper := byte(0x80), byte(0xBF)
	switch {
	case lead >= 0xC2 && lead <= 0xDF:
		need = 1
	case lead >= 0xE0 && lead <= 0xEF:
		need = 2
		if lead == 0xE0 {
			lower = 0xA0
		} else if lead == 0xED {
			upper = 0x9F
		}
	case lead >= 0xF0 && lead <= 0xF4:
		need = 3
		if lead == 0xF0 {
			lower = 0x90
		} else if lead == 0xF4 {
			upper = 0x8F
		}
	default:
		return 1
	}
	n := 1
	for ; need > 0 && n < len(b); need-- {
		if b[n] < lower || b[n] > upper {
			break
		}
		lower, upper = 0x80, 0xBF
		n++
	}
	return n
}
