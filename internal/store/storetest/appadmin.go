package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/portico"
)

// appWorld is an app with rows in every table that holds an app's data.
type appWorld struct {
	app      *portico.App
	want     portico.AppRows // without the webhook events, which the store counts
	keyHash  []byte
	token    []byte
	codeHash []byte
}

// buildAppWorld fills an app with keys, users, accounts and memberships,
// sessions (one revoked, one with an OAuth2 state), integrations,
// connections and webhook events.
func (f *Fixture) buildAppWorld(t testing.TB, name string) *appWorld {
	t.Helper()
	w := &appWorld{app: f.NewApp(t, name)}
	f.hookApp(t, w.app)
	appID := w.app.ID
	w.keyHash = f.newKey(t, appID).Hash
	f.newKey(t, appID)
	w.want.APIKeys = 3
	f.newAccount(t, appID, "acc-1")
	f.newAccount(t, appID, "acc-2")
	w.want.Accounts = 2
	var users []*portico.User
	for i := range 5 {
		in := portico.UserInput{ExternalID: ptr(fmt.Sprintf("u-%d", i)), AccountIDs: []string{"acc-1"}}
		if i%2 == 0 {
			in.AccountIDs = append(in.AccountIDs, "acc-2")
		}
		users = append(users, f.newUser(t, appID, in))
		f.Clock.Advance(time.Millisecond)
	}
	w.want.Users, w.want.Memberships = 5, 8
	for i := range 7 {
		s, hash := f.TokenSession(t, appID, portico.UserInput{ExternalID: ptr(fmt.Sprintf("u-%d", i%4))}, nil)
		w.token = hash
		if i == 0 {
			if err := f.Store.RevokeSession(f.Ctx, appID, s.ID); err != nil {
				t.Fatal(err)
			}
		}
		if i == 1 {
			_, stateHash := portico.NewToken("st_")
			if err := f.Store.CreateOAuthState(f.Ctx, &portico.OAuthState{Hash: stateHash, AppID: appID, SessionID: s.ID,
				Integration: "crm-a", Verifier: "sealed", ExpiresAt: f.Clock.Now().Add(time.Minute)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	_, w.codeHash = portico.NewToken("code_")
	if _, _, _, err := f.newSession(appID, "u-4", w.codeHash, defaultLimit); err != nil {
		t.Fatal(err)
	}
	w.want.Sessions = 8
	f.newIntegration(t, appID, "crm-a")
	f.newIntegration(t, appID, "crm-b")
	w.want.Integrations = 2
	for i, u := range users[:3] {
		f.putConnection(t, appID, u.ID, "crm-a", nil)
		if i == 0 {
			f.putConnection(t, appID, u.ID, "crm-b", nil)
		}
	}
	w.want.Connections = 4
	return w
}

// count returns the app's rows, checking those the world made.
func (w *appWorld) count(t testing.TB, f *Fixture) portico.AppRows {
	t.Helper()
	got, err := f.Store.CountAppRows(f.Ctx, w.app.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.WebhookEvents == 0 {
		t.Fatal("the app with a webhook counts no webhook events")
	}
	want := w.want
	want.WebhookEvents = got.WebhookEvents
	if d := diff(want, got); d != "" {
		t.Fatalf("CountAppRows (-want +got):\n%s", d)
	}
	return got
}

// checkIntact fails unless the world's app still works as before.
func (w *appWorld) checkIntact(t testing.TB, f *Fixture, before portico.AppRows) {
	t.Helper()
	if d := diff(before, w.count(t, f)); d != "" {
		t.Fatalf("the other app's rows changed (-want +got):\n%s", d)
	}
	if _, app, err := f.Store.FindActiveAPIKeyByHash(f.Ctx, w.keyHash); err != nil || app.ID != w.app.ID {
		t.Fatalf("the other app's key: %v", err)
	}
	if _, _, err := f.Store.FindSessionByTokenHash(f.Ctx, w.token); err != nil {
		t.Fatalf("the other app's session: %v", err)
	}
}

func testAppDeleteErasesEverythingInBatches(t *testing.T, f *Fixture) {
	a, b := f.buildAppWorld(t, "doomed"), f.buildAppWorld(t, "kept")
	before, keep := a.count(t, f), b.count(t, f)
	const batch = 2
	var calls []portico.AppRows
	got, err := f.Store.DeleteApp(f.Ctx, a.app.ID, batch, func(r portico.AppRows) { calls = append(calls, r) })
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(before, got); d != "" {
		t.Errorf("DeleteApp erased (-want +got):\n%s", d)
	}
	last := 0
	for i, c := range calls {
		if d := c.Total() - last; d < 0 || d > batch {
			t.Fatalf("transaction %d erased %d rows, want 0 to %d", i+1, d, batch)
		}
		last = c.Total()
	}
	if len(calls) < before.Total()/batch {
		t.Fatalf("%d progress calls for %d rows by %d", len(calls), before.Total(), batch)
	}
	if d := diff(got, calls[len(calls)-1]); d != "" {
		t.Fatalf("the last progress call, want the rows erased (-want +got):\n%s", d)
	}

	_, err = f.Store.FindAppByID(f.Ctx, a.app.ID)
	WantCode(t, err, portico.CodeNotFound)
	_, err = f.Store.CountAppRows(f.Ctx, a.app.ID)
	WantCode(t, err, portico.CodeNotFound)
	_, _, err = f.Store.FindActiveAPIKeyByHash(f.Ctx, a.keyHash)
	WantCode(t, err, portico.CodeNotFound)
	_, _, err = f.Store.FindSessionByTokenHash(f.Ctx, a.token)
	WantCode(t, err, portico.CodeNotFound)
	_, err = f.Store.UseConfigCode(f.Ctx, a.codeHash)
	WantCode(t, err, portico.CodeNotFound)
	if users := f.listAllUsers(t, a.app.ID, portico.UserFilter{}, 10); len(users) != 0 {
		t.Fatalf("users left: %v", userIDs(users))
	}
	if es := f.events(t, a.app.ID); len(es) != 0 {
		t.Fatalf("%d webhook events left", len(es))
	}
	b.checkIntact(t, f, keep)

	_, err = f.Store.DeleteApp(f.Ctx, a.app.ID, batch, nil)
	WantCode(t, err, portico.CodeNotFound)
}

func testAppDeleteEmptyApp(t *testing.T, f *Fixture) {
	a := f.NewApp(t, "bare")
	got, err := f.Store.DeleteApp(f.Ctx, a.ID, 100, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(portico.AppRows{APIKeys: 1}, got); d != "" {
		t.Fatalf("DeleteApp, want its one key (-want +got):\n%s", d)
	}
	apps, err := f.Store.ListApps(f.Ctx)
	if err != nil || len(apps) != 0 {
		t.Fatalf("apps left: %v %v", appIDs(apps), err)
	}
}

func testAppRenameChangesOnlyTheName(t *testing.T, f *Fixture) {
	a, b := f.NewApp(t, "before"), f.NewApp(t, "other")
	f.hookApp(t, a)
	a.Settings.MaxUsers = ptr(7)
	if err := f.Store.UpdateApp(f.Ctx, a); err != nil {
		t.Fatal(err)
	}
	f.Clock.Advance(time.Minute)
	got, err := f.Store.RenameApp(f.Ctx, a.ID, "after")
	if err != nil {
		t.Fatal(err)
	}
	want := *a
	want.Name, want.UpdatedAt = "after", f.Clock.Now()
	if d := diff(&want, got); d != "" {
		t.Fatalf("renamed (-want +got):\n%s", d)
	}
	found, err := f.Store.FindAppByID(f.Ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(&want, found); d != "" {
		t.Fatalf("found after rename (-want +got):\n%s", d)
	}
	other, err := f.Store.FindAppByID(f.Ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(b, other); d != "" {
		t.Fatalf("the other app (-want +got):\n%s", d)
	}
	_, err = f.Store.RenameApp(f.Ctx, portico.NewID(portico.PrefixApp), "x")
	WantCode(t, err, portico.CodeNotFound)
}
