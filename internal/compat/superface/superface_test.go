package superface_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/porticohq/portico/internal/cli"
	"github.com/porticohq/portico/internal/store/storetest"
)

const sessionHint = "Tell user to go to URL at 'configuration_url' to configure to open configuration. Always show the whole URL to the user. The 'configuration_url' expires in 15 minutes."

// TestSession_DocumentedExample replays the source document's curl request
// (its host aside) and compares the answer with its example field by field.
func TestSession_DocumentedExample(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng, nil)
		// curl -X POST -H "Content-Type: application/json" -H "Authorization: Bearer <auth_token>"
		//   -H "x-superface-user-id: <your_agent_name|unique_user_id>" https://pod.superface.ai/api/hub/session
		var got map[string]any
		status, h := e.do("POST", "/api/hub/session", "", &got,
			"Content-Type", "application/json", "Authorization", "Bearer "+e.key, "x-superface-user-id", "youragentname|unique_user_id")
		if status != 200 {
			t.Fatalf("status %d: %v", status, got)
		}
		if ct := h.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type %q", ct)
		}
		wantKeys(t, "session", got, "status", "configuration_url", "assistant_hint")
		if got["status"] != "success" {
			t.Errorf("status %v", got["status"])
		}
		if got["assistant_hint"] != sessionHint {
			t.Errorf("assistant_hint %q", got["assistant_hint"])
		}
		url := got["configuration_url"].(string)
		e.secrets = append(e.secrets, strings.TrimPrefix(url, e.srv.URL+"/connect/"))
		if s := e.open(url); s != 303 {
			t.Errorf("opening configuration_url: %d, want 303", s)
		}
		// The user was created with the header as its external id.
		users := e.native("GET", "/v1/users?external_id=youragentname%7Cunique_user_id", nil, 200)["data"].([]any)
		if len(users) != 1 {
			t.Fatalf("users with the external id: %v", users)
		}
		// A used URL is dead; asking again gives a new one for the same session.
		if s := e.open(url); s != 410 {
			t.Errorf("reopening a used configuration_url: %d, want 410", s)
		}
		_, _, again := e.hub("POST", "/api/hub/session", "youragentname|unique_user_id", "")
		url2 := again["configuration_url"].(string)
		if url2 == url {
			t.Errorf("the second call gave the same URL")
		}
		e.secrets = append(e.secrets, strings.TrimPrefix(url2, e.srv.URL+"/connect/"))
		if s := e.open(url2); s != 303 {
			t.Errorf("opening the second configuration_url: %d, want 303", s)
		}
		sessions := e.native("GET", "/v1/sessions?external_user_id=youragentname%7Cunique_user_id", nil, 200)["data"].([]any)
		if len(sessions) != 1 {
			t.Errorf("active sessions of the user: %d, want 1 (reused)", len(sessions))
		}
		e.noSecretsLogged()
	})
}

// TestSession_Reuse: a session is reused only while it outlives a new URL
// and shows every integration; the hint follows the app's URL lifetime;
// asking again and again never hits the session limit.
func TestSession_Reuse(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng, nil)
		e.native("PATCH", "/v1/app", map[string]any{"settings": map[string]any{
			"configuration_url_ttl_seconds": 600, "max_sessions_per_user": 1, "session_limit_policy": "reject"}}, 200)
		sessionsOf := func(ext string) []any {
			return e.native("GET", "/v1/sessions?external_user_id="+ext, nil, 200)["data"].([]any)
		}
		for range 3 {
			status, _, got := e.hub("POST", "/api/hub/session", "agent|u-1", "")
			if status != 200 {
				t.Fatalf("status %d: %v", status, got)
			}
			if !strings.HasSuffix(got["assistant_hint"].(string), "The 'configuration_url' expires in 10 minutes.") {
				t.Errorf("assistant_hint %q", got["assistant_hint"])
			}
		}
		first := sessionsOf("agent%7Cu-1")
		if len(first) != 1 {
			t.Fatalf("sessions: %d, want 1", len(first))
		}
		// The session (1 hour) now ends in 5 minutes: a new URL would
		// outlive it, so a new session replaces it (the limit of one is
		// then reached, and the old one is revoked to make room).
		e.native("PATCH", "/v1/app", map[string]any{"settings": map[string]any{"session_limit_policy": "evict_oldest"}}, 200)
		e.clock.Advance(55 * 60e9)
		status, _, got := e.hub("POST", "/api/hub/session", "agent|u-1", "")
		if status != 200 || !strings.HasSuffix(got["assistant_hint"].(string), "10 minutes.") {
			t.Fatalf("%d %v", status, got)
		}
		now := sessionsOf("agent%7Cu-1")
		if len(now) != 1 || now[0].(map[string]any)["id"] == first[0].(map[string]any)["id"] {
			t.Errorf("sessions after the old one ran short: %v", now)
		}
		// A session narrowed to one integration is not reused.
		e.native("POST", "/v1/sessions", map[string]any{"user": map[string]any{"external_id": "agent|u-2"}, "settings": map[string]any{"integrations": []string{"crm"}}}, 201)
		e.native("PATCH", "/v1/app", map[string]any{"settings": map[string]any{"max_sessions_per_user": 10}}, 200)
		e.hub("POST", "/api/hub/session", "agent|u-2", "")
		if n := len(sessionsOf("agent%7Cu-2")); n != 2 {
			t.Errorf("sessions of u-2: %d, want 2", n)
		}
	})
}

// TestErrors: every refusal is an HTTP status with {"title","detail"}.
func TestErrors(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng, nil)
		e.setup()
		revoked := e.newRevokedKey()
		auth := func(k string) []string { return []string{"Authorization", "Bearer " + k} }
		long := strings.Repeat("a", 101)
		sessionToken := "pst_" + strings.Repeat("a", 43)
		type tc struct {
			name, method, path string
			headers            []string
			body               string
			status             int
			title              string
		}
		var cases []tc
		for _, ep := range []struct{ method, path string }{
			{"POST", "/api/hub/session"}, {"POST", "/api/hub/perform/crm_get_contact"}, {"GET", "/api/hub/tools/crm"},
		} {
			m, p := ep.method, ep.path
			cases = append(cases,
				tc{"no key " + p, m, p, []string{"x-superface-user-id", "u"}, "", 401, "Unauthorized"},
				tc{"basic auth " + p, m, p, []string{"Authorization", "Basic " + e.key, "x-superface-user-id", "u"}, "", 401, "Unauthorized"},
				tc{"invalid key " + p, m, p, append(auth("pk_nope"), "x-superface-user-id", "u"), "", 401, "Unauthorized"},
				tc{"revoked key " + p, m, p, append(auth(revoked), "x-superface-user-id", "u"), "", 401, "Unauthorized"},
				tc{"no user header " + p, m, p, auth(e.key), "", 400, "Bad Request"},
				tc{"empty user " + p, m, p, append(auth(e.key), "x-superface-user-id", ""), "", 400, "Bad Request"},
				tc{"101 chars " + p, m, p, append(auth(e.key), "x-superface-user-id", long), "", 400, "Bad Request"},
			)
			for _, bad := range []string{"a b", "a@b", "a.b", "a/b", "ü", "a:b", "a%20b"} {
				cases = append(cases, tc{"user " + bad + " " + p, m, p, append(auth(e.key), "x-superface-user-id", bad), "", 400, "Bad Request"})
			}
		}
		cases = append(cases,
			tc{"fd no key", "GET", "/api/hub/fd", nil, "", 401, "Unauthorized"},
			tc{"fd invalid key", "GET", "/api/hub/fd", auth("pk_nope"), "", 401, "Unauthorized"},
			tc{"fd session token as the key", "GET", "/api/hub/fd", auth(sessionToken), "", 401, "Unauthorized"},
			tc{"session with a session token as the key", "POST", "/api/hub/session", append(auth(sessionToken), "x-superface-user-id", "u"), "", 401, "Unauthorized"},
			tc{"perform not JSON", "POST", "/api/hub/perform/crm_get_contact", append(auth(e.key), "x-superface-user-id", "u"), "{id:", 400, "Bad Request"},
			tc{"perform too large", "POST", "/api/hub/perform/crm_get_contact", append(auth(e.key), "x-superface-user-id", "u"),
				`{"id":"` + strings.Repeat("x", 1<<20) + `"}`, 413, "Request Entity Too Large"},
			tc{"unknown path", "GET", "/api/hub/nothing", auth(e.key), "", 404, "Not Found"},
			tc{"perform without name", "POST", "/api/hub/perform/", auth(e.key), "", 404, "Not Found"},
			tc{"unknown tool", "GET", "/api/hub/tools/nothing", append(auth(e.key), "x-superface-user-id", "u"), "", 404, "Not Found"},
			tc{"session GET", "GET", "/api/hub/session", auth(e.key), "", 405, "Method Not Allowed"},
			tc{"fd POST", "POST", "/api/hub/fd", auth(e.key), "", 405, "Method Not Allowed"},
			tc{"perform GET", "GET", "/api/hub/perform/crm_get_contact", auth(e.key), "", 405, "Method Not Allowed"},
			tc{"tools DELETE", "DELETE", "/api/hub/tools/crm", auth(e.key), "", 405, "Method Not Allowed"},
		)
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				var got map[string]any
				status, h := e.do(c.method, c.path, c.body, &got, c.headers...)
				if status != c.status {
					t.Fatalf("status %d, want %d: %v", status, c.status, got)
				}
				wantKeys(t, c.name, got, "title", "detail")
				if got["title"] != c.title || got["detail"] == "" {
					t.Errorf("body %v", got)
				}
				if status == 405 && h.Get("Allow") == "" {
					t.Errorf("405 without Allow")
				}
				// The native API's hint travels in the Hub's own shape.
				if strings.Contains(c.name, "session token as the key") && got["detail"] != "This is a session token; the API key starts with pk_." {
					t.Errorf("detail %v", got["detail"])
				}
			})
		}
		// 100 characters of every allowed kind pass.
		ok := strings.Repeat("aZ09_|-", 14) + "ab"
		if status, _, got := e.hub("POST", "/api/hub/session", ok, ""); status != 200 {
			t.Errorf("100-character id: %d %v", status, got)
		}
		// No refused request created a user.
		if users := e.native("GET", "/v1/users", nil, 200)["data"].([]any); len(users) != 1 {
			t.Errorf("users: %d, want 1", len(users))
		}
		e.noSecretsLogged()
	})
}

// TestRateLimited: a key past its budget gets 429 with Retry-After.
func TestRateLimited(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng, func(c *cli.Config) { c.RateLimitKey, c.RateLimitKeyBurst = 0.001, 1 })
		if status, _, got := e.hub("GET", "/api/hub/fd", "", ""); status != 200 {
			t.Fatalf("first call: %d %v", status, got)
		}
		status, h, got := e.hub("POST", "/api/hub/session", "u", "")
		if status != 429 || h.Get("Retry-After") == "" {
			t.Fatalf("%d Retry-After %q", status, h.Get("Retry-After"))
		}
		wantKeys(t, "429", got, "title", "detail")
		if got["title"] != "Too Many Requests" {
			t.Errorf("title %v", got["title"])
		}
	})
}

// TestSession_Concurrent: simultaneous first calls for one user, with a
// limit of one session and either policy, all get a URL of one session,
// and every URL opens the page: none was handed out for a session a
// concurrent call then evicted.
func TestSession_Concurrent(t *testing.T) {
	for _, policy := range []string{"reject", "evict_oldest"} {
		t.Run(policy, func(t *testing.T) { testSessionConcurrent(t, policy) })
	}
}

func testSessionConcurrent(t *testing.T, policy string) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng, nil)
		e.native("PATCH", "/v1/app", map[string]any{"settings": map[string]any{"max_sessions_per_user": 1, "session_limit_policy": policy}}, 200)
		const n = 8
		var wg sync.WaitGroup
		urls := make([]string, n)
		statuses := make([]int, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				status, _, b := e.srv.Do("POST", "/api/hub/session", "", "Authorization", "Bearer "+e.key, "x-superface-user-id", "agent|same")
				var got map[string]any
				json.Unmarshal(b, &got)
				statuses[i] = status
				urls[i], _ = got["configuration_url"].(string)
			}()
		}
		wg.Wait()
		seen := map[string]bool{}
		for i := range n {
			if statuses[i] != 200 || urls[i] == "" || seen[urls[i]] {
				t.Errorf("call %d: %d %q (URLs must be distinct)", i, statuses[i], urls[i])
			}
			seen[urls[i]] = true
		}
		if s := e.native("GET", "/v1/sessions?external_user_id=agent%7Csame", nil, 200)["data"].([]any); len(s) != 1 {
			t.Errorf("sessions: %d, want 1", len(s))
		}
		noRedirects := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		for i, u := range urls {
			res, err := noRedirects.Get(u)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusSeeOther {
				t.Errorf("URL %d: %d, want 303 to the page", i, res.StatusCode)
			}
		}
	})
}
