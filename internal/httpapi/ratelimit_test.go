package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/httpapi"
	"github.com/porticohq/portico/internal/portico"
	"github.com/porticohq/portico/internal/store/storetest"
)

func TestRateLimit_IPFailureBudget(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng, func(o *httpapi.Options) { o.IPFailRate, o.IPFailBurst = 0.5, 3 })
		appID, key := e.newApp("acme")
		bad, _ := portico.NewToken(portico.PrefixAPIKeySecret)
		// A good key spends nothing from the failure budget.
		for i := 0; i < 10; i++ {
			if r := e.do("GET", "/v1/app", auth(key), nil); r.Status != 200 {
				t.Fatalf("good key %d: %d %s", i, r.Status, r.Raw)
			}
		}
		// Three failures (bad or missing keys) are answered as such...
		for i, h := range []map[string]string{auth(bad), {}, auth("junk")} {
			if r := e.do("GET", "/v1/app", h, nil); r.Status != 401 {
				t.Fatalf("failure %d: %d %s", i, r.Status, r.Raw)
			}
		}
		// ...then the client is refused before its key is looked at, and
		// writes nothing.
		before := e.snapshot(appID)
		r := e.do("POST", "/v1/users", auth(bad), map[string]any{"external_id": "x"})
		checkEnvelope(t, r)
		if r.Status != 429 || r.code() != "rate_limited" {
			t.Fatalf("after the budget: %d %s", r.Status, r.Raw)
		}
		if ra, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 3 {
			t.Errorf("Retry-After = %q, want 1–3 s at 0.5/s", r.Header.Get("Retry-After"))
		}
		if e.snapshot(appID) != before {
			t.Error("a rate-limited request wrote")
		}
		// The same client is refused even with a good key until the
		// budget refills: it is the one that flooded.
		if r := e.do("GET", "/v1/app", auth(key), nil); r.Status != 429 {
			t.Fatalf("good key from the flooding client: %d", r.Status)
		}
		e.Clock.Advance(2 * time.Second)
		if r := e.do("GET", "/v1/app", auth(key), nil); r.Status != 200 {
			t.Fatalf("good key after the refill: %d %s", r.Status, r.Raw)
		}
		// Unauthenticated endpoints are not behind the budget.
		for i := 0; i < 5; i++ {
			e.do("GET", "/v1/app", auth(bad), nil)
		}
		if r := e.do("GET", "/healthz", nil, nil); r.Status != 200 {
			t.Errorf("healthz under a flood: %d", r.Status)
		}
	})
}

func TestRateLimit_PerKey(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng, func(o *httpapi.Options) {
			o.KeyRate, o.KeyBurst = 1, 3
			o.IPFailRate, o.IPFailBurst = 1, 2
		})
		_, keyA := e.newApp("a")
		_, keyB := e.newApp("b")
		for i := 0; i < 3; i++ {
			if r := e.do("GET", "/v1/app", auth(keyA), nil); r.Status != 200 {
				t.Fatalf("a %d: %d", i, r.Status)
			}
		}
		r := e.do("GET", "/v1/app", auth(keyA), nil)
		checkEnvelope(t, r)
		if ra := r.Header.Get("Retry-After"); r.Status != 429 || r.code() != "rate_limited" || (ra != "1" && ra != "2") {
			t.Fatalf("a over its limit: %d %q Retry-After=%q", r.Status, r.code(), r.Header.Get("Retry-After"))
		}
		// Another key, from the same client, has its own bucket.
		for i := 0; i < 3; i++ {
			if r := e.do("GET", "/v1/app", auth(keyB), nil); r.Status != 200 {
				t.Fatalf("b %d while a is limited: %d", i, r.Status)
			}
		}
		// Being over a key's limit is not an authentication failure: the
		// client's failure budget (2) is untouched by a's 429s.
		for i := 0; i < 5; i++ {
			e.do("GET", "/v1/app", auth(keyA), nil)
		}
		if r := e.do("GET", "/v1/app", auth("junk"), nil); r.Status != 401 {
			t.Fatalf("first bad key after a's 429s: %d, want 401", r.Status)
		}
		e.Clock.Advance(time.Second)
		if r := e.do("GET", "/v1/app", auth(keyA), nil); r.Status != 200 {
			t.Fatalf("a after a second: %d", r.Status)
		}
	})
}

// A flood of bad keys from one client does not lock out a good key used
// from another: the failure budget is per client address.
func TestRateLimit_FloodFromOneClientSparesAnother(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		_, key := e.newApp("acme")
		srv := httpapi.New(httpapi.Options{Service: e.Svc, Logger: e.Svc.Log, Now: e.Clock.Now,
			IPFailRate: 0.1, IPFailBurst: 5, KeyRate: 100, KeyBurst: 100})
		call := func(ip, k string) (int, http.Header, string) {
			req := httptest.NewRequest("GET", "/v1/app", nil)
			req.RemoteAddr = ip + ":40000"
			if k != "" {
				req.Header.Set("Authorization", "Bearer "+k)
			}
			w := httptest.NewRecorder()
			srv.ServeHTTP(w, req)
			var body struct {
				Error struct{ Code string } `json:"error"`
			}
			json.Unmarshal(w.Body.Bytes(), &body)
			return w.Code, w.Header(), body.Error.Code
		}
		limited := 0
		for i := 0; i < 200; i++ {
			bad, _ := portico.NewToken(portico.PrefixAPIKeySecret)
			status, h, code := call("203.0.113.7", bad)
			switch {
			case status == 401 && code == "invalid_api_key":
			case status == 429 && code == "rate_limited" && h.Get("Retry-After") != "":
				limited++
			default:
				t.Fatalf("flood request %d: %d %q", i, status, code)
			}
		}
		if limited != 195 {
			t.Errorf("%d of 200 bad keys rate limited, want 195 after a burst of 5", limited)
		}
		for i := 0; i < 20; i++ {
			if status, _, code := call("198.51.100.9", key); status != 200 {
				t.Fatalf("good key from another client: %d %q", status, code)
			}
		}
		// IPv6 clients are told apart too.
		if status, _, _ := call("[2001:db8::1]", key); status != 200 {
			t.Fatalf("good key over IPv6: %d", status)
		}
	})
}

// Behind a trusted load balancer, clients are told apart by
// X-Forwarded-For: one client's flood spares another behind the same
// balancer, and a client cannot dodge its budget by forging the header.
func TestRateLimit_BehindTrustedProxy(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		_, key := e.newApp("acme")
		trusted, err := httpapi.ParseTrustedProxies("10.0.0.0/8")
		if err != nil {
			t.Fatal(err)
		}
		srv := httpapi.New(httpapi.Options{Service: e.Svc, Logger: e.Svc.Log, Now: e.Clock.Now,
			IPFailRate: 0.1, IPFailBurst: 5, KeyRate: 100, KeyBurst: 100, TrustedProxies: trusted})
		call := func(xff, k string) int {
			req := httptest.NewRequest("GET", "/v1/app", nil)
			req.RemoteAddr = "10.0.0.2:40000"
			req.Header.Set("X-Forwarded-For", xff)
			req.Header.Set("Authorization", "Bearer "+k)
			w := httptest.NewRecorder()
			srv.ServeHTTP(w, req)
			return w.Code
		}
		limited := 0
		for i := 0; i < 50; i++ {
			bad, _ := portico.NewToken(portico.PrefixAPIKeySecret)
			// A fresh forged entry each time: only the hop the balancer
			// appended counts.
			if call(fmt.Sprintf("192.0.2.%d, 203.0.113.7", i), bad) == 429 {
				limited++
			}
		}
		if limited != 45 {
			t.Errorf("%d of 50 bad keys rate limited, want 45 after a burst of 5", limited)
		}
		for i := 0; i < 20; i++ {
			if status := call("198.51.100.9", key); status != 200 {
				t.Fatalf("good key from another client behind the balancer: %d", status)
			}
		}
	})
}
