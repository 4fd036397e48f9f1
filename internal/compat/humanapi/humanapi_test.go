package humanapi_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/porticohq/portico/internal/compat/compattest"
)

type env struct {
	t       *testing.T
	srv     *compattest.Server
	app     string
	key     string
	secrets []string
}

func newEnv(t *testing.T, srv *compattest.Server) *env {
	app, key := srv.NewApp("Acme")
	return &env{t: t, srv: srv, app: app, key: key, secrets: []string{key}}
}

// native calls the native API with the app's key.
func (e *env) native(method, path string, body any) map[string]any {
	e.t.Helper()
	status, _, m := e.srv.JSON(method, path, body, "Authorization", "Bearer "+e.key)
	if status >= 300 {
		e.t.Fatalf("%s %s: %d %v", method, path, status, m)
	}
	return m
}

// request is the documented body, for this app.
func (e *env) request(userID, typ string) map[string]any {
	return map[string]any{"client_id": e.app, "client_user_id": userID, "client_user_email": userID + "@example.com",
		"client_secret": e.key, "type": typ}
}

// token calls POST /v1/connect/token and wants a 200 with exactly fields.
func (e *env) token(body map[string]any, fields ...string) map[string]any {
	e.t.Helper()
	status, h, m := e.srv.JSON("POST", "/v1/connect/token", body)
	if status != 200 {
		e.t.Fatalf("token %v: %d %v", body["type"], status, m)
	}
	slices.Sort(fields)
	if d := compattest.Diff(fields, compattest.Keys(m)); d != "" {
		e.t.Fatalf("answer fields:\n%s", d)
	}
	if h.Get("Cache-Control") != "no-store" {
		e.t.Errorf("Cache-Control = %q", h.Get("Cache-Control"))
	}
	for _, f := range []string{"session_token", "id_token", "id_refresh_token"} {
		if s, ok := m[f].(string); ok {
			e.secrets = append(e.secrets, s)
		}
	}
	return m
}

func (e *env) session(userID string) map[string]any {
	e.t.Helper()
	return e.token(e.request(userID, "session"), "session_token", "human_id", "expires_in")
}

func (e *env) idToken(userID string) map[string]any {
	e.t.Helper()
	return e.token(e.request(userID, "id"), "token_type", "id_token", "id_refresh_token", "id_token_expires_in")
}

// me validates a token on the native API and returns its user.
func (e *env) me(tok string) map[string]any {
	e.t.Helper()
	status, _, m := e.srv.JSON("GET", "/v1/me", nil, "Authorization", "Bearer "+tok)
	if status != 200 {
		e.t.Fatalf("GET /v1/me: %d %v", status, m)
	}
	return m["user"].(map[string]any)
}

// connect gives the user a connection to a new api-key integration and
// returns its id.
func (e *env) connect(userID string) string {
	e.t.Helper()
	e.native("PUT", "/v1/integrations/openai", map[string]any{"template": "openai"})
	c := e.native("PUT", "/v1/users/"+userID+"/connections/openai", map[string]any{"credentials": map[string]any{"api_key": "sk-test-1234"}})
	return c["id"].(string)
}

func (e *env) wantError(what string, body any, status int, code string) {
	e.t.Helper()
	got, _, m := e.srv.JSON("POST", "/v1/connect/token", body)
	if got != status || m["errorCode"] != code {
		e.t.Errorf("%s: %d %v, want %d %s", what, got, m, status, code)
		return
	}
	if d := compattest.Diff([]string{"errorCode", "message", "statusCode"}, compattest.Keys(m)); d != "" || m["statusCode"] != float64(status) || m["message"] == "" {
		e.t.Errorf("%s: error body %v", what, m)
	}
}

func (e *env) checkLogs() {
	e.t.Helper()
	e.srv.CheckNoSecrets(e.secrets...)
}

var hexID = regexp.MustCompile(`^[0-9a-f]{32}$`)

// The documented flow: a session token for a new user, then, once the user
// has connected a source, id tokens instead.
func TestHumanAPI_DocumentedFlow(t *testing.T) {
	for _, eng := range compattest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) {
			srv := compattest.Start(t, eng, nil)
			e := newEnv(t, srv)

			// The sample request of "New user".
			s := e.session("user-1")
			if !hexID.MatchString(s["human_id"].(string)) || s["expires_in"] != 3600.0 {
				t.Errorf("session answer %v", s)
			}
			tok := s["session_token"].(string)
			user := e.me(tok)
			if user["external_id"] != "user-1" || user["email"] != "user-1@example.com" {
				t.Errorf("user %v", user)
			}

			// The session token opens the hosted page.
			noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			res, err := noRedirect.PostForm(srv.URL+"/connect/open", url.Values{"token": {tok}})
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/connect/" || len(res.Cookies()) != 1 {
				t.Errorf("POST /connect/open: %d %v", res.StatusCode, res.Header)
			}
			page, err := http.NewRequest("GET", srv.URL+"/connect/", nil)
			if err != nil {
				t.Fatal(err)
			}
			page.AddCookie(res.Cookies()[0])
			if res, err := http.DefaultClient.Do(page); err != nil || res.StatusCode != 200 {
				t.Errorf("GET /connect/ with the page cookie: %v %v", res, err)
			} else {
				res.Body.Close()
			}

			// Before any connection: new session tokens, one human_id; the
			// email of a found user is not changed.
			again := e.token(map[string]any{"client_id": e.app, "client_user_id": "user-1", "client_user_email": "new@example.com",
				"client_secret": e.key, "type": "session"}, "session_token", "human_id", "expires_in")
			if again["human_id"] != s["human_id"] || again["session_token"] == tok {
				t.Errorf("second session: %v", again)
			}
			if u := e.me(again["session_token"].(string)); u["id"] != user["id"] || u["email"] != "user-1@example.com" {
				t.Errorf("second session's user %v", u)
			}
			e.wantError("id token before a connection", e.request("user-1", "id"), 404, "UNKNOWN_CLIENT_USER_ID")

			// Once a source is connected: no more session tokens, id tokens.
			conn := e.connect(user["id"].(string))
			e.wantError("session after a connection", e.request("user-1", "session"), 403, "SESSION_TOKEN_GENERATION_NOT_ALLOWED")
			id := e.idToken("user-1")
			if id["token_type"] != "Bearer" || id["id_token_expires_in"] != 86400.0 {
				t.Errorf("id answer %v", id)
			}
			if u := e.me(id["id_token"].(string)); u["id"] != user["id"] {
				t.Errorf("id token's user %v", u)
			}
			// The id refresh token rotates on POST /v1/tokens/refresh.
			r := e.native("POST", "/v1/tokens/refresh", map[string]any{"refresh_token": id["id_refresh_token"]})
			e.secrets = append(e.secrets, r["token"].(string), r["refresh_token"].(string))
			if u := e.me(r["token"].(string)); u["id"] != user["id"] {
				t.Errorf("refreshed token's user %v", u)
			}

			// Revoking every connection opens the session window again.
			e.native("DELETE", "/v1/connections/"+conn, nil)
			if s2 := e.session("user-1"); s2["human_id"] != s["human_id"] {
				t.Errorf("human_id changed: %v", s2)
			}
			e.wantError("id token after revoking", e.request("user-1", "id"), 404, "UNKNOWN_CLIENT_USER_ID")
			e.checkLogs()
		})
	}
}

// human_id is stable per user, different between users and between apps.
func TestHumanAPI_HumanID(t *testing.T) {
	for _, eng := range compattest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) {
			srv := compattest.Start(t, eng, nil)
			a, b := newEnv(t, srv), newEnv(t, srv)
			a1, a2, b1 := a.session("u1")["human_id"], a.session("u2")["human_id"], b.session("u1")["human_id"]
			if a1 == a2 || a1 == b1 || a.session("u1")["human_id"] != a1 {
				t.Errorf("human ids: a/u1 %v, a/u2 %v, b/u1 %v", a1, a2, b1)
			}
			// It does not contain the ids it is made from.
			for _, s := range []string{a.app, b.app, "u1"} {
				if strings.Contains(a1.(string), s) {
					t.Errorf("human_id %v reveals %s", a1, s)
				}
			}
		})
	}
}

func TestHumanAPI_Errors(t *testing.T) {
	for _, eng := range compattest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) {
			srv := compattest.Start(t, eng, nil)
			e := newEnv(t, srv)
			other := newEnv(t, srv)
			revoked, revokedRaw, err := srv.Service.CreateAPIKey(context.Background(), e.app, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := srv.Service.RevokeAPIKey(context.Background(), e.app, revoked.ID); err != nil {
				t.Fatal(err)
			}
			e.secrets = append(e.secrets, other.key, revokedRaw)
			with := func(k string, v any) map[string]any {
				b := e.request("u1", "session")
				if v == nil {
					delete(b, k)
				} else {
					b[k] = v
				}
				return b
			}
			cases := []struct {
				name   string
				body   any
				status int
				code   string
			}{
				{"type missing", with("type", nil), 400, "INVALID_TOKEN_TYPE"},
				{"type unknown", with("type", "refresh"), 400, "INVALID_TOKEN_TYPE"},
				{"type client", with("type", "client"), 403, "CLIENT_TOKEN_GENERATION_NOT_ALLOWED"},
				{"client_id missing", with("client_id", nil), 401, "INVALID_CLIENT_ID"},
				{"client_id malformed", with("client_id", "--YOUR_CLIENT_ID--"), 401, "INVALID_CLIENT_ID"},
				{"client_secret missing", with("client_secret", nil), 401, "INVALID_CLIENT_ID_OR_SECRET"},
				{"client_secret wrong", with("client_secret", "pk_"+strings.Repeat("z", 43)), 401, "INVALID_CLIENT_ID_OR_SECRET"},
				{"client_secret revoked", with("client_secret", revokedRaw), 401, "INVALID_CLIENT_ID_OR_SECRET"},
				{"client_secret of another app", with("client_secret", other.key), 401, "INVALID_CLIENT_ID_OR_SECRET"},
				{"client_id of another app", with("client_id", other.app), 401, "INVALID_CLIENT_ID_OR_SECRET"},
				{"id token for an unknown user", with("type", "id"), 404, "UNKNOWN_CLIENT_USER_ID"},
				{"client_user_id missing", with("client_user_id", nil), 400, "INVALID_REQUEST"},
				{"client_user_id empty", with("client_user_id", ""), 400, "INVALID_REQUEST"},
				{"client_user_id control character", with("client_user_id", "a\nb"), 400, "INVALID_REQUEST"},
				{"client_user_email bad", with("client_user_email", "nobody"), 400, "INVALID_REQUEST"},
				{"wrong type", with("client_user_id", 42), 400, "INVALID_REQUEST"},
				{"unknown field", with("scope", "all"), 400, "INVALID_REQUEST"},
				{"not JSON", "{", 400, "INVALID_REQUEST"},
				{"two values", `{} {}`, 400, "INVALID_REQUEST"},
				{"duplicate key", `{"client_id":"x","client_id":"y"}`, 400, "INVALID_REQUEST"},
			}
			for _, c := range cases {
				e.wantError(c.name, c.body, c.status, c.code)
			}
			// Another app's user is unknown here, connected or not.
			otherUser := other.me(other.session("shared")["session_token"].(string))
			other.connect(otherUser["id"].(string))
			e.wantError("another app's connected user", e.request("shared", "id"), 404, "UNKNOWN_CLIENT_USER_ID")
			e.session("shared")

			status, h, m := e.srv.JSON("GET", "/v1/connect/token", nil)
			if status != 405 || m["errorCode"] != "METHOD_NOT_ALLOWED" || h.Get("Allow") != "POST" {
				t.Errorf("GET: %d %v", status, m)
			}
			// None of the refused requests made a user.
			if users := e.native("GET", "/v1/users", nil)["data"].([]any); len(users) != 1 {
				t.Errorf("users after refused requests: %v", users)
			}
			e.checkLogs()
		})
	}
}

// The app's settings can forbid each token type, and its limits apply.
func TestHumanAPI_AppSettings(t *testing.T) {
	for _, eng := range compattest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) {
			srv := compattest.Start(t, eng, nil)
			e := newEnv(t, srv)
			u := e.me(e.session("u1")["session_token"].(string))
			e.connect(u["id"].(string))

			e.native("PATCH", "/v1/app", map[string]any{"settings": map[string]any{"connect_id_tokens": false}})
			e.wantError("id tokens off", e.request("u1", "id"), 403, "ID_TOKEN_GENERATION_NOT_ALLOWED")
			e.session("u2")
			e.native("PATCH", "/v1/app", map[string]any{"settings": map[string]any{"connect_id_tokens": true, "connect_session_tokens": false}})
			e.wantError("session tokens off", e.request("u2", "session"), 403, "CLIENT_TOKEN_GENERATION_NOT_ALLOWED")
			e.idToken("u1")

			// A shorter app maximum shortens both tokens, and says so.
			e.native("PATCH", "/v1/app", map[string]any{"settings": map[string]any{"connect_session_tokens": true,
				"session_ttl_seconds": 600, "max_session_ttl_seconds": 1800}})
			if s := e.session("u3"); s["expires_in"] != 1800.0 {
				t.Errorf("expires_in = %v, want the app maximum 1800", s["expires_in"])
			}
			if id := e.idToken("u1"); id["id_token_expires_in"] != 1800.0 {
				t.Errorf("id_token_expires_in = %v, want the app maximum 1800", id["id_token_expires_in"])
			}

			// max_users and a rejecting session limit: NOT_AUTHORIZED.
			e.native("PATCH", "/v1/app", map[string]any{"settings": map[string]any{"max_users": 3, "max_sessions_per_user": 1, "session_limit_policy": "reject"}})
			e.wantError("user quota", e.request("u4", "session"), 403, "NOT_AUTHORIZED")
			e.wantError("session limit", e.request("u3", "session"), 403, "NOT_AUTHORIZED")
		})
	}
}
