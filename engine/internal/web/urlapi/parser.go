package urlapi

import (
	"strings"
	"unicode/utf8"
)

// parserState names the states of the standard's basic URL parser.
type parserState uint8

const (
	stNone parserState = iota
	stSchemeStart
	stScheme
	stNoScheme
	stSpecialRelativeOrAuthority
	stPathOrAuthority
	stRelative
	stRelativeSlash
	stSpecialAuthoritySlashes
	stSpecialAuthorityIgnoreSlashes
	stAuthority
	stHost
	stHostname
	stPort
	stFile
	stFileSlash
	stFileHost
	stPathStart
	stPath
	stOpaquePath
	stQuery
	stFragment
)

const eof rune = -1

// parseURL runs the basic URL parser without a state override.
func parseURL(input string, base *urlRecord) (*urlRecord, bool) {
	return basicParse(input, base, nil, stNone)
}

// parser holds one run of the basic URL parser. It works on a rune slice so
// that the standard's pointer arithmetic ("decrease pointer by 1", "remaining
// starts with") maps one to one, and every state does O(1) work per code
// point: the whole run is linear in the input, which matters because goja
// cannot interrupt a native call that runs long.
type parser struct {
	in       []rune
	ptr      int
	base     *urlRecord
	url      *urlRecord
	override parserState
	state    parserState
	buf      []byte

	atSignSeen, insideBrackets, passwordTokenSeen bool
	user, pass                                    strings.Builder
}

// result of one state step.
type stepResult uint8

const (
	stepContinue stepResult = iota
	stepReturn              // stop, url is valid (state-override "return")
	stepFailure
)

// basicParse implements the basic URL parser. With url nil it returns a new
// record; with url non-nil (the setters) it modifies url in place and the
// boolean only tells whether the standard said "failure".
func basicParse(input string, base, url *urlRecord, override parserState) (*urlRecord, bool) {
	if url == nil {
		url = &urlRecord{port: -1}
		input = strings.TrimFunc(input, func(r rune) bool { return r <= 0x20 })
	}
	input = removeTabNewline(input)
	p := &parser{in: []rune(input), base: base, url: url, override: override, state: override}
	// One allocation up front instead of repeated growth: the buffer never
	// holds more than the percent-encoded input.
	p.buf = make([]byte, 0, len(input)+8)
	if override == stNone {
		p.state = stSchemeStart
	}
	for {
		c := eof
		if p.ptr < len(p.in) {
			c = p.in[p.ptr]
		}
		switch p.step(c) {
		case stepReturn:
			return url, true
		case stepFailure:
			return nil, false
		}
		if p.ptr >= len(p.in) {
			break
		}
		p.ptr++
	}
	return url, true
}

func removeTabNewline(s string) string {
	if !strings.ContainsAny(s, "\t\n\r") {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, s)
}

func (p *parser) remainingStartsWith(r rune) bool {
	return p.ptr+1 < len(p.in) && p.in[p.ptr+1] == r
}

func isASCIIAlpha(r rune) bool { return 'a' <= r|0x20 && r|0x20 <= 'z' }
func isASCIIDigit(r rune) bool { return '0' <= r && r <= '9' }

func (p *parser) step(c rune) stepResult {
	u := p.url
	switch p.state {
	case stSchemeStart:
		if isASCIIAlpha(c) {
			p.buf = append(p.buf, byte(c|0x20))
			p.state = stScheme
		} else if p.override == stNone {
			p.state = stNoScheme
			p.ptr--
		} else {
			return stepFailure
		}
	case stScheme:
		return p.scheme(c)
	case stNoScheme:
		b := p.base
		switch {
		case b == nil || (b.opaque && c != '#'):
			return stepFailure
		case b.opaque && c == '#':
			u.scheme, u.opaque, u.opaquePath = b.scheme, true, b.opaquePath
			u.query, u.hasQuery = b.query, b.hasQuery
			u.fragment, u.hasFragment = "", true
			p.state = stFragment
		case b.scheme != "file":
			p.state = stRelative
			p.ptr--
		default:
			p.state = stFile
			p.ptr--
		}
	case stSpecialRelativeOrAuthority:
		if c == '/' && p.remainingStartsWith('/') {
			p.state = stSpecialAuthorityIgnoreSlashes
			p.ptr++
		} else {
			p.state = stRelative
			p.ptr--
		}
	case stPathOrAuthority:
		if c == '/' {
			p.state = stAuthority
		} else {
			p.state = stPath
			p.ptr--
		}
	case stRelative:
		p.relative(c)
	case stRelativeSlash:
		if u.special() && (c == '/' || c == '\\') {
			p.state = stSpecialAuthorityIgnoreSlashes
		} else if c == '/' {
			p.state = stAuthority
		} else {
			b := p.base
			u.username, u.password, u.host, u.hasHost, u.port = b.username, b.password, b.host, b.hasHost, b.port
			p.state = stPath
			p.ptr--
		}
	case stSpecialAuthoritySlashes:
		if c == '/' && p.remainingStartsWith('/') {
			p.state = stSpecialAuthorityIgnoreSlashes
			p.ptr++
		} else {
			p.state = stSpecialAuthorityIgnoreSlashes
			p.ptr--
		}
	case stSpecialAuthorityIgnoreSlashes:
		if c != '/' && c != '\\' {
			p.state = stAuthority
			p.ptr--
		}
	case stAuthority:
		return p.authority(c)
	case stHost, stHostname:
		return p.host(c)
	case stPort:
		return p.port(c)
	case stFile:
		p.file(c)
	case stFileSlash:
		if c == '/' || c == '\\' {
			p.state = stFileHost
		} else {
			if b := p.base; b != nil && b.scheme == "file" {
				u.host, u.hasHost = b.host, b.hasHost
				if !p.startsWithDriveLetter() && len(b.path) > 0 && isNormalizedDriveLetter(b.path[0]) {
					u.path = append(u.path, b.path[0])
				}
			}
			p.state = stPath
			p.ptr--
		}
	case stFileHost:
		return p.fileHost(c)
	case stPathStart:
		p.pathStart(c)
	case stPath:
		p.path(c)
	case stOpaquePath:
		switch c {
		case '?':
			u.query, u.hasQuery = "", true
			p.state = stQuery
		case '#':
			u.fragment, u.hasFragment = "", true
			p.state = stFragment
		case eof:
		default:
			// Appending to a []byte and converting once at the end keeps
			// this linear; the opaque path is committed at EOF or at ?/#.
			p.buf = appendEncodedRune(p.buf, c, &c0ControlSet)
			return stepContinue
		}
		u.opaquePath += string(p.buf)
		p.buf = p.buf[:0]
	case stQuery:
		if (p.override == stNone && c == '#') || c == eof {
			set := &querySet
			if u.special() {
				set = &specialQuerySet
			}
			u.query += percentEncodeString(string(p.buf), set)
			p.buf = p.buf[:0]
			if c == '#' {
				u.fragment, u.hasFragment = "", true
				p.state = stFragment
			}
		} else if c != eof {
			p.buf = utf8.AppendRune(p.buf, c)
		}
	case stFragment:
		if c != eof {
			p.buf = appendEncodedRune(p.buf, c, &fragmentSet)
		} else {
			u.fragment += string(p.buf)
			p.buf = p.buf[:0]
		}
	}
	return stepContinue
}

func (p *parser) scheme(c rune) stepResult {
	u := p.url
	switch {
	case isASCIIAlpha(c) || isASCIIDigit(c) || c == '+' || c == '-' || c == '.':
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		p.buf = append(p.buf, byte(c))
	case c == ':':
		scheme := string(p.buf)
		if p.override != stNone {
			if u.special() != isSpecialScheme(scheme) {
				return stepReturn
			}
			if (u.includesCredentials() || u.port >= 0) && scheme == "file" {
				return stepReturn
			}
			if u.scheme == "file" && u.hasHost && u.host == "" {
				return stepReturn
			}
		}
		u.scheme = scheme
		if p.override != stNone {
			if u.port == defaultPort(u.scheme) {
				u.port = -1
			}
			return stepReturn
		}
		p.buf = p.buf[:0]
		switch {
		case u.scheme == "file":
			p.state = stFile
		case u.special() && p.base != nil && p.base.scheme == u.scheme:
			p.state = stSpecialRelativeOrAuthority
		case u.special():
			p.state = stSpecialAuthoritySlashes
		case p.remainingStartsWith('/'):
			p.state = stPathOrAuthority
			p.ptr++
		default:
			u.opaque, u.opaquePath = true, ""
			p.state = stOpaquePath
		}
	case p.override == stNone:
		p.buf = p.buf[:0]
		p.state = stNoScheme
		p.ptr = -1
	default:
		return stepFailure
	}
	return stepContinue
}

func (p *parser) relative(c rune) {
	u, b := p.url, p.base
	u.scheme = b.scheme
	switch {
	case c == '/':
		p.state = stRelativeSlash
	case u.special() && c == '\\':
		p.state = stRelativeSlash
	default:
		u.username, u.password, u.host, u.hasHost, u.port = b.username, b.password, b.host, b.hasHost, b.port
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
			u.shortenPath()
			p.state = stPath
			p.ptr--
		}
	}
}

func (p *parser) authority(c rune) stepResult {
	u := p.url
	if c == '@' {
		if p.atSignSeen {
			p.activeUserinfo().WriteString("%40")
		}
		p.atSignSeen = true
		var tmp []byte
		for _, r := range string(p.buf) {
			if r == ':' && !p.passwordTokenSeen {
				p.passwordTokenSeen = true
				continue
			}
			tmp = appendEncodedRune(tmp[:0], r, &userinfoSet)
			p.activeUserinfo().Write(tmp)
		}
		// Builders grow amortised and String does not copy, so a userinfo
		// with many '@' stays linear (naive += is quadratic).
		u.username, u.password = p.user.String(), p.pass.String()
		p.buf = p.buf[:0]
		return stepContinue
	}
	if c == eof || c == '/' || c == '?' || c == '#' || (u.special() && c == '\\') {
		if p.atSignSeen && len(p.buf) == 0 {
			return stepFailure
		}
		p.ptr -= utf8.RuneCount(p.buf) + 1
		p.buf = p.buf[:0]
		p.state = stHost
		return stepContinue
	}
	p.buf = utf8.AppendRune(p.buf, c)
	return stepContinue
}

func (p *parser) activeUserinfo() *strings.Builder {
	if p.passwordTokenSeen {
		return &p.pass
	}
	return &p.user
}

func (p *parser) host(c rune) stepResult {
	u := p.url
	switch {
	case p.override != stNone && u.scheme == "file":
		p.ptr--
		p.state = stFileHost
	case c == ':' && !p.insideBrackets:
		if len(p.buf) == 0 {
			return stepFailure
		}
		if p.override == stHostname {
			return stepFailure
		}
		h, ok := parseHost(string(p.buf), !u.special())
		if !ok {
			return stepFailure
		}
		u.host, u.hasHost = h, true
		p.buf = p.buf[:0]
		p.state = stPort
	case c == eof || c == '/' || c == '?' || c == '#' || (u.special() && c == '\\'):
		p.ptr--
		if u.special() && len(p.buf) == 0 {
			return stepFailure
		}
		if p.override != stNone && len(p.buf) == 0 && (u.includesCredentials() || u.port >= 0) {
			return stepReturn
		}
		h, ok := parseHost(string(p.buf), !u.special())
		if !ok {
			return stepFailure
		}
		u.host, u.hasHost = h, true
		p.buf = p.buf[:0]
		p.state = stPathStart
		if p.override != stNone {
			return stepReturn
		}
	default:
		if c == '[' {
			p.insideBrackets = true
		} else if c == ']' {
			p.insideBrackets = false
		}
		p.buf = utf8.AppendRune(p.buf, c)
	}
	return stepContinue
}

func (p *parser) port(c rune) stepResult {
	u := p.url
	if isASCIIDigit(c) {
		p.buf = append(p.buf, byte(c))
		return stepContinue
	}
	if c == eof || c == '/' || c == '?' || c == '#' || (u.special() && c == '\\') || p.override != stNone {
		if len(p.buf) != 0 {
			port := 0
			for _, d := range p.buf {
				port = port*10 + int(d-'0')
				if port > 65535 {
					return stepFailure
				}
			}
			if port == defaultPort(u.scheme) {
				port = -1
			}
			u.port = port
			p.buf = p.buf[:0]
			if p.override != stNone {
				return stepReturn
			}
		}
		if p.override != stNone {
			return stepFailure
		}
		p.state = stPathStart
		p.ptr--
		return stepContinue
	}
	return stepFailure
}
