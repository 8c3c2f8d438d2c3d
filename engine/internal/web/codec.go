package web

import (
	"strings"
	"unicode/utf8"
)

// The encodings TextDecoder supports, by their WHATWG names.
const (
	encUTF8    = "utf-8"
	encUTF16LE = "utf-16le"
	encUTF16BE = "utf-16be"
	encWin1252 = "windows-1252"
)

// encodingLabels maps each WHATWG label of a supported encoding to its name
// (https://encoding.spec.whatwg.org/#names-and-labels). Note that latin1,
// iso-8859-1 and ascii all mean windows-1252 there.
var encodingLabels = map[string]string{
	"unicode-1-1-utf-8": encUTF8, "unicode11utf8": encUTF8, "unicode20utf8": encUTF8,
	"utf-8": encUTF8, "utf8": encUTF8, "x-unicode20utf8": encUTF8,

	"unicodefffe": encUTF16BE, "utf-16be": encUTF16BE,

	"csunicode": encUTF16LE, "iso-10646-ucs-2": encUTF16LE, "ucs-2": encUTF16LE,
	"unicode": encUTF16LE, "unicodefeff": encUTF16LE, "utf-16": encUTF16LE, "utf-16le": encUTF16LE,

	"ansi_x3.4-1968": encWin1252, "ascii": encWin1252, "cp1252": encWin1252, "cp819": encWin1252,
	"csisolatin1": encWin1252, "ibm819": encWin1252, "iso-8859-1": encWin1252, "iso-ir-100": encWin1252,
	"iso8859-1": encWin1252, "iso88591": encWin1252, "iso_8859-1": encWin1252,
	"iso_8859-1:1987": encWin1252, "l1": encWin1252, "latin1": encWin1252, "us-ascii": encWin1252,
	"windows-1252": encWin1252, "x-cp1252": encWin1252,
}

// lookupEncoding returns the encoding a label names, or "" for an unknown or
// unsupported one. Labels are matched as the spec says: ASCII whitespace
// trimmed, ASCII case-insensitively.
func lookupEncoding(label string) string {
	label = strings.ToLower(strings.Trim(label, "\t\n\f\r "))
	return encodingLabels[label]
}

// win1252High maps bytes 0x80–0x9F in windows-1252; every other byte is the
// code point of the same value.
var win1252High = [32]rune{
	0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
	0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
}

// streamDecoder is a WHATWG decoder for one of the supported encodings. It
// keeps the state of an incomplete sequence between calls, so a stream can
// be decoded in chunks split anywhere.
type streamDecoder struct {
	enc   string
	fatal bool

	// UTF-8 state (https://encoding.spec.whatwg.org/#utf-8-decoder).
	cp           rune
	needed, seen int
	lower, upper byte

	// UTF-16 state; -1 means none.
	leadByte, leadSurrogate int
}

func newStreamDecoder(enc string, fatal bool) *streamDecoder {
	d := &streamDecoder{enc: enc, fatal: fatal}
	d.reset()
	return d
}

// reset drops any incomplete sequence.
func (d *streamDecoder) reset() {
	d.cp, d.needed, d.seen = 0, 0, 0
	d.lower, d.upper = 0x80, 0xBF
	d.leadByte, d.leadSurrogate = -1, -1
}

// clean reports whether no incomplete sequence is pending.
func (d *streamDecoder) clean() bool {
	return d.needed == 0 && d.leadByte < 0 && d.leadSurrogate < 0
}

// decode appends the UTF-8 encoding of what in decodes to, to out. With
// flush, in ends the stream and an incomplete sequence is an error. An error
// becomes U+FFFD, or, if the decoder is fatal, stops decoding: ok is false
// and the state is reset.
func (d *streamDecoder) decode(out, in []byte, flush bool) (_ []byte, ok bool) {
	switch d.enc {
	case encUTF8:
		out, ok = d.utf8(out, in, flush)
	case encUTF16LE, encUTF16BE:
		out, ok = d.utf16(out, in, flush, d.enc == encUTF16LE)
	default:
		out, ok = win1252(out, in), true
	}
	if !ok {
		d.reset()
	}
	return out, ok
}

func appendFFFD(out []byte) []byte { return append(out, "\uFFFD"...) }

func (d *streamDecoder) utf8(out, in []byte, flush bool) ([]byte, bool) {
	for i := 0; i < len(in); {
		b := in[i]
		if d.needed == 0 {
			i++
			switch {
			case b < 0x80:
				out = append(out, b)
			case b >= 0xC2 && b <= 0xDF:
				d.needed, d.cp = 1, rune(b&0x1F)
			case b >= 0xE0 && b <= 0xEF:
				if b == 0xE0 {
					d.lower = 0xA0
				} else if b == 0xED {
					d.upper = 0x9F
				}
				d.needed, d.cp = 2, rune(b&0x0F)
			case b >= 0xF0 && b <= 0xF4:
				if b == 0xF0 {
					d.lower = 0x90
				} else if b == 0xF4 {
					d.upper = 0x8F
				}
				d.needed, d.cp = 3, rune(b&0x07)
			default:
				if d.fatal {
					return out, false
				}
				out = appendFFFD(out)
			}
			continue
		}
		if b < d.lower || b > d.upper {
			// The sequence so far is one error; b starts afresh, which is
			// why i does not advance.
			d.reset()
			if d.fatal {
				return out, false
			}
			out = appendFFFD(out)
			continue
		}
		i++
		d.lower, d.upper = 0x80, 0xBF
		d.cp = d.cp<<6 | rune(b&0x3F)
		d.seen++
		if d.seen == d.needed {
			out = utf8.AppendRune(out, d.cp)
			d.reset()
		}
	}
	if flush && d.needed != 0 {
		d.reset()
		if d.fatal {
			return out, false
		}
		out = appendFFFD(out)
	}
	return out, true
}

func (d *streamDecoder) utf16(out, in []byte, flush, le bool) ([]byte, bool) {
	for _, b := range in {
		if d.leadByte < 0 {
			d.leadByte = int(b)
			continue
		}
		var cu int
		if le {
			cu = int(b)<<8 | d.leadByte
		} else {
			cu = d.leadByte<<8 | int(b)
		}
		d.leadByte = -1
		if ls := d.leadSurrogate; ls >= 0 {
			d.leadSurrogate = -1
			if cu >= 0xDC00 && cu <= 0xDFFF {
				out = utf8.AppendRune(out, rune(0x10000+(ls-0xD800)<<10+(cu-0xDC00)))
				continue
			}
			// An unpaired lead surrogate is an error; cu then starts afresh
			// (the spec restores its bytes to the queue).
			if d.fatal {
				return out, false
			}
			out = appendFFFD(out)
		}
		switch {
		case cu >= 0xD800 && cu <= 0xDBFF:
			d.leadSurrogate = cu
		case cu >= 0xDC00 && cu <= 0xDFFF:
			if d.fatal {
				return out, false
			}
			out = appendFFFD(out)
		default:
			out = utf8.AppendRune(out, rune(cu))
		}
	}
	if flush && (d.leadByte >= 0 || d.leadSurrogate >= 0) {
		d.leadByte, d.leadSurrogate = -1, -1
		if d.fatal {
			return out, false
		}
		out = appendFFFD(out)
	}
	return out, true
}

func win1252(out, in []byte) []byte {
	for _, b := range in {
		switch {
		case b < 0x80:
			out = append(out, b)
		case b < 0xA0:
			out = utf8.AppendRune(out, win1252High[b-0x80])
		default:
			out = utf8.AppendRune(out, rune(b))
		}
	}
	return out
}
