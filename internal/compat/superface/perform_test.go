package superface_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/store/storetest"
)

// TestFunctions: GET /api/hub/fd lists every action as an OpenAI function
// definition named <integration>__<action>; another app sees none of them.
func TestFunctions(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng, nil)
		e.setup()
		var fd []map[string]any
		status, h := e.do("GET", "/api/hub/fd", "", &fd, "Authorization", "Bearer "+e.key)
		if status != 200 || h.Get("Content-Type") != "application/json" {
			t.Fatalf("%d %q", status, h.Get("Content-Type"))
		}
		var names []string
		for _, f := range fd {
			wantKeys(t, "function definition", f, "type", "function")
			if f["type"] != "function" {
				t.Errorf("type %v", f["type"])
			}
			fn := f["function"].(map[string]any)
			wantKeys(t, "function", fn, "name", "description", "parameters")
			names = append(names, fn["name"].(string))
			if fn["name"] == "crm_get_contact" {
				var want any
				json.Unmarshal([]byte(contactSchema), &want)
				if mustJSON(fn["parameters"]) != mustJSON(want) || fn["description"] != "Get a contact." {
					t.Errorf("crm_get_contact: %v", fn)
				}
			}
		}
		// Integrations made in the same instant come in id order.
		slices.Sort(names)
		if got, want := strings.Join(names, " "), "crm_add_note crm_get_contact github_get_user vip_ping weather_forecast"; got != want {
			t.Errorf("names %q, want %q", got, want)
		}
		_, otherKey := e.srv.NewApp("Other")
		var none []any
		if status, _ := e.do("GET", "/api/hub/fd", "", &none, "Authorization", "Bearer "+otherKey); status != 200 || none == nil || len(none) != 0 {
			t.Errorf("another app: %d %v", status, none)
		}
	})
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

// TestPerform: success with the injected credential; requires_action for a
// missing, revoked or expired connection whose action_url opens the hosted
// page; error for an upstream error, bad arguments, an unknown function,
// another app's function and an integration the user may not use.
func TestPerform(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng, nil)
		e.setup()
		ann := e.user("agent|ann")
		crmConn := e.connect(ann, "crm", map[string]string{"api_key": "sk_crm_secret"})
		e.connect(ann, "github", map[string]string{"access_token": "gho_secret", "expires_at": e.clock.Now().Add(time.Hour).Format(time.RFC3339)})

		perform := func(t *testing.T, name, user, body string) map[string]any {
			t.Helper()
			status, h, got := e.hub("POST", "/api/hub/perform/"+name, user, body)
			if status != 200 || h.Get("Content-Type") != "application/json" {
				t.Fatalf("perform %s: %d %v", name, status, got)
			}
			return got
		}
		success := func(t *testing.T, name, user, body string) any {
			t.Helper()
			got := perform(t, name, user, body)
			wantKeys(t, name, got, "status", "assistant_hint", "result")
			if got["status"] != "success" || got["assistant_hint"] == "" {
				t.Fatalf("perform %s: %v", name, got)
			}
			return got["result"]
		}
		failure := func(t *testing.T, name, user, body, wantError string) map[string]any {
			t.Helper()
			got := perform(t, name, user, body)
			wantKeys(t, name, got, "status", "error", "assistant_hint")
			if got["status"] != "error" || !strings.Contains(got["error"].(string), wantError) || got["assistant_hint"] == "" {
				t.Errorf("perform %s: %v, want an error with %q", name, got, wantError)
			}
			return got
		}
		requiresAction := func(t *testing.T, name, user, body, reason string) {
			t.Helper()
			got := perform(t, name, user, body)
			wantKeys(t, name, got, "status", "action_type", "action_url", "configuration_url", "assistant_hint")
			if got["status"] != "requires_action" || got["action_type"] != "configure_access" || got["action_url"] != got["configuration_url"] {
				t.Fatalf("perform %s: %v", name, got)
			}
			hint := got["assistant_hint"].(string)
			slug := name[:strings.Index(name, "_")]
			if !strings.HasPrefix(hint, "Tell user to go to URL at 'action_url' to configure access to '"+slug+"'. ") ||
				!strings.Contains(hint, reason) || !strings.HasSuffix(hint, "The 'action_url' expires in 15 minutes.") {
				t.Errorf("assistant_hint %q, want the service and %q", hint, reason)
			}
			url := got["action_url"].(string)
			e.secrets = append(e.secrets, strings.TrimPrefix(url, e.srv.URL+"/connect/"))
			if s := e.open(url); s != 303 {
				t.Errorf("opening action_url: %d, want 303", s)
			}
		}

		t.Run("success GET with the credential", func(t *testing.T) {
			res := success(t, "crm_get_contact", "agent|ann", `{"id":"c-1","status":"open"}`).(map[string]any)
			seen := e.upstream.last(t)
			if seen.Header.Get("X-API-Key") != "sk_crm_secret" || seen.Path != "/api/contacts/c-1" || seen.Query != "status=open" {
				t.Errorf("upstream saw %s %s?%s key %q", seen.Method, seen.Path, seen.Query, seen.Header.Get("X-API-Key"))
			}
			// result is the upstream's body itself.
			if res["method"] != "GET" || res["path"] != "/api/contacts/c-1" || res["query"] != "status=open" {
				t.Errorf("result %v", res)
			}
		})
		t.Run("success POST body", func(t *testing.T) {
			res := success(t, "crm_add_note", "agent|ann", `{"text":"hello"}`).(map[string]any)
			if res["method"] != "POST" || res["body"] != `{"text":"hello"}` {
				t.Errorf("result %v", res)
			}
		})
		t.Run("success OAuth2", func(t *testing.T) {
			success(t, "github_get_user", "agent|ann", "")
			if got := e.upstream.last(t).Header.Get("Authorization"); got != "Bearer gho_secret" {
				t.Errorf("Authorization %q", got)
			}
		})
		t.Run("no credential needed, unknown user", func(t *testing.T) {
			success(t, "weather_forecast", "agent|nobody-yet", "{}")
		})
		t.Run("upstream error status", func(t *testing.T) {
			got := failure(t, "crm_get_contact", "agent|ann", `{"id":"x","status":"404"}`, "Acme CRM answered HTTP 404 Not Found: {")
			if !strings.Contains(got["error"].(string), `"path":"/api/contacts/x"`) {
				t.Errorf("error does not quote the upstream body: %v", got["error"])
			}
		})
		t.Run("arguments against the schema", func(t *testing.T) {
			n := e.upstream.count()
			failure(t, "crm_get_contact", "agent|ann", `{}`, "id")
			failure(t, "crm_get_contact", "agent|ann", `{"id":7}`, "id")
			failure(t, "crm_get_contact", "agent|ann", `["id"]`, "object")
			if e.upstream.count() != n {
				t.Errorf("a refused call reached the upstream")
			}
		})
		t.Run("unknown function", func(t *testing.T) {
			failure(t, "crm_nothing", "agent|ann", "{}", `"crm_nothing"`)
			failure(t, "nothing", "agent|ann", "{}", `"nothing"`)
			// A long name is quoted and cut in what the agent may repeat.
			long := strings.Repeat("x", 5000)
			got := failure(t, long, "agent|ann", "{}", `"`+long[:64]+`…"`)
			if hint := got["assistant_hint"].(string); len(hint) > 300 || !strings.Contains(hint, `"`+long[:64]+`…"`) {
				t.Errorf("hint of a long name: %d bytes: %.200s", len(hint), hint)
			}
		})
		t.Run("another app's function", func(t *testing.T) {
			_, otherKey := e.srv.NewApp("Other")
			var got map[string]any
			e.do("POST", "/api/hub/perform/crm_get_contact", `{"id":"1"}`, &got,
				"Authorization", "Bearer "+otherKey, "x-superface-user-id", "agent|ann")
			if got["status"] != "error" || !strings.Contains(got["error"].(string), "no function") {
				t.Errorf("another app: %v", got)
			}
		})
		t.Run("restricted integration", func(t *testing.T) {
			failure(t, "vip_ping", "agent|ann", "{}", "VIP Tool")
		})
		t.Run("missing connection, new user", func(t *testing.T) {
			requiresAction(t, "crm_get_contact", "agent|bob", `{"id":"1"}`, "The user has not connected Acme CRM yet.")
			// The user and a session were made for the configuration URL.
			if s := e.native("GET", "/v1/sessions?external_user_id=agent%7Cbob", nil, 200)["data"].([]any); len(s) != 1 {
				t.Errorf("sessions of the new user: %v", s)
			}
		})
		t.Run("missing connection, no session", func(t *testing.T) {
			requiresAction(t, "github_get_user", "agent|carl", "", "The user has not connected GitHub yet.")
		})
		t.Run("revoked connection", func(t *testing.T) {
			e.native("DELETE", "/v1/connections/"+crmConn, nil, 204)
			requiresAction(t, "crm_get_contact", "agent|ann", `{"id":"1"}`, "The user's access to Acme CRM was revoked.")
		})
		t.Run("expired connection", func(t *testing.T) {
			e.clock.Advance(2 * time.Hour)
			requiresAction(t, "github_get_user", "agent|ann", "", "The user's credentials for GitHub have expired.")
		})
		e.noSecretsLogged()
	})
}

// TestTools: GET /api/hub/tools/{name} tells whether the user can use the
// integration, by slug or by function name; other apps' integrations and
// users are invisible.
func TestTools(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng, nil)
		e.setup()
		ann := e.user("agent|ann")
		conn := e.connect(ann, "crm", map[string]string{"api_key": "sk_crm_secret"})
		tool := func(key, name, user string) (int, map[string]any) {
			t.Helper()
			var got map[string]any
			status, _ := e.do("GET", "/api/hub/tools/"+name, "", &got, "Authorization", "Bearer "+key, "x-superface-user-id", user)
			return status, got
		}
		for _, c := range []struct {
			name, user, provider string
			connected            bool
		}{
			{"crm", "agent|ann", "crm", true},
			{"crm_get_contact", "agent|ann", "crm", true},
			{"github", "agent|ann", "github", false},
			{"github_get_user", "agent|ann", "github", false},
			{"crm", "agent|nobody", "crm", false},
			{"weather", "agent|nobody", "weather", true},
		} {
			status, got := tool(e.key, c.name, c.user)
			if status != 200 {
				t.Fatalf("%s for %s: %d %v", c.name, c.user, status, got)
			}
			wantKeys(t, c.name, got, "providerId", "connected")
			if got["providerId"] != c.provider || got["connected"] != c.connected {
				t.Errorf("%s for %s: %v, want %s connected=%v", c.name, c.user, got, c.provider, c.connected)
			}
		}
		// A slug that reads like another integration's function name: the
		// function is meant.
		e.native("PUT", "/v1/integrations/crm_get_contact", map[string]any{"name": "Look-alike", "base_url": e.upstream.URL + "/api",
			"auth": map[string]any{"type": "none"}}, 201)
		if status, got := tool(e.key, "crm_get_contact", "agent|nobody"); status != 200 || got["providerId"] != "crm" || got["connected"] != false {
			t.Errorf("crm_get_contact beside a look-alike slug: %d %v, want the crm function", status, got)
		}
		// Asking does not create the user.
		if u := e.native("GET", "/v1/users?external_id=agent%7Cnobody", nil, 200)["data"].([]any); len(u) != 0 {
			t.Errorf("a user was created: %v", u)
		}
		for _, name := range []string{"nothing", "crm_nothing", "vip", "vip_ping"} {
			if status, got := tool(e.key, name, "agent|ann"); status != 404 {
				t.Errorf("%s: %d %v, want 404", name, status, got)
			}
		}
		// Another app: the same external id is another user, and the
		// integrations are not there.
		_, otherKey := e.srv.NewApp("Other")
		if status, got := tool(otherKey, "crm", "agent|ann"); status != 404 {
			t.Errorf("another app's integration: %d %v", status, got)
		}
		var other map[string]any
		e.do("PUT", "/v1/integrations/crm", `{"name":"Other CRM","base_url":"`+e.upstream.URL+`","auth":{"type":"api_key","fields":[{"name":"api_key","secret":true}],"inject":{"header":"X-API-Key","format":"{api_key}"}}}`,
			&other, "Authorization", "Bearer "+otherKey, "Content-Type", "application/json")
		if status, got := tool(otherKey, "crm", "agent|ann"); status != 200 || got["connected"] != false {
			t.Errorf("another app's user: %d %v", status, got)
		}
		e.native("DELETE", "/v1/connections/"+conn, nil, 204)
		if _, got := tool(e.key, "crm", "agent|ann"); got["connected"] != false {
			t.Errorf("after revocation: %v", got)
		}
	})
}
