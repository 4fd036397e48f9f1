package upstream_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/portico"
	"github.com/porticohq/portico/internal/upstream"
)

// canary is a loopback listener that counts the connections reaching it:
// a refused call must leave it at zero.
type canary struct {
	ln   net.Listener
	hits atomic.Int64
}

func newCanary(t *testing.T, network, addr string) *canary {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		return nil
	}
	c := &canary{ln: ln}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			c.hits.Add(1)
			conn.Close()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return c
}

func (c *canary) port() string {
	_, p, _ := net.SplitHostPort(c.ln.Addr().String())
	return p
}

func call(p *upstream.Proxy, rawURL string) (*upstream.Response, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	return p.Do(context.Background(), &portico.UpstreamRequest{Method: "GET", URL: u, Header: map[string][]string{}})
}

func reason(err error) string {
	var e *portico.Error
	if errors.As(err, &e) {
		r, _ := e.Details["reason"].(string)
		return string(e.Code) + "/" + r
	}
	return fmt.Sprintf("not a portico error: %v", err)
}

// TestGuard_RefusesPrivateTargets runs the guard on: every private target
// is refused before a connection, the canaries see none, and the one
// loopback address the test admits still answers.
func TestGuard_RefusesPrivateTargets(t *testing.T) {
	c4 := newCanary(t, "tcp4", "127.0.0.1:0")
	c6 := newCanary(t, "tcp6", "[::1]:0")
	metadata := "http://169.254.169.254/latest/meta-data/iam/security-credentials/"
	var sameHostHops atomic.Int64
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/to-metadata":
			http.Redirect(w, r, metadata, http.StatusFound)
		case "/to-canary":
			http.Redirect(w, r, "http://127.0.0.1:"+c4.port()+"/", http.StatusFound)
		case "/to-canary-by-name":
			http.Redirect(w, r, "http://localhost:"+c4.port()+"/", http.StatusTemporaryRedirect)
		case "/hop":
			sameHostHops.Add(1)
			http.Redirect(w, r, "/ok", http.StatusFound)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		default:
			fmt.Fprint(w, "ok")
		}
	}))
	defer redirector.Close()
	allowed := netip.MustParseAddrPort(redirector.Listener.Addr().String())
	p := upstream.NewProxy(false)
	p.Guard.Allowed = []netip.AddrPort{allowed}

	port := c4.port()
	cases := []struct{ name, url, want string }{
		{"loopback", "http://127.0.0.1:" + port + "/", "upstream_unreachable/blocked_address"},
		{"loopback other than the admitted one", "http://127.0.0.2:" + port + "/", "upstream_unreachable/blocked_address"},
		{"metadata", metadata, "upstream_unreachable/blocked_address"},
		{"private", "http://10.0.0.5/", "upstream_unreachable/blocked_address"},
		{"hex host", "http://0x7f000001:" + port + "/", "upstream_unreachable/blocked_address"},
		{"decimal host", "http://2130706433:" + port + "/", "upstream_unreachable/blocked_address"},
		{"octal host", "http://0177.0.0.1:" + port + "/", "upstream_unreachable/blocked_address"},
		{"short host", "http://127.1:" + port + "/", "upstream_unreachable/blocked_address"},
		{"mapped IPv6", "http://[::ffff:127.0.0.1]:" + port + "/", "upstream_unreachable/blocked_address"},
		{"name resolving to loopback", "http://localhost:" + port + "/", "upstream_unreachable/blocked_address"},
		{"unspecified", "http://0.0.0.0:" + port + "/", "upstream_unreachable/blocked_address"},
		{"CGNAT", "http://100.100.100.200/", "upstream_unreachable/blocked_address"},
		{"IPv6 metadata", "http://[fd00:ec2::254]/", "upstream_unreachable/blocked_address"},
		{"redirect to metadata", redirector.URL + "/to-metadata", "upstream_unreachable/redirect_refused"},
		{"redirect to a loopback canary", redirector.URL + "/to-canary", "upstream_unreachable/redirect_refused"},
		{"redirect to a name of loopback", redirector.URL + "/to-canary-by-name", "upstream_unreachable/redirect_refused"},
		{"redirect loop", redirector.URL + "/loop", "upstream_unreachable/too_many_redirects"},
	}
	if c6 != nil {
		cases = append(cases, struct{ name, url, want string }{"IPv6 loopback", "http://[::1]:" + c6.port() + "/", "upstream_unreachable/blocked_address"},
			struct{ name, url, want string }{"IPv6 loopback with a zone", "http://[::1%25lo]:" + c6.port() + "/", "upstream_unreachable/blocked_address"})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := call(p, tc.url)
			if err == nil {
				t.Fatalf("answered %d; want refused", res.Status)
			}
			if got := reason(err); got != tc.want {
				t.Fatalf("got %s (%v), want %s", got, err, tc.want)
			}
		})
	}
	if n := c4.hits.Load(); n != 0 {
		t.Errorf("the IPv4 canary saw %d connections", n)
	}
	if c6 != nil && c6.hits.Load() != 0 {
		t.Errorf("the IPv6 canary saw %d connections", c6.hits.Load())
	}

	// The admitted address answers, and a redirect within it is followed.
	res, err := call(p, redirector.URL+"/hop")
	if err != nil || res.Status != 200 || string(res.Body) != "ok" || sameHostHops.Load() != 1 {
		t.Fatalf("same-host redirect: %v %v", res, err)
	}
}

func TestWhy(t *testing.T) {
	for addr, blocked := range map[string]bool{
		"127.0.0.1": true, "10.1.2.3": true, "172.16.0.1": true, "192.168.1.1": true, "169.254.169.254": true,
		"100.64.0.1": true, "0.0.0.0": true, "224.0.0.1": true, "255.255.255.255": true, "::1": true, "::": true,
		"fe80::1": true, "fc00::1": true, "fd00:ec2::254": true, "ff02::1": true, "::ffff:10.0.0.1": true,
		"64:ff9b::7f00:1": true, "2002:a9fe:a9fe::": true, "::ffff:0:7f00:1": true, "::ffff:0:808:808": false, "168.63.129.16": true, "192.0.0.192": true,
		"8.8.8.8": false, "140.82.112.3": false, "2606:4700:4700::1111": false, "64:ff9b::808:808": false,
		// A zone does not hide the address it is on.
		"::1%lo": true, "fe80::1%eth0": true, "fd00::1%x": true, "::ffff:127.0.0.1%lo": true, "2606:4700:4700::1111%eth0": false,
	} {
		if got := upstream.Why(netip.MustParseAddr(addr)) != ""; got != blocked {
			t.Errorf("Why(%s) blocked = %v, want %v", addr, got, blocked)
		}
	}
}

// A name refused for the address it resolves to is named, the address
// not: an integration's author learns nothing of how the server resolves
// names.
func TestGuard_RefusedNameHidesItsAddress(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := (&upstream.Guard{}).DialContext(time.Second)(ctx, "tcp", "localhost:443")
	if conn != nil {
		conn.Close()
	}
	var blocked *upstream.BlockedError
	if !errors.As(err, &blocked) || blocked.Host != "localhost" {
		t.Fatalf("dial localhost: %v; want the guard's refusal of localhost", err)
	}
	if msg := err.Error(); strings.Contains(msg, "127.0.0.1") || strings.Contains(msg, "::1") || !strings.Contains(msg, "loopback address") {
		t.Errorf("refusal: %s", msg)
	}
}

func TestCheckHost(t *testing.T) {
	for host, ok := range map[string]bool{
		"api.github.com": true, "example.com.": true, "127.0.0.1": true, "::1": true, "[::1]": true, "xn--bcher-kva.example": true,
		"0x7f000001": false, "2130706433": false, "0177.0.0.1": false, "127.1": false, "1.2.3.4.5": false, "0x7f.0.0.1": false,
		"": false, "a.b.0x10": false, "[::1%lo]": false, "::1%25lo": false, "[fe80::1%eth0]": false, "2606:4700:4700::1111%eth0": false,
	} {
		if err := upstream.CheckHost(host); (err == nil) != ok {
			t.Errorf("CheckHost(%q) = %v, want ok %v", host, err, ok)
		}
	}
}

// countingConn counts the bytes read from a connection.
type countingConn struct {
	net.Conn
	read *atomic.Int64
}

func (c countingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.read.Add(int64(n))
	return n, err
}

// TestProxy_Bounds: a slow upstream times out, a large answer is refused
// without being read whole, and no error names the URL's query (it may
// hold a credential).
func TestProxy_Bounds(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/slow":
			select {
			case <-release:
			case <-r.Context().Done():
			}
		case "/declared":
			w.Header().Set("Content-Length", "5000")
			w.Write(make([]byte, 5000))
		case "/endless":
			chunk := []byte(strings.Repeat("x", 512))
			for i := 0; i < 1<<16; i++ {
				if _, err := w.Write(chunk); err != nil {
					return
				}
				w.(http.Flusher).Flush()
			}
		case "/fits":
			w.Write(make([]byte, 1024))
		}
	}))
	defer srv.Close()
	defer close(release)
	p := upstream.NewProxy(true)
	p.Timeout, p.MaxResponseBytes = 300*time.Millisecond, 1024
	// What Portico read off its connections: what the server wrote is no
	// measure, since the kernel buffers megabytes of it on loopback.
	var read atomic.Int64
	tr := p.Client().Transport.(*http.Transport)
	dial := tr.DialContext
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return countingConn{c, &read}, nil
	}

	start := time.Now()
	_, err := call(p, srv.URL+"/slow?api_key=sk_live_SECRET")
	if reason(err) != "upstream_timeout/timeout" || time.Since(start) > 5*time.Second {
		t.Fatalf("slow upstream: %v after %v", err, time.Since(start))
	}
	if strings.Contains(err.Error(), "SECRET") {
		t.Errorf("the error names the query: %v", err)
	}
	for _, path := range []string{"/declared", "/endless"} {
		read.Store(0)
		if _, err := call(p, srv.URL+path); reason(err) != "upstream_unreachable/response_too_large" {
			t.Errorf("%s: %v", path, err)
		}
		// The bound (1 KiB), the headers, the chunk framing and the
		// transport's 4 KiB read buffer: far below the answer's 32 MiB.
		if n := read.Load(); n > 16<<10 || (path == "/endless" && n <= 1024) {
			t.Errorf("%s: Portico read %d bytes of an answer over the bound of 1024", path, n)
		}
	}
	if res, err := call(p, srv.URL+"/fits"); err != nil || len(res.Body) != 1024 {
		t.Errorf("an answer of exactly the bound: %v", err)
	}
	srv.Close()
	if _, err := call(p, srv.URL+"/gone"); reason(err) != "upstream_unreachable/connection_failed" {
		t.Errorf("closed upstream: %v", err)
	}
}

// TestProxy_NotSent: only a call that never reached the upstream counts as
// not sent (an agent may retry it as it is); a call the upstream may have
// acted on does not: it answered too much, redirected elsewhere, or
// dropped the connection after the request.
func TestProxy_NotSent(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/large":
			w.Write(make([]byte, 2048))
		case "/away":
			http.Redirect(w, r, "https://elsewhere.example/", http.StatusSeeOther)
		case "/drop":
			c, _, _ := w.(http.Hijacker).Hijack()
			c.Close()
		}
	}))
	defer srv.Close()
	p := upstream.NewProxy(true)
	p.MaxResponseBytes = 1024
	for path, sent := range map[string]bool{"/large": true, "/away": true, "/drop": true} {
		_, err := call(p, srv.URL+path)
		if err == nil || notSent(err) == sent {
			t.Errorf("%s: %v: not sent %v, want %v", path, err, notSent(err), !sent)
		}
	}
	// A port nobody listens on: the dial fails.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	if _, err := call(p, closed+"/x"); !notSent(err) {
		t.Errorf("refused connection: %v: counted as sent", err)
	}
	// An address the guard refuses.
	if _, err := call(upstream.NewProxy(false), srv.URL+"/large"); !notSent(err) {
		t.Errorf("blocked address: %v: counted as sent", err)
	}
}

// notSent reads the mark Do puts on a call that never reached the upstream.
func notSent(err error) bool {
	var e *portico.Error
	return errors.As(err, &e) && e.NotSent
}
