package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/cli"
	"github.com/porticohq/portico/internal/cli/clitest"
	"github.com/porticohq/portico/internal/portico"
	"github.com/porticohq/portico/internal/secret"
	"github.com/porticohq/portico/internal/store/storetest"
)

// site is a whole running server with one app, for hosted-page tests.
type site struct {
	t     *testing.T
	Svc   *portico.Service
	Store portico.Store
	URL   string // the public URL
	Local string // where the server listens (the public URL unless a test sets one)
	Key   string
	Clock *storetest.Clock
	logs  *clitest.LogBuffer
}

// newSite starts a server on SQLite with an injected clock and an app
// offering one api_key integration ("acme") and one no-auth one.
func newSite(t *testing.T, edits ...func(*cli.Config)) *site {
	t.Helper()
	clock := storetest.NewClock()
	logs := &clitest.LogBuffer{}
	var cfg cli.Config
	cfg.DataDir, cfg.Addr, cfg.ShutdownTimeout = t.TempDir(), "127.0.0.1:0", 5*time.Second
	cfg.LogOutput, cfg.LogFormat, cfg.Clock = logs, "json", clock.Now
	for _, e := range edits {
		e(&cfg)
	}
	srv := clitest.Start(t, cfg)
	_, key, err := srv.Service.CreateApp(context.Background(), "Acme")
	if err != nil {
		t.Fatal(err)
	}
	s := &site{t: t, Svc: srv.Service, Store: srv.Store(), URL: srv.URL(), Local: "http://" + srv.Addr(), Key: key, Clock: clock, logs: logs}
	s.api("PATCH", "/v1/app", map[string]any{"settings": map[string]any{"allowed_redirect_uris": []string{"https://app.example.com/settings"}}}, 200)
	s.api("PUT", "/v1/integrations/acme", map[string]any{
		"name": "Acme <CRM>", "category": "crm", "base_url": "https://api.acme.example/v2",
		"auth": map[string]any{
			"type":   "api_key",
			"fields": []any{map[string]any{"name": "api_key", "label": "API key", "secret": true}, map[string]any{"name": "region", "label": "Region", "optional": true}},
			"inject": map[string]any{"header": "X-Api-Key", "format": "{api_key}"},
		},
	}, 201)
	return s
}

// on runs a site on engine e instead of newSite's SQLite.
func on(t *testing.T, e storetest.Engine) func(*cli.Config) {
	return func(c *cli.Config) {
		c.DatabaseURL, c.DataDir = e.Fresh(t)
		if c.DatabaseURL != "" {
			c.EncryptionKey = secret.NewKey()
		}
	}
}

// api calls the native API with the app's key and checks the status.
func (s *site) api(method, path string, body any, want int) map[string]any {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.Local+path, rd)
	req.Header.Set("Authorization", "Bearer "+s.Key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(res.Body)
	json.Unmarshal(raw, &out)
	if res.StatusCode != want {
		s.t.Fatalf("%s %s: %d %s, want %d", method, path, res.StatusCode, raw, want)
	}
	return out
}

// session creates a session and returns its configuration URL and id.
func (s *site) session(extra map[string]any) (configURL, id, token string) {
	s.t.Helper()
	body := map[string]any{"user": map[string]any{"external_id": "u-1", "name": "Ann"}}
	for k, v := range extra {
		body[k] = v
	}
	out := s.api("POST", "/v1/sessions", body, 201)
	return out["configuration_url"].(string), out["session"].(map[string]any)["id"].(string), out["token"].(string)
}

// connections returns the user's connections as the API shows them.
func (s *site) connections() []any {
	s.t.Helper()
	return s.api("GET", "/v1/connections", nil, 200)["data"].([]any)
}

func post(t *testing.T, c *http.Client, u string, form url.Values, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// csrfOf reads the CSRF token from a rendered page.
func csrfOf(t *testing.T, page string) string {
	t.Helper()
	_, rest, ok := strings.Cut(page, `name="csrf_token" value="`)
	if !ok {
		t.Fatalf("no csrf token in page:\n%s", page)
	}
	tok, _, _ := strings.Cut(rest, `"`)
	return tok
}

// failedForm checks that a failed form was answered with a redirect to its
// page, at the error (post/redirect/get), and returns that page: it shows
// the error once.
func failedForm(t *testing.T, c *http.Client, base string, res *http.Response) string {
	t.Helper()
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasSuffix(loc, "#error") {
		t.Fatalf("a failed form answered %d %q, want 303 to its page's #error", res.StatusCode, loc)
	}
	r, body := clitest.Get(t, c, base+strings.TrimSuffix(loc, "#error"))
	if r.StatusCode != http.StatusOK || !strings.Contains(body, `id="error"`) {
		t.Fatalf("the page of a failed form: %d\n%s", r.StatusCode, body)
	}
	if _, again := clitest.Get(t, c, base+strings.TrimSuffix(loc, "#error")); strings.Contains(again, `id="error"`) {
		t.Fatal("the error is shown again on reload")
	}
	return body
}
