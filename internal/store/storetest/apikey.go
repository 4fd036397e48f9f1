package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/portico"
)

// newKey inserts a fresh API key for appID.
func (f *Fixture) newKey(t testing.TB, appID string) *portico.APIKey {
	t.Helper()
	raw, hash := portico.NewToken(portico.PrefixAPIKeySecret)
	k := &portico.APIKey{ID: portico.NewID(portico.PrefixAPIKey), AppID: appID, Hash: hash, Hint: raw[len(raw)-4:],
		Permissions: []string{portico.PermissionAll, portico.PermissionActAsUser}}
	if err := f.Store.CreateAPIKey(f.Ctx, k); err != nil {
		t.Fatalf("create api key: %v", err)
	}
	return k
}

func apiKeyIDs(keys []portico.APIKey) []string {
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.ID
	}
	return ids
}

func testAPIKeyCreateForUnknownApp(t *testing.T, f *Fixture) {
	_, hash := portico.NewToken(portico.PrefixAPIKeySecret)
	k := &portico.APIKey{ID: portico.NewID(portico.PrefixAPIKey), AppID: portico.NewID(portico.PrefixApp), Hash: hash, Hint: "wxyz"}
	WantCode(t, f.Store.CreateAPIKey(f.Ctx, k), portico.CodeNotFound)
	_, _, err := f.Store.FindActiveAPIKeyByHash(f.Ctx, hash)
	WantCode(t, err, portico.CodeNotFound)
}

func testAPIKeyCreateListFind(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "a")
	f.Clock.Advance(time.Minute)
	t1 := f.Clock.Now()
	k := f.newKey(t, app.ID)
	if !k.CreatedAt.Equal(t1) {
		t.Fatalf("created_at = %v, want %v", k.CreatedAt, t1)
	}
	keys, err := f.Store.ListAPIKeys(f.Ctx, app.ID)
	if err != nil {
		t.Fatal(err)
	}
	// NewApp made the first key; ours is the second, oldest first.
	if len(keys) != 2 || keys[1].ID != k.ID {
		t.Fatalf("ListAPIKeys = %v, want 2 keys ending with %s", apiKeyIDs(keys), k.ID)
	}
	if d := diff(*k, keys[1]); d != "" {
		t.Fatalf("listed (-want +got):\n%s", d)
	}
	fk, fa, err := f.Store.FindActiveAPIKeyByHash(f.Ctx, k.Hash)
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(k, fk); d != "" {
		t.Fatalf("FindAPIKeyByHash key (-want +got):\n%s", d)
	}
	if d := diff(app, fa); d != "" {
		t.Fatalf("FindAPIKeyByHash app (-want +got):\n%s", d)
	}
	_, _, err = f.Store.FindActiveAPIKeyByHash(f.Ctx, portico.HashToken("pk_unknown"))
	WantCode(t, err, portico.CodeNotFound)
	// A hash of another length, or a prefix of a stored one, matches none.
	for _, h := range [][]byte{nil, k.Hash[:16], append(append([]byte(nil), k.Hash...), 0)} {
		_, _, err = f.Store.FindActiveAPIKeyByHash(f.Ctx, h)
		WantCode(t, err, portico.CodeNotFound)
	}
}

func testAPIKeyRevoke(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "a")
	k, other := f.newKey(t, app.ID), f.newKey(t, app.ID)
	f.Clock.Advance(time.Hour)
	revokedAt := f.Clock.Now()
	if err := f.Store.RevokeAPIKey(f.Ctx, app.ID, k.ID); err != nil {
		t.Fatal(err)
	}
	// The lookup finds a revoked key no more than an unknown one.
	_, _, err := f.Store.FindActiveAPIKeyByHash(f.Ctx, k.Hash)
	WantCode(t, err, portico.CodeNotFound)
	if _, _, err := f.Store.FindActiveAPIKeyByHash(f.Ctx, other.Hash); err != nil {
		t.Fatalf("the app's other key: %v", err)
	}
	revokedAtOf := func() map[string]*time.Time {
		keys, err := f.Store.ListAPIKeys(f.Ctx, app.ID)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]*time.Time{}
		for _, key := range keys {
			out[key.ID] = key.RevokedAt
		}
		return out
	}
	got := revokedAtOf()
	if len(got) != 3 || got[k.ID] == nil || !got[k.ID].Equal(revokedAt) || got[other.ID] != nil {
		t.Fatalf("after revoking %s: %v", k.ID, got)
	}
	f.Clock.Advance(time.Hour)
	WantCode(t, f.Store.RevokeAPIKey(f.Ctx, app.ID, k.ID), portico.CodeNotFound)
	if got := revokedAtOf(); got[k.ID] == nil || !got[k.ID].Equal(revokedAt) {
		t.Fatalf("a second revoke moved revoked_at: %v", got[k.ID])
	}
	WantCode(t, f.Store.RevokeAPIKey(f.Ctx, app.ID, portico.NewID(portico.PrefixAPIKey)), portico.CodeNotFound)
}

func testAPIKeyOtherAppCannotSeeIt(t *testing.T, f *Fixture) {
	a, b := f.NewApp(t, "a"), f.NewApp(t, "b")
	k := f.newKey(t, a.ID)
	keys, err := f.Store.ListAPIKeys(f.Ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range keys {
		if key.AppID != b.ID || key.ID == k.ID {
			t.Fatalf("app b lists key %s of app %s", key.ID, key.AppID)
		}
	}
	if len(keys) != 1 {
		t.Fatalf("app b has %d keys, want its own 1", len(keys))
	}
	_, fa, err := f.Store.FindActiveAPIKeyByHash(f.Ctx, k.Hash)
	if err != nil || fa.ID != a.ID {
		t.Fatalf("key of a authenticates as %v (%v)", fa, err)
	}
	keys, err = f.Store.ListAPIKeys(f.Ctx, portico.NewID(portico.PrefixApp))
	if err != nil || len(keys) != 0 {
		t.Fatalf("unknown app lists %d keys (%v)", len(keys), err)
	}
}

// testAPIKeyLookupsAtOnceEachGetTheirOwn: key lookups made at once (which
// PostgreSQL answers several to a statement) each get their own key with
// its own app, callers of the same key the same key, a revoked key and an
// unknown hash none, and a key whose app settings changed is read with them.
func testAPIKeyLookupsAtOnceEachGetTheirOwn(t *testing.T, f *Fixture) {
	apps := []*portico.App{f.NewApp(t, "one"), f.NewApp(t, "two"), f.NewApp(t, "three")}
	var keys []*portico.APIKey
	for i := range 24 {
		keys = append(keys, f.newKey(t, apps[i%len(apps)].ID))
	}
	revoked := keys[5]
	if err := f.Store.RevokeAPIKey(f.Ctx, revoked.AppID, revoked.ID); err != nil {
		t.Fatal(err)
	}
	apps[1].Settings.MaxSessionsPerUser = 7
	if err := f.Store.UpdateApp(f.Ctx, apps[1]); err != nil {
		t.Fatal(err)
	}
	_, unknown := portico.NewToken(portico.PrefixAPIKeySecret)
	var wg sync.WaitGroup
	for round := range 400 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if round%50 == 49 {
				_, _, err := f.Store.FindActiveAPIKeyByHash(f.Ctx, unknown)
				WantCode(t, err, portico.CodeNotFound)
				return
			}
			want := keys[round%len(keys)]
			k, app, err := f.Store.FindActiveAPIKeyByHash(f.Ctx, want.Hash)
			if want == revoked {
				WantCode(t, err, portico.CodeNotFound)
				return
			}
			if err != nil {
				t.Errorf("lookup of %s: %v", want.ID, err)
				return
			}
			if k.ID != want.ID || k.AppID != want.AppID || app.ID != want.AppID || string(k.Hash) != string(want.Hash) {
				t.Errorf("lookup of %s (app %s) got key %s of app %s with app %s", want.ID, want.AppID, k.ID, k.AppID, app.ID)
				return
			}
			if wantMax := map[bool]int{true: 7, false: portico.DefaultAppSettings().MaxSessionsPerUser}[app.ID == apps[1].ID]; app.Settings.MaxSessionsPerUser != wantMax {
				t.Errorf("app %s has max_sessions_per_user %d, want %d", app.ID, app.Settings.MaxSessionsPerUser, wantMax)
			}
		}()
	}
	wg.Wait()
}
