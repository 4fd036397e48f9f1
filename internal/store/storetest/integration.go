package storetest

import (
	"fmt"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/portico"
)

// newIntegration stores a valid api_key integration slug for appID.
func (f *Fixture) newIntegration(t testing.TB, appID, slug string) *portico.Integration {
	t.Helper()
	in := &portico.Integration{AppID: appID, Slug: slug, Name: "Tool " + slug, Category: "crm", BaseURL: "https://api.example.com",
		Auth: portico.AuthConfig{Type: portico.AuthAPIKey, Fields: []portico.Field{{Name: "api_key", Label: "API key", Secret: true}},
			Inject: &portico.Inject{Header: "Authorization", Format: "Bearer {api_key}"}}}
	if err := in.Validate(false); err != nil {
		t.Fatal(err)
	}
	created, err := f.Store.PutIntegration(f.Ctx, in, false)
	if err != nil || !created {
		t.Fatalf("put integration %s: created=%v %v", slug, created, err)
	}
	return in
}

// oauthIntegration is a valid OAuth2 definition with a (pretend) sealed
// client secret.
func oauthIntegration(appID, slug, secret string) *portico.Integration {
	in, _ := portico.Template("github")
	in.AppID, in.Slug = appID, slug
	in.Auth.OAuth2.ClientID = "client-" + slug
	in.Auth.OAuth2.ClientSecret = secret
	in.AccountIDs = []string{}
	return &in
}

func integrationSlugs(ins []portico.Integration) []string {
	out := make([]string, len(ins))
	for i, in := range ins {
		out[i] = in.Slug
	}
	return out
}

func testIntegrationFindSeveral(t *testing.T, f *Fixture) {
	app, other := f.NewApp(t, "a"), f.NewApp(t, "b")
	for _, slug := range []string{"acme", "acme-crm", "beta", "gamma"} {
		f.newIntegration(t, app.ID, slug)
	}
	f.newIntegration(t, other.ID, "delta")
	f.newIntegration(t, other.ID, "acme_crm")
	// Every count from 0 to the bound: the placeholders are padded.
	names := []string{"acme", "nope", "acme-crm", "acme_crm", "delta", "gamma", "x1", "x2", "x3"}
	for len(names) < 64 {
		names = append(names, fmt.Sprintf("missing-%d", len(names)))
	}
	for n := 0; n <= len(names); n++ {
		got, err := f.Store.FindIntegrations(f.Ctx, app.ID, names[:n])
		if err != nil {
			t.Fatalf("%d slugs: %v", n, err)
		}
		var want []string
		for _, s := range []string{"acme", "acme-crm", "gamma"} {
			for _, asked := range names[:n] {
				if asked == s {
					want = append(want, s)
				}
			}
		}
		found := integrationSlugs(got)
		sort.Strings(found)
		if fmt.Sprint(found) != fmt.Sprint(want) {
			t.Fatalf("%d slugs: found %v, want %v (another app's, none)", n, found, want)
		}
	}
	// Found integrations are whole, as FindIntegration returns them.
	got, err := f.Store.FindIntegrations(f.Ctx, app.ID, []string{"beta"})
	one, _ := f.Store.FindIntegration(f.Ctx, app.ID, "beta")
	if err != nil || len(got) != 1 {
		t.Fatalf("beta: %v %v", got, err)
	}
	if d := diff(one, &got[0]); d != "" {
		t.Fatalf("beta (-FindIntegration +FindIntegrations):\n%s", d)
	}
	if _, err := f.Store.FindIntegrations(f.Ctx, app.ID, append(names, "one-too-many")); err == nil {
		t.Fatal("65 slugs: no error")
	}
}

func testIntegrationPutFindReplace(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "a")
	t1 := f.Clock.Now()
	in := oauthIntegration(app.ID, "github", "v1:0badc0de:c2VhbGVk")
	if err := in.Validate(false); err != nil {
		t.Fatal(err)
	}
	created, err := f.Store.PutIntegration(f.Ctx, in, false)
	if err != nil || !created || !in.CreatedAt.Equal(t1) || !in.UpdatedAt.Equal(t1) {
		t.Fatalf("put: created=%v %v %v/%v", created, err, in.CreatedAt, in.UpdatedAt)
	}
	got, err := f.Store.FindIntegration(f.Ctx, app.ID, "github")
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(in, got); d != "" {
		t.Fatalf("found (-want +got):\n%s", d)
	}
	if got.Auth.OAuth2.ClientSecret != "v1:0badc0de:c2VhbGVk" {
		t.Fatalf("client secret %q", got.Auth.OAuth2.ClientSecret)
	}

	f.Clock.Advance(time.Minute)
	repl := oauthIntegration(app.ID, "github", "")
	repl.Name = "GitHub Enterprise"
	created, err = f.Store.PutIntegration(f.Ctx, repl, false)
	if err != nil || created {
		t.Fatalf("replace: created=%v %v", created, err)
	}
	got, _ = f.Store.FindIntegration(f.Ctx, app.ID, "github")
	if got.Name != "GitHub Enterprise" || !got.CreatedAt.Equal(t1) || !got.UpdatedAt.Equal(f.Clock.Now()) || got.Auth.OAuth2.ClientSecret != "" {
		t.Fatalf("replaced: name %q, created_at %v, updated_at %v, client secret %q", got.Name, got.CreatedAt, got.UpdatedAt, got.Auth.OAuth2.ClientSecret)
	}

	_, err = f.Store.FindIntegration(f.Ctx, app.ID, "nope")
	WantCode(t, err, portico.CodeNotFound)
	_, err = f.Store.FindIntegration(f.Ctx, app.ID, "GITHUB")
	WantCode(t, err, portico.CodeNotFound)
}

func testIntegrationListPages(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "a")
	other := f.NewApp(t, "b")
	f.newIntegration(t, other.ID, "theirs")
	var want []string
	for i := range 7 {
		// Two per instant: the slug breaks the tie.
		if i%2 == 0 {
			f.Clock.Advance(time.Second)
		}
		slug := fmt.Sprintf("tool-%d", 9-i)
		f.newIntegration(t, app.ID, slug)
		want = append(want, slug)
	}
	// Within one instant slugs sort ascending.
	for i := 0; i+1 < len(want); i += 2 {
		want[i], want[i+1] = want[i+1], want[i]
	}
	for _, size := range []int{1, 2, 3, 7, 100} {
		var all []portico.Integration
		var after *portico.Cursor
		for {
			rows, err := f.Store.ListIntegrations(f.Ctx, app.ID, portico.ListQuery{After: after, Limit: size + 1})
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) <= size {
				all = append(all, rows...)
				break
			}
			all = append(all, rows[:size]...)
			last := rows[size-1]
			after = &portico.Cursor{CreatedAt: last.CreatedAt, ID: last.Slug}
		}
		if got := integrationSlugs(all); !reflect.DeepEqual(got, want) {
			t.Fatalf("size %d: %v, want %v", size, got, want)
		}
	}
}

func testIntegrationUnknownAccount(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "a")
	other := f.NewApp(t, "b")
	f.newAccount(t, app.ID, "mine")
	f.newAccount(t, other.ID, "theirs")
	in := oauthIntegration(app.ID, "gh", "")
	in.AccountIDs = []string{"mine", "theirs"}
	_, err := f.Store.PutIntegration(f.Ctx, in, false)
	WantCode(t, err, portico.CodeValidation)
	_, err = f.Store.FindIntegration(f.Ctx, app.ID, "gh")
	WantCode(t, err, portico.CodeNotFound)
	in.AccountIDs = []string{"mine"}
	if _, err := f.Store.PutIntegration(f.Ctx, in, false); err != nil {
		t.Fatal(err)
	}
	got, _ := f.Store.FindIntegration(f.Ctx, app.ID, "gh")
	if !reflect.DeepEqual(got.AccountIDs, []string{"mine"}) {
		t.Fatalf("account ids %v", got.AccountIDs)
	}
}

func testIntegrationQuota(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "a")
	for i := range portico.MaxIntegrationsPerApp {
		in := oauthIntegration(app.ID, fmt.Sprint("t", i), "")
		if _, err := f.Store.PutIntegration(f.Ctx, in, false); err != nil {
			t.Fatalf("integration %d: %v", i, err)
		}
	}
	_, err := f.Store.PutIntegration(f.Ctx, oauthIntegration(app.ID, "one-more", ""), false)
	WantCode(t, err, portico.CodeQuotaExceeded)
	// Replacing one is no new integration.
	if created, err := f.Store.PutIntegration(f.Ctx, oauthIntegration(app.ID, "t0", ""), false); err != nil || created {
		t.Fatalf("replace at the limit: %v %v", created, err)
	}
	other := f.NewApp(t, "b")
	if _, err := f.Store.PutIntegration(f.Ctx, oauthIntegration(other.ID, "one-more", ""), false); err != nil {
		t.Fatalf("the limit is per app: %v", err)
	}
}

func testIntegrationAnotherAppCannotSeeChangeOrDeleteIt(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "a")
	other := f.NewApp(t, "b")
	mine := f.newIntegration(t, app.ID, "crm")
	_, err := f.Store.FindIntegration(f.Ctx, other.ID, "crm")
	WantCode(t, err, portico.CodeNotFound)
	rows, err := f.Store.ListIntegrations(f.Ctx, other.ID, portico.ListQuery{Limit: 10})
	if err != nil || len(rows) != 0 {
		t.Fatalf("other app lists %v %v", rows, err)
	}
	WantCode(t, f.Store.DeleteIntegration(f.Ctx, other.ID, "crm", true), portico.CodeNotFound)
	// The same slug in another app is another integration.
	theirs := oauthIntegration(other.ID, "crm", "")
	if created, err := f.Store.PutIntegration(f.Ctx, theirs, false); err != nil || !created {
		t.Fatalf("other app's own crm: %v %v", created, err)
	}
	got, err := f.Store.FindIntegration(f.Ctx, app.ID, "crm")
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(mine, got); d != "" {
		t.Fatalf("mine changed (-want +got):\n%s", d)
	}
	if err := f.Store.DeleteIntegration(f.Ctx, other.ID, "crm", false); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Store.FindIntegration(f.Ctx, app.ID, "crm"); err != nil {
		t.Fatalf("deleting theirs deleted mine: %v", err)
	}
}

func testIntegrationDeleteWithConnections(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "a")
	f.newIntegration(t, app.ID, "crm")
	f.newIntegration(t, app.ID, "keep")
	u1 := f.newUser(t, app.ID, portico.UserInput{ExternalID: ptr("u1")})
	u2 := f.newUser(t, app.ID, portico.UserInput{ExternalID: ptr("u2")})
	c1 := f.putConnection(t, app.ID, u1.ID, "crm", nil)
	c2 := f.putConnection(t, app.ID, u2.ID, "crm", nil)
	kept := f.putConnection(t, app.ID, u1.ID, "keep", nil)
	err := f.Store.DeleteIntegration(f.Ctx, app.ID, "crm", false)
	WantCode(t, err, portico.CodeConflict)
	if e := portico.AsError(err); e.Details["connections"] != 2 {
		t.Fatalf("details %v", e.Details)
	}
	if _, err := f.Store.RevokeConnection(f.Ctx, app.ID, c1.ID, ""); err != nil {
		t.Fatal(err)
	}
	WantCode(t, f.Store.DeleteIntegration(f.Ctx, app.ID, "crm", false), portico.CodeConflict)
	if _, err := f.Store.RevokeConnection(f.Ctx, app.ID, c2.ID, ""); err != nil {
		t.Fatal(err)
	}
	// Only revoked connections left: they go with the integration.
	if err := f.Store.DeleteIntegration(f.Ctx, app.ID, "crm", false); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{c1.ID, c2.ID} {
		_, err := f.Store.FindConnectionByID(f.Ctx, app.ID, id)
		WantCode(t, err, portico.CodeNotFound)
	}
	WantCode(t, f.Store.DeleteIntegration(f.Ctx, app.ID, "crm", false), portico.CodeNotFound)
	// force erases live connections too.
	WantCode(t, f.Store.DeleteIntegration(f.Ctx, app.ID, "keep", false), portico.CodeConflict)
	if err := f.Store.DeleteIntegration(f.Ctx, app.ID, "keep", true); err != nil {
		t.Fatal(err)
	}
	_, err = f.Store.FindConnectionByID(f.Ctx, app.ID, kept.ID)
	WantCode(t, err, portico.CodeNotFound)
	// A new integration of the same slug starts without connections.
	f.newIntegration(t, app.ID, "keep")
	_, err = f.Store.FindConnection(f.Ctx, app.ID, u1.ID, "keep")
	WantCode(t, err, portico.CodeNotFound)
}

// A replacement that would send credentials to a new origin (base_url's
// or the OAuth2 token endpoint's) is refused while connections to the
// integration are not revoked; force erases them with it. A new path on
// the same host, or any change to an integration nobody is connected to,
// needs nothing.
func testIntegrationMoveDestinations(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "a")
	in := f.newIntegration(t, app.ID, "crm")
	u1 := f.newUser(t, app.ID, portico.UserInput{ExternalID: ptr("u1")})
	u2 := f.newUser(t, app.ID, portico.UserInput{ExternalID: ptr("u2")})
	c1 := f.putConnection(t, app.ID, u1.ID, "crm", nil)
	c2 := f.putConnection(t, app.ID, u2.ID, "crm", nil)
	put := func(change func(*portico.Integration), force bool) error {
		next := *in
		change(&next)
		_, err := f.Store.PutIntegration(f.Ctx, &next, force)
		return err
	}
	if err := put(func(i *portico.Integration) { i.BaseURL = "https://API.example.com/v2"; i.Name = "Renamed" }, false); err != nil {
		t.Fatalf("a new path on the same host: %v", err)
	}
	err := put(func(i *portico.Integration) { i.BaseURL = "https://api.example.net/v2" }, false)
	WantCode(t, err, portico.CodeConflict)
	if d := portico.AsError(err).Details; d["connections"] != 2 || !reflect.DeepEqual(d["new_destinations"], []string{"https://api.example.net"}) {
		t.Fatalf("details %v", d)
	}
	err = put(func(i *portico.Integration) { i.BaseURL = "https://api.example.com:8443" }, false)
	WantCode(t, err, portico.CodeConflict)
	oauth := func(i *portico.Integration) {
		i.Auth = portico.AuthConfig{Type: portico.AuthOAuth2, OAuth2: &portico.OAuth2Config{AuthorizeURL: "https://example.com/authorize",
			TokenURL: "https://login.example.org/token", ClientID: "c", Scopes: []portico.Scope{}}}
	}
	err = put(oauth, false)
	WantCode(t, err, portico.CodeConflict)
	if d := portico.AsError(err).Details; !reflect.DeepEqual(d["new_destinations"], []string{"https://login.example.org"}) {
		t.Fatalf("details %v", d)
	}
	if got, _ := f.Store.FindIntegration(f.Ctx, app.ID, "crm"); got.BaseURL != "https://API.example.com/v2" || got.Name != "Renamed" {
		t.Fatalf("a refused replacement changed the integration: %+v", got)
	}
	// Revoked connections hold no credentials to move.
	for _, c := range []*portico.Connection{c1, c2} {
		if _, err := f.Store.RevokeConnection(f.Ctx, app.ID, c.ID, ""); err != nil {
			t.Fatal(err)
		}
	}
	if err := put(func(i *portico.Integration) { i.BaseURL = "https://api.example.net" }, false); err != nil {
		t.Fatalf("only revoked connections: %v", err)
	}
	in.BaseURL = "https://api.example.net"
	live := f.putConnection(t, app.ID, u1.ID, "crm", nil)
	WantCode(t, put(func(i *portico.Integration) { i.BaseURL = "https://evil.example" }, false), portico.CodeConflict)
	if err := put(func(i *portico.Integration) { i.BaseURL = "https://evil.example" }, true); err != nil {
		t.Fatalf("force: %v", err)
	}
	_, err = f.Store.FindConnectionByID(f.Ctx, app.ID, live.ID)
	WantCode(t, err, portico.CodeNotFound)
}
