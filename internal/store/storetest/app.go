package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/portico"
)

func init() {
	register("App/CreateFindList", func(t *testing.T, f *Fixture) {
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
		if got.ID != a.ID || got.Name != "first" || !got.CreatedAt.Equal(t0) || got.WebhookSecret != "" {
			t.Fatalf("found %+v, want %+v", got, a)
		}
		if !reflect.DeepEqual(got.Settings, portico.DefaultAppSettings()) {
			t.Fatalf("settings = %+v, want the defaults %+v", got.Settings, portico.DefaultAppSettings())
		}
		apps, err := f.Store.ListApps(f.Ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(apps) != 2 || apps[0].ID != a.ID || apps[1].ID != b.ID {
			t.Fatalf("ListApps = %v, want [%s %s] oldest first", appIDs(apps), a.ID, b.ID)
		}
	})

	register("App/FindUnknown", func(t *testing.T, f *Fixture) {
		_, err := f.Store.FindAppByID(f.Ctx, portico.NewID(portico.PrefixApp))
		WantCode(t, err, portico.CodeNotFound)
		_, err = f.Store.FindAppByID(f.Ctx, "")
		WantCode(t, err, portico.CodeNotFound)
	})

	register("App/UpdateUnknown", func(t *testing.T, f *Fixture) {
		app := &portico.App{ID: portico.NewID(portico.PrefixApp), Name: "ghost", Settings: portico.DefaultAppSettings()}
		WantCode(t, f.Store.UpdateApp(f.Ctx, app), portico.CodeNotFound)
		apps, err := f.Store.ListApps(f.Ctx)
		if err != nil || len(apps) != 0 {
			t.Fatalf("an update of an unknown app created one: %v %v", appIDs(apps), err)
		}
	})

	register("App/Update", func(t *testing.T, f *Fixture) {
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
		if got.Name != "after" || got.WebhookSecret != "v1:k1:sealed" || !got.CreatedAt.Equal(t0) || !got.UpdatedAt.Equal(t1) {
			t.Fatalf("after update: %+v", got)
		}
		if !reflect.DeepEqual(got.Settings, a.Settings) {
			t.Fatalf("settings = %+v\nwant %+v", got.Settings, a.Settings)
		}

		// max_users back to unlimited survives the round trip as nil.
		a.Settings.MaxUsers = nil
		a.WebhookSecret = ""
		if err := f.Store.UpdateApp(f.Ctx, a); err != nil {
			t.Fatal(err)
		}
		got, err = f.Store.FindAppByID(f.Ctx, a.ID)
		if err != nil || got.Settings.MaxUsers != nil || got.WebhookSecret != "" {
			t.Fatalf("after clearing: %+v %v", got, err)
		}
	})

	register("App/UpdateTouchesOnlyThatApp", func(t *testing.T, f *Fixture) {
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
		if got.Name != "b" || got.WebhookSecret != "" || !reflect.DeepEqual(got.Settings, portico.DefaultAppSettings()) {
			t.Fatalf("another app changed: %+v", got)
		}
	})
}

func appIDs(apps []portico.App) []string {
	ids := make([]string, len(apps))
	for i, a := range apps {
		ids[i] = a.ID
	}
	return ids
}
