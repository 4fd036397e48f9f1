package upstream_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/portico"
	"github.com/porticohq/portico/internal/upstream"
)

// One address policy: an address in each refused range is refused both
// when an integration names it (PUT) and when the guard dials it; with
// private upstreams allowed, both admit it.
func TestAddressPolicy_SameAtDefinitionAndDial(t *testing.T) {
	for _, addr := range []string{
		"0.0.0.1", "10.0.0.1", "100.64.0.1", "127.0.0.2", "168.63.129.16", "169.254.169.254", "172.16.0.1",
		"192.0.0.8", "192.0.2.1", "192.88.99.1", "192.168.0.1", "198.18.0.1", "198.19.255.254", "198.51.100.1",
		"203.0.113.1", "224.0.0.1", "240.0.0.1", "::", "::1", "::5", "100::1", "2001::1", "2001:db8::1", "fd00::1",
		"fe80::1", "fec0::1", "ff02::1", "::ffff:10.0.0.1", "64:ff9b::a00:1", "2002:c000:201::", "::ffff:0:a00:1",
	} {
		host := net.JoinHostPort(addr, "443")
		integ := func() *portico.Integration {
			return &portico.Integration{Slug: "x", Name: "X", Category: "other", BaseURL: "https://" + host,
				Auth: portico.AuthConfig{Type: portico.AuthAPIKey, Fields: []portico.Field{{Name: "api_key", Label: "Key", Secret: true}},
					Inject: &portico.Inject{Header: "Authorization", Format: "Bearer {api_key}"}}}
		}
		err := integ().Validate(false)
		if e, ok := err.(*portico.Error); !ok || e.Code != portico.CodeValidation || e.Field != "base_url" {
			t.Errorf("PUT https://%s: %v; want validation_failed on base_url", host, err)
		}
		if err := integ().Validate(true); err != nil {
			t.Errorf("PUT https://%s with private upstreams allowed: %v", host, err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn, err := (&upstream.Guard{}).DialContext(time.Second)(ctx, "tcp", host)
		cancel()
		var blocked *upstream.BlockedError
		if !errors.As(err, &blocked) {
			if conn != nil {
				conn.Close()
			}
			t.Errorf("dial %s: %v; want the guard's refusal", host, err)
		}
	}
	// A public address passes both.
	if err := (&portico.Integration{Slug: "x", Name: "X", Category: "other", BaseURL: "https://8.8.8.8",
		Auth: portico.AuthConfig{Type: portico.AuthNone}}).Validate(false); err != nil {
		t.Errorf("PUT https://8.8.8.8: %v", err)
	}
	if upstream.Why(netip.MustParseAddr("8.8.8.8")) != "" {
		t.Error("the guard refuses 8.8.8.8")
	}
}
