package storetest

import (
	"testing"
	"time"

	"github.com/porticohq/portico/internal/portico"
)

// newOAuthState stores a fresh state of session sess and returns its hash.
func (f *Fixture) newOAuthState(t testing.TB, sess *portico.Session) []byte {
	t.Helper()
	_, hash := portico.NewToken("")
	st := &portico.OAuthState{Hash: hash, AppID: sess.AppID, SessionID: sess.ID, Integration: "github",
		Verifier: "v1:0badc0de:c2VhbGVk", ExpiresAt: f.Clock.Now().Add(portico.OAuthStateTTL)}
	if err := f.Store.CreateOAuthState(f.Ctx, st); err != nil {
		t.Fatalf("create oauth state: %v", err)
	}
	return hash
}

func testOAuthStateUsedOnceByItsSession(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "a")
	ext := "u1"
	sess, _ := f.TokenSession(t, app.ID, portico.UserInput{ExternalID: &ext}, nil)
	hash := f.newOAuthState(t, sess)
	st, err := f.Store.UseOAuthState(f.Ctx, app.ID, sess.ID, hash)
	if err != nil {
		t.Fatal(err)
	}
	if st.AppID != app.ID || st.SessionID != sess.ID || st.Integration != "github" || st.Verifier != "v1:0badc0de:c2VhbGVk" ||
		!st.ExpiresAt.Equal(f.Clock.Now().Add(portico.OAuthStateTTL)) {
		t.Fatalf("used state = %+v", st)
	}
	_, err = f.Store.UseOAuthState(f.Ctx, app.ID, sess.ID, hash)
	WantCode(t, err, portico.CodeInvalid)
	_, unknown := portico.NewToken("")
	_, err = f.Store.UseOAuthState(f.Ctx, app.ID, sess.ID, unknown)
	WantCode(t, err, portico.CodeInvalid)
}

func testOAuthStateExpiresAtItsEnd(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "a")
	ext := "u1"
	sess, _ := f.TokenSession(t, app.ID, portico.UserInput{ExternalID: &ext}, nil)
	hash := f.newOAuthState(t, sess)
	f.Clock.Advance(portico.OAuthStateTTL)
	_, err := f.Store.UseOAuthState(f.Ctx, app.ID, sess.ID, hash)
	WantCode(t, err, portico.CodeInvalid)
}

// Another session — of the same app, or of another — presenting the
// state is refused, and the state stays usable by its own session.
func testOAuthStateAnotherSessionCannotSpendIt(t *testing.T, f *Fixture) {
	app, other := f.NewApp(t, "a"), f.NewApp(t, "b")
	victim, stranger, foreign := "victim", "stranger", "foreign"
	sess, _ := f.TokenSession(t, app.ID, portico.UserInput{ExternalID: &victim}, nil)
	theirs, _ := f.TokenSession(t, app.ID, portico.UserInput{ExternalID: &stranger}, nil)
	elsewhere, _ := f.TokenSession(t, other.ID, portico.UserInput{ExternalID: &foreign}, nil)
	hash := f.newOAuthState(t, sess)
	for _, s := range []*portico.Session{theirs, elsewhere} {
		_, err := f.Store.UseOAuthState(f.Ctx, s.AppID, s.ID, hash)
		WantCode(t, err, portico.CodeForbidden)
	}
	_, err := f.Store.UseOAuthState(f.Ctx, other.ID, sess.ID, hash)
	WantCode(t, err, portico.CodeForbidden)
	f.Clock.Advance(time.Second)
	if st, err := f.Store.UseOAuthState(f.Ctx, app.ID, sess.ID, hash); err != nil || st.SessionID != sess.ID {
		t.Fatalf("the owner's use after a stranger's: %+v %v", st, err)
	}
}
