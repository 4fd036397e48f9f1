package superface_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/cli"
	"github.com/porticohq/portico/internal/compat/compattest"
	"github.com/porticohq/portico/internal/store/storetest"
)

// clock is the server's clock, moved by the tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// env is one server with one app whose integrations call a loopback
// upstream, and the secrets the test saw (none may reach a log line).
type env struct {
	t        *testing.T
	srv      *compattest.Server
	clock    *clock
	app, key string
	upstream *upstream
	secrets  []string
}

// upstream is an integration's API: it answers every request with what it
// saw, with the status given in the query parameter "status" (200 when
// absent).
type upstream struct {
	*httptest.Server
	mu   sync.Mutex
	seen []seenRequest
}

type seenRequest struct {
	Method, Path, Query, Body string
	Header                    http.Header
}

func newUpstream(t *testing.T) *upstream {
	u := &upstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		u.mu.Lock()
		u.seen = append(u.seen, seenRequest{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: string(b), Header: r.Header.Clone()})
		u.mu.Unlock()
		status := 200
		if r.URL.Query().Get("status") == "404" {
			status = 404
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]any{"method": r.Method, "path": r.URL.Path, "query": r.URL.RawQuery, "body": string(b)})
	}))
	t.Cleanup(u.Close)
	return u
}

// last returns the last request the upstream saw.
func (u *upstream) last(t *testing.T) seenRequest {
	t.Helper()
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.seen) == 0 {
		t.Fatal("the upstream saw no request")
	}
	return u.seen[len(u.seen)-1]
}

func (u *upstream) count() int { u.mu.Lock(); defer u.mu.Unlock(); return len(u.seen) }

func newEnv(t *testing.T, eng storetest.Engine, edit func(*cli.Config)) *env {
	c := &clock{t: time.Now().UTC().Truncate(time.Second)}
	srv := compattest.Start(t, eng, func(cfg *cli.Config) {
		cfg.Clock = c.Now
		if edit != nil {
			edit(cfg)
		}
	})
	e := &env{t: t, srv: srv, clock: c, upstream: newUpstream(t)}
	e.app, e.key = srv.NewApp("Acme")
	e.secrets = append(e.secrets, e.key)
	return e
}

// do sends a request and decodes a JSON answer into out (when not nil).
func (e *env) do(method, path, body string, out any, headers ...string) (int, http.Header) {
	e.t.Helper()
	status, h, b := e.srv.Do(method, path, body, headers...)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: %d, body not JSON: %s", method, path, status, b)
		}
	}
	return status, h
}

// native calls the native API with the app's key and wants status want.
func (e *env) native(method, path string, body any, want int) map[string]any {
	e.t.Helper()
	raw := ""
	if body != nil {
		b, _ := json.Marshal(body)
		raw = string(b)
	}
	var out map[string]any
	status, h, b := e.srv.Do(method, path, raw, "Authorization", "Bearer "+e.key, "Content-Type", "application/json")
	if status != want {
		e.t.Fatalf("%s %s: %d, want %d: %s", method, path, status, want, b)
	}
	if len(b) > 0 && strings.HasPrefix(h.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(b, &out); err != nil {
			e.t.Fatalf("%s %s: %v", method, path, err)
		}
	}
	return out
}

const contactSchema = `{"type":"object","properties":{"id":{"type":"string"},"status":{"type":"string"}},"required":["id"]}`

// setup declares the app's integrations: crm (API key in a header, two
// actions), github (OAuth2), weather (no credential) and vip (restricted
// to the account vip).
func (e *env) setup() {
	e.t.Helper()
	getContact := map[string]any{"name": "get-contact", "description": "Get a contact.", "method": "GET", "path": "/contacts/{id}", "input_schema": json.RawMessage(contactSchema)}
	addNote := map[string]any{"name": "add-note", "method": "POST", "path": "/notes",
		"input_schema": json.RawMessage(`{"type":"object","properties":{"text":{"type":"string"}},"required":["text"]}`)}
	e.native("POST", "/v1/accounts", map[string]any{"id": "vip", "name": "VIP"}, 201)
	for _, d := range []struct {
		slug string
		def  map[string]any
	}{
		{"crm", map[string]any{"name": "Acme CRM", "auth": map[string]any{"type": "api_key", "fields": []any{map[string]any{"name": "api_key", "secret": true}},
			"inject": map[string]any{"header": "X-API-Key", "format": "{api_key}"}}, "actions": []any{getContact, addNote}}},
		{"github", map[string]any{"name": "GitHub", "auth": map[string]any{"type": "oauth2", "oauth2": map[string]any{
			"authorize_url": e.upstream.URL + "/authorize", "token_url": e.upstream.URL + "/token", "client_id": "cid"}},
			"actions": []any{map[string]any{"name": "get-user", "method": "GET", "path": "/user"}}}},
		{"weather", map[string]any{"name": "Weather", "auth": map[string]any{"type": "none"},
			"actions": []any{map[string]any{"name": "forecast", "description": "The forecast.", "method": "GET", "path": "/forecast"}}}},
		{"vip", map[string]any{"name": "VIP Tool", "auth": map[string]any{"type": "none"}, "account_ids": []string{"vip"},
			"actions": []any{map[string]any{"name": "ping", "method": "GET", "path": "/ping"}}}},
	} {
		d.def["base_url"] = e.upstream.URL + "/api"
		e.native("PUT", "/v1/integrations/"+d.slug, d.def, 201)
	}
}

// user creates a user keyed by externalID and returns its id.
func (e *env) user(externalID string) string {
	e.t.Helper()
	return e.native("POST", "/v1/users", map[string]any{"external_id": externalID}, 201)["id"].(string)
}

// connect stores credentials for the user and returns the connection id.
func (e *env) connect(userID, slug string, creds map[string]string) string {
	e.t.Helper()
	for k, v := range creds {
		if k != "expires_at" {
			e.secrets = append(e.secrets, v)
		}
	}
	return e.native("PUT", "/v1/users/"+userID+"/connections/"+slug, map[string]any{"credentials": creds}, 201)["id"].(string)
}

// hub calls the Hub API with the app's key and the user header (none when
// user is ""); the answer is nil when it is not a JSON object.
func (e *env) hub(method, path, user, body string) (int, http.Header, map[string]any) {
	e.t.Helper()
	headers := []string{"Authorization", "Bearer " + e.key, "Content-Type", "application/json"}
	if user != "" {
		headers = append(headers, "x-superface-user-id", user)
	}
	var out any
	status, h := e.do(method, path, body, &out, headers...)
	if h.Get("Cache-Control") != "no-store" {
		e.t.Errorf("%s %s: Cache-Control %q", method, path, h.Get("Cache-Control"))
	}
	m, _ := out.(map[string]any)
	return status, h, m
}

// open opens a configuration URL as a browser would, without following
// the redirect, and returns the status.
func (e *env) open(url string) int {
	e.t.Helper()
	if !strings.HasPrefix(url, e.srv.URL+"/connect/") {
		e.t.Fatalf("configuration URL %q is not under %s/connect/", url, e.srv.URL)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(url)
	if err != nil {
		e.t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// noSecretsLogged checks that no secret the test saw reached a log line.
func (e *env) noSecretsLogged() {
	e.t.Helper()
	e.srv.CheckNoSecrets(e.secrets...)
}

// newRevokedKey returns an API key of the app that has been revoked.
func (e *env) newRevokedKey() string {
	e.t.Helper()
	k, raw, err := e.srv.Service.CreateAPIKey(context.Background(), e.app, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.srv.Service.RevokeAPIKey(context.Background(), e.app, k.ID); err != nil {
		e.t.Fatal(err)
	}
	e.secrets = append(e.secrets, raw)
	return raw
}

// wantKeys checks that m has exactly the fields want (sorted).
func wantKeys(t *testing.T, what string, m map[string]any, want ...string) {
	t.Helper()
	slices.Sort(want)
	if got := compattest.Keys(m); !slices.Equal(got, want) {
		t.Errorf("%s: fields %v, want %v (%v)", what, got, want, m)
	}
}

func engines(t *testing.T, f func(t *testing.T, eng storetest.Engine)) {
	for _, eng := range compattest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) { f(t, eng) })
	}
}
