package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/porticohq/portico/internal/cli"
	"github.com/porticohq/portico/internal/cli/clitest"
)

// The hosted page asks for an integration's settings fields beside its
// credentials, and shows the provider's verdict on the credential: a
// rejection inline with nothing stored, a connection with its account label
// otherwise (docs/catalog-data.md).
func TestConnect_SettingsAndVerification(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path != "/t/acme/me" || r.Header.Get("X-Api-Key") != "good" {
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"message":"Invalid API key"}`))
			return
		}
		w.Write([]byte(`{"name":"Ann Lee"}`))
	}))
	defer up.Close()
	s := newSite(t, func(c *cli.Config) { c.AllowPrivateUpstreams = true })
	s.api("PUT", "/v1/integrations/tenant", map[string]any{
		"name": "Tenant", "base_url": up.URL + "/t/{tenant}",
		"settings_fields": []any{map[string]any{"name": "tenant", "label": "Tenant name", "placeholder": "acme"}},
		"verify":          map[string]any{"method": "GET", "path": "/me", "label_pointer": "/name"},
		"auth": map[string]any{"type": "api_key", "fields": []any{map[string]any{"name": "api_key", "label": "API key", "secret": true}},
			"inject": map[string]any{"header": "X-Api-Key", "format": "{api_key}"}},
	}, 201)
	link, _, _ := s.session(map[string]any{"settings": map[string]any{"integrations": []string{"tenant"}}})
	c := clitest.Browser()
	clitest.Get(t, c, link)
	_, page := clitest.Get(t, c, s.URL+"/connect/integrations/tenant")
	if !strings.Contains(page, `name="tenant"`) || !strings.Contains(page, `placeholder="acme"`) || !strings.Contains(page, "Tenant name") {
		t.Fatalf("no settings input:\n%s", page)
	}
	csrf := csrfOf(t, page)
	res, _ := post(t, c, s.URL+"/connect/integrations/tenant", url.Values{"csrf_token": {csrf}, "api_key": {"bad"}, "tenant": {"acme"}}, nil)
	if body := failedForm(t, c, s.URL, res); !strings.Contains(body, "Tenant rejected this credential: 401 Invalid API key.") || !strings.Contains(body, `value="acme"`) {
		t.Fatalf("rejected:\n%s", body)
	}
	if n := len(s.connections()); n != 0 {
		t.Fatalf("%d connections stored from a rejected key", n)
	}
	res, _ = post(t, c, s.URL+"/connect/integrations/tenant", url.Values{"csrf_token": {csrf}, "api_key": {"good"}, "tenant": {"acme"}}, nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("connect: %d", res.StatusCode)
	}
	conns := s.connections()
	if len(conns) != 1 || conns[0].(map[string]any)["account_label"] != "Ann Lee" || conns[0].(map[string]any)["settings"].(map[string]any)["tenant"] != "acme" {
		t.Fatalf("connections: %v", conns)
	}
}
