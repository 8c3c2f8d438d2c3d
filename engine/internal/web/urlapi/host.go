package urlapi

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// idnaProfile is UTS #46 ToASCII with the flags the URL Standard's "domain
// to ASCII" asks for (beStrict false). STD3 rules stay off: the standard
// rejects its own forbidden domain code points afterwards instead. Order
// matters: MapForLookup and ValidateLabels switch the hyphen and STD3 checks
// on, so the options that switch them off must come after.
var idnaProfile = idna.New(
	idna.MapForLookup(),
	idna.ValidateLabels(true),
	idna.BidiRule(),
	idna.CheckJoiners(true),
	idna.CheckHyphens(false),
	idna.StrictDomainName(false),
	idna.VerifyDNSLength(false),
	idna.Transitional(false),
)

// idnaBudget caps the work handed to x/net/idna for one host. Punycode
// encoding costs O(label length × distinct code points) and decoding is
// quadratic in the label too, and goja cannot interrupt a native call, so
// an unbounded host would let a script pin a CPU for seconds. The cap is the
// sum over non-ASCII (or xn--) labels of their squared byte length; real
// labels are at most 63 bytes once encoded, so any name that could exist in
// DNS stays far below it and only absurd hosts are refused.
const idnaBudget = 1 << 22

// parseHost implements the host parser and returns the serialized host.
func parseHost(input string, isOpaque bool) (string, bool) {
	if strings.HasPrefix(input, "[") {
		if !strings.HasSuffix(input, "]") || len(input) < 2 {
			return "", false
		}
		addr, ok := parseIPv6([]rune(input[1 : len(input)-1]))
		if !ok {
			return "", false
		}
		return "[" + serializeIPv6(addr) + "]", true
	}
	if isOpaque {
		return parseOpaqueHost(input)
	}
	domain := utf8DecodeLossy(percentDecode(input))
	ascii, ok := domainToASCII(domain)
	if !ok {
		return "", false
	}
	if endsInANumber(ascii) {
		v, ok := parseIPv4(ascii)
		if !ok {
			return "", false
		}
		return serializeIPv4(v), true
	}
	return ascii, true
}

func isForbiddenHost(r rune) bool {
	switch r {
	case 0, '\t', '\n', '\r', ' ', '#', '/', ':', '<', '>', '?', '@', '[', '\\', ']', '^', '|':
		return true
	}
	return false
}

func isForbiddenDomain(r rune) bool {
	return isForbiddenHost(r) || r <= 0x1F || r == '%' || r == 0x7F
}

func parseOpaqueHost(input string) (string, bool) {
	for _, r := range input {
		if isForbiddenHost(r) {
			return "", false
		}
	}
	return percentEncodeString(input, &c0ControlSet), true
}

func domainToASCII(domain string) (string, bool) {
	var result string
	if isASCII(domain) && !hasPunycodeLabel(domain) {
		// The standard's own fast path: for such input UTS #46 only
		// lowercases.
		result = strings.ToLower(domain)
	} else {
		if idnaCost(domain) > idnaBudget {
			return "", false
		}
		r, err := idnaProfile.ToASCII(domain)
		if err != nil {
			return "", false
		}
		result = r
	}
	if result == "" {
		return "", false
	}
	for _, r := range result {
		if isForbiddenDomain(r) {
			return "", false
		}
	}
	return result, true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func hasPunycodeLabel(s string) bool {
	for _, label := range strings.Split(s, ".") {
		if len(label) >= 4 && strings.EqualFold(label[:4], "xn--") {
			return true
		}
	}
	return false
}

// idnaCost estimates the IDNA work for domain; see idnaBudget. Labels are
// split on every dot UTS #46 maps to U+002E.
func idnaCost(domain string) int {
	cost, start := 0, 0
	add := func(label string) {
		if !isASCII(label) || (len(label) >= 4 && strings.EqualFold(label[:4], "xn--")) {
			cost += len(label) * len(label)
		}
	}
	for i, r := range domain {
		if r == '.' || r == '\u3002' || r == '\uFF0E' || r == '\uFF61' {
			add(domain[start:i])
			start = i + utf8.RuneLen(r)
			if cost > idnaBudget {
				return cost
			}
		}
	}
	add(domain[start:])
	return cost
}

func endsInANumber(s string) bool {
	parts := strings.Split(s, ".")
	if parts[len(parts)-1] == "" {
		if len(parts) == 1 {
			return false
		}
		parts = parts[:len(parts)-1]
	}
	last := parts[len(parts)-1]
	if last != "" && strings.Trim(last, "0123456789") == "" {
		return true
	}
	_, ok := parseIPv4Number(last)
	return ok
}

// parseIPv4Number returns the number, saturated above 2^32 (only
// comparisons against at most 2^32 follow).
func parseIPv4Number(s string) (uint64, bool) {
	if s == "" {
		return 0, false
	}
	radix := uint64(10)
	if len(s) >= 2 && (s[:2] == "0x" || s[:2] == "0X") {
		s, radix = s[2:], 16
	} else if len(s) >= 2 && s[0] == '0' {
		s, radix = s[1:], 8
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		d, ok := hexVal(s[i])
		if !ok || uint64(d) >= radix {
			return 0, false
		}
		if n <= 1<<32 {
			n = n*radix + uint64(d)
		}
	}
	return n, true
}

func parseIPv4(s string) (uint32, bool) {
	parts := strings.Split(s, ".")
	if parts[len(parts)-1] == "" && len(parts) > 1 {
		parts = parts[:len(parts)-1]
	}
	if len(parts) > 4 {
		return 0, false
	}
	nums := make([]uint64, len(parts))
	for i, p := range parts {
		n, ok := parseIPv4Number(p)
		if !ok {
			return 0, false
		}
		nums[i] = n
	}
	for _, n := range nums[:len(nums)-1] {
		if n > 255 {
			return 0, false
		}
	}
	last := nums[len(nums)-1]
	if last >= 1<<(8*(5-len(nums))) {
		return 0, false
	}
	v := last
	for i, n := range nums[:len(nums)-1] {
		v += n << (8 * (3 - i))
	}
	return uint32(v), true
}

func serializeIPv4(v uint32) string {
	b := make([]byte, 0, 15)
	for i := 3; i >= 0; i-- {
		b = strconv.AppendUint(b, uint64(v>>(8*i)&0xFF), 10)
		if i > 0 {
			b = append(b, '.')
		}
	}
	return string(b)
}

func parseIPv6(in []rune) ([8]uint16, bool) {
	var addr [8]uint16
	piece, compress, ptr := 0, -1, 0
	at := func(i int) rune {
		if i < len(in) {
			return in[i]
		}
		return eof
	}
	if at(0) == ':' {
		if at(1) != ':' {
			return addr, false
		}
		ptr = 2
		piece++
		compress = piece
	}
	for at(ptr) != eof {
		if piece == 8 {
			return addr, false
		}
		if at(ptr) == ':' {
			if compress != -1 {
				return addr, false
			}
			ptr++
			piece++
			compress = piece
			continue
		}
		value, length := 0, 0
		for length < 4 && at(ptr) < utf8.RuneSelf && at(ptr) >= 0 {
			d, ok := hexVal(byte(at(ptr)))
			if !ok {
				break
			}
			value = value*16 + int(d)
			ptr++
			length++
		}
		if at(ptr) == '.' {
			if length == 0 {
				return addr, false
			}
			ptr -= length
			if piece > 6 {
				return addr, false
			}
			seen := 0
			for at(ptr) != eof {
				v := -1
				if seen > 0 {
					if at(ptr) == '.' && seen < 4 {
						ptr++
					} else {
						return addr, false
					}
				}
				if !isASCIIDigit(at(ptr)) {
					return addr, false
				}
				for isASCIIDigit(at(ptr)) {
					n := int(at(ptr) - '0')
					if v == -1 {
						v = n
					} else if v == 0 {
						return addr, false
					} else {
						v = v*10 + n
					}
					if v > 255 {
						return addr, false
					}
					ptr++
				}
				addr[piece] = addr[piece]*0x100 + uint16(v)
				seen++
				if seen == 2 || seen == 4 {
					piece++
				}
			}
			if seen != 4 {
				return addr, false
			}
			break
		} else if at(ptr) == ':' {
			ptr++
			if at(ptr) == eof {
				return addr, false
			}
		} else if at(ptr) != eof {
			return addr, false
		}
		addr[piece] = uint16(value)
		piece++
	}
	if compress != -1 {
		swaps := piece - compress
		piece = 7
		for piece != 0 && swaps > 0 {
			addr[piece], addr[compress+swaps-1] = addr[compress+swaps-1], addr[piece]
			piece--
			swaps--
		}
	} else if piece != 8 {
		return addr, false
	}
	return addr, true
}

func serializeIPv6(addr [8]uint16) string {
	// Find the first longest run of two or more zero pieces.
	compress, best := -1, 1
	for i := 0; i < 8; {
		if addr[i] != 0 {
			i++
			continue
		}
		j := i
		for j < 8 && addr[j] == 0 {
			j++
		}
		if j-i > best {
			compress, best = i, j-i
		}
		i = j
	}
	b := make([]byte, 0, 39)
	for i := 0; i < 8; i++ {
		if i == compress {
			if i == 0 {
				b = append(b, "::"...)
			} else {
				b = append(b, ':')
			}
			i += best - 1
			continue
		}
		b = strconv.AppendUint(b, uint64(addr[i]), 16)
		if i != 7 {
			b = append(b, ':')
		}
	}
	return string(b)
}
