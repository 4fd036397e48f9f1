package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/porticohq/portico/api"
	"github.com/porticohq/portico/client"
	"github.com/porticohq/portico/internal/store/storetest"
)

// TestEndToEnd boots the whole server as `portico serve` does, on every
// engine, manages it with the CLI while it runs, drives the API through the
// public Go client, and shuts it down gracefully.
func TestEndToEnd(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			w := newLeakWatch(t)
			s := startServer(t, w, e, nil)
			ctx := context.Background()

			appID, key := s.createApp("x")
			c := s.client(key)
			if err := c.Healthz(ctx); err != nil {
				t.Fatalf("healthz: %v", err)
			}
			if err := c.Readyz(ctx); err != nil {
				t.Fatalf("readyz: %v", err)
			}

			t.Run("app", func(t *testing.T) { testApp(t, c, w, appID) })
			t.Run("users", func(t *testing.T) { testUsers(t, c) })
			t.Run("accounts", func(t *testing.T) { testAccounts(t, c) })
			t.Run("tenancy", func(t *testing.T) { testTenancy(t, s, c) })
			t.Run("sessions", func(t *testing.T) { testSessions(t, s, w, c) })
			t.Run("keys", func(t *testing.T) { testKeys(t, s, appID, key) })

			if err := s.stop(); err != nil {
				t.Fatalf("Run returned %v after cancel, want nil", err)
			}
			if err := c.Healthz(ctx); err == nil {
				t.Fatal("the server still answers after shutdown")
			}
			logs := s.logs.String()
			for _, msg := range []string{`"msg":"serving"`, `"msg":"shutting_down"`, `"msg":"stopped"`} {
				if !strings.Contains(logs, msg) {
					t.Errorf("the log lacks %s", msg)
				}
			}
		})
	}
}

func testApp(t *testing.T, c *client.Client, w *leakWatch, appID string) {
	ctx := context.Background()
	app, err := c.GetApp(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if app.ID != appID || app.Name != "x" {
		t.Fatalf("GetApp = %+v, want id %s name x", app, appID)
	}
	if st := app.Settings; st.SessionTTLSeconds != 3600 || st.MaxSessionTTLSeconds != 604800 || st.ConfigurationURLTTLSeconds != 900 ||
		st.MaxSessionsPerUser != 10 || st.SessionLimitPolicy != "evict_oldest" || st.AllowedRedirectURIs == nil || st.MaxUsers != nil {
		t.Errorf("default settings = %+v", st)
	}
	if time.Since(app.CreatedAt.Time) > time.Minute || app.CreatedAt.Nanosecond() != 0 {
		t.Errorf("created_at = %v", app.CreatedAt)
	}

	uris := []string{"https://app.example.com/settings", "http://localhost:3000/done"}
	app, err = c.UpdateApp(ctx, api.AppUpdate{Name: ptr("Acme"), Settings: &api.AppSettingsUpdate{
		AllowedRedirectURIs: &uris, SessionTTLSeconds: ptr(600), SessionLimitPolicy: ptr("reject"),
		MaxUsers: api.Nullable[int]{Set: true, Value: ptr(1000)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if app.Name != "Acme" || !slices.Equal(app.Settings.AllowedRedirectURIs, uris) || app.Settings.SessionTTLSeconds != 600 ||
		app.Settings.SessionLimitPolicy != "reject" || app.Settings.MaxUsers == nil || *app.Settings.MaxUsers != 1000 ||
		app.Settings.MaxSessionsPerUser != 10 {
		t.Fatalf("after PATCH: %+v", app)
	}
	if app.WebhookSecret != "" {
		t.Errorf("a webhook secret without a webhook: %q", app.WebhookSecret)
	}

	// Invalid values: 422 naming the field, and nothing applied.
	for _, tc := range []struct {
		name  string
		in    api.AppSettingsUpdate
		field string
	}{
		{"max_sessions_per_user zero", api.AppSettingsUpdate{MaxSessionsPerUser: ptr(0), SessionTTLSeconds: ptr(60)}, "settings.max_sessions_per_user"},
		{"redirect uri not a URL", api.AppSettingsUpdate{AllowedRedirectURIs: &[]string{"not a url"}}, "settings.allowed_redirect_uris"},
		{"unknown policy", api.AppSettingsUpdate{SessionLimitPolicy: ptr("drop")}, "settings.session_limit_policy"},
		{"ttl above max", api.AppSettingsUpdate{SessionTTLSeconds: ptr(604801)}, "settings.session_ttl_seconds"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.UpdateApp(ctx, api.AppUpdate{Settings: &tc.in})
			e := asError(t, err, http.StatusUnprocessableEntity, "validation_failed")
			if e.Field() != tc.field || e.Details["field"] != tc.field {
				t.Errorf("details.field = %v, want %s", e.Details, tc.field)
			}
			if !strings.Contains(e.Error(), "validation_failed") {
				t.Errorf("Error() = %q", e.Error())
			}
		})
	}
	if got, err := c.GetApp(ctx); err != nil || got.Settings.SessionTTLSeconds != 600 || got.Settings.MaxSessionsPerUser != 10 ||
		!slices.Equal(got.Settings.AllowedRedirectURIs, uris) {
		t.Fatalf("a refused PATCH changed the app: %+v, %v", got, err)
	}

	// A webhook secret is shown once, by the PATCH that sets the URL.
	app, err = c.UpdateApp(ctx, api.AppUpdate{Settings: &api.AppSettingsUpdate{WebhookURL: api.Nullable[string]{Set: true, Value: ptr("https://hooks.example.com/portico")}}})
	if err != nil {
		t.Fatal(err)
	}
	w.secret(app.WebhookSecret)
	if !strings.HasPrefix(app.WebhookSecret, "whsec_") || app.Settings.WebhookURL == nil {
		t.Fatalf("setting webhook_url: %+v", app)
	}
	if got, _ := c.GetApp(ctx); got.WebhookSecret != "" || got.Settings.WebhookURL == nil {
		t.Errorf("GET /v1/app after setting the webhook: %+v", got)
	}
	app, err = c.UpdateApp(ctx, api.AppUpdate{Settings: &api.AppSettingsUpdate{
		WebhookURL: api.Nullable[string]{Set: true}, MaxUsers: api.Nullable[int]{Set: true}}})
	if err != nil || app.Settings.WebhookURL != nil || app.Settings.MaxUsers != nil {
		t.Fatalf("null webhook_url and max_users: %+v, %v", app, err)
	}
}

func testUsers(t *testing.T, c *client.Client) {
	ctx := context.Background()
	ann, created, err := c.CreateUser(ctx, api.UserCreate{ExternalID: ptr("u-1"), Email: ptr(" Ann@Example.COM "), Name: "Ann",
		Metadata: json.RawMessage(`{"plan":"pro"}`)})
	if err != nil || !created {
		t.Fatalf("create: %+v created=%v %v", ann, created, err)
	}
	if !strings.HasPrefix(ann.ID, "usr_") || *ann.ExternalID != "u-1" || *ann.Email != "ann@example.com" || ann.Name != "Ann" ||
		string(ann.Metadata) != `{"plan":"pro"}` || ann.AccountIDs == nil {
		t.Errorf("created user = %+v", ann)
	}
	again, created, err := c.CreateUser(ctx, api.UserCreate{ExternalID: ptr("u-1"), Name: "Someone else"})
	if err != nil || created || again.ID != ann.ID || again.Name != "Ann" {
		t.Fatalf("find: %+v created=%v %v (want 200 with the user unchanged)", again, created, err)
	}
	bob, created, err := c.CreateUser(ctx, api.UserCreate{Email: ptr("Bob@Example.com")})
	if err != nil || !created || bob.ExternalID != nil {
		t.Fatalf("create by email: %+v %v %v", bob, created, err)
	}
	if b2, created, err := c.CreateUser(ctx, api.UserCreate{Email: ptr("bob@example.com ")}); err != nil || created || b2.ID != bob.ID {
		t.Fatalf("find by email: %+v %v %v", b2, created, err)
	}

	for _, tc := range []struct {
		name  string
		in    api.UserCreate
		field string
	}{
		{"no key", api.UserCreate{Name: "Nobody"}, "external_id"},
		{"bad email", api.UserCreate{Email: ptr("not an email")}, "email"},
		{"control character", api.UserCreate{ExternalID: ptr("a\x01b")}, "external_id"},
		{"unknown account", api.UserCreate{ExternalID: ptr("u-x"), AccountIDs: []string{"nope"}}, "account_ids"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := c.CreateUser(ctx, tc.in)
			if e := asError(t, err, http.StatusUnprocessableEntity, "validation_failed"); e.Field() != tc.field {
				t.Errorf("field = %q, want %q", e.Field(), tc.field)
			}
		})
	}

	// Find by filters.
	if l, err := c.ListUsers(ctx, client.ListUsersParams{ExternalID: "u-1"}); err != nil || len(l.Data) != 1 || l.Data[0].ID != ann.ID || l.NextPageToken != nil {
		t.Fatalf("list by external_id: %+v %v", l, err)
	}
	if l, err := c.ListUsers(ctx, client.ListUsersParams{Email: "BOB@example.com"}); err != nil || len(l.Data) != 1 || l.Data[0].ID != bob.ID {
		t.Fatalf("list by email: %+v %v", l, err)
	}
	if l, err := c.ListUsers(ctx, client.ListUsersParams{ExternalID: "nobody"}); err != nil || len(l.Data) != 0 || l.NextPageToken != nil {
		t.Fatalf("list by unknown external_id: %+v %v", l, err)
	}

	// Pagination across pages, oldest first, each user once.
	want := []string{ann.ID, bob.ID}
	for i := range 7 {
		u, _, err := c.CreateUser(ctx, api.UserCreate{ExternalID: ptr("page-" + string(rune('a'+i)))})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, u.ID)
	}
	var got []string
	var token string
	pages := 0
	for {
		l, err := c.ListUsers(ctx, client.ListUsersParams{PageSize: 2, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(l.Data) == 0 || len(l.Data) > 2 {
			t.Fatalf("page %d has %d users", pages, len(l.Data))
		}
		for _, u := range l.Data {
			got = append(got, u.ID)
		}
		if l.NextPageToken == nil {
			break
		}
		token = *l.NextPageToken
		if pages > 10 {
			t.Fatal("pagination does not end")
		}
	}
	if !slices.Equal(got, want) || pages != 5 {
		t.Fatalf("paged through %d pages: %v, want %v in 5 pages", pages, got, want)
	}
	if l, err := c.ListUsers(ctx, client.ListUsersParams{PageSize: 100}); err != nil || len(l.Data) != len(want) || l.NextPageToken != nil {
		t.Fatalf("one page of 100: %v %v", l, err)
	}
	_, err = c.ListUsers(ctx, client.ListUsersParams{PageToken: token + "x"})
	if e := asError(t, err, http.StatusBadRequest, "invalid_request"); e.Field() != "page_token" {
		t.Errorf("tampered page token: field %q", e.Field())
	}
	// A token from another list (filtered) is refused too.
	_, err = c.ListUsers(ctx, client.ListUsersParams{PageToken: token, Email: "ann@example.com"})
	asError(t, err, http.StatusBadRequest, "invalid_request")
	_, err = c.ListUsers(ctx, client.ListUsersParams{PageSize: 101})
	if e := asError(t, err, http.StatusBadRequest, "invalid_request"); e.Field() != "page_size" {
		t.Errorf("page_size 101: field %q", e.Field())
	}

	// Get, patch, delete.
	if u, err := c.GetUser(ctx, ann.ID); err != nil || u.ID != ann.ID || *u.Email != "ann@example.com" {
		t.Fatalf("get: %+v %v", u, err)
	}
	u, err := c.UpdateUser(ctx, ann.ID, api.UserUpdate{Name: ptr("Ann Smith"), Metadata: json.RawMessage(`{"plan":"team"}`)})
	if err != nil || u.Name != "Ann Smith" || string(u.Metadata) != `{"plan":"team"}` || *u.ExternalID != "u-1" {
		t.Fatalf("patch: %+v %v", u, err)
	}
	_, err = c.UpdateUser(ctx, ann.ID, api.UserUpdate{ExternalID: ptr("page-a")})
	asError(t, err, http.StatusConflict, "conflict")
	if err := c.DeleteUser(ctx, ann.ID); err != nil {
		t.Fatalf("delete: %v", err)
	}
	_, err = c.GetUser(ctx, ann.ID)
	asError(t, err, http.StatusNotFound, "not_found")
	asError(t, c.DeleteUser(ctx, ann.ID), http.StatusNotFound, "not_found")
	_, err = c.UpdateUser(ctx, "usr_unknown", api.UserUpdate{Name: ptr("x")})
	asError(t, err, http.StatusNotFound, "not_found")
	// The external id is free again: a new user, created.
	if u, created, err := c.CreateUser(ctx, api.UserCreate{ExternalID: ptr("u-1")}); err != nil || !created || u.ID == ann.ID {
		t.Fatalf("recreate after delete: %+v %v %v", u, created, err)
	}
}

func testAccounts(t *testing.T, c *client.Client) {
	ctx := context.Background()
	acme, err := c.CreateAccount(ctx, api.AccountCreate{ID: "acme", Name: "Acme Inc"})
	if err != nil || acme.ID != "acme" || acme.Name != "Acme Inc" {
		t.Fatalf("create: %+v %v", acme, err)
	}
	_, err = c.CreateAccount(ctx, api.AccountCreate{ID: "acme", Name: "Again"})
	asError(t, err, http.StatusConflict, "conflict")
	_, err = c.CreateAccount(ctx, api.AccountCreate{ID: "bad id!", Name: "x"})
	asError(t, err, http.StatusUnprocessableEntity, "validation_failed")
	gen, err := c.CreateAccount(ctx, api.AccountCreate{Name: "Generated"})
	if err != nil || !strings.HasPrefix(gen.ID, "acc_") {
		t.Fatalf("create with a generated id: %+v %v", gen, err)
	}

	// Paging, oldest first.
	first, err := c.ListAccounts(ctx, client.ListAccountsParams{PageSize: 1})
	if err != nil || len(first.Data) != 1 || first.Data[0].ID != "acme" || first.NextPageToken == nil {
		t.Fatalf("page 1: %+v %v", first, err)
	}
	second, err := c.ListAccounts(ctx, client.ListAccountsParams{PageSize: 1, PageToken: *first.NextPageToken})
	if err != nil || len(second.Data) != 1 || second.Data[0].ID != gen.ID || second.NextPageToken != nil {
		t.Fatalf("page 2: %+v %v", second, err)
	}

	if a, err := c.GetAccount(ctx, "acme"); err != nil || a.Name != "Acme Inc" {
		t.Fatalf("get: %+v %v", a, err)
	}
	if a, err := c.UpdateAccount(ctx, "acme", api.AccountUpdate{Name: "Acme"}); err != nil || a.Name != "Acme" {
		t.Fatalf("patch: %+v %v", a, err)
	}
	_, err = c.UpdateAccount(ctx, "nope", api.AccountUpdate{Name: "x"})
	asError(t, err, http.StatusNotFound, "not_found")

	// Membership through account_ids: added on create and on find, replaced
	// by PATCH, listed by account_id, dropped with the account.
	m, _, err := c.CreateUser(ctx, api.UserCreate{ExternalID: ptr("member"), AccountIDs: []string{"acme"}})
	if err != nil || !slices.Equal(m.AccountIDs, []string{"acme"}) {
		t.Fatalf("create with account_ids: %+v %v", m, err)
	}
	m, created, err := c.CreateUser(ctx, api.UserCreate{ExternalID: ptr("member"), AccountIDs: []string{gen.ID}})
	if err != nil || created || !sameSet(m.AccountIDs, []string{"acme", gen.ID}) {
		t.Fatalf("find adds account_ids: %+v %v %v", m, created, err)
	}
	members := func(acc string) []string {
		t.Helper()
		l, err := c.ListUsers(ctx, client.ListUsersParams{AccountID: acc})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, u := range l.Data {
			ids = append(ids, u.ID)
		}
		return ids
	}
	if got := members("acme"); !slices.Equal(got, []string{m.ID}) {
		t.Fatalf("members of acme = %v", got)
	}
	m, err = c.UpdateUser(ctx, m.ID, api.UserUpdate{AccountIDs: &[]string{gen.ID}})
	if err != nil || !slices.Equal(m.AccountIDs, []string{gen.ID}) {
		t.Fatalf("replace account_ids: %+v %v", m, err)
	}
	if got := members("acme"); len(got) != 0 {
		t.Fatalf("members of acme after PATCH = %v", got)
	}
	if err := c.DeleteAccount(ctx, gen.ID); err != nil {
		t.Fatalf("delete: %v", err)
	}
	_, err = c.GetAccount(ctx, gen.ID)
	asError(t, err, http.StatusNotFound, "not_found")
	asError(t, c.DeleteAccount(ctx, gen.ID), http.StatusNotFound, "not_found")
	if u, err := c.GetUser(ctx, m.ID); err != nil || len(u.AccountIDs) != 0 {
		t.Fatalf("user after its account was deleted: %+v %v", u, err)
	}
}

// testTenancy checks that another app sees none of the first app's data.
func testTenancy(t *testing.T, s *testServer, c *client.Client) {
	ctx := context.Background()
	mine, _, err := c.CreateUser(ctx, api.UserCreate{ExternalID: ptr("shared-id")})
	if err != nil {
		t.Fatal(err)
	}
	_, otherKey := s.createApp("other")
	other := s.client(otherKey)
	_, err = other.GetUser(ctx, mine.ID)
	asError(t, err, http.StatusNotFound, "not_found")
	asError(t, other.DeleteUser(ctx, mine.ID), http.StatusNotFound, "not_found")
	_, err = other.GetAccount(ctx, "acme")
	asError(t, err, http.StatusNotFound, "not_found")
	if l, err := other.ListUsers(ctx, client.ListUsersParams{}); err != nil || len(l.Data) != 0 {
		t.Fatalf("another app lists users: %+v %v", l, err)
	}
	theirs, created, err := other.CreateUser(ctx, api.UserCreate{ExternalID: ptr("shared-id")})
	if err != nil || !created || theirs.ID == mine.ID {
		t.Fatalf("the same external id in another app: %+v %v %v", theirs, created, err)
	}
}

// testKeys creates, lists and revokes API keys with the CLI while the
// server runs; a revoked key fails on the very next request.
func testKeys(t *testing.T, s *testServer, appID, firstKey string) {
	ctx := context.Background()
	keyID, key := s.createKey(appID)
	if key == firstKey || !strings.HasPrefix(key, "pk_") {
		t.Fatalf("new key %q", key)
	}
	c := s.client(key)
	if app, err := c.GetApp(ctx); err != nil || app.ID != appID {
		t.Fatalf("the new key: %+v %v", app, err)
	}

	list := func() []map[string]any {
		t.Helper()
		out := s.mustRun("key", "list", "--app", appID, "--json")
		if strings.Contains(out, key) || strings.Contains(out, firstKey) {
			t.Fatalf("key list shows a secret: %s", out)
		}
		var keys []map[string]any
		if err := json.Unmarshal([]byte(out), &keys); err != nil {
			t.Fatalf("key list --json: %v: %s", err, out)
		}
		return keys
	}
	keys := list()
	if len(keys) != 2 || !slices.ContainsFunc(keys, func(k map[string]any) bool {
		return k["key_id"] == keyID && k["revoked_at"] == nil && fmt.Sprint(k["permissions"]) == "[all]"
	}) {
		t.Fatalf("key list = %v", keys)
	}

	// A key for a server-side agent: MCP only, refused on the native API
	// with the permission named; a bad permission is a usage error.
	agentID, agentKey := s.createKey(appID, "--permissions", "mcp:act_as_user")
	_, err := s.client(agentKey).GetApp(ctx)
	if e := asError(t, err, http.StatusForbidden, "forbidden"); e.Details["permission"] != "read" {
		t.Errorf("agent key on the native API: %+v", e)
	}
	if !slices.ContainsFunc(list(), func(k map[string]any) bool {
		return k["key_id"] == agentID && fmt.Sprint(k["permissions"]) == "[mcp:act_as_user]"
	}) {
		t.Errorf("key list does not show the agent key's permission: %v", list())
	}
	// Several permissions are kept in their documented order.
	mixedID, _ := s.createKey(appID, "--permissions", "perform, read")
	if !slices.ContainsFunc(list(), func(k map[string]any) bool {
		return k["key_id"] == mixedID && fmt.Sprint(k["permissions"]) == "[read perform]"
	}) {
		t.Errorf("key list does not show read,perform: %v", list())
	}
	if out := s.mustRun("key", "list", "--app", appID); !strings.Contains(out, "read,perform") {
		t.Errorf("key list (text) does not show read,perform: %s", out)
	}
	s.mustRun("key", "revoke", "--app", appID, mixedID)
	if code, out := s.run("key", "create", "--app", appID, "--permissions", "all,admin"); code != 2 || out != "" {
		t.Errorf("key create --permissions all,admin: exit %d: %s", code, out)
	}
	if out := s.mustRun("key", "list", "--app", appID); !strings.Contains(out, "mcp:act_as_user") {
		t.Errorf("key list (text) does not show permissions: %s", out)
	}
	// Without --app, the key's own app is found.
	s.mustRun("key", "revoke", agentID)
	if out := s.mustRun("key", "list", "--app", appID); !strings.Contains(out, keyID) || strings.Contains(out, key) {
		t.Fatalf("key list (text) = %s", out)
	}

	if out := s.mustRun("key", "revoke", "--app", appID, keyID); !strings.Contains(out, keyID) {
		t.Fatalf("key revoke: %s", out)
	}
	_, err = c.GetApp(ctx)
	e := asError(t, err, http.StatusUnauthorized, "invalid_api_key")
	// Revoked and unknown keys are indistinguishable.
	_, unknownErr := s.client("pk_" + strings.Repeat("A", 43)).GetApp(ctx)
	s.watch.secret("pk_" + strings.Repeat("A", 43))
	if u := asError(t, unknownErr, http.StatusUnauthorized, "invalid_api_key"); u.Message != e.Message || !mapsEqual(u.Details, e.Details) {
		t.Errorf("revoked key: %+v; unknown key: %+v", e, u)
	}
	if _, err := s.client(firstKey).GetApp(ctx); err != nil {
		t.Fatalf("the other key stopped working: %v", err)
	}
	if !slices.ContainsFunc(list(), func(k map[string]any) bool { return k["key_id"] == keyID && k["revoked_at"] != nil }) {
		t.Error("key list does not show the revocation")
	}
	if code, _ := s.run("key", "revoke", "--app", appID, "key_unknown"); code == 0 {
		t.Error("revoking an unknown key succeeded")
	}
	if code, _ := s.run("key", "revoke", "--app", "app_unknown", keyID); code == 0 {
		t.Error("revoking a key under an unknown app succeeded")
	}
	if code, _ := s.run("key", "revoke", "key_unknown"); code == 0 {
		t.Error("revoking an unknown key without --app succeeded")
	}
	if code, _, out := s.runStderr("key", "revoke", keyID); code == 0 || !strings.Contains(out, "was already revoked") {
		t.Errorf("revoking a revoked key without --app: exit %d: %s", code, out)
	}
	var other struct {
		AppID string `json:"app_id"`
	}
	json.Unmarshal([]byte(s.mustRun("app", "create", "--name", "Other", "--json")), &other)
	var otherKeys []map[string]any
	json.Unmarshal([]byte(s.mustRun("key", "list", "--app", other.AppID, "--json")), &otherKeys)
	if code, _, out := s.runStderr("key", "revoke", "--app", appID, fmt.Sprint(otherKeys[0]["key_id"])); code == 0 || !strings.Contains(out, "belongs to app "+other.AppID) {
		t.Errorf("revoking another app's key: exit %d: %s", code, out)
	}
	if code, _ := s.run("key", "create", "--app", "app_unknown"); code == 0 {
		t.Error("creating a key for an unknown app succeeded")
	}
	// A key's secret given in place of its id is a usage error, and is
	// not printed back.
	pasted := "pk_" + strings.Repeat("S", 43)
	if code, stdout, out := s.runStderr("key", "revoke", pasted); code != 2 || strings.Contains(out+stdout, pasted) || !strings.Contains(out, "not its id") {
		t.Errorf("revoking by secret: exit %d: %s", code, out)
	}
	_, err = client.New(s.URL).GetApp(ctx)
	asError(t, err, http.StatusUnauthorized, "unauthenticated")
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func mapsEqual(a, b map[string]any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
