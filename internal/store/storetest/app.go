package storetest

import (
	"testing"
	"time"

	"github.com/porticohq/portico/internal/portico"
)

func testAppCreateFindList(t *testing.T, f *Fixture) {
	t0 := f.Clock.Now()
	a := f.NewApp(t, "first")
	f.Clock.Advance(time.Second)
	b := f.NewApp(t, "second")
	if !a.CreatedAt.Equal(t0) || !a.UpdatedAt.Equal(t0) {
		t.Fatalf("created_at/updated_at = %v/%v, want the clock's %v", a.CreatedAt, a.UpdatedAt, t0)
	}
	got, err := f.Store.FindAppByID(f.Ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(a, got); d != "" {
		t.Fatalf("found (-want +got):\n%s", d)
	}
	if d := diff(portico.DefaultAppSettings(), got.Settings); d != "" {
		t.Fatalf("settings, want the defaults (-want +got):\n%s", d)
	}
	apps, err := f.Store.ListApps(f.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(apps) != 2 || apps[0].ID != a.ID || apps[1].ID != b.ID {
		t.Fatalf("ListApps = %v, want [%s %s] oldest first", appIDs(apps), a.ID, b.ID)
	}
}

func testAppFindUnknown(t *testing.T, f *Fixture) {
	_, err := f.Store.FindAppByID(f.Ctx, portico.NewID(portico.PrefixApp))
	WantCode(t, err, portico.CodeNotFound)
	_, err = f.Store.FindAppByID(f.Ctx, "")
	WantCode(t, err, portico.CodeNotFound)
}

func testAppUpdateUnknown(t *testing.T, f *Fixture) {
	app := &portico.App{ID: portico.NewID(portico.PrefixApp), Name: "ghost", Settings: portico.DefaultAppSettings()}
	WantCode(t, f.Store.UpdateApp(f.Ctx, app), portico.CodeNotFound)
	apps, err := f.Store.ListApps(f.Ctx)
	if err != nil || len(apps) != 0 {
		t.Fatalf("an update of an unknown app created one: %v %v", appIDs(apps), err)
	}
}

func testAppUpdate(t *testing.T, f *Fixture) {
	t0 := f.Clock.Now()
	a := f.NewApp(t, "before")
	f.Clock.Advance(time.Hour)
	t1 := f.Clock.Now()
	a.Name = "after"
	a.Settings.SessionTTLSeconds = 60
	a.Settings.MaxSessionTTLSeconds = 120
	a.Settings.ConfigurationURLTTLSeconds = 300
	a.Settings.MaxSessionsPerUser = 3
	a.Settings.SessionLimitPolicy = portico.PolicyReject
	a.Settings.AllowedRedirectURIs = []string{"https://app.example.com/done", "http://localhost:3000/cb"}
	a.Settings.Theme = portico.Theme{Name: "Acme", PrimaryColor: "#286efa", LogoURL: "https://cdn.example.com/l.png"}
	a.Settings.WebhookURL = "https://hooks.example.com/portico"
	a.Settings.MaxUsers = ptr(42)
	a.WebhookSecret = "v1:k1:sealed"
	if err := f.Store.UpdateApp(f.Ctx, a); err != nil {
		t.Fatal(err)
	}
	if !a.UpdatedAt.Equal(t1) {
		t.Fatalf("updated_at = %v, want %v", a.UpdatedAt, t1)
	}
	got, err := f.Store.FindAppByID(f.Ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.CreatedAt.Equal(t0) {
		t.Fatalf("created_at = %v, want %v", got.CreatedAt, t0)
	}
	if d := diff(a, got); d != "" {
		t.Fatalf("after update (-want +got):\n%s", d)
	}

	// max_users back to unlimited survives the round trip as nil.
	a.Settings.MaxUsers = nil
	a.WebhookSecret = ""
	if err := f.Store.UpdateApp(f.Ctx, a); err != nil {
		t.Fatal(err)
	}
	got, err = f.Store.FindAppByID(f.Ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(a, got); d != "" {
		t.Fatalf("after clearing (-want +got):\n%s", d)
	}
}

func testAppUpdateTouchesOnlyThatApp(t *testing.T, f *Fixture) {
	a, b := f.NewApp(t, "a"), f.NewApp(t, "b")
	a.Name = "renamed"
	a.Settings.MaxUsers = ptr(1)
	a.WebhookSecret = "sealed"
	if err := f.Store.UpdateApp(f.Ctx, a); err != nil {
		t.Fatal(err)
	}
	got, err := f.Store.FindAppByID(f.Ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(b, got); d != "" {
		t.Fatalf("another app changed (-want +got):\n%s", d)
	}
}

func appIDs(apps []portico.App) []string {
	ids := make([]string, len(apps))
	for i, a := range apps {
		ids[i] = a.ID
	}
	return ids
}
