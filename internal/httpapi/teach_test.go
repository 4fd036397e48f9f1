package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/porticohq/portico/internal/httpapi"
	"github.com/porticohq/portico/internal/portico"
	"github.com/porticohq/portico/internal/store/storetest"
)

// The errors that teach: each row pins the status, the code, the message
// and the details a caller learns from (docs/openapi.json).

// teachWorld is an app with a user, a session and integrations.
type teachWorld struct {
	appID, key    string
	annID         string // external_id u-42, email ann@example.com
	token, refTok string // ann's session token and refresh token
	sessionID     string
	connectionID  string // ann's connection to crm
}

func newTeachWorld(e *env) *teachWorld {
	e.t.Helper()
	w := &teachWorld{}
	w.appID, w.key = e.newApp("acme")
	k := auth(w.key)
	must := func(r response, want int) response {
		e.t.Helper()
		if r.Status != want {
			e.t.Fatalf("setup: %d %s", r.Status, r.Raw)
		}
		return r
	}
	w.annID = e.mustUser(w.key, map[string]any{"external_id": "u-42", "email": "ann@example.com", "name": "Ann"})
	must(e.do("PATCH", "/v1/app", k, map[string]any{"settings": map[string]any{
		"allowed_redirect_uris": []string{"https://app.example.com/settings", "https://app.example.com/done"}}}), 200)
	r := must(e.do("POST", "/v1/sessions", k, map[string]any{"user": map[string]any{"external_id": "u-42"}, "refreshable": true}), 201)
	w.token, w.refTok = r.Body["token"].(string), r.Body["refresh_token"].(string)
	w.sessionID = r.Body["session"].(map[string]any)["id"].(string)
	must(e.do("PUT", "/v1/integrations/crm", k, apiKeyIntegration(nil)), 201)
	must(e.do("PUT", "/v1/integrations/github", k, map[string]any{"template": "github",
		"auth": map[string]any{"oauth2": map[string]any{"client_id": "Iv1.abc", "client_secret": "gh-client-secret-1"}}}), 201)
	must(e.do("PUT", "/v1/integrations/public", k, map[string]any{"name": "Public", "base_url": "https://public.example",
		"auth": map[string]any{"type": "none"}, "actions": []any{map[string]any{"name": "ping", "method": "GET", "path": "/ping"}}}), 201)
	r = must(e.do("PUT", "/v1/users/"+w.annID+"/connections/crm", k, map[string]any{"credentials": map[string]any{"api_key": "crm-secret-1"}}), 201)
	w.connectionID = r.Body["id"].(string)
	e.secret("crm-secret-1", "gh-client-secret-1")
	return w
}

func TestTeach_CredentialHints(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		w := newTeachWorld(e)
		const badKey = "The API key is invalid or has been revoked."
		e.run(t, w.key, []string{w.appID}, []scenario{
			{name: "a session token as the bearer key", method: "GET", path: "/v1/app", headers: auth(w.token),
				status: 401, code: "invalid_api_key", message: "This is a session token; the API key starts with pk_.", readOnly: true},
			{name: "a session token in X-API-Key", method: "POST", path: "/v1/users", headers: map[string]string{"X-API-Key": w.token},
				body: map[string]any{"external_id": "u-9"}, status: 401, code: "invalid_api_key",
				message: "This is a session token; the API key starts with pk_.", readOnly: true},
			{name: "any pst_ string, known or not", method: "GET", path: "/v1/users", headers: auth("pst_nothing-like-a-token"),
				status: 401, code: "invalid_api_key", message: "This is a session token; the API key starts with pk_.", readOnly: true},
			{name: "a refresh token as the key", method: "GET", path: "/v1/app", headers: auth(w.refTok),
				status: 401, code: "invalid_api_key", message: "This is a refresh token; the API key starts with pk_.", readOnly: true},
			{name: "a key without the Bearer scheme", method: "GET", path: "/v1/app", headers: map[string]string{"Authorization": w.key},
				status: 401, code: "unauthenticated", message: "Use `Authorization: Bearer <key>`.", readOnly: true, check: wantWWWAuthenticate},
			{name: "a key under another scheme", method: "GET", path: "/v1/app", headers: map[string]string{"Authorization": "Token " + w.key},
				status: 401, code: "unauthenticated", message: "Use `Authorization: Bearer <key>`.", readOnly: true},
			{name: "no key at all", method: "GET", path: "/v1/app", headers: map[string]string{},
				status: 401, code: "unauthenticated", message: "An API key is required: send it as Authorization: Bearer <key> or X-API-Key.", readOnly: true},
			// Every other bad key keeps the one message: nothing about the
			// store shows.
			{name: "an unknown pk_ key", method: "GET", path: "/v1/app", headers: auth("pk_" + strings.Repeat("a", 43)),
				status: 401, code: "invalid_api_key", message: badKey, readOnly: true},
			{name: "a malformed key", method: "GET", path: "/v1/app", headers: auth("hello"),
				status: 401, code: "invalid_api_key", message: badKey, readOnly: true},
			{name: "the API key on /v1/me", method: "GET", path: "/v1/me", headers: auth(w.key),
				status: 401, code: "invalid_token", message: "This is an API key; /v1/me takes a session token, which starts with pst_.", readOnly: true},
			{name: "the API key on /v1/me/connections", method: "GET", path: "/v1/me/connections", headers: auth(w.key),
				status: 401, code: "invalid_token", message: "This is an API key; /v1/me/connections takes a session token, which starts with pst_.", readOnly: true},
			{name: "a refresh token on /v1/me", method: "GET", path: "/v1/me", headers: auth(w.refTok),
				status: 401, code: "invalid_token", message: "This is a refresh token; /v1/me takes a session token, which starts with pst_.", readOnly: true},
			{name: "a session token without the Bearer scheme", method: "GET", path: "/v1/me", headers: map[string]string{"Authorization": w.token},
				status: 401, code: "unauthenticated", message: "Use `Authorization: Bearer <token>`.", readOnly: true, check: wantWWWAuthenticate},
			{name: "an unknown session token keeps the one message", method: "GET", path: "/v1/me", headers: auth("pst_" + strings.Repeat("a", 43)),
				status: 401, code: "invalid_token", message: "The session token is invalid, expired or revoked.", readOnly: true},
			{name: "the session token still works", method: "GET", path: "/v1/me", headers: auth(w.token), status: 200, readOnly: true},
		})
	})
}

// The prefix hints come from the presented string alone: with the store
// gone they still answer, where a real lookup fails.
func TestTeach_CredentialHintsNeedNoStore(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		_, key := e.newApp("acme")
		if err := e.DB.Close(); err != nil {
			t.Fatal(err)
		}
		e.run(t, key, nil, []scenario{
			{name: "a session token as the key", method: "GET", path: "/v1/app", headers: auth("pst_" + strings.Repeat("a", 43)),
				status: 401, code: "invalid_api_key", message: "This is a session token; the API key starts with pk_."},
			{name: "an API key on /v1/me", method: "GET", path: "/v1/me", headers: auth(key),
				status: 401, code: "invalid_token", message: "This is an API key; /v1/me takes a session token, which starts with pst_."},
		})
		// A real key is looked up, and fails with the store.
		if r := e.do("GET", "/v1/app", auth(key), nil); r.Status < 500 {
			t.Errorf("a real key without the store: %d %s", r.Status, r.Raw)
		}
	})
}

// The hints count against the client's failed-authentication budget like
// any other bad credential.
func TestTeach_CredentialHintsSpendTheFailureBudget(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng, func(o *httpapi.Options) { o.IPFailRate, o.IPFailBurst = 0.001, 2 })
		_, key := e.newApp("acme")
		for i, h := range []map[string]string{auth("pst_x"), {"Authorization": key}} {
			if r := e.do("GET", "/v1/app", h, nil); r.Status != http.StatusUnauthorized {
				t.Fatalf("attempt %d: %d %s", i, r.Status, r.Raw)
			}
		}
		if r := e.do("GET", "/v1/app", auth(key), nil); r.Status != http.StatusTooManyRequests {
			t.Fatalf("after two failures: %d %s", r.Status, r.Raw)
		}
	})
}

func TestTeach_NotFoundNamesTheValue(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		w := newTeachWorld(e)
		perform := func(user map[string]any, integration, action string) map[string]any {
			return map[string]any{"user": user, "integration": integration, "action": action, "input": map[string]any{}}
		}
		long := strings.Repeat("é", 200) // 400 bytes: echoed cut to 255
		e.run(t, w.key, []string{w.appID}, []scenario{
			{name: "perform with an unknown integration", method: "POST", path: "/v1/perform", body: perform(map[string]any{"external_id": "u-42"}, "gihub", "list-repos"),
				status: 404, code: "not_found", message: `Integration "gihub" not found.`,
				details: map[string]any{"field": "integration", "value": "gihub"}, readOnly: true},
			{name: "perform with an unknown action lists the actions", method: "POST", path: "/v1/perform", body: perform(map[string]any{"external_id": "u-42"}, "github", "list-repo"),
				status: 404, code: "not_found", message: `Action "list-repo" not found: GitHub's actions are get-user, list-repos, list-issues, create-issue.`,
				details: map[string]any{"field": "action", "value": "list-repo", "available": []string{"get-user", "list-repos", "list-issues", "create-issue"}}, readOnly: true},
			{name: "perform with an unknown user id", method: "POST", path: "/v1/perform", body: perform(map[string]any{"id": "usr_nope"}, "public", "ping"),
				status: 404, code: "not_found", message: `User "usr_nope" not found.`, details: map[string]any{"field": "user.id"}, readOnly: true},
			{name: "perform with an external id as the user id", method: "POST", path: "/v1/perform", body: perform(map[string]any{"id": "u-42"}, "public", "ping"),
				status: 404, code: "not_found",
				message: `User "u-42" not found. User ids start with usr_; to find a user by your own id use GET /v1/users?external_id=u-42.`,
				details: map[string]any{"field": "user.id"}, readOnly: true},
			{name: "an external id where the user id goes", method: "GET", path: "/v1/users/u-42",
				status: 404, code: "not_found",
				message: `User "u-42" not found. User ids start with usr_; to find a user by your own id use GET /v1/users?external_id=u-42.`,
				details: map[string]any{"field": "id"}, readOnly: true},
			{name: "the query is escaped", method: "DELETE", path: "/v1/users/ann%20smith&x",
				status: 404, code: "not_found",
				message: `User "ann smith&x" not found. User ids start with usr_; to find a user by your own id use GET /v1/users?external_id=ann+smith%26x.`, readOnly: true},
			{name: "an unknown user id", method: "GET", path: "/v1/users/usr_nope",
				status: 404, code: "not_found", message: `User "usr_nope" not found.`, details: map[string]any{"field": "id", "value": nil}, readOnly: true},
			{name: "PATCH names it too", method: "PATCH", path: "/v1/users/usr_nope", body: map[string]any{"name": "x"},
				status: 404, code: "not_found", message: `User "usr_nope" not found.`, field: "id", readOnly: true},
			{name: "sign out an unknown user", method: "DELETE", path: "/v1/users/u-7/sessions",
				status: 404, code: "not_found", field: "id",
				message: `User "u-7" not found. User ids start with usr_; to find a user by your own id use GET /v1/users?external_id=u-7.`, readOnly: true},
			{name: "a long value is cut at 255 bytes", method: "GET", path: "/v1/users/usr_" + long,
				status: 404, code: "not_found", message: `User "usr_` + strings.Repeat("é", 125) + `…" not found.`, readOnly: true},
			{name: "markup is echoed as text in JSON", method: "GET", path: "/v1/accounts/%3Cscript%3E",
				status: 404, code: "not_found", message: `Account "<script>" not found.`, field: "id", readOnly: true,
				check: func(t *testing.T, r response) {
					if ct := r.Header.Get("Content-Type"); ct != "application/json" {
						t.Errorf("Content-Type %q", ct)
					}
				}},
			{name: "a session id without its prefix", method: "GET", path: "/v1/sessions/12345",
				status: 404, code: "not_found", message: `Session "12345" not found. Session ids start with ses_.`, field: "id", readOnly: true},
			{name: "a session token where the session id goes is not echoed", method: "DELETE", path: "/v1/sessions/" + w.token,
				status: 404, code: "not_found", message: "Session not found: this is a session token; session ids start with ses_.", field: "id", readOnly: true,
				check: noSecret(w.token)},
			{name: "extend an unknown session", method: "POST", path: "/v1/sessions/ses_nope/extend", body: map[string]any{"ttl_seconds": 60},
				status: 404, code: "not_found", message: `Session "ses_nope" not found.`, field: "id", readOnly: true},
			{name: "a connection id without its prefix", method: "GET", path: "/v1/connections/crm",
				status: 404, code: "not_found", message: `Connection "crm" not found. Connection ids start with con_.`, field: "id", readOnly: true},
			{name: "revoke an unknown connection", method: "DELETE", path: "/v1/connections/con_nope",
				status: 404, code: "not_found", message: `Connection "con_nope" not found.`, field: "id", readOnly: true},
			{name: "an unknown integration slug", method: "GET", path: "/v1/integrations/gihub",
				status: 404, code: "not_found", message: `Integration "gihub" not found.`, details: map[string]any{"field": "slug", "value": "gihub"}, readOnly: true},
			{name: "import for an unknown user", method: "PUT", path: "/v1/users/u-42/connections/crm", body: map[string]any{"credentials": map[string]any{"api_key": "x"}},
				status: 404, code: "not_found", field: "id",
				message: `User "u-42" not found. User ids start with usr_; to find a user by your own id use GET /v1/users?external_id=u-42.`, readOnly: true},
			{name: "import to an unknown integration", method: "PUT", path: "/v1/users/" + w.annID + "/connections/crmm", body: map[string]any{"credentials": map[string]any{"api_key": "x"}},
				status: 404, code: "not_found", message: `Integration "crmm" not found.`, details: map[string]any{"field": "slug", "value": "crmm"}, readOnly: true},
			{name: "tools of an unknown user", method: "GET", path: "/v1/tools?user_id=u-42",
				status: 404, code: "not_found", field: "user_id",
				message: `User "u-42" not found. User ids start with usr_; to find a user by your own id use GET /v1/users?external_id=u-42.`, readOnly: true},
			{name: "the user's own connection to revoke", method: "DELETE", path: "/v1/me/connections/con_nope", headers: auth(w.token),
				status: 404, code: "not_found", message: `Connection "con_nope" not found.`, field: "id", readOnly: true},
		})
	})
}

func TestTeach_UnknownFieldsSuggest(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		w := newTeachWorld(e)
		e.run(t, w.key, []string{w.appID}, []scenario{
			{name: "external_id at the top of a session body", method: "POST", path: "/v1/sessions", body: map[string]any{"external_id": "u-42"},
				status: 400, code: "invalid_request", message: `Unknown field "external_id"; did you mean "user.external_id"?`,
				details: map[string]any{"field": "external_id", "suggestion": "user.external_id"}, readOnly: true},
			{name: "session_ttl_seconds outside settings", method: "PATCH", path: "/v1/app", body: map[string]any{"session_ttl_seconds": 60},
				status: 400, code: "invalid_request", message: `Unknown field "session_ttl_seconds"; did you mean "settings.session_ttl_seconds"?`,
				details: map[string]any{"field": "session_ttl_seconds", "suggestion": "settings.session_ttl_seconds"}, readOnly: true},
			{name: "a typo", method: "POST", path: "/v1/users", body: map[string]any{"external_id": "u-45", "nmae": "typo"},
				status: 400, code: "invalid_request", message: `Unknown field "nmae"; did you mean "name"?`,
				details: map[string]any{"field": "nmae", "suggestion": "name"}, readOnly: true},
			{name: "a typo in a nested object", method: "POST", path: "/v1/sessions", body: map[string]any{"user": map[string]any{"external_id": "u-42", "emial": "a@b.c"}},
				status: 400, code: "invalid_request", message: `Unknown field "user.emial"; did you mean "user.email"?`,
				details: map[string]any{"field": "user.emial", "suggestion": "user.email"}, readOnly: true},
			{name: "a perform field in the wrong place", method: "POST", path: "/v1/perform", body: map[string]any{"external_id": "u-42", "integration": "crm", "action": "list-deals"},
				status: 400, code: "invalid_request", details: map[string]any{"field": "external_id", "suggestion": "user.external_id"}, readOnly: true},
			{name: "nothing near", method: "POST", path: "/v1/users", body: map[string]any{"external_id": "u-45", "bogus_field": 1},
				status: 400, code: "invalid_request", message: `Unknown field "bogus_field".`,
				details: map[string]any{"field": "bogus_field", "suggestion": nil}, readOnly: true},
		})
	})
}

func TestTeach_RedirectURIRefusalListsTheAllowed(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		w := newTeachWorld(e)
		otherID, otherKey := e.newApp("other")
		e.run(t, w.key, []string{w.appID, otherID}, []scenario{
			{name: "a redirect URI not in the list", method: "POST", path: "/v1/sessions",
				body:   map[string]any{"user": map[string]any{"external_id": "u-42"}, "redirect_uri": "https://app.example.com/setting"},
				status: 422, code: "validation_failed", field: "redirect_uri",
				message: "redirect_uri must be exactly one of the app's allowed_redirect_uris: https://app.example.com/settings, https://app.example.com/done.",
				details: map[string]any{"allowed_redirect_uris": []string{"https://app.example.com/settings", "https://app.example.com/done"}}, readOnly: true},
			{name: "an app that allows none", method: "POST", path: "/v1/sessions", headers: auth(otherKey),
				body:   map[string]any{"user": map[string]any{"external_id": "u-42"}, "redirect_uri": "https://app.example.com/settings"},
				status: 422, code: "validation_failed", field: "redirect_uri",
				message: "redirect_uri is not allowed: the app allows no redirect URIs yet; add it to settings.allowed_redirect_uris with PATCH /v1/app.",
				details: map[string]any{"allowed_redirect_uris": []string{}}, readOnly: true},
		})
		// A long list: the message names five, the details all.
		var many []string
		for i := range 7 {
			many = append(many, "https://app.example.com/r"+string(rune('a'+i)))
		}
		if r := e.do("PATCH", "/v1/app", auth(w.key), map[string]any{"settings": map[string]any{"allowed_redirect_uris": many}}); r.Status != 200 {
			t.Fatalf("setup: %d %s", r.Status, r.Raw)
		}
		e.run(t, w.key, []string{w.appID}, []scenario{
			{name: "seven allowed", method: "POST", path: "/v1/sessions",
				body:   map[string]any{"user": map[string]any{"external_id": "u-42"}, "redirect_uri": "https://evil.example"},
				status: 422, code: "validation_failed", field: "redirect_uri",
				message: "redirect_uri must be exactly one of the app's allowed_redirect_uris: " + strings.Join(many[:5], ", ") + ", … (all 7 in details.allowed_redirect_uris).",
				details: map[string]any{"allowed_redirect_uris": many}, readOnly: true},
		})
	})
}

func TestTeach_BlankCredentialsAreEmpty(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		w := newTeachWorld(e)
		bob := e.mustUser(w.key, map[string]any{"external_id": "u-43"})
		put := func(creds map[string]any) map[string]any { return map[string]any{"credentials": creds} }
		e.run(t, w.key, []string{w.appID}, []scenario{
			{name: "empty", method: "PUT", path: "/v1/users/" + bob + "/connections/crm", body: put(map[string]any{"api_key": ""}),
				status: 422, code: "validation_failed", field: "credentials.api_key", message: "API key is required.", readOnly: true},
			{name: "spaces", method: "PUT", path: "/v1/users/" + bob + "/connections/crm", body: put(map[string]any{"api_key": "   "}),
				status: 422, code: "validation_failed", field: "credentials.api_key", message: "API key is required.", readOnly: true},
			{name: "tabs and newlines", method: "PUT", path: "/v1/users/" + bob + "/connections/crm", body: put(map[string]any{"api_key": " \t\r\n"}),
				status: 422, code: "validation_failed", field: "credentials.api_key", message: "API key is required.", readOnly: true},
			{name: "a no-break space", method: "PUT", path: "/v1/users/" + bob + "/connections/crm", body: put(map[string]any{"api_key": "\u00a0"}),
				status: 422, code: "validation_failed", field: "credentials.api_key", message: "API key is required.", readOnly: true},
			{name: "an OAuth2 access token of spaces", method: "PUT", path: "/v1/users/" + bob + "/connections/github", body: put(map[string]any{"access_token": "  "}),
				status: 422, code: "validation_failed", field: "credentials.access_token", readOnly: true},
			{name: "a blank optional field is left out", method: "PUT", path: "/v1/users/" + bob + "/connections/crm", body: put(map[string]any{"api_key": "k-1", "region": "  "}),
				status: 201, check: wantConnection("connected", []string{"api_key"}, nil, "k-1")},
		})
	})
}

func TestTeach_EmailOfAUserWithAnExternalID(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		w := newTeachWorld(e)
		held := func(field string) func(t *testing.T, r response) {
			return func(t *testing.T, r response) {
				t.Helper()
				want := "User " + w.annID + " already has this email and an external_id: send that external_id to mean this user, or an external_id of your own for another person."
				if got := errorMessage(r); got != want {
					t.Errorf("message = %q, want %q", got, want)
				}
				if d := errorDetails(r); d["user_id"] != w.annID || d["field"] != field {
					t.Errorf("details = %v", d)
				}
			}
		}
		before := e.countUsers(w.appID)
		e.run(t, w.key, []string{w.appID}, []scenario{
			{name: "POST /v1/users by that email", method: "POST", path: "/v1/users", body: map[string]any{"email": " Ann@Example.com", "name": "Ann 2"},
				status: 409, code: "conflict", readOnly: true, check: held("email")},
			{name: "a session by that email", method: "POST", path: "/v1/sessions", body: map[string]any{"user": map[string]any{"email": "ann@example.com"}},
				status: 409, code: "conflict", readOnly: true, check: held("user.email")},
			{name: "perform by that email", method: "POST", path: "/v1/perform",
				body:   map[string]any{"user": map[string]any{"email": "ann@example.com"}, "integration": "crm", "action": "list-deals", "input": map[string]any{"pipeline": "p"}},
				status: 409, code: "conflict", readOnly: true, check: held("user.email")},
			{name: "perform by that email, an integration without credentials", method: "POST", path: "/v1/perform",
				body:   map[string]any{"user": map[string]any{"email": "ann@example.com"}, "integration": "public", "action": "ping"},
				status: 409, code: "conflict", readOnly: true, check: held("user.email")},
			{name: "the external id still finds her", method: "POST", path: "/v1/users", body: map[string]any{"external_id": "u-42", "email": "ann@example.com"},
				status: 200, readOnly: true},
			{name: "an email no one has creates a user", method: "POST", path: "/v1/users", body: map[string]any{"email": "carl@example.com"}, status: 201},
			{name: "and finds it again", method: "POST", path: "/v1/users", body: map[string]any{"email": "carl@example.com"}, status: 200, readOnly: true},
		})
		// A user keyed by the email from before the holder is found, not
		// refused: it is not a second person.
		dora := e.mustUser(w.key, map[string]any{"email": "dora@example.com"})
		e.mustUser(w.key, map[string]any{"external_id": "u-77", "email": "dora@example.com"})
		e.run(t, w.key, []string{w.appID}, []scenario{
			{name: "the email user that exists is found", method: "POST", path: "/v1/users", body: map[string]any{"email": "dora@example.com"}, status: 200, readOnly: true,
				check: func(t *testing.T, r response) {
					if r.Body["id"] != dora {
						t.Errorf("found %v, want %s", r.Body["id"], dora)
					}
				}},
			{name: "and a session for it", method: "POST", path: "/v1/sessions", body: map[string]any{"user": map[string]any{"email": "dora@example.com"}}, status: 201},
		})
		if n := e.countUsers(w.appID); n != before+3 {
			t.Errorf("%d users, want %d", n, before+3)
		}
	})
}

func TestTeach_ToolsSayWhatIsConnected(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		w := newTeachWorld(e)
		bob := e.mustUser(w.key, map[string]any{"external_id": "u-43"})
		tools := func(userID string) map[string]any {
			t.Helper()
			path := "/v1/tools"
			if userID != "" {
				path += "?user_id=" + userID
			}
			r := e.do("GET", path, auth(w.key), nil)
			if r.Status != http.StatusOK {
				t.Fatalf("%s: %d %s", path, r.Status, r.Raw)
			}
			var list []map[string]any
			if err := json.Unmarshal(r.Raw, &list); err != nil {
				t.Fatal(err)
			}
			out := map[string]any{}
			for _, tool := range list {
				if len(tool) != 4 && len(tool) != 5 || tool["type"] != "function" {
					t.Errorf("tool %v", tool)
				}
				fn := tool["function"].(map[string]any)["name"]
				if want := portico.ToolName(tool["integration"].(string), tool["action"].(string)); fn != want {
					t.Errorf("tool %v: name %v, want %s from its integration and action", tool, fn, want)
				}
				c, has := tool["connected"]
				if has != (userID != "") {
					t.Errorf("connected present: %v, with user_id %q", has, userID)
				}
				out[tool["function"].(map[string]any)["name"].(string)] = c
			}
			return out
		}
		ann := tools(w.annID)
		for name, want := range map[string]any{"crm_list_deals": true, "github_list_repos": false, "github_get_user": false, "public_ping": true} {
			if ann[name] != want {
				t.Errorf("ann: %s connected = %v, want %v (%v)", name, ann[name], want, ann)
			}
		}
		if b := tools(bob); b["crm_list_deals"] != false || b["public_ping"] != true {
			t.Errorf("bob: %v", b)
		}
		if all := tools(""); len(all) != len(ann) {
			t.Errorf("the app's tools: %v", all)
		}
		// Revoked is not connected.
		if r := e.do("DELETE", "/v1/connections/"+w.connectionID, auth(w.key), nil); r.Status != http.StatusNoContent {
			t.Fatalf("revoke: %d %s", r.Status, r.Raw)
		}
		if ann := tools(w.annID); ann["crm_list_deals"] != false {
			t.Errorf("after revoking: %v", ann)
		}
	})
}
