package portico

import (
	"net/netip"
	"strings"
)

// This file is the one address policy of upstreams: which addresses an
// integration's URLs may reach. Integration definitions apply it to the
// hosts they name (checkUpstreamURL); package upstream's guard applies it
// again to every address it dials, after DNS resolution.

// blockedRange is a special-purpose range and why it is refused.
type blockedRange struct {
	prefix netip.Prefix
	why    string
}

// blocked lists the ranges no upstream connection may reach without
// AllowPrivate: this host, private networks, link-local (where cloud
// metadata services answer), carrier-grade NAT, multicast and the other
// special-purpose ranges of RFC 6890. IPv4-mapped IPv6 addresses are
// unwrapped before the check; NAT64, 6to4 and IPv4-translated addresses
// are checked by the IPv4 address they embed.
var blocked = func() []blockedRange {
	var out []blockedRange
	for _, r := range []struct{ cidr, why string }{
		{"0.0.0.0/8", "unspecified address"},
		{"10.0.0.0/8", "private address"},
		{"100.64.0.0/10", "carrier-grade NAT address"},
		{"127.0.0.0/8", "loopback address"},
		{"168.63.129.16/32", "cloud metadata address"},
		{"169.254.0.0/16", "link-local address (cloud metadata)"},
		{"172.16.0.0/12", "private address"},
		{"192.0.0.0/24", "special-purpose address"},
		{"192.0.2.0/24", "documentation address"},
		{"192.88.99.0/24", "relay address"},
		{"192.168.0.0/16", "private address"},
		{"198.18.0.0/15", "benchmarking address"},
		{"198.51.100.0/24", "documentation address"},
		{"203.0.113.0/24", "documentation address"},
		{"224.0.0.0/4", "multicast address"},
		{"240.0.0.0/4", "reserved address"},
		{"::/128", "unspecified address"},
		{"::1/128", "loopback address"},
		{"::/96", "IPv4-compatible address"},
		{"100::/64", "discard address"},
		{"2001::/23", "special-purpose address"},
		{"2001:db8::/32", "documentation address"},
		{"fc00::/7", "unique-local address (cloud metadata)"},
		{"fe80::/10", "link-local address"},
		{"fec0::/10", "site-local address"},
		{"ff00::/8", "multicast address"},
	} {
		out = append(out, blockedRange{netip.MustParsePrefix(r.cidr), r.why})
	}
	return out
}()

var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	nat64Loc  = netip.MustParsePrefix("64:ff9b:1::/48")
	sixToFour = netip.MustParsePrefix("2002::/16")
	// translated is RFC 2765's IPv4-translated form, ::ffff:0:a.b.c.d.
	translated = netip.MustParsePrefix("::ffff:0:0:0/96")
)

// AddressRefusal returns why an upstream may not be reached at addr, or
// "" when it may. Package upstream's guard applies it to every address it
// dials; checkUpstreamURL to IP literals when an integration is defined.
func AddressRefusal(addr netip.Addr) string {
	// A zone (fe80::1%eth0, ::1%lo) names an interface, not another
	// address, and netip.Prefix.Contains is false for every zoned address:
	// judge the address without it.
	addr = addr.Unmap().WithZone("")
	if !addr.IsValid() {
		return "invalid address"
	}
	if addr.Is6() {
		// Addresses that carry an IPv4 address reach it through a
		// translator: judge the embedded address.
		b := addr.As16()
		switch {
		case nat64.Contains(addr) || nat64Loc.Contains(addr):
			if why := AddressRefusal(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})); why != "" {
				return why + " (through NAT64)"
			}
		case sixToFour.Contains(addr):
			if why := AddressRefusal(netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]})); why != "" {
				return why + " (through 6to4)"
			}
		case translated.Contains(addr):
			if why := AddressRefusal(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})); why != "" {
				return why + " (IPv4-translated)"
			}
		}
	}
	for _, r := range blocked {
		if r.prefix.Contains(addr) {
			return r.why
		}
	}
	return ""
}

// HostSpellingRefusal returns why a URL's host is refused on its face, ""
// when it is not: host spellings that some resolvers read as an IP
// address but that are not the canonical form (2130706433, 0x7f000001,
// 0177.0.0.1, 127.1). Such a name has no business in an upstream URL, and
// refusing it keeps every resolver's reading irrelevant. Canonical IP
// literals are left to AddressRefusal.
func HostSpellingRefusal(host string) string {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	if h == "" {
		return "empty host"
	}
	if a, err := netip.ParseAddr(h); err == nil {
		if a.Zone() != "" {
			// An interface name has no place in a URL to another host.
			return "an IPv6 address with a zone (%" + a.Zone() + ")"
		}
		return ""
	}
	labels := strings.Split(h, ".")
	last := labels[len(labels)-1]
	// A real host name never ends in a numeric label (top-level domains
	// are alphabetic); one that does is an IP address in disguise.
	if isNumericLabel(last) {
		return "an IP address in a non-canonical form"
	}
	if strings.ContainsAny(h, ":%") {
		return "not a valid host name"
	}
	return ""
}

func isNumericLabel(s string) bool {
	if s == "" {
		return false
	}
	if rest, ok := strings.CutPrefix(s, "0x"); ok {
		for _, c := range rest {
			if !strings.ContainsRune("0123456789abcdef", c) {
				return false
			}
		}
		return true
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
