package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/portico"
)

func testNewestActiveSession(t *testing.T, f *Fixture) {
	{
		app := f.NewApp(t, "pick")
		other := f.NewApp(t, "other")
		ext, ext2 := "u1", "u2"
		mk := func(appID, externalID, settings string, ttl time.Duration) *portico.Session {
			f.Clock.Advance(time.Second)
			s, _ := f.TokenSession(t, appID, portico.UserInput{ExternalID: &externalID}, func(s *portico.Session, _ *portico.NewSession) {
				s.Settings = json.RawMessage(settings)
				s.ExpiresAt = f.Clock.Now().Add(ttl)
			})
			return s
		}
		narrowed := mk(app.ID, ext, `{"integrations":["github"]}`, time.Hour)
		wide := mk(app.ID, ext, `{}`, time.Hour)
		newest := mk(app.ID, ext, `{"integrations":["github"]}`, time.Hour)
		shortLived := mk(app.ID, ext, `{}`, time.Minute)
		revoked := mk(app.ID, ext, `{}`, time.Hour)
		if err := f.Store.RevokeSession(f.Ctx, app.ID, revoked.ID); err != nil {
			t.Fatal(err)
		}
		mk(app.ID, ext2, `{}`, time.Hour)
		mk(other.ID, ext, `{}`, time.Hour)
		userID := narrowed.UserID

		pick := func(now time.Time, appID string, suits func(*portico.Session) (bool, error)) string {
			t.Helper()
			s, err := f.Store.NewestActiveSession(f.Ctx, appID, userID, now, suits)
			if err != nil {
				t.Fatal(err)
			}
			if s == nil {
				return ""
			}
			got, err := f.Store.FindSessionByID(f.Ctx, appID, s.ID)
			if err != nil || string(got.Settings) != string(s.Settings) || !got.ExpiresAt.Equal(s.ExpiresAt) || got.UserID != userID {
				t.Fatalf("picked %+v; stored %+v, %v", s, got, err)
			}
			return s.ID
		}
		all := func(*portico.Session) (bool, error) { return true, nil }
		unnarrowed := func(s *portico.Session) (bool, error) {
			st, err := portico.SessionSettingsOf(s)
			return st.Integrations == nil, err
		}
		now := f.Clock.Now()
		for _, c := range []struct {
			name  string
			now   time.Time
			appID string
			suits func(*portico.Session) (bool, error)
			want  string
		}{
			{"newest active, revoked skipped", now, app.ID, all, shortLived.ID},
			{"expired skipped", now.Add(2 * time.Minute), app.ID, all, newest.ID},
			{"first that suits, newest first", now.Add(2 * time.Minute), app.ID, unnarrowed, wide.ID},
			{"none suits", now, app.ID, func(*portico.Session) (bool, error) { return false, nil }, ""},
			{"another app's id finds nothing", now, other.ID, all, ""},
		} {
			if got := pick(c.now, c.appID, c.suits); got != c.want {
				t.Errorf("%s: picked %q, want %q", c.name, got, c.want)
			}
		}
		// The predicate's error ends the search and is the answer.
		refused := portico.Invalid("settings", "unreadable")
		if s, err := f.Store.NewestActiveSession(f.Ctx, app.ID, userID, now, func(*portico.Session) (bool, error) { return false, refused }); s != nil || err != refused {
			t.Errorf("a failing predicate: %v, %v", s, err)
		}
	}
}
