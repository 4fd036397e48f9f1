package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/porticohq/portico/internal/store/storetest"
)

// tenantUpstream is a provider with one tenant per path prefix: GET
// /t/{tenant}/me answers who the key belongs to (401 for a wrong key), and
// every other path echoes the request.
func tenantUpstream(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/me") {
			if r.Header.Get("X-Api-Key") != "good-key" {
				w.WriteHeader(http.StatusUnauthorized)
				json.NewEncoder(w).Encode(map[string]any{"message": "Bad credentials"})
				return
			}
			json.NewEncoder(w).Encode(map[string]any{"user": map[string]any{"name": "Ann Lee", "id": 7}})
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"path": r.URL.Path, "version": r.Header.Get("X-Version"), "key": r.Header.Get("X-Api-Key")})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestIntegration_SettingsGuideVerify: the descriptive parts of an
// integration are validated at PUT with the field named and shown by GET;
// a connection's settings fill the base URL; the verify request runs at
// connect time against the provider (docs/catalog-data.md).
func TestIntegration_SettingsGuideVerify(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng, withUpstream)
		_, key := e.newApp("acme")
		k := auth(key)
		up := tenantUpstream(t)
		def := func() map[string]any {
			return map[string]any{
				"name": "Tenant API", "category": "crm", "base_url": up.URL + "/t/{tenant}",
				"description": "Contacts in a tenant.", "brand_color": "#AABBCC", "logo_url": "https://example.com/logo.svg",
				"source_url": "https://example.com/docs",
				"guide":      map[string]any{"steps": []string{"Open Settings → API.", "Copy the key."}, "url": "https://example.com/keys"},
				"settings_fields": []any{map[string]any{"name": "tenant", "label": "Tenant", "pattern": "^[a-z]+$", "placeholder": "acme"},
					map[string]any{"name": "team", "label": "Team", "optional": true}},
				"headers": map[string]any{"X-Version": "2024-01", "X-Team": "{team}"},
				"verify":  map[string]any{"method": "get", "path": "/me", "label_pointer": "/user/name"},
				"auth": map[string]any{"type": "api_key", "fields": []any{map[string]any{"name": "api_key", "secret": true}},
					"inject": map[string]any{"header": "X-API-Key", "format": "{api_key}"}},
			}
		}
		r := e.do("PUT", "/v1/integrations/tenant", k, def())
		if r.Status != 201 {
			t.Fatalf("put: %d %s", r.Status, r.Raw)
		}
		if r.Body["brand_color"] != "#aabbcc" || r.Body["description"] != "Contacts in a tenant." || r.Body["base_url"] != up.URL+"/t/{tenant}" {
			t.Fatalf("shown: %s", r.Raw)
		}
		v := r.Body["verify"].(map[string]any)
		if v["method"] != "GET" || v["expected_status"] != float64(200) || v["label_pointer"] != "/user/name" {
			t.Fatalf("verify normalised: %v", v)
		}

		// Each rule refuses with the field named, and nothing is stored.
		for _, c := range []struct {
			field  string
			change func(m map[string]any)
		}{
			{"base_url", func(m map[string]any) { m["base_url"] = up.URL + "/t/{region}" }},
			{"base_url", func(m map[string]any) { m["base_url"] = up.URL + "/t/{team}" }},
			{"brand_color", func(m map[string]any) { m["brand_color"] = "#abc" }},
			{"logo_url", func(m map[string]any) { m["logo_url"] = "http://example.com/logo.svg" }},
			{"guide.url", func(m map[string]any) {
				m["guide"] = map[string]any{"steps": []string{"x"}, "url": "ftp://example.com"}
			}},
			{"settings_fields[0].name", func(m map[string]any) {
				m["settings_fields"] = []any{map[string]any{"name": "api_key", "label": "Key"}}
				m["base_url"] = up.URL
			}},
			{"settings_fields[0].pattern", func(m map[string]any) {
				m["settings_fields"].([]any)[0].(map[string]any)["pattern"] = "(unclosed"
			}},
			{"headers.Authorization", func(m map[string]any) { m["headers"] = map[string]any{"Authorization": "x"} }},
			{"headers.X-Version", func(m map[string]any) { m["headers"] = map[string]any{"X-Version": "{nope}"} }},
			{"verify.label_pointer", func(m map[string]any) { m["verify"].(map[string]any)["label_pointer"] = "user/name" }},
			{"verify.label_pointer", func(m map[string]any) { m["verify"].(map[string]any)["label_pointer"] = "/a~2b" }},
			{"verify.path", func(m map[string]any) { m["verify"].(map[string]any)["path"] = "/{team}/me" }},
			{"verify.expected_status", func(m map[string]any) { m["verify"].(map[string]any)["expected_status"] = 404 }},
		} {
			m := def()
			c.change(m)
			r := e.do("PUT", "/v1/integrations/broken", k, m)
			if r.Status != 422 || r.code() != "validation_failed" || r.Body["error"].(map[string]any)["details"].(map[string]any)["field"] != c.field {
				t.Errorf("%s: %d %s", c.field, r.Status, r.Raw)
			}
		}
		if r := e.do("GET", "/v1/integrations/broken", k, nil); r.Status != 404 {
			t.Fatalf("a refused PUT stored something: %d", r.Status)
		}

		user := e.do("POST", "/v1/users", k, map[string]any{"external_id": "u-1"}).Body["id"].(string)
		connect := func(key string, settings map[string]any) response {
			body := map[string]any{"credentials": map[string]any{"api_key": key}}
			if settings != nil {
				body["settings"] = settings
			}
			return e.do("PUT", "/v1/users/"+user+"/connections/tenant", k, body)
		}
		for _, c := range []struct {
			settings map[string]any
			field    string
		}{
			{nil, "settings.tenant"},
			{map[string]any{"tenant": "Acme!"}, "settings.tenant"},
			{map[string]any{"tenant": "acme", "region": "eu"}, "settings.region"},
		} {
			r := connect("good-key", c.settings)
			if r.Status != 422 || r.Body["error"].(map[string]any)["details"].(map[string]any)["field"] != c.field {
				t.Errorf("settings %v: %d %s", c.settings, r.Status, r.Raw)
			}
		}
		// The provider rejects the key: refused inline, nothing stored.
		r = connect("bad-key", map[string]any{"tenant": "acme"})
		if r.Status != 422 || !strings.Contains(string(r.Raw), "Tenant API rejected this credential: 401 Bad credentials") {
			t.Fatalf("rejected key: %d %s", r.Status, r.Raw)
		}
		if r := e.do("GET", "/v1/connections?user_id="+user, k, nil); len(r.Body["data"].([]any)) != 0 {
			t.Fatalf("a rejected key was stored: %s", r.Raw)
		}
		r = connect("good-key", map[string]any{"tenant": "acme"})
		if r.Status != 201 || r.Body["account_label"] != "Ann Lee" || r.Body["settings"].(map[string]any)["tenant"] != "acme" || r.Body["warning"] != nil {
			t.Fatalf("connect: %d %s", r.Status, r.Raw)
		}
		if got := e.do("GET", "/v1/connections/"+r.Body["id"].(string), k, nil); got.Body["account_label"] != "Ann Lee" {
			t.Fatalf("stored: %s", got.Raw)
		}

		// Perform fills the base URL from the settings and sends the static
		// headers; a header whose setting is empty is left out.
		p := e.do("POST", "/v1/perform", k, map[string]any{"user": map[string]any{"id": user}, "integration": "tenant",
			"request": map[string]any{"method": "GET", "path": "/contacts"}})
		body, _ := p.Body["response"].(map[string]any)["body"].(map[string]any)
		if p.Status != 200 || body["path"] != "/t/acme/contacts" || body["version"] != "2024-01" || body["key"] != "good-key" {
			t.Fatalf("perform: %d %s", p.Status, p.Raw)
		}

		// An unreachable provider: stored, with a warning. Moving the
		// integration to it erases the connection made for the old host.
		dead := httptest.NewServer(http.NotFoundHandler())
		deadURL := dead.URL
		dead.Close()
		m := def()
		m["base_url"] = deadURL + "/t/{tenant}"
		if r := e.do("PUT", "/v1/integrations/tenant?force=true", k, m); r.Status != 200 {
			t.Fatalf("replace: %d %s", r.Status, r.Raw)
		}
		r = connect("good-key", map[string]any{"tenant": "beta"})
		w, _ := r.Body["warning"].(string)
		if r.Status != 201 || !strings.Contains(w, "could not be reached") || r.Body["account_label"] != nil {
			t.Fatalf("unreachable: %d %s", r.Status, r.Raw)
		}
		e.checkLogs()
	})
}

// TestIntegration_ScopesWithDescriptions: scopes are objects on the wire;
// plain strings are still accepted.
func TestIntegration_ScopesWithDescriptions(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		_, key := e.newApp("acme")
		r := e.do("PUT", "/v1/integrations/gh", auth(key), map[string]any{"name": "GH", "base_url": "https://api.github.com",
			"auth": map[string]any{"type": "oauth2", "oauth2": map[string]any{"authorize_url": "https://github.com/login/oauth/authorize",
				"token_url": "https://github.com/login/oauth/access_token", "client_id": "cid",
				"scopes":          []any{"repo", map[string]any{"name": "read:user", "description": "Read your profile"}},
				"scope_separator": ",", "authorize_params": map[string]any{"prompt": "consent"}, "pkce": false,
				"token_endpoint_auth_method": "client_secret_basic"}}})
		if r.Status != 201 {
			t.Fatalf("put: %d %s", r.Status, r.Raw)
		}
		o := r.Body["auth"].(map[string]any)["oauth2"].(map[string]any)
		b, _ := json.Marshal(o["scopes"])
		if string(b) != `[{"description":"","name":"repo"},{"description":"Read your profile","name":"read:user"}]` ||
			o["scope_separator"] != "," || o["pkce"] != false || o["token_endpoint_auth_method"] != "client_secret_basic" ||
			o["authorize_params"].(map[string]any)["prompt"] != "consent" {
			t.Fatalf("oauth2: %s", r.Raw)
		}
		for field, oauth := range map[string]map[string]any{
			"auth.oauth2.scope_separator":               {"scope_separator": ";"},
			"auth.oauth2.token_endpoint_auth_method":    {"token_endpoint_auth_method": "private_key_jwt"},
			"auth.oauth2.authorize_params.redirect_uri": {"authorize_params": map[string]any{"redirect_uri": "https://evil.example"}},
			"auth.oauth2.scopes[0].name":                {"scope_separator": ",", "scopes": []any{"a,b"}},
		} {
			oauth["authorize_url"], oauth["token_url"], oauth["client_id"] = "https://a.example/authorize", "https://a.example/token", "cid"
			r := e.do("PUT", "/v1/integrations/x", auth(key), map[string]any{"name": "X", "base_url": "https://a.example",
				"auth": map[string]any{"type": "oauth2", "oauth2": oauth}})
			if r.Status != 422 || r.Body["error"].(map[string]any)["details"].(map[string]any)["field"] != field {
				t.Errorf("%s: %d %s", field, r.Status, r.Raw)
			}
		}
	})
}

// A credential for a user outside the accounts an integration is
// restricted to is refused (403) before the provider is asked to verify
// it: the credential is not sent anywhere.
func TestConnections_RestrictedIntegrationRefusedBeforeVerify(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng, withUpstream)
		_, key := e.newApp("acme")
		k := auth(key)
		var hits atomic.Int32
		up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			w.Write([]byte(`{}`))
		}))
		t.Cleanup(up.Close)
		if r := e.do("POST", "/v1/accounts", k, map[string]any{"id": "vip", "name": "VIP"}); r.Status != 201 {
			t.Fatalf("account: %d %s", r.Status, r.Raw)
		}
		if r := e.do("PUT", "/v1/integrations/vip", k, map[string]any{"name": "VIP API", "base_url": up.URL, "account_ids": []string{"vip"},
			"verify": map[string]any{"method": "get", "path": "/me"},
			"auth": map[string]any{"type": "api_key", "fields": []any{map[string]any{"name": "api_key", "secret": true}},
				"inject": map[string]any{"header": "X-API-Key", "format": "{api_key}"}}}); r.Status != 201 {
			t.Fatalf("integration: %d %s", r.Status, r.Raw)
		}
		user := e.do("POST", "/v1/users", k, map[string]any{"external_id": "outsider"}).Body["id"].(string)
		r := e.do("PUT", "/v1/users/"+user+"/connections/vip", k, map[string]any{"credentials": map[string]any{"api_key": "k-1"}})
		if r.Status != 403 || r.code() != "forbidden" || hits.Load() != 0 {
			t.Fatalf("%d %s, %d calls to the provider", r.Status, r.Raw, hits.Load())
		}
	})
}

// TestIntegration_MoveDestinations: a replacement that would send users'
// credentials to another host is 409 while they are connected, unless
// ?force=true, which erases their connections; a kept client secret does
// not follow the token endpoint to another host.
func TestIntegration_MoveDestinations(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		_, key := e.newApp("acme")
		k := auth(key)
		def := func(base string) map[string]any {
			return map[string]any{"name": "CRM", "base_url": base, "auth": map[string]any{"type": "api_key",
				"fields": []any{map[string]any{"name": "api_key", "secret": true}}, "inject": map[string]any{"header": "X-API-Key", "format": "{api_key}"}}}
		}
		if r := e.do("PUT", "/v1/integrations/crm", k, def("https://api.crm.example/v1")); r.Status != 201 {
			t.Fatalf("create: %d %s", r.Status, r.Raw)
		}
		user := e.do("POST", "/v1/users", k, map[string]any{"external_id": "u-1"}).Body["id"].(string)
		if r := e.do("PUT", "/v1/users/"+user+"/connections/crm", k, map[string]any{"credentials": map[string]any{"api_key": "k1"}}); r.Status != 201 {
			t.Fatalf("connect: %d %s", r.Status, r.Raw)
		}
		if r := e.do("PUT", "/v1/integrations/crm", k, def("https://api.crm.example/v2")); r.Status != 200 {
			t.Fatalf("a new path on the same host: %d %s", r.Status, r.Raw)
		}
		r := e.do("PUT", "/v1/integrations/crm", k, def("https://collector.example"))
		details, _ := r.Body["error"].(map[string]any)["details"].(map[string]any)
		if r.Status != 409 || r.code() != "conflict" || details["connections"] != 1.0 || !strings.Contains(string(r.Raw), `"new_destinations":["https://collector.example"]`) {
			t.Fatalf("a new host: %d %s", r.Status, r.Raw)
		}
		if r := e.do("PUT", "/v1/integrations/crm?force=yes", k, def("https://collector.example")); r.Status != 400 || !strings.Contains(string(r.Raw), `"field":"force"`) {
			t.Fatalf("force=yes: %d %s", r.Status, r.Raw)
		}
		if r := e.do("GET", "/v1/integrations/crm", k, nil); r.Body["base_url"] != "https://api.crm.example/v2" {
			t.Fatalf("a refused PUT changed it: %s", r.Raw)
		}
		if r := e.do("PUT", "/v1/integrations/crm?force=true", k, def("https://collector.example")); r.Status != 200 {
			t.Fatalf("force: %d %s", r.Status, r.Raw)
		}
		if r := e.do("GET", "/v1/connections?user_id="+user, k, nil); len(r.Body["data"].([]any)) != 0 {
			t.Fatalf("force kept the connection: %s", r.Raw)
		}

		oauth := func(tokenURL string, secret any) map[string]any {
			o := map[string]any{"authorize_url": "https://login.crm.example/authorize", "token_url": tokenURL, "client_id": "cid", "scopes": []any{}}
			if secret != nil {
				o["client_secret"] = secret
			}
			return map[string]any{"name": "CRM", "base_url": "https://api.crm.example", "auth": map[string]any{"type": "oauth2", "oauth2": o}}
		}
		if r := e.do("PUT", "/v1/integrations/crm-oauth", k, oauth("https://login.crm.example/token", "s3cret")); r.Status != 201 {
			t.Fatalf("oauth: %d %s", r.Status, r.Raw)
		}
		if r := e.do("PUT", "/v1/integrations/crm-oauth", k, oauth("https://login.crm.example/oauth/token", nil)); r.Status != 200 {
			t.Fatalf("a kept secret, same host: %d %s", r.Status, r.Raw)
		}
		for _, kept := range []any{nil, "********"} {
			r := e.do("PUT", "/v1/integrations/crm-oauth", k, oauth("https://collector.example/token", kept))
			if r.Status != 422 || !strings.Contains(string(r.Raw), `"field":"auth.oauth2.client_secret"`) || !strings.Contains(string(r.Raw), "send the client secret again") {
				t.Fatalf("a kept secret, another host (%v): %d %s", kept, r.Status, r.Raw)
			}
		}
		if r := e.do("PUT", "/v1/integrations/crm-oauth", k, oauth("https://collector.example/token", "another")); r.Status != 200 {
			t.Fatalf("a secret sent again: %d %s", r.Status, r.Raw)
		}
		e.checkLogs()
	})
}
