package urlapi

import (
	"strconv"
	"strings"
)

// urlRecord is the standard's URL record. Hosts are kept serialized: every
// reader (href, host, origin) wants the serialization, and the setters only
// ever ask whether the host is null or empty.
type urlRecord struct {
	scheme      string
	username    string
	password    string
	host        string
	hasHost     bool
	port        int // -1 means null
	path        []string
	opaque      bool // the path is the single string opaquePath
	opaquePath  string
	query       string
	hasQuery    bool
	fragment    string
	hasFragment bool
}

// isSpecialScheme and defaultPort are switches rather than a map lookup:
// the parser asks for every code point of the authority and path.
func isSpecialScheme(s string) bool {
	switch s {
	case "ftp", "file", "http", "https", "ws", "wss":
		return true
	}
	return false
}

func defaultPort(scheme string) int {
	switch scheme {
	case "ftp":
		return 21
	case "http", "ws":
		return 80
	case "https", "wss":
		return 443
	}
	return -1
}

func (u *urlRecord) special() bool { return isSpecialScheme(u.scheme) }

func (u *urlRecord) includesCredentials() bool {
	return u.username != "" || u.password != ""
}

func (u *urlRecord) cannotHaveCredentialsOrPort() bool {
	return !u.hasHost || u.host == "" || u.scheme == "file"
}

// clone returns a deep copy; the path slice must not be shared because the
// parser appends to and truncates it.
func (u *urlRecord) clone() *urlRecord {
	c := *u
	c.path = append([]string(nil), u.path...)
	return &c
}

func (u *urlRecord) shortenPath() {
	if u.scheme == "file" && len(u.path) == 1 && isNormalizedDriveLetter(u.path[0]) {
		return
	}
	if len(u.path) > 0 {
		u.path = u.path[:len(u.path)-1]
	}
}

// stripTrailingSpacesFromOpaquePath keeps an opaque path from ending in a
// space once nothing follows it, so that href re-parses to the same URL.
func (u *urlRecord) stripTrailingSpacesFromOpaquePath() {
	if !u.opaque || u.hasFragment || u.hasQuery {
		return
	}
	u.opaquePath = strings.TrimRight(u.opaquePath, " ")
}

func (u *urlRecord) pathname() string {
	if u.opaque {
		return u.opaquePath
	}
	n := 0
	for _, s := range u.path {
		n += 1 + len(s)
	}
	var b strings.Builder
	b.Grow(n)
	for _, s := range u.path {
		b.WriteByte('/')
		b.WriteString(s)
	}
	return b.String()
}

func (u *urlRecord) href() string {
	var b strings.Builder
	b.WriteString(u.scheme)
	b.WriteByte(':')
	if u.hasHost {
		b.WriteString("//")
		if u.includesCredentials() {
			b.WriteString(u.username)
			if u.password != "" {
				b.WriteByte(':')
				b.WriteString(u.password)
			}
			b.WriteByte('@')
		}
		b.WriteString(u.host)
		if u.port >= 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(u.port))
		}
	}
	// Without "/." a path starting with an empty segment would re-parse as
	// an authority.
	if !u.hasHost && !u.opaque && len(u.path) > 1 && u.path[0] == "" {
		b.WriteString("/.")
	}
	b.WriteString(u.pathname())
	if u.hasQuery {
		b.WriteByte('?')
		b.WriteString(u.query)
	}
	if u.hasFragment {
		b.WriteByte('#')
		b.WriteString(u.fragment)
	}
	return b.String()
}

func (u *urlRecord) hostString() string {
	if !u.hasHost {
		return ""
	}
	if u.port < 0 {
		return u.host
	}
	return u.host + ":" + strconv.Itoa(u.port)
}

func (u *urlRecord) portString() string {
	if u.port < 0 {
		return ""
	}
	return strconv.Itoa(u.port)
}

func (u *urlRecord) search() string {
	if !u.hasQuery || u.query == "" {
		return ""
	}
	return "?" + u.query
}

func (u *urlRecord) hash() string {
	if !u.hasFragment || u.fragment == "" {
		return ""
	}
	return "#" + u.fragment
}

// origin returns the ASCII serialization of the URL's origin; opaque
// origins serialize as "null".
func (u *urlRecord) origin() string {
	switch u.scheme {
	case "blob":
		inner, ok := parseURL(u.pathname(), nil)
		if ok && (inner.scheme == "http" || inner.scheme == "https") {
			return inner.origin()
		}
		return "null"
	case "ftp", "http", "https", "ws", "wss":
		s := u.scheme + "://" + u.host
		if u.port >= 0 {
			s += ":" + strconv.Itoa(u.port)
		}
		return s
	}
	return "null"
}

// The setters below follow the standard's URL API setters. Failures are
// silently ignored there, so they return nothing.

func (u *urlRecord) setProtocol(v string) {
	basicParse(v+":", nil, u, stSchemeStart)
}

func (u *urlRecord) setUsername(v string) {
	if u.cannotHaveCredentialsOrPort() {
		return
	}
	u.username = percentEncodeString(v, &userinfoSet)
}

func (u *urlRecord) setPassword(v string) {
	if u.cannotHaveCredentialsOrPort() {
		return
	}
	u.password = percentEncodeString(v, &userinfoSet)
}

func (u *urlRecord) setHost(v string) {
	if u.opaque {
		return
	}
	basicParse(v, nil, u, stHost)
}

func (u *urlRecord) setHostname(v string) {
	if u.opaque {
		return
	}
	basicParse(v, nil, u, stHostname)
}

func (u *urlRecord) setPort(v string) {
	if u.cannotHaveCredentialsOrPort() {
		return
	}
	if v == "" {
		u.port = -1
		return
	}
	basicParse(v, nil, u, stPort)
}

func (u *urlRecord) setPathname(v string) {
	if u.opaque {
		return
	}
	u.path = u.path[:0]
	basicParse(v, nil, u, stPathStart)
}

// setSearch sets the query; the caller refreshes the URLSearchParams list,
// which this record does not know about.
func (u *urlRecord) setSearch(v string) {
	if v == "" {
		u.query, u.hasQuery = "", false
		u.stripTrailingSpacesFromOpaquePath()
		return
	}
	v = strings.TrimPrefix(v, "?")
	u.query, u.hasQuery = "", true
	basicParse(v, nil, u, stQuery)
}

func (u *urlRecord) setHash(v string) {
	if v == "" {
		u.fragment, u.hasFragment = "", false
		u.stripTrailingSpacesFromOpaquePath()
		return
	}
	v = strings.TrimPrefix(v, "#")
	u.fragment, u.hasFragment = "", true
	basicParse(v, nil, u, stFragment)
}
