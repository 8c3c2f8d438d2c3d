package urlapi

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// pair is one name/value entry of a URLSearchParams list.
type pair struct{ name, value string }

// pairBytes is a lower bound of one parsed pair: its entry in the list,
// which grows by doubling.
const pairBytes = 64

// parseQuery is parseFormURLEncoded, charged first to the host: a query
// makes a pair per '&' (new URLSearchParams('a&'.repeat(2**23)) peaked at
// 770 MiB from 16 MiB). If the host refuses, it has stopped the run, and
// the list is empty.
func (in *installation) parseQuery(s string) []pair {
	if in.charge != nil && len(s) > 1<<12 {
		if !in.charge(float64(strings.Count(s, "&")+1)*pairBytes, "URLSearchParams") {
			return nil
		}
	}
	return parseFormURLEncoded(s)
}

// parseFormURLEncoded implements the application/x-www-form-urlencoded
// parser.
func parseFormURLEncoded(s string) []pair {
	var list []pair
	for len(s) > 0 {
		seq := s
		if i := strings.IndexByte(s, '&'); i >= 0 {
			seq, s = s[:i], s[i+1:]
		} else {
			s = ""
		}
		if seq == "" {
			continue
		}
		name, value, _ := strings.Cut(seq, "=")
		list = append(list, pair{formDecode(name), formDecode(value)})
	}
	return list
}

func formDecode(s string) string {
	if strings.IndexByte(s, '+') >= 0 {
		s = strings.ReplaceAll(s, "+", " ")
	}
	if strings.IndexByte(s, '%') < 0 {
		return s
	}
	return utf8DecodeLossy(percentDecode(s))
}

// serializeFormURLEncoded implements the application/x-www-form-urlencoded
// serializer (UTF-8).
func serializeFormURLEncoded(list []pair) string {
	var b []byte
	for i, p := range list {
		if i > 0 {
			b = append(b, '&')
		}
		b = appendFormEncoded(b, p.name)
		b = append(b, '=')
		b = appendFormEncoded(b, p.value)
	}
	return string(b)
}

func appendFormEncoded(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' {
			dst = append(dst, '+')
		} else {
			dst = appendEncodedByte(dst, s[i], &formURLEncodeSet)
		}
	}
	return dst
}

// sortPairs sorts stably by name in UTF-16 code unit order, which is what
// URLSearchParams.sort specifies and differs from Go's byte (code point)
// order for names mixing astral characters with U+E000..U+FFFF.
func sortPairs(list []pair) {
	slices.SortStableFunc(list, func(a, b pair) int { return compareUTF16(a.name, b.name) })
}

func compareUTF16(a, b string) int {
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if ra != rb {
			return utf16Lead(ra) - utf16Lead(rb)
		}
		a, b = a[na:], b[nb:]
	}
	return len(a) - len(b)
}

// utf16Lead maps a code point to a value ordered like its first UTF-16
// code unit, breaking ties between astral code points by the code point.
func utf16Lead(r rune) int {
	if r < 0x10000 {
		if r >= 0xD800 {
			// Above every lead surrogate the astral range maps into.
			return int(r) + 0x100000
		}
		return int(r)
	}
	return 0xD800 + int(r-0x10000)
}
