package upstream

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// Guard decides which network addresses upstream connections may reach.
// It is checked on the address actually dialled, after DNS resolution (a
// name that resolves to 127.0.0.1 is refused like 127.0.0.1 itself), so a
// hostile DNS answer or a rebinding between checks cannot slip past it.
type Guard struct {
	// AllowPrivate admits loopback, private, link-local and the other
	// special-purpose ranges (--allow-private-upstreams).
	AllowPrivate bool
	// Allowed admits these exact address and port pairs while the guard
	// refuses the rest of their ranges: a test's one loopback upstream.
	Allowed []netip.AddrPort
}

// BlockedError is a refused address or host. Its message names the
// address and why, never a credential.
type BlockedError struct {
	Host   string
	Reason string
}

func (e *BlockedError) Error() string {
	return fmt.Sprintf("upstream %s refused: %s", e.Host, e.Reason)
}

// blockedRange is a special-purpose range and why it is refused.
type blockedRange struct {
	prefix netip.Prefix
	why    string
}

// blocked lists the ranges no upstream connection may reach without
// AllowPrivate: this host, private networks, link-local (where cloud
// metadata services answer), carrier-grade NAT, multicast and the other
// special-purpose ranges of RFC 6890. IPv4-mapped IPv6 addresses are
// unwrapped before the check; NAT64 and 6to4 addresses are checked by the
// IPv4 address they embed.
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
)

// Why returns why addr may not be reached, or "" when it may.
func Why(addr netip.Addr) string {
	addr = addr.Unmap()
	if !addr.IsValid() {
		return "invalid address"
	}
	if addr.Is6() {
		// Addresses that carry an IPv4 address reach it through a
		// translator: judge the embedded address.
		b := addr.As16()
		switch {
		case nat64.Contains(addr) || nat64Loc.Contains(addr):
			if why := Why(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})); why != "" {
				return why + " (through NAT64)"
			}
		case sixToFour.Contains(addr):
			if why := Why(netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]})); why != "" {
				return why + " (through 6to4)"
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

// CheckAddr refuses an address and port the guard does not admit.
func (g *Guard) CheckAddr(ap netip.AddrPort) error {
	if g.AllowPrivate {
		return nil
	}
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	why := Why(ap.Addr())
	if why == "" {
		return nil
	}
	for _, a := range g.Allowed {
		if netip.AddrPortFrom(a.Addr().Unmap(), a.Port()) == ap {
			return nil
		}
	}
	return &BlockedError{Host: ap.Addr().String(), Reason: why}
}

// CheckHost refuses, before any lookup, host spellings that some
// resolvers read as an IP address but that are not the canonical form:
// 2130706433, 0x7f000001, 0177.0.0.1, 127.1. Such a name has no business
// in an upstream URL, and refusing it keeps every resolver's reading
// irrelevant. Canonical IP literals are left to CheckAddr.
func CheckHost(host string) error {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	if h == "" {
		return &BlockedError{Host: host, Reason: "empty host"}
	}
	if _, err := netip.ParseAddr(h); err == nil {
		return nil
	}
	labels := strings.Split(h, ".")
	last := labels[len(labels)-1]
	// A real host name never ends in a numeric label (top-level domains
	// are alphabetic); one that does is an IP address in disguise.
	if isNumericLabel(last) {
		return &BlockedError{Host: host, Reason: "an IP address in a non-canonical form"}
	}
	if strings.ContainsAny(h, ":%") {
		return &BlockedError{Host: host, Reason: "not a valid host name"}
	}
	return nil
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

// control is the net.Dialer hook: it runs on the resolved address of
// every connection attempt, before connect(2).
func (g *Guard) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &BlockedError{Host: address, Reason: "not an IP address"}
	}
	return g.CheckAddr(ap)
}

// DialContext dials like net.Dialer but only to addresses the guard
// admits, and refuses non-canonical numeric host names first.
func (g *Guard) DialContext(timeout time.Duration) func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second, Control: g.control}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		if err := CheckHost(host); err != nil {
			return nil, err
		}
		return d.DialContext(ctx, network, addr)
	}
}

// blockedOf finds a guard refusal in an error chain.
func blockedOf(err error) *BlockedError {
	var b *BlockedError
	if errors.As(err, &b) {
		return b
	}
	return nil
}
