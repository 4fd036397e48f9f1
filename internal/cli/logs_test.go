package cli_test

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/porticohq/portico/internal/cli"
	"github.com/porticohq/portico/internal/store/storetest"
)

// TestLogs_NeverContainAPIKeys sends valid, revoked and malformed API keys
// every way a client might — in headers, in the query string, in the path,
// in a body — to a whole server logging at debug level, and fails if any
// log line of the server or of the CLI holds one of the keys or the hash
// the store keeps of it. TestEndToEnd and the durability test run the same
// check over their own logs (see leakWatch).
func TestLogs_NeverContainAPIKeys(t *testing.T) {
	// The check itself must see a leak when there is one.
	t.Run("detects a leak", func(t *testing.T) {
		probe := &leakWatch{t: t, logs: map[string]*logBuffer{}}
		key := "pk_" + randomText(43)
		probe.secret(key)
		l := probe.log("probe")
		l.Write([]byte(`{"msg":"request","status":200}` + "\n"))
		if got := probe.leaks(); len(got) != 0 {
			t.Fatalf("a clean log is reported: %v", got)
		}
		for _, f := range forms(key) {
			l.Write([]byte(`{"msg":"oops","v":"` + f + `"}` + "\n"))
		}
		if got := probe.leaks(); len(got) != len(forms(key)) {
			t.Fatalf("found %d leaks, want %d: %v", len(got), len(forms(key)), got)
		}
	})

	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			w := newLeakWatch(t)
			s := startServer(t, w, e, func(c *cli.Config) { c.LogLevel = "debug" })
			appID, valid := s.createApp("logs")
			revokedID, revoked := s.createKey(appID)
			s.mustRun("key", "revoke", "--app", appID, revokedID)
			s.mustRun("key", "list", "--app", appID)
			s.mustRun("app", "list")

			malformed := []string{
				"pk_" + randomText(43),        // well-formed, unknown
				valid[:len(valid)-1],          // truncated
				valid + "x",                   // extended
				strings.ToUpper(valid),        // altered
				"pst_" + valid[3:],            // another token type
				"pk_" + randomText(2000),      // far too long
				"not-a-key-" + randomText(20), // no prefix at all
			}
			w.secret(malformed...)

			type request struct {
				method, path string
				header       http.Header
				body         string
				status       int
			}
			var reqs []request
			add := func(method, path string, h http.Header, body string, status int) {
				reqs = append(reqs, request{method, path, h, body, status})
			}
			bearer := func(k string) http.Header { return http.Header{"Authorization": {"Bearer " + k}} }
			for _, k := range append([]string{valid, revoked}, malformed...) {
				want, wantMissing := http.StatusUnauthorized, http.StatusUnauthorized
				if k == valid {
					want, wantMissing = http.StatusOK, http.StatusNotFound
				}
				add("GET", "/v1/app", bearer(k), "", want)
				add("GET", "/v1/app", http.Header{"Authorization": {"bearer " + k}}, "", want)
				add("GET", "/v1/users", http.Header{"X-Api-Key": {k}}, "", want)
				add("PATCH", "/v1/app", bearer(k), `{"name":"logs"}`, want)
				// In the query string a key is refused even when valid, and
				// never logged.
				for _, p := range []string{"api_key", "key", "token", "access_token"} {
					add("GET", "/v1/app?"+p+"="+url.QueryEscape(k), nil, "", http.StatusUnauthorized)
				}
				add("GET", "/v1/users?external_id="+url.QueryEscape(k), bearer(valid), "", http.StatusOK)
				// In the path: of a known route and of no route.
				add("GET", "/v1/users/"+url.PathEscape(k), bearer(valid), "", http.StatusNotFound)
				add("GET", "/v1/"+url.PathEscape(k), nil, "", http.StatusNotFound)
				add("DELETE", "/v1/accounts/"+url.PathEscape(k), bearer(k), "", wantMissing)
				// In a body the server refuses: unknown field, bad JSON.
				add("POST", "/v1/users", bearer(valid), `{"api_key":"`+k+`"}`, http.StatusBadRequest)
				add("POST", "/v1/users", bearer(valid), `{"external_id":"`+k, http.StatusBadRequest)
			}
			add("GET", "/metrics?api_key="+url.QueryEscape(valid), nil, "", http.StatusOK)
			add("GET", "/healthz?token="+url.QueryEscape(valid), nil, "", http.StatusOK)

			for _, r := range reqs {
				req, err := http.NewRequest(r.method, s.URL+r.path, strings.NewReader(r.body))
				if err != nil {
					t.Fatal(err)
				}
				for k, v := range r.header {
					req.Header[k] = v
				}
				if r.body != "" {
					req.Header.Set("Content-Type", "application/json")
				}
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				if res.StatusCode != r.status {
					t.Errorf("%s %.60s: %d, want %d", r.method, r.path, res.StatusCode, r.status)
				}
			}

			// Metric labels are checked like logs.
			_, metrics := httpGet(t, s.URL+"/metrics", nil)
			w.log("metrics").Write(metrics)

			if err := s.stop(); err != nil {
				t.Fatal(err)
			}
			// The check must not pass for want of logs: one line per request.
			if n := len(requestLines(t, s.logs)); n < len(reqs) {
				t.Fatalf("%d request lines logged for %d requests", n, len(reqs))
			}
			if !strings.Contains(string(metrics), "portico_http_requests_total") {
				t.Errorf("metrics: %.200s", metrics)
			}
		})
	}
}

// randomText returns n random characters of the API key alphabet.
func randomText(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)[:n]
}
