package httpapi_test

import (
	"context"
	"fmt"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/portico"
	"github.com/porticohq/portico/internal/store/storetest"
)

// connectionKeys are the only keys a connection may have on the wire.
var connectionKeys = []string{"account_label", "created_at", "expires_at", "fields", "id", "integration", "settings", "status", "updated_at", "user_id"}

func checkConnectionShape(t *testing.T, c map[string]any) {
	t.Helper()
	var keys []string
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if !reflect.DeepEqual(keys, connectionKeys) {
		t.Errorf("connection keys %v, want %v", keys, connectionKeys)
	}
	if id, _ := c["id"].(string); !strings.HasPrefix(id, "con_") {
		t.Errorf("id %v", c["id"])
	}
}

// wantConnection checks an answer holding one connection.
func wantConnection(status string, fields []string, expiresAt any, values ...string) func(t *testing.T, r response) {
	return func(t *testing.T, r response) {
		t.Helper()
		checkConnectionShape(t, r.Body)
		gotFields := []string{}
		for _, f := range r.Body["fields"].([]any) {
			gotFields = append(gotFields, f.(string))
		}
		if r.Body["status"] != status || !reflect.DeepEqual(gotFields, fields) || r.Body["expires_at"] != expiresAt {
			t.Errorf("got %s, want status %s fields %v expires_at %v", r.Raw, status, fields, expiresAt)
		}
		noSecret(values...)(t, r)
	}
}

// connectionWorld is an app with integrations of every auth type, users
// and another app, for the connection scenarios.
type connectionWorld struct {
	appID, key, otherID, otherKey string
	u1, u2, otherUser             string
	values                        []string // every credential value sent: never to be answered or logged
}

func newConnectionWorld(e *env) *connectionWorld {
	e.t.Helper()
	w := &connectionWorld{}
	w.appID, w.key = e.newApp("acme")
	w.otherID, w.otherKey = e.newApp("other")
	e.mustAccount(w.key, "vip")
	must := func(key, slug string, body map[string]any) {
		e.t.Helper()
		if r := e.do("PUT", "/v1/integrations/"+slug, auth(key), body); r.Status != 201 {
			e.t.Fatalf("integration %s: %d %s", slug, r.Status, r.Raw)
		}
	}
	must(w.key, "stripe", map[string]any{"template": "stripe"})
	must(w.key, "github", map[string]any{"template": "github", "auth": map[string]any{"oauth2": map[string]any{"client_id": "c"}}})
	must(w.key, "acme-crm", apiKeyIntegration(nil))
	must(w.key, "jira", map[string]any{"template": "jira"})
	must(w.key, "status", map[string]any{"name": "Status", "base_url": "https://status.example.com", "auth": map[string]any{"type": "none"}})
	must(w.key, "vip-tool", apiKeyIntegration(func(m map[string]any) { m["account_ids"] = []string{"vip"} }))
	must(w.otherKey, "stripe", map[string]any{"template": "stripe"})
	must(w.otherKey, "theirs", map[string]any{"template": "stripe"})
	w.u1 = e.mustUser(w.key, map[string]any{"external_id": "u1", "account_ids": []string{"vip"}})
	w.u2 = e.mustUser(w.key, map[string]any{"external_id": "u2"})
	w.otherUser = e.mustUser(w.otherKey, map[string]any{"external_id": "u1"})
	return w
}

// value returns a fresh credential value that no answer or log may show.
func (w *connectionWorld) value(e *env, name string) string {
	v := fmt.Sprintf("%s-%s", name, portico.NewID("v"))
	w.values = append(w.values, v)
	e.secret(v)
	return v
}

func creds(kv ...string) map[string]any {
	m := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return map[string]any{"credentials": m}
}

func TestConnections_Import(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		w := newConnectionWorld(e)
		sk1, sk2 := w.value(e, "sk_live_one"), w.value(e, "sk_live_two")
		access, refresh := w.value(e, "gho_access"), w.value(e, "ghr_refresh")
		jiraPW := w.value(e, "jira-api-token")
		sessionToken := e.createSession(w.key, map[string]any{"user": map[string]any{"external_id": "u1"}}).Body["token"].(string)
		exp := e.Clock.Now().Add(time.Hour).Format(time.RFC3339)
		path := func(user, slug string) string { return "/v1/users/" + user + "/connections/" + slug }
		var firstID string
		imp := func(name, user, slug string, body any, status int, code, field string) scenario {
			sc := scenario{name: name, method: "PUT", path: path(user, slug), body: body, status: status, code: code, field: field}
			sc.readOnly = status >= 400
			sc.check = noSecret(w.values...)
			return sc
		}
		cases := []scenario{
			{name: "create", method: "PUT", path: path(w.u1, "stripe"), body: creds("api_key", sk1), status: 201,
				check: func(t *testing.T, r response) {
					wantConnection("connected", []string{"api_key"}, nil, sk1)(t, r)
					firstID = r.Body["id"].(string)
					if r.Body["user_id"] != w.u1 || r.Body["integration"] != "stripe" {
						t.Errorf("got %s", r.Raw)
					}
					// The stored bytes are sealed, not the value.
					c, err := e.DB.FindConnectionByID(context.Background(), w.appID, firstID)
					if err != nil || c.Credentials == "" || strings.Contains(c.Credentials, sk1) || !strings.HasPrefix(c.Credentials, "v1:") {
						t.Errorf("stored %q %v", c.Credentials, err)
					}
					got, err := e.Svc.OpenCredentials(c)
					if err != nil || !reflect.DeepEqual(got, portico.Credentials{"api_key": sk1}) {
						t.Errorf("opened %v", err)
					}
				}},
			{name: "replace keeps the id", method: "PUT", path: path(w.u1, "stripe"), body: creds("api_key", sk2), status: 200,
				check: func(t *testing.T, r response) {
					wantConnection("connected", []string{"api_key"}, nil, sk1, sk2)(t, r)
					if r.Body["id"] != firstID {
						t.Errorf("id %v, want %s", r.Body["id"], firstID)
					}
				}},
			{name: "oauth2 tokens", method: "PUT", path: path(w.u1, "github"), status: 201,
				body:  creds("access_token", access, "refresh_token", refresh, "expires_at", exp, "token_type", "bearer", "scope", "repo"),
				check: wantConnection("connected", []string{"access_token", "refresh_token", "token_type", "scope"}, exp, access, refresh)},
			{name: "fields in declared order, optional ones when given", method: "PUT", path: path(w.u2, "acme-crm"),
				body: creds("region", "eu", "api_key", w.value(e, "acme")), status: 201, check: wantConnection("connected", []string{"api_key", "region"}, nil, w.values...)},
			{name: "an empty optional field is left out", method: "PUT", path: path(w.u2, "acme-crm"),
				body: creds("region", "", "api_key", w.value(e, "acme")), status: 200, check: wantConnection("connected", []string{"api_key"}, nil, w.values...)},
			{name: "basic", method: "PUT", path: path(w.u1, "jira"), body: map[string]any{"credentials": map[string]any{"username": "ann@example.com", "password": jiraPW},
				"settings": map[string]any{"site": "acme"}}, status: 201,
				check: wantConnection("connected", []string{"username", "password"}, nil, jiraPW)},
			{name: "none takes empty credentials", method: "PUT", path: path(w.u1, "status"), body: creds(), status: 201,
				check: wantConnection("connected", []string{}, nil)},
			{name: "restricted integration, member", method: "PUT", path: path(w.u1, "vip-tool"), body: creds("api_key", w.value(e, "vip")), status: 201},
			imp("restricted integration, not a member", w.u2, "vip-tool", creds("api_key", w.value(e, "vip")), 403, "forbidden", ""),

			imp("missing required field", w.u2, "stripe", creds(), 422, "validation_failed", "credentials.api_key"),
			imp("empty required field", w.u2, "stripe", creds("api_key", ""), 422, "validation_failed", "credentials.api_key"),
			imp("unknown field", w.u2, "stripe", creds("api_key", "x", "password", "y"), 422, "validation_failed", "credentials.password"),
			imp("a token key on api_key", w.u2, "stripe", creds("access_token", "x"), 422, "validation_failed", "credentials.access_token"),
			imp("a value with CR LF", w.u2, "stripe", creds("api_key", "sk\r\nX-Evil: 1"), 422, "validation_failed", "credentials.api_key"),
			imp("a value with NUL", w.u2, "stripe", creds("api_key", "sk\x00"), 422, "validation_failed", "credentials.api_key"),
			// The hosted page shows the message: it names the field by its label.
			func() scenario {
				sc := imp("a bad value is named by its label", w.u2, "stripe", creds("api_key", "sk\x07"), 422, "validation_failed", "credentials.api_key")
				sc.message = "Secret key (sk_live_… or a restricted key rk_live_…) must be at most 8192 bytes of text without control characters."
				return sc
			}(),
			imp("a value over 8 KiB", w.u2, "stripe", creds("api_key", strings.Repeat("k", 8<<10+1)), 422, "validation_failed", "credentials.api_key"),
			imp("oauth2 without an access token", w.u2, "github", creds("refresh_token", "x"), 422, "validation_failed", "credentials.access_token"),
			imp("oauth2 with a bad expires_at", w.u2, "github", creds("access_token", "x", "expires_at", "tomorrow"), 422, "validation_failed", "credentials.expires_at"),
			imp("oauth2 with an unknown key", w.u2, "github", creds("access_token", "x", "id_token", "y"), 422, "validation_failed", "credentials.id_token"),
			imp("basic without a password", w.u2, "jira", creds("username", "x"), 422, "validation_failed", "credentials.password"),
			imp("none with a value", w.u2, "status", creds("api_key", "x"), 422, "validation_failed", "credentials.api_key"),
			imp("a number value", w.u2, "stripe", `{"credentials":{"api_key":42}}`, 400, "invalid_request", "credentials.api_key"),
			imp("credentials an array", w.u2, "stripe", `{"credentials":["x"]}`, 400, "invalid_request", "credentials"),
			imp("no credentials", w.u2, "stripe", `{}`, 400, "invalid_request", "credentials"),
			imp("null credentials", w.u2, "stripe", `{"credentials":null}`, 400, "invalid_request", "credentials"),
			imp("a duplicate credential key", w.u2, "stripe", `{"credentials":{"api_key":"a","api_key":"b"}}`, 400, "invalid_request", "credentials.api_key"),
			imp("an unknown top-level field", w.u2, "stripe", `{"credentials":{"api_key":"a"},"status":"connected"}`, 400, "invalid_request", "status"),

			imp("unknown user", "usr_nope", "stripe", creds("api_key", "x"), 404, "not_found", ""),
			imp("another app's user", w.otherUser, "stripe", creds("api_key", "x"), 404, "not_found", ""),
			imp("unknown integration", w.u2, "nope", creds("api_key", "x"), 404, "not_found", ""),
			imp("another app's integration", w.u2, "theirs", creds("api_key", "x"), 404, "not_found", ""),
			imp("a malformed slug", w.u2, "A%20B", creds("api_key", "x"), 404, "not_found", ""),
			{name: "a session token", method: "PUT", path: path(w.u2, "stripe"), headers: auth(sessionToken), body: creds("api_key", "x"),
				status: 401, code: "invalid_api_key", readOnly: true},
		}
		for _, sc := range withKey(w.key, hostileBodies("PUT", path(w.u2, "stripe"), `{"credentials":{"api_key":"x"}}`)) {
			if sc.field == "bogus_field" {
				sc.field = "name" // the first unknown key of that body here
			}
			cases = append(cases, sc)
		}
		e.run(t, w.key, []string{w.appID, w.otherID}, cases)
	})
}

func TestConnections_ListGetRevoke(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		w := newConnectionWorld(e)
		imp := func(key, user, slug string, body map[string]any) string {
			t.Helper()
			r := e.do("PUT", "/v1/users/"+user+"/connections/"+slug, auth(key), body)
			if r.Status != 201 {
				t.Fatalf("import %s: %d %s", slug, r.Status, r.Raw)
			}
			return r.Body["id"].(string)
		}
		c1 := imp(w.key, w.u1, "stripe", creds("api_key", w.value(e, "sk")))
		e.Clock.Advance(time.Second)
		soon := e.Clock.Now().Add(time.Hour).Format(time.RFC3339)
		c2 := imp(w.key, w.u1, "github", creds("access_token", w.value(e, "gho"), "expires_at", soon))
		e.Clock.Advance(time.Second)
		c3 := imp(w.key, w.u2, "stripe", creds("api_key", w.value(e, "sk")))
		e.Clock.Advance(time.Second)
		c4 := imp(w.key, w.u2, "github", creds("access_token", w.value(e, "gho"), "refresh_token", w.value(e, "ghr"), "expires_at", soon))
		foreign := imp(w.otherKey, w.otherUser, "stripe", creds("api_key", w.value(e, "sk")))
		sessionToken := e.createSession(w.key, map[string]any{"user": map[string]any{"external_id": "u1"}}).Body["token"].(string)

		list := func(name, query string, want ...string) scenario {
			return scenario{name: name, method: "GET", path: "/v1/connections" + query, status: 200, readOnly: true, check: func(t *testing.T, r response) {
				got := []string{}
				for _, d := range r.Body["data"].([]any) {
					checkConnectionShape(t, d.(map[string]any))
					got = append(got, d.(map[string]any)["id"].(string))
				}
				if want == nil {
					want = []string{}
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("listed %v, want %v", got, want)
				}
				noSecret(w.values...)(t, r)
			}}
		}
		e.run(t, w.key, []string{w.appID, w.otherID}, []scenario{
			list("all, oldest first", "", c1, c2, c3, c4),
			list("by user", "?user_id="+w.u1, c1, c2),
			list("by integration", "?integration=github", c2, c4),
			list("by user and integration", "?user_id="+w.u2+"&integration=stripe", c3),
			list("connected", "?status=connected", c1, c2, c3, c4),
			list("expired", "?status=expired"),
			list("revoked", "?status=revoked"),
			list("another app's user", "?user_id="+w.otherUser),
			list("an unknown integration", "?integration=nope"),
			{name: "an unknown status", method: "GET", path: "/v1/connections?status=deleted", status: 400, code: "invalid_request", field: "status", readOnly: true},
			{name: "a tampered page token", method: "GET", path: "/v1/connections?page_token=AAAA", status: 400, code: "invalid_request", field: "page_token", readOnly: true},
			{name: "page_size 0", method: "GET", path: "/v1/connections?page_size=0", status: 400, code: "invalid_request", field: "page_size", readOnly: true},
			{name: "get", method: "GET", path: "/v1/connections/" + c2, status: 200, readOnly: true,
				check: wantConnection("connected", []string{"access_token"}, soon, w.values...)},
			{name: "get another app's", method: "GET", path: "/v1/connections/" + foreign, status: 404, code: "not_found", readOnly: true},
			{name: "get unknown", method: "GET", path: "/v1/connections/con_nope", status: 404, code: "not_found", readOnly: true},
			{name: "revoke another app's", method: "DELETE", path: "/v1/connections/" + foreign, status: 404, code: "not_found", readOnly: true},
			{name: "revoke unknown", method: "DELETE", path: "/v1/connections/con_nope", status: 404, code: "not_found", readOnly: true},
			{name: "a session token cannot list", method: "GET", path: "/v1/connections", headers: auth(sessionToken), status: 401, code: "invalid_api_key", readOnly: true},
			{name: "a session token cannot revoke", method: "DELETE", path: "/v1/connections/" + c1, headers: auth(sessionToken), status: 401, code: "invalid_api_key", readOnly: true},
			{name: "revoke", method: "DELETE", path: "/v1/connections/" + c1, status: 204, check: func(t *testing.T, r response) {
				if len(r.Raw) != 0 {
					t.Errorf("a body with 204: %s", r.Raw)
				}
				c, err := e.DB.FindConnectionByID(context.Background(), w.appID, c1)
				if err != nil || c.Credentials != "" {
					t.Errorf("credentials left after revoke: %q %v", c.Credentials, err)
				}
			}},
			{name: "the revoked connection stays", method: "GET", path: "/v1/connections/" + c1, status: 200, readOnly: true, check: wantConnection("revoked", []string{}, nil)},
			{name: "revoke again", method: "DELETE", path: "/v1/connections/" + c1, status: 204, readOnly: true},
			list("revoked now", "?status=revoked", c1),
		})

		// An hour later the GitHub token without a refresh token has expired;
		// the one with a refresh token has not.
		e.Clock.Advance(time.Hour)
		e.run(t, w.key, []string{w.appID}, []scenario{
			list("expired", "?status=expired", c2),
			list("connected", "?status=connected", c3, c4),
			{name: "shown expired", method: "GET", path: "/v1/connections/" + c2, status: 200, readOnly: true,
				check: wantConnection("expired", []string{"access_token"}, soon)},
		})

		// Re-importing brings it back, with the same id.
		r := e.do("PUT", "/v1/users/"+w.u1+"/connections/stripe", auth(w.key), creds("api_key", w.value(e, "sk")))
		if r.Status != 200 || r.Body["id"] != c1 || r.Body["status"] != "connected" {
			t.Fatalf("reconnect: %d %s", r.Status, r.Raw)
		}

		// Deleting the user erases its connections.
		if r := e.do("DELETE", "/v1/users/"+w.u1, auth(w.key), nil); r.Status != 204 {
			t.Fatalf("delete user: %d", r.Status)
		}
		for _, id := range []string{c1, c2} {
			if r := e.do("GET", "/v1/connections/"+id, auth(w.key), nil); r.Status != 404 {
				t.Fatalf("connection %s of the deleted user: %d", id, r.Status)
			}
		}
		if _, err := e.DB.FindConnection(context.Background(), w.appID, w.u1, "stripe"); portico.ErrorCode(err) != portico.CodeNotFound {
			t.Fatalf("stored after the user's deletion: %v", err)
		}
	})
}

func TestConnections_Paging(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		w := newConnectionWorld(e)
		var want []string
		for i := range 13 {
			if i%4 == 0 {
				e.Clock.Advance(time.Second)
			}
			u := e.mustUser(w.key, map[string]any{"external_id": fmt.Sprint("p", i)})
			r := e.do("PUT", "/v1/users/"+u+"/connections/stripe", auth(w.key), creds("api_key", "sk_test_paging"))
			if r.Status != 201 {
				t.Fatalf("import: %d %s", r.Status, r.Raw)
			}
			want = append(want, r.Body["id"].(string))
		}
		for _, size := range []int{1, 3, 13, 100} {
			ids, _ := e.listAll(w.key, "/v1/connections?integration=stripe", size)
			sortedWant := append([]string{}, want...)
			sortedGot := append([]string{}, ids...)
			sort.Strings(sortedWant)
			sort.Strings(sortedGot)
			if !reflect.DeepEqual(sortedGot, sortedWant) {
				t.Fatalf("size %d: %v", size, ids)
			}
		}
		// A token of one filter does not page another.
		r := e.do("GET", "/v1/connections?integration=stripe&page_size=2", auth(w.key), nil)
		tok := r.Body["next_page_token"].(string)
		r = e.do("GET", "/v1/connections?integration=github&page_size=2&page_token="+url.QueryEscape(tok), auth(w.key), nil)
		if r.Status != 400 || r.code() != "invalid_request" {
			t.Fatalf("a token of another filter: %d %s", r.Status, r.Raw)
		}
	})
}

func TestConnections_Me(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		w := newConnectionWorld(e)
		imp := func(user, slug string, body map[string]any) string {
			t.Helper()
			r := e.do("PUT", "/v1/users/"+user+"/connections/"+slug, auth(w.key), body)
			if r.Status != 201 {
				t.Fatalf("import %s: %d %s", slug, r.Status, r.Raw)
			}
			return r.Body["id"].(string)
		}
		mine := imp(w.u1, "stripe", creds("api_key", w.value(e, "sk")))
		e.Clock.Advance(time.Second)
		mineGH := imp(w.u1, "github", creds("access_token", w.value(e, "gho")))
		mineVIP := imp(w.u1, "vip-tool", creds("api_key", w.value(e, "vip")))
		theirs := imp(w.u2, "stripe", creds("api_key", w.value(e, "sk")))
		session := func(settings map[string]any) string {
			body := map[string]any{"user": map[string]any{"external_id": "u1"}}
			if settings != nil {
				body["settings"] = settings
			}
			return e.createSession(w.key, body).Body["token"].(string)
		}
		all := session(nil)
		onlyStripe := session(map[string]any{"integrations": []string{"stripe"}})
		onlyCode := session(map[string]any{"categories": []string{"code"}})
		noDisconnect := session(map[string]any{"allow_actions": []string{"reauthorize"}})
		deleteOnly := session(map[string]any{"allow_actions": []string{"delete"}})
		u2Token := e.createSession(w.key, map[string]any{"user": map[string]any{"external_id": "u2"}}).Body["token"].(string)
		me := func(name, token string, want ...string) scenario {
			return scenario{name: name, method: "GET", path: "/v1/me/connections", headers: bearerHdr(token), status: 200, readOnly: true,
				check: func(t *testing.T, r response) {
					got := []string{}
					for _, d := range r.Body["data"].([]any) {
						checkConnectionShape(t, d.(map[string]any))
						got = append(got, d.(map[string]any)["id"].(string))
					}
					sort.Strings(got)
					sort.Strings(want)
					if want == nil {
						want = []string{}
					}
					if !reflect.DeepEqual(got, want) || r.Body["next_page_token"] != nil {
						t.Errorf("listed %v, want %v (%s)", got, want, r.Raw)
					}
					noSecret(w.values...)(t, r)
				}}
		}
		del := func(name, token, id string, status int, code string) scenario {
			return scenario{name: name, method: "DELETE", path: "/v1/me/connections/" + id, headers: bearerHdr(token), status: status, code: code, readOnly: status >= 400}
		}
		e.run(t, w.key, []string{w.appID, w.otherID}, []scenario{
			me("every own connection", all, mine, mineGH, mineVIP),
			me("the session's integrations only", onlyStripe, mine),
			me("the session's categories only", onlyCode, mineGH),
			me("another user sees its own", u2Token, theirs),
			{name: "an API key is not a session token", method: "GET", path: "/v1/me/connections", headers: auth(w.key), status: 401, code: "invalid_token", readOnly: true},
			{name: "no token", method: "GET", path: "/v1/me/connections", headers: map[string]string{}, status: 401, code: "unauthenticated", readOnly: true},
			{name: "a bad page size", method: "GET", path: "/v1/me/connections?page_size=1000", headers: bearerHdr(all), status: 400, code: "invalid_request", readOnly: true},
			del("another user's connection", all, theirs, 404, "not_found"),
			del("a connection the session may not show", onlyStripe, mineGH, 404, "not_found"),
			del("unknown", all, "con_nope", 404, "not_found"),
			del("an API key", w.key, mine, 401, "invalid_token"),
			del("a session that may not disconnect", noDisconnect, mine, 403, "forbidden"),
			{name: "revoke own", method: "DELETE", path: "/v1/me/connections/" + mine, headers: bearerHdr(all), status: 200, check: wantConnection("revoked", []string{}, nil)},
			{name: "delete is allowed too", method: "DELETE", path: "/v1/me/connections/" + mineGH, headers: bearerHdr(deleteOnly), status: 200, check: wantConnection("revoked", []string{}, nil)},
			{name: "the app sees it revoked", method: "GET", path: "/v1/connections/" + mine, status: 200, readOnly: true, check: wantConnection("revoked", []string{}, nil)},
		})

		// Once revoked, the session ends the /v1/me access.
		sid := e.do("GET", "/v1/me", bearerHdr(all), nil).Body["session"].(map[string]any)["id"].(string)
		e.do("DELETE", "/v1/sessions/"+sid, auth(w.key), nil)
		if r := e.do("GET", "/v1/me/connections", bearerHdr(all), nil); r.Status != 401 || r.code() != "invalid_token" {
			t.Fatalf("a revoked session: %d %s", r.Status, r.Raw)
		}
	})
}

// TestConnections_ServiceForHostedPage drives the service functions the
// hosted page will call: what a session may show, storing a form, revoking.
func TestConnections_ServiceForHostedPage(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		w := newConnectionWorld(e)
		ctx := context.Background()
		tok := e.createSession(w.key, map[string]any{"user": map[string]any{"external_id": "u2"},
			"settings": map[string]any{"categories": []string{"payments", "crm"}}}).Body["token"].(string)
		sess, user, err := e.Svc.ValidateToken(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		state, err := e.Svc.SessionState(ctx, sess, user)
		if err != nil {
			t.Fatal(err)
		}
		var shown []string
		for _, s := range state {
			shown = append(shown, s.Integration.Slug+":"+s.Status)
		}
		// u2 is not in vip: vip-tool (crm) is hidden. Created at one instant,
		// they are listed by slug.
		if want := []string{"acme-crm:", "stripe:"}; !reflect.DeepEqual(shown, want) {
			t.Fatalf("shown %v, want %v", shown, want)
		}
		v := w.value(e, "sk_form")
		c, created, err := e.Svc.ConnectForSession(ctx, sess, user, "stripe", portico.Credentials{"api_key": v}, nil)
		if err != nil || !created || c.Status != portico.StatusConnected {
			t.Fatalf("connect: %+v %v %v", c, created, err)
		}
		if _, _, err := e.Svc.ConnectForSession(ctx, sess, user, "github", portico.Credentials{"access_token": "x"}, nil); portico.ErrorCode(err) != portico.CodeNotFound {
			t.Fatalf("an integration the session may not show: %v", err)
		}
		if _, _, err := e.Svc.ConnectForSession(ctx, sess, user, "vip-tool", portico.Credentials{"api_key": "x"}, nil); portico.ErrorCode(err) != portico.CodeNotFound {
			t.Fatalf("an integration restricted to another account: %v", err)
		}
		state, _ = e.Svc.SessionState(ctx, sess, user)
		if state[1].Status != portico.StatusConnected || state[1].Connection.ID != c.ID {
			t.Fatalf("state %+v", state[1])
		}
		if _, err := e.Svc.RevokeSessionConnection(ctx, sess, user, c.ID); err != nil {
			t.Fatal(err)
		}
		state, _ = e.Svc.SessionState(ctx, sess, user)
		if state[1].Status != portico.StatusRevoked {
			t.Fatalf("after revoke %+v", state[1])
		}
		if strings.Contains(fmt.Sprint(portico.Credentials{"api_key": v}), v) || strings.Contains(fmt.Sprintf("%#v", portico.Credentials{"api_key": v}), v) {
			t.Fatal("Credentials print their values")
		}
	})
}
