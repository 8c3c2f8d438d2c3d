package urlapi

import (
	"strings"
	"unicode/utf8"
)

// The file and path states of the basic URL parser, and the Windows drive
// letter quirks they carry.

// startsWithDriveLetter reports whether the input from the pointer on
// starts with a Windows drive letter.
func (p *parser) startsWithDriveLetter() bool {
	rest := p.in[p.ptr:]
	if len(rest) < 2 || !isASCIIAlpha(rest[0]) || (rest[1] != ':' && rest[1] != '|') {
		return false
	}
	if len(rest) == 2 {
		return true
	}
	switch rest[2] {
	case '/', '\\', '?', '#':
		return true
	}
	return false
}

func isDriveLetter(s string) bool {
	return len(s) == 2 && isASCIIAlpha(rune(s[0])) && (s[1] == ':' || s[1] == '|')
}

func isNormalizedDriveLetter(s string) bool {
	return len(s) == 2 && isASCIIAlpha(rune(s[0])) && s[1] == ':'
}

func isSingleDot(s string) bool {
	return s == "." || strings.EqualFold(s, "%2e")
}

func isDoubleDot(s string) bool {
	switch len(s) {
	case 2:
		return s == ".."
	case 4:
		l := strings.ToLower(s)
		return l == ".%2e" || l == "%2e."
	case 6:
		return strings.EqualFold(s, "%2e%2e")
	}
	return false
}

func (p *parser) file(c rune) {
	u, b := p.url, p.base
	u.scheme = "file"
	u.host, u.hasHost = "", true
	switch {
	case c == '/' || c == '\\':
		p.state = stFileSlash
	case b != nil && b.scheme == "file":
		u.host, u.hasHost = b.host, b.hasHost
		u.path = append(u.path[:0], b.path...)
		u.query, u.hasQuery = b.query, b.hasQuery
		switch c {
		case '?':
			u.query, u.hasQuery = "", true
			p.state = stQuery
		case '#':
			u.fragment, u.hasFragment = "", true
			p.state = stFragment
		case eof:
		default:
			u.query, u.hasQuery = "", false
			if !p.startsWithDriveLetter() {
				u.shortenPath()
			} else {
				u.path = u.path[:0]
			}
			p.state = stPath
			p.ptr--
		}
	default:
		p.state = stPath
		p.ptr--
	}
}

func (p *parser) fileHost(c rune) stepResult {
	u := p.url
	if c != eof && c != '/' && c != '\\' && c != '?' && c != '#' {
		p.buf = utf8.AppendRune(p.buf, c)
		return stepContinue
	}
	p.ptr--
	switch {
	case p.override == stNone && isDriveLetter(string(p.buf)):
		// The buffer is deliberately kept: the path state consumes it as
		// the drive letter segment.
		p.state = stPath
	case len(p.buf) == 0:
		u.host, u.hasHost = "", true
		if p.override != stNone {
			return stepReturn
		}
		p.state = stPathStart
	default:
		h, ok := parseHost(string(p.buf), !u.special())
		if !ok {
			return stepFailure
		}
		if h == "localhost" {
			h = ""
		}
		u.host, u.hasHost = h, true
		if p.override != stNone {
			return stepReturn
		}
		p.buf = p.buf[:0]
		p.state = stPathStart
	}
	return stepContinue
}

func (p *parser) pathStart(c rune) {
	u := p.url
	switch {
	case u.special():
		p.state = stPath
		if c != '/' && c != '\\' {
			p.ptr--
		}
	case p.override == stNone && c == '?':
		u.query, u.hasQuery = "", true
		p.state = stQuery
	case p.override == stNone && c == '#':
		u.fragment, u.hasFragment = "", true
		p.state = stFragment
	case c != eof:
		p.state = stPath
		if c != '/' {
			p.ptr--
		}
	case p.override != stNone && !u.hasHost:
		u.path = append(u.path, "")
	}
}

func (p *parser) path(c rune) {
	u := p.url
	slash := c == '/' || (u.special() && c == '\\')
	if !(c == eof || slash || (p.override == stNone && (c == '?' || c == '#'))) {
		p.buf = appendEncodedRune(p.buf, c, &pathSet)
		return
	}
	seg := string(p.buf)
	switch {
	case isDoubleDot(seg):
		u.shortenPath()
		if !slash {
			u.path = append(u.path, "")
		}
	case isSingleDot(seg):
		if !slash {
			u.path = append(u.path, "")
		}
	default:
		if u.scheme == "file" && len(u.path) == 0 && isDriveLetter(seg) {
			seg = seg[:1] + ":"
		}
		u.path = append(u.path, seg)
	}
	p.buf = p.buf[:0]
	switch c {
	case '?':
		u.query, u.hasQuery = "", true
		p.state = stQuery
	case '#':
		u.fragment, u.hasFragment = "", true
		p.state = stFragment
	}
}
