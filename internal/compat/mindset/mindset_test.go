package mindset_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/compat/compattest"
	"github.com/porticohq/portico/internal/compat/mindset"
)

// env is one server with one app, and the secrets the test saw (none may
// reach a log line).
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

func (e *env) authPath() string { return "/api/v1/appuid/" + e.app + "/sdkusers/auth" }

// auth calls the current endpoint with the app's key and wants a token.
func (e *env) auth(body any) string {
	e.t.Helper()
	status, h, m := e.srv.JSON("POST", e.authPath(), body, "x-api-key", e.key)
	if status != 200 {
		e.t.Fatalf("auth %v: %d %v", body, status, m)
	}
	if d := compattest.Diff([]string{"authToken"}, compattest.Keys(m)); d != "" {
		e.t.Fatalf("answer fields (-want +got):\n%s", d)
	}
	if h.Get("Cache-Control") != "no-store" {
		e.t.Errorf("Cache-Control = %q", h.Get("Cache-Control"))
	}
	tok := m["authToken"].(string)
	e.secrets = append(e.secrets, tok)
	return tok
}

// me validates an authToken on the native API and returns user and session.
func (e *env) me(tok string) (user, session map[string]any) {
	e.t.Helper()
	status, _, m := e.srv.JSON("GET", "/v1/me", nil, "Authorization", "Bearer "+tok)
	if status != 200 {
		e.t.Fatalf("GET /v1/me: %d %v", status, m)
	}
	return m["user"].(map[string]any), m["session"].(map[string]any)
}

// wantError checks a Mindset error answer.
func (e *env) wantError(status int, m map[string]any, wantStatus int, what string) {
	e.t.Helper()
	if status != wantStatus {
		e.t.Errorf("%s: status %d, want %d (%v)", what, status, wantStatus, m)
		return
	}
	if d := compattest.Diff([]string{"error", "message"}, compattest.Keys(m)); d != "" {
		e.t.Errorf("%s: error fields (-want +got):\n%s", what, d)
	}
	if m["error"] != http.StatusText(wantStatus) || m["message"] == "" {
		e.t.Errorf("%s: error body %v", what, m)
	}
}

func (e *env) checkLogs() {
	e.t.Helper()
	e.srv.CheckNoSecrets(e.secrets...)
}

func TestMindset_DocumentedRequest(t *testing.T) {
	for _, eng := range compattest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) {
			e := newEnv(t, compattest.Start(t, eng, nil))
			// The documented body: a name for a new user, an externalId
			// and the accounts to join.
			tok := e.auth(map[string]any{"name": "Jane Doe", "externalId": "user-1234", "accountUids": []string{"acc-1", "acc_2"}})
			user, sess := e.me(tok)
			if user["external_id"] != "user-1234" || user["email"] != nil || user["name"] != "Jane Doe" {
				t.Errorf("user = %v", user)
			}
			if d := compattest.Diff([]any{"acc-1", "acc_2"}, user["account_ids"]); d != "" {
				t.Errorf("account_ids (-want +got):\n%s", d)
			}
			// The session lives for the app's default TTL.
			created, _ := time.Parse(time.RFC3339, sess["created_at"].(string))
			expires, _ := time.Parse(time.RFC3339, sess["expires_at"].(string))
			if got := expires.Sub(created); got != time.Hour {
				t.Errorf("session TTL = %v, want the app default 1h", got)
			}

			// A returning user: same user, name kept, a new session; the
			// accounts created last time are reused.
			tok2 := e.auth(map[string]any{"name": "Other Name", "externalId": "user-1234", "accountUids": []string{"acc-1"}})
			user2, sess2 := e.me(tok2)
			if user2["id"] != user["id"] || user2["name"] != "Jane Doe" || sess2["id"] == sess["id"] {
				t.Errorf("returning user: %v %v", user2, sess2)
			}
			status, _, accs := e.srv.JSON("GET", "/v1/accounts", nil, "Authorization", "Bearer "+e.key)
			if status != 200 || len(accs["data"].([]any)) != 2 {
				t.Errorf("accounts: %d %v", status, accs)
			}

			// By email: normalised, so case does not make another user.
			tokA := e.auth(map[string]any{"userEmail": "Ann@Example.com"})
			tokB := e.auth(map[string]any{"userEmail": "ann@example.com"})
			ua, _ := e.me(tokA)
			ub, _ := e.me(tokB)
			if ua["id"] != ub["id"] || ua["email"] != "ann@example.com" || ua["external_id"] != nil {
				t.Errorf("email users: %v %v", ua, ub)
			}

			// The app's default TTL is followed when it changes.
			if status, _, m := e.srv.JSON("PATCH", "/v1/app", map[string]any{"settings": map[string]any{"session_ttl_seconds": 600}},
				"Authorization", "Bearer "+e.key); status != 200 {
				t.Fatalf("PATCH /v1/app: %d %v", status, m)
			}
			_, sess3 := e.me(e.auth(map[string]any{"externalId": "user-1234"}))
			created, _ = time.Parse(time.RFC3339, sess3["created_at"].(string))
			expires, _ = time.Parse(time.RFC3339, sess3["expires_at"].(string))
			if got := expires.Sub(created); got != 10*time.Minute {
				t.Errorf("session TTL = %v, want the app default 10m", got)
			}
			e.checkLogs()
		})
	}
}

func TestMindset_ExternalTenantID(t *testing.T) {
	for _, eng := range compattest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) {
			e := newEnv(t, compattest.Start(t, eng, nil))
			u, _ := e.me(e.auth(map[string]any{"externalId": "u1", "externalTenantId": "tenant-a"}))
			if d := compattest.Diff(map[string]any{mindset.TenantMetadataKey: "tenant-a"}, u["metadata"]); d != "" {
				t.Errorf("metadata on creation (-want +got):\n%s", d)
			}
			// A user created natively, with metadata of its own, gains the
			// tenant and keeps the rest; a later tenant replaces it.
			if status, _, m := e.srv.JSON("POST", "/v1/users", map[string]any{"external_id": "u2", "metadata": map[string]any{"plan": "pro"}},
				"Authorization", "Bearer "+e.key); status != 201 {
				t.Fatalf("POST /v1/users: %d %v", status, m)
			}
			e.auth(map[string]any{"externalId": "u2", "externalTenantId": "tenant-a"})
			u2, _ := e.me(e.auth(map[string]any{"externalId": "u2", "externalTenantId": "tenant-b"}))
			if d := compattest.Diff(map[string]any{"plan": "pro", mindset.TenantMetadataKey: "tenant-b"}, u2["metadata"]); d != "" {
				t.Errorf("metadata after two tenants (-want +got):\n%s", d)
			}
			// Without externalTenantId the stored one stays.
			u3, _ := e.me(e.auth(map[string]any{"externalId": "u2"}))
			if u3["metadata"].(map[string]any)[mindset.TenantMetadataKey] != "tenant-b" {
				t.Errorf("metadata = %v", u3["metadata"])
			}
		})
	}
}

// Users identified by email and by external id are two namespaces: the
// same text as a native external id and as a Mindset userEmail is two
// users, and so is an email user beside a user with that email and an
// external id.
func TestMindset_SeparateNamespaces(t *testing.T) {
	for _, eng := range compattest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) {
			e := newEnv(t, compattest.Start(t, eng, nil))
			status, _, native := e.srv.JSON("POST", "/v1/users", map[string]any{"external_id": "ann@example.com"}, "Authorization", "Bearer "+e.key)
			if status != 201 {
				t.Fatalf("POST /v1/users: %d %v", status, native)
			}
			status, _, withBoth := e.srv.JSON("POST", "/v1/users", map[string]any{"external_id": "ann-1", "email": "ann@example.com"}, "Authorization", "Bearer "+e.key)
			if status != 201 {
				t.Fatalf("POST /v1/users: %d %v", status, withBoth)
			}
			// The native API will not make a second person of ann-1 by her
			// email; Mindset's namespace of email users is its own.
			if status, _, m := e.srv.JSON("POST", "/v1/users", map[string]any{"email": "ann@example.com"}, "Authorization", "Bearer "+e.key); status != 409 {
				t.Fatalf("native POST /v1/users by a held email: %d %v", status, m)
			}
			byEmail, _ := e.me(e.auth(map[string]any{"userEmail": "ann@example.com"}))
			byExt, _ := e.me(e.auth(map[string]any{"externalId": "ann-1"}))
			if byEmail["id"] == native["id"] || byEmail["id"] == withBoth["id"] || byEmail["external_id"] != nil {
				t.Errorf("the email user is another user's: %v", byEmail)
			}
			if byExt["id"] != withBoth["id"] {
				t.Errorf("externalId ann-1 found %v, want %v", byExt["id"], withBoth["id"])
			}
			// The email user is found again, not a third one.
			again, _ := e.me(e.auth(map[string]any{"userEmail": "ann@example.com"}))
			if again["id"] != byEmail["id"] {
				t.Errorf("email user not found again: %v vs %v", again["id"], byEmail["id"])
			}
			// Once Mindset made the email user, the native API finds it.
			if status, _, m := e.srv.JSON("POST", "/v1/users", map[string]any{"email": "ann@example.com"}, "Authorization", "Bearer "+e.key); status != 200 || m["id"] != byEmail["id"] {
				t.Errorf("native POST /v1/users after Mindset: %d %v, want %v", status, m, byEmail["id"])
			}
		})
	}
}

// Another method on an endpoint, and an unknown path under Mindset's
// prefix, are answered in Mindset's shape.
func TestMindset_OtherMethodsAndPaths(t *testing.T) {
	e := newEnv(t, compattest.Start(t, compattest.Engines(t)[0], nil))
	for _, c := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/api-authenticate-embedded-user", 405},
		{"PUT", e.authPath(), 405},
		{"GET", "/api/v1/appuid/" + e.app + "/sdkusers", 404},
	} {
		status, h, m := e.srv.JSON(c.method, c.path, nil, "x-api-key", e.key)
		e.wantError(status, m, c.status, c.method+" "+c.path)
		if c.status == 405 && h.Get("Allow") != "POST" {
			t.Errorf("%s %s: Allow %q", c.method, c.path, h.Get("Allow"))
		}
	}
}

func TestMindset_Errors(t *testing.T) {
	for _, eng := range compattest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) {
			srv := compattest.Start(t, eng, nil)
			e := newEnv(t, srv)
			otherApp, otherKey := srv.NewApp("Other")
			revoked, revokedRaw, err := srv.Service.CreateAPIKey(context.Background(), e.app, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := srv.Service.RevokeAPIKey(context.Background(), e.app, revoked.ID); err != nil {
				t.Fatal(err)
			}
			e.secrets = append(e.secrets, otherKey, revokedRaw)
			long := strings.Repeat("a", 101)
			cases := []struct {
				name   string
				path   string
				body   any
				hdr    []string
				status int
			}{
				{"neither", e.authPath(), map[string]any{"name": "x"}, nil, 400},
				{"both", e.authPath(), map[string]any{"externalId": "u1", "userEmail": "a@example.com", "accountUids": []string{"never"}}, nil, 400},
				{"externalId charset", e.authPath(), map[string]any{"externalId": "a b"}, nil, 400},
				{"externalId empty", e.authPath(), map[string]any{"externalId": ""}, nil, 400},
				{"externalId too long", e.authPath(), map[string]any{"externalId": long}, nil, 400},
				{"userEmail too long", e.authPath(), map[string]any{"userEmail": long + "@example.com"}, nil, 400},
				{"userEmail not an address", e.authPath(), map[string]any{"userEmail": "nobody"}, nil, 400},
				{"name too long", e.authPath(), map[string]any{"externalId": "u1", "name": long}, nil, 400},
				{"tenant too long", e.authPath(), map[string]any{"externalId": "u1", "externalTenantId": long}, nil, 400},
				// The domain's rule for text: C1 controls and the line separator too.
				{"name with a C1 control", e.authPath(), map[string]any{"externalId": "u1", "name": "Jane\u0085Doe"}, nil, 400},
				{"tenant with a line separator", e.authPath(), map[string]any{"externalId": "u1", "externalTenantId": "t\u2028x"}, nil, 400},
				{"eleven accounts", e.authPath(), map[string]any{"externalId": "u1", "accountUids": []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"}}, nil, 400},
				{"bad account uid", e.authPath(), map[string]any{"externalId": "u1", "accountUids": []string{"no spaces"}}, nil, 400},
				{"wrong type", e.authPath(), map[string]any{"externalId": 42}, nil, 400},
				{"unknown field", e.authPath(), map[string]any{"externalId": "u1", "role": "admin"}, nil, 400},
				{"not JSON", e.authPath(), "{", nil, 400},
				{"two values", e.authPath(), `{"externalId":"u1"} {}`, nil, 400},
				{"duplicate key", e.authPath(), `{"externalId":"u1","externalId":"u2"}`, nil, 400},
				{"case variant of a key", e.authPath(), `{"externalid":"u1"}`, nil, 400},
				{"missing key", e.authPath(), map[string]any{"externalId": "u1"}, []string{}, 401},
				{"unknown key", e.authPath(), map[string]any{"externalId": "u1"}, []string{"x-api-key", "pk_" + strings.Repeat("A", 43)}, 403},
				{"revoked key", e.authPath(), map[string]any{"externalId": "u1"}, []string{"x-api-key", revokedRaw}, 403},
				{"session token as the key", e.authPath(), map[string]any{"externalId": "u1"}, []string{"x-api-key", "pst_" + strings.Repeat("a", 43)}, 403},
				{"another app's id", "/api/v1/appuid/" + otherApp + "/sdkusers/auth", map[string]any{"externalId": "u1"}, nil, 404},
				{"another app's key", e.authPath(), map[string]any{"externalId": "u1"}, []string{"x-api-key", otherKey}, 404},
				{"legacy without email", "/api-authenticate-embedded-user", map[string]any{"addToAccounts": []any{}}, nil, 400},
				{"legacy missing key", "/api-authenticate-embedded-user", map[string]any{"userEmail": "a@example.com"}, []string{}, 401},
				{"legacy invalid key", "/api-authenticate-embedded-user", map[string]any{"userEmail": "a@example.com"}, []string{"x-api-key", "nope"}, 403},
				{"legacy revoked key", "/api-authenticate-embedded-user", map[string]any{"userEmail": "a@example.com"}, []string{"x-api-key", revokedRaw}, 403},
				{"legacy unknown field", "/api-authenticate-embedded-user", map[string]any{"userEmail": "a@example.com", "x": 1}, nil, 400},
			}
			for _, c := range cases {
				hdr := c.hdr
				if hdr == nil {
					hdr = []string{"x-api-key", e.key}
				}
				status, _, m := e.srv.JSON("POST", c.path, c.body, hdr...)
				e.wantError(status, m, c.status, c.name)
				// The native API's hint travels in Mindset's own shape.
				if c.name == "session token as the key" && m["message"] != "This is a session token; the API key starts with pk_." {
					t.Errorf("%s: message %v", c.name, m["message"])
				}
			}
			// No refused request wrote anything: no user, no account.
			for _, p := range []string{"/v1/users", "/v1/accounts"} {
				status, _, m := e.srv.JSON("GET", p, nil, "Authorization", "Bearer "+e.key)
				if status != 200 || len(m["data"].([]any)) != 0 {
					t.Errorf("GET %s after refused requests: %d %v", p, status, m)
				}
			}
			e.checkLogs()
		})
	}
}

func TestMindset_Legacy(t *testing.T) {
	for _, eng := range compattest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) {
			e := newEnv(t, compattest.Start(t, eng, nil))
			body := map[string]any{"userEmail": "Bob@Example.com", "addToAccounts": []any{map[string]any{"accountUid": "team-1"}}}
			status, h, m := e.srv.JSON("POST", "/api-authenticate-embedded-user", body, "x-api-key", e.key)
			if status != 201 || h.Get("Cache-Control") != "no-store" {
				t.Fatalf("legacy: %d %v", status, m)
			}
			if d := compattest.Diff([]string{"authToken"}, compattest.Keys(m)); d != "" {
				t.Fatalf("answer fields (-want +got):\n%s", d)
			}
			tok := m["authToken"].(string)
			e.secrets = append(e.secrets, tok)
			user, _ := e.me(tok)
			if user["email"] != "bob@example.com" || user["external_id"] != nil {
				t.Errorf("user = %v", user)
			}
			if d := compattest.Diff([]any{"team-1"}, user["account_ids"]); d != "" {
				t.Errorf("account_ids (-want +got):\n%s", d)
			}
			// The legacy and the current endpoint find the same email user.
			again, _ := e.me(e.auth(map[string]any{"userEmail": "bob@example.com"}))
			if again["id"] != user["id"] {
				t.Errorf("current endpoint found %v, legacy %v", again["id"], user["id"])
			}
			e.checkLogs()
		})
	}
}

// The limits of the app hold: a full app refuses new users, a user at its
// session limit with the reject policy gets no token.
func TestMindset_AppLimits(t *testing.T) {
	for _, eng := range compattest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) {
			e := newEnv(t, compattest.Start(t, eng, nil))
			settings := map[string]any{"max_users": 1, "max_sessions_per_user": 1, "session_limit_policy": "reject"}
			if status, _, m := e.srv.JSON("PATCH", "/v1/app", map[string]any{"settings": settings}, "Authorization", "Bearer "+e.key); status != 200 {
				t.Fatalf("PATCH /v1/app: %d %v", status, m)
			}
			e.auth(map[string]any{"externalId": "u1"})
			status, _, m := e.srv.JSON("POST", e.authPath(), map[string]any{"externalId": "u1"}, "x-api-key", e.key)
			e.wantError(status, m, 409, "session limit")
			status, _, m = e.srv.JSON("POST", e.authPath(), map[string]any{"externalId": "u2"}, "x-api-key", e.key)
			e.wantError(status, m, 402, "user quota")
			// A refused request writes nothing: not the accounts it names,
			// on either endpoint.
			status, _, m = e.srv.JSON("POST", e.authPath(), map[string]any{"externalId": "u3", "accountUids": []string{"acc-1", "acc-2"}}, "x-api-key", e.key)
			e.wantError(status, m, 402, "user quota, with accounts")
			status, _, m = e.srv.JSON("POST", "/api-authenticate-embedded-user", map[string]any{"userEmail": "x@example.com", "addToAccounts": []any{map[string]any{"accountUid": "acc-3"}}}, "x-api-key", e.key)
			e.wantError(status, m, 402, "legacy, user quota, with accounts")
			if status, _, m := e.srv.JSON("GET", "/v1/accounts", nil, "Authorization", "Bearer "+e.key); status != 200 || len(m["data"].([]any)) != 0 {
				t.Fatalf("accounts after refused requests: %d %v", status, m)
			}
		})
	}
}

// A tenant that would push a found user's metadata past its limit is
// refused before anything is written: no session is created, so none of
// the user's own is evicted.
func TestMindset_TenantThatDoesNotFitWritesNothing(t *testing.T) {
	for _, eng := range compattest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) {
			e := newEnv(t, compattest.Start(t, eng, nil))
			if status, _, m := e.srv.JSON("PATCH", "/v1/app", map[string]any{"settings": map[string]any{"max_sessions_per_user": 1}},
				"Authorization", "Bearer "+e.key); status != 200 {
				t.Fatalf("PATCH /v1/app: %d %v", status, m)
			}
			pad := strings.Repeat("p", 16330)
			if status, _, m := e.srv.JSON("POST", "/v1/users", map[string]any{"external_id": "big", "metadata": map[string]any{"pad": pad}},
				"Authorization", "Bearer "+e.key); status != 201 {
				t.Fatalf("POST /v1/users: %d %v", status, m)
			}
			tok := e.auth(map[string]any{"externalId": "big"})
			for range 3 {
				status, _, m := e.srv.JSON("POST", e.authPath(), map[string]any{"externalId": "big", "externalTenantId": strings.Repeat("t", 100)}, "x-api-key", e.key)
				e.wantError(status, m, 400, "a tenant that does not fit")
				if msg, _ := m["message"].(string); !strings.Contains(msg, "externalTenantId") {
					t.Errorf("message %q names another field", msg)
				}
			}
			e.me(tok)
			if status, _, m := e.srv.JSON("GET", "/v1/sessions?external_user_id=big", nil, "Authorization", "Bearer "+e.key); status != 200 || len(m["data"].([]any)) != 1 {
				t.Fatalf("sessions after refused requests: %d %v", status, m)
			}
		})
	}
}

// Concurrent first authentications of one user with new accounts make one
// user and one of each account, and every caller gets a token.
func TestMindset_Concurrent(t *testing.T) {
	for _, eng := range compattest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) {
			e := newEnv(t, compattest.Start(t, eng, nil))
			body := `{"externalId":"racer","accountUids":["team-a","team-b"]}`
			const n = 8
			var wg sync.WaitGroup
			statuses := make([]int, n)
			for i := range n {
				wg.Go(func() {
					statuses[i], _, _ = e.srv.Do("POST", e.authPath(), body, "x-api-key", e.key)
				})
			}
			wg.Wait()
			for i, s := range statuses {
				if s != 200 {
					t.Errorf("call %d: status %d", i, s)
				}
			}
			for p, want := range map[string]int{"/v1/users": 1, "/v1/accounts": 2} {
				status, _, m := e.srv.JSON("GET", p, nil, "Authorization", "Bearer "+e.key)
				if status != 200 || len(m["data"].([]any)) != want {
					t.Errorf("GET %s: %d %v, want %d", p, status, m, want)
				}
			}
		})
	}
}
