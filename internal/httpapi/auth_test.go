package httpapi_test

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/porticohq/portico/internal/portico"
	"github.com/porticohq/portico/internal/store/storetest"
)

// appRoutes are the app-authenticated endpoints of routes.go, each with a
// body it would accept.
func appRoutes(userID, accountID string) []struct {
	method, path string
	body         any
} {
	return []struct {
		method, path string
		body         any
	}{
		{"GET", "/v1/app", nil},
		{"PATCH", "/v1/app", map[string]any{"name": "changed"}},
		{"POST", "/v1/users", map[string]any{"external_id": "new-user"}},
		{"GET", "/v1/users", nil},
		{"GET", "/v1/users/" + userID, nil},
		{"PATCH", "/v1/users/" + userID, map[string]any{"name": "changed"}},
		{"DELETE", "/v1/users/" + userID, nil},
		{"DELETE", "/v1/users/" + userID + "/sessions", nil},
		{"POST", "/v1/sessions", map[string]any{"user": map[string]any{"external_id": "new-user"}}},
		{"GET", "/v1/sessions", nil},
		{"POST", "/v1/tokens/refresh", map[string]any{"refresh_token": "prt_x"}},
		{"POST", "/v1/accounts", map[string]any{"name": "changed"}},
		{"GET", "/v1/accounts", nil},
		{"GET", "/v1/accounts/" + accountID, nil},
		{"PATCH", "/v1/accounts/" + accountID, map[string]any{"name": "changed"}},
		{"DELETE", "/v1/accounts/" + accountID, nil},
		{"PUT", "/v1/integrations/stripe", map[string]any{"template": "stripe"}},
		{"GET", "/v1/integrations", nil},
		{"GET", "/v1/integrations/stripe", nil},
		{"DELETE", "/v1/integrations/stripe", nil},
		{"GET", "/v1/connections", nil},
		{"GET", "/v1/connections/con_x", nil},
		{"DELETE", "/v1/connections/con_x", nil},
		{"PUT", "/v1/users/" + userID + "/connections/stripe", map[string]any{"credentials": map[string]string{"api_key": "sk_x"}}},
	}
}

func TestAuth_EveryAppEndpointRefusesBadKeys(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		appID, key := e.newApp("acme")
		userID := e.mustUser(key, map[string]any{"external_id": "u-1", "name": "Ann"})
		accountID := e.mustAccount(key, "team")
		revoked, revokedRaw, err := e.Svc.CreateAPIKey(context.Background(), appID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.DB.RevokeAPIKey(context.Background(), appID, revoked.ID); err != nil {
			t.Fatal(err)
		}
		unknown, _ := portico.NewToken(portico.PrefixAPIKeySecret)
		var cases []scenario
		for _, rt := range appRoutes(userID, accountID) {
			p := rt.method + " " + rt.path + ": "
			sep := "?"
			if strings.Contains(rt.path, "?") {
				sep = "&"
			}
			cases = append(cases,
				scenario{name: p + "missing key", method: rt.method, path: rt.path, headers: map[string]string{}, body: rt.body,
					status: 401, code: "unauthenticated", readOnly: true, check: wantWWWAuthenticate},
				scenario{name: p + "unknown key", method: rt.method, path: rt.path, headers: auth(unknown), body: rt.body,
					status: 401, code: "invalid_api_key", readOnly: true},
				scenario{name: p + "revoked key", method: rt.method, path: rt.path, headers: map[string]string{"X-API-Key": revokedRaw}, body: rt.body,
					status: 401, code: "invalid_api_key", readOnly: true},
				scenario{name: p + "malformed key", method: rt.method, path: rt.path, headers: auth("not-a-key"), body: rt.body,
					status: 401, code: "invalid_api_key", readOnly: true},
				scenario{name: p + "key in the query string", method: rt.method, path: rt.path + sep + "api_key=" + key, headers: map[string]string{}, body: rt.body,
					status: 401, code: "unauthenticated", readOnly: true, check: wantWWWAuthenticate},
			)
		}
		e.run(t, key, []string{appID}, cases)
		if strings.Contains(e.logs.String(), key) || strings.Contains(e.logs.String(), revokedRaw) {
			t.Error("an API key appears in the log")
		}
	})
}

func wantWWWAuthenticate(t *testing.T, r response) {
	t.Helper()
	if h := r.Header.Get("WWW-Authenticate"); !strings.HasPrefix(h, "Bearer") {
		t.Errorf("WWW-Authenticate = %q, want a Bearer challenge", h)
	}
}

func TestAuth_KeyForms(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		appID, key := e.newApp("acme")
		other, otherKey := e.newApp("other")
		isApp := func(id string) func(t *testing.T, r response) {
			return func(t *testing.T, r response) {
				if r.Body["id"] != id {
					t.Errorf("authenticated as %v, want %s", r.Body["id"], id)
				}
			}
		}
		e.run(t, key, []string{appID, other}, []scenario{
			{name: "bearer", method: "GET", path: "/v1/app", headers: auth(key), status: 200, check: isApp(appID)},
			{name: "bearer in lower case", method: "GET", path: "/v1/app", headers: map[string]string{"Authorization": "bearer " + key}, status: 200, check: isApp(appID)},
			{name: "X-API-Key", method: "GET", path: "/v1/app", headers: map[string]string{"X-API-Key": key}, status: 200, check: isApp(appID)},
			{name: "basic scheme is not a key", method: "GET", path: "/v1/app", headers: map[string]string{"Authorization": "Basic " + key}, status: 401, code: "unauthenticated"},
			{name: "empty bearer", method: "GET", path: "/v1/app", headers: map[string]string{"Authorization": "Bearer"}, status: 401, code: "unauthenticated"},
			{name: "key with a suffix", method: "GET", path: "/v1/app", headers: auth(key + "x"), status: 401, code: "invalid_api_key"},
			{name: "key without its prefix", method: "GET", path: "/v1/app", headers: auth(strings.TrimPrefix(key, "pk_")), status: 401, code: "invalid_api_key"},
			{name: "session-token prefix", method: "GET", path: "/v1/app", headers: auth("pst_" + strings.TrimPrefix(key, "pk_")), status: 401, code: "invalid_api_key"},
			{name: "query string ?key=", method: "GET", path: "/v1/app?key=" + key, headers: map[string]string{}, status: 401, code: "unauthenticated"},
			{name: "query string ?access_token=", method: "GET", path: "/v1/app?access_token=" + key, headers: map[string]string{}, status: 401, code: "unauthenticated"},
			{name: "query string does not override a bad header", method: "GET", path: "/v1/app?api_key=" + key, headers: auth("not-a-key"), status: 401, code: "invalid_api_key"},
			// Which app a request acts for never depends on which header
			// is read first.
			{name: "one key in both headers", method: "GET", path: "/v1/app", headers: map[string]string{"X-API-Key": key, "Authorization": "Bearer " + key}, status: 200, check: isApp(appID)},
			{name: "two apps' keys", method: "GET", path: "/v1/app", headers: map[string]string{"X-API-Key": otherKey, "Authorization": "Bearer " + key}, status: 401, code: "invalid_api_key"},
		})
		// A credential header sent twice: refused on the app's and on the
		// user's endpoints, whatever the order.
		for _, path := range []string{"/v1/app", "/v1/me"} {
			req, _ := http.NewRequest("GET", e.URL+path, nil)
			req.Header.Add("Authorization", "Bearer "+otherKey)
			req.Header.Add("Authorization", "Bearer "+key)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != 401 {
				t.Errorf("%s with two Authorization headers: %d", path, res.StatusCode)
			}
		}
	})
}

// Unknown, malformed and revoked keys must be indistinguishable: the same
// status, headers and body but for the request id.
func TestAuth_BadKeysLookAlike(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		appID, key := e.newApp("acme")
		k, raw, err := e.Svc.CreateAPIKey(context.Background(), appID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if r := e.do("GET", "/v1/app", auth(raw), nil); r.Status != http.StatusOK {
			t.Fatalf("fresh key: %d %s", r.Status, r.Raw)
		}
		if err := e.DB.RevokeAPIKey(context.Background(), appID, k.ID); err != nil {
			t.Fatal(err)
		}
		unknown, _ := portico.NewToken(portico.PrefixAPIKeySecret)
		var first map[string]any
		var firstHeaders http.Header
		for _, tc := range []struct{ name, key string }{
			{"unknown", unknown},
			{"malformed", "hello"},
			{"wrong prefix", "xx_" + strings.Repeat("a", 43)},
			{"revoked", raw},
			{"revoked via X-API-Key", raw},
		} {
			h := auth(tc.key)
			if strings.HasSuffix(tc.name, "X-API-Key") {
				h = map[string]string{"X-API-Key": tc.key}
			}
			r := e.do("GET", "/v1/app", h, nil)
			if r.Status != http.StatusUnauthorized || r.code() != "invalid_api_key" {
				t.Fatalf("%s: %d %s", tc.name, r.Status, r.Raw)
			}
			body := r.Body["error"].(map[string]any)
			delete(body, "request_id")
			hdr := r.Header.Clone()
			for _, h := range []string{"X-Request-Id", "Date"} {
				hdr.Del(h)
			}
			if first == nil {
				first, firstHeaders = body, hdr
				continue
			}
			if !reflect.DeepEqual(body, first) {
				t.Errorf("%s: body %v differs from %v", tc.name, body, first)
			}
			if !reflect.DeepEqual(hdr, firstHeaders) {
				t.Errorf("%s: headers %v differ from %v", tc.name, hdr, firstHeaders)
			}
		}
		// The good key of the app still works.
		if r := e.do("GET", "/v1/app", auth(key), nil); r.Status != http.StatusOK {
			t.Fatalf("good key: %d %s", r.Status, r.Raw)
		}
	})
}

// Every response, of every kind, carries a request id, and no two share one.
func TestRequestIDOnEveryResponse(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		_, key := e.newApp("acme")
		seen := map[string]bool{}
		for _, rq := range []struct {
			method, path string
			h            map[string]string
			body         any
		}{
			{"GET", "/healthz", nil, nil},
			{"GET", "/readyz", nil, nil},
			{"GET", "/metrics", nil, nil},
			{"GET", "/v1/app", auth(key), nil},
			{"GET", "/v1/app", nil, nil},
			{"POST", "/v1/users", auth(key), map[string]any{"external_id": "u"}},
			{"POST", "/v1/users", auth(key), "{"},
			{"DELETE", "/v1/users/usr_nope", auth(key), nil},
			{"GET", "/nope", nil, nil},
			{"PUT", "/v1/app", auth(key), nil},
		} {
			r := e.do(rq.method, rq.path, rq.h, rq.body)
			id := r.Header.Get("X-Request-Id")
			if !strings.HasPrefix(id, "req_") || seen[id] {
				t.Errorf("%s %s: X-Request-Id %q (seen before: %v)", rq.method, rq.path, id, seen[id])
			}
			seen[id] = true
		}
	})
}
