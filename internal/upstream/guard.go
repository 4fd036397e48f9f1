package upstream

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"

	"github.com/porticohq/portico/internal/portico"
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

// Why returns why addr may not be reached, or "" when it may: the
// domain's address policy (portico.AddressRefusal), the one rule that
// also judges integration URLs when they are defined.
func Why(addr netip.Addr) string { return portico.AddressRefusal(addr) }

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
// resolvers read as an IP address but that are not the canonical form
// (portico.HostSpellingRefusal). Canonical IP literals are left to
// CheckAddr.
func CheckHost(host string) error {
	if why := portico.HostSpellingRefusal(host); why != "" {
		return &BlockedError{Host: host, Reason: why}
	}
	return nil
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
		conn, err := d.DialContext(ctx, network, addr)
		// A name refused by the address it resolves to is told by its
		// name: naming the address would let whoever defines an
		// integration learn how the server's network resolves names.
		if b := blockedOf(err); b != nil {
			if _, perr := netip.ParseAddr(host); perr != nil {
				return nil, &BlockedError{Host: host, Reason: "it resolves to a refused address (" + b.Reason + ")"}
			}
		}
		return conn, err
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
