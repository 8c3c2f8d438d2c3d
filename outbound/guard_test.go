package outbound

import (
	"net/netip"
	"strings"
	"testing"
)

func TestBlockedReason(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ip, want string // want "" for a public address
	}{
		{"8.8.8.8", ""},
		{"93.184.216.34", ""},
		{"2606:4700:4700::1111", ""},
		{"64:ff9b::808:808", ""}, // NAT64 of a public address
		{"127.0.0.1", "loopback"},
		{"127.255.255.254", "loopback"},
		{"::1", "loopback"},
		{"::ffff:127.0.0.1", "loopback"},
		{"10.1.2.3", "private"},
		{"172.16.0.1", "private"},
		{"172.31.255.255", "private"},
		{"192.168.0.10", "private"},
		{"fc00::1", "private (unique local)"},
		{"fd12:3456::1", "private (unique local)"},
		{"::ffff:10.0.0.1", "private"},
		{"100.64.0.1", "shared (carrier-grade NAT)"},
		{"100.127.255.255", "shared (carrier-grade NAT)"},
		{"169.254.1.1", "link-local"},
		{"fe80::1%eth0", "link-local"},
		{"169.254.169.254", "cloud metadata"},
		{"::ffff:169.254.169.254", "cloud metadata"},
		{"fd00:ec2::254", "cloud metadata"},
		{"0.0.0.0", "unspecified"},
		{"0.1.2.3", `"this network"`},
		{"::", "unspecified"},
		{"224.0.0.1", "multicast"},
		{"ff02::1", "multicast"},
		{"255.255.255.255", "broadcast"},
		{"240.0.0.1", "reserved"},
		{"64:ff9b::7f00:1", "loopback addresses (embedded in an IPv6 address)"},
		{"::7f00:1", "loopback addresses (embedded in an IPv6 address)"},
		{"2002:a00:1::", "private addresses (embedded in an IPv6 address)"},
		{"2002:808:808::", ""},
	}
	for _, tt := range tests {
		got := blockedReason(netip.MustParseAddr(tt.ip))
		if tt.want == "" && got != "" || tt.want != "" && !strings.HasPrefix(got, tt.want) {
			t.Errorf("blockedReason(%s) = %q, want %q", tt.ip, got, tt.want)
		}
	}
}

func TestParseAllow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		entry, want, err string
	}{
		{entry: "127.0.0.1:9000", want: "127.0.0.1:9000"},
		{entry: "127.0.0.1", want: "127.0.0.1"},
		{entry: " 10.1.2.0/24 ", want: "10.1.2.0/24"},
		{entry: "10.1.2.0/24:443", want: "10.1.2.0/24:443"},
		{entry: "[::1]:8080", want: "[::1]:8080"},
		{entry: "::1", want: "::1"},
		{entry: "[fd00::/8]:443", want: "[fd00::/8]:443"},
		{entry: "fd00::/8", want: "fd00::/8"},
		{entry: "::ffff:10.0.0.1", want: "10.0.0.1"},
		{entry: "localhost:9000", err: "host names are not accepted"},
		{entry: "example.com", err: "host names are not accepted"},
		{entry: "", err: "empty"},
		{entry: "10.1.2.3/24", err: "did you mean 10.1.2.0/24"},
		{entry: "10.1.2.0/33", err: "not a CIDR range"},
		{entry: "127.0.0.1:0", err: "from 1 to 65535"},
		{entry: "127.0.0.1:70000", err: "from 1 to 65535"},
		{entry: "127.0.0.1:http", err: "from 1 to 65535"},
		{entry: "[::1", err: "no closing"},
		{entry: "[::1]x", err: "only ':port'"},
	}
	for _, tt := range tests {
		rules, err := ParseAllow([]string{tt.entry})
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.Contains(err.Error(), "allow entry") {
				t.Errorf("ParseAllow(%q) error = %v, want one containing %q", tt.entry, err, tt.err)
			}
			continue
		}
		if err != nil || len(rules) != 1 || rules[0].String() != tt.want {
			t.Errorf("ParseAllow(%q) = %v, %v; want %s", tt.entry, rules, err, tt.want)
		}
	}
}

func TestGuardCheck(t *testing.T) {
	t.Parallel()
	rules, err := ParseAllow([]string{"127.0.0.1:9000", "10.1.2.0/24", "[::1]:8080", "192.168.0.0/16:443"})
	if err != nil {
		t.Fatal(err)
	}
	g := &guard{allow: rules}
	tests := []struct {
		ip      string
		port    uint16
		allowed bool
	}{
		{"127.0.0.1", 9000, true},
		{"::ffff:127.0.0.1", 9000, true},
		{"127.0.0.1", 9001, false},
		{"127.0.0.2", 9000, false},
		{"10.1.2.77", 5432, true},
		{"10.1.3.1", 5432, false},
		{"::1", 8080, true},
		{"::1", 80, false},
		{"192.168.9.9", 443, true},
		{"192.168.9.9", 80, false},
		{"8.8.8.8", 53, true},
	}
	for _, tt := range tests {
		e := g.check("", netip.MustParseAddr(tt.ip), tt.port)
		if (e == nil) != tt.allowed {
			t.Errorf("check(%s, %d) = %v, want allowed=%v", tt.ip, tt.port, e, tt.allowed)
		}
		if e != nil && (e.Code != CodeSSRFBlocked || !strings.Contains(e.Message, "--http-allow")) {
			t.Errorf("check(%s, %d) = %v", tt.ip, tt.port, e)
		}
	}
}
