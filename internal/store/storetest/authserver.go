package storetest

import (
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/porticohq/portico/internal/portico"
)

// A registered client is its app's: another app does not find it; an
// app holds at most the bound given.
func testOAuthClientOtherAppCannotSeeIt(t *testing.T, f *Fixture) {
	app, other := f.NewApp(t, "a"), f.NewApp(t, "b")
	c := &portico.OAuthClient{ID: portico.NewID(portico.PrefixOAuthClient), AppID: app.ID, Name: "Agent",
		RedirectURIs: []string{"https://claude.ai/api/mcp/auth_callback", "http://127.0.0.1:9/cb"}, CreatedAt: f.Clock.Now()}
	if err := f.Store.CreateOAuthClient(f.Ctx, c, 2); err != nil {
		t.Fatal(err)
	}
	got, err := f.Store.FindOAuthClient(f.Ctx, app.ID, c.ID)
	if err != nil || got.Name != "Agent" || !slices.Equal(got.RedirectURIs, c.RedirectURIs) || !got.CreatedAt.Equal(c.CreatedAt) {
		t.Fatalf("found %+v %v", got, err)
	}
	_, err = f.Store.FindOAuthClient(f.Ctx, other.ID, c.ID)
	WantCode(t, err, portico.CodeNotFound)
	// The bound counts the app's clients only.
	second := *c
	second.ID = portico.NewID(portico.PrefixOAuthClient)
	if err := f.Store.CreateOAuthClient(f.Ctx, &second, 2); err != nil {
		t.Fatal(err)
	}
	third := second
	third.ID = portico.NewID(portico.PrefixOAuthClient)
	WantCode(t, f.Store.CreateOAuthClient(f.Ctx, &third, 2), portico.CodeQuotaExceeded)
	_, err = f.Store.FindOAuthClient(f.Ctx, app.ID, third.ID)
	WantCode(t, err, portico.CodeNotFound)
	third.AppID = other.ID
	if err := f.Store.CreateOAuthClient(f.Ctx, &third, 2); err != nil {
		t.Fatal(err)
	}
}

// Of concurrent exchanges of one code exactly one uses it; the others,
// and another app, do not; a used code comes back with its session.
func testAuthCodeUsedOnce(t *testing.T, f *Fixture) {
	app, other := f.NewApp(t, "a"), f.NewApp(t, "b")
	_, hash := portico.NewToken(portico.PrefixAuthCode)
	code := &portico.AuthCode{Hash: hash, AppID: app.ID, ClientID: "pcl_x", RedirectURI: "http://127.0.0.1:9/cb", Challenge: "c",
		Resource: "https://p.example/a/x/mcp", UserID: "usr_x", ExpiresAt: f.Clock.Now().Add(portico.AuthCodeTTL)}
	if err := f.Store.CreateAuthCode(f.Ctx, code); err != nil {
		t.Fatal(err)
	}
	_, err := f.Store.UseAuthCode(f.Ctx, other.ID, hash)
	WantCode(t, err, portico.CodeNotFound)
	var used atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			got, err := f.Store.UseAuthCode(f.Ctx, app.ID, hash)
			switch {
			case err == nil:
				used.Add(1)
				if got.ClientID != "pcl_x" || got.UserID != "usr_x" || got.Challenge != "c" || !got.ExpiresAt.Equal(code.ExpiresAt) {
					t.Errorf("used code %+v", got)
				}
			case !errors.Is(err, portico.ErrAuthCodeUsed):
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := used.Load(); n != 1 {
		t.Fatalf("%d uses of one code, want 1", n)
	}
	// The others came before the first exchange recorded its session:
	// it hears of them.
	if err := f.Store.SetAuthCodeSession(f.Ctx, app.ID, hash, "ses_first"); !errors.Is(err, portico.ErrAuthCodeUsed) {
		t.Fatalf("session recorded on a code presented again: %v", err)
	}
	// A code presented again after its session was recorded returns it.
	_, again := portico.NewToken(portico.PrefixAuthCode)
	second := *code
	second.Hash = again
	if err := f.Store.CreateAuthCode(f.Ctx, &second); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Store.UseAuthCode(f.Ctx, app.ID, again); err != nil {
		t.Fatal(err)
	}
	if err := f.Store.SetAuthCodeSession(f.Ctx, app.ID, again, "ses_second"); err != nil {
		t.Fatal(err)
	}
	got, err := f.Store.UseAuthCode(f.Ctx, app.ID, again)
	if !errors.Is(err, portico.ErrAuthCodeUsed) || got == nil || got.SessionID != "ses_second" {
		t.Fatalf("replay: %+v %v", got, err)
	}
	f.Clock.Advance(2 * portico.AuthCodeTTL)
	if n, err := f.Store.PurgeAuthCodes(f.Ctx, f.Clock.Now(), 100); n != 2 || err != nil {
		t.Fatalf("purged %d: %v", n, err)
	}
}
