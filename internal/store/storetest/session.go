package storetest

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/portico"
)

// TokenSession stores a session for the user in through Store.CreateSession,
// after edit (when set) adjusts it, and returns it with its token hash.
func (f *Fixture) TokenSession(t testing.TB, appID string, in portico.UserInput, edit func(*portico.Session, *portico.NewSession)) (*portico.Session, []byte) {
	t.Helper()
	now := f.Clock.Now()
	s := &portico.Session{ID: portico.NewID(portico.PrefixSession), AppID: appID, TTLSeconds: 3600, RedirectURI: "",
		Settings: json.RawMessage(`{"integrations":["github"]}`), Theme: json.RawMessage(`{}`), CustomSettings: json.RawMessage(`{"k":"é"}`),
		ExpiresAt: now.Add(time.Hour)}
	_, hash := portico.NewToken(portico.PrefixSessionToken)
	_, codeHash := portico.NewToken("code_")
	ns := portico.NewSession{Session: s, UserID: portico.NewID(portico.PrefixUser), User: in, TokenHash: hash, Limit: defaultLimit,
		Code: &portico.ConfigCode{Hash: codeHash, AppID: appID, SessionID: s.ID, ExpiresAt: now.Add(time.Minute)}}
	if edit != nil {
		edit(s, &ns)
	}
	if _, _, err := f.Store.CreateSession(f.Ctx, ns); err != nil {
		t.Fatalf("create session: %v", err)
	}
	return s, hash
}

// wantTokenLookup checks that the token hash finds the session as
// FindSessionByID stores it and the user as FindUserByID does.
func (f *Fixture) wantTokenLookup(t testing.TB, appID, sessionID string, hash []byte) {
	t.Helper()
	got, gotUser, err := f.Store.FindSessionByTokenHash(f.Ctx, hash)
	if err != nil {
		t.Fatalf("find by token hash: %v", err)
	}
	want, err := f.Store.FindSessionByID(f.Ctx, appID, sessionID)
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(want, got); d != "" {
		t.Errorf("session by token hash, want it as found by id (-want +got):\n%s", d)
	}
	wantUser, err := f.Store.FindUserByID(f.Ctx, appID, want.UserID)
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(wantUser, gotUser); d != "" {
		t.Errorf("user by token hash, want it as found by id (-want +got):\n%s", d)
	}
}

func testFindSessionByTokenHash(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "tokens")
	f.newAccount(t, app.ID, "acct-b")
	f.newAccount(t, app.ID, "acct-a")
	email := "ada@example.com"

	// Every nullable column both ways: no external id but an email,
	// accounts, a refreshable session with a redirect URI.
	s1, h1 := f.TokenSession(t, app.ID, portico.UserInput{Email: &email, Name: "Ada", Metadata: json.RawMessage(`{"plan":"pro","n":[1,2]}`),
		AccountIDs: []string{"acct-b", "acct-a"}}, func(s *portico.Session, ns *portico.NewSession) {
		s.Refreshable, s.RedirectURI = true, "https://app.example.com/done"
		re := f.Clock.Now().Add(24 * time.Hour)
		s.RefreshExpiresAt = &re
		_, ns.RefreshHash = portico.NewToken(portico.PrefixRefreshToken)
	})
	f.wantTokenLookup(t, app.ID, s1.ID, h1)
	_, u1, err := f.Store.FindSessionByTokenHash(f.Ctx, h1)
	if err != nil {
		t.Fatal(err)
	}
	if u1.Email == nil || *u1.Email != email || u1.ExternalID != nil || fmt.Sprint(u1.AccountIDs) != "[acct-a acct-b]" {
		t.Errorf("user = email %v, external id %v, accounts %v", u1.Email, u1.ExternalID, u1.AccountIDs)
	}

	// An external id, no email, no accounts, empty metadata.
	ext := "user-42"
	s2, h2 := f.TokenSession(t, app.ID, portico.UserInput{ExternalID: &ext, Metadata: json.RawMessage(`{}`)}, nil)
	f.wantTokenLookup(t, app.ID, s2.ID, h2)

	// Revocation is seen by the very next lookup, on every connection
	// of the pool: lookups from many goroutines, before and after.
	var wg sync.WaitGroup
	lookups := func() {
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 20 {
					if _, _, err := f.Store.FindSessionByTokenHash(f.Ctx, h2); err != nil {
						t.Errorf("concurrent lookup: %v", err)
						return
					}
				}
			}()
		}
		wg.Wait()
	}
	lookups()
	if err := f.Store.RevokeSession(f.Ctx, app.ID, s2.ID); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		got, _, err := f.Store.FindSessionByTokenHash(f.Ctx, h2)
		if err != nil || got.RevokedAt == nil {
			t.Fatalf("lookup %d after revocation: revoked_at %v, err %v", i, got.RevokedAt, err)
		}
	}
	f.wantTokenLookup(t, app.ID, s2.ID, h2)
	lookups()

	// A user update is seen too.
	name := "Grace"
	if _, err := f.Store.UpdateUser(f.Ctx, app.ID, s2.UserID, portico.UserUpdate{Name: &name}); err != nil {
		t.Fatal(err)
	}
	f.wantTokenLookup(t, app.ID, s2.ID, h2)

	// Unknown hashes, and hashes of another length, find nothing.
	_, unknown := portico.NewToken(portico.PrefixSessionToken)
	for _, h := range [][]byte{unknown, nil, {}, h1[:31], append(append([]byte{}, h1...), 0)} {
		_, _, err := f.Store.FindSessionByTokenHash(f.Ctx, h)
		WantCode(t, err, portico.CodeNotFound)
	}
}
