package httpapi_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/porticohq/portico/internal/store/storetest"
)

func settingsOf(r response) map[string]any {
	s, _ := r.Body["settings"].(map[string]any)
	return s
}

func TestApp_Get(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		appID, key := e.newApp("Acme")
		otherID, otherKey := e.newApp("Other")
		e.run(t, key, []string{appID, otherID}, []scenario{
			{name: "own app with defaults", method: "GET", path: "/v1/app", status: 200, readOnly: true, check: func(t *testing.T, r response) {
				want := map[string]any{
					"id": appID, "name": "Acme", "created_at": e.Clock.Now().Format("2006-01-02T15:04:05Z"),
					"settings": map[string]any{
						"session_ttl_seconds": 3600.0, "max_session_ttl_seconds": 604800.0, "configuration_url_ttl_seconds": 900.0,
						"max_sessions_per_user": 10.0, "session_limit_policy": "evict_oldest", "allowed_redirect_uris": []any{}, "allowed_frame_origins": []any{},
						"theme": map[string]any{}, "webhook_url": nil, "max_users": nil,
						"connect_session_tokens": true, "connect_id_tokens": true, "mcp_max_result_bytes": 102400.0,
						"activity_retention_days": 30.0, "perform_rate_per_user": 120.0, "perform_burst_per_user": 20.0,
						"approval_default_for_delete": "auto", "user_verification_url": nil,
					},
				}
				if !reflect.DeepEqual(r.Body, want) {
					t.Errorf("GET /v1/app =\n %v\nwant %v", r.Body, want)
				}
			}},
			{name: "another key sees its own app", method: "GET", path: "/v1/app", headers: auth(otherKey), status: 200, readOnly: true, check: func(t *testing.T, r response) {
				if r.Body["id"] != otherID || r.Body["name"] != "Other" {
					t.Errorf("got %v", r.Body)
				}
			}},
		})
	})
}

func TestApp_PatchRejects(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		appID, key := e.newApp("Acme")
		otherID, _ := e.newApp("Other")
		set := func(name string, v any) map[string]any { return map[string]any{"settings": map[string]any{name: v}} }
		manyURIs := make([]string, 101)
		for i := range manyURIs {
			manyURIs[i] = fmt.Sprintf("https://app.example.com/cb/%d", i)
		}
		invalid := func(name string, body any, field string) scenario {
			return scenario{name: name, method: "PATCH", path: "/v1/app", body: body, status: 422, code: "validation_failed", field: field, readOnly: true}
		}
		cases := []scenario{
			invalid("empty name", map[string]any{"name": "  "}, "name"),
			invalid("name with a line break", map[string]any{"name": "a\nb"}, "name"),
			invalid("name too long", map[string]any{"name": strings.Repeat("n", 256)}, "name"),
			invalid("session_ttl_seconds 0", set("session_ttl_seconds", 0), "settings.session_ttl_seconds"),
			invalid("session_ttl_seconds negative", set("session_ttl_seconds", -1), "settings.session_ttl_seconds"),
			invalid("session_ttl_seconds above the maximum", set("session_ttl_seconds", 604801), "settings.session_ttl_seconds"),
			invalid("max_session_ttl_seconds 0", set("max_session_ttl_seconds", 0), "settings.max_session_ttl_seconds"),
			invalid("max_session_ttl_seconds above a year", set("max_session_ttl_seconds", 365*24*3600+1), "settings.max_session_ttl_seconds"),
			invalid("max_session_ttl_seconds below session_ttl_seconds",
				map[string]any{"settings": map[string]any{"session_ttl_seconds": 7200, "max_session_ttl_seconds": 3600}}, "settings.session_ttl_seconds"),
			invalid("configuration_url_ttl_seconds too short", set("configuration_url_ttl_seconds", 29), "settings.configuration_url_ttl_seconds"),
			invalid("configuration_url_ttl_seconds too long", set("configuration_url_ttl_seconds", 86401), "settings.configuration_url_ttl_seconds"),
			// Counts of seconds that would wrap around inside a Duration.
			invalid("session_ttl_seconds beyond a Duration", set("session_ttl_seconds", 9300000000), "settings.session_ttl_seconds"),
			invalid("max_session_ttl_seconds beyond a Duration", set("max_session_ttl_seconds", 9300000000), "settings.max_session_ttl_seconds"),
			invalid("configuration_url_ttl_seconds beyond a Duration", set("configuration_url_ttl_seconds", 9300000000), "settings.configuration_url_ttl_seconds"),
			invalid("max_session_ttl_seconds beyond int64", `{"settings":{"max_session_ttl_seconds":99999999999999999999}}`, "settings.max_session_ttl_seconds"),
			invalid("max_sessions_per_user 0", set("max_sessions_per_user", 0), "settings.max_sessions_per_user"),
			invalid("max_sessions_per_user negative", set("max_sessions_per_user", -3), "settings.max_sessions_per_user"),
			invalid("session_limit_policy unknown", set("session_limit_policy", "drop_newest"), "settings.session_limit_policy"),
			invalid("session_limit_policy empty", set("session_limit_policy", ""), "settings.session_limit_policy"),
			invalid("redirect URI relative", set("allowed_redirect_uris", []string{"/settings"}), "settings.allowed_redirect_uris"),
			invalid("redirect URI javascript", set("allowed_redirect_uris", []string{"javascript:alert(1)"}), "settings.allowed_redirect_uris"),
			invalid("redirect URI with fragment", set("allowed_redirect_uris", []string{"https://app.example.com/cb#x"}), "settings.allowed_redirect_uris"),
			invalid("redirect URI with credentials", set("allowed_redirect_uris", []string{"https://u:p@app.example.com/cb"}), "settings.allowed_redirect_uris"),
			invalid("frame origin with a path", set("allowed_frame_origins", []string{"https://app.example.com/x"}), "settings.allowed_frame_origins"),
			invalid("frame origin as a CSP keyword", set("allowed_frame_origins", []string{"'self'"}), "settings.allowed_frame_origins"),
			invalid("frame origin with a wildcard", set("allowed_frame_origins", []string{"https://*.example.com"}), "settings.allowed_frame_origins"),
			invalid("frame origin in capitals", set("allowed_frame_origins", []string{"https://App.Example.com"}), "settings.allowed_frame_origins"),
			invalid("redirect URI with CRLF", set("allowed_redirect_uris", []string{"https://app.example.com/cb\r\nX: y"}), "settings.allowed_redirect_uris"),
			invalid("too many redirect URIs", set("allowed_redirect_uris", manyURIs), "settings.allowed_redirect_uris"),
			invalid("theme colour", set("theme", map[string]any{"primary_color": "red"}), "settings.theme.primary_color"),
			invalid("theme sidebar colour", set("theme", map[string]any{"sidebar_text_color": "#12345"}), "settings.theme.sidebar_text_color"),
			invalid("theme logo javascript", set("theme", map[string]any{"logo_url": "javascript:alert(1)"}), "settings.theme.logo_url"),
			invalid("theme terms relative", set("theme", map[string]any{"terms_url": "/terms"}), "settings.theme.terms_url"),
			invalid("theme name too long", set("theme", map[string]any{"name": strings.Repeat("x", 101)}), "settings.theme.name"),
			invalid("webhook_url not a URL", set("webhook_url", "not a url"), "settings.webhook_url"),
			invalid("webhook_url ftp", set("webhook_url", "ftp://hooks.example.com/"), "settings.webhook_url"),
			invalid("webhook_url too long", set("webhook_url", "https://hooks.example.com/"+strings.Repeat("a", 2048)), "settings.webhook_url"),
			invalid("webhook_url port out of range", set("webhook_url", "https://hooks.example.com:99999/"), "settings.webhook_url"),
			invalid("webhook_url port 0", set("webhook_url", "https://hooks.example.com:0/"), "settings.webhook_url"),
			invalid("webhook_url with a fragment", set("webhook_url", "https://hooks.example.com/h#frag"), "settings.webhook_url"),
			invalid("logo_url port out of range", set("theme", map[string]any{"logo_url": "https://cdn.example.com:70000/l.png"}), "settings.theme.logo_url"),
			{name: "webhook_url with user info", method: "PATCH", path: "/v1/app", body: set("webhook_url", "https://u:p@hooks.example.com/h"), status: 422,
				code: "validation_failed", field: "settings.webhook_url", readOnly: true,
				message: "webhook_url must not hold user info (user:password@); send credentials another way."},
			// Deliveries to these are refused at dial (docs/webhooks.md), so
			// the URL is refused when set; this server does not run with
			// --allow-private-upstreams.
			invalid("webhook_url on loopback", set("webhook_url", "http://127.0.0.1:9000/hooks"), "settings.webhook_url"),
			invalid("webhook_url on localhost", set("webhook_url", "https://localhost/hooks"), "settings.webhook_url"),
			invalid("webhook_url on IPv6 loopback", set("webhook_url", "http://[::1]/hooks"), "settings.webhook_url"),
			invalid("webhook_url on a private network", set("webhook_url", "https://10.1.2.3/hooks"), "settings.webhook_url"),
			invalid("webhook_url on the metadata address", set("webhook_url", "http://169.254.169.254/latest"), "settings.webhook_url"),
			invalid("webhook_url on an internal name", set("webhook_url", "https://hooks.internal/h"), "settings.webhook_url"),
			invalid("webhook_url in a hexadecimal spelling", set("webhook_url", "http://0x7f000001/hooks"), "settings.webhook_url"),
			{name: "webhook_url on loopback says why", method: "PATCH", path: "/v1/app", body: set("webhook_url", "http://127.0.0.1:9000/hooks"), status: 422,
				code: "validation_failed", field: "settings.webhook_url", readOnly: true,
				message: "webhook_url names a loopback, private or link-local address, where deliveries are refused unless the server runs with --allow-private-upstreams."},
			invalid("max_users 0", set("max_users", 0), "settings.max_users"),
			invalid("max_users negative", set("max_users", -1), "settings.max_users"),
			{name: "max_users a string", method: "PATCH", path: "/v1/app", body: set("max_users", "5"), status: 400, code: "invalid_request", field: "settings.max_users", readOnly: true},
			{name: "ttl a fraction", method: "PATCH", path: "/v1/app", body: set("session_ttl_seconds", 1.5), status: 400, code: "invalid_request", field: "settings.session_ttl_seconds", readOnly: true},
			{name: "unknown setting", method: "PATCH", path: "/v1/app", body: set("bogus", 1), status: 400, code: "invalid_request", field: "settings.bogus", readOnly: true},
			{name: "token switch not a boolean", method: "PATCH", path: "/v1/app", body: set("connect_id_tokens", "no"), status: 400, code: "invalid_request", field: "settings.connect_id_tokens", readOnly: true},
			{name: "unknown theme field", method: "PATCH", path: "/v1/app", body: set("theme", map[string]any{"font": "x"}), status: 400, code: "invalid_request", field: "settings.theme.font", readOnly: true},
			{name: "read-only field id", method: "PATCH", path: "/v1/app", body: map[string]any{"id": "app_x"}, status: 400, code: "invalid_request", field: "id", readOnly: true},
			{name: "duplicate nested key", method: "PATCH", path: "/v1/app", body: `{"settings":{"max_users":5,"max_users":null}}`, status: 400, code: "invalid_request", field: "settings.max_users", readOnly: true},
			invalid("mcp result bound below 1024", set("mcp_max_result_bytes", 1023), "settings.mcp_max_result_bytes"),
			invalid("mcp result bound above 4194304", set("mcp_max_result_bytes", 4194305), "settings.mcp_max_result_bytes"),
			// One bad setting fails the whole patch: the good ones beside it are not applied.
			invalid("good and bad together", map[string]any{"name": "New", "settings": map[string]any{"session_ttl_seconds": 60, "max_users": 0}}, "settings.max_users"),
		}
		cases = append(cases, withKey(key, hostileBodies("PATCH", "/v1/app", `{"name":"x"}`))...)
		e.run(t, key, []string{appID, otherID}, cases)
	})
}

func TestApp_Patch(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		appID, key := e.newApp("Acme")
		otherID, otherKey := e.newApp("Other")
		otherBefore := e.snapshot(otherID)

		r := e.do("PATCH", "/v1/app", auth(key), map[string]any{"name": "  Acme Inc  ", "settings": map[string]any{
			"session_ttl_seconds": 60, "max_session_ttl_seconds": 120, "configuration_url_ttl_seconds": 30,
			"max_sessions_per_user": 3, "session_limit_policy": "reject",
			"allowed_redirect_uris": []string{"https://app.example.com/done", "http://localhost:3000/cb"},
			"allowed_frame_origins": []string{"https://app.example.com"},
			"theme":                 map[string]any{"name": "Acme", "primary_color": "#286efa", "logo_url": "https://cdn.example.com/logo.png"},
			"max_users":             5,
			"connect_id_tokens":     false,
			"mcp_max_result_bytes":  2048,
		}})
		if r.Status != 200 {
			t.Fatalf("patch: %d %s", r.Status, r.Raw)
		}
		if _, ok := r.Body["webhook_secret"]; ok || r.Header.Get("Cache-Control") == "no-store" {
			t.Errorf("a patch without webhook_url returned a secret: %s", r.Raw)
		}
		want := map[string]any{
			"session_ttl_seconds": 60.0, "max_session_ttl_seconds": 120.0, "configuration_url_ttl_seconds": 30.0,
			"max_sessions_per_user": 3.0, "session_limit_policy": "reject",
			"allowed_redirect_uris": []any{"https://app.example.com/done", "http://localhost:3000/cb"},
			"allowed_frame_origins": []any{"https://app.example.com"},
			"theme":                 map[string]any{"name": "Acme", "primary_color": "#286efa", "logo_url": "https://cdn.example.com/logo.png"},
			"webhook_url":           nil, "max_users": 5.0,
			"connect_session_tokens": true, "connect_id_tokens": false, "mcp_max_result_bytes": 2048.0,
			"activity_retention_days": 30.0, "perform_rate_per_user": 120.0, "perform_burst_per_user": 20.0,
			"approval_default_for_delete": "auto", "user_verification_url": nil,
		}
		if r.Body["name"] != "Acme Inc" || !reflect.DeepEqual(settingsOf(r), want) {
			t.Fatalf("patched:\n %s\nwant settings %v", r.Raw, want)
		}
		if g := e.do("GET", "/v1/app", auth(key), nil); !reflect.DeepEqual(g.Body, r.Body) {
			t.Fatalf("GET after PATCH:\n %s\n %s", g.Raw, r.Raw)
		}

		// A patch changes only what it names.
		r = e.do("PATCH", "/v1/app", auth(key), map[string]any{"settings": map[string]any{"session_ttl_seconds": 90}})
		want["session_ttl_seconds"] = 90.0
		if r.Status != 200 || !reflect.DeepEqual(settingsOf(r), want) || r.Body["name"] != "Acme Inc" {
			t.Fatalf("partial patch: %s", r.Raw)
		}
		r = e.do("PATCH", "/v1/app", auth(key), map[string]any{})
		if r.Status != 200 || !reflect.DeepEqual(settingsOf(r), want) {
			t.Fatalf("empty patch: %s", r.Raw)
		}

		// null max_users means unlimited; leaving it out keeps it.
		r = e.do("PATCH", "/v1/app", auth(key), `{"settings":{"max_users":null}}`)
		if r.Status != 200 || settingsOf(r)["max_users"] != nil {
			t.Fatalf("null max_users: %s", r.Raw)
		}
		if _, ok := settingsOf(r)["max_users"]; !ok {
			t.Fatalf("max_users missing instead of null: %s", r.Raw)
		}
		e.do("PATCH", "/v1/app", auth(key), map[string]any{"settings": map[string]any{"max_users": 7}})
		r = e.do("PATCH", "/v1/app", auth(key), map[string]any{"settings": map[string]any{"max_session_ttl_seconds": 200}})
		if settingsOf(r)["max_users"] != 7.0 {
			t.Fatalf("max_users lost by an unrelated patch: %s", r.Raw)
		}

		// An empty list clears the redirect URIs.
		r = e.do("PATCH", "/v1/app", auth(key), map[string]any{"settings": map[string]any{"allowed_redirect_uris": []string{}}})
		if r.Status != 200 || !reflect.DeepEqual(settingsOf(r)["allowed_redirect_uris"], []any{}) {
			t.Fatalf("clear redirect URIs: %s", r.Raw)
		}

		if after := e.snapshot(otherID); after != otherBefore {
			t.Errorf("patching one app changed another:\n%s\n%s", otherBefore, after)
		}
		if g := e.do("GET", "/v1/app", auth(otherKey), nil); g.Body["name"] != "Other" || settingsOf(g)["max_users"] != nil {
			t.Errorf("other app: %s", g.Raw)
		}
		_ = appID
	})
}

func TestApp_WebhookSecretShownOnce(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		_, key := e.newApp("Acme")
		hook := func(v any) response {
			return e.do("PATCH", "/v1/app", auth(key), map[string]any{"settings": map[string]any{"webhook_url": v}})
		}
		r := hook("https://hooks.example.com/portico")
		secret, _ := r.Body["webhook_secret"].(string)
		if r.Status != 200 || !strings.HasPrefix(secret, "whsec_") || len(secret) < 40 {
			t.Fatalf("set webhook: %s", r.Raw)
		}
		if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control = %q with a secret in the body", cc)
		}
		if settingsOf(r)["webhook_url"] != "https://hooks.example.com/portico" {
			t.Errorf("webhook_url = %v", settingsOf(r)["webhook_url"])
		}
		g := e.do("GET", "/v1/app", auth(key), nil)
		if _, ok := g.Body["webhook_secret"]; ok || strings.Contains(string(g.Raw), secret) {
			t.Fatalf("GET shows the secret: %s", g.Raw)
		}
		if settingsOf(g)["webhook_url"] != "https://hooks.example.com/portico" {
			t.Errorf("GET webhook_url = %v", settingsOf(g)["webhook_url"])
		}
		// The same URL again keeps the secret and does not show it.
		r = hook("https://hooks.example.com/portico")
		if _, ok := r.Body["webhook_secret"]; ok || r.Status != 200 {
			t.Fatalf("same URL again: %s", r.Raw)
		}
		// An unrelated patch does not show it either.
		r = e.do("PATCH", "/v1/app", auth(key), map[string]any{"name": "Acme 2"})
		if _, ok := r.Body["webhook_secret"]; ok {
			t.Fatalf("unrelated patch: %s", r.Raw)
		}
		// A new URL rotates it.
		r = hook("https://hooks.example.com/v2")
		second, _ := r.Body["webhook_secret"].(string)
		if !strings.HasPrefix(second, "whsec_") || second == secret || r.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("new URL: %s", r.Raw)
		}
		// null removes the webhook.
		r = hook(nil)
		if r.Status != 200 || settingsOf(r)["webhook_url"] != nil {
			t.Fatalf("remove webhook: %s", r.Raw)
		}
		if _, ok := r.Body["webhook_secret"]; ok {
			t.Fatalf("remove webhook returned a secret: %s", r.Raw)
		}
		// Setting it again afterwards issues a fresh secret.
		r = hook("https://hooks.example.com/v2")
		third, _ := r.Body["webhook_secret"].(string)
		if !strings.HasPrefix(third, "whsec_") || third == second {
			t.Fatalf("re-set webhook: %s", r.Raw)
		}
		if strings.Contains(e.logs.String(), third) || strings.Contains(e.logs.String(), secret) {
			t.Error("a webhook secret appears in the log")
		}
	})
}
