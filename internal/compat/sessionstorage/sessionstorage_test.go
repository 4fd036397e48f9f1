package sessionstorage_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/cli"
	"github.com/porticohq/portico/internal/compat/compattest"
	"github.com/porticohq/portico/internal/store/storetest"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type env struct {
	t     *testing.T
	srv   *compattest.Server
	clock *clock
	app   string
	key   string
}

func newEnv(t *testing.T, eng storetest.Engine, edit func(*cli.Config)) *env {
	c := &clock{t: time.Date(2024, 10, 11, 9, 2, 56, 0, time.UTC)}
	srv := compattest.Start(t, eng, func(cfg *cli.Config) {
		cfg.Clock = c.Now
		if edit != nil {
			edit(cfg)
		}
	})
	app, key := srv.NewApp("Acme")
	return &env{t: t, srv: srv, clock: c, app: app, key: key}
}

// ss calls the Session Storage API with the app's credentials.
func (e *env) ss(method, path string, body any) (int, http.Header, map[string]any) {
	e.t.Helper()
	return e.srv.JSON(method, path, body, "ClientID", e.app, "ClientSecret", e.key)
}

// newSession creates a session through the native API and returns its id
// and token.
func (e *env) newSession(key string, user map[string]any) (string, string) {
	e.t.Helper()
	status, _, m := e.srv.JSON("POST", "/v1/sessions", map[string]any{"user": user}, "Authorization", "Bearer "+key)
	if status != 201 {
		e.t.Fatalf("POST /v1/sessions: %d %v", status, m)
	}
	return m["session"].(map[string]any)["id"].(string), m["token"].(string)
}

// wantError checks the error envelope.
func (e *env) wantError(what string, status int, m map[string]any, wantStatus, wantCode int) {
	e.t.Helper()
	if status != wantStatus {
		e.t.Errorf("%s: status %d, want %d (%v)", what, status, wantStatus, m)
		return
	}
	if d := compattest.Diff([]string{"errors", "ok"}, compattest.Keys(m)); d != "" || m["ok"] != false {
		e.t.Errorf("%s: envelope %v", what, m)
		return
	}
	errs, _ := m["errors"].([]any)
	if len(errs) != 1 {
		e.t.Errorf("%s: errors = %v", what, m["errors"])
		return
	}
	p := errs[0].(map[string]any)
	if d := compattest.Diff([]string{"detail", "error_code", "instance", "status", "title", "type"}, compattest.Keys(p)); d != "" {
		e.t.Errorf("%s: problem fields %s", what, d)
	}
	if p["status"] != float64(wantStatus) || p["error_code"] != float64(wantCode) || p["title"] != http.StatusText(wantStatus) ||
		p["detail"] == "" || p["type"] == "" || !strings.HasPrefix(p["instance"].(string), "/session-storage/") {
		e.t.Errorf("%s: problem %v (want status %d, error_code %d)", what, p, wantStatus, wantCode)
	}
}

func ids(m map[string]any) []string {
	var out []string
	for _, d := range m["data"].([]any) {
		out = append(out, d.(map[string]any)["id"].(string))
	}
	return out
}

// The documented calls, in order: list, get, extend, delete.
func TestSessionStorage_DocumentedCalls(t *testing.T) {
	for _, eng := range compattest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) {
			e := newEnv(t, eng, nil)
			s1, _ := e.newSession(e.key, map[string]any{"external_id": "test-user"})
			e.clock.Add(2*time.Hour + 3*time.Minute + 16*time.Second)
			s2, tok2 := e.newSession(e.key, map[string]any{"external_id": "test-user"})
			e.clock.Add(time.Minute)
			s3, _ := e.newSession(e.key, map[string]any{"email": "other@example.com"})

			status, _, m := e.ss("GET", "/session-storage/sessions", nil)
			if status != 200 {
				t.Fatalf("list: %d %v", status, m)
			}
			want := map[string]any{
				"data": []any{
					map[string]any{"id": s1, "created_at": "2024-10-11T09:02:56Z", "updated_at": "2024-10-11T09:02:56Z", "expires_at": "2024-10-11T10:02:56Z"},
					map[string]any{"id": s2, "created_at": "2024-10-11T11:06:12Z", "updated_at": "2024-10-11T11:06:12Z", "expires_at": "2024-10-11T12:06:12Z"},
					map[string]any{"id": s3, "created_at": "2024-10-11T11:07:12Z", "updated_at": "2024-10-11T11:07:12Z", "expires_at": "2024-10-11T12:07:12Z"},
				},
				"next_page_token": nil,
			}
			// s1 expired meanwhile (one hour TTL): active sessions only.
			want["data"] = want["data"].([]any)[1:]
			if d := compattest.Diff(want, m); d != "" {
				t.Errorf("list:\n%s", d)
			}

			// Pages of one, oldest first, following next_page_token.
			var seen []string
			path := "/session-storage/sessions?page_size=1"
			for range 5 {
				status, _, m := e.ss("GET", path, nil)
				if status != 200 || len(m["data"].([]any)) != 1 {
					t.Fatalf("page: %d %v", status, m)
				}
				seen = append(seen, ids(m)...)
				next, ok := m["next_page_token"].(string)
				if !ok {
					break
				}
				path = "/session-storage/sessions?page_size=1&page_token=" + next
			}
			if d := compattest.Diff([]string{s2, s3}, seen); d != "" {
				t.Errorf("pages:\n%s", d)
			}

			status, _, m = e.ss("GET", "/session-storage/sessions/"+s2, nil)
			if d := compattest.Diff(map[string]any{"data": want["data"].([]any)[0]}, m); status != 200 || d != "" {
				t.Errorf("get: %d\n%s", status, d)
			}

			// Extend by query string, then by body: expires_at = now + ttl.
			e.clock.Add(10 * time.Minute)
			status, h, m := e.ss("POST", "/session-storage/sessions/"+s2+"?ttl_seconds=7200", nil)
			if status != 204 || m != nil || h.Get("Content-Type") != "" {
				t.Fatalf("extend: %d %v", status, m)
			}
			_, _, m = e.ss("GET", "/session-storage/sessions/"+s2, nil)
			if got := m["data"].(map[string]any); got["expires_at"] != "2024-10-11T13:17:12Z" || got["updated_at"] != "2024-10-11T11:17:12Z" {
				t.Errorf("after extend: %v", got)
			}
			if status, _, m := e.ss("POST", "/session-storage/sessions/"+s2, map[string]any{"data": map[string]any{"ttl_seconds": 60}}); status != 204 {
				t.Fatalf("extend by body: %d %v", status, m)
			}
			_, _, m = e.ss("GET", "/session-storage/sessions/"+s2, nil)
			if got := m["data"].(map[string]any); got["expires_at"] != "2024-10-11T11:18:12Z" {
				t.Errorf("after extend by body: %v", got)
			}

			// Delete: 204, then the session is gone everywhere.
			if status, _, m := e.ss("DELETE", "/session-storage/sessions/"+s2, nil); status != 204 || m != nil {
				t.Fatalf("delete: %d %v", status, m)
			}
			status, _, m = e.ss("GET", "/session-storage/sessions/"+s2, nil)
			e.wantError("get deleted", status, m, 404, 40400)
			status, _, m = e.ss("DELETE", "/session-storage/sessions/"+s2, nil)
			e.wantError("delete twice", status, m, 404, 40400)
			if status, _, _ := e.srv.JSON("GET", "/v1/me", nil, "Authorization", "Bearer "+tok2); status != 401 {
				t.Errorf("token of a deleted session: %d", status)
			}
			_, _, m = e.ss("GET", "/session-storage/sessions", nil)
			if d := compattest.Diff([]string{s3}, ids(m)); d != "" {
				t.Errorf("list after delete:\n%s", d)
			}
		})
	}
}

// user_id narrows the list: an external user id, or a Portico user id.
func TestSessionStorage_UserFilter(t *testing.T) {
	for _, eng := range compattest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) {
			e := newEnv(t, eng, nil)
			a1, _ := e.newSession(e.key, map[string]any{"external_id": "ann"})
			e.newSession(e.key, map[string]any{"external_id": "bob"})
			e.clock.Add(time.Second)
			a2, tok := e.newSession(e.key, map[string]any{"external_id": "ann"})
			e.newSession(e.key, map[string]any{"email": "carol@example.com"})
			_, _, me := e.srv.JSON("GET", "/v1/me", nil, "Authorization", "Bearer "+tok)
			annID := me["user"].(map[string]any)["id"].(string)

			for _, q := range []string{"ann", annID} {
				status, _, m := e.ss("GET", "/session-storage/sessions?user_id="+q, nil)
				if d := compattest.Diff([]string{a1, a2}, ids(m)); status != 200 || d != "" {
					t.Errorf("user_id=%s: %d\n%s", q, status, d)
				}
			}
			status, _, m := e.ss("GET", "/session-storage/sessions?user_id=nobody", nil)
			if status != 200 || len(m["data"].([]any)) != 0 || m["next_page_token"] != nil {
				t.Errorf("unknown user: %d %v", status, m)
			}
			// A page token belongs to its query.
			_, _, m = e.ss("GET", "/session-storage/sessions?user_id=ann&page_size=1", nil)
			next := m["next_page_token"].(string)
			status, _, m = e.ss("GET", "/session-storage/sessions?user_id=bob&page_size=1&page_token="+next, nil)
			e.wantError("page token of another query", status, m, 400, 40000)
		})
	}
}

// The app's per-user session limit applies to the sessions listed here.
func TestSessionStorage_SessionLimit(t *testing.T) {
	for _, eng := range compattest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) {
			e := newEnv(t, eng, nil)
			if status, _, m := e.srv.JSON("PATCH", "/v1/app", map[string]any{"settings": map[string]any{"max_sessions_per_user": 2}},
				"Authorization", "Bearer "+e.key); status != 200 {
				t.Fatalf("PATCH /v1/app: %d %v", status, m)
			}
			var made []string
			for range 3 {
				id, _ := e.newSession(e.key, map[string]any{"external_id": "ann"})
				made = append(made, id)
				e.clock.Add(time.Second)
			}
			_, _, m := e.ss("GET", "/session-storage/sessions?user_id=ann", nil)
			if d := compattest.Diff(made[1:], ids(m)); d != "" {
				t.Errorf("after a third session, the oldest is evicted:\n%s", d)
			}
			status, _, m := e.ss("GET", "/session-storage/sessions/"+made[0], nil)
			e.wantError("evicted session", status, m, 404, 40400)
		})
	}
}

func TestSessionStorage_Errors(t *testing.T) {
	for _, eng := range compattest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) {
			e := newEnv(t, eng, nil)
			otherApp, otherKey := e.srv.NewApp("Other")
			otherSession, _ := e.newSession(otherKey, map[string]any{"external_id": "ann"})
			mine, _ := e.newSession(e.key, map[string]any{"external_id": "ann"})
			revoked, revokedRaw, err := e.srv.Service.CreateAPIKey(context.Background(), e.app, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := e.srv.Service.RevokeAPIKey(context.Background(), e.app, revoked.ID); err != nil {
				t.Fatal(err)
			}
			sp := "/session-storage/sessions/" + mine
			creds := []string{"ClientID", e.app, "ClientSecret", e.key}
			cases := []struct {
				name         string
				method, path string
				body         any
				hdr          []string
				status, code int
			}{
				{"no credentials", "GET", "/session-storage/sessions", nil, []string{}, 401, 40100},
				{"no client id", "GET", "/session-storage/sessions", nil, []string{"ClientSecret", e.key}, 401, 40100},
				{"no client secret", "GET", sp, nil, []string{"ClientID", e.app}, 401, 40100},
				{"wrong secret", "GET", sp, nil, []string{"ClientID", e.app, "ClientSecret", "pk_" + strings.Repeat("x", 43)}, 401, 40101},
				{"revoked secret", "DELETE", sp, nil, []string{"ClientID", e.app, "ClientSecret", revokedRaw}, 401, 40101},
				{"session token as the secret", "GET", sp, nil, []string{"ClientID", e.app, "ClientSecret", "pst_" + strings.Repeat("a", 43)}, 401, 40101},
				{"client id of another app", "GET", sp, nil, []string{"ClientID", otherApp, "ClientSecret", e.key}, 401, 40101},
				{"secret of another app", "GET", sp, nil, []string{"ClientID", e.app, "ClientSecret", otherKey}, 401, 40101},
				{"API key as Bearer only", "GET", sp, nil, []string{"Authorization", "Bearer " + e.key}, 401, 40100},
				{"another app's session: get", "GET", "/session-storage/sessions/" + otherSession, nil, creds, 404, 40400},
				{"another app's session: extend", "POST", "/session-storage/sessions/" + otherSession + "?ttl_seconds=60", nil, creds, 404, 40400},
				{"another app's session: delete", "DELETE", "/session-storage/sessions/" + otherSession, nil, creds, 404, 40400},
				{"unknown session", "GET", "/session-storage/sessions/ses_nope", nil, creds, 404, 40400},
				{"unknown path", "GET", "/session-storage/users", nil, creds, 404, 40400},
				{"method on list", "DELETE", "/session-storage/sessions", nil, creds, 405, 40500},
				{"method on session", "PUT", sp, nil, creds, 405, 40500},
				{"bad page size", "GET", "/session-storage/sessions?page_size=0", nil, creds, 400, 40000},
				{"page size too big", "GET", "/session-storage/sessions?page_size=101", nil, creds, 400, 40000},
				{"tampered page token", "GET", "/session-storage/sessions?page_token=abc", nil, creds, 400, 40000},
				{"extend without ttl", "POST", sp, nil, creds, 400, 40000},
				{"extend ttl not a number", "POST", sp + "?ttl_seconds=ten", nil, creds, 400, 40000},
				{"extend ttl twice", "POST", sp + "?ttl_seconds=60", map[string]any{"data": map[string]any{"ttl_seconds": 60}}, creds, 400, 40000},
				{"extend body wrong type", "POST", sp, map[string]any{"data": map[string]any{"ttl_seconds": "60"}}, creds, 400, 40000},
				{"extend body unknown field", "POST", sp, map[string]any{"ttl_seconds": 60}, creds, 400, 40000},
				{"extend body not JSON", "POST", sp, "{", creds, 400, 40000},
				{"extend body duplicate key", "POST", sp, `{"data":{"ttl_seconds":60,"ttl_seconds":7}}`, creds, 400, 40000},
				// A misspelt filter would answer every session; a parameter
				// twice, the first.
				{"misspelt filter", "GET", "/session-storage/sessions?userid=ann", nil, creds, 400, 40000},
				{"filter twice", "GET", "/session-storage/sessions?user_id=a&user_id=b", nil, creds, 400, 40000},
				{"ttl twice", "POST", sp + "?ttl_seconds=60&ttl_seconds=-1", nil, creds, 400, 40000},
				{"a parameter get does not take", "GET", sp + "?expand=user", nil, creds, 400, 40000},
				{"extend ttl zero", "POST", sp + "?ttl_seconds=0", nil, creds, 422, 42200},
				{"extend past the maximum", "POST", sp + "?ttl_seconds=604801", nil, creds, 422, 42200},
				// Counts that wrap around when multiplied into a Duration.
				{"extend by 9300000000 s", "POST", sp + "?ttl_seconds=9300000000", nil, creds, 422, 42200},
				{"extend by 9300000000 s in the body", "POST", sp, `{"data":{"ttl_seconds":9300000000}}`, creds, 422, 42200},
				{"extend by the largest int64", "POST", sp + "?ttl_seconds=9223372036854775807", nil, creds, 422, 42200},
				{"extend beyond int64", "POST", sp + "?ttl_seconds=99999999999999999999", nil, creds, 422, 42200},
				{"extend beyond int64 in the body", "POST", sp, `{"data":{"ttl_seconds":99999999999999999999}}`, creds, 422, 42200},
				{"extend below int64", "POST", sp + "?ttl_seconds=-99999999999999999999", nil, creds, 422, 42200},
			}
			for _, c := range cases {
				status, h, m := e.srv.JSON(c.method, c.path, c.body, c.hdr...)
				e.wantError(c.name, status, m, c.status, c.code)
				if c.status == 405 && h.Get("Allow") == "" {
					t.Errorf("%s: no Allow header", c.name)
				}
			}
			// None of it changed the session.
			_, _, m := e.ss("GET", sp, nil)
			if got := m["data"].(map[string]any); got["expires_at"] != got["created_at"].(string)[:11]+"10:02:56Z" {
				t.Errorf("session after refused calls: %v", got)
			}
			// An expired session cannot be extended.
			e.clock.Add(2 * time.Hour)
			status, _, m := e.ss("POST", sp+"?ttl_seconds=60", nil)
			e.wantError("extend expired", status, m, 409, 40900)
			if strings.Contains(e.srv.Logs(), e.key) || strings.Contains(e.srv.Logs(), revokedRaw) {
				t.Errorf("a key reached the logs")
			}
		})
	}
}

func TestSessionStorage_RateLimited(t *testing.T) {
	for _, eng := range compattest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) {
			e := newEnv(t, eng, func(c *cli.Config) { c.RateLimitKey, c.RateLimitKeyBurst = 0.001, 2 })
			for range 2 {
				if status, _, m := e.ss("GET", "/session-storage/sessions", nil); status != 200 {
					t.Fatalf("list: %d %v", status, m)
				}
			}
			status, h, m := e.ss("GET", "/session-storage/sessions", nil)
			e.wantError("third call", status, m, 429, 42900)
			if h.Get("Retry-After") == "" {
				t.Errorf("no Retry-After")
			}
		})
	}
}
