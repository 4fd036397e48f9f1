package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/store/storetest"
)

// createSession creates a session and returns the decoded answer.
func (e *env) createSession(key string, body map[string]any) response {
	e.t.Helper()
	r := e.do("POST", "/v1/sessions", auth(key), body)
	if r.Status != http.StatusCreated {
		e.t.Fatalf("create session: %d %s", r.Status, r.Raw)
	}
	return r
}

func sessionOf(r response) map[string]any { return r.Body["session"].(map[string]any) }

// setSettings patches the app's settings with settings.
func (e *env) setSettings(key string, settings map[string]any) {
	e.t.Helper()
	if r := e.do("PATCH", "/v1/app", auth(key), map[string]any{"settings": settings}); r.Status != http.StatusOK {
		e.t.Fatalf("patch settings: %d %s", r.Status, r.Raw)
	}
}

func bearerHdr(tok string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + tok}
}

func TestSessions_CreateAndValidate(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		_, key := e.newApp("acme")
		e.do("PATCH", "/v1/app", auth(key), map[string]any{"settings": map[string]any{"allowed_redirect_uris": []string{"https://app.example.com/settings"}}})
		r := e.createSession(key, map[string]any{
			"user":         map[string]any{"external_id": "u-42", "email": "Ann@Example.com", "name": "Ann"},
			"ttl_seconds":  600,
			"redirect_uri": "https://app.example.com/settings",
			"settings":     map[string]any{"integrations": []string{"github"}, "sandbox_mode": true},
			"theme":        map[string]any{"name": "Acme", "primary_color": "#286efa"},
		})
		if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control = %q", cc)
		}
		s := sessionOf(r)
		tok := r.Body["token"].(string)
		if !strings.HasPrefix(tok, "pst_") || !strings.HasPrefix(s["id"].(string), "ses_") || s["external_user_id"] != "u-42" {
			t.Fatalf("bad session: %s", r.Raw)
		}
		if _, ok := r.Body["refresh_token"]; ok {
			t.Errorf("refresh_token returned for a non-refreshable session")
		}
		if !strings.HasPrefix(r.Body["configuration_url"].(string), e.Svc.PublicURL+"/connect/pcc_") {
			t.Errorf("configuration_url = %v", r.Body["configuration_url"])
		}
		if !strings.Contains(r.Body["assistant_hint"].(string), "expires in 10 minutes") {
			t.Errorf("hint = %v (the URL must not outlive the 600 s session)", r.Body["assistant_hint"])
		}
		want := e.Clock.Now().Add(600 * time.Second).UTC().Format(time.RFC3339)
		if s["expires_at"] != want {
			t.Errorf("expires_at = %v, want %v", s["expires_at"], want)
		}
		if st := s["settings"].(map[string]any); st["sandbox_mode"] != true || fmt.Sprint(st["allow_actions"]) != "[disconnect reauthorize]" {
			t.Errorf("settings = %v", st)
		}

		me := e.do("GET", "/v1/me", bearerHdr(tok), nil)
		if me.Status != 200 || me.Body["user"].(map[string]any)["email"] != "ann@example.com" || me.Body["session"].(map[string]any)["id"] != s["id"] {
			t.Fatalf("me: %d %s", me.Status, me.Raw)
		}
		// An API key is not a session token and vice versa.
		if r := e.do("GET", "/v1/me", bearerHdr(key), nil); r.Status != 401 || r.code() != "invalid_token" {
			t.Errorf("me with API key: %d %s", r.Status, r.Raw)
		}
		if r := e.do("GET", "/v1/app", auth(tok), nil); r.Status != 401 || r.code() != "invalid_api_key" {
			t.Errorf("app with session token: %d %s", r.Status, r.Raw)
		}
		if r := e.do("GET", "/v1/me", nil, nil); r.Status != 401 || r.code() != "unauthenticated" {
			t.Errorf("me without token: %d %s", r.Status, r.Raw)
		}
		// The expiry edge: valid one microsecond before expires_at, not at it.
		e.Clock.Advance(600*time.Second - time.Microsecond)
		if r := e.do("GET", "/v1/me", bearerHdr(tok), nil); r.Status != 200 {
			t.Errorf("me just before expiry: %d", r.Status)
		}
		e.Clock.Advance(time.Microsecond)
		if r := e.do("GET", "/v1/me", bearerHdr(tok), nil); r.Status != 401 || r.code() != "invalid_token" {
			t.Errorf("me at expires_at: %d %s", r.Status, r.Raw)
		}
	})
}

func TestSessions_CreateRejects(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		_, key := e.newApp("acme")
		e.do("PATCH", "/v1/app", auth(key), map[string]any{"settings": map[string]any{
			"allowed_redirect_uris": []string{"https://app.example.com/settings"}, "max_session_ttl_seconds": 7200}})
		user := map[string]any{"external_id": "u-1"}
		for _, tc := range []struct {
			name   string
			body   any
			status int
			code   string
			field  string
		}{
			{"no user", map[string]any{}, 422, "validation_failed", "user"},
			{"ttl zero", map[string]any{"user": user, "ttl_seconds": 0}, 422, "validation_failed", "ttl_seconds"},
			{"ttl negative", map[string]any{"user": user, "ttl_seconds": -5}, 422, "validation_failed", "ttl_seconds"},
			{"ttl above max", map[string]any{"user": user, "ttl_seconds": 7201}, 422, "validation_failed", "ttl_seconds"},
			{"ttl string", map[string]any{"user": user, "ttl_seconds": "60"}, 400, "invalid_request", "ttl_seconds"},
			{"evil redirect", map[string]any{"user": user, "redirect_uri": "https://evil.example"}, 422, "validation_failed", "redirect_uri"},
			{"scheme-relative redirect", map[string]any{"user": user, "redirect_uri": "//evil.example"}, 422, "validation_failed", "redirect_uri"},
			{"userinfo redirect", map[string]any{"user": user, "redirect_uri": "https://app.example.com@evil.example"}, 422, "validation_failed", "redirect_uri"},
			{"case variant redirect", map[string]any{"user": user, "redirect_uri": "https://APP.example.com/settings"}, 422, "validation_failed", "redirect_uri"},
			{"trailing slash redirect", map[string]any{"user": user, "redirect_uri": "https://app.example.com/settings/"}, 422, "validation_failed", "redirect_uri"},
			{"path variant redirect", map[string]any{"user": user, "redirect_uri": "https://app.example.com/settings/../x"}, 422, "validation_failed", "redirect_uri"},
			{"query variant redirect", map[string]any{"user": user, "redirect_uri": "https://app.example.com/settings?x=1"}, 422, "validation_failed", "redirect_uri"},
			{"bad action", map[string]any{"user": user, "settings": map[string]any{"allow_actions": []string{"explode"}}}, 422, "validation_failed", "settings.allow_actions"},
			{"bad theme colour", map[string]any{"user": user, "theme": map[string]any{"primary_color": "red;}"}}, 422, "validation_failed", "theme.primary_color"},
			{"theme javascript url", map[string]any{"user": user, "theme": map[string]any{"logo_url": "javascript:alert(1)"}}, 422, "validation_failed", "theme.logo_url"},
			{"custom settings not object", map[string]any{"user": user, "custom_settings": []int{1}}, 400, "invalid_request", "custom_settings"},
			{"custom settings above 16 KiB", map[string]any{"user": user, "custom_settings": map[string]any{"k": strings.Repeat("v", 16<<10)}}, 422, "validation_failed", "custom_settings"},
			{"user metadata not object", map[string]any{"user": map[string]any{"external_id": "u-1", "metadata": []int{1}}}, 400, "invalid_request", "user.metadata"},
			{"unknown field", map[string]any{"user": user, "ttl": 5}, 400, "invalid_request", "ttl"},
			{"unknown user field", map[string]any{"user": map[string]any{"external_id": "u", "id": "x"}}, 400, "invalid_request", "user.id"},
			{"bad email", map[string]any{"user": map[string]any{"email": "a\r\nb@x.com"}}, 422, "validation_failed", "user.email"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := e.do("POST", "/v1/sessions", auth(key), tc.body)
				if r.Status != tc.status || r.code() != tc.code {
					t.Fatalf("got %d %s, want %d %s", r.Status, r.Raw, tc.status, tc.code)
				}
				d, _ := r.Body["error"].(map[string]any)["details"].(map[string]any)
				if d["field"] != tc.field {
					t.Errorf("details.field = %v, want %s", d["field"], tc.field)
				}
				// The message names the field it is about, as details do.
				if msg := r.Body["error"].(map[string]any)["message"].(string); (strings.Contains(tc.field, "metadata") || tc.field == "custom_settings") && !strings.Contains(msg, tc.field) {
					t.Errorf("message %q does not name %s", msg, tc.field)
				}
			})
		}
		// Nothing was written: no user, no session.
		if r := e.do("GET", "/v1/users", auth(key), nil); len(r.Body["data"].([]any)) != 0 {
			t.Errorf("a refused session creation wrote a user: %s", r.Raw)
		}
		if r := e.do("GET", "/v1/sessions", auth(key), nil); len(r.Body["data"].([]any)) != 0 {
			t.Errorf("a refused session creation wrote a session: %s", r.Raw)
		}
	})
}

func TestSessions_ListGetExtendRevoke(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		_, key := e.newApp("acme")
		_, otherKey := e.newApp("other")
		e.do("PATCH", "/v1/app", auth(key), map[string]any{"settings": map[string]any{"max_session_ttl_seconds": 7200, "max_sessions_per_user": 100}})
		var ids, toks []string
		for i := range 7 {
			ext := "u-1"
			if i%2 == 1 {
				ext = "u-2"
			}
			r := e.createSession(key, map[string]any{"user": map[string]any{"external_id": ext}})
			ids, toks = append(ids, sessionOf(r)["id"].(string)), append(toks, r.Body["token"].(string))
			if i == 3 {
				e.Clock.Advance(time.Second)
			}
		}
		// Oldest first, over pages, with a filter.
		var got []string
		tok := ""
		for {
			r := e.do("GET", "/v1/sessions?external_user_id=u-1&page_size=2&page_token="+tok, auth(key), nil)
			if r.Status != 200 {
				t.Fatalf("list: %d %s", r.Status, r.Raw)
			}
			for _, s := range r.Body["data"].([]any) {
				got = append(got, s.(map[string]any)["id"].(string))
			}
			next, _ := r.Body["next_page_token"].(string)
			if next == "" {
				break
			}
			tok = next
		}
		if len(got) != 4 || got[0] != ids[0] && got[0] != ids[2] {
			t.Fatalf("u-1 sessions = %v of %v", got, ids)
		}
		all := e.do("GET", "/v1/sessions?page_size=100", auth(key), nil)
		data := all.Body["data"].([]any)
		if len(data) != 7 {
			t.Fatalf("all sessions: %d", len(data))
		}
		for i := 1; i < len(data); i++ {
			a, b := data[i-1].(map[string]any), data[i].(map[string]any)
			if a["created_at"].(string) > b["created_at"].(string) || a["created_at"] == b["created_at"] && a["id"].(string) > b["id"].(string) {
				t.Fatalf("not oldest first: %v then %v", a, b)
			}
		}
		if r := e.do("GET", "/v1/sessions?page_token="+tok, auth(otherKey), nil); r.Status != 400 || r.code() != "invalid_request" {
			t.Errorf("another app's page token: %d %s", r.Status, r.Raw)
		}
		if r := e.do("GET", "/v1/sessions?page_token="+tok, auth(key), nil); r.Status != 400 {
			t.Errorf("page token of another filter: %d %s", r.Status, r.Raw)
		}

		id := ids[0]
		for _, tc := range []struct{ method, path string }{
			{"GET", "/v1/sessions/" + id}, {"DELETE", "/v1/sessions/" + id},
			{"POST", "/v1/sessions/" + id + "/extend"}, {"POST", "/v1/sessions/" + id + "/configuration_url"},
		} {
			var body any
			if strings.HasSuffix(tc.path, "extend") {
				body = map[string]any{"ttl_seconds": 60}
			}
			if r := e.do(tc.method, tc.path, auth(otherKey), body); r.Status != 404 || r.code() != "not_found" {
				t.Errorf("other app %s %s: %d %s", tc.method, tc.path, r.Status, r.Raw)
			}
		}
		if r := e.do("GET", "/v1/sessions/"+id, auth(key), nil); r.Status != 200 || r.Body["id"] != id {
			t.Fatalf("get: %d %s", r.Status, r.Raw)
		}

		// Extend: from now, capped at creation + max (7200 s).
		e.Clock.Advance(1000 * time.Second)
		r := e.do("POST", "/v1/sessions/"+id+"/extend", auth(key), map[string]any{"ttl_seconds": 3000})
		if r.Status != 200 || r.Body["expires_at"] != e.Clock.Now().Add(3000*time.Second).UTC().Format(time.RFC3339) {
			t.Fatalf("extend: %d %s", r.Status, r.Raw)
		}
		for _, ttl := range []any{0, -1, 7200 - 1001 + 1} {
			if r := e.do("POST", "/v1/sessions/"+id+"/extend", auth(key), map[string]any{"ttl_seconds": ttl}); r.Status != 422 || r.code() != "validation_failed" {
				t.Errorf("extend %v: %d %s", ttl, r.Status, r.Raw)
			}
		}
		if r := e.do("POST", "/v1/sessions/"+id+"/extend", auth(key), map[string]any{"ttl_seconds": 7200 - 1001}); r.Status != 200 {
			t.Errorf("extend to the cap exactly: %d %s", r.Status, r.Raw)
		}
		if r := e.do("POST", "/v1/sessions/"+id+"/extend", auth(key), map[string]any{}); r.Status != 400 {
			t.Errorf("extend without ttl: %d %s", r.Status, r.Raw)
		}
		cu := e.do("POST", "/v1/sessions/"+id+"/configuration_url", auth(key), nil)
		if cu.Status != 201 || !strings.Contains(cu.Body["configuration_url"].(string), "/connect/pcc_") || cu.Body["token"] != nil {
			t.Errorf("configuration_url: %d %s", cu.Status, cu.Raw)
		}

		// Revoke: token dies at once; twice → 404; gone from get and list.
		if r := e.do("DELETE", "/v1/sessions/"+id, auth(key), nil); r.Status != 204 {
			t.Fatalf("delete: %d %s", r.Status, r.Raw)
		}
		if r := e.do("GET", "/v1/me", bearerHdr(toks[0]), nil); r.Status != 401 || r.code() != "invalid_token" {
			t.Errorf("revoked token: %d", r.Status)
		}
		for _, m := range []string{"DELETE", "GET"} {
			if r := e.do(m, "/v1/sessions/"+id, auth(key), nil); r.Status != 404 {
				t.Errorf("%s after delete: %d", m, r.Status)
			}
		}
		if r := e.do("POST", "/v1/sessions/"+id+"/configuration_url", auth(key), nil); r.Status != 404 {
			t.Errorf("configuration_url after delete: %d", r.Status)
		}
		// Sign out everywhere.
		u2 := e.do("POST", "/v1/users", auth(key), map[string]any{"external_id": "u-2"})
		r = e.do("DELETE", "/v1/users/"+u2.Body["id"].(string)+"/sessions", auth(key), nil)
		if r.Status != 200 || r.Body["revoked"] != float64(3) {
			t.Fatalf("revoke all: %d %s", r.Status, r.Raw)
		}
		if r := e.do("GET", "/v1/me", bearerHdr(toks[1]), nil); r.Status != 401 {
			t.Errorf("token after sign-out everywhere: %d", r.Status)
		}
		if r := e.do("DELETE", "/v1/users/"+u2.Body["id"].(string)+"/sessions", auth(otherKey), nil); r.Status != 404 {
			t.Errorf("other app sign-out: %d", r.Status)
		}
		// Expired sessions leave the list; extending one is a conflict.
		e.Clock.Advance(2 * time.Hour)
		if r := e.do("GET", "/v1/sessions", auth(key), nil); len(r.Body["data"].([]any)) != 0 {
			t.Errorf("expired sessions listed: %s", r.Raw)
		}
		if r := e.do("POST", "/v1/sessions/"+ids[2]+"/extend", auth(key), map[string]any{"ttl_seconds": 60}); r.Status != 409 {
			t.Errorf("extend expired: %d %s", r.Status, r.Raw)
		}
	})
}

// A TTL beyond what a time.Duration holds used to wrap around to an expiry
// in the past (the year 1737) and kill the session with a 200. Every TTL
// above the cap is a 422 with the cap's message and details, and leaves the
// session as it was.
func TestSessions_HugeTTLIsRefused(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		_, key := e.newApp("acme")
		e.setSettings(key, map[string]any{"max_session_ttl_seconds": 7200})
		created := e.createSession(key, map[string]any{"user": map[string]any{"external_id": "u-1"}, "ttl_seconds": 600})
		id, tok := sessionOf(created)["id"].(string), created.Body["token"].(string)
		expiresAt := sessionOf(created)["expires_at"]
		e.Clock.Advance(300 * time.Second)

		details := func(r response) map[string]any {
			d, _ := r.Body["error"].(map[string]any)["details"].(map[string]any)
			return d
		}
		capped := e.do("POST", "/v1/sessions/"+id+"/extend", auth(key), map[string]any{"ttl_seconds": 7200 - 300 + 1})
		if capped.Status != 422 || capped.code() != "validation_failed" {
			t.Fatalf("extend just past the cap: %d %s", capped.Status, capped.Raw)
		}
		for _, ttl := range []string{"9300000000", "9223372036854775807", "9223372036854"} {
			t.Run("extend "+ttl, func(t *testing.T) {
				r := e.do("POST", "/v1/sessions/"+id+"/extend", auth(key), `{"ttl_seconds":`+ttl+`}`)
				checkEnvelope(t, r)
				if r.Status != 422 || r.code() != "validation_failed" {
					t.Fatalf("got %d %s, want 422 validation_failed", r.Status, r.Raw)
				}
				if d := details(r); d["field"] != "ttl_seconds" || d["max_ttl_seconds"] != float64(7200-300) {
					t.Errorf("details = %v, want field ttl_seconds and max_ttl_seconds %d", d, 7200-300)
				}
				if got, want := r.Body["error"].(map[string]any)["message"], capped.Body["error"].(map[string]any)["message"]; got != want {
					t.Errorf("message = %q, want the cap's %q", got, want)
				}
			})
		}
		// Beyond int64 the number cannot even be held: still a 422 on the
		// field, not a 400 about its type.
		r := e.do("POST", "/v1/sessions/"+id+"/extend", auth(key), `{"ttl_seconds":99999999999999999999}`)
		if r.Status != 422 || r.code() != "validation_failed" || errorField(r) != "ttl_seconds" {
			t.Errorf("extend beyond int64: %d %s", r.Status, r.Raw)
		}
		// The session is untouched: same expiry, still usable.
		if g := e.do("GET", "/v1/sessions/"+id, auth(key), nil); g.Status != 200 || g.Body["expires_at"] != expiresAt {
			t.Errorf("after refused extensions: %d %s, want expires_at %v", g.Status, g.Raw, expiresAt)
		}
		if me := e.do("GET", "/v1/me", bearerHdr(tok), nil); me.Status != 200 {
			t.Errorf("token after refused extensions: %d %s", me.Status, me.Raw)
		}

		// Creation: the same refusal, and nothing written.
		for _, ttl := range []string{"7201", "9300000000", "9223372036854775807"} {
			r := e.do("POST", "/v1/sessions", auth(key), `{"user":{"external_id":"u-2"},"ttl_seconds":`+ttl+`}`)
			checkEnvelope(t, r)
			if r.Status != 422 || r.code() != "validation_failed" {
				t.Errorf("create with ttl %s: %d %s", ttl, r.Status, r.Raw)
				continue
			}
			if d := details(r); d["field"] != "ttl_seconds" || d["max_ttl_seconds"] != float64(7200) {
				t.Errorf("create with ttl %s: details = %v", ttl, d)
			}
		}
		if r := e.do("GET", "/v1/sessions?external_user_id=u-2", auth(key), nil); r.Status != 200 || len(r.Body["data"].([]any)) != 0 {
			t.Errorf("a refused creation wrote a session: %d %s", r.Status, r.Raw)
		}

		// The maximum lowered below the session's age: the refusal says
		// the session cannot be extended, not "0 more seconds".
		e.setSettings(key, map[string]any{"max_session_ttl_seconds": 120, "session_ttl_seconds": 60})
		r = e.do("POST", "/v1/sessions/"+id+"/extend", auth(key), map[string]any{"ttl_seconds": 60})
		if msg, _ := r.Body["error"].(map[string]any)["message"].(string); r.Status != 422 || details(r)["max_ttl_seconds"] != float64(0) ||
			!strings.Contains(msg, "this one has reached it and cannot be extended") {
			t.Errorf("extend past a lowered maximum: %d %s", r.Status, r.Raw)
		}
	})
}

func TestSessions_LimitExactUnderConcurrency(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		for _, policy := range []string{"reject", "evict_oldest"} {
			t.Run(policy, func(t *testing.T) {
				e := newEnv(t, eng)
				_, key := e.newApp("acme")
				if r := e.do("PATCH", "/v1/app", auth(key), map[string]any{"settings": map[string]any{"max_sessions_per_user": 5, "session_limit_policy": policy}}); r.Status != 200 {
					t.Fatal(r.Status, string(r.Raw))
				}
				var (
					mu       sync.Mutex
					statuses = map[int]int{}
					tokens   []string
					wg       sync.WaitGroup
				)
				for range 50 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						r := e.do("POST", "/v1/sessions", auth(key), map[string]any{"user": map[string]any{"external_id": "racer"}})
						mu.Lock()
						defer mu.Unlock()
						statuses[r.Status]++
						if r.Status == 201 {
							tokens = append(tokens, r.Body["token"].(string))
						} else if r.code() != "session_limit_reached" {
							t.Errorf("unexpected answer %d %s", r.Status, r.Raw)
						}
					}()
				}
				wg.Wait()
				live := 0
				for _, tok := range tokens {
					if e.do("GET", "/v1/me", bearerHdr(tok), nil).Status == 200 {
						live++
					}
				}
				list := e.do("GET", "/v1/sessions?external_user_id=racer&page_size=100", auth(key), nil)
				n := len(list.Body["data"].([]any))
				switch policy {
				case "reject":
					if statuses[201] != 5 || statuses[409] != 45 || live != 5 || n != 5 {
						t.Fatalf("reject: statuses %v, live %d, listed %d", statuses, live, n)
					}
					// The limit lowered below what the user holds: the
					// answer says how many to revoke.
					e.do("PATCH", "/v1/app", auth(key), map[string]any{"settings": map[string]any{"max_sessions_per_user": 3}})
					r := e.do("POST", "/v1/sessions", auth(key), map[string]any{"user": map[string]any{"external_id": "racer"}})
					if msg := r.Body["error"].(map[string]any)["message"]; r.Status != 409 ||
						msg != "The user already has 5 active sessions, more than the app's max_sessions_per_user (3); revoke 3 first." {
						t.Errorf("over a lowered limit: %d %s", r.Status, r.Raw)
					}
				default:
					if statuses[201] != 50 || live != 5 || n != 5 {
						t.Fatalf("evict: statuses %v, live %d, listed %d", statuses, live, n)
					}
				}
			})
		}
	})
}

// TestSessions_ExpiredSaysWhetherARefreshCanRevive: acting on an expired
// session is a conflict whose message tells how to go on. While its refresh
// token works, a refresh brings the session back, and the message says so;
// after that, only a new session will do.
func TestSessions_ExpiredSaysWhetherARefreshCanRevive(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		_, key := e.newApp("acme")
		e.setSettings(key, map[string]any{"max_session_ttl_seconds": 7200})
		refreshable := sessionOf(e.createSession(key, map[string]any{"user": map[string]any{"external_id": "u"}, "refreshable": true, "ttl_seconds": 300}))["id"].(string)
		plain := sessionOf(e.createSession(key, map[string]any{"user": map[string]any{"external_id": "u"}, "ttl_seconds": 300}))["id"].(string)
		const (
			revive = "The session has expired; refresh it with its refresh token (POST /v1/tokens/refresh), or create a new one."
			anew   = "The session has expired; create a new one."
		)
		check := func(when, id, want string) {
			t.Helper()
			for _, path := range []string{"/extend", "/configuration_url"} {
				var body any
				if path == "/extend" {
					body = map[string]any{"ttl_seconds": 60}
				}
				r := e.do("POST", "/v1/sessions/"+id+path, auth(key), body)
				if r.Status != 409 || r.code() != "conflict" || r.Body["error"].(map[string]any)["message"] != want {
					t.Errorf("%s, %s: %d %s", when, path, r.Status, r.Raw)
				}
			}
		}
		e.Clock.Advance(10 * time.Minute)
		check("expired, refreshable", refreshable, revive)
		check("expired, not refreshable", plain, anew)
		// The refresh token lives until creation plus the app's maximum.
		e.Clock.Advance(2 * time.Hour)
		check("expired, refresh token expired too", refreshable, anew)
	})
}

func TestSessions_Refresh(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		_, key := e.newApp("acme")
		_, otherKey := e.newApp("other")
		r := e.createSession(key, map[string]any{"user": map[string]any{"external_id": "u"}, "refreshable": true, "ttl_seconds": 300})
		tok, rt := r.Body["token"].(string), r.Body["refresh_token"].(string)
		if !strings.HasPrefix(rt, "prt_") {
			t.Fatalf("refresh token %q", rt)
		}
		if r := e.do("POST", "/v1/tokens/refresh", auth(otherKey), map[string]any{"refresh_token": rt}); r.Status != 401 || r.code() != "invalid_token" {
			t.Fatalf("other app refresh: %d %s", r.Status, r.Raw)
		}
		// Whatever is wrong with it, an unusable refresh token is named as
		// one: another app's, and a session token sent in its place.
		const refreshMsg = "The refresh token is invalid, expired or revoked."
		for _, bad := range []string{rt, tok} {
			k := key
			if bad == rt {
				k = otherKey
			}
			if r := e.do("POST", "/v1/tokens/refresh", auth(k), map[string]any{"refresh_token": bad}); r.Status != 401 || r.Body["error"].(map[string]any)["message"] != refreshMsg {
				t.Errorf("refresh with %.4s…: %d %s", bad, r.Status, r.Raw)
			}
		}
		e.Clock.Advance(200 * time.Second)
		r = e.do("POST", "/v1/tokens/refresh", auth(key), map[string]any{"refresh_token": rt})
		if r.Status != 200 || r.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("refresh: %d %s", r.Status, r.Raw)
		}
		tok2, rt2 := r.Body["token"].(string), r.Body["refresh_token"].(string)
		// Extended to an hour, a refresh keeps the longer expiry.
		me := sessionOf(e.do("GET", "/v1/me", bearerHdr(tok2), nil))
		id := me["id"].(string)
		if x := e.do("POST", "/v1/sessions/"+id+"/extend", auth(key), map[string]any{"ttl_seconds": 3600}); x.Status != 200 {
			t.Fatalf("extend: %d %s", x.Status, x.Raw)
		}
		extended := e.Clock.Now().Add(3600 * time.Second).UTC().Format(time.RFC3339)
		if r.Body["expires_at"] != e.Clock.Now().Add(300*time.Second).UTC().Format(time.RFC3339) {
			t.Errorf("expires_at after refresh = %v", r.Body["expires_at"])
		}
		if e.do("GET", "/v1/me", bearerHdr(tok), nil).Status != 401 || e.do("GET", "/v1/me", bearerHdr(tok2), nil).Status != 200 {
			t.Fatalf("rotation: old token must die, new one live")
		}
		r = e.do("POST", "/v1/tokens/refresh", auth(key), map[string]any{"refresh_token": rt2})
		if r.Status != 200 || r.Body["expires_at"] != extended {
			t.Fatalf("refresh after extend: %d %s, want expires_at %s", r.Status, r.Raw, extended)
		}
		rt, tok2, rt2 = rt2, r.Body["token"].(string), r.Body["refresh_token"].(string)
		// Reusing the rotated refresh token after the rotation (the test
		// clock stands still: a microsecond on) revokes the session.
		e.Clock.Advance(time.Microsecond)
		if r := e.do("POST", "/v1/tokens/refresh", auth(key), map[string]any{"refresh_token": rt}); r.Status != 401 || r.code() != "invalid_token" {
			t.Fatalf("reuse: %d %s", r.Status, r.Raw)
		}
		if e.do("GET", "/v1/me", bearerHdr(tok2), nil).Status != 401 {
			t.Fatalf("session survived refresh token reuse")
		}
		if r := e.do("POST", "/v1/tokens/refresh", auth(key), map[string]any{"refresh_token": rt2}); r.Status != 401 {
			t.Fatalf("refresh of a revoked session: %d", r.Status)
		}
		if !strings.Contains(e.logs.String(), "security_refresh_token_reuse") {
			t.Errorf("reuse not logged as a security event")
		}
		// The revocation's activity row names the user, whose list shows it.
		userID := me["user_id"]
		revoked := 0
		for _, row := range activityRows(t, e, "/v1/activity", auth(key)) {
			if row["action"] == "session.revoked" {
				revoked++
				if row["user_id"] != userID {
					t.Errorf("session.revoked row %v, want user %v", row, userID)
				}
			}
		}
		if revoked != 1 {
			t.Errorf("%d session.revoked rows, want 1", revoked)
		}
		for _, bad := range []any{"", "prt_x", "pst_" + strings.Repeat("a", 43), 5} {
			if r := e.do("POST", "/v1/tokens/refresh", auth(key), map[string]any{"refresh_token": bad}); r.Status != 400 && r.Status != 401 {
				t.Errorf("refresh %v: %d", bad, r.Status)
			}
		}

		// 20 concurrent refreshes with one token: exactly one succeeds, and
		// the others, which arrived while it was current, leave the
		// session to it.
		r = e.createSession(key, map[string]any{"user": map[string]any{"external_id": "v"}, "refreshable": true})
		rt = r.Body["refresh_token"].(string)
		var (
			wg     sync.WaitGroup
			mu     sync.Mutex
			ok     int
			winner string
		)
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := e.do("POST", "/v1/tokens/refresh", auth(key), map[string]any{"refresh_token": rt})
				mu.Lock()
				defer mu.Unlock()
				if r.Status == 200 {
					ok, winner = ok+1, r.Body["token"].(string)
				} else if r.Status != 401 {
					t.Errorf("concurrent refresh: %d %s", r.Status, r.Raw)
				}
			}()
		}
		wg.Wait()
		if ok != 1 {
			t.Fatalf("%d concurrent refreshes succeeded, want 1", ok)
		}
		if r := e.do("GET", "/v1/me", bearerHdr(winner), nil); r.Status != 200 {
			t.Fatalf("the winner's token after the race: %d %s", r.Status, r.Raw)
		}
	})
}

func TestSessions_RefreshLifetimeCapped(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		_, key := e.newApp("acme")
		e.do("PATCH", "/v1/app", auth(key), map[string]any{"settings": map[string]any{"max_session_ttl_seconds": 1000, "session_ttl_seconds": 600}})
		r := e.createSession(key, map[string]any{"user": map[string]any{"external_id": "u"}, "refreshable": true})
		rt := r.Body["refresh_token"].(string)
		// After expiry but within the refresh life, a refresh revives it,
		// capped at creation + max_session_ttl_seconds.
		e.Clock.Advance(700 * time.Second)
		r = e.do("POST", "/v1/tokens/refresh", auth(key), map[string]any{"refresh_token": rt})
		want := e.Clock.Now().Add(300 * time.Second).UTC().Format(time.RFC3339)
		if r.Status != 200 || r.Body["expires_at"] != want {
			t.Fatalf("refresh: %d %s, want expires_at %s", r.Status, r.Raw, want)
		}
		e.Clock.Advance(300 * time.Second)
		if r := e.do("POST", "/v1/tokens/refresh", auth(key), map[string]any{"refresh_token": r.Body["refresh_token"]}); r.Status != 401 {
			t.Fatalf("refresh after the max lifetime: %d %s", r.Status, r.Raw)
		}
	})
}

func TestSessions_Purge(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		appID, key := e.newApp("acme")
		short := e.createSession(key, map[string]any{"user": map[string]any{"external_id": "u"}, "ttl_seconds": 60})
		long := e.createSession(key, map[string]any{"user": map[string]any{"external_id": "u"}, "ttl_seconds": 3600})
		revoked := e.createSession(key, map[string]any{"user": map[string]any{"external_id": "u"}, "ttl_seconds": 3600})
		e.do("DELETE", "/v1/sessions/"+sessionOf(revoked)["id"].(string), auth(key), nil)
		ctx := context.Background()
		grace := 7 * 24 * time.Hour
		e.Clock.Advance(grace)
		if n, err := e.Svc.PurgeSessions(ctx, grace, 100); err != nil || n != 0 {
			t.Fatalf("purge inside the grace period: %d %v", n, err)
		}
		e.Clock.Advance(2 * time.Minute)
		if n, err := e.Svc.PurgeSessions(ctx, grace, 1); err != nil || n != 1 {
			t.Fatalf("purge batch of 1: %d %v", n, err)
		}
		if n, err := e.Svc.PurgeSessions(ctx, grace, 100); err != nil || n != 1 {
			t.Fatalf("purge rest: %d %v", n, err)
		}
		for _, r := range []response{short, revoked} {
			if _, err := e.DB.FindSessionByID(ctx, appID, sessionOf(r)["id"].(string)); err == nil {
				t.Errorf("session %v not purged", sessionOf(r)["id"])
			}
		}
		if _, err := e.DB.FindSessionByID(ctx, appID, sessionOf(long)["id"].(string)); err != nil {
			t.Errorf("live-until-grace session purged: %v", err)
		}
	})
}
