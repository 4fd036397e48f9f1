package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/porticohq/portico/internal/httpapi"
	"github.com/porticohq/portico/internal/portico"
	"github.com/porticohq/portico/internal/store/storetest"
)

// apiKeyIntegration is a complete api_key definition; edit changes a copy.
func apiKeyIntegration(edit func(m map[string]any)) map[string]any {
	m := map[string]any{
		"name": "Acme CRM", "category": "crm", "base_url": "https://api.acme.example/v2",
		"auth": map[string]any{
			"type":   "api_key",
			"fields": []any{map[string]any{"name": "api_key", "label": "API key", "secret": true}, map[string]any{"name": "region", "optional": true}},
			"inject": map[string]any{"header": "X-Api-Key", "format": "{api_key}"},
		},
		"actions": []any{map[string]any{"name": "list-deals", "description": "List deals.", "method": "GET", "path": "/deals/{pipeline}",
			"input_schema": map[string]any{"type": "object", "properties": map[string]any{"pipeline": map[string]any{"type": "string"}}}}},
	}
	if edit != nil {
		edit(m)
	}
	return m
}

func authOf(m map[string]any) map[string]any { return m["auth"].(map[string]any) }

func action(m map[string]any) map[string]any { return m["actions"].([]any)[0].(map[string]any) }

// noSecret fails if the answer holds any of the values.
func noSecret(values ...string) func(t *testing.T, r response) {
	return func(t *testing.T, r response) {
		t.Helper()
		for _, v := range values {
			if strings.Contains(string(r.Raw), v) {
				t.Errorf("the answer holds a secret value %q: %s", v, truncate(r.Raw))
			}
		}
	}
}

func TestIntegrations_PutGetDelete(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		appID, key := e.newApp("acme")
		otherID, otherKey := e.newApp("other")
		e.mustAccount(key, "vip")
		e.mustAccount(otherKey, "theirs")
		const clientSecret = "gh-client-secret-value-1"
		const otherSecret = "their-client-secret-value"
		e.secret(clientSecret, otherSecret)
		if r := e.do("PUT", "/v1/integrations/foreign", auth(otherKey), map[string]any{"template": "github",
			"auth": map[string]any{"oauth2": map[string]any{"client_id": "theirs", "client_secret": otherSecret}}}); r.Status != 201 {
			t.Fatalf("other app's integration: %d %s", r.Status, r.Raw)
		}
		sessionToken := e.createSession(key, map[string]any{"user": map[string]any{"external_id": "u1"}}).Body["token"].(string)
		now := e.Clock.Now().Format("2006-01-02T15:04:05Z")
		put := func(name, slug string, body any, status int, code, field string) scenario {
			sc := scenario{name: name, method: "PUT", path: "/v1/integrations/" + slug, body: body, status: status, code: code, field: field}
			sc.readOnly = status >= 400
			return sc
		}
		bad := func(name string, edit func(m map[string]any), field string) scenario {
			return put(name, "acme-crm", apiKeyIntegration(edit), 422, "validation_failed", field)
		}
		badURL := func(u string) scenario {
			sc := bad("base_url "+u, func(m map[string]any) { m["base_url"] = u }, "base_url")
			sc.check = func(t *testing.T, r response) {
				msg := r.Body["error"].(map[string]any)["message"].(string)
				if !strings.HasPrefix(msg, "base_url") || strings.Contains(msg, "validation_failed") {
					t.Errorf("message %q", msg)
				}
			}
			return sc
		}
		secretStored := func(slug, want string) func(t *testing.T, r response) {
			return func(t *testing.T, r response) {
				in, err := e.Svc.FindIntegration(context.Background(), appID, slug)
				if err != nil {
					t.Fatal(err)
				}
				got, err := e.Svc.OAuth2ClientSecret(in)
				if err != nil || got != want {
					t.Errorf("stored client secret %q %v, want %q", got, err, want)
				}
				noSecret(clientSecret, otherSecret)(t, r)
			}
		}
		cases := []scenario{
			put("GitHub from the template with only a client", "github", map[string]any{"template": "github",
				"auth": map[string]any{"oauth2": map[string]any{"client_id": "Iv1.abc", "client_secret": clientSecret}}}, 201, "", ""),
			{name: "get masks the client secret", method: "GET", path: "/v1/integrations/github", status: 200, readOnly: true,
				check: func(t *testing.T, r response) {
					noSecret(clientSecret)(t, r)
					a := authOf(r.Body)
					o := a["oauth2"].(map[string]any)
					if r.Body["slug"] != "github" || r.Body["name"] != "GitHub" || r.Body["template"] != "github" || r.Body["category"] != "code" ||
						r.Body["base_url"] != "https://api.github.com" || a["type"] != "oauth2" || o["client_id"] != "Iv1.abc" ||
						o["client_secret"] != "********" || o["authorize_url"] != "https://github.com/login/oauth/authorize" ||
						!reflect.DeepEqual(a["inject"], map[string]any{"header": "Authorization", "format": "Bearer {access_token}"}) ||
						r.Body["created_at"] != now || len(r.Body["actions"].([]any)) != 4 {
						t.Errorf("got %s", r.Raw)
					}
				}},
			{name: "the secret is sealed", method: "GET", path: "/v1/integrations/github", status: 200, readOnly: true, check: secretStored("github", clientSecret)},
			put("replace without a secret keeps it", "github", map[string]any{"template": "github", "name": "GitHub EE",
				"auth": map[string]any{"oauth2": map[string]any{"client_id": "Iv1.def", "scopes": []string{"repo"}}}}, 200, "", ""),
			{name: "kept", method: "GET", path: "/v1/integrations/github", status: 200, readOnly: true, check: func(t *testing.T, r response) {
				secretStored("github", clientSecret)(t, r)
				o := authOf(r.Body)["oauth2"].(map[string]any)
				if r.Body["name"] != "GitHub EE" || o["client_id"] != "Iv1.def" || !reflect.DeepEqual(o["scopes"], []any{map[string]any{"name": "repo", "description": ""}}) || o["client_secret"] != "********" {
					t.Errorf("got %s", r.Raw)
				}
			}},
			put("the mask keeps the secret", "github", map[string]any{"template": "github",
				"auth": map[string]any{"oauth2": map[string]any{"client_id": "Iv1.def", "client_secret": "********"}}}, 200, "", ""),
			{name: "still kept", method: "GET", path: "/v1/integrations/github", status: 200, readOnly: true, check: secretStored("github", clientSecret)},
			put("the mask with nothing stored", "gitlab", map[string]any{"template": "github",
				"auth": map[string]any{"oauth2": map[string]any{"client_id": "x", "client_secret": "********"}}}, 422, "validation_failed", "auth.oauth2.client_secret"),
			put("a public client without a secret", "github-public", map[string]any{"template": "github",
				"auth": map[string]any{"oauth2": map[string]any{"client_id": "x"}}}, 201, "", ""),
			{name: "no secret shows null", method: "GET", path: "/v1/integrations/github-public", status: 200, readOnly: true, check: func(t *testing.T, r response) {
				if o := authOf(r.Body)["oauth2"].(map[string]any); o["client_secret"] != nil {
					t.Errorf("client_secret %v", o["client_secret"])
				}
			}},
			put("stripe from the template alone", "stripe", map[string]any{"template": "stripe"}, 201, "", ""),
			put("salesforce takes each org's instance from its connections' settings", "salesforce", map[string]any{"template": "salesforce",
				"auth": map[string]any{"oauth2": map[string]any{"client_id": "x"}}}, 201, "", ""),
			put("salesforce on one instance for every user", "salesforce", map[string]any{"template": "salesforce", "base_url": "https://acme.my.salesforce.com",
				"settings_fields": []any{}, "auth": map[string]any{"oauth2": map[string]any{"client_id": "x"}}}, 200, "", ""),
			put("a template with another auth type drops the template's auth", "gh-pat", map[string]any{"template": "github",
				"auth": map[string]any{"type": "api_key", "fields": []any{map[string]any{"name": "token", "secret": true}},
					"inject": map[string]any{"header": "Authorization", "format": "token {token}"}}}, 201, "", ""),
			put("unknown template", "x", map[string]any{"template": "myspace"}, 422, "validation_failed", "template"),
			put("empty template", "x", map[string]any{"template": ""}, 422, "validation_failed", "template"),
			put("a template's oauth2 without a client", "gh2", map[string]any{"template": "github"}, 422, "validation_failed", "auth.oauth2.client_id"),

			put("a full api_key integration", "acme-crm", apiKeyIntegration(nil), 201, "", ""),
			{name: "its exact shape", method: "GET", path: "/v1/integrations/acme-crm", status: 200, readOnly: true, check: func(t *testing.T, r response) {
				want := map[string]any{"slug": "acme-crm", "name": "Acme CRM", "category": "crm", "base_url": "https://api.acme.example/v2", "template": nil,
					"auth": map[string]any{"type": "api_key", "fields": []any{
						map[string]any{"name": "api_key", "label": "API key", "secret": true, "optional": false},
						map[string]any{"name": "region", "label": "region", "secret": false, "optional": true}},
						"inject": map[string]any{"header": "X-Api-Key", "format": "{api_key}"}, "oauth2": nil},
					"account_ids": []any{},
					"actions": []any{map[string]any{"name": "list-deals", "description": "List deals.", "method": "GET", "path": "/deals/{pipeline}",
						"input_schema": map[string]any{"type": "object", "properties": map[string]any{"pipeline": map[string]any{"type": "string"}}}}},
					"description": nil, "logo_url": nil, "brand_color": nil, "source_url": nil, "guide": nil,
					"settings_fields": []any{}, "headers": map[string]any{}, "verify": nil,
					"created_at": now, "updated_at": now}
				if !reflect.DeepEqual(r.Body, want) {
					got, _ := json.Marshal(r.Body)
					w, _ := json.Marshal(want)
					t.Errorf("got  %s\nwant %s", got, w)
				}
			}},
			put("basic with default fields", "jira", map[string]any{"name": "Jira", "base_url": "https://acme.atlassian.net", "auth": map[string]any{"type": "basic"}}, 201, "", ""),
			put("none", "status-page", map[string]any{"name": "Status", "base_url": "https://status.example.com", "auth": map[string]any{"type": "none"}}, 201, "", ""),
			put("query injection", "q", apiKeyIntegration(func(m map[string]any) {
				authOf(m)["inject"] = map[string]any{"query": "api_key", "format": "{api_key}"}
			}), 201, "", ""),
			put("restricted to an account", "vip-tool", apiKeyIntegration(func(m map[string]any) { m["account_ids"] = []string{"vip"} }), 201, "", ""),
			put("a lower-case method is normalised", "lower", apiKeyIntegration(func(m map[string]any) { action(m)["method"] = "post" }), 201, "", ""),
			put("an action without a schema", "noschema", apiKeyIntegration(func(m map[string]any) {
				a := action(m)
				delete(a, "input_schema")
				a["path"] = "/deals"
			}), 201, "", ""),

			// Slugs.
			put("upper-case slug", "GitHub", map[string]any{"template": "stripe"}, 422, "validation_failed", "slug"),
			put("slug with a dot", "a.b", map[string]any{"template": "stripe"}, 422, "validation_failed", "slug"),
			put("slug starting with a dash", "-ab", map[string]any{"template": "stripe"}, 422, "validation_failed", "slug"),
			put("65-character slug", strings.Repeat("a", 65), map[string]any{"template": "stripe"}, 422, "validation_failed", "slug"),
			put("escaped slash in the slug", "a%2Fb", map[string]any{"template": "stripe"}, 422, "validation_failed", "slug"),
			put("escaped line break in the slug", "a%0Ab", map[string]any{"template": "stripe"}, 422, "validation_failed", "slug"),
			put("64-character slug", strings.Repeat("a", 64), map[string]any{"template": "stripe", "actions": []any{}}, 201, "", ""),
			put("64-character slug with actions: tool names past 64", strings.Repeat("b", 64), map[string]any{"template": "stripe"}, 422, "validation_failed", "actions[0].name"),

			// base_url and OAuth2 URLs.
			badURL("http://127.0.0.1:9000"),
			badURL("http://localhost:9000"),
			badURL("http://api.example.com"),
			badURL("https://127.0.0.1"),
			badURL("https://[::1]/x"),
			badURL("https://api.example.com:0"),
			badURL("https://api.example.com:99999"),
			badURL("https://a..example.com"),
			badURL("https://-a.example.com"),
			badURL("https://a-.example.com"),
			badURL("https://[::ffff:0:7f00:1]"),
			badURL("https://[::1%25lo]:18444"),
			func() scenario {
				sc := badURL("https://exa mple.com")
				sc.message = "base_url must not contain white space, a backslash or control characters (%-encode a space as %20)."
				return sc
			}(),
			badURL("https://[fe80::1%25eth0]/x"),
			// The base path keeps an action path's rules: no upstream may
			// resolve it above itself.
			func() scenario {
				sc := badURL("https://api.example.com/v1/../admin")
				sc.message = "base_url's path must not contain . or .. segments, also %-encoded or with ;parameters."
				return sc
			}(),
			badURL("https://api.example.com/v1/%2e%2e"),
			badURL("https://api.example.com/v1/%252e"),
			badURL("https://api.example.com/./v1"),
			badURL("https://api.example.com/v1/..;x/"),
			badURL("https://api.example.com/v1//v2"),
			put("a base path with a trailing slash", "acme-crm", apiKeyIntegration(func(m map[string]any) { m["base_url"] = "https://api.acme.example/v2/" }), 200, "", ""),
			badURL("https://10.1.2.3"),
			badURL("https://192.168.0.1"),
			badURL("https://169.254.169.254/latest/meta-data"),
			badURL("https://[fd00::1]"),
			badURL("https://0.0.0.0"),
			badURL("https://localhost"),
			badURL("https://db.localhost"),
			badURL("https://metadata.google.internal"),
			badURL("javascript:alert(1)"),
			badURL("data:text/html,hi"),
			badURL("file:///etc/passwd"),
			badURL("ftp://files.example.com"),
			badURL("//api.example.com"),
			badURL("/relative"),
			badURL("https://user:pw@api.example.com"),
			badURL("https://api.example.com/#frag"),
			badURL("https://api.example.com/?key=1"),
			badURL("https://api.example.com/a b"),
			badURL("https://api.example.com/\r\nX: y"),
			badURL("https://"),
			badURL("https://" + strings.Repeat("a", 2050) + ".com"),
			bad("missing base_url", func(m map[string]any) { delete(m, "base_url") }, "base_url"),
			put("authorize_url javascript:", "gh3", map[string]any{"template": "github",
				"auth": map[string]any{"oauth2": map[string]any{"client_id": "x", "authorize_url": "javascript:alert(1)"}}}, 422, "validation_failed", "auth.oauth2.authorize_url"),
			put("token_url to a private address", "gh3", map[string]any{"template": "github",
				"auth": map[string]any{"oauth2": map[string]any{"client_id": "x", "token_url": "https://10.0.0.1/token"}}}, 422, "validation_failed", "auth.oauth2.token_url"),
			put("token_url with a query", "gh3", map[string]any{"template": "github",
				"auth": map[string]any{"oauth2": map[string]any{"client_id": "x", "token_url": "https://github.com/t?x=1"}}}, 422, "validation_failed", "auth.oauth2.token_url"),
			put("a scope with a space", "gh3", map[string]any{"template": "github",
				"auth": map[string]any{"oauth2": map[string]any{"client_id": "x", "scopes": []string{"repo user"}}}}, 422, "validation_failed", "auth.oauth2.scopes[0].name"),
			put("a client_id with a line break", "gh3", map[string]any{"template": "github",
				"auth": map[string]any{"oauth2": map[string]any{"client_id": "x\r\ny"}}}, 422, "validation_failed", "auth.oauth2.client_id"),

			// Auth.
			bad("unknown auth type", func(m map[string]any) { authOf(m)["type"] = "saml" }, "auth.type"),
			bad("missing auth", func(m map[string]any) { delete(m, "auth") }, "auth.type"),
			bad("api_key without fields", func(m map[string]any) { delete(authOf(m), "fields") }, "auth.fields"),
			bad("api_key without inject", func(m map[string]any) { delete(authOf(m), "inject") }, "auth.inject"),
			bad("oauth2 without a client", func(m map[string]any) { authOf(m)["type"] = "oauth2"; delete(authOf(m), "inject") }, "auth.oauth2"),
			bad("api_key with an oauth2 block", func(m map[string]any) {
				authOf(m)["oauth2"] = map[string]any{"client_id": "x", "authorize_url": "https://a.example.com", "token_url": "https://a.example.com"}
			}, "auth.oauth2"),
			bad("basic without a password field", func(m map[string]any) {
				authOf(m)["type"] = "basic"
				delete(authOf(m), "inject")
				authOf(m)["fields"] = []any{map[string]any{"name": "username"}}
			}, "auth.fields"),
			bad("basic with inject", func(m map[string]any) {
				authOf(m)["type"] = "basic"
				authOf(m)["fields"] = []any{map[string]any{"name": "username"}, map[string]any{"name": "password"}}
			}, "auth.inject"),
			bad("none with fields", func(m map[string]any) { authOf(m)["type"] = "none" }, "auth"),
			bad("a field name with a dash", func(m map[string]any) { authOf(m)["fields"].([]any)[0].(map[string]any)["name"] = "api-key" }, "auth.fields[0].name"),
			bad("a field name starting with a digit", func(m map[string]any) { authOf(m)["fields"].([]any)[0].(map[string]any)["name"] = "1key" }, "auth.fields[0].name"),
			bad("an upper-case field name", func(m map[string]any) { authOf(m)["fields"].([]any)[0].(map[string]any)["name"] = "ApiKey" }, "auth.fields[0].name"),
			bad("two fields of one name", func(m map[string]any) { authOf(m)["fields"].([]any)[1].(map[string]any)["name"] = "api_key" }, "auth.fields[1].name"),
			bad("a label with a control character", func(m map[string]any) { authOf(m)["fields"].([]any)[0].(map[string]any)["label"] = "a\x07" }, "auth.fields[0].label"),
			bad("an oauth2 field named like a token key", func(m map[string]any) {
				m["template"] = "github"
				authOf(m)["type"] = "oauth2"
				authOf(m)["oauth2"] = map[string]any{"client_id": "x"}
				authOf(m)["fields"] = []any{map[string]any{"name": "refresh_token"}}
				delete(authOf(m), "inject")
			}, "auth.fields[0].name"),

			// Injection rules.
			bad("inject an undeclared field", func(m map[string]any) { authOf(m)["inject"].(map[string]any)["format"] = "Bearer {token}" }, "auth.inject.format"),
			bad("inject {access_token} without oauth2", func(m map[string]any) { authOf(m)["inject"].(map[string]any)["format"] = "Bearer {access_token}" }, "auth.inject.format"),
			bad("inject without a placeholder", func(m map[string]any) { authOf(m)["inject"].(map[string]any)["format"] = "Bearer fixed" }, "auth.inject.format"),
			bad("inject with an unmatched brace", func(m map[string]any) { authOf(m)["inject"].(map[string]any)["format"] = "Bearer {api_key" }, "auth.inject.format"),
			bad("inject with a stray brace", func(m map[string]any) { authOf(m)["inject"].(map[string]any)["format"] = "{api_key}}" }, "auth.inject.format"),
			bad("inject with a nested placeholder", func(m map[string]any) { authOf(m)["inject"].(map[string]any)["format"] = "{{api_key}}" }, "auth.inject.format"),
			bad("inject with an expression", func(m map[string]any) { authOf(m)["inject"].(map[string]any)["format"] = "{api_key.x}" }, "auth.inject.format"),
			bad("inject with CR LF", func(m map[string]any) { authOf(m)["inject"].(map[string]any)["format"] = "{api_key}\r\nX-Evil: 1" }, "auth.inject.format"),
			bad("inject header and query", func(m map[string]any) { authOf(m)["inject"].(map[string]any)["query"] = "k" }, "auth.inject"),
			bad("inject neither header nor query", func(m map[string]any) { delete(authOf(m)["inject"].(map[string]any), "header") }, "auth.inject"),
			bad("inject into Host", func(m map[string]any) { authOf(m)["inject"].(map[string]any)["header"] = "Host" }, "auth.inject.header"),
			bad("inject into Content-Length", func(m map[string]any) { authOf(m)["inject"].(map[string]any)["header"] = "content-length" }, "auth.inject.header"),
			bad("inject into a header with a colon", func(m map[string]any) { authOf(m)["inject"].(map[string]any)["header"] = "X-Key: a" }, "auth.inject.header"),
			bad("inject into a header with CR LF", func(m map[string]any) { authOf(m)["inject"].(map[string]any)["header"] = "X-Key\r\nEvil" }, "auth.inject.header"),
			bad("inject into a query parameter with &", func(m map[string]any) {
				authOf(m)["inject"] = map[string]any{"query": "a&b", "format": "{api_key}"}
			}, "auth.inject.query"),

			// Actions.
			bad("two actions of one name", func(m map[string]any) {
				m["actions"] = append(m["actions"].([]any), map[string]any{"name": "list-deals", "method": "GET", "path": "/x"})
			}, "actions[1].name"),
			bad("an action name with a space", func(m map[string]any) { action(m)["name"] = "list deals" }, "actions[0].name"),
			bad("an upper-case action name", func(m map[string]any) { action(m)["name"] = "ListDeals" }, "actions[0].name"),
			bad("an action without a name", func(m map[string]any) { delete(action(m), "name") }, "actions[0].name"),
			bad("a tool name past 64 characters", func(m map[string]any) { action(m)["name"] = strings.Repeat("a", 64) }, "actions[0].name"),
			bad("method TRACE", func(m map[string]any) { action(m)["method"] = "TRACE" }, "actions[0].method"),
			bad("method CONNECT", func(m map[string]any) { action(m)["method"] = "CONNECT" }, "actions[0].method"),
			bad("a relative path", func(m map[string]any) { action(m)["path"] = "deals" }, "actions[0].path"),
			bad("a path naming another host", func(m map[string]any) { action(m)["path"] = "//evil.example.com/x" }, "actions[0].path"),
			bad("an absolute URL as path", func(m map[string]any) { action(m)["path"] = "https://evil.example.com/x" }, "actions[0].path"),
			bad("a path with ..", func(m map[string]any) { action(m)["path"] = "/a/../admin" }, "actions[0].path"),
			bad("a path with escaped ..", func(m map[string]any) { action(m)["path"] = "/a/%2e%2e/admin" }, "actions[0].path"),
			bad("a path with ..;", func(m map[string]any) { action(m)["path"] = "/a/..;x/admin" }, "actions[0].path"),
			bad("a path with escaped ..;", func(m map[string]any) { action(m)["path"] = "/a/%2E%2e;/admin" }, "actions[0].path"),
			bad("a path with a query", func(m map[string]any) { action(m)["path"] = "/deals?all=1" }, "actions[0].path"),
			bad("a path with a backslash", func(m map[string]any) { action(m)["path"] = "/a\\b" }, "actions[0].path"),
			bad("a path with a malformed escape", func(m map[string]any) { action(m)["path"] = "/deals/%zz" }, "actions[0].path"),
			bad("a path placeholder the schema lacks", func(m map[string]any) { action(m)["path"] = "/deals/{stage}" }, "actions[0].path"),
			bad("an input_schema array", func(m map[string]any) { action(m)["input_schema"] = []any{} }, "actions[0].input_schema"),
			bad("an input_schema string", func(m map[string]any) { action(m)["input_schema"] = "object" }, "actions[0].input_schema"),
			bad("an input_schema of type string", func(m map[string]any) { action(m)["input_schema"] = map[string]any{"type": "string"} }, "actions[0].input_schema"),
			bad("an input_schema without a type", func(m map[string]any) { action(m)["input_schema"] = map[string]any{"properties": map[string]any{}} }, "actions[0].input_schema"),
			bad("input_schema properties an array", func(m map[string]any) {
				action(m)["input_schema"] = map[string]any{"type": "object", "properties": []any{}}
			}, "actions[0].input_schema"),
			bad("a description with a control character", func(m map[string]any) { action(m)["description"] = "a\x00b" }, "actions[0].description"),
			bad("an input_schema nested past the bound", func(m map[string]any) {
				// 40 levels of objects: 81 levels of JSON, past 64.
				schema := map[string]any{"type": "object"}
				for range 40 {
					schema = map[string]any{"type": "object", "properties": map[string]any{"a": schema}}
				}
				action(m)["input_schema"] = schema
			}, "actions[0].input_schema"),

			// Other fields.
			bad("a category with a space", func(m map[string]any) { m["category"] = "CRM tools" }, "category"),
			bad("no name without a template", func(m map[string]any) { delete(m, "name") }, "name"),
			bad("a blank name", func(m map[string]any) { m["name"] = "  " }, "name"),
			bad("an unknown account", func(m map[string]any) { m["account_ids"] = []string{"nope"} }, "account_ids"),
			bad("another app's account", func(m map[string]any) { m["account_ids"] = []string{"theirs"} }, "account_ids"),
			bad("an invalid account id", func(m map[string]any) { m["account_ids"] = []string{"a b"} }, "account_ids"),

			// Strict JSON.
			put("an unknown top-level field", "acme-crm", apiKeyIntegration(func(m map[string]any) { m["id"] = "x" }), 400, "invalid_request", "id"),
			put("an unknown auth field", "acme-crm", apiKeyIntegration(func(m map[string]any) { authOf(m)["secret"] = "x" }), 400, "invalid_request", "auth.secret"),
			put("an unknown oauth2 field", "gh4", map[string]any{"template": "github", "auth": map[string]any{"oauth2": map[string]any{"client_id": "x", "redirect_uri": "https://e.com"}}},
				400, "invalid_request", "auth.oauth2.redirect_uri"),
			put("an unknown action field", "acme-crm", apiKeyIntegration(func(m map[string]any) { action(m)["url"] = "x" }), 400, "invalid_request", "actions[0].url"),
			put("an unknown field field", "acme-crm", apiKeyIntegration(func(m map[string]any) { authOf(m)["fields"].([]any)[0].(map[string]any)["value"] = "x" }),
				400, "invalid_request", "auth.fields[0].value"),
			put("a duplicate key inside input_schema", "acme-crm",
				`{"name":"A","base_url":"https://a.example.com","auth":{"type":"none"},"actions":[{"name":"a","method":"GET","path":"/","input_schema":{"type":"object","type":"string"}}]}`,
				400, "invalid_request", "actions[0].input_schema.type"),
			put("a mis-cased key", "acme-crm", `{"Name":"A","base_url":"https://a.example.com","auth":{"type":"none"}}`, 400, "invalid_request", "Name"),
			put("fields not an array", "acme-crm", apiKeyIntegration(func(m map[string]any) { authOf(m)["fields"] = "api_key" }), 400, "invalid_request", "auth.fields"),
			put("a secret flag not a boolean", "acme-crm", apiKeyIntegration(func(m map[string]any) { authOf(m)["fields"].([]any)[0].(map[string]any)["secret"] = "yes" }),
				400, "invalid_request", "auth.fields[0].secret"),

			// Other apps and tokens.
			{name: "get another app's integration", method: "GET", path: "/v1/integrations/foreign", status: 404, code: "not_found", readOnly: true},
			{name: "delete another app's integration", method: "DELETE", path: "/v1/integrations/foreign", status: 404, code: "not_found", readOnly: true},
			{name: "get unknown", method: "GET", path: "/v1/integrations/nope", status: 404, code: "not_found", readOnly: true},
			{name: "get one of the catalogue not installed", method: "GET", path: "/v1/integrations/slack", status: 404, code: "not_found", readOnly: true,
				message: `Integration "slack" not found. The catalogue has it: install it with PUT /v1/integrations/slack and the body {"template":"slack"}.`},
			{name: "get a malformed slug", method: "GET", path: "/v1/integrations/" + url.PathEscape("a b"), status: 404, code: "not_found", readOnly: true},
			{name: "get in another case", method: "GET", path: "/v1/integrations/GITHUB", status: 404, code: "not_found", readOnly: true},
			{name: "a session token on the app API", method: "GET", path: "/v1/integrations", headers: auth(sessionToken), status: 401, code: "invalid_api_key", readOnly: true},
			{name: "a session token on PUT", method: "PUT", path: "/v1/integrations/x", headers: auth(sessionToken), body: map[string]any{"template": "stripe"},
				status: 401, code: "invalid_api_key", readOnly: true},
			put("the same slug as another app's is this app's own", "foreign", map[string]any{"template": "stripe"}, 201, "", ""),
			{name: "force must be a boolean", method: "DELETE", path: "/v1/integrations/stripe?force=yes", status: 400, code: "invalid_request", field: "force", readOnly: true},
			{name: "delete", method: "DELETE", path: "/v1/integrations/stripe", status: 204},
			{name: "deleted", method: "GET", path: "/v1/integrations/stripe", status: 404, code: "not_found", readOnly: true},
			{name: "delete again", method: "DELETE", path: "/v1/integrations/stripe", status: 404, code: "not_found", readOnly: true},
			{name: "PATCH is not a method here", method: "PATCH", path: "/v1/integrations/github", body: map[string]any{}, status: 405, code: "method_not_allowed", readOnly: true},
		}
		cases = append(cases, withKey(key, hostileBodies("PUT", "/v1/integrations/acme-crm", `{"template":"stripe"}`))...)
		e.run(t, key, []string{appID, otherID}, cases)

		// The other app's integration and secret are untouched.
		r := e.do("GET", "/v1/integrations/foreign", auth(otherKey), nil)
		if r.Status != 200 || r.Body["template"] != "github" {
			t.Fatalf("the other app's integration: %d %s", r.Status, r.Raw)
		}
		in, _ := e.Svc.FindIntegration(context.Background(), otherID, "foreign")
		if s, err := e.Svc.OAuth2ClientSecret(in); err != nil || s != otherSecret {
			t.Fatalf("the other app's secret: %v", err)
		}
		if strings.Contains(e.logs.String(), clientSecret) {
			t.Fatal("a client secret is in the log")
		}
	})
}

func TestIntegrations_AllowPrivateUpstreams(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng, func(o *httpapi.Options) { o.Service.AllowPrivateUpstreams = true })
		appID, key := e.newApp("dev")
		put := func(name, base string, status int) scenario {
			sc := scenario{name: name, method: "PUT", path: "/v1/integrations/local", status: status,
				body: apiKeyIntegration(func(m map[string]any) { m["base_url"] = base })}
			if status >= 400 {
				sc.code, sc.field, sc.readOnly = "validation_failed", "base_url", true
			}
			return sc
		}
		e.run(t, key, []string{appID}, []scenario{
			put("http to 127.0.0.1", "http://127.0.0.1:9000", 200+1),
			put("http to localhost", "http://localhost:9000/api", 200),
			put("http to ::1", "http://[::1]:9000", 200),
			put("https to a private address", "https://10.0.0.5", 200),
			put("http to a private address stays refused", "http://10.0.0.5", 422),
			put("http to a public host stays refused", "http://api.example.com", 422),
			put("javascript: stays refused", "javascript:alert(1)", 422),
			put("credentials in the URL stay refused", "http://u:p@127.0.0.1", 422),
		})
	})
}

func TestIntegrations_List(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		_, key := e.newApp("acme")
		_, otherKey := e.newApp("other")
		e.do("PUT", "/v1/integrations/theirs", auth(otherKey), map[string]any{"template": "stripe"})
		slugs := portico.TemplateSlugs()
		for i, slug := range slugs {
			if i%3 == 0 {
				e.Clock.Advance(1e9)
			}
			body := map[string]any{"template": slug}
			if in, _ := portico.Template(slug); in.Auth.Type == portico.AuthOAuth2 {
				body["auth"] = map[string]any{"oauth2": map[string]any{"client_id": "c"}}
			}
			if r := e.do("PUT", "/v1/integrations/"+slug, auth(key), body); r.Status != 201 {
				t.Fatalf("template %s: %d %s", slug, r.Status, r.Raw)
			}
		}
		if len(slugs) < 10 {
			t.Fatalf("the catalogue has %d templates", len(slugs))
		}
		for _, size := range []int{1, 2, 5, 100} {
			var got []string
			token := ""
			for pages := 0; pages < 100; pages++ {
				path := fmt.Sprintf("/v1/integrations?page_size=%d", size)
				if token != "" {
					path += "&page_token=" + url.QueryEscape(token)
				}
				r := e.do("GET", path, auth(key), nil)
				if r.Status != 200 {
					t.Fatalf("%s: %d %s", path, r.Status, r.Raw)
				}
				for _, d := range r.Body["data"].([]any) {
					got = append(got, d.(map[string]any)["slug"].(string))
				}
				if r.Body["next_page_token"] == nil {
					break
				}
				token = r.Body["next_page_token"].(string)
			}
			sorted := append([]string{}, got...)
			sort.Strings(sorted)
			if !reflect.DeepEqual(sorted, slugs) || len(got) != len(slugs) {
				t.Fatalf("size %d: listed %v", size, got)
			}
		}
		r := e.do("GET", "/v1/integrations?page_token=bogus", auth(key), nil)
		if r.Status != 400 || r.code() != "invalid_request" {
			t.Fatalf("bad page token: %d %s", r.Status, r.Raw)
		}
		r = e.do("GET", "/v1/integrations?page_size=101", auth(key), nil)
		if r.Status != 400 {
			t.Fatalf("page_size 101: %d", r.Status)
		}
		if r := e.do("GET", "/v1/integrations", auth(otherKey), nil); len(r.Body["data"].([]any)) != 1 {
			t.Fatalf("the other app sees %s", r.Raw)
		}
	})
}

func TestIntegrations_DeleteWithConnections(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		appID, key := e.newApp("acme")
		e.do("PUT", "/v1/integrations/stripe", auth(key), map[string]any{"template": "stripe"})
		uid := e.mustUser(key, map[string]any{"external_id": "u1"})
		e.secret("sk_live_deleteme_123456")
		r := e.do("PUT", "/v1/users/"+uid+"/connections/stripe", auth(key), map[string]any{"credentials": map[string]string{"api_key": "sk_live_deleteme_123456"}})
		if r.Status != 201 {
			t.Fatalf("import: %d %s", r.Status, r.Raw)
		}
		cid := r.Body["id"].(string)
		e.run(t, key, []string{appID}, []scenario{
			{name: "refused while connected", method: "DELETE", path: "/v1/integrations/stripe", status: 409, code: "conflict", readOnly: true,
				check: func(t *testing.T, r response) {
					if d := r.Body["error"].(map[string]any)["details"].(map[string]any); d["connections"] != 1.0 {
						t.Errorf("details %v", d)
					}
				}},
			{name: "force=false is refused too", method: "DELETE", path: "/v1/integrations/stripe?force=false", status: 409, code: "conflict", readOnly: true},
			{name: "force", method: "DELETE", path: "/v1/integrations/stripe?force=true", status: 204},
			{name: "the connection is gone", method: "GET", path: "/v1/connections/" + cid, status: 404, code: "not_found", readOnly: true},
		})
	})
}

// Tool names are <slug>_<action> with - read as _ (docs/mcp.md): a PUT
// whose tool names would break the pattern or collide, within the
// integration or with another one, is refused naming the field, and
// nothing is stored; every stored tool resolves, dashes or not.
func TestIntegrations_ToolNames(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		appID, key := e.newApp("acme")
		withActions := func(names ...string) map[string]any {
			return apiKeyIntegration(func(m map[string]any) {
				var acts []any
				for _, n := range names {
					acts = append(acts, map[string]any{"name": n, "method": "GET", "path": "/x"})
				}
				m["actions"] = acts
			})
		}
		refused := []struct {
			slug    string
			body    map[string]any
			field   string
			message string
		}{
			{"2fa", withActions("get"), "actions[0].name", "must start with a letter"},
			{"crm", withActions("list-deals", "list_deals"), "actions[1].name", "Two actions have the tool name crm_list_deals"},
			{"crm", withActions("get", "get"), "actions[1].name", "Two actions are named get: give each its own name."},
			{"crm", withActions(strings.Repeat("a", 45)), "actions[0].name", "at most 48"},
		}
		for _, c := range refused {
			r := e.do("PUT", "/v1/integrations/"+c.slug, auth(key), c.body)
			if r.Status != 422 || r.code() != "validation_failed" {
				t.Fatalf("PUT %s: %d %s", c.slug, r.Status, r.Raw)
			}
			errBody := r.Body["error"].(map[string]any)
			if errBody["details"].(map[string]any)["field"] != c.field || !strings.Contains(errBody["message"].(string), c.message) {
				t.Errorf("PUT %s: %s, want field %s and %q", c.slug, r.Raw, c.field, c.message)
			}
			if g := e.do("GET", "/v1/integrations/"+c.slug, auth(key), nil); g.Status != 404 {
				t.Errorf("refused PUT %s stored it: %d", c.slug, g.Status)
			}
		}
		// An integration without actions may keep a slug that starts with a digit.
		if r := e.do("PUT", "/v1/integrations/2fa", auth(key), withActions()); r.Status != 201 {
			t.Fatalf("PUT 2fa without actions: %d %s", r.Status, r.Raw)
		}
		if r := e.do("PUT", "/v1/integrations/acme-crm", auth(key), withActions("list-deals", "get_deal")); r.Status != 201 {
			t.Fatalf("PUT acme-crm: %d %s", r.Status, r.Raw)
		}
		// acme + crm_list-deals is acme_crm_list_deals too.
		r := e.do("PUT", "/v1/integrations/acme", auth(key), withActions("crm_list-deals"))
		if r.Status != 422 || !strings.Contains(string(r.Raw), "integration acme-crm") {
			t.Errorf("colliding PUT acme: %d %s", r.Status, r.Raw)
		}
		if r := e.do("PUT", "/v1/integrations/acme", auth(key), withActions("crm")); r.Status != 201 {
			t.Fatalf("PUT acme: %d %s", r.Status, r.Raw)
		}
		tools := e.do("GET", "/v1/tools", auth(key), nil)
		var list []struct {
			Function struct{ Name string }
		}
		if err := json.Unmarshal(tools.Raw, &list); err != nil {
			t.Fatalf("GET /v1/tools: %v: %s", err, tools.Raw)
		}
		var names []string
		for _, tl := range list {
			names = append(names, tl.Function.Name)
		}
		sort.Strings(names)
		if got, want := strings.Join(names, " "), "acme_crm acme_crm_get_deal acme_crm_list_deals"; got != want {
			t.Errorf("tools %q, want %q", got, want)
		}
		// A slug with seven parts has over 64 spellings of its prefixes:
		// FindTool lists the app's integrations instead.
		if r := e.do("PUT", "/v1/integrations/a-b-c-d-e-f_g", auth(key), withActions("x")); r.Status != 201 {
			t.Fatalf("PUT a-b-c-d-e-f_g: %d %s", r.Status, r.Raw)
		}
		svc := e.Svc
		for name, want := range map[string]string{"acme_crm_list_deals": "acme-crm/list-deals", "acme_crm_get_deal": "acme-crm/get_deal", "acme_crm": "acme/crm",
			"a_b_c_d_e_f_g_x": "a-b-c-d-e-f_g/x"} {
			in, a, err := svc.FindTool(context.Background(), appID, name)
			if err != nil || in.Slug+"/"+a.Name != want {
				t.Errorf("FindTool(%s) = %v, %v, %v; want %s", name, in, a, err, want)
			}
		}
		for _, name := range []string{"acme_crm_nothing", "acme", "Acme_crm", "acme__crm", "", "a_b_c_d_e_f_g_y"} {
			if _, _, err := svc.FindTool(context.Background(), appID, name); portico.ErrorCode(err) != portico.CodeNotFound {
				t.Errorf("FindTool(%q): %v, want not found", name, err)
			}
		}
	})
}

// TestIntegrations_ToolNamesUnderConcurrency: two integrations written at
// once whose tools would share a name (rc-a's b and rc_a's b are both
// rc_a_b) cannot both be stored: one is created, the other refused.
func TestIntegrations_ToolNamesUnderConcurrency(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		_, key := e.newApp("acme")
		body := apiKeyIntegration(func(m map[string]any) {
			m["actions"] = []any{map[string]any{"name": "b", "method": "GET", "path": "/x"}}
		})
		for i := range 8 {
			slugs := []string{fmt.Sprintf("rc%d-a", i), fmt.Sprintf("rc%d_a", i)}
			status := make([]int, len(slugs))
			var wg sync.WaitGroup
			start := make(chan struct{})
			for j, slug := range slugs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					status[j] = e.do("PUT", "/v1/integrations/"+slug, auth(key), body).Status
				}()
			}
			close(start)
			wg.Wait()
			slices.Sort(status)
			if status[0] != 201 || status[1] != 422 {
				t.Fatalf("round %d: PUT %v answered %v, want one 201 and one 422", i, slugs, status)
			}
		}
	})
}
