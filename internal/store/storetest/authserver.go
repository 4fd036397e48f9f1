package storetest

import (
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/portico"
)

// A registered client is its app's: another app does not find it, and
// its registrations count towards its own bound only.
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
	third.ID, third.AppID = portico.NewID(portico.PrefixOAuthClient), other.ID
	if err := f.Store.CreateOAuthClient(f.Ctx, &third, 2); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{c.ID, second.ID} {
		if _, err := f.Store.FindOAuthClient(f.Ctx, app.ID, id); err != nil {
			t.Fatalf("another app's registration touched this app's client %s: %v", id, err)
		}
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

// At the bound, a registration deletes the app's oldest client that never
// completed an authorization; clients that did stay, and when all have,
// the registration is refused.
func testOAuthClientBoundEvictsTheOldestUnused(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "a")
	register := func() (*portico.OAuthClient, error) {
		f.Clock.Advance(time.Second)
		c := &portico.OAuthClient{ID: portico.NewID(portico.PrefixOAuthClient), AppID: app.ID, Name: "Agent",
			RedirectURIs: []string{"http://127.0.0.1:9/cb"}, CreatedAt: f.Clock.Now()}
		return c, f.Store.CreateOAuthClient(f.Ctx, c, 3)
	}
	authorize := func(c *portico.OAuthClient) {
		t.Helper()
		_, hash := portico.NewToken(portico.PrefixAuthCode)
		code := &portico.AuthCode{Hash: hash, AppID: app.ID, ClientID: c.ID, RedirectURI: "http://127.0.0.1:9/cb", Challenge: "c",
			Resource: "https://p.example/a/x/mcp", UserID: "usr_x", ExpiresAt: f.Clock.Now().Add(portico.AuthCodeTTL)}
		if err := f.Store.CreateAuthCode(f.Ctx, code); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Store.UseAuthCode(f.Ctx, app.ID, hash); err != nil {
			t.Fatal(err)
		}
		if err := f.Store.SetAuthCodeSession(f.Ctx, app.ID, hash, "ses_"+c.ID); err != nil {
			t.Fatal(err)
		}
	}
	exists := func(c *portico.OAuthClient) bool {
		_, err := f.Store.FindOAuthClient(f.Ctx, app.ID, c.ID)
		if err != nil && portico.ErrorCode(err) != portico.CodeNotFound {
			t.Fatal(err)
		}
		return err == nil
	}
	var cs []*portico.OAuthClient
	for range 3 {
		c, err := register()
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	authorize(cs[0])
	// A code used but whose exchange recorded no session does not count.
	_, hash := portico.NewToken(portico.PrefixAuthCode)
	if err := f.Store.CreateAuthCode(f.Ctx, &portico.AuthCode{Hash: hash, AppID: app.ID, ClientID: cs[1].ID, RedirectURI: "http://127.0.0.1:9/cb",
		Challenge: "c", Resource: "https://p.example/a/x/mcp", UserID: "usr_x", ExpiresAt: f.Clock.Now().Add(portico.AuthCodeTTL)}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Store.UseAuthCode(f.Ctx, app.ID, hash); err != nil {
		t.Fatal(err)
	}
	// Another app at its own bound deletes its own unused client, none of
	// this app's.
	other := f.NewApp(t, "b")
	for range 4 {
		f.Clock.Advance(time.Second)
		if err := f.Store.CreateOAuthClient(f.Ctx, &portico.OAuthClient{ID: portico.NewID(portico.PrefixOAuthClient), AppID: other.ID, Name: "Other",
			RedirectURIs: []string{"http://127.0.0.1:9/cb"}, CreatedAt: f.Clock.Now()}, 3); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range cs {
		if !exists(c) {
			t.Fatalf("another app's registration at its bound deleted this app's client %s", c.ID)
		}
	}
	fourth, err := register()
	if err != nil {
		t.Fatalf("a registration at the bound, with unused clients: %v", err)
	}
	if !exists(cs[0]) || exists(cs[1]) || !exists(cs[2]) || !exists(fourth) {
		t.Fatalf("after the fourth registration: %v %v %v %v, want the oldest unused (the second) gone", exists(cs[0]), exists(cs[1]), exists(cs[2]), exists(fourth))
	}
	authorize(cs[2])
	authorize(fourth)
	_, err = register()
	WantCode(t, err, portico.CodeQuotaExceeded)
	if !exists(cs[0]) || !exists(cs[2]) || !exists(fourth) {
		t.Fatal("a refused registration deleted a client that completed an authorization")
	}
}
