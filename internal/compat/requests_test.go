package compat_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/porticohq/portico/internal/compat/compattest"
)

// A compressed body is refused on every surface with its own 4xx, never
// answered as a server fault: jsonbody refuses it as an unsupported media
// type, and each surface's table translates that.
func TestCompressedBodies_AreRefusedOnEverySurface(t *testing.T) {
	eng := compattest.Engines(t)[0]
	srv := compattest.Start(t, eng, nil)
	app, key := srv.NewApp("Acme")
	status, _, m := srv.JSON("POST", "/v1/sessions", map[string]any{"user": map[string]any{"external_id": "u1"}}, "Authorization", "Bearer "+key)
	if status != 201 {
		t.Fatalf("create session: %d %v", status, m)
	}
	sid := m["session"].(map[string]any)["id"].(string)
	if status, _, m := srv.JSON("PUT", "/v1/integrations/open", map[string]any{"name": "Open", "base_url": "https://open.example.com", "auth": map[string]any{"type": "none"},
		"actions": []any{map[string]any{"name": "ping", "method": "POST", "path": "/ping"}}}, "Authorization", "Bearer "+key); status != 201 {
		t.Fatalf("put integration: %d %v", status, m)
	}
	for _, c := range []struct {
		surface, path, body string
		headers             []string
		want                int
	}{
		{"mindset", "/api/v1/appuid/" + app + "/sdkusers/auth", `{"externalId":"gz"}`, []string{"x-api-key", key}, 415},
		{"mindset, legacy", "/api-authenticate-embedded-user", `{"userEmail":"gz@example.com"}`, []string{"x-api-key", key}, 415},
		{"human api", "/v1/connect/token", `{"client_id":"` + app + `","client_secret":"` + key + `","client_user_id":"gz","type":"session"}`, nil, 415},
		{"session storage", "/session-storage/sessions/" + sid, `{"data":{"ttl_seconds":60}}`, []string{"ClientID", app, "ClientSecret", key}, 415},
		{"superface", "/api/hub/perform/open_ping", `{}`, []string{"Authorization", "Bearer " + key, "x-superface-user-id", "gz"}, 415},
		{"apideck", "/vault/sessions", `{}`, []string{"Authorization", "Bearer " + key, "x-apideck-app-id", app, "x-apideck-consumer-id", "gz"}, 415},
	} {
		h := append([]string{"Content-Type", "application/json", "Content-Encoding", "gzip"}, c.headers...)
		status, _, body := srv.Do("POST", c.path, c.body, h...)
		if status != c.want || !json.Valid(body) {
			t.Errorf("%s: %d %s, want %d", c.surface, status, body, c.want)
		}
	}
	// Superface's function arguments follow the same rules: a key named
	// twice is refused, not resolved to its last value.
	status, _, body := srv.Do("POST", "/api/hub/perform/open_ping", `{"a":1,"a":2}`, "Content-Type", "application/json",
		"Authorization", "Bearer "+key, "x-superface-user-id", "gz")
	if status != 400 || !strings.Contains(string(body), "Duplicate key") {
		t.Errorf("superface, a key twice: %d %s", status, body)
	}
}

// A credential header sent twice, or a Vault application or consumer
// header sent twice, is refused on every surface: which app or user a
// request acts for never depends on the order of its headers.
func TestRepeatedCredentialHeaders_AreRefusedOnEverySurface(t *testing.T) {
	eng := compattest.Engines(t)[0]
	srv := compattest.Start(t, eng, nil)
	app, key := srv.NewApp("Acme")
	_, keyB := srv.NewApp("Other")
	for _, c := range []struct {
		surface, method, path string
		headers               [][2]string
		want                  int
	}{
		{"superface", "GET", "/api/hub/fd", [][2]string{{"Authorization", "Bearer " + key}, {"Authorization", "Bearer " + keyB}, {"x-superface-user-id", "u1"}}, 401},
		{"mindset", "POST", "/api/v1/appuid/" + app + "/sdkusers/auth", [][2]string{{"x-api-key", key}, {"x-api-key", keyB}}, 403},
		{"session storage, secret", "GET", "/session-storage/sessions", [][2]string{{"ClientID", app}, {"ClientSecret", key}, {"ClientSecret", keyB}}, 401},
		{"session storage, id", "GET", "/session-storage/sessions", [][2]string{{"ClientID", app}, {"ClientID", "app_other"}, {"ClientSecret", key}}, 401},
		{"apideck, key", "GET", "/vault/connections", [][2]string{{"Authorization", "Bearer " + key}, {"Authorization", "Bearer " + keyB}, {"x-apideck-app-id", app}, {"x-apideck-consumer-id", "u1"}}, 401},
		{"apideck, consumer", "GET", "/vault/connections", [][2]string{{"Authorization", "Bearer " + key}, {"x-apideck-app-id", app}, {"x-apideck-consumer-id", "u1"}, {"x-apideck-consumer-id", "u2"}}, 400},
		{"apideck, application", "GET", "/vault/connections", [][2]string{{"Authorization", "Bearer " + key}, {"x-apideck-app-id", app}, {"x-apideck-app-id", app}, {"x-apideck-consumer-id", "u1"}}, 400},
	} {
		var body io.Reader
		if c.method == "POST" {
			body = strings.NewReader(`{"externalId":"u1"}`)
		}
		req, _ := http.NewRequest(c.method, srv.URL+c.path, body)
		req.Header.Set("Content-Type", "application/json")
		for _, h := range c.headers {
			req.Header.Add(h[0], h[1])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != c.want || !json.Valid(b) || !strings.Contains(string(b), "sent") {
			t.Errorf("%s: %d %s, want %d", c.surface, res.StatusCode, b, c.want)
		}
	}
}

// The Vault takes its key in Authorization only, and its 401 says so: it
// does not suggest X-API-Key, which the native API also takes.
func TestVault_KeyMessageNamesAuthorizationOnly(t *testing.T) {
	srv := compattest.Start(t, compattest.Engines(t)[0], nil)
	app, key := srv.NewApp("Acme")
	status, _, body := srv.Do("GET", "/vault/connections", "", "X-API-Key", key, "x-apideck-app-id", app, "x-apideck-consumer-id", "u1")
	if status != 401 || !strings.Contains(string(body), "Authorization: Bearer") || strings.Contains(string(body), "X-API-Key") {
		t.Fatalf("%d %s", status, body)
	}
}
