package httpapi_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/httpapi"
	"github.com/porticohq/portico/internal/portico"
	"github.com/porticohq/portico/internal/store"

	"github.com/porticohq/portico/internal/store/storetest"
)

func TestOps_HealthReadyMetricsAndRouting(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		appID, key := e.newApp("acme")
		wantAllow := func(methods ...string) func(t *testing.T, r response) {
			return func(t *testing.T, r response) {
				allow := r.Header.Get("Allow")
				for _, m := range methods {
					if !strings.Contains(allow, m) {
						t.Errorf("Allow = %q, want it to list %s", allow, m)
					}
				}
			}
		}
		none := map[string]string{}
		e.run(t, key, []string{appID}, []scenario{
			{name: "healthz", method: "GET", path: "/healthz", headers: none, status: 200, readOnly: true, check: func(t *testing.T, r response) {
				if r.Body["status"] != "ok" {
					t.Errorf("body %s", r.Raw)
				}
			}},
			{name: "readyz", method: "GET", path: "/readyz", headers: none, status: 200, readOnly: true, check: func(t *testing.T, r response) {
				if r.Body["status"] != "ready" {
					t.Errorf("body %s", r.Raw)
				}
			}},
			{name: "metrics", method: "GET", path: "/metrics", headers: none, status: 200, readOnly: true, check: func(t *testing.T, r response) {
				body := string(r.Raw)
				if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain") || !strings.Contains(body, "portico_http_requests_total{") {
					t.Errorf("metrics: %s %.300s", r.Header.Get("Content-Type"), body)
				}
				// The series the alert rules watch are there before their first event.
				for _, series := range []string{`portico_webhook_deliveries_total{outcome="failed"} 0`, `portico_webhook_deliveries_total{outcome="retry"} 0`,
					`portico_oauth_refreshes_total{outcome="unavailable"} 0`, `portico_oauth_refreshes_total{outcome="rejected"} 0`,
					`portico_events_total{event="store_error"} 0`} {
					if !strings.Contains(body, "\n"+series+"\n") {
						t.Errorf("metrics lack %s", series)
					}
				}
				// Labels carry route patterns, never paths or keys.
				if strings.Contains(body, key) || strings.Contains(body, "/v1/users/usr_") {
					t.Errorf("metrics leak a path or key")
				}
			}},
			{name: "unknown route", method: "GET", path: "/nope", headers: none, status: 404, code: "not_found", readOnly: true},
			{name: "unknown route under /v1", method: "GET", path: "/v1/nope", status: 404, code: "not_found", readOnly: true},
			{name: "unknown route with a body", method: "POST", path: "/v1/users/x/y/z", body: map[string]any{"a": 1}, status: 404, code: "not_found", readOnly: true},
			{name: "DELETE /v1/app", method: "DELETE", path: "/v1/app", status: 405, code: "method_not_allowed", readOnly: true, check: wantAllow("GET", "PATCH")},
			{name: "PUT /v1/users", method: "PUT", path: "/v1/users", body: map[string]any{"external_id": "x"}, status: 405, code: "method_not_allowed", readOnly: true, check: wantAllow("GET", "POST")},
			{name: "POST /v1/users/{id}", method: "POST", path: "/v1/users/usr_x", body: map[string]any{}, status: 405, code: "method_not_allowed", readOnly: true, check: wantAllow("GET", "PATCH", "DELETE")},
			{name: "PUT /v1/accounts/{id}", method: "PUT", path: "/v1/accounts/x", body: map[string]any{"name": "x"}, status: 405, code: "method_not_allowed", readOnly: true, check: wantAllow("GET", "PATCH", "DELETE")},
			{name: "POST /healthz", method: "POST", path: "/healthz", headers: none, status: 405, code: "method_not_allowed", readOnly: true, check: wantAllow("GET")},
			{name: "DELETE /metrics", method: "DELETE", path: "/metrics", headers: none, status: 405, code: "method_not_allowed", readOnly: true, check: wantAllow("GET")},
		})
		// The request log names route patterns, not ids.
		if logs := e.logs.String(); !strings.Contains(logs, `"route":"GET /v1/app"`) && !strings.Contains(logs, `"route":"DELETE /v1/app"`) {
			t.Logf("logs: %.500s", logs)
		}
	})
}

func TestOps_ReadyzWhenTheStoreIsGone(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		// A store of its own, closed once by this test (the harness's
		// store is closed at cleanup).
		dbURL, dir := eng.Fresh(t)
		db, err := store.Open(context.Background(), store.Config{DatabaseURL: dbURL, DataDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		api := httpapi.New(httpapi.Options{Service: portico.NewService(db, &portico.Service{Now: time.Now, Log: log}), Logger: log})
		db.SetMetrics(api.Metrics())
		srv := httptest.NewServer(api)
		defer srv.Close()
		e := &env{t: t, URL: srv.URL}
		if r := e.do("GET", "/readyz", nil, nil); r.Status != 200 {
			t.Fatalf("readyz: %d %s", r.Status, r.Raw)
		}
		db.Close()
		r := e.do("GET", "/readyz", nil, nil)
		checkEnvelope(t, r)
		if r.Status != 503 || r.code() != "unavailable" || r.Header.Get("Retry-After") == "" {
			t.Fatalf("readyz without a store: %d %q Retry-After=%q %s", r.Status, r.code(), r.Header.Get("Retry-After"), r.Raw)
		}
		// The failure is counted as the store_error event (docs/operations.md).
		if m := e.do("GET", "/metrics", nil, nil); !strings.Contains(string(m.Raw), "\nportico_events_total{event=\"store_error\"} 1\n") {
			t.Errorf("metrics after a store failure: %.2000s", m.Raw)
		}
		if r := e.do("GET", "/healthz", nil, nil); r.Status != 200 {
			t.Fatalf("healthz without a store: %d", r.Status)
		}
	})
}

// A client picks the method it sends: methods HTTP does not define are
// counted as one, so that requests with made-up methods cannot add series
// to /metrics without bound.
func TestOps_MetricsMethodLabelIsBounded(t *testing.T) {
	e := newEnv(t, storetest.Engines(t)[0])
	for _, m := range []string{"FROB1", "FROB2", "get"} {
		if r := e.do(m, "/v1/me", nil, nil); r.Status != 405 && r.Status != 404 {
			t.Fatalf("%s: %d", m, r.Status)
		}
	}
	e.do("GET", "/healthz", nil, nil)
	body := string(e.do("GET", "/metrics", nil, nil).Raw)
	for _, m := range []string{"FROB1", "FROB2", `method="get"`} {
		if strings.Contains(body, m) {
			t.Errorf("/metrics holds a series for the method %s", m)
		}
	}
	for _, want := range []string{`method="other"`, `method="GET"`} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics has no series with %s", want)
		}
	}
}
