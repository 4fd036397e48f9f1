package cli_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/porticohq/portico/api"
	"github.com/porticohq/portico/client"
	"github.com/porticohq/portico/internal/store/storetest"
)

// TestEndToEnd_Integrations boots the whole server on every engine and
// drives integrations and connections through the public Go client: the
// app defines integrations and imports users' credentials, a user lists
// and revokes its own connections with a session token, and no credential
// value ever comes back or reaches the log.
func TestEndToEnd_Integrations(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			w := newLeakWatch(t)
			s := startServer(t, w, e, nil)
			_, key := s.createApp("tools")
			c := s.client(key)
			t.Run("integrations", func(t *testing.T) { testIntegrations(t, s, w, c) })
			t.Run("connections", func(t *testing.T) { testConnections(t, s, w, c) })
		})
	}
}

// noValues fails when the JSON of v holds any of the values.
func noValues(t *testing.T, v any, values ...string) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range values {
		if strings.Contains(string(b), s) {
			t.Errorf("an answer holds a secret value (%.6s…): %s", s, b)
		}
	}
}

func testIntegrations(t *testing.T, s *testServer, w *leakWatch, c *client.Client) {
	ctx := context.Background()
	const secret = "gh-client-secret-e2e-0123456789"
	w.secret(secret)

	gh, created, err := c.PutIntegration(ctx, "github", api.IntegrationPut{Template: ptr("github"),
		Auth: &api.IntegrationAuthPut{OAuth2: &api.OAuth2Put{ClientID: ptr("Iv1.e2e"), ClientSecret: ptr(secret)}}})
	if err != nil || !created {
		t.Fatalf("put from the template: %+v created=%v %v", gh, created, err)
	}
	o := gh.Auth.OAuth2
	if gh.Slug != "github" || gh.Name != "GitHub" || gh.Template == nil || *gh.Template != "github" || gh.Auth.Type != "oauth2" ||
		o == nil || o.ClientID != "Iv1.e2e" || o.ClientSecret == nil || *o.ClientSecret != "********" || len(gh.Actions) == 0 ||
		time.Since(gh.CreatedAt.Time) > time.Minute {
		t.Fatalf("the template's integration: %+v", gh)
	}
	noValues(t, gh, secret)

	// Replacing without the secret keeps it.
	gh, created, err = c.PutIntegration(ctx, "github", api.IntegrationPut{Template: ptr("github"), Name: ptr("GitHub EE"),
		Auth: &api.IntegrationAuthPut{OAuth2: &api.OAuth2Put{ClientID: ptr("Iv1.e2e"), Scopes: &[]api.ScopePut{{Name: "repo"}}}}})
	if err != nil || created || gh.Name != "GitHub EE" || gh.Auth.OAuth2.ClientSecret == nil || !slices.Equal(gh.Auth.OAuth2.Scopes, []api.Scope{{Name: "repo"}}) {
		t.Fatalf("replace: %+v created=%v %v", gh, created, err)
	}

	crm := api.IntegrationPut{Name: ptr("Acme CRM"), Category: ptr("crm"), BaseURL: ptr("https://api.acme.example/v2/"),
		Auth: &api.IntegrationAuthPut{Type: ptr("api_key"),
			Fields: &[]api.Field{{Name: "api_key", Label: "API key", Secret: true}, {Name: "region", Optional: true}},
			Inject: &api.Inject{Header: "X-Api-Key", Format: "{api_key}"}},
		Actions: &[]api.Action{{Name: "list-deals", Description: "List deals.", Method: "get", Path: "/pipelines/{pipeline}/deals",
			InputSchema: json.RawMessage(`{"type": "object", "properties": {"pipeline": {"type": "string"}}}`)}}}
	acme, created, err := c.PutIntegration(ctx, "acme-crm", crm)
	if err != nil || !created {
		t.Fatalf("put from scratch: %v", err)
	}
	if acme.Template != nil || acme.Category == nil || *acme.Category != "crm" || acme.BaseURL != "https://api.acme.example/v2" ||
		acme.Auth.OAuth2 != nil || acme.Auth.Inject == nil || acme.Auth.Fields[1].Label != "region" || !acme.Auth.Fields[1].Optional ||
		acme.Actions[0].Method != "GET" || string(acme.Actions[0].InputSchema) != `{"type":"object","properties":{"pipeline":{"type":"string"}}}` {
		t.Fatalf("the integration as stored: %+v", acme)
	}
	if _, err := c.CreateAccount(ctx, api.AccountCreate{ID: "vip", Name: "VIP"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.PutIntegration(ctx, "vip-stripe", api.IntegrationPut{Template: ptr("stripe"), AccountIDs: &[]string{"vip"}}); err != nil {
		t.Fatalf("an integration restricted to an account: %v", err)
	}
	if _, _, err := c.PutIntegration(ctx, "status", api.IntegrationPut{Name: ptr("Status"), BaseURL: ptr("https://status.example.com"),
		Auth: &api.IntegrationAuthPut{Type: ptr("none")}}); err != nil {
		t.Fatalf("an integration without auth: %v", err)
	}

	// Refusals name the field.
	for _, tc := range []struct {
		name, slug string
		in         api.IntegrationPut
		field      string
	}{
		{"private base_url", "x", api.IntegrationPut{Name: ptr("X"), BaseURL: ptr("https://10.0.0.1"), Auth: &api.IntegrationAuthPut{Type: ptr("none")}}, "base_url"},
		{"unknown template", "x", api.IntegrationPut{Template: ptr("myspace")}, "template"},
		{"bad slug", "Not A Slug", api.IntegrationPut{Template: ptr("stripe")}, "slug"},
		{"undeclared placeholder", "x", api.IntegrationPut{Name: ptr("X"), BaseURL: ptr("https://x.example.com"),
			Auth: &api.IntegrationAuthPut{Type: ptr("api_key"), Fields: &[]api.Field{{Name: "key"}},
				Inject: &api.Inject{Header: "Authorization", Format: "Bearer {token}"}}}, "auth.inject.format"},
		{"unknown account", "x", api.IntegrationPut{Template: ptr("stripe"), AccountIDs: &[]string{"nope"}}, "account_ids"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := c.PutIntegration(ctx, tc.slug, tc.in)
			if e := asError(t, err, http.StatusUnprocessableEntity, "validation_failed"); e.Field() != tc.field {
				t.Errorf("field %q, want %q", e.Field(), tc.field)
			}
		})
	}

	if got, err := c.GetIntegration(ctx, "acme-crm"); err != nil || got.Name != "Acme CRM" || !got.CreatedAt.Equal(acme.CreatedAt.Time) {
		t.Fatalf("get: %+v %v", got, err)
	}
	_, err = c.GetIntegration(ctx, "nope")
	asError(t, err, http.StatusNotFound, "not_found")

	// Paging, oldest first (then by slug).
	var slugs []string
	token := ""
	for pages := 0; ; pages++ {
		l, err := c.ListIntegrations(ctx, client.ListIntegrationsParams{PageSize: 3, PageToken: token})
		if err != nil || len(l.Data) == 0 || len(l.Data) > 3 || pages > 5 {
			t.Fatalf("page %d: %+v %v", pages, l, err)
		}
		for _, in := range l.Data {
			slugs = append(slugs, in.Slug)
			noValues(t, in, secret)
		}
		if l.NextPageToken == nil {
			break
		}
		token = *l.NextPageToken
	}
	if !sameSet(slugs, []string{"github", "acme-crm", "vip-stripe", "status"}) || len(slugs) != 4 {
		t.Fatalf("listed %v", slugs)
	}
	_, err = c.ListIntegrations(ctx, client.ListIntegrationsParams{PageToken: token + "x"})
	asError(t, err, http.StatusBadRequest, "invalid_request")

	// Another app sees none of them and may use the same slugs.
	_, otherKey := s.createApp("other")
	other := s.client(otherKey)
	_, err = other.GetIntegration(ctx, "github")
	asError(t, err, http.StatusNotFound, "not_found")
	asError(t, other.DeleteIntegration(ctx, "github", true), http.StatusNotFound, "not_found")
	if l, err := other.ListIntegrations(ctx, client.ListIntegrationsParams{}); err != nil || len(l.Data) != 0 {
		t.Fatalf("another app lists %+v %v", l, err)
	}
	if _, created, err := other.PutIntegration(ctx, "github", api.IntegrationPut{Template: ptr("stripe")}); err != nil || !created {
		t.Fatalf("the same slug in another app: %v %v", created, err)
	}

	// Moving a connected integration to another host: refused, unless
	// forced, which erases the connection.
	if _, _, err := c.PutIntegration(ctx, "mover", api.IntegrationPut{Template: ptr("stripe")}); err != nil {
		t.Fatal(err)
	}
	u, _, err := c.CreateUser(ctx, api.UserCreate{ExternalID: ptr("mover")})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.ImportConnection(ctx, u.ID, "mover", map[string]string{"api_key": "sk_test_mover"}); err != nil {
		t.Fatalf("connect: %v", err)
	}
	moved := api.IntegrationPut{Template: ptr("stripe"), BaseURL: ptr("https://stripe.collector.example")}
	if e := asError(t, func() error { _, _, err := c.PutIntegration(ctx, "mover", moved); return err }(), http.StatusConflict, "conflict"); e.Details["connections"] != 1.0 {
		t.Fatalf("details %v", e.Details)
	}
	if _, created, err := c.PutIntegrationForce(ctx, "mover", moved); err != nil || created {
		t.Fatalf("forced: %v %v", created, err)
	}
	if l, err := c.ListConnections(ctx, client.ListConnectionsParams{UserID: u.ID}); err != nil || len(l.Data) != 0 {
		t.Fatalf("the connection outlived the move: %+v %v", l, err)
	}

	// Deleting: an integration without connections goes at once.
	if err := c.DeleteIntegration(ctx, "status", false); err != nil {
		t.Fatalf("delete: %v", err)
	}
	asError(t, c.DeleteIntegration(ctx, "status", false), http.StatusNotFound, "not_found")
}

func testConnections(t *testing.T, s *testServer, w *leakWatch, c *client.Client) {
	ctx := context.Background()
	access, refresh := "gho_e2e_access_token_0123456789", "ghr_e2e_refresh_token_0123456789"
	apiKey := "acme_e2e_api_key_0123456789abcdef"
	w.secret(access, refresh, apiKey)
	values := []string{access, refresh, apiKey}

	ann, _, err := c.CreateUser(ctx, api.UserCreate{ExternalID: ptr("ann")})
	if err != nil {
		t.Fatal(err)
	}
	bob, _, err := c.CreateUser(ctx, api.UserCreate{ExternalID: ptr("bob")})
	if err != nil {
		t.Fatal(err)
	}
	exp := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second)
	gh, created, err := c.ImportConnection(ctx, ann.ID, "github", map[string]string{
		"access_token": access, "refresh_token": refresh, "expires_at": exp.Format(time.RFC3339), "token_type": "bearer"})
	if err != nil || !created {
		t.Fatalf("import OAuth2 tokens: %+v %v %v", gh, created, err)
	}
	if !strings.HasPrefix(gh.ID, "con_") || gh.UserID != ann.ID || gh.Integration != "github" || gh.Status != "connected" ||
		gh.ExpiresAt == nil || !gh.ExpiresAt.Equal(exp) || !slices.Equal(gh.Fields, []string{"access_token", "refresh_token", "token_type"}) {
		t.Fatalf("imported: %+v", gh)
	}
	again, created, err := c.ImportConnection(ctx, ann.ID, "github", map[string]string{"access_token": access})
	if err != nil || created || again.ID != gh.ID || again.ExpiresAt != nil || !slices.Equal(again.Fields, []string{"access_token"}) {
		t.Fatalf("re-import: %+v %v %v", again, created, err)
	}
	crm, created, err := c.ImportConnection(ctx, ann.ID, "acme-crm", map[string]string{"api_key": apiKey, "region": ""})
	if err != nil || !created || !slices.Equal(crm.Fields, []string{"api_key"}) {
		t.Fatalf("import an API key: %+v %v %v", crm, created, err)
	}
	bobCRM, _, err := c.ImportConnection(ctx, bob.ID, "acme-crm", map[string]string{"api_key": apiKey})
	if err != nil {
		t.Fatal(err)
	}
	noValues(t, []any{gh, again, crm, bobCRM}, values...)

	// Refusals.
	_, _, err = c.ImportConnection(ctx, ann.ID, "vip-stripe", map[string]string{"api_key": apiKey})
	asError(t, err, http.StatusForbidden, "forbidden")
	_, _, err = c.ImportConnection(ctx, ann.ID, "acme-crm", map[string]string{"api_key": apiKey, "password": "x"})
	if e := asError(t, err, http.StatusUnprocessableEntity, "validation_failed"); e.Field() != "credentials.password" {
		t.Errorf("an undeclared field: field %q", e.Field())
	}
	_, _, err = c.ImportConnection(ctx, ann.ID, "acme-crm", nil)
	if e := asError(t, err, http.StatusUnprocessableEntity, "validation_failed"); e.Field() != "credentials.api_key" {
		t.Errorf("no credentials: field %q", e.Field())
	}
	_, _, err = c.ImportConnection(ctx, "usr_nope", "acme-crm", map[string]string{"api_key": apiKey})
	asError(t, err, http.StatusNotFound, "not_found")
	_, _, err = c.ImportConnection(ctx, ann.ID, "nope", map[string]string{"api_key": apiKey})
	asError(t, err, http.StatusNotFound, "not_found")

	// Listing, filtered.
	ids := func(p client.ListConnectionsParams) []string {
		t.Helper()
		l, err := c.ListConnections(ctx, p)
		if err != nil {
			t.Fatalf("list %+v: %v", p, err)
		}
		noValues(t, l, values...)
		out := []string{}
		for _, c := range l.Data {
			out = append(out, c.ID)
		}
		return out
	}
	if got := ids(client.ListConnectionsParams{}); !slices.Equal(got, []string{gh.ID, crm.ID, bobCRM.ID}) {
		t.Fatalf("all: %v", got)
	}
	if got := ids(client.ListConnectionsParams{UserID: ann.ID}); !slices.Equal(got, []string{gh.ID, crm.ID}) {
		t.Fatalf("ann's: %v", got)
	}
	if got := ids(client.ListConnectionsParams{Integration: "acme-crm", Status: "connected"}); !slices.Equal(got, []string{crm.ID, bobCRM.ID}) {
		t.Fatalf("connected to acme-crm: %v", got)
	}
	if got := ids(client.ListConnectionsParams{Status: "revoked"}); len(got) != 0 {
		t.Fatalf("revoked: %v", got)
	}
	l, err := c.ListConnections(ctx, client.ListConnectionsParams{PageSize: 2})
	if err != nil || len(l.Data) != 2 || l.NextPageToken == nil {
		t.Fatalf("page 1: %+v %v", l, err)
	}
	if l, err = c.ListConnections(ctx, client.ListConnectionsParams{PageSize: 2, PageToken: *l.NextPageToken}); err != nil || len(l.Data) != 1 || l.NextPageToken != nil {
		t.Fatalf("page 2: %+v %v", l, err)
	}
	_, err = c.ListConnections(ctx, client.ListConnectionsParams{Status: "deleted"})
	if e := asError(t, err, http.StatusBadRequest, "invalid_request"); e.Field() != "status" {
		t.Errorf("an unknown status: field %q", e.Field())
	}
	if got, err := c.GetConnection(ctx, crm.ID); err != nil || got.ID != crm.ID || got.Status != "connected" {
		t.Fatalf("get: %+v %v", got, err)
	}
	_, err = c.GetConnection(ctx, "con_nope")
	asError(t, err, http.StatusNotFound, "not_found")

	// The user's side, with session tokens.
	session := func(settings *api.SessionSettings) *client.Client {
		t.Helper()
		created, err := c.CreateSession(ctx, api.SessionCreate{User: api.UserCreate{ExternalID: ptr("ann")}, Settings: settings})
		if err != nil {
			t.Fatal(err)
		}
		w.secret(created.Token, strings.TrimPrefix(created.ConfigurationURL, s.URL+"/connect/"))
		return client.New(s.URL, client.WithSessionToken(created.Token))
	}
	me := session(nil)
	onlyCRM := session(&api.SessionSettings{Categories: []string{"crm"}})
	noDisconnect := session(&api.SessionSettings{AllowActions: []string{"reauthorize"}})
	mine, err := me.MyConnections(ctx, client.MyConnectionsParams{})
	if err != nil || len(mine.Data) != 2 || mine.Data[0].ID != gh.ID || mine.Data[1].ID != crm.ID || mine.NextPageToken != nil {
		t.Fatalf("my connections: %+v %v", mine, err)
	}
	noValues(t, mine, values...)
	page, err := me.MyConnections(ctx, client.MyConnectionsParams{PageSize: 1})
	if err != nil || len(page.Data) != 1 || page.NextPageToken == nil {
		t.Fatalf("my connections, page 1: %+v %v", page, err)
	}
	if page, err = me.MyConnections(ctx, client.MyConnectionsParams{PageSize: 1, PageToken: *page.NextPageToken}); err != nil ||
		len(page.Data) != 1 || page.Data[0].ID != crm.ID || page.NextPageToken != nil {
		t.Fatalf("my connections, page 2: %+v %v", page, err)
	}
	if l, err := onlyCRM.MyConnections(ctx, client.MyConnectionsParams{}); err != nil || len(l.Data) != 1 || l.Data[0].ID != crm.ID {
		t.Fatalf("a session showing crm only: %+v %v", l, err)
	}
	_, err = c.MyConnections(ctx, client.MyConnectionsParams{})
	asError(t, err, http.StatusUnauthorized, "invalid_token")
	_, err = me.ListConnections(ctx, client.ListConnectionsParams{})
	asError(t, err, http.StatusUnauthorized, "invalid_api_key")
	_, err = me.RevokeMyConnection(ctx, bobCRM.ID)
	asError(t, err, http.StatusNotFound, "not_found")
	_, err = onlyCRM.RevokeMyConnection(ctx, gh.ID)
	asError(t, err, http.StatusNotFound, "not_found")
	_, err = noDisconnect.RevokeMyConnection(ctx, crm.ID)
	asError(t, err, http.StatusForbidden, "forbidden")
	revoked, err := me.RevokeMyConnection(ctx, crm.ID)
	if err != nil || revoked.ID != crm.ID || revoked.Status != "revoked" || len(revoked.Fields) != 0 {
		t.Fatalf("revoke my connection: %+v %v", revoked, err)
	}
	if got, err := c.GetConnection(ctx, crm.ID); err != nil || got.Status != "revoked" {
		t.Fatalf("the app sees the user's revocation: %+v %v", got, err)
	}

	// The app revokes; the connection stays, and an import reconnects it.
	if err := c.RevokeConnection(ctx, gh.ID); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	if got, err := c.GetConnection(ctx, gh.ID); err != nil || got.Status != "revoked" || got.ExpiresAt != nil || len(got.Fields) != 0 {
		t.Fatalf("revoked: %+v %v", got, err)
	}
	if err := c.RevokeConnection(ctx, gh.ID); err != nil {
		t.Fatalf("revoke twice: %v", err)
	}
	asError(t, c.RevokeConnection(ctx, "con_nope"), http.StatusNotFound, "not_found")
	if got := ids(client.ListConnectionsParams{Status: "revoked"}); !slices.Equal(got, []string{gh.ID, crm.ID}) {
		t.Fatalf("revoked: %v", got)
	}
	back, created, err := c.ImportConnection(ctx, ann.ID, "github", map[string]string{"access_token": access})
	if err != nil || created || back.ID != gh.ID || back.Status != "connected" {
		t.Fatalf("reconnect: %+v %v %v", back, created, err)
	}

	// An integration users are connected to is deleted only with force,
	// which erases their connections.
	err = c.DeleteIntegration(ctx, "acme-crm", false)
	if e := asError(t, err, http.StatusConflict, "conflict"); e.Details["connections"] != float64(1) {
		t.Errorf("details %v, want one connection (bob's; ann's is revoked)", e.Details)
	}
	if err := c.DeleteIntegration(ctx, "acme-crm", true); err != nil {
		t.Fatalf("delete with force: %v", err)
	}
	for _, id := range []string{crm.ID, bobCRM.ID} {
		_, err = c.GetConnection(ctx, id)
		asError(t, err, http.StatusNotFound, "not_found")
	}
	if got := ids(client.ListConnectionsParams{}); !slices.Equal(got, []string{gh.ID}) {
		t.Fatalf("after the deletion: %v", got)
	}
}
