package outbound

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
)

// AllowRule lets requests reach addresses the guard would otherwise refuse:
// every address in Prefix, on Port (0 for any port).
type AllowRule struct {
	Prefix netip.Prefix
	Port   uint16
}

// String renders r in the syntax ParseAllow reads.
func (r AllowRule) String() string {
	s := r.Prefix.String()
	if r.Prefix.IsSingleIP() {
		s = r.Prefix.Addr().String()
	}
	if r.Port == 0 {
		return s
	}
	if r.Prefix.Addr().Is6() {
		return "[" + s + "]:" + strconv.Itoa(int(r.Port))
	}
	return s + ":" + strconv.Itoa(int(r.Port))
}

func (r AllowRule) matches(ip netip.Addr, port uint16) bool {
	return r.Prefix.Contains(ip) && (r.Port == 0 || r.Port == port)
}

// ParseAllow reads allow-list entries. Each entry is an IP address or a CIDR
// range, optionally with a port; without a port every port is allowed:
//
//	127.0.0.1:9000    one address, one port
//	10.1.2.0/24       a range, any port
//	10.1.2.0/24:443   a range, one port
//	[::1]:8080        an IPv6 address with a port (brackets are required)
//	[fd00::/8]:443    an IPv6 range with a port
//	::1, fd00::/8     IPv6 without a port
//
// Host names ("localhost:9000") are refused: the guard checks the address
// every connection actually goes to, and a name can resolve to anything.
// The error names the entry and says how to write it.
func ParseAllow(entries []string) ([]AllowRule, error) {
	rules := make([]AllowRule, 0, len(entries))
	for _, entry := range entries {
		r, err := parseAllowEntry(strings.TrimSpace(entry))
		if err != nil {
			return nil, fmt.Errorf("allow entry %q: %w", entry, err)
		}
		rules = append(rules, r)
	}
	return rules, nil
}

func parseAllowEntry(s string) (AllowRule, error) {
	if s == "" {
		return AllowRule{}, errors.New("it is empty; write an address or range such as 127.0.0.1:9000 or 10.0.0.0/8")
	}
	addr, portText := s, ""
	switch {
	case strings.HasPrefix(s, "["):
		end := strings.Index(s, "]")
		if end < 0 {
			return AllowRule{}, errors.New("it has no closing ']'; write an IPv6 address with a port as [::1]:8080")
		}
		addr = s[1:end]
		rest := s[end+1:]
		if rest != "" {
			if !strings.HasPrefix(rest, ":") {
				return AllowRule{}, errors.New("only ':port' may follow ']'")
			}
			portText = rest[1:]
		}
	case strings.Count(s, ":") == 1:
		// IPv4 (or a host name) with a port. IPv6 has at least two colons
		// and needs brackets to carry a port.
		addr, portText, _ = strings.Cut(s, ":")
	}
	var port uint16
	if portText != "" {
		n, err := strconv.ParseUint(portText, 10, 16)
		if err != nil || n == 0 {
			return AllowRule{}, fmt.Errorf("port %q is not a number from 1 to 65535", portText)
		}
		port = uint16(n)
	}
	var prefix netip.Prefix
	if strings.Contains(addr, "/") {
		p, err := netip.ParsePrefix(addr)
		if err != nil {
			return AllowRule{}, fmt.Errorf("%q is not a CIDR range such as 10.1.2.0/24 or fd00::/8", addr)
		}
		if p.Masked() != p {
			return AllowRule{}, fmt.Errorf("%s has bits set past its /%d mask; did you mean %s?", addr, p.Bits(), p.Masked())
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		prefix = p
	} else {
		ip, err := netip.ParseAddr(addr)
		if err != nil {
			return AllowRule{}, fmt.Errorf("%q is not an IP address; host names are not accepted because the guard checks the address each connection goes to, and a name can change what it resolves to: use an address such as 127.0.0.1:9000 or [::1]:8080", addr)
		}
		if ip.Zone() != "" {
			return AllowRule{}, errors.New("IPv6 zones (%eth0) are not accepted")
		}
		ip = ip.Unmap()
		prefix = netip.PrefixFrom(ip, ip.BitLen())
	}
	return AllowRule{Prefix: prefix, Port: port}, nil
}

// blockedRange is a range of addresses the guard refuses and why.
type blockedRange struct {
	prefix netip.Prefix
	what   string // "loopback addresses", as in "… are blocked"
}

// blockedRanges is checked in order: the first match names the reason, so
// the specific ranges (metadata, broadcast) come before the ranges that
// contain them.
var blockedRanges = func() []blockedRange {
	list := []struct{ cidr, what string }{
		{"169.254.169.254/32", "cloud metadata addresses"},
		{"fd00:ec2::254/128", "cloud metadata addresses"},
		{"0.0.0.0/32", "unspecified addresses"},
		{"0.0.0.0/8", `"this network" addresses (0.0.0.0/8)`},
		{"127.0.0.0/8", "loopback addresses"},
		{"10.0.0.0/8", "private addresses"},
		{"172.16.0.0/12", "private addresses"},
		{"192.168.0.0/16", "private addresses"},
		{"100.64.0.0/10", "shared (carrier-grade NAT) addresses"},
		{"169.254.0.0/16", "link-local addresses"},
		{"192.0.0.0/24", "reserved addresses"},
		{"192.0.2.0/24", "reserved (documentation) addresses"},
		{"198.18.0.0/15", "reserved (benchmarking) addresses"},
		{"198.51.100.0/24", "reserved (documentation) addresses"},
		{"203.0.113.0/24", "reserved (documentation) addresses"},
		{"224.0.0.0/4", "multicast addresses"},
		{"255.255.255.255/32", "broadcast addresses"},
		{"240.0.0.0/4", "reserved addresses"},
		{"::/128", "unspecified addresses"},
		{"::1/128", "loopback addresses"},
		{"fc00::/7", "private (unique local) addresses"},
		{"fec0::/10", "private (site-local) addresses"},
		{"fe80::/10", "link-local addresses"},
		{"ff00::/8", "multicast addresses"},
		{"100::/64", "reserved (discard) addresses"},
		{"2001::/32", "Teredo tunnel addresses"},
		{"2001:db8::/32", "reserved (documentation) addresses"},
	}
	out := make([]blockedRange, len(list))
	for i, b := range list {
		out[i] = blockedRange{netip.MustParsePrefix(b.cidr), b.what}
	}
	return out
}()

// Prefixes of IPv6 addresses that carry an IPv4 address a packet may end up
// at: NAT64 (the last 32 bits), IPv4-compatible (deprecated, last 32 bits)
// and 6to4 (bits 16 to 48).
var (
	nat64      = netip.MustParsePrefix("64:ff9b::/96")
	nat64Local = netip.MustParsePrefix("64:ff9b:1::/48")
	compatible = netip.MustParsePrefix("::/96")
	sixToFour  = netip.MustParsePrefix("2002::/16")
)

// blockedReason returns what kind of address ip is if the guard refuses it
// ("loopback addresses"), or "" if ip is public. IPv4-mapped IPv6 addresses
// are judged as the IPv4 address they map, and IPv6 forms that embed an
// IPv4 address (NAT64, 6to4, IPv4-compatible) by the address they embed.
func blockedReason(ip netip.Addr) string {
	ip = ip.WithZone("").Unmap()
	for _, b := range blockedRanges {
		if b.prefix.Contains(ip) {
			return b.what
		}
	}
	if !ip.Is6() {
		return ""
	}
	a := ip.As16()
	var embedded netip.Addr
	switch {
	case nat64.Contains(ip), nat64Local.Contains(ip), compatible.Contains(ip):
		embedded = netip.AddrFrom4([4]byte(a[12:16]))
	case sixToFour.Contains(ip):
		embedded = netip.AddrFrom4([4]byte(a[2:6]))
	default:
		return ""
	}
	if why := blockedReason(embedded); why != "" {
		return why + " (embedded in an IPv6 address)"
	}
	return ""
}

// Resolver looks up the addresses of a host name. *net.Resolver implements
// it; tests inject one to play DNS tricks such as rebinding.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// guard decides, at dial time, which addresses may be connected to.
type guard struct {
	allow    []AllowRule
	resolver Resolver
	dialer   *net.Dialer
}

// check returns an SSRF_BLOCKED error if ip:port may not be dialed. host is
// the name the request used, for the message.
func (g *guard) check(host string, ip netip.Addr, port uint16) *Error {
	ip = ip.WithZone("").Unmap()
	why := blockedReason(ip)
	if why == "" {
		return nil
	}
	for _, r := range g.allow {
		if r.matches(ip, port) {
			return nil
		}
	}
	target := netip.AddrPortFrom(ip, port).String()
	if host != "" && host != ip.String() {
		target = net.JoinHostPort(host, strconv.Itoa(int(port))) + " (" + ip.String() + ")"
	}
	return errorf(CodeSSRFBlocked, "request to %s refused: %s are blocked; an operator can allow it with --http-allow", target, why)
}

// dialContext is the transport's only way to open a connection. It resolves
// the host itself, checks every address it resolves to, and dials only a
// checked address (never the name again), so a DNS answer that changes
// between check and dial cannot slip through. Redirects dial through here
// too.
func (g *guard) dialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, portText, err := net.SplitHostPort(address)
	if err != nil {
		return nil, errorf(CodeInvalidURL, "cannot connect to %q: %v", address, err)
	}
	p, err := strconv.ParseUint(portText, 10, 16)
	if err != nil {
		return nil, errorf(CodeInvalidURL, "port %q of %s is not a number from 0 to 65535", portText, host)
	}
	port := uint16(p)
	var ips []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		ips = []netip.Addr{ip}
	} else {
		ips, err = g.resolver.LookupNetIP(ctx, "ip", host)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, &Error{Code: CodeNetworkError, Message: "could not resolve host " + strconv.Quote(host) + ": " + dnsReason(err), err: err}
		}
		if len(ips) == 0 {
			return nil, errorf(CodeNetworkError, "could not resolve host %q: it has no addresses", host)
		}
	}
	// Every address is checked before any is dialed: a name whose answer
	// mixes public and internal addresses is refused outright.
	for _, ip := range ips {
		if e := g.check(host, ip, port); e != nil {
			return nil, e
		}
	}
	var firstErr error
	for _, ip := range ips {
		conn, err := g.dialer.DialContext(ctx, network, netip.AddrPortFrom(ip.Unmap(), port).String())
		if err == nil {
			return conn, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var e *Error
		if errors.As(err, &e) {
			return nil, e
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return nil, &Error{Code: CodeNetworkError, Message: "could not connect to " + net.JoinHostPort(host, portText) + ": " + connectReason(firstErr), err: firstErr}
}

// control runs just before each socket connects: a second check of the
// exact address, so that nothing reaches the network unchecked even if a
// future change dialed some other way.
func (g *guard) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return errorf(CodeSSRFBlocked, "request to %s refused: the address could not be checked", address)
	}
	if e := g.check("", ap.Addr(), ap.Port()); e != nil {
		return e
	}
	return nil
}

func dnsReason(err error) string {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		switch {
		case dnsErr.IsNotFound:
			return "no such host"
		case dnsErr.IsTimeout:
			return "the DNS lookup timed out"
		}
		return dnsErr.Err
	}
	return err.Error()
}

func connectReason(err error) string {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "host unreachable"
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Err != nil {
		return opErr.Err.Error()
	}
	return err.Error()
}
