package httpapi

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestClientIP(t *testing.T) {
	trusted, err := ParseTrustedProxies("10.0.0.0/8, 192.168.1.7, fd00::/8")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{trustedProxies: trusted}
	for _, tc := range []struct {
		name, remote string
		xff          []string
		want         string
	}{
		{"direct client", "203.0.113.7:4000", nil, "203.0.113.7"},
		{"direct client's forged header is ignored", "203.0.113.7:4000", []string{"198.51.100.1"}, "203.0.113.7"},
		{"trusted proxy without a header", "10.1.2.3:4000", nil, "10.1.2.3"},
		{"through one proxy", "10.1.2.3:4000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"the client's forged entries are left of the real one", "10.1.2.3:4000", []string{"1.1.1.1, 2.2.2.2, 198.51.100.1"}, "198.51.100.1"},
		{"two trusted proxies", "10.1.2.3:4000", []string{"198.51.100.1, 192.168.1.7"}, "198.51.100.1"},
		{"several header lines", "10.1.2.3:4000", []string{"9.9.9.9", "198.51.100.1,10.9.9.9"}, "198.51.100.1"},
		{"only trusted hops", "10.1.2.3:4000", []string{"10.2.2.2, 10.3.3.3"}, "10.2.2.2"},
		{"garbage stops at the last vouched hop", "10.1.2.3:4000", []string{"198.51.100.1, nonsense, 10.3.3.3"}, "10.3.3.3"},
		{"entry with a port", "10.1.2.3:4000", []string{"198.51.100.1:5555"}, "198.51.100.1"},
		{"IPv6 through an IPv6 proxy", "[fd00::1]:4000", []string{"2001:db8::9"}, "2001:db8::9"},
		{"IPv4-mapped peer is a trusted IPv4", "[::ffff:10.1.2.3]:4000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"untrusted IPv6 peer", "[2001:db8::1]:4000", []string{"198.51.100.1"}, "2001:db8::1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/v1/app", nil)
			r.RemoteAddr = tc.remote
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := s.clientIP(r); got != tc.want {
				t.Fatalf("clientIP = %s, want %s", got, tc.want)
			}
		})
	}
	// No trusted proxies: the header never counts.
	r := httptest.NewRequest("GET", "/v1/app", nil)
	r.RemoteAddr = "10.1.2.3:4000"
	r.Header.Set("X-Forwarded-For", "198.51.100.1")
	if got := (&Server{}).clientIP(r); got != "10.1.2.3" {
		t.Fatalf("without trusted proxies: %s", got)
	}
}

func TestParseTrustedProxies(t *testing.T) {
	for _, bad := range []string{"10.0.0.0/33", "example.com", "10.0.0.1/8/8", "300.1.1.1"} {
		if _, err := ParseTrustedProxies(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	ps, err := ParseTrustedProxies(" 10.1.2.3/8 ,, ::ffff:192.0.2.1 ")
	if err != nil || len(ps) != 2 || ps[0].String() != "10.0.0.0/8" || ps[1].String() != "192.0.2.1/32" {
		t.Fatalf("%v %v", ps, err)
	}
}

// FuzzClientIP: whatever X-Forwarded-For holds, clientIP does not panic
// and answers the peer or an address the header names.
func FuzzClientIP(f *testing.F) {
	for _, s := range []string{"198.51.100.1", "1.1.1.1, 10.0.0.9", "nonsense, 10.0.0.9", "[2001:db8::1]:80", ",,", "::ffff:1.2.3.4"} {
		f.Add(s)
	}
	trusted, _ := ParseTrustedProxies("10.0.0.0/8")
	s := &Server{trustedProxies: trusted}
	f.Fuzz(func(t *testing.T, xff string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = "10.1.1.1:4000"
		r.Header.Set("X-Forwarded-For", xff)
		got := s.clientIP(r)
		if got == "10.1.1.1" {
			return
		}
		found := false
		for _, part := range strings.Split(xff, ",") {
			if a, ok := addrOf(strings.TrimSpace(part)); ok && a.String() == got {
				found = true
			}
		}
		if !found {
			t.Fatalf("clientIP(%q) = %s, named nowhere", xff, got)
		}
	})
}
