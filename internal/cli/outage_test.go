package cli_test

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/cli"
	"github.com/porticohq/portico/internal/store/storetest"
)

// breakableProxy is a TCP proxy on loopback in front of PostgreSQL that can
// sever every connection it carries, and then cut each new one as soon as
// it is accepted, until healed: a database that goes away under load with
// its connections broken, not refused.
type breakableProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]bool
	wg     sync.WaitGroup
}

func newBreakableProxy(t *testing.T, target string) *breakableProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &breakableProxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(p.close)
	return p
}

func (p *breakableProxy) addr() string { return p.ln.Addr().String() }

func (p *breakableProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if !p.track(c) {
			continue
		}
		p.wg.Add(1)
		go p.pipe(c)
	}
}

// track remembers c to sever it later; while the proxy is down it closes c
// at once and reports false.
func (p *breakableProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.down {
		c.Close()
		return false
	}
	p.conns[c] = true
	return true
}

func (p *breakableProxy) untrack(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		c.Close()
		delete(p.conns, c)
	}
}

func (p *breakableProxy) pipe(client net.Conn) {
	defer p.wg.Done()
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		p.untrack(client)
		return
	}
	if !p.track(server) {
		p.untrack(client)
		return
	}
	done := make(chan struct{}, 2)
	go func() { io.Copy(server, client); done <- struct{}{} }()
	go func() { io.Copy(client, server); done <- struct{}{} }()
	<-done
	p.untrack(client, server)
	<-done
}

// sever closes every live connection, both ways, and cuts new ones until
// heal.
func (p *breakableProxy) sever() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

func (p *breakableProxy) heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = false
}

func (p *breakableProxy) close() {
	p.ln.Close()
	p.sever()
	p.wg.Wait()
}

// outcome is one answer seen under load.
type outcome struct {
	what       string
	start, end time.Time
	status     int
	code       string // error.code of a native or Session Storage error
	retryAfter string
	body       []byte
}

// With PostgreSQL gone mid-load — every pooled connection broken, new ones
// cut — every request answers 503 unavailable with Retry-After, on the
// native API, a compatible surface and the hosted page alike, never 500;
// once the database is back, the same server answers again without a
// restart.
func TestOutage_PostgresConnectionsBreak(t *testing.T) {
	base := os.Getenv(storetest.PostgresEnv)
	if base == "" {
		if os.Getenv("PORTICO_REQUIRE_POSTGRES") != "" {
			t.Fatalf("%s is not set", storetest.PostgresEnv)
		}
		t.Skipf("%s is not set", storetest.PostgresEnv)
	}
	w := newLeakWatch(t)
	var proxy *breakableProxy
	s := startServer(t, w, storetest.Engines(t)[1], func(c *cli.Config) {
		u, err := url.Parse(c.DatabaseURL)
		if err != nil {
			t.Fatal(err)
		}
		proxy = newBreakableProxy(t, u.Host)
		u.Host = proxy.addr()
		c.DatabaseURL = u.String()
		c.RateLimitKey, c.RateLimitIP = 0, 0
	})
	appID, key := s.createApp("Acme")

	hc := &http.Client{Timeout: 20 * time.Second}
	call := func(what, method, path string, hdr map[string]string, body string) outcome {
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, _ := http.NewRequest(method, s.URL+path, rd)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		o := outcome{what: what, start: time.Now()}
		res, err := hc.Do(req)
		if err != nil {
			t.Errorf("%s: %v", what, err)
			return o
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		o.end, o.status, o.retryAfter, o.body = time.Now(), res.StatusCode, res.Header.Get("Retry-After"), raw
		var env struct {
			Error  struct{ Code string } `json:"error"`
			Errors []struct{ Type string }
		}
		if json.Unmarshal(raw, &env) == nil {
			o.code = env.Error.Code
			if len(env.Errors) > 0 {
				o.code = env.Errors[0].Type
			}
		}
		return o
	}
	bearer := map[string]string{"Authorization": "Bearer " + key}
	// A session token and an open hosted page for the load.
	created := call("create session", "POST", "/v1/sessions", bearer, `{"user":{"external_id":"u-1"}}`)
	var sess struct {
		Token            string `json:"token"`
		ConfigurationURL string `json:"configuration_url"`
	}
	if err := json.Unmarshal(created.body, &sess); err != nil || created.status != 201 {
		t.Fatalf("create session: %d %v", created.status, err)
	}
	w.secret(sess.Token)
	jar, _ := cookiejar.New(nil)
	page := &http.Client{Jar: jar, Timeout: 20 * time.Second}
	if res, err := page.Get(sess.ConfigurationURL); err != nil || res.StatusCode != 200 {
		t.Fatalf("open the hosted page: %v %v", res, err)
	} else {
		res.Body.Close()
	}
	getPage := func() outcome {
		o := outcome{what: "GET /connect/", start: time.Now()}
		res, err := page.Get(s.URL + "/connect/")
		if err != nil {
			t.Errorf("hosted page: %v", err)
			return o
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		o.end, o.status, o.retryAfter = time.Now(), res.StatusCode, res.Header.Get("Retry-After")
		return o
	}

	requests := []func() outcome{
		func() outcome {
			return call("GET /v1/me", "GET", "/v1/me", map[string]string{"Authorization": "Bearer " + sess.Token}, "")
		},
		func() outcome { return call("GET /v1/app", "GET", "/v1/app", bearer, "") },
		func() outcome {
			return call("POST /v1/sessions", "POST", "/v1/sessions", bearer, `{"user":{"external_id":"u-2"}}`)
		},
		func() outcome { return call("GET /v1/sessions", "GET", "/v1/sessions", bearer, "") },
		func() outcome {
			return call("GET /session-storage/sessions", "GET", "/session-storage/sessions", map[string]string{"ClientID": appID, "ClientSecret": key}, "")
		},
		getPage,
	}
	// load runs every request in a loop on several workers for d.
	load := func(d time.Duration) []outcome {
		var (
			mu  sync.Mutex
			out []outcome
			wg  sync.WaitGroup
		)
		stop := time.Now().Add(d)
		for i := range 2 * len(requests) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Now().Before(stop) {
					o := requests[i%len(requests)]()
					mu.Lock()
					out = append(out, o)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		return out
	}
	wantOK := func(phase string, outs []outcome) {
		t.Helper()
		for _, o := range outs {
			if o.status < 200 || o.status > 299 {
				t.Errorf("%s: %s answered %d %s", phase, o.what, o.status, o.code)
			}
		}
	}

	wantOK("before the outage", load(300*time.Millisecond))

	// The outage: mid-load, every connection breaks.
	var during []outcome
	var severed, healed time.Time
	var lw sync.WaitGroup
	lw.Add(1)
	go func() {
		defer lw.Done()
		during = load(2 * time.Second)
	}()
	time.Sleep(300 * time.Millisecond)
	proxy.sever()
	severed = time.Now()
	time.Sleep(1200 * time.Millisecond)
	healed = time.Now()
	lw.Wait()
	proxy.heal()

	seen := map[string]int{}
	for _, o := range during {
		if o.status == http.StatusInternalServerError {
			t.Errorf("during the outage: %s answered 500 %s", o.what, o.code)
		}
		if o.start.Before(severed) || o.end.After(healed) {
			continue
		}
		seen[o.what]++
		if o.status != http.StatusServiceUnavailable || o.retryAfter == "" ||
			(o.what != "GET /connect/" && o.code != "unavailable") {
			t.Errorf("while PostgreSQL is gone: %s answered %d %q (Retry-After %q), want 503 unavailable with Retry-After",
				o.what, o.status, o.code, o.retryAfter)
		}
	}
	t.Logf("requests answered while PostgreSQL was gone: %v", seen)
	if len(seen) < len(requests) {
		t.Errorf("not every kind of request was sent while PostgreSQL was gone: %v", seen)
	}

	// Back: the same server answers again.
	deadline := time.Now().Add(15 * time.Second)
	for {
		o := requests[0]()
		if o.status == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no recovery 15 s after PostgreSQL came back: %s answered %d %s", o.what, o.status, o.code)
		}
		time.Sleep(100 * time.Millisecond)
	}
	wantOK("after the outage", load(500*time.Millisecond))

	logs := s.logs.String()
	if strings.Contains(logs, `"code":"internal"`) {
		t.Errorf("the outage was logged as an internal error:\n%s", firstLines(logs, `"code":"internal"`, 3))
	}
	if !strings.Contains(logs, `"code":"unavailable"`) {
		t.Errorf("the outage was not logged as unavailable")
	}
}

// firstLines returns up to n lines of logs that contain sub.
func firstLines(logs, sub string, n int) string {
	var out []string
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, sub) && len(out) < n {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
