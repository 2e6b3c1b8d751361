package cond

import (
	"encoding/hex"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
)

// parseInt64 converts a literal the way libs' number parser does:
// decimal, 0x hex, or a number written with a fraction or exponent that is
// still an integer (5e9).
func parseInt64(s string) (int64, error) {
	t := strings.TrimSpace(s)
	neg := false
	body := t
	if strings.HasPrefix(body, "-") || strings.HasPrefix(body, "+") {
		neg = body[0] == '-'
		body = body[1:]
	}
	if strings.HasPrefix(body, "0x") || strings.HasPrefix(body, "0X") {
		u, err := strconv.ParseUint(body[2:], 16, 64)
		if err != nil || u > math.MaxInt64 && !(neg && u == 1<<63) {
			return 0, fmt.Errorf("%q is not a valid integer", s)
		}
		if neg {
			return -int64(u), nil
		}
		return int64(u), nil
	}
	if v, err := strconv.ParseInt(t, 10, 64); err == nil {
		return v, nil
	}
	if f, err := strconv.ParseFloat(t, 64); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<63 {
		return int64(f), nil
	}
	return 0, fmt.Errorf("%q is not a valid integer", s)
}

func parseUint64(s string) (uint64, error) {
	t := strings.TrimSpace(s)
	t = strings.TrimPrefix(t, "+")
	if strings.HasPrefix(t, "0x") || strings.HasPrefix(t, "0X") {
		if u, err := strconv.ParseUint(t[2:], 16, 64); err == nil {
			return u, nil
		}
		return 0, fmt.Errorf("%q is not a valid unsigned integer", s)
	}
	if v, err := strconv.ParseUint(t, 10, 64); err == nil {
		return v, nil
	}
	if f, err := strconv.ParseFloat(t, 64); err == nil && f >= 0 && f == math.Trunc(f) && f < 1<<64 {
		return uint64(f), nil
	}
	return 0, fmt.Errorf("%q is not a valid unsigned integer", s)
}

func parseBool(s string) (bool, error) {
	switch s {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean (use true or false)", s)
}

// wellKnownPorts maps service names accepted for port fields. The set is
// fixed (not read from the local /etc/services) so a rule means the same
// on every machine replaying a recording.
var wellKnownPorts = map[string]uint64{
	"ftp-data": 20, "ftp": 21, "ssh": 22, "telnet": 23, "smtp": 25, "domain": 53, "dns": 53,
	"http": 80, "kerberos": 88, "pop3": 110, "sunrpc": 111, "ntp": 123, "imap": 143, "snmp": 161,
	"ldap": 389, "https": 443, "microsoft-ds": 445, "syslog": 514, "submission": 587, "ldaps": 636,
	"rsync": 873, "imaps": 993, "pop3s": 995, "socks": 1080, "openvpn": 1194, "mysql": 3306,
	"postgresql": 5432, "redis": 6379, "http-alt": 8080, "kubelet": 10250,
}

func parsePort(s string) (uint64, error) {
	if v, err := parseUint64(s); err == nil {
		if v > 65535 {
			return 0, fmt.Errorf("port %s is out of range", s)
		}
		return v, nil
	}
	if v, ok := wellKnownPorts[strings.ToLower(s)]; ok {
		return v, nil
	}
	return 0, fmt.Errorf("%q is not a port number or known service name", s)
}

// addrMatcher is an address literal: a single address or a CIDR network.
type addrMatcher struct {
	prefix netip.Prefix
}

func parseAddrLiteral(s string) (addrMatcher, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return addrMatcher{}, fmt.Errorf("%q is not a valid CIDR network", s)
		}
		return addrMatcher{prefix: p.Masked()}, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return addrMatcher{}, fmt.Errorf("%q is not a valid IP address", s)
	}
	return addrMatcher{prefix: netip.PrefixFrom(a, a.BitLen())}, nil
}

func (m addrMatcher) contains(a netip.Addr) bool {
	if m.prefix.Addr().Is4() && a.Is4In6() {
		a = a.Unmap()
	}
	return m.prefix.Contains(a)
}

// addrSet is a set of addresses and networks.
type addrSet struct {
	exact map[netip.Addr]struct{}
	nets  []netip.Prefix
}

func newAddrSet(items []addrMatcher) *addrSet {
	s := &addrSet{exact: map[netip.Addr]struct{}{}}
	for _, it := range items {
		if it.prefix.IsSingleIP() {
			s.exact[it.prefix.Addr()] = struct{}{}
		} else {
			s.nets = append(s.nets, it.prefix)
		}
	}
	return s
}

func (s *addrSet) has(a netip.Addr) bool {
	a = a.Unmap()
	if _, ok := s.exact[a]; ok {
		return true
	}
	for _, p := range s.nets {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parseHexBytes reads the hex digits given to bcontains/bstartswith.
func parseHexBytes(s string) ([]byte, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(s) == 0 {
		return nil, fmt.Errorf("%q is not an even, non-empty run of hex digits", s)
	}
	return b, nil
}
