package httpapi_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/porticohq/portico/api"
	"github.com/porticohq/portico/client"
	"github.com/porticohq/portico/internal/compat/compattest"
	"github.com/porticohq/portico/internal/httpapi"
	"github.com/porticohq/portico/internal/secret"
	"github.com/porticohq/portico/internal/store/storetest"
	"github.com/porticohq/portico/internal/upstream"
)

// withUpstream lets the service reach loopback upstreams through a real
// proxy with small bounds (the tests' upstreams are httptest servers).
func withUpstream(o *httpapi.Options) {
	p := upstream.NewProxy(true)
	p.Timeout, p.MaxResponseBytes = 500*time.Millisecond, 64<<10
	o.Service.AllowPrivateUpstreams = true
	o.Service.Upstream = p
}

// echoUpstream answers what it received, so that each test can check the
// request Portico built: method, path, query, credential headers, body.
func echoUpstream(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := strings.TrimPrefix(r.URL.EscapedPath(), "/api")
		switch {
		case strings.HasPrefix(p, "/status/"):
			code := 0
			fmt.Sscanf(strings.TrimPrefix(p, "/status/"), "%d", &code)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(code)
			fmt.Fprintf(w, `{"message":"upstream says %d"}`, code)
			return
		case p == "/slow":
			<-r.Context().Done()
			return
		case p == "/huge":
			w.Header().Set("Content-Type", "application/json")
			for range 1 << 12 {
				if _, err := w.Write([]byte(strings.Repeat(" ", 1024))); err != nil {
					return
				}
			}
			return
		case p == "/text":
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			io.WriteString(w, "hello <world>")
			return
		case p == "/binary":
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Write([]byte{0xff, 0x00, 0x10})
			return
		case p == "/latin1-json":
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte("{\"a\":\"\xff\xfe\"}"))
			return
		case p == "/empty":
			w.WriteHeader(http.StatusNoContent)
			return
		}
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Add("X-Multi", "a")
		w.Header().Add("X-Multi", "b")
		json.NewEncoder(w).Encode(map[string]any{
			"method": r.Method, "path": p, "query": r.URL.RawQuery, "authorization": r.Header.Get("Authorization"),
			"x_api_key": r.Header.Get("X-Api-Key"), "x_custom": r.Header.Get("X-Custom"),
			"content_type": r.Header.Get("Content-Type"), "body": string(body), "host": r.Host,
		})
	}))
	t.Cleanup(srv.Close)
	return srv
}

const repoSchema = `{"type":"object","properties":{"owner":{"type":"string"},"repo":{"type":"string","pattern":"^[a-z0-9.-]+$"},
"per_page":{"type":"integer","minimum":1,"maximum":100},"state":{"enum":["open","closed"]}},"required":["owner","repo"],"additionalProperties":false}`

const issueSchema = `{"type":"object","properties":{"owner":{"type":"string"},"repo":{"type":"string"},
"title":{"type":"string","minLength":1},"labels":{"type":"array","items":{"type":"string"}}},"required":["owner","repo","title"]}`

// performFixture is an app with integrations of every auth type on one
// echo upstream, and users with connections.
type performFixture struct {
	e        *env
	key      map[string]string
	upstream *httptest.Server
	user     string // id of u-1, connected to everything
	vipUser  string // id of u-vip, member of the vip account
}

func newPerformFixture(t *testing.T, eng storetest.Engine) *performFixture {
	e := newEnv(t, eng, withUpstream)
	_, key := e.newApp("acme")
	k := auth(key)
	up := echoUpstream(t)
	base := up.URL + "/api"
	mustStatus := func(r response, want int) response {
		t.Helper()
		if r.Status != want {
			t.Fatalf("setup: %d %s", r.Status, r.Raw)
		}
		return r
	}
	actions := []any{
		map[string]any{"name": "get-repo", "description": "Get a repository.", "method": "GET", "path": "/repos/{owner}/{repo}", "input_schema": json.RawMessage(repoSchema)},
		map[string]any{"name": "create-issue", "method": "POST", "path": "/repos/{owner}/{repo}/issues", "input_schema": json.RawMessage(issueSchema)},
	}
	mustStatus(e.do("POST", "/v1/accounts", k, map[string]any{"id": "vip", "name": "VIP"}), 201)
	for slug, def := range map[string]map[string]any{
		"crm": {"name": "Acme CRM", "auth": map[string]any{"type": "api_key", "fields": []any{map[string]any{"name": "api_key", "secret": true}},
			"inject": map[string]any{"header": "X-API-Key", "format": "{api_key}"}}, "actions": actions},
		"qkey": {"name": "Query Key", "auth": map[string]any{"type": "api_key", "fields": []any{map[string]any{"name": "token", "secret": true}},
			"inject": map[string]any{"query": "key", "format": "tok-{token}"}}},
		"jira":   {"name": "Jira", "auth": map[string]any{"type": "basic"}},
		"github": {"name": "GitHub", "auth": map[string]any{"type": "oauth2", "oauth2": map[string]any{"authorize_url": up.URL + "/authorize", "token_url": up.URL + "/token", "client_id": "cid"}}, "actions": actions},
		"open":   {"name": "Open Data", "auth": map[string]any{"type": "none"}},
		"vip":    {"name": "VIP Tool", "auth": map[string]any{"type": "none"}, "account_ids": []string{"vip"}, "actions": actions[:1]},
	} {
		def["base_url"] = base
		mustStatus(e.do("PUT", "/v1/integrations/"+slug, k, def), 201)
	}
	f := &performFixture{e: e, key: k, upstream: up}
	f.user = mustStatus(e.do("POST", "/v1/users", k, map[string]any{"external_id": "u-1"}), 201).Body["id"].(string)
	f.vipUser = mustStatus(e.do("POST", "/v1/users", k, map[string]any{"external_id": "u-vip", "account_ids": []string{"vip"}}), 201).Body["id"].(string)
	e.secret("sk_crm_secret", "qk_secret", "pw_secret", "gho_secret")
	for slug, creds := range map[string]map[string]string{
		"crm": {"api_key": "sk_crm_secret"}, "qkey": {"token": "qk_secret"}, "jira": {"username": "ann", "password": "pw_secret"},
		"github": {"access_token": "gho_secret", "expires_at": e.Clock.Now().Add(time.Hour).UTC().Format(time.RFC3339)},
	} {
		mustStatus(e.do("PUT", "/v1/users/"+f.user+"/connections/"+slug, k, map[string]any{"credentials": creds}), 201)
	}
	return f
}

// echoed is the request the upstream saw, from a perform answer.
func echoed(t *testing.T, r response) map[string]any {
	t.Helper()
	res, _ := r.Body["response"].(map[string]any)
	body, ok := res["body"].(map[string]any)
	if !ok || r.Body["status"] != "success" {
		t.Fatalf("not an echoed success: %d %s", r.Status, r.Raw)
	}
	return body
}

func u1() map[string]any { return map[string]any{"external_id": "u-1"} }

func TestPerform(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		f := newPerformFixture(t, eng)
		e, k := f.e, f.key
		host := strings.TrimPrefix(f.upstream.URL, "http://")
		type tc struct {
			name   string
			body   any
			status int
			code   string
			check  func(t *testing.T, r response)
		}
		field := func(want string) func(t *testing.T, r response) {
			return func(t *testing.T, r response) {
				if got := r.Body["error"].(map[string]any)["details"].(map[string]any)["field"]; got != want {
					t.Errorf("details.field %v, want %s", got, want)
				}
			}
		}
		echo := func(want map[string]string) func(t *testing.T, r response) {
			return func(t *testing.T, r response) {
				got := echoed(t, r)
				for k, v := range want {
					if got[k] != v {
						t.Errorf("upstream saw %s = %q, want %q", k, got[k], v)
					}
				}
			}
		}
		cases := []tc{
			{"action GET with api key header", map[string]any{"user": u1(), "integration": "crm", "action": "get-repo",
				"input": map[string]any{"owner": "acme", "repo": "web", "per_page": 5, "state": "open"}}, 200, "",
				echo(map[string]string{"method": "GET", "path": "/repos/acme/web", "query": "per_page=5&state=open", "x_api_key": "sk_crm_secret", "body": ""})},
			{"action POST with a JSON body", map[string]any{"user": u1(), "integration": "crm", "action": "create-issue",
				"input": map[string]any{"owner": "acme", "repo": "web", "title": "Bug", "labels": []string{"p1"}}}, 200, "",
				func(t *testing.T, r response) {
					got := echoed(t, r)
					var body map[string]any
					json.Unmarshal([]byte(got["body"].(string)), &body)
					if got["path"] != "/repos/acme/web/issues" || body["title"] != "Bug" || got["content_type"] != "application/json" || body["owner"] != nil {
						t.Errorf("upstream saw %v", got)
					}
				}},
			{"path placeholder escaped", map[string]any{"user": u1(), "integration": "crm", "action": "create-issue",
				"input": map[string]any{"owner": "a/b?c", "repo": "web", "title": "x"}}, 200, "",
				echo(map[string]string{"path": "/repos/a%2Fb%3Fc/web/issues", "host": host})},
			{"path placeholder with a space", map[string]any{"user": u1(), "integration": "crm", "action": "create-issue",
				"input": map[string]any{"owner": "My Org", "repo": "web", "title": "x"}}, 200, "",
				echo(map[string]string{"path": "/repos/My%20Org/web/issues", "host": host})},
			{"path placeholder that a decoding proxy would read as ..", map[string]any{"user": u1(), "integration": "crm", "action": "create-issue",
				"input": map[string]any{"owner": "../../admin?x=1#y", "repo": "web", "title": "x"}}, 422, "validation_failed", field("input.owner")},
			{"raw path with an encoded space", map[string]any{"user": u1(), "integration": "open", "request": map[string]any{"method": "GET", "path": "/files/My%20Document"}}, 200, "",
				echo(map[string]string{"path": "/files/My%20Document", "host": host})},
			{"oauth2 bearer token", map[string]any{"user": map[string]any{"id": f.user}, "integration": "github", "action": "get-repo",
				"input": map[string]any{"owner": "acme", "repo": "web"}}, 200, "", echo(map[string]string{"authorization": "Bearer gho_secret"})},
			{"basic auth", map[string]any{"user": u1(), "integration": "jira", "request": map[string]any{"method": "get", "path": "/me"}}, 200, "",
				echo(map[string]string{"authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte("ann:pw_secret")), "method": "GET", "path": "/me"})},
			{"query parameter credential", map[string]any{"user": u1(), "integration": "qkey", "request": map[string]any{"method": "GET", "path": "/items",
				"query": map[string]any{"key": "caller", "tag": []string{"a", "b"}}}}, 200, "",
				echo(map[string]string{"query": "key=tok-qk_secret&tag=a&tag=b"})},
			{"no auth, user unknown", map[string]any{"user": map[string]any{"external_id": "u-new"}, "integration": "open",
				"request": map[string]any{"method": "POST", "path": "/things", "headers": map[string]string{"X-Custom": "1"}, "body": map[string]any{"a": 1}}}, 200, "",
				echo(map[string]string{"method": "POST", "x_custom": "1", "body": `{"a":1}`, "content_type": "application/json", "authorization": ""})},
			{"raw text body", map[string]any{"user": u1(), "integration": "open", "request": map[string]any{"method": "PUT", "path": "/form",
				"headers": map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, "body": "a=1&b=2"}}, 200, "",
				echo(map[string]string{"body": "a=1&b=2", "content_type": "application/x-www-form-urlencoded"})},
			{"caller cannot replace the credential header", map[string]any{"user": u1(), "integration": "crm", "request": map[string]any{"method": "GET", "path": "/x",
				"headers": map[string]string{"x-api-key": "forged"}}}, 200, "", echo(map[string]string{"x_api_key": "sk_crm_secret"})},
			{"upstream 404 passes through", map[string]any{"user": u1(), "integration": "crm", "request": map[string]any{"method": "GET", "path": "/status/404"}}, 200, "",
				func(t *testing.T, r response) {
					res := r.Body["response"].(map[string]any)
					if res["status"] != float64(404) || res["body"].(map[string]any)["message"] != "upstream says 404" || res["body_encoding"] != "json" {
						t.Errorf("response %v", res)
					}
				}},
			{"upstream 503 passes through", map[string]any{"user": u1(), "integration": "crm", "request": map[string]any{"method": "DELETE", "path": "/status/503"}}, 200, "",
				func(t *testing.T, r response) {
					if r.Body["response"].(map[string]any)["status"] != float64(503) {
						t.Errorf("%s", r.Raw)
					}
				}},
			{"headers", map[string]any{"user": u1(), "integration": "open", "request": map[string]any{"method": "GET", "path": "/h"}}, 200, "",
				func(t *testing.T, r response) {
					h := r.Body["response"].(map[string]any)["headers"].(map[string]any)
					if h["x-multi"] != "a, b" || h["content-type"] != "application/json" {
						t.Errorf("headers %v", h)
					}
				}},
			{"text body", map[string]any{"user": u1(), "integration": "open", "request": map[string]any{"method": "GET", "path": "/text"}}, 200, "",
				func(t *testing.T, r response) {
					res := r.Body["response"].(map[string]any)
					if res["body"] != "hello <world>" || res["body_encoding"] != "text" {
						t.Errorf("%v", res)
					}
				}},
			{"binary body", map[string]any{"user": u1(), "integration": "open", "request": map[string]any{"method": "GET", "path": "/binary"}}, 200, "",
				func(t *testing.T, r response) {
					res := r.Body["response"].(map[string]any)
					if res["body"] != base64.StdEncoding.EncodeToString([]byte{0xff, 0, 0x10}) || res["body_encoding"] != "base64" {
						t.Errorf("%v", res)
					}
				}},
			// JSON is UTF-8 (RFC 8259 §8.1): other bytes in a JSON body
			// would make Portico's own answer invalid.
			{"JSON body not in UTF-8", map[string]any{"user": map[string]any{"external_id": "u-latin1"}, "integration": "open", "request": map[string]any{"method": "GET", "path": "/latin1-json"}}, 200, "",
				func(t *testing.T, r response) {
					res := r.Body["response"].(map[string]any)
					if res["body"] != base64.StdEncoding.EncodeToString([]byte("{\"a\":\"\xff\xfe\"}")) || res["body_encoding"] != "base64" || !utf8.Valid(r.Raw) {
						t.Errorf("%v", res)
					}
				}},
			{"empty body", map[string]any{"user": u1(), "integration": "open", "request": map[string]any{"method": "GET", "path": "/empty"}}, 200, "",
				func(t *testing.T, r response) {
					res := r.Body["response"].(map[string]any)
					if res["body"] != nil || res["body_encoding"] != "none" || res["status"] != float64(204) {
						t.Errorf("%v", res)
					}
				}},
			{"slow upstream", map[string]any{"user": u1(), "integration": "open", "request": map[string]any{"method": "GET", "path": "/slow"}}, 504, "upstream_timeout", nil},
			{"huge upstream", map[string]any{"user": u1(), "integration": "open", "request": map[string]any{"method": "GET", "path": "/huge"}}, 502, "upstream_unreachable",
				func(t *testing.T, r response) {
					if r.Body["error"].(map[string]any)["details"].(map[string]any)["reason"] != "response_too_large" {
						t.Errorf("%s", r.Raw)
					}
				}},

			// Input and request checks.
			{"neither action nor request", map[string]any{"user": u1(), "integration": "crm"}, 422, "validation_failed",
				func(t *testing.T, r response) {
					if e := r.Body["error"].(map[string]any); e["message"] != "Give action (with input), or request: what to perform." {
						t.Errorf("%s", r.Raw)
					}
				}},
			{"both action and request", map[string]any{"user": u1(), "integration": "crm", "action": "get-repo", "request": map[string]any{"method": "GET", "path": "/x"}}, 422, "validation_failed", field("action")},
			{"schema: missing required", map[string]any{"user": u1(), "integration": "crm", "action": "get-repo", "input": map[string]any{"owner": "acme"}}, 422, "validation_failed", field("input.repo")},
			{"schema: pattern", map[string]any{"user": u1(), "integration": "crm", "action": "get-repo", "input": map[string]any{"owner": "acme", "repo": "Web!"}}, 422, "validation_failed", field("input.repo")},
			{"schema: type", map[string]any{"user": u1(), "integration": "crm", "action": "get-repo", "input": map[string]any{"owner": "acme", "repo": "w", "per_page": "5"}}, 422, "validation_failed", field("input.per_page")},
			{"schema: maximum", map[string]any{"user": u1(), "integration": "crm", "action": "get-repo", "input": map[string]any{"owner": "acme", "repo": "w", "per_page": 101}}, 422, "validation_failed", field("input.per_page")},
			{"schema: integer", map[string]any{"user": u1(), "integration": "crm", "action": "get-repo", "input": map[string]any{"owner": "acme", "repo": "w", "per_page": 1.5}}, 422, "validation_failed", field("input.per_page")},
			{"schema: enum", map[string]any{"user": u1(), "integration": "crm", "action": "get-repo", "input": map[string]any{"owner": "acme", "repo": "w", "state": "all"}}, 422, "validation_failed", field("input.state")},
			{"schema: additional property", map[string]any{"user": u1(), "integration": "crm", "action": "get-repo", "input": map[string]any{"owner": "acme", "repo": "w", "x": 1}}, 422, "validation_failed", field("input.x")},
			{"schema: item type", map[string]any{"user": u1(), "integration": "crm", "action": "create-issue", "input": map[string]any{"owner": "a", "repo": "w", "title": "t", "labels": []any{"a", 2}}}, 422, "validation_failed", field("input.labels[1]")},
			{"schema: minLength", map[string]any{"user": u1(), "integration": "crm", "action": "create-issue", "input": map[string]any{"owner": "a", "repo": "w", "title": ""}}, 422, "validation_failed", field("input.title")},
			{"input not an object", map[string]any{"user": u1(), "integration": "crm", "action": "get-repo", "input": []int{1}}, 400, "invalid_request", field("input")},
			{"input a string", map[string]any{"user": u1(), "integration": "crm", "action": "get-repo", "input": "a"}, 400, "invalid_request", field("input")},
			{"dot-dot placeholder", map[string]any{"user": u1(), "integration": "crm", "action": "get-repo", "input": map[string]any{"owner": "..", "repo": "w"}}, 422, "validation_failed", field("input.owner")},
			{"unknown action", map[string]any{"user": u1(), "integration": "crm", "action": "nope"}, 404, "not_found", nil},
			{"unknown integration", map[string]any{"user": u1(), "integration": "nope", "action": "get-repo"}, 404, "not_found", nil},
			{"unknown user id", map[string]any{"user": map[string]any{"id": "usr_nope"}, "integration": "open", "request": map[string]any{"method": "GET", "path": "/"}}, 404, "not_found", nil},
			{"both action and request", map[string]any{"user": u1(), "integration": "crm", "action": "get-repo", "request": map[string]any{"method": "GET", "path": "/"}}, 422, "validation_failed", field("action")},
			{"neither", map[string]any{"user": u1(), "integration": "crm"}, 422, "validation_failed", field("action")},
			{"two user keys", map[string]any{"user": map[string]any{"external_id": "u-1", "email": "a@b.c"}, "integration": "open", "request": map[string]any{"method": "GET", "path": "/"}}, 422, "validation_failed", field("user")},
			{"bad method", map[string]any{"user": u1(), "integration": "open", "request": map[string]any{"method": "TRACE", "path": "/"}}, 422, "validation_failed", field("request.method")},
			{"forbidden header", map[string]any{"user": u1(), "integration": "open", "request": map[string]any{"method": "GET", "path": "/", "headers": map[string]string{"Host": "evil.example"}}}, 422, "validation_failed", field("request.headers.Host")},
			{"GET with a body", map[string]any{"user": u1(), "integration": "open", "request": map[string]any{"method": "GET", "path": "/", "body": map[string]any{}}}, 422, "validation_failed", field("request.body")},
			{"unknown field", map[string]any{"user": u1(), "integration": "open", "request": map[string]any{"method": "GET", "path": "/", "url": "http://evil"}}, 400, "invalid_request", field("request.url")},
			{"query of the wrong type", map[string]any{"user": u1(), "integration": "open", "request": map[string]any{"method": "GET", "path": "/", "query": map[string]any{"a": 1}}}, 400, "invalid_request", field("request.query.a")},
			{"query value null", map[string]any{"user": u1(), "integration": "open", "request": map[string]any{"method": "GET", "path": "/", "query": map[string]any{"a": "1", "b": nil}}}, 400, "invalid_request", field("request.query.b")},
			{"query value null in an array", map[string]any{"user": u1(), "integration": "open", "request": map[string]any{"method": "GET", "path": "/", "query": map[string]any{"b": []any{"1", nil}}}}, 400, "invalid_request", field("request.query.b")},

			// Account restrictions.
			{"restricted integration, member", map[string]any{"user": map[string]any{"external_id": "u-vip"}, "integration": "vip", "action": "get-repo", "input": map[string]any{"owner": "a", "repo": "b"}}, 200, "", nil},
			{"restricted integration, not a member", map[string]any{"user": u1(), "integration": "vip", "action": "get-repo", "input": map[string]any{"owner": "a", "repo": "b"}}, 403, "forbidden", nil},
			{"restricted integration, unknown user", map[string]any{"user": map[string]any{"email": "new@example.com"}, "integration": "vip", "action": "get-repo", "input": map[string]any{"owner": "a", "repo": "b"}}, 403, "forbidden", nil},
		}
		for _, path := range []string{"//evil.example/x", "http://evil.example/x", "/a/../../x", "/a/..;/x", "/a/%2e%2e/x", "/a/%252e%252e/x", "/a\\b", "/a%5c..%5cb", "/x?y=1", "relative", "", "/a b", "/a%0d%0ab", "/%2F%2Fevil"} {
			cases = append(cases, tc{"raw path " + path, map[string]any{"user": u1(), "integration": "open", "request": map[string]any{"method": "GET", "path": path}}, 422, "validation_failed", field("request.path")})
		}
		cases = append(cases, tc{"raw path with @ stays on the host", map[string]any{"user": u1(), "integration": "open", "request": map[string]any{"method": "GET", "path": "/@evil.example/x"}}, 200, "",
			echo(map[string]string{"host": host, "path": "/@evil.example/x"})})
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r := e.do("POST", "/v1/perform", k, c.body)
				if r.Status != c.status || r.code() != c.code {
					t.Fatalf("got %d %s, want %d %s: %s", r.Status, r.code(), c.status, c.code, r.Raw)
				}
				if r.Header.Get("Cache-Control") != "no-store" {
					t.Errorf("Cache-Control %q", r.Header.Get("Cache-Control"))
				}
				if c.check != nil {
					c.check(t, r)
				}
				for _, s := range []string{"sk_crm_secret", "qk_secret", "pw_secret", "gho_secret"} {
					if strings.Contains(string(r.Raw), s) && c.status != 200 {
						t.Errorf("an error answer holds a credential: %s", r.Raw)
					}
				}
			})
		}
		// Another app sees none of it.
		_, otherKey := e.newApp("other")
		if r := e.do("POST", "/v1/perform", auth(otherKey), map[string]any{"user": u1(), "integration": "crm", "action": "get-repo",
			"input": map[string]any{"owner": "a", "repo": "b"}}); r.Status != 404 {
			t.Errorf("another app's integration: %d %s", r.Status, r.Raw)
		}
		if r := e.do("POST", "/v1/perform", auth(otherKey), map[string]any{"user": map[string]any{"id": f.user}, "integration": "crm", "action": "get-repo",
			"input": map[string]any{"owner": "a", "repo": "b"}}); r.Status != 404 {
			t.Errorf("another app's user: %d %s", r.Status, r.Raw)
		}
	})
}

// connectionRequired checks a 409 answer and returns its details.
func connectionRequired(t *testing.T, r response, reason string) map[string]any {
	t.Helper()
	if r.Status != 409 || r.code() != "connection_required" {
		t.Fatalf("got %d %s, want 409 connection_required", r.Status, r.Raw)
	}
	d := r.Body["error"].(map[string]any)["details"].(map[string]any)
	hint, _ := d["assistant_hint"].(string)
	if d["reason"] != reason || d["integration"] == "" || !strings.Contains(hint, "configuration_url") ||
		d["configuration_url"] == "" || d["configuration_url_expires_at"] == "" {
		t.Fatalf("details: %v", d)
	}
	return d
}

func TestPerform_ConnectionRequired(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		f := newPerformFixture(t, eng)
		e, k := f.e, f.key
		crm := func(user map[string]any) map[string]any {
			return map[string]any{"user": user, "integration": "crm", "action": "get-repo", "input": map[string]any{"owner": "a", "repo": "b"}}
		}

		// Missing, for a user Portico has never seen: a session is created
		// and its configuration URL opens the hosted page.
		d := connectionRequired(t, e.do("POST", "/v1/perform", k, crm(map[string]any{"external_id": "u-new"})), "missing")
		if hint := d["assistant_hint"].(string); !strings.Contains(hint, "has not connected Acme CRM") || !strings.Contains(hint, "15 minutes") {
			t.Errorf("hint: %s", hint)
		}
		cfg := d["configuration_url"].(string)
		if !strings.HasPrefix(cfg, "http://portico.test/connect/") {
			t.Fatalf("configuration_url %s", cfg)
		}
		sessions := e.do("GET", "/v1/sessions?external_user_id=u-new", k, nil)
		if n := len(sessions.Body["data"].([]any)); n != 1 {
			t.Fatalf("sessions of the new user: %d", n)
		}
		// A second miss reuses the session with a fresh code.
		d2 := connectionRequired(t, e.do("POST", "/v1/perform", k, crm(map[string]any{"external_id": "u-new"})), "missing")
		if d2["configuration_url"] == cfg {
			t.Error("the configuration URL was not renewed")
		}
		if n := len(e.do("GET", "/v1/sessions?external_user_id=u-new", k, nil).Body["data"].([]any)); n != 1 {
			t.Errorf("a second session was created: %d", n)
		}

		// Missing, for a known user without a connection; by email too.
		connectionRequired(t, e.do("POST", "/v1/perform", k, crm(map[string]any{"external_id": "u-vip"})), "missing")
		connectionRequired(t, e.do("POST", "/v1/perform", k, crm(map[string]any{"email": "Ann@Example.com"})), "missing")
		if r := e.do("GET", "/v1/users?email=ann@example.com", k, nil); len(r.Body["data"].([]any)) != 1 {
			t.Errorf("the email user was not created: %s", r.Raw)
		}

		// Expired: an OAuth2 token past its expiry.
		e.Clock.Advance(2 * time.Hour)
		d = connectionRequired(t, e.do("POST", "/v1/perform", k, map[string]any{"user": u1(), "integration": "github", "action": "get-repo",
			"input": map[string]any{"owner": "a", "repo": "b"}}), "expired")
		if !strings.Contains(d["assistant_hint"].(string), "GitHub has expired") {
			t.Errorf("hint: %s", d["assistant_hint"])
		}

		// Revoked.
		conns := e.do("GET", "/v1/connections?user_id="+f.user+"&integration=crm", k, nil)
		id := conns.Body["data"].([]any)[0].(map[string]any)["id"].(string)
		if r := e.do("DELETE", "/v1/connections/"+id, k, nil); r.Status != 204 {
			t.Fatal(r.Status)
		}
		d = connectionRequired(t, e.do("POST", "/v1/perform", k, crm(u1())), "revoked")
		if !strings.Contains(d["assistant_hint"].(string), "was revoked") {
			t.Errorf("hint: %s", d["assistant_hint"])
		}
	})
}

// Concurrent calls for a user who has neither a session nor the
// connection, under a limit of one session: each gets connection_required
// with a configuration URL that opens, from the one session the first call
// made; none is refused by the limit or handed a link its neighbour's
// session evicted.
func TestPerform_ConcurrentMissesShareOneSession(t *testing.T) {
	for _, policy := range []string{"reject", "evict_oldest"} {
		t.Run(policy, func(t *testing.T) {
			engines(t, func(t *testing.T, eng storetest.Engine) {
				f := newPerformFixture(t, eng)
				e, k := f.e, f.key
				if r := e.do("PATCH", "/v1/app", k, map[string]any{"settings": map[string]any{"max_sessions_per_user": 1, "session_limit_policy": policy}}); r.Status != 200 {
					t.Fatalf("%d %s", r.Status, r.Raw)
				}
				results := make([]response, 6)
				var wg sync.WaitGroup
				for i := range results {
					wg.Go(func() {
						results[i] = e.do("POST", "/v1/perform", k, map[string]any{"user": map[string]any{"external_id": "u-burst"},
							"integration": "crm", "action": "get-repo", "input": map[string]any{"owner": "a", "repo": "b"}})
					})
				}
				wg.Wait()
				for i, r := range results {
					d := connectionRequired(t, r, "missing")
					u := d["configuration_url"].(string)
					if _, err := e.Svc.OpenLink(context.Background(), u[strings.LastIndex(u, "/")+1:]); err != nil {
						t.Errorf("call %d: its configuration URL does not open: %v", i, err)
					}
				}
				if n := len(e.do("GET", "/v1/sessions?external_user_id=u-burst", k, nil).Body["data"].([]any)); n != 1 {
					t.Errorf("active sessions: %d, want 1", n)
				}
			})
		})
	}
}

// TestPerform_ConfigurationURLOpens runs the whole server: the
// configuration URL of a connection_required answer opens the hosted page.
func TestPerform_ConfigurationURLOpens(t *testing.T) {
	for _, eng := range compattest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) {
			srv := compattest.Start(t, eng, nil)
			_, key := srv.NewApp("acme")
			c := client.New(srv.URL, client.WithAPIKey(key))
			ctx := context.Background()
			name, base, typ := "Open Data", "http://127.0.0.1:9", "api_key"
			fields := []api.Field{{Name: "api_key", Label: "API key", Secret: true}}
			if _, _, err := c.PutIntegration(ctx, "data", api.IntegrationPut{Name: &name, BaseURL: &base,
				Auth: &api.IntegrationAuthPut{Type: &typ, Fields: &fields, Inject: &api.Inject{Header: "X-API-Key", Format: "{api_key}"}}}); err != nil {
				t.Fatal(err)
			}
			_, err := c.Perform(ctx, api.PerformRequest{User: api.PerformUser{ExternalID: ptr("u-9")}, Integration: "data",
				Request: &api.PerformRawRequest{Method: "GET", Path: "/x"}})
			var ce *client.Error
			if !errors.As(err, &ce) || ce.Status != 409 || ce.Code != "connection_required" {
				t.Fatalf("perform: %v", err)
			}
			cfg, _ := ce.Details["configuration_url"].(string)
			if !strings.HasPrefix(cfg, srv.URL+"/connect/") {
				t.Fatalf("configuration_url %q", cfg)
			}
			noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			res, err := noFollow.Get(cfg)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/connect/" {
				t.Fatalf("opening the configuration URL: %d %s", res.StatusCode, res.Header.Get("Location"))
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestTools(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		f := newPerformFixture(t, eng)
		e, k := f.e, f.key
		names := func(r response) []string {
			t.Helper()
			if r.Status != 200 {
				t.Fatalf("%d %s", r.Status, r.Raw)
			}
			var tools []struct {
				Type     string
				Function struct {
					Name        string
					Description string
					Parameters  map[string]any
				}
			}
			if err := json.Unmarshal(r.Raw, &tools); err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, tl := range tools {
				if tl.Type != "function" || tl.Function.Description == "" || tl.Function.Parameters["type"] != "object" {
					t.Errorf("tool %+v", tl)
				}
				out = append(out, tl.Function.Name)
			}
			return out
		}
		all := names(e.do("GET", "/v1/tools", k, nil))
		member := names(e.do("GET", "/v1/tools?user_id="+f.vipUser, k, nil))
		outsider := names(e.do("GET", "/v1/tools?user_id="+f.user, k, nil))
		has := func(list []string, n string) bool {
			for _, x := range list {
				if x == n {
					return true
				}
			}
			return false
		}
		if len(all) != 5 || !has(all, "vip_get_repo") || !has(all, "crm_create_issue") || !has(all, "github_get_repo") {
			t.Errorf("all tools: %v", all)
		}
		if !has(member, "vip_get_repo") || len(member) != 5 {
			t.Errorf("member's tools: %v", member)
		}
		if has(outsider, "vip_get_repo") || len(outsider) != 4 {
			t.Errorf("outsider's tools: %v", outsider)
		}
		if r := e.do("GET", "/v1/tools?user_id=usr_nope", k, nil); r.Status != 404 {
			t.Errorf("unknown user: %d", r.Status)
		}
		_, otherKey := e.newApp("other")
		if r := e.do("GET", "/v1/tools?user_id="+f.user, auth(otherKey), nil); r.Status != 404 {
			t.Errorf("another app's user: %d", r.Status)
		}
		if r := e.do("GET", "/v1/tools", auth(otherKey), nil); r.Status != 200 || string(r.Raw) != "[]\n" {
			t.Errorf("another app's tools: %s", r.Raw)
		}
	})
}

// A node whose encryption keys lack the one a connection was sealed with
// (a rotation ran while it was up with the old key alone) answers 503
// unavailable, not 500, and says what the operator must do.
func TestPerform_CredentialsTheNodeCannotDecrypt(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		f := newPerformFixture(t, eng)
		e, k := f.e, f.key
		other, err := secret.ParseKeys(secret.NewKey())
		if err != nil {
			t.Fatal(err)
		}
		e.Svc.Sealer = other
		r := e.do("POST", "/v1/perform", k, map[string]any{"user": u1(), "integration": "crm", "action": "get-repo",
			"input": map[string]any{"owner": "acme", "repo": "web"}})
		if r.Status != 503 || r.code() != "unavailable" || r.Header.Get("Retry-After") == "" ||
			!strings.Contains(string(r.Raw), "restart it with the current keys") {
			t.Fatalf("perform: %d %s", r.Status, r.Raw)
		}
	})
}
